#include "core/clock.h"

#include <ctime>

namespace roomplane::core {

std::string to_rfc3339(TimePoint t) {
  const std::time_t seconds = static_cast<std::time_t>(to_unix_seconds(t));
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[32];
  const auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::string(buf, n);
}

}  // namespace roomplane::core
