// Track recordings (room-level and account-level REST), recording rules, recording media.

#include <set>

#include "unit/emulator/emulator_test_support.h"

namespace roomplane::emulator::test {
namespace {

using RecordingsTest = EmulatorTest;
using namespace std::chrono_literals;

std::set<std::string> keys_of(const nlohmann::json& object) {
  std::set<std::string> out;
  for (const auto& [key, value] : object.items())
    out.insert(key);
  return out;
}

class RecordedRoom : public EmulatorTest {
 protected:
  void SetUp() override {
    EmulatorTest::SetUp();
    room_ = create_room({{"RecordParticipantsOnConnect", "true"}})["sid"];
    participant_ = connect(room_, "alice")["sid"];
    mic_ = publish(room_, "alice", "audio", "mic")["sid"];
    cam_ = publish(room_, "alice", "video", "cam")["sid"];
    publish(room_, "alice", "data", "chat");  // data tracks are never recorded
  }
  std::string room_, participant_, mic_, cam_;
};

TEST_F(RecordedRoom, RoomRecordingsHaveTwilioFields) {
  auto reply = get("/v1/Rooms/" + room_ + "/Recordings");
  ASSERT_EQ(reply.status, 200u) << reply.raw;
  EXPECT_EQ(reply.body["meta"]["key"], "recordings");
  ASSERT_EQ(reply.body["recordings"].size(), 2u);
  const auto& video = reply.body["recordings"][0];  // newest first
  EXPECT_EQ(keys_of(video),
            (std::set<std::string>{"account_sid", "status", "date_created", "sid", "source_sid",
                                   "size", "url", "type", "duration", "container_format", "codec",
                                   "grouping_sids", "track_name", "offset",
                                   "media_external_location", "room_sid", "links"}));
  const std::string sid = video["sid"];
  EXPECT_EQ(sid.rfind("RT", 0), 0u);
  EXPECT_EQ(video["status"], "processing");
  EXPECT_EQ(video["source_sid"], cam_);
  EXPECT_EQ(video["type"], "video");
  EXPECT_EQ(video["container_format"], "mkv");
  EXPECT_EQ(video["codec"], "VP8");
  EXPECT_EQ(video["track_name"], "cam");
  EXPECT_EQ(video["grouping_sids"],
            nlohmann::json({{"room_sid", room_}, {"participant_sid", participant_}}));
  EXPECT_EQ(video["room_sid"], room_);
  EXPECT_TRUE(video["media_external_location"].is_null());
  const std::string url = base() + "/v1/Rooms/" + room_ + "/Recordings/" + sid;
  EXPECT_EQ(video["url"], url);
  EXPECT_EQ(video["links"]["media"], url + "/Media");

  // Account-level shape: no room_sid, plus status_callback and its method.
  reply = get("/v1/Recordings/" + sid);
  ASSERT_EQ(reply.status, 200u);
  EXPECT_FALSE(reply.body.contains("room_sid"));
  EXPECT_EQ(reply.body["status_callback"], kCallbackUrl);
  EXPECT_EQ(reply.body["status_callback_method"], "POST");
  EXPECT_EQ(reply.body["url"], base() + "/v1/Recordings/" + sid);
}

TEST_F(RecordedRoom, UnpublishCompletesOneRecordingAndRoomEndCompletesTheRest) {
  clock_.advance(30s);
  sink_.clear();
  ASSERT_EQ(
      control_post("/_emulator/rooms/" + room_ + "/participants/alice/tracks/mic/unpublish").status,
      200u);
  EXPECT_EQ(sink_.events(room_),
            (std::vector<std::string>{"track-removed", "recording-completed"}));
  auto mic = get("/v1/Recordings?SourceSid=" + mic_);
  ASSERT_EQ(mic.body["recordings"].size(), 1u);
  EXPECT_EQ(mic.body["recordings"][0]["status"], "completed");
  EXPECT_EQ(mic.body["recordings"][0]["duration"], 30);
  EXPECT_EQ(mic.body["recordings"][0]["size"], 30 * 4000);
  clock_.advance(30s);
  ASSERT_EQ(complete(room_).status, 202u);
  auto all = get("/v1/Rooms/" + room_ + "/Recordings?Status=completed");
  ASSERT_EQ(all.body["recordings"].size(), 2u);
  EXPECT_EQ(all.body["recordings"][0]["duration"], 60);
  EXPECT_EQ(all.body["recordings"][0]["size"], 60 * 62500);
}

TEST_F(RecordedRoom, AccountLevelListFilters) {
  const auto other_room = create_room({{"RecordParticipantsOnConnect", "true"}})["sid"];
  connect(other_room.get<std::string>(), "bob");
  publish(other_room.get<std::string>(), "bob", "audio", "mic");
  EXPECT_EQ(get("/v1/Recordings").body["recordings"].size(), 3u);
  EXPECT_EQ(get("/v1/Recordings?GroupingSid=" + room_).body["recordings"].size(), 2u);
  EXPECT_EQ(get("/v1/Recordings?GroupingSid=" + participant_ + "&GroupingSid=" + room_)
                .body["recordings"]
                .size(),
            2u);
  EXPECT_EQ(get("/v1/Recordings?MediaType=audio").body["recordings"].size(), 2u);
  EXPECT_EQ(get("/v1/Recordings?Status=completed").body["recordings"].size(), 0u);
  EXPECT_EQ(get("/v1/Recordings?DateCreatedAfter=2030-01-01").body["recordings"].size(), 0u);
  expect_twilio_error(get("/v1/Recordings?MediaType=smell"), 400, 20001);
  const auto reply = get("/v1/Recordings?MediaType=audio&PageSize=1");
  EXPECT_EQ(reply.body["meta"]["first_page_url"],
            base() + "/v1/Recordings?MediaType=audio&PageSize=1&Page=0");
}

TEST_F(RecordedRoom, DeleteMarksDeletedAndKeepsMetadata) {
  const auto list = get("/v1/Rooms/" + room_ + "/Recordings");
  const std::string sid = list.body["recordings"][0]["sid"];
  expect_twilio_error(del("/v1/Recordings/" + sid), 400, 20001);  // still processing
  ASSERT_EQ(complete(room_).status, 202u);
  const auto deleted = del("/v1/Rooms/" + room_ + "/Recordings/" + sid);
  EXPECT_EQ(deleted.status, 204u);
  EXPECT_TRUE(deleted.raw.empty());
  EXPECT_EQ(get("/v1/Recordings/" + sid).body["status"], "deleted");
  expect_twilio_error(get("/v1/Recordings/" + sid + "/Media"), 404, 20404);
  expect_twilio_error(del("/v1/Recordings/RT" + std::string(32, '0')), 404, 20404);
  // Another room's path does not reach it.
  const auto other = create_room()["sid"].get<std::string>();
  expect_twilio_error(get("/v1/Rooms/" + other + "/Recordings/" + sid), 404, 20404);
}

TEST_F(RecordedRoom, RecordingMediaRedirects) {
  const auto list = get("/v1/Rooms/" + room_ + "/Recordings");
  const std::string audio_sid = list.body["recordings"][1]["sid"];
  expect_twilio_error(get("/v1/Recordings/" + audio_sid + "/Media"), 404, 20404);  // processing
  ASSERT_EQ(complete(room_).status, 202u);
  const auto reply = get("/v1/Rooms/" + room_ + "/Recordings/" + audio_sid + "/Media");
  ASSERT_EQ(reply.status, 302u) << reply.raw;
  const std::string location = reply.header("Location");
  EXPECT_EQ(reply.body["redirect_to"], location);
  EXPECT_EQ(location.rfind(base() + "/_emulator/media/" + audio_sid + ".mka?Expires=", 0), 0u);
  const auto media = control(http::testing::bhttp::verb::get, local_target(location));
  EXPECT_EQ(media.status, 200u);
  EXPECT_EQ(media.header("Content-Type"), "audio/x-matroska");
  EXPECT_EQ(media.raw.substr(0, 4), "\x1A\x45\xDF\xA3");
}

TEST_F(RecordingsTest, RecordingRulesStartAndStopRecordingsMidRoom) {
  const std::string rs = create_room()["sid"];
  connect(rs, "alice");
  publish(rs, "alice", "audio", "mic");
  publish(rs, "alice", "video", "cam");
  auto rules = get("/v1/Rooms/" + rs + "/RecordingRules");
  ASSERT_EQ(rules.status, 200u);
  EXPECT_EQ(rules.body["rules"], nlohmann::json::array());
  EXPECT_EQ(rules.body["room_sid"], rs);
  EXPECT_EQ(get("/v1/Rooms/" + rs + "/Recordings").body["recordings"].size(), 0u);

  sink_.clear();
  clock_.advance(10s);
  auto updated = post("/v1/Rooms/" + rs + "/RecordingRules",
                      {{"Rules", R"([{"type":"include","all":true}])"}});
  ASSERT_EQ(updated.status, 200u) << updated.raw;
  EXPECT_EQ(updated.body["rules"], nlohmann::json::parse(R"([{"type":"include","all":true}])"));
  EXPECT_EQ(updated.body["date_updated"], "2023-11-14T22:13:30Z");
  EXPECT_EQ(sink_.events(rs), (std::vector<std::string>{"recording-started", "recording-started"}));

  // Pause video only: exclude video.
  sink_.clear();
  clock_.advance(10s);
  updated =
      post("/v1/Rooms/" + rs + "/RecordingRules",
           {{"Rules", R"([{"type":"include","all":true},{"type":"exclude","kind":"video"}])"}});
  ASSERT_EQ(updated.status, 200u) << updated.raw;
  EXPECT_EQ(sink_.events(rs), (std::vector<std::string>{"recording-completed"}));
  EXPECT_EQ(param(sink_.for_key(rs)[0], "Type"), "video");
  // Tracks published later follow the rules.
  sink_.clear();
  publish(rs, "alice", "video", "screen");
  EXPECT_EQ(sink_.events(rs), (std::vector<std::string>{"track-added"}));

  expect_twilio_error(post("/v1/Rooms/" + rs + "/RecordingRules", {{"Rules", "[{\"type\":1}]"}}),
                      400, 20001);
  expect_twilio_error(post("/v1/Rooms/" + rs + "/RecordingRules", {}), 400, 20001);
  ASSERT_EQ(complete(rs).status, 202u);
  expect_twilio_error(post("/v1/Rooms/" + rs + "/RecordingRules", {{"Rules", "[]"}}), 400, 53118);
  EXPECT_EQ(get("/v1/Rooms/" + rs + "/RecordingRules").status, 200u);
  const std::string p2p = create_room({{"Type", "peer-to-peer"}})["sid"];
  expect_twilio_error(post("/v1/Rooms/" + p2p + "/RecordingRules", {{"Rules", "[]"}}), 400, 53114);
}

}  // namespace
}  // namespace roomplane::emulator::test
