// The reconciler against the real SQLite room store on a temporary database, a scripted
// provider (rooms and participants per SID, failures on demand, every call counted per
// account) and a manual clock: drift is repaired and published as a callback would be, no drift
// changes nothing, the per-tenant budget holds, an outage repairs nothing and is retried, and
// the least recently reconciled rooms go first.

#include "reconciler/reconciler.h"

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "observability/metrics.h"
#include "support/manual_clock.h"
#include "unit/room_store/room_store_fixture.h"
#include "unit/rooms_api/rooms_api_support.h"

namespace roomplane::reconciler {
namespace {

using namespace std::chrono_literals;
using storage::testing::at_ms;
using storage::testing::kTenantA;
using storage::testing::kTenantB;

// A provider whose rooms and participants the test sets, counting every call.
class ScriptedProvider final : public video::VideoProvider {
 public:
  struct Call {
    std::string account;
    std::string method;
    std::string room_sid;
  };

  void set_room(const std::string& sid, video::RoomStatus status,
                std::optional<core::TimePoint> ended_at = std::nullopt) {
    std::lock_guard lock(mutex_);
    video::RoomInfo info;
    info.sid = sid;
    info.unique_name = "name-" + sid;
    info.status = status;
    info.created_at = at_ms(0);
    info.ended_at = ended_at;
    rooms_[sid] = info;
  }
  void set_participants(const std::string& room_sid, std::vector<video::ParticipantInfo> list) {
    std::lock_guard lock(mutex_);
    participants_[room_sid] = std::move(list);
  }
  void fail_everything(std::optional<core::Error> error) {
    std::lock_guard lock(mutex_);
    fail_all_ = std::move(error);
  }
  void fail_room(const std::string& sid, core::Error error) {
    std::lock_guard lock(mutex_);
    fail_room_[sid] = std::move(error);
  }
  std::vector<Call> calls() {
    std::lock_guard lock(mutex_);
    return calls_;
  }
  int calls_of(const std::string& account) {
    int n = 0;
    for (const auto& call : calls())
      n += call.account == account ? 1 : 0;
    return n;
  }
  void clear_calls() {
    std::lock_guard lock(mutex_);
    calls_.clear();
  }

  core::Result<video::RoomInfo> fetch_room(const video::ProviderCredentials& credentials,
                                           std::string_view sid) override {
    std::lock_guard lock(mutex_);
    calls_.push_back({credentials.account_sid, "fetch_room", std::string(sid)});
    if (auto error = failure(sid))
      return *error;
    const auto it = rooms_.find(std::string(sid));
    if (it == rooms_.end())
      return core::Error::not_found("room_not_found", "no such room");
    return it->second;
  }
  core::Result<std::vector<video::ParticipantInfo>> list_participants(
      const video::ProviderCredentials& credentials, std::string_view sid) override {
    std::lock_guard lock(mutex_);
    calls_.push_back({credentials.account_sid, "list_participants", std::string(sid)});
    if (auto error = failure(sid))
      return *error;
    return participants_[std::string(sid)];
  }

  // Never called by the reconciler.
  core::Result<video::RoomInfo> create_room(const video::ProviderCredentials&,
                                            const video::RoomSpec&) override {
    return unexpected();
  }
  core::Result<video::RoomInfo> complete_room(const video::ProviderCredentials&,
                                              std::string_view) override {
    return unexpected();
  }
  core::Result<video::ParticipantInfo> disconnect_participant(const video::ProviderCredentials&,
                                                              std::string_view,
                                                              std::string_view) override {
    return unexpected();
  }
  core::Status update_recording_rules(const video::ProviderCredentials&, std::string_view,
                                      bool) override {
    return unexpected();
  }
  core::Result<video::CompositionInfo> create_composition(const video::ProviderCredentials&,
                                                          const video::CompositionSpec&) override {
    return unexpected();
  }
  core::Result<video::CompositionInfo> fetch_composition(const video::ProviderCredentials&,
                                                         std::string_view) override {
    return unexpected();
  }
  core::Result<std::vector<video::CompositionInfo>> list_compositions_for_room(
      const video::ProviderCredentials&, std::string_view) override {
    return unexpected();
  }
  core::Result<std::string> composition_media_url(const video::ProviderCredentials&,
                                                  std::string_view, std::chrono::seconds) override {
    return unexpected();
  }

 private:
  static core::Error unexpected() {
    ADD_FAILURE() << "the reconciler made a provider call it should not make";
    return core::Error::internal("unexpected call");
  }
  std::optional<core::Error> failure(std::string_view sid) {
    if (fail_all_)
      return fail_all_;
    const auto it = fail_room_.find(std::string(sid));
    if (it != fail_room_.end())
      return it->second;
    return std::nullopt;
  }

  std::mutex mutex_;
  std::map<std::string, video::RoomInfo> rooms_;
  std::map<std::string, std::vector<video::ParticipantInfo>> participants_;
  std::optional<core::Error> fail_all_;
  std::map<std::string, core::Error> fail_room_;
  std::vector<Call> calls_;
};

video::ParticipantInfo provider_participant(const std::string& room_sid, const std::string& sid,
                                            const std::string& identity,
                                            core::TimePoint connected) {
  video::ParticipantInfo p;
  p.sid = sid;
  p.room_sid = room_sid;
  p.identity = identity;
  p.connected_at = connected;
  return p;
}

std::string account_of(const core::TenantId& tenant) {
  return "AC-" + tenant.value();
}

core::Error unavailable() {
  core::Error error;
  error.kind = core::ErrorKind::kUnavailable;
  error.code = "network_error";
  error.message = "connection refused";
  return error;
}

class ReconcilerTest : public storage::testing::RoomStoreTest {
 protected:
  void SetUp() override {
    RoomStoreTest::SetUp();
    clock_.set(at_ms(10'000));
  }

  Reconciler& reconciler() {
    if (!reconciler_) {
      reconciler_ = std::make_unique<Reconciler>(
          *store_, provider_,
          [this](const core::TenantId& tenant) -> core::Result<rooms::TenantContext> {
            rooms::TenantContext context;
            if (tenant == unconfigured_)
              return context;
            context.credentials = tenants::ProviderCredentials{
                account_of(tenant), "SK-" + tenant.value(), "secret", "token"};
            return context;
          },
          notifier_, clock_, options_, metrics_, observability::Logger());
    }
    return *reconciler_;
  }

  workers::CycleReport run() {
    auto report = reconciler().run_once();
    EXPECT_TRUE(report.ok()) << report.error().message;
    return report.ok() ? *report : workers::CycleReport{};
  }

  // A linked in-progress room with these participants connected (delivered as callbacks).
  rooms::Room live_room(const core::TenantId& tenant, const std::string& id, const std::string& sid,
                        const std::vector<std::pair<std::string, std::string>>& participants = {}) {
    auto room = linked_room(tenant, id, sid);
    std::vector<rooms::IngestItem> items;
    std::int64_t seq = 0;
    items.push_back(
        storage::testing::item(tenant, storage::testing::room_created(sid, at_ms(1), seq++)));
    for (const auto& [psid, identity] : participants) {
      items.push_back(storage::testing::item(
          tenant, storage::testing::connected(sid, psid, identity, at_ms(2), seq++)));
    }
    ingest(items);
    provider_.set_room(sid, video::RoomStatus::kInProgress);
    std::vector<video::ParticipantInfo> listed;
    for (const auto& [psid, identity] : participants)
      listed.push_back(provider_participant(sid, psid, identity, at_ms(2)));
    provider_.set_participants(sid, listed);
    return room;
  }

  rooms::RoomView view(const core::TenantId& tenant, const std::string& id) {
    auto found = store_->find(tenant, core::RoomId(id));
    EXPECT_TRUE(found.ok() && found->has_value());
    return found.ok() && found->has_value() ? **found : rooms::RoomView{};
  }

  std::string reconciled_at(const std::string& id) {
    return scalar("SELECT reconciled_at FROM rooms WHERE room_id = '" + id + "'");
  }

  // The value of one sample line ("name{labels} value") of the exposition, -1 when absent.
  double metric(const std::string& sample) {
    const auto text = "\n" + metrics_.render();
    const auto pos = text.find("\n" + sample + " ");
    if (pos == std::string::npos)
      return -1;
    return std::stod(text.substr(pos + sample.size() + 2));
  }

  ::roomplane::testing::ManualClock clock_;
  ScriptedProvider provider_;
  rooms::testing::RecordingNotifier notifier_;
  observability::MetricsRegistry metrics_;
  ReconcilerOptions options_;
  core::TenantId unconfigured_{"tn_none"};
  std::unique_ptr<Reconciler> reconciler_;
};

TEST_F(ReconcilerTest, RoomEndedAtTheProviderIsCompletedLocallyAndPublished) {
  live_room(kTenantA, "rm_ended", "RM1", {{"PA1", "doctor"}});
  provider_.set_room("RM1", video::RoomStatus::kCompleted, at_ms(500));

  const auto report = run();
  EXPECT_EQ(report.claimed, 1u);
  EXPECT_EQ(report.succeeded, 1u);
  EXPECT_EQ(report.failed, 0u);
  EXPECT_FALSE(report.more);

  const auto after = view(kTenantA, "rm_ended");
  EXPECT_EQ(after.room.status, rooms::RoomLifecycle::kCompleted);
  EXPECT_EQ(after.room.end_reason, kEndedByReconciler);
  EXPECT_EQ(after.room.ended_at, at_ms(500));  // the provider's time, not the clock's
  EXPECT_EQ(after.state.participants.at("PA1").status, rooms::ParticipantStatus::kDisconnected);

  bool room_updated = false;
  bool participant_left = false;
  for (const auto& n : notifier_.published()) {
    EXPECT_EQ(n.tenant, kTenantA);
    EXPECT_EQ(n.room_id.value(), "rm_ended");
    EXPECT_EQ(n.provider_room_sid, "RM1");
    if (n.kind == realtime::RoomEventKind::kRoomUpdated) {
      room_updated = true;
      EXPECT_EQ(n.payload.at("status"), "completed");
      EXPECT_EQ(n.payload.at("end_reason"), kEndedByReconciler);
    }
    if (n.kind == realtime::RoomEventKind::kParticipantLeft) {
      participant_left = true;
      EXPECT_EQ(n.payload.at("participant_sid"), "PA1");
    }
  }
  EXPECT_TRUE(room_updated);
  EXPECT_TRUE(participant_left);
  // An ended room needs no participant list: one request.
  EXPECT_EQ(provider_.calls().size(), 1u);
  EXPECT_EQ(metric("roomplane_reconciler_repairs_total{kind=\"room_ended\"}"), 1);
  EXPECT_EQ(metric("roomplane_reconciler_provider_requests_total"), 1);

  // The late callback changes nothing and tells nobody anything.
  auto late = ingest(
      {storage::testing::item(kTenantA, storage::testing::room_ended("RM1", at_ms(500), 9))});
  ASSERT_EQ(late.size(), 1u);
  EXPECT_TRUE(late[0].applied.changes.empty());
}

TEST_F(ReconcilerTest, FailedAtTheProviderIsFailedLocally) {
  live_room(kTenantA, "rm_failed", "RM1");
  provider_.set_room("RM1", video::RoomStatus::kFailed, at_ms(400));
  run();
  const auto after = view(kTenantA, "rm_failed");
  EXPECT_EQ(after.room.status, rooms::RoomLifecycle::kFailed);
}

TEST_F(ReconcilerTest, ParticipantGoneAtTheProviderIsDisconnectedLocally) {
  live_room(kTenantA, "rm_p", "RM1", {{"PA1", "doctor"}, {"PA2", "patient"}});
  provider_.set_participants("RM1", {provider_participant("RM1", "PA2", "patient", at_ms(2))});

  const auto report = run();
  EXPECT_EQ(report.succeeded, 1u);
  const auto after = view(kTenantA, "rm_p");
  EXPECT_EQ(after.room.status, rooms::RoomLifecycle::kInProgress);
  const auto& gone = after.state.participants.at("PA1");
  EXPECT_EQ(gone.status, rooms::ParticipantStatus::kDisconnected);
  EXPECT_EQ(gone.disconnected_at, clock_.now());
  EXPECT_EQ(after.state.participants.at("PA2").status, rooms::ParticipantStatus::kConnected);
  EXPECT_EQ(scalar("SELECT status FROM participants WHERE provider_participant_sid = 'PA1'"),
            "disconnected");

  const auto published = notifier_.published();
  ASSERT_EQ(published.size(), 1u);
  EXPECT_EQ(published[0].kind, realtime::RoomEventKind::kParticipantLeft);
  EXPECT_EQ(published[0].payload.at("participant_sid"), "PA1");
  EXPECT_EQ(published[0].payload.at("identity"), "doctor");
  EXPECT_EQ(metric("roomplane_reconciler_repairs_total{kind=\"participant_left\"}"), 1);
  EXPECT_EQ(provider_.calls().size(), 2u);
  EXPECT_NE(reconciled_at("rm_p"), "NULL");
}

TEST_F(ReconcilerTest, ParticipantOnlyTheProviderKnowsIsAddedAsConnected) {
  live_room(kTenantA, "rm_j", "RM1", {{"PA1", "doctor"}});
  provider_.set_participants("RM1", {provider_participant("RM1", "PA1", "doctor", at_ms(2)),
                                     provider_participant("RM1", "PA9", "patient", at_ms(7))});
  run();
  const auto after = view(kTenantA, "rm_j");
  ASSERT_TRUE(after.state.participants.contains("PA9"));
  EXPECT_EQ(after.state.participants.at("PA9").status, rooms::ParticipantStatus::kConnected);
  EXPECT_EQ(after.state.participants.at("PA9").connected_at, at_ms(7));
  const auto published = notifier_.published();
  ASSERT_EQ(published.size(), 1u);
  EXPECT_EQ(published[0].kind, realtime::RoomEventKind::kParticipantJoined);
  EXPECT_EQ(metric("roomplane_reconciler_repairs_total{kind=\"participant_joined\"}"), 1);
}

TEST_F(ReconcilerTest, NoDriftChangesNothingButAdvancesReconciledAt) {
  live_room(kTenantA, "rm_same", "RM1", {{"PA1", "doctor"}});
  const auto before = view(kTenantA, "rm_same");
  ASSERT_EQ(reconciled_at("rm_same"), "NULL");

  const auto report = run();
  EXPECT_EQ(report.succeeded, 1u);
  EXPECT_EQ(report.lag, std::chrono::milliseconds(0));
  const auto after = view(kTenantA, "rm_same");
  EXPECT_EQ(after.state, before.state);
  EXPECT_EQ(after.room.updated_at, before.room.updated_at);
  EXPECT_TRUE(notifier_.published().empty());
  EXPECT_EQ(reconciled_at("rm_same"),
            std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                               clock_.now().time_since_epoch())
                               .count()));

  // Compared a moment ago: not due again until min_age has passed.
  provider_.clear_calls();
  clock_.advance(options_.min_age / 2);
  EXPECT_EQ(run().claimed, 0u);
  EXPECT_TRUE(provider_.calls().empty());
  clock_.advance(options_.min_age);
  EXPECT_EQ(run().claimed, 1u);
  EXPECT_EQ(provider_.calls().size(), 2u);
}

TEST_F(ReconcilerTest, PerTenantBudgetIsRespectedAndOtherTenantsAreNotStarved) {
  options_.tenant_request_budget = 5;  // two in-progress rooms (2 requests each), then 1 left
  for (int i = 0; i < 6; ++i)
    live_room(kTenantA, "rm_a" + std::to_string(i), "RMA" + std::to_string(i));
  for (int i = 0; i < 2; ++i)
    live_room(kTenantB, "rm_b" + std::to_string(i), "RMB" + std::to_string(i));

  auto report = run();
  EXPECT_EQ(report.claimed, 8u);
  EXPECT_LE(provider_.calls_of(account_of(kTenantA)), 5);
  EXPECT_EQ(provider_.calls_of(account_of(kTenantB)), 4);  // both of B's rooms
  EXPECT_EQ(report.succeeded, 4u);                         // 2 of A's, 2 of B's
  EXPECT_EQ(report.failed, 0u);
  EXPECT_GT(report.lag, std::chrono::milliseconds(0));  // A's rooms left behind
  EXPECT_EQ(metric("roomplane_reconciler_budget_exhausted_total"), 1);
  // The room whose fetch used the last request was not marked: it is first next time.
  int marked = 0;
  for (int i = 0; i < 6; ++i)
    marked += reconciled_at("rm_a" + std::to_string(i)) != "NULL" ? 1 : 0;
  EXPECT_EQ(marked, 2);

  // Next cycles take A's remaining rooms, never more than the budget per cycle.
  for (int cycle = 0; cycle < 2; ++cycle) {
    provider_.clear_calls();
    clock_.advance(1s);
    report = run();
    EXPECT_LE(provider_.calls_of(account_of(kTenantA)), 5);
    EXPECT_EQ(provider_.calls_of(account_of(kTenantB)), 0);  // B's are not due yet
  }
  for (int i = 0; i < 6; ++i)
    EXPECT_NE(reconciled_at("rm_a" + std::to_string(i)), "NULL") << i;
  EXPECT_EQ(report.lag, std::chrono::milliseconds(0));
}

TEST_F(ReconcilerTest, ProviderOutageChangesNothingAndIsRetriedNextCycle) {
  options_.outage_threshold = 2;
  live_room(kTenantA, "rm_a", "RMA", {{"PA1", "doctor"}});
  live_room(kTenantB, "rm_b", "RMB", {{"PB1", "doctor"}});
  auto* other = "tn_cccc";
  exec(std::string("INSERT INTO tenants (tenant_id, name, settings, created_at, updated_at) "
                   "VALUES ('") +
       other + "', 'clinic', '{}', 0, 0)");
  live_room(core::TenantId(other), "rm_c", "RMC");
  provider_.set_room("RMA", video::RoomStatus::kCompleted, at_ms(500));
  provider_.set_participants("RMB", {});
  provider_.fail_everything(unavailable());
  const auto before_a = view(kTenantA, "rm_a");

  auto report = run();
  EXPECT_EQ(report.claimed, 3u);
  EXPECT_EQ(report.succeeded, 0u);
  EXPECT_EQ(report.failed, 2u);
  // Two failures in a row: the third tenant is not even tried.
  EXPECT_EQ(provider_.calls().size(), 2u);
  EXPECT_GT(report.lag, std::chrono::milliseconds(0));
  EXPECT_EQ(view(kTenantA, "rm_a").state, before_a.state);
  EXPECT_EQ(view(kTenantA, "rm_a").room.status, rooms::RoomLifecycle::kInProgress);
  EXPECT_TRUE(notifier_.published().empty());
  EXPECT_EQ(reconciled_at("rm_a"), "NULL");
  EXPECT_EQ(reconciled_at("rm_b"), "NULL");

  // The provider is back: the next cycle repairs both (retried at once, min_age or not).
  provider_.fail_everything(std::nullopt);
  clock_.advance(1s);
  report = run();
  EXPECT_EQ(report.succeeded, 3u);
  EXPECT_EQ(view(kTenantA, "rm_a").room.status, rooms::RoomLifecycle::kCompleted);
  EXPECT_EQ(view(kTenantB, "rm_b").state.participants.at("PB1").status,
            rooms::ParticipantStatus::kDisconnected);
}

TEST_F(ReconcilerTest, RateLimitedTenantWaitsButOthersGoOn) {
  live_room(kTenantA, "rm_a1", "RMA1");
  live_room(kTenantA, "rm_a2", "RMA2");
  live_room(kTenantB, "rm_b", "RMB");
  core::Error throttled;
  throttled.kind = core::ErrorKind::kRateLimited;
  throttled.code = "rate_limited";
  provider_.fail_room("RMA1", throttled);
  provider_.fail_room("RMA2", throttled);
  const auto report = run();
  EXPECT_EQ(report.failed, 1u);     // A's first room; A's second waits for the next cycle
  EXPECT_EQ(report.succeeded, 1u);  // B's
  EXPECT_EQ(provider_.calls_of(account_of(kTenantA)), 1);
  EXPECT_NE(reconciled_at("rm_b"), "NULL");
}

TEST_F(ReconcilerTest, RoomUnknownToTheProviderIsMarkedAndDoesNotBlockOthers) {
  live_room(kTenantA, "rm_lost", "RM_LOST");
  live_room(kTenantA, "rm_ok", "RM_OK", {{"PA1", "doctor"}});
  provider_.fail_room("RM_LOST", core::Error::not_found("room_not_found", "no such room"));
  const auto report = run();
  EXPECT_EQ(report.failed, 1u);
  EXPECT_EQ(report.succeeded, 1u);
  EXPECT_EQ(view(kTenantA, "rm_lost").room.status, rooms::RoomLifecycle::kInProgress);
  EXPECT_NE(reconciled_at("rm_lost"), "NULL");  // to the back of the queue
  EXPECT_NE(reconciled_at("rm_ok"), "NULL");
}

TEST_F(ReconcilerTest, TenantWithoutCredentialsIsSkippedAndMarked) {
  exec(
      "INSERT INTO tenants (tenant_id, name, settings, created_at, updated_at) "
      "VALUES ('tn_none', 'clinic', '{}', 0, 0)");
  live_room(unconfigured_, "rm_n", "RMN");
  const auto report = run();
  EXPECT_EQ(report.failed, 1u);
  EXPECT_TRUE(provider_.calls().empty());
  EXPECT_NE(reconciled_at("rm_n"), "NULL");
}

TEST_F(ReconcilerTest, NeverReconciledRoomGoesBeforeOneReconciledRecently) {
  options_.tenant_request_budget = 2;  // one in-progress room per cycle
  live_room(kTenantA, "rm_old", "RM_OLD");
  live_room(kTenantA, "rm_new", "RM_NEW");
  // rm_old was compared a while ago (long enough to be due again), rm_new never.
  ASSERT_TRUE(store_->mark_reconciled(kTenantA, core::RoomId("rm_old"), clock_.now() - 10min).ok());
  run();
  const auto calls = provider_.calls();
  ASSERT_FALSE(calls.empty());
  EXPECT_EQ(calls.front().room_sid, "RM_NEW");
  for (const auto& call : calls)
    EXPECT_EQ(call.room_sid, "RM_NEW");
  // Then the older one, on the next cycle.
  provider_.clear_calls();
  clock_.advance(1s);
  run();
  ASSERT_FALSE(provider_.calls().empty());
  EXPECT_EQ(provider_.calls().front().room_sid, "RM_OLD");
}

TEST_F(ReconcilerTest, EndedRoomCallsTheHookAndCreatingRoomsAreNotCandidates) {
  std::vector<std::string> ended;
  options_.on_room_ended = [&](const rooms::Room& room) { ended.push_back(room.id.value()); };
  live_room(kTenantA, "rm_x", "RMX");
  ASSERT_TRUE(store_->insert(storage::testing::new_room(kTenantA, "rm_creating", at_ms(0))).ok());
  provider_.set_room("RMX", video::RoomStatus::kCompleted, at_ms(300));
  const auto report = run();
  EXPECT_EQ(report.claimed, 1u);
  EXPECT_EQ(ended, std::vector<std::string>{"rm_x"});
}

TEST_F(ReconcilerTest, StartAndStopRunACycleOnTheLoopsThread) {
  live_room(kTenantA, "rm_loop", "RML");
  provider_.set_room("RML", video::RoomStatus::kCompleted, at_ms(300));
  options_.interval = 10ms;
  reconciler().start();
  for (int i = 0;
       i < 500 && view(kTenantA, "rm_loop").room.status != rooms::RoomLifecycle::kCompleted; ++i)
    std::this_thread::sleep_for(10ms);
  reconciler().stop();
  reconciler().stop();  // idempotent
  EXPECT_EQ(view(kTenantA, "rm_loop").room.status, rooms::RoomLifecycle::kCompleted);
  EXPECT_GE(metric("roomplane_worker_claimed_total{worker=\"reconciler\"}"), 1);
}

}  // namespace
}  // namespace roomplane::reconciler
