// REST Rooms: create (fields, defaults, every validation error), fetch by SID and name,
// complete, list filters.

#include <set>

#include "unit/emulator/emulator_test_support.h"

namespace roomplane::emulator::test {
namespace {

using RoomsTest = EmulatorTest;

std::set<std::string> keys_of(const nlohmann::json& object) {
  std::set<std::string> out;
  for (const auto& [key, value] : object.items())
    out.insert(key);
  return out;
}

TEST_F(RoomsTest, CreateReturns201WithEveryFieldOfTheSpec) {
  const auto reply = post("/v1/Rooms", {{"UniqueName", "DailyStandup"},
                                        {"StatusCallback", "https://example.com/cb"},
                                        {"Type", "group"}});
  ASSERT_EQ(reply.status, 201u) << reply.raw;
  const auto& room = reply.body;
  EXPECT_EQ(keys_of(room), (std::set<std::string>{"sid",
                                                  "status",
                                                  "date_created",
                                                  "date_updated",
                                                  "account_sid",
                                                  "enable_turn",
                                                  "unique_name",
                                                  "status_callback",
                                                  "status_callback_method",
                                                  "end_time",
                                                  "duration",
                                                  "type",
                                                  "max_participants",
                                                  "max_participant_duration",
                                                  "max_concurrent_published_tracks",
                                                  "record_participants_on_connect",
                                                  "video_codecs",
                                                  "media_region",
                                                  "audio_only",
                                                  "empty_room_timeout",
                                                  "unused_room_timeout",
                                                  "large_room",
                                                  "url",
                                                  "links"}));
  const std::string sid = room["sid"];
  EXPECT_EQ(sid.size(), 34u);
  EXPECT_EQ(sid.rfind("RM", 0), 0u);
  EXPECT_EQ(sid.find_first_not_of("0123456789abcdef", 2), std::string::npos);
  EXPECT_EQ(room["status"], "in-progress");
  EXPECT_EQ(room["date_created"], "2023-11-14T22:13:20Z");  // the ManualClock's start
  EXPECT_EQ(room["account_sid"], account_.account_sid);
  EXPECT_EQ(room["unique_name"], "DailyStandup");
  EXPECT_EQ(room["status_callback"], "https://example.com/cb");
  EXPECT_EQ(room["status_callback_method"], "POST");
  EXPECT_TRUE(room["end_time"].is_null());
  EXPECT_EQ(room["duration"], 0);
  EXPECT_EQ(room["type"], "group");
  EXPECT_EQ(room["max_participants"], 50);
  EXPECT_EQ(room["max_participant_duration"], 14400);
  EXPECT_EQ(room["max_concurrent_published_tracks"], 170);
  EXPECT_EQ(room["record_participants_on_connect"], false);
  EXPECT_EQ(room["video_codecs"], nlohmann::json::array({"VP8"}));
  EXPECT_EQ(room["media_region"], "us1");
  EXPECT_EQ(room["empty_room_timeout"], 5);
  EXPECT_EQ(room["unused_room_timeout"], 5);
  EXPECT_EQ(room["enable_turn"], true);
  EXPECT_EQ(room["audio_only"], false);
  EXPECT_EQ(room["large_room"], false);
  EXPECT_EQ(room["url"], base() + "/v1/Rooms/" + sid);
  EXPECT_EQ(room["links"]["participants"], base() + "/v1/Rooms/" + sid + "/Participants");
  EXPECT_EQ(room["links"]["recordings"], base() + "/v1/Rooms/" + sid + "/Recordings");
  EXPECT_EQ(room["links"]["recording_rules"], base() + "/v1/Rooms/" + sid + "/RecordingRules");
  EXPECT_EQ(reply.header("Content-Type"), "application/json");
}

TEST_F(RoomsTest, CreateWithNoParametersUsesTheSidAsUniqueName) {
  const auto reply = post("/v1/Rooms", {});
  ASSERT_EQ(reply.status, 201u);
  EXPECT_EQ(reply.body["unique_name"], reply.body["sid"]);
  EXPECT_TRUE(reply.body["status_callback"].is_null());
}

TEST_F(RoomsTest, CreateHonoursEveryParameter) {
  const auto reply = post("/v1/Rooms", {{"Type", "group-small"},
                                        {"MaxParticipants", "3"},
                                        {"StatusCallbackMethod", "get"},
                                        {"StatusCallback", "http://127.0.0.1:9/cb"},
                                        {"RecordParticipantsOnConnect", "true"},
                                        {"VideoCodecs", "H264"},
                                        {"VideoCodecs", "VP8"},
                                        {"MediaRegion", "de1"},
                                        {"AudioOnly", "True"},
                                        {"MaxParticipantDuration", "600"},
                                        {"EmptyRoomTimeout", "1"},
                                        {"UnusedRoomTimeout", "60"},
                                        {"LargeRoom", "false"},
                                        {"EnableTurn", "false"}});
  ASSERT_EQ(reply.status, 201u) << reply.raw;
  const auto& room = reply.body;
  EXPECT_EQ(room["type"], "group-small");
  EXPECT_EQ(room["max_participants"], 3);
  EXPECT_EQ(room["status_callback_method"], "GET");
  EXPECT_EQ(room["record_participants_on_connect"], true);
  EXPECT_EQ(room["video_codecs"], nlohmann::json::array({"H264", "VP8"}));
  EXPECT_EQ(room["media_region"], "de1");
  EXPECT_EQ(room["audio_only"], true);
  EXPECT_EQ(room["max_participant_duration"], 600);
  EXPECT_EQ(room["empty_room_timeout"], 1);
  EXPECT_EQ(room["unused_room_timeout"], 60);
  EXPECT_EQ(room["enable_turn"], true);  // deprecated, always true
  const auto rules = get("/v1/Rooms/" + room["sid"].get<std::string>() + "/RecordingRules");
  EXPECT_EQ(rules.body["rules"], nlohmann::json::parse(R"([{"type":"include","all":true}])"));
}

TEST_F(RoomsTest, EveryValidationErrorHasTwilioCode) {
  const std::vector<std::pair<http::FormParams, int>> cases = {
      {{{"MaxParticipants", "0"}}, 53107},
      {{{"MaxParticipants", "51"}}, 53107},
      {{{"MaxParticipants", "many"}}, 53107},
      {{{"Type", "peer-to-peer"}, {"MaxParticipants", "11"}}, 53107},
      {{{"Type", "huge"}}, 53108},
      {{{"EmptyRoomTimeout", "0"}}, 53109},
      {{{"EmptyRoomTimeout", "61"}}, 53109},
      {{{"UnusedRoomTimeout", "0"}}, 53109},
      {{{"UnusedRoomTimeout", "5.5"}}, 53109},
      {{{"StatusCallbackMethod", "PUT"}}, 53110},
      {{{"StatusCallback", "not a url"}}, 53111},
      {{{"StatusCallback", "ftp://example.com/x"}}, 53111},
      {{{"UniqueName", ""}}, 53100},
      {{{"UniqueName", std::string(129, 'n')}}, 53101},
      {{{"UniqueName", "bad\nname"}}, 53102},
      {{{"Type", "peer-to-peer"}, {"RecordParticipantsOnConnect", "true"}}, 53114},
      {{{"Type", "go"}, {"RecordingRules", R"([{"type":"include","all":true}])"}}, 53114},
      {{{"MediaRegion", "mars1"}}, 53115},
      {{{"RecordParticipantsOnConnect", "yes"}}, 20001},
      {{{"VideoCodecs", "AV1"}}, 20001},
      {{{"MaxParticipantDuration", "599"}}, 20001},
      {{{"RecordingRules", "[{"}}, 20001},
  };
  for (const auto& [params, code] : cases) {
    SCOPED_TRACE(http::encode_form(params));
    expect_twilio_error(post("/v1/Rooms", params), 400, code);
  }
  EXPECT_TRUE(get("/v1/Rooms").body["rooms"].empty());  // nothing was created
}

TEST_F(RoomsTest, UniqueNameClashesOnlyWhileInProgress) {
  const auto first = create_room({{"UniqueName", "consult-1"}});
  expect_twilio_error(post("/v1/Rooms", {{"UniqueName", "consult-1"}}), 400, 53113);
  ASSERT_EQ(complete("consult-1").status, 202u);
  const auto second = post("/v1/Rooms", {{"UniqueName", "consult-1"}});
  ASSERT_EQ(second.status, 201u);
  EXPECT_NE(second.body["sid"], first["sid"]);
  // The name now addresses the new in-progress room; the old one only by SID.
  EXPECT_EQ(get("/v1/Rooms/consult-1").body["sid"], second.body["sid"]);
  EXPECT_EQ(get("/v1/Rooms/" + first["sid"].get<std::string>()).body["status"], "completed");
}

TEST_F(RoomsTest, FetchByNameOnlyWhileInProgress) {
  const auto room = create_room({{"UniqueName", "by name"}});
  EXPECT_EQ(get("/v1/Rooms/by%20name").body["sid"], room["sid"]);
  ASSERT_EQ(complete(room["sid"].get<std::string>()).status, 202u);
  expect_twilio_error(get("/v1/Rooms/by%20name"), 404, 20404);
  EXPECT_EQ(get("/v1/Rooms/" + room["sid"].get<std::string>()).status, 200u);
  expect_twilio_error(get("/v1/Rooms/RM" + std::string(32, 'f')), 404, 20404);
}

TEST_F(RoomsTest, CompleteReturns202AndEndsTheRoom) {
  const auto room = create_room();
  const std::string sid = room["sid"];
  clock_.advance(std::chrono::seconds(42));
  const auto reply = complete(sid);
  ASSERT_EQ(reply.status, 202u) << reply.raw;
  EXPECT_EQ(reply.body["status"], "completed");
  EXPECT_EQ(reply.body["end_time"], "2023-11-14T22:14:02Z");
  EXPECT_EQ(reply.body["duration"], 42);
  EXPECT_EQ(reply.body["date_updated"], "2023-11-14T22:14:02Z");
  // Completing twice, or any other status value: 53112.
  expect_twilio_error(complete(sid), 400, 53112);
  const auto other = create_room();
  const std::string other_sid = other["sid"];
  expect_twilio_error(post("/v1/Rooms/" + other_sid, {{"Status", "in-progress"}}), 400, 53112);
  expect_twilio_error(post("/v1/Rooms/" + other_sid, {}), 400, 53112);
  expect_twilio_error(post("/v1/Rooms/RM" + std::string(32, '0'), {{"Status", "completed"}}), 404,
                      20404);
}

TEST_F(RoomsTest, ListFilters) {
  const auto a = create_room({{"UniqueName", "a"}});
  clock_.advance(std::chrono::hours(24));
  const auto b = create_room({{"UniqueName", "b"}});
  const auto c = create_room({{"UniqueName", "c"}});
  ASSERT_EQ(complete("c").status, 202u);

  // Default: in-progress only, newest first.
  auto reply = get("/v1/Rooms");
  ASSERT_EQ(reply.status, 200u);
  ASSERT_EQ(reply.body["rooms"].size(), 2u);
  EXPECT_EQ(reply.body["rooms"][0]["sid"], b["sid"]);
  EXPECT_EQ(reply.body["rooms"][1]["sid"], a["sid"]);

  reply = get("/v1/Rooms?Status=completed");
  ASSERT_EQ(reply.body["rooms"].size(), 1u);
  EXPECT_EQ(reply.body["rooms"][0]["sid"], c["sid"]);
  EXPECT_EQ(reply.body["meta"]["url"], base() + "/v1/Rooms?Status=completed&PageSize=50&Page=0");

  reply = get("/v1/Rooms?UniqueName=a");
  ASSERT_EQ(reply.body["rooms"].size(), 1u);
  EXPECT_EQ(reply.body["rooms"][0]["sid"], a["sid"]);

  reply = get("/v1/Rooms?DateCreatedAfter=2023-11-15");
  ASSERT_EQ(reply.body["rooms"].size(), 1u);
  EXPECT_EQ(reply.body["rooms"][0]["sid"], b["sid"]);
  reply = get("/v1/Rooms?DateCreatedBefore=2023-11-15T00%3A00%3A00Z");
  ASSERT_EQ(reply.body["rooms"].size(), 1u);
  EXPECT_EQ(reply.body["rooms"][0]["sid"], a["sid"]);
  EXPECT_EQ(reply.body["meta"]["first_page_url"],
            base() + "/v1/Rooms?DateCreatedBefore=2023-11-15T00%3A00%3A00Z&PageSize=50&Page=0");

  expect_twilio_error(get("/v1/Rooms?Status=sleeping"), 400, 20001);
  expect_twilio_error(get("/v1/Rooms?DateCreatedAfter=yesterday"), 400, 20001);
}

}  // namespace
}  // namespace roomplane::emulator::test
