#include "tenants/api_keys.h"

#include <algorithm>

#include "crypto/crypto.h"

namespace roomplane::tenants {
namespace {
constexpr std::size_t kRandomChars = 40;
constexpr std::size_t kDisplayPrefixChars = 12;
}  // namespace

NewApiKey generate_api_key() {
  NewApiKey key;
  key.plaintext = crypto::random_token(kApiKeyPrefix, kRandomChars);
  key.hash = hash_api_key(key.plaintext);
  key.prefix = key.plaintext.substr(0, kDisplayPrefixChars);
  return key;
}

std::string hash_api_key(std::string_view plaintext) {
  return crypto::sha256_hex(plaintext);
}

bool looks_like_api_key(std::string_view key) {
  return key.size() == kApiKeyPrefix.size() + kRandomChars && key.starts_with(kApiKeyPrefix) &&
         std::all_of(key.begin() + static_cast<std::ptrdiff_t>(kApiKeyPrefix.size()), key.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '2' && c <= '7'); });
}

std::optional<std::string_view> bearer_api_key(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size())
    return std::nullopt;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    const char c = authorization[i];
    if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c) != kScheme[i])
      return std::nullopt;
  }
  auto key = authorization.substr(kScheme.size());
  while (!key.empty() && key.front() == ' ')
    key.remove_prefix(1);
  while (!key.empty() && key.back() == ' ')
    key.remove_suffix(1);
  if (!looks_like_api_key(key))
    return std::nullopt;
  return key;
}

}  // namespace roomplane::tenants
