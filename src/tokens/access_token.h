#pragma once
// Minting Twilio Access Tokens (JWT) with a Video grant.
//
// The output is byte-identical to twilio-node 6.2.0 (`jwt.AccessToken` + `VideoGrant`): same
// header, same payload key order, compact JSON with raw UTF-8. That lets tests pin every token
// string against the vectors generated with the official library, and lets the emulator and real
// Twilio see exactly what a twilio-node backend would send. See
// shared/reference/access-token.md for the format.
//
// Unlike twilio-node, the builder refuses inputs Twilio would refuse later (ttl 0 or above 24 h,
// malformed SIDs) instead of silently fixing or passing them on.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"

namespace roomplane::tokens {

// Twilio caps the lifetime of an access token at 24 hours (error 20157 above that).
inline constexpr std::chrono::seconds kMaxTokenTtl{86'400};
inline constexpr std::chrono::seconds kDefaultTokenTtl{3'600};
// Twilio limits identities and room names to 128 characters; we count UTF-8 bytes, which is
// never less than Twilio's count, so a token we accept is never too long for Twilio.
inline constexpr std::size_t kMaxIdentityBytes = 128;
// `cty` of every Twilio access token.
inline constexpr std::string_view kTwilioTokenContentType = "twilio-fpa;v=1";

// True for "AC" + 32 hex digits / "SK" + 32 hex digits (Twilio's SID patterns).
bool is_account_sid(std::string_view sid);
bool is_api_key_sid(std::string_view sid);

struct AccessTokenRequest {
  std::string account_sid;                      // AC..., becomes `sub`
  std::string api_key_sid;                      // SK..., becomes `iss` and signs the token
  std::string api_key_secret;                   // HMAC key; never appears in errors or output
  std::string identity;                         // grants.identity; valid UTF-8, 1..128 bytes
  std::chrono::seconds ttl = kDefaultTokenTtl;  // 1 s .. 24 h
  std::optional<std::string> room;  // grants.video.room (unique name or RM SID); unset = any room
  std::optional<core::TimePoint> not_before;  // `nbf`, whole seconds; must be before expiry
  std::optional<std::string> region;          // header `twr`, e.g. "us1"; non-empty when set
};

struct AccessToken {
  std::string token;           // the compact JWT
  core::TimePoint issued_at;   // `iat`, the clock truncated to whole seconds
  core::TimePoint expires_at;  // `exp` = issued_at + ttl
};

// Creates signed Video access tokens, reading the issue time from the injected clock.
//
// Built once by the composition root (or a test) and shared: build() is const and touches no
// state besides the clock, so it is safe to call from any thread concurrently.
//
// Errors (ErrorKind::kUnprocessable, stable codes):
//   token_ttl_out_of_range, token_identity_empty, token_identity_too_long,
//   token_invalid_utf8, token_account_sid_invalid, token_api_key_sid_invalid,
//   token_api_key_secret_empty, token_room_empty, token_region_empty,
//   token_not_before_after_expiry.
class AccessTokenBuilder {
 public:
  // `clock` must outlive the builder.
  explicit AccessTokenBuilder(const core::Clock& clock);

  core::Result<AccessToken> build(const AccessTokenRequest& request) const;

 private:
  const core::Clock& clock_;
  // base64url of the header every token without a region has: the same bytes each time, so
  // encoded once (token issuance is the API's hottest path).
  std::string default_encoded_header_;
};

}  // namespace roomplane::tokens
