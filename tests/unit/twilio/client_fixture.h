#pragma once
// The fixture of the REST client tests: a FakeTwilio, and a TwilioRestClient on the production
// CurlHttpClient pointed at the fake's base URL (the only thing that would change to run a test
// against the emulator), a manual clock, and a sleep function that records the delays it is
// asked for instead of waiting.

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "http/curl_client.h"
#include "observability/log.h"
#include "observability/metrics.h"
#include "support/manual_clock.h"
#include "twilio/rest_client.h"
#include "unit/twilio/fake_twilio.h"

namespace roomplane::twilio::testing {

using namespace std::chrono_literals;

// libcurl's global state, set up once for the whole test binary.
inline const http::CurlRuntime& curl_runtime() {
  static const http::CurlRuntime runtime;
  return runtime;
}

class RecordingSleep {
 public:
  SleepFunction function() {
    return [this](std::chrono::milliseconds delay) {
      std::lock_guard lock(mutex_);
      delays_.push_back(delay);
    };
  }
  std::vector<std::chrono::milliseconds> delays() const {
    std::lock_guard lock(mutex_);
    return delays_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::chrono::milliseconds> delays_;
};

class TwilioClientTest : public ::testing::Test {
 protected:
  // Generous per-request timeouts (a loaded CI machine is slow), small backoff caps so delay
  // bounds are easy to check. Sleeps are recorded, never waited.
  static RetryPolicy test_policy() {
    RetryPolicy policy;
    policy.max_attempts = 4;
    policy.base_delay = 100ms;
    policy.max_delay = 2000ms;
    policy.connect_timeout = 2000ms;
    policy.request_timeout = 5000ms;
    return policy;
  }

  std::unique_ptr<TwilioRestClient> make_client(const std::string& base_url,
                                                RetryPolicy policy = test_policy(),
                                                observability::Logger logger = {}) {
    RestClientOptions options;
    options.base_url = base_url;
    options.retry = policy;
    return std::make_unique<TwilioRestClient>(http_, clock_, sleeper_.function(), metrics_,
                                              std::move(logger), options);
  }

  double requests_total(const std::string& operation, const std::string& outcome) {
    return metrics_
        .counter("roomplane_provider_requests_total", "",
                 {{"operation", operation}, {"outcome", outcome}})
        .value();
  }
  double retries_total(const std::string& operation) {
    return metrics_.counter("roomplane_provider_retries_total", "", {{"operation", operation}})
        .value();
  }
  std::uint64_t durations_observed(const std::string& operation) {
    return metrics_
        .histogram("roomplane_provider_request_duration_seconds", "", {{"operation", operation}})
        .count();
  }

  video::RoomSpec room_spec(const std::string& name) {
    video::RoomSpec spec;
    spec.unique_name = name;
    return spec;
  }

  // Creates a room through the client (asserting success) and returns its SID.
  std::string create_room(const std::string& name) {
    auto room = client_->create_room(credentials_, room_spec(name));
    EXPECT_TRUE(room.ok()) << room.error().message;
    return room.ok() ? room->sid : std::string();
  }

  roomplane::testing::ManualClock clock_;
  FakeTwilio fake_{clock_};
  video::ProviderCredentials credentials_ = FakeTwilio::credentials();
  observability::MetricsRegistry metrics_;
  RecordingSleep sleeper_;
  http::CurlHttpClient http_{curl_runtime()};
  std::unique_ptr<TwilioRestClient> client_ = make_client(fake_.base_url());
};

}  // namespace roomplane::twilio::testing
