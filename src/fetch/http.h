// HTTP(S) download into a file, hashed while streaming. Never resumes and
// never sends Range: a retry truncates and starts again, so a server that
// ignores Range can never make us append to a stale prefix. Only http and
// https, also across redirects; bodies are stored exactly as served (no
// content decoding), so the hash covers the raw bytes.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>

#include "report.h"

namespace allocpipe {

// Worst case for one URL: attempts x max_time_s plus the retry delays
// (retry_delay_ms x 1, 2, ... between attempts).
struct DownloadLimits {
  long connect_timeout_s = 15;
  long low_speed_bytes = 1024;   // abort when slower than this ...
  long low_speed_time_s = 30;    // ... for this long
  long max_time_s = 900;         // whole transfer, per attempt
  std::int64_t max_bytes = std::int64_t{1} << 30;
  int attempts = 3;              // transient failures only (5xx, 408, 429, resets, timeouts); 404 is final
  long max_redirects = 5;
  long retry_delay_ms = 1000;
};

struct Downloaded {
  std::string sha256;        // of the bytes written
  std::string content_type;  // as the server declared it, for error messages
};

// Downloads `url` into `out`, which must not exist yet (it is created with
// O_EXCL and never through a symlink). Throws NotServed naming the cause
// ("HTTP 404", "curl error 28: ...") after the last attempt, or Error for a
// local failure ("writing ... failed: No space left on device"); the caller
// adds the URL.
Downloaded download(const std::string& url, const std::filesystem::path& out, const DownloadLimits& limits,
                    Reporter& reporter);

}  // namespace allocpipe
