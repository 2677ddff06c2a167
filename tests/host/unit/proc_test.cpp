// /proc/PID/maps and smaps_rollup, read from real child processes started
// with a real LD_PRELOAD of a library the test builds; the preload probe on
// a good, an aborting and a missing library; status rows from them.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "bus.h"
#include "error.h"
#include "library.h"
#include "probe.h"
#include "procfs.h"
#include "status.h"
#include "verify.h"
#include "test_support.h"

using namespace allocpipe::host;
using hosttest::TempDir;
namespace fs = std::filesystem;

TEST(Proc, ParsesMapsLinesWithSpacesAndDeletedFiles) {
  const std::string text =
      "55d0c0a00000-55d0c0a02000 r--p 00000000 fe:01 1312 /usr/bin/sleep\n"
      "7f1e2c000000-7f1e2c021000 rw-p 00000000 00:00 0 \n"
      "7f1e2d000000-7f1e2d100000 r-xp 00010000 08:02 77 /opt/my libs/libmimalloc-2.0.9-secure.so (deleted)\n"
      "7ffd1a000000-7ffd1a021000 rw-p 00000000 00:00 0                          [stack]\n";
  auto maps = parse_maps(text, "maps");
  ASSERT_EQ(maps.size(), 4u);
  EXPECT_EQ(maps[0].path, "/usr/bin/sleep");
  EXPECT_EQ(maps[0].inode, 1312u);
  EXPECT_EQ(maps[0].device, "fe:01");
  EXPECT_EQ(maps[1].path, "");
  EXPECT_EQ(maps[2].path, "/opt/my libs/libmimalloc-2.0.9-secure.so");
  EXPECT_TRUE(maps[2].deleted);
  EXPECT_EQ(maps[2].offset, 0x10000u);
  EXPECT_EQ(maps[3].path, "[stack]");
  EXPECT_EQ(mapped_files(maps),
            (std::vector<std::string>{"/usr/bin/sleep", "/opt/my libs/libmimalloc-2.0.9-secure.so"}));
  EXPECT_THROW(parse_maps("garbage\n", "bad maps"), SystemError);
}

TEST(Proc, ParsesSmapsRollup) {
  const std::string text =
      "55d0c0a00000-7ffd1a021000 ---p 00000000 00:00 0                          [rollup]\n"
      "Rss:                1234 kB\nPss:                 900 kB\nAnonymous:           100 kB\nSwap: 0 kB\n";
  MemoryRollup r = parse_smaps_rollup(text, "rollup");
  EXPECT_EQ(r.rss_bytes, 1234u * 1024);
  EXPECT_EQ(r.anonymous_bytes, 100u * 1024);
  EXPECT_THROW(parse_smaps_rollup("Rss: 12 MB\nAnonymous: 1 kB\n", "x"), SystemError);
  EXPECT_THROW(parse_smaps_rollup("Pss: 12 kB\n", "x"), SystemError);
}

TEST(Proc, ARealPreloadIsMappedInTheChild) {
  hosttest::Child with(HOST_TEST_PRELOAD_OK), without("");
  ProcessView v = read_process(static_cast<std::uint32_t>(with.pid()));
  const auto files = mapped_files(v.maps);
  EXPECT_NE(std::find(files.begin(), files.end(), fs::canonical(HOST_TEST_PRELOAD_OK).string()), files.end());
  ASSERT_TRUE(v.memory.has_value());
  EXPECT_GT(v.memory->rss_bytes, 0u);
  EXPECT_LE(v.memory->anonymous_bytes, v.memory->rss_bytes);

  const std::string with_maps = hosttest::read_text("/proc/" + std::to_string(with.pid()) + "/maps");
  const std::string without_maps = hosttest::read_text("/proc/" + std::to_string(without.pid()) + "/maps");
  EXPECT_TRUE(maps_library(with_maps, HOST_TEST_PRELOAD_OK));
  EXPECT_FALSE(maps_library(without_maps, HOST_TEST_PRELOAD_OK));
  EXPECT_THROW(read_process(0x7ffffff0), SystemError);
  EXPECT_TRUE(read_max_map_count().has_value());
}

TEST(Probe, AcceptsALibraryThatLoadsCleanly) {
  ProbeResult r = probe_preload(HOST_TEST_PRELOAD_OK, HOST_TEST_BINARY);
  EXPECT_TRUE(r.ok) << r.reason;
}

TEST(Probe, RefusesALibraryThatAbortsOnLoad) {
  ProbeResult r = probe_preload(HOST_TEST_PRELOAD_ABORT, HOST_TEST_BINARY);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.reason.find("SIGABRT"), std::string::npos) << r.reason;
}

TEST(Probe, RefusesAMissingLibraryWithTheLoadersWords) {
  ProbeResult r = probe_preload("/nonexistent/libgone.so", HOST_TEST_BINARY);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.reason.find("cannot be preloaded"), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("is not mapped"), std::string::npos) << r.reason;
}

TEST(Status, ConfiguredAndMappedAgreeForARealPreload) {
  TempDir t;
  hosttest::install_library(t / "lib", "testalloc-1.2.3-secure", "testalloc", HOST_TEST_PRELOAD_OK);
  const Installed installed = load_installed(t / "lib");
  ASSERT_EQ(installed.libraries.size(), 1u) << (installed.problems.empty() ? "" : installed.problems[0]);
  const std::string lib = (t / "lib" / "libtestalloc-1.2.3-secure.so").string();
  hosttest::Child child(lib);

  UnitInfo info;
  info.name = "demo.service";
  info.active_state = "active";
  info.sub_state = "running";
  info.main_pid = static_cast<std::uint32_t>(child.pid());
  info.environment = {"LD_PRELOAD=" + lib};
  UnitStatus s = inspect_unit(info, installed, true, 0);
  ASSERT_TRUE(s.match.has_value());
  EXPECT_TRUE(*s.match) << status_table({s}, std::nullopt);
  EXPECT_EQ(s.configured_id, "testalloc-1.2.3-secure");
  EXPECT_EQ(s.mapped_id, "testalloc-1.2.3-secure");
  EXPECT_EQ(s.allocator, "testalloc");
  EXPECT_EQ(s.configured_source, "drop-in");
  EXPECT_TRUE(s.rss_bytes.has_value());
  EXPECT_TRUE(s.map_count.has_value());
}

TEST(Status, AConfiguredLibraryThatIsNotMappedIsAMismatch) {
  TempDir t;
  hosttest::install_library(t / "lib", "testalloc-1.2.3-secure", "testalloc", HOST_TEST_PRELOAD_OK);
  const Installed installed = load_installed(t / "lib");
  hosttest::Child glibc("");  // what a service runs when the loader ignored the preload
  UnitInfo info;
  info.name = "demo.service";
  info.active_state = "active";
  info.main_pid = static_cast<std::uint32_t>(glibc.pid());
  info.environment = {"LD_PRELOAD=/usr/local/lib/mimalloc/libmimalloc-gone.so"};
  UnitStatus s = inspect_unit(info, installed, true, 0);
  ASSERT_TRUE(s.match.has_value());
  EXPECT_FALSE(*s.match);
  EXPECT_EQ(s.mapped_library, "");
  EXPECT_EQ(s.missing, std::vector<std::string>{"/usr/local/lib/mimalloc/libmimalloc-gone.so"});
  const std::string table = status_table({s}, 65530);
  EXPECT_NE(table.find("MISMATCH"), std::string::npos) << table;
  EXPECT_NE(table.find("none (glibc)"), std::string::npos) << table;
  Json j = status_json({s}, 65530);
  EXPECT_FALSE(j.get("ok").boolean("ok"));
  EXPECT_FALSE(j.get("units").array("u")[0].get("match").boolean("match"));

  // Nothing configured and nothing mapped agree; a stopped unit is not judged.
  info.environment.clear();
  EXPECT_TRUE(*inspect_unit(info, installed, false, 0).match);
  info.main_pid = 0;
  info.active_state = "inactive";
  EXPECT_FALSE(inspect_unit(info, installed, false, 0).match.has_value());
}

// The process exists before its loader has mapped LD_PRELOAD (Type=exec ends
// the restart job at execve): the same PID maps the library a moment later.
TEST(Status, ALibraryMappedAMomentAfterTheCheckStartsIsNotAFailure) {
  TempDir t;
  hosttest::install_library(t / "lib", "testalloc-1.2.3-secure", "testalloc", HOST_TEST_PRELOAD_OK);
  const Installed installed = load_installed(t / "lib");
  const std::string lib = (t / "lib" / "libtestalloc-1.2.3-secure.so").string();
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", "sleep 0.5; LD_PRELOAD=\"$0\" exec sleep 60", lib.c_str(), (char*)nullptr);
    _exit(127);
  }
  UnitInfo info;
  info.name = "late.service";
  info.active_state = "active";
  info.sub_state = "running";
  info.main_pid = static_cast<std::uint32_t>(pid);
  info.environment = {"LD_PRELOAD=" + lib};
  const UnitStatus at_once = inspect_unit(info, installed, true, 0);
  const UnitStatus settled = inspect_settled(info, installed, true, lib, std::chrono::seconds(10));
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  EXPECT_EQ(at_once.missing, std::vector<std::string>{lib});  // the race this guards against
  EXPECT_TRUE(settled.missing.empty()) << status_table({settled}, std::nullopt);
  ASSERT_TRUE(settled.match.has_value());
  EXPECT_TRUE(*settled.match);

  // A library that never comes is still reported, after the budget.
  hosttest::Child glibc("");
  info.main_pid = static_cast<std::uint32_t>(glibc.pid());
  const UnitStatus never = inspect_settled(info, installed, true, lib, std::chrono::milliseconds(200));
  EXPECT_EQ(never.missing, std::vector<std::string>{lib});
}

TEST(Library, ListsManifestsAndNamesBadOnes) {
  TempDir t;
  hosttest::install_library(t.path(), "testalloc-1.2.3-secure", "testalloc", HOST_TEST_PRELOAD_OK);
  hosttest::write_text(t / "libbroken.manifest.json", "{\"id\": \"broken\"}");
  hosttest::write_text(t / "libghost.manifest.json",
                       "{\"id\":\"ghost\",\"allocator\":\"a\",\"version\":\"1\",\"variant\":\"normal\",\"library\":"
                       "\"libghost.so\",\"source_sha256\":\"00\"}");
  const Installed installed = load_installed(t.path());
  ASSERT_EQ(installed.libraries.size(), 1u);
  EXPECT_EQ(installed.libraries[0].version, "1.2.3");
  EXPECT_EQ(installed.ids(), "testalloc-1.2.3-secure");
  ASSERT_EQ(installed.problems.size(), 2u);
  std::string all = installed.problems[0] + installed.problems[1];
  EXPECT_NE(all.find("libbroken.manifest.json"), std::string::npos) << all;
  EXPECT_NE(all.find("libghost.so, which does not exist"), std::string::npos) << all;
  EXPECT_EQ(allocator_family_of("/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"), "jemalloc");
  EXPECT_EQ(allocator_family_of("/usr/lib/x86_64-linux-gnu/libc.so.6"), "");
}
