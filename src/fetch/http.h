// HTTP(S) download into a file, hashed while streaming. Never resumes:
// a retry truncates and starts again, so a server that ignores Range can
// never make us append to a stale prefix.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>

#include "report.h"

namespace allocpipe {

struct DownloadLimits {
  long connect_timeout_s = 15;
  long low_speed_bytes = 1024;   // abort when slower than this ...
  long low_speed_time_s = 30;    // ... for this long
  long max_time_s = 900;         // whole transfer, per attempt
  std::int64_t max_bytes = std::int64_t{1} << 30;
  int attempts = 3;              // transient failures only; 404 is final
  long max_redirects = 5;
};

// Downloads `url` into `out` (created or truncated) and returns the SHA-256
// of the bytes written. Throws Error naming the URL and the cause
// ("HTTP 404", "curl error 28: ...") after the last attempt.
std::string download(const std::string& url, const std::filesystem::path& out,
                     const DownloadLimits& limits, Reporter& reporter);

}  // namespace allocpipe
