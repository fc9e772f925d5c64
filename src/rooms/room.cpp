#include "rooms/room.h"

#include <array>
#include <utility>

namespace roomplane::rooms {
namespace {

constexpr std::array<std::pair<RoomLifecycle, std::string_view>, 4> kLifecycleNames{{
    {RoomLifecycle::kCreating, "creating"},
    {RoomLifecycle::kInProgress, "in-progress"},
    {RoomLifecycle::kCompleted, "completed"},
    {RoomLifecycle::kFailed, "failed"},
}};

// The lifecycle the provider's state alone would put a provider-created room in.
RoomLifecycle lifecycle_of(RoomStatus status) {
  switch (status) {
    case RoomStatus::kCompleted:
      return RoomLifecycle::kCompleted;
    case RoomStatus::kFailed:
      return RoomLifecycle::kFailed;
    case RoomStatus::kUnknown:
    case RoomStatus::kInProgress:
      break;
  }
  return RoomLifecycle::kInProgress;
}

}  // namespace

std::string_view to_string(RoomLifecycle status) {
  for (const auto& [value, name] : kLifecycleNames) {
    if (value == status)
      return name;
  }
  return "creating";
}

std::optional<RoomLifecycle> room_lifecycle_from_string(std::string_view text) {
  for (const auto& [value, name] : kLifecycleNames) {
    if (name == text)
      return value;
  }
  return std::nullopt;
}

bool project_state(Room& room, const RoomState& state) {
  if (room.status == RoomLifecycle::kCreating)
    return false;
  bool changed = false;
  // The state's started_at only ever moves earlier (a late room_created), so taking the
  // earliest keeps the row a function of the set of events, like the state itself.
  if (state.started_at && (!room.started_at || *state.started_at < *room.started_at)) {
    room.started_at = state.started_at;
    changed = true;
  }
  if (!state.ended_at)
    return changed;

  const RoomLifecycle target = lifecycle_of(state.status);
  if (room.status < target) {
    room.status = target;
    changed = true;
  }
  if (room.ended_at != state.ended_at) {
    room.ended_at = state.ended_at;
    changed = true;
  }
  // A default reason follows the status, so that room_ended(failed) arriving before or after a
  // plain room_ended gives the same row; a reason someone chose (ended_by_api) is kept.
  if (room.end_reason.empty() || room.end_reason == kEndedByProvider ||
      room.end_reason == kFailedByProvider) {
    const std::string_view reason =
        room.status == RoomLifecycle::kFailed ? kFailedByProvider : kEndedByProvider;
    if (room.end_reason != reason) {
      room.end_reason = std::string(reason);
      changed = true;
    }
  }
  return changed;
}

bool record_end_reason(Room& room, const RoomState& state, std::string_view reason) {
  if (!state.ended_at || room.end_reason == reason)
    return false;
  if (!room.end_reason.empty() && room.end_reason != kEndedByProvider)
    return false;
  room.end_reason = std::string(reason);
  return true;
}

}  // namespace roomplane::rooms
