#include "procfs.h"

#include <cstdlib>
#include <set>
#include <sstream>

#include "error.h"
#include "fs.h"

namespace allocpipe::host {

namespace {

std::uint64_t hex(const std::string& s, const std::string& what) {
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(s.c_str(), &end, 16);
  if (s.empty() || *end != 0 || errno != 0) throw SystemError(what + ": '" + s + "' is not a hexadecimal number");
  return v;
}

}  // namespace

std::vector<Mapping> parse_maps(const std::string& text, const std::string& what) {
  std::vector<Mapping> out;
  std::istringstream lines(text);
  std::string line;
  int number = 0;
  while (std::getline(lines, line)) {
    ++number;
    if (line.empty()) continue;
    const std::string where = what + " line " + std::to_string(number);
    // "start-end perms offset dev inode    path": the path is the rest of the
    // line after the fifth field and may contain spaces.
    std::size_t pos = 0;
    auto field = [&]() {
      while (pos < line.size() && line[pos] == ' ') ++pos;
      std::size_t start = pos;
      while (pos < line.size() && line[pos] != ' ') ++pos;
      if (start == pos) throw SystemError(where + ": expected 'start-end perms offset dev inode [path]'");
      return line.substr(start, pos - start);
    };
    Mapping m;
    std::string range = field();
    std::size_t dash = range.find('-');
    if (dash == std::string::npos) throw SystemError(where + ": expected an address range, found '" + range + "'");
    m.start = hex(range.substr(0, dash), where);
    m.end = hex(range.substr(dash + 1), where);
    m.perms = field();
    m.offset = hex(field(), where);
    m.device = field();
    std::string inode = field();
    m.inode = std::strtoull(inode.c_str(), nullptr, 10);
    while (pos < line.size() && line[pos] == ' ') ++pos;
    m.path = line.substr(pos);
    const std::string suffix = " (deleted)";
    if (m.path.size() > suffix.size() && m.path.compare(m.path.size() - suffix.size(), suffix.size(), suffix) == 0) {
      m.path.resize(m.path.size() - suffix.size());
      m.deleted = true;
    }
    out.push_back(std::move(m));
  }
  return out;
}

std::vector<std::string> mapped_files(const std::vector<Mapping>& maps) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const Mapping& m : maps)
    if (!m.path.empty() && m.path[0] == '/' && m.inode != 0 && seen.insert(m.path).second) out.push_back(m.path);
  return out;
}

MemoryRollup parse_smaps_rollup(const std::string& text, const std::string& what) {
  MemoryRollup r;
  bool have_rss = false, have_anon = false;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = line.substr(0, colon);
    if (key != "Rss" && key != "Anonymous") continue;
    std::istringstream value(line.substr(colon + 1));
    std::uint64_t kb = 0;
    std::string unit;
    if (!(value >> kb >> unit) || unit != "kB")
      throw SystemError(what + ": expected '" + key + ": <number> kB', found '" + line + "'");
    (key == "Rss" ? r.rss_bytes : r.anonymous_bytes) = kb * 1024;
    (key == "Rss" ? have_rss : have_anon) = true;
  }
  if (!have_rss || !have_anon) throw SystemError(what + ": expected 'Rss:' and 'Anonymous:' lines");
  return r;
}

ProcessView read_process(std::uint32_t pid, const std::filesystem::path& proc) {
  const auto dir = proc / std::to_string(pid);
  ProcessView view;
  auto maps = read_if_exists(dir / "maps");
  if (!maps) throw SystemError("process " + std::to_string(pid) + " is gone (" + (dir / "maps").string() + ")");
  view.maps = parse_maps(*maps, (dir / "maps").string());
  try {
    if (auto rollup = read_if_exists(dir / "smaps_rollup"))
      view.memory = parse_smaps_rollup(*rollup, (dir / "smaps_rollup").string());
  } catch (const SystemError&) {
    // memory figures are informative; the mappings are what we verify
  }
  return view;
}

std::optional<std::uint64_t> read_max_map_count(const std::filesystem::path& proc) {
  try {
    auto text = read_if_exists(proc / "sys/vm/max_map_count");
    if (!text) return std::nullopt;
    return std::strtoull(text->c_str(), nullptr, 10);
  } catch (const SystemError&) {
    return std::nullopt;
  }
}

}  // namespace allocpipe::host
