// AppArmor: the glob matcher, and the profile check on Debian's REAL
// system_tor profile (package tor) with Debian's abstractions and tunables
// (package apparmor), fetched at test time with `apt-get download` into a
// temporary directory and unpacked with `dpkg-deb -x` (nothing on the host
// changes). Skipped, and reported as skipped, when apt cannot download them.
#include <gtest/gtest.h>

#include <cstdlib>

#include "apparmor.h"
#include "error.h"
#include "test_support.h"

using namespace allocpipe::host;
using hosttest::TempDir;
namespace fs = std::filesystem;

TEST(AppArmorGlob, StarStopsAtSlashDoubleStarDoesNot) {
  EXPECT_TRUE(apparmor::glob_match("/usr/lib/*.so", "/usr/lib/libx.so"));
  EXPECT_FALSE(apparmor::glob_match("/usr/lib/*.so", "/usr/lib/sub/libx.so"));
  EXPECT_TRUE(apparmor::glob_match("/usr/lib/**.so*", "/usr/lib/x86_64-linux-gnu/allocpipe/libm.so"));
  EXPECT_TRUE(apparmor::glob_match("/usr/lib/**", "/usr/lib/a/b/c"));
  EXPECT_FALSE(apparmor::glob_match("/usr/lib/**", "/usr/local/lib/a"));
  EXPECT_TRUE(apparmor::glob_match("/a/?", "/a/b"));
  EXPECT_FALSE(apparmor::glob_match("/a/?", "/a/"));
  EXPECT_FALSE(apparmor::glob_match("/a?b", "/a/b"));
}

TEST(AppArmorGlob, AlternationsAndClasses) {
  EXPECT_TRUE(apparmor::glob_match("/{usr/,}lib{,32,64}/**.so*", "/lib64/libc.so.6"));
  EXPECT_TRUE(apparmor::glob_match("/{usr/,}lib{,32,64}/**.so*", "/usr/lib/libc.so.6"));
  EXPECT_FALSE(apparmor::glob_match("/{usr/,}lib{,32,64}/**.so*", "/usr/lib128/libc.so.6"));
  EXPECT_TRUE(apparmor::glob_match("/a/{b,c{d,e}}/f", "/a/ce/f"));
  EXPECT_FALSE(apparmor::glob_match("/a/{b,c{d,e}}/f", "/a/c/f"));
  EXPECT_TRUE(apparmor::glob_match("/proc/[0-9]*/maps", "/proc/42/maps"));
  EXPECT_FALSE(apparmor::glob_match("/proc/[0-9]*/maps", "/proc/self/maps"));
  EXPECT_TRUE(apparmor::glob_match("/x/[^a]", "/x/b"));
  EXPECT_FALSE(apparmor::glob_match("/x/[^a]", "/x/a"));
  EXPECT_TRUE(apparmor::glob_match("/etc//ld.so.cache", "/etc/ld.so.cache")) << "variables leave double slashes";
  EXPECT_EQ(apparmor::expand_braces("/{a,b}/{c,d}").size(), 4u);
  EXPECT_THROW(apparmor::glob_match("/{a,b", "/a"), SystemError);
}

namespace {

// Debian's system_tor profile and abstractions, unpacked under dir/etc/apparmor.d.
// Returns "" or why they could not be obtained.
std::string unpack_debian_profiles(const fs::path& dir) {
  const std::string d = dir.string();
  const std::string cmd = "cd '" + d +
                          "' && chmod 0777 . && apt-get download -q tor apparmor > download.log 2>&1 && "
                          "for f in tor_*.deb apparmor_*.deb; do dpkg-deb -x \"$f\" root || exit 1; done";
  if (std::system(cmd.c_str()) != 0)
    return "apt-get download tor apparmor failed: " + hosttest::read_text(dir / "download.log");
  // What tor's postinst (dh_apparmor) does on a real host: an empty local file.
  hosttest::write_text(dir / "root/etc/apparmor.d/local/system_tor", "");
  return "";
}

class DebianProfile : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    problem_ = new std::string(unpack_debian_profiles(dir_->path()));
  }
  static void TearDownTestSuite() {
    delete dir_;
    delete problem_;
  }
  void SetUp() override {
    if (!problem_->empty()) GTEST_SKIP() << *problem_;
  }
  fs::path apparmor_dir() const { return dir_->path() / "root/etc/apparmor.d"; }
  static TempDir* dir_;
  static std::string* problem_;
};
TempDir* DebianProfile::dir_ = nullptr;
std::string* DebianProfile::problem_ = nullptr;

}  // namespace

TEST_F(DebianProfile, UsrLibIsMappableThroughAbstractionsBase) {
  apparmor::Profile p = apparmor::load_profile(apparmor_dir(), "system_tor");
  EXPECT_EQ(p.file, apparmor_dir() / "system_tor");
  ASSERT_FALSE(p.local_includes.empty());
  EXPECT_EQ(p.local_includes.front(), apparmor_dir() / "local/system_tor");
  const auto v = apparmor::check_map(p, "/usr/lib/x86_64-linux-gnu/allocpipe/libmimalloc-2.0.9-secure.so");
  EXPECT_TRUE(v.allowed) << v.rule_needed;
  EXPECT_NE(v.allowed_by.find("abstractions/base"), std::string::npos) << v.allowed_by;
  EXPECT_TRUE(apparmor::check_map(p, "/lib/x86_64-linux-gnu/libc.so.6").allowed);
}

TEST_F(DebianProfile, UsrLocalLibIsNotAndTheMissingRuleIsExact) {
  apparmor::Profile p = apparmor::load_profile(apparmor_dir(), "system_tor");
  const std::string lib = "/usr/local/lib/mimalloc/libmimalloc-2.0.9-secure.so";
  const auto v = apparmor::check_map(p, lib);
  EXPECT_FALSE(v.allowed) << v.allowed_by;
  EXPECT_EQ(v.rule_needed, lib + " mr,");
  EXPECT_TRUE(v.denied_by.empty());
  // Other things the profile does allow, as a cross-check of the parser:
  EXPECT_TRUE(apparmor::glob_match("/{,var/}run/tor/control", "/run/tor/control"));
  bool etc_tor = false;
  for (const auto& r : p.rules) etc_tor = etc_tor || (r.path == "/etc/tor/**" && r.perms == "r");
  EXPECT_TRUE(etc_tor) << "the rules of abstractions/tor were not read";
}

TEST_F(DebianProfile, TheRuleInLocalMakesItMappable) {
  const std::string lib = "/usr/local/lib/mimalloc/libmimalloc-2.0.9-secure.so";
  hosttest::write_text(apparmor_dir() / "local/system_tor", lib + " mr,\n");
  apparmor::Profile p = apparmor::load_profile(apparmor_dir(), "system_tor");
  const auto v = apparmor::check_map(p, lib);
  EXPECT_TRUE(v.allowed);
  EXPECT_NE(v.allowed_by.find("local/system_tor:1"), std::string::npos) << v.allowed_by;
  // A deny rule wins over any allow.
  hosttest::write_text(apparmor_dir() / "local/system_tor", lib + " mr,\ndeny /usr/local/lib/** m,\n");
  const auto d = apparmor::check_map(apparmor::load_profile(apparmor_dir(), "system_tor"), lib);
  EXPECT_FALSE(d.allowed);
  EXPECT_NE(d.denied_by.find("deny /usr/local/lib/** m,"), std::string::npos) << d.denied_by;
  hosttest::write_text(apparmor_dir() / "local/system_tor", "");
}

TEST(AppArmorProfile, ReadOnlyOrOwnerRulesDoNotAllowMapping) {
  TempDir t;
  hosttest::write_text(t / "tunables/global", "@{libs}=/opt/a /opt/b\n@{libs}+=/opt/c\n");
  hosttest::write_text(t / "demo",
                       "#include <tunables/global>\nprofile demo {\n  @{libs}/*.so r,\n  owner /srv/** mr,\n"
                       "  mr /opt/c/libok.so,\n  include if exists <local/demo>\n  ^hat {\n    /hat/** mr,\n  }\n}\n");
  apparmor::Profile p = apparmor::load_profile(t.path(), "demo");
  EXPECT_FALSE(apparmor::check_map(p, "/opt/a/libx.so").allowed) << "r without m";
  EXPECT_FALSE(apparmor::check_map(p, "/srv/libx.so").allowed) << "owner rules depend on the file's owner";
  EXPECT_TRUE(apparmor::check_map(p, "/opt/c/libok.so").allowed) << "permissions-first form, += variable";
  EXPECT_FALSE(apparmor::check_map(p, "/hat/libx.so").allowed) << "a hat's rules are not the profile's";
  EXPECT_THROW(apparmor::load_profile(t.path(), "absent"), SystemError);
}

TEST(AppArmorProfile, EnabledFlag) {
  TempDir t;
  hosttest::write_text(t / "on", "Y\n");
  hosttest::write_text(t / "off", "N\n");
  EXPECT_TRUE(apparmor::enabled(t / "on"));
  EXPECT_FALSE(apparmor::enabled(t / "off"));
  EXPECT_FALSE(apparmor::enabled(t / "missing"));
}
