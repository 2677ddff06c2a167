#include "process.h"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace allocpipe::smoke {
namespace {

constexpr std::size_t kCaptureLimit = 8u << 20;  // per stream

// A pipe whose ends close themselves.
class Pipe {
public:
    Pipe() {
        if (::pipe2(fds_, O_CLOEXEC) != 0) fds_[0] = fds_[1] = -1;
    }
    ~Pipe() {
        close_read();
        close_write();
    }
    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;
    bool ok() const { return fds_[0] >= 0; }
    int read_end() const { return fds_[0]; }
    int write_end() const { return fds_[1]; }
    void close_read() { close_fd(fds_[0]); }
    void close_write() { close_fd(fds_[1]); }

private:
    static void close_fd(int& fd) {
        if (fd >= 0) ::close(fd);
        fd = -1;
    }
    int fds_[2];
};

// Owns a started child: if the parent leaves early, the child's process
// group is killed and reaped.
class ChildGuard {
public:
    explicit ChildGuard(pid_t pid) : pid_(pid) {}
    ~ChildGuard() {
        if (pid_ > 0) {
            ::kill(-pid_, SIGKILL);
            int status;
            while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {}
        }
    }
    ChildGuard(const ChildGuard&) = delete;
    ChildGuard& operator=(const ChildGuard&) = delete;
    pid_t pid() const { return pid_; }
    void release() { pid_ = -1; }

private:
    pid_t pid_;
};

const char* signal_name(int sig) {
    switch (sig) {
        case SIGABRT: return "SIGABRT";
        case SIGSEGV: return "SIGSEGV";
        case SIGBUS: return "SIGBUS";
        case SIGILL: return "SIGILL";
        case SIGFPE: return "SIGFPE";
        case SIGKILL: return "SIGKILL";
        case SIGTERM: return "SIGTERM";
        case SIGALRM: return "SIGALRM";
        case SIGTRAP: return "SIGTRAP";
        default: return nullptr;
    }
}

std::vector<std::string> child_environment(const Command& cmd) {
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) {
        const std::string entry = *e;
        const std::string name = entry.substr(0, entry.find('='));
        if (!is_scrubbed_variable(name, cmd.scrub)) env.push_back(entry);
    }
    if (!cmd.preload.empty()) env.push_back("LD_PRELOAD=" + cmd.preload);
    for (const auto& [k, v] : cmd.env) env.push_back(k + "=" + v);
    return env;
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
    std::vector<char*> out;
    for (auto& s : v) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

// Reads what is available; returns false at end of file.
bool drain(int fd, std::string& into) {
    char buf[65536];
    while (true) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n > 0) {
            if (into.size() < kCaptureLimit) into.append(buf, static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return true;
        return false;  // EOF or error
    }
}

}  // namespace

bool is_scrubbed_variable(const std::string& name, const std::vector<std::string>& scrub) {
    // Not allocator families': the preload itself, glibc's malloc tunables
    // (GLIBC_TUNABLES, MALLOC_ARENA_MAX & co.) and the real-program check's
    // interpreter settings.
    if (name == "LD_PRELOAD" || name == "GLIBC_TUNABLES" || name.rfind("MALLOC_", 0) == 0 ||
        name.rfind("PYTHON", 0) == 0) {
        return true;
    }
    for (const auto& s : scrub) {
        if (!s.empty() && s.back() == '*') {
            if (name.compare(0, s.size() - 1, s, 0, s.size() - 1) == 0) return true;
        } else if (name == s) {
            return true;
        }
    }
    return false;
}

std::string ProcessResult::status_text(int timeout_seconds) const {
    if (!started) return "could not start: " + start_error;
    if (timed_out) return "timed out after " + std::to_string(timeout_seconds) + " s (killed)";
    if (exited) return "exited " + std::to_string(exit_code);
    const char* name = signal_name(term_signal);
    return std::string("killed by ") + (name ? name : "signal " + std::to_string(term_signal));
}

std::string describe_command(const Command& cmd) {
    std::string s;
    if (!cmd.preload.empty()) s += "LD_PRELOAD=" + cmd.preload + " ";
    for (const auto& [k, v] : cmd.env) s += k + "=" + v + " ";
    for (const auto& e : cmd.emulator) s += e + " ";
    for (std::size_t i = 0; i < cmd.argv.size(); ++i) {
        if (i) s += ' ';
        s += cmd.argv[i];
    }
    return s;
}

ProcessResult run_process(const Command& cmd) {
    ProcessResult result;
    Pipe out, err, exec_status;
    if (!out.ok() || !err.ok() || !exec_status.ok()) {
        result.start_error = "pipe(): " + std::string(std::strerror(errno));
        return result;
    }
    std::vector<std::string> argv_storage = cmd.emulator;
    argv_storage.insert(argv_storage.end(), cmd.argv.begin(), cmd.argv.end());
    std::vector<std::string> env_storage = child_environment(cmd);
    std::vector<char*> argv = c_strings(argv_storage);
    std::vector<char*> envp = c_strings(env_storage);

    const pid_t pid = ::fork();
    if (pid < 0) {
        result.start_error = "fork(): " + std::string(std::strerror(errno));
        return result;
    }
    if (pid == 0) {
        // Child: own process group (so a timeout kills grandchildren too).
        ::setpgid(0, 0);
        ::dup2(out.write_end(), STDOUT_FILENO);
        ::dup2(err.write_end(), STDERR_FILENO);
        const int devnull = ::open("/dev/null", O_RDONLY);
        if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
        ::execve(argv[0], argv.data(), envp.data());
        const int e = errno;
        (void)!::write(exec_status.write_end(), &e, sizeof e);
        ::_exit(127);
    }
    ChildGuard guard(pid);
    ::setpgid(pid, pid);  // also from the parent, to avoid a race with kill(-pid)
    out.close_write();
    err.close_write();
    exec_status.close_write();

    int exec_errno = 0;
    if (::read(exec_status.read_end(), &exec_errno, sizeof exec_errno) ==
        static_cast<ssize_t>(sizeof exec_errno)) {
        result.start_error = "cannot execute " + argv_storage[0] + ": " + std::strerror(exec_errno);
        return result;  // guard reaps the child
    }
    result.started = true;
    ::fcntl(out.read_end(), F_SETFL, O_NONBLOCK);
    ::fcntl(err.read_end(), F_SETFL, O_NONBLOCK);

    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(cmd.timeout_seconds);
    bool out_open = true, err_open = true;
    int status = 0;
    bool reaped = false;
    while (!reaped) {
        pollfd fds[2] = {{out_open ? out.read_end() : -1, POLLIN, 0},
                         {err_open ? err.read_end() : -1, POLLIN, 0}};
        ::poll(fds, 2, 100);
        if (out_open && !drain(out.read_end(), result.out)) out_open = false;
        if (err_open && !drain(err.read_end(), result.err)) err_open = false;
        const pid_t w = ::waitpid(pid, &status, WNOHANG);
        if (w == pid) {
            reaped = true;
        } else if (std::chrono::steady_clock::now() > deadline) {
            result.timed_out = true;
            ::kill(-pid, SIGKILL);
            while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
            reaped = true;
        }
    }
    guard.release();
    // The child is gone: what it wrote is in the pipes. Grandchildren that
    // still hold the pipes open are not waited for.
    if (out_open) drain(out.read_end(), result.out);
    if (err_open) drain(err.read_end(), result.err);

    if (WIFEXITED(status)) {
        result.exited = true;
        result.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        result.term_signal = WTERMSIG(status);
    }
    return result;
}

}  // namespace allocpipe::smoke
