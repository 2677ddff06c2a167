// Network faults against loopback servers started by the tests. In every
// case: nothing wrong is cached, the error names the URL and the cause, and
// retries are bounded (asserted as request counts, never as wall-clock time;
// short timeouts keep the suite fast).
#include <gtest/gtest.h>

#include <atomic>

#include "cache.h"
#include "http_server.h"
#include "locate.h"
#include "test_util.h"

using namespace allocpipe;
using namespace allocpipe::test;

namespace {

const std::string payload = [] {
  std::string text;
  for (int i = 0; text.size() < (64 << 10); ++i) text += "pretend this is mimalloc-9.9.9.tar.gz, line " + std::to_string(i) + "\n";
  return text;
}();

SourceSpec spec_for(const std::string& url, const std::string& bytes = payload) {
  return SourceSpec{"mimalloc-9.9.9.tar.gz", sha_of(bytes), url, std::nullopt};
}

LocateOptions quick(int attempts = 2) {
  LocateOptions options;
  options.debian_mode = DebianMode::off;
  options.limits.attempts = attempts;
  options.limits.retry_delay_ms = 10;
  options.limits.connect_timeout_s = 1;
  options.limits.low_speed_time_s = 1;
  options.limits.max_time_s = 20;
  return options;
}

struct Site {
  TempDir dir;
  Cache cache{dir / "cache"};
  // Nothing cached, no temporary left, nothing quarantined.
  void expect_nothing_cached() const {
    EXPECT_TRUE(dir_empty(dir / "cache" / "sha256")) << "something was cached";
    EXPECT_TRUE(dir_empty(dir / "cache" / "tmp")) << "a temporary file was left";
  }
  std::string failure(const SourceSpec& spec, const LocateOptions& options) const {
    return locate_failure(spec, cache, options);
  }
};

// The report has a line "<url>: <...cause...>".
void expect_cause(const std::string& report, const std::string& url, const std::string& cause) {
  const auto line = report.find("- " + url + ": ");
  ASSERT_NE(line, std::string::npos) << "the report does not name " << url << ":\n" << report;
  const std::string text = report.substr(line, report.find('\n', line) - line);
  EXPECT_TRUE(contains(text, cause)) << "expected '" << cause << "' in: " << text;
}

}  // namespace

TEST(Network, NotFoundIsFinal) {
  Site site;
  HttpServer server([](const std::string&) { return Response{404, "no such file", {}}; });
  const std::string report = site.failure(spec_for(server.url("/x.tar.gz")), quick(3));
  expect_cause(report, server.url("/x.tar.gz"), "HTTP 404");
  EXPECT_EQ(server.requests(), 1) << "404 is final: no retry";
  site.expect_nothing_cached();
}

TEST(Network, ServerErrorIsRetriedABoundedNumberOfTimes) {
  Site site;
  HttpServer server([](const std::string&) { return Response{500, "oops", {}}; });
  const std::string report = site.failure(spec_for(server.url("/x.tar.gz")), quick(3));
  expect_cause(report, server.url("/x.tar.gz"), "HTTP 500 (gave up after 3 attempts)");
  EXPECT_EQ(server.requests(), 3);
  site.expect_nothing_cached();
}

TEST(Network, HtmlPageInsteadOfTheTarball) {
  Site site;
  const std::string html = "<!DOCTYPE html><html><body>Please log in</body></html>";
  HttpServer server([&](const std::string&) { return Response{200, html, {{"Content-Type", "text/html; charset=utf-8"}}}; });
  const std::string report = site.failure(spec_for(server.url("/x.tar.gz")), quick());
  expect_cause(report, server.url("/x.tar.gz"),
               "sha256 mismatch: expected " + sha_of(payload) + ", got " + sha_of(html) + " (served as text/html");
  EXPECT_EQ(server.requests(), 1) << "wrong bytes are not a transient failure";
  site.expect_nothing_cached();
}

TEST(Network, ConnectionResetMidBody) {
  Site site;
  HttpServer server([](const std::string&) {
    Response r{200, payload, {}};
    r.fault = Response::Fault::reset;
    r.fault_after = 1000;
    return r;
  });
  const std::string report = site.failure(spec_for(server.url("/x.tar.gz")), quick(2));
  expect_cause(report, server.url("/x.tar.gz"), "curl error");
  expect_cause(report, server.url("/x.tar.gz"), "(gave up after 2 attempts)");
  EXPECT_EQ(server.requests(), 2);
  site.expect_nothing_cached();
}

TEST(Network, ServerIgnoringRangeGetsAFreshStartNeverAnAppend) {
  // First attempt dies mid-body; the server ignores Range anyway and always
  // sends the whole body. A resuming client would append it to the prefix.
  Site site;
  std::atomic<int> calls{0};
  HttpServer server([&](const Request&) {
    Response r{200, payload, {}};
    if (++calls == 1) {
      r.fault = Response::Fault::reset;
      r.fault_after = payload.size() / 2;
    }
    return r;
  });
  Reporter quiet(false);
  const Located got = locate(spec_for(server.url("/x.tar.gz")), site.cache, quick(2), quiet);
  EXPECT_EQ(read_file(got.path), payload);
  EXPECT_EQ(server.requests(), 2);
  for (const Request& request : server.received()) EXPECT_EQ(request.headers.count("range"), 0u) << "sent a Range header";
  EXPECT_TRUE(dir_empty(site.dir / "cache" / "tmp"));
}

TEST(Network, PartialContentIsRefused) {
  Site site;
  HttpServer server([](const std::string&) { return Response{206, payload.substr(100), {{"Content-Range", "bytes 100-"}}}; });
  const std::string report = site.failure(spec_for(server.url("/x.tar.gz")), quick());
  expect_cause(report, server.url("/x.tar.gz"), "HTTP 206");
  site.expect_nothing_cached();
}

TEST(Network, TrickleHitsTheLowSpeedLimit) {
  Site site;
  HttpServer server([](const std::string&) {
    Response r{200, payload, {}};
    r.fault = Response::Fault::trickle;  // about 5 bytes per second
    r.trickle_delay_ms = 200;
    return r;
  });
  const std::string report = site.failure(spec_for(server.url("/x.tar.gz")), quick(2));
  expect_cause(report, server.url("/x.tar.gz"), "curl error 28");
  expect_cause(report, server.url("/x.tar.gz"), "too slow");
  EXPECT_EQ(server.requests(), 2);
  site.expect_nothing_cached();
}

TEST(Network, MaxTimeBoundsEachAttempt) {
  // Fast enough for the low-speed limit, too slow to ever finish.
  Site site;
  HttpServer server([](const std::string&) {
    Response r{200, payload, {}};
    r.fault = Response::Fault::trickle;
    r.trickle_chunk = 4096;
    r.trickle_delay_ms = 50;
    return r;
  });
  LocateOptions options = quick(2);
  options.limits.max_time_s = 1;
  const std::string report = site.failure(spec_for(server.url("/x.tar.gz")), options);
  expect_cause(report, server.url("/x.tar.gz"), "curl error 28");
  EXPECT_EQ(server.requests(), 2);
  site.expect_nothing_cached();
}

TEST(Network, BlackholedPortHitsTheConnectTimeout) {
  Site site;
  BlackholePort blackhole;
  LocateOptions options = quick(2);
  options.limits.max_time_s = 0;  // no overall limit: only the connect timeout can end this (else ctest's timeout does)
  const std::string report = site.failure(spec_for(blackhole.url("/x.tar.gz")), options);
  expect_cause(report, blackhole.url("/x.tar.gz"), "curl error 28");
  expect_cause(report, blackhole.url("/x.tar.gz"), "(gave up after 2 attempts)");
  site.expect_nothing_cached();
}

TEST(Network, RedirectLoopIsCut) {
  Site site;
  HttpServer server([](const std::string&) { return Response{302, "", {{"Location", "/loop"}}}; });
  const std::string report = site.failure(spec_for(server.url("/loop")), quick(3));
  expect_cause(report, server.url("/loop"), "curl error 47");
  EXPECT_EQ(server.requests(), 6) << "the first request and 5 redirects, no retry";
  site.expect_nothing_cached();
}

TEST(Network, TooManyRedirects) {
  Site site;
  HttpServer server([](const std::string& path) {
    const int n = std::stoi(path.substr(3));
    return Response{301, "", {{"Location", "/r/" + std::to_string(n + 1)}}};
  });
  LocateOptions options = quick();
  options.limits.max_redirects = 3;
  const std::string report = site.failure(spec_for(server.url("/r/0")), options);
  expect_cause(report, server.url("/r/0"), "curl error 47");
  expect_cause(report, server.url("/r/0"), "redirected to " + server.url("/r/4"));
  EXPECT_EQ(server.requests(), 4);
  site.expect_nothing_cached();
}

TEST(Network, RedirectToFileIsRefused) {
  Site site;
  TempDir local;
  write_file(local / "x.tar.gz", payload);  // the right bytes, but from the local disk
  const std::string target = "file://" + (local / "x.tar.gz").string();
  HttpServer server([&](const std::string&) { return Response{302, "", {{"Location", target}}}; });
  const std::string report = site.failure(spec_for(server.url("/x.tar.gz")), quick());
  expect_cause(report, server.url("/x.tar.gz"), "curl error 1");
  expect_cause(report, server.url("/x.tar.gz"), "redirected to " + target);
  EXPECT_EQ(server.requests(), 1);
  site.expect_nothing_cached();
}

TEST(Network, RedirectToAnotherProtocolIsRefused) {
  for (const std::string target : {"ftp://127.0.0.1:1/x.tar.gz", "gopher://127.0.0.1:1/x", "dict://127.0.0.1:1/x",
                                   "scp://127.0.0.1:1/x", "ldap://127.0.0.1:1/x"}) {
    SCOPED_TRACE(target);
    Site site;
    HttpServer server([&](const std::string&) { return Response{302, "", {{"Location", target}}}; });
    const std::string report = site.failure(spec_for(server.url("/x.tar.gz")), quick());
    expect_cause(report, server.url("/x.tar.gz"), "curl error 1");
    site.expect_nothing_cached();
  }
}

TEST(Network, FileUrlIsRefused) {
  Site site;
  TempDir local;
  write_file(local / "x.tar.gz", payload);
  const std::string url = "file://" + (local / "x.tar.gz").string();
  const std::string report = site.failure(spec_for(url), quick());
  expect_cause(report, url, "curl error 1");
  site.expect_nothing_cached();
}

TEST(Network, AnnouncedBodyLargerThanTheLimit) {
  Site site;
  HttpServer server([](const std::string&) { return Response{200, payload, {}}; });
  LocateOptions options = quick(3);
  options.limits.max_bytes = 1000;
  const std::string report = site.failure(spec_for(server.url("/x.tar.gz")), options);
  expect_cause(report, server.url("/x.tar.gz"), "body larger than the limit of 1000 bytes");
  EXPECT_EQ(server.requests(), 1) << "an oversized body is not retried";
  site.expect_nothing_cached();
}

TEST(Network, UnannouncedBodyLargerThanTheLimit) {
  Site site;
  HttpServer server([](const std::string&) {
    Response r{200, payload, {}};
    r.no_content_length = true;
    return r;
  });
  LocateOptions options = quick(3);
  options.limits.max_bytes = 1000;
  const std::string report = site.failure(spec_for(server.url("/x.tar.gz")), options);
  expect_cause(report, server.url("/x.tar.gz"), "body larger than the limit of 1000 bytes");
  EXPECT_EQ(server.requests(), 1);
  site.expect_nothing_cached();
}

TEST(Network, EndlessStreamStopsAtTheLimit) {
  Site site;
  HttpServer server([](const std::string&) {
    Response r{200, payload, {}};
    r.fault = Response::Fault::endless;
    return r;
  });
  LocateOptions options = quick(3);
  options.limits.max_bytes = 1 << 20;
  const std::string report = site.failure(spec_for(server.url("/x.tar.gz")), options);
  expect_cause(report, server.url("/x.tar.gz"), "body larger than the limit of 1048576 bytes");
  EXPECT_EQ(server.requests(), 1);
  site.expect_nothing_cached();
}

TEST(Network, ContentLengthLongerThanTheBody) {
  Site site;
  HttpServer server([](const std::string&) {
    Response r{200, payload, {}};
    r.content_length = payload.size() + 1000;
    return r;
  });
  const std::string report = site.failure(spec_for(server.url("/x.tar.gz")), quick(2));
  expect_cause(report, server.url("/x.tar.gz"), "curl error 18");
  EXPECT_EQ(server.requests(), 2);
  site.expect_nothing_cached();
}

TEST(Network, ContentLengthShorterThanTheBody) {
  Site site;
  HttpServer server([](const std::string&) {
    Response r{200, payload, {}};
    r.content_length = 100;
    return r;
  });
  const std::string report = site.failure(spec_for(server.url("/x.tar.gz")), quick(2));
  expect_cause(report, server.url("/x.tar.gz"), "sha256 mismatch: expected " + sha_of(payload) + ", got " +
                                                    sha_of(payload.substr(0, 100)));
  site.expect_nothing_cached();
}

TEST(Network, WrongBytesOnTheFirstMirrorRightOnTheSecond) {
  Site site;
  const std::string wrong = payload.substr(0, 1000) + "tampered" + payload.substr(1008);
  HttpServer bad([&](const std::string&) { return Response{200, wrong, {}}; });
  HttpServer good([](const std::string&) { return Response{200, payload, {}}; });
  LocateOptions options = quick();
  options.mirrors = {bad.url("/m"), good.url("/m")};
  Reporter quiet(false);
  const Located got = locate(spec_for("http://127.0.0.1:9/never"), site.cache, options, quiet);
  EXPECT_EQ(got.obtained_from, good.url("/m/mimalloc-9.9.9.tar.gz"));
  EXPECT_EQ(read_file(got.path), payload);
  ASSERT_EQ(got.earlier_failures.size(), 1u);
  EXPECT_EQ(got.earlier_failures[0], bad.url("/m/mimalloc-9.9.9.tar.gz") + ": sha256 mismatch: expected " +
                                         sha_of(payload) + ", got " + sha_of(wrong));
  EXPECT_EQ(bad.requests(), 1);
  EXPECT_TRUE(dir_empty(site.dir / "cache" / "tmp"));
  EXPECT_TRUE(dir_empty(site.dir / "cache" / "quarantine"));
}

TEST(Network, ContentEncodingGzipIsNotDecoded) {
  // A server that labels a .tar.gz "Content-Encoding: gzip": decoding it
  // would change the bytes; the pinned hash is of the file as served.
  Site site;
  const std::string tar_gz = compress(tar_bytes(ArchiveBuilder().dir("top/").file("top/LICENSE", "MIT\n")), Compression::gzip);
  HttpServer server([&](const std::string&) {
    return Response{200, tar_gz, {{"Content-Encoding", "gzip"}, {"Content-Type", "application/x-tar"}}};
  });
  Reporter quiet(false);
  const Located got = locate(spec_for(server.url("/x.tar.gz"), tar_gz), site.cache, quick(), quiet);
  EXPECT_EQ(read_file(got.path), tar_gz);
  for (const Request& request : server.received()) EXPECT_EQ(request.headers.count("accept-encoding"), 0u);
  extract_archive(got.path, site.dir / "src", {}, {}, got.sha256);
  EXPECT_EQ(read_file(site.dir / "src" / "LICENSE"), "MIT\n");
}
