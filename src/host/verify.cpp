#include "verify.h"

#include <algorithm>
#include <filesystem>
#include <thread>

#include "error.h"
#include "probe.h"
#include "status.h"
#include "unit_log.h"
#include "units.h"

namespace allocpipe::host {

namespace {

// How long a library may take to appear in a new process's maps: the
// loader's work between execve and main, slow only on a loaded host.
constexpr std::chrono::milliseconds kLoaderSettle{5000};

struct Watched {
  const Expectation* e;
  std::uint32_t pid = 0, restarts = 0;
  std::string reason;
};

std::string state_text(const UnitInfo& info) {
  return "ActiveState=" + info.active_state + " SubState=" + info.sub_state +
         " MainPID=" + std::to_string(info.main_pid) + " NRestarts=" + std::to_string(info.n_restarts);
}

// For Type=simple the restart job ends right after fork: MainPID may still be
// systemd's forked child (or systemd-executor) that has not exec'd the
// service, whose maps are not the service's. Wait (bounded) for the exec.
void wait_for_exec(std::uint32_t pid) {
  std::error_code ec;
  const auto manager = std::filesystem::read_symlink("/proc/1/exe", ec);
  const std::string proc_exe = "/proc/" + std::to_string(pid) + "/exe";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    const auto exe = std::filesystem::read_symlink(proc_exe, ec);
    if (ec) return;  // gone, or not ours to read: the checks below say so
    if (exe != manager && exe.filename() != "systemd-executor") return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// The first check right after the restart job ended.
std::string check_started(Systemd& systemd, const Expectation& e, const Installed& installed,
                          const std::filesystem::path& unit_dir, Watched& w) {
  if (e.job_result != "done") return "its restart job ended with result '" + e.job_result + "' (expected 'done')";
  UnitInfo info = systemd.unit(e.unit);
  w.pid = info.main_pid;
  w.restarts = info.n_restarts;
  if (!info.running()) return "not active after the restart (" + state_text(info) + "; expected active)";
  if (info.main_pid == 0) return "active but has no main process (expected a MainPID to inspect)";
  if (info.main_pid == e.old_pid) return "MainPID is still " + std::to_string(e.old_pid) + " (expected a new process)";
  wait_for_exec(info.main_pid);
  UnitStatus s = inspect_settled(info, installed, our_drop_in_loaded(info, unit_dir), e.library, kLoaderSettle);
  if (e.library) {
    for (const std::string& m : s.missing)
      if (m == *e.library)
        return "MainPID " + std::to_string(info.main_pid) + " does not map " + *e.library + " (expected it mapped)";
    bool configured = false;
    for (const std::string& c : s.configured) configured = configured || c == *e.library;
    if (!configured)
      return "its environment does not preload " + *e.library +
             " after the reload (another drop-in overrides LD_PRELOAD?)";
  } else if (s.match && !*s.match) {
    return "MainPID " + std::to_string(info.main_pid) + " maps " +
           (s.mapped_library.empty() ? std::string("no allocator (glibc)") : s.mapped_library) +
           ", expected what its configuration preloads (" +
           (s.configured.empty() ? std::string("nothing") : s.configured.front()) + ")";
  }
  return "";
}

}  // namespace

UnitStatus inspect_settled(const UnitInfo& info, const Installed& installed, bool our_drop_in_loaded,
                           const std::optional<std::string>& library, std::chrono::milliseconds budget) {
  const auto deadline = std::chrono::steady_clock::now() + budget;
  for (;;) {
    UnitStatus s = inspect_unit(info, installed, our_drop_in_loaded, realtime_usec());
    const bool loading =
        library ? std::find(s.missing.begin(), s.missing.end(), *library) != s.missing.end() : s.match && !*s.match;
    if (!loading || !s.problem.empty() || std::chrono::steady_clock::now() >= deadline) return s;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::map<std::string, std::string> verify_units(Systemd& systemd, const std::vector<Expectation>& expected,
                                                const Installed& installed, const std::filesystem::path& unit_dir,
                                                std::uint64_t since_usec, std::chrono::seconds health, Reporter& out,
                                                const std::string& label) {
  std::vector<Watched> watched;
  for (const Expectation& e : expected) {
    Watched w;
    w.e = &e;
    w.reason = check_started(systemd, e, installed, unit_dir, w);
    watched.push_back(w);
  }
  // The health window: same process, still active, no automatic restart.
  const auto start = std::chrono::steady_clock::now();
  const auto end = start + health;
  while (std::chrono::steady_clock::now() < end) {
    std::size_t up = 0;
    for (Watched& w : watched) {
      if (!w.reason.empty()) continue;
      UnitInfo info = systemd.unit(w.e->unit);
      if (!info.running() || info.main_pid != w.pid || info.n_restarts != w.restarts) {
        const auto after =
            std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start).count();
        w.reason = "did not stay up for the " + std::to_string(health.count()) + " s health window: after " +
                   std::to_string(after) + " s " + state_text(info) + " (expected MainPID " + std::to_string(w.pid) +
                   ", active, NRestarts " + std::to_string(w.restarts) + ")";
      } else {
        ++up;
      }
    }
    const auto left = std::chrono::duration_cast<std::chrono::seconds>(end - std::chrono::steady_clock::now()).count();
    out.progress(label + ": health window, " + std::to_string(up) + " of " + std::to_string(watched.size()) + " up, " +
                 std::to_string(left) + " s left");
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  std::map<std::string, std::string> result;
  for (Watched& w : watched) {
    // What the loader said since the restart: a failure even when the unit runs.
    UnitLog log = read_unit_log(w.e->unit, since_usec);
    if (!log.loader_errors.empty()) {
      const std::string loader = "the dynamic loader reported: " + log.loader_errors.front();
      w.reason = w.reason.empty() ? loader : w.reason + "; " + loader;
    }
    if (w.reason.empty() && health.count() > 0) {
      // still mapping it at the end of the window
      Watched again;
      std::string late =
          check_started(systemd, Expectation{w.e->unit, w.e->library, 0, "done"}, installed, unit_dir, again);
      if (late.empty() && again.pid != w.pid) late = "MainPID changed during the health window";
      w.reason = late;
    }
    if (!w.reason.empty()) {
      if (!log.problem.empty()) w.reason += "; " + log.problem;
      if (!log.last_lines.empty()) {
        w.reason += "; its last journal lines:";
        for (const std::string& line : log.last_lines) w.reason += "\n    " + line;
      }
    }
    result[w.e->unit] = w.reason;
  }
  return result;
}

}  // namespace allocpipe::host
