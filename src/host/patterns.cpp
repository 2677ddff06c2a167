#include "patterns.h"

#include <fnmatch.h>

#include <algorithm>
#include <set>

#include "error.h"

namespace allocpipe::host {

bool has_glob(const std::string& pattern) { return pattern.find_first_of("*?[") != std::string::npos; }

std::string normalize_pattern(const std::string& pattern) {
  if (pattern.empty()) throw UsageError("unit pattern '': expected a unit name or glob such as 'tor@*.service'");
  if (pattern.find('/') != std::string::npos || pattern[0] == '-')
    throw UsageError("unit pattern '" + pattern +
                     "': expected a unit name or glob such as 'tor@*.service', not a path or option");
  const std::size_t dot = pattern.rfind('.');
  if (dot != std::string::npos) {
    const std::string suffix = pattern.substr(dot + 1);
    if (suffix == "service") return pattern;
    for (const char* type :
         {"socket", "target", "device", "mount", "automount", "swap", "timer", "path", "slice", "scope"})
      if (suffix == type)
        throw UsageError("unit pattern '" + pattern +
                         "': expected service units; allocpipe-host manages .service units only");
  }
  return pattern + ".service";
}

bool pattern_matches(const std::string& normalized, const std::string& unit) {
  return ::fnmatch(normalized.c_str(), unit.c_str(), FNM_NOESCAPE) == 0;
}

PatternMatch match_patterns(const std::vector<std::string>& patterns, const std::vector<std::string>& units) {
  PatternMatch out;
  std::set<std::string> found;
  for (const std::string& pattern : patterns) {
    const std::string normalized = normalize_pattern(pattern);
    bool any = false;
    for (const std::string& unit : units)
      if (pattern_matches(normalized, unit)) {
        found.insert(unit);
        any = true;
      }
    if (!any) out.unmatched.push_back(pattern);
  }
  out.units.assign(found.begin(), found.end());
  return out;
}

}  // namespace allocpipe::host
