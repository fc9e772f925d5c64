// AlertDispatcher against a real local HTTP receiver (http::Server on 127.0.0.1, port 0) over
// the production curl client, with the real SQLite outbox and a manual clock.

#include "alerts/dispatcher.h"

#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <gtest/gtest.h>

#include "alerts/signature.h"
#include "crypto/crypto.h"
#include "http/curl_client.h"
#include "http/server.h"
#include "unit/alerts/alert_fixture.h"

namespace roomplane::alerts::testing {
namespace {

using namespace std::chrono_literals;

const std::string kMasterKey(32, 'k');

struct Received {
  http::Headers headers;
  std::string body;
};

// The tenant's side: records every POST and answers with scripted statuses (200 once the
// script runs out).
class Receiver {
 public:
  explicit Receiver(http::Router& router) {
    router.add("POST", "/hooks/alerts", http::inline_handler([this](const http::Request& r) {
                 std::lock_guard lock(mutex_);
                 received_.push_back({r.headers, r.body});
                 unsigned status = 200;
                 if (!script_.empty()) {
                   status = script_.front();
                   script_.pop_front();
                 }
                 return http::Response::json(status, {{"ok", status < 300}});
               }));
  }
  void script(std::initializer_list<unsigned> statuses) {
    std::lock_guard lock(mutex_);
    script_.insert(script_.end(), statuses);
  }
  void always(unsigned status) {
    std::lock_guard lock(mutex_);
    script_.assign(100, status);
  }
  std::vector<Received> received() {
    std::lock_guard lock(mutex_);
    return received_;
  }

 private:
  std::mutex mutex_;
  std::vector<Received> received_;
  std::deque<unsigned> script_;
};

std::string header(const Received& r, const std::string& name) {
  const auto it = r.headers.find(name);
  return it == r.headers.end() ? std::string("<missing>") : it->second;
}

class DispatcherTest : public AlertStoreTest {
 protected:
  DispatcherTest() : receiver_(router_) {
    http::ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.threads = 1;
    server_ = std::make_unique<http::Server>(options, router_, metrics_, observability::Logger{});
    const auto started = server_->start();
    EXPECT_TRUE(started.ok()) << started.error().message;
    url_ = "http://127.0.0.1:" + std::to_string(server_->port()) + "/hooks/alerts";
    settings_[kTenantA].alert_url = url_;
    settings_[kTenantB];  // exists, no alert URL
  }
  ~DispatcherTest() override { server_->shutdown(); }

  std::unique_ptr<AlertDispatcher> make_dispatcher(AlertDispatcherOptions options = {}) {
    options.owner = "dispatcher-1";
    return std::make_unique<AlertDispatcher>(
        store_, client_,
        [this](const core::TenantId& tenant) -> core::Result<tenants::TenantSettings> {
          std::lock_guard lock(settings_mutex_);
          const auto it = settings_.find(tenant);
          if (it == settings_.end())
            return core::Error::not_found("tenant_not_found", "no tenant " + tenant.value());
          return it->second;
        },
        [](const core::TenantId& tenant) { return signing_secret(kMasterKey, tenant); }, clock_,
        options, metrics_, observability::Logger{});
  }

  AlertRecord row(const core::TenantId& tenant, const std::string& id) {
    auto all = store_.list(tenant);
    if (!all.ok()) {
      ADD_FAILURE() << all.error().message;
      return {};
    }
    for (auto& r : *all) {
      if (r.alert.id == id)
        return r;
    }
    ADD_FAILURE() << "no alert " << id;
    return {};
  }

  double outcomes(const std::string& outcome) {
    return metrics_.counter("roomplane_alerts_total", "", {{"outcome", outcome}}).value();
  }

  // Checks one received request as a tenant would, and once more from first principles.
  void expect_signed(const Received& r, const Alert& alert) {
    const auto secret = signing_secret(kMasterKey, alert.tenant);
    const auto timestamp = header(r, "x-roomplane-timestamp");
    const auto signature = header(r, "X-Roomplane-Signature");
    EXPECT_EQ(header(r, "Content-Type"), "application/json");
    EXPECT_EQ(header(r, "X-Roomplane-Alert-Id"), alert.id);
    EXPECT_EQ(timestamp, std::to_string(core::to_unix_seconds(clock_.now())));
    EXPECT_EQ(r.body, alert.body);
    const auto verified = verify(secret, timestamp, r.body, signature, clock_.now());
    EXPECT_TRUE(verified.ok()) << verified.error().code;
    // Independently: HMAC-SHA256 keyed with the hex secret's ASCII bytes, over "ts.body".
    const auto derived = crypto::hex_encode(
        crypto::hmac_sha256(kMasterKey, "roomplane/alerts/v1/" + alert.tenant.value()));
    EXPECT_EQ(derived, secret);
    EXPECT_EQ(signature,
              "v1=" + crypto::hex_encode(crypto::hmac_sha256(derived, timestamp + "." + r.body)));
    EXPECT_FALSE(
        verify(signing_secret(kMasterKey, kTenantB), timestamp, r.body, signature, clock_.now())
            .ok());
    EXPECT_EQ(signature.find(secret), std::string::npos);
  }

  http::Router router_;
  observability::MetricsRegistry metrics_;
  Receiver receiver_;
  std::unique_ptr<http::Server> server_;
  http::CurlRuntime curl_;
  http::CurlHttpClient client_{curl_};
  std::mutex settings_mutex_;
  std::unordered_map<core::TenantId, tenants::TenantSettings> settings_;
  std::string url_;
};

TEST(AlertBackoff, DoublesFromFiveSecondsUpToTenMinutes) {
  const AlertDispatcherOptions options;
  EXPECT_EQ(options.max_attempts, 8);
  EXPECT_EQ(backoff_delay(options, 1), 5s);
  EXPECT_EQ(backoff_delay(options, 2), 10s);
  EXPECT_EQ(backoff_delay(options, 3), 20s);
  EXPECT_EQ(backoff_delay(options, 7), 320s);
  EXPECT_EQ(backoff_delay(options, 8), 600s);
  EXPECT_EQ(backoff_delay(options, 60), 600s);
}

TEST_F(DispatcherTest, DeliversASignedAlert) {
  const auto alert = make_alert(kTenantA, "al_1", clock_.now());
  ASSERT_TRUE(store_.enqueue(alert).ok());
  clock_.advance(1500ms);
  auto dispatcher = make_dispatcher();

  auto report = dispatcher->run_once();
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->claimed, 1u);
  EXPECT_EQ(report->succeeded, 1u);
  EXPECT_EQ(report->failed, 0u);
  EXPECT_FALSE(report->more);
  EXPECT_EQ(report->lag, 0ms);

  const auto received = receiver_.received();
  ASSERT_EQ(received.size(), 1u);
  expect_signed(received[0], alert);

  const auto stored = row(kTenantA, "al_1");
  EXPECT_EQ(stored.status, AlertStatus::kDelivered);
  EXPECT_EQ(stored.attempts, 1);
  EXPECT_EQ(stored.delivered_at, clock_.now());
  EXPECT_EQ(outcomes("delivered"), 1);
  EXPECT_EQ(outcomes("retried"), 0);

  // Nothing more to do.
  EXPECT_EQ(dispatcher->run_once()->claimed, 0u);
  EXPECT_EQ(receiver_.received().size(), 1u);
}

TEST_F(DispatcherTest, RetriesAfterBackoffWithTheSameBodyBytes) {
  const auto alert = make_alert(kTenantA, "al_1", clock_.now());
  ASSERT_TRUE(store_.enqueue(alert).ok());
  receiver_.script({500});
  auto dispatcher = make_dispatcher();

  auto report = dispatcher->run_once();
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->failed, 1u);
  auto stored = row(kTenantA, "al_1");
  EXPECT_EQ(stored.status, AlertStatus::kPending);
  EXPECT_EQ(stored.attempts, 1);
  EXPECT_EQ(stored.next_attempt_at, clock_.now() + 5s);
  EXPECT_EQ(stored.last_error, "http_status 500");
  EXPECT_EQ(outcomes("retried"), 1);

  // Not before the backoff.
  clock_.advance(4999ms);
  EXPECT_EQ(dispatcher->run_once()->claimed, 0u);
  EXPECT_EQ(receiver_.received().size(), 1u);

  clock_.advance(1ms);
  report = dispatcher->run_once();
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->succeeded, 1u);
  const auto received = receiver_.received();
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(received[0].body, received[1].body);
  EXPECT_EQ(received[1].body, alert.body);
  EXPECT_EQ(header(received[0], "X-Roomplane-Alert-Id"),
            header(received[1], "X-Roomplane-Alert-Id"));
  EXPECT_NE(header(received[0], "X-Roomplane-Timestamp"),
            header(received[1], "X-Roomplane-Timestamp"));  // re-signed at send time
  expect_signed(received[1], alert);
  stored = row(kTenantA, "al_1");
  EXPECT_EQ(stored.status, AlertStatus::kDelivered);
  EXPECT_EQ(stored.attempts, 2);
  EXPECT_EQ(outcomes("delivered"), 1);
}

TEST_F(DispatcherTest, AbandonsAfterMaxAttempts) {
  const auto alert = make_alert(kTenantA, "al_1", clock_.now());
  ASSERT_TRUE(store_.enqueue(alert).ok());
  receiver_.always(503);
  auto dispatcher = make_dispatcher();

  for (int attempt = 1; attempt <= 8; ++attempt) {
    auto report = dispatcher->run_once();
    ASSERT_TRUE(report.ok());
    ASSERT_EQ(report->claimed, 1u) << "attempt " << attempt;
    EXPECT_EQ(report->failed, 1u);
    const auto stored = row(kTenantA, "al_1");
    EXPECT_EQ(stored.attempts, attempt);
    if (attempt < 8) {
      EXPECT_EQ(stored.status, AlertStatus::kPending);
      EXPECT_EQ(stored.next_attempt_at - clock_.now(), 5s * (1 << (attempt - 1)));
      clock_.set(stored.next_attempt_at);
    } else {
      EXPECT_EQ(stored.status, AlertStatus::kAbandoned);
      EXPECT_EQ(stored.last_error, "http_status 503");
    }
  }
  EXPECT_EQ(outcomes("retried"), 7);
  EXPECT_EQ(outcomes("abandoned"), 1);
  EXPECT_EQ(outcomes("delivered"), 0);

  clock_.advance(24h);
  EXPECT_EQ(dispatcher->run_once()->claimed, 0u);
  const auto received = receiver_.received();
  ASSERT_EQ(received.size(), 8u);
  for (const auto& r : received)
    EXPECT_EQ(r.body, alert.body);
}

TEST_F(DispatcherTest, SkipsWithoutAnAlertUrl) {
  ASSERT_TRUE(store_.enqueue(make_alert(kTenantB, "al_b", clock_.now())).ok());
  ASSERT_TRUE(store_.enqueue(make_alert(core::TenantId("tn_gone"), "al_gone", clock_.now())).ok());
  auto dispatcher = make_dispatcher();

  auto report = dispatcher->run_once();
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->claimed, 2u);
  EXPECT_EQ(report->succeeded, 2u);
  EXPECT_TRUE(receiver_.received().empty());
  const auto stored = row(kTenantB, "al_b");
  EXPECT_EQ(stored.status, AlertStatus::kSkipped);
  EXPECT_EQ(stored.attempts, 0);
  EXPECT_EQ(stored.last_error, "no alert_url configured");
  EXPECT_EQ(row(core::TenantId("tn_gone"), "al_gone").status, AlertStatus::kSkipped);
  EXPECT_EQ(outcomes("skipped"), 2);
}

TEST_F(DispatcherTest, UnreachableReceiverIsRetried) {
  {
    std::lock_guard lock(settings_mutex_);
    settings_[kTenantA].alert_url = "http://127.0.0.1:1/alerts";  // nothing listens there
  }
  ASSERT_TRUE(store_.enqueue(make_alert(kTenantA, "al_1", clock_.now())).ok());
  auto dispatcher = make_dispatcher();
  ASSERT_TRUE(dispatcher->run_once().ok());
  const auto stored = row(kTenantA, "al_1");
  EXPECT_EQ(stored.status, AlertStatus::kPending);
  EXPECT_EQ(stored.attempts, 1);
  ASSERT_TRUE(stored.last_error);
  EXPECT_TRUE(stored.last_error->starts_with("network_error")) << *stored.last_error;
}

TEST_F(DispatcherTest, StorageTroubleInTheTenantLookupSpendsNoAttempt) {
  ASSERT_TRUE(store_.enqueue(make_alert(kTenantA, "al_1", clock_.now())).ok());
  AlertDispatcherOptions options;
  options.owner = "dispatcher-2";
  AlertDispatcher dispatcher(
      store_, client_,
      [](const core::TenantId&) -> core::Result<tenants::TenantSettings> {
        return core::Error::unavailable("database_unavailable", "down");
      },
      [](const core::TenantId& tenant) { return signing_secret(kMasterKey, tenant); }, clock_,
      options, metrics_, observability::Logger{});
  ASSERT_TRUE(dispatcher.run_once().ok());
  const auto stored = row(kTenantA, "al_1");
  EXPECT_EQ(stored.status, AlertStatus::kPending);
  EXPECT_EQ(stored.attempts, 0);
  EXPECT_EQ(stored.next_attempt_at, clock_.now() + 5s);
  EXPECT_TRUE(receiver_.received().empty());
}

TEST_F(DispatcherTest, FullBatchAsksForAnotherCycle) {
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(store_.enqueue(make_alert(kTenantA, "al_" + std::to_string(i), clock_.now())).ok());
  AlertDispatcherOptions options;
  options.batch_size = 2;
  auto dispatcher = make_dispatcher(options);
  auto report = dispatcher->run_once();
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->claimed, 2u);
  EXPECT_TRUE(report->more);
  report = dispatcher->run_once();
  EXPECT_EQ(report->claimed, 1u);
  EXPECT_FALSE(report->more);
  EXPECT_EQ(receiver_.received().size(), 3u);
}

TEST_F(DispatcherTest, StartedLoopDeliversAndRecordsWorkerMetrics) {
  ASSERT_TRUE(store_.enqueue(make_alert(kTenantA, "al_1", clock_.now())).ok());
  AlertDispatcherOptions options;
  options.interval = 20ms;
  auto dispatcher = make_dispatcher(options);
  dispatcher->start();
  for (int i = 0; i < 250 && row(kTenantA, "al_1").status != AlertStatus::kDelivered; ++i)
    std::this_thread::sleep_for(20ms);
  dispatcher->stop();
  EXPECT_EQ(row(kTenantA, "al_1").status, AlertStatus::kDelivered);
  EXPECT_EQ(receiver_.received().size(), 1u);
  EXPECT_EQ(metrics_.counter("roomplane_worker_claimed_total", "", {{"worker", "alerts"}}).value(),
            1);
  EXPECT_NE(metrics_.render().find("roomplane_alerts_total{outcome=\"delivered\"} 1"),
            std::string::npos);
}

}  // namespace
}  // namespace roomplane::alerts::testing
