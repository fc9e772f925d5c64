#pragma once
// Bearer-key authentication for /v1 routes. A missing, malformed, unknown or revoked key gets
// the same 401 (nothing else revealed). A cached verdict is used on the I/O thread; a cache
// miss and the route's own work run on the WorkPool, so no database call ever runs on an I/O
// thread. The response carries the tenant id in X-Roomplane-Tenant, which the server strips
// and writes to the access log.

#include <functional>
#include <optional>

#include "core/work_pool.h"
#include "http/handler.h"
#include "http/router.h"
#include "tenants/tenant_directory.h"

namespace roomplane::tenants {

using AuthenticatedHandler = std::function<http::Response(const http::Request&, const Principal&)>;

http::Handler authenticated(TenantDirectory& directory, core::WorkPool& pool,
                            AuthenticatedHandler handler);

// Work that may answer on the I/O thread: it must not block. nullopt means "not from memory";
// the request then goes to `handler` on the pool like any other.
using InlineAuthenticatedHandler =
    std::function<std::optional<http::Response>(const http::Request&, const Principal&)>;
// As above, with a fast path: when the API key's verdict is cached, `fast` runs first, on the
// I/O thread, and its answer is sent without a pool hop.
http::Handler authenticated(TenantDirectory& directory, core::WorkPool& pool,
                            AuthenticatedHandler handler, InlineAuthenticatedHandler fast);

// Routes of the tenant itself: GET /v1/tenant (who am I, which settings apply).
void add_tenant_routes(http::Router& router, TenantDirectory& directory, core::WorkPool& pool);

}  // namespace roomplane::tenants
