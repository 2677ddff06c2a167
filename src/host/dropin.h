// Our systemd drop-in, <unit-dir>/<unit>.d/50-allocpipe.conf: one
// Environment= line preloading one library. "50-" sorts before the
// operators' usual names, so a later drop-in can still override it (status
// then shows the difference).
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace allocpipe::host {

inline constexpr const char* drop_in_name = "50-allocpipe.conf";

std::filesystem::path drop_in_path(const std::filesystem::path& unit_dir, const std::string& unit);

// Throws UsageError when the path cannot be written safely into a unit file
// (systemd specifiers '%', quotes, spaces, backslashes, control characters).
void require_unit_file_safe_path(const std::string& path);

// The same library gives the same bytes (no date, no journal id), so enabling
// twice changes nothing the second time.
std::string drop_in_content(const std::string& library_path, const std::string& library_id);

// Writes `content` (creating <unit>.d if needed), or removes the drop-in when
// there is no content; then, unless `keep_dir`, also removes <unit>.d when it
// is left empty (never when anything else is in it).
void put_drop_in(const std::filesystem::path& path, const std::optional<std::string>& content, bool keep_dir);

// The LD_PRELOAD value of an Environment= list ("A=1", "LD_PRELOAD=/x.so").
std::optional<std::string> preload_of(const std::vector<std::string>& environment);
// LD_PRELOAD entries (separated by spaces or colons, as ld.so does).
std::vector<std::string> split_preload(const std::string& value);

}  // namespace allocpipe::host
