#include "status.h"

#include <cstdio>
#include <sstream>

#include "dropin.h"
#include "error.h"
#include "probe.h"
#include "procfs.h"

namespace allocpipe::host {

UnitStatus inspect_unit(const UnitInfo& info, const Installed& installed, bool our_drop_in_loaded,
                        std::uint64_t now_usec) {
  UnitStatus s;
  s.unit = info.name;
  s.active_state = info.active_state;
  s.sub_state = info.sub_state;
  s.main_pid = info.main_pid;
  s.restarts = info.n_restarts;
  if (info.main_pid && info.exec_main_start_usec && now_usec > info.exec_main_start_usec)
    s.uptime_seconds = (now_usec - info.exec_main_start_usec) / 1000000;
  if (auto preload = preload_of(info.environment)) {
    s.configured = split_preload(*preload);
    s.configured_source = our_drop_in_loaded ? "drop-in" : "environment";
    for (const std::string& entry : s.configured)
      if (const Library* l = installed.by_path(entry)) s.configured_id = l->id;
  }
  if (!info.main_pid) return s;

  ProcessView view;
  try {
    view = read_process(info.main_pid);
  } catch (const SystemError& e) {
    s.problem = e.what();
    s.match = false;
    return s;
  }
  s.map_count = view.maps.size();
  if (view.memory) {
    s.rss_bytes = view.memory->rss_bytes;
    s.anonymous_bytes = view.memory->anonymous_bytes;
  }
  // The allocator mapped: one of our libraries, else any allocator-named file.
  for (const Mapping& m : view.maps) {
    if (m.path.empty() || m.path[0] != '/' || m.inode == 0) continue;
    const Library* l = installed.by_path(m.path);
    if (!l && m.deleted) {
      for (const Library& candidate : installed.libraries)
        if (candidate.path == m.path) l = &candidate;
    }
    const std::string family = l ? l->allocator : allocator_family_of(m.path);
    if (family.empty()) continue;
    s.mapped_library = m.path;
    s.mapped_deleted = m.deleted;
    s.allocator = family;
    if (l) {
      s.mapped_id = l->id;
      s.version = l->version;
      s.variant = l->variant;
    } else {
      s.allocator = family;
    }
    break;
  }
  std::string maps_text;
  {
    std::ostringstream text;
    for (const Mapping& m : view.maps)
      text << std::hex << m.start << '-' << m.end << ' ' << m.perms << ' ' << m.offset << ' ' << m.device << ' '
           << std::dec << m.inode << ' ' << m.path << '\n';
    maps_text = text.str();
  }
  for (const std::string& entry : s.configured)
    if (!maps_library(maps_text, entry)) s.missing.push_back(entry);
  const bool allocator_configured = !s.configured.empty();
  s.match = allocator_configured ? s.missing.empty() && !s.mapped_deleted : s.mapped_library.empty();
  return s;
}

std::string human_bytes(std::uint64_t bytes) {
  char buf[32];
  if (bytes >= (1ull << 30))
    std::snprintf(buf, sizeof buf, "%.2f GiB", bytes / double(1ull << 30));
  else if (bytes >= (1ull << 20))
    std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / double(1ull << 20));
  else
    std::snprintf(buf, sizeof buf, "%llu KiB", static_cast<unsigned long long>(bytes / 1024));
  return buf;
}

namespace {

Json opt(const std::optional<std::uint64_t>& v) { return v ? Json(static_cast<unsigned long long>(*v)) : Json(); }
Json text_or_null(const std::string& s) { return s.empty() ? Json() : Json(s); }

std::string joined(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

std::string uptime_text(const std::optional<std::uint64_t>& s) {
  if (!s) return "-";
  const auto d = *s / 86400, h = (*s % 86400) / 3600, m = (*s % 3600) / 60, sec = *s % 60;
  char buf[48];
  if (d)
    std::snprintf(buf, sizeof buf, "%llud%02lluh", (unsigned long long)d, (unsigned long long)h);
  else if (h)
    std::snprintf(buf, sizeof buf, "%lluh%02llum", (unsigned long long)h, (unsigned long long)m);
  else
    std::snprintf(buf, sizeof buf, "%llum%02llus", (unsigned long long)m, (unsigned long long)sec);
  return buf;
}

}  // namespace

Json status_json(const std::vector<UnitStatus>& rows, std::optional<std::uint64_t> max_map_count) {
  Json out;
  bool ok = true;
  Json::Array units;
  for (const UnitStatus& s : rows) {
    Json u;
    u["unit"] = s.unit;
    u["active_state"] = s.active_state;
    u["sub_state"] = s.sub_state;
    u["main_pid"] = s.main_pid;
    u["uptime_seconds"] = opt(s.uptime_seconds);
    u["restarts"] = s.restarts;
    u["configured_source"] = s.configured_source;
    u["configured_library"] = s.configured.empty() ? Json() : Json(joined(s.configured, " "));
    u["configured_id"] = text_or_null(s.configured_id);
    u["mapped_library"] = text_or_null(s.mapped_library);
    u["mapped_deleted"] = s.mapped_deleted;
    u["mapped_id"] = text_or_null(s.mapped_id);
    u["allocator"] = s.running() ? Json(s.allocator) : Json();
    u["version"] = text_or_null(s.version);
    u["variant"] = text_or_null(s.variant);
    u["match"] = s.match ? Json(*s.match) : Json();
    u["rss_bytes"] = opt(s.rss_bytes);
    u["anonymous_bytes"] = opt(s.anonymous_bytes);
    u["map_count"] = opt(s.map_count);
    u["problem"] = text_or_null(s.problem);
    if (s.match && !*s.match) ok = false;
    units.push_back(std::move(u));
  }
  out["ok"] = ok;
  out["max_map_count"] = opt(max_map_count);
  out["units"] = Json(std::move(units));
  return out;
}

std::string status_table(const std::vector<UnitStatus>& rows, std::optional<std::uint64_t> max_map_count) {
  std::vector<std::vector<std::string>> table = {
      {"UNIT", "STATE", "CONFIGURED", "MAPPED", "OK", "UPTIME", "RESTARTS", "RSS", "ANON", "MAPS"}};
  for (const UnitStatus& s : rows) {
    std::string configured =
        s.configured.empty() ? "none (glibc)" : (s.configured_id.empty() ? joined(s.configured, " ") : s.configured_id);
    if (!s.configured.empty()) configured += s.configured_source == "drop-in" ? " [allocpipe]" : " [environment]";
    std::string mapped = !s.running()               ? "-"
                         : s.mapped_library.empty() ? "none (glibc)"
                                                    : (s.mapped_id.empty() ? s.mapped_library : s.mapped_id);
    if (s.mapped_deleted) mapped += " (deleted: restart)";
    std::string ok = !s.match ? "-" : *s.match ? "yes" : "MISMATCH";
    std::string maps = "-";
    if (s.map_count) maps = std::to_string(*s.map_count) + (max_map_count ? "/" + std::to_string(*max_map_count) : "");
    table.push_back({s.unit, s.active_state + "/" + s.sub_state, configured, mapped, ok, uptime_text(s.uptime_seconds),
                     std::to_string(s.restarts), s.rss_bytes ? human_bytes(*s.rss_bytes) : "-",
                     s.anonymous_bytes ? human_bytes(*s.anonymous_bytes) : "-", maps});
  }
  std::vector<std::size_t> width(table[0].size(), 0);
  for (const auto& row : table)
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  std::string out;
  for (const auto& row : table) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    out += line + "\n";
  }
  for (const UnitStatus& s : rows) {
    if (!s.missing.empty())
      out += s.unit + ": configured " + joined(s.missing, " ") + " is not mapped in MainPID " +
             std::to_string(s.main_pid) + " (missing file, ignored by the loader, or not restarted since)\n";
    if (!s.problem.empty()) out += s.unit + ": " + s.problem + "\n";
  }
  return out;
}

}  // namespace allocpipe::host
