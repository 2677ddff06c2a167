#include "locate.h"

#include <fstream>

#include "error.h"
#include "sha256.h"

namespace fs = std::filesystem;

namespace allocpipe {
namespace {

std::string apt_spec(const DebianSource& d) { return "apt-get source " + d.package + "=" + d.version; }

bool is_url(const std::string& location) { return location.find("://") != std::string::npos; }

std::string join_mirror(std::string mirror, const std::string& file) {
  while (!mirror.empty() && mirror.back() == '/') mirror.pop_back();
  return mirror + "/" + file;
}

// Copies a local file into `out` and returns the SHA-256 of what was copied.
std::string copy_hashing(const fs::path& from, const fs::path& out) {
  std::ifstream in(from, std::ios::binary);
  if (!in) throw Error("not found or not readable");
  std::ofstream os(out, std::ios::binary | std::ios::trunc);
  Sha256 hash;
  char buffer[1 << 16];
  while (in) {
    in.read(buffer, sizeof buffer);
    const auto n = in.gcount();
    if (n <= 0) break;
    hash.update(buffer, static_cast<std::size_t>(n));
    os.write(buffer, n);
  }
  os.flush();
  if (in.bad() || !os) throw Error("copy to " + out.string() + " failed (disk full?)");
  return hash.hex_digest();
}

class Search {
 public:
  Search(const SourceSpec& spec, const Cache& cache, const LocateOptions& options, Reporter& reporter)
      : spec_(spec), cache_(cache), options_(options), reporter_(reporter) {}

  Located run() {
    const CacheLock held = cache_.lock(spec_.sha256);
    cache_.remove_stale_temps(spec_.sha256);
    if (spec_.debian) cache_.remove_stale_temps(spec_.debian->sha256);

    if (auto hit = from_cache(spec_.file, spec_.sha256, spec_.url)) return *hit;
    if (spec_.debian) {
      if (auto hit = from_cache(spec_.debian->file, spec_.debian->sha256, apt_spec(*spec_.debian))) return *hit;
    }
    if (options_.offline) {
      note("mirrors and upstream", "skipped: offline mode (ALLOC_OFFLINE)");
    } else {
      for (const auto& mirror : options_.mirrors)
        if (auto got = fetch(join_mirror(mirror, spec_.file))) return *got;
      if (auto got = fetch(spec_.url)) return *got;
    }
    if (spec_.debian)
      if (auto got = from_debian(*spec_.debian)) return *got;
    throw Error(failure_report());
  }

 private:
  void note(const std::string& where, const std::string& what) {
    tried_.push_back(where + ": " + what);
  }

  std::optional<Located> from_cache(const std::string& file, const std::string& sha256, const std::string& canonical) {
    std::string outcome;
    auto path = cache_.find(sha256, outcome);
    note("cache " + cache_.entry(sha256).string() + " (" + file + ")", outcome);
    if (!path) {
      if (outcome != "miss") reporter_.step(outcome);
      return std::nullopt;
    }
    reporter_.step(file + ": cache hit " + path->string());
    return Located{*path, file, sha256, canonical, "cache"};
  }

  std::optional<Located> fetch(const std::string& location) {
    reporter_.step(spec_.file + ": fetching " + location);
    const fs::path temp = cache_.temp_path(spec_.sha256);
    std::error_code ec;
    try {
      const std::string actual = is_url(location) ? download(location, temp, options_.limits, reporter_)
                                                  : copy_hashing(location, temp);
      if (actual != spec_.sha256) {
        fs::remove(temp, ec);
        note(location, "sha256 mismatch: expected " + spec_.sha256 + ", got " + actual);
        reporter_.step(tried_.back());
        return std::nullopt;
      }
      const fs::path published = cache_.publish(temp, spec_.sha256);
      return Located{published, spec_.file, spec_.sha256, spec_.url, location};
    } catch (const Error& e) {
      fs::remove(temp, ec);
      note(location, e.what());
      reporter_.step(tried_.back());
      return std::nullopt;
    }
  }

  std::optional<Located> from_debian(const DebianSource& debian) {
    const std::string where = apt_spec(debian);
    if (options_.debian_mode == DebianMode::off) {
      note(where, "skipped: Debian sources disabled (ALLOC_DEBIAN_SOURCES=OFF)");
      return std::nullopt;
    }
    std::string why_not;
    if (options_.debian_mode == DebianMode::automatic && !has_deb_src_entries(why_not)) {
      note(where, "skipped: " + why_not);
      return std::nullopt;
    }
    reporter_.step(spec_.file + ": trying " + where);
    const fs::path work = cache_.temp_path(debian.sha256);
    std::error_code ec;
    try {
      fs::create_directories(work);
      const fs::path file = apt_download_source(debian, work);
      const std::string actual = sha256_file(file);
      if (actual != debian.sha256)
        throw Error(debian.file + " sha256 mismatch: expected " + debian.sha256 + ", got " + actual);
      const fs::path temp = cache_.temp_path(debian.sha256);
      fs::rename(file, temp);
      const fs::path published = cache_.publish(temp, debian.sha256);
      fs::remove_all(work, ec);
      return Located{published, debian.file, debian.sha256, where, where};
    } catch (const std::exception& e) {
      fs::remove_all(work, ec);
      note(where, e.what());
      reporter_.step(tried_.back());
      return std::nullopt;
    }
  }

  std::string failure_report() const {
    std::string text = "could not obtain " + spec_.file + " (sha256 " + spec_.sha256 + ")";
    if (spec_.debian) text += " or its Debian alternate " + spec_.debian->file + " (sha256 " + spec_.debian->sha256 + ")";
    text += "; tried:";
    for (const auto& line : tried_) text += "\n  - " + line;
    return text;
  }

  const SourceSpec& spec_;
  const Cache& cache_;
  const LocateOptions& options_;
  Reporter& reporter_;
  std::vector<std::string> tried_;
};

}  // namespace

Located locate(const SourceSpec& spec, const Cache& cache, const LocateOptions& options, Reporter& reporter) {
  return Search(spec, cache, options, reporter).run();
}

}  // namespace allocpipe
