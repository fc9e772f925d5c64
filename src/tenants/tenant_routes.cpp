#include "tenants/tenant_routes.h"

#include <exception>
#include <optional>

#include "tenants/api_keys.h"

namespace roomplane::tenants {
namespace {

http::Response unauthenticated() {
  return http::Response::from_error(core::Error::unauthenticated());
}

http::Response run(const AuthenticatedHandler& handler, const http::Request& request,
                   const Principal& principal) {
  auto response = handler(request, principal);
  response.headers.emplace_back(std::string(http::kTenantHeader), principal.tenant_id.value());
  return response;
}

}  // namespace

http::Handler authenticated(TenantDirectory& directory, core::WorkPool& pool,
                            AuthenticatedHandler handler) {
  return authenticated(directory, pool, std::move(handler), nullptr);
}

http::Handler authenticated(TenantDirectory& directory, core::WorkPool& pool,
                            AuthenticatedHandler handler, InlineAuthenticatedHandler fast) {
  auto shared_handler = std::make_shared<const AuthenticatedHandler>(std::move(handler));
  return [&directory, &pool, shared_handler, fast = std::move(fast)](http::Request request,
                                                                     http::Responder respond) {
    const auto header = request.header("Authorization");
    const auto key = header ? bearer_api_key(*header) : std::nullopt;
    if (!key) {
      respond(unauthenticated());
      return;
    }
    std::optional<Principal> cached;
    if (auto verdict = directory.authenticate_cached(*key)) {
      if (!verdict->ok()) {
        respond(unauthenticated());
        return;
      }
      cached = verdict->value();
      if (fast) {
        std::optional<http::Response> answered;
        try {
          answered = fast(request, *cached);
        } catch (const std::exception&) {
          answered.reset();  // the pool path answers (and reports) it properly
        }
        if (answered) {
          answered->headers.emplace_back(std::string(http::kTenantHeader),
                                         cached->tenant_id.value());
          respond(std::move(*answered));
          return;
        }
      }
    }
    // The route's work (and, on a cache miss, the key look-up) runs on the pool.
    auto work = [&directory, shared_handler, key = std::string(*key),
                 cached](const http::Request& r) {
      if (cached)
        return run(*shared_handler, r, *cached);
      auto principal = directory.authenticate(key);
      if (!principal)
        return http::Response::from_error(principal.error());
      return run(*shared_handler, r, *principal);
    };
    http::blocking(pool, std::move(work))(std::move(request), std::move(respond));
  };
}

void add_tenant_routes(http::Router& router, TenantDirectory& directory, core::WorkPool& pool) {
  router.add("GET", "/v1/tenant",
             authenticated(
                 directory, pool, [&directory](const http::Request&, const Principal& principal) {
                   auto tenant = directory.tenant(principal.tenant_id);
                   if (!tenant)
                     return http::Response::from_error(tenant.error());
                   auto credentials = directory.provider_credentials(principal.tenant_id);
                   if (!credentials)
                     return http::Response::from_error(credentials.error());
                   nlohmann::json body = {
                       {"tenant_id", tenant->id.value()},
                       {"name", tenant->name},
                       {"api_key_id", principal.key_id.value()},
                       {"settings", tenant->settings.to_json()},
                       {"provider",
                        *credentials ? nlohmann::json{{"configured", true},
                                                      {"account_sid", (*credentials)->account_sid}}
                                     : nlohmann::json{{"configured", false}}},
                   };
                   return http::Response::json(200, body);
                 }));
}

}  // namespace roomplane::tenants
