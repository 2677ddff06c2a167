// libFuzzer target: the C++ parsers of recipe-derived data. Recipes and
// .hash files are parsed by CMake (cmake/Recipes.cmake, covered by the
// config tests); what they produce reaches the fetcher as command-line flags
// (--pin PATH=HEX, --debian PKG=VERSION, numbers, names). The input is split
// at NUL bytes into an argument vector for parse_cli, and given whole to
// parse_pinned_file. Only allocpipe::Error may escape.
#include <cstdint>
#include <string>
#include <vector>

#include "cli.h"
#include "error.h"
#include "pinned_files.h"
#include "sha256.h"

using namespace allocpipe;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> args;
  std::string current;
  for (char c : text) {
    if (c == '\0') {
      args.push_back(current);
      current.clear();
    } else {
      current.push_back(c);
    }
  }
  args.push_back(current);
  try {
    const CliArgs parsed = parse_cli(args);
    for (const auto& pin : parsed.pins)
      if (pin.path.empty() || pin.path.front() == '/' || pin.path.find("..") != std::string::npos ||
          !is_sha256_hex(pin.sha256))
        __builtin_trap();  // parse_cli accepted a pin that escapes the tree
  } catch (const Error&) {
  }
  try {
    const PinnedFile pin = parse_pinned_file(text);
    if (pin.path.find('\0') != std::string::npos || !is_sha256_hex(pin.sha256)) __builtin_trap();
  } catch (const Error&) {
  }
  return 0;
}
