#include "options.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>
#include <sstream>

namespace apw {
namespace {

uint64_t to_u64(const std::string& name, const std::string& v) {
  if (v.empty() || v[0] == '-' || v[0] == '+') {
    throw UsageError(name + ": expected a non-negative integer, got '" + v + "'");
  }
  errno = 0;
  char* end = nullptr;
  const unsigned long long x = std::strtoull(v.c_str(), &end, 10);
  if (errno != 0 || end == v.c_str() || *end != '\0') {
    throw UsageError(name + ": expected a non-negative integer, got '" + v + "'");
  }
  return x;
}

double to_double(const std::string& name, const std::string& v) {
  errno = 0;
  char* end = nullptr;
  const double x = std::strtod(v.c_str(), &end);
  if (errno != 0 || v.empty() || end == v.c_str() || *end != '\0' || !std::isfinite(x) || x < 0) {
    throw UsageError(name + ": expected a non-negative number, got '" + v + "'");
  }
  return x;
}

template <typename R, typename F>
R to_range(const std::string& name, const std::string& v, F conv) {
  const auto dash = v.find('-', 1);
  R r;
  if (dash == std::string::npos) {
    r.lo = r.hi = conv(name, v);
  } else {
    r.lo = conv(name, v.substr(0, dash));
    r.hi = conv(name, v.substr(dash + 1));
  }
  if (r.hi < r.lo) throw UsageError(name + ": expected LO-HI with LO <= HI, got '" + v + "'");
  return r;
}

struct Spec {
  std::string help;
  std::function<void(Options&, const std::string& name, const std::string& value)> set;
  bool flag = false;
};

#define U64(field, help) \
  Spec { help, [](Options& o, const std::string& n, const std::string& v) { o.field = to_u64(n, v); } }
#define INT(field, help) \
  Spec { help, [](Options& o, const std::string& n, const std::string& v) { \
    const uint64_t x = to_u64(n, v); \
    if (x > 1000000000ULL) throw UsageError(n + ": value too large: " + v); \
    o.field = static_cast<int>(x); } }
#define DBL(field, help) \
  Spec { help, [](Options& o, const std::string& n, const std::string& v) { o.field = to_double(n, v); } }
#define RNG(field, help) \
  Spec { help, [](Options& o, const std::string& n, const std::string& v) { \
    o.field = to_range<Range>(n, v, to_u64); } }
#define RNGF(field, help) \
  Spec { help, [](Options& o, const std::string& n, const std::string& v) { \
    o.field = to_range<RangeF>(n, v, to_double); } }

const std::map<std::string, Spec>& specs() {
  static const std::map<std::string, Spec> m = {
      {"--seed", U64(seed, "N  seed of every random decision")},
      {"--threads", INT(threads, "N  persistent worker threads")},
      {"--hours", INT(hours, "N  simulated hours to run")},
      {"--time-scale", DBL(time_scale, "X  simulated seconds per real second")},
      {"--tick-ms", INT(tick_ms, "N  simulated ms per main-loop tick")},
      {"--quiet-fraction", DBL(quiet_fraction, "F  quiet part at the end of each hour")},
      {"--quiet-traffic", DBL(quiet_traffic, "F  traffic intensity while quiet")},
      {"--status-ms", INT(status_ms, "N  real ms between status lines")},
      {"--consensus-entries", U64(consensus_entries, "N")},
      {"--consensus-entry-bytes", RNG(consensus_entry_bytes, "LO-HI")},
      {"--consensus-body-bytes-per-entry", U64(consensus_body_bytes_per_entry, "N")},
      {"--microdescs", U64(microdescs, "N")},
      {"--microdesc-bytes", U64(microdesc_bytes, "N")},
      {"--microdesc-body-bytes", RNG(microdesc_body_bytes, "LO-HI")},
      {"--microdesc-churn", DBL(microdesc_churn, "F  share replaced per hour")},
      {"--server-descs", U64(server_descs, "N")},
      {"--server-desc-bytes", RNG(server_desc_bytes, "LO-HI")},
      {"--server-desc-life-hours", RNG(server_desc_life_hours, "LO-HI")},
      {"--circuits", U64(circuits, "N  concurrent circuits")},
      {"--circuit-bytes", RNG(circuit_bytes, "LO-HI")},
      {"--circuit-crypto-bytes", RNG(circuit_crypto_bytes, "LO-HI")},
      {"--circuit-life-min-s", DBL(circuit_life_min_s, "X  Pareto scale, simulated s")},
      {"--circuit-life-alpha", DBL(circuit_life_alpha, "X  Pareto shape")},
      {"--cell-bytes", U64(cell_bytes, "N")},
      {"--cells-per-s", DBL(cells_per_s, "X  arriving cells per simulated s")},
      {"--heavy-share", DBL(heavy_share, "F  share of bursts on heavy circuits")},
      {"--cell-burst-max", U64(cell_burst_max, "N")},
      {"--flush-cells-per-circuit-tick", U64(flush_cells_per_circuit_tick, "N")},
      {"--circuit-queue-max", U64(circuit_queue_max, "N  cells; longer queue kills the circuit")},
      {"--max-mem-in-queues-mb", U64(max_mem_in_queues_mb, "N  OOM threshold")},
      {"--connections", U64(connections, "N  concurrent connections")},
      {"--conn-bytes", RNG(conn_bytes, "LO-HI")},
      {"--tls-object-bytes", RNG(tls_object_bytes, "LO-HI")},
      {"--conn-buf-bytes", RNG(conn_buf_bytes, "LO-HI")},
      {"--conn-buf-4k-share", DBL(conn_buf_4k_share, "F")},
      {"--tls-buf-bytes", RNG(tls_buf_bytes, "LO-HI")},
      {"--conn-write-bytes-per-tick", U64(conn_write_bytes_per_tick, "N")},
      {"--conn-life-min-s", DBL(conn_life_min_s, "X  Pareto scale, simulated s")},
      {"--conn-life-alpha", DBL(conn_life_alpha, "X  Pareto shape")},
      {"--conn-active-per-tick", DBL(conn_active_per_tick, "F")},
      {"--diff-jobs", U64(diff_jobs, "N  worker jobs per hour")},
      {"--diff-array-bytes", RNG(diff_array_bytes, "LO-HI")},
      {"--diff-output-bytes", RNG(diff_output_bytes, "LO-HI")},
      {"--chunk-bytes", U64(chunk_bytes, "N")},
      {"--precompress-sample-bytes",
       U64(precompress_sample_bytes, "N  bytes of each diff compressed by the real gzip/lzma/zstd")},
      {"--burst-start-s", INT(burst_start_s, "N  simulated s into the hour")},
      {"--burst-collect-s", INT(burst_collect_s, "N  simulated s into the hour")},
      {"--burst-free-delay-s", RNGF(burst_free_delay_s, "LO-HI  real seconds")},
      {"--dircache", INT(dircache, "0|1  serve directory requests (DirCache 1), default 1")},
      {"--dir-requests-per-s", DBL(dir_requests_per_s, "X  directory requests per simulated s")},
      {"--dir-consensus-share", DBL(dir_consensus_share, "F  share of consensus fetches")},
      {"--dir-diff-share", DBL(dir_diff_share, "F  share of consensus-diff fetches")},
      {"--dir-microdesc-share", DBL(dir_microdesc_share, "F  share of microdescriptor fetches")},
      {"--dir-consensus-bytes", RNG(dir_consensus_bytes, "LO-HI  compressed consensus size")},
      {"--dir-diff-bytes", RNG(dir_diff_bytes, "LO-HI  compressed diff size")},
      {"--dir-microdescs-per-request", U64(dir_microdescs_per_request, "N  most per request")},
      {"--dir-descs-per-request", U64(dir_descs_per_request, "N  most per request")},
      {"--dir-zstd-share", DBL(dir_zstd_share, "F  requests compressed with zstd (rest zlib/gzip)")},
      {"--dir-conn-bytes-per-tick", U64(dir_conn_bytes_per_tick, "N  drained per dir connection per tick")},
      {"--leak-mb-per-hour", DBL(leak_mb_per_hour, "X  simulated allocator leak (test fixture)")},
      {"--malloc-trim-in-quiet",
       Spec{"   call malloc_trim(0) when a quiet window starts",
            [](Options& o, const std::string&, const std::string&) { o.malloc_trim_in_quiet = true; },
            true}},
      {"--probe", Spec{"   print the allocator banner and exit",
                       [](Options& o, const std::string&, const std::string&) { o.probe = true; },
                       true}},
  };
  return m;
}

void validate(const Options& o) {
  auto need = [](bool ok, const std::string& what) {
    if (!ok) throw UsageError(what);
  };
  need(o.threads >= 1 && o.threads <= 256, "--threads: expected 1..256");
  need(o.hours >= 1, "--hours: expected at least 1");
  need(o.time_scale > 0, "--time-scale: expected a positive number");
  need(o.tick_ms >= 1 && o.tick_ms <= 60000, "--tick-ms: expected 1..60000");
  need(o.quiet_fraction > 0 && o.quiet_fraction < 0.5, "--quiet-fraction: expected 0 < F < 0.5");
  need(o.quiet_traffic <= 1, "--quiet-traffic: expected 0..1");
  need(o.status_ms >= 1, "--status-ms: expected at least 1");
  need(o.microdesc_churn <= 1, "--microdesc-churn: expected 0..1");
  need(o.heavy_share <= 1, "--heavy-share: expected 0..1");
  need(o.conn_buf_4k_share <= 1, "--conn-buf-4k-share: expected 0..1");
  need(o.conn_active_per_tick <= 1, "--conn-active-per-tick: expected 0..1");
  need(o.cell_bytes >= 64, "--cell-bytes: expected at least 64");
  need(o.dircache == 0 || o.dircache == 1, "--dircache: expected 0 or 1");
  need(o.dir_consensus_share + o.dir_diff_share + o.dir_microdesc_share <= 1,
       "--dir-consensus-share + --dir-diff-share + --dir-microdesc-share: expected at most 1");
  need(o.dir_zstd_share <= 1, "--dir-zstd-share: expected 0..1");
  need(o.dir_microdescs_per_request >= 1 && o.dir_descs_per_request >= 1,
       "--dir-microdescs-per-request/--dir-descs-per-request: expected at least 1");
  need(o.dir_conn_bytes_per_tick >= 1, "--dir-conn-bytes-per-tick: expected at least 1");
  need(o.dir_diff_bytes.lo >= 1, "--dir-diff-bytes: expected at least 1");
  need(o.circuits >= 1, "--circuits: expected at least 1");
  need(o.connections >= 1, "--connections: expected at least 1");
  need(o.server_desc_life_hours.lo >= 1, "--server-desc-life-hours: expected at least 1");
  need(o.circuit_life_min_s > 0 && o.circuit_life_alpha > 0,
       "--circuit-life-min-s/--circuit-life-alpha: expected positive numbers");
  need(o.conn_life_min_s > 0 && o.conn_life_alpha > 0,
       "--conn-life-min-s/--conn-life-alpha: expected positive numbers");
  need(o.conn_buf_bytes.lo >= 64 && o.conn_buf_bytes.hi >= 4096,
       "--conn-buf-bytes: expected LO >= 64 and HI >= 4096");
  need(o.chunk_bytes >= 64, "--chunk-bytes: expected at least 64");
  need(o.precompress_sample_bytes >= 4096,
       "--precompress-sample-bytes: expected at least 4096 (smaller samples are mostly stream headers)");
  need(o.diff_array_bytes.lo >= 64, "--diff-array-bytes: expected at least 64");
  need(o.diff_output_bytes.lo >= 64, "--diff-output-bytes: expected at least 64");
  need(o.burst_start_s < o.burst_collect_s,
       "--burst-start-s/--burst-collect-s: expected start < collect");
  need(o.burst_collect_s < 3600 * (1 - o.quiet_fraction),
       "--burst-collect-s: expected a time before the quiet window");
}

}  // namespace

Options parse_options(const std::vector<std::string>& args) {
  Options o;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& name = args[i];
    const auto it = specs().find(name);
    if (it == specs().end()) throw UsageError("unknown option '" + name + "' (see --help)");
    if (it->second.flag) {
      it->second.set(o, name, "");
      continue;
    }
    if (i + 1 >= args.size()) throw UsageError(name + ": missing value (" + it->second.help + ")");
    it->second.set(o, name, args[++i]);
  }
  validate(o);
  return o;
}

std::string usage() {
  std::ostringstream s;
  s << "usage: allocpipe-relay-workload [options]\n"
       "A time-compressed, Tor-relay-shaped allocation workload. Writes status lines\n"
       "on stdout (see bench/README.md). Options (defaults: the full profile):\n";
  for (const auto& [name, spec] : specs()) s << "  " << name << " " << spec.help << "\n";
  s << "Environment: ALLOCPIPE_LEAK_MB_PER_HOUR=X, ALLOCPIPE_MALLOC_TRIM_IN_QUIET=1\n"
       "(same as the options; meant for the runner's --arm).\n";
  return s.str();
}

}  // namespace apw
