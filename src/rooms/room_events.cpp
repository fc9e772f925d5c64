#include "rooms/room_events.h"

#include <array>
#include <utility>

namespace roomplane::rooms {
namespace {

constexpr std::array<std::pair<RoomEventType, std::string_view>, 18> kEventNames{{
    {RoomEventType::kRoomCreated, "room_created"},
    {RoomEventType::kRoomEnded, "room_ended"},
    {RoomEventType::kParticipantConnected, "participant_connected"},
    {RoomEventType::kParticipantDisconnected, "participant_disconnected"},
    {RoomEventType::kTrackAdded, "track_added"},
    {RoomEventType::kTrackRemoved, "track_removed"},
    {RoomEventType::kTrackEnabled, "track_enabled"},
    {RoomEventType::kTrackDisabled, "track_disabled"},
    {RoomEventType::kRecordingStarted, "recording_started"},
    {RoomEventType::kRecordingCompleted, "recording_completed"},
    {RoomEventType::kRecordingFailed, "recording_failed"},
    {RoomEventType::kCompositionEnqueued, "composition_enqueued"},
    {RoomEventType::kCompositionStarted, "composition_started"},
    {RoomEventType::kCompositionProgress, "composition_progress"},
    {RoomEventType::kCompositionAvailable, "composition_available"},
    {RoomEventType::kCompositionFailed, "composition_failed"},
    {RoomEventType::kCompositionHookFailed, "composition_hook_failed"},
    {RoomEventType::kUnknown, "unknown"},
}};

}  // namespace

std::string_view to_string(RoomEventType type) {
  for (const auto& [value, name] : kEventNames) {
    if (value == type)
      return name;
  }
  return "unknown";
}

std::optional<RoomEventType> room_event_type_from_string(std::string_view name) {
  for (const auto& [value, text] : kEventNames) {
    if (text == name)
      return value;
  }
  return std::nullopt;
}

bool is_room_event(RoomEventType type) {
  return type == RoomEventType::kRoomCreated || type == RoomEventType::kRoomEnded;
}

bool is_participant_event(RoomEventType type) {
  return type == RoomEventType::kParticipantConnected ||
         type == RoomEventType::kParticipantDisconnected;
}

bool is_track_event(RoomEventType type) {
  switch (type) {
    case RoomEventType::kTrackAdded:
    case RoomEventType::kTrackRemoved:
    case RoomEventType::kTrackEnabled:
    case RoomEventType::kTrackDisabled:
      return true;
    default:
      return false;
  }
}

bool is_recording_event(RoomEventType type) {
  return type == RoomEventType::kRecordingStarted || type == RoomEventType::kRecordingCompleted ||
         type == RoomEventType::kRecordingFailed;
}

bool is_composition_event(RoomEventType type) {
  switch (type) {
    case RoomEventType::kCompositionEnqueued:
    case RoomEventType::kCompositionStarted:
    case RoomEventType::kCompositionProgress:
    case RoomEventType::kCompositionAvailable:
    case RoomEventType::kCompositionFailed:
    case RoomEventType::kCompositionHookFailed:
      return true;
    default:
      return false;
  }
}

std::string_view to_string(TrackKind kind) {
  switch (kind) {
    case TrackKind::kAudio:
      return "audio";
    case TrackKind::kVideo:
      return "video";
    case TrackKind::kData:
      return "data";
    case TrackKind::kUnknown:
      break;
  }
  return "unknown";
}

}  // namespace roomplane::rooms
