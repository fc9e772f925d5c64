#pragma once
// SQLite implementations of the tenant aggregate's stores (tenants/stores.h).

#include "storage/sqlite_database.h"
#include "tenants/stores.h"

namespace roomplane::storage {

class SqliteTenantStore final : public tenants::TenantStore {
 public:
  explicit SqliteTenantStore(SqliteDatabase& db) : db_(db) {}
  core::Status create(const tenants::Tenant& tenant, const tenants::ApiKey& first_key) override;
  core::Result<std::optional<tenants::Tenant>> find(const core::TenantId& id) override;
  core::Result<std::vector<tenants::Tenant>> list() override;
  core::Status update_settings(const core::TenantId& id, const tenants::TenantSettings& settings,
                               core::TimePoint now) override;

 private:
  SqliteDatabase& db_;
};

class SqliteApiKeyStore final : public tenants::ApiKeyStore {
 public:
  explicit SqliteApiKeyStore(SqliteDatabase& db) : db_(db) {}
  core::Status add(const tenants::ApiKey& key) override;
  core::Status revoke(const core::TenantId& tenant, const core::ApiKeyId& key,
                      core::TimePoint now) override;
  core::Result<std::vector<tenants::ApiKey>> list(const core::TenantId& tenant) override;
  core::Result<std::optional<tenants::ApiKey>> find_by_hash(std::string_view key_hash) override;

 private:
  SqliteDatabase& db_;
};

class SqliteCredentialStore final : public tenants::CredentialStore {
 public:
  explicit SqliteCredentialStore(SqliteDatabase& db) : db_(db) {}
  core::Status save(const core::TenantId& tenant,
                    const tenants::SealedProviderCredentials& credentials) override;
  core::Result<std::optional<tenants::SealedProviderCredentials>> find(
      const core::TenantId& tenant) override;

 private:
  SqliteDatabase& db_;
};

}  // namespace roomplane::storage
