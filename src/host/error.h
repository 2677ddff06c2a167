// Errors carry their context as text (which unit, which file, what was
// expected) and the exit status the command ends with; callers and scripts
// act on the status, never on the words.
#pragma once
#include <stdexcept>
#include <string>

namespace allocpipe::host {

enum Exit : int {
  exit_ok = 0,
  exit_failed = 1,   // verification mismatch, a unit failed (and was put back)
  exit_usage = 2,    // bad command line or input: unknown id, pattern matching nothing, ...
  exit_refused = 3,  // a pre-check refused; nothing was changed
  exit_system = 4,   // D-Bus / I/O failure mid-way; the journal is kept for `rollback`
  exit_busy = 5,     // another allocpipe-host holds the lock
};

struct Error : std::runtime_error {
  Error(Exit status, const std::string& what) : std::runtime_error(what), status(status) {}
  Exit status;
};

struct UsageError : Error {
  explicit UsageError(const std::string& what) : Error(exit_usage, what) {}
};
struct Refused : Error {
  explicit Refused(const std::string& what) : Error(exit_refused, what) {}
};
struct SystemError : Error {
  explicit SystemError(const std::string& what) : Error(exit_system, what) {}
};

// "<context>: <strerror(err)>"
std::string errno_text(const std::string& context, int err);

}  // namespace allocpipe::host
