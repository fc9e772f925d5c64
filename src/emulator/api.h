#pragma once
// The Twilio Video REST API v1 of the emulator: the same paths, form-encoded PascalCase
// parameters, status codes, snake_case JSON, pagination envelope and error bodies as
// https://video.twilio.com (shared/reference/twilio-video-api.md sections 1-9).
//
// Every route:
//  1. runs on `pool` (never on an I/O thread: the gate may sleep to inject latency);
//  2. asks `gate.before_request()` first and sends its response instead when it has one;
//  3. authenticates HTTP Basic (Account SID + Auth Token, or API Key SID + secret) and answers
//     401 / 20003 otherwise; the account only ever sees its own resources (404 / 20404);
//  4. counts roomplane_emulator_requests_total{operation,status}, where operation is the
//     OpenAPI operationId (CreateRoom, FetchRoom, ...), so labels stay bounded.
// No exception escapes a handler: one would become Twilio's 500 / 20500 body.

#include <functional>
#include <string>

#include "core/work_pool.h"
#include "emulator/request_gate.h"
#include "emulator/state.h"
#include "http/router.h"
#include "observability/log.h"
#include "observability/metrics.h"

namespace roomplane::emulator {

struct ApiContext {
  State& state;
  RequestGate& gate;
  core::WorkPool& pool;
  observability::MetricsRegistry& metrics;
  observability::Logger logger;
  // The public base URL for `url`, `links` and paging URLs ("http://host:port", no trailing
  // slash). Called on pool threads; must be thread-safe.
  std::function<std::string()> base_url;
};

// Registers every /v1 route. Everything `context` refers to must outlive the router's server.
void add_twilio_routes(http::Router& router, const ApiContext& context);

}  // namespace roomplane::emulator
