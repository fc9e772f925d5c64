#pragma once
// Delivers the alert outbox (AlertStore) to tenants' alert URLs: signed POSTs (signature.h),
// retried with exponential backoff, closed as delivered, abandoned or skipped.
//
// One cycle (run_once()): claim up to `batch_size` due alerts with a lease, then for each, in
// order, on the calling thread:
//   - look the tenant up; no alert_url: closed "skipped" (warn log alert_not_configured), since
//     nothing can deliver it and the settings are read again only for new alerts;
//   - POST the stored body, byte for byte, with Content-Type: application/json,
//     X-Roomplane-Timestamp, X-Roomplane-Signature (signed at this attempt's time) and
//     X-Roomplane-Alert-Id;
//   - a 2xx answer: delivered. Anything else (another status, a timeout, a refused connection,
//     a malformed URL): the attempt failed. After attempt n (1-based) the alert is due again
//     after min(backoff_initial * 2^(n-1), backoff_max): 5 s, 10 s, 20 s, ... with the
//     defaults, no jitter. Attempt `max_attempts` failing abandons it (error log
//     alert_abandoned).
//   - a tenant look-up that fails for another reason than not_found (storage down) is retried
//     after backoff_initial without counting an attempt; an unknown tenant is skipped.
// Redirects are not followed (a 3xx is a failed attempt).
//
// Leases: a claimed batch is the dispatcher's until now + lease; the lease must outlast the
// batch's worst case (batch_size * request_timeout), so the constructor raises it to that plus
// a minute when it is shorter. Another dispatcher (another instance, or this one after a crash)
// takes an alert over only once its lease expired: an alert is delivered at least once, and
// receivers deduplicate on X-Roomplane-Alert-Id.
//
// Metrics: the WorkerLoop's (worker="alerts"; claimed, succeeded = delivered + skipped, failed
// = retried + abandoned, lag, cycle time and errors) and
//   roomplane_alerts_total{outcome="delivered"|"retried"|"abandoned"|"skipped"}
// Logs (logger "alerts"): alert_delivered (info), alert_delivery_failed (warn),
// alert_abandoned (error), alert_not_configured (warn), alert_lease_lost (warn). Never the
// secret, the URL (it may carry a token) or the receiver's answer body.
//
// Thread-safety: start()/stop() from one thread; run_once() is for tests and must not run
// concurrently with the started loop. The store, client, clock, metrics and the two functions
// must outlive the dispatcher; the functions are called from the loop's thread.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "alerts/stores.h"
#include "core/clock.h"
#include "core/result.h"
#include "http/client.h"
#include "observability/log.h"
#include "observability/metrics.h"
#include "tenants/tenant.h"
#include "workers/worker_loop.h"

namespace roomplane::alerts {

struct AlertDispatcherOptions {
  std::chrono::milliseconds interval{5000};  // between cycles when the outbox is drained
  std::size_t batch_size = 20;               // alerts claimed per cycle
  std::chrono::milliseconds lease{5 * 60 * 1000};
  std::chrono::milliseconds request_timeout{10000};  // whole POST, connect included
  int max_attempts = 8;
  std::chrono::milliseconds backoff_initial{5000};
  std::chrono::milliseconds backoff_max{10 * 60 * 1000};
  // Lease owner name; empty: "alerts-" + random, unique per dispatcher.
  std::string owner;
};

// When an alert whose attempt number `attempt` (1-based) just failed is due again, relative to
// the failure: min(initial * 2^(attempt-1), max).
std::chrono::milliseconds backoff_delay(const AlertDispatcherOptions& options, int attempt);

class AlertDispatcher {
 public:
  using TenantLookup =
      std::function<core::Result<tenants::TenantSettings>(const core::TenantId& tenant)>;
  using SecretFn = std::function<std::string(const core::TenantId& tenant)>;

  AlertDispatcher(AlertStore& store, http::HttpClient& client, TenantLookup tenant_settings,
                  SecretFn signing_secret, const core::Clock& clock, AlertDispatcherOptions options,
                  observability::MetricsRegistry& metrics, observability::Logger logger);
  ~AlertDispatcher();  // stops
  AlertDispatcher(const AlertDispatcher&) = delete;
  AlertDispatcher& operator=(const AlertDispatcher&) = delete;

  // One cycle (see above). An error only when the claim itself failed (storage down).
  core::Result<workers::CycleReport> run_once();

  // Runs cycles on a WorkerLoop thread ("alerts") every `interval`. Idempotent.
  void start();
  // Finishes the running cycle and joins. Idempotent.
  void stop();
  // Runs the next cycle now (an alert was just enqueued).
  void wake();

  const AlertDispatcherOptions& options() const { return options_; }

 private:
  enum class Outcome { kDelivered, kRetried, kAbandoned, kSkipped, kLeaseLost };
  Outcome deliver(const ClaimedAlert& claimed);
  Outcome record(const ClaimedAlert& claimed, Outcome outcome, core::Status written);

  AlertStore& store_;
  http::HttpClient& client_;
  TenantLookup tenant_settings_;
  SecretFn signing_secret_;
  const core::Clock& clock_;
  AlertDispatcherOptions options_;
  observability::Logger logger_;
  observability::Counter& delivered_;
  observability::Counter& retried_;
  observability::Counter& abandoned_;
  observability::Counter& skipped_;
  workers::WorkerLoop loop_;
};

}  // namespace roomplane::alerts
