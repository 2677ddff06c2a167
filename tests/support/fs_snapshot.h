// Everything below a directory, recursively and without following
// symlinks: type, mode, size, mtime and link target per path. Hostile
// archive tests compare the snapshot of the whole test directory before and
// after a refused extraction: nothing may appear, vanish or change (a chmod
// or utime through a symlink included).
#pragma once
#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>

namespace allocpipe::test {

// `busy`: directories whose mtime may change (the destination's parent,
// where the work directory comes and goes).
inline std::map<std::string, std::string> snapshot(const std::filesystem::path& root,
                                                   const std::set<std::string>& busy = {}) {
  std::map<std::string, std::string> out;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(root, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0) continue;
    const std::string name = std::filesystem::relative(it->path(), root).string();
    std::string text = "mode=" + std::to_string(st.st_mode) + " size=" +
                       (S_ISDIR(st.st_mode) ? std::string("-") : std::to_string(st.st_size));
    if (!(S_ISDIR(st.st_mode) && busy.count(name)))
      text += " mtime=" + std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
    if (S_ISLNK(st.st_mode)) text += " -> " + std::filesystem::read_symlink(it->path(), ec).string();
    out[name] = text;
  }
  return out;
}

}  // namespace allocpipe::test
