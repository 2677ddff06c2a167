#include "child.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace apq {

bool ExitInfo::exited_ok() const { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }

std::string ExitInfo::describe() const {
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("killed by signal ") + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

std::vector<std::string> child_environment(const std::string& preload, const EnvList& env) {
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string kv = *e;
    const std::string key = kv.substr(0, kv.find('='));
    bool drop = key == "LD_PRELOAD";
    for (const auto& [k, v] : env) drop = drop || key == k;
    if (!drop) out.push_back(kv);
  }
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  if (!preload.empty()) out.push_back("LD_PRELOAD=" + preload);
  return out;
}

Child::Child(const std::vector<std::string>& argv, const std::string& preload, const EnvList& env,
             const std::string& stderr_path) {
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  const int err_fd = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (err_fd < 0) {
    ::close(pipefd[0]);
    ::close(pipefd[1]);
    throw std::runtime_error("cannot open " + stderr_path + ": " + std::strerror(errno));
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&fa, err_fd, STDERR_FILENO);
  posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);

  std::vector<std::string> envs = child_environment(preload, env);
  std::vector<char*> cargv;
  std::vector<char*> cenv;
  for (const auto& s : argv) cargv.push_back(const_cast<char*>(s.c_str()));
  cargv.push_back(nullptr);
  for (const auto& s : envs) cenv.push_back(const_cast<char*>(s.c_str()));
  cenv.push_back(nullptr);

  const int rc = ::posix_spawn(&pid_, cargv[0], &fa, nullptr, cargv.data(), cenv.data());
  posix_spawn_file_actions_destroy(&fa);
  ::close(pipefd[1]);
  ::close(err_fd);
  if (rc != 0) {
    ::close(pipefd[0]);
    pid_ = -1;
    throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
  }
  out_fd_ = pipefd[0];
}

Child::~Child() {
  if (pid_ > 0 && !reaped_) {
    ::kill(pid_, SIGKILL);
    int st = 0;
    while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
    }
  }
  close_stdout();
}

void Child::close_stdout() {
  if (out_fd_ >= 0) ::close(out_fd_);
  out_fd_ = -1;
}

void Child::kill_now() {
  if (pid_ > 0 && !reaped_) ::kill(pid_, SIGKILL);
}

ExitInfo Child::wait() {
  ExitInfo info;
  if (pid_ <= 0 || reaped_) return info;
  while (::wait4(pid_, &info.status, 0, &info.usage) < 0) {
    if (errno != EINTR) throw std::runtime_error(std::string("wait4: ") + std::strerror(errno));
  }
  reaped_ = true;
  return info;
}

}  // namespace apq
