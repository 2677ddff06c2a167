#include "probe.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "error.h"
#include "fs.h"
#include "procfs.h"

namespace allocpipe::host {

bool maps_library(const std::string& maps_text, const std::string& library_path) {
  struct stat st {};
  const bool have_file = ::stat(library_path.c_str(), &st) == 0;
  char device[32];
  std::snprintf(device, sizeof device, "%02x:%02x", major(st.st_dev), minor(st.st_dev));
  for (const Mapping& m : parse_maps(maps_text, "maps")) {
    if (m.path == library_path) return true;
    if (have_file && m.inode == st.st_ino && m.device == device && !m.deleted) return true;
  }
  return false;
}

int run_probe_mapped(const std::string& library_path) {
  // Exercise the allocator a little, the way any program starts.
  std::vector<void*> blocks;
  for (std::size_t size = 8; size < (1u << 22); size *= 3) blocks.push_back(std::malloc(size));
  for (void* p : blocks) std::free(p);
  auto maps = read_if_exists("/proc/self/maps");
  if (!maps) {
    std::fprintf(stderr, "cannot read /proc/self/maps\n");
    return 2;
  }
  if (!maps_library(*maps, library_path)) {
    std::fprintf(stderr, "%s is not mapped in a process started with LD_PRELOAD=%s\n", library_path.c_str(),
                 library_path.c_str());
    return 1;
  }
  return 0;
}

ProbeResult probe_preload(const std::string& library_path, const std::filesystem::path& probe_program,
                          int timeout_seconds) {
  ProbeResult result;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw SystemError(errno_text("pipe for the preload probe", errno));
  Fd read_end(fds[0]), write_end(fds[1]);
  const std::string preload = "LD_PRELOAD=" + library_path;
  const std::string program = probe_program.string();
  pid_t pid = ::fork();
  if (pid < 0) throw SystemError(errno_text("fork for the preload probe", errno));
  if (pid == 0) {
    ::dup2(write_end.get(), 1);
    ::dup2(write_end.get(), 2);
    ::setpgid(0, 0);
    char* argv[] = {const_cast<char*>(program.c_str()), const_cast<char*>("__probe-mapped"),
                    const_cast<char*>(library_path.c_str()), nullptr};
    char path_env[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
    char* envp[] = {const_cast<char*>(preload.c_str()), path_env, nullptr};
    ::execve(program.c_str(), argv, envp);
    std::fprintf(stderr, "cannot run %s: %s\n", program.c_str(), std::strerror(errno));
    ::_exit(127);
  }
  write_end.reset();
  std::string output;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  bool timed_out = false;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{read_end.get(), POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    char buf[4096];
    ssize_t n = ::read(read_end.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (output.size() < 16384) output.append(buf, static_cast<std::size_t>(n));
  }
  if (timed_out) ::kill(-pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  while (!output.empty() && (output.back() == '\n' || output.back() == ' ')) output.pop_back();
  const std::string said = output.empty() ? "" : "; it said: " + output;
  if (timed_out) {
    result.reason = "a process preloading it did not finish within " + std::to_string(timeout_seconds) + " s" + said;
  } else if (WIFSIGNALED(status)) {
    result.reason = std::string("a process preloading it was killed by SIG") + sigabbrev_np(WTERMSIG(status)) +
                    (WCOREDUMP(status) ? " (core dumped)" : "") + said;
  } else if (WEXITSTATUS(status) != 0) {
    result.reason = "a process preloading it exited with status " + std::to_string(WEXITSTATUS(status)) + said;
  } else {
    result.ok = true;
  }
  return result;
}

}  // namespace allocpipe::host
