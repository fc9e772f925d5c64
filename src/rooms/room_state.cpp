#include "rooms/room_state.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <tuple>

namespace roomplane::rooms {
namespace {

using core::TimePoint;

// --- Merge rules for facts. Each is commutative, associative and idempotent; nothing else may
// write a fact, which is what makes apply() order- and duplicate-independent. ------------------

void merge_earliest(std::optional<TimePoint>& into, TimePoint value) {
  if (!into || value < *into)
    into = value;
}

template <class T>
void merge_min(std::optional<T>& into, const std::optional<T>& value) {
  if (value && (!into || *value < *into))
    into = value;
}

template <class T>
void merge_max(std::optional<T>& into, const std::optional<T>& value) {
  if (value && (!into || *into < *value))
    into = value;
}

// Text that is constant per SID: the smallest non-empty report.
void merge_text(std::string& into, const std::string& value) {
  if (!value.empty() && (into.empty() || value < into))
    into = value;
}

void merge_kind(TrackKind& into, TrackKind value) {
  if (value != TrackKind::kUnknown && (into == TrackKind::kUnknown || value < into))
    into = value;
}

void merge_toggle(std::optional<TrackState::Toggle>& into, const TrackState::Toggle& value) {
  if (!into || *into < value)
    into = value;
}

// --- Applying one event's facts -------------------------------------------------------------

bool is_complete(const RoomEvent& e) {
  if (e.room_sid.empty())
    return false;
  if ((is_participant_event(e.type) || is_track_event(e.type)) && e.participant_sid.empty())
    return false;
  if (is_track_event(e.type) && e.track_sid.empty())
    return false;
  if (is_recording_event(e.type) && e.recording_sid.empty())
    return false;
  if (is_composition_event(e.type) && e.type != RoomEventType::kCompositionHookFailed &&
      e.composition_sid.empty())
    return false;
  return true;
}

ParticipantState& participant_of(RoomState& state, const RoomEvent& e) {
  auto [it, inserted] = state.participants.try_emplace(e.participant_sid);
  ParticipantState& p = it->second;
  if (inserted)
    p.sid = e.participant_sid;
  merge_text(p.identity, e.participant_identity);
  return p;
}

TrackState& track_of(ParticipantState& p, const RoomEvent& e) {
  auto [it, inserted] = p.tracks.try_emplace(e.track_sid);
  TrackState& t = it->second;
  if (inserted)
    t.sid = e.track_sid;
  merge_kind(t.kind, e.track_kind);
  merge_text(t.name, e.track_name);
  return t;
}

RecordingState& recording_of(RoomState& state, const RoomEvent& e) {
  auto [it, inserted] = state.recordings.try_emplace(e.recording_sid);
  RecordingState& r = it->second;
  if (inserted)
    r.sid = e.recording_sid;
  merge_text(r.participant_sid, e.participant_sid);
  merge_text(r.source_sid, e.recording_source_sid);
  merge_text(r.track_name, e.track_name);
  merge_kind(r.kind, e.track_kind);
  return r;
}

CompositionState& composition_of(RoomState& state, const RoomEvent& e) {
  auto [it, inserted] = state.compositions.try_emplace(e.composition_sid);
  CompositionState& c = it->second;
  if (inserted)
    c.sid = e.composition_sid;
  merge_text(c.hook_sid, e.composition_hook_sid);
  return c;
}

void merge_facts(RoomState& state, const RoomEvent& e) {
  const TimePoint at = e.occurred_at;
  merge_text(state.name, e.room_name);
  // Composition events are about the room's media after the fact, and their sequence numbers
  // (if a provider sent any) are not the room's: they say nothing about the room's lifetime.
  if (!is_composition_event(e.type)) {
    merge_earliest(state.first_event_at, at);
    merge_max(state.max_sequence_number, e.sequence_number);
  }

  switch (e.type) {
    case RoomEventType::kRoomCreated:
      merge_earliest(state.created_at, at);
      break;
    case RoomEventType::kRoomEnded:
      merge_earliest(state.ended_at, at);
      state.ended_failed = state.ended_failed || e.room_failed;
      merge_min(state.reported_duration_seconds, e.room_duration_seconds);
      break;
    case RoomEventType::kParticipantConnected:
      merge_earliest(participant_of(state, e).connected_at, at);
      break;
    case RoomEventType::kParticipantDisconnected: {
      ParticipantState& p = participant_of(state, e);
      merge_earliest(p.disconnected_reported_at, at);
      merge_min(p.reported_duration_seconds, e.participant_duration_seconds);
      break;
    }
    case RoomEventType::kTrackAdded: {
      TrackState& t = track_of(participant_of(state, e), e);
      merge_earliest(t.added_at, at);
      merge_toggle(t.last_toggle, {stamp_of(e), false});
      break;
    }
    case RoomEventType::kTrackEnabled:
      merge_toggle(track_of(participant_of(state, e), e).last_toggle, {stamp_of(e), false});
      break;
    case RoomEventType::kTrackDisabled:
      merge_toggle(track_of(participant_of(state, e), e).last_toggle, {stamp_of(e), true});
      break;
    case RoomEventType::kTrackRemoved:
      merge_earliest(track_of(participant_of(state, e), e).removed_reported_at, at);
      break;
    case RoomEventType::kRecordingStarted:
      merge_earliest(recording_of(state, e).started_at, at);
      break;
    case RoomEventType::kRecordingCompleted: {
      RecordingState& r = recording_of(state, e);
      merge_earliest(r.completed_at, at);
      merge_min(r.duration_seconds, e.recording_duration_seconds);
      merge_min(r.size_bytes, e.recording_size_bytes);
      merge_text(r.media_uri, e.recording_media_uri);
      break;
    }
    case RoomEventType::kRecordingFailed: {
      RecordingState& r = recording_of(state, e);
      merge_earliest(r.failed_at, at);
      merge_text(r.error, e.recording_error);
      break;
    }
    case RoomEventType::kCompositionEnqueued:
      merge_earliest(composition_of(state, e).enqueued_at, at);
      break;
    case RoomEventType::kCompositionStarted:
      merge_earliest(composition_of(state, e).started_at, at);
      break;
    case RoomEventType::kCompositionProgress:
      merge_max(composition_of(state, e).reported_progress_percent, e.composition_progress_percent);
      break;
    case RoomEventType::kCompositionAvailable: {
      CompositionState& c = composition_of(state, e);
      merge_earliest(c.completed_at, at);
      merge_min(c.duration_seconds, e.composition_duration_seconds);
      merge_min(c.size_bytes, e.composition_size_bytes);
      merge_text(c.media_uri, e.composition_media_uri);
      break;
    }
    case RoomEventType::kCompositionFailed: {
      CompositionState& c = composition_of(state, e);
      merge_earliest(c.failed_at, at);
      merge_text(c.error, e.composition_error);
      break;
    }
    case RoomEventType::kCompositionHookFailed:
      state.hook_failures.insert(HookFailure{at, e.composition_hook_sid, e.composition_error});
      break;
    case RoomEventType::kUnknown:
      break;
  }
}

// --- Derived fields: pure functions of the facts ---------------------------------------------

std::optional<std::int64_t> seconds_between(const std::optional<TimePoint>& from,
                                            const std::optional<TimePoint>& to) {
  if (!from || !to)
    return std::nullopt;
  const auto seconds = std::chrono::floor<std::chrono::seconds>(*to - *from).count();
  return std::max<std::int64_t>(0, seconds);
}

void derive(RoomState& state) {
  if (state.ended_at)
    state.status = state.ended_failed ? RoomStatus::kFailed : RoomStatus::kCompleted;
  else
    state.status = state.first_event_at ? RoomStatus::kInProgress : RoomStatus::kUnknown;
  state.started_at = state.created_at ? state.created_at : state.first_event_at;
  state.duration_seconds = state.reported_duration_seconds
                               ? state.reported_duration_seconds
                               : seconds_between(state.started_at, state.ended_at);

  for (auto& [sid, p] : state.participants) {
    p.left_with_room = !p.disconnected_reported_at && state.ended_at;
    p.disconnected_at = p.disconnected_reported_at ? p.disconnected_reported_at : state.ended_at;
    p.status = p.disconnected_at ? ParticipantStatus::kDisconnected : ParticipantStatus::kConnected;
    p.duration_seconds = p.reported_duration_seconds
                             ? p.reported_duration_seconds
                             : seconds_between(p.connected_at, p.disconnected_at);
    for (auto& [track_sid, t] : p.tracks) {
      t.removed_at = t.removed_reported_at ? t.removed_reported_at : p.disconnected_at;
      t.removed = t.removed_at.has_value();
      t.enabled = !(t.last_toggle && t.last_toggle->disabled);
    }
  }

  for (auto& [sid, r] : state.recordings) {
    if (r.failed_at)
      r.status = RecordingStatus::kFailed;
    else
      r.status = r.completed_at ? RecordingStatus::kCompleted : RecordingStatus::kStarted;
  }

  for (auto& [sid, c] : state.compositions) {
    if (c.failed_at)
      c.status = CompositionStatus::kFailed;
    else if (c.completed_at)
      c.status = CompositionStatus::kCompleted;
    else if (c.started_at || c.reported_progress_percent)
      c.status = CompositionStatus::kProcessing;
    else
      c.status = CompositionStatus::kEnqueued;
    c.progress_percent = c.completed_at ? 100 : c.reported_progress_percent.value_or(0);
  }
}

// --- Changes: the difference between two derived views ---------------------------------------

// What a reader of the state sees of each entity: derived fields and the facts shown as they
// are, but not bookkeeping that only feeds a derived field (the toggle's stamp, the reported
// progress behind progress_percent, ...). A change is reported when a view changes, so a stale
// event that only adds bookkeeping (a late, lower progress report) reports nothing.
auto room_view(const RoomState& r) {
  return std::tie(r.name, r.status, r.started_at, r.ended_at, r.duration_seconds);
}
auto participant_view(const ParticipantState& p) {  // tracks are reported on their own
  return std::tie(p.identity, p.status, p.connected_at, p.disconnected_at, p.left_with_room,
                  p.duration_seconds);
}
auto track_view(const TrackState& t) {
  return std::tie(t.kind, t.name, t.enabled, t.removed, t.removed_at, t.added_at);
}
auto composition_view(const CompositionState& c) {
  return std::tie(c.hook_sid, c.status, c.progress_percent, c.enqueued_at, c.started_at,
                  c.completed_at, c.failed_at, c.duration_seconds, c.size_bytes, c.media_uri,
                  c.error);
}
// Every field of a recording is shown as it is.
const RecordingState& recording_view(const RecordingState& r) {
  return r;
}

std::vector<RoomChange> diff(const RoomState& before, const RoomState& after) {
  std::vector<RoomChange> changes;
  if (before.status != after.status) {
    changes.emplace_back(RoomStatusChanged{before.status, after.status});
  } else if (room_view(before) != room_view(after)) {
    changes.emplace_back(RoomUpdated{});
  }

  for (const auto& [sid, p] : after.participants) {
    const auto old_it = before.participants.find(sid);
    const ParticipantState* old = old_it == before.participants.end() ? nullptr : &old_it->second;
    if (old == nullptr || old->status != p.status) {
      if (p.status == ParticipantStatus::kConnected)
        changes.emplace_back(ParticipantJoined{sid, p.identity});
      else
        changes.emplace_back(ParticipantLeft{sid, p.identity});
    } else if (participant_view(*old) != participant_view(p)) {
      changes.emplace_back(ParticipantUpdated{sid});
    }
    for (const auto& [track_sid, t] : p.tracks) {
      const TrackState* old_track = nullptr;
      if (old != nullptr) {
        const auto it = old->tracks.find(track_sid);
        old_track = it == old->tracks.end() ? nullptr : &it->second;
      }
      if (old_track == nullptr || track_view(*old_track) != track_view(t))
        changes.emplace_back(TrackChanged{sid, track_sid});
    }
  }

  for (const auto& [sid, r] : after.recordings) {
    const auto it = before.recordings.find(sid);
    if (it == before.recordings.end() || recording_view(it->second) != recording_view(r))
      changes.emplace_back(RecordingChanged{sid, r.status});
  }
  for (const auto& [sid, c] : after.compositions) {
    const auto it = before.compositions.find(sid);
    if (it == before.compositions.end() || composition_view(it->second) != composition_view(c))
      changes.emplace_back(CompositionChanged{sid, c.status, c.progress_percent});
  }
  for (const auto& failure : after.hook_failures) {
    if (!before.hook_failures.contains(failure))
      changes.emplace_back(CompositionHookFailed{failure.hook_sid, failure.error});
  }
  return changes;
}

// --- Canonical text --------------------------------------------------------------------------

std::string format_time(TimePoint t) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(t);
  const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(t - seconds).count();
  std::string text = core::to_rfc3339(seconds);
  if (nanos != 0) {
    char fraction[16];
    std::snprintf(fraction, sizeof fraction, ".%09lld", static_cast<long long>(nanos));
    text.insert(text.size() - 1, fraction);
  }
  return text;
}

std::string show(const std::optional<TimePoint>& t) {
  return t ? format_time(*t) : "-";
}
std::string show(const std::optional<std::int64_t>& n) {
  return n ? std::to_string(*n) : "-";
}
std::string show(const std::optional<int>& n) {
  return n ? std::to_string(*n) : "-";
}
std::string show(bool b) {
  return b ? "true" : "false";
}
// Quoted, with quotes, backslashes and control characters escaped, so that no value can forge
// a field or a line.
std::string quote(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

}  // namespace

std::string_view to_string(RoomStatus status) {
  switch (status) {
    case RoomStatus::kInProgress:
      return "in_progress";
    case RoomStatus::kCompleted:
      return "completed";
    case RoomStatus::kFailed:
      return "failed";
    case RoomStatus::kUnknown:
      break;
  }
  return "unknown";
}

std::string_view to_string(ParticipantStatus status) {
  return status == ParticipantStatus::kConnected ? "connected" : "disconnected";
}

std::string_view to_string(RecordingStatus status) {
  switch (status) {
    case RecordingStatus::kCompleted:
      return "completed";
    case RecordingStatus::kFailed:
      return "failed";
    case RecordingStatus::kStarted:
      break;
  }
  return "started";
}

std::string_view to_string(CompositionStatus status) {
  switch (status) {
    case CompositionStatus::kProcessing:
      return "processing";
    case CompositionStatus::kCompleted:
      return "completed";
    case CompositionStatus::kFailed:
      return "failed";
    case CompositionStatus::kEnqueued:
      break;
  }
  return "enqueued";
}

std::string_view to_string(IgnoredReason reason) {
  switch (reason) {
    case IgnoredReason::kUnknownEvent:
      return "unknown_event";
    case IgnoredReason::kOtherRoom:
      return "other_room";
    case IgnoredReason::kIncomplete:
      return "incomplete";
    case IgnoredReason::kNone:
      break;
  }
  return "none";
}

EventStamp stamp_of(const RoomEvent& event) {
  return EventStamp{event.occurred_at, event.sequence_number.value_or(-1)};
}

ApplyOutcome apply(RoomState& state, const RoomEvent& event) {
  ApplyOutcome outcome;
  if (event.type == RoomEventType::kUnknown) {
    outcome.ignored = IgnoredReason::kUnknownEvent;
    return outcome;
  }
  if (!is_complete(event)) {
    outcome.ignored = IgnoredReason::kIncomplete;
    return outcome;
  }
  if (!state.room_sid.empty() && state.room_sid != event.room_sid) {
    outcome.ignored = IgnoredReason::kOtherRoom;
    return outcome;
  }

  // Rooms are small (tens of participants), so diffing a copy is cheap and keeps the change
  // report exactly "what a reader of the state would see differently".
  const RoomState before = state;
  if (state.room_sid.empty())
    state.room_sid = event.room_sid;
  merge_facts(state, event);
  derive(state);
  outcome.state_changed = !(state == before);
  if (outcome.state_changed)
    outcome.changes = diff(before, state);
  return outcome;
}

std::string to_canonical_text(const RoomState& s) {
  std::string out;
  out += "room sid=" + quote(s.room_sid) + " name=" + quote(s.name) +
         " status=" + std::string(to_string(s.status)) + " started_at=" + show(s.started_at) +
         " ended_at=" + show(s.ended_at) + " duration=" + show(s.duration_seconds) +
         " created_at=" + show(s.created_at) + " ended_failed=" + show(s.ended_failed) +
         " reported_duration=" + show(s.reported_duration_seconds) +
         " first_event_at=" + show(s.first_event_at) +
         " max_sequence_number=" + show(s.max_sequence_number) + "\n";
  for (const auto& [sid, p] : s.participants) {
    out += "participant sid=" + quote(sid) + " identity=" + quote(p.identity) +
           " status=" + std::string(to_string(p.status)) + " connected_at=" + show(p.connected_at) +
           " disconnected_at=" + show(p.disconnected_at) +
           " left_with_room=" + show(p.left_with_room) + " duration=" + show(p.duration_seconds) +
           " disconnected_reported_at=" + show(p.disconnected_reported_at) +
           " reported_duration=" + show(p.reported_duration_seconds) + "\n";
    for (const auto& [track_sid, t] : p.tracks) {
      out += "  track sid=" + quote(track_sid) + " kind=" + std::string(to_string(t.kind)) +
             " name=" + quote(t.name) + " enabled=" + show(t.enabled) +
             " removed=" + show(t.removed) + " removed_at=" + show(t.removed_at) +
             " added_at=" + show(t.added_at) +
             " removed_reported_at=" + show(t.removed_reported_at) + " last_toggle=";
      if (t.last_toggle) {
        out += format_time(t.last_toggle->stamp.at) + "#" +
               std::to_string(t.last_toggle->stamp.sequence) +
               (t.last_toggle->disabled ? ":disabled" : ":enabled");
      } else {
        out += "-";
      }
      out += "\n";
    }
  }
  for (const auto& [sid, r] : s.recordings) {
    out += "recording sid=" + quote(sid) + " status=" + std::string(to_string(r.status)) +
           " participant_sid=" + quote(r.participant_sid) + " source_sid=" + quote(r.source_sid) +
           " track_name=" + quote(r.track_name) + " kind=" + std::string(to_string(r.kind)) +
           " started_at=" + show(r.started_at) + " completed_at=" + show(r.completed_at) +
           " failed_at=" + show(r.failed_at) + " duration=" + show(r.duration_seconds) +
           " size=" + show(r.size_bytes) + " media_uri=" + quote(r.media_uri) +
           " error=" + quote(r.error) + "\n";
  }
  for (const auto& [sid, c] : s.compositions) {
    out += "composition sid=" + quote(sid) + " status=" + std::string(to_string(c.status)) +
           " progress=" + std::to_string(c.progress_percent) + " hook_sid=" + quote(c.hook_sid) +
           " enqueued_at=" + show(c.enqueued_at) + " started_at=" + show(c.started_at) +
           " reported_progress=" + show(c.reported_progress_percent) +
           " completed_at=" + show(c.completed_at) + " failed_at=" + show(c.failed_at) +
           " duration=" + show(c.duration_seconds) + " size=" + show(c.size_bytes) +
           " media_uri=" + quote(c.media_uri) + " error=" + quote(c.error) + "\n";
  }
  for (const auto& f : s.hook_failures) {
    out += "hook_failure at=" + format_time(f.at) + " hook_sid=" + quote(f.hook_sid) +
           " error=" + quote(f.error) + "\n";
  }
  return out;
}

}  // namespace roomplane::rooms
