// Unit tests of the fleet rank agreement, the same-version verdict, the
// Debian-arm parsers and the mapping count.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include <cmath>
#include <string>
#include <vector>

#include "cli.h"
#include "debian.h"
#include "fleet.h"
#include "smaps.h"

namespace apq {
namespace {

ArmPoint point(const std::string& arm, const std::string& banner, double mb, double lo = NAN, double hi = NAN,
               int runs = 1) {
  ArmPoint p;
  p.arm = arm;
  p.banner = banner;
  p.steady_mb = mb;
  p.min_mb = std::isnan(lo) ? mb : lo;
  p.max_mb = std::isnan(hi) ? mb : hi;
  p.runs = runs;
  return p;
}

TEST(Fleet, AverageRanksShareTies) {
  EXPECT_EQ(average_ranks({10, 30, 20}), (std::vector<double>{1, 3, 2}));
  EXPECT_EQ(average_ranks({5, 5, 1, 7}), (std::vector<double>{2.5, 2.5, 1, 4}));
  EXPECT_EQ(average_ranks({2, 2, 2}), (std::vector<double>{2, 2, 2}));
}

TEST(Fleet, SpearmanKnownValues) {
  EXPECT_DOUBLE_EQ(spearman({1, 2, 3, 4, 5}, {10, 20, 30, 40, 50}), 1.0);
  EXPECT_DOUBLE_EQ(spearman({1, 2, 3, 4, 5}, {5, 4, 3, 2, 1}), -1.0);
  // 1 - 6*sum(d^2)/(n(n^2-1)) with d = (0,0,1,-1,0): 1 - 12/120 = 0.9
  EXPECT_NEAR(spearman({1, 2, 3, 4, 5}, {1, 2, 4, 3, 5}), 0.9, 1e-12);
  // Ties: Pearson of average ranks. x ranks (1.5,1.5,3), y ranks (1,2,3):
  // cov = 0.5*... computed by hand: r = 0.8660254
  EXPECT_NEAR(spearman({7, 7, 9}, {1, 2, 3}), std::sqrt(3.0) / 2.0, 1e-12);
  EXPECT_TRUE(std::isnan(spearman({1}, {1})));           // too few points
  EXPECT_TRUE(std::isnan(spearman({3, 3, 3}, {1, 2, 3})));  // no variation
  EXPECT_TRUE(std::isnan(spearman({1, 2}, {1, 2, 3})));     // mismatched
}

TEST(Fleet, VersionKeysAndRanks) {
  EXPECT_EQ(version_key("mimalloc 2.0.9 (mi_version=209), secure level: 0"), "mimalloc 2.0.9");
  EXPECT_EQ(version_key("jemalloc 5.3.0-0-g54eaed1d8b56b1aa528be3bdd1877e59c56fa90c"), "jemalloc 5.3.0");
  EXPECT_EQ(version_key("glibc 2.36"), "glibc 2.36");
  EXPECT_EQ(version_key("unknown"), "");
  EXPECT_EQ(fleet_rank("mimalloc 2.0.9 (mi_version=209)"), 1);
  EXPECT_EQ(fleet_rank("mimalloc 2.1.7 (mi_version=217)"), 2);
  EXPECT_EQ(fleet_rank("jemalloc 5.3.0-0-gabc"), 3);
  EXPECT_EQ(fleet_rank("glibc 2.41"), 4);
  EXPECT_EQ(fleet_rank("mimalloc 3.0.1 (mi_version=301)"), 5);
  EXPECT_EQ(fleet_rank("mimalloc 3.6.0 (mi_version=30600)"), 0);  // not in the fleet's table
  EXPECT_EQ(fleet_rank("jemalloc 5.3.1"), 0);
}

TEST(Fleet, AgreementOverPresentArmsOnly) {
  // The fleet's order exactly, with 2.1.7 missing and a 3.6 arm that the
  // fleet did not measure: rho 1 over the four present classes.
  std::vector<ArmPoint> pts = {point("m209", "mimalloc 2.0.9 (mi_version=209)", 100),
                               point("je", "jemalloc 5.3.0-0-g1", 150), point("glibc", "glibc 2.36", 200),
                               point("m301", "mimalloc 3.0.1 (mi_version=301)", 400),
                               point("m360", "mimalloc 3.6.0 (mi_version=30600)", 50)};
  FleetAgreement a = fleet_agreement(pts);
  EXPECT_DOUBLE_EQ(a.rho, 1.0);
  EXPECT_EQ(a.arms, (std::vector<std::string>{"m209", "je", "glibc", "m301"}));
  EXPECT_EQ(a.missing, (std::vector<std::string>{"mimalloc 2.1.7"}));
  // glibc smallest (what the workload showed before DirCache): rho drops.
  pts[2].steady_mb = 10;
  a = fleet_agreement(pts);
  EXPECT_NEAR(a.rho, 0.4, 1e-12);  // ranks (2,3,1,4) vs (1,2,3,4): 1 - 6*6/60
}

TEST(Fleet, SameVersionArmsTieAndHardenedOrEnvArmsAreLeftOut) {
  std::vector<ArmPoint> pts = {point("own-209", "mimalloc 2.0.9 (mi_version=209)", 100),
                               point("deb-209", "mimalloc 2.0.9 (mi_version=209)", 120),
                               point("glibc", "glibc 2.36", 110),
                               point("own-209-secure", "mimalloc 2.0.9 (mi_version=209), secure level: 4", 500)};
  pts.push_back(point("tuned", "glibc 2.36", 1));
  pts.back().plain = false;
  const FleetAgreement a = fleet_agreement(pts);
  EXPECT_EQ(a.arms.size(), 3u);
  // measured ranks (1,3,2), fleet ranks (1.5,1.5,3): covariance 0, rho 0
  EXPECT_NEAR(a.rho, 0.0, 1e-12);
  EXPECT_TRUE(hardened("own-209-secure", "mimalloc 2.0.9"));
  EXPECT_TRUE(hardened("x", "mimalloc 2.0.9 (mi_version=209), secure level: 4"));
  EXPECT_FALSE(hardened("x", "mimalloc 2.0.9 (mi_version=209), secure level: 0"));
}

TEST(Fleet, SameVersionVerdictUsesRepeatSpread) {
  std::vector<ArmPoint> pts = {point("own", "mimalloc 2.0.9 (mi_version=209)", 100, 95, 105, 2),
                               point("deb", "mimalloc 2.0.9 (mi_version=209)", 108, 104, 112, 2)};
  auto g = same_version_groups(pts);
  ASSERT_EQ(g.size(), 1u);
  EXPECT_DOUBLE_EQ(g[0].difference_mb, 8);
  EXPECT_DOUBLE_EQ(g[0].noise_mb, 10);
  EXPECT_EQ(g[0].verdict, "agree within noise");
  pts[1] = point("deb", "mimalloc 2.0.9 (mi_version=209)", 130, 128, 132, 2);
  g = same_version_groups(pts);
  EXPECT_EQ(g[0].verdict, "differ by more than noise");
  pts[1].runs = 1;
  g = same_version_groups(pts);
  EXPECT_EQ(g[0].verdict.rfind("cannot tell", 0), 0u) << g[0].verdict;
  EXPECT_TRUE(same_version_groups({pts[0]}).empty());
}

TEST(Debian, ArchiveUriLikeTheSetupScript) {
  const std::string security =
      "Types: deb\nURIs: http://security.example/debian-security\nSuites: bookworm-security\nComponents: main\n";
  const std::string main_entry =
      "Types: deb\n# comment\nURIs: http://mirror.example/debian http://second.example/debian\n"
      "Suites: bookworm bookworm-updates\nComponents: main\n";
  const std::string src = "Types: deb-src\nURIs: http://src.example/debian\nSuites: bookworm\nComponents: main\n";
  EXPECT_EQ(archive_uri({src + "\n" + security + "\n" + main_entry}, ""), "http://mirror.example/debian");
  EXPECT_EQ(archive_uri({security}, "deb [arch=amd64 signed-by=/k.gpg] http://one.example/debian bookworm main\n"),
            "http://one.example/debian");
  EXPECT_EQ(archive_uri({}, "# deb http://x.example/debian bookworm main\ndeb http://y.example/debian bookworm main"),
            "http://y.example/debian");
  EXPECT_EQ(archive_uri({security}, "deb http://z.example/debian trixie main\n"), "");
}

TEST(Debian, PackagesStanzaAndMadison) {
  const auto f = parse_stanza(
      "Package: libmimalloc3\nVersion: 3.6.0+ds-1\nDescription: compact allocator\n more text\n"
      "Filename: pool/main/m/mimalloc/libmimalloc3_3.6.0+ds-1_amd64.deb\nSHA256: 8db3\n");
  EXPECT_EQ(f.at("Version"), "3.6.0+ds-1");
  EXPECT_EQ(f.at("SHA256"), "8db3");
  EXPECT_EQ(f.at("Description"), "compact allocator\nmore text");
  const auto rows = parse_madison(
      "libmimalloc3 | 3.6.0+ds-1 | http://a.example/debian sid/main amd64 Packages\n"
      "libmimalloc3 | 3.0.1+ds-2.1 | http://a.example/debian trixie/main amd64 Packages\n"
      " mimalloc | 2.0.9+ds-2 | http://a.example/debian bookworm/main Sources\n");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], (std::pair<std::string, std::string>("3.6.0+ds-1", "sid")));
  EXPECT_EQ(rows[1].second, "trixie");
}

TEST(Debian, VersionsAndElfNeeds) {
  EXPECT_EQ(upstream_version("3.0.1+ds-2.1"), "3.0.1");
  EXPECT_EQ(upstream_version("5.3.0-1"), "5.3.0");
  EXPECT_EQ(upstream_version("1:2.0.9~rc1-3"), "2.0.9");
  EXPECT_EQ(upstream_version("2.0.9"), "2.0.9");
  EXPECT_LT(compare_dotted("2.9", "2.34"), 0);
  EXPECT_EQ(compare_dotted("2.36", "2.36.0"), 0);
  EXPECT_GT(compare_dotted("2.38", "2.36"), 0);
  const std::string readelf =
      "Version symbols section '.gnu.version' contains 10 entries:\n  000:   0 (*local*)  2 (GLIBC_2.2.5)\n"
      "Version definition section '.gnu.version_d' contains 2 entries:\n"
      "  0x0000: Rev: 1  Flags: BASE  Index: 1  Cnt: 1  Name: libx.so\n"
      "  0x001c: Rev: 1  Flags: none  Index: 2  Cnt: 1  Name: GLIBC_9.99\n"
      "Version needs section '.gnu.version_r' contains 1 entry:\n"
      " Addr: 0x0000000000000000  Offset: 0x001000  Link: 4 (.dynstr)\n"
      "  000000: Version: 1  File: libc.so.6  Cnt: 3\n"
      "  0x0010:   Name: GLIBC_2.17  Flags: none  Version: 4\n"
      "  0x0020:   Name: GLIBC_2.38  Flags: none  Version: 3\n"
      "  0x0030:   Name: GLIBC_2.2.5  Flags: none  Version: 2\n";
  const auto needs = needed_versions(readelf, "GLIBC_");
  EXPECT_EQ(needs, (std::vector<std::string>{"GLIBC_2.17", "GLIBC_2.38", "GLIBC_2.2.5"}));  // not GLIBC_9.99
  EXPECT_EQ(too_new(needs, "2.36"), (std::vector<std::string>{"GLIBC_2.38"}));
  EXPECT_TRUE(too_new(needs, "2.41").empty());
}

TEST(Debian, CommandLine) {
  auto parse = [](std::vector<std::string> extra) {
    std::vector<std::string> args = {"--workload", APQ_WORKLOAD_PATH};
    args.insert(args.end(), extra.begin(), extra.end());
    return parse_cli(args);
  };
  const Config c = parse({"--smoke", APQ_WORKLOAD_PATH, "--lib", "d=debian:libmimalloc3=3.0.1+ds-2.1"});
  ASSERT_EQ(c.arms.size(), 1u);
  EXPECT_EQ(c.arms[0].debian, "libmimalloc3=3.0.1+ds-2.1");
  EXPECT_TRUE(c.arms[0].library.empty());
  auto error = [&](std::vector<std::string> extra) {
    try {
      parse(extra);
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(error({"--lib", "d=debian:libmimalloc3=3.0.1"}).find("needs --smoke"), std::string::npos);
  EXPECT_NE(error({"--smoke", APQ_WORKLOAD_PATH, "--lib", "d=debian:libmimalloc3"}).find("debian:PACKAGE=VERSION"),
            std::string::npos);
  EXPECT_NE(error({"--smoke", APQ_WORKLOAD_PATH, "--lib", "d=debian:Bad_Name=1"}).find("debian:PACKAGE=VERSION"),
            std::string::npos);
  EXPECT_NE(error({"--glibc", "--fleet-rss-gb", "0"}).find("--fleet-rss-gb"), std::string::npos);
  EXPECT_NE(error({"--glibc", "--map-count-margin", "1.5"}).find("--map-count-margin"), std::string::npos);
}

TEST(Maps, CountsLines) {
  EXPECT_EQ(count_lines(""), 0);
  EXPECT_EQ(count_lines("a\nb\n"), 2);
  EXPECT_EQ(count_lines("a\nb"), 2);
  EXPECT_GT(count_maps(::getpid()), 5);
  EXPECT_GT(max_map_count(), 0);
}

}  // namespace
}  // namespace apq

namespace apq {
namespace {

// A stand-in apt-get on PATH: `download SPEC` writes SPEC's bytes as a .deb
// in the current directory and counts its calls.
class FakeApt : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/apq-fakeapt.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    const std::string script = dir_ + "/bin/apt-get";
    ASSERT_EQ(std::system(("mkdir -p " + dir_ + "/bin " + dir_ + "/cache").c_str()), 0);
    FILE* f = std::fopen(script.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fprintf(f, "#!/bin/sh\necho call >> %s/calls\neval last=\\${$#}\nprintf %%s \"$last\" > pkg_1_amd64.deb\n",
                 dir_.c_str());
    std::fclose(f);
    ::chmod(script.c_str(), 0755);
    old_path_ = std::getenv("PATH");
    ::setenv("PATH", (dir_ + "/bin:" + old_path_).c_str(), 1);
  }
  void TearDown() override {
    ::setenv("PATH", old_path_.c_str(), 1);
    std::system(("rm -rf " + dir_).c_str());
  }
  int calls() const {
    std::ifstream in(dir_ + "/calls");
    int n = 0;
    std::string l;
    while (std::getline(in, l)) ++n;
    return n;
  }
  std::string dir_, old_path_;
};

TEST_F(FakeApt, HashMismatchIsRefusedAndNothingIsCached) {
  std::vector<std::string> facts;
  try {
    fetch_deb("/dev/null", dir_ + "/cache", "pkg=1", std::string(64, 'a'), facts);
    ADD_FAILURE() << "a .deb whose SHA-256 differs from the Packages entry was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("differs from the Packages entry"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::ifstream(dir_ + "/cache/sha256/" + std::string(64, 'a')).good());
}

TEST_F(FakeApt, DownloadOnceThenFromTheCache) {
  // The fake writes "pkg=1"; learn its hash from a first (refused) attempt's message.
  std::vector<std::string> facts;
  std::string sha;
  try {
    fetch_deb("/dev/null", dir_ + "/cache", "pkg=1", std::string(64, 'b'), facts);
  } catch (const std::runtime_error& e) {
    const std::string m = e.what();
    const size_t at = m.find("SHA-256 ");
    ASSERT_NE(at, std::string::npos) << m;
    sha = m.substr(at + 8, 64);
  }
  ASSERT_EQ(sha.size(), 64u);
  const std::string path = fetch_deb("/dev/null", dir_ + "/cache", "pkg=1", sha, facts);
  EXPECT_EQ(path, dir_ + "/cache/sha256/" + sha);
  EXPECT_EQ(calls(), 2);
  EXPECT_EQ(fetch_deb("/dev/null", dir_ + "/cache", "pkg=1", sha, facts), path);
  EXPECT_EQ(calls(), 2) << "a cached .deb was downloaded again";
  // A cached file that no longer matches is quarantined and fetched again.
  { std::ofstream(path) << "tampered"; }
  EXPECT_EQ(fetch_deb("/dev/null", dir_ + "/cache", "pkg=1", sha, facts), path);
  EXPECT_EQ(calls(), 3);
}

}  // namespace
}  // namespace apq
