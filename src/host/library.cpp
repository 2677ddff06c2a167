#include "library.h"

#include <sys/stat.h>

#include <algorithm>

#include "error.h"
#include "fs.h"
#include "json.h"

namespace allocpipe::host {

namespace fs = std::filesystem;

namespace {

bool same_file(const std::string& a, const fs::path& b) {
  struct stat sa {
  }, sb{};
  if (::stat(a.c_str(), &sa) != 0 || ::stat(b.c_str(), &sb) != 0) return false;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

}  // namespace

const Library* Installed::by_id(const std::string& id) const {
  for (const Library& l : libraries)
    if (l.id == id) return &l;
  return nullptr;
}

const Library* Installed::by_path(const std::string& path) const {
  for (const Library& l : libraries)
    if (l.path == path) return &l;
  for (const Library& l : libraries)
    if (same_file(path, l.path)) return &l;
  return nullptr;
}

std::string Installed::ids() const {
  if (libraries.empty()) return "(none)";
  std::string out;
  for (const Library& l : libraries) out += (out.empty() ? "" : ", ") + l.id;
  return out;
}

Installed load_installed(const fs::path& dir) {
  Installed out;
  out.dir = dir;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    out.problems.push_back(dir.string() + ": no such directory (no allocpipe library package is installed)");
    return out;
  }
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    const std::string suffix = ".manifest.json";
    if (name.size() <= suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
    const std::string what = entry.path().string();
    try {
      Json m = Json::parse(read_file(entry.path()), what);
      Library l;
      l.manifest = entry.path();
      l.id = m.at("id", what).str(what + " id");
      l.allocator = m.at("allocator", what).str(what + " allocator");
      l.version = m.at("version", what).str(what + " version");
      l.variant = m.at("variant", what).str(what + " variant");
      l.file = m.at("library", what).str(what + " library");
      l.source_sha256 = m.at("source_sha256", what).str(what + " source_sha256");
      if (l.file.find('/') != std::string::npos || l.file.empty())
        throw Error(exit_usage, what + ": \"library\" must be a file name, found '" + l.file + "'");
      l.path = dir / l.file;
      if (!fs::is_regular_file(l.path, ec))
        throw Error(exit_usage, what + ": names " + l.path.string() + ", which does not exist");
      out.libraries.push_back(std::move(l));
    } catch (const Error& e) {
      out.problems.push_back(e.what());
    }
  }
  std::sort(out.libraries.begin(), out.libraries.end(), [](const Library& a, const Library& b) { return a.id < b.id; });
  return out;
}

std::string allocator_family_of(const std::string& path) {
  const std::string name = fs::path(path).filename().string();
  for (const char* family : {"mimalloc", "jemalloc", "tcmalloc", "hoard", "snmalloc", "rpmalloc"})
    if (name.rfind(std::string("lib") + family, 0) == 0 && name.find(".so") != std::string::npos) return family;
  return "";
}

}  // namespace allocpipe::host
