#pragma once
// Operator actions on tenants: what `roomplane tenant ...` runs. Blocking (store I/O); used by
// the CLI and by the server's first-start demo tenant. Thread-safe if the stores are.

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

 private:
  core::Status require_tenant(const core::TenantId& tenant);

  TenantStore& tenants_;
  ApiKeyStore& keys_;
  CredentialStore& credentials_;
  const crypto::SecretBox& secrets_;
  const core::Clock& clock_;
};

}  // namespace roomplane::tenants
