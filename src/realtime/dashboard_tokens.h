#pragma once
// Short-lived, tenant-scoped bearer tokens for browser dashboards, so a page connects to the hub
// without ever holding an API key. A token is
//   "rpd_" base64url("v1|<tenant id>|<expiry, unix seconds>") "." base64url(HMAC-SHA256)
// signed with a 32-byte key that the composition root derives from the master key. Stateless:
// nothing is stored, so a token cannot be revoked before it expires; hence the short lifetime
// (15 minutes by default, 1 hour at most). A token grants the hub only (it is not an API key:
// the /v1 routes refuse it).
//
// Created by the composition root; immutable after construction, so thread-safe.

#include <chrono>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/ids.h"
#include "core/result.h"
#include "core/work_pool.h"
#include "http/router.h"

namespace roomplane::tenants {
class TenantDirectory;
}

namespace roomplane::realtime {

inline constexpr std::string_view kDashboardTokenPrefix = "rpd_";
inline constexpr std::chrono::seconds kDashboardTokenDefaultTtl{15 * 60};
inline constexpr std::chrono::seconds kDashboardTokenMinTtl{60};
inline constexpr std::chrono::seconds kDashboardTokenMaxTtl{60 * 60};
inline constexpr std::size_t kDashboardTokenKeyBytes = 32;

struct DashboardToken {
  std::string token;
  core::TimePoint expires_at;
};

class DashboardTokens {
 public:
  // Error (invalid_argument, "invalid_key") unless `key` has exactly 32 bytes.
  static core::Result<DashboardTokens> create(std::string key, const core::Clock& clock);

  // Error (unprocessable, "invalid_ttl": 422, as for a room token's TTL) when ttl is outside
  // [1 min, 1 h].
  core::Result<DashboardToken> issue(const core::TenantId& tenant, std::chrono::seconds ttl) const;

  // The tenant a valid, unexpired token was issued for; otherwise unauthenticated (one answer
  // for malformed, forged and expired tokens). The MAC is compared in constant time.
  core::Result<core::TenantId> verify(std::string_view token) const;

  // Cheap shape check, to route a bearer credential without trying every scheme.
  static bool looks_like(std::string_view token);

 private:
  DashboardTokens(std::string key, const core::Clock& clock)
      : key_(std::move(key)), clock_(&clock) {}
  std::string mac(std::string_view encoded_payload) const;

  std::string key_;
  const core::Clock* clock_;
};

// POST /v1/dashboard-tokens (API key auth): body {"ttl_seconds"} optional -> 201
// {"token","expires_at","ttl_seconds"}.
void add_dashboard_token_routes(http::Router& router, tenants::TenantDirectory& directory,
                                core::WorkPool& pool, const DashboardTokens& tokens);

}  // namespace roomplane::realtime
