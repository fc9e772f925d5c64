#include "tenants/tenant_admin.h"

#include "crypto/crypto.h"
#include "tenants/api_keys.h"

namespace roomplane::tenants {
namespace {

constexpr std::size_t kMaxNameLength = 200;

core::Status validate_name(const std::string& name) {
  if (name.empty() || name.size() > kMaxNameLength) {
    return core::Error::invalid_argument("invalid_tenant_name",
                                         "tenant name must be 1 to 200 characters");
  }
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return core::Error::invalid_argument("invalid_tenant_name",
                                           "tenant name must not contain control characters");
    }
  }
  return {};
}

ApiKey make_key_record(const core::TenantId& tenant, const NewApiKey& key, core::TimePoint now) {
  return ApiKey{core::ApiKeyId(crypto::random_token(core::kApiKeyIdPrefix, 16)),
                tenant,
                key.hash,
                key.prefix,
                now,
                std::nullopt};
}

}  // namespace

std::string credential_associated_data(const core::TenantId& tenant, std::string_view field) {
  return "roomplane/provider_credentials/" + tenant.value() + "/" + std::string(field);
}

TenantAdmin::TenantAdmin(TenantStore& tenants, ApiKeyStore& keys, CredentialStore& credentials,
                         const crypto::SecretBox& secrets, const core::Clock& clock)
    : tenants_(tenants), keys_(keys), credentials_(credentials), secrets_(secrets), clock_(clock) {}

core::Result<TenantAdmin::CreatedTenant> TenantAdmin::create_tenant(const std::string& name,
                                                                    TenantSettings settings) {
  if (auto s = validate_name(name); !s)
    return std::move(s).take_error();
  if (auto checked = TenantSettings::from_json(settings.to_json()); !checked)
    return std::move(checked).take_error();
  const auto now = clock_.now();
  Tenant tenant{core::TenantId(crypto::random_token(core::kTenantIdPrefix, 20)), name,
                std::move(settings), now};
  const auto key = generate_api_key();
  const auto record = make_key_record(tenant.id, key, now);
  if (auto s = tenants_.create(tenant, record); !s)
    return std::move(s).take_error();
  return CreatedTenant{std::move(tenant), record.id, key.plaintext};
}

core::Result<std::vector<TenantAdmin::TenantSummary>> TenantAdmin::list_tenants() {
  auto all = tenants_.list();
  if (!all)
    return std::move(all).take_error();
  std::vector<TenantSummary> out;
  for (auto& tenant : *all) {
    auto keys = keys_.list(tenant.id);
    if (!keys)
      return std::move(keys).take_error();
    auto creds = credentials_.find(tenant.id);
    if (!creds)
      return std::move(creds).take_error();
    std::optional<std::string> account;
    if (*creds)
      account = (*creds)->account_sid;
    out.push_back(TenantSummary{std::move(tenant), std::move(keys).value(), std::move(account)});
  }
  return out;
}

core::Status TenantAdmin::require_tenant(const core::TenantId& tenant) {
  auto found = tenants_.find(tenant);
  if (!found)
    return std::move(found).take_error();
  if (!*found)
    return core::Error::not_found("tenant_not_found", "no tenant with id " + tenant.value());
  return {};
}

core::Result<TenantAdmin::IssuedKey> TenantAdmin::rotate_key(const core::TenantId& tenant) {
  if (auto s = require_tenant(tenant); !s)
    return std::move(s).take_error();
  const auto key = generate_api_key();
  const auto record = make_key_record(tenant, key, clock_.now());
  if (auto s = keys_.add(record); !s)
    return std::move(s).take_error();
  return IssuedKey{record.id, key.plaintext};
}

core::Status TenantAdmin::revoke_key(const core::TenantId& tenant, const core::ApiKeyId& key) {
  if (auto s = require_tenant(tenant); !s)
    return s;
  return keys_.revoke(tenant, key, clock_.now());
}

core::Status TenantAdmin::set_provider_credentials(const core::TenantId& tenant,
                                                   const ProviderCredentials& c) {
  if (auto s = validate_provider_credentials(c); !s)
    return s;
  if (auto s = require_tenant(tenant); !s)
    return s;
  SealedProviderCredentials sealed{
      c.account_sid, c.api_key_sid,
      secrets_.seal(c.api_key_secret, credential_associated_data(tenant, "api_key_secret")),
      secrets_.seal(c.auth_token, credential_associated_data(tenant, "auth_token")), clock_.now()};
  return credentials_.save(tenant, sealed);
}

core::Result<Tenant> TenantAdmin::update_settings(const core::TenantId& tenant,
                                                  const SettingsUpdate& update) {
  auto found = tenants_.find(tenant);
  if (!found)
    return std::move(found).take_error();
  if (!*found)
    return core::Error::not_found("tenant_not_found", "no tenant with id " + tenant.value());
  Tenant updated = std::move(**found);
  auto json = updated.settings.to_json();
  if (update.alert_url)
    json["alert_url"] = *update.alert_url;
  if (update.composition_layout)
    json["composition_layout"] = *update.composition_layout;
  if (update.composition_format)
    json["composition_format"] = *update.composition_format;
  auto checked = TenantSettings::from_json(json);
  if (!checked)
    return std::move(checked).take_error();
  if (auto s = tenants_.update_settings(tenant, *checked, clock_.now()); !s)
    return std::move(s).take_error();
  updated.settings = std::move(checked).value();
  return updated;
}

}  // namespace roomplane::tenants
