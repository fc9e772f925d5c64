#pragma once
// The Twilio emulator with everything around it: callback delivery (signed, over the given
// HttpClient), fault injection on REST requests and callbacks, and the fault control routes.
// Used by `roomplane emulator` (alone) and by `roomplane serve` (in-process, embedded default).
//
// Created and owned by the composition root; start() and stop() from the owner thread.

#include <cstdint>
#include <optional>
#include <string>

#include "app/config.h"
#include "core/clock.h"
#include "emulator/callback_dispatcher.h"
#include "emulator/emulator.h"
#include "emulator/faults.h"
#include "http/client.h"
#include "observability/log.h"
#include "observability/metrics.h"

namespace roomplane::app {

struct EmulatorStackOptions {
  HostPort listen{"127.0.0.1", 8089};
  std::optional<std::uint64_t> seed;  // SIDs and fault draws reproducible when set
  std::string public_base_url;        // empty: http://listen
};

class EmulatorStack {
 public:
  EmulatorStack(const EmulatorStackOptions& options, const core::Clock& clock,
                http::HttpClient& callback_client, observability::MetricsRegistry& metrics,
                const observability::Logging& logging);
  ~EmulatorStack();

  core::Status start();
  void stop();  // idempotent: emulator first (no new callbacks), then delivery

  emulator::Emulator& emulator() { return emulator_; }
  std::string base_url() const { return emulator_.base_url(); }

 private:
  emulator::FaultInjector faults_;
  emulator::CallbackDispatcher dispatcher_;
  emulator::Emulator emulator_;
  bool stopped_ = false;
};

}  // namespace roomplane::app
