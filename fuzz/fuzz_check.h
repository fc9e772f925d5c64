#pragma once
// FUZZ_CHECK: a property the fuzz target asserts. A violation prints the condition and aborts,
// which libFuzzer reports as a crash and saves the input (crash-<sha1>).

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#define FUZZ_CHECK(cond)                                                                 \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      std::fprintf(stderr, "%s:%d: property violated: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                      \
    }                                                                                    \
  } while (false)

#define FUZZ_FAIL(what)                                                               \
  do {                                                                                \
    std::fprintf(stderr, "%s:%d: property violated: %s\n", __FILE__, __LINE__, what); \
    std::abort();                                                                     \
  } while (false)

namespace roomplane::fuzz {

inline std::string_view as_text(const unsigned char* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace roomplane::fuzz
