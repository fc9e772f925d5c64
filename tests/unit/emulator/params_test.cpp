// Pure parameter parsing and validation (no HTTP).

#include "emulator/params.h"

#include <gtest/gtest.h>

#include "emulator/pagination.h"

namespace roomplane::emulator {
namespace {

TEST(Params, BoolsAndInts) {
  EXPECT_EQ(parse_bool("true"), true);
  EXPECT_EQ(parse_bool("False"), false);
  EXPECT_EQ(parse_bool("TRUE"), true);
  EXPECT_FALSE(parse_bool("1").has_value());
  EXPECT_FALSE(parse_bool("").has_value());
  EXPECT_EQ(parse_int("42"), 42);
  EXPECT_EQ(parse_int("-7"), -7);
  EXPECT_FALSE(parse_int("4 2").has_value());
  EXPECT_FALSE(parse_int("").has_value());
  EXPECT_FALSE(parse_int("99999999999999999999999").has_value());
  EXPECT_FALSE(parse_int("1.5").has_value());
}

TEST(Params, Urls) {
  EXPECT_TRUE(is_http_url("https://example.com/cb?x=1"));
  EXPECT_TRUE(is_http_url("http://127.0.0.1:8080/webhooks/twilio/t1"));
  EXPECT_FALSE(is_http_url("ftp://example.com"));
  EXPECT_FALSE(is_http_url("https://"));
  EXPECT_FALSE(is_http_url("https:///path"));
  EXPECT_FALSE(is_http_url("https://exa mple.com"));
  EXPECT_FALSE(is_http_url("example.com"));
  EXPECT_EQ(parse_http_method("post"), "POST");
  EXPECT_EQ(parse_http_method("GET"), "GET");
  EXPECT_FALSE(parse_http_method("PUT").has_value());
}

TEST(Params, Utf8) {
  EXPECT_TRUE(is_clean_utf8("alice"));
  EXPECT_TRUE(is_clean_utf8("J\xc3\xbcrgen \xe2\x9c\x93"));
  EXPECT_FALSE(is_clean_utf8("tab\there"));
  EXPECT_FALSE(is_clean_utf8("\xc3"));          // truncated
  EXPECT_FALSE(is_clean_utf8("\xc0\xaf"));      // overlong
  EXPECT_FALSE(is_clean_utf8("\xed\xa0\x80"));  // surrogate
  EXPECT_FALSE(is_clean_utf8("\xff"));
}

TEST(Params, Dates) {
  EXPECT_EQ(parse_date_filter("2017-01-01"), core::from_unix_seconds(1483228800));
  EXPECT_EQ(parse_date_filter("2017-01-01T00:00:01Z"), core::from_unix_seconds(1483228801));
  EXPECT_EQ(parse_date_filter("2017-01-01T01:00:01+01:00"), core::from_unix_seconds(1483228801));
  EXPECT_EQ(parse_date_filter("2017-01-01T00:00:01.250Z"), core::from_unix_seconds(1483228801));
  EXPECT_FALSE(parse_date_filter("2017-13-01").has_value());
  EXPECT_FALSE(parse_date_filter("2017-01-01T00:00").has_value());
  EXPECT_FALSE(parse_date_filter("yesterday").has_value());
  EXPECT_FALSE(parse_date_filter("").has_value());
  EXPECT_FALSE(parse_date_filter("2017-01-01T00:00:01").has_value());  // no zone
}

TEST(Params, SidsAndWildcards) {
  EXPECT_TRUE(is_sid("RM" + std::string(32, 'a'), "RM"));
  EXPECT_TRUE(is_sid("RM" + std::string(32, 'A'), "RM"));
  EXPECT_FALSE(is_sid("RM" + std::string(31, 'a'), "RM"));
  EXPECT_FALSE(is_sid("PA" + std::string(32, 'a'), "RM"));
  EXPECT_FALSE(is_sid("RM" + std::string(32, 'g'), "RM"));
  EXPECT_TRUE(wildcard_match("*Hook*", "My Special hook1", true));
  EXPECT_FALSE(wildcard_match("*Hook*", "My Special hook1", false));
  EXPECT_TRUE(wildcard_match("student*", "student-42", false));
  EXPECT_FALSE(wildcard_match("student*", "teacher", false));
  EXPECT_TRUE(wildcard_match("*", "", false));
  EXPECT_TRUE(wildcard_match("a*b*c", "axxbyyc", false));
  EXPECT_FALSE(wildcard_match("a*b*c", "axxbyy", false));
}

TEST(Params, JsonDepthGuard) {
  EXPECT_TRUE(parse_json_text(R"({"a":[1,2,{"b":null}]})").has_value());
  EXPECT_FALSE(parse_json_text("{").has_value());
  EXPECT_FALSE(parse_json_text(std::string(100000, '[')).has_value());
  EXPECT_FALSE(parse_json_text(std::string(40, '[') + std::string(40, ']')).has_value());
  // Brackets inside strings do not count.
  EXPECT_TRUE(parse_json_text("\"" + std::string(100, '[') + "\"").has_value());
}

TEST(Params, RecordingRules) {
  auto rules = parse_recording_rules(R"([{"type":"include","all":"true"}])");
  ASSERT_TRUE(rules.ok());
  EXPECT_EQ(*rules, nlohmann::json::parse(R"([{"type":"include","all":true}])"));
  auto wrapped = parse_recording_rules(R"({"rules":[{"type":"exclude","kind":"video"}]})");
  ASSERT_TRUE(wrapped.ok());
  EXPECT_EQ((*wrapped)[0]["kind"], "video");
  EXPECT_TRUE(parse_recording_rules("[]").ok());
  for (const char* bad :
       {R"([{"type":"maybe","all":true}])", R"([{"type":"include"}])",
        R"([{"type":"include","all":false}])", R"([{"type":"include","kind":"screen"}])",
        R"([{"type":"include","colour":"red"}])", R"("include")", R"([1])", "not json"}) {
    const auto parsed = parse_recording_rules(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.error().upstream_code, 20001) << bad;
  }
}

TEST(Params, RulesSelectTracks) {
  const auto all = nlohmann::json::parse(R"([{"type":"include","all":true}])");
  EXPECT_TRUE(rules_record_track(all, "PA1", "alice", "MT1", "mic", "audio"));
  EXPECT_FALSE(rules_record_track(nlohmann::json::array(), "PA1", "alice", "MT1", "mic", "audio"));
  const auto audio_only_but_bob = nlohmann::json::parse(
      R"([{"type":"include","kind":"audio"},{"type":"exclude","publisher":"bob"}])");
  EXPECT_TRUE(rules_record_track(audio_only_but_bob, "PA1", "alice", "MT1", "mic", "audio"));
  EXPECT_FALSE(rules_record_track(audio_only_but_bob, "PA1", "alice", "MT2", "cam", "video"));
  EXPECT_FALSE(rules_record_track(audio_only_but_bob, "PA2", "bob", "MT3", "mic", "audio"));
  const auto by_track = nlohmann::json::parse(R"([{"type":"include","track":"MT9"}])");
  EXPECT_TRUE(rules_record_track(by_track, "PA1", "alice", "MT9", "screen", "video"));
}

TEST(Params, VideoLayoutGetsDefaults) {
  auto layout = parse_video_layout(R"({"grid":{"video_sources":["*"]}})");
  ASSERT_TRUE(layout.ok());
  const auto& grid = (*layout)["grid"];
  EXPECT_EQ(grid["video_sources"], nlohmann::json::array({"*"}));
  EXPECT_EQ(grid["reuse"], "none");
  EXPECT_EQ(grid["max_columns"], 0);
  EXPECT_EQ(grid["cells_excluded"], nlohmann::json::array());
  EXPECT_FALSE(parse_video_layout(R"({"grid":{"video_sources":"*"}})").ok());
  EXPECT_FALSE(parse_video_layout(R"({"grid":{"reuse":"sometimes"}})").ok());
  EXPECT_FALSE(parse_video_layout(R"({"grid":{"x_pos":"left"}})").ok());
  EXPECT_FALSE(parse_video_layout(R"(["grid"])").ok());
  EXPECT_FALSE(parse_video_layout(R"({"grid":{"unknown":1}})").ok());
}

TEST(Params, Resolution) {
  EXPECT_TRUE(is_valid_resolution("640x480"));
  EXPECT_TRUE(is_valid_resolution("1280x720"));
  EXPECT_FALSE(is_valid_resolution("1280x1280"));  // > 921600 pixels
  EXPECT_FALSE(is_valid_resolution("15x480"));
  EXPECT_FALSE(is_valid_resolution("1920x1080"));
  EXPECT_FALSE(is_valid_resolution("640*480"));
  EXPECT_FALSE(is_valid_resolution("x480"));
}

TEST(Pagination, ParsesAndSlices) {
  auto request = parse_page_request({{"PageSize", "5000"}, {"Page", "2"}}, 1000);
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->page_size, 1000u);
  EXPECT_EQ(request->page, 2);
  EXPECT_FALSE(parse_page_request({{"PageSize", "0"}}, 50).ok());
  EXPECT_FALSE(parse_page_request({{"PageSize", "x"}}, 50).ok());
  EXPECT_FALSE(parse_page_request({{"Page", "-1"}}, 50).ok());
  EXPECT_FALSE(parse_page_request({{"Page", "9223372036854775807"}}, 50).ok());
  EXPECT_FALSE(parse_page_request({{"PageToken", "PZ12"}}, 50).ok());
  EXPECT_FALSE(parse_page_request({{"PageToken", "PAxyz"}}, 50).ok());

  const std::vector<std::uint64_t> desc = {9, 8, 7, 6, 5, 4, 3};
  PageRequest first;
  first.page_size = 3;
  auto s = slice_page(desc, first, true);
  EXPECT_EQ(s.begin, 0u);
  EXPECT_EQ(s.end, 3u);
  auto after = parse_page_request({{"PageSize", "3"}, {"PageToken", "PA7"}}, 50);
  ASSERT_TRUE(after.ok());
  s = slice_page(desc, *after, true);
  EXPECT_EQ(s.begin, 3u);
  EXPECT_EQ(s.end, 6u);
  auto before = parse_page_request({{"PageSize", "3"}, {"PageToken", "PB6"}}, 50);
  ASSERT_TRUE(before.ok());
  s = slice_page(desc, *before, true);
  EXPECT_EQ(s.begin, 0u);
  EXPECT_EQ(s.end, 3u);
  // An anchor that was deleted still positions the page.
  const std::vector<std::uint64_t> asc = {1, 2, 4, 5};
  auto gap = parse_page_request({{"PageSize", "2"}, {"PageToken", "PA3"}}, 50);
  ASSERT_TRUE(gap.ok());
  s = slice_page(asc, *gap, false);
  EXPECT_EQ(s.begin, 2u);
  EXPECT_EQ(s.end, 4u);
}

}  // namespace
}  // namespace roomplane::emulator
