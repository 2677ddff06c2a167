// allocpipe-fetch's command line: limits reach the code they configure,
// bad values are usage errors, old flags keep working, the record names
// earlier failures.
#include <gtest/gtest.h>

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
  const CliArgs args = parse_cli(plus(base_args(), {"--dest", "/d", "--mirror", "/m", "--offline", "--attempts", "4",
                                                    "--connect-timeout", "7", "--max-time", "60", "--max-bytes", "1234",
                                                    "--pin", "LICENSE=" + std::string(64, 'b'), "--record", "/r.json",
                                                    "--debian", "mimalloc=2.0.9+ds-2", "--debian-file",
                                                    "mimalloc_2.0.9+ds.orig.tar.xz", "--debian-sha256",
                                                    std::string(64, 'c'), "--debian-mode", "on"}));
  EXPECT_EQ(args.options.limits.attempts, 4);
  EXPECT_EQ(args.options.limits.connect_timeout_s, 7);
  EXPECT_EQ(args.options.limits.max_time_s, 60);
  EXPECT_EQ(args.options.limits.max_bytes, 1234);
  EXPECT_TRUE(args.options.offline);
  ASSERT_TRUE(args.spec.debian);
  EXPECT_EQ(args.spec.debian->version, "2.0.9+ds-2");
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
