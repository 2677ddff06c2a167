#include "cache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <random>

#include "error.h"
#include "sha256.h"

namespace fs = std::filesystem;

namespace allocpipe {
namespace {

void fsync_path(const fs::path& path, int flags) {
  const Fd fd(::open(path.c_str(), flags | O_CLOEXEC));
  if (!fd) throw Error("cannot open " + path.string() + ": " + errno_text(errno));
  if (::fsync(fd.get()) != 0) throw Error("fsync " + path.string() + " failed: " + errno_text(errno));
}

std::string unique_suffix() {
  static std::atomic<unsigned> counter{0};
  std::random_device random;
  return std::to_string(::getpid()) + "." + std::to_string(counter++) + "." + std::to_string(random());
}

}  // namespace

CacheLock::CacheLock(const fs::path& lock_file)
    : fd_(::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
  if (!fd_) throw Error("cannot open lock " + lock_file.string() + ": " + errno_text(errno));
  while (::flock(fd_.get(), LOCK_EX) != 0)
    if (errno != EINTR) throw Error("cannot lock " + lock_file.string() + ": " + errno_text(errno));
}

Cache::Cache(fs::path root) : root_(std::move(root)) {
  std::error_code ec;
  for (const char* sub : {"sha256", "tmp", "locks", "quarantine"}) {
    fs::create_directories(root_ / sub, ec);
    if (ec) throw Error("cannot create download cache directory " + (root_ / sub).string() + ": " + ec.message());
  }
}

fs::path Cache::entry(const std::string& sha256) const { return root_ / "sha256" / sha256; }

fs::path Cache::lock_file(const std::string& sha256) const { return root_ / "locks" / (sha256 + ".lock"); }

CacheLock Cache::lock(const std::string& sha256) const { return CacheLock(lock_file(sha256)); }

std::optional<fs::path> Cache::find(const std::string& sha256, CacheOutcome& outcome, std::string& note) const {
  const fs::path path = entry(sha256);
  std::error_code ec;
  const fs::file_status status = fs::symlink_status(path, ec);
  if (ec || status.type() == fs::file_type::not_found) {
    outcome = CacheOutcome::miss;
    note = "miss";
    return std::nullopt;
  }
  std::string problem;
  if (status.type() != fs::file_type::regular) {
    outcome = CacheOutcome::not_regular;
    problem = "is not a regular file";
  } else {
    const std::string actual = sha256_file(path);
    if (actual == sha256) {
      outcome = CacheOutcome::hit;
      note = "hit";
      return path;
    }
    outcome = CacheOutcome::corrupt;
    problem = "is corrupt (sha256 " + actual + ")";
  }
  const auto stamp = std::chrono::system_clock::now().time_since_epoch().count();
  const fs::path quarantined = root_ / "quarantine" / (sha256 + "." + std::to_string(stamp));
  fs::rename(path, quarantined, ec);
  note = "cached file " + path.string() + " " + problem + "; moved to " +
         (ec ? std::string("<could not move: ") + ec.message() + ">" : quarantined.string()) +
         " and fetching again";
  if (ec) fs::remove(path, ec);
  return std::nullopt;
}

fs::path Cache::temp_path(const std::string& sha256) const {
  return root_ / "tmp" / (sha256 + "." + unique_suffix() + ".part");
}

void Cache::remove_stale_temps(const std::string& sha256) const {
  std::error_code ec;
  for (const auto& item : fs::directory_iterator(root_ / "tmp", ec)) {
    const std::string name = item.path().filename().string();
    if (name.rfind(sha256 + ".", 0) == 0) fs::remove_all(item.path(), ec);
  }
}

fs::path Cache::publish(const fs::path& temp, const std::string& sha256) const {
  fsync_path(temp, O_RDONLY);
  const std::string on_disk = sha256_file(temp);
  if (on_disk != sha256) {
    std::error_code ec;
    fs::remove(temp, ec);
    throw Error("the bytes on disk in " + temp.string() + " hash to " + on_disk + ", not " + sha256 +
                " (short or failed write?); not cached");
  }
  const fs::path target = entry(sha256);
  std::error_code ec;
  fs::rename(temp, target, ec);
  if (ec) throw Error("cannot move " + temp.string() + " into the cache as " + target.string() + ": " + ec.message());
  fsync_path(target.parent_path(), O_RDONLY | O_DIRECTORY);
  return target;
}

}  // namespace allocpipe
