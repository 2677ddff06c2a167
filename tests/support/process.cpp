#include "process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "raw_tar.h"

namespace allocpipe::test {

Process::Process(const std::vector<std::string>& argv, const std::filesystem::path& log, const Options& options)
    : log_(log) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) _exit(126);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    const int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, 0);
    if (options.file_size_limit) {
      ::signal(SIGXFSZ, SIG_IGN);  // inherited across exec: writes past the limit fail with EFBIG
      const rlimit limit{*options.file_size_limit, *options.file_size_limit};
      if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) _exit(125);
    }
    ::execv(args[0], args.data());
    _exit(127);
  }
}

Process::~Process() {
  if (!reaped_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

void Process::kill(int signal) { ::kill(pid_, signal); }

ExitStatus Process::wait() {
  ExitStatus result;
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0)
    if (errno != EINTR) throw std::runtime_error("waitpid failed");
  reaped_ = true;
  if (WIFEXITED(status)) result.code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  result.output = read_file(log_);
  return result;
}

ExitStatus run_process(const std::vector<std::string>& argv, const std::filesystem::path& log,
                       const Process::Options& options) {
  Process process(argv, log, options);
  return process.wait();
}

std::string fetch_binary() {
  if (const char* env = std::getenv("ALLOCPIPE_FETCH_BINARY"); env && *env) return env;
#ifdef ALLOCPIPE_FETCH_BINARY
  return ALLOCPIPE_FETCH_BINARY;
#else
  throw std::runtime_error("set ALLOCPIPE_FETCH_BINARY to the allocpipe-fetch binary");
#endif
}

bool blocked_on_flock(pid_t pid) {
  std::ifstream locks("/proc/locks");
  const std::string needle = " " + std::to_string(pid) + " ";
  for (std::string line; std::getline(locks, line);)
    if (line.find("->") != std::string::npos && line.find("FLOCK") != std::string::npos &&
        line.find(needle) != std::string::npos)
      return true;
  return false;
}

}  // namespace allocpipe::test
