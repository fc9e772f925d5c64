#include "tokens/access_token_verifier.h"

#include <nlohmann/json.hpp>

#include "crypto/crypto.h"
#include "tokens/access_token.h"

namespace roomplane::tokens {
namespace {

using nlohmann::json;

// Time claims beyond 2100-01-01 are refused: no real token needs them, and it keeps the
// conversion to TimePoint (nanoseconds since the epoch in libstdc++) far from overflow.
constexpr std::int64_t kMaxClaimSeconds = 4'102'444'800;

TokenError fail(int twilio_code, std::string code, std::string message) {
  const auto kind = twilio_code == kTwilioInvalidGrants ? core::ErrorKind::kForbidden
                                                        : core::ErrorKind::kUnauthenticated;
  return TokenError{twilio_code, core::Error{kind, std::move(code), std::move(message)}};
}

TokenError malformed(std::string message) {
  return fail(kTwilioInvalidToken, "token_malformed", std::move(message));
}

// base64url (strict, unpadded) then JSON; nullopt unless the result is a JSON object.
// json::parse without exceptions also rejects invalid UTF-8 and out-of-range numbers. A NUL
// byte can never occur in JSON text, but nlohmann's lexer stops at one as if at the end, so
// "{}\0anything" would parse; such bytes are refused first.
std::optional<json> decode_object(std::string_view segment) {
  const auto bytes = crypto::base64url_decode(segment);
  if (!bytes || bytes->find('\0') != std::string::npos)
    return std::nullopt;
  json value = json::parse(*bytes, nullptr, /*allow_exceptions=*/false);
  if (!value.is_object())
    return std::nullopt;
  return value;
}

const json* member(const json& object, const char* key) {
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

const std::string* string_member(const json& object, const char* key) {
  const json* value = member(object, key);
  return value != nullptr && value->is_string() ? value->get_ptr<const std::string*>() : nullptr;
}

// Whole seconds in [0, kMaxClaimSeconds]; floats, strings and the like are refused.
std::optional<std::int64_t> time_claim(const json& value) {
  if (value.is_number_unsigned()) {
    const auto seconds = value.get<std::uint64_t>();
    if (seconds > static_cast<std::uint64_t>(kMaxClaimSeconds))
      return std::nullopt;
    return static_cast<std::int64_t>(seconds);
  }
  if (value.is_number_integer()) {
    const auto seconds = value.get<std::int64_t>();
    if (seconds < 0 || seconds > kMaxClaimSeconds)
      return std::nullopt;
    return seconds;
  }
  return std::nullopt;
}

bool header_field_is(const json& header, const char* key, std::string_view expected) {
  const std::string* value = string_member(header, key);
  return value != nullptr && *value == expected;
}

}  // namespace

VerifyResult AccessTokenVerifier::verify(std::string_view token, core::TimePoint now,
                                         const std::optional<RoomBeingJoined>& room) const {
  // 1. Structure.
  if (token.size() > kMaxTokenBytes) {
    return fail(kTwilioInvalidToken, "token_too_large",
                "access token is larger than 8 KiB; a Video token is far smaller");
  }
  const auto first_dot = token.find('.');
  const auto second_dot =
      first_dot == std::string_view::npos ? std::string_view::npos : token.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos ||
      token.find('.', second_dot + 1) != std::string_view::npos) {
    return malformed("access token must be a JWT of three dot-separated segments");
  }
  const std::string_view signing_input = token.substr(0, second_dot);
  const std::string_view signature = token.substr(second_dot + 1);
  const auto header = decode_object(token.substr(0, first_dot));
  if (!header)
    return malformed("JWT header is not a base64url-encoded JSON object");
  const auto payload = decode_object(signing_input.substr(first_dot + 1));
  if (!payload)
    return malformed("JWT payload is not a base64url-encoded JSON object");

  // 2. Header: only Twilio's own token type, and only HS256 (this also refuses "none").
  if (!header_field_is(*header, "alg", "HS256")) {
    return fail(kTwilioInvalidHeader, "token_invalid_header", "JWT header alg must be \"HS256\"");
  }
  if (!header_field_is(*header, "typ", "JWT")) {
    return fail(kTwilioInvalidHeader, "token_invalid_header", "JWT header typ must be \"JWT\"");
  }
  if (!header_field_is(*header, "cty", kTwilioTokenContentType)) {
    return fail(kTwilioInvalidHeader, "token_invalid_header",
                "JWT header cty must be \"twilio-fpa;v=1\" (a Twilio access token)");
  }
  const json* region = member(*header, "twr");
  if (region != nullptr && !region->is_string()) {
    return fail(kTwilioInvalidHeader, "token_invalid_header",
                "JWT header twr must be a region string");
  }

  // 3. Issuer and subject.
  const std::string* iss = string_member(*payload, "iss");
  if (iss == nullptr || !is_api_key_sid(*iss)) {
    return fail(kTwilioInvalidIssuer, "token_invalid_issuer",
                "iss must be the SID of the API key (SK...) that signed the token");
  }
  const std::optional<KeyInfo> key = lookup_ ? lookup_(*iss) : std::nullopt;
  if (!key) {
    return fail(kTwilioInvalidIssuer, "token_unknown_api_key",
                "iss names an API key that does not exist; sign with an existing key");
  }
  const std::string* sub = string_member(*payload, "sub");
  if (sub == nullptr || *sub != key->account_sid) {
    return fail(kTwilioInvalidIssuer, "token_invalid_subject",
                "sub must be the SID of the account that owns the signing API key");
  }

  // 4. Signature over the segments exactly as received; re-serialising would change bytes.
  const std::string expected =
      crypto::base64url_encode(crypto::hmac_sha256(key->secret, signing_input));
  if (!crypto::constant_time_equals(expected, signature)) {
    return fail(kTwilioInvalidSignature, "token_invalid_signature",
                "signature does not match; sign with the secret of the API key named in iss");
  }

  // 5. Time window. All claims are parsed before any is compared, so the order of the
  // comparisons below (exp, nbf, lifetime) alone decides which error wins.
  const json* exp_json = member(*payload, "exp");
  const auto exp = exp_json != nullptr ? time_claim(*exp_json) : std::nullopt;
  if (!exp) {
    return fail(kTwilioExpired, "token_invalid_expiry",
                "exp must be present as whole Unix seconds no later than the year 2100");
  }
  std::optional<std::int64_t> iat;
  if (const json* iat_json = member(*payload, "iat")) {
    iat = time_claim(*iat_json);
    if (!iat) {
      return fail(kTwilioInvalidToken, "token_invalid_issued_at",
                  "iat, when present, must be whole Unix seconds");
    }
  }
  std::optional<std::int64_t> nbf;
  if (const json* nbf_json = member(*payload, "nbf")) {
    nbf = time_claim(*nbf_json);
    if (!nbf) {
      return fail(kTwilioNotYetValid, "token_invalid_not_before",
                  "nbf, when present, must be whole Unix seconds");
    }
  }
  const std::int64_t now_seconds = core::to_unix_seconds(now);
  if (now_seconds >= *exp) {  // jsonwebtoken treats exp itself as expired
    return fail(kTwilioExpired, "token_expired", "access token has expired; issue a new one");
  }
  if (nbf && now_seconds < *nbf) {
    return fail(kTwilioNotYetValid, "token_not_yet_valid",
                "access token is not valid yet (nbf is in the future)");
  }
  const std::int64_t max_ttl = kMaxTokenTtl.count();
  if (*exp - now_seconds > max_ttl || (iat && *exp - *iat > max_ttl)) {
    return fail(kTwilioLifetimeTooLong, "token_lifetime_too_long",
                "access token lifetime exceeds the 24 hour maximum; use a ttl of at most 86400 s");
  }

  // 6. Video grants.
  const json* grants = member(*payload, "grants");
  if (grants == nullptr || !grants->is_object()) {
    return fail(kTwilioInvalidGrants, "token_missing_grants", "token has no grants object");
  }
  const std::string* identity = string_member(*grants, "identity");
  if (identity == nullptr || identity->empty()) {
    return fail(kTwilioInvalidGrants, "token_missing_identity",
                "grants.identity must be a non-empty string");
  }
  if (identity->size() > kMaxIdentityBytes) {
    return fail(kTwilioInvalidGrants, "token_identity_too_long",
                "grants.identity must be at most 128 bytes");
  }
  const json* video = member(*grants, "video");
  if (video == nullptr || !video->is_object()) {
    return fail(kTwilioInvalidGrants, "token_missing_video_grant",
                "token has no Video grant (grants.video); add a VideoGrant");
  }
  std::optional<std::string> granted_room;
  if (const json* room_json = member(*video, "room")) {
    if (!room_json->is_string() || room_json->get_ref<const std::string&>().empty()) {
      return fail(kTwilioInvalidGrants, "token_invalid_video_grant",
                  "grants.video.room must be a non-empty string, or absent for any room");
    }
    granted_room = room_json->get<std::string>();
  }
  if (granted_room && room) {
    const bool matches = room->unique_name == granted_room || room->sid == granted_room;
    if (!matches) {
      return fail(kTwilioInvalidGrants, "token_room_mismatch",
                  "token grants access to a different room than the one being joined");
    }
  }

  VerifiedClaims claims;
  claims.identity = *identity;
  claims.room = std::move(granted_room);
  claims.account_sid = *sub;
  claims.api_key_sid = *iss;
  if (iat)
    claims.issued_at = core::from_unix_seconds(*iat);
  claims.expires_at = core::from_unix_seconds(*exp);
  if (nbf)
    claims.not_before = core::from_unix_seconds(*nbf);
  if (region != nullptr)
    claims.region = region->get<std::string>();
  return claims;
}

}  // namespace roomplane::tokens
