// The production REST client against the real emulator, over real HTTP on port 0: the provider
// contract, every operation, the error mappings as the emulator produces them, retries under
// injected 429/503 (counted on both sides), timeouts, and access tokens from the foundation's
// builder accepted or refused by the emulator's participant connect with Twilio's codes.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "app/emulator_stack.h"
#include "http/curl_client.h"
#include "observability/log.h"
#include "observability/metrics.h"
#include "tokens/access_token.h"
#include "twilio/rest_client.h"
#include "unit/twilio/provider_contract.h"

namespace roomplane {
namespace {

using namespace std::chrono_literals;

class EmulatorTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    app::EmulatorStackOptions options;
    options.listen = {"127.0.0.1", 0};
    options.seed = 7;
    stack_ =
        std::make_unique<app::EmulatorStack>(options, clock_, http_, emulator_metrics_, logging_);
    ASSERT_TRUE(stack_->start().ok());
    auto account = control("POST", "/_emulator/accounts", nlohmann::json::object());
    ASSERT_EQ(account.first, 201u);
    account_ = account.second;
    credentials_ = {account_["account_sid"], account_["api_key_sid"], account_["api_key_secret"]};
    client_ = make_client({});
  }

  void TearDown() override { stack_->stop(); }

  std::unique_ptr<twilio::TwilioRestClient> make_client(twilio::RetryPolicy retry) {
    twilio::RestClientOptions options;
    options.base_url = stack_->base_url();
    options.retry = retry;
    return std::make_unique<twilio::TwilioRestClient>(
        http_, clock_, [this](std::chrono::milliseconds d) { sleeps_.push_back(d); },
        client_metrics_, observability::Logger(), options);
  }

  std::pair<unsigned, nlohmann::json> control(const std::string& method, const std::string& path,
                                              const nlohmann::json& body) {
    http::ClientRequest request;
    request.method = method;
    request.url = stack_->base_url() + path;
    request.headers["Content-Type"] = "application/json";
    if (!body.is_null())
      request.body = body.dump();
    auto response = http_.send(request);
    if (!response)
      return {0u, nlohmann::json()};
    return {response->status, nlohmann::json::parse(response->body, nullptr, false)};
  }

  std::string token_for(const std::string& identity, const std::string& room,
                        std::chrono::seconds ttl = 600s, const std::string& secret_override = "") {
    tokens::AccessTokenBuilder builder(clock_);
    tokens::AccessTokenRequest request;
    request.account_sid = account_["account_sid"];
    request.api_key_sid = account_["api_key_sid"];
    request.api_key_secret =
        secret_override.empty() ? account_["api_key_secret"].get<std::string>() : secret_override;
    request.identity = identity;
    request.room = room;
    request.ttl = ttl;
    return builder.build(request).value().token;
  }

  video::RoomInfo new_room(const std::string& name) {
    video::RoomSpec spec;
    spec.unique_name = name;
    spec.record_participants_on_connect = true;
    return client_->create_room(credentials_, spec).value();
  }

  double counter(const std::string& name, const observability::Labels& labels) {
    return client_metrics_.counter(name, "", labels).value();
  }

  core::SystemClock clock_;
  http::CurlRuntime curl_;
  http::CurlHttpClient http_{curl_};
  observability::Logging logging_{observability::LogLevel::kOff};
  observability::MetricsRegistry emulator_metrics_;
  observability::MetricsRegistry client_metrics_;
  std::unique_ptr<app::EmulatorStack> stack_;
  nlohmann::json account_;
  video::ProviderCredentials credentials_;
  std::unique_ptr<twilio::TwilioRestClient> client_;
  std::vector<std::chrono::milliseconds> sleeps_;
};

TEST_F(EmulatorTransportTest, ContractRoomLifecycle) {
  twilio::testing::expect_room_lifecycle(*client_, credentials_, "contract-room");
}

TEST_F(EmulatorTransportTest, ContractCompositionLifecycle) {
  twilio::testing::expect_composition_lifecycle(
      *client_, credentials_, "contract-composition", [this](const video::RoomInfo& room) {
        ASSERT_EQ(control("POST", "/_emulator/rooms/" + room.sid + "/participants",
                          {{"identity", "clinician"},
                           {"token", token_for("clinician", room.unique_name)}})
                      .first,
                  201u);
        ASSERT_EQ(control("POST", "/_emulator/rooms/" + room.sid + "/participants/clinician/tracks",
                          {{"kind", "audio"}, {"name", "mic"}})
                      .first,
                  201u);
      });
}

TEST_F(EmulatorTransportTest, ContractWrongCredentials) {
  twilio::testing::expect_wrong_credentials_rejected(*client_, credentials_);
}

TEST_F(EmulatorTransportTest, ParticipantsAreListedAndDisconnected) {
  const auto room = new_room("participants");
  for (const char* identity : {"clinician", "patient"}) {
    auto joined =
        control("POST", "/_emulator/rooms/" + room.sid + "/participants",
                {{"identity", identity}, {"token", token_for(identity, room.unique_name)}});
    ASSERT_EQ(joined.first, 201u) << joined.second.dump();
  }
  auto listed = client_->list_participants(credentials_, room.sid);
  ASSERT_TRUE(listed.ok()) << listed.error().message;
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ(listed->front().status, video::ParticipantStatus::kConnected);

  auto kicked = client_->disconnect_participant(credentials_, room.sid, "patient");
  ASSERT_TRUE(kicked.ok()) << kicked.error().message;
  EXPECT_EQ(kicked->identity, "patient");
  EXPECT_EQ(kicked->status, video::ParticipantStatus::kDisconnected);
  EXPECT_EQ(client_->list_participants(credentials_, room.sid)->size(), 1u);

  // Disconnecting is idempotent, so the client may retry it safely: a second call answers with
  // the participant as it already is.
  auto again = client_->disconnect_participant(credentials_, room.sid, "patient");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->sid, kicked->sid);
  EXPECT_EQ(again->status, video::ParticipantStatus::kDisconnected);
}

TEST_F(EmulatorTransportTest, CompositionOfARecordedConsultationCompletesWithAMediaUrl) {
  const auto room = new_room("recorded");
  auto joined =
      control("POST", "/_emulator/rooms/" + room.sid + "/participants",
              {{"identity", "clinician"}, {"token", token_for("clinician", room.unique_name)}});
  ASSERT_EQ(joined.first, 201u);
  ASSERT_EQ(control("POST", "/_emulator/rooms/" + room.sid + "/participants/clinician/tracks",
                    {{"kind", "audio"}, {"name", "mic"}})
                .first,
            201u);
  ASSERT_TRUE(client_->complete_room(credentials_, room.sid).ok());
  video::CompositionSpec spec;
  spec.room_sid = room.sid;
  auto composition = client_->create_composition(credentials_, spec);
  ASSERT_TRUE(composition.ok()) << composition.error().message;
  video::CompositionStatus status = composition->status;
  for (int i = 0; i < 100 && status != video::CompositionStatus::kCompleted; ++i) {
    std::this_thread::sleep_for(100ms);
    status = client_->fetch_composition(credentials_, composition->sid)->status;
  }
  ASSERT_EQ(status, video::CompositionStatus::kCompleted);
  auto media = client_->composition_media_url(credentials_, composition->sid, 600s);
  ASSERT_TRUE(media.ok()) << media.error().message;
  EXPECT_TRUE(media->starts_with(stack_->base_url() + "/_emulator/media/" + composition->sid))
      << *media;
  http::ClientRequest download;
  download.url = *media;
  EXPECT_EQ(http_.send(download)->status, 200u);
}

TEST_F(EmulatorTransportTest, ErrorsAreMappedAsTheEmulatorReportsThem) {
  auto missing = client_->fetch_room(credentials_, "RMffffffffffffffffffffffffffffffff");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, core::ErrorKind::kNotFound);
  EXPECT_EQ(missing.error().upstream_code, 20404);

  video::RoomSpec too_big;
  too_big.unique_name = "too-big";
  too_big.max_participants = 51;
  auto refused = client_->create_room(credentials_, too_big);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, core::ErrorKind::kInvalidArgument);
  EXPECT_EQ(refused.error().upstream_code, 53107);

  auto no_participant =
      client_->disconnect_participant(credentials_, new_room("empty").sid, "nobody");
  ASSERT_FALSE(no_participant.ok());
  EXPECT_EQ(no_participant.error().kind, core::ErrorKind::kNotFound);
}

TEST_F(EmulatorTransportTest, RetriesEvery503UpToTheLimitAndCountsThem) {
  ASSERT_EQ(control("PUT", "/_emulator/faults", {{"seed", 1}, {"rest", {{"rate_503", 1.0}}}}).first,
            200u);
  twilio::RetryPolicy retry;
  retry.max_attempts = 3;
  auto client = make_client(retry);
  auto fetched = client->fetch_room(credentials_, "RMffffffffffffffffffffffffffffffff");
  ASSERT_FALSE(fetched.ok());
  EXPECT_EQ(fetched.error().kind, core::ErrorKind::kUnavailable);
  EXPECT_EQ(fetched.error().upstream_code, 20503);
  EXPECT_EQ(sleeps_.size(), 2u);
  EXPECT_EQ(counter("roomplane_provider_retries_total", {{"operation", "fetch_room"}}), 2);
  auto faults = control("GET", "/_emulator/faults", nlohmann::json());
  EXPECT_EQ(faults.second["counts"]["rest"]["errors_503"], 3) << faults.second.dump();
}

TEST_F(EmulatorTransportTest, HonoursRetryAfterOn429AndSucceedsWhenTheEmulatorRecovers) {
  // Half the requests get 429 (seeded): every call must still succeed within its attempts, and
  // every injected 429 must be matched by exactly one retry.
  ASSERT_EQ(
      control("PUT", "/_emulator/faults", {{"seed", 42}, {"rest", {{"rate_429", 0.5}}}}).first,
      200u);
  twilio::RetryPolicy retry;
  retry.max_attempts = 10;
  retry.base_delay = 1ms;
  retry.max_delay = 5000ms;
  auto client = make_client(retry);
  for (int i = 0; i < 10; ++i) {
    video::RoomSpec spec;
    spec.unique_name = "busy-" + std::to_string(i);
    auto created = client->create_room(credentials_, spec);
    ASSERT_TRUE(created.ok()) << created.error().message;
  }
  const auto faults = control("GET", "/_emulator/faults", nlohmann::json()).second;
  const auto injected = faults["counts"]["rest"]["errors_429"].get<double>();
  EXPECT_GT(injected, 0);
  EXPECT_EQ(static_cast<double>(sleeps_.size()), injected);
  for (const auto& delay : sleeps_)
    EXPECT_EQ(delay, 1000ms) << "Retry-After: 1 is honoured";
}

TEST_F(EmulatorTransportTest, TimesOutOnASlowEmulatorAndRetries) {
  ASSERT_EQ(control("PUT", "/_emulator/faults", {{"rest", {{"latency_ms", {400, 400}}}}}).first,
            200u);
  twilio::RetryPolicy retry;
  retry.max_attempts = 2;
  retry.connect_timeout = 1000ms;
  retry.request_timeout = 100ms;
  auto client = make_client(retry);
  auto fetched = client->fetch_room(credentials_, "RMffffffffffffffffffffffffffffffff");
  ASSERT_FALSE(fetched.ok());
  EXPECT_EQ(fetched.error().kind, core::ErrorKind::kUnavailable);
  EXPECT_EQ(fetched.error().code, "timeout");
  EXPECT_EQ(sleeps_.size(), 1u);
}

TEST_F(EmulatorTransportTest, BuilderTokensAreAcceptedAndBadOnesRefusedWithTwilioCodes) {
  const auto room = new_room("tokens");
  const auto connect = [&](const std::string& identity, const std::string& token) {
    return control("POST", "/_emulator/rooms/" + room.sid + "/participants",
                   {{"identity", identity}, {"token", token}});
  };
  EXPECT_EQ(connect("ok", token_for("ok", room.unique_name)).first, 201u);
  EXPECT_EQ(connect("by-sid", token_for("by-sid", room.sid)).first, 201u);

  // Expired: issued 2 h ago with a 1 h lifetime.
  struct PastClock : core::Clock {
    core::TimePoint now() const override { return std::chrono::system_clock::now() - 2h; }
  } past;
  tokens::AccessTokenBuilder old_builder(past);
  tokens::AccessTokenRequest old_request;
  old_request.account_sid = account_["account_sid"];
  old_request.api_key_sid = account_["api_key_sid"];
  old_request.api_key_secret = account_["api_key_secret"];
  old_request.identity = "late";
  old_request.ttl = 3600s;
  old_request.room = room.unique_name;
  auto expired = connect("late", old_builder.build(old_request)->token);
  EXPECT_EQ(expired.second["code"], 20104) << expired.second.dump();

  auto wrong_signature =
      connect("forger", token_for("forger", room.unique_name, 600s, "not-the-secret"));
  EXPECT_EQ(wrong_signature.second["code"], 20107) << wrong_signature.second.dump();

  auto wrong_room = connect("lost", token_for("lost", "another-room"));
  EXPECT_EQ(wrong_room.second["code"], 20106) << wrong_room.second.dump();

  EXPECT_EQ(client_->list_participants(credentials_, room.sid)->size(), 2u)
      << "refused tokens connect nobody";
}

}  // namespace
}  // namespace roomplane
