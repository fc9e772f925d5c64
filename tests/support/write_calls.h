#pragma once
// Write system calls (write, pwrite, ...) this process has made so far, from /proc/self/io's
// syscw: for tests that count what a piece of I/O costs in calls. nullopt where the kernel does
// not say (no /proc, or no task I/O accounting).

#include <cstdint>
#include <fstream>
#include <optional>
#include <string>

namespace roomplane::testing {

inline std::optional<std::int64_t> process_write_calls() {
  std::ifstream io("/proc/self/io");
  std::string key;
  std::int64_t value = 0;
  while (io >> key >> value) {
    if (key == "syscw:")
      return value;
  }
  return std::nullopt;
}

}  // namespace roomplane::testing
