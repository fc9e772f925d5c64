// rooms::decode_state on arbitrary text (a damaged or hostile stored document). Properties
// (state_codec.h):
//  - never throws or crashes; an error is kInternal;
//  - whatever it accepts is a state that encodes without throwing, and decodes back to itself:
//    decode(encode(s)) == s, with encode a fixed point after one round.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>

#include "fuzz_check.h"
#include "rooms/state_codec.h"
#include "state_round_trip.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace roomplane;
  const auto text = fuzz::as_text(data, size);
  core::Result<rooms::RoomState> decoded = core::Error::internal("unset");
  try {
    decoded = rooms::decode_state(text);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "decode_state threw: %s\n", e.what());
    FUZZ_FAIL("decode_state threw");
  }
  if (!decoded) {
    FUZZ_CHECK(decoded.error().kind == core::ErrorKind::kInternal);
    return 0;
  }
  fuzz::check_state_round_trip(*decoded, "a decoded state");
  return 0;
}
