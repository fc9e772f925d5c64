#include "http/server.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "crypto/crypto.h"

namespace roomplane::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
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

// A client-chosen id is kept only when it cannot break a log line or a header.
std::string choose_request_id(std::string_view incoming) {
  if (!incoming.empty() && incoming.size() <= kMaxRequestIdLength &&
      std::all_of(incoming.begin(), incoming.end(), is_request_id_char)) {
    return std::string(incoming);
  }
  return crypto::random_token("req_", 20);
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

  core::Status start();
  std::uint16_t port() const { return port_.load(std::memory_order_acquire); }
  void shutdown();

  // For sessions.
  const ServerOptions& options() const { return options_; }
  const Router& router() const { return router_; }
  const observability::Logger& logger() const { return logger_; }
  const std::shared_ptr<Gate>& gate() const { return gate_; }
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }
  void unregister_session(const Session* session);
  void record(const AccessRecord& record);

 private:
  enum class Phase { kNew, kRunning, kStopped };

  void do_accept();
  void on_accept(beast::error_code ec, tcp::socket socket);
  bool register_session(const std::shared_ptr<Session>& session);
  void run_io();
  std::vector<std::shared_ptr<Session>> snapshot_sessions();  // callers hold mutex_

  const ServerOptions options_;
  const Router& router_;
  observability::MetricsRegistry& metrics_;
  const observability::Logger logger_;
  observability::Gauge& connections_active_;

  // Declared first so it is destroyed last: sockets, timers and queued handlers need it.
  net::io_context ioc_;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work_;
  tcp::acceptor acceptor_;          // runs on its own strand
  net::steady_timer accept_retry_;  // same strand
  std::vector<std::thread> threads_;
  std::shared_ptr<Gate> gate_ = std::make_shared<Gate>();
  std::atomic<std::uint16_t> port_{0};
  std::atomic<bool> stopping_{false};

  std::mutex lifecycle_mutex_;  // serialises start() and shutdown()
  Phase phase_ = Phase::kNew;

  std::mutex mutex_;  // guards sessions_
  std::condition_variable sessions_changed_;
  // Owning references: a session waiting on a WorkPool thread has no pending I/O operation to
  // keep it alive, so the server does. Removed when the session finishes.
  std::unordered_map<const Session*, std::shared_ptr<Session>> sessions_;
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

  void deliver(Response response);  // any thread

 private:
  std::weak_ptr<Session> session_;
  std::shared_ptr<Gate> gate_;
  const std::uint64_t sequence_;
  const std::string request_id_;
  std::atomic<bool> answered_{false};
};

// One TCP connection. Created by the accept loop; every member function below runs on the
// connection's strand except start(), begin_shutdown() and force_close(), which post to it.
// Requests are served one at a time (no pipelined responses in flight): read, handle, write,
// then read the next. Pending operations hold shared_from_this(); ServerCore holds another
// reference until finish().
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, ServerCore& core) : core_(core), stream_(std::move(socket)) {
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
  void deliver(std::uint64_t sequence, Response response) {
    if (state_ != State::kHandling || sequence != sequence_)
      return;
    send(std::move(response));
  }

  net::any_io_executor executor() { return stream_.get_executor(); }

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
    current_.request_id = choose_request_id(incoming_id);
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
    current_.request_id = choose_request_id(to_std(message[to_beast(kRequestIdHeader)]));

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

    auto match = core_.router().match(request.method, target->raw_path);
    if (match.handler == nullptr) {
      current_.route = kRouteUnmatched;
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

    auto exchange =
        std::make_shared<Exchange>(weak_from_this(), core_.gate(), sequence_, current_.request_id);
    Responder respond = [exchange](Response response) { exchange->deliver(std::move(response)); };
    try {
      (*match.handler)(std::move(request), std::move(respond));
    } catch (const std::exception& e) {
      // Handlers from inline_handler()/blocking() never throw; a hand-written one might, and an
      // exception must not unwind into the io_context.
      exchange->deliver(
          internal_error(current_.request_id, std::string("handler threw: ") + e.what()));
    } catch (...) {
      exchange->deliver(
          internal_error(current_.request_id, "handler threw a non-standard exception"));
    }
  }

  void send(Response response) {
    state_ = State::kWriting;
    std::string tenant_id;
    std::string error_detail;
    if (response.status < 200 || response.status > 599) {
      response = internal_error(current_.request_id, "handler returned invalid status " +
                                                         std::to_string(response.status));
    }

    bhttp::response<bhttp::string_body> out;
    out.result(response.status);
    out.version(current_.version);
    out.set(bhttp::field::server, to_beast(kServerName));
    out.set(to_beast(kRequestIdHeader), current_.request_id);
    const bool bodiless = response.status == 204 || response.status == 304;
    if (!response.content_type.empty() && !bodiless) {
      out.set(bhttp::field::content_type, response.content_type);
    }
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
        out.set(bhttp::field::content_type, value);
      } else {
        out.insert(name, value);
      }
    }
    const bool keep_alive = current_.keep_alive && !core_.stopping();
    out.keep_alive(keep_alive);
    if (!bodiless)
      out.body() = std::move(response.body);
    out.prepare_payload();

    core_.record({current_.request_id, current_.method, current_.route, response.status,
                  std::chrono::duration<double>(SteadyClock::now() - current_.started).count(),
                  remote_address_, tenant_id, error_detail});

    response_.emplace(std::move(out));
    stream_.expires_after(core_.options().read_timeout);
    bhttp::async_write(
        stream_, *response_,
        beast::bind_front_handler(&Session::on_write, shared_from_this(), !keep_alive));
  }

  void on_write(bool close, beast::error_code ec, std::size_t /*bytes*/) {
    if (state_ != State::kWriting)
      return;
    response_.reset();
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
  std::optional<bhttp::response<bhttp::string_body>> response_;  // alive while being written
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
    deliver(internal_error(request_id_, "handler dropped its responder without answering"));
  } catch (...) {
    // Out of memory in a destructor: the drain timeout will close the connection.
  }
}

void Exchange::deliver(Response response) {
  if (answered_.exchange(true, std::memory_order_acq_rel))
    return;
  std::lock_guard lock(gate_->mutex);
  if (!gate_->open)
    return;
  auto session = session_.lock();
  if (!session)
    return;
  auto executor = session->executor();
  net::post(executor, [session = std::move(session), sequence = sequence_,
                       response = std::move(response)]() mutable {
    session->deliver(sequence, std::move(response));
  });
}

ServerCore::ServerCore(ServerOptions options, const Router& router,
                       observability::MetricsRegistry& metrics, observability::Logger logger)
    : options_(std::move(options)),
      router_(router),
      metrics_(metrics),
      logger_(std::move(logger)),
      connections_active_(metrics.gauge(kConnectionsActive, "Open HTTP connections.")),
      ioc_(static_cast<int>(std::max<std::size_t>(options_.threads, 1))),
      acceptor_(net::make_strand(ioc_)),
      accept_retry_(acceptor_.get_executor()) {}

core::Status ServerCore::start() {
  std::lock_guard lifecycle(lifecycle_mutex_);
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

  work_.emplace(ioc_.get_executor());
  do_accept();  // no I/O thread runs yet, so this needs no strand hop
  const std::size_t threads = std::max<std::size_t>(options_.threads, 1);
  threads_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i)
    threads_.emplace_back([this] { run_io(); });
  phase_ = Phase::kRunning;
  logger_.info("http_listening",
               {{"address", format_endpoint(address, local.port())}, {"threads", threads}});
  return {};
}

void ServerCore::run_io() {
  // Handlers catch their own exceptions; this is the last line so one bug cannot take an I/O
  // thread down with it.
  while (true) {
    try {
      ioc_.run();
      return;
    } catch (const std::exception& e) {
      logger_.error("http_io_exception", {{"error", e.what()}});
    }
  }
}

void ServerCore::do_accept() {
  acceptor_.async_accept(net::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
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

std::vector<std::shared_ptr<Session>> ServerCore::snapshot_sessions() {
  std::vector<std::shared_ptr<Session>> out;
  out.reserve(sessions_.size());
  for (const auto& [key, session] : sessions_)
    out.push_back(session);
  return out;
}

void ServerCore::record(const AccessRecord& record) {
  const std::string route(record.route);
  metrics_
      .counter(kRequestsTotal, "HTTP requests answered.",
               {{"method", std::string(record.method)},
                {"route", route},
                {"status", std::to_string(record.status)}})
      .inc();
  metrics_
      .histogram(kRequestDuration, "HTTP request latency, first byte to response.",
                 {{"route", route}})
      .observe(record.duration_seconds);

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
  if (phase_ == Phase::kNew) {
    phase_ = Phase::kStopped;
    return;
  }
  if (ioc_.get_executor().running_in_this_thread()) {
    // Joining the I/O threads from one of them would deadlock.
    logger_.error("http_shutdown_from_io_thread");
    std::abort();
  }

  // 1. Stop accepting and tell every session; idle ones close now.
  std::vector<std::shared_ptr<Session>> sessions;
  {
    std::lock_guard lock(mutex_);
    stopping_.store(true, std::memory_order_release);
    sessions = snapshot_sessions();
  }
  net::post(acceptor_.get_executor(), [this] {
    beast::error_code ignored;
    acceptor_.close(ignored);
    accept_retry_.cancel();
  });
  for (const auto& session : sessions)
    session->begin_shutdown();
  sessions.clear();

  // 2. Let in-flight requests finish, up to the drain timeout; then close what is left.
  {
    std::unique_lock lock(mutex_);
    if (!sessions_changed_.wait_for(lock, options_.drain_timeout,
                                    [this] { return sessions_.empty(); })) {
      logger_.warn("http_drain_timeout", {{"open_connections", sessions_.size()}});
      sessions = snapshot_sessions();
    }
  }
  for (const auto& session : sessions)
    session->force_close();
  sessions.clear();
  {
    std::unique_lock lock(mutex_);
    sessions_changed_.wait_for(lock, kForceCloseWait, [this] { return sessions_.empty(); });
  }

  // 3. Stop the I/O threads, then shut the gate so late Responders post nothing.
  work_.reset();
  ioc_.stop();
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
