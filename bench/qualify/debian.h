// Debian binary packages as arms: `--lib NAME=debian:PACKAGE=VERSION`.
//
// The library is taken from the package without installing it: apt runs with
// a private configuration (its own sources list for bookworm, trixie and sid
// built from the URIs of the machine's own Debian entry, its own state and
// cache directories, the machine's debian-archive-keyring as the only trust
// anchor), so nothing under /etc/apt or /var/lib/apt changes. apt checks the
// .deb against the signed index; we check its SHA-256 again against the
// Packages entry, keep it in the content-addressed download cache
// (<cache>/sha256/<hash>, the fetcher's layout), extract it with dpkg-deb,
// find the shared object, check that it can load here (glibc symbol versions,
// then a preload probe) and run the smoke gate's identity and api checks on
// it. A library that cannot be measured is reported with the reason.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace apq {

struct DebianSettings {
  std::string cache_dir;   // shared download cache (ALLOC_DOWNLOAD_DIR)
  std::string smoke;       // allocpipe-smoke harness; required for Debian arms
  std::string workload;    // for the preload probe
  std::string log_dir;     // tool logs
  std::string work_dir;    // extracted packages (under the report directory)
};

struct DebianResult {
  std::string name;         // arm name
  std::string request;      // PACKAGE=VERSION as given ("newest" allowed)
  std::string package;
  std::string version;      // the Debian version actually used
  std::string suite;
  std::string sha256;
  std::string library;      // extracted shared object; empty when not measurable
  std::string not_measurable;      // reason; empty when the library can be measured
  std::string api_failure;         // the smoke gate's api check failed (measured anyway): its words
  std::vector<std::string> facts;  // report lines (provenance, checks, identity)
};

// Resolves one Debian arm. Throws std::runtime_error only for failures of the
// machinery (no apt, no archive entry in the machine's sources); a package
// that cannot be used here comes back with not_measurable set.
DebianResult resolve_debian(const std::string& name, const std::string& request, const DebianSettings& s);

// ---- pieces, exposed for tests ----

// PACKAGE=VERSION into <cache>/sha256/<sha> (the fetcher's layout, one flock
// per hash): found there and re-hashed, or `apt-get -c APT_CONF download`ed
// into a fresh <cache>/tmp directory and renamed into place only when its
// SHA-256 equals `sha` (the Packages entry). A mismatch throws and caches
// nothing; a cached file that no longer matches is moved to quarantine/.
std::string fetch_deb(const std::string& apt_conf, const std::string& cache, const std::string& spec,
                      const std::string& sha, std::vector<std::string>& facts);

// The first URI of a "Types: deb" entry for bookworm: deb822 *.sources files
// first (in the order given), then one-line sources.list text. Empty if none.
std::string archive_uri(const std::vector<std::string>& deb822_files, const std::string& sources_list);
// Fields of one deb822 stanza (continuation lines joined with "\n").
std::map<std::string, std::string> parse_stanza(const std::string& text);
// "1:3.0.1+ds-2.1" -> "3.0.1": no epoch, no Debian revision, no +/~ suffix.
std::string upstream_version(const std::string& debian_version);
// Symbol versions an ELF needs, from `readelf -V --wide` text: {"GLIBC_2.34", ...}
// of its .gnu.version_r section only (not the versions it defines).
std::vector<std::string> needed_versions(const std::string& readelf_text, const std::string& prefix);
// Numeric comparison of dotted versions ("2.9" < "2.34"); -1, 0, 1.
int compare_dotted(const std::string& a, const std::string& b);
// The needs of `needs` (e.g. GLIBC_2.38) newer than the host's glibc.
std::vector<std::string> too_new(const std::vector<std::string>& needs, const std::string& host_glibc);
// Rows of `apt-cache madison PKG`: (version, suite) in the order apt lists them.
std::vector<std::pair<std::string, std::string>> parse_madison(const std::string& text);

}  // namespace apq
