#pragma once
// The fault-injection seam for the emulator's Twilio REST API. The emulator calls
// before_request() at the start of every Twilio REST request (every /v1/... route, before
// authentication), never for the /_emulator/ control routes.
//
// A returned Response is sent instead of handling the request (an injected 429/500/503 with
// Twilio's error body); nullopt lets the request through. An implementation may sleep on the
// calling thread to add latency: the emulator runs REST handlers on its WorkPool, never on an
// I/O thread, for exactly that reason.
//
// Thread-safety: called concurrently from the emulator's WorkPool threads.

#include <optional>

#include "http/message.h"

namespace roomplane::emulator {

class RequestGate {
 public:
  virtual ~RequestGate() = default;
  virtual std::optional<http::Response> before_request(const http::Request& request) = 0;
};

// The gate of an emulator without fault injection: lets everything through.
class NoFaults final : public RequestGate {
 public:
  std::optional<http::Response> before_request(const http::Request&) override {
    return std::nullopt;
  }
};

}  // namespace roomplane::emulator
