// allocpipe-fetch's command line: limits reach the code they configure,
// bad values are usage errors, old flags keep working, the record names
// earlier failures.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "cli.h"
#include "http_server.h"
#include "process.h"
#include "test_util.h"

using namespace allocpipe;
using namespace allocpipe::test;

namespace {

const std::string file_name = "toy-1.0.tar.gz";

std::vector<std::string> base_args() {
  return {"--cache", "/c", "--file", file_name, "--sha256", std::string(64, 'a'), "--url", "http://127.0.0.1:9/x"};
}

std::vector<std::string> plus(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

void expect_usage_error(const std::vector<std::string>& args, const std::string& expected) {
  try {
    parse_cli(args);
    ADD_FAILURE() << "accepted: " << ::testing::PrintToString(args);
  } catch (const UsageError& e) {
    EXPECT_TRUE(contains(e.what(), expected)) << e.what();
  }
}

// Runs the tool on `archive` served from a local mirror directory.
ExitStatus fetch_from_mirror(const TempDir& dir, const std::string& archive, const std::vector<std::string>& more) {
  fs::create_directories(dir / "mirror");
  write_file(dir / "mirror" / file_name, archive);
  return run_process(plus({fetch_binary(), "--cache", (dir / "cache").string(), "--file", file_name, "--sha256",
                           sha_of(archive), "--url", "http://127.0.0.1:9/x", "--mirror", (dir / "mirror").string(),
                           "--debian-mode", "off", "--attempts", "1", "--dest", (dir / "src").string()},
                          more),
                     dir / "log");
}

}  // namespace

TEST(Cli, ExistingFlagsStillWork) {
  const CliArgs args = parse_cli(plus(base_args(), {"--dest", "/d", "--mirror", "/m", "--mirror", "http://m2/",
                                                    "--offline", "--attempts", "4", "--connect-timeout", "7",
                                                    "--max-time", "60", "--max-bytes", "1234", "--pin",
                                                    "LICENSE=" + std::string(64, 'b'), "--pin",
                                                    "doc/COPYING=" + std::string(64, 'd'), "--record", "/r.json",
                                                    "--debian", "mimalloc=2.0.9+ds-2", "--debian-file",
                                                    "mimalloc_2.0.9+ds.orig.tar.xz", "--debian-sha256",
                                                    std::string(64, 'c'), "--debian-mode", "on"}));
  EXPECT_EQ(args.cache, "/c");
  EXPECT_EQ(args.spec.file, file_name);
  EXPECT_EQ(args.spec.sha256, std::string(64, 'a'));
  EXPECT_EQ(args.spec.url, "http://127.0.0.1:9/x");
  EXPECT_EQ(args.dest, "/d");
  EXPECT_EQ(args.record, "/r.json");
  EXPECT_EQ(args.options.mirrors, (std::vector<std::string>{"/m", "http://m2/"})) << "mirrors, in order";
  EXPECT_TRUE(args.options.offline);
  EXPECT_EQ(args.options.limits.attempts, 4);
  EXPECT_EQ(args.options.limits.connect_timeout_s, 7);
  EXPECT_EQ(args.options.limits.max_time_s, 60);
  EXPECT_EQ(args.options.limits.max_bytes, 1234);
  ASSERT_EQ(args.pins.size(), 2u);
  EXPECT_EQ(args.pins[0].path, "LICENSE");
  EXPECT_EQ(args.pins[0].sha256, std::string(64, 'b'));
  EXPECT_EQ(args.pins[1].path, "doc/COPYING");
  EXPECT_EQ(args.pins[1].sha256, std::string(64, 'd'));
  EXPECT_EQ(args.options.debian_mode, DebianMode::on);
  ASSERT_TRUE(args.spec.debian);
  EXPECT_EQ(args.spec.debian->package, "mimalloc");
  EXPECT_EQ(args.spec.debian->version, "2.0.9+ds-2");
  EXPECT_EQ(args.spec.debian->file, "mimalloc_2.0.9+ds.orig.tar.xz");
  EXPECT_EQ(args.spec.debian->sha256, std::string(64, 'c'));
  EXPECT_FALSE(args.help);
  // The defaults the flags replaced were different, so each value above is the flag's doing.
  const CliArgs plain = parse_cli(base_args());
  EXPECT_FALSE(plain.options.offline);
  EXPECT_EQ(plain.options.debian_mode, DebianMode::automatic);
  EXPECT_NE(plain.options.limits.attempts, 4);
  EXPECT_NE(plain.options.limits.max_bytes, 1234);
  EXPECT_TRUE(plain.pins.empty());
  EXPECT_FALSE(plain.spec.debian);
}

TEST(Cli, LimitFlagsAreParsed) {
  const CliArgs args = parse_cli(plus(base_args(), {"--max-extract-bytes", "1000", "--max-entries", "7", "--max-ratio",
                                                    "9", "--ratio-grace-bytes", "0", "--max-header-bytes", "4096",
                                                    "--low-speed-time", "3", "--low-speed-limit", "10",
                                                    "--max-redirects", "0", "--retry-delay-ms", "0"}));
  EXPECT_EQ(args.extract_limits.max_total_bytes, 1000u);
  EXPECT_EQ(args.extract_limits.max_entries, 7u);
  EXPECT_EQ(args.extract_limits.max_ratio, 9u);
  EXPECT_EQ(args.extract_limits.ratio_grace_bytes, 0u);
  EXPECT_EQ(args.extract_limits.max_header_bytes, 4096u);
  EXPECT_EQ(args.options.limits.low_speed_time_s, 3);
  EXPECT_EQ(args.options.limits.low_speed_bytes, 10);
  EXPECT_EQ(args.options.limits.max_redirects, 0);
  EXPECT_EQ(args.options.limits.retry_delay_ms, 0);
}

TEST(Cli, BadNumbersAreUsageErrors) {
  for (const char* bad : {"0", "-1", "+5", " 5", "5x", "0x10", "", "99999999999999999999", "1e3"})
    expect_usage_error(plus(base_args(), {"--max-entries", bad}), "--max-entries");
  expect_usage_error(plus(base_args(), {"--attempts", "1000"}), "from 1 to 20");
  expect_usage_error(plus(base_args(), {"--max-header-bytes", "100"}), "from 512");
  expect_usage_error(plus(base_args(), {"--max-ratio"}), "expected a value");
}

TEST(Cli, DebianSourceMustNotReadAsAnOption) {
  for (const char* bad : {"-oAPT::Get::AllowUnauthenticated=1", "mimalloc=-1", "Mimalloc=1.0", "mi malloc=1.0", "=1.0",
                          "mimalloc="})
    expect_usage_error(plus(base_args(), {"--debian", bad, "--debian-file", "x.tar.xz", "--debian-sha256",
                                          std::string(64, 'c')}),
                       "--debian");
}

TEST(Cli, FileNamesArePlain) {
  for (const char* bad : {"../x.tar.gz", "/etc/passwd", "a/b", "..", "."})
    expect_usage_error({"--cache", "/c", "--file", bad, "--sha256", std::string(64, 'a'), "--url", "http://x/"},
                       "expected a plain file name");
}

TEST(Cli, HelpExitsZeroAndListsTheLimits) {
  TempDir dir;
  const ExitStatus help = run_process({fetch_binary(), "--help"}, dir / "log");
  EXPECT_EQ(help.code, 0);
  for (const char* flag : {"--max-extract-bytes", "--max-entries", "--max-ratio", "--max-header-bytes", "--low-speed-time"})
    EXPECT_TRUE(contains(help.output, flag)) << flag;
}

TEST(Cli, ExtractionLimitsReachTheExtractor) {
  ArchiveBuilder builder;
  builder.dir("toy-1.0/");
  for (int i = 0; i < 5; ++i) builder.file("toy-1.0/f" + std::to_string(i), std::string(1000, 'x'));
  const std::string archive = compress(tar_bytes(builder), Compression::gzip);
  {
    TempDir dir;
    EXPECT_EQ(fetch_from_mirror(dir, archive, {}).code, 0) << "the archive itself is fine";
  }
  {
    TempDir dir;
    const ExitStatus r = fetch_from_mirror(dir, archive, {"--max-entries", "3"});
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(contains(r.output, "more than 3 entries")) << r.output;
    EXPECT_FALSE(fs::exists(dir / "src"));
  }
  {
    TempDir dir;
    const ExitStatus r = fetch_from_mirror(dir, archive, {"--max-extract-bytes", "3000"});
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(contains(r.output, "limit of 3000 bytes")) << r.output;
  }
  {
    TempDir dir;
    const std::string bomb =
        compress(tar_bytes(ArchiveBuilder().dir("toy-1.0/").file("toy-1.0/zeros", std::string(4 << 20, '\0'))),
                 Compression::gzip);
    const ExitStatus r = fetch_from_mirror(dir, bomb, {"--max-ratio", "10", "--ratio-grace-bytes", "65536"});
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(contains(r.output, "expansion ratio over 10:1")) << r.output;
  }
  {
    TempDir dir;
    const std::string pax =
        compress(RawTar().dir("toy-1.0/").pax({{"comment", std::string(4096, 'c')}}).file("toy-1.0/x", "x").end().bytes(),
                 Compression::gzip);
    const ExitStatus r = fetch_from_mirror(dir, pax, {"--max-header-bytes", "1024"});
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(contains(r.output, "exceeds the limit of 1024 bytes")) << r.output;
  }
}

TEST(Cli, RecordNamesEarlierFailures) {
  TempDir dir;
  const std::string archive = compress(tar_bytes(ArchiveBuilder().dir("toy-1.0/").file("toy-1.0/LICENSE", "MIT\n")),
                                       Compression::gzip);
  HttpServer wrong([](const std::string&) { return Response{200, "wrong bytes", {}}; });
  const ExitStatus r = fetch_from_mirror(dir, archive, {"--record", (dir / "record.json").string()});
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(contains(read_file(dir / "record.json"), "\"earlier_failures\": []"));

  TempDir again;
  fs::create_directories(again / "mirror");
  write_file(again / "mirror" / file_name, archive);
  const ExitStatus r2 = run_process(
      {fetch_binary(), "--cache", (again / "cache").string(), "--file", file_name, "--sha256", sha_of(archive), "--url",
       "http://127.0.0.1:9/x", "--mirror", wrong.url("/m"), "--mirror", (again / "mirror").string(), "--debian-mode",
       "off", "--attempts", "1", "--record", (again / "record.json").string()},
      again / "log");
  EXPECT_EQ(r2.code, 0) << r2.output;
  const std::string record = read_file(again / "record.json");
  EXPECT_TRUE(contains(record, "\"obtained_from\": \"" + (again / "mirror" / file_name).string() + "\"")) << record;
  EXPECT_TRUE(contains(record, wrong.url("/m/" + file_name) + ": sha256 mismatch: expected " + sha_of(archive) +
                                   ", got " + sha_of("wrong bytes")))
      << record;
}

// ---- exit statuses: the interface the build decides by (README, "Exit status") ----

namespace {

const std::string license = "MIT license text\n";
const std::string good_archive =
    compress(tar_bytes(ArchiveBuilder().dir("toy-1.0/").file("toy-1.0/LICENSE", license)), Compression::gzip);

// The tool with the base flags of a real build, against `url`, with no Debian alternate.
ExitStatus fetch_at(const TempDir& dir, const std::string& sha, const std::string& url,
                    const std::vector<std::string>& more) {
  return run_process(plus({fetch_binary(), "--cache", (dir / "cache").string(), "--file", file_name, "--sha256", sha,
                           "--url", url, "--debian-mode", "off", "--attempts", "1", "--connect-timeout", "2"},
                          more),
                     dir / "log");
}

}  // namespace

TEST(Cli, ExitStatus0WhenFetchedAndVerified) {
  TempDir dir;
  const ExitStatus r = fetch_from_mirror(dir, good_archive, {});
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(read_file(dir / "src" / "LICENSE"), license);
}

TEST(Cli, ExitStatus3WhenNoPlaceServesTheSource) {
  HttpServer missing([](const std::string&) { return Response{404, "no", {}}; });
  {
    TempDir dir;  // a 404 upstream and a mirror directory without the file
    fs::create_directories(dir / "empty-mirror");
    const ExitStatus r = fetch_at(dir, sha_of(good_archive), missing.url("/toy.tar.gz"),
                                  {"--mirror", (dir / "empty-mirror").string(), "--dest", (dir / "src").string()});
    EXPECT_EQ(r.code, 3) << r.output;
    EXPECT_TRUE(contains(r.output, "could not obtain " + file_name)) << r.output;
    EXPECT_FALSE(fs::exists(dir / "src"));
  }
  {
    TempDir dir;  // unreachable: nothing listens on the port of a server that is gone
    int port = 0;
    {
      HttpServer gone([](const std::string&) { return Response{200, "", {}}; });
      port = gone.port();
    }
    const ExitStatus r = fetch_at(dir, sha_of(good_archive), "http://127.0.0.1:" + std::to_string(port) + "/x", {});
    EXPECT_EQ(r.code, 3) << r.output;
  }
  {
    TempDir dir;  // offline with an empty cache
    HttpServer upstream([](const std::string&) { return Response{200, good_archive, {}}; });
    const ExitStatus r = fetch_at(dir, sha_of(good_archive), upstream.url("/toy.tar.gz"), {"--offline"});
    EXPECT_EQ(r.code, 3) << r.output;
    EXPECT_EQ(upstream.requests(), 0) << "offline mode made a request";
  }
}

TEST(Cli, ExitStatus4WhenAPlaceServedWrongBytes) {
  HttpServer wrong([](const std::string&) { return Response{200, "wrong bytes", {}}; });
  HttpServer missing([](const std::string&) { return Response{404, "no", {}}; });
  {
    TempDir dir;  // wrong bytes at a mirror, then a 404 upstream: still 4, never 3
    const ExitStatus r =
        fetch_at(dir, sha_of(good_archive), missing.url("/toy.tar.gz"), {"--mirror", wrong.url("/m")});
    EXPECT_EQ(r.code, 4) << r.output;
    EXPECT_TRUE(contains(r.output, "sha256 mismatch: expected " + sha_of(good_archive))) << r.output;
  }
  {
    TempDir dir;  // wrong bytes upstream
    const ExitStatus r = fetch_at(dir, sha_of(good_archive), wrong.url("/toy.tar.gz"), {});
    EXPECT_EQ(r.code, 4) << r.output;
  }
  {
    TempDir dir;  // wrong bytes at a mirror, the right ones upstream: fetched
    HttpServer right([](const std::string&) { return Response{200, good_archive, {}}; });
    const ExitStatus r = fetch_at(dir, sha_of(good_archive), right.url("/toy.tar.gz"), {"--mirror", wrong.url("/m")});
    EXPECT_EQ(r.code, 0) << r.output;
  }
}

TEST(Cli, ExitStatus2OnBadArguments) {
  TempDir dir;
  const auto base = std::vector<std::string>{fetch_binary(), "--cache", (dir / "cache").string(), "--file", file_name,
                                             "--sha256", sha_of(good_archive), "--url", "http://127.0.0.1:9/x"};
  for (const auto& bad : std::vector<std::vector<std::string>>{{"--no-such-flag"},
                                                                {"--pin", "LICENSE"},
                                                                {"--pin", "../LICENSE=" + std::string(64, 'a')},
                                                                {"--max-entries", "0"},
                                                                {"--debian-mode", "sometimes"},
                                                                {"--debian", "-oAPT::X=1", "--debian-file", "x.tar.xz",
                                                                 "--debian-sha256", std::string(64, 'c')}}) {
    const ExitStatus r = run_process(plus(base, bad), dir / "log");
    EXPECT_EQ(r.code, 2) << ::testing::PrintToString(bad) << "\n" << r.output;
    EXPECT_TRUE(contains(r.output, "usage: allocpipe-fetch")) << r.output;
  }
  const ExitStatus no_sha = run_process({fetch_binary(), "--cache", (dir / "cache").string(), "--file", file_name,
                                         "--sha256", "ABC", "--url", "http://x/"},
                                        dir / "log");
  EXPECT_EQ(no_sha.code, 2) << no_sha.output;
  EXPECT_FALSE(fs::exists(dir / "cache")) << "a usage error must not touch the cache";
}

TEST(Cli, ExitStatus1WhenAVerifiedArchiveIsRefused) {
  TempDir dir;
  const std::string with_fifo =
      compress(tar_bytes(ArchiveBuilder().dir("toy-1.0/").file("toy-1.0/LICENSE", license).fifo("toy-1.0/pipe")),
               Compression::gzip);
  const ExitStatus r = fetch_from_mirror(dir, with_fifo, {});
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "devices, FIFOs and sockets are refused")) << r.output;
  EXPECT_FALSE(fs::exists(dir / "src"));
}

TEST(Cli, HelpDocumentsTheExitStatuses) {
  TempDir dir;
  const ExitStatus help = run_process({fetch_binary(), "--help"}, dir / "log");
  EXPECT_EQ(help.code, 0);
  for (const char* line : {"Exit status:", "  3  no place serves the source", "  4  a place served wrong bytes",
                           "  2  usage", "  1  other failure"})
    EXPECT_TRUE(contains(help.output, line)) << line << "\n" << help.output;
}

// ---- --pin through the real binary ----

TEST(Cli, PinnedLicenseThatMatchesIsAccepted) {
  TempDir dir;
  const ExitStatus r = fetch_from_mirror(dir, good_archive, {"--pin", "LICENSE=" + sha_of(license)});
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(read_file(dir / "src" / "LICENSE"), license);
}

TEST(Cli, PinnedLicenseThatChangedFailsWithWrongBytes) {
  TempDir dir;
  const std::string other = sha_of("another license\n");
  const ExitStatus r = fetch_from_mirror(dir, good_archive, {"--pin", "LICENSE=" + other});
  EXPECT_EQ(r.code, 4) << r.output;
  EXPECT_TRUE(contains(r.output, "pinned file LICENSE changed: expected sha256 " + other + ", got " + sha_of(license)))
      << r.output;
  EXPECT_FALSE(fs::exists(dir / "src")) << "a tree whose license changed was left in place";
  for (const auto& item : fs::directory_iterator(dir.path()))
    EXPECT_EQ(item.path().filename().string().find(".src.partial"), std::string::npos) << item.path();
}

TEST(Cli, PinnedFileMissingFromTheTreeFails) {
  TempDir dir;
  const ExitStatus r = fetch_from_mirror(dir, good_archive, {"--pin", "COPYING=" + sha_of(license)});
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "pinned file COPYING is missing from the source tree")) << r.output;
  EXPECT_FALSE(fs::exists(dir / "src"));
}

// ---- bounded cost and clean output through the real binary ----

TEST(Cli, LocalMirrorFileThatIsAFifoIsRefusedNotRead) {
  // Reading a FIFO would block until a writer comes: `timeout` bounds a
  // regression, the assertions are on the refusal.
  for (const char* kind : {"fifo", "char-device"}) {
    SCOPED_TRACE(kind);
    TempDir dir;
    fs::create_directories(dir / "mirror");
    if (std::string(kind) == "fifo")
      ASSERT_EQ(::mkfifo((dir / "mirror" / file_name).c_str(), 0644), 0);
    else
      fs::create_symlink("/dev/zero", dir / "mirror" / file_name);  // a device that never ends
    HttpServer missing([](const std::string&) { return Response{404, "no", {}}; });
    const ExitStatus r = run_process(
        plus({"/usr/bin/timeout", "-s", "KILL", "60", fetch_binary(), "--cache", (dir / "cache").string(), "--file", file_name,
              "--sha256", sha_of(good_archive), "--url", missing.url("/toy.tar.gz"), "--mirror",
              (dir / "mirror").string(), "--debian-mode", "off", "--attempts", "1"},
             {}),
        dir / "log");
    EXPECT_EQ(r.code, 3) << r.output;
    EXPECT_TRUE(contains(r.output, (dir / "mirror" / file_name).string() + ": is a " +
                                       (std::string(kind) == "fifo" ? "FIFO" : "character device") +
                                       ", not a regular file: refused, not read"))
        << r.output;
  }
}

TEST(Cli, DeepNestingFailsWithStatus1AndTheDepthFlagReachesTheExtractor) {
  std::string name = "toy-1.0/";
  for (int i = 0; i < 10000; ++i) name += "d/";
  const std::string deep =
      compress(RawTar().dir("toy-1.0/").pax({{"path", name + "f"}}).file("ignored", "x").end().bytes(), Compression::gzip);
  {
    TempDir dir;
    const ExitStatus r = fetch_from_mirror(dir, deep, {});
    EXPECT_EQ(r.code, 1) << r.output;
    EXPECT_TRUE(contains(r.output, "nested deeper than the limit of 128 directories")) << r.output;
    EXPECT_FALSE(fs::exists(dir / "src"));
  }
  {
    TempDir dir;
    const std::string three = compress(tar_bytes(ArchiveBuilder().dir("toy-1.0/").file("toy-1.0/a/b/c", "x")),
                                       Compression::gzip);
    EXPECT_EQ(fetch_from_mirror(dir, three, {"--max-depth", "4"}).code, 0);
    TempDir again;
    const ExitStatus r = fetch_from_mirror(again, three, {"--max-depth", "3"});
    EXPECT_EQ(r.code, 1) << r.output;
    EXPECT_TRUE(contains(r.output, "deeper than the limit of 3 directories")) << r.output;
  }
}

TEST(Cli, ArchiveNamesReachStderrEscaped) {
  TempDir dir;
  const std::string evil = "toy-1.0/\x1b[31mred\nallocpipe-fetch: fetched fine";
  const std::string archive =
      compress(tar_bytes(ArchiveBuilder().dir("toy-1.0/").file("toy-1.0/LICENSE", license).fifo(evil)), Compression::gzip);
  const ExitStatus r = fetch_from_mirror(dir, archive, {});
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "toy-1.0/\\x1b[31mred\\x0aallocpipe-fetch: fetched fine")) << r.output;
  EXPECT_FALSE(contains(r.output, "\x1b")) << "a raw escape character reached stderr";
  EXPECT_FALSE(contains(r.output, "\nallocpipe-fetch: fetched fine")) << "a name forged a log line";
}
