// Unit patterns: globs as systemctl takes them, ".service" implied, a pattern
// that matches nothing named.
#include <gtest/gtest.h>

#include "error.h"
#include "patterns.h"

using namespace allocpipe::host;

TEST(Patterns, ServiceSuffixIsImplied) {
  EXPECT_EQ(normalize_pattern("tor@*"), "tor@*.service");
  EXPECT_EQ(normalize_pattern("tor@*.service"), "tor@*.service");
  EXPECT_EQ(normalize_pattern("tor@relay1"), "tor@relay1.service");
  EXPECT_EQ(normalize_pattern("tor@relay.1"), "tor@relay.1.service");  // a dot that is not a unit type
}

TEST(Patterns, GlobMatchesLikeSystemd) {
  EXPECT_TRUE(pattern_matches("tor@*.service", "tor@relay1.service"));
  EXPECT_TRUE(pattern_matches("tor@*.service", "tor@default.service"));
  EXPECT_FALSE(pattern_matches("tor@*.service", "tor.service"));
  EXPECT_FALSE(pattern_matches("tor@*.service", "tor@relay1.socket"));
  EXPECT_TRUE(pattern_matches("tor@relay[12].service", "tor@relay2.service"));
  EXPECT_FALSE(pattern_matches("tor@relay[12].service", "tor@relay3.service"));
  EXPECT_TRUE(pattern_matches("tor@relay?.service", "tor@relay9.service"));
  EXPECT_TRUE(pattern_matches("*", "anything.service"));
}

TEST(Patterns, MatchingCollectsUnitsAndNamesUnmatchedPatterns) {
  const std::vector<std::string> loaded = {"tor@b.service", "tor@a.service", "ssh.service", "tor.service"};
  PatternMatch m = match_patterns({"tor@*", "tor@a.service", "nginx*"}, loaded);
  EXPECT_EQ(m.units, (std::vector<std::string>{"tor@a.service", "tor@b.service"}));  // sorted, distinct
  EXPECT_EQ(m.unmatched, std::vector<std::string>{"nginx*"});
}

TEST(Patterns, OtherUnitTypesAndPathsAreRefused) {
  EXPECT_THROW(normalize_pattern("tor@*.socket"), UsageError);
  EXPECT_THROW(normalize_pattern("multi-user.target"), UsageError);
  EXPECT_THROW(normalize_pattern(""), UsageError);
  EXPECT_THROW(normalize_pattern("/etc/systemd/system/tor.service"), UsageError);
  EXPECT_THROW(normalize_pattern("--all"), UsageError);
  try {
    normalize_pattern("x.timer");
  } catch (const UsageError& e) {
    EXPECT_EQ(e.status, exit_usage);
    EXPECT_NE(std::string(e.what()).find("x.timer"), std::string::npos) << e.what();
  }
}

TEST(Patterns, HasGlob) {
  EXPECT_TRUE(has_glob("tor@*"));
  EXPECT_TRUE(has_glob("tor@relay?"));
  EXPECT_TRUE(has_glob("tor@[ab]"));
  EXPECT_FALSE(has_glob("tor@relay1.service"));
}

// The rollout order: the canary is a running unit, waves after it.
#include "waves.h"

TEST(Waves, CanaryIsARunningUnitThenWavesOfN) {
  std::vector<WaveUnit> units = {{"tor@default.service", false}, {"tor@a.service", true}, {"tor@b.service", true},
                                 {"tor@c.service", true},        {"tor@d.service", true}, {"tor@e.service", false}};
  auto waves = plan_waves(units, 1, 2);
  ASSERT_EQ(waves.size(), 4u);
  EXPECT_EQ(waves[0], std::vector<std::string>{"tor@a.service"});
  EXPECT_EQ(waves[1], (std::vector<std::string>{"tor@b.service", "tor@c.service"}));
  EXPECT_EQ(waves[2], (std::vector<std::string>{"tor@d.service", "tor@default.service"}));
  EXPECT_EQ(waves[3], std::vector<std::string>{"tor@e.service"});
  EXPECT_EQ(plan_waves(units, 0, 10).size(), 1u);
  EXPECT_EQ(plan_waves(units, 3, 5)[0].size(), 3u);
  EXPECT_TRUE(plan_waves({}, 1, 5).empty());
}
