#pragma once
// How times are stored: Unix epoch milliseconds in INTEGER columns (comparable, index-friendly,
// no time-zone parsing), NULL for an unset optional.

#include <chrono>
#include <cstdint>
#include <optional>

#include "core/clock.h"

namespace roomplane::storage {

inline std::int64_t to_millis(core::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
inline std::optional<std::int64_t> to_millis(const std::optional<core::TimePoint>& t) {
  return t ? std::optional<std::int64_t>(to_millis(*t)) : std::nullopt;
}
inline core::TimePoint from_millis(std::int64_t ms) {
  return core::TimePoint(
      std::chrono::duration_cast<core::TimePoint::duration>(std::chrono::milliseconds(ms)));
}
inline std::optional<core::TimePoint> from_millis(const std::optional<std::int64_t>& ms) {
  return ms ? std::optional<core::TimePoint>(from_millis(*ms)) : std::nullopt;
}

}  // namespace roomplane::storage
