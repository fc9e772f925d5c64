#include "rooms/state_codec.h"

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>

#include <nlohmann/json.hpp>

namespace roomplane::rooms {
namespace {

using core::TimePoint;
using nlohmann::json;

// --- Encoding --------------------------------------------------------------------------------

std::int64_t to_nanos(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

void put(json& j, const char* key, const std::string& text) {
  if (!text.empty())
    j[key] = text;
}
void put(json& j, const char* key, bool flag) {
  if (flag)
    j[key] = true;
}
void put(json& j, const char* key, const std::optional<TimePoint>& t) {
  if (t)
    j[key] = to_nanos(*t);
}
template <class Int>
void put(json& j, const char* key, const std::optional<Int>& n) {
  if (n)
    j[key] = *n;
}
template <class Enum>
void put_enum(json& j, const char* key, Enum value) {
  j[key] = std::string(to_string(value));
}

json encode_track(const TrackState& t) {
  json j = json::object();
  j["sid"] = t.sid;
  put_enum(j, "kind", t.kind);
  put(j, "name", t.name);
  put(j, "added_at", t.added_at);
  put(j, "removed_reported_at", t.removed_reported_at);
  if (t.last_toggle) {
    j["last_toggle"] = {{"at", to_nanos(t.last_toggle->stamp.at)},
                        {"sequence", t.last_toggle->stamp.sequence},
                        {"disabled", t.last_toggle->disabled}};
  }
  j["enabled"] = t.enabled;
  put(j, "removed", t.removed);
  put(j, "removed_at", t.removed_at);
  return j;
}

json encode_participant(const ParticipantState& p) {
  json j = json::object();
  j["sid"] = p.sid;
  put(j, "identity", p.identity);
  put(j, "connected_at", p.connected_at);
  put(j, "disconnected_reported_at", p.disconnected_reported_at);
  put(j, "reported_duration_seconds", p.reported_duration_seconds);
  if (!p.tracks.empty()) {
    json tracks = json::array();
    for (const auto& [sid, t] : p.tracks)
      tracks.push_back(encode_track(t));
    j["tracks"] = std::move(tracks);
  }
  put_enum(j, "status", p.status);
  put(j, "disconnected_at", p.disconnected_at);
  put(j, "left_with_room", p.left_with_room);
  put(j, "duration_seconds", p.duration_seconds);
  return j;
}

json encode_recording(const RecordingState& r) {
  json j = json::object();
  j["sid"] = r.sid;
  put(j, "participant_sid", r.participant_sid);
  put(j, "source_sid", r.source_sid);
  put(j, "track_name", r.track_name);
  put_enum(j, "kind", r.kind);
  put(j, "started_at", r.started_at);
  put(j, "completed_at", r.completed_at);
  put(j, "failed_at", r.failed_at);
  put(j, "duration_seconds", r.duration_seconds);
  put(j, "size_bytes", r.size_bytes);
  put(j, "media_uri", r.media_uri);
  put(j, "error", r.error);
  put_enum(j, "status", r.status);
  return j;
}

json encode_composition(const CompositionState& c) {
  json j = json::object();
  j["sid"] = c.sid;
  put(j, "hook_sid", c.hook_sid);
  put(j, "enqueued_at", c.enqueued_at);
  put(j, "started_at", c.started_at);
  put(j, "reported_progress_percent", c.reported_progress_percent);
  put(j, "completed_at", c.completed_at);
  put(j, "failed_at", c.failed_at);
  put(j, "duration_seconds", c.duration_seconds);
  put(j, "size_bytes", c.size_bytes);
  put(j, "media_uri", c.media_uri);
  put(j, "error", c.error);
  put_enum(j, "status", c.status);
  j["progress_percent"] = c.progress_percent;
  return j;
}

// --- Decoding --------------------------------------------------------------------------------
// Every read is checked, so a damaged document becomes an error value, never an exception or a
// half-read state that looks valid.

class Reader {
 public:
  explicit Reader(const json& object, std::string where) : j_(object), where_(std::move(where)) {}

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  void fail(const std::string& what) {
    if (error_.empty())
      error_ = where_ + ": " + what;
  }

  void text(const char* key, std::string& out) {
    if (const json* v = find(key)) {
      if (v->is_string())
        out = v->get_ref<const std::string&>();
      else
        fail(std::string(key) + " is not a string");
    }
  }
  void flag(const char* key, bool& out) {
    if (const json* v = find(key)) {
      if (v->is_boolean())
        out = v->get<bool>();
      else
        fail(std::string(key) + " is not a boolean");
    }
  }
  std::optional<std::int64_t> int64(const char* key) {
    const json* v = find(key);
    if (!v)
      return std::nullopt;
    if (v->is_number_integer() &&
        !(v->is_number_unsigned() &&
          v->get<std::uint64_t>() >
              static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))) {
      return v->get<std::int64_t>();
    }
    fail(std::string(key) + " is not a 64-bit integer");
    return std::nullopt;
  }
  void number(const char* key, std::optional<std::int64_t>& out) { out = int64(key); }
  void number(const char* key, std::optional<int>& out) {
    const auto n = int64(key);
    if (!n)
      return;
    if (*n < std::numeric_limits<int>::min() || *n > std::numeric_limits<int>::max()) {
      fail(std::string(key) + " is out of range");
      return;
    }
    out = static_cast<int>(*n);
  }
  void number(const char* key, int& out) {
    std::optional<int> n;
    number(key, n);
    if (n)
      out = *n;
  }
  void time(const char* key, std::optional<TimePoint>& out) {
    if (const auto n = int64(key))
      out = from_nanos(*n);
  }
  static TimePoint from_nanos(std::int64_t n) {
    return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::nanoseconds(n)));
  }
  template <class Enum>
  void enumeration(const char* key, Enum& out, std::initializer_list<Enum> values) {
    const json* v = find(key);
    if (!v)
      return;
    if (v->is_string()) {
      const auto& name = v->get_ref<const std::string&>();
      for (const Enum value : values) {
        if (to_string(value) == name) {
          out = value;
          return;
        }
      }
    }
    fail(std::string(key) + " is not a known value");
  }
  // Calls fn(const json&, index) for each element of the array under `key`, if present.
  template <class Fn>
  void each(const char* key, Fn&& fn) {
    const json* v = find(key);
    if (!v)
      return;
    if (!v->is_array()) {
      fail(std::string(key) + " is not an array");
      return;
    }
    for (std::size_t i = 0; i < v->size() && ok(); ++i) {
      const json& element = (*v)[i];
      if (!element.is_object()) {
        fail(std::string(key) + "[" + std::to_string(i) + "] is not an object");
        return;
      }
      fn(element, where_ + "." + key + "[" + std::to_string(i) + "]");
    }
  }

 private:
  const json* find(const char* key) const {
    const auto it = j_.find(key);
    return it == j_.end() ? nullptr : &*it;
  }
  const json& j_;
  std::string where_;
  std::string error_;
};

constexpr std::initializer_list<TrackKind> kTrackKinds = {TrackKind::kUnknown, TrackKind::kAudio,
                                                          TrackKind::kVideo, TrackKind::kData};

// Maps are keyed by SID, so a document listing one twice or without one was not written by
// encode_state.
template <class Map, class Value>
bool insert_by_sid(Reader& r, Map& map, Value&& value) {
  if (value.sid.empty()) {
    r.fail("an entry has no sid");
    return false;
  }
  const std::string sid = value.sid;
  if (!map.emplace(sid, std::forward<Value>(value)).second) {
    r.fail("sid " + sid + " is listed twice");
    return false;
  }
  return true;
}

void decode_track(Reader& parent, const json& j, const std::string& where,
                  std::map<std::string, TrackState, std::less<>>& tracks) {
  Reader r(j, where);
  TrackState t;
  r.text("sid", t.sid);
  r.enumeration("kind", t.kind, kTrackKinds);
  r.text("name", t.name);
  r.time("added_at", t.added_at);
  r.time("removed_reported_at", t.removed_reported_at);
  if (j.contains("last_toggle")) {
    const json& toggle = j["last_toggle"];
    if (!toggle.is_object()) {
      r.fail("last_toggle is not an object");
    } else {
      Reader tr(toggle, where + ".last_toggle");
      TrackState::Toggle value;
      std::optional<TimePoint> at;
      tr.time("at", at);
      const auto sequence = tr.int64("sequence");
      tr.flag("disabled", value.disabled);
      if (!at || !sequence)
        tr.fail("needs at and sequence");
      if (!tr.ok()) {
        r.fail(tr.error());
      } else {
        value.stamp = EventStamp{*at, *sequence};
        t.last_toggle = value;
      }
    }
  }
  r.flag("enabled", t.enabled);
  r.flag("removed", t.removed);
  r.time("removed_at", t.removed_at);
  if (r.ok())
    insert_by_sid(r, tracks, std::move(t));
  if (!r.ok())
    parent.fail(r.error());
}

void decode_participant(Reader& parent, const json& j, const std::string& where, RoomState& state) {
  Reader r(j, where);
  ParticipantState p;
  r.text("sid", p.sid);
  r.text("identity", p.identity);
  r.time("connected_at", p.connected_at);
  r.time("disconnected_reported_at", p.disconnected_reported_at);
  r.number("reported_duration_seconds", p.reported_duration_seconds);
  r.each("tracks", [&](const json& track, const std::string& track_where) {
    decode_track(r, track, track_where, p.tracks);
  });
  r.enumeration("status", p.status,
                {ParticipantStatus::kConnected, ParticipantStatus::kDisconnected});
  r.time("disconnected_at", p.disconnected_at);
  r.flag("left_with_room", p.left_with_room);
  r.number("duration_seconds", p.duration_seconds);
  if (r.ok())
    insert_by_sid(r, state.participants, std::move(p));
  if (!r.ok())
    parent.fail(r.error());
}

void decode_recording(Reader& parent, const json& j, const std::string& where, RoomState& state) {
  Reader r(j, where);
  RecordingState rec;
  r.text("sid", rec.sid);
  r.text("participant_sid", rec.participant_sid);
  r.text("source_sid", rec.source_sid);
  r.text("track_name", rec.track_name);
  r.enumeration("kind", rec.kind, kTrackKinds);
  r.time("started_at", rec.started_at);
  r.time("completed_at", rec.completed_at);
  r.time("failed_at", rec.failed_at);
  r.number("duration_seconds", rec.duration_seconds);
  r.number("size_bytes", rec.size_bytes);
  r.text("media_uri", rec.media_uri);
  r.text("error", rec.error);
  r.enumeration("status", rec.status,
                {RecordingStatus::kStarted, RecordingStatus::kCompleted, RecordingStatus::kFailed});
  if (r.ok())
    insert_by_sid(r, state.recordings, std::move(rec));
  if (!r.ok())
    parent.fail(r.error());
}

void decode_composition(Reader& parent, const json& j, const std::string& where, RoomState& state) {
  Reader r(j, where);
  CompositionState c;
  r.text("sid", c.sid);
  r.text("hook_sid", c.hook_sid);
  r.time("enqueued_at", c.enqueued_at);
  r.time("started_at", c.started_at);
  r.number("reported_progress_percent", c.reported_progress_percent);
  r.time("completed_at", c.completed_at);
  r.time("failed_at", c.failed_at);
  r.number("duration_seconds", c.duration_seconds);
  r.number("size_bytes", c.size_bytes);
  r.text("media_uri", c.media_uri);
  r.text("error", c.error);
  r.enumeration("status", c.status,
                {CompositionStatus::kEnqueued, CompositionStatus::kProcessing,
                 CompositionStatus::kCompleted, CompositionStatus::kFailed});
  r.number("progress_percent", c.progress_percent);
  if (r.ok())
    insert_by_sid(r, state.compositions, std::move(c));
  if (!r.ok())
    parent.fail(r.error());
}

void decode_hook_failure(Reader& parent, const json& j, const std::string& where,
                         RoomState& state) {
  Reader r(j, where);
  HookFailure f;
  std::optional<TimePoint> at;
  r.time("at", at);
  r.text("hook_sid", f.hook_sid);
  r.text("error", f.error);
  if (!at)
    r.fail("has no time");
  if (r.ok()) {
    f.at = *at;
    state.hook_failures.insert(std::move(f));
  }
  if (!r.ok())
    parent.fail(r.error());
}

core::Error unreadable(const std::string& why) {
  return core::Error::internal("stored room state unreadable: " + why);
}

}  // namespace

std::string encode_state(const RoomState& s) {
  json j = json::object();
  j["v"] = kStateCodecVersion;
  j["room_sid"] = s.room_sid;
  put(j, "name", s.name);
  put(j, "created_at", s.created_at);
  put(j, "ended_at", s.ended_at);
  put(j, "ended_failed", s.ended_failed);
  put(j, "reported_duration_seconds", s.reported_duration_seconds);
  put(j, "first_event_at", s.first_event_at);
  put(j, "max_sequence_number", s.max_sequence_number);
  if (!s.participants.empty()) {
    json participants = json::array();
    for (const auto& [sid, p] : s.participants)
      participants.push_back(encode_participant(p));
    j["participants"] = std::move(participants);
  }
  if (!s.recordings.empty()) {
    json recordings = json::array();
    for (const auto& [sid, r] : s.recordings)
      recordings.push_back(encode_recording(r));
    j["recordings"] = std::move(recordings);
  }
  if (!s.compositions.empty()) {
    json compositions = json::array();
    for (const auto& [sid, c] : s.compositions)
      compositions.push_back(encode_composition(c));
    j["compositions"] = std::move(compositions);
  }
  if (!s.hook_failures.empty()) {
    json failures = json::array();
    for (const auto& f : s.hook_failures) {
      json entry = {{"at", to_nanos(f.at)}};
      put(entry, "hook_sid", f.hook_sid);
      put(entry, "error", f.error);
      failures.push_back(std::move(entry));
    }
    j["hook_failures"] = std::move(failures);
  }
  put_enum(j, "status", s.status);
  put(j, "started_at", s.started_at);
  put(j, "duration_seconds", s.duration_seconds);
  return j.dump();
}

core::Result<RoomState> decode_state(std::string_view text) {
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded())
    return unreadable("not valid JSON");
  if (!j.is_object())
    return unreadable("not a JSON object");
  Reader r(j, "state");
  const auto version = r.int64("v");
  if (!r.ok() || version != kStateCodecVersion) {
    return unreadable("unknown layout version " +
                      (version ? std::to_string(*version) : std::string("(none)")));
  }
  RoomState s;
  r.text("room_sid", s.room_sid);
  r.text("name", s.name);
  r.time("created_at", s.created_at);
  r.time("ended_at", s.ended_at);
  r.flag("ended_failed", s.ended_failed);
  r.number("reported_duration_seconds", s.reported_duration_seconds);
  r.time("first_event_at", s.first_event_at);
  r.number("max_sequence_number", s.max_sequence_number);
  r.each("participants",
         [&](const json& p, const std::string& where) { decode_participant(r, p, where, s); });
  r.each("recordings",
         [&](const json& rec, const std::string& where) { decode_recording(r, rec, where, s); });
  r.each("compositions",
         [&](const json& c, const std::string& where) { decode_composition(r, c, where, s); });
  r.each("hook_failures",
         [&](const json& f, const std::string& where) { decode_hook_failure(r, f, where, s); });
  r.enumeration(
      "status", s.status,
      {RoomStatus::kUnknown, RoomStatus::kInProgress, RoomStatus::kCompleted, RoomStatus::kFailed});
  r.time("started_at", s.started_at);
  r.number("duration_seconds", s.duration_seconds);
  if (!r.ok())
    return unreadable(r.error());
  return s;
}

}  // namespace roomplane::rooms
