// The lookup order for one pinned source, with every attempt recorded:
//   cache (by SHA-256) -> each mirror -> upstream URL -> Debian alternate.
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "apt_source.h"
#include "cache.h"
#include "http.h"
#include "report.h"

namespace allocpipe {

enum class DebianMode { automatic, on, off };

struct SourceSpec {
  std::string file;    // upstream file name, also the name looked up on mirrors
  std::string sha256;  // of `file`
  std::string url;     // upstream URL
  std::optional<DebianSource> debian;
};

struct LocateOptions {
  std::vector<std::string> mirrors;  // http(s) base URLs or local directories
  bool offline = false;              // cache and apt only
  DebianMode debian_mode = DebianMode::automatic;
  DownloadLimits limits;
};

struct Located {
  std::filesystem::path path;  // verified file inside the cache
  std::string file;            // its file name (upstream or Debian)
  std::string sha256;
  std::string canonical;       // upstream URL, or "apt-get source <pkg>=<version>"
  std::string obtained_from;   // where these bytes came from this time
  std::vector<std::string> earlier_failures;  // places tried first that failed ("<where>: <why>")
};

// Throws Error listing every place tried and why it failed, with status
// wrong_bytes when any place served bytes that do not hash to the pin,
// failed when something local failed (the cache, a write), else not_served.
Located locate(const SourceSpec& spec, const Cache& cache, const LocateOptions& options, Reporter& reporter);

}  // namespace allocpipe
