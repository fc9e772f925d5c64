// parse_callback and idempotency_key: Twilio's section 8 parameter sets for every event, every
// error, and keys that match for redeliveries and differ for distinct events.

#include "twilio/callback_event.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "unit/rooms/consultation.h"

namespace roomplane::twilio {
namespace {

using rooms::RoomEvent;
using rooms::RoomEventType;
using rooms::TrackKind;

constexpr const char* kAccount = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
constexpr const char* kRoom = "RMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
constexpr const char* kParticipant = "PAbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
constexpr const char* kTrack = "MTcccccccccccccccccccccccccccccccc";
constexpr const char* kRecording = "RTdddddddddddddddddddddddddddddddd";
constexpr const char* kComposition = "CJeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";
constexpr const char* kHook = "HKffffffffffffffffffffffffffffffff";

core::TimePoint utc(int year, unsigned month, unsigned day, int h, int m, int s) {
  using namespace std::chrono;
  return core::TimePoint(sys_days{std::chrono::year{year} / month / day} + hours(h) + minutes(m) +
                         seconds(s));
}

// A room event as Twilio sends it (section 8.1: the parameters every room event carries).
http::FormParams room_callback(const std::string& event, const std::string& sequence,
                               http::FormParams extra = {}) {
  http::FormParams params{{"AccountSid", kAccount},
                          {"RoomName", "DailyStandup"},
                          {"RoomSid", kRoom},
                          {"RoomStatus", "in-progress"},
                          {"RoomType", "group"},
                          {"StatusCallbackEvent", event},
                          {"Timestamp", "2024-01-01T00:02:05.000Z"},
                          {"SequenceNumber", sequence}};
  params.insert(params.end(), extra.begin(), extra.end());
  return params;
}

http::FormParams participant_params(const std::string& status) {
  return {{"ParticipantSid", kParticipant},
          {"ParticipantIdentity", "alice@example.com"},
          {"ParticipantStatus", status}};
}

http::FormParams track_params() {
  auto params = participant_params("connected");
  params.insert(params.end(),
                {{"TrackSid", kTrack}, {"TrackKind", "video"}, {"TrackName", "camera"}});
  return params;
}

http::FormParams recording_params() {
  return {{"RecordingSid", kRecording},
          {"ParticipantSid", kParticipant},
          {"ParticipantIdentity", "alice@example.com"},
          {"SourceSid", kTrack},
          {"TrackName", "microphone"},
          {"RecordingUri", std::string("/v1/Recordings/") + kRecording},
          {"Container", "mka"},
          {"Codec", "OPUS"},
          {"Type", "audio"},
          {"OffsetFromTwilioVideoEpoch", "1234"}};
}

// A composition event (section 8.2): no RoomName, no SequenceNumber.
http::FormParams composition_callback(const std::string& event, http::FormParams extra = {}) {
  http::FormParams params{{"AccountSid", kAccount},
                          {"RoomSid", kRoom},
                          {"StatusCallbackEvent", event},
                          {"Timestamp", "2024-01-01T01:00:00.000Z"},
                          {"CompositionSid", kComposition},
                          {"CompositionUri", std::string("/v1/Compositions/") + kComposition}};
  params.insert(params.end(), extra.begin(), extra.end());
  return params;
}

RoomEvent parsed(const http::FormParams& params) {
  auto result = parse_callback(params);
  EXPECT_TRUE(result.ok()) << result.error().code << ": " << result.error().message;
  return result.ok() ? std::move(result).value() : RoomEvent{};
}

void set_param(http::FormParams& params, const std::string& name, const std::string& value) {
  for (auto& [key, v] : params) {
    if (key == name) {
      v = value;
      return;
    }
  }
  params.emplace_back(name, value);
}

void remove_param(http::FormParams& params, const std::string& name) {
  std::erase_if(params, [&](const auto& p) { return p.first == name; });
}

// --- Every event type ---------------------------------------------------------------------------

TEST(ParseCallback, RoomCreated) {
  const RoomEvent e = parsed(room_callback("room-created", "0"));
  EXPECT_EQ(e.type, RoomEventType::kRoomCreated);
  EXPECT_EQ(e.raw_name, "room-created");
  EXPECT_EQ(e.room_sid, kRoom);
  EXPECT_EQ(e.room_name, "DailyStandup");
  EXPECT_EQ(e.sequence_number, 0);
  EXPECT_EQ(e.occurred_at, utc(2024, 1, 1, 0, 2, 5));
  EXPECT_FALSE(e.room_failed);
}

TEST(ParseCallback, RoomEnded) {
  auto params = room_callback("room-ended", "12", {{"RoomDuration", "3600"}});
  set_param(params, "RoomStatus", "completed");
  const RoomEvent e = parsed(params);
  EXPECT_EQ(e.type, RoomEventType::kRoomEnded);
  EXPECT_EQ(e.room_duration_seconds, 3600);
  EXPECT_FALSE(e.room_failed);
  set_param(params, "RoomStatus", "failed");
  EXPECT_TRUE(parsed(params).room_failed);
}

TEST(ParseCallback, ParticipantConnectedAndDisconnected) {
  const RoomEvent connected =
      parsed(room_callback("participant-connected", "1", participant_params("connected")));
  EXPECT_EQ(connected.type, RoomEventType::kParticipantConnected);
  EXPECT_EQ(connected.participant_sid, kParticipant);
  EXPECT_EQ(connected.participant_identity, "alice@example.com");
  EXPECT_FALSE(connected.participant_duration_seconds);

  auto params = room_callback("participant-disconnected", "3", participant_params("disconnected"));
  params.emplace_back("ParticipantDuration", "125");
  const RoomEvent disconnected = parsed(params);
  EXPECT_EQ(disconnected.type, RoomEventType::kParticipantDisconnected);
  EXPECT_EQ(disconnected.participant_duration_seconds, 125);
}

TEST(ParseCallback, TrackEvents) {
  const std::pair<const char*, RoomEventType> cases[] = {
      {"track-added", RoomEventType::kTrackAdded},
      {"track-removed", RoomEventType::kTrackRemoved},
      {"track-enabled", RoomEventType::kTrackEnabled},
      {"track-disabled", RoomEventType::kTrackDisabled},
  };
  for (const auto& [name, type] : cases) {
    const RoomEvent e = parsed(room_callback(name, "4", track_params()));
    EXPECT_EQ(e.type, type) << name;
    EXPECT_EQ(e.participant_sid, kParticipant);
    EXPECT_EQ(e.participant_identity, "alice@example.com");
    EXPECT_EQ(e.track_sid, kTrack);
    EXPECT_EQ(e.track_kind, TrackKind::kVideo);
    EXPECT_EQ(e.track_name, "camera");
  }
  auto params = room_callback("track-added", "4", track_params());
  set_param(params, "TrackKind", "audio");
  EXPECT_EQ(parsed(params).track_kind, TrackKind::kAudio);
  set_param(params, "TrackKind", "data");
  EXPECT_EQ(parsed(params).track_kind, TrackKind::kData);
  set_param(params, "TrackKind", "hologram");  // tolerated: a new kind must not lose the event
  EXPECT_EQ(parsed(params).track_kind, TrackKind::kUnknown);
  remove_param(params, "TrackName");  // unverified in the docs: optional
  remove_param(params, "ParticipantIdentity");
  EXPECT_TRUE(parse_callback(params).ok());
}

TEST(ParseCallback, RecordingStarted) {
  const RoomEvent e = parsed(room_callback("recording-started", "5", recording_params()));
  EXPECT_EQ(e.type, RoomEventType::kRecordingStarted);
  EXPECT_EQ(e.recording_sid, kRecording);
  EXPECT_EQ(e.participant_sid, kParticipant);
  EXPECT_EQ(e.recording_source_sid, kTrack);
  EXPECT_EQ(e.track_name, "microphone");
  EXPECT_EQ(e.track_kind, TrackKind::kAudio);
  EXPECT_FALSE(e.recording_duration_seconds);
}

TEST(ParseCallback, RecordingCompleted) {
  auto extra = recording_params();
  extra.insert(extra.end(), {{"MediaUri", std::string("/v1/Recordings/") + kRecording + "/Media"},
                             {"Duration", "61"},
                             {"Size", "244000"},
                             {"MediaExternalLocation", ""}});
  const RoomEvent e = parsed(room_callback("recording-completed", "9", extra));
  EXPECT_EQ(e.type, RoomEventType::kRecordingCompleted);
  EXPECT_EQ(e.recording_duration_seconds, 61);
  EXPECT_EQ(e.recording_size_bytes, 244000);
  EXPECT_EQ(e.recording_media_uri, std::string("/v1/Recordings/") + kRecording + "/Media");
}

TEST(ParseCallback, RecordingFailed) {
  auto extra = recording_params();
  extra.emplace_back("FailedOperation", "RecordingUpload");
  const RoomEvent e = parsed(room_callback("recording-failed", "10", extra));
  EXPECT_EQ(e.type, RoomEventType::kRecordingFailed);
  EXPECT_EQ(e.recording_error, "RecordingUpload");
}

TEST(ParseCallback, CompositionEnqueuedAndStarted) {
  const RoomEvent enqueued = parsed(composition_callback(
      "composition-enqueued", {{"HookSid", kHook},
                               {"HookUri", std::string("/v1/CompositionHooks/") + kHook},
                               {"HookFriendlyName", "grid"}}));
  EXPECT_EQ(enqueued.type, RoomEventType::kCompositionEnqueued);
  EXPECT_EQ(enqueued.composition_sid, kComposition);
  EXPECT_EQ(enqueued.composition_hook_sid, kHook);
  EXPECT_EQ(enqueued.room_sid, kRoom);
  EXPECT_TRUE(enqueued.room_name.empty());
  EXPECT_FALSE(enqueued.sequence_number);
  EXPECT_EQ(enqueued.occurred_at, utc(2024, 1, 1, 1, 0, 0));

  const RoomEvent started = parsed(composition_callback("composition-started"));
  EXPECT_EQ(started.type, RoomEventType::kCompositionStarted);
}

TEST(ParseCallback, CompositionProgress) {
  const RoomEvent e = parsed(composition_callback(
      "composition-progress", {{"PercentageDone", "40"}, {"SecondsRemaining", "12"}}));
  EXPECT_EQ(e.type, RoomEventType::kCompositionProgress);
  EXPECT_EQ(e.composition_progress_percent, 40);
  EXPECT_EQ(parsed(composition_callback("composition-progress", {{"PercentageDone", "99.5"}}))
                .composition_progress_percent,
            99);
  EXPECT_EQ(parsed(composition_callback("composition-progress", {{"PercentageDone", "100"}}))
                .composition_progress_percent,
            100);
}

TEST(ParseCallback, CompositionAvailable) {
  const RoomEvent e = parsed(composition_callback(
      "composition-available",
      {{"MediaUri", std::string("/v1/Compositions/") + kComposition + "/Media"},
       {"Duration", "3600"},
       {"Size", "123456789"}}));
  EXPECT_EQ(e.type, RoomEventType::kCompositionAvailable);
  EXPECT_EQ(e.composition_media_uri, std::string("/v1/Compositions/") + kComposition + "/Media");
  EXPECT_EQ(e.composition_duration_seconds, 3600);
  EXPECT_EQ(e.composition_size_bytes, 123456789);
}

TEST(ParseCallback, CompositionFailed) {
  const RoomEvent e = parsed(composition_callback(
      "composition-failed", {{"FailedOperation", "Composing"}, {"ErrorMessage", "no media"}}));
  EXPECT_EQ(e.type, RoomEventType::kCompositionFailed);
  EXPECT_EQ(e.composition_error, "no media");
  // Without ErrorMessage, FailedOperation is what there is.
  EXPECT_EQ(parsed(composition_callback("composition-failed", {{"FailedOperation", "Composing"}}))
                .composition_error,
            "Composing");
}

TEST(ParseCallback, CompositionHookFailedHasNoCompositionSid) {
  const RoomEvent e = parsed({{"AccountSid", kAccount},
                              {"RoomSid", kRoom},
                              {"StatusCallbackEvent", "composition-hook-failed"},
                              {"Timestamp", "2024-01-01T01:00:00Z"},
                              {"HookSid", kHook},
                              {"HookUri", std::string("/v1/CompositionHooks/") + kHook},
                              {"HookFriendlyName", "grid"},
                              {"FailedOperation", "CompositionCreate"},
                              {"ErrorMessage", "No recordings"}});
  EXPECT_EQ(e.type, RoomEventType::kCompositionHookFailed);
  EXPECT_TRUE(e.composition_sid.empty());
  EXPECT_EQ(e.composition_hook_sid, kHook);
  EXPECT_EQ(e.composition_error, "No recordings");
}

TEST(ParseCallback, UnknownEventsParseLeniently) {
  auto params = room_callback("participant-reconnecting", "7", participant_params("reconnecting"));
  const RoomEvent e = parsed(params);
  EXPECT_EQ(e.type, RoomEventType::kUnknown);
  EXPECT_EQ(e.raw_name, "participant-reconnecting");
  EXPECT_EQ(e.room_sid, kRoom);
  EXPECT_EQ(e.participant_sid, kParticipant);
  EXPECT_EQ(e.sequence_number, 7);

  // Nothing is required of it, and a malformed value is dropped rather than rejected.
  const RoomEvent bare = parsed({{"StatusCallbackEvent", "something-new"},
                                 {"Timestamp", "yesterday"},
                                 {"SequenceNumber", "x"},
                                 {"ParticipantSid", "PA1"}});
  EXPECT_EQ(bare.type, RoomEventType::kUnknown);
  EXPECT_EQ(bare.occurred_at, core::TimePoint{});
  EXPECT_FALSE(bare.sequence_number);
  EXPECT_TRUE(bare.participant_sid.empty());
  EXPECT_TRUE(bare.room_sid.empty());
}

TEST(ParseCallback, IgnoresUnknownParametersAndReadsTheFirstOfRepeats) {
  auto params = room_callback("room-created", "0", {{"SomethingNew", "1"}});
  params.emplace_back("RoomName", "Second");
  EXPECT_EQ(parsed(params).room_name, "DailyStandup");
}

// The shared reference vectors (webhook-signatures.json) that are Video status callbacks.
TEST(ParseCallback, ReferenceVectors) {
  std::ifstream file(std::string(ROOMPLANE_VECTORS_DIR) + "/webhook-signatures.json");
  ASSERT_TRUE(file.is_open());
  const auto doc = nlohmann::json::parse(file);
  int parsed_count = 0;
  int rejected = 0;
  for (const auto& vector : doc.at("vectors")) {
    if (!vector.contains("params") || !vector["params"].is_object() ||
        !vector["params"].contains("StatusCallbackEvent"))
      continue;
    http::FormParams params;
    for (const auto& [key, value] : vector["params"].items()) {
      if (value.is_array()) {
        for (const auto& v : value)
          params.emplace_back(key, v.get<std::string>());
      } else {
        params.emplace_back(key, value.get<std::string>());
      }
    }
    auto result = parse_callback(params);
    if (vector["params"].contains("RoomSid")) {
      ASSERT_TRUE(result.ok()) << vector["id"] << ": " << result.error().message;
      EXPECT_NE(result->type, RoomEventType::kUnknown);
      ++parsed_count;
    } else {  // the vector that spells it "roomsid": names are case-sensitive
      ASSERT_FALSE(result.ok()) << vector["id"];
      EXPECT_EQ(result.error().code, kErrCallbackMissingParameter);
      ++rejected;
    }
  }
  EXPECT_GE(parsed_count, 20);
  EXPECT_EQ(rejected, 1);
}

// --- Errors
// ---------------------------------------------------------------------------------------

void expect_error(const http::FormParams& params, std::string_view code,
                  const std::string& parameter) {
  auto result = parse_callback(params);
  ASSERT_FALSE(result.ok()) << "expected an error naming " << parameter;
  EXPECT_EQ(result.error().kind, core::ErrorKind::kInvalidArgument);
  EXPECT_EQ(result.error().code, code);
  EXPECT_NE(result.error().message.find(parameter), std::string::npos) << result.error().message;
}

void expect_missing(http::FormParams params, const std::string& parameter) {
  remove_param(params, parameter);
  expect_error(params, kErrCallbackMissingParameter, parameter);
  params.emplace_back(parameter, "");  // empty is absent
  expect_error(params, kErrCallbackMissingParameter, parameter);
}

void expect_invalid(http::FormParams params, const std::string& parameter,
                    const std::string& value) {
  set_param(params, parameter, value);
  SCOPED_TRACE(parameter + "=" + value);
  expect_error(params, kErrCallbackInvalidParameter, parameter);
}

TEST(ParseCallbackErrors, MissingRequiredParameters) {
  expect_missing(room_callback("room-created", "0"), "StatusCallbackEvent");
  expect_missing(room_callback("room-created", "0"), "RoomSid");
  expect_missing(room_callback("room-created", "0"), "Timestamp");
  expect_missing(room_callback("composition-started", "0"), "RoomSid");
  const auto connected =
      room_callback("participant-connected", "1", participant_params("connected"));
  expect_missing(connected, "ParticipantSid");
  expect_missing(connected, "ParticipantIdentity");
  const auto track = room_callback("track-added", "2", track_params());
  expect_missing(track, "ParticipantSid");
  expect_missing(track, "TrackSid");
  expect_missing(room_callback("recording-started", "3", recording_params()), "RecordingSid");
  expect_missing(composition_callback("composition-available"), "CompositionSid");
  expect_missing(composition_callback("composition-progress", {{"PercentageDone", "10"}}),
                 "PercentageDone");
}

TEST(ParseCallbackErrors, MalformedParameters) {
  const auto created = room_callback("room-created", "0");
  expect_invalid(created, "RoomSid", "RM123");
  expect_invalid(created, "RoomSid", "PAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");  // wrong prefix
  expect_invalid(created, "RoomSid", "RMgggggggggggggggggggggggggggggggg");  // not hex
  expect_invalid(created, "SequenceNumber", "-1");
  expect_invalid(created, "SequenceNumber", "1.5");
  expect_invalid(created, "SequenceNumber", "abc");
  expect_invalid(created, "SequenceNumber", "99999999999999999999");
  expect_invalid(created, "Timestamp", "2024-01-01 00:00:00Z");
  expect_invalid(created, "Timestamp", "1704067200");
  expect_invalid(created, "RoomName", std::string(kMaxCallbackTextBytes + 1, 'x'));
  expect_invalid(room_callback("room-ended", "9"), "RoomDuration", "ten");

  auto disconnected =
      room_callback("participant-disconnected", "3", participant_params("disconnected"));
  expect_invalid(disconnected, "ParticipantSid", "PA1");
  expect_invalid(disconnected, "ParticipantDuration", "-5");
  expect_invalid(disconnected, "ParticipantIdentity", std::string(kMaxCallbackTextBytes + 1, 'a'));
  expect_invalid(disconnected, "ParticipantIdentity", "doctor\xc3");  // truncated sequence
  expect_invalid(created, "RoomName", "consult \xed\xa0\x80 room");   // a UTF-16 surrogate
  expect_invalid(created, "RoomName", "\xff");
  expect_invalid(room_callback("track-added", "2", track_params()), "TrackSid",
                 "RTdddddddddddddddddddddddddddddddd");

  auto completed = recording_params();
  completed.insert(completed.end(), {{"Duration", "61"}, {"Size", "100"}});
  expect_invalid(room_callback("recording-completed", "9", completed), "Duration", "6l");
  expect_invalid(room_callback("recording-completed", "9", completed), "Size", "1e6");
  expect_invalid(room_callback("recording-completed", "9", completed), "SourceSid", "MT1");

  const auto progress = composition_callback("composition-progress", {{"PercentageDone", "10"}});
  expect_invalid(progress, "PercentageDone", "101");
  expect_invalid(progress, "PercentageDone", "-1");
  expect_invalid(progress, "PercentageDone", "50%");
  expect_invalid(progress, "PercentageDone", "5.");
  expect_invalid(progress, "CompositionSid", "CJ");
  expect_invalid(composition_callback("composition-enqueued", {{"HookSid", "HK1"}}), "HookSid",
                 "HK1");
}

// --- Timestamps
// -----------------------------------------------------------------------------------

TEST(CallbackTimestamp, AcceptsTheSpellingsTwilioUses) {
  const auto noon = utc(2024, 3, 5, 12, 30, 15);
  EXPECT_EQ(parse_callback_timestamp("2024-03-05T12:30:15Z"), noon);
  EXPECT_EQ(parse_callback_timestamp("2024-03-05T12:30:15.000Z"), noon);
  EXPECT_EQ(parse_callback_timestamp("2024-03-05T12:30:15+00:00"), noon);
  EXPECT_EQ(parse_callback_timestamp("2024-03-05T12:30:15.000000+00:00"), noon);
  EXPECT_EQ(parse_callback_timestamp("2024-03-05T14:30:15+02:00"), noon);
  EXPECT_EQ(parse_callback_timestamp("2024-03-05T07:00:15-05:30"), noon);
  EXPECT_EQ(parse_callback_timestamp("2024-03-05T12:30:15.25Z"),
            noon + std::chrono::milliseconds(250));
  EXPECT_EQ(parse_callback_timestamp("2024-03-05T12:30:15.123456789123Z"),
            noon + std::chrono::nanoseconds(123456789));  // beyond nanoseconds: truncated
  EXPECT_EQ(parse_callback_timestamp("2024-02-29T00:00:00Z"), utc(2024, 2, 29, 0, 0, 0));
  EXPECT_EQ(parse_callback_timestamp("1970-01-01T00:00:00Z"), core::TimePoint{});
  EXPECT_EQ(parse_callback_timestamp("2199-12-31T23:59:59Z"), utc(2199, 12, 31, 23, 59, 59));
}

TEST(CallbackTimestamp, RejectsEverythingElse) {
  for (const char* text : {"",
                           "2024-03-05",
                           "2024-03-05T12:30:15",
                           "2024-03-05T12:30Z",
                           "2024-03-05T12:30:15.Z",
                           "2024-03-05T12:30:15ZZ",
                           "2024-03-05T12:30:15 Z",
                           "2024-3-05T12:30:15Z",
                           "2024-03-05 12:30:15Z",
                           "2023-02-29T00:00:00Z",
                           "2024-13-01T00:00:00Z",
                           "2024-04-31T00:00:00Z",
                           "2024-03-05T24:00:00Z",
                           "2024-03-05T12:60:00Z",
                           "2024-03-05T12:30:60Z",
                           "2024-03-05T12:30:15+0000",
                           "2024-03-05T12:30:15+24:00",
                           "1969-12-31T23:59:59Z",
                           "2200-01-01T00:00:00Z",
                           "9999-12-31T23:59:59Z",
                           "+024-03-05T12:30:15Z",
                           "2024-03-05T12:30:15.5x"}) {
    EXPECT_FALSE(parse_callback_timestamp(text)) << text;
  }
}

// --- Idempotency keys
// -----------------------------------------------------------------------------

const core::TenantId kTenant{"tn_one"};

std::string key_of(const http::FormParams& params, const core::TenantId& tenant = kTenant) {
  return idempotency_key(tenant, parsed(params));
}

TEST(IdempotencyKey, EqualForARedeliveryAndScopedByTenant) {
  const auto params = room_callback("participant-connected", "1", participant_params("connected"));
  const std::string key = key_of(params);
  EXPECT_EQ(key.size(), 64u);
  EXPECT_EQ(key.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(key_of(params), key);
  EXPECT_NE(key_of(params, core::TenantId("tn_two")), key);
}

TEST(IdempotencyKey, DiffersForDistinctEvents) {
  const auto connected =
      room_callback("participant-connected", "1", participant_params("connected"));
  auto next = connected;
  set_param(next, "SequenceNumber", "2");
  EXPECT_NE(key_of(connected), key_of(next));
  auto disconnected = connected;
  set_param(disconnected, "StatusCallbackEvent", "participant-disconnected");
  EXPECT_NE(key_of(connected), key_of(disconnected));
  auto other = connected;
  set_param(other, "ParticipantSid", "PA0000000000000000000000000000000f");
  EXPECT_NE(key_of(connected), key_of(other));
  auto other_room = connected;
  set_param(other_room, "RoomSid", "RM0000000000000000000000000000000f");
  EXPECT_NE(key_of(connected), key_of(other_room));
}

TEST(IdempotencyKey, ProgressReportsDifferByPercentage) {
  const auto forty = composition_callback("composition-progress", {{"PercentageDone", "40"}});
  const auto fifty = composition_callback("composition-progress", {{"PercentageDone", "50"}});
  EXPECT_NE(key_of(forty), key_of(fifty));  // same composition, same second
  EXPECT_EQ(key_of(forty), key_of(forty));
  // The instant, not its spelling, is what counts.
  auto respelt = forty;
  set_param(respelt, "Timestamp", "2024-01-01T01:00:00+00:00");
  EXPECT_EQ(key_of(respelt), key_of(forty));
}

TEST(IdempotencyKey, EventsWithoutSequenceNumbersDifferByTime) {
  const http::FormParams first{{"RoomSid", kRoom},
                               {"StatusCallbackEvent", "composition-hook-failed"},
                               {"Timestamp", "2024-01-01T01:00:00Z"},
                               {"HookSid", kHook}};
  auto second = first;
  set_param(second, "Timestamp", "2024-01-01T02:00:00Z");
  EXPECT_NE(key_of(first), key_of(second));
}

TEST(IdempotencyKey, FieldsCannotRunTogether) {
  RoomEvent a;
  a.type = RoomEventType::kTrackAdded;
  a.room_sid = "RM1";
  a.participant_sid = "PA12";
  a.track_sid = "3";
  RoomEvent b = a;
  b.participant_sid = "PA1";
  b.track_sid = "23";
  EXPECT_NE(idempotency_key(kTenant, a), idempotency_key(kTenant, b));
  EXPECT_NE(idempotency_key(core::TenantId("tn_1"), a), idempotency_key(core::TenantId("tn_"), a));
}

TEST(IdempotencyKey, UnknownEventsAreKeyedByTheirRawName) {
  auto a = room_callback("participant-reconnecting", "7", participant_params("reconnecting"));
  auto b = a;
  set_param(b, "StatusCallbackEvent", "participant-reconnected");
  EXPECT_NE(key_of(a), key_of(b));
  EXPECT_EQ(key_of(a), key_of(a));
}

TEST(IdempotencyKey, UnknownEventsAreKeyedByEveryParameterInAnyOrder) {
  const http::FormParams a{{"RoomSid", kRoom}, {"StatusCallbackEvent", "room-foo"}, {"Note", "a"}};
  auto b = a;
  set_param(b, "Note", "b");
  EXPECT_NE(key_of(a), key_of(b));
  auto extra = a;
  extra.emplace_back("Extra", "");
  EXPECT_NE(key_of(a), key_of(extra));
  auto repeated = a;
  repeated.emplace_back("Note", "a");  // a repeated pair is another callback too
  EXPECT_NE(key_of(a), key_of(repeated));
  auto reordered = a;
  std::reverse(reordered.begin(), reordered.end());
  EXPECT_EQ(key_of(a), key_of(reordered));
  EXPECT_EQ(parsed(a).unknown_params_digest.size(), 64u);
  // A known event's key ignores parameters it does not read, as before.
  auto connected = room_callback("participant-connected", "1", participant_params("connected"));
  auto noted = connected;
  noted.emplace_back("Note", "b");
  EXPECT_EQ(key_of(connected), key_of(noted));
  EXPECT_TRUE(parsed(connected).unknown_params_digest.empty());
}

TEST(IdempotencyKey, EveryCallbackOfAConsultationHasItsOwnKey) {
  std::size_t callbacks = 0;
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    const auto consultation = rooms::testing::generate_consultation(seed);
    std::set<std::string> keys;
    for (const auto& params : consultation.callbacks)
      keys.insert(key_of(params));
    EXPECT_EQ(keys.size(), consultation.callbacks.size()) << "seed " << seed;
    callbacks += consultation.callbacks.size();
  }
  RecordProperty("callbacks_keyed", static_cast<int>(callbacks));
}

TEST(CallbackEventName, RoundTripsEveryKnownType) {
  for (int i = 0; i < static_cast<int>(RoomEventType::kUnknown); ++i) {
    const auto type = static_cast<RoomEventType>(i);
    const std::string name(callback_event_name(type));
    ASSERT_FALSE(name.empty());
    // Every parameter any event requires; the others are ignored.
    const http::FormParams params{{"StatusCallbackEvent", name},
                                  {"RoomSid", kRoom},
                                  {"Timestamp", "2024-01-01T00:00:00Z"},
                                  {"ParticipantSid", kParticipant},
                                  {"ParticipantIdentity", "alice"},
                                  {"TrackSid", kTrack},
                                  {"RecordingSid", kRecording},
                                  {"CompositionSid", kComposition},
                                  {"PercentageDone", "10"}};
    const RoomEvent e = parsed(params);
    EXPECT_EQ(e.type, type) << name;
    EXPECT_EQ(e.raw_name, name);
  }
  EXPECT_TRUE(callback_event_name(RoomEventType::kUnknown).empty());
}

}  // namespace
}  // namespace roomplane::twilio
