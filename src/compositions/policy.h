#pragma once
// The timing rules both composition workers share, as pure functions of stored data (no
// counters kept in memory), so a restarted worker picks up exactly where the last one was.

#include <algorithm>
#include <chrono>
#include <cstdint>

#include "core/clock.h"

namespace roomplane::compositions {

struct Policy {
  // Provider attempts per composition before it is failed for good (and alerted).
  int max_attempts = 4;
  // Wait before attempt n+1 after attempt n failed: initial * 2^(n-1), capped.
  std::chrono::milliseconds retry_initial{std::chrono::seconds(30)};
  std::chrono::milliseconds retry_max{std::chrono::minutes(30)};
  // Polling a running composition: a quarter of its age, within [poll_min, poll_max], and never
  // past its deadline, so a stall is seen on time even without callbacks.
  std::chrono::milliseconds poll_min{std::chrono::seconds(5)};
  std::chrono::milliseconds poll_max{std::chrono::minutes(2)};
  // A transient failure (provider unavailable or throttling, tenant lookup failed) costs no
  // attempt: the job is retried after a quarter of its age, within [poll_min, retry_max].
  // Deadline: started_at + max(deadline_floor, deadline_factor * recorded duration).
  double deadline_factor = 2.0;
  std::chrono::milliseconds deadline_floor{std::chrono::minutes(10)};
};

inline std::chrono::milliseconds retry_delay(const Policy& p, int failed_attempts) {
  auto delay = p.retry_initial;
  for (int i = 1; i < failed_attempts && delay < p.retry_max; ++i)
    delay *= 2;
  return std::min(delay, p.retry_max);
}

inline std::chrono::milliseconds age_based_delay(core::TimePoint since, core::TimePoint now,
                                                 std::chrono::milliseconds lo,
                                                 std::chrono::milliseconds hi) {
  const auto age = std::chrono::duration_cast<std::chrono::milliseconds>(now - since);
  return std::clamp(age / 4, lo, std::max(lo, hi));
}

inline core::TimePoint deadline_for(const Policy& p, core::TimePoint started_at,
                                    std::int64_t recorded_duration_seconds) {
  const auto scaled = std::chrono::milliseconds(static_cast<std::int64_t>(
      p.deadline_factor * static_cast<double>(recorded_duration_seconds) * 1000.0));
  return started_at +
         std::chrono::duration_cast<core::TimePoint::duration>(std::max(p.deadline_floor, scaled));
}

}  // namespace roomplane::compositions
