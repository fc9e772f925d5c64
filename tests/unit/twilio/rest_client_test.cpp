// TwilioRestClient over real HTTP against the fake Twilio: the request each operation sends
// (method, path, parameters, Basic auth) and how responses become typed values, including
// Twilio's own fixture bodies and pagination.

#include <fstream>

#include <gtest/gtest.h>

#include "crypto/crypto.h"
#include "unit/twilio/client_fixture.h"

namespace roomplane::twilio::testing {
namespace {

using nlohmann::json;

json fixture(const std::string& resource, const std::string& test_case) {
  std::ifstream in(std::string(ROOMPLANE_VECTORS_DIR) + "/rest-response-fixtures.json");
  return json::parse(in)["resources"][resource]["cases"][test_case]["body"];
}

std::string expected_authorization() {
  const auto c = FakeTwilio::credentials();
  return "Basic " + crypto::base64_encode(c.api_key_sid + ":" + c.api_key_secret);
}

TEST_F(TwilioClientTest, CreateRoomSendsEveryParameterAsTwilioNamesThem) {
  video::RoomSpec spec;
  spec.unique_name = "consult-42";
  spec.type = video::RoomType::kGroup;
  spec.max_participants = 4;
  spec.record_participants_on_connect = true;
  spec.empty_room_timeout_minutes = 10;
  spec.unused_room_timeout_minutes = 7;
  spec.status_callback_url = "https://rp.example/webhooks/twilio/tn_1?x=1&y=2";

  auto room = client_->create_room(credentials_, spec);
  ASSERT_TRUE(room.ok()) << room.error().message;

  const auto requests = fake_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/v1/Rooms");
  EXPECT_EQ(requests[0].authorization, expected_authorization());
  EXPECT_EQ(requests[0].content_type, "application/x-www-form-urlencoded");
  EXPECT_EQ(requests[0].form, (http::FormParams{{"UniqueName", "consult-42"},
                                                {"Type", "group"},
                                                {"MaxParticipants", "4"},
                                                {"RecordParticipantsOnConnect", "true"},
                                                {"EmptyRoomTimeout", "10"},
                                                {"UnusedRoomTimeout", "7"},
                                                {"StatusCallback", spec.status_callback_url},
                                                {"StatusCallbackMethod", "POST"}}));

  EXPECT_EQ(room->sid.substr(0, 2), "RM");
  EXPECT_EQ(room->sid.size(), 34u);
  EXPECT_EQ(room->unique_name, "consult-42");
  EXPECT_EQ(room->status, video::RoomStatus::kInProgress);
  EXPECT_EQ(room->type, video::RoomType::kGroup);
  EXPECT_EQ(room->max_participants, 4);
  EXPECT_EQ(room->created_at, clock_.now());
  EXPECT_FALSE(room->ended_at.has_value());
  EXPECT_FALSE(room->duration_seconds.has_value());
}

TEST_F(TwilioClientTest, CreateRoomOmitsUnsetOptionsAndSpellsEveryType) {
  const std::vector<std::pair<video::RoomType, std::string>> types = {
      {video::RoomType::kGroup, "group"},
      {video::RoomType::kGroupSmall, "group-small"},
      {video::RoomType::kPeerToPeer, "peer-to-peer"},
      {video::RoomType::kGo, "go"}};
  for (const auto& [type, wire] : types) {
    video::RoomSpec spec = room_spec("room-" + wire);
    spec.type = type;
    auto room = client_->create_room(credentials_, spec);
    ASSERT_TRUE(room.ok()) << room.error().message;
    EXPECT_EQ(room->type, type);
    EXPECT_EQ(fake_.requests().back().form,
              (http::FormParams{{"UniqueName", "room-" + wire},
                                {"Type", wire},
                                {"RecordParticipantsOnConnect", "false"}}));
  }
}

TEST_F(TwilioClientTest, FetchRoomBySidAndByPercentEncodedUniqueName) {
  const std::string name = "room one/\xC3\xBC";
  const std::string sid = create_room(name);

  auto by_name = client_->fetch_room(credentials_, name);
  ASSERT_TRUE(by_name.ok()) << by_name.error().message;
  EXPECT_EQ(by_name->sid, sid);
  auto by_sid = client_->fetch_room(credentials_, sid);
  ASSERT_TRUE(by_sid.ok()) << by_sid.error().message;
  EXPECT_EQ(by_sid->unique_name, name);

  const auto gets = fake_.requests("GET", "/v1/Rooms/{Sid}");
  ASSERT_EQ(gets.size(), 2u);
  EXPECT_EQ(gets[0].target, "/v1/Rooms/room%20one%2F%C3%BC");
  EXPECT_EQ(gets[1].target, "/v1/Rooms/" + sid);
  EXPECT_EQ(gets[1].authorization, expected_authorization());
}

TEST_F(TwilioClientTest, CompleteRoomReturnsItsFinalState) {
  const std::string sid = create_room("to-complete");
  clock_.advance(90s);

  auto room = client_->complete_room(credentials_, sid);
  ASSERT_TRUE(room.ok()) << room.error().message;
  EXPECT_EQ(room->status, video::RoomStatus::kCompleted);
  EXPECT_EQ(room->ended_at, clock_.now());
  EXPECT_EQ(room->duration_seconds, 90);

  const auto posts = fake_.requests("POST", "/v1/Rooms/{Sid}");
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].target, "/v1/Rooms/" + sid);
  EXPECT_EQ(posts[0].form, (http::FormParams{{"Status", "completed"}}));
}

TEST_F(TwilioClientTest, CompletingARoomThatAlreadyEndedReturnsItsFinalState) {
  const std::string sid = create_room("ended-twice");
  ASSERT_TRUE(client_->complete_room(credentials_, sid).ok());

  auto again = client_->complete_room(credentials_, sid);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->status, video::RoomStatus::kCompleted);
  // Twilio refused (53112, not retried); the client fetched the room instead.
  EXPECT_EQ(fake_.requests("POST", "/v1/Rooms/{Sid}").size(), 2u);
  EXPECT_EQ(fake_.requests("GET", "/v1/Rooms/{Sid}").size(), 1u);
  EXPECT_EQ(retries_total("complete_room"), 0);
}

TEST_F(TwilioClientTest, ListParticipantsAsksForConnectedOnesAndFollowsEveryPage) {
  const std::string sid = create_room("busy");
  std::vector<std::string> expected;
  for (const char* identity : {"alice", "bob", "carol", "dave", "erin"})
    expected.push_back(fake_.connect_participant(sid, identity));
  fake_.set_max_page_size(2);

  auto participants = client_->list_participants(credentials_, sid);
  ASSERT_TRUE(participants.ok()) << participants.error().message;
  ASSERT_EQ(participants->size(), 5u);
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ((*participants)[i].sid, expected[i]);
    EXPECT_EQ((*participants)[i].room_sid, sid);
    EXPECT_EQ((*participants)[i].status, video::ParticipantStatus::kConnected);
    EXPECT_EQ((*participants)[i].connected_at, clock_.now());
    EXPECT_FALSE((*participants)[i].disconnected_at.has_value());
  }
  EXPECT_EQ((*participants)[2].identity, "carol");

  const auto gets = fake_.requests("GET", "/v1/Rooms/{RoomSid}/Participants");
  ASSERT_EQ(gets.size(), 3u);
  EXPECT_EQ(gets[0].target, "/v1/Rooms/" + sid + "/Participants?Status=connected&PageSize=50");
  EXPECT_EQ(gets[1].target,
            "/v1/Rooms/" + sid + "/Participants?Status=connected&PageSize=2&Page=1");
  EXPECT_EQ(gets[2].query_param("Page"), "2");
  for (const auto& get : gets)
    EXPECT_EQ(get.authorization, expected_authorization());
}

TEST_F(TwilioClientTest, NextPagesAreRequestedFromTheConfiguredBaseUrlOnly) {
  // Twilio's next_page_url names video.twilio.com; credentials must still go only to the base
  // URL, with the page's path and query kept verbatim.
  json first = fixture("room_participants", "test_read_filters_response");
  first["meta"]["next_page_url"] =
      "https://video.twilio.com/v1/Rooms/RMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/"
      "Participants?Status=connected&PageSize=1&Page=1&PageToken=PTabc%3D";
  json second = fixture("room_participants", "test_read_filters_response");
  second["participants"][0]["identity"] = "bob";
  second["participants"][0]["sid"] = "PAbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
  fake_.script("GET", "/v1/Rooms/{RoomSid}/Participants", Reply::json(200, first));
  fake_.script("GET", "/v1/Rooms/{RoomSid}/Participants", Reply::json(200, second));

  auto participants =
      client_->list_participants(credentials_, "RMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
  ASSERT_TRUE(participants.ok()) << participants.error().message;
  ASSERT_EQ(participants->size(), 2u);
  EXPECT_EQ((*participants)[0].identity, "alice");
  EXPECT_EQ((*participants)[1].identity, "bob");
  const auto gets = fake_.requests("GET", "/v1/Rooms/{RoomSid}/Participants");
  ASSERT_EQ(gets.size(), 2u);
  EXPECT_EQ(gets[1].target,
            "/v1/Rooms/RMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/"
            "Participants?Status=connected&PageSize=1&Page=1&PageToken=PTabc%3D");
}

TEST_F(TwilioClientTest, ParticipantFixtureParses) {
  fake_.script("GET", "/v1/Rooms/{RoomSid}/Participants",
               Reply::json(200, fixture("room_participants", "test_read_filters_response")));
  auto participants =
      client_->list_participants(credentials_, "RMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
  ASSERT_TRUE(participants.ok()) << participants.error().message;
  ASSERT_EQ(participants->size(), 1u);
  const auto& p = participants->front();
  EXPECT_EQ(p.sid, "PAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
  EXPECT_EQ(p.room_sid, "RMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
  EXPECT_EQ(p.identity, "alice");
  EXPECT_EQ(p.status, video::ParticipantStatus::kDisconnected);
  EXPECT_EQ(p.connected_at, parse_timestamp("2017-07-30T20:00:00Z"));
  EXPECT_EQ(p.disconnected_at, parse_timestamp("2017-07-30T20:00:01Z"));
  EXPECT_EQ(p.duration_seconds, 1);

  fake_.script("GET", "/v1/Rooms/{RoomSid}/Participants",
               Reply::json(200, fixture("room_participants", "test_read_empty_response")));
  auto empty = client_->list_participants(credentials_, "RMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
  ASSERT_TRUE(empty.ok()) << empty.error().message;
  EXPECT_TRUE(empty->empty());
}

TEST_F(TwilioClientTest, DisconnectParticipantByIdentityThenItIsGone) {
  const std::string sid = create_room("kick");
  const std::string alice = fake_.connect_participant(sid, "alice@example.com");
  fake_.connect_participant(sid, "bob");

  auto gone = client_->disconnect_participant(credentials_, sid, "alice@example.com");
  ASSERT_TRUE(gone.ok()) << gone.error().message;
  EXPECT_EQ(gone->sid, alice);
  EXPECT_EQ(gone->status, video::ParticipantStatus::kDisconnected);
  EXPECT_EQ(gone->disconnected_at, clock_.now());

  const auto posts = fake_.requests("POST", "/v1/Rooms/{RoomSid}/Participants/{Sid}");
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].target, "/v1/Rooms/" + sid + "/Participants/alice%40example.com");
  EXPECT_EQ(posts[0].form, (http::FormParams{{"Status", "disconnected"}}));

  auto connected = client_->list_participants(credentials_, sid);
  ASSERT_TRUE(connected.ok());
  ASSERT_EQ(connected->size(), 1u);
  EXPECT_EQ(connected->front().identity, "bob");

  // Already gone: kNotFound, which callers treat as done.
  auto again = client_->disconnect_participant(credentials_, sid, alice);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, core::ErrorKind::kNotFound);
  EXPECT_EQ(again.error().upstream_code, 20404);
}

TEST_F(TwilioClientTest, RecordingRulesIncludeOrExcludeEverything) {
  const std::string sid = create_room("recorded");
  ASSERT_TRUE(client_->update_recording_rules(credentials_, sid, true).ok());
  ASSERT_TRUE(client_->update_recording_rules(credentials_, sid, false).ok());

  const auto posts = fake_.requests("POST", "/v1/Rooms/{RoomSid}/RecordingRules");
  ASSERT_EQ(posts.size(), 2u);
  EXPECT_EQ(posts[0].target, "/v1/Rooms/" + sid + "/RecordingRules");
  EXPECT_EQ(posts[0].form.size(), 1u);
  EXPECT_EQ(json::parse(posts[0].param("Rules")),
            json::parse(R"([{"type":"include","all":true}])"));
  EXPECT_EQ(json::parse(posts[1].param("Rules")),
            json::parse(R"([{"type":"exclude","all":true}])"));

  auto missing = client_->update_recording_rules(credentials_, "RM404", true);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, core::ErrorKind::kNotFound);
}

TEST_F(TwilioClientTest, CreateGridCompositionSendsLayoutFormatResolutionAndCallback) {
  const std::string room = create_room("composed");
  video::CompositionSpec spec;
  spec.room_sid = room;
  spec.layout = video::CompositionLayout::kGrid;
  spec.format = video::CompositionFormat::kMp4;
  spec.resolution = video::Resolution{1280, 720};
  spec.status_callback_url = "https://rp.example/webhooks/twilio/tn_1";

  auto composition = client_->create_composition(credentials_, spec);
  ASSERT_TRUE(composition.ok()) << composition.error().message;
  EXPECT_EQ(composition->sid.substr(0, 2), "CJ");
  EXPECT_EQ(composition->room_sid, room);
  EXPECT_EQ(composition->status, video::CompositionStatus::kEnqueued);
  EXPECT_EQ(composition->created_at, clock_.now());
  EXPECT_FALSE(composition->completed_at.has_value());

  const auto posts = fake_.requests("POST", "/v1/Compositions");
  ASSERT_EQ(posts.size(), 1u);
  const auto& sent = posts[0];
  EXPECT_EQ(sent.param("RoomSid"), room);
  EXPECT_EQ(json::parse(sent.param("VideoLayout")),
            json::parse(R"({"grid":{"video_sources":["*"]}})"));
  EXPECT_EQ(sent.param("AudioSources"), "*");
  EXPECT_EQ(sent.param("Format"), "mp4");
  EXPECT_EQ(sent.param("Resolution"), "1280x720");
  EXPECT_EQ(sent.param("StatusCallback"), spec.status_callback_url);
  EXPECT_EQ(sent.param("StatusCallbackMethod"), "POST");
  EXPECT_EQ(sent.authorization, expected_authorization());
}

TEST_F(TwilioClientTest, CreateAudioOnlyCompositionSendsNoVideoLayout) {
  const std::string room = create_room("audio");
  video::CompositionSpec spec;
  spec.room_sid = room;
  spec.layout = video::CompositionLayout::kAudioOnly;
  spec.format = video::CompositionFormat::kWebm;

  auto composition = client_->create_composition(credentials_, spec);
  ASSERT_TRUE(composition.ok()) << composition.error().message;
  EXPECT_EQ(fake_.requests("POST", "/v1/Compositions").back().form,
            (http::FormParams{{"RoomSid", room}, {"AudioSources", "*"}, {"Format", "webm"}}));
}

TEST_F(TwilioClientTest, CompositionFixtureParses) {
  fake_.script("GET", "/v1/Compositions/{Sid}",
               Reply::json(200, fixture("compositions", "test_fetch_response")));
  auto composition = client_->fetch_composition(credentials_, "CJaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
  ASSERT_TRUE(composition.ok()) << composition.error().message;
  EXPECT_EQ(composition->sid, "CJaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
  EXPECT_EQ(composition->room_sid, "RMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
  EXPECT_EQ(composition->status, video::CompositionStatus::kCompleted);
  EXPECT_EQ(composition->created_at, parse_timestamp("2015-07-30T20:00:00Z"));
  EXPECT_EQ(composition->completed_at, parse_timestamp("2015-07-30T20:01:33Z"));
  EXPECT_EQ(composition->duration_seconds, 6);
  EXPECT_EQ(composition->size_bytes, 4);
  EXPECT_FALSE(composition->media_external_location.has_value());
  EXPECT_EQ(fake_.requests().back().target, "/v1/Compositions/CJaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
}

TEST_F(TwilioClientTest, RoomFixturesParse) {
  fake_.script("GET", "/v1/Rooms/{Sid}", Reply::json(200, fixture("rooms", "test_fetch_response")));
  auto room = client_->fetch_room(credentials_, "RMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
  ASSERT_TRUE(room.ok()) << room.error().message;
  EXPECT_EQ(room->sid, "RMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
  EXPECT_EQ(room->unique_name, "unique_name");
  EXPECT_EQ(room->type, video::RoomType::kPeerToPeer);
  EXPECT_EQ(room->status, video::RoomStatus::kInProgress);
  EXPECT_EQ(room->max_participants, 10);
  EXPECT_EQ(room->created_at, parse_timestamp("2015-07-30T20:00:00Z"));
  // The fixture carries a placeholder end_time on an in-progress room; it is not an end.
  EXPECT_FALSE(room->ended_at.has_value());

  for (const char* test_case : {"test_create_response", "test_create_webrtc_go_response",
                                "test_create_group_rooms_response",
                                "test_create_small_group_rooms_response", "test_update_response"}) {
    fake_.script("GET", "/v1/Rooms/{Sid}", Reply::json(200, fixture("rooms", test_case)));
    auto parsed = client_->fetch_room(credentials_, "RMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    EXPECT_TRUE(parsed.ok()) << test_case << ": " << parsed.error().message;
  }
}

TEST_F(TwilioClientTest, ListCompositionsForRoomFiltersByRoomAndFollowsPages) {
  const std::string room = create_room("many");
  const std::string other = create_room("other");
  video::CompositionSpec spec;
  spec.room_sid = room;
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(client_->create_composition(credentials_, spec).ok());
  spec.room_sid = other;
  ASSERT_TRUE(client_->create_composition(credentials_, spec).ok());
  fake_.set_max_page_size(2);

  auto listed = client_->list_compositions_for_room(credentials_, room);
  ASSERT_TRUE(listed.ok()) << listed.error().message;
  ASSERT_EQ(listed->size(), 3u);
  for (const auto& composition : *listed)
    EXPECT_EQ(composition.room_sid, room);
  const auto gets = fake_.requests("GET", "/v1/Compositions");
  ASSERT_EQ(gets.size(), 2u);
  EXPECT_EQ(gets[0].target, "/v1/Compositions?RoomSid=" + room + "&PageSize=100");
  EXPECT_EQ(gets[1].query_param("Page"), "1");
  EXPECT_EQ(gets[1].query_param("RoomSid"), room);

  fake_.script("GET", "/v1/Compositions",
               Reply::json(200, fixture("compositions", "test_read_results_response")));
  auto from_fixture =
      client_->list_compositions_for_room(credentials_, "RMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
  ASSERT_TRUE(from_fixture.ok()) << from_fixture.error().message;
  EXPECT_EQ(from_fixture->size(), 1u);
}

TEST_F(TwilioClientTest, MediaUrlIsTheRedirectTargetAndIsNotFollowed) {
  const std::string room = create_room("media");
  video::CompositionSpec spec;
  spec.room_sid = room;
  auto composition = client_->create_composition(credentials_, spec);
  ASSERT_TRUE(composition.ok());
  fake_.set_composition_status(composition->sid, "completed");

  auto url = client_->composition_media_url(credentials_, composition->sid, 600s);
  ASSERT_TRUE(url.ok()) << url.error().message;
  EXPECT_EQ(*url, fake_.base_url() + "/media/" + composition->sid + "?Ttl=600&Signature=abc");
  const auto gets = fake_.requests("GET", "/v1/Compositions/{Sid}/Media");
  ASSERT_EQ(gets.size(), 1u);
  EXPECT_EQ(gets[0].target, "/v1/Compositions/" + composition->sid + "/Media?Ttl=600");
  EXPECT_TRUE(fake_.requests("GET", "/media/{Sid}").empty()) << "the redirect was followed";

  auto done = client_->fetch_composition(credentials_, composition->sid);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->status, video::CompositionStatus::kCompleted);
  EXPECT_EQ(done->size_bytes, 1048576);
}

TEST_F(TwilioClientTest, MediaUrlFromARedirectToBody) {
  fake_.script("GET", "/v1/Compositions/{Sid}/Media",
               Reply::json(200, {{"redirect_to", "https://s3.example/media?sig=1"}}));
  auto url = client_->composition_media_url(credentials_, "CJ1", 60s);
  ASSERT_TRUE(url.ok()) << url.error().message;
  EXPECT_EQ(*url, "https://s3.example/media?sig=1");

  fake_.script("GET", "/v1/Compositions/{Sid}/Media", Reply::json(302, json::object()));
  auto nowhere = client_->composition_media_url(credentials_, "CJ1", 60s);
  ASSERT_FALSE(nowhere.ok());
  EXPECT_EQ(nowhere.error().code, "provider_bad_response");
}

TEST_F(TwilioClientTest, ResponsesWithNullsAndUnknownFieldsParse) {
  const json room = {{"sid", "RM1"},
                     {"status", "completed"},
                     {"unique_name", nullptr},
                     {"type", nullptr},
                     {"max_participants", nullptr},
                     {"date_created", nullptr},
                     {"end_time", "2026-01-02T03:04:05Z"},
                     {"duration", "61"},
                     {"brand_new_field", {{"nested", json::array({1, 2})}}}};
  fake_.script("GET", "/v1/Rooms/{Sid}", Reply::json(200, room));
  auto parsed = client_->fetch_room(credentials_, "RM1");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->unique_name, "RM1");  // Twilio's default is the SID
  EXPECT_EQ(parsed->type, video::RoomType::kGroup);
  EXPECT_EQ(parsed->max_participants, 0);
  EXPECT_EQ(parsed->created_at, core::TimePoint{});
  EXPECT_EQ(parsed->ended_at, parse_timestamp("2026-01-02T03:04:05Z"));
  EXPECT_EQ(parsed->duration_seconds, 61);

  const json composition = {{"sid", "CJ1"},        {"status", "processing"},
                            {"room_sid", nullptr}, {"date_created", "garbage"},
                            {"size", nullptr},     {"media_external_location", 17}};
  fake_.script("GET", "/v1/Compositions/{Sid}", Reply::json(200, composition));
  auto c = client_->fetch_composition(credentials_, "CJ1");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->status, video::CompositionStatus::kProcessing);
  EXPECT_EQ(c->room_sid, "");
  EXPECT_FALSE(c->size_bytes.has_value());
  EXPECT_FALSE(c->media_external_location.has_value());
}

TEST_F(TwilioClientTest, UnreadableResourcesAreBadResponsesNotCrashes) {
  const std::vector<json> bodies = {
      json{{"sid", "RM1"}, {"status", "exploded"}},
      json{{"status", "in-progress"}},
      json{{"sid", 42}, {"status", "in-progress"}},
      json{{"sid", "RM1"}, {"status", "in-progress"}, {"type", "holographic"}},
      json::array({1, 2, 3}),
  };
  for (const auto& body : bodies) {
    fake_.script("GET", "/v1/Rooms/{Sid}", Reply::json(200, body));
    auto room = client_->fetch_room(credentials_, "RM1");
    ASSERT_FALSE(room.ok()) << body.dump();
    EXPECT_EQ(room.error().kind, core::ErrorKind::kUnavailable);
    EXPECT_EQ(room.error().code, "provider_bad_response");
  }
  // A page without its array, and a page whose items are not resources.
  fake_.script("GET", "/v1/Compositions", Reply::json(200, {{"meta", {{"key", "compositions"}}}}));
  EXPECT_FALSE(client_->list_compositions_for_room(credentials_, "RM1").ok());
  fake_.script("GET", "/v1/Compositions", Reply::json(200, {{"compositions", {1}}}));
  EXPECT_FALSE(client_->list_compositions_for_room(credentials_, "RM1").ok());
  // Nothing above was retried: the same request would get the same answer.
  EXPECT_EQ(retries_total("fetch_room"), 0);
}

TEST_F(TwilioClientTest, EmptyIdsAreRejectedWithoutARequest) {
  EXPECT_EQ(client_->fetch_room(credentials_, "").error().kind, core::ErrorKind::kInvalidArgument);
  EXPECT_EQ(client_->complete_room(credentials_, "").error().kind,
            core::ErrorKind::kInvalidArgument);
  EXPECT_EQ(client_->disconnect_participant(credentials_, "RM1", "").error().kind,
            core::ErrorKind::kInvalidArgument);
  EXPECT_EQ(client_->fetch_composition(credentials_, "").error().kind,
            core::ErrorKind::kInvalidArgument);
  EXPECT_TRUE(fake_.requests().empty());
}

}  // namespace
}  // namespace roomplane::twilio::testing
