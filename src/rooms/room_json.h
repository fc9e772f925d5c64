#pragma once
// The public JSON of rooms (DESIGN.md, "Public contract"): lifecycle strings as Twilio spells
// them ("in-progress"), RFC 3339 UTC times, tenant-local ids (rm_...) beside the provider's
// room SID. Pure functions; thread-safe.

#include <span>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "rooms/room.h"
#include "rooms/room_compositions.h"
#include "rooms/room_state.h"

namespace roomplane::rooms {

// The public spelling of room types: "group", "group-small", "peer-to-peer", "go".
std::string_view public_type_name(video::RoomType type);
std::optional<video::RoomType> room_type_from_public(std::string_view name);

// RFC 3339 text, or null when unset.
nlohmann::json time_json(const std::optional<core::TimePoint>& at);

// The room row alone (list items): id, name, type, status, limits, recording flags,
// provider_room_sid, end_reason and times.
nlohmann::json room_json(const Room& room);
// room_json plus what the provider confirmed: participants (every connection, reconnects
// included, oldest first), recordings and compositions (the provider's compositions as its
// status callbacks reported them).
nlohmann::json room_view_json(const RoomView& view);
// GET /v1/rooms/{id}: room_view_json plus "composition_jobs", Roomplane's own composition jobs
// of the room (RoomCompositions::for_room: newest first, each as GET /v1/compositions/{id}
// renders it). Unlike "compositions", they show a job that failed or stalled locally without
// any provider callback.
nlohmann::json room_detail_json(const RoomView& view,
                                std::span<const RoomCompositionJob> composition_jobs);
// The jobs' public JSON, in their order.
nlohmann::json composition_jobs_json(std::span<const RoomCompositionJob> jobs);

nlohmann::json participant_json(const ParticipantState& participant);

// The public spelling of a recording's status: Twilio's ("processing" while it is written).
// Compositions use rooms::to_string(CompositionStatus), which already spells them so.
std::string_view public_status(RecordingStatus status);

}  // namespace roomplane::rooms
