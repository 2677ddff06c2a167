#include "sysinfo.h"

#include <gnu/libc-version.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <ctime>
#include <fstream>

namespace apq {
namespace {

std::string first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return "unavailable";
  return line;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const size_t c = line.find(':');
      return c == std::string::npos ? line : line.substr(c + 2);
    }
  }
  return "unknown";
}

}  // namespace

std::vector<std::pair<std::string, std::string>> system_info() {
  std::vector<std::pair<std::string, std::string>> info;
  struct utsname u {};
  ::uname(&u);
  info.emplace_back("kernel", std::string(u.sysname) + " " + u.release + " " + u.machine);
  info.emplace_back("THP enabled", first_line("/sys/kernel/mm/transparent_hugepage/enabled"));
  info.emplace_back("THP defrag", first_line("/sys/kernel/mm/transparent_hugepage/defrag"));
  info.emplace_back("CPU", cpu_model());
  info.emplace_back("online CPUs", std::to_string(::sysconf(_SC_NPROCESSORS_ONLN)));
  info.emplace_back("glibc", gnu_get_libc_version());
  info.emplace_back("load average at start", first_line("/proc/loadavg"));
  char date[64];
  const std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S UTC", std::gmtime(&now));
  info.emplace_back("date", date);
  return info;
}

}  // namespace apq
