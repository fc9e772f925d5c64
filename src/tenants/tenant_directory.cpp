#include "tenants/tenant_directory.h"

#include "tenants/api_keys.h"
#include "tenants/tenant_admin.h"

namespace roomplane::tenants {

namespace {
constexpr std::array<std::string_view, 3> kCacheNames = {"api_key", "tenant",
                                                         "provider_credentials"};
}  // namespace

TenantDirectory::TenantDirectory(TenantStore& tenants, ApiKeyStore& keys,
                                 CredentialStore& credentials, const crypto::SecretBox& secrets,
                                 const core::Clock& clock, std::chrono::milliseconds ttl,
                                 observability::MetricsRegistry& metrics)
    : tenants_(tenants),
      keys_(keys),
      credentials_(credentials),
      secrets_(secrets),
      key_cache_(clock, ttl),
      tenant_cache_(clock, ttl),
      credential_cache_(clock, ttl) {
  for (std::size_t i = 0; i < 3; ++i) {
    const std::string cache(kCacheNames[i]);
    const char* help = "Tenant directory cache look-ups by cache and result.";
    hits_[i] = &metrics.counter("roomplane_tenant_cache_requests_total", help,
                                {{"cache", cache}, {"result", "hit"}});
    misses_[i] = &metrics.counter("roomplane_tenant_cache_requests_total", help,
                                  {{"cache", cache}, {"result", "miss"}});
  }
}

void TenantDirectory::count(Cache cache, bool hit) const {
  const auto i = static_cast<std::size_t>(cache);
  (hit ? hits_[i] : misses_[i])->inc();
}

std::optional<core::Result<Principal>> TenantDirectory::authenticate_cached(
    std::string_view api_key) const {
  if (!looks_like_api_key(api_key))
    return core::Result<Principal>(core::Error::unauthenticated());
  auto verdict = key_cache_.get(hash_api_key(api_key));
  count(Cache::kApiKey, verdict.has_value());
  if (!verdict)
    return std::nullopt;
  if (!verdict->principal)
    return core::Result<Principal>(core::Error::unauthenticated());
  return core::Result<Principal>(*verdict->principal);
}

core::Result<Principal> TenantDirectory::authenticate(std::string_view api_key) {
  if (!looks_like_api_key(api_key))
    return core::Error::unauthenticated();
  const auto hash = hash_api_key(api_key);
  if (auto verdict = key_cache_.get(hash)) {
    count(Cache::kApiKey, true);
    if (!verdict->principal)
      return core::Error::unauthenticated();
    return *verdict->principal;
  }
  count(Cache::kApiKey, false);
  auto found = keys_.find_by_hash(hash);
  if (!found)
    return std::move(found).take_error();  // store trouble is a 503, not a 401
  CachedVerdict verdict;
  if (*found && (*found)->active())
    verdict.principal = Principal{(*found)->tenant_id, (*found)->id};
  key_cache_.put(hash, verdict);
  if (!verdict.principal)
    return core::Error::unauthenticated();
  return *verdict.principal;
}

core::Result<Tenant> TenantDirectory::tenant(const core::TenantId& id) {
  if (auto cached = tenant_cache_.get(id)) {
    count(Cache::kTenant, true);
    return *cached;
  }
  count(Cache::kTenant, false);
  auto found = tenants_.find(id);
  if (!found)
    return std::move(found).take_error();
  if (!*found)
    return core::Error::not_found("tenant_not_found", "no such tenant");
  tenant_cache_.put(id, **found);
  return **found;
}

std::optional<Tenant> TenantDirectory::tenant_cached(const core::TenantId& id) const {
  auto cached = tenant_cache_.get(id);
  if (cached)
    count(Cache::kTenant, true);
  return cached;
}

std::optional<std::optional<ProviderCredentials>> TenantDirectory::provider_credentials_cached(
    const core::TenantId& id) const {
  auto cached = credential_cache_.get(id);
  if (cached)
    count(Cache::kProviderCredentials, true);
  return cached;
}

core::Result<std::optional<ProviderCredentials>> TenantDirectory::provider_credentials(
    const core::TenantId& id) {
  if (auto cached = credential_cache_.get(id)) {
    count(Cache::kProviderCredentials, true);
    return *cached;
  }
  count(Cache::kProviderCredentials, false);
  auto found = credentials_.find(id);
  if (!found)
    return std::move(found).take_error();
  std::optional<ProviderCredentials> result;
  if (*found) {
    const auto& sealed = **found;
    auto secret = secrets_.open(sealed.api_key_secret_sealed,
                                credential_associated_data(id, "api_key_secret"));
    if (!secret)
      return std::move(secret).take_error();
    auto token =
        secrets_.open(sealed.auth_token_sealed, credential_associated_data(id, "auth_token"));
    if (!token)
      return std::move(token).take_error();
    result = ProviderCredentials{sealed.account_sid, sealed.api_key_sid, std::move(secret).value(),
                                 std::move(token).value()};
  }
  credential_cache_.put(id, result);
  return result;
}

}  // namespace roomplane::tenants
