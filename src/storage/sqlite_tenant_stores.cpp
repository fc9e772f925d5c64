#include "storage/sqlite_tenant_stores.h"

#include <chrono>

#include "storage/time_columns.h"

namespace roomplane::storage {
namespace {

using sqlite::Connection;
using sqlite::Statement;

core::Result<tenants::Tenant> read_tenant(const Statement& row) {
  auto settings_json = nlohmann::json::parse(row.text(2), nullptr, false);
  auto settings = tenants::TenantSettings::from_json(settings_json);
  if (!settings) {
    return core::Error::internal("tenant " + row.text(0) +
                                 " has unreadable settings: " + settings.error().message);
  }
  return tenants::Tenant{core::TenantId(row.text(0)), row.text(1), std::move(settings).value(),
                         from_millis(row.int64(3))};
}

tenants::ApiKey read_key(const Statement& row) {
  std::optional<core::TimePoint> revoked;
  if (auto r = row.optional_int64(5))
    revoked = from_millis(*r);
  return tenants::ApiKey{core::ApiKeyId(row.text(1)),
                         core::TenantId(row.text(0)),
                         row.text(2),
                         row.text(3),
                         from_millis(row.int64(4)),
                         revoked};
}

core::Status insert_key(Connection& c, const tenants::ApiKey& key) {
  auto stmt = c.prepare(
      "INSERT INTO api_keys (tenant_id, key_id, key_hash, key_prefix, created_at, revoked_at) "
      "VALUES (?, ?, ?, ?, ?, NULL)");
  if (!stmt)
    return std::move(stmt).take_error();
  (*stmt)
      ->bind(1, key.tenant_id.value())
      .bind(2, key.id.value())
      .bind(3, key.key_hash)
      .bind(4, key.key_prefix)
      .bind(5, to_millis(key.created_at));
  return (*stmt)->run();
}

constexpr const char* kKeyColumns =
    "tenant_id, key_id, key_hash, key_prefix, created_at, revoked_at";

}  // namespace

core::Status SqliteTenantStore::create(const tenants::Tenant& tenant,
                                       const tenants::ApiKey& first_key) {
  return db_.write([&](Connection& c) -> core::Status {
    auto stmt = c.prepare(
        "INSERT INTO tenants (tenant_id, name, settings, created_at, updated_at) VALUES (?, ?, ?, "
        "?, ?)");
    if (!stmt)
      return std::move(stmt).take_error();
    const auto created = to_millis(tenant.created_at);
    (*stmt)
        ->bind(1, tenant.id.value())
        .bind(2, tenant.name)
        .bind(3, tenant.settings.to_json().dump())
        .bind(4, created)
        .bind(5, created);
    if (auto s = (*stmt)->run(); !s)
      return s;
    return insert_key(c, first_key);
  });
}

core::Result<std::optional<tenants::Tenant>> SqliteTenantStore::find(const core::TenantId& id) {
  return db_.read([&](Connection& c) -> core::Result<std::optional<tenants::Tenant>> {
    auto stmt =
        c.prepare("SELECT tenant_id, name, settings, created_at FROM tenants WHERE tenant_id = ?");
    if (!stmt)
      return std::move(stmt).take_error();
    (*stmt)->bind(1, id.value());
    auto row = (*stmt)->step();
    if (!row)
      return std::move(row).take_error();
    if (!*row)
      return std::optional<tenants::Tenant>();
    auto tenant = read_tenant(**stmt);
    if (!tenant)
      return std::move(tenant).take_error();
    return std::optional<tenants::Tenant>(std::move(tenant).value());
  });
}

core::Result<std::vector<tenants::Tenant>> SqliteTenantStore::list() {
  return db_.read([&](Connection& c) -> core::Result<std::vector<tenants::Tenant>> {
    auto stmt = c.prepare(
        "SELECT tenant_id, name, settings, created_at FROM tenants ORDER BY created_at, tenant_id");
    if (!stmt)
      return std::move(stmt).take_error();
    std::vector<tenants::Tenant> out;
    while (true) {
      auto row = (*stmt)->step();
      if (!row)
        return std::move(row).take_error();
      if (!*row)
        break;
      auto tenant = read_tenant(**stmt);
      if (!tenant)
        return std::move(tenant).take_error();
      out.push_back(std::move(tenant).value());
    }
    return out;
  });
}

core::Status SqliteTenantStore::update_settings(const core::TenantId& id,
                                                const tenants::TenantSettings& settings,
                                                core::TimePoint now) {
  return db_.write([&](Connection& c) -> core::Status {
    auto stmt = c.prepare("UPDATE tenants SET settings = ?, updated_at = ? WHERE tenant_id = ?");
    if (!stmt)
      return std::move(stmt).take_error();
    (*stmt)->bind(1, settings.to_json().dump()).bind(2, to_millis(now)).bind(3, id.value());
    if (auto s = (*stmt)->run(); !s)
      return s;
    if ((*stmt)->changes() == 0)
      return core::Error::not_found("tenant_not_found", "no tenant with id " + id.value());
    return {};
  });
}

core::Status SqliteApiKeyStore::add(const tenants::ApiKey& key) {
  return db_.write([&](Connection& c) { return insert_key(c, key); });
}

core::Status SqliteApiKeyStore::revoke(const core::TenantId& tenant, const core::ApiKeyId& key,
                                       core::TimePoint now) {
  return db_.write([&](Connection& c) -> core::Status {
    auto stmt = c.prepare(
        "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE tenant_id = ? AND key_id = "
        "?");
    if (!stmt)
      return std::move(stmt).take_error();
    (*stmt)->bind(1, to_millis(now)).bind(2, tenant.value()).bind(3, key.value());
    if (auto s = (*stmt)->run(); !s)
      return s;
    if ((*stmt)->changes() == 0) {
      return core::Error::not_found("api_key_not_found",
                                    "tenant " + tenant.value() + " has no key " + key.value());
    }
    return {};
  });
}

core::Result<std::vector<tenants::ApiKey>> SqliteApiKeyStore::list(const core::TenantId& tenant) {
  return db_.read([&](Connection& c) -> core::Result<std::vector<tenants::ApiKey>> {
    auto stmt = c.prepare(std::string("SELECT ") + kKeyColumns +
                          " FROM api_keys WHERE tenant_id = ? ORDER BY created_at, key_id");
    if (!stmt)
      return std::move(stmt).take_error();
    (*stmt)->bind(1, tenant.value());
    std::vector<tenants::ApiKey> out;
    while (true) {
      auto row = (*stmt)->step();
      if (!row)
        return std::move(row).take_error();
      if (!*row)
        break;
      out.push_back(read_key(**stmt));
    }
    return out;
  });
}

core::Result<std::optional<tenants::ApiKey>> SqliteApiKeyStore::find_by_hash(
    std::string_view key_hash) {
  return db_.read([&](Connection& c) -> core::Result<std::optional<tenants::ApiKey>> {
    auto stmt =
        c.prepare(std::string("SELECT ") + kKeyColumns + " FROM api_keys WHERE key_hash = ?");
    if (!stmt)
      return std::move(stmt).take_error();
    (*stmt)->bind(1, key_hash);
    auto row = (*stmt)->step();
    if (!row)
      return std::move(row).take_error();
    if (!*row)
      return std::optional<tenants::ApiKey>();
    return std::optional<tenants::ApiKey>(read_key(**stmt));
  });
}

core::Status SqliteCredentialStore::save(const core::TenantId& tenant,
                                         const tenants::SealedProviderCredentials& c) {
  return db_.write([&](Connection& conn) -> core::Status {
    auto stmt = conn.prepare(
        "INSERT INTO provider_credentials (tenant_id, account_sid, api_key_sid, "
        "api_key_secret_sealed, "
        "auth_token_sealed, updated_at) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (tenant_id) DO UPDATE SET account_sid = excluded.account_sid, "
        "api_key_sid = excluded.api_key_sid, api_key_secret_sealed = "
        "excluded.api_key_secret_sealed, "
        "auth_token_sealed = excluded.auth_token_sealed, updated_at = excluded.updated_at");
    if (!stmt)
      return std::move(stmt).take_error();
    (*stmt)
        ->bind(1, tenant.value())
        .bind(2, c.account_sid)
        .bind(3, c.api_key_sid)
        .bind(4, c.api_key_secret_sealed)
        .bind(5, c.auth_token_sealed)
        .bind(6, to_millis(c.updated_at));
    return (*stmt)->run();
  });
}

core::Result<std::optional<tenants::SealedProviderCredentials>> SqliteCredentialStore::find(
    const core::TenantId& tenant) {
  return db_.read(
      [&](Connection& c) -> core::Result<std::optional<tenants::SealedProviderCredentials>> {
        auto stmt = c.prepare(
            "SELECT account_sid, api_key_sid, api_key_secret_sealed, auth_token_sealed, updated_at "
            "FROM provider_credentials WHERE tenant_id = ?");
        if (!stmt)
          return std::move(stmt).take_error();
        (*stmt)->bind(1, tenant.value());
        auto row = (*stmt)->step();
        if (!row)
          return std::move(row).take_error();
        if (!*row)
          return std::optional<tenants::SealedProviderCredentials>();
        const auto& r = **stmt;
        return std::optional<tenants::SealedProviderCredentials>(tenants::SealedProviderCredentials{
            r.text(0), r.text(1), r.text(2), r.text(3), from_millis(r.int64(4))});
      });
}

}  // namespace roomplane::storage
