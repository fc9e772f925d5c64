#include "rooms/tenant_context.h"

namespace roomplane::rooms {

TenantContextLookup directory_tenant_context(tenants::TenantDirectory& directory) {
  return [&directory](const core::TenantId& id) -> core::Result<TenantContext> {
    auto tenant = directory.tenant(id);
    if (!tenant)
      return std::move(tenant).take_error();
    auto credentials = directory.provider_credentials(id);
    if (!credentials)
      return std::move(credentials).take_error();
    return TenantContext{tenant->settings, std::move(credentials).value()};
  };
}

TenantContextPeek directory_tenant_context_cached(const tenants::TenantDirectory& directory) {
  return [&directory](const core::TenantId& id) -> std::optional<TenantContext> {
    auto tenant = directory.tenant_cached(id);
    if (!tenant)
      return std::nullopt;
    auto credentials = directory.provider_credentials_cached(id);
    if (!credentials)
      return std::nullopt;
    return TenantContext{tenant->settings, std::move(*credentials)};
  };
}

ProviderKeyDirectory::ProviderKeyDirectory(tenants::TenantStore& tenants,
                                           tenants::TenantDirectory& directory,
                                           const core::Clock& clock, std::chrono::milliseconds ttl)
    : tenants_(tenants), directory_(directory), clock_(clock), ttl_(ttl) {}

core::Result<std::vector<core::TenantId>> ProviderKeyDirectory::tenants_for(
    std::string_view api_key_sid) {
  std::lock_guard lock(mutex_);
  const auto now = clock_.now();
  if (!built_at_ || now - *built_at_ >= ttl_) {
    auto all = tenants_.list();
    if (!all)
      return std::move(all).take_error();
    std::multimap<std::string, core::TenantId, std::less<>> rebuilt;
    for (const auto& tenant : *all) {
      auto credentials = directory_.provider_credentials(tenant.id);
      if (!credentials)
        return std::move(credentials).take_error();
      if (*credentials)
        rebuilt.emplace((*credentials)->api_key_sid, tenant.id);
    }
    by_key_sid_ = std::move(rebuilt);
    built_at_ = now;
  }
  std::vector<core::TenantId> found;
  const auto [first, last] = by_key_sid_.equal_range(api_key_sid);
  for (auto it = first; it != last; ++it)
    found.push_back(it->second);
  return found;
}

ProviderKeyIndex ProviderKeyDirectory::index() {
  return [this](std::string_view api_key_sid) { return tenants_for(api_key_sid); };
}

}  // namespace roomplane::rooms
