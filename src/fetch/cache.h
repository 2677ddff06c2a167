// Content-addressed download cache shared between build trees:
//   <root>/sha256/<hex>        verified files, immutable once renamed in
//   <root>/tmp/<hex>.*.part    downloads in flight; one left by a killed run is
//                              never resumed, only removed (under the lock)
//   <root>/locks/<hex>.lock    one flock per key: concurrent builds share a download
//   <root>/quarantine/         cached files that failed re-verification
// The cache must be writable only by the users whose builds share it: we
// re-verify on every use, but do not defend against a concurrent writer.
#pragma once
#include <filesystem>
#include <optional>
#include <string>

#include "fd.h"

namespace allocpipe {

enum class CacheOutcome { hit, miss, corrupt, not_regular };

class CacheLock {
 public:
  explicit CacheLock(const std::filesystem::path& lock_file);  // blocks until held; released when destroyed

 private:
  Fd fd_;
};

class Cache {
 public:
  explicit Cache(std::filesystem::path root);

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path entry(const std::string& sha256) const;
  CacheLock lock(const std::string& sha256) const;
  std::filesystem::path lock_file(const std::string& sha256) const;

  // The cached file if present and still hashing to `sha256`. A file that no
  // longer matches (bit rot, tampering), or an entry that is not a regular
  // file, is moved to quarantine/; `outcome` says which case it was and
  // `note` says so for people. The caller then fetches it again.
  std::optional<std::filesystem::path> find(const std::string& sha256, CacheOutcome& outcome, std::string& note) const;

  // A fresh temporary path for `sha256` inside the cache's file system.
  std::filesystem::path temp_path(const std::string& sha256) const;
  void remove_stale_temps(const std::string& sha256) const;  // call with the lock held

  // Hashes `temp` again from disk, fsyncs it and renames it to the entry for
  // `sha256`. Bytes that do not hash to `sha256` (a short write on a full
  // disk, say) are removed and never published.
  std::filesystem::path publish(const std::filesystem::path& temp, const std::string& sha256) const;

 private:
  std::filesystem::path root_;
};

}  // namespace allocpipe
