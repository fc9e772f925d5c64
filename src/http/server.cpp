#include "http/server.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <thread>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "crypto/crypto.h"

namespace roomplane::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace websocket = boost::beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

constexpr std::string_view kServerName = "roomplane";
constexpr std::string_view kRequestIdHeader = "X-Request-Id";
constexpr std::size_t kMaxRequestIdLength = 64;
constexpr std::uint32_t kHeaderLimitBytes = 16 * 1024;  // request line + headers; larger is 431
constexpr std::size_t kReadChunkBytes = 4096;
// After an error answer that leaves request bytes unread, the server half-closes and discards
// input for at most this long before closing: closing with unread input sends a TCP reset, and
// a reset can destroy the error response in the client's buffers (RFC 9112 section 9.6).
constexpr std::chrono::milliseconds kLingerTimeout{1000};
// After the drain timeout, how long shutdown() waits for force-closed connections to unwind.
constexpr std::chrono::milliseconds kForceCloseWait{2000};
constexpr std::chrono::milliseconds kAcceptRetryDelay{50};

// Fixed route labels keep metric cardinality bounded whatever clients send.
constexpr std::string_view kRouteUnmatched = "unmatched";  // 404 and 405
constexpr std::string_view kRouteInvalid = "invalid";      // unparseable request or target

constexpr const char* kRequestsTotal = "roomplane_http_requests_total";
constexpr const char* kRequestDuration = "roomplane_http_request_duration_seconds";
constexpr const char* kConnectionsActive = "roomplane_http_connections_active";
constexpr const char* kWebSocketsActive = "roomplane_websocket_connections_active";
// RFC 6455 caps a close reason at 123 bytes (125 minus the code).
constexpr std::size_t kMaxCloseReasonBytes = 123;
// A read buffer that grew for one large message is released afterwards, so an idle
// connection costs little memory.
constexpr std::size_t kReadBufferKeepBytes = 8 * 1024;

// Beast 1.74 speaks boost::string_view.
beast::string_view to_beast(std::string_view text) {
  return {text.data(), text.size()};
}
std::string_view to_std(beast::string_view text) {
  return {text.data(), text.size()};
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && !CaseInsensitiveLess{}(a, b) && !CaseInsensitiveLess{}(b, a);
}

bool is_request_id_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

// Generated request ids: "req_", a random prefix per server, then a counter, 24 characters in
// all. Unique within the process and, by the prefix, across instances; they label log lines and
// are not secrets. One atomic increment per request: drawing them from the CSPRNG cost a getpid()
// syscall (OpenSSL's fork check) and a lock per request, about 3% of a trivial request's CPU.
class RequestIds {
 public:
  RequestIds() : prefix_(crypto::random_token("req_", 8)) {}

  std::string next() {
    static constexpr std::string_view kAlphabet = "abcdefghijklmnopqrstuvwxyz234567";
    constexpr std::size_t kCounterChars = 12;  // 60 bits: never wraps
    auto n = counter_.fetch_add(1, std::memory_order_relaxed);
    std::string id = prefix_;
    id.resize(prefix_.size() + kCounterChars);
    for (std::size_t i = kCounterChars; i > 0; --i) {
      id[prefix_.size() + i - 1] = kAlphabet[n & 31];
      n >>= 5;
    }
    return id;
  }

 private:
  const std::string prefix_;
  std::atomic<std::uint64_t> counter_{0};
};

// A client-chosen id is kept only when it cannot break a log line or a header.
std::string choose_request_id(std::string_view incoming, RequestIds& ids) {
  if (!incoming.empty() && incoming.size() <= kMaxRequestIdLength &&
      std::all_of(incoming.begin(), incoming.end(), is_request_id_char)) {
    return std::string(incoming);
  }
  return ids.next();
}

// Beast knows a fixed set of verbs; anything else is one label so clients cannot grow the
// metric families.
std::string method_label(bhttp::verb verb) {
  if (verb == bhttp::verb::unknown)
    return "OTHER";
  return std::string(bhttp::to_string(verb));
}

bool is_token_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Handlers may copy client input into header values; CR or LF there would split the response.
bool valid_header(std::string_view name, std::string_view value) {
  return !name.empty() && std::all_of(name.begin(), name.end(), is_token_char) &&
         value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

// Framing and identity headers belong to the server; a handler's copy is ignored.
bool server_owned_header(std::string_view name) {
  return iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding") ||
         iequals(name, "Connection") || iequals(name, "Server") || iequals(name, kRequestIdHeader);
}

std::string format_endpoint(const net::ip::address& address, std::uint16_t port) {
  const std::string host = address.to_string();
  return (address.is_v6() ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

// The 500 the server itself produces; like blocking(), it keeps the detail for the log only.
Response internal_error(std::string_view request_id, std::string detail) {
  auto response = Response::error(
      500, "internal", "internal error, see logs with request id " + std::string(request_id));
  response.headers.emplace_back(std::string(kErrorDetailHeader), std::move(detail));
  return response;
}

bool is_parse_error(const beast::error_code& ec) {
  static const auto& http_category = bhttp::make_error_code(bhttp::error::bad_target).category();
  // end_of_stream and partial_message mean the peer closed; the rest are malformed input.
  return ec.category() == http_category && ec != bhttp::error::end_of_stream &&
         ec != bhttp::error::partial_message;
}

struct TargetParts {
  std::string path;
  std::string_view raw_path;
  std::map<std::string, std::string> query;
};

// Splits an origin-form target ("/path?query"). nullopt with a client-facing reason when the
// target is not origin-form or its percent-encoding is malformed.
std::optional<TargetParts> parse_target(std::string_view target, std::string& reason) {
  const auto question = target.find('?');
  TargetParts parts;
  parts.raw_path = target.substr(0, question);
  if (parts.raw_path.empty() || parts.raw_path.front() != '/') {
    reason = "request target must be an absolute path";
    return std::nullopt;
  }
  auto path = percent_decode(parts.raw_path);
  if (!path) {
    reason = "invalid percent-encoding in the path";
    return std::nullopt;
  }
  parts.path = std::move(*path);
  if (question == std::string_view::npos)
    return parts;

  std::string_view query = target.substr(question + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty())
      continue;
    const auto equals = pair.find('=');
    auto key = percent_decode(pair.substr(0, equals), /*plus_is_space=*/true);
    auto value = equals == std::string_view::npos
                     ? std::optional<std::string>(std::string())
                     : percent_decode(pair.substr(equals + 1), /*plus_is_space=*/true);
    if (!key || !value) {
      reason = "invalid percent-encoding in the query";
      return std::nullopt;
    }
    parts.query.insert_or_assign(std::move(*key), std::move(*value));  // last value wins
  }
  return parts;
}

// Lets threads outside the server (WorkPool threads holding a Responder) post into the
// io_context only while it exists: shutdown() closes the gate after joining the I/O threads.
struct Gate {
  std::mutex mutex;
  bool open = true;
};

class Session;
class WsConnection;

// What the access log and the metrics need about one answered request.
struct AccessRecord {
  std::string_view request_id;
  std::string_view method;
  std::string_view route;
  unsigned status = 0;
  double duration_seconds = 0;
  std::string_view remote_address;
  std::string_view tenant_id;
  std::string_view error;
};

// Everything the server shares with its sessions. Owned by Server::Impl; sessions keep a
// reference, which is safe because the io_context (and so every session) dies with it.
class ServerCore {
 public:
  ServerCore(ServerOptions options, const Router& router, observability::MetricsRegistry& metrics,
             observability::Logger logger);

  core::Status bind();
  core::Status start();
  std::uint16_t port() const { return port_.load(std::memory_order_acquire); }
  void shutdown();

  // For sessions.
  const ServerOptions& options() const { return options_; }
  const Router& router() const { return router_; }
  const observability::Logger& logger() const { return logger_; }
  const std::shared_ptr<Gate>& gate() const { return gate_; }
  RequestIds& request_ids() { return request_ids_; }
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }
  void unregister_session(const Session* session);
  // A TCP connection that became a WebSocket. False when the server is stopping (the caller
  // then closes it).
  bool register_websocket(const std::shared_ptr<WsConnection>& connection);
  void unregister_websocket(const WsConnection* connection);
  void record(const AccessRecord& record);
  struct RequestMetrics {
    observability::Counter* requests;
    observability::Histogram* duration;
  };
  RequestMetrics request_metrics(const AccessRecord& record);

 private:
  enum class Phase { kNew, kBound, kRunning, kStopped };

  core::Status bind_locked();  // callers hold lifecycle_mutex_

  void do_accept();
  void on_accept(beast::error_code ec, tcp::socket socket);
  bool register_session(const std::shared_ptr<Session>& session);
  void run_io(net::io_context& context);
  static std::vector<std::unique_ptr<net::io_context>> make_contexts(std::size_t count) {
    std::vector<std::unique_ptr<net::io_context>> contexts;
    contexts.reserve(count);
    for (std::size_t i = 0; i < count; ++i)
      contexts.push_back(std::make_unique<net::io_context>(1));
    return contexts;
  }
  std::vector<std::shared_ptr<Session>> snapshot_sessions();         // callers hold mutex_
  std::vector<std::shared_ptr<WsConnection>> snapshot_websockets();  // callers hold mutex_
  bool all_closed() const { return sessions_.empty() && websockets_.empty(); }  // hold mutex_

  const ServerOptions options_;
  const Router& router_;
  observability::MetricsRegistry& metrics_;
  const observability::Logger logger_;
  observability::Gauge& connections_active_;
  observability::Gauge& websockets_active_;

  // Declared first so they are destroyed last: sockets, timers and queued handlers need them.
  // One io_context per I/O thread, each run by that thread alone (concurrency hint 1): a
  // connection lives on one context for its whole life, so threads never contend for a shared
  // scheduler queue (measured: two threads on one context served no more than one thread).
  std::vector<std::unique_ptr<net::io_context>> contexts_;
  std::vector<net::executor_work_guard<net::io_context::executor_type>> work_;
  std::size_t next_context_ = 0;    // round robin for accepted sockets; acceptor strand only
  tcp::acceptor acceptor_;          // runs on its own strand
  net::steady_timer accept_retry_;  // same strand
  std::vector<std::thread> threads_;
  std::shared_ptr<Gate> gate_ = std::make_shared<Gate>();
  RequestIds request_ids_;
  std::atomic<std::uint16_t> port_{0};
  std::atomic<bool> stopping_{false};

  std::mutex lifecycle_mutex_;  // serialises start() and shutdown()
  // (method, route pattern, status) -> its metrics; bounded by the routes and statuses used.
  std::shared_mutex request_metrics_mutex_;
  std::unordered_map<std::string, RequestMetrics> request_metrics_;
  Phase phase_ = Phase::kNew;

  std::mutex mutex_;  // guards sessions_
  std::condition_variable sessions_changed_;
  // Owning references: a session waiting on a WorkPool thread has no pending I/O operation to
  // keep it alive, so the server does. Removed when the session finishes.
  std::unordered_map<const Session*, std::shared_ptr<Session>> sessions_;
  // Upgraded connections, owned the same way (their I/O objects must die with the io_context).
  std::unordered_map<const WsConnection*, std::shared_ptr<WsConnection>> websockets_;
};

// The per-request state behind a Responder. Shared by the Responder's copies; the first call
// wins, later calls are ignored. If the last copy dies uncalled (a buggy handler, or a WorkPool
// that dropped the task during shutdown), it answers 500 so the client is not left waiting.
class Exchange {
 public:
  Exchange(std::weak_ptr<Session> session, std::shared_ptr<Gate> gate, std::uint64_t sequence,
           std::string request_id)
      : session_(std::move(session)),
        gate_(std::move(gate)),
        sequence_(sequence),
        request_id_(std::move(request_id)) {}
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;
  ~Exchange();

  void deliver(WebSocketDecision decision);  // any thread; a Response for plain routes

  // While the session's own thread runs the handler (between these two calls), an answer given
  // on that thread is kept here instead of posted: the session takes it when the handler
  // returns. Inline handlers (health, cached tokens, cached webhook verification) thus skip the
  // gate's lock, a post and its allocation. Answers from any other thread are posted as usual.
  void begin_inline() {
    inline_thread_.store(std::this_thread::get_id(), std::memory_order_release);
  }
  std::optional<WebSocketDecision> end_inline() {
    inline_thread_.store(std::thread::id(), std::memory_order_release);
    return std::exchange(inline_answer_, std::nullopt);
  }

 private:
  std::weak_ptr<Session> session_;
  std::shared_ptr<Gate> gate_;
  const std::uint64_t sequence_;
  const std::string request_id_;
  std::atomic<bool> answered_{false};
  std::atomic<std::thread::id> inline_thread_{};
  std::optional<WebSocketDecision> inline_answer_;  // written and read on inline_thread_ only
};

// What the access log needs about an upgrade; written once the WebSocket handshake ends.
struct UpgradeLog {
  std::string request_id;
  std::string route;
  std::string remote_address;
  SteadyClock::time_point started;
  std::string tenant_id;
};

// The thread-safe half of a WebSocket connection, handed to the application as its WebSocket.
// It holds the send queue and the close request but no I/O object, so the application may keep
// it for as long as it likes (also after the Server is gone): it reaches the connection only
// through a weak pointer, and posts only while the Gate is open.
class WsOutbox final : public WebSocket {
 public:
  WsOutbox(std::shared_ptr<Gate> gate, std::size_t max_queue_bytes,
           std::size_t max_reply_queue_bytes, std::shared_ptr<const std::string> overflow_message)
      : gate_(std::move(gate)),
        max_queue_bytes_(max_queue_bytes),
        max_reply_queue_bytes_(std::max(max_reply_queue_bytes, max_queue_bytes)),
        overflow_message_(std::move(overflow_message)) {}

  void attach(std::weak_ptr<WsConnection> connection) { connection_ = std::move(connection); }

  SendResult send(std::shared_ptr<const std::string> message) override {
    return send_all(std::span(&message, 1));
  }
  SendResult send_all(std::span<const std::shared_ptr<const std::string>> messages) override {
    return enqueue(messages, /*reply=*/false);
  }
  SendResult send_reply(std::shared_ptr<const std::string> message) override {
    return enqueue(std::span(&message, 1), /*reply=*/true);
  }
  void close(CloseCode code, std::string_view reason,
             std::shared_ptr<const std::string> final_message) override;
  std::size_t queued_bytes() const override {
    std::lock_guard lock(mutex_);
    return pending_bytes_ + inflight_bytes_;
  }

  // --- For the connection's strand ---

  struct Batch {
    std::vector<std::shared_ptr<const std::string>> messages;
    std::size_t bytes = 0;
    bool close_now = false;  // nothing left to write and a close was requested
    CloseCode code = CloseCode::kNormal;
    std::string reason;
  };
  // Takes everything queued. When nothing is, the writer goes idle (the next send() wakes it),
  // or, once a close was requested, it is told to close.
  Batch take() {
    std::lock_guard lock(mutex_);
    Batch batch;
    if (!pending_.empty()) {
      batch.messages.swap(pending_);
      batch.bytes = pending_bytes_;
      inflight_bytes_ = pending_bytes_;
      pending_bytes_ = 0;
      inflight_reply_bytes_ = pending_reply_bytes_;
      pending_reply_bytes_ = 0;
      return batch;
    }
    writing_ = false;
    if (closing_ && !close_started_) {
      close_started_ = true;
      batch.close_now = true;
      batch.code = close_code_;
      batch.reason = close_reason_;
    }
    return batch;
  }
  void written() {
    std::lock_guard lock(mutex_);
    inflight_bytes_ = 0;
    inflight_reply_bytes_ = 0;
  }
  // The handshake completed. True when the caller should start writing now.
  bool open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    return claim_writer_locked();
  }
  // True when the caller should start writing now (a close needs the writer to run).
  bool wake() {
    std::lock_guard lock(mutex_);
    return open_ && claim_writer_locked();
  }
  void end() {
    std::lock_guard lock(mutex_);
    ended_ = true;
    pending_.clear();
    pending_bytes_ = 0;
    pending_reply_bytes_ = 0;
  }

 private:
  bool claim_writer_locked() {
    if (writing_ || (pending_.empty() && !closing_))
      return false;
    writing_ = true;
    return true;
  }
  void request_close_locked(CloseCode code, std::string_view reason,
                            std::shared_ptr<const std::string> final_message) {
    closing_ = true;
    pending_.clear();
    pending_bytes_ = 0;
    pending_reply_bytes_ = 0;
    if (final_message)
      pending_.push_back(std::move(final_message));
    close_code_ = code;
    close_reason_ = std::string(reason.substr(0, kMaxCloseReasonBytes));
  }
  // send_all() and send_reply(): queues in order, or closes the connection at the first message
  // over its bound (dropping the rest).
  SendResult enqueue(std::span<const std::shared_ptr<const std::string>> messages, bool reply);
  // Whether `message_bytes` more would pass the bound: a reply counts everything queued or in
  // flight against max_reply_queue_bytes_, an event everything but the replies against
  // max_queue_bytes_.
  bool overflows_locked(std::size_t message_bytes, bool reply) const {
    const std::size_t queued = pending_bytes_ + inflight_bytes_;
    if (reply)
      return queued + message_bytes > max_reply_queue_bytes_;
    const std::size_t replies = pending_reply_bytes_ + inflight_reply_bytes_;
    return queued - replies + message_bytes > max_queue_bytes_;
  }

  // Posts fn to the connection's strand, if both still exist.
  template <class Fn>
  void post_to_connection(Fn fn);

  const std::shared_ptr<Gate> gate_;
  const std::size_t max_queue_bytes_;
  const std::size_t max_reply_queue_bytes_;
  const std::shared_ptr<const std::string> overflow_message_;
  std::weak_ptr<WsConnection> connection_;

  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<const std::string>> pending_;
  std::size_t pending_bytes_ = 0;
  std::size_t inflight_bytes_ = 0;
  // Of those, bytes queued with send_reply(): not counted against max_queue_bytes_.
  std::size_t pending_reply_bytes_ = 0;
  std::size_t inflight_reply_bytes_ = 0;
  bool open_ = false;     // handshake done: writes may start
  bool writing_ = false;  // a write is posted or in flight: send() need not wake the writer
  bool closing_ = false;
  bool close_started_ = false;
  bool ended_ = false;
  CloseCode close_code_ = CloseCode::kNormal;
  std::string close_reason_;
};

// The I/O half of an upgraded connection. Created by Session::hand_off on the connection's
// strand; every member function runs on that strand. Reads one message at a time and gives it
// to the application's session; writes whatever the outbox holds, all queued messages at once
// as one WebSocket message (a gather write: the shared payloads are not copied). Pending
// operations hold shared_from_this(); ServerCore holds another reference until finish().
class WsConnection : public std::enable_shared_from_this<WsConnection> {
 public:
  WsConnection(beast::tcp_stream&& stream, bhttp::request<bhttp::string_body>&& upgrade,
               WebSocketAccept&& accept, ServerCore& core, UpgradeLog log)
      : core_(core),
        ws_(std::move(stream)),
        upgrade_(std::move(upgrade)),
        session_(std::move(accept.session)),
        options_(std::move(accept.options)),
        log_(std::move(log)),
        outbox_(std::make_shared<WsOutbox>(core.gate(), options_.max_queue_bytes,
                                           options_.max_reply_queue_bytes,
                                           options_.overflow_message)),
        close_deadline_(ws_.get_executor()) {
    log_.tenant_id = std::move(accept.tenant_id);
  }

  void start() {
    outbox_->attach(weak_from_this());
    // The WebSocket layer keeps its own timers; the HTTP-phase expiry must not fire under it.
    beast::get_lowest_layer(ws_).expires_never();
    // Server messages are small and written as they happen (hub events). With Nagle's algorithm
    // one written while the previous is unacknowledged waits for that ACK, which a peer that
    // only reads sends delayed (up to 40 ms on Linux), so that wait would land on every
    // delivery behind it. Measured with bench/hub.sh (100 clients, 2,000 events/s): delivery
    // p50 8.5 -> 2.5 ms, p99 34-49 -> 11-13 ms.
    beast::error_code nodelay_error;
    beast::get_lowest_layer(ws_).socket().set_option(tcp::no_delay(true), nodelay_error);
    ws_.set_option(websocket::stream_base::timeout{options_.close_timeout,
                                                   websocket::stream_base::none(), false});
    ws_.set_option(websocket::stream_base::decorator(
        [request_id = log_.request_id](websocket::response_type& response) {
          response.set(bhttp::field::server, to_beast(kServerName));
          response.set(to_beast(kRequestIdHeader), request_id);
        }));
    ws_.read_message_max(options_.max_message_bytes);
    ws_.auto_fragment(false);
    ws_.text(true);
    ws_.async_accept(upgrade_,
                     beast::bind_front_handler(&WsConnection::on_accept, shared_from_this()));
  }

  // Registration failed (the server is stopping): drop the connection.
  void abandon() {
    done_ = true;
    outbox_->end();
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
    notify_closed();
  }

  void begin_shutdown() { post_self(&WsConnection::on_shutdown); }
  void force_close() { post_self(&WsConnection::finish); }
  void post_write() { post_self(&WsConnection::write_next); }
  void post_close_requested() { post_self(&WsConnection::on_close_requested); }
  net::any_io_executor executor() { return ws_.get_executor(); }

 private:
  void post_self(void (WsConnection::*fn)()) {
    net::post(ws_.get_executor(), beast::bind_front_handler(fn, shared_from_this()));
  }

  void on_accept(beast::error_code ec) {
    const double seconds = std::chrono::duration<double>(SteadyClock::now() - log_.started).count();
    const std::string error = ec ? "websocket handshake failed: " + ec.message() : std::string();
    core_.record({log_.request_id, "GET", log_.route, ec ? 400u : 101u, seconds,
                  log_.remote_address, log_.tenant_id, error});
    upgrade_ = {};  // no longer needed; frees the headers
    if (done_)
      return;
    if (ec)
      return finish();
    opened_ = true;
    guarded([&] { session_->on_open(outbox_); });
    if (done_)
      return;
    read_next();
    if (outbox_->open())
      write_next();
  }

  void read_next() {
    ws_.async_read(read_buffer_,
                   beast::bind_front_handler(&WsConnection::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t /*bytes*/) {
    if (done_)
      return;
    if (ec)
      return finish();  // peer closed (the close handshake is done), timeout, or I/O error
    if (!ws_.got_text()) {
      outbox_->close(CloseCode::kUnsupportedData, "binary messages are not supported", nullptr);
    } else if (!closing_requested_) {
      const auto data = read_buffer_.cdata();
      const std::string_view text(static_cast<const char*>(data.data()), data.size());
      guarded([&] { session_->on_message(text); });
    }
    read_buffer_.consume(read_buffer_.size());
    if (read_buffer_.capacity() > kReadBufferKeepBytes)
      read_buffer_.shrink_to_fit();
    if (!done_)
      read_next();  // also while closing: the peer's close frame arrives through a read
  }

  void write_next() {
    if (done_)
      return;
    auto batch = outbox_->take();
    if (batch.close_now) {
      ws_.async_close(websocket::close_reason(static_cast<websocket::close_code>(batch.code),
                                              beast::string_view(batch.reason)),
                      beast::bind_front_handler(&WsConnection::on_closed, shared_from_this()));
      return;
    }
    if (batch.messages.empty())
      return;
    writing_ = std::move(batch.messages);
    buffers_.clear();
    buffers_.reserve(writing_.size());
    for (const auto& message : writing_)
      buffers_.emplace_back(message->data(), message->size());
    ws_.async_write(buffers_,
                    beast::bind_front_handler(&WsConnection::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t /*bytes*/) {
    writing_.clear();
    buffers_.clear();
    outbox_->written();
    if (done_)
      return;
    if (ec)
      return finish();
    write_next();
  }

  void on_closed(beast::error_code /*ec*/) { finish(); }

  // A close was requested (any thread posted this). The peer gets close_timeout to complete
  // the close handshake, counted from now: a peer that stopped reading never receives the
  // close frame, so only the deadline ends such a connection.
  void on_close_requested() {
    if (done_ || closing_requested_)
      return;
    closing_requested_ = true;
    close_deadline_.expires_after(options_.close_timeout);
    close_deadline_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec)
        self->finish();
    });
    if (outbox_->wake())
      write_next();
  }

  void on_shutdown() {
    if (done_)
      return;
    if (opened_ && session_) {
      guarded([&] { session_->on_shutdown(*outbox_); });
    } else {
      outbox_->close(CloseCode::kGoingAway, "server shutting down", nullptr);
    }
  }

  void finish() {
    if (done_)
      return;
    done_ = true;
    const auto self = shared_from_this();  // unregister_websocket drops ServerCore's reference
    outbox_->end();
    close_deadline_.cancel();
    beast::error_code ignored;
    auto& socket = beast::get_lowest_layer(ws_).socket();
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);  // pending operations complete with operation_aborted
    notify_closed();
    core_.unregister_websocket(this);
  }

  void notify_closed() {
    auto session = std::move(session_);
    if (!session)
      return;
    try {
      session->on_close();
    } catch (const std::exception& e) {
      core_.logger().error("websocket_session_exception",
                           {{"request_id", log_.request_id}, {"error", e.what()}});
    } catch (...) {
      core_.logger().error("websocket_session_exception", {{"request_id", log_.request_id}});
    }
  }

  // An exception from application code must not unwind into the io_context: it is logged and
  // the connection closes with 1011.
  template <class Fn>
  void guarded(Fn&& fn) {
    try {
      fn();
    } catch (const std::exception& e) {
      core_.logger().error("websocket_session_exception",
                           {{"request_id", log_.request_id}, {"error", e.what()}});
      outbox_->close(CloseCode::kInternalError, "internal error", nullptr);
    } catch (...) {
      core_.logger().error("websocket_session_exception", {{"request_id", log_.request_id}});
      outbox_->close(CloseCode::kInternalError, "internal error", nullptr);
    }
  }

  ServerCore& core_;
  websocket::stream<beast::tcp_stream> ws_;
  bhttp::request<bhttp::string_body> upgrade_;  // read by async_accept, then cleared
  std::shared_ptr<WebSocketSession> session_;   // released in finish(): breaks the cycle
  const WebSocketOptions options_;
  UpgradeLog log_;
  const std::shared_ptr<WsOutbox> outbox_;
  beast::flat_buffer read_buffer_;
  net::steady_timer close_deadline_;                         // armed only once a close is requested
  std::vector<std::shared_ptr<const std::string>> writing_;  // the batch being written
  std::vector<net::const_buffer> buffers_;                   // views of writing_
  bool opened_ = false;
  bool closing_requested_ = false;
  bool done_ = false;
};

WebSocket::SendResult WsOutbox::enqueue(
    std::span<const std::shared_ptr<const std::string>> messages, bool reply) {
  bool wake = false;
  bool overflow = false;
  {
    std::lock_guard lock(mutex_);
    if (closing_ || ended_)
      return SendResult::kClosed;
    for (const auto& message : messages) {
      if (overflows_locked(message->size(), reply)) {
        request_close_locked(CloseCode::kPolicyViolation, "send queue full", overflow_message_);
        overflow = true;
        break;
      }
      pending_bytes_ += message->size();
      if (reply)
        pending_reply_bytes_ += message->size();
      pending_.push_back(message);
    }
    wake = !overflow && open_ && claim_writer_locked();
  }
  if (overflow) {
    post_to_connection([](WsConnection& connection) { connection.post_close_requested(); });
    return SendResult::kQueueFull;
  }
  if (wake)
    post_to_connection([](WsConnection& connection) { connection.post_write(); });
  return SendResult::kQueued;
}

void WsOutbox::close(CloseCode code, std::string_view reason,
                     std::shared_ptr<const std::string> final_message) {
  {
    std::lock_guard lock(mutex_);
    if (closing_ || ended_)
      return;
    request_close_locked(code, reason, std::move(final_message));
  }
  post_to_connection([](WsConnection& connection) { connection.post_close_requested(); });
}

template <class Fn>
void WsOutbox::post_to_connection(Fn fn) {
  // Under the gate lock: once shutdown() has closed the gate the io_context may be gone, and a
  // strong reference taken here must end up in a posted handler, never dropped outside it.
  std::lock_guard lock(gate_->mutex);
  if (!gate_->open)
    return;
  if (auto connection = connection_.lock())
    fn(*connection);
}

// One TCP connection. Created by the accept loop; every member function below runs on the one
// thread of the connection's io_context (an implicit strand) except start(), begin_shutdown() and
// force_close(), which post to it.
// Requests are served one at a time (no pipelined responses in flight): read, handle, write,
// then read the next. Pending operations hold shared_from_this(); ServerCore holds another
// reference until finish().
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, ServerCore& core)
      : core_(core), stream_(std::move(socket)), executor_(stream_.get_executor()) {
    beast::error_code ec;
    const auto remote = stream_.socket().remote_endpoint(ec);
    if (!ec)
      remote_address_ = remote.address().to_string();
  }

  void start() { post_self(&Session::wait_for_request); }
  void begin_shutdown() { post_self(&Session::on_shutdown); }
  void force_close() { post_self(&Session::finish); }

  // Posted by Exchange::deliver. `sequence` tells a late answer for an earlier request (or for
  // a connection already closed) from the current one.
  void deliver(std::uint64_t sequence, WebSocketDecision decision) {
    if (state_ != State::kHandling || sequence != sequence_)
      return;
    if (auto* response = std::get_if<Response>(&decision)) {
      upgrade_request_.reset();
      return send(std::move(*response));
    }
    auto& accept = std::get<WebSocketAccept>(decision);
    if (!upgrade_request_ || !accept.session) {
      upgrade_request_.reset();
      return send(internal_error(current_.request_id,
                                 "handler accepted a WebSocket without an upgrade or a session"));
    }
    if (core_.stopping()) {
      upgrade_request_.reset();
      return send(Response::error(503, "unavailable", "server is shutting down"));
    }
    hand_off(std::move(accept));
  }

  // Stays valid after the stream moved to a WebSocket (hand_off).
  net::any_io_executor executor() { return executor_; }

 private:
  enum class State { kIdle, kReading, kHandling, kWriting, kClosing, kDone };

  // The request being answered, for the response and the access log.
  struct Current {
    std::string request_id;
    std::string method = "UNKNOWN";
    std::string route;
    unsigned version = 11;
    bool keep_alive = false;
    bool linger = false;  // unread request bytes may remain; see kLingerTimeout
    SteadyClock::time_point started;
  };

  void post_self(void (Session::*fn)()) {
    net::post(stream_.get_executor(), beast::bind_front_handler(fn, shared_from_this()));
  }

  // Waits for the first byte of the next request. The connection is idle until then, so the
  // idle timeout applies (the read timeout on a fresh connection: a client that connects has
  // no reason to wait); the read timeout starts with the first byte.
  void wait_for_request() {
    if (state_ == State::kDone)
      return;
    if (core_.stopping())
      return finish();
    state_ = State::kIdle;
    if (buffer_.size() > 0)
      return read_request();  // a pipelined request is already here
    stream_.expires_after(first_request_ ? core_.options().read_timeout
                                         : core_.options().idle_timeout);
    stream_.async_read_some(
        buffer_.prepare(kReadChunkBytes),
        beast::bind_front_handler(&Session::on_first_bytes, shared_from_this()));
  }

  void on_first_bytes(beast::error_code ec, std::size_t bytes) {
    if (state_ != State::kIdle)
      return;
    if (ec)
      return finish();  // end of stream, idle timeout, reset, or shutdown's cancel
    buffer_.commit(bytes);
    read_request();
  }

  void read_request() {
    state_ = State::kReading;
    read_started_ = SteadyClock::now();
    parser_.emplace();
    parser_->header_limit(kHeaderLimitBytes);
    parser_->body_limit(core_.options().body_limit_bytes);
    stream_.expires_after(core_.options().read_timeout);
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t /*bytes*/) {
    if (state_ != State::kReading)
      return;
    if (!ec)
      return handle(parser_->release());
    if (is_parse_error(ec))
      return answer_unreadable(ec);
    finish();  // the peer went away or was too slow: nobody to answer
  }

  // A request Beast could not parse: answer once, then close, since the stream position is lost.
  void answer_unreadable(beast::error_code ec) {
    state_ = State::kHandling;
    ++sequence_;
    current_ = Current{};
    current_.started = read_started_;
    current_.route = kRouteInvalid;
    current_.linger = true;
    std::string_view incoming_id;
    if (parser_ && parser_->is_header_done()) {
      const auto& header = parser_->get();
      incoming_id = to_std(header[to_beast(kRequestIdHeader)]);
      current_.method = method_label(header.method());
      current_.version = header.version();
    }
    current_.request_id = choose_request_id(incoming_id, core_.request_ids());
    if (ec == bhttp::error::body_limit) {
      send(Response::error(
          413, "payload_too_large",
          "request body exceeds " + std::to_string(core_.options().body_limit_bytes) + " bytes"));
    } else if (ec == bhttp::error::header_limit) {
      send(Response::error(431, "header_too_large", "request headers are too large"));
    } else {
      send(Response::error(400, "bad_request", "malformed HTTP request"));
    }
  }

  void handle(bhttp::request<bhttp::string_body>&& message) {
    state_ = State::kHandling;
    ++sequence_;
    current_ = Current{};
    current_.started = read_started_;
    current_.method = method_label(message.method());
    current_.version = message.version();
    current_.keep_alive = message.keep_alive();
    current_.request_id =
        choose_request_id(to_std(message[to_beast(kRequestIdHeader)]), core_.request_ids());

    const bool upgrade = websocket::is_upgrade(message);
    Request request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    request.request_id = current_.request_id;
    request.remote_address = remote_address_;
    for (const auto& field : message) {
      // Repeated headers are joined as one comma-separated list (RFC 9110 section 5.3).
      auto [it, inserted] =
          request.headers.try_emplace(std::string(field.name_string()), std::string(field.value()));
      if (!inserted)
        (it->second += ", ").append(field.value().data(), field.value().size());
    }
    request.body = std::move(message.body());

    std::string reason;
    auto target = parse_target(request.target, reason);
    if (!target) {
      current_.route = kRouteInvalid;
      return send(Response::error(400, "bad_request", reason));
    }
    request.path = std::move(target->path);
    request.query = std::move(target->query);

    if (upgrade) {
      auto ws_match = core_.router().match_websocket(target->raw_path);
      if (ws_match.handler != nullptr) {
        current_.route = ws_match.pattern;
        request.route = std::move(ws_match.pattern);
        request.path_params = std::move(ws_match.params);
        upgrade_request_.emplace(std::move(message));
        return dispatch(*ws_match.handler, std::move(request));
      }
    }

    auto match = core_.router().match(request.method, target->raw_path);
    if (match.handler == nullptr) {
      current_.route = kRouteUnmatched;
      if (auto ws_match = core_.router().match_websocket(target->raw_path); ws_match.handler) {
        current_.route = ws_match.pattern;
        if (request.method != "GET") {
          auto response = Response::error(405, "method_not_allowed",
                                          "method not allowed for this path; allowed: GET");
          response.headers.emplace_back("Allow", "GET");
          return send(std::move(response));
        }
        return send(Response::error(400, "websocket_upgrade_required",
                                    "this path accepts WebSocket upgrades only"));
      }
      if (match.allowed_methods.empty()) {
        return send(Response::error(404, "not_found", "no route matches this path"));
      }
      std::string allow;
      for (const auto& method : match.allowed_methods) {
        allow += (allow.empty() ? "" : ", ") + method;
      }
      auto response = Response::error(405, "method_not_allowed",
                                      "method not allowed for this path; allowed: " + allow);
      response.headers.emplace_back("Allow", std::move(allow));
      return send(std::move(response));
    }
    current_.route = match.pattern;
    request.route = std::move(match.pattern);
    request.path_params = std::move(match.params);
    dispatch(*match.handler, std::move(request));
  }

  // Calls a plain or WebSocket handler with a responder bound to this request.
  template <class AnyHandler>
  void dispatch(const AnyHandler& handler, Request request) {
    auto exchange =
        std::make_shared<Exchange>(weak_from_this(), core_.gate(), sequence_, current_.request_id);
    const auto sequence = sequence_;
    exchange->begin_inline();
    try {
      if constexpr (std::is_same_v<AnyHandler, WebSocketHandler>) {
        handler(std::move(request),
                [exchange](WebSocketDecision decision) { exchange->deliver(std::move(decision)); });
      } else {
        handler(std::move(request),
                [exchange](Response response) { exchange->deliver(std::move(response)); });
      }
    } catch (const std::exception& e) {
      // Handlers from inline_handler()/blocking() never throw; a hand-written one might, and an
      // exception must not unwind into the io_context.
      exchange->deliver(
          internal_error(current_.request_id, std::string("handler threw: ") + e.what()));
    } catch (...) {
      exchange->deliver(
          internal_error(current_.request_id, "handler threw a non-standard exception"));
    }
    if (auto answer = exchange->end_inline())
      deliver(sequence, std::move(*answer));
  }

  void send(Response response) {
    state_ = State::kWriting;
    std::string tenant_id;
    std::string error_detail;
    if (response.status < 200 || response.status > 599) {
      response = internal_error(current_.request_id, "handler returned invalid status " +
                                                         std::to_string(response.status));
    }

    // The head is written as text here rather than through Beast's response type and
    // serializer: the same bytes (status line, fields, Connection as keep_alive() sets it,
    // Content-Length as prepare_payload() sets it), at a tenth of a token request's instructions
    // less. Field values were validated above or come from the server itself.
    const bool bodiless = response.status == 204 || response.status == 304;
    std::string_view content_type;
    if (!response.content_type.empty() && !bodiless)
      content_type = response.content_type;
    std::string extra_fields;
    for (auto& [name, value] : response.headers) {
      if (iequals(name, kTenantHeader)) {
        tenant_id = std::move(value);
      } else if (iequals(name, kErrorDetailHeader)) {
        error_detail = std::move(value);
      } else if (server_owned_header(name)) {
        continue;
      } else if (!valid_header(name, value)) {
        core_.logger().warn("http_invalid_response_header",
                            {{"request_id", current_.request_id}, {"route", current_.route}});
      } else if (iequals(name, "Content-Type")) {
        content_type = value;
      } else {
        append_field(extra_fields, name, value);
      }
    }
    const bool keep_alive = current_.keep_alive && !core_.stopping();
    const unsigned version = current_.version == 10 ? 10 : 11;

    head_.clear();
    head_ += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
    head_ += std::to_string(response.status);
    head_ += ' ';
    const auto reason = bhttp::obsolete_reason(bhttp::int_to_status(response.status));
    head_.append(reason.data(), reason.size());
    head_ += "\r\n";
    append_field(head_, "Server", kServerName);
    append_field(head_, kRequestIdHeader, current_.request_id);
    if (!content_type.empty())
      append_field(head_, "Content-Type", content_type);
    head_ += extra_fields;
    if (version == 11 && !keep_alive)
      append_field(head_, "Connection", "close");
    else if (version == 10 && keep_alive)
      append_field(head_, "Connection", "keep-alive");
    if (!bodiless) {
      body_ = std::move(response.body);
      append_field(head_, "Content-Length", std::to_string(body_.size()));
    } else {
      body_.clear();
    }
    head_ += "\r\n";

    core_.record({current_.request_id, current_.method, current_.route, response.status,
                  std::chrono::duration<double>(SteadyClock::now() - current_.started).count(),
                  remote_address_, tenant_id, error_detail});

    stream_.expires_after(core_.options().read_timeout);
    const std::array<net::const_buffer, 2> buffers{net::buffer(head_), net::buffer(body_)};
    net::async_write(
        stream_, buffers,
        beast::bind_front_handler(&Session::on_write, shared_from_this(), !keep_alive));
  }

  static void append_field(std::string& out, std::string_view name, std::string_view value) {
    out.append(name.data(), name.size());
    out += ": ";
    out.append(value.data(), value.size());
    out += "\r\n";
  }

  void on_write(bool close, beast::error_code ec, std::size_t /*bytes*/) {
    if (state_ != State::kWriting)
      return;
    body_ = std::string();  // may be large (the OpenAPI document); head_ keeps its capacity
    if (ec)
      return finish();
    first_request_ = false;
    if (!close)
      return wait_for_request();
    if (current_.linger && !core_.stopping())
      return linger();
    finish();
  }

  void linger() {
    state_ = State::kClosing;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(std::min(kLingerTimeout, core_.options().read_timeout));
    discard_input();
  }

  void discard_input() {
    stream_.async_read_some(buffer_.prepare(kReadChunkBytes),
                            beast::bind_front_handler(&Session::on_discarded, shared_from_this()));
  }

  // The expiry set in linger() covers every read here, so discarding ends within the timeout.
  void on_discarded(beast::error_code ec, std::size_t /*bytes*/) {
    if (state_ != State::kClosing)
      return;
    if (ec)
      return finish();
    discard_input();
  }

  void on_shutdown() {
    // Only an idle connection is closed now; one with a request under way finishes it and
    // closes after the response (which then says "Connection: close").
    if (state_ == State::kIdle)
      finish();
  }

  // The upgrade was accepted: the socket and the request move to a WsConnection, and this
  // session ends without closing anything.
  void hand_off(WebSocketAccept accept) {
    state_ = State::kDone;
    const auto self = shared_from_this();
    UpgradeLog log{current_.request_id, current_.route, remote_address_, current_.started,
                   std::move(accept.tenant_id)};
    auto connection = std::make_shared<WsConnection>(
        std::move(stream_), std::move(*upgrade_request_), std::move(accept), core_, std::move(log));
    upgrade_request_.reset();
    // Registered before this session leaves, so shutdown() never sees a moment without either.
    const bool registered = core_.register_websocket(connection);
    core_.unregister_session(this);
    if (registered) {
      connection->start();
    } else {
      connection->abandon();
    }
  }

  void finish() {
    if (state_ == State::kDone)
      return;
    state_ = State::kDone;
    const auto self = shared_from_this();  // unregister_session drops ServerCore's reference
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.close();  // cancels pending operations; their handlers see kDone and return
    core_.unregister_session(this);
  }

  ServerCore& core_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::string head_;  // the response being written: status line and fields
  std::string body_;  // and its body
  // An upgrade request waiting for its WebSocket handler's decision.
  std::optional<bhttp::request<bhttp::string_body>> upgrade_request_;
  net::any_io_executor executor_;
  std::string remote_address_;
  State state_ = State::kIdle;
  bool first_request_ = true;
  std::uint64_t sequence_ = 0;
  SteadyClock::time_point read_started_;
  Current current_;
};

Exchange::~Exchange() {
  if (answered_.load(std::memory_order_acquire))
    return;
  try {
    deliver(WebSocketDecision(
        internal_error(request_id_, "handler dropped its responder without answering")));
  } catch (...) {
    // Out of memory in a destructor: the drain timeout will close the connection.
  }
}

void Exchange::deliver(WebSocketDecision decision) {
  if (answered_.exchange(true, std::memory_order_acq_rel))
    return;
  if (inline_thread_.load(std::memory_order_acquire) == std::this_thread::get_id()) {
    inline_answer_.emplace(std::move(decision));
    return;
  }
  std::lock_guard lock(gate_->mutex);
  if (!gate_->open)
    return;
  auto session = session_.lock();
  if (!session)
    return;
  auto executor = session->executor();
  net::post(executor, [session = std::move(session), sequence = sequence_,
                       decision = std::move(decision)]() mutable {
    session->deliver(sequence, std::move(decision));
  });
}

ServerCore::ServerCore(ServerOptions options, const Router& router,
                       observability::MetricsRegistry& metrics, observability::Logger logger)
    : options_(std::move(options)),
      router_(router),
      metrics_(metrics),
      logger_(std::move(logger)),
      connections_active_(metrics.gauge(kConnectionsActive, "Open HTTP connections.")),
      websockets_active_(
          metrics.gauge(kWebSocketsActive, "Open WebSocket connections (upgraded from HTTP).")),
      contexts_(make_contexts(std::max<std::size_t>(options_.threads, 1))),
      acceptor_(net::make_strand(*contexts_.front())),
      accept_retry_(acceptor_.get_executor()) {}

core::Status ServerCore::bind() {
  std::lock_guard lifecycle(lifecycle_mutex_);
  return bind_locked();
}

core::Status ServerCore::bind_locked() {
  if (phase_ == Phase::kBound)
    return {};
  if (phase_ != Phase::kNew)
    return core::Error::internal("HTTP server already started or stopped");

  const auto fail = [this](std::string message) -> core::Status {
    beast::error_code ignored;
    acceptor_.close(ignored);
    return core::Error{core::ErrorKind::kUnavailable, "listen_failed", std::move(message)};
  };
  beast::error_code ec;
  const auto address = net::ip::make_address(options_.host, ec);
  if (ec)
    return fail("invalid listen address " + options_.host + ": " + ec.message());
  const tcp::endpoint endpoint(address, options_.port);
  const std::string where = format_endpoint(address, options_.port);

  acceptor_.open(endpoint.protocol(), ec);
  if (!ec)
    acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec)
    acceptor_.bind(endpoint, ec);
  if (!ec)
    acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    return fail("cannot listen on " + where + ": " + ec.message());
  const auto local = acceptor_.local_endpoint(ec);
  if (ec)
    return fail("cannot listen on " + where + ": " + ec.message());
  port_.store(local.port(), std::memory_order_release);
  phase_ = Phase::kBound;
  return {};
}

core::Status ServerCore::start() {
  std::lock_guard lifecycle(lifecycle_mutex_);
  if (auto bound = bind_locked(); !bound)
    return bound;

  for (auto& context : contexts_)
    work_.push_back(net::make_work_guard(*context));
  do_accept();  // no I/O thread runs yet, so this needs no strand hop
  const std::size_t threads = contexts_.size();
  threads_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i)
    threads_.emplace_back([this, i] { run_io(*contexts_[i]); });
  phase_ = Phase::kRunning;
  beast::error_code ec;
  const auto local = acceptor_.local_endpoint(ec);
  logger_.info("http_listening",
               {{"address", format_endpoint(local.address(), local.port())}, {"threads", threads}});
  return {};
}

void ServerCore::run_io(net::io_context& context) {
  // Handlers catch their own exceptions; this is the last line so one bug cannot take an I/O
  // thread down with it.
  while (true) {
    try {
      context.run();
      return;
    } catch (const std::exception& e) {
      logger_.error("http_io_exception", {{"error", e.what()}});
    }
  }
}

void ServerCore::do_accept() {
  auto& context = *contexts_[next_context_++ % contexts_.size()];
  // No strand: each io_context is run by exactly one thread, which already serialises a
  // connection's handlers; a strand would add a lock and a queue to every completion.
  acceptor_.async_accept(context.get_executor(), [this](beast::error_code ec, tcp::socket socket) {
    on_accept(ec, std::move(socket));
  });
}

void ServerCore::on_accept(beast::error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor_.is_open())
    return;
  if (ec) {
    // Typically EMFILE: back off briefly instead of spinning on the failing accept.
    logger_.warn("http_accept_failed", {{"error", ec.message()}});
    accept_retry_.expires_after(kAcceptRetryDelay);
    accept_retry_.async_wait([this](beast::error_code wait_ec) {
      if (!wait_ec && acceptor_.is_open())
        do_accept();
    });
    return;
  }
  auto session = std::make_shared<Session>(std::move(socket), *this);
  if (register_session(session))
    session->start();
  do_accept();
}

bool ServerCore::register_session(const std::shared_ptr<Session>& session) {
  std::lock_guard lock(mutex_);
  // Checked under the same lock shutdown() sets it under, so no session slips past its snapshot.
  if (stopping_.load(std::memory_order_relaxed))
    return false;
  sessions_.emplace(session.get(), session);
  connections_active_.inc();
  return true;
}

void ServerCore::unregister_session(const Session* session) {
  std::lock_guard lock(mutex_);
  if (sessions_.erase(session) > 0)
    connections_active_.dec();
  sessions_changed_.notify_all();
}

bool ServerCore::register_websocket(const std::shared_ptr<WsConnection>& connection) {
  std::lock_guard lock(mutex_);
  if (stopping_.load(std::memory_order_relaxed))
    return false;
  websockets_.emplace(connection.get(), connection);
  websockets_active_.inc();
  return true;
}

void ServerCore::unregister_websocket(const WsConnection* connection) {
  std::lock_guard lock(mutex_);
  if (websockets_.erase(connection) > 0)
    websockets_active_.dec();
  sessions_changed_.notify_all();
}

std::vector<std::shared_ptr<WsConnection>> ServerCore::snapshot_websockets() {
  std::vector<std::shared_ptr<WsConnection>> out;
  out.reserve(websockets_.size());
  for (const auto& [key, connection] : websockets_)
    out.push_back(connection);
  return out;
}

std::vector<std::shared_ptr<Session>> ServerCore::snapshot_sessions() {
  std::vector<std::shared_ptr<Session>> out;
  out.reserve(sessions_.size());
  for (const auto& [key, session] : sessions_)
    out.push_back(session);
  return out;
}

ServerCore::RequestMetrics ServerCore::request_metrics(const AccessRecord& record) {
  // Label sets are few (method x route pattern x status) and every request needs its pair:
  // look them up once instead of rendering labels in the registry on every request.
  std::string key;
  key.reserve(record.method.size() + record.route.size() + 8);
  key.append(record.method).append(1, ' ').append(record.route).append(1, ' ');
  key.append(std::to_string(record.status));
  {
    std::shared_lock lock(request_metrics_mutex_);
    if (auto it = request_metrics_.find(key); it != request_metrics_.end())
      return it->second;
  }
  const std::string route(record.route);
  RequestMetrics found{
      &metrics_.counter(kRequestsTotal, "HTTP requests answered.",
                        {{"method", std::string(record.method)},
                         {"route", route},
                         {"status", std::to_string(record.status)}}),
      &metrics_.histogram(kRequestDuration, "HTTP request latency, first byte to response.",
                          {{"route", route}})};
  std::unique_lock lock(request_metrics_mutex_);
  request_metrics_.emplace(std::move(key), found);
  return found;
}

void ServerCore::record(const AccessRecord& record) {
  const auto counted = request_metrics(record);
  counted.requests->inc();
  counted.duration->observe(record.duration_seconds);

  // The fields cost a dozen allocations per request: skip them when the line is dropped anyway.
  if (record.status < 500 && !logger_.info_enabled())
    return;
  // Never the target (query strings carry tokens), bodies or the Authorization header.
  nlohmann::json fields = {{"request_id", record.request_id},
                           {"method", record.method},
                           {"route", record.route},
                           {"status", record.status},
                           {"duration_ms", std::round(record.duration_seconds * 1e6) / 1e3},
                           {"remote_address", record.remote_address}};
  if (!record.tenant_id.empty())
    fields["tenant_id"] = record.tenant_id;
  if (!record.error.empty())
    fields["error"] = record.error;
  if (record.status >= 500) {
    logger_.error("http_request", fields);
  } else {
    logger_.info("http_request", fields);
  }
}

void ServerCore::shutdown() {
  std::lock_guard lifecycle(lifecycle_mutex_);
  if (phase_ == Phase::kStopped)
    return;
  if (phase_ == Phase::kNew || phase_ == Phase::kBound) {
    beast::error_code ignored;
    acceptor_.close(ignored);
    phase_ = Phase::kStopped;
    return;
  }
  if (std::any_of(contexts_.begin(), contexts_.end(), [](const auto& context) {
        return context->get_executor().running_in_this_thread();
      })) {
    // Joining the I/O threads from one of them would deadlock.
    logger_.error("http_shutdown_from_io_thread");
    std::abort();
  }

  // 1. Stop accepting and tell every session; idle ones close now, WebSockets start their
  //    close handshake (with the application's goodbye, see WebSocketSession::on_shutdown).
  std::vector<std::shared_ptr<Session>> sessions;
  std::vector<std::shared_ptr<WsConnection>> websockets;
  {
    std::lock_guard lock(mutex_);
    stopping_.store(true, std::memory_order_release);
    sessions = snapshot_sessions();
    websockets = snapshot_websockets();
  }
  net::post(acceptor_.get_executor(), [this] {
    beast::error_code ignored;
    acceptor_.close(ignored);
    accept_retry_.cancel();
  });
  for (const auto& session : sessions)
    session->begin_shutdown();
  sessions.clear();
  for (const auto& connection : websockets)
    connection->begin_shutdown();
  websockets.clear();

  // 2. Let in-flight requests finish, up to the drain timeout; then close what is left.
  {
    std::unique_lock lock(mutex_);
    if (!sessions_changed_.wait_for(lock, options_.drain_timeout,
                                    [this] { return all_closed(); })) {
      logger_.warn("http_drain_timeout", {{"open_connections", sessions_.size()},
                                          {"open_websockets", websockets_.size()}});
      sessions = snapshot_sessions();
      websockets = snapshot_websockets();
    }
  }
  for (const auto& session : sessions)
    session->force_close();
  sessions.clear();
  for (const auto& connection : websockets)
    connection->force_close();
  websockets.clear();
  {
    std::unique_lock lock(mutex_);
    sessions_changed_.wait_for(lock, kForceCloseWait, [this] { return all_closed(); });
  }

  // 3. Stop the I/O threads, then shut the gate so late Responders post nothing.
  work_.clear();
  for (auto& context : contexts_)
    context->stop();
  for (auto& thread : threads_)
    thread.join();
  threads_.clear();
  {
    std::lock_guard lock(gate_->mutex);
    gate_->open = false;
  }
  {
    std::lock_guard lock(mutex_);
    connections_active_.dec(static_cast<double>(sessions_.size()));
    sessions_.clear();
    websockets_active_.dec(static_cast<double>(websockets_.size()));
    websockets_.clear();
  }
  phase_ = Phase::kStopped;
  logger_.info("http_stopped");
}

}  // namespace

struct Server::Impl {
  Impl(ServerOptions options, const Router& router, observability::MetricsRegistry& metrics,
       observability::Logger logger)
      : core(std::move(options), router, metrics, std::move(logger)) {}
  ServerCore core;
};

Server::Server(ServerOptions options, const Router& router, observability::MetricsRegistry& metrics,
               observability::Logger logger)
    : impl_(std::make_unique<Impl>(std::move(options), router, metrics, std::move(logger))) {}

Server::~Server() {
  shutdown();
}

core::Status Server::bind() {
  return impl_->core.bind();
}

core::Status Server::start() {
  return impl_->core.start();
}

std::uint16_t Server::port() const {
  return impl_->core.port();
}

void Server::shutdown() {
  impl_->core.shutdown();
}

}  // namespace roomplane::http
