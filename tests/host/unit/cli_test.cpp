// The command line, parsed and through the real binary: bad input exits 2
// with a message naming it; an unknown id lists the installed ones; a library
// that fails the preload probe is refused (exit 3) before anything is touched.
#include <gtest/gtest.h>

#include <map>

#include "cli.h"
#include "error.h"
#include "test_support.h"

using namespace allocpipe::host;
using hosttest::TempDir;
namespace fs = std::filesystem;

namespace {

std::map<std::string, std::string> fake_env;
std::string env(const char* name) {
  auto it = fake_env.find(name);
  return it == fake_env.end() ? "" : it->second;
}

std::string usage_error(const std::vector<std::string>& argv) {
  try {
    parse_cli(argv, env);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(accepted)";
}

}  // namespace

TEST(Cli, ParsesEnableWithOptionsAnywhere) {
  fake_env.clear();
  Cli c = parse_cli({"enable", "--canary", "2", "mimalloc-2.0.9-secure", "tor@*", "--wave", "7", "--health-seconds",
                     "3", "--max-failures", "2", "--dry-run", "--apparmor-allow", "tor@x"},
                    env);
  EXPECT_EQ(c.command, "enable");
  EXPECT_EQ(c.args, (std::vector<std::string>{"mimalloc-2.0.9-secure", "tor@*", "tor@x"}));
  EXPECT_EQ(c.options.canary, 2u);
  EXPECT_EQ(c.options.wave, 7u);
  EXPECT_EQ(c.options.health.count(), 3);
  EXPECT_EQ(c.options.max_failures, 2u);
  EXPECT_TRUE(c.options.dry_run);
  EXPECT_TRUE(c.options.apparmor_allow);
  EXPECT_EQ(c.paths.unit_dir, "/etc/systemd/system");
  EXPECT_EQ(c.paths.state_dir, "/var/lib/allocpipe");
}

TEST(Cli, EnvironmentAndOptionsOverridePaths) {
  fake_env = {{"ALLOCPIPE_STATE_DIR", "/tmp/s"}, {"ALLOCPIPE_UNIT_DIR", "/tmp/u"}, {"ALLOCPIPE_LIB_DIR", "/tmp/l"}};
  Cli c = parse_cli({"status", "--unit-dir", "/tmp/other"}, env);
  EXPECT_EQ(c.paths.state_dir, "/tmp/s");
  EXPECT_EQ(c.paths.lib_dir, "/tmp/l");
  EXPECT_EQ(c.paths.unit_dir, "/tmp/other");
  fake_env.clear();
}

TEST(Cli, UsageErrorsNameTheInput) {
  fake_env.clear();
  EXPECT_NE(usage_error({}).find("expected a command"), std::string::npos);
  EXPECT_NE(usage_error({"frobnicate"}).find("'frobnicate'"), std::string::npos);
  EXPECT_NE(usage_error({"enable", "mimalloc-2.0.9-secure"}).find("at least one unit PATTERN"), std::string::npos);
  EXPECT_NE(usage_error({"enable", "x", "y", "--canary", "abc"}).find("--canary 'abc'"), std::string::npos);
  EXPECT_NE(usage_error({"enable", "x", "y", "--wave", "0"}).find("--wave '0'"), std::string::npos);
  EXPECT_NE(usage_error({"enable", "x", "y", "--wave"}).find("--wave: expected a value"), std::string::npos);
  EXPECT_NE(usage_error({"status", "--canary", "1"}).find("'enable' only"), std::string::npos);
  EXPECT_NE(usage_error({"rollback", "--wave", "1"}).find("'enable' and 'disable' only"), std::string::npos);
  EXPECT_NE(usage_error({"status", "--bogus"}).find("unknown option '--bogus'"), std::string::npos);
  EXPECT_NE(usage_error({"status", "--json", "--json"}).find("given twice"), std::string::npos);
  EXPECT_NE(usage_error({"metrics", "--output", "rel.prom"}).find("absolute path"), std::string::npos);
  EXPECT_NE(usage_error({"list", "extra"}).find("expected no arguments"), std::string::npos);
  EXPECT_NE(usage_error({"rollback", "a", "b"}).find("at most one"), std::string::npos);
  EXPECT_NE(usage_error({"status", "--state-dir", "relative"}).find("absolute path"), std::string::npos);
  EXPECT_NE(usage_error({"disable"}).find("PATTERN"), std::string::npos);
}

TEST(CliBinary, UsageErrorsExitTwo) {
  auto r = hosttest::run({HOST_TEST_BINARY, "frobnicate"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("unknown command 'frobnicate'"), std::string::npos) << r.err;
  r = hosttest::run({HOST_TEST_BINARY, "--help"});
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("exit status"), std::string::npos);
}

TEST(CliBinary, UnknownIdListsTheInstalledOnesBeforeTouchingAnything) {
  TempDir t;
  hosttest::install_library(t / "lib", "testalloc-1.2.3-secure", "testalloc", HOST_TEST_PRELOAD_OK);
  auto r = hosttest::run({HOST_TEST_BINARY, "enable", "mimalloc-9.9.9", "tor@*", "--lib-dir", (t / "lib").string(),
                          "--state-dir", (t / "state").string(), "--unit-dir", (t / "units").string()});
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("library 'mimalloc-9.9.9' is not installed"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("installed: testalloc-1.2.3-secure"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(t / "state"));
  EXPECT_FALSE(fs::exists(t / "units"));
}

TEST(CliBinary, ALibraryThatAbortsIsRefusedBeforeAnyUnit) {
  TempDir t;
  hosttest::install_library(t / "lib", "abort-1.0", "abort", HOST_TEST_PRELOAD_ABORT);
  auto r = hosttest::run({HOST_TEST_BINARY, "enable", "abort-1.0", "tor@*", "--lib-dir", (t / "lib").string(),
                          "--state-dir", (t / "state").string(), "--unit-dir", (t / "units").string()});
  EXPECT_EQ(r.status, 3) << r.err;
  EXPECT_NE(r.err.find("fails the preload probe"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("SIGABRT"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no unit was touched"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(t / "state"));
  EXPECT_FALSE(fs::exists(t / "units"));
}

TEST(CliBinary, ListShowsManifestFields) {
  TempDir t;
  hosttest::install_library(t / "lib", "testalloc-1.2.3-secure", "testalloc", HOST_TEST_PRELOAD_OK);
  auto r = hosttest::run({HOST_TEST_BINARY, "list", "--json"}, {"ALLOCPIPE_LIB_DIR=" + (t / "lib").string()});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("\"id\": \"testalloc-1.2.3-secure\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"source_sha256\": \"" + std::string(64, 'a') + "\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"version\": \"1.2.3\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"variant\": \"secure\""), std::string::npos) << r.out;
}

TEST(CliBinary, JournalsAndRollbackWithoutJournals) {
  TempDir t;
  auto r = hosttest::run(
      {HOST_TEST_BINARY, "rollback", "--state-dir", (t / "state").string(), "--unit-dir", t.path().string()});
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("nothing to roll back"), std::string::npos) << r.err;
  r = hosttest::run({HOST_TEST_BINARY, "rollback", "20990101T000000Z-1", "--state-dir", (t / "state").string()});
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("journal '20990101T000000Z-1'"), std::string::npos) << r.err;
}
