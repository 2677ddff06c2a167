// A child process started with a chosen environment and its stdout on a
// pipe. RAII: a child still running when the object dies is killed and reaped.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "cli.h"

namespace apq {

struct ExitInfo {
  int status = 0;  // as from wait4
  struct rusage usage {};
  bool exited_ok() const;
  std::string describe() const;  // "exit 0", "killed by signal 9"
};

class Child {
 public:
  // Starts argv[0] with the current environment minus LD_PRELOAD and any
  // variable in `env`, plus `env` (and LD_PRELOAD=preload when not empty).
  // stderr goes to stderr_path (truncated). Throws std::runtime_error.
  Child(const std::vector<std::string>& argv, const std::string& preload, const EnvList& env,
        const std::string& stderr_path);
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  int stdout_fd() const { return out_fd_; }
  void close_stdout();
  void kill_now();
  ExitInfo wait();  // blocks; once

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  bool reaped_ = false;
};

// Environment for a child: the runner's own, without LD_PRELOAD and without
// the arm's keys, then the arm's env and LD_PRELOAD. Exposed for tests.
std::vector<std::string> child_environment(const std::string& preload, const EnvList& env);

}  // namespace apq
