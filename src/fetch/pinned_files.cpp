#include "pinned_files.h"

#include "error.h"
#include "sha256.h"

namespace allocpipe {

PinnedFile parse_pinned_file(const std::string& text) {
  const auto eq = text.rfind('=');
  if (eq == std::string::npos || eq == 0)
    throw Error("'" + text + "': expected <relative path>=<sha256>");
  PinnedFile pinned{text.substr(0, eq), text.substr(eq + 1)};
  if (pinned.path.front() == '/' || pinned.path.find("..") != std::string::npos ||
      pinned.path.find('\0') != std::string::npos)
    throw Error("'" + text + "': the path must be relative and inside the tree");
  if (!is_sha256_hex(pinned.sha256))
    throw Error("'" + text + "': expected 64 lowercase hex digits after '='");
  return pinned;
}

void verify_pinned_files(const std::filesystem::path& tree, const std::vector<PinnedFile>& files) {
  for (const auto& pinned : files) {
    const auto path = tree / pinned.path;
    if (std::filesystem::is_symlink(path) || !std::filesystem::is_regular_file(path))
      throw Error("pinned file " + pinned.path + " is missing from the source tree");
    const std::string actual = sha256_file(path);
    if (actual != pinned.sha256)
      throw WrongBytes("pinned file " + pinned.path + " changed: expected sha256 " + pinned.sha256 + ", got " + actual);
  }
}

}  // namespace allocpipe
