#pragma once
// The tenant aggregate: a platform using Roomplane, its API keys and its provider credentials.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/ids.h"
#include "core/result.h"

namespace roomplane::tenants {

struct TenantSettings {
  // Bounds for access-token lifetimes a tenant may request (Twilio's cap is 24 h).
  std::int64_t token_ttl_min_seconds = 60;
  std::int64_t token_ttl_max_seconds = 4 * 3600;
  std::int64_t token_ttl_default_seconds = 3600;
  // Identities this tenant reserves in addition to the built-in blocklist (case-insensitive).
  std::vector<std::string> reserved_identities;
  // How recorded rooms are composed (video::CompositionLayout / CompositionFormat spellings):
  // "grid" or "audio_only"; "mp4" or "webm".
  std::string composition_layout = "grid";
  std::string composition_format = "mp4";
  // Where signed alerts (a stalled or failed composition) are POSTed; empty: alerts are only
  // logged and counted. http:// or https:// URL.
  std::string alert_url;

  nlohmann::json to_json() const;
  // Unknown fields are ignored; present fields are type- and range-checked.
  static core::Result<TenantSettings> from_json(const nlohmann::json& json);
};

struct Tenant {
  core::TenantId id;
  std::string name;
  TenantSettings settings;
  core::TimePoint created_at;
};

struct ApiKey {
  core::ApiKeyId id;
  core::TenantId tenant_id;
  std::string key_hash;    // SHA-256 hex of the full key
  std::string key_prefix;  // recognisable head of the key, safe to show
  core::TimePoint created_at;
  std::optional<core::TimePoint> revoked_at;

  bool active() const { return !revoked_at.has_value(); }
};

// Provider credentials in clear: held in memory only, never logged, never stored like this.
struct ProviderCredentials {
  std::string account_sid;
  std::string api_key_sid;
  std::string api_key_secret;
  std::string auth_token;
};

// Provider credentials as stored: secrets sealed with the master key.
struct SealedProviderCredentials {
  std::string account_sid;
  std::string api_key_sid;
  std::string api_key_secret_sealed;
  std::string auth_token_sealed;
  core::TimePoint updated_at;
};

// Checks Twilio's formats (AC/SK + 32 hex characters, 32-hex auth token, non-empty secret).
core::Status validate_provider_credentials(const ProviderCredentials& credentials);

}  // namespace roomplane::tenants
