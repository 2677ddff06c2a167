// The shared download cache: concurrency, crashes, corruption, full disks,
// offline mode. Cases that need separate processes run the real
// allocpipe-fetch binary.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <condition_variable>
#include <fstream>
#include <memory>
#include <mutex>
#include <thread>

#include "cache.h"
#include "http_server.h"
#include "locate.h"
#include "process.h"
#include "test_util.h"

using namespace allocpipe;
using namespace allocpipe::test;

namespace {

const std::string file_name = "mimalloc-9.9.9.tar.gz";

const std::string tar_gz = compress(tar_bytes(ArchiveBuilder().dir("mimalloc-9.9.9/").file("mimalloc-9.9.9/LICENSE", "MIT\n")),
                                    Compression::gzip);

std::string big_payload() {
  std::string text;
  for (unsigned i = 0; text.size() < (1 << 20); ++i) text += std::to_string(i * 2654435761u) + ",";
  return text;
}

std::vector<std::string> fetch_args(const fs::path& cache, const std::string& sha, const std::string& url) {
  return {fetch_binary(), "--cache", cache.string(), "--file", file_name, "--sha256", sha, "--url", url,
          "--debian-mode", "off", "--attempts", "1", "--connect-timeout", "2"};
}

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// Polls `condition` for up to 30 s (a bound for a hung test, not a timing assertion).
template <typename F>
bool eventually(F condition) {
  for (int i = 0; i < 3000; ++i) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}

std::vector<fs::path> list(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& item : fs::directory_iterator(dir, ec)) out.push_back(item.path());
  return out;
}

// Holds server responses until opened; opens itself when destroyed so a
// failing test cannot leave the server thread waiting forever.
class Gate {
 public:
  ~Gate() { open(); }
  void open() {
    std::lock_guard<std::mutex> lock(mutex_);
    open_ = true;
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait_for(lock, std::chrono::seconds(60), [&] { return open_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = false;
};

LocateOptions quick() {
  LocateOptions options;
  options.debian_mode = DebianMode::off;
  options.limits.attempts = 1;
  options.limits.connect_timeout_s = 1;
  return options;
}

}  // namespace

TEST(Cache, ConcurrentFetchesShareOneDownload) {
  TempDir dir;
  auto gate = std::make_shared<Gate>();
  HttpServer slow([gate](const std::string&) {
    gate->wait();  // the first fetch holds the cache lock while its download waits here
    return Response{200, tar_gz, {}};
  });
  struct OpenOnExit {
    std::shared_ptr<Gate> gate;
    ~OpenOnExit() { gate->open(); }  // before the server's destructor joins its thread
  } open_on_exit{gate};
  const auto args = fetch_args(dir / "cache", sha_of(tar_gz), slow.url("/" + file_name));
  Process first(with(args, {"--dest", (dir / "a").string()}), dir / "a.log");
  ASSERT_TRUE(eventually([&] { return slow.requests() == 1; })) << "the first fetch never reached the server";
  Process second(with(args, {"--dest", (dir / "b").string()}), dir / "b.log");
  EXPECT_TRUE(eventually([&] { return blocked_on_flock(second.pid()); }))
      << "the second fetch did not wait for the first one's cache lock";
  gate->open();
  const ExitStatus a = first.wait();
  const ExitStatus b = second.wait();
  EXPECT_EQ(a.code, 0) << a.output;
  EXPECT_EQ(b.code, 0) << b.output;
  EXPECT_EQ(slow.requests(), 1) << "two downloads of the same source";
  EXPECT_TRUE(contains(b.output, "cache hit")) << b.output;
  EXPECT_EQ(read_file(dir / "a" / "LICENSE"), "MIT\n");
  EXPECT_EQ(read_file(dir / "b" / "LICENSE"), "MIT\n");
  EXPECT_TRUE(dir_empty(dir / "cache" / "tmp"));
}

TEST(Cache, KilledDownloadLeavesOnlyATempThatTheNextRunRemoves) {
  TempDir dir;
  std::atomic<bool> slow{true};
  HttpServer server([&](const std::string&) {
    Response r{200, tar_gz, {}};
    if (slow) {
      r.fault = Response::Fault::trickle;
      r.trickle_chunk = 64;
      r.trickle_delay_ms = 20;
    }
    return r;
  });
  const auto args = with(fetch_args(dir / "cache", sha_of(tar_gz), server.url("/" + file_name)),
                         {"--dest", (dir / "src").string()});
  {
    Process victim(args, dir / "killed.log");
    ASSERT_TRUE(eventually([&] {
      for (const auto& item : list(dir / "cache" / "tmp"))
        if (fs::file_size(item) > 0) return true;
      return false;
    })) << "the download never started";
    victim.kill(SIGKILL);
    EXPECT_EQ(victim.wait().signal, SIGKILL);
  }
  const auto temps = list(dir / "cache" / "tmp");
  ASSERT_EQ(temps.size(), 1u);
  EXPECT_EQ(temps[0].extension(), ".part");
  EXPECT_TRUE(dir_empty(dir / "cache" / "sha256")) << "a killed download was published";
  EXPECT_FALSE(fs::exists(dir / "src"));

  slow = false;
  const ExitStatus next = run_process(args, dir / "next.log");
  EXPECT_EQ(next.code, 0) << next.output;
  EXPECT_TRUE(dir_empty(dir / "cache" / "tmp")) << "the stale temporary file was not removed";
  EXPECT_EQ(read_file(dir / "cache" / "sha256" / sha_of(tar_gz)), tar_gz) << "the partial file was resumed or reused";
  EXPECT_EQ(read_file(dir / "src" / "LICENSE"), "MIT\n");
}

// Policy: a cached file that no longer hashes to its name is quarantined
// (kept for inspection in quarantine/) and the source is fetched again.
TEST(Cache, BitFlipIsQuarantinedAndRefetched) {
  TempDir dir;
  HttpServer server([](const std::string&) { return Response{200, tar_gz, {}}; });
  const Cache cache(dir / "cache");
  const SourceSpec spec{file_name, sha_of(tar_gz), server.url("/x"), std::nullopt};
  Reporter quiet(false);
  const Located first = locate(spec, cache, quick(), quiet);
  {
    std::fstream flip(first.path, std::ios::in | std::ios::out | std::ios::binary);
    flip.seekg(20);
    const char c = static_cast<char>(flip.get());
    flip.seekp(20);
    flip.put(static_cast<char>(c ^ 0x04));
  }
  const Located again = locate(spec, cache, quick(), quiet);
  EXPECT_EQ(again.obtained_from, server.url("/x"));
  EXPECT_EQ(read_file(again.path), tar_gz);
  EXPECT_EQ(server.requests(), 2);
  ASSERT_EQ(again.earlier_failures.size(), 1u);
  EXPECT_TRUE(contains(again.earlier_failures[0], "is corrupt (sha256 ")) << again.earlier_failures[0];
  EXPECT_TRUE(contains(again.earlier_failures[0], "moved to " + (dir / "cache" / "quarantine").string()));
  const auto quarantined = list(dir / "cache" / "quarantine");
  ASSERT_EQ(quarantined.size(), 1u);
  EXPECT_NE(read_file(quarantined[0]), tar_gz);
}

TEST(Cache, EntryThatIsNotARegularFileIsQuarantined) {
  TempDir dir;
  HttpServer server([](const std::string&) { return Response{200, tar_gz, {}}; });
  const Cache cache(dir / "cache");
  write_file(dir / "elsewhere", tar_gz);  // the right bytes, reached through a symlink
  fs::create_symlink(dir / "elsewhere", cache.entry(sha_of(tar_gz)));
  Reporter quiet(false);
  const Located got = locate(SourceSpec{file_name, sha_of(tar_gz), server.url("/x"), std::nullopt}, cache, quick(), quiet);
  EXPECT_EQ(got.obtained_from, server.url("/x"));
  EXPECT_FALSE(fs::is_symlink(got.path));
  EXPECT_EQ(list(dir / "cache" / "quarantine").size(), 1u);
}

TEST(Cache, ShortWriteIsNeverPublished) {
  // RLIMIT_FSIZE in the child: writes past 256 KiB fail like a full disk.
  TempDir dir;
  const std::string big = big_payload();
  HttpServer server([&](const std::string&) { return Response{200, big, {}}; });
  const std::string url = server.url("/" + file_name);
  Process::Options options;
  options.file_size_limit = 256 << 10;
  const ExitStatus result = run_process(fetch_args(dir / "cache", sha_of(big), url), dir / "log", options);
  EXPECT_EQ(result.code, 1) << result.output;
  EXPECT_TRUE(contains(result.output, url + ": writing ")) << result.output;
  EXPECT_TRUE(contains(result.output, "failed: File too large")) << result.output;
  EXPECT_TRUE(dir_empty(dir / "cache" / "sha256")) << "a short file was published";
  EXPECT_TRUE(dir_empty(dir / "cache" / "tmp"));
}

TEST(Cache, ShortWriteFromALocalMirrorIsNeverPublished) {
  TempDir dir;
  const std::string big = big_payload();
  fs::create_directories(dir / "mirror");
  write_file(dir / "mirror" / file_name, big);
  Process::Options options;
  options.file_size_limit = 256 << 10;
  const ExitStatus result =
      run_process(with(fetch_args(dir / "cache", sha_of(big), "http://127.0.0.1:9/unreachable"),
                       {"--mirror", (dir / "mirror").string()}),
                  dir / "log", options);
  EXPECT_EQ(result.code, 1) << result.output;
  EXPECT_TRUE(contains(result.output, (dir / "mirror" / file_name).string() + ": writing ")) << result.output;
  EXPECT_TRUE(dir_empty(dir / "cache" / "sha256")) << "a short file was published";
  EXPECT_TRUE(dir_empty(dir / "cache" / "tmp"));
}

TEST(Cache, PublishRefusesBytesThatDoNotHashToTheirName) {
  TempDir dir;
  const Cache cache(dir / "cache");
  const std::string sha = sha_of(tar_gz);
  const fs::path temp = cache.temp_path(sha);
  write_file(temp, tar_gz.substr(0, tar_gz.size() / 2));  // what a short write leaves
  try {
    cache.publish(temp, sha);
    FAIL() << "a short file was published";
  } catch (const Error& e) {
    EXPECT_TRUE(contains(e.what(), "not cached")) << e.what();
  }
  EXPECT_FALSE(fs::exists(cache.entry(sha)));
  EXPECT_FALSE(fs::exists(temp));
}

TEST(Cache, OfflineMissFailsWithoutTouchingTheNetwork) {
  TempDir dir;
  HttpServer server([](const std::string&) { return Response{200, tar_gz, {}}; });
  const Cache cache(dir / "cache");
  LocateOptions options = quick();
  options.offline = true;
  options.mirrors = {server.url("/m")};
  Reporter quiet(false);
  try {
    locate(SourceSpec{file_name, sha_of(tar_gz), server.url("/x"), std::nullopt}, cache, options, quiet);
    FAIL() << "offline mode fetched";
  } catch (const Error& e) {
    EXPECT_TRUE(contains(e.what(), "could not obtain")) << e.what();
    EXPECT_TRUE(contains(e.what(), "skipped: offline mode")) << e.what();
  }
  // The tool too: a miss fails at once, the server never hears of it.
  const ExitStatus cli = run_process(with(fetch_args(dir / "cache2", sha_of(tar_gz), server.url("/x")),
                                          {"--offline", "--mirror", server.url("/m")}),
                                     dir / "log");
  EXPECT_EQ(cli.code, 3) << "an offline miss is 'no place serves it'\n" << cli.output;
  EXPECT_TRUE(contains(cli.output, "skipped: offline mode")) << cli.output;
  EXPECT_EQ(server.requests(), 0) << "offline mode touched the network";
}

TEST(Cache, ArchiveChangedAfterVerificationIsNotExtracted) {
  // Verified, then swapped for another well-formed archive before extraction:
  // the bytes are hashed again while they are extracted.
  TempDir dir;
  write_file(dir / "a.tar.gz", tar_gz);
  const std::string verified = sha256_file(dir / "a.tar.gz");
  write_file(dir / "a.tar.gz",
             compress(tar_bytes(ArchiveBuilder().dir("mimalloc-9.9.9/").file("mimalloc-9.9.9/LICENSE", "evil\n")),
                      Compression::gzip));
  try {
    extract_archive(dir / "a.tar.gz", dir / "out" / "src", {}, {}, verified);
    FAIL() << "a changed archive was extracted";
  } catch (const Error& e) {
    EXPECT_TRUE(contains(e.what(), "expected " + verified + " (the file changed after it was verified?)")) << e.what();
    EXPECT_EQ(e.status(), Status::wrong_bytes);
  }
  EXPECT_TRUE(dir_empty(dir / "out"));
}
