#include "locate.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>

#include "error.h"
#include "fd.h"
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

// Copies a local file into `out` (created with O_EXCL, never through a
// symlink) and returns the SHA-256 of what was written. A mirror path that
// is not a regular file (a FIFO, a device) is refused without being read.
std::string copy_hashing(const fs::path& from, const fs::path& out) {
  std::string why;
  const Fd in = open_regular_file(from, why);
  if (!in) throw NotServed(why);
  const Fd os(::open(out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!os) throw Error("cannot create " + out.string() + ": " + errno_text(errno));
  Sha256 hash;
  static thread_local char buffer[1 << 16];
  for (;;) {
    const ssize_t n = read_some(in.get(), buffer, sizeof buffer);
    if (n < 0) throw Error(std::string("reading failed: ") + errno_text(errno));
    if (n == 0) break;
    if (const int error = write_all(os.get(), buffer, static_cast<std::size_t>(n)))
      throw Error("writing " + out.string() + " failed: " + errno_text(error));
    hash.update(buffer, static_cast<std::size_t>(n));
  }
  return hash.hex_digest();
}

class Search {
 public:
  Search(const SourceSpec& spec, const Cache& cache, const LocateOptions& options, Reporter& reporter)
      : spec_(spec), cache_(cache), options_(options), reporter_(reporter) {}

  Located run() {
    // One lock per hash this search may write; taken in a fixed order so two
    // searches that share a hash cannot deadlock. Stale temps (a killed
    // run's *.part) are removed only under their hash's lock.
    std::vector<std::string> hashes{spec_.sha256};
    if (spec_.debian && spec_.debian->sha256 != spec_.sha256) hashes.push_back(spec_.debian->sha256);
    std::sort(hashes.begin(), hashes.end());
    std::vector<std::unique_ptr<CacheLock>> held;
    for (const auto& hash : hashes) {
      held.push_back(std::make_unique<CacheLock>(cache_.lock_file(hash)));
      cache_.remove_stale_temps(hash);
    }

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
    throw Error(failure_report(), worst_);
  }

 private:
  void note(const std::string& where, const std::string& what) { tried_.push_back(where + ": " + what); }
  // A place that failed, and how: the worst class over all places becomes
  // the exit status (wrong bytes anywhere > a local failure > not served).
  void failed(const std::string& where, const std::string& what, Status status) {
    auto rank = [](Status s) { return s == Status::wrong_bytes ? 2 : s == Status::not_served ? 0 : 1; };
    if (rank(status) > rank(worst_)) worst_ = status;
    note(where, what);
    failures_.push_back(tried_.back());
    reporter_.step(tried_.back());
  }
  Located found(Located located) const {
    located.earlier_failures = failures_;
    return located;
  }

  std::optional<Located> from_cache(const std::string& file, const std::string& sha256, const std::string& canonical) {
    CacheOutcome outcome = CacheOutcome::miss;
    std::string text;
    auto path = cache_.find(sha256, outcome, text);
    const std::string where = "cache " + cache_.entry(sha256).string() + " (" + file + ")";
    if (!path) {
      if (outcome == CacheOutcome::miss)
        note(where, text);
      else
        failed(where, text, outcome == CacheOutcome::corrupt ? Status::wrong_bytes : Status::failed);
      return std::nullopt;
    }
    note(where, text);
    reporter_.step(file + ": cache hit " + path->string());
    return found(Located{*path, file, sha256, canonical, "cache", {}});
  }

  std::optional<Located> fetch(const std::string& location) {
    reporter_.step(spec_.file + ": fetching " + location);
    const fs::path temp = cache_.temp_path(spec_.sha256);
    std::error_code ec;
    try {
      Downloaded got;
      if (is_url(location))
        got = download(location, temp, options_.limits, reporter_);
      else
        got.sha256 = copy_hashing(location, temp);
      if (got.sha256 != spec_.sha256) {
        fs::remove(temp, ec);
        std::string why = "sha256 mismatch: expected " + spec_.sha256 + ", got " + got.sha256;
        if (got.content_type.rfind("text/html", 0) == 0) why += " (served as text/html: an error or login page?)";
        failed(location, why, Status::wrong_bytes);
        return std::nullopt;
      }
      const fs::path published = cache_.publish(temp, spec_.sha256);
      return found(Located{published, spec_.file, spec_.sha256, spec_.url, location, {}});
    } catch (const Error& e) {
      fs::remove(temp, ec);
      failed(location, e.what(), e.status());
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
        throw WrongBytes(debian.file + " sha256 mismatch: expected " + debian.sha256 + ", got " + actual);
      const fs::path temp = cache_.temp_path(debian.sha256);
      fs::rename(file, temp);
      const fs::path published = cache_.publish(temp, debian.sha256);
      fs::remove_all(work, ec);
      return found(Located{published, debian.file, debian.sha256, where, where, {}});
    } catch (const Error& e) {
      fs::remove_all(work, ec);
      failed(where, e.what(), e.status());
      return std::nullopt;
    } catch (const std::exception& e) {
      fs::remove_all(work, ec);
      failed(where, e.what(), Status::failed);
      return std::nullopt;
    }
  }

  std::string failure_report() const {
    std::string text = "could not obtain " + spec_.file + " (sha256 " + spec_.sha256 + ")";
    if (spec_.debian)
      text += " or its Debian alternate " + spec_.debian->file + " (sha256 " + spec_.debian->sha256 + ")";
    text += "; tried:";
    for (const auto& line : tried_) text += "\n  - " + line;
    return text;
  }

  const SourceSpec& spec_;
  const Cache& cache_;
  const LocateOptions& options_;
  Reporter& reporter_;
  std::vector<std::string> tried_;
  std::vector<std::string> failures_;
  Status worst_ = Status::not_served;
};

}  // namespace

Located locate(const SourceSpec& spec, const Cache& cache, const LocateOptions& options, Reporter& reporter) {
  return Search(spec, cache, options, reporter).run();
}

}  // namespace allocpipe
