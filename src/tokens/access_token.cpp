#include "tokens/access_token.h"

#include <cstdint>

#include <nlohmann/json.hpp>

#include "core/json_text.h"
#include "crypto/crypto.h"

namespace roomplane::tokens {
namespace {

using nlohmann::ordered_json;

bool is_sid(std::string_view sid, std::string_view prefix) {
  if (sid.size() != prefix.size() + 32 || !sid.starts_with(prefix))
    return false;
  for (char c : sid.substr(prefix.size())) {
    const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!hex)
      return false;
  }
  return true;
}

// Rejects overlong forms, surrogates and code points above U+10FFFF, exactly what nlohmann's
// strict serializer would throw on; checking first keeps build() exception-free.
bool is_valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t extra = 0;
    std::uint32_t code_point = 0;
    if (lead < 0x80) {
      ++i;
      continue;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
      extra = 1;
      code_point = lead & 0x1Fu;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      extra = 2;
      code_point = lead & 0x0Fu;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      extra = 3;
      code_point = lead & 0x07u;
    } else {
      return false;
    }
    if (text.size() - i <= extra)
      return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0u) != 0x80u)
        return false;
      code_point = (code_point << 6) | (next & 0x3Fu);
    }
    const bool overlong =
        (extra == 2 && code_point < 0x800) || (extra == 3 && code_point < 0x10000);
    const bool surrogate = code_point >= 0xD800 && code_point <= 0xDFFF;
    if (overlong || surrogate || code_point > 0x10FFFF)
      return false;
    i += extra + 1;
  }
  return true;
}

core::Error invalid(std::string code, std::string message) {
  return core::Error::unprocessable(std::move(code), std::move(message));
}

// Compact, raw UTF-8: the same text JSON.stringify produces for these value types.
std::string dump(const ordered_json& value) {
  return value.dump(-1, ' ', /*ensure_ascii=*/false, ordered_json::error_handler_t::strict);
}

std::optional<core::Error> validate(const AccessTokenRequest& request) {
  if (request.ttl < std::chrono::seconds{1} || request.ttl > kMaxTokenTtl) {
    return invalid("token_ttl_out_of_range",
                   "ttl must be between 1 and 86400 seconds (Twilio rejects tokens that live "
                   "longer than 24 hours); got " +
                       std::to_string(request.ttl.count()));
  }
  if (!is_account_sid(request.account_sid)) {
    return invalid("token_account_sid_invalid",
                   "account_sid must be \"AC\" followed by 32 hex digits");
  }
  if (!is_api_key_sid(request.api_key_sid)) {
    return invalid("token_api_key_sid_invalid",
                   "api_key_sid must be \"SK\" followed by 32 hex digits (an API key, not the "
                   "account SID)");
  }
  if (request.api_key_secret.empty()) {
    return invalid("token_api_key_secret_empty", "api_key_secret must not be empty");
  }
  if (request.identity.empty()) {
    return invalid("token_identity_empty", "identity must not be empty");
  }
  if (request.identity.size() > kMaxIdentityBytes) {
    return invalid("token_identity_too_long", "identity must be at most 128 bytes of UTF-8; got " +
                                                  std::to_string(request.identity.size()));
  }
  if (!is_valid_utf8(request.identity)) {
    return invalid("token_invalid_utf8", "identity must be valid UTF-8");
  }
  if (request.room) {
    if (request.room->empty()) {
      return invalid("token_room_empty",
                     "room must not be empty; leave it unset to allow any room");
    }
    if (!is_valid_utf8(*request.room)) {
      return invalid("token_invalid_utf8", "room must be valid UTF-8");
    }
  }
  if (request.region) {
    if (request.region->empty()) {
      return invalid("token_region_empty",
                     "region must not be empty; leave it unset for the default region");
    }
    if (!is_valid_utf8(*request.region)) {
      return invalid("token_invalid_utf8", "region must be valid UTF-8");
    }
  }
  return std::nullopt;
}

}  // namespace

bool is_account_sid(std::string_view sid) {
  return is_sid(sid, "AC");
}
bool is_api_key_sid(std::string_view sid) {
  return is_sid(sid, "SK");
}

namespace {

ordered_json token_header(const std::optional<std::string>& region) {
  ordered_json header = ordered_json::object();
  header["alg"] = "HS256";
  header["typ"] = "JWT";
  header["cty"] = kTwilioTokenContentType;
  if (region)
    header["twr"] = *region;
  return header;
}

}  // namespace

AccessTokenBuilder::AccessTokenBuilder(const core::Clock& clock)
    : clock_(clock), default_encoded_header_(crypto::base64url_encode(dump(token_header({})))) {}

core::Result<AccessToken> AccessTokenBuilder::build(const AccessTokenRequest& request) const {
  if (auto error = validate(request))
    return std::move(*error);

  // jsonwebtoken floors Date.now() to whole seconds; so do we, so iat/exp/jti match.
  const std::int64_t iat = core::to_unix_seconds(clock_.now());
  const std::int64_t exp = iat + request.ttl.count();
  std::optional<std::int64_t> nbf;
  if (request.not_before) {
    nbf = core::to_unix_seconds(*request.not_before);
    if (*nbf >= exp) {
      return invalid("token_not_before_after_expiry",
                     "not_before must be earlier than the expiry (issue time + ttl), otherwise "
                     "the token is never valid");
    }
  }

  // The payload is written directly rather than built as a JSON document and dumped: this is
  // the token endpoint's hot path, and the document's allocations and generic serializer were
  // most of its own CPU. The text is byte for byte what nlohmann::json::dump wrote before (the
  // official vectors in tests/unit/tokens check it), in twilio-node's key order: jti, grants,
  // [nbf], iat, exp, iss, sub. Every string was checked to be valid UTF-8 above.
  std::string payload;
  payload.reserve(160 + request.identity.size() + (request.room ? request.room->size() : 0));
  payload += "{\"jti\":";
  core::append_json_string(payload, request.api_key_sid + "-" + std::to_string(iat));
  payload += ",\"grants\":{\"identity\":";
  core::append_json_string(payload, request.identity);
  payload += ",\"video\":{";
  if (request.room) {
    payload += "\"room\":";
    core::append_json_string(payload, *request.room);
  }
  payload += "}}";
  if (nbf) {
    payload += ",\"nbf\":";
    payload += std::to_string(*nbf);
  }
  payload += ",\"iat\":";
  payload += std::to_string(iat);
  payload += ",\"exp\":";
  payload += std::to_string(exp);
  payload += ",\"iss\":";
  core::append_json_string(payload, request.api_key_sid);
  payload += ",\"sub\":";
  core::append_json_string(payload, request.account_sid);
  payload += '}';

  std::string signing_input = request.region
                                  ? crypto::base64url_encode(dump(token_header(request.region)))
                                  : default_encoded_header_;
  signing_input += '.';
  signing_input += crypto::base64url_encode(payload);
  const std::string signature = crypto::hmac_sha256(request.api_key_secret, signing_input);
  signing_input += ".";
  signing_input += crypto::base64url_encode(signature);

  return AccessToken{std::move(signing_input), core::from_unix_seconds(iat),
                     core::from_unix_seconds(exp)};
}

}  // namespace roomplane::tokens
