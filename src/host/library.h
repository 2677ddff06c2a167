// The allocpipe libraries installed on this host, from the manifests the
// packages install next to them (<lib-dir>/lib<id>.manifest.json).
#pragma once
#include <filesystem>
#include <string>
#include <vector>

namespace allocpipe::host {

struct Library {
  std::string id, allocator, version, variant, file, source_sha256;
  std::filesystem::path path, manifest;
};

struct Installed {
  std::filesystem::path dir;
  std::vector<Library> libraries;     // sorted by id
  std::vector<std::string> problems;  // manifests that could not be used, with the reason

  const Library* by_id(const std::string& id) const;
  // The library whose file is `path` (same file after resolving links, or same path).
  const Library* by_path(const std::string& path) const;
  std::string ids() const;  // "a, b, c" or "(none)"
};

Installed load_installed(const std::filesystem::path& dir);

// Family of an allocator library file by its name, for libraries that are not
// ours ("mimalloc", "jemalloc", "tcmalloc"), or "" when it is not an allocator.
std::string allocator_family_of(const std::string& path);

}  // namespace allocpipe::host
