// Helpers shared by the fetcher's tests.
#pragma once
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "archive_builder.h"
#include "error.h"
#include "extract.h"
#include "locate.h"
#include "fs_snapshot.h"
#include "raw_tar.h"
#include "sha256.h"
#include "temp_dir.h"

namespace allocpipe::test {

namespace fs = std::filesystem;
using Compression = ArchiveBuilder::Compression;

inline std::string sha_of(const std::string& text) {
  Sha256 hash;
  hash.update(text.data(), text.size());
  return hash.hex_digest();
}

inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The error text of a locate() that must fail; a success is a test failure.
inline std::string locate_failure(const SourceSpec& spec, const Cache& cache, const LocateOptions& options) {
  Reporter quiet(false);
  try {
    locate(spec, cache, options, quiet);
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "locate succeeded unexpectedly";
  return "";
}

inline bool dir_empty(const fs::path& dir) { return !fs::exists(dir) || fs::is_empty(dir); }

// The uncompressed tar libarchive's writer makes of `builder`.
inline std::string tar_bytes(const ArchiveBuilder& builder) {
  TempDir dir;
  builder.write(dir / "a.tar", Compression::none);
  return read_file(dir / "a.tar");
}

// Bytes of an (uncompressed) tar; gets the victim directory so hostile
// entries can point at a real place whose state the test checks.
using MakeTar = std::function<std::string(const fs::path& victim)>;

// The layout of every hostile case:
//   <dir>/a.archive   the archive
//   <dir>/out/        parent of the destination <dir>/out/src
//   <dir>/victim/     a directory outside, with a file, that must stay untouched
struct HostileSite {
  TempDir dir;
  fs::path victim() const { return dir / "victim"; }
  fs::path archive() const { return dir / "a.archive"; }
  fs::path dest() const { return dir / "out" / "src"; }
  HostileSite() {
    fs::create_directories(victim());
    fs::create_directories(dir / "out");
    write_file(victim() / "precious", "precious\n");
    fs::permissions(victim(), fs::perms::owner_all);
    fs::last_write_time(victim(), fs::file_time_type::clock::now() - std::chrono::hours(24));
  }
};

// Extracting must fail with `expected` in the message, for every
// compression in `compressions`, and leave the whole site exactly as it was:
// no destination, no work directory, nothing changed in the victim.
inline void expect_refused(const MakeTar& make, const std::string& expected, const ExtractLimits& limits = {},
                           const std::vector<Compression>& compressions = {Compression::none, Compression::gzip,
                                                                           Compression::bzip2, Compression::xz}) {
  for (const Compression compression : compressions) {
    SCOPED_TRACE(ArchiveBuilder::name(compression));
    HostileSite site;
    write_file(site.archive(), compress(make(site.victim()), compression));
    const auto before = snapshot(site.dir.path(), {"out"});
    try {
      extract_archive(site.archive(), site.dest(), limits);
      ADD_FAILURE() << "extraction was not refused (expected: " << expected << ")";
    } catch (const Error& e) {
      EXPECT_TRUE(contains(e.what(), expected)) << "error: " << e.what() << "\nexpected: " << expected;
    }
    EXPECT_EQ(snapshot(site.dir.path(), {"out"}), before) << "something outside changed, or a partial tree was left";
    EXPECT_TRUE(dir_empty(site.dir / "out")) << "partial output left behind";
  }
}

inline void expect_refused(const ArchiveBuilder& builder, const std::string& expected, const ExtractLimits& limits = {}) {
  const std::string bytes = tar_bytes(builder);
  expect_refused([&](const fs::path&) { return bytes; }, expected, limits);
}

}  // namespace allocpipe::test
