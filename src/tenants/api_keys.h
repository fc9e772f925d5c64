#pragma once
// Tenant API keys. A key is "rpk_" followed by 40 random base32 characters (200 bits): the
// prefix makes leaked keys recognisable to secret scanners, and the entropy makes a plain
// SHA-256 the right storage hash (a slow password hash buys nothing against 2^200 guesses).

#include <optional>
#include <string>
#include <string_view>

namespace roomplane::tenants {

inline constexpr std::string_view kApiKeyPrefix = "rpk_";

struct NewApiKey {
  std::string plaintext;  // shown once to the operator, never stored
  std::string hash;       // SHA-256 hex
  std::string prefix;     // first 12 characters, safe to display
};

NewApiKey generate_api_key();
std::string hash_api_key(std::string_view plaintext);

// Extracts the key from an Authorization header value "Bearer <key>" (scheme case-insensitive).
// nullopt when the header is malformed or the key does not look like a Roomplane key, so such
// requests are refused without a database look-up.
std::optional<std::string_view> bearer_api_key(std::string_view authorization);
bool looks_like_api_key(std::string_view key);

}  // namespace roomplane::tenants
