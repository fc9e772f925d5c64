#include "emulator/faults.h"

#include <algorithm>
#include <string_view>
#include <thread>

#include "emulator/twilio_error.h"

namespace roomplane::emulator {
namespace {

using std::chrono::milliseconds;

// 53 random bits mapped to [0, 1): the same on every standard library, unlike
// std::uniform_real_distribution.
double unit(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

// Uniform in [lo, hi] (inclusive), one RNG value whatever the bounds. The modulo bias is below
// 2^-47 for the bounded ranges allowed here.
milliseconds uniform_ms(std::mt19937_64& rng, milliseconds lo, milliseconds hi) {
  const std::uint64_t value = rng();
  if (hi <= lo)
    return lo;
  const auto span = static_cast<std::uint64_t>(hi.count() - lo.count()) + 1;
  return lo + milliseconds(static_cast<milliseconds::rep>(value % span));
}

bool valid_rate(double rate) {
  return rate >= 0.0 && rate <= 1.0;  // false for NaN
}

double clamp_rate(double rate) {
  return valid_rate(rate) ? rate : (rate > 1.0 ? 1.0 : 0.0);
}

core::Error bad_field(const std::string& field, std::string_view rule) {
  return core::Error::unprocessable("invalid_fault_settings", field + " " + std::string(rule));
}

core::Status validate_range(milliseconds lo, milliseconds hi, const std::string& field) {
  if (lo.count() < 0 || hi.count() < 0 || lo > kMaxInjectedDelay || hi > kMaxInjectedDelay) {
    return bad_field(
        field, "must be milliseconds in [0, " + std::to_string(kMaxInjectedDelay.count()) + "]");
  }
  if (lo > hi)
    return bad_field(field, "must be [min, max] with min <= max");
  return {};
}

void clamp_range(milliseconds& lo, milliseconds& hi) {
  lo = std::clamp(lo, milliseconds(0), kMaxInjectedDelay);
  hi = std::clamp(hi, milliseconds(0), kMaxInjectedDelay);
  if (lo > hi)
    std::swap(lo, hi);
}

const char* error_message(unsigned status) {
  switch (status) {
    case 429:
      return "Too Many Requests";
    case 503:
      return "Service Unavailable";
    default:
      return "Internal Server Error";
  }
}

}  // namespace

core::Status validate(const CallbackFaults& faults, const std::string& prefix) {
  const std::pair<const char*, double> rates[] = {{"drop_rate", faults.drop_rate},
                                                  {"duplicate_rate", faults.duplicate_rate},
                                                  {"reorder_rate", faults.reorder_rate},
                                                  {"delay_rate", faults.delay_rate}};
  for (const auto& [name, rate] : rates) {
    if (!valid_rate(rate))
      return bad_field(prefix + name, "must be a number in [0, 1]");
  }
  return validate_range(faults.delay_min, faults.delay_max, prefix + "delay_ms");
}

core::Status validate(const RestFaults& faults, const std::string& prefix) {
  const std::pair<const char*, double> rates[] = {
      {"rate_429", faults.rate_429}, {"rate_500", faults.rate_500}, {"rate_503", faults.rate_503}};
  for (const auto& [name, rate] : rates) {
    if (!valid_rate(rate))
      return bad_field(prefix + name, "must be a number in [0, 1]");
  }
  // A small tolerance so 0.7 + 0.2 + 0.1 (which is 1.0000000000000002 in doubles) passes.
  if (faults.rate_429 + faults.rate_500 + faults.rate_503 > 1.0 + 1e-9) {
    return bad_field(prefix + "rate_429",
                     "+ " + prefix + "rate_500 + " + prefix + "rate_503 must not exceed 1");
  }
  return validate_range(faults.latency_min, faults.latency_max, prefix + "latency_ms");
}

observability::Counter& fault_counter(observability::MetricsRegistry& metrics,
                                      const std::string& fault) {
  return metrics.counter("roomplane_emulator_faults_injected_total",
                         "Faults injected by the Twilio emulator, by kind.", {{"fault", fault}});
}

http::Response twilio_error_response(unsigned status) {
  const core::ErrorKind kind = status == 429   ? core::ErrorKind::kRateLimited
                               : status == 503 ? core::ErrorKind::kUnavailable
                                               : core::ErrorKind::kInternal;
  const unsigned shown = http::status_for(kind);  // 500 for anything unexpected
  auto response =
      error_response(twilio_error(kind, 20000 + static_cast<int>(shown), error_message(shown)));
  if (shown == 429)
    response.headers.emplace_back("Retry-After", "1");
  return response;
}

// --- CallbackFaultPlan ---

CallbackFaultPlan::CallbackFaultPlan() : rng_(kDefaultFaultSeed) {}

void CallbackFaultPlan::configure(std::uint64_t seed, const CallbackFaults& faults) {
  CallbackFaults clamped = faults;
  clamped.drop_rate = clamp_rate(clamped.drop_rate);
  clamped.duplicate_rate = clamp_rate(clamped.duplicate_rate);
  clamped.reorder_rate = clamp_rate(clamped.reorder_rate);
  clamped.delay_rate = clamp_rate(clamped.delay_rate);
  clamp_range(clamped.delay_min, clamped.delay_max);
  std::lock_guard lock(mutex_);
  seed_ = seed;
  faults_ = clamped;
  rng_.seed(seed);
}

CallbackFaults CallbackFaultPlan::settings() const {
  std::lock_guard lock(mutex_);
  return faults_;
}

std::uint64_t CallbackFaultPlan::seed() const {
  std::lock_guard lock(mutex_);
  return seed_;
}

CallbackFaultDecision CallbackFaultPlan::draw() {
  std::lock_guard lock(mutex_);
  // The order of these five draws is part of the reproducibility contract: changing it changes
  // every seeded sequence.
  const double u_drop = unit(rng_);
  const double u_duplicate = unit(rng_);
  const double u_reorder = unit(rng_);
  const double u_delay = unit(rng_);
  const milliseconds delay = uniform_ms(rng_, faults_.delay_min, faults_.delay_max);

  CallbackFaultDecision decision;
  decision.drop = u_drop < faults_.drop_rate;
  decision.duplicate = u_duplicate < faults_.duplicate_rate;
  decision.reorder = u_reorder < faults_.reorder_rate;
  if (u_delay < faults_.delay_rate)
    decision.delay = delay;
  return decision;
}

// --- FaultInjector ---

FaultInjector::FaultInjector(observability::MetricsRegistry& metrics)
    : rng_(kDefaultFaultSeed),
      metric_429_(fault_counter(metrics, "rest_429")),
      metric_500_(fault_counter(metrics, "rest_500")),
      metric_503_(fault_counter(metrics, "rest_503")),
      metric_latency_(fault_counter(metrics, "rest_latency")) {}

void FaultInjector::configure(std::uint64_t seed, const RestFaults& faults) {
  RestFaults clamped = faults;
  clamped.rate_429 = clamp_rate(clamped.rate_429);
  clamped.rate_500 = clamp_rate(clamped.rate_500);
  clamped.rate_503 = clamp_rate(clamped.rate_503);
  clamp_range(clamped.latency_min, clamped.latency_max);
  std::lock_guard lock(mutex_);
  seed_ = seed;
  faults_ = clamped;
  rng_.seed(seed);
}

RestFaults FaultInjector::settings() const {
  std::lock_guard lock(mutex_);
  return faults_;
}

std::uint64_t FaultInjector::seed() const {
  std::lock_guard lock(mutex_);
  return seed_;
}

RestFaultCounts FaultInjector::counts() const {
  return {count_429_.load(), count_500_.load(), count_503_.load(), count_latency_.load()};
}

FaultInjector::Draw FaultInjector::draw() {
  std::lock_guard lock(mutex_);
  // Part of the reproducibility contract, like CallbackFaultPlan::draw().
  const double u_status = unit(rng_);
  Draw result;
  result.latency = uniform_ms(rng_, faults_.latency_min, faults_.latency_max);
  // One draw picks at most one error, so each rate is exactly the share of requests with it.
  if (u_status < faults_.rate_429) {
    result.status = 429;
  } else if (u_status < faults_.rate_429 + faults_.rate_500) {
    result.status = 500;
  } else if (u_status < faults_.rate_429 + faults_.rate_500 + faults_.rate_503) {
    result.status = 503;
  }
  return result;
}

std::optional<http::Response> FaultInjector::before_request(const http::Request& request) {
  if (request.path.rfind("/_emulator/", 0) == 0)
    return std::nullopt;
  const Draw d = draw();
  if (d.latency.count() > 0) {
    ++count_latency_;
    metric_latency_.inc();
    // The gate contract allows sleeping: the emulator calls it on a WorkPool thread.
    std::this_thread::sleep_for(d.latency);
  }
  switch (d.status) {
    case 429:
      ++count_429_;
      metric_429_.inc();
      break;
    case 500:
      ++count_500_;
      metric_500_.inc();
      break;
    case 503:
      ++count_503_;
      metric_503_.inc();
      break;
    default:
      return std::nullopt;
  }
  return twilio_error_response(d.status);
}

}  // namespace roomplane::emulator
