// Errors carry their context as text: the operator reading a failed build
// needs "which file, which place, what was expected, what was seen". Callers
// decide by type, never by text: every Error carries the class of failure
// that becomes allocpipe-fetch's exit status (README, "Exit status").
#pragma once
#include <stdexcept>
#include <string>

namespace allocpipe {

// allocpipe-fetch's exit statuses; the build (cmake/BuildLibrary.cmake)
// decides by these alone.
enum class Status : int {
  ok = 0,
  failed = 1,       // anything else: extraction refused, I/O, the cache, a missing pinned file
  usage = 2,        // bad flags or recipe-derived arguments
  not_served = 3,   // no place serves the source (not found, unreachable, skipped)
  wrong_bytes = 4,  // some place served bytes that do not hash to the pin: never skipped
};

struct Error : std::runtime_error {
  explicit Error(const std::string& what, Status status = Status::failed) : std::runtime_error(what), status_(status) {}
  Status status() const { return status_; }

 private:
  Status status_;
};

// Bad command line or recipe data.
struct UsageError : Error {
  explicit UsageError(const std::string& what) : Error(what, Status::usage) {}
};

// One place does not serve the file: HTTP 404, a connection error, apt's
// refusal, a missing or non-regular mirror file.
struct NotServed : Error {
  explicit NotServed(const std::string& what) : Error(what, Status::not_served) {}
};

// Bytes that do not hash to their pin: the source, the Debian alternate, a
// pinned license file, or the archive changing between verification and
// extraction.
struct WrongBytes : Error {
  explicit WrongBytes(const std::string& what) : Error(what, Status::wrong_bytes) {}
};

// `text` (a name from an archive, say) fit for a terminal or a log: every
// byte outside printable ASCII, and the backslash, as \xNN. No raw control
// character (an escape sequence, a newline) from an archive reaches stderr.
inline std::string printable(const std::string& text) {
  static const char* const digits = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && u != '\\') {
      out.push_back(c);
    } else {
      out += "\\x";
      out.push_back(digits[u >> 4]);
      out.push_back(digits[u & 0xf]);
    }
  }
  return out;
}

}  // namespace allocpipe
