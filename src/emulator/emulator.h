#pragma once
// The Twilio Video emulator as one object: its State, its REST API (/v1, api.h) and control
// API (/_emulator, control.h) on its own http::Server + Router + WorkPool, and a background
// ticker that advances time-driven work.
//
// Created by the composition root (in-process beside `roomplane serve`, or alone by
// `roomplane emulator`) or by tests. The clock, callback sink, request gate and metrics
// registry are injected and must outlive the Emulator.
//
// Lifecycle: construct -> (optionally add more routes to router(), e.g. add_fault_routes) ->
// start() -> ... -> stop() (also run by the destructor). The router is read-only after start().
// create_account() and tick() work with or without the server running.
//
// Thread-safety: every method is thread-safe except router() (before start() only) and
// start()/stop() (call from one owner thread, never from a handler).

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/clock.h"
#include "core/result.h"
#include "core/work_pool.h"
#include "emulator/callback_sink.h"
#include "emulator/request_gate.h"
#include "emulator/state.h"
#include "http/router.h"
#include "http/server.h"
#include "observability/log.h"
#include "observability/metrics.h"

namespace roomplane::emulator {

struct EmulatorOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8089;  // 0 = an ephemeral port (see port())
  // What `url`, `links`, paging URLs and media redirects start with; empty = "http://host:port".
  std::string public_base_url;
  std::size_t threads = 2;  // HTTP I/O threads
  std::size_t workers = 4;  // WorkPool threads running handlers (the gate may sleep in them)
  // How often the background ticker runs tick(); 0 = no ticker (tests drive tick() by hand).
  std::chrono::milliseconds ticker_interval{200};
  StateOptions state;  // seed, composition timing
};

class Emulator {
 public:
  Emulator(EmulatorOptions options, const core::Clock& clock, CallbackSink& sink, RequestGate& gate,
           observability::MetricsRegistry& metrics, observability::Logger logger);
  ~Emulator();
  Emulator(const Emulator&) = delete;
  Emulator& operator=(const Emulator&) = delete;

  // Binds the server (error "listen_failed" if the address is unusable) and starts the ticker.
  core::Status start();
  // Stops the ticker, drains the server, stops the pool. Idempotent.
  void stop();

  std::uint16_t port() const;                 // the bound port; 0 before start()
  std::string base_url() const;               // public base URL, no trailing slash
  http::Router& router() { return router_; }  // add routes before start() only
  State& state() { return state_; }
  core::WorkPool& pool() { return pool_; }

  // An account (also used by the app: a tenant without Twilio credentials gets one).
  core::Result<AccountCredentials> create_account(const NewAccount& request = {});
  // Advances everything due at clock.now().
  void tick() { state_.tick(); }

 private:
  void run_ticker();

  EmulatorOptions options_;
  observability::MetricsRegistry& metrics_;
  observability::Logger logger_;
  State state_;
  core::WorkPool pool_;
  http::Router router_;
  std::unique_ptr<http::Server> server_;

  mutable std::mutex mutex_;  // guards base_url_, stopping_
  std::string base_url_;
  bool stopping_ = false;
  std::condition_variable ticker_cv_;
  std::thread ticker_;
};

}  // namespace roomplane::emulator
