#pragma once
// Who may open a hub connection: a bearer credential resolved to a tenant. The hub takes the
// interface so its tests can map tokens to tenants directly; TenantHubAuthenticator is the
// production one (tenant API keys through the TenantDirectory, and dashboard tokens).

#include <functional>
#include <string>

#include "core/ids.h"
#include "core/result.h"
#include "core/work_pool.h"
#include "realtime/dashboard_tokens.h"

namespace roomplane::tenants {
class TenantDirectory;
}

namespace roomplane::realtime {

class HubAuthenticator {
 public:
  virtual ~HubAuthenticator() = default;
  using Callback = std::function<void(core::Result<core::TenantId>)>;
  // Resolves `credential` (the bearer token, already taken out of the header or query) and
  // calls `done` exactly once: inline when the answer is cheap, otherwise from another thread.
  // Never blocks the caller (it runs on an I/O thread). A refusal is unauthenticated.
  virtual void authenticate(std::string credential, Callback done) = 0;
};

// Dashboard tokens are verified inline (an HMAC); an API key is answered from the directory's
// cache inline, and on a miss looked up on the WorkPool. Thread-safe; the directory, the pool
// and the tokens must outlive it.
class TenantHubAuthenticator final : public HubAuthenticator {
 public:
  TenantHubAuthenticator(tenants::TenantDirectory& directory, core::WorkPool& pool,
                         const DashboardTokens& tokens)
      : directory_(directory), pool_(pool), tokens_(tokens) {}
  void authenticate(std::string credential, Callback done) override;

 private:
  tenants::TenantDirectory& directory_;
  core::WorkPool& pool_;
  const DashboardTokens& tokens_;
};

}  // namespace roomplane::realtime
