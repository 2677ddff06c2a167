#include "tree_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>

namespace allocpipe {
namespace {

// The umask without changing it (Linux 4.7+); else the classic set-and-restore.
mode_t process_umask() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("Umask:", 0) == 0) return static_cast<mode_t>(std::stoul(line.substr(6), nullptr, 8));
  const mode_t m = ::umask(0);
  ::umask(m);
  return m;
}

}  // namespace

Fd open_directory(int at, const std::string& name, bool create, const std::string& shown) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    Fd fd(::openat(at, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (fd) return fd;
    if (errno == ENOENT && create && attempt == 0) {
      if (::mkdirat(at, name.c_str(), 0755) != 0 && errno != EEXIST)
        throw Error("cannot create directory '" + shown + "': " + errno_text(errno));
      continue;
    }
    if (errno == ELOOP || errno == ENOTDIR)
      throw Error("'" + shown + "' is not a directory (refusing to follow a symlink)");
    throw Error("cannot open directory '" + shown + "': " + errno_text(errno));
  }
  throw Error("cannot open directory '" + shown + "'");
}

Fd create_file(int dir, const std::string& leaf, mode_t perm) {
  Fd file(::openat(dir, leaf.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, file_mode(perm)));
  if (!file) throw Error("cannot create file: " + errno_text(errno));
  return file;
}

void create_directory(int dir, const std::string& leaf, mode_t perm, bool may_exist) {
  const mode_t mode = directory_mode(perm);
  if (::mkdirat(dir, leaf.c_str(), mode) == 0) return;
  if (errno != EEXIST || !may_exist) throw Error("cannot create directory: " + errno_text(errno));
  const Fd existing = open_directory(dir, leaf, false, leaf);
  if (::fchmod(existing.get(), mode & ~process_umask()) != 0) throw Error("chmod failed: " + errno_text(errno));
}

void create_symlink(int dir, const std::string& leaf, const std::string& target) {
  if (::symlinkat(target.c_str(), dir, leaf.c_str()) != 0) throw Error("cannot create symlink: " + errno_text(errno));
}

void create_hardlink(int from_dir, const std::string& from_leaf, int dir, const std::string& leaf) {
  struct stat st {};
  if (::fstatat(from_dir, from_leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
    throw Error("hard link target is not a regular file");
  if (::linkat(from_dir, from_leaf.c_str(), dir, leaf.c_str(), 0) != 0)
    throw Error("cannot create hard link: " + errno_text(errno));
}

int DirectoryChain::open(const std::vector<std::string>& parts, std::size_t count, bool create) {
  std::size_t keep = 0;
  while (keep < names_.size() && keep < count && names_[keep] == parts[keep]) ++keep;
  names_.resize(keep);
  fds_.resize(keep);
  ends_.resize(keep);
  path_.resize(keep ? ends_.back() : 0);
  for (std::size_t i = keep; i < count; ++i) {
    path_ += (i ? "/" : "") + parts[i];
    const int at = i == 0 ? root_.get() : fds_.back().get();
    fds_.push_back(open_directory(at, parts[i], create, path_));
    names_.push_back(parts[i]);
    ends_.push_back(path_.size());
    ++opened_;
  }
  return count == 0 ? root_.get() : fds_[count - 1].get();
}

}  // namespace allocpipe
