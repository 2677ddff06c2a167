// Helpers shared by the allocpipe-host unit tests: throwaway directories,
// child processes with a real LD_PRELOAD, running the real binary.
#pragma once
#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace hosttest {

// A fresh directory under $TMPDIR, removed with everything in it at scope exit.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

void write_text(const std::filesystem::path& path, const std::string& text);
std::string read_text(const std::filesystem::path& path);

// A child `sleep 60` started with LD_PRELOAD=<preload> (or none), killed at scope exit.
class Child {
 public:
  explicit Child(const std::string& preload);
  ~Child();
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

struct Run {
  int status = -1;  // exit status, or 128 + signal
  std::string out, err;
};
// Runs `argv` with extra environment entries ("NAME=value") and captures its output.
Run run(const std::vector<std::string>& argv, const std::vector<std::string>& env = {});

// A library directory holding one manifest + library file for `id`.
void install_library(const std::filesystem::path& dir, const std::string& id, const std::string& allocator,
                     const std::filesystem::path& library_file);

}  // namespace hosttest
