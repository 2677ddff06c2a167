#include "dropin.h"

#include <unistd.h>

#include <cerrno>

#include "error.h"
#include "fs.h"

namespace allocpipe::host {

namespace fs = std::filesystem;

fs::path drop_in_path(const fs::path& unit_dir, const std::string& unit) {
  return unit_dir / (unit + ".d") / drop_in_name;
}

void require_unit_file_safe_path(const std::string& path) {
  if (path.empty() || path[0] != '/') throw UsageError("library path '" + path + "': expected an absolute path");
  for (unsigned char c : path)
    if (c < 0x21 || c == 0x7f || c == '%' || c == '"' || c == '\'' || c == '\\' || c == '$' || c == ':')
      throw UsageError("library path '" + path +
                       "': contains a character that cannot be written safely into a systemd Environment= line "
                       "(space, quote, backslash, '%', '$', ':' or a control character)");
}

std::string drop_in_content(const std::string& library_path, const std::string& library_id) {
  require_unit_file_safe_path(library_path);
  return "# Managed by allocpipe-host: preloads " + library_id +
         ". Undo with 'allocpipe-host disable' or 'allocpipe-host rollback'; do not edit.\n"
         "[Service]\nEnvironment=\"LD_PRELOAD=" +
         library_path + "\"\n";
}

void put_drop_in(const fs::path& path, const std::optional<std::string>& content, bool keep_dir) {
  const fs::path dir = path.parent_path();
  if (content) {
    make_dirs(dir);
    atomic_write(path, *content);
    return;
  }
  durable_remove(path);
  if (!keep_dir) {
    // rmdir only succeeds on an empty directory: anything the operator put
    // there meanwhile stays.
    if (::rmdir(dir.c_str()) == 0)
      fsync_dir(dir.parent_path());
    else if (errno != ENOENT && errno != ENOTEMPTY && errno != EEXIST)
      throw SystemError(errno_text("removing directory " + dir.string(), errno));
  }
}

std::optional<std::string> preload_of(const std::vector<std::string>& environment) {
  std::optional<std::string> out;
  for (const std::string& entry : environment)
    if (entry.rfind("LD_PRELOAD=", 0) == 0) out = entry.substr(11);  // the last one wins, as in systemd
  return out;
}

std::vector<std::string> split_preload(const std::string& value) {
  std::vector<std::string> out;
  std::string current;
  for (char c : value) {
    if (c == ' ' || c == ':' || c == '\t') {
      if (!current.empty()) out.push_back(current);
      current.clear();
    } else {
      current.push_back(c);
    }
  }
  if (!current.empty()) out.push_back(current);
  return out;
}

}  // namespace allocpipe::host
