#pragma once
// The public JSON of compositions (DESIGN.md, "Public contract"): snake_case like the room JSON,
// RFC 3339 UTC times (null when unset), tenant-local ids (cp_..., rm_...) beside the provider's
// SIDs. The provider's media reference and the workers' lease and scheduling fields are never
// part of it: media is only handed out through GET /v1/compositions/{id}/media. Pure functions;
// thread-safe.

#include <nlohmann/json.hpp>

#include "compositions/composition.h"

namespace roomplane::compositions {

// True when GET /v1/compositions/{id}/media can redirect to the media: the composition is
// completed and the provider composition it completed on is known.
bool media_available(const Composition& composition);

// id, room_id, room_sid, composition_sid, status, progress_percent, layout, format, attempts,
// error, media_available, size_bytes, duration_seconds, recorded_duration_seconds, deadline_at,
// created_at, updated_at, started_at, stalled_at, completed_at, failed_at.
nlohmann::json composition_json(const Composition& composition);

}  // namespace roomplane::compositions
