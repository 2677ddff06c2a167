// Safe extraction of a source archive (tar in any compression libarchive
// reads, or zip) into a fresh directory.
//
// Policy (see README "Security model"):
//  - refused: absolute names, any ".." component, devices, FIFOs, sockets,
//    duplicate names, a file/directory clash, a path that passes through a
//    symlink, a hard link to anything but an earlier regular file of the
//    archive, a symlink whose target is absolute or resolves outside the tree;
//  - kept: relative symlinks that stay inside the tree;
//  - stripped: setuid/setgid/sticky bits and group/other write permission;
//  - limited: total bytes, entry count and expansion ratio.
// The archive must hold exactly one top-level directory; its contents become
// `dest`. Work happens in a hidden sibling directory renamed into place only
// after everything (and `validate`) succeeded, so `dest` is complete or absent.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>

namespace allocpipe {

struct ExtractLimits {
  std::uint64_t max_total_bytes = std::uint64_t{2} << 30;
  std::uint64_t max_entries = 100000;
  std::uint64_t max_ratio = 1000;  // uncompressed / compressed, checked past 16 MiB
};

using TreeCheck = std::function<void(const std::filesystem::path& tree)>;

void extract_archive(const std::filesystem::path& archive, const std::filesystem::path& dest,
                     const ExtractLimits& limits, const TreeCheck& validate = {});

}  // namespace allocpipe
