#pragma once
// The /v1/rooms routes of DESIGN.md's public contract, over RoomService. Handlers only
// translate: JSON in, a RoomService call on the WorkPool, JSON or {"error": {code, message}}
// out. Every route but dominant-speaker takes the tenant API key (tenants::authenticated);
// dominant-speaker takes the reporting participant's own access token instead.
//
//   POST /v1/rooms                                          201 room
//   GET  /v1/rooms?status=&limit=&cursor=                   200 {"rooms": [...], "next_cursor"}
//   GET  /v1/rooms/{id}                                     200 room with participants and
//                                                               composition_jobs
//   POST /v1/rooms/{id}/end                                 200 room
//   POST /v1/rooms/{id}/tokens                              201 {token, identity, room,
//                                                                expires_at, ttl_seconds}
//   POST /v1/rooms/{id}/participants/{identity}/disconnect  200 room
//   POST /v1/rooms/{id}/recording                           200 room
//   POST /v1/rooms/{id}/dominant-speaker                    202 {result, room, speaker_*, at}
//   GET  /v1/rooms/{id}/report                              200 report (report.h)
//
// Input errors are 400 (malformed: invalid_json, invalid_field, invalid_status, invalid_limit,
// invalid_cursor, speaker_required, speaker_ambiguous) or 422 (a rule: see room_service.h);
// neither changes anything.

#include "core/work_pool.h"
#include "http/message.h"
#include "http/router.h"
#include "rooms/room_service.h"
#include "tenants/tenant_directory.h"

namespace roomplane::rooms {

// `service`, `directory` and `pool` must outlive the router's use.
void add_room_routes(http::Router& router, RoomService& service,
                     tenants::TenantDirectory& directory, core::WorkPool& pool);

// The one mapping of a service error to a response: provider failures that retrying will not
// fix are 502 (provider_error_status), everything else by its kind (http::status_for).
http::Response room_error_response(const core::Error& error);

}  // namespace roomplane::rooms
