#pragma once
// Verifying Twilio Access Tokens the way Twilio does when a participant connects to a Room
// (shared/reference/access-token.md section 3). Used by the Twilio emulator and by endpoints
// that accept a participant's token.
//
// Input is untrusted: any byte string, of any size, yields either claims or a TokenError; the
// verifier never throws and never crashes.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "core/clock.h"
#include "core/result.h"

namespace roomplane::tokens {

// Twilio's numeric error codes for token problems, as returned on connect.
inline constexpr int kTwilioInvalidToken = 20101;      // not a well-formed JWT
inline constexpr int kTwilioInvalidHeader = 20102;     // alg/typ/cty not Twilio's
inline constexpr int kTwilioInvalidIssuer = 20103;     // iss/sub: unknown key, wrong account
inline constexpr int kTwilioExpired = 20104;           // expired, missing or absurd exp
inline constexpr int kTwilioNotYetValid = 20105;       // now < nbf
inline constexpr int kTwilioInvalidGrants = 20106;     // identity/video grant/room
inline constexpr int kTwilioInvalidSignature = 20107;  // HMAC mismatch
inline constexpr int kTwilioLifetimeTooLong = 20157;   // valid for more than 24 h

// Tokens above this size are refused before decoding (Video tokens are well under 1 KiB);
// it also bounds the JSON nesting depth the parser can be made to walk.
inline constexpr std::size_t kMaxTokenBytes = 8 * 1024;

// What the key store knows about an API key.
struct KeyInfo {
  std::string secret;       // HMAC key
  std::string account_sid;  // the account (AC...) that owns the key
};

// Finds an API key by SID; nullopt when unknown. Must not throw, and must be safe to call
// concurrently if the verifier is shared between threads.
using KeyLookup = std::function<std::optional<KeyInfo>(std::string_view api_key_sid)>;

// The room a participant is joining. A token whose grant names a room must match one of these
// (exact, case-sensitive); if both are unset, such a token matches nothing.
struct RoomBeingJoined {
  std::optional<std::string> unique_name;
  std::optional<std::string> sid;  // RM...
};

struct VerifiedClaims {
  std::string identity;
  std::optional<std::string> room;            // grants.video.room; nullopt = any room
  std::string account_sid;                    // sub
  std::string api_key_sid;                    // iss
  std::optional<core::TimePoint> issued_at;   // iat (twilio-python tokens have none)
  core::TimePoint expires_at;                 // exp
  std::optional<core::TimePoint> not_before;  // nbf
  std::optional<std::string> region;          // header twr
};

// A refused token: Twilio's numeric code plus our stable string code and a message saying
// what is wrong. error.kind is kUnauthenticated, or kForbidden for grant problems (20106: the
// token is genuine but does not allow this). Messages never echo secrets or token contents.
struct TokenError {
  int twilio_code = kTwilioInvalidToken;
  core::Error error;
};

class [[nodiscard]] VerifyResult {
 public:
  VerifyResult(VerifiedClaims claims) : state_(std::move(claims)) {}  // NOLINT: implicit by design
  VerifyResult(TokenError error) : state_(std::move(error)) {}        // NOLINT

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }
  // Accessors assume the caller checked ok() first.
  const VerifiedClaims& value() const { return std::get<0>(state_); }
  const VerifiedClaims* operator->() const { return &value(); }
  const TokenError& error() const { return std::get<1>(state_); }

 private:
  std::variant<VerifiedClaims, TokenError> state_;
};

// Checks a token's structure, header, issuer, signature, time window and Video grants, in that
// order, so the first failing step decides the code (a token with a bad signature and a past
// exp reports 20107).
//
// An `iss` naming no known key gives 20103 (token_unknown_api_key), not 20107: without a secret
// there is no signature to check, and the fault is the issuer. Lifetime above 24 h (20157) is
// measured both as exp - now and, when iat is present, exp - iat.
//
// Thread-safety: verify() is const and stateless; it is as thread-safe as the lookup.
class AccessTokenVerifier {
 public:
  explicit AccessTokenVerifier(KeyLookup lookup) : lookup_(std::move(lookup)) {}

  VerifyResult verify(std::string_view token, core::TimePoint now,
                      const std::optional<RoomBeingJoined>& room = std::nullopt) const;

 private:
  KeyLookup lookup_;
};

}  // namespace roomplane::tokens
