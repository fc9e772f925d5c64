#pragma once
// Cached, read-only look-ups on the request path: API key -> principal, tenant id -> tenant,
// tenant id -> provider credentials (decrypted). Each cache expires entries after
// `tenant_cache_ttl_seconds`, so a revoked key or changed credential takes effect within one
// TTL on every instance without any invalidation traffic. Unknown keys are cached too, so a
// client retrying a bad key cannot turn each request into a database query.
//
// Metrics: roomplane_tenant_cache_requests_total{cache,result="hit"|"miss"}.
// Created by the composition root; thread-safe.

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <string_view>

#include "core/clock.h"
#include "core/ttl_cache.h"
#include "crypto/secret_box.h"
#include "observability/metrics.h"
#include "tenants/stores.h"

namespace roomplane::tenants {

// Who is calling: the tenant and the key it used.
struct Principal {
  core::TenantId tenant_id;
  core::ApiKeyId key_id;
};

class TenantDirectory {
 public:
  TenantDirectory(TenantStore& tenants, ApiKeyStore& keys, CredentialStore& credentials,
                  const crypto::SecretBox& secrets, const core::Clock& clock,
                  std::chrono::milliseconds ttl, observability::MetricsRegistry& metrics);

  // Never blocks. nullopt on a cache miss; otherwise the cached verdict (a principal or a 401).
  std::optional<core::Result<Principal>> authenticate_cached(std::string_view api_key) const;
  // Cache first, then the store. Blocking: call from a WorkPool thread.
  core::Result<Principal> authenticate(std::string_view api_key);

  // Blocking on a miss. not_found for an unknown tenant.
  core::Result<Tenant> tenant(const core::TenantId& id);
  // Blocking on a miss. nullopt when the tenant has no provider credentials configured.
  core::Result<std::optional<ProviderCredentials>> provider_credentials(const core::TenantId& id);
  // Never block: what the cache holds now, nullopt on a miss (then call the blocking form on
  // the WorkPool). For request paths that answer on the I/O thread when everything is cached.
  std::optional<Tenant> tenant_cached(const core::TenantId& id) const;
  std::optional<std::optional<ProviderCredentials>> provider_credentials_cached(
      const core::TenantId& id) const;
  // Drops the cached credentials of `id` after this process changed them (other instances
  // still see the change within one TTL).
  void forget_provider_credentials(const core::TenantId& id) { credential_cache_.erase(id); }

 private:
  struct CachedVerdict {
    std::optional<Principal> principal;  // nullopt: unknown or revoked key
  };
  enum class Cache : std::size_t { kApiKey, kTenant, kProviderCredentials };
  void count(Cache cache, bool hit) const;

  TenantStore& tenants_;
  ApiKeyStore& keys_;
  CredentialStore& credentials_;
  const crypto::SecretBox& secrets_;
  core::TtlCache<std::string, CachedVerdict> key_cache_;  // keyed by key hash, not the key
  core::TtlCache<core::TenantId, Tenant> tenant_cache_;
  core::TtlCache<core::TenantId, std::optional<ProviderCredentials>> credential_cache_;
  std::array<observability::Counter*, 3> hits_{};
  std::array<observability::Counter*, 3> misses_{};
};

}  // namespace roomplane::tenants
