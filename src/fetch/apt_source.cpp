#include "apt_source.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <vector>

#include "error.h"

namespace fs = std::filesystem;

namespace allocpipe {
namespace {

// Runs argv in `cwd` with stdout/stderr appended to `log`; returns the exit status.
int run(const std::vector<std::string>& argv, const fs::path& cwd, const fs::path& log) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) throw Error("fork failed");
  if (pid == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd < 0 || chdir(cwd.c_str()) != 0) _exit(127);
    dup2(fd, 1);
    dup2(fd, 2);
    int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) dup2(null, 0);
    execvp(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw Error("waitpid failed");
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

std::string tail_of(const fs::path& file, std::size_t max_lines) {
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::string out;
  const std::size_t start = lines.size() > max_lines ? lines.size() - max_lines : 0;
  for (std::size_t i = start; i < lines.size(); ++i) out += "\n      " + lines[i];
  return out;
}

}  // namespace

bool has_deb_src_entries(std::string& why_not) {
  static const std::regex one_line(R"(^\s*deb-src\s)");
  static const std::regex deb822(R"(^\s*Types:.*\bdeb-src\b)", std::regex::icase);
  std::vector<fs::path> lists{"/etc/apt/sources.list"};
  std::error_code ec;
  for (const auto& item : fs::directory_iterator("/etc/apt/sources.list.d", ec)) lists.push_back(item.path());
  for (const auto& list : lists) {
    const std::string ext = list.extension().string();
    if (list.filename() != "sources.list" && ext != ".list" && ext != ".sources") continue;
    std::ifstream in(list);
    for (std::string line; std::getline(in, line);)
      if (std::regex_search(line, one_line) || std::regex_search(line, deb822)) return true;
  }
  why_not = "no deb-src entry in /etc/apt/sources.list or /etc/apt/sources.list.d/";
  return false;
}

fs::path apt_download_source(const DebianSource& source, const fs::path& workdir) {
  // apt-get runs as root when packaging: nothing may read as an option.
  if (source.package.empty() || source.package[0] == '-' || source.version.empty() || source.version[0] == '-' ||
      source.file.empty() || source.file.find('/') != std::string::npos)
    throw UsageError("refusing Debian source '" + source.package + "=" + source.version + "' (" + source.file + ")");
  const fs::path log = workdir / "apt-get.log";
  const std::string spec = source.package + "=" + source.version;
  const int status = run({"apt-get", "source", "--download-only", "-q", spec}, workdir, log);
  if (status == 127) throw NotServed("apt-get could not be run" + tail_of(log, 5));
  if (status != 0) throw NotServed("apt-get source exited with " + std::to_string(status) + tail_of(log, 8));
  const fs::path file = workdir / source.file;
  if (!fs::is_regular_file(file))
    throw NotServed("apt-get source succeeded but did not produce " + source.file + tail_of(log, 8));
  return file;
}

}  // namespace allocpipe
