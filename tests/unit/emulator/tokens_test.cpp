// Participants connecting with access tokens, verified the way Twilio does.

#include "tokens/access_token.h"
#include "unit/emulator/emulator_test_support.h"

namespace roomplane::emulator::test {
namespace {

using namespace std::chrono_literals;

class TokenConnectTest : public EmulatorTest {
 protected:
  void SetUp() override {
    EmulatorTest::SetUp();
    room_sid_ = create_room({{"UniqueName", "consult-7"}})["sid"];
  }
  std::string token(std::string identity, std::optional<std::string> room,
                    const AccountCredentials& creds, std::chrono::seconds ttl = 3600s) {
    tokens::AccessTokenBuilder builder(clock_);
    tokens::AccessTokenRequest request;
    request.account_sid = creds.account_sid;
    request.api_key_sid = creds.api_key_sid;
    request.api_key_secret = creds.api_key_secret;
    request.identity = std::move(identity);
    request.room = std::move(room);
    request.ttl = ttl;
    auto built = builder.build(request);
    EXPECT_TRUE(built.ok());
    return built->token;
  }
  Reply join(const std::string& room, const std::string& jwt,
             std::optional<std::string> identity = std::nullopt) {
    nlohmann::json body = {{"token", jwt}};
    if (identity)
      body["identity"] = *identity;
    return control_post("/_emulator/rooms/" + room + "/participants", body);
  }
  std::string room_sid_;
};

TEST_F(TokenConnectTest, ValidTokenJoinsWithItsIdentity) {
  const auto reply = join("consult-7", token("dr-who", "consult-7", account_));
  ASSERT_EQ(reply.status, 201u) << reply.raw;
  EXPECT_EQ(reply.body["identity"], "dr-who");
  EXPECT_EQ(reply.body["room_sid"], room_sid_);
  // A grant naming the room SID, and a grant without a room, work too.
  EXPECT_EQ(join(room_sid_, token("nurse", room_sid_, account_)).status, 201u);
  EXPECT_EQ(join("consult-7", token("any", std::nullopt, account_)).status, 201u);
  // The body's identity may repeat the token's, not contradict it.
  EXPECT_EQ(join("consult-7", token("same", std::nullopt, account_), "same").status, 201u);
  expect_twilio_error(join("consult-7", token("real", std::nullopt, account_), "fake"), 400, 53200);
}

TEST_F(TokenConnectTest, ExpiredTokenIs20104) {
  const auto jwt = token("late", "consult-7", account_, 60s);
  clock_.advance(60s);
  expect_twilio_error(join("consult-7", jwt), 401, 20104);
}

TEST_F(TokenConnectTest, TokenForAnotherRoomIs20106) {
  create_room({{"UniqueName", "other-room"}});
  expect_twilio_error(join("consult-7", token("x", "other-room", account_)), 403, 20106);
}

TEST_F(TokenConnectTest, WronglySignedTokenIs20107) {
  AccountCredentials forged = account_;
  forged.api_key_secret = "not-the-secret";
  expect_twilio_error(join("consult-7", token("mallory", "consult-7", forged)), 401, 20107);
}

TEST_F(TokenConnectTest, UnknownKeyOrAnotherAccountsKeyIs20103) {
  AccountCredentials unknown = account_;
  unknown.api_key_sid = "SK" + std::string(32, '9');
  expect_twilio_error(join("consult-7", token("x", "consult-7", unknown)), 401, 20103);
  auto other = emulator_->create_account();
  ASSERT_TRUE(other.ok());
  expect_twilio_error(join("consult-7", token("x", "consult-7", *other)), 401, 20103);
}

TEST_F(TokenConnectTest, GarbageAndOversizedTokensAreRefusedNotCrashing) {
  expect_twilio_error(join("consult-7", "not.a.jwt"), 401, 20101);
  expect_twilio_error(join("consult-7", ""), 401, 20101);
  expect_twilio_error(join("consult-7", std::string(20000, 'a')), 401, 20101);
  // Nothing joined.
  EXPECT_TRUE(get("/v1/Rooms/" + room_sid_ + "/Participants").body["participants"].empty());
}

}  // namespace
}  // namespace roomplane::emulator::test
