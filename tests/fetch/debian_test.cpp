// The Debian alternate (apt-get source --download-only) is checked against
// the recipe's pinned hash of the .orig tarball, not trusted for apt's
// signature alone. A fake apt-get, first in PATH, serves the bytes.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "locate.h"
#include "test_util.h"

namespace fs = std::filesystem;
using namespace allocpipe;
using test::contains;
using test::sha_of;

namespace {

const std::string orig = "mimalloc_9.9.9+ds.orig.tar.xz";

// Puts an apt-get that writes `bytes` as the .orig tarball first in PATH
// for the lifetime of the object.
class FakeAptGet {
 public:
  FakeAptGet(const fs::path& dir, const std::string& bytes) : old_path_(std::getenv("PATH")) {
    fs::create_directories(dir);
    std::ofstream(dir / "served") << bytes;
    std::ofstream(dir / "apt-get") << "#!/bin/sh\necho \"fake apt-get $*\"\ncp '" << (dir / "served").string() << "' '"
                                   << orig << "'\n";
    fs::permissions(dir / "apt-get", fs::perms::owner_all);
    ::setenv("PATH", (dir.string() + ":" + old_path_).c_str(), 1);
  }
  ~FakeAptGet() { ::setenv("PATH", old_path_.c_str(), 1); }
  FakeAptGet(const FakeAptGet&) = delete;
  FakeAptGet& operator=(const FakeAptGet&) = delete;

 private:
  std::string old_path_;
};

SourceSpec spec_pinning(const std::string& orig_sha256) {
  SourceSpec spec{"mimalloc-9.9.9.tar.gz", std::string(64, 'a'), "http://127.0.0.1:1/never", std::nullopt};
  spec.debian = DebianSource{"mimalloc", "9.9.9+ds-1", orig, orig_sha256};
  return spec;
}

LocateOptions debian_on() {
  LocateOptions options;
  options.debian_mode = DebianMode::on;
  options.limits.attempts = 1;
  options.limits.connect_timeout_s = 2;
  return options;
}

}  // namespace

TEST(Debian, AlternateWithThePinnedHashIsUsedAndCached) {
  test::TempDir dir;
  const std::string bytes = "what apt served";
  FakeAptGet apt(dir.path() / "bin", bytes);
  const Cache cache(dir.path() / "cache");
  Reporter quiet(false);
  const Located got = locate(spec_pinning(sha_of(bytes)), cache, debian_on(), quiet);
  EXPECT_EQ(got.file, orig);
  EXPECT_EQ(got.obtained_from, "apt-get source mimalloc=9.9.9+ds-1");
  EXPECT_EQ(sha256_file(got.path), sha_of(bytes));
}

// Signed by Debian or not: other bytes than the pin are refused, the report
// says "sha256 mismatch" with both hashes (what ALLOC_MISSING_SOURCE=SKIP
// must never skip), and nothing is cached.
TEST(Debian, AlternateWithOtherBytesIsRefusedAndNotCached) {
  test::TempDir dir;
  const std::string bytes = "what apt served";
  const std::string pin = sha_of("what the recipe pinned");
  FakeAptGet apt(dir.path() / "bin", bytes);
  const Cache cache(dir.path() / "cache");
  const std::string report = test::locate_failure(spec_pinning(pin), cache, debian_on());
  EXPECT_TRUE(contains(report, orig + " sha256 mismatch: expected " + pin + ", got " + sha_of(bytes))) << report;
  EXPECT_TRUE(test::dir_empty(dir.path() / "cache" / "sha256")) << "refused bytes were cached";
}
