#include "test_support.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace hosttest {

namespace fs = std::filesystem;

TempDir::TempDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/allocpipe-host-test.XXXXXX";
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ec);
  fs::remove_all(path_, ec);
}

void write_text(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

Child::Child(const std::string& preload) {
  pid_ = ::fork();
  if (pid_ == 0) {
    if (!preload.empty())
      ::setenv("LD_PRELOAD", preload.c_str(), 1);
    else
      ::unsetenv("LD_PRELOAD");
    ::execl("/bin/sleep", "sleep", "60", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Ready once it runs sleep (not our fork any more) and the dynamic loader
  // has mapped libc (after any preload).
  const std::string proc = "/proc/" + std::to_string(pid_);
  const fs::path sleep = fs::canonical("/bin/sleep");
  for (int i = 0; i < 500; ++i) {
    std::error_code ec;
    if (fs::read_symlink(proc + "/exe", ec) == sleep && read_text(proc + "/maps").find("libc.so") != std::string::npos)
      return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

Child::~Child() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

namespace {

std::string drain(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  return out;
}

}  // namespace

Run run(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  TempDir io;
  const fs::path out = io / "out", err = io / "err";
  pid_t pid = ::fork();
  if (pid == 0) {
    int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(o, 1);
    ::dup2(e, 2);
    for (const std::string& kv : env) ::putenv(const_cast<char*>(kv.c_str()));
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  Run r;
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  int fo = ::open(out.c_str(), O_RDONLY), fe = ::open(err.c_str(), O_RDONLY);
  r.out = drain(fo);
  r.err = drain(fe);
  ::close(fo);
  ::close(fe);
  return r;
}

void install_library(const fs::path& dir, const std::string& id, const std::string& allocator,
                     const fs::path& library_file) {
  fs::create_directories(dir);
  const std::string file = "lib" + id + ".so";
  fs::copy_file(library_file, dir / file, fs::copy_options::overwrite_existing);
  write_text(dir / ("lib" + id + ".manifest.json"),
             "{\n  \"allocator\" : \"" + allocator + "\",\n  \"id\" : \"" + id + "\",\n  \"library\" : \"" + file +
                 "\",\n  \"source_sha256\" : \"" + std::string(64, 'a') +
                 "\",\n  \"variant\" : \"secure\",\n  \"version\" : \"1.2.3\"\n}\n");
}

}  // namespace hosttest
