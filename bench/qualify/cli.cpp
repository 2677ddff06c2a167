#include "cli.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <climits>
#include <cmath>
#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <set>
#include <stdexcept>

#include "build_status.h"

namespace apq {
namespace {

bool is_env_name(const std::string& s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return true;
}

bool is_label(const std::string& s) {
  if (s.empty() || s.size() > 100) return false;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '+' ||
          c == '=' || c == ':' || c == ',')) {
      return false;
    }
  }
  return true;
}

std::string absolute_existing_file(const std::string& path, const std::string& what) {
  char buf[PATH_MAX];
  if (::realpath(path.c_str(), buf) == nullptr) {
    throw UsageError(what + ": no such file '" + path + "'");
  }
  struct stat st {};
  if (::stat(buf, &st) != 0 || !S_ISREG(st.st_mode)) {
    throw UsageError(what + ": expected a regular file, got '" + path + "'");
  }
  return buf;
}

int parse_int(const std::string& text, const std::string& what, int lo, int hi) {
  errno = 0;
  char* end = nullptr;
  const long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || errno != 0 || *end != '\0' || v < lo || v > hi) {
    throw UsageError(what + ": expected an integer in " + std::to_string(lo) + ".." + std::to_string(hi) +
                     ", got '" + text + "'");
  }
  return static_cast<int>(v);
}

double parse_number(const std::string& text, const std::string& what) {
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || errno != 0 || *end != '\0' || !std::isfinite(v) || v < 0) {
    throw UsageError(what + ": expected a non-negative number, got '" + text + "'");
  }
  return v;
}

// --lib-if-built NAME=PATH: measured when DIR/NAME.status says BUILT and
// PATH exists; left out ("not measured", with the reason) when it says NOT
// BUILT and PATH is absent; anything else is a failed build and an error,
// never a run that quietly measures less.
bool built_here(const std::string& status_dir, const std::string& name, const std::string& path,
                std::vector<std::pair<std::string, std::string>>& not_measured) {
  const std::string what = "--lib-if-built " + name;
  if (status_dir.empty()) throw UsageError(what + ": needs --status-dir DIR (the superbuild's status/ directory)");
  BuildStatus status;
  try {
    status = read_build_status(status_dir + "/" + name + ".status");
  } catch (const std::runtime_error& e) {
    throw UsageError(what + ": " + e.what());
  }
  const bool present = ::access(path.c_str(), F_OK) == 0;
  if (status.built && !present) throw UsageError(what + ": the status says BUILT but '" + path + "' does not exist");
  if (!status.built && present) throw UsageError(what + ": the status says NOT BUILT but '" + path + "' exists");
  if (!status.built) {
    if (status.reason.rfind(name + ": ", 0) == 0) status.reason.erase(0, name.size() + 2);
    std::cerr << "allocpipe-qualify: not measured: " << name << ": " << status.reason << "\n";
    not_measured.emplace_back(name, status.reason);
  }
  return status.built;
}

void add_arm(std::vector<Arm>& arms, Arm arm) {
  for (const auto& a : arms) {
    if (a.name == arm.name) throw UsageError("duplicate arm name '" + arm.name + "'");
  }
  arms.push_back(std::move(arm));
}

}  // namespace

double parse_fraction(const std::string& text, const std::string& what) {
  if (!text.empty() && text.back() == '%') {
    return parse_number(text.substr(0, text.size() - 1), what) / 100.0;
  }
  return parse_number(text, what);
}

EnvList parse_env_list(const std::string& text, const std::string& what) {
  EnvList env;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    std::string part = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    const size_t eq = part.find('=');
    if (eq == std::string::npos || !is_env_name(part.substr(0, eq))) {
      if (env.empty()) {
        throw UsageError(what + ": expected ENV=VALUE[,ENV=VALUE...], got '" + text + "'");
      }
      env.back().second += "," + part;  // a comma inside a value, e.g. MALLOC_CONF
    } else {
      env.emplace_back(part.substr(0, eq), part.substr(eq + 1));
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  for (const auto& [k, v] : env) {
    if (k == "LD_PRELOAD") throw UsageError(what + ": LD_PRELOAD is set by the runner; use --lib");
  }
  return env;
}

Arm parse_arm(const std::string& spec, const std::vector<Arm>& known) {
  const std::string what = "--arm '" + spec + "'";
  const size_t colon = spec.find(':');
  if (colon == std::string::npos) {
    throw UsageError(what + ": expected [LABEL=]BASE:ENV=VALUE[,ENV=VALUE...]");
  }
  std::string head = spec.substr(0, colon);
  std::string label;
  const size_t eq = head.find('=');
  if (eq != std::string::npos) {
    label = head.substr(0, eq);
    head = head.substr(eq + 1);
  }
  Arm arm;
  bool found = false;
  for (const auto& k : known) {
    if (k.name == head && k.env.empty()) {
      arm = k;
      found = true;
    }
  }
  if (!found && head == "glibc") {
    arm.name = arm.base = "glibc";
    found = true;
  }
  if (!found) {
    throw UsageError(what + ": unknown base '" + head + "' (expected glibc or a name given with --lib before it)");
  }
  arm.base = head;
  arm.env = parse_env_list(spec.substr(colon + 1), what);
  if (label.empty()) {
    label = head;
    for (const auto& [k, v] : arm.env) label += "+" + k + "=" + v;
  }
  if (!is_label(label)) {
    throw UsageError(what + ": label '" + label + "' must be 1-100 characters of [A-Za-z0-9._+=:,-]");
  }
  arm.name = label;
  return arm;
}

Config parse_cli(const std::vector<std::string>& args) {
  Config c;
  bool glibc = false;
  std::vector<std::string> arm_specs;
  std::vector<std::pair<Arm, std::string>> lib_specs;  // (arm, --lib or --lib-if-built), resolved after --status-dir
  std::set<std::string> seen;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](const char* expected) -> std::string {
      if (i + 1 >= args.size()) throw UsageError(a + ": missing value (expected " + expected + ")");
      return args[++i];
    };
    if (a == "--workload") {
      c.workload = absolute_existing_file(value("PATH of allocpipe-relay-workload"), a);
      if (::access(c.workload.c_str(), X_OK) != 0) throw UsageError(a + ": '" + c.workload + "' is not executable");
    } else if (a == "--lib" || a == "--lib-if-built") {
      const std::string v = value("NAME=PATH");
      const size_t eq = v.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == v.size()) {
        throw UsageError("--lib: expected NAME=PATH, got '" + v + "'");
      }
      Arm arm;
      arm.name = arm.base = v.substr(0, eq);
      if (!is_label(arm.name) || arm.name.find('=') != std::string::npos || arm.name.find(':') != std::string::npos) {
        throw UsageError("--lib: name '" + arm.name + "' must be 1-100 characters of [A-Za-z0-9._+-]");
      }
      if (arm.name == "glibc") throw UsageError("--lib: the name 'glibc' is reserved for --glibc");
      if (v.compare(eq + 1, 7, "debian:") == 0) {
        arm.debian = v.substr(eq + 8);
        const size_t deq = arm.debian.find('=');
        const std::string pkg = arm.debian.substr(0, deq);
        const bool pkg_ok = !pkg.empty() && std::all_of(pkg.begin(), pkg.end(), [](char ch) {
          return std::islower(static_cast<unsigned char>(ch)) || std::isdigit(static_cast<unsigned char>(ch)) ||
                 ch == '.' || ch == '+' || ch == '-';
        });
        if (deq == std::string::npos || !pkg_ok || deq + 1 == arm.debian.size() ||
            arm.debian.find_first_of(" \t'\"$/", deq) != std::string::npos) {
          throw UsageError("--lib " + arm.name + ": expected debian:PACKAGE=VERSION (VERSION may be 'newest'), got '" +
                           v.substr(eq + 1) + "'");
        }
        lib_specs.emplace_back(std::move(arm), "debian");
        continue;
      }
      arm.library = v.substr(eq + 1);
      lib_specs.emplace_back(std::move(arm), a);
    } else if (a == "--status-dir") {
      c.status_dir = value("DIR");
    } else if (a == "--emulator") {
      c.emulator.insert(c.emulator.begin(), absolute_existing_file(value("PATH of a qemu-user emulator"), a));
    } else if (a == "--emulator-prefix") {
      const std::string dir = value("DIR (QEMU_LD_PREFIX)");
      c.emulator.insert(c.emulator.end(), {"-L", dir});
    } else if (a == "--smoke") {
      c.smoke = absolute_existing_file(value("PATH of allocpipe-smoke"), a);
    } else if (a == "--download-cache") {
      c.download_cache = value("DIR");
      if (c.download_cache.empty() || c.download_cache[0] != '/') {
        throw UsageError("--download-cache: expected an absolute directory, got '" + c.download_cache + "'");
      }
    } else if (a == "--fleet-rss-gb") {
      c.fleet_rss_gb = parse_number(value("GB of RSS per process"), a);
      if (c.fleet_rss_gb <= 0) throw UsageError("--fleet-rss-gb: expected a positive number");
    } else if (a == "--map-count-margin") {
      c.map_margin = parse_fraction(value("a fraction such as 0.2 or 20%"), a);
      if (c.map_margin >= 1) throw UsageError("--map-count-margin: expected a fraction below 1");
    } else if (a == "--glibc") {
      glibc = true;
    } else if (a == "--arm") {
      arm_specs.push_back(value("[LABEL=]BASE:ENV=VALUE[,ENV=VALUE...]"));
    } else if (a == "--quick") {
      c.quick = true;
    } else if (a == "--repeats") {
      c.repeats = parse_int(value("N"), a, 1, 100);
    } else if (a == "--out") {
      c.out_dir = value("DIR");
      if (c.out_dir.empty()) throw UsageError("--out: expected a directory, got ''");
    } else if (a == "--sample-ms") {
      c.sample_ms = parse_int(value("milliseconds"), a, 10, 1000);
    } else if (a == "--run-timeout") {
      c.run_timeout_s = parse_number(value("seconds"), a);
      if (c.run_timeout_s < 1) throw UsageError("--run-timeout: expected at least 1 second");
    } else if (a == "--workload-arg") {
      c.workload_args.push_back(value("an argument for the workload"));
    } else if (a == "--title") {
      c.title = value("TEXT");
    } else if (a == "--no-png") {
      c.png = false;
    } else if (a == "--check") {
      c.check = true;
    } else if (a == "--gate") {
      c.gate.enabled = true;
    } else if (a == "--baseline") {
      c.gate.baseline = value("an arm NAME");
    } else if (a == "--candidate") {
      c.gate.candidate = value("an arm NAME");
    } else if (a == "--max-slope-margin") {
      c.gate.max_slope_margin = parse_number(value("MB per simulated hour"), a);
    } else if (a == "--max-rss-margin") {
      c.gate.max_rss_margin = parse_fraction(value("a fraction such as 0.1 or 10%"), a);
    } else {
      throw UsageError("unknown argument '" + a + "' (see --help)");
    }
  }
  if (c.workload.empty()) throw UsageError("--workload: required (path of allocpipe-relay-workload)");
  for (auto& [arm, flag] : lib_specs) {
    if (flag == "debian") {  // fetched and checked later, in the run
      add_arm(c.arms, std::move(arm));
      continue;
    }
    if (flag == "--lib-if-built" && !built_here(c.status_dir, arm.name, arm.library, c.not_measured)) continue;
    arm.library = absolute_existing_file(arm.library, "--lib " + arm.name);
    add_arm(c.arms, std::move(arm));
  }
  if (glibc) {
    Arm g;
    g.name = g.base = "glibc";
    add_arm(c.arms, std::move(g));
  }
  const std::vector<Arm> libs = c.arms;
  for (const auto& spec : arm_specs) add_arm(c.arms, parse_arm(spec, libs));
  if (c.arms.empty()) throw UsageError("no allocator to measure: give --lib NAME=PATH, --glibc or --arm");
  for (const auto& arm : c.arms) {
    if (!arm.debian.empty() && c.smoke.empty()) {
      throw UsageError("--lib " + arm.name + "=debian:...: needs --smoke PATH of allocpipe-smoke (the gate it must pass)");
    }
  }
  if (!c.emulator.empty() && c.emulator[0] == "-L") {
    throw UsageError("--emulator-prefix: only meaningful with --emulator PATH");
  }
  if (c.gate.enabled) {
    if (c.gate.baseline.empty() || c.gate.candidate.empty()) {
      throw UsageError("--gate: needs --baseline NAME and --candidate NAME");
    }
    for (const std::string* n : {&c.gate.baseline, &c.gate.candidate}) {
      bool ok = false;
      for (const auto& arm : c.arms) ok = ok || arm.name == *n;
      if (!ok) throw UsageError("--gate: '" + *n + "' is not one of the measured arms");
    }
    if (c.gate.baseline == c.gate.candidate) throw UsageError("--gate: baseline and candidate must differ");
  } else if (!c.gate.baseline.empty() || !c.gate.candidate.empty()) {
    throw UsageError("--baseline/--candidate: only meaningful with --gate");
  }
  return c;
}

std::string usage() {
  return R"(usage: allocpipe-qualify --workload PATH [--lib NAME=PATH|NAME=debian:PKG=VER]... [--glibc]
         [--arm [LABEL=]BASE:ENV=VALUE[,ENV=VALUE...]]... [--quick] [--repeats N]
         [--out DIR] [--sample-ms MS] [--run-timeout S] [--workload-arg ARG]...
         [--title TEXT] [--no-png] [--check]
         [--lib-if-built NAME=PATH]... --status-dir DIR
         [--smoke PATH] [--download-cache DIR] [--fleet-rss-gb GB] [--map-count-margin F]
         [--emulator QEMU [--emulator-prefix DIR]]
         [--gate --baseline NAME --candidate NAME
                 [--max-slope-margin MB_PER_SIM_HOUR] [--max-rss-margin FRACTION|PERCENT]]

Runs allocpipe-relay-workload under each library (LD_PRELOAD) and plain glibc,
interleaving repeats, samples /proc/PID/smaps_rollup, and writes to DIR:
samples.csv, runs.csv, summary.md, chart.svg, chart.png, logs/.
  --quick           ~8 s per run, 1 repeat (CI); the default is the full profile
  --arm             extra arm: BASE (a --lib name or glibc) with environment,
                    e.g. mimalloc-3.0.1:MIMALLOC_PURGE_DELAY=0
                         jemalloc-5.3.0:MALLOC_CONF=background_thread:true
                         glibc:ALLOCPIPE_MALLOC_TRIM_IN_QUIET=1
  --lib-if-built    a library of the superbuild: measured if DIR/NAME.status
                    (--status-dir) says BUILT, listed as not measured if it
                    says NOT BUILT; a failed build (no status) is an error
  --lib NAME=debian:PACKAGE=VERSION
                    a library from a Debian binary package (bookworm, trixie or
                    sid; VERSION 'newest' = the newest that loads here), fetched
                    by apt with a private configuration, hash-checked, cached
                    in --download-cache, and passed through the smoke gate
                    (--smoke PATH of allocpipe-smoke) before it is measured
  --fleet-rss-gb    RSS per process the mapping count is extrapolated to (1.5)
  --map-count-margin  warn when that extrapolation comes within this fraction
                    of vm.max_map_count (default 20%)
  --emulator        run a workload built for another architecture under this
                    qemu-user emulator (with -L DIR of --emulator-prefix); the
                    report says that RSS is meaningful there and speed is not
  --check           re-read the written report and fail (exit 1) unless it is
                    complete and sane (numbers present, live bytes <= RSS)
  --gate            exit 1 when the candidate's median slope exceeds the
                    baseline's by more than --max-slope-margin (default 3.0 MB
                    per simulated hour) or its median steady-state anonymous
                    RSS exceeds the baseline's by more than --max-rss-margin
                    (default 20%); gate on the full profile, not --quick
Exit status: 0 ok, 1 gate or check failed, 2 bad arguments, 3 a run failed.
)";
}

}  // namespace apq
