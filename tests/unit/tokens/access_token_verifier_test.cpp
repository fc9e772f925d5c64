#include "tokens/access_token_verifier.h"

#include <cstdint>
#include <random>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/manual_clock.h"
#include "token_test_support.h"
#include "tokens/access_token.h"

namespace roomplane::tokens {
namespace {

using nlohmann::json;
using test::kAccountSid;
using test::kApiKeySid;
using test::kSecret;
using test::kTwilioHeader;
using test::sign_jwt;

constexpr std::int64_t kIssuedAt = 1'700'000'000;
const core::TimePoint kNow = core::from_unix_seconds(kIssuedAt);

// A payload like twilio-node's, with the room and time claims adjustable.
std::string payload(std::string_view grants = R"({"identity":"alice","video":{"room":"r1"}})",
                    std::string_view times = R"("iat":1700000000,"exp":1700003600)",
                    std::string_view iss = kApiKeySid, std::string_view sub = kAccountSid) {
  return std::string(R"({"jti":"x","grants":)") + std::string(grants) + "," + std::string(times) +
         R"(,"iss":")" + std::string(iss) + R"(","sub":")" + std::string(sub) + R"("})";
}

// A request for a token that names no room.
AccessTokenRequest request_for(std::string account_sid, std::string api_key_sid,
                               std::string identity) {
  AccessTokenRequest request;
  request.account_sid = std::move(account_sid);
  request.api_key_sid = std::move(api_key_sid);
  request.api_key_secret = kSecret;
  request.identity = std::move(identity);
  return request;
}

class AccessTokenVerifierTest : public ::testing::Test {
 protected:
  VerifyResult verify(std::string_view token, core::TimePoint now = kNow,
                      const std::optional<RoomBeingJoined>& room = std::nullopt) const {
    return verifier_.verify(token, now, room);
  }

  // Asserts a refusal with the given Twilio code and our string code.
  void expect_refused(std::string_view token, int twilio_code, std::string_view code,
                      core::TimePoint now = kNow,
                      const std::optional<RoomBeingJoined>& room = std::nullopt) const {
    const auto result = verify(token, now, room);
    ASSERT_FALSE(result.ok()) << "unexpectedly valid";
    EXPECT_EQ(result.error().twilio_code, twilio_code) << result.error().error.code;
    EXPECT_EQ(result.error().error.code, code);
    EXPECT_FALSE(result.error().error.message.empty());
    EXPECT_EQ(result.error().error.kind, twilio_code == kTwilioInvalidGrants
                                             ? core::ErrorKind::kForbidden
                                             : core::ErrorKind::kUnauthenticated);
  }

  AccessTokenVerifier verifier_{test::single_key()};
};

// ---- The vectors' verification cases ----

TEST(AccessTokenVerifierVectors, AllVerificationCasesGiveTheExpectedOutcome) {
  const json file = test::load_access_token_vectors();
  const json& cases = file.at("verification_cases");
  std::size_t handled = 0;
  for (const json& c : cases) {
    SCOPED_TRACE(c.at("id").get<std::string>());
    const AccessTokenVerifier verifier(
        test::single_key(kApiKeySid, c.at("secret").get<std::string>()));
    const auto result = verifier.verify(
        c.at("token").get<std::string>(),
        core::from_unix_seconds(c.at("verify_at_unix_seconds").get<std::int64_t>()));
    const std::string expected = c.at("expected").get<std::string>();
    if (expected == "valid") {
      EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().error.code);
    } else {
      ASSERT_FALSE(result.ok());
      if (expected == "expired") {
        EXPECT_EQ(result.error().twilio_code, kTwilioExpired);
        EXPECT_EQ(result.error().error.code, "token_expired");
      } else if (expected == "not_yet_valid") {
        EXPECT_EQ(result.error().twilio_code, kTwilioNotYetValid);
        EXPECT_EQ(result.error().error.code, "token_not_yet_valid");
      } else if (expected == "bad_signature") {
        EXPECT_EQ(result.error().twilio_code, kTwilioInvalidSignature);
        EXPECT_EQ(result.error().error.code, "token_invalid_signature");
      } else {
        ADD_FAILURE() << "unknown expectation " << expected;
      }
    }
    ++handled;
  }
  EXPECT_EQ(handled, 8u);
  EXPECT_EQ(handled, cases.size());
}

// ---- Round trips with the builder ----

TEST_F(AccessTokenVerifierTest, ReturnsTheClaimsOfABuiltToken) {
  testing::ManualClock clock(kNow);
  AccessTokenRequest request{kAccountSid,
                             kApiKeySid,
                             kSecret,
                             "José",
                             std::chrono::seconds(600),
                             "DailyStandup",
                             core::from_unix_seconds(kIssuedAt - 30),
                             "us1"};
  const auto built = AccessTokenBuilder(clock).build(request);
  ASSERT_TRUE(built.ok());

  const auto result = verify(built->token, kNow, RoomBeingJoined{"DailyStandup", std::nullopt});
  ASSERT_TRUE(result.ok()) << result.error().error.code;
  EXPECT_EQ(result->identity, "José");
  EXPECT_EQ(result->room, "DailyStandup");
  EXPECT_EQ(result->account_sid, kAccountSid);
  EXPECT_EQ(result->api_key_sid, kApiKeySid);
  EXPECT_EQ(result->issued_at, core::from_unix_seconds(kIssuedAt));
  EXPECT_EQ(result->expires_at, core::from_unix_seconds(kIssuedAt + 600));
  EXPECT_EQ(result->not_before, core::from_unix_seconds(kIssuedAt - 30));
  EXPECT_EQ(result->region, "us1");
}

TEST_F(AccessTokenVerifierTest, RoomMatchesByUniqueNameOrSid) {
  testing::ManualClock clock(kNow);
  const AccessTokenBuilder builder(clock);
  AccessTokenRequest by_sid = request_for(kAccountSid, kApiKeySid, "bob");
  by_sid.room = "RM" + std::string(32, '1');
  const std::string token = builder.build(by_sid)->token;

  EXPECT_TRUE(verify(token, kNow, RoomBeingJoined{"standup", by_sid.room}).ok());
  EXPECT_TRUE(verify(token, kNow, RoomBeingJoined{std::nullopt, by_sid.room}).ok());
  EXPECT_TRUE(verify(token, kNow).ok()) << "no room given: the caller checks claims.room";
  expect_refused(token, kTwilioInvalidGrants, "token_room_mismatch", kNow,
                 RoomBeingJoined{"standup", "RM" + std::string(32, '2')});
  expect_refused(token, kTwilioInvalidGrants, "token_room_mismatch", kNow, RoomBeingJoined{});
}

TEST_F(AccessTokenVerifierTest, WrongRoomIsInvalidGrants) {
  testing::ManualClock clock(kNow);
  AccessTokenRequest request = request_for(kAccountSid, kApiKeySid, "alice");
  request.room = "DailyStandup";
  const auto built = AccessTokenBuilder(clock).build(request);
  expect_refused(built->token, kTwilioInvalidGrants, "token_room_mismatch", kNow,
                 RoomBeingJoined{"dailystandup", std::nullopt});  // case-sensitive
}

TEST_F(AccessTokenVerifierTest, TokenWithoutRoomAdmitsAnyRoom) {
  testing::ManualClock clock(kNow);
  const auto built = AccessTokenBuilder(clock).build(request_for(kAccountSid, kApiKeySid, "alice"));
  const auto result =
      verify(built->token, kNow, RoomBeingJoined{"anything", "RM" + std::string(32, '3')});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->room, std::nullopt);
  EXPECT_EQ(result->region, std::nullopt);
  EXPECT_EQ(result->not_before, std::nullopt);
}

// ---- Issuer and subject ----

TEST_F(AccessTokenVerifierTest, KeyOfAnotherAccountIsInvalidIssuer) {
  const std::string other_account = "AC" + std::string(32, 'd');
  testing::ManualClock clock(kNow);
  const auto built =
      AccessTokenBuilder(clock).build(request_for(other_account, kApiKeySid, "alice"));
  expect_refused(built->token, kTwilioInvalidIssuer, "token_invalid_subject");
}

TEST_F(AccessTokenVerifierTest, UnknownKeyIsInvalidIssuerNotSignature) {
  const std::string other_key = "SK" + std::string(32, 'e');
  testing::ManualClock clock(kNow);
  const auto built = AccessTokenBuilder(clock).build(request_for(kAccountSid, other_key, "alice"));
  expect_refused(built->token, kTwilioInvalidIssuer, "token_unknown_api_key");
}

TEST_F(AccessTokenVerifierTest, EmptyLookupMeansNoKnownKeys) {
  const AccessTokenVerifier verifier{KeyLookup{}};
  const auto result = verifier.verify(sign_jwt(kTwilioHeader, payload()), kNow);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().twilio_code, kTwilioInvalidIssuer);
}

TEST_F(AccessTokenVerifierTest, IssuerAndSubjectMustBeWellFormed) {
  expect_refused(sign_jwt(kTwilioHeader, payload(R"({"identity":"a","video":{}})",
                                                 R"("exp":1700003600)", kAccountSid)),
                 kTwilioInvalidIssuer, "token_invalid_issuer");
  expect_refused(
      sign_jwt(kTwilioHeader, R"({"grants":{"identity":"a","video":{}},"exp":1700003600,"sub":")" +
                                  kAccountSid + "\"}"),
      kTwilioInvalidIssuer, "token_invalid_issuer");
  expect_refused(
      sign_jwt(kTwilioHeader, R"({"grants":{"identity":"a","video":{}},"exp":1700003600,"iss":")" +
                                  kApiKeySid + "\"}"),
      kTwilioInvalidIssuer, "token_invalid_subject");
  expect_refused(sign_jwt(kTwilioHeader, R"({"iss":7,"sub":[]})"), kTwilioInvalidIssuer,
                 "token_invalid_issuer");
}

// ---- Signature ----

TEST_F(AccessTokenVerifierTest, SignatureFailureWinsOverLaterChecks) {
  // Expired and without grants, but the signature is checked first.
  const std::string token = sign_jwt(kTwilioHeader, payload("{}", R"("exp":1)"), "wrong secret");
  expect_refused(token, kTwilioInvalidSignature, "token_invalid_signature");
}

TEST_F(AccessTokenVerifierTest, SignatureMessageDoesNotLeakTheSecret) {
  const auto result = verify(sign_jwt(kTwilioHeader, payload(), "other"));
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error().error.message, ::testing::Not(::testing::HasSubstr(kSecret)));
}

TEST_F(AccessTokenVerifierTest, EveryByteChangeOfAValidTokenIsRefused) {
  const std::string token = sign_jwt(kTwilioHeader, payload());
  ASSERT_TRUE(verify(token).ok());
  for (std::size_t i = 0; i < token.size(); ++i) {
    for (const char replacement : {'A', 'x', '_', '.', '=', '\0'}) {
      if (token[i] == replacement)
        continue;
      std::string mutated = token;
      mutated[i] = replacement;
      EXPECT_FALSE(verify(mutated).ok()) << "position " << i << " -> " << replacement;
    }
  }
  EXPECT_FALSE(verify(token + "A").ok());
  EXPECT_FALSE(verify(token.substr(0, token.size() - 1)).ok());
}

// ---- Time window ----

TEST_F(AccessTokenVerifierTest, ExpiryBoundaries) {
  const std::string token = sign_jwt(kTwilioHeader, payload());
  EXPECT_TRUE(verify(token, core::from_unix_seconds(1'700'003'599)).ok());
  expect_refused(token, kTwilioExpired, "token_expired", core::from_unix_seconds(1'700'003'600));
}

TEST_F(AccessTokenVerifierTest, NotBeforeBoundaries) {
  const std::string token =
      sign_jwt(kTwilioHeader, payload(R"({"identity":"a","video":{}})",
                                      R"("nbf":1700000100,"iat":1700000000,"exp":1700003600)"));
  expect_refused(token, kTwilioNotYetValid, "token_not_yet_valid",
                 core::from_unix_seconds(1'700'000'099));
  EXPECT_TRUE(verify(token, core::from_unix_seconds(1'700'000'100)).ok());
}

TEST_F(AccessTokenVerifierTest, LifetimeAbove24HoursIs20157) {
  // exp - now above 24 h.
  expect_refused(sign_jwt(kTwilioHeader, payload(R"({"identity":"a","video":{}})",
                                                 R"("iat":1700000000,"exp":1700086401)")),
                 kTwilioLifetimeTooLong, "token_lifetime_too_long");
  // Without iat (twilio-python style) the remaining time decides.
  expect_refused(
      sign_jwt(kTwilioHeader, payload(R"({"identity":"a","video":{}})", R"("exp":1700086401)")),
      kTwilioLifetimeTooLong, "token_lifetime_too_long");
  // exp - now within 24 h, but exp - iat above it.
  expect_refused(sign_jwt(kTwilioHeader, payload(R"({"identity":"a","video":{}})",
                                                 R"("iat":1699990000,"exp":1700076401)")),
                 kTwilioLifetimeTooLong, "token_lifetime_too_long");
  // Exactly 24 h is allowed.
  EXPECT_TRUE(verify(sign_jwt(kTwilioHeader, payload(R"({"identity":"a","video":{}})",
                                                     R"("iat":1700000000,"exp":1700086400)")))
                  .ok());
}

TEST_F(AccessTokenVerifierTest, MalformedTimeClaims) {
  const auto with_times = [](std::string_view times) {
    return sign_jwt(kTwilioHeader, payload(R"({"identity":"a","video":{}})", times));
  };
  expect_refused(sign_jwt(kTwilioHeader, R"({"grants":{"identity":"a","video":{}},"iss":")" +
                                             kApiKeySid + R"(","sub":")" + kAccountSid + "\"}"),
                 kTwilioExpired, "token_invalid_expiry");
  expect_refused(with_times(R"("exp":"1700003600")"), kTwilioExpired, "token_invalid_expiry");
  expect_refused(with_times(R"("exp":1700003600.5)"), kTwilioExpired, "token_invalid_expiry");
  expect_refused(with_times(R"("exp":1e300)"), kTwilioExpired, "token_invalid_expiry");
  expect_refused(with_times(R"("exp":-1)"), kTwilioExpired, "token_invalid_expiry");
  expect_refused(with_times(R"("exp":18446744073709551615)"), kTwilioExpired,
                 "token_invalid_expiry");
  expect_refused(with_times(R"("exp":-9223372036854775808)"), kTwilioExpired,
                 "token_invalid_expiry");
  expect_refused(with_times(R"("exp":null)"), kTwilioExpired, "token_invalid_expiry");
  expect_refused(with_times(R"("exp":1700003600,"nbf":"soon")"), kTwilioNotYetValid,
                 "token_invalid_not_before");
  expect_refused(with_times(R"("exp":1700003600,"iat":{})"), kTwilioInvalidToken,
                 "token_invalid_issued_at");
}

// ---- Grants ----

TEST_F(AccessTokenVerifierTest, GrantsMustCarryIdentityAndVideo) {
  const auto with_grants = [](std::string_view grants) {
    return sign_jwt(kTwilioHeader, payload(grants));
  };
  expect_refused(with_grants("[]"), kTwilioInvalidGrants, "token_missing_grants");
  expect_refused(with_grants("null"), kTwilioInvalidGrants, "token_missing_grants");
  expect_refused(with_grants(R"({"video":{}})"), kTwilioInvalidGrants, "token_missing_identity");
  expect_refused(with_grants(R"({"identity":"","video":{}})"), kTwilioInvalidGrants,
                 "token_missing_identity");
  expect_refused(with_grants(R"({"identity":4444,"video":{}})"), kTwilioInvalidGrants,
                 "token_missing_identity");
  expect_refused(with_grants(R"({"identity":")" + std::string(129, 'x') + R"(","video":{}})"),
                 kTwilioInvalidGrants, "token_identity_too_long");
  EXPECT_TRUE(
      verify(with_grants(R"({"identity":")" + std::string(128, 'x') + R"(","video":{}})")).ok());
  expect_refused(with_grants(R"({"identity":"a"})"), kTwilioInvalidGrants,
                 "token_missing_video_grant");
  expect_refused(with_grants(R"({"identity":"a","video":true})"), kTwilioInvalidGrants,
                 "token_missing_video_grant");
  expect_refused(with_grants(R"({"identity":"a","video":{"room":5}})"), kTwilioInvalidGrants,
                 "token_invalid_video_grant");
  expect_refused(with_grants(R"({"identity":"a","video":{"room":""}})"), kTwilioInvalidGrants,
                 "token_invalid_video_grant");
}

// ---- Header ----

TEST_F(AccessTokenVerifierTest, HeaderMustBeTwilios) {
  const std::string body = payload();
  expect_refused(sign_jwt(R"({"alg":"none","typ":"JWT","cty":"twilio-fpa;v=1"})", body),
                 kTwilioInvalidHeader, "token_invalid_header");
  // The classic "alg none" token: no signature at all.
  const std::string unsigned_token =
      crypto::base64url_encode(R"({"alg":"none","typ":"JWT","cty":"twilio-fpa;v=1"})") + "." +
      crypto::base64url_encode(body) + ".";
  expect_refused(unsigned_token, kTwilioInvalidHeader, "token_invalid_header");
  expect_refused(sign_jwt(R"({"alg":"HS512","typ":"JWT","cty":"twilio-fpa;v=1"})", body),
                 kTwilioInvalidHeader, "token_invalid_header");
  expect_refused(sign_jwt(R"({"alg":"HS256","typ":"JWT"})", body), kTwilioInvalidHeader,
                 "token_invalid_header");
  expect_refused(sign_jwt(R"({"alg":"HS256","typ":"JWS","cty":"twilio-fpa;v=1"})", body),
                 kTwilioInvalidHeader, "token_invalid_header");
  expect_refused(sign_jwt(R"({"alg":["HS256"],"typ":"JWT","cty":"twilio-fpa;v=1"})", body),
                 kTwilioInvalidHeader, "token_invalid_header");
  expect_refused(sign_jwt(R"({"alg":"HS256","typ":"JWT","cty":"twilio-fpa;v=1","twr":1})", body),
                 kTwilioInvalidHeader, "token_invalid_header");
  // Key order in the header does not matter.
  EXPECT_TRUE(verify(sign_jwt(R"({"cty":"twilio-fpa;v=1","alg":"HS256","typ":"JWT"})", body)).ok());
}

// ---- Structure and hostile input ----

TEST_F(AccessTokenVerifierTest, MalformedStructureIsInvalidToken) {
  const std::string good = sign_jwt(kTwilioHeader, payload());
  const std::string header = good.substr(0, good.find('.'));
  const std::string body = crypto::base64url_encode(payload());
  const std::string b64_json = crypto::base64url_encode(R"({"a":1})");
  for (const std::string& token : {
           std::string(),
           std::string("."),
           std::string(".."),
           std::string("..."),
           std::string("abc"),
           header + "." + body,                                       // two segments
           good + ".extra",                                           // four segments
           "!!!." + body + ".sig",                                    // bad base64 header
           header + ".%%%.sig",                                       // bad base64 payload
           header + "=." + body + ".sig",                             // padding is not base64url
           crypto::base64url_encode("[1,2]") + "." + body + ".sig",   // non-object header
           header + "." + crypto::base64url_encode("null") + ".sig",  // non-object payload
           header + "." + crypto::base64url_encode("\"text\"") + ".sig",
           header + "." + crypto::base64url_encode("not json") + ".sig",
           header + "." + crypto::base64url_encode("{\"a\":1") + ".sig",          // truncated JSON
           header + "." + crypto::base64url_encode("{\"a\":\"\xff\"}") + ".sig",  // bad UTF-8
           header + "." + crypto::base64url_encode(std::string("{}\0", 3)) + ".sig",  // NUL
           header + "." + crypto::base64url_encode(std::string("{\0}", 3)) + ".sig",
           sign_jwt(kTwilioHeader, payload() + std::string("\0junk", 5)),  // signed, still bad
           "." + b64_json + "." + b64_json,
       }) {
    SCOPED_TRACE(token);
    expect_refused(token, kTwilioInvalidToken, "token_malformed");
  }
}

TEST_F(AccessTokenVerifierTest, HugeInputIsRefusedBeforeDecoding) {
  expect_refused(std::string(kMaxTokenBytes + 1, 'A'), kTwilioInvalidToken, "token_too_large");
  expect_refused(std::string(1 << 20, '.'), kTwilioInvalidToken, "token_too_large");
}

TEST_F(AccessTokenVerifierTest, DeeplyNestedJsonDoesNotCrash) {
  // 2 x 4000 base64 characters: just under kMaxTokenBytes, so the parser really sees it.
  const std::string deep = std::string(1500, '[') + std::string(1500, ']');
  expect_refused(crypto::base64url_encode(deep) + "." + crypto::base64url_encode(deep) + ".x",
                 kTwilioInvalidToken, "token_malformed");
  const std::string deep_grants = R"({"identity":"a","video":{"room":)" + std::string(2000, '[') +
                                  std::string(2000, ']') + "}}";
  expect_refused(sign_jwt(kTwilioHeader, payload(deep_grants)), kTwilioInvalidGrants,
                 "token_invalid_video_grant");
}

TEST_F(AccessTokenVerifierTest, RandomGarbageNeverCrashesOrPasses) {
  std::mt19937 rng(20'101);  // fixed seed: reproducible
  const std::string alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ \x01\xff";
  const std::string good = sign_jwt(kTwilioHeader, payload());
  for (int i = 0; i < 2000; ++i) {
    std::string token;
    if (i % 2 == 0) {
      const std::size_t length = rng() % 300;
      for (std::size_t k = 0; k < length; ++k)
        token += alphabet[rng() % alphabet.size()];
    } else {  // splice random JSON-ish text into a well-formed frame
      std::string json_text = "{";
      const std::size_t length = rng() % 80;
      const std::string json_chars = "{}[]\":,0123456789.eE-+truefalsnl\\u \x7f\xc3\xa9";
      for (std::size_t k = 0; k < length; ++k)
        json_text += json_chars[rng() % json_chars.size()];
      token = sign_jwt(i % 4 == 1 ? kTwilioHeader : std::string_view(json_text), json_text);
    }
    EXPECT_FALSE(verify(token).ok()) << token;
  }
  EXPECT_TRUE(verify(good).ok());
}

}  // namespace
}  // namespace roomplane::tokens
