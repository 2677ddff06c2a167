#include "metrics.h"

#include <functional>

namespace allocpipe::host {

std::string prometheus_label_value(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out.push_back(c);
  }
  return out;
}

namespace {

struct Family {
  const char* name;
  const char* help;
  std::function<std::optional<double>(const UnitStatus&)> value;
};

std::string labels(const UnitStatus& s, const Installed& installed) {
  // The configured library describes the series: what the operator asked for.
  const Library* l = s.configured_id.empty() ? nullptr : installed.by_id(s.configured_id);
  std::string id = l ? l->id : s.configured.empty() ? "none" : "other";
  std::string allocator = l ? l->allocator : s.configured.empty() ? "glibc" : "unknown";
  auto pair = [](const char* k, const std::string& v) {
    return std::string(k) + "=\"" + prometheus_label_value(v) + "\"";
  };
  return pair("unit", s.unit) + "," + pair("library_id", id) + "," + pair("allocator", allocator) + "," +
         pair("version", l ? l->version : "") + "," + pair("variant", l ? l->variant : "");
}

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

std::string metrics_text(const std::vector<UnitStatus>& rows, const Installed& installed,
                         std::optional<std::uint64_t> max_map_count) {
  const std::vector<Family> families = {
      {"allocpipe_unit_active", "1 when the unit is active (has a main process)",
       [](const UnitStatus& s) { return std::optional<double>(s.running() ? 1 : 0); }},
      {"allocpipe_unit_rss_bytes", "Resident set size of the unit's main process (smaps_rollup Rss)",
       [](const UnitStatus& s) { return s.rss_bytes ? std::optional<double>(double(*s.rss_bytes)) : std::nullopt; }},
      {"allocpipe_unit_anonymous_bytes", "Anonymous memory of the unit's main process (smaps_rollup Anonymous)",
       [](const UnitStatus& s) {
         return s.anonymous_bytes ? std::optional<double>(double(*s.anonymous_bytes)) : std::nullopt;
       }},
      {"allocpipe_unit_memory_mappings",
       "Number of memory mappings of the main process (compare allocpipe_vm_max_map_count)",
       [](const UnitStatus& s) { return s.map_count ? std::optional<double>(double(*s.map_count)) : std::nullopt; }},
      {"allocpipe_unit_restarts",
       "systemd's NRestarts of the unit (automatic restarts since it was last started by hand)",
       [](const UnitStatus& s) { return std::optional<double>(s.restarts); }},
  };
  std::string out;
  for (const Family& f : families) {
    out += std::string("# HELP ") + f.name + " " + f.help + "\n# TYPE " + f.name + " gauge\n";
    for (const UnitStatus& s : rows)
      if (auto v = f.value(s)) out += std::string(f.name) + "{" + labels(s, installed) + "} " + number(*v) + "\n";
  }
  out +=
      "# HELP allocpipe_unit_allocator_match 1 when the library the unit is configured to preload is the one mapped in "
      "its main process\n"
      "# TYPE allocpipe_unit_allocator_match gauge\n";
  for (const UnitStatus& s : rows) {
    if (!s.match) continue;
    const std::string mapped = s.mapped_id.empty() ? (s.mapped_library.empty() ? "none" : "other") : s.mapped_id;
    out += "allocpipe_unit_allocator_match{" + labels(s, installed) + ",mapped_library_id=\"" +
           prometheus_label_value(mapped) + "\"} " + (*s.match ? "1" : "0") + "\n";
  }
  out += "# HELP allocpipe_vm_max_map_count The kernel's vm.max_map_count\n# TYPE allocpipe_vm_max_map_count gauge\n";
  if (max_map_count) out += "allocpipe_vm_max_map_count " + number(double(*max_map_count)) + "\n";
  out += "# HELP allocpipe_metrics_units Units described in this file\n# TYPE allocpipe_metrics_units gauge\n";
  out += "allocpipe_metrics_units " + std::to_string(rows.size()) + "\n";
  return out;
}

}  // namespace allocpipe::host
