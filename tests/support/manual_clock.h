#pragma once
// A clock that only moves when a test moves it.

#include <atomic>
#include <chrono>

#include "core/clock.h"

namespace roomplane::testing {

class ManualClock final : public core::Clock {
 public:
  explicit ManualClock(core::TimePoint start = core::from_unix_seconds(1'700'000'000))
      : now_(start) {}
  core::TimePoint now() const override { return now_.load(); }
  void advance(std::chrono::nanoseconds d) {
    now_.store(now_.load() + std::chrono::duration_cast<core::TimePoint::duration>(d));
  }
  void set(core::TimePoint t) { now_.store(t); }

 private:
  std::atomic<core::TimePoint> now_;
};

}  // namespace roomplane::testing
