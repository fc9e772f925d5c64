#pragma once
// Authenticated encryption of small secrets at rest (tenant Twilio credentials) with
// AES-256-GCM. Each value gets a fresh 96-bit nonce; the associated data binds a ciphertext to
// the row and column it belongs to, so a ciphertext copied into another tenant's row fails to
// open instead of decrypting to the wrong tenant's secret.
//
// Sealed format (text, safe for a TEXT column): "v1:" + base64(nonce || ciphertext || tag).

#include <string>
#include <string_view>

#include "core/result.h"

namespace roomplane::crypto {

class SecretBox {
 public:
  static constexpr std::size_t kKeySize = 32;

  // The key must be exactly 32 bytes.
  static core::Result<SecretBox> from_key(std::string key);

  std::string seal(std::string_view plaintext, std::string_view associated_data) const;
  core::Result<std::string> open(std::string_view sealed, std::string_view associated_data) const;

 private:
  explicit SecretBox(std::string key) : key_(std::move(key)) {}
  std::string key_;
};

// Parses a master key given as 64 hex characters or as base64 of 32 bytes.
core::Result<std::string> parse_master_key(std::string_view text);

// Reads the master key file at `path`, or creates it with a new random key and mode 0600 when
// it does not exist. Refuses a file that others can read: a leaked master key exposes every
// tenant's Twilio credentials.
core::Result<std::string> load_or_create_key_file(const std::string& path);

}  // namespace roomplane::crypto
