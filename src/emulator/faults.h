#pragma once
// Fault injection for the Twilio emulator: what can go wrong, drawn from a seeded RNG so a test
// run can be replayed.
//
// Two independent sources, each with one std::mt19937_64 under its own mutex, both seeded with
// the same user-chosen seed:
//  - CallbackFaultPlan: owned by the CallbackDispatcher, one draw per enqueued callback (drop,
//    duplicate, reorder, delay).
//  - FaultInjector (a RequestGate): one draw per Twilio REST request (429/500/503, latency).
// Keeping them apart means the callback faults do not depend on how many REST requests the
// product happened to make (it may poll on a timer), and vice versa.
//
// Reproducibility guarantee: after configure(seed, ...), the n-th draw of a source is a pure
// function of (seed, settings, n). Every draw consumes the same number of RNG values whatever
// the outcome, and the mapping from RNG values to decisions is written here (not left to
// std::uniform_*_distribution, whose output differs between standard libraries), so the same
// seed gives the same decisions on any platform. With a single producer (one thread making
// requests or emitting callbacks in a fixed order) a run is reproducible. With concurrent
// producers the draws still follow the sequence, but which request or callback receives which
// draw depends on thread scheduling.
//
// Scope: global, not per account. Every account of the emulator shares one configuration and
// one RNG stream per source; per-account faults were not needed by any test so far.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>

#include "core/result.h"
#include "emulator/request_gate.h"
#include "observability/metrics.h"

namespace roomplane::emulator {

inline constexpr std::uint64_t kDefaultFaultSeed = 42;
// Upper bound for any injected delay or latency, so a misconfiguration cannot park a worker or
// a request for minutes.
inline constexpr std::chrono::milliseconds kMaxInjectedDelay{60000};

// Rates are probabilities in [0, 1] per callback, drawn independently of each other.
struct CallbackFaults {
  double drop_rate = 0.0;       // never sent
  double duplicate_rate = 0.0;  // sent twice, back to back, with the same idempotency token
  double reorder_rate = 0.0;    // sent after the next callback with the same ordering key
  double delay_rate = 0.0;      // sent after a delay drawn uniformly in [delay_min, delay_max]
  std::chrono::milliseconds delay_min{0};
  std::chrono::milliseconds delay_max{0};

  bool any() const {
    return drop_rate > 0 || duplicate_rate > 0 || reorder_rate > 0 || delay_rate > 0;
  }
};

// One draw decides at most one of the three errors: a request gets 429 with probability
// rate_429, 500 with rate_500, 503 with rate_503, so their sum must not exceed 1. Latency is
// drawn uniformly in [latency_min, latency_max] for every request (0 when both are 0), also for
// those answered with an injected error.
struct RestFaults {
  double rate_429 = 0.0;
  double rate_500 = 0.0;
  double rate_503 = 0.0;
  std::chrono::milliseconds latency_min{0};
  std::chrono::milliseconds latency_max{0};
};

// Error (kUnprocessable, code "invalid_fault_settings") whose message starts with the first bad
// field's name, with the given prefix: "callbacks.drop_rate must be a number in [0, 1]".
core::Status validate(const CallbackFaults& faults, const std::string& prefix = "callbacks.");
core::Status validate(const RestFaults& faults, const std::string& prefix = "rest.");

struct CallbackFaultDecision {
  bool drop = false;
  bool duplicate = false;
  bool reorder = false;
  std::chrono::milliseconds delay{0};  // > 0 only when the delay fault was drawn
};

// The callback half. Thread-safe (one mutex around the RNG and the settings).
class CallbackFaultPlan {
 public:
  CallbackFaultPlan();

  // Replaces the settings and re-seeds the RNG, so the draws restart from the seed's first
  // value. Call validate() first; invalid settings are clamped, never trusted.
  void configure(std::uint64_t seed, const CallbackFaults& faults);
  CallbackFaults settings() const;
  std::uint64_t seed() const;

  // Five RNG values per call, whatever the outcome.
  CallbackFaultDecision draw();

 private:
  mutable std::mutex mutex_;
  std::uint64_t seed_ = kDefaultFaultSeed;
  CallbackFaults faults_;
  std::mt19937_64 rng_;
};

struct RestFaultCounts {
  std::uint64_t errors_429 = 0;
  std::uint64_t errors_500 = 0;
  std::uint64_t errors_503 = 0;
  std::uint64_t latency_injected = 0;  // requests that were slowed down
};

// The REST half: the RequestGate the emulator consults before every Twilio REST request.
// Created by whoever builds the emulator (the composition root or a test), shared with
// add_fault_routes(). Thread-safe. Metrics:
//   roomplane_emulator_faults_injected_total{fault="rest_429"|"rest_500"|"rest_503"|"rest_latency"}
class FaultInjector final : public RequestGate {
 public:
  explicit FaultInjector(observability::MetricsRegistry& metrics);

  // Same contract as CallbackFaultPlan::configure.
  void configure(std::uint64_t seed, const RestFaults& faults);
  RestFaults settings() const;
  std::uint64_t seed() const;
  RestFaultCounts counts() const;

  // Two RNG values per call. Sleeps the drawn latency on the calling thread (outside the
  // lock), then answers the drawn error, if any. Requests under /_emulator/ pass untouched and
  // draw nothing.
  std::optional<http::Response> before_request(const http::Request& request) override;

 private:
  struct Draw {
    unsigned status = 0;  // 0: no error
    std::chrono::milliseconds latency{0};
  };
  Draw draw();

  mutable std::mutex mutex_;
  std::uint64_t seed_ = kDefaultFaultSeed;
  RestFaults faults_;
  std::mt19937_64 rng_;

  std::atomic<std::uint64_t> count_429_{0};
  std::atomic<std::uint64_t> count_500_{0};
  std::atomic<std::uint64_t> count_503_{0};
  std::atomic<std::uint64_t> count_latency_{0};
  observability::Counter& metric_429_;
  observability::Counter& metric_500_;
  observability::Counter& metric_503_;
  observability::Counter& metric_latency_;
};

// Twilio's error body for an injected status (429 -> 20429 "Too Many Requests" with
// Retry-After: 1; 500 -> 20500 "Internal Server Error"; 503 -> 20503 "Service Unavailable"),
// rendered by twilio_error.h's error_response() like every other emulator error. Any other
// status is treated as 500.
http::Response twilio_error_response(unsigned status);

// The fault counter family, shared by the dispatcher and the injector.
observability::Counter& fault_counter(observability::MetricsRegistry& metrics,
                                      const std::string& fault);

}  // namespace roomplane::emulator
