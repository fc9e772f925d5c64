// The reconciler against the in-process Twilio emulator through the real REST client: a room
// whose status callbacks never arrive (it was created without a callback URL, the worst case of
// dropped callbacks) is brought in line with the emulator by reconciliation alone: a participant
// who joined, then left, then the room's end.

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "app/emulator_stack.h"
#include "http/curl_client.h"
#include "observability/log.h"
#include "observability/metrics.h"
#include "reconciler/reconciler.h"
#include "rooms/confirmed_events.h"
#include "tokens/access_token.h"
#include "twilio/rest_client.h"
#include "unit/room_store/room_store_fixture.h"
#include "unit/rooms_api/rooms_api_support.h"

namespace roomplane::reconciler {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using storage::testing::kTenantA;

class ReconcilerEmulatorTest : public storage::testing::RoomStoreTest {
 protected:
  void SetUp() override {
    RoomStoreTest::SetUp();
    app::EmulatorStackOptions emulator_options;
    emulator_options.listen = {"127.0.0.1", 0};
    emulator_options.seed = 7;
    emulator_ = std::make_unique<app::EmulatorStack>(emulator_options, clock_, http_,
                                                     emulator_metrics_, logging_);
    ASSERT_TRUE(emulator_->start().ok());
    const auto account = control("/_emulator/accounts", json::object());
    ASSERT_EQ(account.first, 201u) << account.second.dump();
    credentials_ = {account.second["account_sid"], account.second["api_key_sid"],
                    account.second["api_key_secret"]};
    twilio::RestClientOptions provider_options;
    provider_options.base_url = emulator_->base_url();
    provider_ = std::make_unique<twilio::TwilioRestClient>(
        http_, clock_, twilio::real_sleep(), metrics_, observability::Logger(), provider_options);

    ReconcilerOptions options;
    options.min_age = 0ms;  // every cycle compares every room
    reconciler_ = std::make_unique<Reconciler>(
        *store_, *provider_,
        [this](const core::TenantId&) -> core::Result<rooms::TenantContext> {
          rooms::TenantContext context;
          context.credentials = tenants::ProviderCredentials{
              credentials_.account_sid, credentials_.api_key_sid, credentials_.api_key_secret, ""};
          return context;
        },
        notifier_, clock_, options, metrics_, observability::Logger());
  }

  void TearDown() override { emulator_->stop(); }

  std::pair<unsigned, json> control(const std::string& path, const json& body) {
    http::ClientRequest request;
    request.method = "POST";
    request.url = emulator_->base_url() + path;
    request.headers["Content-Type"] = "application/json";
    request.body = body.dump();
    auto response = http_.send(request);
    if (!response)
      return {0, json()};
    return {response->status, json::parse(response->body, nullptr, false)};
  }

  void reconcile() {
    std::this_thread::sleep_for(5ms);  // reconciled_at has millisecond precision
    auto report = reconciler_->run_once();
    ASSERT_TRUE(report.ok()) << report.error().message;
    EXPECT_EQ(report->failed, 0u);
  }

  rooms::RoomView local(const std::string& id) {
    auto found = store_->find(kTenantA, core::RoomId(id));
    EXPECT_TRUE(found.ok() && found->has_value());
    return found.ok() && found->has_value() ? **found : rooms::RoomView{};
  }

  core::SystemClock clock_;
  observability::Logging logging_{observability::LogLevel::kOff};
  observability::MetricsRegistry metrics_;
  observability::MetricsRegistry emulator_metrics_;
  http::CurlRuntime curl_;
  http::CurlHttpClient http_{curl_};
  std::unique_ptr<app::EmulatorStack> emulator_;
  std::unique_ptr<twilio::TwilioRestClient> provider_;
  video::ProviderCredentials credentials_;
  rooms::testing::RecordingNotifier notifier_;
  std::unique_ptr<Reconciler> reconciler_;
};

TEST_F(ReconcilerEmulatorTest, RepairsWhatDroppedCallbacksWouldHaveTold) {
  // Created at the provider with no callback URL: nothing will ever call us back.
  video::RoomSpec spec;
  spec.unique_name = "rm_e2e";
  spec.type = video::RoomType::kGroup;
  auto created = provider_->create_room(credentials_, spec);
  ASSERT_TRUE(created.ok()) << created.error().message;
  auto row = storage::testing::new_room(kTenantA, "rm_e2e", clock_.now());
  row.provider_room_name = "rm_e2e";
  ASSERT_TRUE(store_->insert(row).ok());
  const std::vector<rooms::RoomEvent> confirmed = {rooms::room_created_event(*created)};
  ASSERT_TRUE(
      store_->link_provider_room(kTenantA, row.id, created->sid, confirmed, clock_.now()).ok());

  // A participant joins at the provider; only the reconciler can tell us.
  tokens::AccessTokenBuilder builder(clock_);
  tokens::AccessTokenRequest token_request;
  token_request.account_sid = credentials_.account_sid;
  token_request.api_key_sid = credentials_.api_key_sid;
  token_request.api_key_secret = credentials_.api_key_secret;
  token_request.identity = "patient";
  token_request.ttl = 600s;
  token_request.room = "rm_e2e";
  const auto token = builder.build(token_request);
  ASSERT_TRUE(token.ok());
  const auto joined = control("/_emulator/rooms/" + created->sid + "/participants",
                              {{"identity", "patient"}, {"token", token->token}});
  ASSERT_EQ(joined.first, 201u) << joined.second.dump();
  const std::string participant_sid = joined.second["sid"];

  reconcile();
  auto view = local("rm_e2e");
  ASSERT_TRUE(view.state.participants.contains(participant_sid));
  EXPECT_EQ(view.state.participants.at(participant_sid).status,
            rooms::ParticipantStatus::kConnected);

  // The participant leaves: disconnected locally.
  ASSERT_EQ(control("/_emulator/rooms/" + created->sid + "/participants/patient/disconnect",
                    json::object())
                .first,
            200u);
  reconcile();
  view = local("rm_e2e");
  EXPECT_EQ(view.state.participants.at(participant_sid).status,
            rooms::ParticipantStatus::kDisconnected);
  EXPECT_EQ(view.room.status, rooms::RoomLifecycle::kInProgress);

  // The room ends at the provider: completed locally, with the provider's end time.
  const auto ended = provider_->complete_room(credentials_, created->sid);
  ASSERT_TRUE(ended.ok()) << ended.error().message;
  reconcile();
  view = local("rm_e2e");
  EXPECT_EQ(view.room.status, rooms::RoomLifecycle::kCompleted);
  EXPECT_EQ(view.room.end_reason, kEndedByReconciler);
  ASSERT_TRUE(view.room.ended_at.has_value());
  ASSERT_TRUE(ended->ended_at.has_value());
  EXPECT_EQ(std::chrono::floor<std::chrono::seconds>(*view.room.ended_at),
            std::chrono::floor<std::chrono::seconds>(*ended->ended_at));

  // Every step reached the dashboards.
  int joined_events = 0;
  int left_events = 0;
  int room_events = 0;
  for (const auto& n : notifier_.published()) {
    joined_events += n.kind == realtime::RoomEventKind::kParticipantJoined ? 1 : 0;
    left_events += n.kind == realtime::RoomEventKind::kParticipantLeft ? 1 : 0;
    room_events += n.kind == realtime::RoomEventKind::kRoomUpdated ? 1 : 0;
  }
  EXPECT_EQ(joined_events, 1);
  EXPECT_EQ(left_events, 1);
  EXPECT_GE(room_events, 1);

  // Nothing in progress is left to compare.
  auto due = store_->list_to_reconcile(clock_.now() + 1s, 10);
  ASSERT_TRUE(due.ok());
  EXPECT_TRUE(due->empty());
}

}  // namespace
}  // namespace roomplane::reconciler
