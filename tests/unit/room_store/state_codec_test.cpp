#include "rooms/state_codec.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "room_store_fixture.h"

// --- The encoder as it was: builds an nlohmann::json document and dumps it --------------------
// encode_state writes the same text by hand; this copy is what its output is compared with.
namespace roomplane::rooms {
namespace {
namespace reference {

using core::TimePoint;
using nlohmann::json;

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

}  // namespace reference
}  // namespace
}  // namespace roomplane::rooms

namespace roomplane::storage::testing {
namespace {

using rooms::RoomState;

RoomState folded(const std::vector<RoomEvent>& events) {
  RoomState state;
  for (const auto& e : events)
    (void)rooms::apply(state, e);
  return state;
}

void expect_round_trip(const RoomState& state) {
  const std::string text = rooms::encode_state(state);
  auto back = rooms::decode_state(text);
  ASSERT_TRUE(back.ok()) << back.error().message << "\n" << text;
  EXPECT_EQ(rooms::to_canonical_text(*back), rooms::to_canonical_text(state));
  EXPECT_TRUE(*back == state);
  // Encoding is deterministic, so the stored text of an unchanged state never churns.
  EXPECT_EQ(rooms::encode_state(*back), text);
}

TEST(StateCodec, RoundTripsAnEmptyState) {
  expect_round_trip(RoomState{});
}

TEST(StateCodec, RoundTripsEveryStepOfAConsultation) {
  // Every prefix, so each entity is seen in each of its statuses, derived fields included.
  const auto events = consultation("RM1");
  RoomState state;
  for (const auto& e : events) {
    (void)rooms::apply(state, e);
    expect_round_trip(state);
  }
  EXPECT_EQ(state.status, rooms::RoomStatus::kCompleted);
  EXPECT_EQ(state.participants.size(), 3u);
  EXPECT_EQ(state.recordings.at("RT2").status, rooms::RecordingStatus::kFailed);
  EXPECT_EQ(state.compositions.at("CJ1").progress_percent, 100);
  EXPECT_EQ(state.hook_failures.size(), 1u);
}

TEST(StateCodec, KeepsNanosecondsAndExtremeNumbers) {
  RoomState state = folded(consultation("RM1"));
  state.participants.at("PA1").connected_at = at(5, 123'456'789);
  state.max_sequence_number = std::numeric_limits<std::int64_t>::max();
  state.recordings.at("RT1").size_bytes = std::numeric_limits<std::int64_t>::min();
  state.participants.at("PA1").tracks.at("MT1v").last_toggle->stamp.sequence = -1;
  state.name = "Dr. \"Quote\" \\ ünïcode \n\t";
  expect_round_trip(state);
  auto back = rooms::decode_state(rooms::encode_state(state)).value();
  EXPECT_EQ(back.participants.at("PA1").connected_at, at(5, 123'456'789));
}

TEST(StateCodec, AStateReadBackMergesFurtherLikeTheOriginal) {
  // Facts survive, not only the derived view: folding the rest after a round trip in the middle
  // gives the same state as folding everything at once.
  const auto events = consultation("RM1");
  RoomState half;
  for (std::size_t i = 0; i < events.size() / 2; ++i)
    (void)rooms::apply(half, events[i]);
  RoomState resumed = rooms::decode_state(rooms::encode_state(half)).value();
  for (std::size_t i = events.size() / 2; i < events.size(); ++i)
    (void)rooms::apply(resumed, events[i]);
  EXPECT_EQ(rooms::to_canonical_text(resumed), rooms::to_canonical_text(folded(events)));
}

TEST(StateCodec, RejectsWhatItDidNotWrite) {
  const std::string good = rooms::encode_state(folded(consultation("RM1")));
  auto mutate = [&](auto&& fn) {
    auto j = nlohmann::json::parse(good);
    fn(j);
    return j.dump();
  };
  const std::vector<std::string> bad = {
      "",
      "not json",
      "[]",
      "{}",  // no version
      mutate([](auto& j) { j["v"] = 99; }),
      mutate([](auto& j) { j["created_at"] = "yesterday"; }),
      mutate([](auto& j) { j["created_at"] = 1.5; }),
      mutate([](auto& j) { j["max_sequence_number"] = 18446744073709551615ull; }),
      mutate([](auto& j) { j["status"] = "exploded"; }),
      mutate([](auto& j) { j["participants"] = "PA1"; }),
      mutate([](auto& j) { j["participants"][0].erase("sid"); }),
      mutate([](auto& j) { j["participants"][1]["sid"] = j["participants"][0]["sid"]; }),
      mutate([](auto& j) { j["participants"][0]["tracks"][0]["kind"] = "smell"; }),
      mutate([](auto& j) { j["participants"][0]["tracks"][0]["last_toggle"] = 3; }),
      mutate([](auto& j) { j["participants"][0]["tracks"][0]["last_toggle"].erase("at"); }),
      mutate([](auto& j) { j["compositions"][0]["progress_percent"] = 1LL << 40; }),
      mutate([](auto& j) { j["hook_failures"][0].erase("at"); }),
      mutate([](auto& j) { j["ended_failed"] = "no"; }),
  };
  for (const auto& text : bad) {
    auto decoded = rooms::decode_state(text);
    ASSERT_FALSE(decoded.ok()) << text;
    EXPECT_EQ(decoded.error().kind, core::ErrorKind::kInternal);
    EXPECT_TRUE(decoded.error().message.starts_with("stored room state unreadable"))
        << decoded.error().message;
  }
  EXPECT_TRUE(rooms::decode_state(mutate([](auto& j) { j["added_later"] = 1; })).ok())
      << "fields a newer writer added are ignored";
}

// --- The hand-written encoder against the reference ------------------------------------------

// What an encoder did with a state: the text, or the message of the json exception it threw
// (dump() throws type_error 316 on invalid UTF-8, and the new encoder must do the same).
struct Encoded {
  std::string text;
  std::string thrown;
  friend bool operator==(const Encoded&, const Encoded&) = default;
};

template <class Encoder>
Encoded run_encoder(Encoder encoder, const RoomState& state) {
  try {
    return {encoder(state), ""};
  } catch (const nlohmann::json::exception& e) {
    return {"", e.what()};
  }
}

// Compares the two encoders on `state`; true when they agreed on text (not on an exception).
bool expect_same_as_reference(const RoomState& state, const std::string& context) {
  const Encoded actual = run_encoder(rooms::encode_state, state);
  const Encoded expected = run_encoder(rooms::reference::encode_state, state);
  EXPECT_EQ(actual.text, expected.text) << context;
  EXPECT_EQ(actual.thrown, expected.thrown) << context;
  return expected.thrown.empty() && actual == expected;
}

// Text as webhooks may deliver it: plain, with everything JSON escapes, non-ASCII, and (from
// kInvalidUtf8) bytes that are not UTF-8 at all.
const std::vector<std::string> kValidTexts = {
    "doctor",
    "patient",
    "Dr. \"Quote\" O'Brien",
    "back\\slash\\",
    "tab\tnew\nline\rform\fbell\bend",
    std::string("nul\0byte", 8),
    "\x01\x02\x1e\x1f controls",
    "del \x7f stays",
    "/v1/Recordings/RT1/Media",
    "ünïcödé",
    "日本語の名前",
    "emoji 😀 and 𝄞",
    "\xEF\xBF\xBF max BMP",
    "\xF4\x8F\xBF\xBF max code point",
    "\xED\x9F\xBF: below surrogates",
    "\xE2\x80\xA8 line separator",
    "a longer identity that spans several eight-byte words \"with\" escapes \\ inside",
};
const std::vector<std::string> kInvalidUtf8 = {
    "bad \xFF byte",          "\xC0\x80 overlong nul",      "\xE0\x80\xAF overlong slash",
    "\xED\xA0\x80 surrogate", "\xF4\x90\x80\x80 above max", "\xF5\x80\x80\x80",
    "\x80 lone continuation", "truncated at end \xE2\x82",  "truncated \xF0\x9F\x98 mid",
    "latin-1 caf\xE9",
};

// Random rooms: random sequences of every kind of event over small pools of SIDs (so events
// meet and merge), with random text, times, sequence numbers and reported numbers.
class RandomRoom {
 public:
  explicit RandomRoom(std::uint64_t seed) : rng_(seed) {
    // One room in five may carry invalid UTF-8 somewhere; the others exercise the valid path.
    invalid_per_mille_ = chance(20) ? 50 : 0;
  }

  RoomState build() {
    const std::string room = chance(80) ? "RM" + std::to_string(pick(100)) : text();
    RoomState state;
    const std::size_t count = pick(40);
    for (std::size_t i = 0; i < count; ++i)
      (void)rooms::apply(state, random_event(room));
    return state;
  }

 private:
  std::size_t pick(std::size_t bound) {
    return std::uniform_int_distribution<std::size_t>(0, bound - 1)(rng_);
  }
  std::int64_t between(std::int64_t low, std::int64_t high) {
    return std::uniform_int_distribution<std::int64_t>(low, high)(rng_);
  }
  bool chance(std::size_t percent) { return pick(100) < percent; }

  std::string text() {
    if (pick(1000) < invalid_per_mille_)
      return kInvalidUtf8[pick(kInvalidUtf8.size())];
    return kValidTexts[pick(kValidTexts.size())];
  }
  std::string maybe_text() { return chance(40) ? std::string() : text(); }
  // Mostly ordinary SIDs, sometimes empty (an incomplete event), sometimes odd text.
  std::string sid(const char* prefix, std::size_t pool) {
    if (chance(3))
      return "";
    if (chance(5))
      return text();
    return prefix + std::to_string(pick(pool));
  }
  std::optional<std::int64_t> maybe_number() {
    if (chance(50))
      return std::nullopt;
    if (chance(5))
      return chance(50) ? std::numeric_limits<std::int64_t>::max()
                        : std::numeric_limits<std::int64_t>::min();
    return between(-5, 1'000'000);
  }
  std::optional<int> maybe_percent() {
    if (chance(30))
      return std::nullopt;
    if (chance(5))
      return chance(50) ? std::numeric_limits<int>::max() : std::numeric_limits<int>::min();
    return static_cast<int>(between(-10, 110));
  }

  RoomEvent random_event(const std::string& room) {
    const auto type =
        static_cast<RoomEventType>(pick(static_cast<std::size_t>(RoomEventType::kUnknown) + 1));
    std::optional<std::int64_t> sequence;
    if (chance(85))
      sequence = chance(3) ? std::numeric_limits<std::int64_t>::max() : between(0, 60);
    RoomEvent e = event(type, room, at(between(-50, 3600), between(0, 999'999'999)), sequence);
    e.room_name = maybe_text();
    e.room_duration_seconds = maybe_number();
    e.room_failed = chance(20);
    e.participant_sid = sid("PA", 4);
    e.participant_identity = maybe_text();
    e.participant_duration_seconds = maybe_number();
    e.track_sid = sid("MT", 4);
    e.track_kind = static_cast<rooms::TrackKind>(pick(4));
    e.track_name = maybe_text();
    e.recording_sid = sid("RT", 3);
    e.recording_source_sid = chance(50) ? e.track_sid : sid("MT", 4);
    e.recording_duration_seconds = maybe_number();
    e.recording_size_bytes = maybe_number();
    e.recording_media_uri = maybe_text();
    e.recording_error = maybe_text();
    e.composition_sid = sid("CJ", 3);
    e.composition_hook_sid = chance(30) ? std::string() : sid("HK", 2);
    e.composition_progress_percent = maybe_percent();
    e.composition_duration_seconds = maybe_number();
    e.composition_size_bytes = maybe_number();
    e.composition_media_uri = maybe_text();
    e.composition_error = maybe_text();
    return e;
  }

  std::mt19937_64 rng_;
  std::size_t invalid_per_mille_ = 0;
};

TEST(StateCodec, WritesWhatTheNlohmannEncoderWroteForRandomStates) {
  constexpr std::uint64_t kSeeds = 2000;
  std::size_t encoded = 0;
  std::size_t rejected = 0;
  // How many encoded states had each kind of entity, to show the generator reaches them all.
  std::size_t with_tracks = 0;
  std::size_t with_recordings = 0;
  std::size_t with_compositions = 0;
  std::size_t with_hook_failures = 0;
  std::size_t ended = 0;
  for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) {
    const RoomState state = RandomRoom(seed).build();
    const std::string context = "seed " + std::to_string(seed);
    if (!expect_same_as_reference(state, context)) {
      ++rejected;
      continue;
    }
    ++encoded;
    const bool has_tracks =
        std::any_of(state.participants.begin(), state.participants.end(),
                    [](const auto& entry) { return !entry.second.tracks.empty(); });
    with_tracks += has_tracks ? 1 : 0;
    with_recordings += state.recordings.empty() ? 0 : 1;
    with_compositions += state.compositions.empty() ? 0 : 1;
    with_hook_failures += state.hook_failures.empty() ? 0 : 1;
    ended += state.ended_at ? 1 : 0;
    const std::string text = rooms::encode_state(state);
    auto back = rooms::decode_state(text);
    ASSERT_TRUE(back.ok()) << context << ": " << back.error().message << "\n" << text;
    EXPECT_TRUE(*back == state) << context;
    EXPECT_EQ(rooms::to_canonical_text(*back), rooms::to_canonical_text(state)) << context;
    if (HasFailure())
      break;  // one seed's report is enough
  }
  // The generator reached both paths, and states rich enough to mean something.
  EXPECT_GT(encoded, kSeeds / 2);
  EXPECT_GT(rejected, 0u);
  for (const std::size_t states :
       {with_tracks, with_recordings, with_compositions, with_hook_failures, ended}) {
    EXPECT_GT(states, kSeeds / 4);
  }
}

RoomState named(const std::string& text) {
  RoomState state = folded(consultation("RM1"));
  state.name = text;
  state.participants.at("PA1").identity = text;
  return state;
}

TEST(StateCodec, EscapesAndRejectsTextLikeTheNlohmannEncoder) {
  for (const auto& text : kValidTexts) {
    EXPECT_TRUE(expect_same_as_reference(named(text), text));
    expect_round_trip(named(text));
  }
  for (const auto& text : kInvalidUtf8) {
    EXPECT_FALSE(expect_same_as_reference(named(text), text));
    EXPECT_THROW((void)rooms::encode_state(named(text)), nlohmann::json::type_error) << text;
  }
}

TEST(StateCodec, DecidesUtf8ValidityLikeTheNlohmannEncoderForEveryShortSequence) {
  // Every string of one and two bytes, and every lead byte of a longer sequence with every
  // second byte around the continuation range (where overlong forms, surrogates and the U+10FFFF
  // limit are decided) and tails
  // that complete a 3- or 4-byte sequence, leave it short, or break it: the hand-written check
  // must agree with nlohmann's on each.
  const std::vector<std::string> kTails = {"",         "\x80",         "\xBF",  "\x80\x80",
                                           "\xBF\xBF", "\x80\x80\x80", "\x80!", "\x80\x80!",
                                           "!",        "\x80\xC0"};
  RoomState state;
  state.room_sid = "RM1";
  auto compare = [&](const std::string& text) {
    state.name = text;
    expect_same_as_reference(state, ::testing::PrintToString(text));
  };
  for (int first = 0; first < 256 && !HasFailure(); ++first) {
    compare(std::string(1, static_cast<char>(first)));
    for (int second = 0; second < 256; ++second)
      compare({static_cast<char>(first), static_cast<char>(second)});
  }
  for (int lead = 0xE0; lead <= 0xF5 && !HasFailure(); ++lead) {
    for (int second = 0x7E; second <= 0xC1; ++second) {
      for (const std::string& tail : kTails) {
        compare(std::string{static_cast<char>(lead), static_cast<char>(second)} + tail);
        compare("ascii prefix " + std::string{static_cast<char>(lead), static_cast<char>(second)} +
                tail);
      }
    }
  }
}

}  // namespace
}  // namespace roomplane::storage::testing
