#pragma once
// Operator actions on tenants: what `roomplane tenant ...` runs. Blocking (store I/O); used by
// the CLI and by the server's first-start demo tenant. Thread-safe if the stores are.

#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "crypto/secret_box.h"
#include "tenants/stores.h"

namespace roomplane::tenants {

// Associated data that binds a sealed secret to its tenant and field (see crypto::SecretBox).
std::string credential_associated_data(const core::TenantId& tenant, std::string_view field);

class TenantAdmin {
 public:
  TenantAdmin(TenantStore& tenants, ApiKeyStore& keys, CredentialStore& credentials,
              const crypto::SecretBox& secrets, const core::Clock& clock);

  struct CreatedTenant {
    Tenant tenant;
    core::ApiKeyId key_id;
    std::string api_key;  // plaintext, to print once
  };
  core::Result<CreatedTenant> create_tenant(const std::string& name, TenantSettings settings = {});

  struct TenantSummary {
    Tenant tenant;
    std::vector<ApiKey> keys;
    std::optional<std::string> provider_account_sid;  // set when credentials are configured
  };
  core::Result<std::vector<TenantSummary>> list_tenants();

  struct IssuedKey {
    core::ApiKeyId key_id;
    std::string api_key;  // plaintext, to print once
  };
  // Adds a new active key; existing keys keep working until revoked.
  core::Result<IssuedKey> rotate_key(const core::TenantId& tenant);
  core::Status revoke_key(const core::TenantId& tenant, const core::ApiKeyId& key);
  core::Status set_provider_credentials(const core::TenantId& tenant,
                                        const ProviderCredentials& credentials);

  // The settings `roomplane tenant configure` changes; unset fields keep their stored value.
  // An empty alert_url clears it (alerts are then only logged and counted).
  struct SettingsUpdate {
    std::optional<std::string> alert_url;
    std::optional<std::string> composition_layout;  // "grid" | "audio_only"
    std::optional<std::string> composition_format;  // "mp4" | "webm"
  };
  // Applies `update` to the stored settings, checks the result as TenantSettings::from_json
  // does (kInvalidArgument "invalid_tenant_settings", nothing stored) and stores it; returns the
  // tenant as now stored. not_found "tenant_not_found" for an unknown tenant. Read-modify-write:
  // two concurrent updates of one tenant may lose one (operators, not request paths, call it).
  // Running servers see the change when their tenant cache entry expires.
  core::Result<Tenant> update_settings(const core::TenantId& tenant, const SettingsUpdate& update);

 private:
  core::Status require_tenant(const core::TenantId& tenant);

  TenantStore& tenants_;
  ApiKeyStore& keys_;
  CredentialStore& credentials_;
  const crypto::SecretBox& secrets_;
  const core::Clock& clock_;
};

}  // namespace roomplane::tenants
