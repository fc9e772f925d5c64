// HTTP Basic auth, account isolation, the request gate and the requests metric.

#include <atomic>

#include "unit/emulator/emulator_test_support.h"

namespace roomplane::emulator::test {
namespace {

using AuthTest = EmulatorTest;

TEST_F(AuthTest, AccountSidAndAuthTokenAuthenticate) {
  const auto reply = get("/v1/Rooms", account_auth());
  EXPECT_EQ(reply.status, 200u) << reply.raw;
  EXPECT_EQ(reply.body["meta"]["key"], "rooms");
}

TEST_F(AuthTest, ApiKeyAndSecretAuthenticate) {
  const auto created = post("/v1/Rooms", {{"UniqueName", "by-key"}}, key_auth());
  ASSERT_EQ(created.status, 201u) << created.raw;
  EXPECT_EQ(created.body["account_sid"], account_.account_sid);
  EXPECT_EQ(get("/v1/Rooms/by-key", key_auth()).status, 200u);
}

TEST_F(AuthTest, WrongOrMissingCredentialsAre401With20003) {
  for (const auto& creds :
       {Credentials{account_.account_sid, "wrong"}, Credentials{account_.api_key_sid, "wrong"},
        Credentials{"AC" + std::string(32, '0'), account_.auth_token},
        Credentials{account_.api_key_sid, account_.auth_token}, Credentials{"", ""}}) {
    const auto reply = get("/v1/Rooms", creds);
    expect_twilio_error(reply, 401, 20003);
    EXPECT_EQ(reply.header("WWW-Authenticate"), "Basic realm=\"Twilio API\"");
  }
  // No Authorization header at all, and a non-Basic scheme.
  const auto none = request(http::testing::bhttp::verb::get, "/v1/Rooms", {}, std::nullopt, "");
  expect_twilio_error(none, 401, 20003);
  http::testing::TestClient client(emulator_->port());
  const auto bearer = client.get("/v1/Rooms", {{"Authorization", "Bearer abc"}});
  EXPECT_EQ(bearer.result_int(), 401);
  const auto garbage = client.get("/v1/Rooms", {{"Authorization", "Basic !!!notbase64"}});
  EXPECT_EQ(garbage.result_int(), 401);
}

TEST_F(AuthTest, AnotherAccountsResourcesAre404) {
  const auto room = create_room({{"UniqueName", "mine"}});
  auto other = emulator_->create_account();
  ASSERT_TRUE(other.ok());
  const Credentials other_auth{other->account_sid, other->auth_token};
  const Credentials other_key{other->api_key_sid, other->api_key_secret};
  const std::string sid = room["sid"];
  expect_twilio_error(get("/v1/Rooms/" + sid, other_auth), 404, 20404);
  expect_twilio_error(get("/v1/Rooms/mine", other_key), 404, 20404);
  expect_twilio_error(post("/v1/Rooms/" + sid, {{"Status", "completed"}}, other_auth), 404, 20404);
  expect_twilio_error(get("/v1/Rooms/" + sid + "/Participants", other_auth), 404, 20404);
  EXPECT_TRUE(get("/v1/Rooms", other_auth).body["rooms"].empty());
  // The other account may use the same unique name: names are per account.
  EXPECT_EQ(post("/v1/Rooms", {{"UniqueName", "mine"}}, other_auth).status, 201u);
  // The message names the resource like Twilio's.
  EXPECT_EQ(get("/v1/Rooms/" + sid, other_auth).body["message"],
            "The requested resource /Rooms/" + sid + " was not found");
}

TEST_F(AuthTest, ChosenCredentialsThroughControlApi) {
  const std::string ac = "AC" + std::string(32, '1');
  const std::string sk = "SK" + std::string(32, '2');
  const auto reply = control_post(
      "/_emulator/accounts",
      {{"account_sid", ac}, {"auth_token", "tok"}, {"api_key_sid", sk}, {"api_key_secret", "sec"}});
  ASSERT_EQ(reply.status, 201u) << reply.raw;
  EXPECT_EQ(reply.body, nlohmann::json({{"account_sid", ac},
                                        {"auth_token", "tok"},
                                        {"api_key_sid", sk},
                                        {"api_key_secret", "sec"}}));
  EXPECT_EQ(get("/v1/Rooms", Credentials{ac, "tok"}).status, 200u);
  EXPECT_EQ(get("/v1/Rooms", Credentials{sk, "sec"}).status, 200u);
  // Same values again: idempotent. Another token for the same SID: conflict.
  EXPECT_EQ(
      control_post("/_emulator/accounts", {{"account_sid", ac}, {"auth_token", "tok"}}).status,
      201u);
  EXPECT_EQ(
      control_post("/_emulator/accounts", {{"account_sid", ac}, {"auth_token", "other"}}).status,
      409u);
  // The key SID is taken by that account.
  EXPECT_EQ(control_post("/_emulator/accounts", {{"api_key_sid", sk}}).status, 409u);
  EXPECT_EQ(control_post("/_emulator/accounts", {{"account_sid", "AC123"}}).status, 400u);
  EXPECT_EQ(control_post("/_emulator/accounts", {{"auth_token", 5}}).status, 400u);
  // Generated values have Twilio's shapes.
  const auto generated = control_post("/_emulator/accounts");
  ASSERT_EQ(generated.status, 201u);
  EXPECT_EQ(generated.body["account_sid"].get<std::string>().size(), 34u);
  EXPECT_EQ(generated.body["api_key_sid"].get<std::string>().rfind("SK", 0), 0u);
}

// A gate that refuses every REST request with 503, counting calls.
class RefusingGate final : public RequestGate {
 public:
  std::optional<http::Response> before_request(const http::Request&) override {
    ++calls;
    return http::Response::json(503, {{"code", 20503}, {"status", 503}});
  }
  std::atomic<int> calls{0};
};

class GatedTest : public EmulatorTest {
 protected:
  RequestGate& gate() override { return refusing_; }
  RefusingGate refusing_;
};

TEST_F(GatedTest, GateRunsBeforeAuthOnRestButNotOnControlRoutes) {
  EXPECT_EQ(get("/v1/Rooms").status, 503u);
  EXPECT_EQ(get("/v1/Rooms", Credentials{"x", "y"}).status, 503u);  // before auth
  EXPECT_EQ(refusing_.calls.load(), 2);
  EXPECT_EQ(control_post("/_emulator/accounts").status, 201u);
  EXPECT_EQ(control(http::testing::bhttp::verb::get, "/_emulator/state").status, 200u);
  EXPECT_EQ(refusing_.calls.load(), 2);
}

TEST_F(AuthTest, RequestsAreCountedByOperationAndStatus) {
  create_room();
  get("/v1/Rooms/RM" + std::string(32, '0'));
  get("/v1/Rooms", Credentials{"x", "y"});
  const auto value = [&](const char* op, const char* status) {
    return metrics_
        .counter("roomplane_emulator_requests_total", "", {{"operation", op}, {"status", status}})
        .value();
  };
  EXPECT_EQ(value("CreateRoom", "201"), 1.0);
  EXPECT_EQ(value("FetchRoom", "404"), 1.0);
  EXPECT_EQ(value("ListRoom", "401"), 1.0);
  const auto text = metrics_.render();
  EXPECT_NE(text.find("roomplane_emulator_rooms_in_progress 1"), std::string::npos) << text;
}

}  // namespace
}  // namespace roomplane::emulator::test
