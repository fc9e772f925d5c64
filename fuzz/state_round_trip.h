#pragma once
// The state codec's promise (rooms/state_codec.h), checked by the callback and state_decode
// targets: a state encodes without throwing, decodes back to itself, and encodes to the same
// text again.

#include <cstdio>
#include <exception>
#include <string>

#include "fuzz_check.h"
#include "rooms/room_state.h"
#include "rooms/state_codec.h"

namespace roomplane::fuzz {

// `origin` names where the state came from, for the failure message.
inline void check_state_round_trip(const rooms::RoomState& state, const char* origin) {
  std::string encoded;
  try {
    encoded = rooms::encode_state(state);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "encode_state threw on %s: %s\n", origin, e.what());
    FUZZ_FAIL("encode_state threw");
  }
  const auto decoded = rooms::decode_state(encoded);
  if (!decoded)
    std::fprintf(stderr, "decode_state of %s: %s\n", origin, decoded.error().message.c_str());
  FUZZ_CHECK(decoded.ok());
  FUZZ_CHECK(*decoded == state);
  FUZZ_CHECK(rooms::encode_state(*decoded) == encoded);
}

}  // namespace roomplane::fuzz
