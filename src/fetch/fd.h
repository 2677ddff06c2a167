// The fetcher's one file-descriptor type and its few I/O helpers: every
// open(2) result lives in an Fd (closed exactly once, moved never copied),
// every write goes through write_all (short writes and EINTR), every read
// through read_some (EINTR).
#pragma once
#include <sys/types.h>

#include <cstddef>
#include <filesystem>
#include <string>
#include <utility>

namespace allocpipe {

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) noexcept : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  // Closes now and reports close(2)'s errno (0 on success): for files whose
  // last write errors only show at close.
  int close() noexcept;

 private:
  void reset() noexcept;
  int fd_ = -1;
};

// Writes all `size` bytes, retrying on EINTR and after short writes.
// Returns 0, or the errno that stopped it (ENOSPC when write(2) returned 0).
int write_all(int fd, const void* data, std::size_t size) noexcept;

// read(2), retried on EINTR. Returns the byte count (0 at the end) or -1 with errno.
ssize_t read_some(int fd, void* buffer, std::size_t size) noexcept;

// Opens `path` for reading only if it is a regular file. A FIFO, a device or
// a socket is refused without being read: it is checked with stat first,
// then opened with O_NONBLOCK | O_NOCTTY (so a FIFO swapped in meanwhile
// cannot block the open) and checked again on the descriptor. Returns an
// invalid Fd and sets `why` when refused or not openable.
Fd open_regular_file(const std::filesystem::path& path, std::string& why);

std::string errno_text(int error);

}  // namespace allocpipe
