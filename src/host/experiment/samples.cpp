#include "samples.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <map>

#include "csv.h"
#include "error.h"
#include "fs.h"

namespace allocpipe::host::experiment {

namespace {

std::string opt(const std::optional<std::uint64_t>& v) { return v ? std::to_string(*v) : ""; }

std::optional<std::uint64_t> opt_number(const std::string& s, const std::string& what) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(s.c_str(), &end, 10);
  if (errno != 0 || *end != '\0' || s[0] == '-') throw UsageError(what + ": expected a whole number, got '" + s + "'");
  return v;
}

}  // namespace

const std::vector<std::string>& sample_columns() {
  static const std::vector<std::string> c = {"time",       "host",     "boot_id",  "unit",          "arm",
                                             "library",    "configured", "mapped", "state",         "main_pid",
                                             "rss_bytes",  "anonymous_bytes", "mappings", "restarts", "uptime_seconds",
                                             "valid",      "note"};
  return c;
}

std::string sample_line(const SampleRow& r) {
  return apq::csv_row({r.time, r.host, r.boot_id, r.unit, r.arm, r.library, r.configured, r.mapped, r.state,
                       std::to_string(r.main_pid), opt(r.rss_bytes), opt(r.anonymous_bytes), opt(r.mappings),
                       std::to_string(r.restarts), opt(r.uptime_seconds), r.valid ? "1" : "0", r.note});
}

void append_samples(const std::filesystem::path& path, const std::vector<SampleRow>& rows) {
  const bool existed = std::filesystem::exists(path);
  Fd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644));
  if (!fd) throw SystemError(errno_text("opening " + path.string() + " to append samples", errno));
  while (::flock(fd.get(), LOCK_EX) < 0) {
    if (errno != EINTR) throw SystemError(errno_text("locking " + path.string(), errno));
  }
  struct stat st{};
  if (::fstat(fd.get(), &st) < 0) throw SystemError(errno_text("stat " + path.string(), errno));
  if (st.st_size == 0) write_all(fd.get(), apq::csv_row(sample_columns()), path.string());
  for (const SampleRow& r : rows) write_all(fd.get(), sample_line(r), path.string());
  if (::fsync(fd.get()) < 0) throw SystemError(errno_text("fsync " + path.string(), errno));
  if (!existed) fsync_dir(path.parent_path());
}

std::vector<SampleRow> parse_samples(const std::string& text, const std::string& what) {
  // A torn last line is dropped before parsing.
  std::string body = text;
  if (!body.empty() && body.back() != '\n') body.erase(body.rfind('\n') == std::string::npos ? 0 : body.rfind('\n') + 1);
  const auto rows = apq::parse_csv(body);
  if (rows.empty()) throw UsageError(what + ": empty, expected the header " + apq::csv_row(sample_columns()));
  const auto& cols = sample_columns();
  std::map<std::string, std::size_t> at;
  for (std::size_t i = 0; i < rows[0].size(); ++i) at[rows[0][i]] = i;
  for (const std::string& c : cols)
    if (!at.count(c)) throw UsageError(what + ": the header lacks the column '" + c + "' (expected " + apq::csv_row(cols).substr(0, 200) + ")");
  std::vector<SampleRow> out;
  for (std::size_t n = 1; n < rows.size(); ++n) {
    const auto& f = rows[n];
    if (f.size() == 1 && f[0].empty()) continue;
    const std::string where = what + " line " + std::to_string(n + 1);
    if (f.size() != rows[0].size())
      throw UsageError(where + ": " + std::to_string(f.size()) + " fields, expected " + std::to_string(rows[0].size()));
    auto get = [&](const char* c) -> const std::string& { return f[at[c]]; };
    SampleRow r;
    r.time = get("time");
    parse_time(r.time, where + ": time");
    r.host = get("host");
    r.boot_id = get("boot_id");
    r.unit = get("unit");
    r.arm = get("arm");
    r.library = get("library");
    r.configured = get("configured");
    r.mapped = get("mapped");
    r.state = get("state");
    r.main_pid = static_cast<std::uint32_t>(opt_number(get("main_pid"), where + ": main_pid").value_or(0));
    r.rss_bytes = opt_number(get("rss_bytes"), where + ": rss_bytes");
    r.anonymous_bytes = opt_number(get("anonymous_bytes"), where + ": anonymous_bytes");
    r.mappings = opt_number(get("mappings"), where + ": mappings");
    r.restarts = static_cast<std::uint32_t>(opt_number(get("restarts"), where + ": restarts").value_or(0));
    r.uptime_seconds = opt_number(get("uptime_seconds"), where + ": uptime_seconds");
    const std::string& v = get("valid");
    if (v != "0" && v != "1") throw UsageError(where + ": valid: expected 0 or 1, got '" + v + "'");
    r.valid = v == "1";
    r.note = get("note");
    out.push_back(std::move(r));
  }
  return out;
}

double SampleRow::epoch() const { return parse_time(time, "sample time"); }

double parse_time(const std::string& text, const std::string& what) {
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (end == nullptr || *end != '\0') throw UsageError(what + ": expected a time such as 2026-12-01T08:00:00Z, got '" + text + "'");
  return static_cast<double>(timegm(&tm));
}

std::string format_time(double epoch) {
  const std::time_t t = static_cast<std::time_t>(epoch);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace allocpipe::host::experiment
