// Options of allocpipe-relay-workload. Every size, count, rate, the thread
// count and the time scale can be set on the command line; defaults are the
// "full" qualification profile (one simulated day in about 75 s).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace apw {

struct Range {
  uint64_t lo = 0;
  uint64_t hi = 0;
};

struct RangeF {
  double lo = 0;
  double hi = 0;
};

struct Options {
  uint64_t seed = 1;
  int threads = 4;               // persistent worker threads
  int hours = 24;                // simulated hours to run
  double time_scale = 1200;      // simulated seconds per real second
  int tick_ms = 1000;            // simulated milliseconds per main-loop tick
  double quiet_fraction = 0.15;  // last part of each hour that is quiet
  double quiet_traffic = 0.1;    // traffic intensity during the quiet window
  int status_ms = 100;           // real milliseconds between status lines

  // Directory state.
  uint64_t consensus_entries = 8000;
  Range consensus_entry_bytes{64, 256};
  uint64_t consensus_body_bytes_per_entry = 300;
  uint64_t microdescs = 8000;
  uint64_t microdesc_bytes = 150;
  Range microdesc_body_bytes{300, 800};
  double microdesc_churn = 0.08;  // fraction replaced per simulated hour
  uint64_t server_descs = 8000;
  Range server_desc_bytes{1024, 3072};
  Range server_desc_life_hours{15, 21};

  // Circuits and cells.
  uint64_t circuits = 3000;
  Range circuit_bytes{700, 1100};
  Range circuit_crypto_bytes{300, 500};
  double circuit_life_min_s = 60;  // Pareto scale (simulated seconds)
  double circuit_life_alpha = 1.3;
  uint64_t cell_bytes = 528;
  double cells_per_s = 200;        // arriving cells per simulated second
  double heavy_share = 0.7;        // share of bursts that hit the 10% heavy circuits
  uint64_t cell_burst_max = 256;
  uint64_t flush_cells_per_circuit_tick = 24;
  uint64_t circuit_queue_max = 600;  // a longer queue kills the circuit (drop)
  uint64_t max_mem_in_queues_mb = 32;  // OOM handler threshold for all queued cells

  // Connections.
  uint64_t connections = 1500;
  Range conn_bytes{1000, 1400};
  Range tls_object_bytes{4096, 8192};
  Range conn_buf_bytes{256, 65536};
  double conn_buf_4k_share = 0.8;  // new buffers of exactly 4 KiB
  Range tls_buf_bytes{16384, 34816};
  uint64_t conn_write_bytes_per_tick = 16384;
  double conn_life_min_s = 300;
  double conn_life_alpha = 1.2;
  double conn_active_per_tick = 0.03;  // share of connections with TLS activity per tick

  // Hourly burst on the workers.
  uint64_t diff_jobs = 16;
  Range diff_array_bytes{1u << 20, 8u << 20};
  Range diff_output_bytes{10000, 3000000};
  uint64_t chunk_bytes = 4096;
  // Bytes of each diff compressed by the real gzip/lzma/zstd (precompress.h);
  // beyond that the outputs grow at the measured ratio.
  uint64_t precompress_sample_bytes = 16384;
  int burst_start_s = 120;    // simulated seconds into the hour
  int burst_collect_s = 600;  // main thread collects results then (waits if late)
  RangeF burst_free_delay_s{1.0, 3.0};  // real seconds after collection

  // Directory-cache serving path (DirCache 1), see dircache.h and
  // bench/README.md for where each figure comes from.
  int dircache = 1;                       // 0 turns the path off
  double dir_requests_per_s = 0.25;       // directory requests per simulated second
  double dir_consensus_share = 0.25;      // whole microdesc consensus, precompressed
  double dir_diff_share = 0.35;           // consensus diffs, precompressed
  double dir_microdesc_share = 0.35;      // microdescriptors, compressed on the fly (rest: server descriptors)
  Range dir_consensus_bytes{500000, 700000};  // compressed microdesc consensus
  Range dir_diff_bytes{10000, 300000};        // compressed diffs (log-uniform)
  uint64_t dir_microdescs_per_request = 90;   // max_dl_per_request(): 90 for microdescs
  uint64_t dir_descs_per_request = 96;        // and 96 for server descriptors
  double dir_zstd_share = 0.9;            // clients that accept zstd; the rest zlib/gzip
  uint64_t dir_conn_bytes_per_tick = 65536;  // drained per directory connection per tick

  // Diagnostics (also from the environment, see main.cpp).
  double leak_mb_per_hour = 0;     // simulated allocator leak, NOT in the live counter
  bool malloc_trim_in_quiet = false;

  bool probe = false;  // print the allocator banner and exit
};

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws UsageError naming the option and what was expected.
Options parse_options(const std::vector<std::string>& args);
std::string usage();

}  // namespace apw
