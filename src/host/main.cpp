// allocpipe-host: puts an allocpipe library into systemd services on this
// host, proves it took effect, and rolls back by itself.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "cli.h"
#include "commands.h"
#include "error.h"
#include "experiment/commands.h"
#include "output.h"
#include "probe.h"
#include "rollout.h"

#ifndef ALLOCPIPE_VERSION
#define ALLOCPIPE_VERSION "0"
#endif

using namespace allocpipe::host;

namespace {

std::string getenv_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

int run(const Cli& cli, const experiment::ExperimentOptions& xopts) {
  Reporter out(cli.quiet);
  const auto& a = cli.args;
  if (cli.command == "help") {
    out.result(std::string(usage_text) + "experiment commands:\n" + experiment::experiment_usage);
    return exit_ok;
  }
  if (cli.command == "version") {
    out.result("allocpipe-host " ALLOCPIPE_VERSION "\n");
    return exit_ok;
  }
  if (!xopts.given.empty() && cli.command != "experiment")
    throw UsageError(xopts.given.front() + " applies to 'experiment' only");
  if (cli.command == "experiment") return experiment::cmd_experiment(cli.paths, cli.options, a, xopts, out);
  if (cli.command == "list") return cmd_list(cli.paths, cli.json, out);
  if (cli.command == "status") return cmd_status(cli.paths, a, cli.json, out);
  if (cli.command == "metrics") return cmd_metrics(cli.paths, a, out);
  if (cli.command == "journals") return cmd_journals(cli.paths, cli.json, out);
  if (cli.command == "enable") return cmd_enable(cli.paths, cli.options, a[0], {a.begin() + 1, a.end()}, out);
  if (cli.command == "disable") return cmd_disable(cli.paths, cli.options, a, out);
  if (cli.command == "rollback")
    return cmd_rollback(cli.paths, cli.options, a.empty() ? std::nullopt : std::optional<std::string>(a[0]), out);
  throw UsageError("unknown command '" + cli.command + "'");
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  // The preload probe's child side (see probe.h); not a user command.
  if (args.size() == 2 && args[0] == "__probe-mapped") return run_probe_mapped(args[1]);
  try {
    const experiment::ExperimentOptions xopts = experiment::take_experiment_options(args);
    return run(parse_cli(args, getenv_or_empty), xopts);
  } catch (const Error& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "allocpipe-host: %s\n", e.what());
    if (e.status == exit_usage && std::string(e.what()).find("expected a command") != std::string::npos)
      std::fputs(usage_text, stderr);
    return e.status;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "allocpipe-host: %s\n", e.what());
    return exit_system;
  }
}
