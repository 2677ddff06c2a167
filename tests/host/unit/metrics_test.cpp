// The node_exporter textfile: exposition format, one HELP/TYPE per family,
// labels escaped, the configured = mapped gauge.
#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <sstream>

#include "metrics.h"

using namespace allocpipe::host;

namespace {

std::vector<UnitStatus> rows() {
  UnitStatus a;
  a.unit = "tor@a.service";
  a.active_state = "active";
  a.main_pid = 10;
  a.restarts = 2;
  a.configured = {"/usr/local/lib/mimalloc/libmimalloc-2.0.9-secure.so"};
  a.configured_id = "mimalloc-2.0.9-secure";
  a.mapped_id = "mimalloc-2.0.9-secure";
  a.match = true;
  a.rss_bytes = 1300u << 20;
  a.anonymous_bytes = 1200u << 20;
  a.map_count = 812;
  UnitStatus b;
  b.unit = "weird\"name\\x.service";
  b.active_state = "active";
  b.main_pid = 11;
  b.configured = {"/missing.so"};
  b.match = false;
  UnitStatus c;
  c.unit = "tor@stopped.service";
  c.active_state = "inactive";
  return {a, b, c};
}

Installed installed() {
  Installed i;
  Library l;
  l.id = "mimalloc-2.0.9-secure";
  l.allocator = "mimalloc";
  l.version = "2.0.9";
  l.variant = "secure";
  l.path = "/usr/local/lib/mimalloc/libmimalloc-2.0.9-secure.so";
  i.libraries.push_back(l);
  return i;
}

}  // namespace

TEST(Metrics, TextFormatIsWellFormed) {
  const std::string text = metrics_text(rows(), installed(), 65530);
  const std::regex sample(
      R"(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? -?[0-9.e+]+$)");
  std::set<std::string> typed;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("# HELP ", 0) == 0) continue;
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream t(line.substr(7));
      std::string name, type;
      t >> name >> type;
      EXPECT_EQ(type, "gauge");
      EXPECT_TRUE(typed.insert(name).second) << "TYPE twice for " << name;
      continue;
    }
    EXPECT_TRUE(std::regex_match(line, sample)) << line;
    const std::string name = line.substr(0, line.find_first_of("{ "));
    EXPECT_TRUE(typed.count(name)) << "sample before its TYPE: " << line;
  }
  EXPECT_EQ(text.back(), '\n');
}

TEST(Metrics, PerUnitSeriesCarryTheLibraryLabels) {
  const std::string text = metrics_text(rows(), installed(), 65530);
  const std::string labels =
      "{unit=\"tor@a.service\",library_id=\"mimalloc-2.0.9-secure\",allocator=\"mimalloc\",version=\"2.0.9\",variant="
      "\"secure\"}";
  EXPECT_NE(text.find("allocpipe_unit_rss_bytes" + labels + " 1363148800\n"), std::string::npos) << text;
  EXPECT_NE(text.find("allocpipe_unit_anonymous_bytes" + labels + " 1258291200\n"), std::string::npos);
  EXPECT_NE(text.find("allocpipe_unit_memory_mappings" + labels + " 812\n"), std::string::npos);
  EXPECT_NE(text.find("allocpipe_unit_restarts" + labels + " 2\n"), std::string::npos);
  EXPECT_NE(text.find("allocpipe_unit_allocator_match{unit=\"tor@a.service\",library_id=\"mimalloc-2.0.9-secure\","
                      "allocator=\"mimalloc\",version=\"2.0.9\",variant=\"secure\",mapped_library_id=\"mimalloc-2.0.9-"
                      "secure\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("unit=\"weird\\\"name\\\\x.service\",library_id=\"other\""), std::string::npos) << text;
  EXPECT_NE(text.find("mapped_library_id=\"none\"} 0\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("allocpipe_unit_allocator_match{unit=\"tor@stopped.service\""), std::string::npos)
      << "a stopped unit has no configured = mapped verdict";
  EXPECT_NE(text.find("allocpipe_unit_active{unit=\"tor@stopped.service\",library_id=\"none\",allocator=\"glibc\""),
            std::string::npos);
  EXPECT_NE(text.find("allocpipe_vm_max_map_count 65530\n"), std::string::npos);
  EXPECT_NE(text.find("allocpipe_metrics_units 3\n"), std::string::npos);
  EXPECT_EQ(prometheus_label_value("a\nb"), "a\\nb");
}
