#include "cli.h"

#include <cstdlib>
#include <set>

#include "error.h"
#include "metrics.h"

#ifndef ALLOCPIPE_DEFAULT_LIB_DIR
#define ALLOCPIPE_DEFAULT_LIB_DIR "/usr/local/lib/mimalloc"
#endif

namespace allocpipe::host {

const char* const usage_text =
    "usage: allocpipe-host COMMAND [ARGS] [OPTIONS]\n"
    "  list [--json]                          allocpipe libraries installed here\n"
    "  status [PATTERN...] [--json]           configured vs mapped library per unit (exit 1 on a mismatch)\n"
    "  enable LIBRARY_ID PATTERN... [--canary N] [--wave N] [--health-seconds S] [--max-failures K]\n"
    "         [--start-timeout S] [--dry-run] [--apparmor-allow]\n"
    "  disable PATTERN... [--wave N] [--health-seconds S] [--max-failures K] [--start-timeout S] [--dry-run]\n"
    "  rollback [JOURNAL_ID] [--health-seconds S] [--start-timeout S]\n"
    "  journals [--json]                      rollout journals, oldest first\n"
    "  metrics [PATTERN...] [--output FILE|-] Prometheus textfile (default " ALLOCPIPE_DEFAULT_METRICS
    ")\n"
    "  experiment start|status|report|stop|sample NAME ...   a fleet experiment on this host (see README)\n"
    "options (anywhere): --lib-dir DIR --state-dir DIR --unit-dir DIR --apparmor-dir DIR\n"
    "  --apparmor-enabled FILE --apparmor-parser PATH --quiet --help --version\n"
    "PATTERN: a unit name or glob (tor@*.service; '.service' is implied).\n"
    "exit status: 0 ok, 1 verification failed (units put back), 2 bad input, 3 refused by a pre-check\n"
    "  (nothing changed), 4 system error mid-way (run rollback), 5 another allocpipe-host is running\n";

namespace {

std::size_t count_arg(const std::string& flag, const std::string& value, std::size_t min, std::size_t max) {
  bool digits = !value.empty() && value.size() <= 9;
  for (char c : value) digits = digits && c >= '0' && c <= '9';
  const unsigned long n = digits ? std::strtoul(value.c_str(), nullptr, 10) : 0;
  if (!digits || n < min || n > max)
    throw UsageError(flag + " '" + value + "': expected a whole number from " + std::to_string(min) + " to " +
                     std::to_string(max));
  return n;
}

std::string or_env(std::string (*env)(const char*), const char* name, const std::string& fallback) {
  std::string v = env(name);
  return v.empty() ? fallback : v;
}

}  // namespace

Cli parse_cli(const std::vector<std::string>& argv, std::string (*env)(const char*)) {
  Cli cli;
  HostPaths& p = cli.paths;
  p.lib_dir = or_env(env, "ALLOCPIPE_LIB_DIR", ALLOCPIPE_DEFAULT_LIB_DIR);
  p.state_dir = or_env(env, "ALLOCPIPE_STATE_DIR", "/var/lib/allocpipe");
  p.unit_dir = or_env(env, "ALLOCPIPE_UNIT_DIR", "/etc/systemd/system");
  p.apparmor_dir = or_env(env, "ALLOCPIPE_APPARMOR_DIR", "/etc/apparmor.d");
  p.apparmor_enabled_file = or_env(env, "ALLOCPIPE_APPARMOR_ENABLED", "/sys/module/apparmor/parameters/enabled");
  p.apparmor_parser = or_env(env, "ALLOCPIPE_APPARMOR_PARSER", "apparmor_parser");
  p.metrics_file = default_metrics_file;
  p.probe_program = "/proc/self/exe";

  std::set<std::string> seen;
  bool enable_only = false, rollout_only = false;
  std::string output_flag;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argv.size() || argv[i + 1].empty()) throw UsageError(a + ": expected a value");
      return argv[++i];
    };
    auto dir = [&]() {
      std::string v = value();
      if (v[0] != '/') throw UsageError(a + " '" + v + "': expected an absolute path");
      return v;
    };
    if (a.size() > 2 && a.rfind("--", 0) == 0 && a != "--help" && a != "--version") {
      if (!seen.insert(a).second) throw UsageError(a + ": given twice");
    }
    if (a == "--help" || a == "-h")
      cli.command = "help";
    else if (a == "--version")
      cli.command = "version";
    else if (a == "--json")
      cli.json = true;
    else if (a == "--quiet" || a == "-q")
      cli.quiet = true;
    else if (a == "--lib-dir")
      p.lib_dir = dir();
    else if (a == "--state-dir")
      p.state_dir = dir();
    else if (a == "--unit-dir")
      p.unit_dir = dir();
    else if (a == "--apparmor-dir")
      p.apparmor_dir = dir();
    else if (a == "--apparmor-enabled")
      p.apparmor_enabled_file = dir();
    else if (a == "--apparmor-parser")
      p.apparmor_parser = value();
    else if (a == "--output") {
      std::string v = value();
      if (v != "-" && v[0] != '/') throw UsageError("--output '" + v + "': expected an absolute path or '-'");
      p.metrics_file = v;
      output_flag = a;
    } else if (a == "--canary") {
      cli.options.canary = count_arg(a, value(), 0, 100000);
      enable_only = true;
    } else if (a == "--wave") {
      cli.options.wave = count_arg(a, value(), 1, 100000);
      rollout_only = true;
    } else if (a == "--health-seconds") {
      cli.options.health = std::chrono::seconds(count_arg(a, value(), 0, 86400));
    } else if (a == "--start-timeout") {
      cli.options.start_timeout = std::chrono::seconds(count_arg(a, value(), 1, 86400));
    } else if (a == "--max-failures") {
      cli.options.max_failures = count_arg(a, value(), 1, 100000);
      rollout_only = true;
    } else if (a == "--dry-run") {
      cli.options.dry_run = true;
      rollout_only = true;
    } else if (a == "--apparmor-allow") {
      cli.options.apparmor_allow = true;
      enable_only = true;
    } else if (a.size() > 1 && a[0] == '-') {
      throw UsageError("unknown option '" + a + "' (see allocpipe-host --help)");
    } else if (cli.command.empty()) {
      cli.command = a;
    } else {
      cli.args.push_back(a);
    }
  }
  if (cli.command == "help" || cli.command == "version") return cli;
  static const std::set<std::string> commands = {"list",     "status",   "enable",  "disable",
                                                 "rollback", "journals", "metrics", "experiment"};
  if (cli.command.empty())
    throw UsageError("expected a command: list, status, enable, disable, rollback, journals, metrics or experiment");
  if (!commands.count(cli.command))
    throw UsageError("unknown command '" + cli.command +
                     "': expected list, status, enable, disable, rollback, journals, metrics or experiment");
  const std::string& c = cli.command;
  if (enable_only && c != "enable" && c != "experiment")
    throw UsageError("--canary and --apparmor-allow apply to 'enable' only");
  if (rollout_only && c != "enable" && c != "disable" && c != "experiment")
    throw UsageError("--wave, --max-failures and --dry-run apply to 'enable' and 'disable' only");
  if (!output_flag.empty() && c != "metrics") throw UsageError("--output applies to 'metrics' only");
  if (cli.json && c != "list" && c != "status" && c != "journals")
    throw UsageError("--json applies to list, status and journals");
  if ((c == "list" || c == "journals") && !cli.args.empty())
    throw UsageError(c + ": expected no arguments, found '" + cli.args.front() + "'");
  if (c == "enable" && cli.args.size() < 2)
    throw UsageError(
        "enable: expected LIBRARY_ID and at least one unit PATTERN (e.g. enable mimalloc-2.0.9-secure "
        "'tor@*.service')");
  if (c == "disable" && cli.args.empty()) throw UsageError("disable: expected at least one unit PATTERN");
  if (c == "rollback" && cli.args.size() > 1) throw UsageError("rollback: expected at most one JOURNAL_ID");
  return cli;
}

}  // namespace allocpipe::host
