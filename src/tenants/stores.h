#pragma once
// Storage seams of the tenant aggregate, one interface per entity. Implementations:
// storage/sqlite_tenant_stores.h (and PostgreSQL later), checked by one shared contract test.
//
// Every method blocks on I/O: call from WorkPool threads or the CLI. Implementations are
// thread-safe. Tenant-owned data is addressed tenant id first.

#include <optional>
#include <string_view>
#include <vector>

#include "core/ids.h"
#include "core/result.h"
#include "tenants/tenant.h"

namespace roomplane::tenants {

class TenantStore {
 public:
  virtual ~TenantStore() = default;
  // Creates the tenant together with its first API key, atomically.
  virtual core::Status create(const Tenant& tenant, const ApiKey& first_key) = 0;
  virtual core::Result<std::optional<Tenant>> find(const core::TenantId& id) = 0;
  virtual core::Result<std::vector<Tenant>> list() = 0;
  virtual core::Status update_settings(const core::TenantId& id, const TenantSettings& settings,
                                       core::TimePoint now) = 0;
};

class ApiKeyStore {
 public:
  virtual ~ApiKeyStore() = default;
  virtual core::Status add(const ApiKey& key) = 0;
  // not_found when the tenant has no such key; revoking twice keeps the first revocation time.
  virtual core::Status revoke(const core::TenantId& tenant, const core::ApiKeyId& key,
                              core::TimePoint now) = 0;
  virtual core::Result<std::vector<ApiKey>> list(const core::TenantId& tenant) = 0;
  // Authentication look-up; returns revoked keys too (the caller decides).
  virtual core::Result<std::optional<ApiKey>> find_by_hash(std::string_view key_hash) = 0;
};

class CredentialStore {
 public:
  virtual ~CredentialStore() = default;
  virtual core::Status save(const core::TenantId& tenant,
                            const SealedProviderCredentials& credentials) = 0;
  virtual core::Result<std::optional<SealedProviderCredentials>> find(
      const core::TenantId& tenant) = 0;
};

}  // namespace roomplane::tenants
