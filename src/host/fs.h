// One file-descriptor type, one write-all helper and the atomic replace used
// for every file allocpipe-host changes on a host (journal, drop-ins, AppArmor
// local rules, metrics): temp file in the same directory, fsync, rename,
// fsync the directory. A crash leaves the old file or the new one, never half.
#pragma once
#include <filesystem>
#include <optional>
#include <string>

namespace allocpipe::host {

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = other.release();
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset();

 private:
  int fd_ = -1;
};

void write_all(int fd, const std::string& data, const std::string& what);
void fsync_dir(const std::filesystem::path& dir);

// Replaces `path` by `content` atomically and durably (mode 0644).
void atomic_write(const std::filesystem::path& path, const std::string& content);
// Removes `path` (if present) and fsyncs its directory.
void durable_remove(const std::filesystem::path& path);

std::string read_file(const std::filesystem::path& path);
// The content, or nothing when the file does not exist (other errors throw).
std::optional<std::string> read_if_exists(const std::filesystem::path& path);

// Throws Refused naming `dir` when a file cannot be created in it (read-only
// mount, permissions): checked before anything is changed.
void require_writable_dir(const std::filesystem::path& dir, const std::string& purpose);

// mkdir -p with mode 0755, each created level fsynced into its parent.
void make_dirs(const std::filesystem::path& dir);

}  // namespace allocpipe::host
