#pragma once
// The HTTP/1.1 server (Boost.Beast). `threads` I/O threads, each running its own io_context;
// a connection stays on one of them (its "strand": one thread serialises its handlers). Keep-alive,
// a body limit, a read timeout per request (header and body), a request id on every request (echoed
// as X-Request-Id), one JSON access log line per request, and per-route metrics:
//   roomplane_http_requests_total{method,route,status}
//   roomplane_http_request_duration_seconds{route} (histogram)
//   roomplane_http_connections_active (gauge)
//
// Created by the composition root. start() binds and begins accepting (port 0 picks a free
// port; port() tells which). shutdown() stops accepting, lets in-flight requests finish and
// answers them with "Connection: close", closes idle keep-alive connections, and returns when
// all connections are gone or `drain_timeout` passes (then it closes the rest).
//
// Threading: handlers run on an I/O thread (never block there; see handler.h). A Responder may
// be called from any thread, also after the connection or the whole Server is gone (the answer
// is then dropped). If every copy of a Responder is destroyed uncalled, the server answers 500.
// The Router, the MetricsRegistry and any WorkPool used by handlers must outlive the Server.
//
// Protocol details:
//  - One request at a time per connection; pipelined requests are read after the previous
//    response is written.
//  - Timeouts: a new connection must start its request within `read_timeout`; a keep-alive
//    connection may then idle for `idle_timeout` between requests. From a request's first byte,
//    `read_timeout` bounds reading the whole request, and again writing its response. Expiry
//    closes the connection without an answer.
//  - An unparseable request gets 400 "bad_request" (request line or headers), 413
//    "payload_too_large" (body over `body_limit_bytes`) or 431 "header_too_large" (over 16 KiB),
//    then the connection closes. A well-framed request whose target is not an origin-form path
//    or has malformed percent-encoding gets 400 "bad_request" and the connection stays open.
//    No route: 404 "not_found"; path known under other methods: 405 "method_not_allowed" with
//    Allow.
//  - X-Request-Id: an incoming value of 1..64 chars of [A-Za-z0-9._-] is kept, anything else is
//    replaced by a generated "req_..." id; it is set on Request::request_id and echoed on every
//    response.
//  - Response headers: the server sets Server, Content-Length, Connection and X-Request-Id and
//    ignores a handler's copies. Headers with an invalid name or CR/LF in the value are dropped
//    (and logged). Two internal headers (message.h) are stripped and go to the access log
//    instead: kTenantHeader ("X-Roomplane-Tenant") as tenant_id, kErrorDetailHeader
//    ("X-Roomplane-Error") as error.
//  - Access log: one "http_request" line per answered request with request_id, method, route,
//    status, duration_ms, remote_address and, when set, tenant_id and error; level error for
//    5xx, info otherwise. Never the target, query string, body or Authorization header.
//  - Metric labels are bounded: method is a known HTTP verb, "OTHER" (unknown verb) or
//    "UNKNOWN" (unparseable request); route is the matched pattern, "unmatched" (404/405) or
//    "invalid" (unparseable request or target). Duration runs from the request's first byte
//    until its response is ready to write.

#include <chrono>
#include <cstddef>
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
  std::size_t threads = 2;                         // I/O threads
  std::size_t body_limit_bytes = 1024 * 1024;      // larger bodies get 413
  std::chrono::milliseconds read_timeout{30000};   // per request, header and body; per write
  std::chrono::milliseconds idle_timeout{60000};   // keep-alive connection without a request
  std::chrono::milliseconds drain_timeout{10000};  // shutdown: how long in-flight may run
};

class Server {
 public:
  Server(ServerOptions options, const Router& router, observability::MetricsRegistry& metrics,
         observability::Logger logger);
  ~Server();  // calls shutdown()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the listening socket without serving: port() is then known (listen on port 0, learn
  // the port, build what needs the public URL, then start()). Connections wait in the backlog.
  // Error (code "listen_failed", message naming the address) if the address is unusable.
  // Idempotent until start().
  core::Status bind();
  // Binds if bind() was not called, and starts the I/O threads. Call once; a second call, or one
  // after shutdown(), fails.
  core::Status start();
  std::uint16_t port() const;

  // Thread-safe, idempotent. Must not be called from an I/O thread.
  void shutdown();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace roomplane::http
