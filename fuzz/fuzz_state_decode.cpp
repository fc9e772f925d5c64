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
  std::string encoded;
  try {
    encoded = rooms::encode_state(*decoded);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "encode_state threw: %s\n", e.what());
    FUZZ_FAIL("encode_state threw on a decoded state");
  }
  const auto again = rooms::decode_state(encoded);
  if (!again)
    std::fprintf(stderr, "re-decode failed: %s\n", again.error().message.c_str());
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(*again == *decoded);
  FUZZ_CHECK(rooms::encode_state(*again) == encoded);
  return 0;
}
