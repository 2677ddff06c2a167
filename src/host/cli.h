// The command line: allocpipe-host COMMAND [ARGS] [OPTIONS]; options may come
// anywhere. Paths default to the host's, else the environment variables
// ALLOCPIPE_LIB_DIR, ALLOCPIPE_STATE_DIR, ALLOCPIPE_UNIT_DIR,
// ALLOCPIPE_APPARMOR_DIR, ALLOCPIPE_APPARMOR_ENABLED, ALLOCPIPE_APPARMOR_PARSER.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "context.h"

namespace allocpipe::host {

extern const char* const usage_text;

struct Cli {
  std::string command;  // list, status, enable, disable, rollback, journals, metrics, help, version
  std::vector<std::string> args;
  bool json = false, quiet = false;
  HostPaths paths;
  RolloutOptions options;
};

// `env` looks a variable up (getenv in main, a map in tests). UsageError on bad input.
Cli parse_cli(const std::vector<std::string>& argv, std::string (*env)(const char*));

}  // namespace allocpipe::host
