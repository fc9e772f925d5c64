#pragma once
// The clock seam. Everything that compares times (cache expiry, token issue time, leases,
// deadlines) takes a Clock so tests can move time by hand instead of sleeping.

#include <chrono>
#include <cstdint>
#include <string>

namespace roomplane::core {

using TimePoint = std::chrono::system_clock::time_point;

// Thread-safety: implementations must be safe to call from any thread.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint now() const override { return std::chrono::system_clock::now(); }
};

inline std::int64_t to_unix_seconds(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}
inline TimePoint from_unix_seconds(std::int64_t s) {
  return TimePoint(std::chrono::seconds(s));
}

}  // namespace roomplane::core

namespace roomplane::core {
// "2026-11-23T19:00:00Z" (UTC, second precision), the format of every time in the public API.
std::string to_rfc3339(TimePoint t);
}  // namespace roomplane::core
