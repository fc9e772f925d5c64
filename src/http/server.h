#pragma once
// The HTTP/1.1 server (Boost.Beast). One io_context run by `threads` I/O threads, one strand per
// connection. Keep-alive, a body limit, a read timeout per request (header and body), a
// request id on every request (echoed as X-Request-Id), one JSON access log line per request,
// and per-route metrics:
//   roomplane_http_requests_total{method,route,status}
//   roomplane_http_request_duration_seconds{route} (histogram)
//   roomplane_http_connections_active (gauge)
//
// Created by the composition root. start() binds and begins accepting (port 0 picks a free
// port; port() tells which). shutdown() stops accepting, lets in-flight requests finish and
// answers them with "Connection: close", closes idle keep-alive connections, and returns when
// all connections are gone or `drain_timeout` passes (then it closes the rest).

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "core/result.h"
#include "http/router.h"
#include "observability/log.h"
#include "observability/metrics.h"

namespace roomplane::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  std::size_t threads = 2;                     // I/O threads
  std::size_t body_limit_bytes = 1024 * 1024;  // larger bodies get 413
  std::chrono::milliseconds read_timeout{30000};        // per request, header and body
  std::chrono::milliseconds idle_timeout{60000};        // keep-alive connection without a request
  std::chrono::milliseconds drain_timeout{10000};       // shutdown: how long in-flight may run
};

class Server {
 public:
  Server(ServerOptions options, const Router& router, observability::MetricsRegistry& metrics,
         observability::Logger logger);
  ~Server();  // calls shutdown()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts the I/O threads. Error (code "listen_failed") if the address is unusable.
  core::Status start();
  std::uint16_t port() const;

  // Thread-safe, idempotent. Must not be called from an I/O thread.
  void shutdown();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace roomplane::http
