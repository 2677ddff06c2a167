#include "units.h"

#include <time.h>

#include <algorithm>
#include <set>

#include "dropin.h"
#include "error.h"
#include "patterns.h"

namespace allocpipe::host {

std::uint64_t realtime_usec() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000u + static_cast<std::uint64_t>(ts.tv_nsec) / 1000u;
}

std::vector<std::string> resolve_units(Systemd& systemd, const std::vector<std::string>& patterns) {
  std::vector<std::string> globs, names;
  for (const std::string& p : patterns) (has_glob(p) ? globs : names).push_back(p);
  std::set<std::string> units;
  std::vector<std::string> problems;
  if (!globs.empty()) {
    std::vector<std::string> loaded = systemd.list_units();
    PatternMatch m = match_patterns(globs, loaded);
    units.insert(m.units.begin(), m.units.end());
    for (const std::string& p : m.unmatched)
      problems.push_back("pattern '" + p + "' (as " + normalize_pattern(p) + ") matches no loaded unit");
  }
  for (const std::string& n : names) {
    const std::string unit = normalize_pattern(n);
    UnitInfo info = systemd.unit(unit);
    if (info.load_state != "loaded")
      problems.push_back("unit '" + unit + "': systemd reports LoadState=" + info.load_state + " (expected loaded)");
    else
      units.insert(unit);
  }
  if (!problems.empty()) {
    std::string text;
    for (const std::string& p : problems) text += (text.empty() ? "" : "; ") + p;
    throw UsageError(text + "; nothing was changed");
  }
  return {units.begin(), units.end()};
}

bool our_drop_in_loaded(const UnitInfo& info, const std::filesystem::path& unit_dir) {
  const std::string ours = drop_in_path(unit_dir, info.name).string();
  return std::find(info.drop_in_paths.begin(), info.drop_in_paths.end(), ours) != info.drop_in_paths.end();
}

std::vector<std::string> preloading_units(Systemd& systemd, const std::filesystem::path& unit_dir) {
  std::vector<std::string> out;
  for (const std::string& name : systemd.list_units()) {
    if (name.size() < 8 || name.compare(name.size() - 8, 8, ".service") != 0) continue;
    UnitInfo info = systemd.unit(name);
    if (info.load_state != "loaded") continue;
    if (our_drop_in_loaded(info, unit_dir) || preload_of(info.environment)) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

UnitStatus unit_status(Systemd& systemd, const std::string& unit, const Installed& installed,
                       const std::filesystem::path& unit_dir) {
  UnitInfo info = systemd.unit(unit);
  return inspect_unit(info, installed, our_drop_in_loaded(info, unit_dir), realtime_usec());
}

}  // namespace allocpipe::host
