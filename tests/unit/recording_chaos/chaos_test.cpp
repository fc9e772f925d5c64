// The recording pipeline under chaos, end to end on loopback: 50 recorded consultations on the
// in-process Twilio emulator, whose REST API answers 30% of requests with 429/500/503 and whose
// status callbacks are 20% dropped, 10% duplicated and 10% reordered; one composition never
// finishes. The real pieces run together: room routes and webhook ingestion on an http::Server,
// the SQLite stores, the Twilio REST client, both composition workers, the reconciler and the
// alert dispatcher posting to a real local receiver.
//
// Expected: every other room has exactly one completed composition; the stuck one is alerted
// as stalled within its deadline; after the reconciler has run, every room's status and
// connected participants match the emulator's.

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "alerts/dispatcher.h"
#include "alerts/signature.h"
#include "app/emulator_accounts.h"
#include "app/emulator_stack.h"
#include "compositions/room_composition_jobs.h"
#include "compositions/starter.h"
#include "compositions/tracker.h"
#include "core/work_pool.h"
#include "crypto/secret_box.h"
#include "http/curl_client.h"
#include "http/handler.h"
#include "http/server.h"
#include "observability/log.h"
#include "observability/metrics.h"
#include "realtime/notifier.h"
#include "reconciler/reconciler.h"
#include "rooms/room_routes.h"
#include "rooms/room_service.h"
#include "rooms/tenant_context.h"
#include "storage/sqlite_alert_store.h"
#include "storage/sqlite_composition_store.h"
#include "storage/sqlite_database.h"
#include "storage/sqlite_room_store.h"
#include "storage/sqlite_tenant_stores.h"
#include "support/free_port.h"
#include "support/temp_dir.h"
#include "tenants/tenant_admin.h"
#include "tenants/tenant_directory.h"
#include "twilio/rest_client.h"
#include "webhooks/ingestor.h"
#include "webhooks/webhook_routes.h"

namespace roomplane {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr int kConsultations = 50;
constexpr auto kDeadlineFloor = 6s;  // every consultation here is short: the floor decides

// Counts what the pipeline published, so the test can see the events a callback would send.
class CountingNotifier final : public realtime::Notifier {
 public:
  void publish(realtime::RoomNotification n) override {
    std::lock_guard lock(mutex_);
    ++by_target_[realtime::target_name(n.kind)];
  }
  int count(const std::string& target) {
    std::lock_guard lock(mutex_);
    return by_target_[target];
  }

 private:
  std::mutex mutex_;
  std::map<std::string, int> by_target_;
};

struct ReceivedAlert {
  json body;
  std::string raw_body;
  std::string timestamp;
  std::string signature;
  core::TimePoint received_at;
};

class RecordingPipelineChaos : public ::testing::Test {
 protected:
  RecordingPipelineChaos()
      : db_(storage::SqliteDatabase::open({dir_.file("rp.db")}).value()),
        tenant_store_(*db_),
        key_store_(*db_),
        credential_store_(*db_),
        box_(crypto::SecretBox::from_key(std::string(32, 'm')).value()),
        admin_(tenant_store_, key_store_, credential_store_, box_, clock_),
        directory_(tenant_store_, key_store_, credential_store_, box_, clock_, 1s, metrics_),
        room_store_(*db_),
        ledger_(*db_),
        composition_store_(*db_),
        alert_store_(*db_),
        ingestor_(ledger_, metrics_, observability::Logger()) {}

  void SetUp() override {
    ASSERT_TRUE(db_->migrate().ok());
    start_alert_receiver();

    app::EmulatorStackOptions emulator_options;
    emulator_options.listen = {"127.0.0.1", 0};
    emulator_options.seed = 2026;
    emulator_ = std::make_unique<app::EmulatorStack>(emulator_options, clock_, http_,
                                                     emulator_metrics_, logging_);
    ASSERT_TRUE(emulator_->start().ok());

    tenants::TenantSettings settings;
    settings.alert_url = alert_url_;
    auto tenant = admin_.create_tenant("Clinic", settings);
    ASSERT_TRUE(tenant.ok());
    tenant_ = tenant->tenant.id;
    api_key_ = tenant->api_key;
    accounts_ = std::make_unique<app::EmulatorAccounts>(emulator_->emulator(), tenant_store_,
                                                        admin_, directory_);
    const auto creds = accounts_->ensure(tenant_).value();
    credentials_ = {creds.account_sid, creds.api_key_sid, creds.api_key_secret};

    twilio::RestClientOptions provider_options;
    provider_options.base_url = emulator_->base_url();
    provider_options.retry.base_delay = 20ms;
    provider_options.retry.max_delay = 200ms;
    provider_ = std::make_unique<twilio::TwilioRestClient>(
        http_, clock_, twilio::real_sleep(), metrics_, observability::Logger(), provider_options);

    const auto port = roomplane::testing::free_port();
    public_url_ = "http://127.0.0.1:" + std::to_string(port);
    key_index_ =
        std::make_unique<rooms::ProviderKeyDirectory>(tenant_store_, directory_, clock_, 30s);
    tenant_context_ = rooms::directory_tenant_context(directory_);
    rooms::RoomServiceOptions room_options;
    room_options.public_url = public_url_;
    service_ = std::make_unique<rooms::RoomService>(
        room_store_, room_composition_jobs_, *provider_, tenant_context_, key_index_->index(),
        token_builder_, identity_policy_, notifier_, clock_, room_options);
    ingestor_.set_on_committed([this](std::span<const webhooks::Committed> batch) {
      for (const auto& [item, outcome] : batch) {
        for (const auto& change : outcome.applied.changes) {
          if (const auto* c = std::get_if<rooms::CompositionChanged>(&change)) {
            pool_.post([this, tenant = item.tenant, sid = c->composition_sid,
                        progress = c->progress_percent] {
              (void)composition_store_.make_due(tenant, sid, progress, clock_.now());
            });
          }
        }
      }
    });
    ingestor_.start();
    rooms::add_room_routes(router_, *service_, directory_, pool_);
    webhooks::add_webhook_routes(router_, directory_, pool_, ingestor_, public_url_, metrics_,
                                 observability::Logger(), clock_);
    http::ServerOptions server_options;
    server_options.host = "127.0.0.1";
    server_options.port = port;
    server_ =
        std::make_unique<http::Server>(server_options, router_, metrics_, observability::Logger());
    ASSERT_TRUE(server_->start().ok());
  }

  void TearDown() override {
    stop_workers();
    emulator_->stop();
    server_->shutdown();
    alert_server_->shutdown();
    pool_.stop();
    ingestor_.stop();
  }

  // --- the alert receiver: a real HTTP server that keeps what it was sent ---------------------

  void start_alert_receiver() {
    alert_router_.add("POST", "/alerts", http::inline_handler([this](const http::Request& request) {
                        std::lock_guard lock(alerts_mutex_);
                        ReceivedAlert alert;
                        alert.raw_body = request.body;
                        alert.body = json::parse(request.body, nullptr, false);
                        const auto ts = request.headers.find("X-Roomplane-Timestamp");
                        const auto sig = request.headers.find("X-Roomplane-Signature");
                        alert.timestamp = ts == request.headers.end() ? "" : ts->second;
                        alert.signature = sig == request.headers.end() ? "" : sig->second;
                        alert.received_at = clock_.now();
                        alerts_.push_back(std::move(alert));
                        return http::Response::no_content();
                      }));
    http::ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.threads = 1;
    alert_server_ = std::make_unique<http::Server>(options, alert_router_, alert_metrics_,
                                                   observability::Logger());
    ASSERT_TRUE(alert_server_->start().ok());
    alert_url_ = "http://127.0.0.1:" + std::to_string(alert_server_->port()) + "/alerts";
  }

  // --- the workers, tuned for seconds instead of minutes -------------------------------------

  void start_workers() {
    compositions::Policy policy;
    policy.max_attempts = 6;
    policy.retry_initial = 200ms;
    policy.retry_max = 2s;
    policy.poll_min = 200ms;
    policy.poll_max = 1s;
    policy.deadline_factor = 2.0;
    policy.deadline_floor = kDeadlineFloor;
    compositions::StarterOptions starter;
    starter.public_url = public_url_;
    starter.owner = "starter-chaos";
    starter.interval = 100ms;
    starter.lease = 30s;
    starter.policy = policy;
    starter_ = std::make_unique<compositions::CompositionStarter>(
        composition_store_, *provider_, tenant_context_, notifier_, clock_, starter, metrics_,
        observability::Logger());
    compositions::TrackerOptions tracker;
    tracker.owner = "tracker-chaos";
    tracker.interval = 100ms;
    tracker.lease = 30s;
    tracker.policy = policy;
    tracker_ = std::make_unique<compositions::CompositionTracker>(
        composition_store_, *provider_, tenant_context_, notifier_, clock_, tracker, metrics_,
        observability::Logger());
    reconciler::ReconcilerOptions reconcile;
    reconcile.interval = 300ms;
    reconcile.min_age = 0ms;
    reconcile.tenant_request_budget = 200;
    reconciler_ = std::make_unique<reconciler::Reconciler>(room_store_, *provider_, tenant_context_,
                                                           notifier_, clock_, reconcile, metrics_,
                                                           observability::Logger());
    alerts::AlertDispatcherOptions dispatch;
    dispatch.interval = 100ms;
    dispatch.backoff_initial = 100ms;
    dispatcher_ = std::make_unique<alerts::AlertDispatcher>(
        alert_store_, http_,
        [this](const core::TenantId& tenant) -> core::Result<tenants::TenantSettings> {
          auto context = tenant_context_(tenant);
          if (!context)
            return std::move(context).take_error();
          return context->settings;
        },
        [](const core::TenantId& tenant) { return alerts::signing_secret(kMasterKey, tenant); },
        clock_, dispatch, metrics_, observability::Logger());
    starter_->start();
    tracker_->start();
    reconciler_->start();
    dispatcher_->start();
  }

  void stop_workers() {
    if (starter_)
      starter_->stop();
    if (tracker_)
      tracker_->stop();
    if (reconciler_)
      reconciler_->stop();
    if (dispatcher_)
      dispatcher_->stop();
  }

  // --- helpers --------------------------------------------------------------------------------

  struct Reply {
    unsigned status = 0;
    json body;
  };
  Reply call(const std::string& method, const std::string& target, const json& body = nullptr) {
    http::ClientRequest request;
    request.method = method;
    request.url = public_url_ + target;
    request.headers["Authorization"] = "Bearer " + api_key_;
    if (!body.is_null()) {
      request.headers["Content-Type"] = "application/json";
      request.body = body.dump();
    }
    auto response = http_.send(request);
    if (!response)
      return {};
    return {response->status, json::parse(response->body, nullptr, false)};
  }
  Reply control(const std::string& method, const std::string& path,
                const json& body = json::object()) {
    http::ClientRequest request;
    request.method = method;
    request.url = emulator_->base_url() + path;
    request.headers["Content-Type"] = "application/json";
    request.body = body.dump();
    auto response = http_.send(request);
    if (!response)
      return {};
    return {response->status, json::parse(response->body, nullptr, false)};
  }

  // A recorded consultation, left running: two participants with audio and video.
  std::pair<std::string, std::string> consultation(int i) {
    auto created = call("POST", "/v1/rooms",
                        {{"name", "Consultation " + std::to_string(i)}, {"record", true}});
    EXPECT_EQ(created.status, 201u) << created.body.dump();
    const std::string id = created.body.value("id", "");
    const std::string sid = created.body.value("provider_room_sid", "");
    for (const auto* identity : {"doctor", "patient"}) {
      auto token = call("POST", "/v1/rooms/" + id + "/tokens", {{"identity", identity}});
      EXPECT_EQ(token.status, 201u) << token.body.dump();
      auto joined = control("POST", "/_emulator/rooms/" + sid + "/participants",
                            {{"identity", identity}, {"token", token.body.value("token", "")}});
      EXPECT_EQ(joined.status, 201u) << joined.body.dump();
      for (const auto* kind : {"audio", "video"}) {
        auto track = control(
            "POST",
            "/_emulator/rooms/" + sid + "/participants/" + std::string(identity) + "/tracks",
            {{"kind", kind}});
        EXPECT_EQ(track.status, 201u) << track.body.dump();
      }
    }
    return {id, sid};
  }

  template <class Pred>
  bool eventually(std::chrono::milliseconds limit, Pred&& pred) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      if (pred())
        return true;
      std::this_thread::sleep_for(100ms);
    }
    return pred();
  }

  std::vector<compositions::Composition> compositions_of(const std::string& room_id) {
    std::vector<compositions::Composition> out;
    compositions::ListQuery query;
    query.limit = 200;
    while (true) {
      auto page = composition_store_.list(tenant_, query);
      EXPECT_TRUE(page.ok());
      if (!page)
        return out;
      for (auto& c : page->compositions) {
        if (c.room_id.value() == room_id)
          out.push_back(c);
      }
      if (!page->next_cursor)
        return out;
      query.cursor = page->next_cursor;
    }
  }

  static constexpr std::string_view kMasterKey = "chaos-test-master-key-32-bytes!!";

  core::SystemClock clock_;
  CountingNotifier notifier_;
  roomplane::testing::TempDir dir_;
  observability::Logging logging_{observability::LogLevel::kOff};
  observability::MetricsRegistry metrics_;
  observability::MetricsRegistry emulator_metrics_;
  observability::MetricsRegistry alert_metrics_;
  std::unique_ptr<storage::SqliteDatabase> db_;
  storage::SqliteTenantStore tenant_store_;
  storage::SqliteApiKeyStore key_store_;
  storage::SqliteCredentialStore credential_store_;
  crypto::SecretBox box_;
  tenants::TenantAdmin admin_;
  tenants::TenantDirectory directory_;
  storage::SqliteRoomStore room_store_;
  storage::SqliteEventLedger ledger_;
  storage::SqliteCompositionStore composition_store_;
  compositions::RoomCompositionJobs room_composition_jobs_{composition_store_};
  storage::SqliteAlertStore alert_store_;
  webhooks::GroupCommitIngestor ingestor_;
  core::WorkPool pool_{4};
  http::CurlRuntime curl_;
  http::CurlHttpClient http_{curl_};
  std::unique_ptr<app::EmulatorStack> emulator_;
  std::unique_ptr<app::EmulatorAccounts> accounts_;
  std::unique_ptr<twilio::TwilioRestClient> provider_;
  tokens::AccessTokenBuilder token_builder_{clock_};
  tokens::IdentityPolicy identity_policy_;
  std::unique_ptr<rooms::ProviderKeyDirectory> key_index_;
  rooms::TenantContextLookup tenant_context_;
  std::unique_ptr<rooms::RoomService> service_;
  http::Router router_;
  std::unique_ptr<http::Server> server_;
  http::Router alert_router_;
  std::unique_ptr<http::Server> alert_server_;
  std::string public_url_;
  std::string alert_url_;
  core::TenantId tenant_;
  std::string api_key_;
  video::ProviderCredentials credentials_;
  std::unique_ptr<compositions::CompositionStarter> starter_;
  std::unique_ptr<compositions::CompositionTracker> tracker_;
  std::unique_ptr<reconciler::Reconciler> reconciler_;
  std::unique_ptr<alerts::AlertDispatcher> dispatcher_;
  std::mutex alerts_mutex_;
  std::vector<ReceivedAlert> alerts_;
};

TEST_F(RecordingPipelineChaos, EveryRoomGetsOneCompositionAndTheStuckOneIsAlertedOnTime) {
  // Callback chaos from the start, so participant and room events go missing too.
  auto faults = control(
      "PUT", "/_emulator/faults",
      {{"seed", 7},
       {"callbacks", {{"drop_rate", 0.2}, {"duplicate_rate", 0.1}, {"reorder_rate", 0.1}}}});
  ASSERT_EQ(faults.status, 200u) << faults.body.dump();

  std::vector<std::pair<std::string, std::string>> rooms;  // (id, sid)
  for (int i = 0; i < kConsultations; ++i)
    rooms.push_back(consultation(i));
  for (const auto& [id, sid] : rooms)
    ASSERT_FALSE(id.empty() || sid.empty());

  // The stuck consultation: its composition is created while the emulator's compositions never
  // finish, then the emulator is set back to normal for everyone else.
  ASSERT_EQ(control("POST", "/_emulator/compositions/behaviour", {{"mode", "never"}}).status, 200u);
  ASSERT_EQ(call("POST", "/v1/rooms/" + rooms[0].first + "/end").status, 200u);
  start_workers();
  ASSERT_TRUE(eventually(20s, [&] {
    const auto c = compositions_of(rooms[0].first);
    return c.size() == 1 && c[0].provider_composition_sid.has_value();
  })) << "the stuck room's composition was never created";
  ASSERT_EQ(control("POST", "/_emulator/compositions/behaviour", {{"mode", "normal"}}).status,
            200u);

  // REST chaos from now on: 30% of Twilio answers are 429, 500 or 503.
  faults = control("PUT", "/_emulator/faults",
                   {{"rest", {{"rate_429", 0.1}, {"rate_500", 0.1}, {"rate_503", 0.1}}}});
  ASSERT_EQ(faults.status, 200u) << faults.body.dump();

  // Half the rooms end through Roomplane; the other half end at Twilio behind Roomplane's back
  // (someone completed them there), so only callbacks (20% dropped) or the reconciler tell.
  // Before that, one participant of every third room leaves.
  for (int i = 1; i < kConsultations; ++i) {
    const auto& [id, sid] = rooms[static_cast<std::size_t>(i)];
    if (i % 3 == 0) {
      control("POST", "/_emulator/rooms/" + sid + "/participants/patient/disconnect");
    }
    if (i % 2 == 0) {
      ASSERT_TRUE(
          eventually(10s, [&] { return call("POST", "/v1/rooms/" + id + "/end").status == 200u; }));
    } else {
      ASSERT_TRUE(
          eventually(10s, [&] { return provider_->complete_room(credentials_, sid).ok(); }));
    }
  }

  // Every room but the stuck one ends with exactly one completed composition.
  const bool all_done = eventually(120s, [&] {
    for (int i = 1; i < kConsultations; ++i) {
      const auto c = compositions_of(rooms[static_cast<std::size_t>(i)].first);
      if (c.size() != 1 || c[0].status != compositions::Status::kCompleted)
        return false;
    }
    return true;
  });
  for (int i = 1; i < kConsultations; ++i) {
    const auto c = compositions_of(rooms[static_cast<std::size_t>(i)].first);
    ASSERT_EQ(c.size(), 1u) << "room " << i;
    EXPECT_EQ(c[0].status, compositions::Status::kCompleted)
        << "room " << i << ": " << compositions::to_string(c[0].status) << " " << c[0].error;
  }
  ASSERT_TRUE(all_done);

  // At the emulator too: exactly one composition per room that is not failed (no duplicates).
  for (int i = 0; i < kConsultations; ++i) {
    auto listed = provider_->list_compositions_for_room(credentials_,
                                                        rooms[static_cast<std::size_t>(i)].second);
    for (int tries = 0; !listed && tries < 20; ++tries)
      listed = provider_->list_compositions_for_room(credentials_,
                                                     rooms[static_cast<std::size_t>(i)].second);
    ASSERT_TRUE(listed.ok());
    int live = 0;
    for (const auto& c : *listed)
      live += c.status != video::CompositionStatus::kFailed ? 1 : 0;
    EXPECT_EQ(live, 1) << "room " << i;
  }

  // The stuck one: stalled within its deadline, alerted with a valid signature.
  ASSERT_TRUE(eventually(30s, [&] {
    const auto c = compositions_of(rooms[0].first);
    return c.size() == 1 && c[0].status == compositions::Status::kStalled;
  }));
  const auto stuck = compositions_of(rooms[0].first).at(0);
  ASSERT_TRUE(stuck.deadline_at && stuck.stalled_at && stuck.started_at);
  EXPECT_LE(*stuck.deadline_at, *stuck.started_at + kDeadlineFloor + 1s);
  EXPECT_GE(*stuck.stalled_at, *stuck.deadline_at);
  // The tracker's next poll never passes the deadline; a cycle and a 30%-faulty poll are slack.
  EXPECT_LE(*stuck.stalled_at, *stuck.deadline_at + 2s);
  ASSERT_TRUE(eventually(20s, [&] {
    std::lock_guard lock(alerts_mutex_);
    return !alerts_.empty();
  }));
  {
    std::lock_guard lock(alerts_mutex_);
    ASSERT_EQ(alerts_.size(), 1u) << "only the stuck composition is alerted";
    const auto& alert = alerts_[0];
    EXPECT_EQ(alert.body["type"], "composition.stalled");
    EXPECT_EQ(alert.body["composition"]["id"], stuck.id.value());
    EXPECT_TRUE(alerts::verify(alerts::signing_secret(kMasterKey, tenant_), alert.timestamp,
                               alert.raw_body, alert.signature, clock_.now(), 5min));
    EXPECT_LE(alert.received_at, *stuck.deadline_at + 5s);
  }

  // Drift repaired: after the reconciler's cycles, local state matches the emulator's.
  const auto matches = [&](bool report) {
    bool all = true;
    for (int i = 0; i < kConsultations; ++i) {
      const auto& [id, sid] = rooms[static_cast<std::size_t>(i)];
      auto provider_room = provider_->fetch_room(credentials_, sid);
      auto provider_people = provider_->list_participants(credentials_, sid);
      if (!provider_room || !provider_people)
        return false;  // a faulty answer: look again
      auto local = room_store_.find(tenant_, core::RoomId(id));
      if (!local || !*local)
        return false;
      const bool ended_here = (*local)->room.status == rooms::RoomLifecycle::kCompleted;
      const bool ended_there = provider_room->status == video::RoomStatus::kCompleted;
      std::set<std::string> here, there;
      for (const auto& [psid, p] : (*local)->state.participants) {
        if (p.status == rooms::ParticipantStatus::kConnected)
          here.insert(psid);
      }
      for (const auto& p : *provider_people) {
        if (p.status == video::ParticipantStatus::kConnected)
          there.insert(p.sid);
      }
      if (ended_here != ended_there || here != there) {
        if (report)
          ADD_FAILURE() << "room " << i << " drifted: local ended=" << ended_here
                        << " provider ended=" << ended_there << " local connected=" << here.size()
                        << " provider connected=" << there.size();
        all = false;
      }
    }
    return all;
  };
  EXPECT_TRUE(eventually(30s, [&] { return matches(false); }));
  matches(true);
  // The reconciler did repair something: a fifth of the room-ended callbacks of the rooms ended
  // behind Roomplane's back were dropped.
  EXPECT_GT(
      metrics_.counter("roomplane_reconciler_repairs_total", "", {{"kind", "room_ended"}}).value(),
      0);
  EXPECT_GT(notifier_.count("CompositionUpdated"), kConsultations);

  // The chaos did happen: faults of every kind were injected.
  const auto counts = control("GET", "/_emulator/faults").body["counts"];
  const int rest_errors = counts["rest"].value("errors_429", 0) +
                          counts["rest"].value("errors_500", 0) +
                          counts["rest"].value("errors_503", 0);
  EXPECT_GT(rest_errors, 0);
  EXPECT_GT(counts["callbacks"].value("dropped_by_fault", 0), 0);
  EXPECT_GT(counts["callbacks"].value("duplicated_by_fault", 0), 0);
  EXPECT_GT(counts["callbacks"].value("reordered_by_fault", 0), 0);
  const auto metric = [&](const std::string& name, const observability::Labels& labels = {}) {
    return metrics_.counter(name, "", labels).value();
  };
  std::printf(
      "chaos: %d REST errors injected, %d callbacks dropped, %d duplicated, %d reordered; "
      "compositions created %.0f, adopted %.0f, failed attempts %.0f; reconciler repairs: "
      "%.0f rooms ended, %.0f participants left\n",
      rest_errors, counts["callbacks"].value("dropped_by_fault", 0),
      counts["callbacks"].value("duplicated_by_fault", 0),
      counts["callbacks"].value("reordered_by_fault", 0),
      metric("roomplane_compositions_created_total"),
      metric("roomplane_compositions_adopted_total"),
      metric("roomplane_compositions_attempt_failures_total"),
      metric("roomplane_reconciler_repairs_total", {{"kind", "room_ended"}}),
      metric("roomplane_reconciler_repairs_total", {{"kind", "participant_left"}}));
}

}  // namespace
}  // namespace roomplane
