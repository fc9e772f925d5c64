#pragma once
// Shared by the tokens tests: the fake credentials used by the vectors, the vectors file, and
// a signer for hand-written JWTs (to build tokens the builder would refuse to mint).

#include <fstream>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "crypto/crypto.h"
#include "tokens/access_token_verifier.h"

namespace roomplane::tokens::test {

inline const std::string kAccountSid = "AC" + std::string(32, 'a');
inline const std::string kApiKeySid = "SK" + std::string(32, 'b');
inline const std::string kSecret(32, 'c');
inline constexpr std::string_view kTwilioHeader =
    R"({"alg":"HS256","typ":"JWT","cty":"twilio-fpa;v=1"})";

inline nlohmann::json load_access_token_vectors() {
  std::ifstream in(ROOMPLANE_VECTORS_DIR "/access-tokens.json");
  return nlohmann::json::parse(in);  // throws (and fails the test) if missing or broken
}

// Signs arbitrary header/payload text exactly as given.
inline std::string sign_jwt(std::string_view header_json, std::string_view payload_json,
                            std::string_view secret = kSecret) {
  const std::string signing_input =
      crypto::base64url_encode(header_json) + "." + crypto::base64url_encode(payload_json);
  return signing_input + "." + crypto::base64url_encode(crypto::hmac_sha256(secret, signing_input));
}

// A lookup that knows exactly one key.
inline KeyLookup single_key(std::string api_key_sid = kApiKeySid, std::string secret = kSecret,
                            std::string account_sid = kAccountSid) {
  return [=](std::string_view sid) -> std::optional<KeyInfo> {
    if (sid != api_key_sid)
      return std::nullopt;
    return KeyInfo{secret, account_sid};
  };
}

}  // namespace roomplane::tokens::test
