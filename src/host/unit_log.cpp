#include "unit_log.h"

#include <systemd/sd-journal.h>

#include <cstring>
#include <deque>
#include <memory>

namespace allocpipe::host {

namespace {

struct JournalDeleter {
  void operator()(sd_journal* j) const { sd_journal_close(j); }
};
using JournalPtr = std::unique_ptr<sd_journal, JournalDeleter>;

std::string field(sd_journal* j, const char* name) {
  const void* data = nullptr;
  size_t length = 0;
  if (sd_journal_get_data(j, name, &data, &length) < 0) return "";
  const std::size_t prefix = std::strlen(name) + 1;  // "NAME="
  if (length < prefix) return "";
  return std::string(static_cast<const char*>(data) + prefix, length - prefix);
}

}  // namespace

bool is_loader_error(const std::string& message) {
  return message.find("ERROR: ld.so:") != std::string::npos || message.find("cannot be preloaded") != std::string::npos;
}

UnitLog read_unit_log(const std::string& unit, std::uint64_t since_usec, std::size_t last_n) {
  UnitLog out;
  sd_journal* raw = nullptr;
  int r = sd_journal_open(&raw, SD_JOURNAL_LOCAL_ONLY);
  JournalPtr journal(raw);
  if (r < 0) {
    out.problem = std::string("cannot open the systemd journal: ") + std::strerror(-r);
    return out;
  }
  const std::string by_process = "_SYSTEMD_UNIT=" + unit, about = "UNIT=" + unit;
  if (sd_journal_add_match(raw, by_process.c_str(), 0) < 0 || sd_journal_add_disjunction(raw) < 0 ||
      sd_journal_add_match(raw, about.c_str(), 0) < 0) {
    out.problem = "cannot filter the journal for " + unit;
    return out;
  }
  if (since_usec > 0) {
    if (sd_journal_seek_realtime_usec(raw, since_usec) >= 0) {
      while (sd_journal_next(raw) > 0) {
        std::uint64_t t = 0;
        if (sd_journal_get_realtime_usec(raw, &t) >= 0 && t < since_usec) continue;
        const std::string message = field(raw, "MESSAGE");
        if (is_loader_error(message)) out.loader_errors.push_back(message);
      }
    }
  }
  std::deque<std::string> last;
  if (sd_journal_seek_tail(raw) >= 0) {
    for (std::size_t i = 0; i < last_n && sd_journal_previous(raw) > 0; ++i) last.push_front(field(raw, "MESSAGE"));
  }
  out.last_lines.assign(last.begin(), last.end());
  return out;
}

}  // namespace allocpipe::host
