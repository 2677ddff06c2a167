// What the superbuild says about one library: its status/<id>.status file,
// "BUILT: <id>: <library>" or "NOT BUILT: <id>: <reason>". A failed build
// leaves no status file (cmake/BuildLibrary.cmake removes it first).
#pragma once

#include <string>

namespace apq {

struct BuildStatus {
  bool built = false;  // "BUILT: ..."
  std::string reason;  // for "NOT BUILT: ...": the rest of the first line
};

// Throws std::runtime_error naming the file when it is missing, unreadable or
// says anything but BUILT / NOT BUILT (a failed or unfinished build).
BuildStatus read_build_status(const std::string& file);

}  // namespace apq
