// samples.csv: one line per unit and sampling round, appended by the
// experiment's timer (`experiment sample NAME`). Each line is written with
// one write() on an O_APPEND descriptor under flock and fsynced, so a crash
// or two samplers at once never leave half a line; the header is written
// once, by whoever finds the file empty.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace allocpipe::host::experiment {

struct SampleRow {
  std::string time;  // RFC 3339, UTC
  std::string host, boot_id, unit, arm;
  std::string library;     // the arm's library id, "glibc"
  std::string configured;  // as configured: library id, else the LD_PRELOAD value, "none"
  std::string mapped;      // as mapped: library id, else the mapped allocator file, "glibc"
  std::string state;       // ActiveState, "not-found" when the unit vanished
  std::uint32_t main_pid = 0, restarts = 0;
  std::optional<std::uint64_t> rss_bytes, anonymous_bytes, mappings, uptime_seconds;
  bool valid = false;  // running, measured, and mapping its arm's library (nothing else)
  std::string note;    // why a sample is invalid, or what happened to the unit

  double epoch() const;  // seconds since 1970 from `time`
};

const std::vector<std::string>& sample_columns();
std::string sample_line(const SampleRow& row);  // with the trailing newline

// Appends `rows` to `path` (created 0644 with the header when missing or empty).
void append_samples(const std::filesystem::path& path, const std::vector<SampleRow>& rows);

// Parses a whole samples.csv; errors name `what` and the line. A last line
// without its newline (a crash mid-write on a file system that allows it) is
// ignored, not an error.
std::vector<SampleRow> parse_samples(const std::string& text, const std::string& what);

// RFC 3339 "YYYY-MM-DDTHH:MM:SSZ" <-> seconds since 1970.
double parse_time(const std::string& text, const std::string& what);
std::string format_time(double epoch);

}  // namespace allocpipe::host::experiment
