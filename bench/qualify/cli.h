// Command line of allocpipe-qualify.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace apq {

// Bad command line: main() prints it and exits 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using EnvList = std::vector<std::pair<std::string, std::string>>;

// One measured configuration: an allocator library (empty = plain glibc)
// plus extra environment (diagnostic arms).
struct Arm {
  std::string name;
  std::string base;     // the --lib name or "glibc" it derives from
  std::string library;  // absolute path for LD_PRELOAD; empty for glibc
  EnvList env;
  std::string debian;   // "PACKAGE=VERSION" of a Debian arm (library found at run time)
};

struct GateSpec {
  bool enabled = false;
  std::string baseline;
  std::string candidate;
  // Defaults come from the spread measured for allocators that do not grow
  // in the full profile (single-run slopes -3.2..+1.7 MB/sim-h; steady-state
  // medians within 9% between runs, 23% for glibc), see README.md.
  double max_slope_margin = 3.0;  // MB per simulated hour above the baseline
  double max_rss_margin = 0.20;   // fraction above the baseline's steady-state RSS
};

struct Config {
  std::string workload;
  std::vector<Arm> arms;
  bool quick = false;
  int repeats = 0;  // 0: profile default
  std::string out_dir = "qualify-out";
  int sample_ms = 100;
  double run_timeout_s = 0;  // 0: profile default
  std::vector<std::string> workload_args;  // appended after the profile's
  std::string title;
  bool png = true;
  bool check = false;
  GateSpec gate;
  std::string status_dir;  // --status-dir: the superbuild's status/<id>.status files
  std::vector<std::pair<std::string, std::string>> not_measured;  // --lib-if-built arms not built: name, reason
  std::string smoke;           // allocpipe-smoke, for Debian arms
  // A workload of another architecture runs under a user-mode emulator
  // (--emulator qemu-aarch64-static --emulator-prefix /usr/aarch64-linux-gnu):
  // the argv prefix of every workload child, empty for native runs.
  std::vector<std::string> emulator;
  std::string download_cache;  // content-addressed cache; empty: XDG default
  double fleet_rss_gb = 1.5;   // RSS per process the mapping count is extrapolated to
  double map_margin = 0.20;    // warn when the extrapolation is within this fraction of vm.max_map_count
};

// Parses argv (without argv[0]). Throws UsageError naming the argument and
// what was expected. Library and workload paths are made absolute and must exist.
Config parse_cli(const std::vector<std::string>& args);

// "[LABEL=]BASE:ENV=VAL[,ENV=VAL...]"; a comma followed by something that is
// not NAME= stays in the value (MALLOC_CONF=a:1,b:2). Exposed for tests.
Arm parse_arm(const std::string& spec, const std::vector<Arm>& known);
EnvList parse_env_list(const std::string& text, const std::string& what);
// "10%" or "0.1" -> 0.1
double parse_fraction(const std::string& text, const std::string& what);

std::string usage();

}  // namespace apq
