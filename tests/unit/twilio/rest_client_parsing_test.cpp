// The REST client's pure helpers: Twilio timestamps and the error-body -> core::Error mapping.

#include <gtest/gtest.h>

#include "twilio/rest_client.h"

namespace roomplane::twilio {
namespace {

TEST(ParseTimestamp, ReadsTwilioTimestamps) {
  EXPECT_EQ(parse_timestamp("2015-07-30T20:00:00Z"), core::from_unix_seconds(1438286400));
  EXPECT_EQ(parse_timestamp("1970-01-01T00:00:00Z"), core::from_unix_seconds(0));
  EXPECT_EQ(parse_timestamp("2024-02-29T23:59:59Z"), core::from_unix_seconds(1709251199));
  EXPECT_EQ(parse_timestamp("2015-07-30T20:00:00.123Z"), core::from_unix_seconds(1438286400));
  EXPECT_EQ(parse_timestamp("2015-07-30T22:00:00+02:00"), core::from_unix_seconds(1438286400));
  EXPECT_EQ(parse_timestamp("2015-07-30T19:30:00-00:30"), core::from_unix_seconds(1438286400));
  // Round trip with the project's own formatter.
  const auto t = core::from_unix_seconds(1'700'000'123);
  EXPECT_EQ(parse_timestamp(core::to_rfc3339(t)), t);
}

TEST(ParseTimestamp, RejectsMalformedOrImpossibleTimes) {
  for (const char* text :
       {"", "2015-07-30", "2015-07-30T20:00:00", "2015-07-30 20:00:00Z", "2015-13-01T00:00:00Z",
        "2015-02-30T00:00:00Z", "2015-07-30T24:00:00Z", "2015-07-30T20:60:00Z",
        "2015-07-30T20:00:00ZZ", "2015-07-30T20:00:00.Z", "2015-07-30T20:00:00+0200",
        "Thu, 30 Jul 2015 20:00:00 +0000", "2O15-07-30T20:00:00Z"}) {
    EXPECT_FALSE(parse_timestamp(text).has_value()) << text;
  }
}

struct MappingCase {
  unsigned status;
  std::string body;
  core::ErrorKind kind;
  std::string code;
  int upstream;
};

TEST(ErrorFromResponse, MapsTwilioErrorsToKinds) {
  const auto body = [](int code, unsigned status) {
    return R"({"code":)" + std::to_string(code) + R"(,"message":"m","more_info":"x","status":)" +
           std::to_string(status) + "}";
  };
  const std::vector<MappingCase> cases = {
      {401, body(20003, 401), core::ErrorKind::kUnauthenticated, "provider_unauthenticated", 20003},
      {403, body(20403, 403), core::ErrorKind::kForbidden, "provider_forbidden", 20403},
      {404, body(20404, 404), core::ErrorKind::kNotFound, "provider_not_found", 20404},
      {404, body(53106, 404), core::ErrorKind::kNotFound, "provider_not_found", 53106},
      {400, body(53113, 400), core::ErrorKind::kConflict, "room_exists", 53113},
      {400, body(53112, 400), core::ErrorKind::kConflict, "room_not_in_progress", 53112},
      {400, body(53118, 400), core::ErrorKind::kConflict, "room_not_in_progress", 53118},
      {400, body(53119, 400), core::ErrorKind::kRateLimited, "provider_quota_exceeded", 53119},
      {400, body(53107, 400), core::ErrorKind::kInvalidArgument, "provider_rejected", 53107},
      {409, body(0, 409), core::ErrorKind::kConflict, "provider_conflict", 0},
      {429, body(20429, 429), core::ErrorKind::kRateLimited, "provider_rate_limited", 20429},
      {500, body(20500, 500), core::ErrorKind::kUnavailable, "provider_unavailable", 20500},
      {503, "", core::ErrorKind::kUnavailable, "provider_unavailable", 0},
      {502, "<html>", core::ErrorKind::kUnavailable, "provider_unavailable", 0},
      {301, "", core::ErrorKind::kUnavailable, "provider_bad_response", 0},
      {400, R"({"code":"53107"})", core::ErrorKind::kInvalidArgument, "provider_rejected", 53107},
      {400, R"({"code":-5})", core::ErrorKind::kInvalidArgument, "provider_rejected", 0},
      {400, R"({"code":1e99})", core::ErrorKind::kInvalidArgument, "provider_rejected", 0},
  };
  for (const auto& c : cases) {
    const auto error = error_from_response(c.status, c.body);
    EXPECT_EQ(error.kind, c.kind) << c.status << " " << c.body;
    EXPECT_EQ(error.code, c.code) << c.status << " " << c.body;
    EXPECT_EQ(error.upstream_code, c.upstream) << c.status << " " << c.body;
  }
}

TEST(ErrorFromResponse, MessageIsTwilioOrNamesTheStatusAndIsBounded) {
  EXPECT_EQ(error_from_response(404, R"({"code":20404,"message":"Room not found"})").message,
            "Twilio: Room not found");
  EXPECT_EQ(error_from_response(500, "oops").message, "Twilio answered HTTP 500");
  const std::string long_message(5000, 'x');
  const auto error = error_from_response(400, R"({"code":1,"message":")" + long_message + R"("})");
  EXPECT_LT(error.message.size(), 400u);
}

}  // namespace
}  // namespace roomplane::twilio
