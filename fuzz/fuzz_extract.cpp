// libFuzzer target: the whole extraction path (decoders, tar scanner,
// libarchive's tar parser, our writer) on arbitrary bytes, inside a private
// sandbox. Beyond memory safety (ASan/UBSan) it checks the policy after each
// run: nothing may exist in the sandbox but the input and, on success, the
// destination tree; that tree may hold only regular files, directories and
// symlinks resolving inside it, with no setuid/setgid/sticky and no
// group/other-writable modes. A violation aborts, so the input is kept.
#include <sys/stat.h>

#include <cstdint>
#include <fstream>
#include <system_error>

#include "error.h"
#include "extract.h"
#include "fuzz_util.h"

namespace fs = std::filesystem;
using namespace allocpipe;
using allocpipe::fuzz::violation;

namespace {

bool is_within(const fs::path& root, const fs::path& path) {
  auto r = root.begin();
  auto p = path.begin();
  for (; r != root.end(); ++r, ++p)
    if (p == path.end() || *r != *p) return false;
  return true;
}

void check_tree(const fs::path& tree) {
  const fs::path root = fs::canonical(tree);
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(tree, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0) violation("cannot lstat " + it->path().string());
    if (S_ISLNK(st.st_mode)) {
      std::error_code resolve_error;
      const fs::path resolved = fs::weakly_canonical(it->path(), resolve_error);
      if (!resolve_error && !is_within(root, resolved))
        violation("symlink " + it->path().string() + " resolves outside the tree, to " + resolved.string());
      continue;
    }
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) violation("special file " + it->path().string());
    if (st.st_mode & (S_ISUID | S_ISGID | S_ISVTX | S_IWGRP | S_IWOTH))
      violation("mode " + std::to_string(st.st_mode) + " on " + it->path().string());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const fs::path sandbox = fuzz::make_sandbox();
  static const fs::path input = sandbox / "input";
  static const fs::path out = sandbox / "out";
  static const fs::path dest = out / "src";
  std::error_code ec;
  fs::remove_all(out, ec);
  fs::create_directories(out);
  {
    std::ofstream file(input, std::ios::binary | std::ios::trunc);
    file.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  bool extracted = false;
  try {
    extract_archive(input, dest, fuzz::small_limits());
    extracted = true;
  } catch (const Error&) {
    // refused: fine, as long as nothing was left behind (checked below)
  }
  for (const auto& item : fs::directory_iterator(sandbox))
    if (item.path() != input && item.path() != out) violation("written outside the destination: " + item.path().string());
  for (const auto& item : fs::directory_iterator(out))
    if (!(extracted && item.path() == dest)) violation("left in the destination's parent: " + item.path().string());
  if (extracted) check_tree(dest);
  return 0;
}
