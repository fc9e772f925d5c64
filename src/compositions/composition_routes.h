#pragma once
// The /v1/compositions routes of DESIGN.md's public contract, over CompositionService. Handlers
// only translate: query and path in, a CompositionService call on the WorkPool, JSON or
// {"error": {code, message}} out. Every route takes the tenant API key (tenants::authenticated).
//
//   GET /v1/compositions?status=&limit=&cursor=  200 {"compositions": [...], "next_cursor"}
//   GET /v1/compositions/{id}                    200 composition (composition_json.h)
//   GET /v1/compositions/{id}/media              302 Location: <short-lived media URL>,
//                                                    Cache-Control: no-store,
//                                                    body {"expires_at"} (no URL in it)
//
// Errors: 400 invalid_status, invalid_limit, invalid_cursor; 404 composition_not_found (also
// another tenant's); 409 composition_not_ready, media_unavailable, provider_not_configured;
// 503 audit_unavailable (no URL handed out); provider failures as the room routes map them
// (rooms::room_error_response: 502 provider_error / provider_credentials_rejected /
// provider_permission_denied, 503 provider_unavailable / provider_rate_limited).

#include "compositions/composition_service.h"
#include "core/work_pool.h"
#include "http/message.h"
#include "http/router.h"
#include "tenants/tenant_directory.h"

namespace roomplane::compositions {

// `service`, `directory` and `pool` must outlive the router's use.
void add_composition_routes(http::Router& router, CompositionService& service,
                            tenants::TenantDirectory& directory, core::WorkPool& pool);

}  // namespace roomplane::compositions
