// Compositions: creation rules, the enqueued -> processing -> completed lifecycle with its
// callbacks, behaviours (slow, fail, never), media redirect, delete; Composition Hooks; the
// settings singletons.

#include <set>

#include "unit/emulator/emulator_test_support.h"

namespace roomplane::emulator::test {
namespace {

using namespace std::chrono_literals;
using http::testing::bhttp::verb;

constexpr std::string_view kCompositionCallback = "https://hooks.example.com/compositions";
constexpr std::string_view kLayout = R"({"grid":{"video_sources":["*"]}})";

class CompositionsTest : public EmulatorTest {
 protected:
  // A completed group room with two recorded tracks lasting 100 s.
  std::string recorded_room() {
    const std::string rs = create_room({{"RecordParticipantsOnConnect", "true"}})["sid"];
    connect(rs, "alice");
    publish(rs, "alice", "audio", "mic");
    publish(rs, "alice", "video", "cam");
    clock_.advance(100s);
    EXPECT_EQ(complete(rs).status, 202u);
    return rs;
  }
  nlohmann::json create_composition(const std::string& room, http::FormParams extra = {}) {
    http::FormParams params = {{"RoomSid", room},
                               {"VideoLayout", std::string(kLayout)},
                               {"StatusCallback", std::string(kCompositionCallback)}};
    for (auto& p : extra)
      params.push_back(p);
    const auto reply = post("/v1/Compositions", params);
    EXPECT_EQ(reply.status, 201u) << reply.raw;
    return reply.body;
  }
  // Ticks every `step` until `total` has passed.
  void run_for(std::chrono::seconds total, std::chrono::seconds step = 1s) {
    for (auto t = 0s; t < total; t += step) {
      clock_.advance(step);
      emulator_->tick();
    }
  }
};

TEST_F(CompositionsTest, CreateReturns201WithSpecFields) {
  const auto rs = recorded_room();
  const auto c = create_composition(rs, {{"AudioSources", "alice*"},
                                         {"AudioSources", "mic"},
                                         {"AudioSourcesExcluded", "bob"},
                                         {"Resolution", "1280x720"},
                                         {"Format", "mp4"},
                                         {"Trim", "false"}});
  std::set<std::string> keys;
  for (const auto& [k, v] : c.items())
    keys.insert(k);
  EXPECT_EQ(keys, (std::set<std::string>{"account_sid",
                                         "status",
                                         "date_created",
                                         "date_completed",
                                         "date_deleted",
                                         "sid",
                                         "room_sid",
                                         "audio_sources",
                                         "audio_sources_excluded",
                                         "video_layout",
                                         "resolution",
                                         "trim",
                                         "format",
                                         "bitrate",
                                         "size",
                                         "duration",
                                         "media_external_location",
                                         "status_callback",
                                         "status_callback_method",
                                         "url",
                                         "links"}));
  const std::string sid = c["sid"];
  EXPECT_EQ(sid.rfind("CJ", 0), 0u);
  EXPECT_EQ(c["status"], "enqueued");
  EXPECT_EQ(c["room_sid"], rs);
  EXPECT_EQ(c["audio_sources"], nlohmann::json::array({"alice*", "mic"}));
  EXPECT_EQ(c["audio_sources_excluded"], nlohmann::json::array({"bob"}));
  EXPECT_EQ(c["video_layout"]["grid"]["video_sources"], nlohmann::json::array({"*"}));
  EXPECT_EQ(c["video_layout"]["grid"]["reuse"], "none");
  EXPECT_EQ(c["resolution"], "1280x720");
  EXPECT_EQ(c["format"], "mp4");
  EXPECT_EQ(c["trim"], false);
  EXPECT_EQ(c["duration"], 0);
  EXPECT_TRUE(c["date_completed"].is_null());
  EXPECT_TRUE(c["date_deleted"].is_null());
  EXPECT_EQ(c["url"], base() + "/v1/Compositions/" + sid);
  EXPECT_EQ(c["links"]["media"], base() + "/v1/Compositions/" + sid + "/Media");
  // Defaults.
  const auto d = post("/v1/Compositions", {{"RoomSid", rs}, {"AudioSources", "*"}});
  ASSERT_EQ(d.status, 201u);
  EXPECT_EQ(d.body["format"], "webm");
  EXPECT_EQ(d.body["resolution"], "640x480");
  EXPECT_EQ(d.body["trim"], true);
  EXPECT_EQ(d.body["video_layout"], nlohmann::json::object());
  EXPECT_TRUE(d.body["status_callback"].is_null());
}

TEST_F(CompositionsTest, CreationErrors) {
  expect_twilio_error(post("/v1/Compositions", {{"VideoLayout", std::string(kLayout)}}), 400,
                      20001);
  expect_twilio_error(post("/v1/Compositions", {{"RoomSid", "RM123"}, {"AudioSources", "*"}}), 400,
                      20001);
  expect_twilio_error(
      post("/v1/Compositions", {{"RoomSid", "RM" + std::string(32, '0')}, {"AudioSources", "*"}}),
      404, 53106);
  const std::string live = create_room()["sid"];
  expect_twilio_error(post("/v1/Compositions", {{"RoomSid", live}, {"AudioSources", "*"}}), 400,
                      20001);  // still in progress
  complete(live);
  expect_twilio_error(post("/v1/Compositions", {{"RoomSid", live}, {"AudioSources", "*"}}), 400,
                      20001);  // no recordings
  const std::string p2p = create_room({{"Type", "peer-to-peer"}})["sid"];
  complete(p2p);
  expect_twilio_error(post("/v1/Compositions", {{"RoomSid", p2p}, {"AudioSources", "*"}}), 400,
                      20001);  // not a group room
  const auto rs = recorded_room();
  expect_twilio_error(post("/v1/Compositions", {{"RoomSid", rs}}), 400, 20001);  // no layout
  for (const auto& bad :
       std::vector<http::FormParams>{{{"VideoLayout", "{"}},
                                     {{"VideoLayout", R"({"grid":{"reuse":"maybe"}})"}},
                                     {{"AudioSources", "*"}, {"Resolution", "4000x4000"}},
                                     {{"AudioSources", "*"}, {"Format", "avi"}},
                                     {{"AudioSources", "*"}, {"Trim", "perhaps"}},
                                     {{"AudioSources", "*"}, {"StatusCallback", "nope"}},
                                     {{"AudioSources", "*"}, {"StatusCallbackMethod", "PATCH"}},
                                     {{"AudioSources", ""}}}) {
    auto params = bad;
    params.emplace_back("RoomSid", rs);
    SCOPED_TRACE(http::encode_form(params));
    expect_twilio_error(post("/v1/Compositions", params), 400, 20001);
  }
  // Another account cannot compose this room.
  auto other = emulator_->create_account();
  expect_twilio_error(post("/v1/Compositions", {{"RoomSid", rs}, {"AudioSources", "*"}},
                           Credentials{other->account_sid, other->auth_token}),
                      404, 53106);
}

TEST_F(CompositionsTest, LifecycleSendsStartedProgressAndAvailable) {
  const auto rs = recorded_room();
  const std::string sid = create_composition(rs)["sid"];
  // Processing time: 100 s of media * 0.05 = 5 s (>= the 2 s minimum).
  emulator_->tick();
  EXPECT_EQ(get("/v1/Compositions/" + sid).body["status"], "processing");
  run_for(5s);
  const auto events = sink_.events(sid);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front(), "composition-started");
  EXPECT_EQ(events.back(), "composition-available");
  const auto callbacks = sink_.for_key(sid);
  std::vector<std::string> progress;
  for (const auto& cb : callbacks) {
    EXPECT_EQ(cb.url, kCompositionCallback);
    EXPECT_EQ(cb.auth_token, account_.auth_token);
    EXPECT_EQ(param(cb, "AccountSid"), account_.account_sid);
    EXPECT_EQ(param(cb, "RoomSid"), rs);
    EXPECT_EQ(param(cb, "CompositionSid"), sid);
    EXPECT_EQ(param(cb, "CompositionUri"), "/v1/Compositions/" + sid);
    EXPECT_NE(param(cb, "Timestamp"), "<absent>");
    EXPECT_FALSE(has_param(cb, "HookSid"));  // REST-created: no composition-enqueued either
    if (param(cb, "StatusCallbackEvent") == "composition-progress") {
      progress.push_back(param(cb, "PercentageDone"));
      EXPECT_NE(param(cb, "SecondsRemaining"), "<absent>");
    }
  }
  EXPECT_EQ(progress,
            (std::vector<std::string>{"10", "20", "30", "40", "50", "60", "70", "80", "90"}));
  const auto& available = callbacks.back();
  EXPECT_EQ(param(available, "MediaUri"), "/v1/Compositions/" + sid + "/Media");
  EXPECT_EQ(param(available, "Duration"), "100");
  EXPECT_EQ(param(available, "Size"), std::to_string(100 * 1000 * 1000 / 8));

  const auto fetched = get("/v1/Compositions/" + sid);
  EXPECT_EQ(fetched.body["status"], "completed");
  EXPECT_EQ(fetched.body["duration"], 100);
  EXPECT_EQ(fetched.body["bitrate"], 1000);
  EXPECT_FALSE(fetched.body["date_completed"].is_null());
  // Nothing more happens afterwards.
  const auto count = sink_.for_key(sid).size();
  run_for(10s, 5s);
  EXPECT_EQ(sink_.for_key(sid).size(), count);
}

TEST_F(CompositionsTest, MediaRedirectHonoursTtl) {
  const auto rs = recorded_room();
  const std::string sid = create_composition(rs, {{"Format", "mp4"}})["sid"];
  expect_twilio_error(get("/v1/Compositions/" + sid + "/Media"), 404, 20404);  // not ready
  run_for(10s, 5s);
  const auto reply = get("/v1/Compositions/" + sid + "/Media?Ttl=60");
  ASSERT_EQ(reply.status, 302u) << reply.raw;
  const std::string location = reply.header("Location");
  EXPECT_EQ(reply.body, nlohmann::json({{"redirect_to", location}}));
  const auto expires = core::to_unix_seconds(clock_.now()) + 60;
  EXPECT_EQ(location,
            base() + "/_emulator/media/" + sid + ".mp4?Expires=" + std::to_string(expires) +
                "&Signature=" + emulator_->state().media_signature(sid + ".mp4", expires));
  auto media = control(verb::get, local_target(location));
  ASSERT_EQ(media.status, 200u);
  EXPECT_EQ(media.header("Content-Type"), "video/mp4");
  EXPECT_EQ(media.raw.substr(4, 4), "ftyp");
  // Tampered and expired URLs are refused.
  EXPECT_EQ(control(verb::get, local_target(location) + "0").status, 403u);
  EXPECT_EQ(control(verb::get, "/_emulator/media/" + sid + ".mp4").status, 403u);
  clock_.advance(60s);
  EXPECT_EQ(control(verb::get, local_target(location)).status, 403u);
  expect_twilio_error(get("/v1/Compositions/" + sid + "/Media?Ttl=0"), 400, 20001);
  expect_twilio_error(get("/v1/Compositions/" + sid + "/Media?Ttl=abc"), 400, 20001);
  // Webm media serves an EBML header.
  const std::string webm = create_composition(rs)["sid"];
  run_for(10s, 5s);
  const auto second = get("/v1/Compositions/" + webm + "/Media");
  media = control(verb::get, local_target(second.header("Location")));
  EXPECT_EQ(media.header("Content-Type"), "video/webm");
  EXPECT_NE(media.raw.find("webm"), std::string::npos);
}

TEST_F(CompositionsTest, DeleteMarksDeletedAndStopsProcessing) {
  const auto rs = recorded_room();
  const std::string sid = create_composition(rs)["sid"];
  emulator_->tick();
  const auto reply = del("/v1/Compositions/" + sid);
  EXPECT_EQ(reply.status, 204u);
  const auto count = sink_.for_key(sid).size();
  run_for(20s, 5s);
  EXPECT_EQ(sink_.for_key(sid).size(), count);
  const auto fetched = get("/v1/Compositions/" + sid);
  EXPECT_EQ(fetched.body["status"], "deleted");
  EXPECT_FALSE(fetched.body["date_deleted"].is_null());
  expect_twilio_error(get("/v1/Compositions/" + sid + "/Media"), 404, 20404);
  expect_twilio_error(del("/v1/Compositions/CJ" + std::string(32, '0')), 404, 20404);
}

TEST_F(CompositionsTest, FailBehaviourSendsCompositionFailed) {
  const auto rs = recorded_room();
  const std::string sid = create_composition(rs)["sid"];
  ASSERT_EQ(
      control_post("/_emulator/compositions/" + sid + "/behaviour", {{"mode", "fail"}}).status,
      200u);
  run_for(10s, 5s);
  EXPECT_EQ(sink_.events(sid).back(), "composition-failed");
  const auto failed = sink_.for_key(sid).back();
  EXPECT_NE(param(failed, "FailedOperation"), "<absent>");
  EXPECT_NE(param(failed, "ErrorMessage"), "<absent>");
  EXPECT_EQ(get("/v1/Compositions/" + sid).body["status"], "failed");
}

TEST_F(CompositionsTest, NeverBehaviourStaysProcessingForever) {
  ASSERT_EQ(control_post("/_emulator/compositions/behaviour", {{"mode", "never"}}).status, 200u);
  const auto rs = recorded_room();
  const std::string sid = create_composition(rs)["sid"];
  run_for(24h, 1h);
  EXPECT_EQ(get("/v1/Compositions/" + sid).body["status"], "processing");
  const auto events = sink_.events(sid);
  EXPECT_EQ(events.back(), "composition-progress");
  EXPECT_EQ(param(sink_.for_key(sid).back(), "PercentageDone"), "90");
  // Switching it back to normal lets it finish.
  ASSERT_EQ(
      control_post("/_emulator/compositions/" + sid + "/behaviour", {{"mode", "normal"}}).status,
      200u);
  emulator_->tick();
  EXPECT_EQ(get("/v1/Compositions/" + sid).body["status"], "completed");
}

TEST_F(CompositionsTest, SlowBehaviourStretchesProcessing) {
  const auto rs = recorded_room();
  const std::string sid = create_composition(rs)["sid"];
  ASSERT_EQ(control_post("/_emulator/compositions/" + sid + "/behaviour",
                         {{"mode", "slow"}, {"factor", 10}})
                .status,
            200u);
  run_for(10s, 5s);  // normal would be done after 5 s; slow needs 50 s
  EXPECT_EQ(get("/v1/Compositions/" + sid).body["status"], "processing");
  run_for(45s, 5s);
  EXPECT_EQ(get("/v1/Compositions/" + sid).body["status"], "completed");
  EXPECT_EQ(
      control_post("/_emulator/compositions/" + sid + "/behaviour", {{"mode", "warp"}}).status,
      400u);
  EXPECT_EQ(control_post("/_emulator/compositions/" + sid + "/behaviour",
                         {{"mode", "slow"}, {"factor", 0.5}})
                .status,
            400u);
  EXPECT_EQ(control_post("/_emulator/compositions/CJ" + std::string(32, '0') + "/behaviour",
                         {{"mode", "fail"}})
                .status,
            404u);
}

TEST_F(CompositionsTest, ListFilters) {
  const auto rs = recorded_room();
  const std::string a = create_composition(rs)["sid"];
  const std::string b = create_composition(rs)["sid"];
  del("/v1/Compositions/" + a);
  auto reply = get("/v1/Compositions");
  ASSERT_EQ(reply.body["compositions"].size(), 2u);
  EXPECT_EQ(reply.body["compositions"][0]["sid"], b);
  EXPECT_EQ(reply.body["meta"]["key"], "compositions");
  reply = get("/v1/Compositions?Status=deleted");
  ASSERT_EQ(reply.body["compositions"].size(), 1u);
  EXPECT_EQ(reply.body["compositions"][0]["sid"], a);
  EXPECT_EQ(get("/v1/Compositions?RoomSid=" + rs).body["compositions"].size(), 2u);
  EXPECT_EQ(get("/v1/Compositions?RoomSid=RM" + std::string(32, '0')).body["compositions"].size(),
            0u);
  expect_twilio_error(get("/v1/Compositions?Status=baking"), 400, 20001);
}

TEST_F(CompositionsTest, HooksCrud) {
  const auto created = post("/v1/CompositionHooks", {{"FriendlyName", "My Hook"},
                                                     {"AudioSources", "*"},
                                                     {"Enabled", "false"},
                                                     {"StatusCallback", "https://h.example/cb"}});
  ASSERT_EQ(created.status, 201u) << created.raw;
  const auto& hook = created.body;
  const std::string sid = hook["sid"];
  EXPECT_EQ(sid.rfind("HK", 0), 0u);
  std::set<std::string> keys;
  for (const auto& [k, v] : hook.items())
    keys.insert(k);
  EXPECT_EQ(keys,
            (std::set<std::string>{"account_sid", "friendly_name", "enabled", "date_created",
                                   "date_updated", "sid", "audio_sources", "audio_sources_excluded",
                                   "video_layout", "resolution", "trim", "format",
                                   "status_callback", "status_callback_method", "url"}));
  EXPECT_EQ(hook["enabled"], false);
  EXPECT_TRUE(hook["date_updated"].is_null());
  EXPECT_EQ(hook["url"], base() + "/v1/CompositionHooks/" + sid);

  expect_twilio_error(
      post("/v1/CompositionHooks", {{"FriendlyName", "My Hook"}, {"AudioSources", "*"}}), 400,
      20001);  // name taken
  expect_twilio_error(post("/v1/CompositionHooks", {{"AudioSources", "*"}}), 400, 20001);
  expect_twilio_error(post("/v1/CompositionHooks", {{"FriendlyName", "x"}}), 400, 20001);
  expect_twilio_error(post("/v1/CompositionHooks",
                           {{"FriendlyName", std::string(101, 'n')}, {"AudioSources", "*"}}),
                      400, 20001);

  clock_.advance(5s);
  const auto updated = post("/v1/CompositionHooks/" + sid,
                            {{"FriendlyName", "Renamed"}, {"Enabled", "true"}, {"Format", "mp4"}});
  ASSERT_EQ(updated.status, 200u) << updated.raw;
  EXPECT_EQ(updated.body["friendly_name"], "Renamed");
  EXPECT_EQ(updated.body["enabled"], true);
  EXPECT_EQ(updated.body["format"], "mp4");
  EXPECT_EQ(updated.body["audio_sources"], nlohmann::json::array({"*"}));  // kept
  EXPECT_EQ(updated.body["date_updated"], "2023-11-14T22:13:25Z");
  expect_twilio_error(post("/v1/CompositionHooks/" + sid, {{"Enabled", "true"}}), 400, 20001);

  post("/v1/CompositionHooks",
       {{"FriendlyName", "Other"}, {"AudioSources", "*"}, {"Enabled", "false"}});
  EXPECT_EQ(get("/v1/CompositionHooks").body["composition_hooks"].size(), 2u);
  EXPECT_EQ(get("/v1/CompositionHooks?Enabled=True").body["composition_hooks"].size(), 1u);
  auto by_name = get("/v1/CompositionHooks?FriendlyName=%2Aname%2A");
  ASSERT_EQ(by_name.body["composition_hooks"].size(), 1u);
  EXPECT_EQ(by_name.body["meta"]["url"],
            base() + "/v1/CompositionHooks?FriendlyName=%2Aname%2A&PageSize=50&Page=0");
  EXPECT_EQ(get("/v1/CompositionHooks/" + sid).body["friendly_name"], "Renamed");
  EXPECT_EQ(del("/v1/CompositionHooks/" + sid).status, 204u);
  expect_twilio_error(get("/v1/CompositionHooks/" + sid), 404, 20404);
  expect_twilio_error(del("/v1/CompositionHooks/" + sid), 404, 20404);
}

TEST_F(CompositionsTest, EnabledHookComposesEveryCompletedGroupRoom) {
  const auto hook = post("/v1/CompositionHooks", {{"FriendlyName", "Everything"},
                                                  {"VideoLayout", std::string(kLayout)},
                                                  {"StatusCallback", "https://h.example/cb"}});
  ASSERT_EQ(hook.status, 201u);
  post("/v1/CompositionHooks",
       {{"FriendlyName", "Disabled"}, {"AudioSources", "*"}, {"Enabled", "false"}});
  const std::string hook_sid = hook.body["sid"];
  const auto rs = recorded_room();  // completes the room

  const auto list = get("/v1/Compositions?RoomSid=" + rs);
  ASSERT_EQ(list.body["compositions"].size(), 1u);  // only the enabled hook
  const auto& c = list.body["compositions"][0];
  const std::string sid = c["sid"];
  EXPECT_EQ(c["status_callback"], "https://h.example/cb");
  EXPECT_EQ(c["video_layout"]["grid"]["video_sources"], nlohmann::json::array({"*"}));

  run_for(10s, 5s);
  EXPECT_EQ(sink_.events(sid),
            (std::vector<std::string>{
                "composition-enqueued", "composition-started", "composition-progress",
                "composition-progress", "composition-progress", "composition-progress",
                "composition-progress", "composition-progress", "composition-progress",
                "composition-progress", "composition-progress", "composition-available"}));
  const auto enqueued = sink_.for_key(sid).front();
  EXPECT_EQ(enqueued.url, "https://h.example/cb");
  EXPECT_EQ(param(enqueued, "HookSid"), hook_sid);
  EXPECT_EQ(param(enqueued, "HookUri"), "/v1/CompositionHooks/" + hook_sid);
  EXPECT_EQ(param(enqueued, "HookFriendlyName"), "Everything");
  EXPECT_EQ(param(enqueued, "CompositionSid"), sid);

  // Rooms without recordings, and peer-to-peer rooms, get no composition.
  const std::string empty = create_room()["sid"];
  complete(empty);
  EXPECT_EQ(get("/v1/Compositions?RoomSid=" + empty).body["compositions"].size(), 0u);
}

TEST_F(CompositionsTest, SettingsSingletons) {
  for (const std::string path :
       {"/v1/CompositionSettings/Default", "/v1/RecordingSettings/Default"}) {
    SCOPED_TRACE(path);
    auto reply = get(path);
    ASSERT_EQ(reply.status, 200u);
    EXPECT_EQ(reply.body["account_sid"], account_.account_sid);
    EXPECT_TRUE(reply.body["friendly_name"].is_null());
    EXPECT_EQ(reply.body["url"], base() + path);
    reply = post(path, {{"FriendlyName", "archive"},
                        {"AwsS3Url", "https://bucket.s3.amazonaws.com/video"},
                        {"AwsCredentialsSid", "CR" + std::string(32, 'a')},
                        {"AwsStorageEnabled", "true"}});
    ASSERT_EQ(reply.status, 200u) << reply.raw;
    EXPECT_EQ(reply.body["friendly_name"], "archive");
    EXPECT_EQ(reply.body["aws_storage_enabled"], true);
    EXPECT_EQ(reply.body["encryption_enabled"], false);
    EXPECT_TRUE(reply.body["encryption_key_sid"].is_null());
    EXPECT_EQ(get(path).body["aws_s3_url"], "https://bucket.s3.amazonaws.com/video");
    expect_twilio_error(post(path, {{"AwsStorageEnabled", "true"}}), 400, 20001);
    expect_twilio_error(post(path, {{"FriendlyName", "x"}, {"AwsCredentialsSid", "nope"}}), 400,
                        20001);
  }
}

}  // namespace
}  // namespace roomplane::emulator::test
