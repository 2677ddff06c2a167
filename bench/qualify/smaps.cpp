#include "smaps.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <sstream>

namespace apq {

std::optional<MemSample> parse_smaps_rollup(const std::string& text) {
  MemSample s;
  bool rss = false;
  bool anon = false;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = line.substr(0, colon);
    int64_t* field = nullptr;
    if (key == "Rss") {
      field = &s.rss_kb;
      rss = true;
    } else if (key == "Anonymous") {
      field = &s.anon_kb;
      anon = true;
    } else if (key == "LazyFree") {
      field = &s.lazyfree_kb;
    } else if (key == "AnonHugePages") {
      field = &s.anon_huge_kb;
    }
    if (field != nullptr) *field = std::strtoll(line.c_str() + colon + 1, nullptr, 10);
  }
  if (!rss || !anon) return std::nullopt;
  return s;
}

namespace {
bool slurp(const std::string& path, std::string& text) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return true;
}
}  // namespace

int64_t count_lines(const std::string& text) {
  int64_t n = 0;
  for (char c : text) n += c == '\n' ? 1 : 0;
  if (!text.empty() && text.back() != '\n') ++n;
  return n;
}

int64_t count_maps(pid_t pid) {
  std::string text;
  if (!slurp("/proc/" + std::to_string(pid) + "/maps", text) || text.empty()) return -1;
  return count_lines(text);
}

int64_t max_map_count() {
  std::string text;
  if (!slurp("/proc/sys/vm/max_map_count", text) || text.empty()) return -1;
  return std::strtoll(text.c_str(), nullptr, 10);
}

std::optional<MemSample> read_smaps_rollup(pid_t pid) {
  std::string text;
  if (!slurp("/proc/" + std::to_string(pid) + "/smaps_rollup", text)) return std::nullopt;
  return parse_smaps_rollup(text);
}

}  // namespace apq
