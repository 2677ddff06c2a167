// Files inside an extracted tree whose SHA-256 is pinned by the recipe
// (license files, as Buildroot's .hash files do): a silent upstream license
// change fails the build instead of shipping unnoticed.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

namespace allocpipe {

struct PinnedFile {
  std::string path;  // relative to the tree root
  std::string sha256;
};

// Parses "LICENSE=<64 hex>"; throws Error naming the bad text.
PinnedFile parse_pinned_file(const std::string& text);

// Throws WrongBytes when a file does not hash to its pin, Error when it is missing.
void verify_pinned_files(const std::filesystem::path& tree, const std::vector<PinnedFile>& files);

}  // namespace allocpipe
