#include "alerts/dispatcher.h"

#include <algorithm>
#include <utility>

#include "alerts/signature.h"
#include "crypto/crypto.h"

namespace roomplane::alerts {
namespace {

constexpr std::chrono::minutes kLeaseMargin{1};
constexpr std::chrono::milliseconds kMaxConnectTimeout{5000};

AlertDispatcherOptions normalised(AlertDispatcherOptions options) {
  options.batch_size = std::max<std::size_t>(options.batch_size, 1);
  options.max_attempts = std::max(options.max_attempts, 1);
  const auto worst_batch =
      options.request_timeout * static_cast<std::int64_t>(options.batch_size) + kLeaseMargin;
  options.lease = std::max<std::chrono::milliseconds>(options.lease, worst_batch);
  if (options.owner.empty())
    options.owner = crypto::random_token("alerts-", 12);
  return options;
}

observability::Counter& outcome_counter(observability::MetricsRegistry& metrics,
                                        const std::string& outcome) {
  return metrics.counter("roomplane_alerts_total",
                         "Alert delivery attempts by outcome (delivered, retried, abandoned, "
                         "skipped)",
                         {{"outcome", outcome}});
}

}  // namespace

std::chrono::milliseconds backoff_delay(const AlertDispatcherOptions& options, int attempt) {
  auto delay = options.backoff_initial;
  for (int i = 1; i < attempt && delay < options.backoff_max; ++i)
    delay *= 2;
  return std::min(delay, options.backoff_max);
}

AlertDispatcher::AlertDispatcher(AlertStore& store, http::HttpClient& client,
                                 TenantLookup tenant_settings, SecretFn signing_secret,
                                 const core::Clock& clock, AlertDispatcherOptions options,
                                 observability::MetricsRegistry& metrics,
                                 observability::Logger logger)
    : store_(store),
      client_(client),
      tenant_settings_(std::move(tenant_settings)),
      signing_secret_(std::move(signing_secret)),
      clock_(clock),
      options_(normalised(std::move(options))),
      logger_(logger),
      delivered_(outcome_counter(metrics, "delivered")),
      retried_(outcome_counter(metrics, "retried")),
      abandoned_(outcome_counter(metrics, "abandoned")),
      skipped_(outcome_counter(metrics, "skipped")),
      loop_(
          "alerts", [this] { return run_once(); }, options_.interval, metrics, std::move(logger)) {}

AlertDispatcher::~AlertDispatcher() {
  stop();
}

void AlertDispatcher::start() {
  loop_.start();
}
void AlertDispatcher::stop() {
  loop_.stop();
}
void AlertDispatcher::wake() {
  loop_.wake();
}

core::Result<workers::CycleReport> AlertDispatcher::run_once() {
  const auto now = clock_.now();
  auto claimed = store_.claim(options_.owner, now, now + options_.lease, options_.batch_size);
  if (!claimed)
    return std::move(claimed).take_error();
  workers::CycleReport report;
  report.claimed = claimed->size();
  report.more = claimed->size() == options_.batch_size;
  for (const auto& item : *claimed) {
    switch (deliver(item)) {
      case Outcome::kDelivered:
      case Outcome::kSkipped:
        ++report.succeeded;
        break;
      case Outcome::kRetried:
      case Outcome::kAbandoned:
        ++report.failed;
        break;
      case Outcome::kLeaseLost:
        break;
    }
  }
  if (auto lag = store_.lag(clock_.now())) {
    report.lag = *lag;
  } else {
    logger_.warn("alert_lag_unavailable",
                 {{"code", lag.error().code}, {"message", lag.error().message}});
  }
  return report;
}

AlertDispatcher::Outcome AlertDispatcher::record(const ClaimedAlert& claimed, Outcome outcome,
                                                 core::Status written) {
  if (written)
    return outcome;
  // Another dispatcher took the alert over (our lease expired), or storage failed: in both
  // cases the row still says what happened last, and a later claim continues from there.
  logger_.warn(written.error().code == "lease_lost" ? "alert_lease_lost" : "alert_write_failed",
               {{"alert_id", claimed.alert.id},
                {"tenant_id", claimed.alert.tenant.value()},
                {"code", written.error().code},
                {"message", written.error().message}});
  return Outcome::kLeaseLost;
}

AlertDispatcher::Outcome AlertDispatcher::deliver(const ClaimedAlert& claimed) {
  const auto& alert = claimed.alert;
  const auto& owner = options_.owner;

  auto settings = tenant_settings_(alert.tenant);
  if (!settings && settings.error().kind != core::ErrorKind::kNotFound) {
    // Not the alert's fault: try again soon without spending an attempt.
    logger_.warn("alert_tenant_unavailable", {{"alert_id", alert.id},
                                              {"tenant_id", alert.tenant.value()},
                                              {"code", settings.error().code}});
    const auto outcome =
        record(claimed, Outcome::kRetried,
               store_.reschedule(alert.id, owner, claimed.attempts,
                                 clock_.now() + options_.backoff_initial,
                                 "tenant lookup failed: " + settings.error().code));
    if (outcome == Outcome::kRetried)
      retried_.inc();
    return outcome;
  }
  if (!settings || settings->alert_url.empty()) {
    const std::string reason = settings ? "no alert_url configured" : "tenant not found";
    logger_.warn("alert_not_configured", {{"alert_id", alert.id},
                                          {"tenant_id", alert.tenant.value()},
                                          {"kind", alert.kind},
                                          {"subject_id", alert.subject_id},
                                          {"reason", reason}});
    const auto outcome = record(claimed, Outcome::kSkipped,
                                store_.give_up(alert.id, owner, AlertStatus::kSkipped,
                                               claimed.attempts, reason, clock_.now()));
    if (outcome == Outcome::kSkipped)
      skipped_.inc();
    return outcome;
  }

  const int attempt = claimed.attempts + 1;
  const auto signed_headers = sign(signing_secret_(alert.tenant), clock_.now(), alert.body);
  http::ClientRequest request;
  request.method = "POST";
  request.url = settings->alert_url;
  request.headers.emplace("Content-Type", "application/json");
  request.headers.emplace(std::string(kTimestampHeader), signed_headers.timestamp);
  request.headers.emplace(std::string(kSignatureHeader), signed_headers.signature);
  request.headers.emplace(std::string(kAlertIdHeader), alert.id);
  request.body = alert.body;
  request.timeout = options_.request_timeout;
  request.connect_timeout = std::min(options_.request_timeout, kMaxConnectTimeout);

  auto response = client_.send(request);
  if (response && response->status >= 200 && response->status < 300) {
    const auto outcome = record(claimed, Outcome::kDelivered,
                                store_.mark_delivered(alert.id, owner, attempt, clock_.now()));
    if (outcome == Outcome::kDelivered) {
      delivered_.inc();
      logger_.info("alert_delivered", {{"alert_id", alert.id},
                                       {"tenant_id", alert.tenant.value()},
                                       {"kind", alert.kind},
                                       {"subject_id", alert.subject_id},
                                       {"attempt", attempt},
                                       {"status", response->status}});
    }
    return outcome;
  }

  const std::string error = response ? "http_status " + std::to_string(response->status)
                                     : response.error().code + ": " + response.error().message;
  nlohmann::json fields = {{"alert_id", alert.id}, {"tenant_id", alert.tenant.value()},
                           {"kind", alert.kind},   {"subject_id", alert.subject_id},
                           {"attempt", attempt},   {"max_attempts", options_.max_attempts},
                           {"error", error}};
  if (attempt >= options_.max_attempts) {
    const auto outcome = record(
        claimed, Outcome::kAbandoned,
        store_.give_up(alert.id, owner, AlertStatus::kAbandoned, attempt, error, clock_.now()));
    if (outcome == Outcome::kAbandoned) {
      abandoned_.inc();
      logger_.error("alert_abandoned", fields);
    }
    return outcome;
  }
  const auto delay = backoff_delay(options_, attempt);
  const auto outcome =
      record(claimed, Outcome::kRetried,
             store_.reschedule(alert.id, owner, attempt, clock_.now() + delay, error));
  if (outcome == Outcome::kRetried) {
    retried_.inc();
    fields["retry_in_ms"] = delay.count();
    logger_.warn("alert_delivery_failed", fields);
  }
  return outcome;
}

}  // namespace roomplane::alerts
