// Runs a program (the real allocpipe-fetch binary) as a child process for
// tests that need a separate process: concurrency, kill -9, RLIMIT_FSIZE.
#pragma once
#include <sys/resource.h>
#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace allocpipe::test {

struct ExitStatus {
  int code = -1;    // exit code, or -1 when killed by a signal
  int signal = 0;   // the signal that ended it, if any
  std::string output;  // stdout and stderr together
};

class Process {
 public:
  struct Options {
    std::optional<rlim_t> file_size_limit;  // RLIMIT_FSIZE, with SIGXFSZ ignored: writes fail with EFBIG
  };
  // Starts `argv` with stdout and stderr going to `log`.
  Process(const std::vector<std::string>& argv, const std::filesystem::path& log, const Options& options);
  Process(const std::vector<std::string>& argv, const std::filesystem::path& log) : Process(argv, log, Options{}) {}
  ~Process();  // kills (SIGKILL) and reaps a child still running
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  void kill(int signal);
  ExitStatus wait();

 private:
  pid_t pid_ = -1;
  std::filesystem::path log_;
  bool reaped_ = false;
};

ExitStatus run_process(const std::vector<std::string>& argv, const std::filesystem::path& log,
                       const Process::Options& options = {});

// The allocpipe-fetch binary under test: $ALLOCPIPE_FETCH_BINARY, else the
// path CMake compiled in.
std::string fetch_binary();

// True while `pid` waits for a flock (a "->" line in /proc/locks).
bool blocked_on_flock(pid_t pid);

}  // namespace allocpipe::test
