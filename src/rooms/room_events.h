#pragma once
// RoomEvent: one thing the video provider reported about a room (a room, participant, track,
// recording or composition event), in provider-neutral words. A provider adapter turns its
// callbacks into RoomEvents (twilio/callback_event.h for Twilio); rooms/room_state.h folds them
// into a RoomState. Nothing here names a vendor.
//
// A RoomEvent is plain data: which fields are set depends on `type` (listed per field below);
// fields an event does not carry stay empty / nullopt. Adapters guarantee the "always set"
// fields of every known type; apply() ignores a known event that lacks one (see room_state.h).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"

namespace roomplane::rooms {

enum class RoomEventType {
  kRoomCreated,
  kRoomEnded,
  kParticipantConnected,
  kParticipantDisconnected,
  kTrackAdded,
  kTrackRemoved,
  kTrackEnabled,
  kTrackDisabled,
  kRecordingStarted,
  kRecordingCompleted,
  kRecordingFailed,
  kCompositionEnqueued,
  kCompositionStarted,
  kCompositionProgress,
  kCompositionAvailable,
  kCompositionFailed,
  kCompositionHookFailed,
  // An event the adapter does not know (a provider may add events at any time). Kept so it can
  // be stored and counted; room state ignores it. `raw_name` says what it was.
  kUnknown,
};

// Stable snake_case names ("participant_connected", "unknown"), for logs, metrics labels and
// storage. Never the provider's spelling.
std::string_view to_string(RoomEventType type);
// The inverse of to_string; nullopt for any other text (including provider spellings).
std::optional<RoomEventType> room_event_type_from_string(std::string_view name);

// Which event family a type belongs to; a type belongs to exactly one.
bool is_room_event(RoomEventType type);         // room_created, room_ended
bool is_participant_event(RoomEventType type);  // participant_connected, participant_disconnected
bool is_track_event(RoomEventType type);        // track_*
bool is_recording_event(RoomEventType type);    // recording_*
bool is_composition_event(RoomEventType type);  // composition_* (including hook_failed)

enum class TrackKind { kUnknown, kAudio, kVideo, kData };
std::string_view to_string(TrackKind kind);  // "unknown", "audio", "video", "data"

struct RoomEvent {
  RoomEventType type = RoomEventType::kUnknown;
  // The provider's own name of the event, verbatim ("participant-connected"). Set by adapters
  // for every event; for kUnknown it is the only record of what the event was.
  std::string raw_name;

  // --- Every event -------------------------------------------------------------------------
  std::string room_sid;   // always set for known types
  std::string room_name;  // room, participant, track and recording events; may be empty
  // The provider's per-room event counter when it sent one (room, participant, track and
  // recording events). Not a true ordering: it only breaks ties between equal timestamps.
  std::optional<std::int64_t> sequence_number;
  // When the provider says the event happened (UTC). Always set for known types; the epoch for
  // an unknown event that carried no usable time.
  core::TimePoint occurred_at{};

  // --- room_ended --------------------------------------------------------------------------
  std::optional<std::int64_t> room_duration_seconds;
  bool room_failed = false;  // the provider reported the room's final status as failed

  // --- participant_*, track_* (always set), recording_* (when the provider says) -------------
  std::string participant_sid;
  std::string participant_identity;  // always set for participant_*; may be empty otherwise
  std::optional<std::int64_t> participant_duration_seconds;  // participant_disconnected only

  // --- track_* (track_sid always set); recording_* carry the recorded track's kind and name ---
  std::string track_sid;
  TrackKind track_kind = TrackKind::kUnknown;
  std::string track_name;

  // --- recording_* (recording_sid always set) -----------------------------------------------
  std::string recording_sid;
  std::string recording_source_sid;                        // the recorded track's SID
  std::optional<std::int64_t> recording_duration_seconds;  // recording_completed
  std::optional<std::int64_t> recording_size_bytes;        // recording_completed
  std::string recording_media_uri;                         // recording_completed
  std::string recording_error;                             // recording_failed: what failed

  // --- composition_* (composition_sid always set, except for composition_hook_failed) --------
  std::string composition_sid;
  std::string composition_hook_sid;                          // enqueued and hook_failed, when sent
  std::optional<int> composition_progress_percent;           // composition_progress (0..100)
  std::optional<std::int64_t> composition_duration_seconds;  // composition_available
  std::optional<std::int64_t> composition_size_bytes;        // composition_available
  std::string composition_media_uri;                         // composition_available
  std::string composition_error;  // composition_failed, composition_hook_failed

  // --- kUnknown only ----------------------------------------------------------------------------
  // A digest of every parameter the provider sent (adapter-defined): an event nobody knows
  // cannot be told apart by chosen fields, so the whole callback is its identity.
  std::string unknown_params_digest;

  friend bool operator==(const RoomEvent&, const RoomEvent&) = default;
};

}  // namespace roomplane::rooms
