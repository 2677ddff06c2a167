// The JSON reader/writer behind manifests, journals and status --json.
#include <gtest/gtest.h>

#include "error.h"
#include "json.h"

using namespace allocpipe::host;

TEST(Json, RoundTripKeepsEverything) {
  Json j;
  j["text"] = "quote \" backslash \\ newline \n tab \t ctrl \x01 utf8 \xc3\xa9";
  j["n"] = 12345678901234LL;
  j["neg"] = -7;
  j["yes"] = true;
  j["nothing"] = Json();
  j["list"] = Json(Json::Array{Json(1), Json("two"), Json(Json::Array{})});
  Json back = Json::parse(j.dump(), "round trip");
  EXPECT_EQ(back.dump(), j.dump());
  EXPECT_EQ(back.at("text", "t").str("t"), j.at("text", "t").str("t"));
  EXPECT_EQ(back.at("n", "n").integer("n"), 12345678901234LL);
  EXPECT_TRUE(back.get("nothing").is_null());
  EXPECT_TRUE(back.get("absent").is_null());
}

TEST(Json, ReadsTheManifestLayoutCMakeWrites) {
  // CMake's string(JSON) layout: "key" : value, arrays on their own lines.
  Json m = Json::parse(
      "{\n  \"id\" : \"mimalloc-2.0.9-secure\",\n  \"patches\" : \n  [\n    \"a=b\"\n  ],\n  \"u\" : "
      "\"\\u00e9\\ud83d\\ude00\"\n}\n",
      "manifest");
  EXPECT_EQ(m.at("id", "m").str("id"), "mimalloc-2.0.9-secure");
  EXPECT_EQ(m.at("patches", "m").array("p").size(), 1u);
  EXPECT_EQ(m.at("u", "m").str("u"), "\xc3\xa9\xf0\x9f\x98\x80");
}

TEST(Json, ErrorsNameTheInputAndOffset) {
  for (const char* bad : {"", "{", "{\"a\" 1}", "[1,]", "\"unterminated", "{\"a\":1} trailing", "nul", "\"\\x\""}) {
    try {
      Json::parse(bad, "some.json");
      ADD_FAILURE() << "accepted: " << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.status, exit_usage);
      EXPECT_NE(std::string(e.what()).find("some.json: invalid JSON at byte"), std::string::npos) << e.what();
    }
  }
  Json j = Json::parse("{\"a\": \"x\"}", "j");
  EXPECT_THROW(j.at("a", "j").integer("j a"), Error);
  EXPECT_THROW(j.at("b", "j"), Error);
}
