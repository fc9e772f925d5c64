// Participants and published tracks: control-API connect/publish, REST list/fetch/update, and
// the connect-time errors.

#include "unit/emulator/emulator_test_support.h"

namespace roomplane::emulator::test {
namespace {

using ParticipantsTest = EmulatorTest;
using http::testing::bhttp::verb;

TEST_F(ParticipantsTest, ConnectedParticipantHasTwilioFields) {
  const auto room = create_room({{"UniqueName", "clinic"}});
  const std::string room_sid = room["sid"];
  const auto p = connect("clinic", "alice");
  const std::string sid = p["sid"];
  EXPECT_EQ(sid.rfind("PA", 0), 0u);
  const auto reply = get("/v1/Rooms/" + room_sid + "/Participants/" + sid);
  ASSERT_EQ(reply.status, 200u);
  const auto& body = reply.body;
  EXPECT_EQ(body["room_sid"], room_sid);
  EXPECT_EQ(body["account_sid"], account_.account_sid);
  EXPECT_EQ(body["status"], "connected");
  EXPECT_EQ(body["identity"], "alice");
  EXPECT_EQ(body["start_time"], "2023-11-14T22:13:20Z");
  EXPECT_TRUE(body["end_time"].is_null());
  EXPECT_TRUE(body["duration"].is_null());
  const std::string url = base() + "/v1/Rooms/" + room_sid + "/Participants/" + sid;
  EXPECT_EQ(body["url"], url);
  EXPECT_EQ(body["links"], nlohmann::json({{"published_tracks", url + "/PublishedTracks"},
                                           {"subscribed_tracks", url + "/SubscribedTracks"},
                                           {"subscribe_rules", url + "/SubscribeRules"},
                                           {"anonymize", url + "/Anonymize"}}));
  // By identity, and through the room's unique name.
  EXPECT_EQ(get("/v1/Rooms/clinic/Participants/alice").body["sid"], sid);
  expect_twilio_error(get("/v1/Rooms/clinic/Participants/nobody"), 404, 20404);
}

TEST_F(ParticipantsTest, ListFiltersByStatusAndIdentity) {
  const auto room = create_room();
  const std::string rs = room["sid"];
  connect(rs, "alice");
  connect(rs, "bob");
  connect(rs, "carol");
  ASSERT_EQ(disconnect(rs, "bob").status, 200u);

  auto reply = get("/v1/Rooms/" + rs + "/Participants");  // default: connected
  ASSERT_EQ(reply.status, 200u);
  ASSERT_EQ(reply.body["participants"].size(), 2u);
  EXPECT_EQ(reply.body["participants"][0]["identity"], "alice");
  EXPECT_EQ(reply.body["participants"][1]["identity"], "carol");
  EXPECT_EQ(reply.body["meta"]["key"], "participants");
  reply = get("/v1/Rooms/" + rs + "/Participants?Status=disconnected");
  ASSERT_EQ(reply.body["participants"].size(), 1u);
  EXPECT_EQ(reply.body["participants"][0]["identity"], "bob");
  reply = get("/v1/Rooms/" + rs + "/Participants?Identity=carol");
  ASSERT_EQ(reply.body["participants"].size(), 1u);
  EXPECT_EQ(reply.body["meta"]["url"],
            base() + "/v1/Rooms/" + rs + "/Participants?Identity=carol&PageSize=50&Page=0");
  expect_twilio_error(get("/v1/Rooms/" + rs + "/Participants?Status=gone"), 400, 20001);
  // A completed room lists everyone (all disconnected).
  ASSERT_EQ(complete(rs).status, 202u);
  reply = get("/v1/Rooms/" + rs + "/Participants");
  EXPECT_EQ(reply.body["participants"].size(), 3u);
}

TEST_F(ParticipantsTest, UpdateToDisconnectedKicksWith202) {
  const auto room = create_room();
  const std::string rs = room["sid"];
  const auto p = connect(rs, "alice");
  publish(rs, "alice", "audio", "mic");
  sink_.clear();
  clock_.advance(std::chrono::seconds(90));
  const auto reply = post("/v1/Rooms/" + rs + "/Participants/alice", {{"Status", "disconnected"}});
  ASSERT_EQ(reply.status, 202u) << reply.raw;
  EXPECT_EQ(reply.body["status"], "disconnected");
  EXPECT_EQ(reply.body["duration"], 90);
  EXPECT_EQ(reply.body["end_time"], "2023-11-14T22:14:50Z");
  EXPECT_EQ(sink_.events(rs),
            (std::vector<std::string>{"track-removed", "participant-disconnected"}));
  const auto callbacks = sink_.for_key(rs);
  EXPECT_EQ(param(callbacks[1], "ParticipantDuration"), "90");
  EXPECT_EQ(param(callbacks[1], "ParticipantStatus"), "disconnected");
  // Anything but Status=disconnected is refused; kicking again changes nothing.
  expect_twilio_error(post("/v1/Rooms/" + rs + "/Participants/alice", {{"Status", "connected"}}),
                      400, 20001);
  EXPECT_EQ(post("/v1/Rooms/" + rs + "/Participants/" + p["sid"].get<std::string>(),
                 {{"Status", "disconnected"}})
                .status,
            202u);
  EXPECT_EQ(sink_.for_key(rs).size(), 2u);
}

TEST_F(ParticipantsTest, PublishedTracksListAndFetch) {
  const auto room = create_room();
  const std::string rs = room["sid"];
  const auto p = connect(rs, "alice");
  const std::string ps = p["sid"];
  const auto mic = publish(rs, "alice", "audio", "mic");
  const auto cam = publish(rs, "alice", "video", "cam");
  const std::string mic_sid = mic["sid"];
  EXPECT_EQ(mic_sid.rfind("MT", 0), 0u);

  auto reply = get("/v1/Rooms/" + rs + "/Participants/" + ps + "/PublishedTracks");
  ASSERT_EQ(reply.status, 200u) << reply.raw;
  EXPECT_EQ(reply.body["meta"]["key"], "published_tracks");
  ASSERT_EQ(reply.body["published_tracks"].size(), 2u);
  const auto& t = reply.body["published_tracks"][0];
  EXPECT_EQ(t["sid"], mic_sid);
  EXPECT_EQ(t["participant_sid"], ps);
  EXPECT_EQ(t["room_sid"], rs);
  EXPECT_EQ(t["name"], "mic");
  EXPECT_EQ(t["kind"], "audio");
  EXPECT_EQ(t["enabled"], true);
  EXPECT_EQ(t["url"],
            base() + "/v1/Rooms/" + rs + "/Participants/" + ps + "/PublishedTracks/" + mic_sid);
  EXPECT_EQ(get("/v1/Rooms/" + rs + "/Participants/alice/PublishedTracks/" + mic_sid).body["name"],
            "mic");

  // Disable, enable and unpublish, with their callbacks.
  sink_.clear();
  const std::string track_path = "/_emulator/rooms/" + rs + "/participants/alice/tracks/cam";
  EXPECT_EQ(control_post(track_path + "/disable").body["enabled"], false);
  EXPECT_EQ(control_post(track_path + "/disable").status, 200u);  // no change, no event
  EXPECT_EQ(control_post(track_path + "/enable").body["enabled"], true);
  EXPECT_EQ(control(verb::delete_, track_path).status, 200u);
  EXPECT_EQ(sink_.events(rs),
            (std::vector<std::string>{"track-disabled", "track-enabled", "track-removed"}));
  const auto callbacks = sink_.for_key(rs);
  EXPECT_EQ(param(callbacks[0], "TrackSid"), cam["sid"]);
  EXPECT_EQ(param(callbacks[0], "TrackKind"), "video");
  EXPECT_EQ(param(callbacks[0], "TrackName"), "cam");
  reply = get("/v1/Rooms/" + rs + "/Participants/" + ps + "/PublishedTracks");
  EXPECT_EQ(reply.body["published_tracks"].size(), 1u);
  expect_twilio_error(get("/v1/Rooms/" + rs + "/Participants/" + ps + "/PublishedTracks/" +
                          cam["sid"].get<std::string>()),
                      404, 20404);
}

TEST_F(ParticipantsTest, TrackErrors) {
  const auto room = create_room({{"AudioOnly", "true"}});
  const std::string rs = room["sid"];
  connect(rs, "alice");
  const std::string tracks = "/_emulator/rooms/" + rs + "/participants/alice/tracks";
  expect_twilio_error(control_post(tracks, {{"kind", "smell"}}), 400, 53300);
  expect_twilio_error(control_post(tracks, {{"kind", "video"}}), 400, 53300);  // audio-only
  expect_twilio_error(control_post(tracks, {{"kind", "audio"}, {"name", ""}}), 400, 53301);
  expect_twilio_error(control_post(tracks, {{"kind", "audio"}, {"name", std::string(129, 'x')}}),
                      400, 53302);
  publish(rs, "alice", "audio", "mic");
  expect_twilio_error(control_post(tracks, {{"kind", "data"}, {"name", "mic"}}), 400, 53304);
  expect_twilio_error(
      control_post("/_emulator/rooms/" + rs + "/participants/bob/tracks", {{"kind", "audio"}}), 404,
      53204);
  // Unnamed tracks are named by their SID, like the SDKs' default names.
  const auto unnamed = control_post(tracks, {{"kind", "data"}});
  ASSERT_EQ(unnamed.status, 201u);
  EXPECT_EQ(unnamed.body["name"], unnamed.body["sid"]);
}

TEST_F(ParticipantsTest, SecondConnectWithSameIdentityDisconnectsTheFirst) {
  const auto room = create_room();
  const std::string rs = room["sid"];
  const auto first = connect(rs, "alice");
  publish(rs, "alice", "audio", "mic");
  sink_.clear();
  const auto second = connect(rs, "alice");
  EXPECT_NE(first["sid"], second["sid"]);
  EXPECT_EQ(sink_.events(rs), (std::vector<std::string>{"track-removed", "participant-disconnected",
                                                        "participant-connected"}));
  const auto callbacks = sink_.for_key(rs);
  EXPECT_EQ(param(callbacks[1], "ParticipantSid"), first["sid"]);
  EXPECT_EQ(param(callbacks[2], "ParticipantSid"), second["sid"]);
  EXPECT_EQ(
      get("/v1/Rooms/" + rs + "/Participants/" + first["sid"].get<std::string>()).body["status"],
      "disconnected");
  // Identity lookup prefers the connected participant.
  EXPECT_EQ(get("/v1/Rooms/" + rs + "/Participants/alice").body["sid"], second["sid"]);
}

TEST_F(ParticipantsTest, ConnectErrors) {
  const auto room = create_room({{"MaxParticipants", "2"}, {"UniqueName", "small"}});
  const std::string rs = room["sid"];
  connect(rs, "a");
  connect(rs, "b");
  const std::string join = "/_emulator/rooms/" + rs + "/participants";
  expect_twilio_error(control_post(join, {{"identity", "c"}}), 400, 53105);
  // Rejoining with an identity already present is not "full": it replaces the connection.
  EXPECT_EQ(control_post(join, {{"identity", "b"}}).status, 201u);
  expect_twilio_error(control_post(join, {{"identity", ""}}), 400, 53200);
  expect_twilio_error(control_post(join, nlohmann::json::object()), 400, 53200);
  expect_twilio_error(control_post(join, {{"identity", std::string(129, 'i')}}), 400, 53201);
  expect_twilio_error(control_post(join, {{"identity", "tab\there"}}), 400, 53202);
  expect_twilio_error(control_post("/_emulator/rooms/nowhere/participants", {{"identity", "x"}}),
                      404, 53106);
  ASSERT_EQ(complete(rs).status, 202u);
  expect_twilio_error(control_post(join, {{"identity", "late"}}), 400, 53118);
  // By name the completed room no longer exists.
  expect_twilio_error(control_post("/_emulator/rooms/small/participants", {{"identity", "x"}}), 404,
                      53106);
  EXPECT_EQ(control_post(join, "not an object").status, 400u);
}

}  // namespace
}  // namespace roomplane::emulator::test
