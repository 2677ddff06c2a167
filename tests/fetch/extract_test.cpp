#include "extract.h"

#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <sstream>

#include "archive_builder.h"
#include "error.h"
#include "pinned_files.h"
#include "raw_tar.h"
#include "sha256.h"
#include "temp_dir.h"

namespace fs = std::filesystem;
using namespace allocpipe;
using test::ArchiveBuilder;

namespace {

std::string read(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Extracting the archive `make` builds (given the test's directory, so a
// hostile name can aim at a real place in it) must fail with `expected` in
// the message, leave no destination and no work directory behind, and
// create nothing at the places its names aim at: <dir>/out/escaped (one
// level above the work directory <dir>/out/.src.partial-*, and above the
// destination <dir>/out/src) and <dir>/escaped (two levels up).
void expect_refused(const std::function<ArchiveBuilder(const fs::path& dir)>& make, const std::string& expected,
                    ArchiveBuilder::Compression compression = ArchiveBuilder::Compression::gzip) {
  test::TempDir dir;
  make(dir.path()).write(dir / "a.tar", compression);
  fs::create_directories(dir / "out");
  try {
    extract_archive(dir / "a.tar", dir / "out" / "src", ExtractLimits{});
    FAIL() << "extraction was not refused (expected: " << expected << ")";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dir / "out" / "escaped")) << "an entry escaped one level up";
  EXPECT_FALSE(fs::exists(dir / "escaped")) << "an entry escaped two levels up";
  EXPECT_TRUE(fs::is_empty(dir / "out")) << "partial output left behind";
}

void expect_refused(const ArchiveBuilder& builder, const std::string& expected,
                    ArchiveBuilder::Compression compression = ArchiveBuilder::Compression::gzip) {
  expect_refused([&](const fs::path&) { return builder; }, expected, compression);
}

}  // namespace

TEST(Extract, StripsTheSingleTopLevelDirectory) {
  for (auto compression : {ArchiveBuilder::Compression::none, ArchiveBuilder::Compression::gzip,
                           ArchiveBuilder::Compression::bzip2, ArchiveBuilder::Compression::xz}) {
    test::TempDir dir;
    ArchiveBuilder()
        .dir("whatever-1.0/")
        .file("whatever-1.0/LICENSE", "MIT\n")
        .file("whatever-1.0/sub/run.sh", "#!/bin/sh\n", 04755)
        .symlink("whatever-1.0/link", "sub/run.sh")
        .write(dir / "a.tar", compression);
    extract_archive(dir / "a.tar", dir / "src", ExtractLimits{});
    EXPECT_EQ(read(dir / "src" / "LICENSE"), "MIT\n");
    EXPECT_TRUE(fs::is_symlink(dir / "src" / "link"));  // in-tree links are kept
    const auto perms = fs::status(dir / "src" / "sub" / "run.sh").permissions();
    EXPECT_NE(perms & fs::perms::owner_exec, fs::perms::none);
    EXPECT_EQ(perms & fs::perms::set_uid, fs::perms::none) << "setuid must be stripped";
  }
}

TEST(Extract, ReplacesAnExistingDestinationOnlyOnSuccess) {
  test::TempDir dir;
  fs::create_directories(dir / "src");
  std::ofstream(dir / "src" / "old") << "old";
  ArchiveBuilder().file("top/new", "new").write(dir / "a.tar");
  extract_archive(dir / "a.tar", dir / "src", ExtractLimits{});
  EXPECT_FALSE(fs::exists(dir / "src" / "old"));
  EXPECT_EQ(read(dir / "src" / "new"), "new");
}

TEST(Extract, RefusesNamesOutsideTheTree) {
  // Relative to the work directory <dir>/out/.src.partial-*: "../escaped" is
  // <dir>/out/escaped, "../../escaped" and "top/../../../escaped" are <dir>/escaped.
  expect_refused(ArchiveBuilder().file("top/a", "x").file("../escaped", "x"), "'..' component refused");
  expect_refused(ArchiveBuilder().file("top/a", "x").file("../../escaped", "x"), "'..' component refused");
  expect_refused(ArchiveBuilder().file("top/../../escaped", "x"), "'..' component refused");
  expect_refused(ArchiveBuilder().file("top/a", "x").file("top/../../../escaped", "x"), "'..' component refused");
  // An absolute name aimed at <dir>/escaped itself: nothing may be created there.
  expect_refused([](const fs::path& dir) { return ArchiveBuilder().file("top/a", "x").file((dir / "escaped").string(), "x"); },
                 "absolute path refused");
  expect_refused([](const fs::path& dir) { return ArchiveBuilder().file((dir / "escaped").string(), "x"); },
                 "absolute path refused");
}

TEST(Extract, RefusesLinksThatLeaveTheTree) {
  expect_refused(ArchiveBuilder().dir("top/").symlink("top/l", "/tmp/x"), "leaves the tree");
  expect_refused(ArchiveBuilder().dir("top/").symlink("top/d", "../.."), "leaves the tree");
  expect_refused(ArchiveBuilder().dir("top/").symlink("top/d", "sub").file("top/d/x", "x"),
                 "writing through links is refused");
  expect_refused(ArchiveBuilder().dir("top/").symlink("top/cur", ".").symlink("top/par", "cur/.."),
                 "leaves the tree");
  expect_refused(ArchiveBuilder().dir("top/").hardlink("top/h", "/etc/passwd"), "absolute path refused");
  expect_refused(ArchiveBuilder().dir("top/").hardlink("top/h", "top/h"), "not an earlier regular file");
}

TEST(Extract, RefusesDevicesAndFifos) {
  expect_refused(ArchiveBuilder().dir("top/").fifo("top/f"), "devices, FIFOs and sockets are refused");
  expect_refused(ArchiveBuilder().dir("top/").char_device("top/c"), "devices, FIFOs and sockets are refused");
}

TEST(Extract, RequiresExactlyOneTopLevelDirectory) {
  expect_refused(ArchiveBuilder().file("a/x", "x").file("b/y", "y"), "exactly one top-level directory");
  expect_refused(ArchiveBuilder().file("lonely", "x"), "exactly one top-level directory");
}

TEST(Extract, RefusesDuplicatesAndClashes) {
  expect_refused(ArchiveBuilder().file("top/a", "1").file("top/a", "2"), "duplicate name");
  expect_refused(ArchiveBuilder().dir("top/a/").symlink("top/a", "b"), "duplicate name");
}

TEST(Extract, RefusesCorruptArchives) {
  test::TempDir dir;
  ArchiveBuilder().file("top/a", std::string(100000, 'x')).write(dir / "a.tar", ArchiveBuilder::Compression::gzip);
  const auto size = fs::file_size(dir / "a.tar");
  fs::resize_file(dir / "a.tar", size / 2);
  EXPECT_THROW(extract_archive(dir / "a.tar", dir / "src", ExtractLimits{}), Error);
  EXPECT_FALSE(fs::exists(dir / "src"));
}

TEST(Extract, EnforcesTheSizeLimit) {
  test::TempDir dir;
  ArchiveBuilder().file("top/big", std::string(1 << 20, 'x')).write(dir / "a.tar");
  ExtractLimits limits;
  limits.max_total_bytes = 1000;
  try {
    extract_archive(dir / "a.tar", dir / "src", limits);
    FAIL() << "size limit not enforced";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("limit of 1000 bytes"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dir / "src"));
}

TEST(Extract, PinnedFileMismatchLeavesNoTree) {
  test::TempDir dir;
  ArchiveBuilder().file("top/LICENSE", "changed license\n").write(dir / "a.tar");
  const PinnedFile pin = parse_pinned_file("LICENSE=" + std::string(64, '0'));
  try {
    extract_archive(dir / "a.tar", dir / "src", ExtractLimits{},
                    [&](const fs::path& tree) { verify_pinned_files(tree, {pin}); });
    FAIL() << "license change not detected";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("pinned file LICENSE changed"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dir / "src"));
}

TEST(PinnedFile, ParseRejectsBadText) {
  EXPECT_THROW(parse_pinned_file("LICENSE"), Error);
  EXPECT_THROW(parse_pinned_file("../LICENSE=" + std::string(64, 'a')), Error);
  EXPECT_THROW(parse_pinned_file("LICENSE=abc"), Error);
  EXPECT_EQ(parse_pinned_file("COPYING=" + std::string(64, 'a')).path, "COPYING");
}

// Legitimate archive features keep working under the stricter checks.

TEST(Extract, LongNamesHardLinksAndTimes) {
  const std::string deep = "top/" + std::string(150, 'd') + "/" + std::string(120, 'f');
  const std::string tar = test::RawTar()
                              .dir("top/")
                              .gnu_long('L', "top/" + std::string(200, 'g'))
                              .file("ignored-short-name", "gnu long name\n")
                              .pax({{"path", deep}, {"mtime", "1600000000"}})
                              .file("ignored-too", "pax long name\n")
                              .file("top/original", "shared\n")
                              .hardlink("top/link", "top/original")
                              .end()
                              .bytes();
  test::TempDir dir;
  test::write_file(dir / "a.tar.xz", test::compress(tar, ArchiveBuilder::Compression::xz));
  extract_archive(dir / "a.tar.xz", dir / "src", ExtractLimits{});
  EXPECT_EQ(read(dir / "src" / std::string(200, 'g')), "gnu long name\n");
  EXPECT_EQ(read(dir / "src" / deep.substr(4)), "pax long name\n");
  EXPECT_EQ(fs::hard_link_count(dir / "src" / "link"), 2u);
  EXPECT_EQ(fs::last_write_time(dir / "src" / "original").time_since_epoch(),
            fs::last_write_time(dir / "src" / "link").time_since_epoch());
}

TEST(Extract, MultiMemberGzipAndZeroPaddingAreAccepted) {
  // gzip(1) accepts both: concatenated members, and zero bytes after the last one.
  const std::string tar = test::RawTar().dir("top/").file("top/a", std::string(3000, 'a')).end().bytes();
  const std::string gz = test::compress(tar.substr(0, 1024), ArchiveBuilder::Compression::gzip) +
                         test::compress(tar.substr(1024), ArchiveBuilder::Compression::gzip) + std::string(512, '\0');
  test::TempDir dir;
  test::write_file(dir / "a.tar.gz", gz);
  extract_archive(dir / "a.tar.gz", dir / "src", ExtractLimits{});
  EXPECT_EQ(read(dir / "src" / "a"), std::string(3000, 'a'));
}

TEST(Extract, ExpectedHashMatches) {
  test::TempDir dir;
  ArchiveBuilder().file("top/a", "a").write(dir / "a.tar.bz2", ArchiveBuilder::Compression::bzip2);
  const std::string sha = sha256_file(dir / "a.tar.bz2");
  extract_archive(dir / "a.tar.bz2", dir / "src", ExtractLimits{}, {}, sha);
  EXPECT_EQ(read(dir / "src" / "a"), "a");
}

// The file changed after it was verified: the bytes extracted are hashed
// again, and a mismatch leaves neither the destination nor a work directory.
TEST(Extract, ExpectedHashMismatchExtractsNothing) {
  test::TempDir dir;
  ArchiveBuilder().file("top/a", "a").write(dir / "a.tar.gz", ArchiveBuilder::Compression::gzip);
  const std::string actual = sha256_file(dir / "a.tar.gz");
  const std::string pinned(64, '0');
  fs::create_directories(dir / "out");
  try {
    extract_archive(dir / "a.tar.gz", dir / "out" / "src", ExtractLimits{}, {}, pinned);
    FAIL() << "an archive whose bytes do not hash to the pin was extracted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("sha256 of the bytes extracted is " + actual + ", expected " + pinned),
              std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(fs::is_empty(dir / "out")) << "a destination or work directory was left behind";
}
