// The create step of extraction, on its own so it can be tested on its own:
// every call works relative to a directory descriptor, never follows a
// symlink and never reuses a name that already exists. The path checks in
// extract.cpp refuse every hostile archive before it gets here; these are
// the second line, for a tree changed between check and create.
#pragma once
#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "error.h"
#include "fd.h"

namespace allocpipe {

// Never setuid/setgid/sticky, never group/other-writable; always usable by us.
inline mode_t file_mode(mode_t perm) { return (perm & 0755) | 0600; }
inline mode_t directory_mode(mode_t perm) { return (perm & 0755) | 0700; }

// Opens directory `name` below `at` without following a symlink, creating
// it (0755 minus umask) first when `create`. `shown` names it in errors.
Fd open_directory(int at, const std::string& name, bool create, const std::string& shown);

// A new regular file `leaf` in `dir` (O_CREAT | O_EXCL | O_NOFOLLOW): an
// existing file or symlink of that name is an error, never opened.
Fd create_file(int dir, const std::string& leaf, mode_t perm);

// Directory `leaf` in `dir`. When it exists already (`may_exist`: the
// archive names it twice), it must be a real directory, reached without
// following a symlink, before its mode is set.
void create_directory(int dir, const std::string& leaf, mode_t perm, bool may_exist);

void create_symlink(int dir, const std::string& leaf, const std::string& target);

// A hard link `leaf` in `dir` to the regular file `from_leaf` in `from_dir`
// (the link itself is never followed).
void create_hardlink(int from_dir, const std::string& from_leaf, int dir, const std::string& leaf);

// The chain of open directory descriptors from the work root down to the
// directory entries are written into. Archives list a directory's entries
// together, so moving from one parent to the next opens only the
// components that differ: the work is linear in the archive, not
// quadratic in its depth. `opened()` counts the directories opened.
class DirectoryChain {
 public:
  explicit DirectoryChain(Fd root) : root_(std::move(root)) {}
  // The directory `parts[0..count)`, missing ones created when `create`.
  int open(const std::vector<std::string>& parts, std::size_t count, bool create);
  std::uint64_t opened() const { return opened_; }
  int root() const { return root_.get(); }

 private:
  Fd root_;
  std::vector<std::string> names_;  // components of the deepest directory open
  std::vector<Fd> fds_;             // fds_[i] is names_[0..i]
  std::string path_;                // names_ joined, for messages
  std::vector<std::size_t> ends_;   // where each component ends in path_
  std::uint64_t opened_ = 0;
};

}  // namespace allocpipe
