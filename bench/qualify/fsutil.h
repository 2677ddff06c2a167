// Files written under a temporary name and renamed into place, so a reader
// never sees half a report.
#pragma once

#include <string>

namespace apq {

// mkdir -p; throws std::runtime_error.
void make_dirs(const std::string& path);
// Writes `content` to path.tmp.<pid> and renames it to path; throws.
void write_file_atomic(const std::string& path, const std::string& content);
// Temporary name next to `path` for tools that write files themselves.
std::string temp_name(const std::string& path);
// Renames or throws.
void rename_into_place(const std::string& from, const std::string& to);
// Whole file, or throws.
std::string read_file(const std::string& path);
bool file_exists(const std::string& path);

}  // namespace apq
