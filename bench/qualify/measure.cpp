#include "measure.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "child.h"
#include "family.h"

namespace apq {
namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

double to_d(const std::map<std::string, std::string>& f, const char* key) {
  const auto it = f.find(key);
  return it == f.end() ? 0.0 : std::strtod(it->second.c_str(), nullptr);
}

// Splits what arrives on the pipe into lines.
class LineReader {
 public:
  explicit LineReader(int fd) : fd_(fd) {}
  // Reads what is available; returns false at EOF.
  bool pump(std::vector<std::string>& lines) {
    char buf[8192];
    const ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n < 0) return errno == EINTR || errno == EAGAIN;
    if (n == 0) return false;
    pending_.append(buf, static_cast<size_t>(n));
    size_t nl;
    while ((nl = pending_.find('\n')) != std::string::npos) {
      lines.push_back(pending_.substr(0, nl));
      pending_.erase(0, nl + 1);
    }
    return true;
  }

 private:
  int fd_;
  std::string pending_;
};

}  // namespace

std::map<std::string, std::string> parse_fields(const std::string& line) {
  std::map<std::string, std::string> f;
  std::istringstream in(line);
  std::string tok;
  in >> tok;  // tag
  while (in >> tok) {
    const size_t eq = tok.find('=');
    if (eq != std::string::npos) f[tok.substr(0, eq)] = tok.substr(eq + 1);
  }
  return f;
}

RunRecord measure_run(const Arm& arm, const RunPlan& plan, const std::string& stderr_path) {
  RunRecord rec;
  rec.arm = arm.name;
  rec.stderr_path = stderr_path;
  const Clock::time_point start = Clock::now();
  Child child(plan.argv, arm.library, arm.env, stderr_path);
  LineReader reader(child.stdout_fd());

  Sample status;  // latest status from the workload
  status.phase = "startup";
  double status_t = 0;       // when it arrived
  double sim_h_per_s = 0;    // simulated hours per real second (from the C line)
  bool done = false;
  bool eof = false;
  bool timed_out = false;
  double next_sample = 0;
  while (!eof) {
    const double now = since(start);
    if (now > plan.timeout_s) {
      timed_out = true;
      child.kill_now();
      break;
    }
    // After "done" the workload tears down; only its last lines are awaited.
    const int wait_ms = done ? 200 : static_cast<int>(std::max(0.0, (next_sample - now) * 1000.0));
    pollfd p{child.stdout_fd(), POLLIN, 0};
    const int pr = ::poll(&p, 1, wait_ms);
    if (pr > 0) {
      std::vector<std::string> lines;
      eof = !reader.pump(lines);
      for (const auto& line : lines) {
        if (line.rfind("S ", 0) == 0) {
          const auto f = parse_fields(line);
          status.sim_h = to_d(f, "sim_s") / 3600.0;
          status.hour = static_cast<int>(to_d(f, "hour"));
          status.phase = f.count("phase") ? f.at("phase") : "?";
          status.live_bytes = static_cast<int64_t>(to_d(f, "live"));
          status.ops = static_cast<uint64_t>(to_d(f, "ops"));
          status_t = since(start);
          if (status.phase == "done") done = true;
        } else if (line.rfind("A ", 0) == 0) {
          rec.banner = line.substr(line.find('=') + 1);
        } else if (line.rfind("C ", 0) == 0) {
          rec.config = parse_fields(line);
          sim_h_per_s = to_d(rec.config, "time_scale") / 3600.0;
        } else if (line.rfind("D ", 0) == 0) {
          rec.done = parse_fields(line);
        } else if (line.rfind("E ", 0) == 0) {
          rec.live_end = static_cast<int64_t>(to_d(parse_fields(line), "live_end"));
        }
      }
    }
    if (!done && !eof && since(start) >= next_sample) {
      if (auto m = read_smaps_rollup(child.pid())) {
        Sample s = status;
        s.t_s = since(start);
        if (status.phase != "startup") s.sim_h += (s.t_s - status_t) * sim_h_per_s;  // between status lines
        s.mem = *m;
        s.maps = count_maps(child.pid());
        rec.samples.push_back(s);
      }
      next_sample += plan.sample_ms / 1000.0;
      if (next_sample < since(start)) next_sample = since(start) + plan.sample_ms / 1000.0;
    }
  }
  child.close_stdout();
  const ExitInfo info = child.wait();
  rec.wall_s = since(start);
  rec.exit = info.describe();
  rec.cpu_user_s = static_cast<double>(info.usage.ru_utime.tv_sec) + info.usage.ru_utime.tv_usec / 1e6;
  rec.cpu_sys_s = static_cast<double>(info.usage.ru_stime.tv_sec) + info.usage.ru_stime.tv_usec / 1e6;
  rec.maxrss_kb = info.usage.ru_maxrss;
  if (timed_out) {
    rec.error = "timed out after " + std::to_string(static_cast<int>(plan.timeout_s)) + " s (see --run-timeout)";
  } else if (!info.exited_ok()) {
    rec.error = "workload " + rec.exit + " (stderr: " + stderr_path + ")";
  } else if (rec.done.empty()) {
    rec.error = "workload ended without its final D line";
  } else if (rec.live_end != 0) {
    rec.error = "workload reported live_end=" + std::to_string(rec.live_end) + " after tear-down";
  }
  return rec;
}

std::string probe_banner(const Arm& arm, const std::vector<std::string>& launcher, const std::string& workload,
                         const std::string& stderr_path) {
  // Every family's start-up self-description (recipes/<family>/identity.cpp);
  // which family the library is does not matter here.
  EnvList env = arm.env;
  for (const auto* family : allocpipe::family::all()) {
    for (const auto& [name, value] : family->banner_env) env.emplace_back(name, value);
  }
  std::string banner;
  {
    std::vector<std::string> argv = launcher;
    argv.insert(argv.end(), {workload, "--probe"});
    Child child(argv, arm.library, env, stderr_path);
    LineReader reader(child.stdout_fd());
    std::vector<std::string> lines;
    while (reader.pump(lines)) {
    }
    child.close_stdout();
    const ExitInfo info = child.wait();
    for (const auto& l : lines) {
      if (l.rfind("A allocator=", 0) == 0) banner = l.substr(12);
    }
    if (!info.exited_ok()) banner += " [probe " + info.describe() + "]";
  }
  std::ifstream err(stderr_path);
  std::string line;
  while (std::getline(err, line)) {
    for (const auto* family : allocpipe::family::all()) {
      if (family->banner_marker == nullptr) continue;
      const size_t at = line.find(family->banner_marker);
      if (at != std::string::npos) banner += ", " + line.substr(at);
    }
  }
  return banner.empty() ? "unknown" : banner;
}

}  // namespace apq
