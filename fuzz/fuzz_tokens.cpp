// Bearer credentials from the network: dashboard tokens (realtime/dashboard_tokens.h) and Twilio
// access tokens (tokens/access_token_verifier.h). The first input byte picks a mode; the rest is
// the data.
//  0 dashboard verify(raw): never crashes; only a token carrying the key's MAC verifies.
//  1 dashboard verify of a payload MAC'd with the real key (reaches the payload parser):
//    accepted exactly when the payload is "v1|<non-empty tenant>|<integer expiry in the
//    future>" and the token fits 512 bytes, and then the tenant is that field.
//  2 dashboard issue(tenant) then verify: the same tenant comes back (tenants without '|').
//  3 access token verify(raw): never crashes; refused with a documented code and kind.
//  4 access token verify of "<header json>\n<payload json>" signed with a known key (reaches
//    the time and grant checks): an accepted token's claims obey the documented rules
//    (identity 1..128 bytes, exp in the future and at most 24 h away, iss/sub the key's).
//  5 AccessTokenBuilder with a fuzzed identity and room, then verify: the claims come back.

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "crypto/crypto.h"
#include "fuzz_check.h"
#include "realtime/dashboard_tokens.h"
#include "tokens/access_token.h"
#include "tokens/access_token_verifier.h"

namespace {

using namespace roomplane;

class FixedClock final : public core::Clock {
 public:
  core::TimePoint now() const override { return core::from_unix_seconds(1'700'000'000); }
};

const FixedClock kClock;
const std::string kDashboardKey(32, 'k');
constexpr std::string_view kMacContext = "roomplane-dashboard-token\n";
constexpr const char* kAccount = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
constexpr const char* kKeySid = "SKbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
constexpr const char* kSecret = "fuzz-api-key-secret";

const realtime::DashboardTokens& dashboard() {
  static const auto tokens = realtime::DashboardTokens::create(kDashboardKey, kClock);
  return *tokens;
}

const tokens::AccessTokenVerifier& verifier() {
  static const tokens::AccessTokenVerifier v([](std::string_view sid) {
    return sid == kKeySid ? std::optional<tokens::KeyInfo>(tokens::KeyInfo{kSecret, kAccount})
                          : std::nullopt;
  });
  return v;
}

void check_token_error(const tokens::TokenError& e) {
  static const std::set<std::string> kCodes = {"token_too_large",
                                               "token_malformed",
                                               "token_invalid_header",
                                               "token_invalid_issuer",
                                               "token_unknown_api_key",
                                               "token_invalid_subject",
                                               "token_invalid_signature",
                                               "token_invalid_expiry",
                                               "token_invalid_issued_at",
                                               "token_invalid_not_before",
                                               "token_expired",
                                               "token_not_yet_valid",
                                               "token_lifetime_too_long",
                                               "token_missing_grants",
                                               "token_missing_identity",
                                               "token_identity_too_long",
                                               "token_missing_video_grant",
                                               "token_invalid_video_grant",
                                               "token_room_mismatch"};
  FUZZ_CHECK(kCodes.contains(e.error.code));
  FUZZ_CHECK((e.twilio_code == tokens::kTwilioInvalidGrants) ==
             (e.error.kind == core::ErrorKind::kForbidden));
  if (e.twilio_code != tokens::kTwilioInvalidGrants)
    FUZZ_CHECK(e.error.kind == core::ErrorKind::kUnauthenticated);
}

void check_claims(const tokens::VerifiedClaims& c, core::TimePoint now) {
  FUZZ_CHECK(!c.identity.empty() && c.identity.size() <= tokens::kMaxIdentityBytes);
  FUZZ_CHECK(c.api_key_sid == kKeySid && c.account_sid == kAccount);
  FUZZ_CHECK(c.expires_at > now);
  FUZZ_CHECK(c.expires_at - now <= tokens::kMaxTokenTtl);
  if (c.issued_at)
    FUZZ_CHECK(c.expires_at - *c.issued_at <= tokens::kMaxTokenTtl);
  if (c.not_before)
    FUZZ_CHECK(*c.not_before <= now);
  if (c.room)
    FUZZ_CHECK(!c.room->empty());
}

std::string dashboard_token_for(std::string_view payload) {
  const std::string encoded = crypto::base64url_encode(payload);
  return std::string(realtime::kDashboardTokenPrefix) + encoded + "." +
         crypto::base64url_encode(
             crypto::hmac_sha256(kDashboardKey, std::string(kMacContext) + encoded));
}

std::string sign(std::string_view header, std::string_view payload) {
  const std::string input =
      crypto::base64url_encode(header) + "." + crypto::base64url_encode(payload);
  return input + "." + crypto::base64url_encode(crypto::hmac_sha256(kSecret, input));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0)
    return 0;
  const int mode = data[0] % 6;
  const std::string_view rest = fuzz::as_text(data + 1, size - 1);
  const core::TimePoint now = kClock.now();

  switch (mode) {
    case 0: {
      const auto result = dashboard().verify(rest);
      if (!result.ok()) {
        FUZZ_CHECK(result.error().kind == core::ErrorKind::kUnauthenticated);
        break;
      }
      // Only a genuine token verifies: its payload carries the key's MAC.
      FUZZ_CHECK(rest.starts_with(realtime::kDashboardTokenPrefix) && !result->value().empty());
      const auto body = rest.substr(realtime::kDashboardTokenPrefix.size());
      const auto encoded = body.substr(0, body.find('.'));
      const auto mac = crypto::base64url_decode(body.substr(encoded.size() + 1));
      FUZZ_CHECK(mac && *mac == crypto::hmac_sha256(kDashboardKey, std::string(kMacContext) +
                                                                       std::string(encoded)));
      break;
    }
    case 1: {
      const std::string token = dashboard_token_for(rest);
      const auto result = dashboard().verify(token);
      // The reference reading of the payload.
      bool expected = token.size() <= 512;
      std::string_view tenant;
      const auto first = rest.find('|');
      const auto second = first == std::string_view::npos ? first : rest.find('|', first + 1);
      if (second == std::string_view::npos || rest.substr(0, first) != "v1") {
        expected = false;
      } else {
        tenant = rest.substr(first + 1, second - first - 1);
        const auto expiry = rest.substr(second + 1);
        std::int64_t value = 0;
        const auto [ptr, ec] = std::from_chars(expiry.data(), expiry.data() + expiry.size(), value);
        expected = expected && !tenant.empty() && !expiry.empty() && ec == std::errc() &&
                   ptr == expiry.data() + expiry.size() && value > core::to_unix_seconds(now);
      }
      FUZZ_CHECK(result.ok() == expected);
      if (result.ok())
        FUZZ_CHECK(result->value() == tenant);
      else
        FUZZ_CHECK(result.error().kind == core::ErrorKind::kUnauthenticated);
      break;
    }
    case 2: {
      if (rest.empty() || rest.find('|') != std::string_view::npos)
        break;
      const auto issued =
          dashboard().issue(core::TenantId(std::string(rest)), realtime::kDashboardTokenMinTtl);
      FUZZ_CHECK(issued.ok());
      const auto result = dashboard().verify(issued->token);
      FUZZ_CHECK(result.ok() == (issued->token.size() <= 512));
      if (result.ok())
        FUZZ_CHECK(result->value() == rest);
      break;
    }
    case 3: {
      const auto result = verifier().verify(rest, now);
      if (result.ok())
        check_claims(result.value(), now);
      else
        check_token_error(result.error());
      break;
    }
    case 4: {
      const auto newline = rest.find('\n');
      const std::string token = newline == std::string_view::npos
                                    ? sign(rest, "{}")
                                    : sign(rest.substr(0, newline), rest.substr(newline + 1));
      tokens::RoomBeingJoined room;
      room.unique_name = "fuzz-room";
      const auto result = verifier().verify(token, now, room);
      if (result.ok()) {
        check_claims(result.value(), now);
        if (result->room)
          FUZZ_CHECK(*result->room == "fuzz-room");
      } else {
        check_token_error(result.error());
      }
      (void)verifier().verify(token, now);
      break;
    }
    case 5: {
      const auto split = rest.find('\n');
      tokens::AccessTokenRequest request;
      request.account_sid = kAccount;
      request.api_key_sid = kKeySid;
      request.api_key_secret = kSecret;
      request.identity = std::string(rest.substr(0, split));
      if (split != std::string_view::npos)
        request.room = std::string(rest.substr(split + 1));
      const tokens::AccessTokenBuilder builder(kClock);
      const auto built = builder.build(request);
      if (!built) {
        FUZZ_CHECK(built.error().kind == core::ErrorKind::kUnprocessable);
        break;
      }
      const auto result = verifier().verify(built->token, now);
      if (built->token.size() > tokens::kMaxTokenBytes) {
        FUZZ_CHECK(!result.ok());
        break;
      }
      FUZZ_CHECK(result.ok());
      check_claims(result.value(), now);
      FUZZ_CHECK(result->identity == request.identity);
      FUZZ_CHECK(result->room == request.room);
      FUZZ_CHECK(result->expires_at == built->expires_at);
      break;
    }
  }
  return 0;
}
