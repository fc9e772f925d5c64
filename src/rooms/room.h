#pragma once
// A room as Roomplane owns it: the tenant's request (name, type, limits, recording), Roomplane's
// own lifecycle around the provider call, and, once the provider created it, the provider's
// confirmed view folded into a RoomState (rooms/room_state.h). The local database is the source
// of truth; the provider's view is merged into it, never read instead of it.
//
// Lifecycle (moves forward only):
//   creating     written before the provider call, so a crash between the call and the second
//                write leaves a row that recovery can resolve (look the unique name up)
//   in_progress  the provider created it (provider_room_sid is set)
//   completed    the provider reported or confirmed its end (API end, empty-room timeout, ...)
//   failed       the provider call failed for good (end_reason says why), or the provider
//                reported the room failed; never a ghost row that looks alive

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/ids.h"
#include "rooms/room_state.h"
#include "video/provider.h"

namespace roomplane::rooms {

enum class RoomLifecycle { kCreating, kInProgress, kCompleted, kFailed };

// The public spelling: "creating", "in-progress", "completed", "failed" (Twilio's hyphenated
// style, as in DESIGN.md), also what the database stores.
std::string_view to_string(RoomLifecycle status);
std::optional<RoomLifecycle> room_lifecycle_from_string(std::string_view text);

// Why a room ended, as stored in end_reason. Free text after a prefix for provider errors.
inline constexpr std::string_view kEndedByApi = "ended_by_api";  // POST /v1/rooms/{id}/end
inline constexpr std::string_view kEndedByProvider = "ended_by_provider";  // room-ended callback
inline constexpr std::string_view kFailedByProvider = "provider_reported_failure";
inline constexpr std::string_view kProviderErrorPrefix = "provider_error: ";  // create failed

struct Room {
  core::TenantId tenant_id;
  core::RoomId id;
  std::string name;  // the tenant's name for it; not unique
  video::RoomType type = video::RoomType::kGroup;
  std::optional<int> max_participants;
  bool record = false;     // recording requested at creation
  bool recording = false;  // recording rules now: record everything (true) or paused
  std::optional<int> empty_room_timeout_minutes;
  // The provider-side unique name: the room id itself, so a retried or recovered create finds
  // the same provider room and two tenants' names can never collide.
  std::string provider_room_name;
  std::optional<std::string> provider_room_sid;
  RoomLifecycle status = RoomLifecycle::kCreating;
  std::string end_reason;  // empty while in progress
  core::TimePoint created_at{};
  core::TimePoint updated_at{};
  std::optional<core::TimePoint> started_at;
  std::optional<core::TimePoint> ended_at;
};

// A room with the provider-confirmed state folded from its events (participants, tracks,
// recordings, compositions). `state` is empty (status kUnknown) until the first event.
struct RoomView {
  Room room;
  RoomState state;
};

// Applies what the provider's state says to Roomplane's row: a room the provider ended moves to
// completed (or failed) with ended_at, started_at is filled in, end_reason defaults to
// kEndedByProvider. Never moves the lifecycle backwards and never touches a room still in
// kCreating (it has no provider room yet). Returns whether anything changed.
bool project_state(Room& room, const RoomState& state);

// Records why the room ended when a caller that acted on the provider (POST .../end, the
// reconciler) folds in the end it confirmed: only once `state` has ended, and only over no
// reason or the default kEndedByProvider. The default may be there because the provider's
// room-ended callback, caused by the caller's own request, was ingested between that request
// and this write; a reason someone chose is never replaced. Returns whether the row changed.
bool record_end_reason(Room& room, const RoomState& state, std::string_view reason);

// A participant's client-reported dominant speaker (DESIGN.md: Twilio has no callback for it).
// Kept apart from provider-confirmed state: it is what a client said, after checks.
struct SpeakerChange {
  core::RoomId room_id;
  std::string reporter_participant_sid;
  std::string speaker_participant_sid;  // empty: nobody is speaking any more
  std::string speaker_identity;         // empty with it
  core::TimePoint at{};
};

}  // namespace roomplane::rooms
