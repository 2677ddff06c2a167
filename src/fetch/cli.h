// allocpipe-fetch's command line, parsed in the library so the unit tests
// and the fuzzer exercise the same code as the tool. Every value comes from
// recipe data or the build's options, so parsing is strict.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "error.h"
#include "extract.h"
#include "locate.h"
#include "pinned_files.h"

namespace allocpipe {

struct CliArgs {
  std::filesystem::path cache, dest, record;
  SourceSpec spec;
  LocateOptions options;
  ExtractLimits extract_limits;
  std::vector<PinnedFile> pins;
  bool help = false;  // --help: print cli_usage and exit 0
};

extern const char* const cli_usage;

// `args` excludes the program name. Throws UsageError naming the bad flag.
CliArgs parse_cli(const std::vector<std::string>& args);

}  // namespace allocpipe
