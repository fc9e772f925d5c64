#pragma once
// Thin, allocation-friendly wrappers over OpenSSL for the primitives Roomplane needs. Byte
// strings are std::string (binary-safe) so callers need no vendor types. All functions are
// thread-safe.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace roomplane::crypto {

// Cryptographically secure random bytes (RAND_bytes). Aborts if the RNG fails: continuing
// without randomness would mint guessable keys.
std::string random_bytes(std::size_t count);

// A random id: prefix followed by `random_chars` lowercase base32 characters.
std::string random_token(std::string_view prefix, std::size_t random_chars);

std::array<std::uint8_t, 32> sha256(std::string_view data);
std::string sha256_hex(std::string_view data);

std::string hmac_sha256(std::string_view key, std::string_view message);  // 32 raw bytes
std::string hmac_sha1(std::string_view key, std::string_view message);    // 20 raw bytes

// Constant-time comparison for secrets; false when lengths differ.
bool constant_time_equals(std::string_view a, std::string_view b);

std::string hex_encode(std::string_view bytes);
std::optional<std::string> hex_decode(std::string_view hex);

// Standard base64 with padding (RFC 4648 section 4).
std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);

// base64url without padding (RFC 4648 section 5), as used in JWTs.
std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace roomplane::crypto
