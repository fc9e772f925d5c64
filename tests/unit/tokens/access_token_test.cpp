#include "tokens/access_token.h"

#include <functional>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/manual_clock.h"
#include "token_test_support.h"
#include "tokens/access_token_verifier.h"

namespace roomplane::tokens {
namespace {

using nlohmann::json;
using test::kAccountSid;
using test::kApiKeySid;
using test::kSecret;
using ::testing::HasSubstr;
using ::testing::Not;

AccessTokenRequest base_request() {
  AccessTokenRequest request;
  request.account_sid = kAccountSid;
  request.api_key_sid = kApiKeySid;
  request.api_key_secret = kSecret;
  request.identity = "alice";
  request.room = "DailyStandup";
  return request;
}

std::string decoded_segment(const std::string& token, int index) {
  std::size_t start = 0;
  for (int i = 0; i < index; ++i)
    start = token.find('.', start) + 1;
  const auto end = token.find('.', start);
  return crypto::base64url_decode(token.substr(start, end - start)).value_or("<bad base64>");
}

// Maps a vector's inputs onto our request: ttl null -> default 3600, videoGrant {} -> no room.
AccessTokenRequest request_from_vector(const json& inputs) {
  AccessTokenRequest request;
  request.account_sid = inputs.at("accountSid").get<std::string>();
  request.api_key_sid = inputs.at("apiKeySid").get<std::string>();
  request.api_key_secret = inputs.at("apiKeySecret").get<std::string>();
  const json& identity = inputs.at("identity");
  // twilio-node stringifies a numeric identity (4444 -> "4444"); callers of ours pass text.
  request.identity = identity.is_string() ? identity.get<std::string>() : identity.dump();
  if (!inputs.at("ttl").is_null())
    request.ttl = std::chrono::seconds(inputs.at("ttl").get<long>());
  if (!inputs.at("nbf").is_null()) {
    request.not_before = core::from_unix_seconds(inputs.at("nbf").get<std::int64_t>());
  }
  if (!inputs.at("region").is_null())
    request.region = inputs.at("region").get<std::string>();
  const json& grant = inputs.at("videoGrant");
  if (grant.is_object() && grant.contains("room"))
    request.room = grant.at("room").get<std::string>();
  return request;
}

core::TimePoint vector_clock(const json& vector) {
  return core::from_unix_seconds(vector.at("inputs").at("clock_unix_seconds").get<std::int64_t>());
}

// ---- Vectors: every one is either reproduced byte for byte or refused for a stated reason ----

TEST(AccessTokenVectors, EveryVectorIsReproducedOrRefusedByDesign) {
  const json file = test::load_access_token_vectors();
  const json& vectors = file.at("vectors");
  ASSERT_EQ(vectors.size(), 14u) << "vectors file changed; review the handling below";

  testing::ManualClock clock;
  const AccessTokenBuilder builder(clock);
  const AccessTokenVerifier verifier(test::single_key());

  // Vectors twilio-node signed but our builder will not mint, each with the reason.
  const std::map<std::string, std::function<void(const json&)>> refused_by_design = {
      {"video-ttl-too-long",
       [&](const json& vector) {
         // Twilio rejects lifetimes above 24 h (20157); twilio-node signs them anyway.
         EXPECT_FALSE(vector.at("acceptable_to_twilio").get<bool>());
         const auto built = builder.build(request_from_vector(vector.at("inputs")));
         ASSERT_FALSE(built.ok());
         EXPECT_EQ(built.error().code, "token_ttl_out_of_range");
         const auto verified = verifier.verify(vector.at("token").get<std::string>(), clock.now());
         ASSERT_FALSE(verified.ok());
         EXPECT_EQ(verified.error().twilio_code, kTwilioLifetimeTooLong);
       }},
      {"video-ttl-zero-falls-back",
       [&](const json& vector) {
         // twilio-node turns ttl 0 into 3600 (`ttl || 3600`); we refuse rather than guess.
         // The token itself is fine: asking for 3600 explicitly reproduces it exactly.
         AccessTokenRequest request = request_from_vector(vector.at("inputs"));
         ASSERT_EQ(request.ttl, std::chrono::seconds(0));
         const auto refused = builder.build(request);
         ASSERT_FALSE(refused.ok());
         EXPECT_EQ(refused.error().code, "token_ttl_out_of_range");
         request.ttl = std::chrono::seconds(3600);
         const auto built = builder.build(request);
         ASSERT_TRUE(built.ok()) << built.error().message;
         EXPECT_EQ(built->token, vector.at("token").get<std::string>());
         EXPECT_TRUE(verifier.verify(built->token, clock.now()).ok());
       }},
      {"video-no-grant",
       [&](const json& vector) {
         // Identity-only token: our builder always adds a Video grant, so it cannot produce
         // this; Twilio refuses it for Video, and so does the verifier.
         EXPECT_FALSE(vector.at("acceptable_to_twilio").get<bool>());
         EXPECT_TRUE(vector.at("inputs").at("videoGrant").is_null());
         const auto verified = verifier.verify(vector.at("token").get<std::string>(), clock.now());
         ASSERT_FALSE(verified.ok());
         EXPECT_EQ(verified.error().twilio_code, kTwilioInvalidGrants);
         EXPECT_EQ(verified.error().error.code, "token_missing_video_grant");
       }},
  };

  std::size_t reproduced = 0;
  std::set<std::string> refused_seen;
  for (const json& vector : vectors) {
    const std::string id = vector.at("id").get<std::string>();
    SCOPED_TRACE(id);
    ASSERT_EQ(vector.at("inputs").at("algorithm"), "HS256");
    clock.set(vector_clock(vector));

    if (const auto handler = refused_by_design.find(id); handler != refused_by_design.end()) {
      handler->second(vector);
      refused_seen.insert(id);
      continue;
    }

    EXPECT_TRUE(vector.at("acceptable_to_twilio").get<bool>());
    const auto built = builder.build(request_from_vector(vector.at("inputs")));
    ASSERT_TRUE(built.ok()) << built.error().code << ": " << built.error().message;
    EXPECT_EQ(decoded_segment(built->token, 0), vector.at("header_json").get<std::string>());
    EXPECT_EQ(decoded_segment(built->token, 1), vector.at("payload_json").get<std::string>());
    EXPECT_EQ(built->token, vector.at("token").get<std::string>());

    // And the verifier accepts it at the issue time.
    const auto verified = verifier.verify(built->token, clock.now());
    EXPECT_TRUE(verified.ok()) << (verified.ok() ? "" : verified.error().error.code);
    ++reproduced;
  }

  EXPECT_EQ(refused_seen.size(), refused_by_design.size()) << "a refused vector id vanished";
  EXPECT_EQ(reproduced + refused_seen.size(), vectors.size());
  EXPECT_EQ(reproduced, 11u);
}

// ---- Output ----

TEST(AccessTokenBuilder, ReportsIssueAndExpiryTimes) {
  testing::ManualClock clock(core::from_unix_seconds(1'700'000'000));
  const AccessTokenBuilder builder(clock);
  AccessTokenRequest request = base_request();
  request.ttl = std::chrono::seconds(60);
  const auto built = builder.build(request);
  ASSERT_TRUE(built.ok());
  EXPECT_EQ(built->issued_at, core::from_unix_seconds(1'700'000'000));
  EXPECT_EQ(built->expires_at, core::from_unix_seconds(1'700'000'060));
}

TEST(AccessTokenBuilder, TruncatesSubSecondClockLikeJsonwebtoken) {
  testing::ManualClock clock(core::from_unix_seconds(1'700'000'000) +
                             std::chrono::milliseconds(999));
  const AccessTokenBuilder builder(clock);
  const auto built = builder.build(base_request());
  ASSERT_TRUE(built.ok());
  EXPECT_EQ(built->issued_at, core::from_unix_seconds(1'700'000'000));
  EXPECT_THAT(decoded_segment(built->token, 1), HasSubstr(R"("iat":1700000000,"exp":1700003600)"));
}

TEST(AccessTokenBuilder, EscapesJsonLikeJsonStringify) {
  // Expected text from node's JSON.stringify: short escapes for \b \f \n \r \t, \u00XX for other
  // controls, raw DEL, raw U+2028 and raw non-ASCII.
  testing::ManualClock clock;
  const AccessTokenBuilder builder(clock);
  AccessTokenRequest request = base_request();
  request.identity = "a\x01\b\f\n\r\t\x1f\x7f\xe2\x80\xa8<>&\xc3\xa9\"\\/";
  const auto built = builder.build(request);
  ASSERT_TRUE(built.ok());
  EXPECT_THAT(decoded_segment(built->token, 1),
              HasSubstr("\"identity\":\"a\\u0001\\b\\f\\n\\r\\t\\u001f\x7f\xe2\x80\xa8<>&\xc3\xa9"
                        "\\\"\\\\/\""));
}

TEST(AccessTokenBuilder, AcceptsBoundaryTtls) {
  testing::ManualClock clock;
  const AccessTokenBuilder builder(clock);
  for (const long seconds : {1L, 86'400L}) {
    AccessTokenRequest request = base_request();
    request.ttl = std::chrono::seconds(seconds);
    const auto built = builder.build(request);
    ASSERT_TRUE(built.ok()) << seconds;
    EXPECT_EQ(built->expires_at - built->issued_at, std::chrono::seconds(seconds));
  }
}

TEST(AccessTokenBuilder, AcceptsUppercaseHexInSids) {
  testing::ManualClock clock;
  const AccessTokenBuilder builder(clock);
  AccessTokenRequest request = base_request();
  request.account_sid = "AC" + std::string(32, 'F');
  request.api_key_sid = "SK0123456789ABCDEFabcdef0123456789";
  EXPECT_TRUE(builder.build(request).ok());
}

TEST(AccessTokenBuilder, NotBeforeBeforeIssueIsAllowed) {
  testing::ManualClock clock(core::from_unix_seconds(1'700'000'000));
  const AccessTokenBuilder builder(clock);
  AccessTokenRequest request = base_request();
  request.not_before = core::from_unix_seconds(1'699'999'970);
  const auto built = builder.build(request);
  ASSERT_TRUE(built.ok());
  EXPECT_THAT(decoded_segment(built->token, 1), HasSubstr(R"("nbf":1699999970,"iat":)"));
}

TEST(AccessTokenBuilder, IsSafeToShareBetweenThreads) {
  testing::ManualClock clock;
  const AccessTokenBuilder builder(clock);
  const std::string expected = builder.build(base_request())->token;
  std::vector<std::string> tokens(4);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < tokens.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i)
        tokens[t] = builder.build(base_request())->token;
    });
  }
  for (auto& thread : threads)
    thread.join();
  for (const auto& token : tokens)
    EXPECT_EQ(token, expected);
}

// ---- Validation ----

struct InvalidCase {
  const char* name;
  std::function<void(AccessTokenRequest&)> edit;
  const char* code;
  const char* message_mentions;
};

TEST(AccessTokenBuilder, RefusesInvalidRequestsWithClearErrors) {
  const std::vector<InvalidCase> cases = {
      {"ttl zero", [](auto& r) { r.ttl = std::chrono::seconds(0); }, "token_ttl_out_of_range",
       "86400"},
      {"ttl negative", [](auto& r) { r.ttl = std::chrono::seconds(-5); }, "token_ttl_out_of_range",
       "ttl"},
      {"ttl above 24 h", [](auto& r) { r.ttl = std::chrono::seconds(86'401); },
       "token_ttl_out_of_range", "24 hours"},
      {"identity empty", [](auto& r) { r.identity.clear(); }, "token_identity_empty", "identity"},
      {"identity 129 bytes", [](auto& r) { r.identity = std::string(129, 'x'); },
       "token_identity_too_long", "128"},
      {"identity bad utf-8", [](auto& r) { r.identity = "al\xffice"; }, "token_invalid_utf8",
       "identity"},
      {"identity overlong utf-8", [](auto& r) { r.identity = "\xc0\xaf"; }, "token_invalid_utf8",
       "UTF-8"},
      {"identity surrogate", [](auto& r) { r.identity = "\xed\xa0\x80"; }, "token_invalid_utf8",
       "UTF-8"},
      {"identity truncated utf-8", [](auto& r) { r.identity = "ab\xe2\x82"; }, "token_invalid_utf8",
       "UTF-8"},
      {"room bad utf-8", [](auto& r) { r.room = "r\x80"; }, "token_invalid_utf8", "room"},
      {"account sid empty", [](auto& r) { r.account_sid.clear(); }, "token_account_sid_invalid",
       "AC"},
      {"account sid is a key sid", [](auto& r) { r.account_sid = kApiKeySid; },
       "token_account_sid_invalid", "32 hex"},
      {"account sid short", [](auto& r) { r.account_sid.pop_back(); }, "token_account_sid_invalid",
       "AC"},
      {"account sid non-hex", [](auto& r) { r.account_sid[5] = 'g'; }, "token_account_sid_invalid",
       "AC"},
      {"key sid is account sid", [](auto& r) { r.api_key_sid = kAccountSid; },
       "token_api_key_sid_invalid", "SK"},
      {"key sid too long", [](auto& r) { r.api_key_sid += "0"; }, "token_api_key_sid_invalid",
       "SK"},
      {"secret empty", [](auto& r) { r.api_key_secret.clear(); }, "token_api_key_secret_empty",
       "api_key_secret"},
      {"room empty", [](auto& r) { r.room = ""; }, "token_room_empty", "unset"},
      {"region empty", [](auto& r) { r.region = ""; }, "token_region_empty", "region"},
      {"nbf at expiry",
       [](auto& r) { r.not_before = core::from_unix_seconds(1'700'000'000 + 3'600); },
       "token_not_before_after_expiry", "not_before"},
  };
  testing::ManualClock clock(core::from_unix_seconds(1'700'000'000));
  const AccessTokenBuilder builder(clock);
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    AccessTokenRequest request = base_request();
    request.api_key_secret = "s3cr3t-value-never-shown";
    c.edit(request);
    const auto built = builder.build(request);
    ASSERT_FALSE(built.ok());
    EXPECT_EQ(built.error().kind, core::ErrorKind::kUnprocessable);
    EXPECT_EQ(built.error().code, c.code);
    EXPECT_THAT(built.error().message, HasSubstr(c.message_mentions));
    EXPECT_THAT(built.error().message, Not(HasSubstr("s3cr3t")));
  }
}

TEST(AccessTokenBuilder, IdentityOf128BytesIsAccepted) {
  testing::ManualClock clock;
  const AccessTokenBuilder builder(clock);
  AccessTokenRequest request = base_request();
  request.identity = std::string(128, 'x');
  EXPECT_TRUE(builder.build(request).ok());
}

TEST(SidFormat, RecognisesTwilioSids) {
  EXPECT_TRUE(is_account_sid(kAccountSid));
  EXPECT_TRUE(is_api_key_sid(kApiKeySid));
  EXPECT_FALSE(is_account_sid(kApiKeySid));
  EXPECT_FALSE(is_api_key_sid(kAccountSid));
  EXPECT_FALSE(is_api_key_sid("SK"));
  EXPECT_FALSE(is_api_key_sid("sk" + std::string(32, 'b')));
  EXPECT_FALSE(is_api_key_sid(""));
}

}  // namespace
}  // namespace roomplane::tokens
