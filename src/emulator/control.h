#pragma once
// The emulator's control API under /_emulator/: what a test, a demo or the product's simulator
// uses to play the parts Twilio's SDKs and back office play. No authentication (it binds to
// loopback); JSON in, JSON out; errors use Twilio's error body shape and codes where Twilio has
// one (token refusals 20101..20107/20157, 53105, 53118, 53200..53205, ...).
//
//   POST   /_emulator/accounts                 {account_sid?, auth_token?, api_key_sid?,
//                                               api_key_secret?} -> 201 the four values
//   POST   /_emulator/rooms/{room}/participants {identity, token?} -> 201 participant
//   POST   /_emulator/rooms/{room}/participants/{participant}/disconnect -> 200 participant
//   POST   /_emulator/rooms/{room}/participants/{participant}/tracks {kind, name?} -> 201 track
//   DELETE /_emulator/rooms/{room}/participants/{participant}/tracks/{track} -> 200 track
//   POST   /_emulator/rooms/{room}/participants/{participant}/tracks/{track}/unpublish -> 200
//   POST   /_emulator/rooms/{room}/participants/{participant}/tracks/{track}/enable|disable
//   POST   /_emulator/compositions/behaviour          {mode, factor?}: default for new ones
//   POST   /_emulator/compositions/{sid}/behaviour    {mode, factor?}: one composition
//   GET    /_emulator/media/{sid}.{ext}?Expires=&Signature=   fake media bytes (pre-signed)
//   POST   /_emulator/tick                     runs everything due now -> {"now": ...}
//   GET    /_emulator/state                    debug dump, no secrets
//
// {room} is a room SID or the unique name of an in-progress room; {participant} an identity or
// PA SID; {track} a track SID or name. Fault routes (fault_routes.h) live beside these but are
// registered by the composition root.

#include <functional>
#include <string>

#include "core/work_pool.h"
#include "emulator/state.h"
#include "http/router.h"
#include "observability/log.h"

namespace roomplane::emulator {

struct ControlContext {
  State& state;
  core::WorkPool& pool;
  observability::Logger logger;
  std::function<std::string()> base_url;  // thread-safe
};

void add_control_routes(http::Router& router, const ControlContext& context);

// Parses {"mode": "normal"|"slow"|"fail"|"never", "factor": number >= 1}; slow defaults to
// factor 4. Error 400/20001 otherwise.
core::Result<CompositionBehaviour> parse_behaviour(const nlohmann::json& body);

}  // namespace roomplane::emulator
