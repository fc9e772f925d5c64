#pragma once
// RoomState <-> JSON, the form a store keeps a folded state in. Lossless: every fact AND every
// derived field is written (a state is merged further after it is read back, and the derived
// fields alone cannot be), times as integer nanoseconds since the Unix epoch so no precision
// is lost, enums by their stable to_string() names. decode(encode(s)) == s for every state.
//
// Fields that hold their default (empty text, nullopt, false, empty collections) are left out
// to keep the hot path's documents small; decode restores the defaults. Pure functions,
// thread-compatible. Text must be UTF-8 (callback parsing refuses anything else): encode_state
// throws nlohmann::json::type_error on text that is not, and decode_state never throws.

#include <string>
#include <string_view>

#include "core/result.h"
#include "rooms/room_state.h"

namespace roomplane::rooms {

// Version of the document layout, stored in it as "v". Bump it (and keep reading the old one)
// when a field changes meaning; adding a field with a default needs no bump.
inline constexpr int kStateCodecVersion = 1;

std::string encode_state(const RoomState& state);

// kInternal "stored room state unreadable" (with what was wrong in the message) for text that
// is not a state document of a known version.
core::Result<RoomState> decode_state(std::string_view json);

}  // namespace roomplane::rooms
