#include "http.h"

#include <curl/curl.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>

#include "error.h"
#include "sha256.h"

namespace allocpipe {
namespace {

struct CurlFree {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
using CurlHandle = std::unique_ptr<CURL, CurlFree>;

struct FileClose {
  void operator()(std::FILE* file) const { std::fclose(file); }
};
using File = std::unique_ptr<std::FILE, FileClose>;

void global_init_once() {
  static const CURLcode code = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (code != CURLE_OK) throw Error(std::string("libcurl initialisation failed: ") + curl_easy_strerror(code));
}

struct Sink {
  std::FILE* file;
  Sha256 hash;
  std::int64_t written = 0;
  std::int64_t max_bytes;
  bool too_large = false;
  bool write_failed = false;
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const size_t bytes = size * count;
  if (sink->written + static_cast<std::int64_t>(bytes) > sink->max_bytes) {
    sink->too_large = true;
    return 0;  // makes curl fail with CURLE_WRITE_ERROR
  }
  if (std::fwrite(data, 1, bytes, sink->file) != bytes) {
    sink->write_failed = true;
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
  std::string sha256;
  std::string failure;
};

Attempt attempt_once(const std::string& url, const std::filesystem::path& out,
                     const DownloadLimits& limits, Reporter& reporter) {
  File file(std::fopen(out.c_str(), "wb"));
  if (!file) throw Error("cannot write " + out.string());
  CurlHandle curl(curl_easy_init());
  if (!curl) throw Error("libcurl could not create a handle");
  Sink sink{file.get(), Sha256{}, 0, limits.max_bytes};
  ProgressState progress{&reporter, out.filename().string()};
  char error_text[CURL_ERROR_SIZE] = {0};
  CURL* h = curl.get();
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_text);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, &progress);
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(h, CURLOPT_MAXREDIRS, limits.max_redirects);
  // Only http(s), also after redirects: a redirect to file:// must not read local files.
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, limits.connect_timeout_s);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, limits.low_speed_bytes);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, limits.low_speed_time_s);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, limits.max_time_s);
  curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(limits.max_bytes));
  curl_easy_setopt(h, CURLOPT_USERAGENT, "allocpipe-fetch/1");
  // No CURLOPT_ACCEPT_ENCODING: the hash must cover the bytes as served.

  const CURLcode code = curl_easy_perform(h);
  reporter.finish_progress();
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  if (std::fflush(file.get()) != 0 || sink.write_failed)
    throw Error("writing " + out.string() + " failed (disk full?)");

  Attempt result;
  if (code == CURLE_OK && status == 200) {
    result.ok = true;
    result.sha256 = sink.hash.hex_digest();
    return result;
  }
  if (sink.too_large || code == CURLE_FILESIZE_EXCEEDED) {
    result.failure = "body larger than the limit of " + std::to_string(limits.max_bytes) + " bytes";
  } else if (code != CURLE_OK) {
    result.failure = "curl error " + std::to_string(code) + ": " +
                     (error_text[0] ? error_text : curl_easy_strerror(code));
  } else {
    result.failure = "HTTP " + std::to_string(status);
  }
  result.retry = !sink.too_large && transient(code, status);
  return result;
}

}  // namespace

std::string download(const std::string& url, const std::filesystem::path& out,
                     const DownloadLimits& limits, Reporter& reporter) {
  global_init_once();
  std::string failure;
  for (int attempt = 1; attempt <= limits.attempts; ++attempt) {
    Attempt result = attempt_once(url, out, limits, reporter);
    if (result.ok) return result.sha256;
    failure = result.failure;
    if (!result.retry || attempt == limits.attempts) break;
    reporter.step(url + ": " + failure + "; retrying (" + std::to_string(attempt + 1) + "/" +
                  std::to_string(limits.attempts) + ")");
    std::this_thread::sleep_for(std::chrono::seconds(attempt));
  }
  throw Error(failure);
}

}  // namespace allocpipe
