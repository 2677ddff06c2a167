// Hostile archives: each case must be refused with a clear error, write
// nothing outside the destination, and leave no partial tree. Every case
// runs as tar, tar.gz, tar.bz2 and tar.xz unless it is about one of them.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "test_util.h"

using namespace allocpipe;
using namespace allocpipe::test;

namespace {

const std::vector<Compression> compressed{Compression::gzip, Compression::bzip2, Compression::xz};

std::string absolute(const fs::path& victim, const std::string& leaf) { return (victim / leaf).string(); }

// A RawTar header with everything but the given fields defaulted.
RawTar::Header hdr(const std::string& name, char type, std::uint64_t size = 0, const std::string& link = "") {
  RawTar::Header h;
  h.name = name;
  h.type = type;
  h.size = size;
  h.link = link;
  return h;
}

fs::path extract_ok(const HostileSite& site, const std::string& tar, Compression compression = Compression::gzip,
                    const ExtractLimits& limits = {}) {
  write_file(site.archive(), compress(tar, compression));
  extract_archive(site.archive(), site.dest(), limits);
  return site.dest();
}

}  // namespace

// ---- names ------------------------------------------------------------------

TEST(Hostile, DotDotName) {
  expect_refused(ArchiveBuilder().dir("top/").file("top/a", "x").file("../escaped", "x"), "'..' component refused");
}

TEST(Hostile, NestedDotDotName) {
  expect_refused(ArchiveBuilder().dir("top/").file("top/../../escaped", "x"), "'..' component refused");
}

TEST(Hostile, NameThatIsOrEndsInDotDot) {
  expect_refused(ArchiveBuilder().dir("top/").dir(".."), "'..' component refused");
  expect_refused(ArchiveBuilder().dir("top/").file("top/..", "x"), "'..' component refused");
  expect_refused(ArchiveBuilder().dir("top/").dir("top/sub/.."), "'..' component refused");
}

TEST(Hostile, AbsoluteName) {
  expect_refused([](const fs::path& victim) { return RawTar().dir("top/").file(absolute(victim, "x"), "x").end().bytes(); },
                 "absolute path refused");
}

TEST(Hostile, DoubleSlashAbsoluteName) {
  expect_refused(
      [](const fs::path& victim) { return RawTar().dir("top/").file("/" + absolute(victim, "x"), "x").end().bytes(); },
      "absolute path refused");
}

// ---- symlinks ---------------------------------------------------------------

TEST(Hostile, SymlinkToAbsolutePathThenFileThroughIt) {
  expect_refused(
      [](const fs::path& victim) {
        return RawTar().dir("top/").symlink("top/l", absolute(victim, "x")).file("top/l", "owned\n").end().bytes();
      },
      "leaves the tree");
}

TEST(Hostile, SymlinkDirToAbsolutePathThenFileInside) {
  expect_refused(
      [](const fs::path& victim) {
        return RawTar().dir("top/").symlink("top/d", victim.string()).file("top/d/precious", "owned\n").end().bytes();
      },
      "leaves the tree");
}

TEST(Hostile, SymlinkDirUpTwoLevelsThenFileInside) {
  expect_refused(ArchiveBuilder().dir("top/").symlink("top/d", "../..").file("top/d/x", "x"), "leaves the tree");
}

TEST(Hostile, SymlinkChainCurParThenFileInside) {
  // cur -> . and par -> cur/.. : each looks harmless alone; together par is the parent of the tree.
  expect_refused(
      ArchiveBuilder().dir("top/").symlink("top/cur", ".").symlink("top/par", "cur/..").file("top/par/x", "x"),
      "symlink to 'cur/..' leaves the tree");
}

TEST(Hostile, SymlinkMadeEscapingByALaterSymlink) {
  // par -> cur/.. is inside while cur is a directory name; cur -> . arrives later.
  expect_refused(ArchiveBuilder().dir("top/").symlink("top/par", "cur/..").symlink("top/cur", "."),
                 "resolves outside the tree");
}

TEST(Hostile, SymlinkBelowASymlink) {
  expect_refused(ArchiveBuilder().dir("top/").symlink("top/cur", ".").symlink("top/cur/par", ".."),
                 "writing through links is refused");
}

TEST(Hostile, SymlinkLoop) {
  expect_refused(ArchiveBuilder().dir("top/").symlink("top/a", "b").symlink("top/b", "a"), "or loops");
}

TEST(Hostile, WritingThroughAnInTreeSymlinkIsRefused) {
  expect_refused(ArchiveBuilder().dir("top/").dir("top/d/").symlink("top/l", "d").file("top/l/x", "x"),
                 "writing through links is refused");
}

TEST(Hostile, TopLevelSymlink) {
  expect_refused(ArchiveBuilder().symlink("top", "."), "leaves the tree");
}

// ---- hard links ---------------------------------------------------------------

TEST(Hostile, HardlinkToEtcPasswd) {
  expect_refused(ArchiveBuilder().dir("top/").hardlink("top/h", "/etc/passwd"), "absolute path refused");
}

TEST(Hostile, HardlinkToAFileNotInTheArchive) {
  expect_refused(ArchiveBuilder().dir("top/").hardlink("top/h", "top/elsewhere"), "not an earlier regular file");
}

TEST(Hostile, HardlinkOutOfTheTree) {
  expect_refused(ArchiveBuilder().dir("top/").hardlink("top/h", "../out"), "'..' component refused");
}

TEST(Hostile, HardlinkToAnEarlierEscapingSymlink) {
  expect_refused(
      [](const fs::path& victim) {
        return RawTar()
            .dir("top/")
            .symlink("top/l", absolute(victim, "precious"))
            .hardlink("top/h", "top/l")
            .file("top/h", "owned\n")
            .end()
            .bytes();
      },
      "leaves the tree");
}

TEST(Hostile, HardlinkToAnInTreeSymlink) {
  expect_refused(ArchiveBuilder().dir("top/").file("top/f", "x").symlink("top/l", "f").hardlink("top/h", "top/l"),
                 "not an earlier regular file");
}

TEST(Hostile, HardlinkToItself) {
  expect_refused(ArchiveBuilder().dir("top/").hardlink("top/h", "top/h"), "not an earlier regular file");
}

TEST(Hostile, HardlinkToADirectory) {
  expect_refused(ArchiveBuilder().dir("top/").dir("top/d/").hardlink("top/h", "top/d"), "not an earlier regular file");
}

// ---- directory replaced by a symlink ------------------------------------------

TEST(Hostile, DirectoryReplacedByASymlink) {
  // A naive extractor creates top/d, later replaces it by a symlink, and
  // finally applies top/d's deferred mode and time through the link. Pointing
  // at the victim, the link is refused as leaving the tree; pointing inside,
  // as a second entry of the same name. Either way the snapshot shows no
  // chmod or utime reached the victim.
  expect_refused(
      [](const fs::path& victim) {
        return RawTar().dir("top/").dir("top/d/", 0777).file("top/d/f", "x").symlink("top/d", victim.string()).end().bytes();
      },
      "leaves the tree");
  expect_refused(ArchiveBuilder().dir("top/").dir("top/e/", 0700).dir("top/d/", 0777).symlink("top/d", "e"),
                 "duplicate name or file/directory clash");
}

// ---- special files and modes ----------------------------------------------------

TEST(Hostile, CharacterDevice) {
  expect_refused(ArchiveBuilder().dir("top/").char_device("top/null"), "devices, FIFOs and sockets are refused");
}

TEST(Hostile, BlockDevice) {
  expect_refused(ArchiveBuilder().dir("top/").block_device("top/loop0"), "devices, FIFOs and sockets are refused");
}

TEST(Hostile, Fifo) {
  expect_refused(ArchiveBuilder().dir("top/").fifo("top/pipe"), "devices, FIFOs and sockets are refused");
}

// Policy: setuid, setgid and sticky bits are stripped (not refused): upstream
// tarballs do carry odd modes, and stripping keeps the build working.
TEST(Hostile, SetuidSetgidStickyAreStripped) {
  for (const Compression compression : ArchiveBuilder::all) {
    SCOPED_TRACE(ArchiveBuilder::name(compression));
    HostileSite site;
    const fs::path tree = extract_ok(site,
                                     tar_bytes(ArchiveBuilder()
                                                   .dir("top/", 07755)
                                                   .dir("top/shared/", 03777)
                                                   .file("top/suid", "x", 04755)
                                                   .file("top/sgid", "x", 02755)
                                                   .file("top/sticky", "x", 01644)),
                                     compression);
    for (const char* name : {"", "shared", "suid", "sgid", "sticky"}) {
      struct stat st {};
      ASSERT_EQ(::lstat((tree / name).c_str(), &st), 0) << name;
      EXPECT_EQ(st.st_mode & (S_ISUID | S_ISGID | S_ISVTX), 0u) << name << " mode " << std::oct << st.st_mode;
    }
    struct stat st {};
    ::lstat((tree / "suid").c_str(), &st);
    EXPECT_NE(st.st_mode & S_IXUSR, 0u) << "the execute bit is kept";
  }
}

// Policy: group- and world-writable bits are stripped. Extracted with umask
// 0, so the kernel's umask cannot hide a missing strip.
TEST(Hostile, GroupAndWorldWritableAreStripped) {
  struct NoUmask {
    mode_t saved = ::umask(0);
    ~NoUmask() { ::umask(saved); }
  } no_umask;
  for (const Compression compression : ArchiveBuilder::all) {
    SCOPED_TRACE(ArchiveBuilder::name(compression));
    HostileSite site;
    const fs::path tree = extract_ok(
        site,
        tar_bytes(ArchiveBuilder().dir("top/", 0777).dir("top/d/", 0777).file("top/f", "x", 0666).file("top/g", "x", 0777)),
        compression);
    for (const char* name : {"", "d", "f", "g"}) {
      struct stat st {};
      ASSERT_EQ(::lstat((tree / name).c_str(), &st), 0) << name;
      EXPECT_EQ(st.st_mode & (S_IWGRP | S_IWOTH), 0u) << name << " mode " << std::oct << st.st_mode;
    }
  }
}

// ---- limits -----------------------------------------------------------------------

TEST(Hostile, CompressionBomb) {
  ExtractLimits limits;
  limits.max_ratio = 100;
  limits.ratio_grace_bytes = 1 << 20;
  const std::string bytes = tar_bytes(ArchiveBuilder().dir("top/").file("top/zeros", std::string(8 << 20, '\0')));
  expect_refused([&](const fs::path&) { return bytes; }, "expansion ratio over 100:1", limits, compressed);
}

TEST(Hostile, CompressionBombWithDefaultLimits) {
  // 64 MiB of zeros: ~64 KiB as gzip, far less as bzip2 or xz.
  const std::string bytes = tar_bytes(ArchiveBuilder().dir("top/").file("top/zeros", std::string(64 << 20, '\0')));
  expect_refused([&](const fs::path&) { return bytes; }, "archive bomb?", ExtractLimits{}, compressed);
}

TEST(Hostile, EntryDeclaringAHugeSize) {
  const std::string octal_case = RawTar().dir("top/").header(hdr("top/huge", '0', std::uint64_t{8} << 30)).data("tiny").end().bytes();
  expect_refused([&](const fs::path&) { return octal_case; }, "entries declare more than the limit of 2147483648 bytes");
  RawTar::Header base256 = hdr("top/huge", '0');
  base256.size_field = std::string("\x80\0\0\0\0\0\x01\0\0\0\0\0", 12);  // 2^40 bytes, base-256
  const std::string base256_case = RawTar().dir("top/").header(base256).data("tiny").end().bytes();
  expect_refused([&](const fs::path&) { return base256_case; }, "entries declare more than the limit");
}

TEST(Hostile, TotalSizeLimit) {
  ExtractLimits limits;
  limits.max_total_bytes = 256 << 10;
  ArchiveBuilder builder;
  builder.dir("top/");
  for (int i = 0; i < 8; ++i) builder.file("top/f" + std::to_string(i), std::string(100 << 10, 'x'));
  expect_refused(builder, "limit of 262144 bytes", limits);
}

TEST(Hostile, EntryCountLimit) {
  ExtractLimits limits;
  limits.max_entries = 20;
  ArchiveBuilder builder;
  builder.dir("top/");
  for (int i = 0; i < 50; ++i) builder.file("top/f" + std::to_string(i), "x");
  expect_refused(builder, "more than 20 entries", limits);
}

// ---- pax and GNU extension headers -------------------------------------------------

TEST(Hostile, OversizedPaxHeader) {
  const std::string big = RawTar().dir("top/").pax({{"path", "top/" + std::string(100 << 10, 'a')}}).file("top/x", "x").end().bytes();
  expect_refused([&](const fs::path&) { return big; }, "pax extended header of");
  // Larger than libarchive's own 1 MiB cap, too.
  const std::string huge = RawTar().dir("top/").pax({{"comment", std::string(2 << 20, 'c')}}).file("top/x", "x").end().bytes();
  expect_refused([&](const fs::path&) { return huge; }, "exceeds the limit of 65536 bytes");
}

TEST(Hostile, OversizedGnuLongName) {
  const std::string tar = RawTar().dir("top/").gnu_long('L', "top/" + std::string(100 << 10, 'b')).file("top/x", "x").end().bytes();
  expect_refused([&](const fs::path&) { return tar; }, "GNU long-name header of");
}

TEST(Hostile, NulInPaxPath) {
  // libarchive would keep "top/ok" and drop the rest silently.
  const std::string tar =
      RawTar().dir("top/").pax({{"path", std::string("top/ok\0../../escaped", 21)}}).file("top/x", "x").end().bytes();
  expect_refused([&](const fs::path&) { return tar; }, "NUL byte in the pax 'path' value");
}

TEST(Hostile, NulInPaxLinkpath) {
  const std::string tar = RawTar()
                              .dir("top/")
                              .pax({{"linkpath", std::string("ok\0/../../../etc", 16)}})
                              .symlink("top/l", "ok")
                              .end()
                              .bytes();
  expect_refused([&](const fs::path&) { return tar; }, "NUL byte in the pax 'linkpath' value");
}

TEST(Hostile, NulInGnuLongName) {
  const std::string tar =
      RawTar().dir("top/").gnu_long('L', std::string("top/ok\0../../escaped", 21)).file("top/x", "x").end().bytes();
  expect_refused([&](const fs::path&) { return tar; }, "NUL byte inside a GNU long name");
}

TEST(Hostile, MalformedPaxRecord) {
  RawTar tar;
  tar.dir("top/");
  const std::string records = "99 path=top/x\n";  // the length says 99, the record has 14 bytes
  tar.header(hdr("PaxHeader/x", 'x', records.size())).data(records).file("top/x", "x").end();
  const std::string bytes = tar.bytes();
  expect_refused([&](const fs::path&) { return bytes; }, "malformed pax record");
}

TEST(Hostile, TooManyExtensionHeadersInARow) {
  RawTar tar;
  tar.dir("top/");
  for (int i = 0; i < 10; ++i) tar.pax({{"comment", "x"}});
  tar.file("top/x", "x").end();
  const std::string bytes = tar.bytes();
  expect_refused([&](const fs::path&) { return bytes; }, "more than 8 extension headers in a row");
}

TEST(Hostile, ArchiveEndingAfterAnExtensionHeader) {
  const std::string bytes = RawTar().dir("top/").file("top/a", "a").pax({{"path", "top/b"}}).end().bytes();
  expect_refused([&](const fs::path&) { return bytes; }, "ends right after an extension header");
}

TEST(Hostile, SparseFileKeys) {
  const std::string bytes =
      RawTar().dir("top/").pax({{"GNU.sparse.major", "1"}, {"GNU.sparse.minor", "0"}}).file("top/s", "x").end().bytes();
  expect_refused([&](const fs::path&) { return bytes; }, "sparse files are refused");
}

TEST(Hostile, PaxGlobalHeaderSettingAPath) {
  const std::string bytes = RawTar().pax({{"path", "elsewhere"}}, 'g').dir("top/").file("top/x", "x").end().bytes();
  expect_refused([&](const fs::path&) { return bytes; }, "pax global header sets 'path'");
}

// ---- tar structure ----------------------------------------------------------------------

TEST(Hostile, UnsupportedEntryTypes) {
  for (const char type : {'S', 'V', 'M', 'N', 'D', 'A', 'X', 'E', 'I', 'Z', '8'}) {
    SCOPED_TRACE(std::string("type ") + type);
    const std::string bytes = RawTar().dir("top/").header(hdr("top/odd", type, 3)).data("abc").end().bytes();
    expect_refused([&](const fs::path&) { return bytes; }, "unsupported tar entry type", {}, {Compression::none});
  }
}

TEST(Hostile, LinkOrDirectoryWithANonZeroSize) {
  // libarchive guesses whether such bytes are data or the next header; we never guess.
  const std::string symlink = RawTar().dir("top/").header(hdr("top/l", '2', 512, "x")).data(std::string(512, 'a')).end().bytes();
  expect_refused([&](const fs::path&) { return symlink; }, "declares a non-zero size");
  const std::string hardlink =
      RawTar().dir("top/").file("top/f", "f").header(hdr("top/h", '1', 5, "top/f")).data("owned").end().bytes();
  expect_refused([&](const fs::path&) { return hardlink; }, "declares a non-zero size");
  const std::string dir = RawTar().dir("top/").pax({{"size", "512"}}).dir("top/d/").data(std::string(512, 'a')).end().bytes();
  expect_refused([&](const fs::path&) { return dir; }, "declares a non-zero size");
}

TEST(Hostile, RegularFileCarryingALinkName) {
  // libarchive would turn this "regular file" into a hard link.
  const std::string ustar = RawTar().dir("top/").file("top/f", "f").header(hdr("top/g", '0', 1, "top/f")).data("g").end().bytes();
  expect_refused([&](const fs::path&) { return ustar; }, "carries a link name");
  const std::string pax = RawTar().dir("top/").file("top/f", "f").pax({{"linkpath", "top/f"}}).file("top/g", "g").end().bytes();
  expect_refused([&](const fs::path&) { return pax; }, "carries a link name");
}

TEST(Hostile, BadHeaderChecksum) {
  RawTar::Header bad = hdr("top/x", '0', 1);
  bad.bad_checksum = true;
  const std::string bytes = RawTar().dir("top/").header(bad).data("x").end().bytes();
  expect_refused([&](const fs::path&) { return bytes; }, "header checksum mismatch");
}

TEST(Hostile, OldV7TarWithoutMagic) {
  RawTar::Header v7 = hdr("top/x", '0', 1);
  v7.magic = std::string(8, '\0');
  const std::string bytes = RawTar().header(v7).data("x").end().bytes();
  expect_refused([&](const fs::path&) { return bytes; }, "no ustar magic");
}

TEST(Hostile, MalformedSizeField) {
  RawTar::Header odd = hdr("top/x", '0');
  odd.size_field = std::string("0000001 2\0\0\0", 12);  // libarchive would read 1
  const std::string bytes = RawTar().dir("top/").header(odd).data("x").end().bytes();
  expect_refused([&](const fs::path&) { return bytes; }, "malformed size field");
}

TEST(Hostile, TruncatedInsideAnEntry) {
  const std::string full = RawTar().dir("top/").file("top/x", std::string(5000, 'x')).end().bytes();
  const std::string cut = full.substr(0, 512 + 512 + 2000);
  expect_refused([&](const fs::path&) { return cut; }, "truncated");
}

TEST(Hostile, TruncatedWithoutEndMarker) {
  // Cut exactly after an entry: libarchive alone would report success.
  const std::string bytes = RawTar().dir("top/").file("top/a", "a").file("top/b", "b").bytes();
  expect_refused([&](const fs::path&) { return bytes; }, "without an end-of-archive marker");
}

TEST(Hostile, TruncatedCompressedStream) {
  const std::string tar = tar_bytes(ArchiveBuilder().dir("top/").file("top/x", std::string(300000, 'x') + "end"));
  for (const Compression compression : compressed) {
    SCOPED_TRACE(ArchiveBuilder::name(compression));
    const std::string packed = compress(tar, compression);
    const std::string cut = packed.substr(0, packed.size() - 20);
    HostileSite site;
    write_file(site.archive(), cut);
    try {
      extract_archive(site.archive(), site.dest(), {});
      ADD_FAILURE() << "a truncated stream was accepted";
    } catch (const Error& e) {
      EXPECT_TRUE(contains(e.what(), "truncated") || contains(e.what(), "corrupt")) << e.what();
    }
    EXPECT_TRUE(dir_empty(site.dir / "out"));
  }
}

// Policy (README, "Security model"): the integrity of the compressed bytes
// is the archive's pinned SHA-256, checked again over the very bytes being
// extracted; gzip's CRC-32 and length (which libarchive does not check)
// would add nothing. A flipped CRC or length is simply not the pinned file.
void expect_not_the_pinned_bytes(const std::string& pinned, const std::string& served) {
  HostileSite site;
  write_file(site.archive(), served);
  const auto before = snapshot(site.dir.path(), {"out"});
  try {
    extract_archive(site.archive(), site.dest(), {}, {}, sha_of(pinned));
    ADD_FAILURE() << "bytes that are not the pinned ones were extracted";
  } catch (const Error& e) {
    // Refused by the pin, or earlier by the decoder (xz refuses trailing bytes itself).
    EXPECT_TRUE(e.status() == Status::wrong_bytes || contains(e.what(), "corrupt or truncated")) << e.what();
    if (e.status() == Status::wrong_bytes) EXPECT_TRUE(contains(e.what(), "expected " + sha_of(pinned))) << e.what();
  }
  EXPECT_EQ(snapshot(site.dir.path(), {"out"}), before);
  EXPECT_TRUE(dir_empty(site.dir / "out")) << "partial output left behind";
}

TEST(Hostile, BadGzipCrcOrLengthIsNotThePinnedFile) {
  const std::string gz = compress(tar_bytes(ArchiveBuilder().dir("top/").file("top/x", "payload")), Compression::gzip);
  for (const std::size_t from_end : {std::size_t{8}, std::size_t{1}}) {  // the CRC-32's first byte, the length's last
    SCOPED_TRACE("byte " + std::to_string(from_end) + " from the end");
    std::string bad = gz;
    bad[bad.size() - from_end] = static_cast<char>(bad[bad.size() - from_end] ^ 0x01);
    expect_not_the_pinned_bytes(gz, bad);
  }
}

TEST(Hostile, CorruptBzip2AndXzData) {
  const std::string tar = tar_bytes(ArchiveBuilder().dir("top/").file("top/x", std::string(200000, 'q') + "tail"));
  for (const Compression compression : {Compression::bzip2, Compression::xz}) {
    SCOPED_TRACE(ArchiveBuilder::name(compression));
    std::string packed = compress(tar, compression);
    packed[packed.size() / 2] = static_cast<char>(packed[packed.size() / 2] ^ 0x20);
    HostileSite site;
    write_file(site.archive(), packed);
    try {
      extract_archive(site.archive(), site.dest(), {});
      ADD_FAILURE() << "corrupt data was accepted";
    } catch (const Error& e) {
      EXPECT_TRUE(contains(e.what(), "corrupt")) << e.what();
    }
    EXPECT_TRUE(dir_empty(site.dir / "out"));
  }
}

TEST(Hostile, TrailingGarbageInsideTheTarStream) {
  const std::string bytes = RawTar().dir("top/").file("top/x", "x").end().raw("GARBAGE").raw(std::string(505, '\0')).bytes();
  expect_refused([&](const fs::path&) { return bytes; }, "trailing garbage after the end-of-archive marker");
}

TEST(Hostile, TrailingGarbageAfterTheCompressedStreamIsNotThePinnedFile) {
  // Bytes after the compressed stream are ignored by gzip(1), bzip2(1) and
  // libarchive alike, so they cannot show one reader different contents;
  // appended to a pinned archive they are not the pinned file.
  const std::string tar = tar_bytes(ArchiveBuilder().dir("top/").file("top/x", "x"));
  for (const Compression compression : compressed) {
    SCOPED_TRACE(ArchiveBuilder::name(compression));
    const std::string packed = compress(tar, compression);
    expect_not_the_pinned_bytes(packed, packed + "GARBAGE, NOT A SECOND STREAM");
  }
}

TEST(Hostile, NestedCompressionIsRefused) {
  // libarchive would unwrap every layer it recognises; we take one. (Only
  // the filter the magic number names is enabled, so a different inner
  // codec is never unwrapped; the same one twice is refused by name.)
  const std::string tar = tar_bytes(ArchiveBuilder().dir("top/").file("top/x", "x"));
  for (const Compression codec : compressed) {
    SCOPED_TRACE(ArchiveBuilder::name(codec));
    const std::string twice = compress(compress(tar, codec), codec);
    expect_refused([&](const fs::path&) { return twice; }, "nested compression", {}, {Compression::none});
  }
}

// ---- names that clash ---------------------------------------------------------------------

TEST(Hostile, DuplicateNames) {
  expect_refused(ArchiveBuilder().dir("top/").file("top/a", "1").file("top/a", "2"), "duplicate name");
}

TEST(Hostile, FileThenDirectoryOfTheSameName) {
  expect_refused(ArchiveBuilder().dir("top/").file("top/a", "1").dir("top/a/"), "duplicate name or file/directory clash");
}

TEST(Hostile, DirectoryThenFileOfTheSameName) {
  expect_refused(ArchiveBuilder().dir("top/").dir("top/a/").file("top/a", "1"), "duplicate name or file/directory clash");
}

TEST(Hostile, FileUsedAsADirectory) {
  expect_refused(ArchiveBuilder().dir("top/").file("top/a", "1").file("top/a/b", "2"), "its parent 'top/a' is not a directory");
}

// ---- top level ---------------------------------------------------------------------------

TEST(Hostile, NoTopLevelDirectory) {
  expect_refused(ArchiveBuilder().file("lonely", "x"), "expected exactly one top-level directory");
}

TEST(Hostile, EmptyArchive) {
  const std::string bytes = RawTar().end().bytes();
  expect_refused([&](const fs::path&) { return bytes; }, "the archive holds no entries");
}

TEST(Hostile, SeveralTopLevelDirectories) {
  expect_refused(ArchiveBuilder().file("a/x", "x").file("b/y", "y"), "expected exactly one top-level directory");
}

// ---- the destination ------------------------------------------------------------------

TEST(Hostile, DestinationIsASymlink) {
  for (const Compression compression : ArchiveBuilder::all) {
    SCOPED_TRACE(ArchiveBuilder::name(compression));
    HostileSite site;
    fs::create_directory_symlink(site.victim(), site.dest());
    const auto victim_before = snapshot(site.victim());
    extract_ok(site, tar_bytes(ArchiveBuilder().dir("top/").file("top/precious", "owned\n")), compression);
    EXPECT_FALSE(fs::is_symlink(site.dest())) << "extracted through the old symlink";
    EXPECT_EQ(read_file(site.dest() / "precious"), "owned\n");
    EXPECT_EQ(read_file(site.victim() / "precious"), "precious\n");
    EXPECT_EQ(snapshot(site.victim()), victim_before);
  }
}

TEST(Hostile, DestinationContainingASymlink) {
  for (const Compression compression : ArchiveBuilder::all) {
    SCOPED_TRACE(ArchiveBuilder::name(compression));
    HostileSite site;
    fs::create_directories(site.dest());
    fs::create_directory_symlink(site.victim(), site.dest() / "sub");
    const auto victim_before = snapshot(site.victim());
    extract_ok(site, tar_bytes(ArchiveBuilder().dir("top/").dir("top/sub/").file("top/sub/precious", "owned\n")),
               compression);
    EXPECT_FALSE(fs::is_symlink(site.dest() / "sub"));
    EXPECT_EQ(read_file(site.dest() / "sub" / "precious"), "owned\n");
    EXPECT_EQ(snapshot(site.victim()), victim_before) << "the extraction went through a symlink already in the destination";
  }
}

TEST(Hostile, FailedExtractionLeavesAnEarlierTreeUntouched) {
  HostileSite site;
  extract_ok(site, tar_bytes(ArchiveBuilder().dir("top/").file("top/v1", "one")));
  write_file(site.archive(), compress(tar_bytes(ArchiveBuilder().dir("top/").file("top/v2", "two").fifo("top/p")),
                                      Compression::gzip));
  const auto with_new_archive = snapshot(site.dir.path(), {"out"});
  EXPECT_THROW(extract_archive(site.archive(), site.dest(), {}), Error);
  EXPECT_EQ(snapshot(site.dir.path(), {"out"}), with_new_archive);
  EXPECT_EQ(read_file(site.dest() / "v1"), "one");
}

// ---- formats ----------------------------------------------------------------------------

TEST(Hostile, ZipIsRefused) {
  // Policy: tar only. Zip (and its local-header/central-directory ambiguity)
  // is never parsed; no allocator release needs it.
  for (const char* name : {"../escaped", "top/x"}) {
    SCOPED_TRACE(name);
    HostileSite site;
    ArchiveBuilder().dir("top/").file(name, "x").write_zip(site.archive());
    try {
      extract_archive(site.archive(), site.dest(), {});
      FAIL() << "a zip archive was extracted";
    } catch (const Error& e) {
      EXPECT_TRUE(contains(e.what(), "zip archives are not supported")) << e.what();
    }
    EXPECT_TRUE(dir_empty(site.dir / "out"));
  }
}

TEST(Hostile, OtherFormatsAreRefused) {
  for (const std::string& start : {std::string("\x28\xb5\x2f\xfd", 4), std::string("7z\xbc\xaf\x27\x1c", 6),
                                   std::string("Rar!\x1a\x07", 6), std::string("<!DOCTYPE html><html>")}) {
    HostileSite site;
    write_file(site.archive(), start + std::string(2048, 'z'));
    EXPECT_THROW(extract_archive(site.archive(), site.dest(), {}), Error);
    EXPECT_TRUE(dir_empty(site.dir / "out"));
  }
}

// ---- policy: symlinks that stay inside the tree --------------------------------------------

// Kept: relative links that resolve inside the top-level directory, following
// the archive's other links; to files, to directories, and dangling ones.
TEST(Hostile, InTreeSymlinksAreKept) {
  for (const Compression compression : ArchiveBuilder::all) {
    SCOPED_TRACE(ArchiveBuilder::name(compression));
    HostileSite site;
    const fs::path tree = extract_ok(site,
                                     tar_bytes(ArchiveBuilder()
                                                   .dir("top/")
                                                   .dir("top/include/")
                                                   .file("top/include/a.h", "a")
                                                   .symlink("top/a.h", "include/a.h")
                                                   .symlink("top/inc", "include")
                                                   .symlink("top/include/up", "../include/a.h")
                                                   .symlink("top/self", ".")
                                                   .symlink("top/dangling", "not-yet")),
                                     compression);
    EXPECT_EQ(fs::read_symlink(tree / "a.h"), "include/a.h");
    EXPECT_EQ(read_file(tree / "inc" / "a.h"), "a");
    EXPECT_EQ(read_file(tree / "include" / "up"), "a");
    EXPECT_TRUE(fs::is_symlink(tree / "self"));
    EXPECT_TRUE(fs::is_symlink(tree / "dangling"));
  }
}

// ---- bounded cost -------------------------------------------------------------------------

// One small entry nested 10000 directories deep: without a depth limit every
// per-path step (parent checks, the directory walk) grows with the depth,
// and many such entries grow with depth squared. Refused at parse time.
TEST(Hostile, DeepNestingIsRefused) {
  std::string name = "top/";
  for (int i = 0; i < 10000; ++i) name += "d/";
  name += "f";
  const std::string tar = RawTar().dir("top/").pax({{"path", name}}).file("ignored", "x").end().bytes();
  expect_refused([&](const fs::path&) { return tar; }, "nested deeper than the limit of 128 directories");
  ExtractLimits limits;
  limits.max_depth = 20;
  const std::string shallow = tar_bytes(ArchiveBuilder().dir("top/").file("top/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t/u", "x"));
  expect_refused([&](const fs::path&) { return shallow; }, "deeper than the limit of 20 directories", limits,
                 {Compression::none});
}

// Deep but allowed: the work is linear in the archive. Each of 600 nested
// directories opens one directory more than its parent did, instead of
// walking from the root again (which would be ~180000 opens).
TEST(Hostile, DeepTreeCostIsLinear) {
  constexpr int depth = 600;
  RawTar tar;
  std::string name = "top/";
  tar.dir(name);
  for (int i = 0; i < depth; ++i) {
    name += "d/";
    tar.pax({{"path", name}}).dir("ignored/");
  }
  tar.pax({{"path", name + "leaf"}}).file("ignored", "deep\n").end();
  HostileSite site;
  ExtractLimits limits;
  limits.max_depth = depth + 10;
  write_file(site.archive(), tar.bytes());
  const ExtractStats stats = extract_archive(site.archive(), site.dest(), limits);
  fs::path leaf = site.dest();
  for (int i = 0; i < depth; ++i) leaf /= "d";
  EXPECT_EQ(read_file(leaf / "leaf"), "deep\n");
  EXPECT_EQ(stats.entries, static_cast<std::uint64_t>(depth + 2));
  EXPECT_LE(stats.directories_opened, 3 * stats.entries) << "directory opens grow faster than the entries";
}

// Names from the archive reach the error text escaped, never as raw control
// characters (a terminal escape sequence, a newline that fakes a log line).
TEST(Hostile, NamesInErrorsAreEscaped) {
  const std::string evil = "top/\x1b[31mred\nallocpipe-fetch: all good\x07";
  const std::string bytes = tar_bytes(ArchiveBuilder().dir("top/").fifo(evil));
  HostileSite site;
  write_file(site.archive(), bytes);
  try {
    extract_archive(site.archive(), site.dest(), {});
    FAIL() << "a FIFO was extracted";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_TRUE(contains(what, "top/\\x1b[31mred\\x0aallocpipe-fetch: all good\\x07")) << what;
    for (const char c : what) EXPECT_TRUE(c >= 0x20 && c < 0x7f) << "raw byte " << int(c) << " in: " << what;
  }
}
