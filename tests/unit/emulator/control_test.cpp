// The control API's own behaviour: state dump, tick, hostile bodies; and the Emulator object.

#include "unit/emulator/emulator_test_support.h"

namespace roomplane::emulator::test {
namespace {

using ControlTest = EmulatorTest;
using http::testing::bhttp::verb;

TEST_F(ControlTest, StateDumpShowsResourcesButNoSecrets) {
  const std::string rs = create_room({{"UniqueName", "dumped"}})["sid"];
  connect(rs, "alice");
  publish(rs, "alice", "audio", "mic");
  const auto reply = control(verb::get, "/_emulator/state");
  ASSERT_EQ(reply.status, 200u);
  ASSERT_EQ(reply.body["rooms"].size(), 1u);
  const auto& room = reply.body["rooms"][0];
  EXPECT_EQ(room["sid"], rs);
  EXPECT_EQ(room["participants"][0]["identity"], "alice");
  EXPECT_EQ(room["participants"][0]["published_tracks"][0]["name"], "mic");
  EXPECT_EQ(reply.body["accounts"][0]["account_sid"], account_.account_sid);
  EXPECT_EQ(reply.raw.find(account_.auth_token), std::string::npos);
  EXPECT_EQ(reply.raw.find(account_.api_key_secret), std::string::npos);
}

TEST_F(ControlTest, HostileBodiesGet400) {
  const std::string join = "/_emulator/rooms/x/participants";
  EXPECT_EQ(request(verb::post, join, "{", std::nullopt, "application/json").status, 400u);
  EXPECT_EQ(
      request(verb::post, join, std::string(50000, '['), std::nullopt, "application/json").status,
      400u);
  EXPECT_EQ(control_post(join, {{"identity", 42}}).status, 400u);
  EXPECT_EQ(control_post("/_emulator/compositions/behaviour", {{"mode", 1}}).status, 400u);
  // Form bodies with broken escapes on the REST side.
  const auto broken = request(verb::post, "/v1/Rooms", "UniqueName=%zz", account_auth(),
                              "application/x-www-form-urlencoded");
  expect_twilio_error(broken, 400, 20001);
  // Invalid UTF-8 in a room name is refused, not echoed.
  const auto utf8 = request(verb::post, "/v1/Rooms", "UniqueName=%C3", account_auth(),
                            "application/x-www-form-urlencoded");
  expect_twilio_error(utf8, 400, 53102);
}

TEST_F(ControlTest, UnknownRoutesAndMethods) {
  EXPECT_EQ(get("/v1/Nope").status, 404u);
  EXPECT_EQ(control(verb::put, "/v1/Rooms").status, 405u);
  EXPECT_EQ(control(verb::get, "/_emulator/media/nothing").status, 403u);
}

TEST_F(ControlTest, PublicBaseUrlOverride) {
  auto options = test_options();
  options.public_base_url = "https://video.example.test/";
  start(options);
  EXPECT_EQ(emulator_->base_url(), "https://video.example.test");
  const auto room = create_room();
  EXPECT_EQ(room["url"], "https://video.example.test/v1/Rooms/" + room["sid"].get<std::string>());
}

TEST_F(ControlTest, BackgroundTickerAdvancesWithoutManualTicks) {
  auto options = test_options();
  options.ticker_interval = std::chrono::milliseconds(20);
  start(options);
  const std::string rs = create_room({{"UnusedRoomTimeout", "1"}})["sid"];
  clock_.advance(std::chrono::minutes(1));
  bool ended = false;
  for (int i = 0; i < 200 && !ended; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ended = get("/v1/Rooms/" + rs).body["status"] == "completed";
  }
  EXPECT_TRUE(ended);
  emulator_->stop();
  emulator_->stop();  // idempotent
}

TEST(EmulatorStart, BusyPortFailsCleanly) {
  testing::ManualClock clock;
  RecordingSink sink;
  NoFaults gate;
  observability::MetricsRegistry metrics;
  EmulatorOptions options;
  options.port = 0;
  options.ticker_interval = std::chrono::milliseconds(0);
  Emulator first(options, clock, sink, gate, metrics, {});
  ASSERT_TRUE(first.start().ok());
  options.port = first.port();
  Emulator second(options, clock, sink, gate, metrics, {});
  const auto status = second.start();
  EXPECT_FALSE(status.ok());
  // Accounts and ticks work without a server.
  EXPECT_TRUE(second.create_account().ok());
  second.tick();
}

}  // namespace
}  // namespace roomplane::emulator::test
