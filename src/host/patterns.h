// Unit patterns as systemctl takes them: shell globs over unit names
// (fnmatch, as systemd's ListUnitsByPatterns), ".service" implied when a
// pattern names no unit type.
#pragma once
#include <string>
#include <vector>

namespace allocpipe::host {

bool has_glob(const std::string& pattern);
// `tor@*` -> `tor@*.service`; `x.service` unchanged. Throws UsageError for an
// empty pattern or a unit type other than .service.
std::string normalize_pattern(const std::string& pattern);
bool pattern_matches(const std::string& normalized_pattern, const std::string& unit);

struct PatternMatch {
  std::vector<std::string> units;      // sorted, distinct
  std::vector<std::string> unmatched;  // patterns (as given) that matched nothing
};
PatternMatch match_patterns(const std::vector<std::string>& patterns, const std::vector<std::string>& units);

}  // namespace allocpipe::host
