#include "http.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <thread>

#include "error.h"
#include "fd.h"
#include "sha256.h"

namespace allocpipe {
namespace {

struct CurlFree {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
using CurlHandle = std::unique_ptr<CURL, CurlFree>;

void global_init_once() {
  static const CURLcode code = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (code != CURLE_OK) throw Error(std::string("libcurl initialisation failed: ") + curl_easy_strerror(code));
}

struct Sink {
  int fd;
  Sha256 hash;
  std::int64_t written = 0;
  std::int64_t max_bytes;
  bool too_large = false;
  int write_errno = 0;  // set when the disk refused the bytes
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const size_t bytes = size * count;
  if (sink->written + static_cast<std::int64_t>(bytes) > sink->max_bytes) {
    sink->too_large = true;
    return 0;  // makes curl fail with CURLE_WRITE_ERROR
  }
  // Hash only what the disk accepted: a short write must never be hashed
  // as if it were complete.
  if (const int error = write_all(sink->fd, data, bytes)) {
    sink->write_errno = error;
    return 0;
  }
  sink->hash.update(data, bytes);
  sink->written += static_cast<std::int64_t>(bytes);
  return bytes;
}

struct ProgressState {
  Reporter* reporter;
  std::string label;
};

int on_progress(void* user, curl_off_t total, curl_off_t done, curl_off_t, curl_off_t) {
  auto* state = static_cast<ProgressState*>(user);
  state->reporter->progress(state->label, done, total);
  return 0;
}

bool transient(CURLcode code, long status) {
  if (code == CURLE_OK) return status == 408 || status == 429 || status >= 500;
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

struct Attempt {
  bool ok = false;
  bool retry = false;
  Downloaded result;
  std::string failure;
};

std::string info_string(CURL* h, CURLINFO what) {
  char* text = nullptr;
  if (curl_easy_getinfo(h, what, &text) == CURLE_OK && text) return text;
  return "";
}

Attempt attempt_once(const std::string& url, int fd, const std::string& out_name, const DownloadLimits& limits,
                     Reporter& reporter) {
  // Every attempt starts from an empty file: nothing is ever appended.
  if (::ftruncate(fd, 0) != 0 || ::lseek(fd, 0, SEEK_SET) != 0)
    throw Error("cannot truncate " + out_name + ": " + errno_text(errno));
  CurlHandle curl(curl_easy_init());
  if (!curl) throw Error("libcurl could not create a handle");
  Sink sink{fd, Sha256{}, 0, limits.max_bytes};
  ProgressState progress{&reporter, std::filesystem::path(out_name).filename().string()};
  char error_text[CURL_ERROR_SIZE] = {0};
  CURL* h = curl.get();
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_text);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, &progress);
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(h, CURLOPT_MAXREDIRS, limits.max_redirects);
  // Only http(s), also after redirects: a redirect to file:// must not read local files.
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
  curl_easy_setopt(h, CURLOPT_HTTP09_ALLOWED, 0L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, limits.connect_timeout_s);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, limits.low_speed_bytes);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, limits.low_speed_time_s);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, limits.max_time_s);
  curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(limits.max_bytes));
  curl_easy_setopt(h, CURLOPT_USERAGENT, "allocpipe-fetch/1");
  // No CURLOPT_ACCEPT_ENCODING, and decoding off even if a server sends
  // Content-Encoding unasked: the hash must cover the bytes as served.
  curl_easy_setopt(h, CURLOPT_HTTP_CONTENT_DECODING, 0L);

  const CURLcode code = curl_easy_perform(h);
  reporter.finish_progress();
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  if (sink.write_errno != 0)
    throw Error("writing " + out_name + " failed: " + errno_text(sink.write_errno));

  Attempt result;
  result.result.content_type = info_string(h, CURLINFO_CONTENT_TYPE);
  if (code == CURLE_OK && status == 200) {
    result.ok = true;
    result.result.sha256 = sink.hash.hex_digest();
    return result;
  }
  if (sink.too_large || code == CURLE_FILESIZE_EXCEEDED) {
    result.failure = "body larger than the limit of " + std::to_string(limits.max_bytes) + " bytes";
  } else if (code != CURLE_OK) {
    result.failure = "curl error " + std::to_string(code) + ": " +
                     (error_text[0] ? error_text : curl_easy_strerror(code));
  } else if (status == 206) {
    result.failure = "HTTP 206 (a partial body, though no range was asked for)";
  } else {
    result.failure = "HTTP " + std::to_string(status);
  }
  // Name where redirects led, so "file://" or a loop is visible in the report.
  const std::string effective = info_string(h, CURLINFO_EFFECTIVE_URL);
  const std::string next = info_string(h, CURLINFO_REDIRECT_URL);
  if (!next.empty() && code != CURLE_OK)
    result.failure += " (redirected to " + next + ")";
  else if (!effective.empty() && effective != url)
    result.failure += " (redirected to " + effective + ")";
  result.retry = !sink.too_large && transient(code, status);
  return result;
}

}  // namespace

Downloaded download(const std::string& url, const std::filesystem::path& out, const DownloadLimits& limits,
                    Reporter& reporter) {
  global_init_once();
  const Fd fd(::open(out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!fd) throw Error("cannot create " + out.string() + ": " + errno_text(errno));
  std::string failure;
  const int attempts = limits.attempts < 1 ? 1 : limits.attempts;
  int made = 0;
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    ++made;
    Attempt result = attempt_once(url, fd.get(), out.string(), limits, reporter);
    if (result.ok) return result.result;
    failure = result.failure;
    if (!result.retry || attempt == attempts) break;
    reporter.step(url + ": " + failure + "; retrying (" + std::to_string(attempt + 1) + "/" +
                  std::to_string(attempts) + ")");
    std::this_thread::sleep_for(std::chrono::milliseconds(limits.retry_delay_ms * attempt));
  }
  if (made > 1) failure += " (gave up after " + std::to_string(made) + " attempts)";
  throw NotServed(failure);
}

}  // namespace allocpipe
