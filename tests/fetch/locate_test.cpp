#include "locate.h"

#include <gtest/gtest.h>

#include <fstream>

#include "error.h"
#include "http_server.h"
#include "test_util.h"

namespace fs = std::filesystem;
using namespace allocpipe;
using test::contains;
using test::HttpServer;
using test::Response;
using test::sha_of;

namespace {

const std::string payload = "pretend this is mimalloc-9.9.9.tar.gz";

SourceSpec spec_for(const std::string& upstream_url) {
  return SourceSpec{"mimalloc-9.9.9.tar.gz", sha_of(payload), upstream_url, std::nullopt};
}

LocateOptions quick_options() {
  LocateOptions options;
  options.debian_mode = DebianMode::off;
  options.limits.attempts = 2;
  options.limits.connect_timeout_s = 2;
  options.limits.retry_delay_ms = 10;
  return options;
}

std::string failure_of(const SourceSpec& spec, const Cache& cache, const LocateOptions& options) {
  return test::locate_failure(spec, cache, options);
}


}  // namespace

TEST(Locate, DownloadsVerifiesCachesThenHitsTheCache) {
  test::TempDir dir;
  HttpServer server([](const std::string&) { return Response{200, payload, {}}; });
  const Cache cache(dir / "cache");
  Reporter quiet(false);
  const Located first = locate(spec_for(server.url("/up.tar.gz")), cache, quick_options(), quiet);
  EXPECT_EQ(first.obtained_from, server.url("/up.tar.gz"));
  EXPECT_EQ(sha256_file(first.path), sha_of(payload));
  EXPECT_EQ(server.requests(), 1);

  const Located second = locate(spec_for(server.url("/up.tar.gz")), cache, quick_options(), quiet);
  EXPECT_EQ(second.obtained_from, "cache");
  EXPECT_EQ(server.requests(), 1) << "a cache hit must not touch the network";
  EXPECT_TRUE(fs::is_empty(dir / "cache" / "tmp"));
}

TEST(Locate, WrongBytesAreNeverCachedAndTheReportNamesBothHashes) {
  test::TempDir dir;
  HttpServer server([](const std::string&) { return Response{200, "<html>not a tarball</html>", {}}; });
  const Cache cache(dir / "cache");
  const std::string report = failure_of(spec_for(server.url("/up.tar.gz")), cache, quick_options());
  EXPECT_TRUE(contains(report, "sha256 mismatch: expected " + sha_of(payload) + ", got " +
                                   sha_of("<html>not a tarball</html>")))
      << report;
  EXPECT_TRUE(fs::is_empty(dir / "cache" / "sha256"));
  EXPECT_TRUE(fs::is_empty(dir / "cache" / "tmp"));
}

TEST(Locate, TriesMirrorsInOrderAndReportsEveryPlace) {
  test::TempDir dir;
  HttpServer bad([](const std::string&) { return Response{200, "wrong bytes", {}}; });
  HttpServer missing([](const std::string&) { return Response{404, "no", {}}; });
  HttpServer good([](const std::string& path) {
    return path == "/m/mimalloc-9.9.9.tar.gz" ? Response{200, payload, {}} : Response{404, "", {}};
  });
  const Cache cache(dir / "cache");
  LocateOptions options = quick_options();
  options.mirrors = {bad.url("/m"), missing.url("/m/"), good.url("/m")};
  Reporter quiet(false);
  const Located got = locate(spec_for("http://127.0.0.1:1/never"), cache, options, quiet);
  EXPECT_EQ(got.obtained_from, good.url("/m/mimalloc-9.9.9.tar.gz"));
  EXPECT_EQ(missing.requests(), 1) << "404 is final: no retry";

  const test::TempDir other;
  const Cache empty(other / "cache");
  options.mirrors = {bad.url("/m"), missing.url("/m")};
  const std::string report = failure_of(spec_for(missing.url("/upstream.tar.gz")), empty, options);
  EXPECT_TRUE(contains(report, "\n  - cache " + (other / "cache" / "sha256" / sha_of(payload)).string() +
                                   " (mimalloc-9.9.9.tar.gz): miss\n"))
      << "the report must name the cache entry looked up and its outcome:\n" << report;
  EXPECT_TRUE(contains(report, bad.url("/m/mimalloc-9.9.9.tar.gz") + ": sha256 mismatch")) << report;
  EXPECT_TRUE(contains(report, missing.url("/m/mimalloc-9.9.9.tar.gz") + ": HTTP 404")) << report;
  EXPECT_TRUE(contains(report, missing.url("/upstream.tar.gz") + ": HTTP 404")) << report;
}

TEST(Locate, LocalDirectoryMirror) {
  test::TempDir dir;
  fs::create_directories(dir / "mirror");
  std::ofstream(dir / "mirror" / "mimalloc-9.9.9.tar.gz", std::ios::binary) << payload;
  const Cache cache(dir / "cache");
  LocateOptions options = quick_options();
  options.mirrors = {(dir / "mirror").string()};
  Reporter quiet(false);
  const Located got = locate(spec_for("http://127.0.0.1:1/never"), cache, options, quiet);
  EXPECT_EQ(got.obtained_from, (dir / "mirror" / "mimalloc-9.9.9.tar.gz").string());
}

TEST(Locate, DebianAlternateIsSkippedWithAReasonWhenDisabled) {
  test::TempDir dir;
  const Cache cache(dir / "cache");
  SourceSpec spec = spec_for("http://127.0.0.1:1/never");
  spec.debian = DebianSource{"mimalloc", "9.9.9+ds-1", "mimalloc_9.9.9+ds.orig.tar.xz", std::string(64, 'a')};
  LocateOptions options = quick_options();
  options.offline = true;
  const std::string report = failure_of(spec, cache, options);
  EXPECT_TRUE(contains(report, "apt-get source mimalloc=9.9.9+ds-1: skipped: Debian sources disabled")) << report;
  EXPECT_TRUE(contains(report, "or its Debian alternate mimalloc_9.9.9+ds.orig.tar.xz")) << report;
}
