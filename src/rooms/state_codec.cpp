#include "rooms/state_codec.h"

#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/json_text.h"

namespace roomplane::rooms {
namespace {

using core::TimePoint;
using nlohmann::json;

// --- Encoding --------------------------------------------------------------------------------
// The document is written by hand, as the same text nlohmann's json::dump() wrote for it (before,
// a json document was built and dumped), because encoding runs for every touched room in every
// ledger commit and the generic document and serializer dominated it. The output is byte for
// byte what dump() gives: members in std::map order (keys sorted byte-wise), no whitespace,
// integers in decimal, strings escaped like dump() with ensure_ascii off. The test keeps the old
// encoder and compares the two on random states.

std::int64_t to_nanos(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

void append_text(std::string& out, std::string_view text) {
  if (core::is_valid_utf8(text)) {
    core::append_json_string(out, text);
    return;
  }
  // Webhook input (identities, names, SIDs) is not checked for UTF-8. dump() with its default
  // strict handler throws json::type_error 316 on such text, and so does this, with the same
  // message: the stored text must not change, and neither does what an invalid state does.
  out += json(std::string(text)).dump(-1, ' ', false, json::error_handler_t::strict);
}

void append_integer(std::string& out, std::int64_t value) {
  char digits[24];  // INT64_MIN takes 20 characters
  const auto written = std::to_chars(std::begin(digits), std::end(digits), value);
  out.append(std::begin(digits), written.ptr);
}

// One JSON object being written. The caller names the members in byte-wise key order (what the
// std::map inside nlohmann::json iterated in), then calls finish(); the writer places the commas.
class ObjectWriter {
 public:
  explicit ObjectWriter(std::string& out) : out_(out) { out_ += '{'; }
  ObjectWriter(const ObjectWriter&) = delete;
  ObjectWriter& operator=(const ObjectWriter&) = delete;

  void finish() { out_ += '}'; }

  void text(std::string_view key, std::string_view value) { append_text(member(key), value); }
  void text_if_set(std::string_view key, std::string_view value) {
    if (!value.empty())
      text(key, value);
  }
  void flag(std::string_view key, bool value) { member(key) += value ? "true" : "false"; }
  void flag_if_set(std::string_view key, bool value) {
    if (value)
      flag(key, true);
  }
  void integer(std::string_view key, std::int64_t value) { append_integer(member(key), value); }
  template <class Int>
  void integer_if_set(std::string_view key, const std::optional<Int>& value) {
    if (value)
      integer(key, *value);
  }
  void time_if_set(std::string_view key, const std::optional<TimePoint>& value) {
    if (value)
      integer(key, to_nanos(*value));
  }
  template <class Enum>
  void enumeration(std::string_view key, Enum value) {
    text(key, to_string(value));
  }
  // An array of one object per item, left out when there are none.
  template <class Items, class WriteItem>
  void objects_if_any(std::string_view key, const Items& items, WriteItem write_item) {
    if (items.empty())
      return;
    std::string& out = member(key);
    out += '[';
    bool first = true;
    for (const auto& entry : items) {
      if (!first)
        out += ',';
      first = false;
      write_item(out, entry);
    }
    out += ']';
  }
  // Starts the member `key` and returns the text its value goes into.
  std::string& member(std::string_view key) {
    if (!first_member_)
      out_ += ',';
    first_member_ = false;
    out_ += '"';
    out_ += key;  // every key is a plain ASCII literal: nothing to escape
    out_ += "\":";
    return out_;
  }

 private:
  std::string& out_;
  bool first_member_ = true;
};

void write_track(std::string& out, const TrackState& t) {
  ObjectWriter w(out);
  w.time_if_set("added_at", t.added_at);
  w.flag("enabled", t.enabled);
  w.enumeration("kind", t.kind);
  if (t.last_toggle) {
    ObjectWriter toggle(w.member("last_toggle"));
    toggle.integer("at", to_nanos(t.last_toggle->stamp.at));
    toggle.flag("disabled", t.last_toggle->disabled);
    toggle.integer("sequence", t.last_toggle->stamp.sequence);
    toggle.finish();
  }
  w.text_if_set("name", t.name);
  w.flag_if_set("removed", t.removed);
  w.time_if_set("removed_at", t.removed_at);
  w.time_if_set("removed_reported_at", t.removed_reported_at);
  w.text("sid", t.sid);
  w.finish();
}

void write_participant(std::string& out, const ParticipantState& p) {
  ObjectWriter w(out);
  w.time_if_set("connected_at", p.connected_at);
  w.time_if_set("disconnected_at", p.disconnected_at);
  w.time_if_set("disconnected_reported_at", p.disconnected_reported_at);
  w.integer_if_set("duration_seconds", p.duration_seconds);
  w.text_if_set("identity", p.identity);
  w.flag_if_set("left_with_room", p.left_with_room);
  w.integer_if_set("reported_duration_seconds", p.reported_duration_seconds);
  w.text("sid", p.sid);
  w.enumeration("status", p.status);
  w.objects_if_any("tracks", p.tracks,
                   [](std::string& o, const auto& entry) { write_track(o, entry.second); });
  w.finish();
}

void write_recording(std::string& out, const RecordingState& r) {
  ObjectWriter w(out);
  w.time_if_set("completed_at", r.completed_at);
  w.integer_if_set("duration_seconds", r.duration_seconds);
  w.text_if_set("error", r.error);
  w.time_if_set("failed_at", r.failed_at);
  w.enumeration("kind", r.kind);
  w.text_if_set("media_uri", r.media_uri);
  w.text_if_set("participant_sid", r.participant_sid);
  w.text("sid", r.sid);
  w.integer_if_set("size_bytes", r.size_bytes);
  w.text_if_set("source_sid", r.source_sid);
  w.time_if_set("started_at", r.started_at);
  w.enumeration("status", r.status);
  w.text_if_set("track_name", r.track_name);
  w.finish();
}

void write_composition(std::string& out, const CompositionState& c) {
  ObjectWriter w(out);
  w.time_if_set("completed_at", c.completed_at);
  w.integer_if_set("duration_seconds", c.duration_seconds);
  w.time_if_set("enqueued_at", c.enqueued_at);
  w.text_if_set("error", c.error);
  w.time_if_set("failed_at", c.failed_at);
  w.text_if_set("hook_sid", c.hook_sid);
  w.text_if_set("media_uri", c.media_uri);
  w.integer("progress_percent", c.progress_percent);
  w.integer_if_set("reported_progress_percent", c.reported_progress_percent);
  w.text("sid", c.sid);
  w.integer_if_set("size_bytes", c.size_bytes);
  w.time_if_set("started_at", c.started_at);
  w.enumeration("status", c.status);
  w.finish();
}

void write_hook_failure(std::string& out, const HookFailure& f) {
  ObjectWriter w(out);
  w.integer("at", to_nanos(f.at));
  w.text_if_set("error", f.error);
  w.text_if_set("hook_sid", f.hook_sid);
  w.finish();
}

// Enough for a typical state in one allocation (a full track is about 230 bytes of text, a
// participant or recording or composition about 300); a low guess only costs a reallocation.
std::size_t estimated_size(const RoomState& s) {
  std::size_t size = 384 + s.room_sid.size() + s.name.size();
  for (const auto& [sid, p] : s.participants)
    size += 320 + p.identity.size() + 256 * p.tracks.size();
  size += 384 * (s.recordings.size() + s.compositions.size());
  for (const auto& f : s.hook_failures)
    size += 64 + f.hook_sid.size() + f.error.size();
  return size;
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

// Written by hand, byte for byte as nlohmann's dump() wrote the document, because this runs for
// every touched room in every ledger commit. Members in byte-wise key order: the order of the
// std::map inside a nlohmann::json object.
std::string encode_state(const RoomState& s) {
  std::string out;
  out.reserve(estimated_size(s));
  ObjectWriter w(out);
  w.objects_if_any("compositions", s.compositions,
                   [](std::string& o, const auto& entry) { write_composition(o, entry.second); });
  w.time_if_set("created_at", s.created_at);
  w.integer_if_set("duration_seconds", s.duration_seconds);
  w.time_if_set("ended_at", s.ended_at);
  w.flag_if_set("ended_failed", s.ended_failed);
  w.time_if_set("first_event_at", s.first_event_at);
  w.objects_if_any("hook_failures", s.hook_failures, write_hook_failure);
  w.integer_if_set("max_sequence_number", s.max_sequence_number);
  w.text_if_set("name", s.name);
  w.objects_if_any("participants", s.participants,
                   [](std::string& o, const auto& entry) { write_participant(o, entry.second); });
  w.objects_if_any("recordings", s.recordings,
                   [](std::string& o, const auto& entry) { write_recording(o, entry.second); });
  w.integer_if_set("reported_duration_seconds", s.reported_duration_seconds);
  w.text("room_sid", s.room_sid);
  w.time_if_set("started_at", s.started_at);
  w.enumeration("status", s.status);
  w.integer("v", kStateCodecVersion);
  w.finish();
  return out;
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
