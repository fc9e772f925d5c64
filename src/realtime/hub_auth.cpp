#include "realtime/hub_auth.h"

#include <memory>

#include "tenants/api_keys.h"
#include "tenants/tenant_directory.h"

namespace roomplane::realtime {

void TenantHubAuthenticator::authenticate(std::string credential, Callback done) {
  if (DashboardTokens::looks_like(credential)) {
    done(tokens_.verify(credential));
    return;
  }
  // A string that cannot be an API key is refused without touching the directory.
  if (!tenants::looks_like_api_key(credential)) {
    done(core::Error::unauthenticated());
    return;
  }
  if (auto verdict = directory_.authenticate_cached(credential)) {
    if (!verdict->ok()) {
      done(verdict->error());
    } else {
      done(verdict->value().tenant_id);
    }
    return;
  }
  // If the pool drops the task (it was stopped), `done` dies uncalled; the hub's responder
  // then answers 500, which is right for a server that is going away.
  pool_.post([this, credential = std::move(credential), done = std::move(done)] {
    auto principal = directory_.authenticate(credential);
    if (!principal) {
      done(principal.error());
    } else {
      done(principal->tenant_id);
    }
  });
}

}  // namespace roomplane::realtime
