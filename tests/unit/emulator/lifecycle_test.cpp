// Room lifecycle and its status callbacks: exact order, parameters and SequenceNumbers;
// empty-room, unused-room and MaxParticipantDuration timeouts driven by tick().

#include "unit/emulator/emulator_test_support.h"

namespace roomplane::emulator::test {
namespace {

using LifecycleTest = EmulatorTest;
using namespace std::chrono_literals;

TEST_F(LifecycleTest, CompletingARecordedRoomSendsCallbacksInTwiliosOrder) {
  const auto room =
      create_room({{"UniqueName", "consult"}, {"RecordParticipantsOnConnect", "true"}});
  const std::string rs = room["sid"];
  const auto alice = connect(rs, "alice");
  const auto bob = connect(rs, "bob");
  publish(rs, "alice", "audio", "alice-mic");
  publish(rs, "bob", "video", "bob-cam");
  clock_.advance(65s);
  ASSERT_EQ(complete(rs).status, 202u);

  const std::vector<std::string> expected = {"room-created",
                                             "participant-connected",
                                             "participant-connected",
                                             "track-added",
                                             "recording-started",
                                             "track-added",
                                             "recording-started",
                                             "track-removed",
                                             "participant-disconnected",
                                             "track-removed",
                                             "participant-disconnected",
                                             "recording-completed",
                                             "recording-completed",
                                             "room-ended"};
  EXPECT_EQ(sink_.events(rs), expected);

  const auto callbacks = sink_.for_key(rs);
  ASSERT_EQ(callbacks.size(), expected.size());
  for (std::size_t i = 0; i < callbacks.size(); ++i) {
    const auto& cb = callbacks[i];
    SCOPED_TRACE(param(cb, "StatusCallbackEvent"));
    EXPECT_EQ(cb.url, kCallbackUrl);
    EXPECT_EQ(cb.method, "POST");
    EXPECT_EQ(cb.auth_token, account_.auth_token);
    EXPECT_EQ(param(cb, "SequenceNumber"), std::to_string(i));
    EXPECT_EQ(param(cb, "AccountSid"), account_.account_sid);
    EXPECT_EQ(param(cb, "RoomSid"), rs);
    EXPECT_EQ(param(cb, "RoomName"), "consult");
    EXPECT_EQ(param(cb, "RoomType"), "group");
    EXPECT_EQ(param(cb, "RoomStatus"), i + 1 == callbacks.size() ? "completed" : "in-progress");
    EXPECT_EQ(param(cb, "Timestamp"), i < 7 ? "2023-11-14T22:13:20Z" : "2023-11-14T22:14:25Z");
    // The first eight parameters are the common ones, in this order.
    ASSERT_GE(cb.params.size(), 8u);
    EXPECT_EQ(cb.params[0].first, "AccountSid");
    EXPECT_EQ(cb.params[7].first, "SequenceNumber");
  }
  // room-created carries nothing else.
  EXPECT_EQ(callbacks[0].params.size(), 8u);
  // participant-connected
  EXPECT_EQ(param(callbacks[1], "ParticipantSid"), alice["sid"]);
  EXPECT_EQ(param(callbacks[1], "ParticipantIdentity"), "alice");
  EXPECT_EQ(param(callbacks[1], "ParticipantStatus"), "connected");
  EXPECT_FALSE(has_param(callbacks[1], "ParticipantDuration"));
  // track-added
  EXPECT_EQ(param(callbacks[3], "TrackKind"), "audio");
  EXPECT_EQ(param(callbacks[3], "TrackName"), "alice-mic");
  EXPECT_EQ(param(callbacks[3], "TrackSid").rfind("MT", 0), 0u);
  // recording-started
  const auto& started = callbacks[4];
  EXPECT_EQ(param(started, "RecordingSid").rfind("RT", 0), 0u);
  EXPECT_EQ(param(started, "SourceSid"), param(callbacks[3], "TrackSid"));
  EXPECT_EQ(param(started, "ParticipantSid"), alice["sid"]);
  EXPECT_EQ(param(started, "ParticipantIdentity"), "alice");
  EXPECT_EQ(param(started, "TrackName"), "alice-mic");
  EXPECT_EQ(param(started, "Container"), "mka");
  EXPECT_EQ(param(started, "Codec"), "OPUS");
  EXPECT_EQ(param(started, "Type"), "audio");
  EXPECT_EQ(param(started, "RecordingUri"), "/v1/Recordings/" + param(started, "RecordingSid"));
  EXPECT_NE(param(started, "OffsetFromTwilioVideoEpoch"), "<absent>");
  EXPECT_FALSE(has_param(started, "MediaUri"));
  EXPECT_EQ(param(callbacks[6], "Container"), "mkv");
  EXPECT_EQ(param(callbacks[6], "Codec"), "VP8");
  // participant-disconnected
  EXPECT_EQ(param(callbacks[8], "ParticipantDuration"), "65");
  EXPECT_EQ(param(callbacks[8], "ParticipantStatus"), "disconnected");
  EXPECT_EQ(param(callbacks[10], "ParticipantSid"), bob["sid"]);
  // recording-completed
  const auto& done = callbacks[11];
  EXPECT_EQ(param(done, "RecordingSid"), param(started, "RecordingSid"));
  EXPECT_EQ(param(done, "MediaUri"), "/v1/Recordings/" + param(started, "RecordingSid") + "/Media");
  EXPECT_EQ(param(done, "Duration"), "65");
  EXPECT_EQ(param(done, "Size"), std::to_string(65 * 4000));
  // room-ended
  EXPECT_EQ(param(callbacks.back(), "RoomDuration"), "65");
}

TEST_F(LifecycleTest, EmptyRoomTimeoutEndsTheRoomAfterTheLastParticipantLeft) {
  const auto room = create_room();
  const std::string rs = room["sid"];
  connect(rs, "alice");
  clock_.advance(10min);  // occupied rooms never time out
  emulator_->tick();
  ASSERT_EQ(disconnect(rs, "alice").status, 200u);
  clock_.advance(5min - 1s);
  emulator_->tick();
  EXPECT_EQ(get("/v1/Rooms/" + rs).body["status"], "in-progress");
  // Someone joining and leaving again restarts the timer.
  connect(rs, "bob");
  disconnect(rs, "bob");
  clock_.advance(2s);
  emulator_->tick();
  EXPECT_EQ(get("/v1/Rooms/" + rs).body["status"], "in-progress");
  clock_.advance(5min);
  emulator_->tick();
  const auto ended = get("/v1/Rooms/" + rs);
  EXPECT_EQ(ended.body["status"], "completed");
  EXPECT_EQ(ended.body["duration"], 20 * 60 + 1);
  EXPECT_EQ(sink_.events(rs).back(), "room-ended");
  // Ticking again changes nothing.
  const auto count = sink_.for_key(rs).size();
  clock_.advance(1h);
  emulator_->tick();
  EXPECT_EQ(sink_.for_key(rs).size(), count);
}

TEST_F(LifecycleTest, CustomEmptyRoomTimeoutThroughTheControlTickRoute) {
  const auto room = create_room({{"EmptyRoomTimeout", "1"}});
  const std::string rs = room["sid"];
  connect(rs, "alice");
  disconnect(rs, "alice");
  clock_.advance(59s);
  ASSERT_EQ(control_post("/_emulator/tick").status, 200u);
  EXPECT_EQ(get("/v1/Rooms/" + rs).body["status"], "in-progress");
  clock_.advance(1s);
  ASSERT_EQ(control_post("/_emulator/tick").status, 200u);
  EXPECT_EQ(get("/v1/Rooms/" + rs).body["status"], "completed");
}

TEST_F(LifecycleTest, UnusedRoomTimeoutEndsARoomNobodyJoined) {
  const auto defaulted = create_room();
  const auto custom = create_room({{"UnusedRoomTimeout", "2"}});
  clock_.advance(2min);
  emulator_->tick();
  EXPECT_EQ(get("/v1/Rooms/" + custom["sid"].get<std::string>()).body["status"], "completed");
  EXPECT_EQ(get("/v1/Rooms/" + defaulted["sid"].get<std::string>()).body["status"], "in-progress");
  clock_.advance(3min);
  emulator_->tick();
  const auto ended = get("/v1/Rooms/" + defaulted["sid"].get<std::string>());
  EXPECT_EQ(ended.body["status"], "completed");
  EXPECT_EQ(ended.body["duration"], 300);
  EXPECT_EQ(sink_.events(defaulted["sid"].get<std::string>()),
            (std::vector<std::string>{"room-created", "room-ended"}));
  const auto cb = sink_.for_key(defaulted["sid"].get<std::string>()).back();
  EXPECT_EQ(param(cb, "RoomDuration"), "300");
  EXPECT_EQ(param(cb, "SequenceNumber"), "1");
}

TEST_F(LifecycleTest, MaxParticipantDurationDisconnectsTheParticipant) {
  const auto room = create_room({{"MaxParticipantDuration", "600"}});
  const std::string rs = room["sid"];
  connect(rs, "alice");
  clock_.advance(5min);
  connect(rs, "bob");
  clock_.advance(5min);
  emulator_->tick();
  const auto participants = get("/v1/Rooms/" + rs + "/Participants");
  ASSERT_EQ(participants.body["participants"].size(), 1u);
  EXPECT_EQ(participants.body["participants"][0]["identity"], "bob");
  EXPECT_EQ(sink_.events(rs).back(), "participant-disconnected");
}

TEST_F(LifecycleTest, GetCallbackMethodAndNoCallbackUrl) {
  const auto room = create_room({{"StatusCallbackMethod", "GET"}});
  EXPECT_EQ(sink_.for_key(room["sid"].get<std::string>()).front().method, "GET");
  const auto silent = post("/v1/Rooms", {});
  connect(silent.body["sid"].get<std::string>(), "alice");
  EXPECT_TRUE(sink_.for_key(silent.body["sid"].get<std::string>()).empty());
}

TEST_F(LifecycleTest, GaugesFollowRoomsAndParticipants) {
  const auto room = create_room();
  connect(room["sid"].get<std::string>(), "alice");
  connect(room["sid"].get<std::string>(), "bob");
  EXPECT_EQ(metrics_.gauge("roomplane_emulator_participants_connected", "").value(), 2.0);
  EXPECT_EQ(metrics_.gauge("roomplane_emulator_rooms_in_progress", "").value(), 1.0);
  complete(room["sid"].get<std::string>());
  EXPECT_EQ(metrics_.gauge("roomplane_emulator_participants_connected", "").value(), 0.0);
  EXPECT_EQ(metrics_.gauge("roomplane_emulator_rooms_in_progress", "").value(), 0.0);
}

TEST_F(LifecycleTest, SidsAreReproducibleWithTheSameSeed) {
  const auto first = create_room();
  auto options = test_options();
  options.state.seed = 7;
  start(options);  // a fresh emulator, same seed
  const auto again = post("/v1/Rooms", {});
  // The account was created first in both, so the n-th SID matches.
  EXPECT_EQ(again.body["sid"], first["sid"]);
}

}  // namespace
}  // namespace roomplane::emulator::test
