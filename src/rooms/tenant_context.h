#pragma once
// Adapters from the tenants domain to what RoomService asks for (room_service.h): a tenant's
// settings and provider credentials through the cached TenantDirectory, and the index from a
// provider API key SID to the tenants using it (for participant tokens, which name no tenant).
//
// Created by the composition root. Thread-safe; blocking on a cache miss (store I/O): call
// from WorkPool threads.

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "core/clock.h"
#include "rooms/room_service.h"
#include "tenants/stores.h"
#include "tenants/tenant_directory.h"

namespace roomplane::rooms {

// Settings and credentials from the directory (both cached there for its TTL).
TenantContextLookup directory_tenant_context(tenants::TenantDirectory& directory);
// The same from the directory's caches only (never blocks; nullopt on a miss).
TenantContextPeek directory_tenant_context_cached(const tenants::TenantDirectory& directory);

// API key SID -> tenants, from a snapshot of every tenant's credentials rebuilt at most once
// per `ttl`. A key SID not in the snapshot is not looked up again before the TTL passes, so a
// stream of tokens with made-up issuers cannot turn into a stream of store scans; the price is
// that a tenant's newly set credentials are recognised here within one TTL, as everywhere else.
class ProviderKeyDirectory {
 public:
  ProviderKeyDirectory(tenants::TenantStore& tenants, tenants::TenantDirectory& directory,
                       const core::Clock& clock, std::chrono::milliseconds ttl);

  core::Result<std::vector<core::TenantId>> tenants_for(std::string_view api_key_sid);
  // A ProviderKeyIndex calling tenants_for(); this object must outlive it.
  ProviderKeyIndex index();

 private:
  tenants::TenantStore& tenants_;
  tenants::TenantDirectory& directory_;
  const core::Clock& clock_;
  std::chrono::milliseconds ttl_;
  // Held while rebuilding as well, so concurrent misses cause one rebuild, not many.
  std::mutex mutex_;
  std::optional<core::TimePoint> built_at_;
  std::multimap<std::string, core::TenantId, std::less<>> by_key_sid_;
};

}  // namespace roomplane::rooms
