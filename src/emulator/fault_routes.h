#pragma once
// The emulator's fault-injection control routes (DESIGN.md, "The Twilio emulator"):
//
//   GET    /_emulator/faults           current settings, seed and counts of injected faults
//   PUT    /_emulator/faults           (POST too) change settings, body:
//     {"seed": 7,
//      "callbacks": {"drop_rate": 0.1, "duplicate_rate": 0, "reorder_rate": 0, "delay_rate": 0,
//                    "delay_ms": [min, max]},
//      "rest": {"rate_429": 0.1, "rate_500": 0, "rate_503": 0, "latency_ms": [min, max]}}
//   DELETE /_emulator/faults           no faults at all (the seed is kept)
//   POST   /_emulator/callbacks/flush  waits until every queued callback has finished;
//                                      ?timeout_ms= (default 10000, at most 60000)
//
// PUT semantics: every field is optional. A section ("callbacks" or "rest") that is present
// replaces that whole section (its missing fields mean 0 / no fault); an absent section stays
// as it is. Every accepted PUT re-seeds both RNGs (with "seed", else the current seed), so the
// same PUT followed by the same requests replays the same faults. Rates must be numbers in
// [0, 1], the three REST rates must sum to at most 1, and the millisecond ranges must be
// [min, max] with 0 <= min <= max <= 60000. Anything else, unknown fields included, is answered
// 422 {"error":{"code":"invalid_fault_settings","message":...,"field":"callbacks.drop_rate"}}
// and changes nothing; a body that is not a JSON object is 400. The PUT, GET and DELETE answers
// all carry the resulting state (the GET body).
//
// Faults are global to the emulator, not per account (faults.h).
//
// The settings routes run inline (they only take short locks); flush runs on `pool` because it
// blocks. The injector, dispatcher and pool must outlive the router's server.

#include "core/work_pool.h"
#include "emulator/callback_dispatcher.h"
#include "emulator/faults.h"
#include "http/router.h"

namespace roomplane::emulator {

void add_fault_routes(http::Router& router, core::WorkPool& pool, FaultInjector& injector,
                      CallbackDispatcher& dispatcher);

}  // namespace roomplane::emulator
