#include "status.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "tracked.h"

namespace apw {

const char* phase_name(Phase p) {
  switch (p) {
    case Phase::kStartup: return "startup";
    case Phase::kBusy: return "busy";
    case Phase::kQuiet: return "quiet";
    case Phase::kDone: return "done";
  }
  return "?";
}

void emit_line(const std::string& line) {
  std::string s = line + "\n";
  const char* p = s.data();
  size_t left = s.size();
  while (left > 0) {
    const ssize_t n = ::write(STDOUT_FILENO, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
}

void emit_status(double real_ms, int64_t sim_ms, int hour, Phase phase) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "S t_ms=%.1f sim_s=%lld hour=%d phase=%s live=%lld ops=%llu", real_ms,
                static_cast<long long>(sim_ms / 1000), hour, phase_name(phase),
                static_cast<long long>(counters().live_bytes.load(std::memory_order_relaxed)),
                static_cast<unsigned long long>(counters().ops.load(std::memory_order_relaxed)));
  emit_line(buf);
}

}  // namespace apw
