#pragma once
// WebSocket upgrades on the HTTP server, without Beast types. A route registered with
// Router::add_websocket() receives the upgrade request like any handler and decides through its
// WebSocketResponder: refuse with a Response (401, 404, ...), or accept with a WebSocketSession
// (the application's side of the connection). The server then completes the WebSocket
// handshake on the same socket and strand, and hands the session a WebSocket to send with.
//
// Text messages only: a binary message from the peer closes the connection with 1003.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "http/message.h"

namespace roomplane::http {

// RFC 6455 section 7.4.1 codes the server uses.
enum class CloseCode : std::uint16_t {
  kNormal = 1000,
  kGoingAway = 1001,  // server shutdown
  kUnsupportedData = 1003,
  kPolicyViolation = 1008,  // e.g. a consumer too slow for its send queue
  kTooBig = 1009,
  kInternalError = 1011,
};

// The server's side of an open WebSocket connection. Created by the server; the session gets a
// shared_ptr in on_open(). Thread-safe: send() and close() may be called from any thread, also
// after the connection ended (they then do nothing).
class WebSocket {
 public:
  virtual ~WebSocket() = default;

  enum class SendResult {
    kQueued,
    // Queueing this message would exceed WebSocketOptions::max_queue_bytes. The server has
    // dropped everything queued and is closing the connection (1008, "send queue full"),
    // preceded by WebSocketOptions::overflow_message when set.
    kQueueFull,
    kClosed,  // closing or closed; the message was dropped
  };

  // Queues one complete text message. The buffer is shared, not copied, so one serialized
  // payload can go to many connections. Never blocks. Messages queued while a write is in
  // flight are sent together as one WebSocket message (concatenated): protocols on top must
  // be self-delimiting (SignalR records are).
  virtual SendResult send(std::shared_ptr<const std::string> message) = 0;

  // Queues several messages in order, as send() would one by one, but wakes the writer once
  // after the last: when the connection is idle they leave in one write (one WebSocket message)
  // instead of the first alone and the rest behind it. A fan-out of N events to M connections
  // then costs M writes, not up to 2M. Stops at the first message not queued and returns its
  // result (kQueueFull drops what was queued with it, as send() does); kQueued otherwise,
  // also for an empty span.
  virtual SendResult send_all(std::span<const std::shared_ptr<const std::string>> messages) = 0;

  // Queues a reply to the peer's own request (a snapshot it asked for, say), which may be far
  // larger than the event stream's bound: admitted while everything queued, this included,
  // stays within WebSocketOptions::max_reply_queue_bytes. Messages sent with send() and
  // send_all() keep their own bound, max_queue_bytes, counted without the replies, so a large
  // reply neither closes the connection nor leaves it closer to being taken for a slow
  // consumer. kQueueFull (and the close) when even the reply bound would be exceeded.
  virtual SendResult send_reply(std::shared_ptr<const std::string> message) = 0;

  // Starts an orderly close: drops whatever is queued and not yet being written, sends
  // `final_message` (when not null) as the last text message, then a close frame with `code`
  // and `reason` (at most 123 bytes). If the peer does not complete the close handshake
  // within WebSocketOptions::close_timeout, the TCP connection is closed. Idempotent: the
  // first call wins.
  virtual void close(CloseCode code, std::string_view reason,
                     std::shared_ptr<const std::string> final_message = nullptr) = 0;

  // Bytes queued or in flight, for diagnostics.
  virtual std::size_t queued_bytes() const = 0;
};

// The application's side of one accepted connection. Every callback runs on the connection's
// strand (an I/O thread), one at a time, so it must not block. Created by the route's handler.
class WebSocketSession {
 public:
  virtual ~WebSocketSession() = default;

  // The WebSocket handshake succeeded. Called at most once, before any on_message().
  virtual void on_open(std::shared_ptr<WebSocket> socket) = 0;
  // One complete text message (UTF-8 validated by the server).
  virtual void on_message(std::string_view text) = 0;
  // The connection ended, for any reason (also when the handshake failed and on_open() never
  // ran). Called exactly once; no callback follows.
  virtual void on_close() = 0;
  // The server is shutting down. The default closes with 1001; a protocol with its own
  // goodbye (SignalR's Close message) overrides this and calls socket->close() itself.
  virtual void on_shutdown(WebSocket& socket) {
    socket.close(CloseCode::kGoingAway, "server shutting down");
  }
};

struct WebSocketOptions {
  std::size_t max_message_bytes = 64 * 1024;  // a larger incoming message closes with 1009
  std::size_t max_queue_bytes = 1024 * 1024;  // see WebSocket::SendResult::kQueueFull
  std::size_t max_reply_queue_bytes = 16 * 1024 * 1024;  // see WebSocket::send_reply
  std::chrono::milliseconds close_timeout{5000};         // also bounds the opening handshake
  // Sent as the last message when the send queue overflows (e.g. a protocol-level close).
  std::shared_ptr<const std::string> overflow_message;
};

struct WebSocketAccept {
  std::shared_ptr<WebSocketSession> session;
  WebSocketOptions options;
  std::string tenant_id;  // for the access log only; may be empty
};

// What the handler decides: a Response refuses the upgrade (sent as a normal HTTP answer).
using WebSocketDecision = std::variant<Response, WebSocketAccept>;
// Call exactly once, from any thread; if every copy dies uncalled, the server answers 500.
using WebSocketResponder = std::function<void(WebSocketDecision)>;
using WebSocketHandler = std::function<void(Request, WebSocketResponder)>;

}  // namespace roomplane::http
