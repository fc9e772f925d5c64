#pragma once
// Bearer-key authentication for /v1 routes. A missing, malformed, unknown or revoked key gets
// the same 401 (nothing else revealed). A cached verdict is used on the I/O thread; a cache
// miss and the route's own work run on the WorkPool, so no database call ever runs on an I/O
// thread. The response carries the tenant id in X-Roomplane-Tenant, which the server strips
// and writes to the access log.

#include <functional>

#include "core/work_pool.h"
#include "http/handler.h"
#include "http/router.h"
#include "tenants/tenant_directory.h"

namespace roomplane::tenants {

using AuthenticatedHandler = std::function<http::Response(const http::Request&, const Principal&)>;

http::Handler authenticated(TenantDirectory& directory, core::WorkPool& pool,
                            AuthenticatedHandler handler);

// Routes of the tenant itself: GET /v1/tenant (who am I, which settings apply).
void add_tenant_routes(http::Router& router, TenantDirectory& directory, core::WorkPool& pool);

}  // namespace roomplane::tenants
