#pragma once
// RoomState: what Roomplane knows about one provider room, folded from its RoomEvents by
// apply(). Pure data and pure functions: thread-compatible (no shared state; a RoomState may be
// read from several threads, written from one), no I/O, no exceptions beyond std::bad_alloc.
//
// The guarantee. Providers deliver callbacks twice, late and out of order. apply() is the join
// of a semilattice, so a RoomState is a function of the SET of distinct events applied to it:
//  - Order- and duplicate-independent: any delivery of the same events, in any order, each one
//    or more times, yields an identical RoomState (operator==), equal to one in-order delivery.
//  - Never backwards: every status below only moves forward in its enum's declaration order,
//    so a late event never resurrects a participant who left or reopens a room that ended.
//  - Re-applying an event already applied changes nothing and reports no change.
//
// How. Each struct holds FACTS and DERIVED fields.
//  - A fact is merged with a rule that is commutative, associative and idempotent: "earliest"
//    (min of the reported times), "max", "or", set union, "smallest non-empty" for text that is
//    constant per SID (names, identities: the provider never changes them, and if two reports
//    ever disagreed, min still picks the same one whatever the arrival order), and one
//    last-writer-wins register ordered by (timestamp, sequence number, value) for the
//    enable/disable toggle. A product of semilattices is a semilattice, so merging field by
//    field keeps the guarantee.
//  - A derived field (statuses, inferred end times, computed durations) is recomputed from the
//    facts after every apply() and is never merged itself. It may depend on other entities'
//    facts: "disconnected because the room ended at T" is derived, not stored as a fact, so a
//    room_ended that arrives before a participant_connected still yields the same final state.
//  - Fields are public so that a store can save and restore a state (all of it, facts
//    included: the derived fields alone cannot be merged further). Everything else treats a
//    RoomState as read-only and changes it only through apply().
//
// Rules, one line each (the field comments below repeat the one that applies):
//  Room        status: unknown (no event) < in_progress (any room/participant/track/recording
//              event) < completed (room_ended) < failed (room_ended reporting failure); terminal.
//              started_at = room_created's time, else the earliest room-level event's time.
//              ended_at = room_ended's time. duration = reported, else ended_at - started_at.
//              Composition events never change the room's status or times.
//  Participant keyed by SID (a reconnect is a new SID, so a new participant). Status:
//              connected < disconnected (terminal). connected_at only from
//              participant_connected. disconnected_at = its participant_disconnected's time if
//              seen, else the room's ended_at if the room ended, else none; status is
//              disconnected exactly when disconnected_at is set. duration = reported
//              ParticipantDuration, else disconnected_at - connected_at when both are known.
//              Participants are created by participant and track events only.
//  Track       keyed by SID within its participant. removed is terminal: its track_removed's
//              time, else the participant's disconnected_at. enabled = the latest of
//              track_added / track_enabled (enabled) and track_disabled (disabled) by
//              (timestamp, sequence number); on a full tie, disabled wins. Enabled by default.
//  Recording   keyed by SID. started < completed < failed (a failure reported after completion,
//              e.g. of the upload, wins). Only its own events change it: a room that ended does
//              not complete a recording.
//  Composition keyed by SID. enqueued < processing (started or any progress) < completed
//              (available) < failed. progress = max reported percent; 100 once completed.
//  Hook failures: a set (union) of (time, hook SID, error).
//  max_sequence_number = max over room/participant/track/recording events.

#include <compare>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/clock.h"
#include "rooms/room_events.h"

namespace roomplane::rooms {

// Declaration order is the order a status moves in; apply() never moves one backwards.
enum class RoomStatus { kUnknown, kInProgress, kCompleted, kFailed };
enum class ParticipantStatus { kConnected, kDisconnected };
enum class RecordingStatus { kStarted, kCompleted, kFailed };
enum class CompositionStatus { kEnqueued, kProcessing, kCompleted, kFailed };

// Stable snake_case names ("in_progress", "disconnected", ...), for logs, JSON and storage.
std::string_view to_string(RoomStatus status);
std::string_view to_string(ParticipantStatus status);
std::string_view to_string(RecordingStatus status);
std::string_view to_string(CompositionStatus status);

// Where an event sits in time: its timestamp, then its sequence number (an absent one sorts
// first). Orders the enable/disable register.
struct EventStamp {
  core::TimePoint at{};
  std::int64_t sequence = -1;
  friend auto operator<=>(const EventStamp&, const EventStamp&) = default;
};
EventStamp stamp_of(const RoomEvent& event);

struct TrackState {
  std::string sid;
  // Facts.
  TrackKind kind = TrackKind::kUnknown;     // constant per SID: smallest known value reported
  std::string name;                         // constant per SID: smallest non-empty reported
  std::optional<core::TimePoint> added_at;  // earliest track_added
  std::optional<core::TimePoint> removed_reported_at;  // earliest track_removed
  struct Toggle {
    EventStamp stamp;
    bool disabled = false;  // the larger value wins a full tie: disabled beats enabled
    friend auto operator<=>(const Toggle&, const Toggle&) = default;
  };
  std::optional<Toggle> last_toggle;  // latest of track_added/enabled/disabled
  // Derived.
  bool enabled = true;                        // !last_toggle->disabled; true when none
  bool removed = false;                       // removed_at is set
  std::optional<core::TimePoint> removed_at;  // own track_removed, else participant's end

  friend bool operator==(const TrackState&, const TrackState&) = default;
};

struct ParticipantState {
  std::string sid;
  // Facts.
  std::string identity;                                     // constant per SID: smallest non-empty
  std::optional<core::TimePoint> connected_at;              // earliest participant_connected
  std::optional<core::TimePoint> disconnected_reported_at;  // earliest participant_disconnected
  std::optional<std::int64_t> reported_duration_seconds;    // its ParticipantDuration (min)
  std::map<std::string, TrackState, std::less<>> tracks;    // by track SID
  // Derived.
  ParticipantStatus status = ParticipantStatus::kConnected;  // disconnected iff disconnected_at
  std::optional<core::TimePoint> disconnected_at;  // own event's time, else room's ended_at
  bool left_with_room = false;  // disconnected_at is the room's end, not its own event's time
  std::optional<std::int64_t> duration_seconds;  // reported, else disconnected - connected

  friend bool operator==(const ParticipantState&, const ParticipantState&) = default;
};

struct RecordingState {
  std::string sid;
  // Facts. The constant ones (participant, source track, name, kind) come from any of its
  // events; the others from the one event that reports them.
  std::string participant_sid;                   // smallest non-empty
  std::string source_sid;                        // the recorded track; smallest non-empty
  std::string track_name;                        // smallest non-empty
  TrackKind kind = TrackKind::kUnknown;          // smallest known
  std::optional<core::TimePoint> started_at;     // earliest recording_started
  std::optional<core::TimePoint> completed_at;   // earliest recording_completed
  std::optional<core::TimePoint> failed_at;      // earliest recording_failed
  std::optional<std::int64_t> duration_seconds;  // recording_completed (min reported)
  std::optional<std::int64_t> size_bytes;        // recording_completed (min reported)
  std::string media_uri;                         // recording_completed (smallest non-empty)
  std::string error;                             // recording_failed (smallest non-empty)
  // Derived.
  RecordingStatus status = RecordingStatus::kStarted;  // failed > completed > started

  friend bool operator==(const RecordingState&, const RecordingState&) = default;
};

struct CompositionState {
  std::string sid;
  // Facts.
  std::string hook_sid;                          // smallest non-empty
  std::optional<core::TimePoint> enqueued_at;    // earliest composition_enqueued
  std::optional<core::TimePoint> started_at;     // earliest composition_started
  std::optional<int> reported_progress_percent;  // max composition_progress
  std::optional<core::TimePoint> completed_at;   // earliest composition_available
  std::optional<core::TimePoint> failed_at;      // earliest composition_failed
  std::optional<std::int64_t> duration_seconds;  // composition_available (min reported)
  std::optional<std::int64_t> size_bytes;        // composition_available (min reported)
  std::string media_uri;                         // composition_available (smallest non-empty)
  std::string error;                             // composition_failed (smallest non-empty)
  // Derived.
  CompositionStatus status = CompositionStatus::kEnqueued;
  int progress_percent = 0;  // 100 once completed, else the max reported, else 0

  friend bool operator==(const CompositionState&, const CompositionState&) = default;
};

// A composition hook that could not create a composition (it has no composition SID).
struct HookFailure {
  core::TimePoint at{};
  std::string hook_sid;
  std::string error;
  friend auto operator<=>(const HookFailure&, const HookFailure&) = default;
};

struct RoomState {
  std::string room_sid;  // set by the first applied event; every later one must match
  // Facts.
  std::string name;                                       // smallest non-empty RoomName
  std::optional<core::TimePoint> created_at;              // earliest room_created
  std::optional<core::TimePoint> ended_at;                // earliest room_ended
  bool ended_failed = false;                              // any room_ended reported failure
  std::optional<std::int64_t> reported_duration_seconds;  // room_ended's (min reported)
  std::optional<core::TimePoint> first_event_at;    // earliest room/participant/track/recording
  std::optional<std::int64_t> max_sequence_number;  // max over the same events
  std::map<std::string, ParticipantState, std::less<>> participants;  // by participant SID
  std::map<std::string, RecordingState, std::less<>> recordings;      // by recording SID
  std::map<std::string, CompositionState, std::less<>> compositions;  // by composition SID
  std::set<HookFailure> hook_failures;
  // Derived.
  RoomStatus status = RoomStatus::kUnknown;
  std::optional<core::TimePoint> started_at;     // created_at, else first_event_at
  std::optional<std::int64_t> duration_seconds;  // reported, else ended_at - started_at

  friend bool operator==(const RoomState&, const RoomState&) = default;
};

// --- What an apply() changed, for the realtime hub ---------------------------------------------
// Each names the entity; the consumer reads the entity's new state from the RoomState.

struct RoomStatusChanged {
  RoomStatus from = RoomStatus::kUnknown;
  RoomStatus to = RoomStatus::kUnknown;
  friend bool operator==(const RoomStatusChanged&, const RoomStatusChanged&) = default;
};
// Name, started_at, ended_at or duration changed while the status did not.
struct RoomUpdated {
  friend bool operator==(const RoomUpdated&, const RoomUpdated&) = default;
};
// A participant became known as connected.
struct ParticipantJoined {
  std::string participant_sid;
  std::string identity;
  friend bool operator==(const ParticipantJoined&, const ParticipantJoined&) = default;
};
// A participant became disconnected (whether or not it was known before).
struct ParticipantLeft {
  std::string participant_sid;
  std::string identity;
  friend bool operator==(const ParticipantLeft&, const ParticipantLeft&) = default;
};
// A participant's fields changed without a status change, e.g. a late participant_connected
// that fills in connected_at of a participant who already left.
struct ParticipantUpdated {
  std::string participant_sid;
  friend bool operator==(const ParticipantUpdated&, const ParticipantUpdated&) = default;
};
// A track appeared or changed (enabled, removed, name, ...).
struct TrackChanged {
  std::string participant_sid;
  std::string track_sid;
  friend bool operator==(const TrackChanged&, const TrackChanged&) = default;
};
struct RecordingChanged {
  std::string recording_sid;
  RecordingStatus status = RecordingStatus::kStarted;
  friend bool operator==(const RecordingChanged&, const RecordingChanged&) = default;
};
struct CompositionChanged {
  std::string composition_sid;
  CompositionStatus status = CompositionStatus::kEnqueued;
  int progress_percent = 0;
  friend bool operator==(const CompositionChanged&, const CompositionChanged&) = default;
};
struct CompositionHookFailed {
  std::string hook_sid;
  std::string error;
  friend bool operator==(const CompositionHookFailed&, const CompositionHookFailed&) = default;
};

using RoomChange = std::variant<RoomStatusChanged, RoomUpdated, ParticipantJoined, ParticipantLeft,
                                ParticipantUpdated, TrackChanged, RecordingChanged,
                                CompositionChanged, CompositionHookFailed>;

// Why apply() left the state untouched without looking further.
enum class IgnoredReason {
  kNone,          // the event was applied (it may still have changed nothing)
  kUnknownEvent,  // type kUnknown: stored and counted elsewhere, never part of room state
  kOtherRoom,     // its room SID differs from the state's (a routing bug upstream)
  kIncomplete,    // a known type missing a SID it needs (room, participant, track, ...)
};
std::string_view to_string(IgnoredReason reason);  // "none", "unknown_event", ...

struct ApplyOutcome {
  IgnoredReason ignored = IgnoredReason::kNone;
  // Anything in the state changed, bookkeeping included (max_sequence_number, facts that no
  // derived field shows yet): the caller must persist the state when true, may skip when false.
  bool state_changed = false;
  // The observable changes, in a deterministic order (room, then participants and their tracks
  // by SID, recordings, compositions, hook failures). "Observable" means a field a reader sees
  // (statuses, times, names, media, progress_percent), not bookkeeping behind one (the toggle
  // stamp, reported_progress_percent, first_event_at, ...). Empty for a duplicate and for a
  // stale event that shows nothing new, such as a progress report lower than one already seen
  // (which may still set state_changed); never a status moving backwards.
  std::vector<RoomChange> changes;
};

// Merges `event` into `state` (see the rules above). A state with an empty room_sid adopts the
// event's. Never fails: an event that cannot be applied is reported in `ignored`.
ApplyOutcome apply(RoomState& state, const RoomEvent& event);

// Every field of the state, facts included, one line per entity in a fixed order: equal
// states give equal text and different states different text. For tests and debugging; not a
// storage or wire format.
std::string to_canonical_text(const RoomState& state);

}  // namespace roomplane::rooms
