#include "fs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "error.h"

namespace allocpipe::host {

namespace fs = std::filesystem;

std::string errno_text(const std::string& context, int err) { return context + ": " + std::strerror(err); }

void Fd::reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void write_all(int fd, const std::string& data, const std::string& what) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw SystemError(errno_text("writing " + what, errno));
    done += static_cast<std::size_t>(n);
  }
}

void fsync_dir(const fs::path& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) throw SystemError(errno_text("opening directory " + dir.string(), errno));
  if (::fsync(fd.get()) != 0) throw SystemError(errno_text("fsync of directory " + dir.string(), errno));
}

namespace {

// Fresh randomness on every call (not a seeded generator: a forked child
// would repeat its parent's names), plus the pid.
std::string random_suffix() {
  static const char digits[] = "0123456789abcdef";
  std::random_device device;
  std::string s = std::to_string(::getpid()) + ".";
  for (int i = 0; i < 3; ++i) {
    unsigned v = device();
    for (int j = 0; j < 4; ++j, v >>= 4) s.push_back(digits[v % 16]);
  }
  return s;
}

fs::path parent_of(const fs::path& path) {
  fs::path dir = path.parent_path();
  return dir.empty() ? fs::path(".") : dir;
}

}  // namespace

void atomic_write(const fs::path& path, const std::string& content) {
  const fs::path dir = parent_of(path);
  const fs::path temp = dir / ("." + path.filename().string() + "." + random_suffix() + ".tmp");
  Fd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644));
  if (!fd) throw SystemError(errno_text("creating " + temp.string() + " (to replace " + path.string() + ")", errno));
  try {
    if (::fchmod(fd.get(), 0644) != 0) throw SystemError(errno_text("chmod " + temp.string(), errno));
    write_all(fd.get(), content, temp.string());
    if (::fsync(fd.get()) != 0) throw SystemError(errno_text("fsync " + temp.string(), errno));
    fd.reset();
    if (::rename(temp.c_str(), path.c_str()) != 0)
      throw SystemError(errno_text("renaming " + temp.string() + " to " + path.string(), errno));
  } catch (...) {
    ::unlink(temp.c_str());
    throw;
  }
  fsync_dir(dir);
}

void durable_remove(const fs::path& path) {
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return;
    throw SystemError(errno_text("removing " + path.string(), errno));
  }
  fsync_dir(parent_of(path));
}

std::optional<std::string> read_if_exists(const fs::path& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
    throw SystemError(errno_text("opening " + path.string(), errno));
  }
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw SystemError(errno_text("reading " + path.string(), errno));
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

std::string read_file(const fs::path& path) {
  auto content = read_if_exists(path);
  if (!content) throw SystemError(path.string() + ": no such file");
  return *content;
}

void require_writable_dir(const fs::path& dir, const std::string& purpose) {
  fs::path probe = dir;
  // The nearest existing ancestor is where a file would be created first.
  while (!probe.empty() && ::access(probe.c_str(), F_OK) != 0 && probe != probe.parent_path())
    probe = probe.parent_path();
  Fd fd(::open(probe.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600));
  if (fd) return;
  int err = errno;
  if (err == EOPNOTSUPP || err == EISDIR) {  // no O_TMPFILE on this file system: a named probe
    const fs::path name = probe / (".allocpipe-probe." + random_suffix());
    Fd named(::open(name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (named) {
      ::unlink(name.c_str());
      return;
    }
    err = errno;
  }
  throw Refused(errno_text("cannot write " + purpose + " in " + dir.string() + " (tried " + probe.string() + ")", err) +
                "; nothing was changed");
}

void make_dirs(const fs::path& dir) {
  if (dir.empty() || ::access(dir.c_str(), F_OK) == 0) return;
  make_dirs(dir.parent_path());
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
    throw SystemError(errno_text("creating directory " + dir.string(), errno));
  fsync_dir(parent_of(dir));
}

}  // namespace allocpipe::host
