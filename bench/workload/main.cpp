// allocpipe-relay-workload: a time-compressed, Tor-relay-shaped allocation
// workload. See bench/README.md for the model and the status-line protocol.
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "dircache.h"
#include "directory.h"
#include "options.h"
#include "probe.h"
#include "rng.h"
#include "status.h"
#include "tracked.h"
#include "traffic.h"
#include "workers.h"

namespace apw {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

constexpr uint64_t kStreamMain = 4;
constexpr int64_t kHourMs = 3600LL * 1000;

// Memory the "allocator" keeps without the workload knowing: a stand-in for an
// allocator leak, used to test the regression gate. Not in the live counter.
class InjectedLeak {
 public:
  explicit InjectedLeak(const Options& o)
      : per_tick_(o.leak_mb_per_hour * 1048576.0 * o.tick_ms / static_cast<double>(kHourMs)) {}
  ~InjectedLeak() {
    for (void* p : blocks_) std::free(p);
  }
  InjectedLeak(const InjectedLeak&) = delete;
  InjectedLeak& operator=(const InjectedLeak&) = delete;
  void tick() {
    carry_ += per_tick_;
    while (carry_ >= kBlock) {
      void* p = std::malloc(kBlock);
      if (p == nullptr) throw std::bad_alloc();
      std::memset(p, 0x6b, kBlock);
      blocks_.push_back(p);
      carry_ -= kBlock;
    }
  }

 private:
  static constexpr double kBlock = 65536;
  double per_tick_;
  double carry_ = 0;
  std::vector<void*> blocks_;
};

void apply_environment(Options& o) {
  if (const char* v = std::getenv("ALLOCPIPE_LEAK_MB_PER_HOUR")) {
    char* end = nullptr;
    const double x = std::strtod(v, &end);
    if (end == v || *end != '\0' || x < 0) {
      throw UsageError(std::string("ALLOCPIPE_LEAK_MB_PER_HOUR: expected a non-negative number, got '") + v + "'");
    }
    o.leak_mb_per_hour = x;
  }
  if (const char* v = std::getenv("ALLOCPIPE_MALLOC_TRIM_IN_QUIET")) {
    o.malloc_trim_in_quiet = std::strcmp(v, "0") != 0 && *v != '\0';
  }
}

bool in_tick(int64_t pos, int64_t at, int64_t tick) { return at >= pos && at < pos + tick; }

int run(const Options& o) {
  const Clock::time_point t0 = Clock::now();
  auto real_ms = [&] { return seconds_since(t0) * 1000.0; };
  emit_line("A allocator=" + allocator_banner());
  char cfg[256];
  std::snprintf(cfg, sizeof cfg,
                "C seed=%" PRIu64 " threads=%d hours=%d time_scale=%g tick_ms=%d quiet_fraction=%g dircache=%d",
                o.seed, o.threads, o.hours, o.time_scale, o.tick_ms, o.quiet_fraction, o.dircache);
  emit_line(cfg);
  emit_status(real_ms(), 0, 0, Phase::kStartup);

  Tracker main_t;
  Rng rng(derive_seed(o.seed, kStreamMain));
  double busy_s = 0;
  double lag_max_s = 0;
  double lag_total_s = 0;
  double wall_s = 0;
  uint64_t trims = 0;
  TrafficStats ts;
  DirCacheStats ds;
  {
    Directory dir(o, main_t, o.seed);
    Traffic traffic(o, main_t, o.seed);
    std::unique_ptr<DirCache> dircache;
    if (o.dircache) dircache = std::make_unique<DirCache>(o, main_t, o.seed);
    WorkerPool pool(o, main_t, o.seed);
    std::multimap<int64_t, TrackedBuf> pending;  // burst outputs awaiting free
    InjectedLeak leak(o);

    const int64_t tick = o.tick_ms;
    const int64_t quiet_start = static_cast<int64_t>(kHourMs * (1.0 - o.quiet_fraction)) / tick * tick;
    const int64_t total = o.hours * kHourMs;
    const int64_t burst_start = o.burst_start_s * 1000LL;
    const int64_t burst_collect = o.burst_collect_s * 1000LL;
    Phase phase = Phase::kStartup;
    double next_status_ms = 0;
    Clock::time_point paced = Clock::now();  // moved forward when lag is forgiven
    double lag_forgiven_s = 0;

    for (int64_t sim = 0; sim < total; sim += tick) {
      const double target_s = static_cast<double>(sim) / 1000.0 / o.time_scale;
      const double el = seconds_since(paced);
      if (el < target_s) {
        std::this_thread::sleep_for(std::chrono::duration<double>(target_s - el));
      } else if (el - target_s > lag_max_s) {
        lag_max_s = el - target_s;
      }
      const Clock::time_point tick_begin = Clock::now();
      const int hour = static_cast<int>(sim / kHourMs);
      const int64_t pos = sim % kHourMs;
      const Phase ph = pos >= quiet_start ? Phase::kQuiet : Phase::kBusy;
      if (ph != phase) {
        phase = ph;
        main_t.flush_ops();
        emit_status(real_ms(), sim, hour, phase);
        if (phase == Phase::kQuiet) {
          // A quiet window always gets its full real duration: lag built up
          // during the busy part (a slow allocator, a loaded machine) is
          // forgiven here instead of being caught up inside the window.
          const double behind = seconds_since(paced) - target_s;
          if (behind > 0) {
            paced += std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(behind));
            lag_forgiven_s += behind;
          }
          if (o.malloc_trim_in_quiet && try_malloc_trim()) ++trims;
        }
      }
      if (pos == 0 && hour > 0) dir.hourly_churn(hour);
      if (in_tick(pos, burst_start, tick)) pool.launch(hour);
      if (in_tick(pos, burst_collect, tick)) {
        for (auto& r : pool.collect()) {
          main_t.mix(r.checksum);
          for (auto& out : r.outputs) {
            const double delay_s = o.burst_free_delay_s.lo +
                                   rng.uniform() * (o.burst_free_delay_s.hi - o.burst_free_delay_s.lo);
            int64_t at = sim + static_cast<int64_t>(delay_s * o.time_scale * 1000.0);
            const int64_t last = hour * kHourMs + quiet_start - tick;  // all freed before quiet
            if (at > last) at = last;
            pending.emplace(at, std::move(out));
          }
        }
      }
      while (!pending.empty() && pending.begin()->first <= sim) pending.erase(pending.begin());
      traffic.tick(sim, phase == Phase::kQuiet ? o.quiet_traffic : 1.0);
      if (dircache) dircache->tick(phase == Phase::kQuiet ? o.quiet_traffic : 1.0);
      leak.tick();
      busy_s += seconds_since(tick_begin);
      if (real_ms() >= next_status_ms) {
        main_t.flush_ops();
        emit_status(real_ms(), sim, hour, phase);
        next_status_ms = real_ms() + o.status_ms;
      }
    }
    wall_s = seconds_since(t0);
    lag_total_s = lag_forgiven_s;
    main_t.flush_ops();
    emit_status(real_ms(), total, o.hours, Phase::kDone);
    ts = traffic.stats();
    if (dircache) ds = dircache->stats();
  }
  main_t.flush_ops();
  auto& c = counters();
  char buf[640];
  std::snprintf(buf, sizeof buf,
                "D ops=%" PRIu64 " busy_s=%.3f wall_s=%.3f lag_max_ms=%.1f lag_forgiven_ms=%.1f peak_live=%" PRId64
                " checksum=%016" PRIx64 " cells_in=%" PRIu64 " cells_dropped=%" PRIu64
                " circuits_opened=%" PRIu64 " circuits_killed=%" PRIu64 " conns_opened=%" PRIu64
                " trims=%" PRIu64 " dir_requests=%" PRIu64 " dir_streams=%" PRIu64 " dir_bytes_out=%" PRIu64,
                c.ops.load(), busy_s, wall_s, lag_max_s * 1000.0, lag_total_s * 1000.0, c.peak_live_bytes.load(), main_t.checksum(),
                ts.cells_in, ts.cells_dropped, ts.circuits_opened, ts.circuits_killed, ts.conns_opened, trims,
                ds.requests, ds.compressed_streams, ds.bytes_out);
  emit_line(buf);
  emit_line("E live_end=" + std::to_string(c.live_bytes.load()));
  return c.live_bytes.load() == 0 ? 0 : 4;
}

}  // namespace
}  // namespace apw

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  for (const auto& a : args) {
    if (a == "--help" || a == "-h") {
      std::fputs(apw::usage().c_str(), stdout);
      return 0;
    }
  }
  apw::Options o;
  try {
    o = apw::parse_options(args);
    apw::apply_environment(o);
  } catch (const apw::UsageError& e) {
    std::fprintf(stderr, "allocpipe-relay-workload: %s\n", e.what());
    return 2;
  }
  if (o.probe) {
    apw::emit_line("A allocator=" + apw::allocator_banner());
    return 0;
  }
  try {
    return apw::run(o);
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "allocpipe-relay-workload: out of memory (allocator returned null)\n");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "allocpipe-relay-workload: %s\n", e.what());
  }
  return 3;
}
