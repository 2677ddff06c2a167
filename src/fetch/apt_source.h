// The Debian alternate: `apt-get source --download-only <pkg>=<version>`.
// apt authenticates the files through the archive's signed Release and
// Sources indices; we still check the pinned SHA-256 ourselves.
#pragma once
#include <filesystem>
#include <string>

namespace allocpipe {

struct DebianSource {
  std::string package;  // mimalloc
  std::string version;  // 2.0.9+ds-2
  std::string file;     // mimalloc_2.0.9+ds.orig.tar.xz
  std::string sha256;
};

// True when some apt source list on this machine has a deb-src entry;
// otherwise `why_not` says what was looked at.
bool has_deb_src_entries(std::string& why_not);

// Downloads the source package into `workdir` and returns the path of
// `source.file` there. Throws NotServed with apt's own words when apt
// cannot provide it.
std::filesystem::path apt_download_source(const DebianSource& source, const std::filesystem::path& workdir);

}  // namespace allocpipe
