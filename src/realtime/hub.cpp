#include "realtime/hub.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "crypto/crypto.h"
#include "realtime/signalr_protocol.h"

namespace roomplane::realtime {
namespace {

using SteadyClock = std::chrono::steady_clock;
using Record = std::shared_ptr<const std::string>;

constexpr std::size_t kConnectionIdBytes = 16;  // 22 base64url characters, as ASP.NET
constexpr std::size_t kMaxInvocationIdBytes = 128;
// Subscribe / Unsubscribe calls of one connection waiting for the WorkPool.
constexpr std::size_t kMaxQueuedSubscriptionOps = 64;
constexpr std::size_t kMaxRoomIdBytes = 128;
constexpr std::chrono::seconds kPruneEvery{60};
constexpr std::string_view kProtocolError = "Connection closed with an error.";
constexpr std::string_view kSlowConsumer =
    "Connection closed: the client did not read events fast enough.";
constexpr std::string_view kClientTimeout =
    "Connection closed: no message from the client within the timeout.";

std::int64_t ticks(SteadyClock::time_point t) {
  return t.time_since_epoch().count();
}

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && ascii_lower(a) == ascii_lower(b);
}

// ASP.NET reads hub query keys case-insensitively.
std::optional<std::string_view> query_ci(const http::Request& request, std::string_view key) {
  for (const auto& [name, value] : request.query) {
    if (iequals(name, key))
      return std::string_view(value);
  }
  return std::nullopt;
}

// "Authorization: Bearer <token>" first, the access_token query parameter second (browsers
// cannot put headers on a WebSocket request). Empty when neither is there.
std::string bearer_credential(const http::Request& request) {
  if (auto header = request.header("Authorization")) {
    constexpr std::string_view kScheme = "bearer ";
    if (header->size() > kScheme.size() && iequals(header->substr(0, kScheme.size()), kScheme)) {
      auto token = header->substr(kScheme.size());
      while (!token.empty() && token.front() == ' ')
        token.remove_prefix(1);
      while (!token.empty() && token.back() == ' ')
        token.remove_suffix(1);
      return std::string(token);
    }
    return {};
  }
  if (auto query = request.query_param("access_token"))
    return std::string(*query);
  return {};
}

http::Response unauthorized() {
  return http::Response::from_error(
      core::Error::unauthenticated("missing or invalid API key or dashboard token"));
}

http::Response with_tenant(http::Response response, const core::TenantId& tenant) {
  response.headers.emplace_back(std::string(http::kTenantHeader), tenant.value());
  return response;
}

std::string new_id() {
  return crypto::base64url_encode(crypto::random_bytes(kConnectionIdBytes));
}

// RFC 3339 in UTC with milliseconds: events within one second stay ordered for a reader.
std::string timestamp(core::TimePoint at) {
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(millis / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[40];
  const auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char frac[8];
  std::snprintf(frac, sizeof frac, ".%03dZ", static_cast<int>(millis % 1000));
  return std::string(buf, n) + frac;
}

// Hub messages use the JSON naming of SignalR clients (ASP.NET Core's default, camelCase) while
// the rest of Roomplane, REST included, uses snake_case: payloads and snapshots are written once
// in snake_case and renamed here, recursively (every object key in them is a field name).
std::string camel_case(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  bool upper = false;
  for (const char c : name) {
    if (c == '_' && !out.empty()) {
      upper = true;
      continue;
    }
    out += upper && c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
    upper = false;
  }
  return out;
}

void camelize_keys(nlohmann::json& value) {
  if (value.is_array()) {
    for (auto& item : value)
      camelize_keys(item);
    return;
  }
  if (!value.is_object())
    return;
  nlohmann::json renamed = nlohmann::json::object();
  for (auto& [key, item] : value.items()) {
    camelize_keys(item);
    renamed[camel_case(key)] = std::move(item);
  }
  value = std::move(renamed);
}

// Microseconds since the Unix epoch at start: above every number an earlier process gave out,
// as long as no room got more than one event per microsecond of that process's life and the
// wall clock did not step back across the restart.
std::uint64_t default_sequence_base() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return static_cast<std::uint64_t>(std::max<std::int64_t>(
      0, std::chrono::duration_cast<std::chrono::microseconds>(now).count()));
}

// The rooms' last sequence numbers of one tenant; rooms without a counter are at `floor`.
struct TenantSequences {
  std::unordered_map<std::string, std::uint64_t> rooms;
  std::uint64_t floor = 0;
};

// Adds "sequence" to each room object of an array snapshot (see SnapshotFn).
void annotate_sequences(nlohmann::json& snapshot, const TenantSequences& sequences) {
  if (!snapshot.is_array())
    return;
  for (auto& room : snapshot) {
    if (!room.is_object())
      continue;
    auto id = room.find("id");
    if (id == room.end() || !id->is_string())
      continue;
    auto it = sequences.rooms.find(id->get<std::string>());
    room["sequence"] = it == sequences.rooms.end() ? sequences.floor : it->second;
  }
}

Record make_record(std::string text) {
  return std::make_shared<const std::string>(std::move(text));
}

std::string argument_count_error(std::string_view target, std::size_t given, std::size_t wanted) {
  return "Failed to invoke '" + std::string(target) +
         "' due to an error on the server. InvalidDataException: Invocation provides " +
         std::to_string(given) + " argument(s) but target expects " + std::to_string(wanted) + ".";
}

std::string hub_exception(std::string_view target, std::string_view message) {
  return "An unexpected error occurred invoking '" + std::string(target) +
         "' on the server. HubException: " + std::string(message);
}

}  // namespace

class HubConnection;

struct Hub::Impl : std::enable_shared_from_this<Hub::Impl> {
  Impl(HubOptions hub_options, HubAuthenticator& auth, core::WorkPool& work_pool,
       SnapshotFn snapshot_fn, RoomExistsFn room_exists_fn,
       observability::MetricsRegistry& registry, observability::Logger hub_logger)
      : options(hub_options),
        authenticator(auth),
        pool(work_pool),
        snapshot(std::move(snapshot_fn)),
        room_exists(std::move(room_exists_fn)),
        metrics(registry),
        log(std::move(hub_logger)),
        overflow_record(make_record(signalr::close_message(kSlowConsumer, true))),
        connections_active(
            registry.gauge("roomplane_hub_connections_active", "Open SignalR hub connections.")),
        delivered(registry.counter("roomplane_hub_events_delivered_total",
                                   "Hub events queued to a client connection.")),
        dropped_queue_full(registry.counter("roomplane_hub_events_dropped_total",
                                            "Hub events not delivered.",
                                            {{"reason", "hub_queue_full"}})),
        dropped_slow(registry.counter("roomplane_hub_events_dropped_total",
                                      "Hub events not delivered.", {{"reason", "slow_consumer"}})),
        dropped_closed(registry.counter("roomplane_hub_events_dropped_total",
                                        "Hub events not delivered.", {{"reason", "closed"}})),
        slow_consumer_closes(
            registry.counter("roomplane_hub_slow_consumer_closes_total",
                             "Hub connections closed because their send queue overflowed.")),
        client_timeouts(
            registry.counter("roomplane_hub_client_timeouts_total",
                             "Hub connections closed because the client stopped sending.")),
        dispatch_latency(registry.histogram(
            "roomplane_hub_dispatch_latency_seconds",
            "Time from publish() until the event is queued to every recipient.", {},
            {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1})),
        sequence_base(hub_options.sequence_base.value_or(default_sequence_base())) {
    for (std::size_t i = 0; i < published.size(); ++i) {
      published[i] =
          &registry.counter("roomplane_hub_events_published_total", "Events published to the hub.",
                            {{"target", target_name(static_cast<RoomEventKind>(i))}});
    }
  }

  void start() {
    thread = std::thread([self = this] { self->run(); });
  }
  void stop();
  void run();

  // --- Events ---
  struct QueuedEvent {
    RoomNotification notification;
    std::uint64_t sequence = 0;
    SteadyClock::time_point enqueued;
  };
  struct SequenceEntry {
    std::uint64_t sequence = 0;
    SteadyClock::time_point touched;
  };
  void publish(RoomNotification notification);
  void publish_all(std::vector<RoomNotification> notifications);
  // Under queue_mutex: numbers the event and queues it. False when it was dropped.
  bool enqueue_locked(RoomNotification notification, SteadyClock::time_point now);
  // Fans out what publish() queued since the last call: each event serialized once, then each
  // connection of a tenant gets all of that tenant's events it wants in one send_all().
  void dispatch(std::vector<QueuedEvent>& events);
  Record serialize(QueuedEvent& event);
  std::uint64_t sequence_of(const core::TenantId& tenant, const std::string& room_id);
  TenantSequences sequences_of(const core::TenantId& tenant);
  // Where a new counter of the tenant starts (its first event gets one more). Under queue_mutex.
  std::uint64_t floor_locked(const core::TenantId& tenant) const;
  observability::Counter& published_counter(RoomEventKind kind);

  // --- Connections ---
  void opened(const std::shared_ptr<HubConnection>& connection);
  void joined(const std::shared_ptr<HubConnection>& connection);  // handshake done
  void left(HubConnection* connection);
  void sweep(SteadyClock::time_point now);

  // --- HTTP ---
  void negotiate(http::Request request, http::Responder respond);
  void upgrade(http::Request request, http::WebSocketResponder respond);
  http::WebSocketOptions websocket_options() const;

  const HubOptions options;
  HubAuthenticator& authenticator;
  core::WorkPool& pool;
  const SnapshotFn snapshot;
  const RoomExistsFn room_exists;
  observability::MetricsRegistry& metrics;
  const observability::Logger log;
  const Record overflow_record;

  observability::Gauge& connections_active;
  observability::Counter& delivered;
  observability::Counter& dropped_queue_full;
  observability::Counter& dropped_slow;
  observability::Counter& dropped_closed;
  observability::Counter& slow_consumer_closes;
  observability::Counter& client_timeouts;
  observability::Histogram& dispatch_latency;
  // By RoomEventKind, registered up front so publish() never looks a counter up.
  std::array<observability::Counter*, 6> published{};

  // Event queue and sequence numbers.
  std::mutex queue_mutex;
  std::condition_variable queue_cv;
  std::vector<QueuedEvent> queue;
  std::unordered_map<core::TenantId, std::unordered_map<std::string, SequenceEntry>> sequences;
  // Numbering that survives a restart and a forgotten counter (HubOptions::sequence_base): new
  // counters start at the process's base, or, once counters of the tenant were forgotten, at
  // the highest number they had reached, so no room's numbers ever go back.
  const std::uint64_t sequence_base;
  std::unordered_map<core::TenantId, std::uint64_t> sequence_floors;  // above sequence_base
  bool stopping = false;
  std::thread thread;

  // Connections. A tenant's group is copy-on-write, so dispatch iterates it without a lock.
  using Group = std::vector<std::shared_ptr<HubConnection>>;
  mutable std::mutex connections_mutex;
  std::unordered_map<core::TenantId, std::shared_ptr<const Group>> groups;
  std::unordered_map<const HubConnection*, std::shared_ptr<HubConnection>> all;
  struct Pending {
    std::string connection_id;
    core::TenantId tenant;
    SteadyClock::time_point created;
  };
  std::unordered_map<std::string, Pending> pending;  // by connection token
  // Of those, per tenant: one tenant cannot fill the hub's table and lock the others out.
  std::unordered_map<core::TenantId, std::size_t> pending_per_tenant;
  // Removes a pending negotiation and its count. Under connections_mutex.
  std::unordered_map<std::string, Pending>::iterator forget_pending_locked(
      std::unordered_map<std::string, Pending>::iterator it) {
    if (auto count = pending_per_tenant.find(it->second.tenant);
        count != pending_per_tenant.end() && --count->second == 0) {
      pending_per_tenant.erase(count);
    }
    return pending.erase(it);
  }
};

// One hub connection: the SignalR protocol over one WebSocket. Created by the upgrade handler;
// the WebSocket callbacks run on the connection's strand. send(), send_wanted() and sweep() are
// called from the hub thread and WorkPool threads too, so what they touch is atomic or locked.
class HubConnection final : public http::WebSocketSession,
                            public std::enable_shared_from_this<HubConnection> {
 public:
  HubConnection(std::shared_ptr<Hub::Impl> hub, core::TenantId tenant, std::string connection_id,
                std::string request_id)
      : hub_(std::move(hub)),
        tenant_(std::move(tenant)),
        connection_id_(std::move(connection_id)),
        request_id_(std::move(request_id)),
        buffer_(hub_->options.max_message_bytes) {}

  const core::TenantId& tenant() const { return tenant_; }

  // --- WebSocketSession (strand) ---

  void on_open(std::shared_ptr<http::WebSocket> socket) override {
    socket_ = std::move(socket);
    const auto now = ticks(SteadyClock::now());
    opened_at_ = now;
    last_sent_.store(now, std::memory_order_relaxed);
    last_received_.store(now, std::memory_order_relaxed);
    hub_->opened(shared_from_this());
  }

  void on_message(std::string_view text) override {
    if (closing_.load(std::memory_order_relaxed))
      return;
    last_received_.store(ticks(SteadyClock::now()), std::memory_order_relaxed);
    auto records = buffer_.feed(text);
    if (!records)
      return protocol_error(records.error().message);
    for (const auto& record : *records) {
      if (closing_.load(std::memory_order_relaxed))
        return;
      if (!handshake_done_.load(std::memory_order_relaxed)) {
        handshake(record);
        continue;
      }
      auto message = signalr::parse_client_message(record);
      if (!message)
        return protocol_error(message.error().message);
      std::visit([this](auto& m) { handle(m); }, *message);
    }
  }

  void on_close() override {
    closing_.store(true, std::memory_order_relaxed);
    if (socket_ == nullptr)
      return;  // the WebSocket handshake failed: never opened, never counted
    hub_->left(this);
    close_reason_once("closed");
    std::string reason;
    {
      std::lock_guard lock(subscriptions_mutex_);
      reason = close_reason_;
    }
    hub_->log.info(
        "hub_disconnected",
        {{"connection_id", connection_id_},
         {"tenant_id", tenant_.value()},
         {"reason", reason},
         {"duration_ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                             SteadyClock::duration(ticks(SteadyClock::now()) - opened_at_))
                             .count()}});
  }

  // A graceful restart: the client reconnects (a new connection) and subscribes again.
  void on_shutdown(http::WebSocket& socket) override {
    close_reason_once("server_shutdown");
    closing_.store(true, std::memory_order_relaxed);
    socket.close(http::CloseCode::kNormal, "",
                 make_record(signalr::close_message(std::nullopt, true)));
  }

  // --- Any thread ---

  // Queues, in one send_all(), the records of `events` (indices `mine`) whose room this
  // connection wants; `wanted` is scratch space. The check and the queueing are one step under
  // the subscriptions lock: a Subscribe that narrows the connection either comes first, and the
  // event is left out, or after, and the event is queued before Subscribe's completion. So no
  // event of another room follows the completion. Returns how many were offered and the result.
  std::pair<std::size_t, http::WebSocket::SendResult> send_wanted(
      std::span<const Hub::Impl::QueuedEvent> events, std::span<const Record> records,
      std::span<const std::size_t> mine, std::vector<Record>& wanted) {
    http::WebSocket::SendResult result = http::WebSocket::SendResult::kQueued;
    {
      std::lock_guard lock(subscriptions_mutex_);
      wanted.clear();
      for (const std::size_t i : mine) {
        if (wants_locked(events[i].notification.room_id.value()))
          wanted.push_back(records[i]);
      }
      if (wanted.empty())
        return {0, result};
      last_sent_.store(ticks(SteadyClock::now()), std::memory_order_relaxed);
      result = socket_->send_all(wanted);
    }
    return {wanted.size(), note_overflow(result)};  // note_overflow locks the mutex again
  }

  http::WebSocket::SendResult send(const Record& record) { return send_all(std::span(&record, 1)); }

  // Several records in order, in one write when the connection is idle.
  http::WebSocket::SendResult send_all(std::span<const Record> records) {
    last_sent_.store(ticks(SteadyClock::now()), std::memory_order_relaxed);
    return note_overflow(socket_->send_all(records));
  }

  // A large answer to the client's own request (the snapshot): bounded apart from the events.
  http::WebSocket::SendResult send_reply(const Record& record) {
    last_sent_.store(ticks(SteadyClock::now()), std::memory_order_relaxed);
    return note_overflow(socket_->send_reply(record));
  }

  http::WebSocket::SendResult note_overflow(http::WebSocket::SendResult result) {
    if (result == http::WebSocket::SendResult::kQueueFull) {
      close_reason_once("slow_consumer");
      hub_->slow_consumer_closes.inc();
      hub_->log.warn("hub_slow_consumer",
                     {{"connection_id", connection_id_},
                      {"tenant_id", tenant_.value()},
                      {"queue_limit_bytes", hub_->options.max_send_queue_bytes}});
    }
    return result;
  }

  // Pings and timeouts; the hub thread calls this every sweep_interval.
  void sweep(std::int64_t now) {
    if (closing_.load(std::memory_order_relaxed))
      return;
    const auto& o = hub_->options;
    const auto since = [now](const std::atomic<std::int64_t>& t) {
      return SteadyClock::duration(now - t.load(std::memory_order_relaxed));
    };
    if (!handshake_done_.load(std::memory_order_relaxed)) {
      if (SteadyClock::duration(now - opened_at_) >= o.handshake_timeout) {
        close_reason_once("handshake_timeout");
        close(make_record(signalr::handshake_error("Handshake was canceled.")));
      }
      return;
    }
    if (client_pinged_.load(std::memory_order_relaxed) &&
        since(last_received_) >= o.client_timeout) {
      close_reason_once("client_timeout");
      hub_->client_timeouts.inc();
      close(make_record(signalr::close_message(kClientTimeout, true)));
      return;
    }
    if (since(last_sent_) >= o.keep_alive_interval)
      send(ping_record());
  }

 private:
  static const Record& ping_record() {
    static const Record ping = make_record(signalr::ping());
    return ping;
  }

  // Sends `final_record` as the last message, then closes the WebSocket with 1000.
  void close(Record final_record) {
    closing_.store(true, std::memory_order_relaxed);
    socket_->close(http::CloseCode::kNormal, "", std::move(final_record));
  }

  void close_reason_once(const char* reason) {
    std::lock_guard lock(subscriptions_mutex_);
    if (close_reason_.empty())
      close_reason_ = reason;
  }

  void protocol_error(const std::string& detail) {
    close_reason_once("protocol_error");
    hub_->log.info(
        "hub_protocol_error",
        {{"connection_id", connection_id_}, {"tenant_id", tenant_.value()}, {"error", detail}});
    // As ASP.NET: the reason stays in the log, the client learns only that it was an error.
    close(make_record(signalr::close_message(kProtocolError, true)));
  }

  void handshake(const std::string& record) {
    auto status = signalr::parse_handshake(record);
    if (!status) {
      close_reason_once("handshake_error");
      close(make_record(signalr::handshake_error(status.error().message)));
      return;
    }
    // The handshake answer is queued before the connection joins its tenant's group, so no
    // event can overtake it.
    send(make_record(signalr::handshake_ok()));
    handshake_done_.store(true, std::memory_order_relaxed);
    hub_->joined(shared_from_this());
  }

  void handle(signalr::Invocation& invocation) {
    if (invocation.invocation_id && invocation.invocation_id->size() > kMaxInvocationIdBytes)
      return protocol_error("invocationId too long");
    const auto& id = invocation.invocation_id;
    const auto reply_error = [&](const std::string& error) {
      if (id)
        send(make_record(signalr::completion_error(*id, error)));
    };
    const auto& target = invocation.target;
    const auto method = ascii_lower(target);
    const auto& args = invocation.arguments;
    if (method != "subscribe" && method != "unsubscribe" && method != "getliverooms") {
      return reply_error("Failed to invoke '" + target +
                         "' due to an error on the server. HubException: Method does not exist.");
    }
    if (invocation.has_stream_ids) {
      return reply_error("Failed to invoke '" + target +
                         "' due to an error on the server. InvalidDataException: the method "
                         "takes no streams.");
    }
    if (method == "getliverooms") {
      if (!args.empty())
        return reply_error(argument_count_error(target, args.size(), 0));
      return get_live_rooms(id, target);
    }
    if (args.size() != 1)
      return reply_error(argument_count_error(target, args.size(), 1));
    if (!args[0].is_string() || args[0].get_ref<const std::string&>().empty() ||
        args[0].get_ref<const std::string&>().size() > kMaxRoomIdBytes) {
      return reply_error("Failed to invoke '" + target +
                         "' due to an error on the server. InvalidDataException: roomId must be "
                         "a non-empty string of at most 128 characters.");
    }
    enqueue_subscription(
        SubscriptionOp{method == "subscribe", args[0].get_ref<const std::string&>(), id, target});
  }

  // Subscribe looks the room up in the database, so Subscribe and Unsubscribe run on the
  // WorkPool; one at a time per connection, in the order they came, so that "Subscribe(a),
  // Unsubscribe(a)" ends unsubscribed as the client meant.
  struct SubscriptionOp {
    bool subscribe = false;
    std::string room_id;
    std::optional<std::string> invocation_id;
    std::string target;
  };
  void enqueue_subscription(SubscriptionOp op) {
    {
      std::lock_guard lock(ops_mutex_);
      if (ops_.size() >= kMaxQueuedSubscriptionOps) {
        if (op.invocation_id) {
          send(make_record(signalr::completion_error(
              *op.invocation_id,
              hub_exception(op.target, "too many Subscribe / Unsubscribe calls in flight"))));
        }
        return;
      }
      ops_.push_back(std::move(op));
      if (ops_running_)
        return;
      ops_running_ = true;
    }
    hub_->pool.post([self = shared_from_this()] { self->run_subscription_ops(); });
  }
  void run_subscription_ops() {
    while (true) {
      SubscriptionOp op;
      {
        std::lock_guard lock(ops_mutex_);
        if (ops_.empty()) {
          ops_running_ = false;
          return;
        }
        op = std::move(ops_.front());
        ops_.erase(ops_.begin());
      }
      std::optional<nlohmann::json> result;
      std::string error;
      try {
        apply_subscription(op, result, error);
      } catch (const std::exception& e) {
        hub_->log.error("hub_subscribe_failed",
                        {{"tenant_id", tenant_.value()}, {"error", e.what()}});
        error = "An unexpected error occurred invoking '" + op.target + "' on the server.";
      }
      if (!op.invocation_id)
        continue;
      send(make_record(result ? signalr::completion_result(*op.invocation_id, *result)
                              : signalr::completion_error(*op.invocation_id, error)));
    }
  }
  // Sets `result` (the completion's result) or `error`.
  void apply_subscription(const SubscriptionOp& op, std::optional<nlohmann::json>& result,
                          std::string& error) {
    const auto subscribed = [&] {
      std::lock_guard lock(subscriptions_mutex_);
      return std::binary_search(subscriptions_.begin(), subscriptions_.end(), op.room_id);
    };
    if (!op.subscribe) {
      {
        std::lock_guard lock(subscriptions_mutex_);
        auto it = std::lower_bound(subscriptions_.begin(), subscriptions_.end(), op.room_id);
        if (it != subscriptions_.end() && *it == op.room_id)
          subscriptions_.erase(it);
      }
      result = nlohmann::json{{"roomId", op.room_id}, {"subscribed", false}};
      return;
    }
    if (!subscribed()) {
      // Another tenant's room and no room at all get the same answer.
      auto exists = hub_->room_exists(tenant_, op.room_id);
      if (!exists) {
        error = hub_exception(op.target, "could not look the room up: " + exists.error().message);
        return;
      }
      if (!*exists) {
        error = hub_exception(op.target, "this tenant has no room '" + op.room_id + "'");
        return;
      }
      std::lock_guard lock(subscriptions_mutex_);
      auto it = std::lower_bound(subscriptions_.begin(), subscriptions_.end(), op.room_id);
      if (it == subscriptions_.end() || *it != op.room_id) {
        if (subscriptions_.size() >= hub_->options.max_subscriptions) {
          error =
              hub_exception(op.target, "too many subscriptions (at most " +
                                           std::to_string(hub_->options.max_subscriptions) + ")");
          return;
        }
        subscriptions_.insert(it, op.room_id);
      }
    }
    result = nlohmann::json{{"roomId", op.room_id},
                            {"subscribed", true},
                            {"sequence", hub_->sequence_of(tenant_, op.room_id)}};
  }

  // The snapshot reads the database, so it runs on the WorkPool; the completion is sent from
  // there (send() is thread-safe). Bounded per connection so one client cannot fill the pool.
  void get_live_rooms(const std::optional<std::string>& id, const std::string& target) {
    if (snapshots_in_flight_.fetch_add(1) >= hub_->options.max_snapshots_in_flight) {
      snapshots_in_flight_.fetch_sub(1);
      if (id)
        send(make_record(signalr::completion_error(
            *id, hub_exception(target, "too many GetLiveRooms calls in flight"))));
      return;
    }
    hub_->pool.post([self = shared_from_this(), id, target] {
      nlohmann::json result;
      std::string error;
      try {
        // Read before the snapshot: every event up to these numbers is in it.
        const auto sequences = self->hub_->sequences_of(self->tenant_);
        auto snapshot = self->hub_->snapshot(self->tenant_);
        if (!snapshot) {
          error = hub_exception(target, snapshot.error().message);
        } else {
          result = std::move(snapshot).value();
          annotate_sequences(result, sequences);
          camelize_keys(result);
        }
      } catch (const std::exception& e) {
        self->hub_->log.error("hub_snapshot_failed",
                              {{"tenant_id", self->tenant_.value()}, {"error", e.what()}});
        error = "An unexpected error occurred invoking '" + target + "' on the server.";
      }
      self->snapshots_in_flight_.fetch_sub(1);
      if (!id)
        return;
      self->send_reply(make_record(error.empty() ? signalr::completion_result(*id, result)
                                                 : signalr::completion_error(*id, error)));
    });
  }

  void handle(signalr::StreamInvocation& invocation) {
    if (invocation.invocation_id.size() > kMaxInvocationIdBytes)
      return protocol_error("invocationId too long");
    send(make_record(signalr::completion_error(
        invocation.invocation_id, "The client attempted to invoke the non-streaming '" +
                                      invocation.target +
                                      "' method with a streaming invocation.")));
  }
  void handle(signalr::CancelInvocation&) {}  // nothing streams, so nothing to cancel
  void handle(signalr::Ping&) { client_pinged_.store(true, std::memory_order_relaxed); }
  void handle(signalr::Close&) {
    // The client is leaving: close without a goodbye of our own.
    close_reason_once("client_close");
    closing_.store(true, std::memory_order_relaxed);
    socket_->close(http::CloseCode::kNormal, "", nullptr);
  }
  void handle(signalr::Ignored&) {}

  const std::shared_ptr<Hub::Impl> hub_;
  const core::TenantId tenant_;
  const std::string connection_id_;
  const std::string request_id_;
  std::shared_ptr<http::WebSocket> socket_;  // set in on_open, before anyone else sees this
  std::int64_t opened_at_ = 0;               // set in on_open
  signalr::RecordBuffer buffer_;             // strand only
  std::atomic<std::int64_t> last_sent_{0};
  std::atomic<std::int64_t> last_received_{0};
  std::atomic<bool> handshake_done_{false};
  std::atomic<bool> client_pinged_{false};
  std::atomic<bool> closing_{false};
  std::atomic<std::size_t> snapshots_in_flight_{0};
  std::mutex ops_mutex_;  // guards ops_ and ops_running_
  // A vector, not a deque: an empty std::deque allocates (about 600 B per connection, measured
  // with 10,000 connections), and this queue is nearly always empty and at most 64 long.
  std::vector<SubscriptionOp> ops_;
  bool ops_running_ = false;                // a WorkPool task is draining ops_
  mutable std::mutex subscriptions_mutex_;  // also guards close_reason_
  std::vector<std::string> subscriptions_;  // sorted; empty: every room of the tenant
  bool wants_locked(const std::string& room_id) const {
    return subscriptions_.empty() ||
           std::binary_search(subscriptions_.begin(), subscriptions_.end(), room_id);
  }
  std::string close_reason_;
};

// --- Events ---

observability::Counter& Hub::Impl::published_counter(RoomEventKind kind) {
  return *published[static_cast<std::size_t>(kind)];
}

bool Hub::Impl::enqueue_locked(RoomNotification notification, SteadyClock::time_point now) {
  // The number is taken even when the event is then dropped: the gap tells clients.
  auto& rooms = sequences[notification.tenant];
  auto [it, created] = rooms.try_emplace(notification.room_id.value());
  auto& entry = it->second;
  if (created)
    entry.sequence = floor_locked(notification.tenant);
  entry.touched = now;
  const auto sequence = ++entry.sequence;
  if (queue.size() >= options.max_queued_events) {
    dropped_queue_full.inc();
    return false;
  }
  queue.push_back({std::move(notification), sequence, now});
  return true;
}

void Hub::Impl::publish(RoomNotification notification) {
  published_counter(notification.kind).inc();
  {
    std::lock_guard lock(queue_mutex);
    if (stopping || !enqueue_locked(std::move(notification), SteadyClock::now()))
      return;
  }
  queue_cv.notify_one();
}

void Hub::Impl::publish_all(std::vector<RoomNotification> notifications) {
  if (notifications.empty())
    return;
  for (const auto& notification : notifications)
    published_counter(notification.kind).inc();
  {
    std::lock_guard lock(queue_mutex);
    if (stopping)
      return;
    const auto now = SteadyClock::now();
    for (auto& notification : notifications)
      enqueue_locked(std::move(notification), now);
  }
  queue_cv.notify_one();
}

std::uint64_t Hub::Impl::floor_locked(const core::TenantId& tenant) const {
  const auto it = sequence_floors.find(tenant);
  return it == sequence_floors.end() ? sequence_base : it->second;
}

std::uint64_t Hub::Impl::sequence_of(const core::TenantId& tenant, const std::string& room_id) {
  std::lock_guard lock(queue_mutex);
  auto t = sequences.find(tenant);
  if (t == sequences.end())
    return floor_locked(tenant);
  auto r = t->second.find(room_id);
  return r == t->second.end() ? floor_locked(tenant) : r->second.sequence;
}

TenantSequences Hub::Impl::sequences_of(const core::TenantId& tenant) {
  TenantSequences out;
  std::lock_guard lock(queue_mutex);
  out.floor = floor_locked(tenant);
  if (auto t = sequences.find(tenant); t != sequences.end()) {
    out.rooms.reserve(t->second.size());
    for (const auto& [room, entry] : t->second)
      out.rooms.emplace(room, entry.sequence);
  }
  return out;
}

Record Hub::Impl::serialize(QueuedEvent& event) {
  auto& n = event.notification;
  nlohmann::json argument = n.payload.is_object() ? std::move(n.payload) : nlohmann::json::object();
  camelize_keys(argument);
  argument["roomId"] = n.room_id.value();
  argument["roomSid"] = n.provider_room_sid;
  argument["sequence"] = event.sequence;
  argument["timestamp"] =
      timestamp(n.at == core::TimePoint{} ? std::chrono::system_clock::now() : n.at);
  return make_record(
      signalr::invocation(target_name(n.kind), nlohmann::json::array({std::move(argument)})));
}

void Hub::Impl::dispatch(std::vector<QueuedEvent>& events) {
  // Serialized once each; every recipient queues the same buffer.
  std::vector<Record> records;
  records.reserve(events.size());
  for (auto& event : events)
    records.push_back(serialize(event));

  double sent = 0;
  double slow = 0;
  double closed = 0;
  // Each tenant's events, in publish order (nearly always one tenant: the whole batch).
  std::unordered_map<core::TenantId, std::vector<std::size_t>> by_tenant;
  for (std::size_t i = 0; i < events.size(); ++i)
    by_tenant[events[i].notification.tenant].push_back(i);
  std::vector<Record> wanted;
  for (const auto& [tenant, mine] : by_tenant) {
    std::shared_ptr<const Group> group;
    {
      std::lock_guard lock(connections_mutex);
      if (auto it = groups.find(tenant); it != groups.end())
        group = it->second;
    }
    if (!group)
      continue;
    for (const auto& connection : *group) {
      const auto [offered, result] = connection->send_wanted(events, records, mine, wanted);
      if (offered == 0)
        continue;
      const auto count = static_cast<double>(offered);
      switch (result) {
        case http::WebSocket::SendResult::kQueued:
          sent += count;
          break;
        case http::WebSocket::SendResult::kQueueFull:
          slow += count;  // the overflow closed the connection and dropped its queue
          break;
        case http::WebSocket::SendResult::kClosed:
          closed += count;
          break;
      }
    }
  }
  if (sent > 0)
    delivered.inc(sent);
  if (slow > 0)
    dropped_slow.inc(slow);
  if (closed > 0)
    dropped_closed.inc(closed);
  const auto now = SteadyClock::now();
  for (const auto& event : events)
    dispatch_latency.observe(std::chrono::duration<double>(now - event.enqueued).count());
}

void Hub::Impl::run() {
  auto next_sweep = SteadyClock::now() + options.sweep_interval;
  const auto prune_every = std::min<SteadyClock::duration>(kPruneEvery, options.sequence_retention);
  auto next_prune = SteadyClock::now() + prune_every;
  std::vector<QueuedEvent> batch;
  while (true) {
    {
      std::unique_lock lock(queue_mutex);
      queue_cv.wait_until(lock, next_sweep, [this] { return stopping || !queue.empty(); });
      if (stopping)
        return;
      batch.swap(queue);
      const auto now = SteadyClock::now();
      if (now >= next_prune) {
        // Counters of rooms quiet for the retention period go. The tenant's floor rises to the
        // highest of them, so a forgotten room that speaks again continues above its old
        // numbers (a jump: its clients re-read the snapshot), never below them.
        for (auto t = sequences.begin(); t != sequences.end();) {
          std::uint64_t floor = floor_locked(t->first);
          std::erase_if(t->second, [&](const auto& entry) {
            if (now - entry.second.touched <= options.sequence_retention)
              return false;
            floor = std::max(floor, entry.second.sequence);
            return true;
          });
          if (floor != floor_locked(t->first))
            sequence_floors[t->first] = floor;
          t = t->second.empty() ? sequences.erase(t) : std::next(t);
        }
        next_prune = now + prune_every;
      }
    }
    try {
      dispatch(batch);
    } catch (const std::exception& e) {
      // Only allocation can throw here; a failed fan-out must not end the hub thread.
      log.error("hub_dispatch_failed", {{"error", e.what()}, {"events", batch.size()}});
    }
    batch.clear();
    if (SteadyClock::now() >= next_sweep) {
      sweep(SteadyClock::now());
      next_sweep = SteadyClock::now() + options.sweep_interval;
    }
  }
}

void Hub::Impl::stop() {
  {
    std::lock_guard lock(queue_mutex);
    if (stopping)
      return;
    stopping = true;
    queue.clear();
  }
  queue_cv.notify_all();
  if (thread.joinable())
    thread.join();
}

// --- Connections ---

void Hub::Impl::opened(const std::shared_ptr<HubConnection>& connection) {
  std::lock_guard lock(connections_mutex);
  all.emplace(connection.get(), connection);
  connections_active.inc();
}

void Hub::Impl::joined(const std::shared_ptr<HubConnection>& connection) {
  std::lock_guard lock(connections_mutex);
  auto& group = groups[connection->tenant()];
  auto next = group ? std::make_shared<Group>(*group) : std::make_shared<Group>();
  next->push_back(connection);
  group = std::move(next);
}

void Hub::Impl::left(HubConnection* connection) {
  std::lock_guard lock(connections_mutex);
  if (all.erase(connection) > 0)
    connections_active.dec();
  auto it = groups.find(connection->tenant());
  if (it == groups.end())
    return;
  auto next = std::make_shared<Group>();
  next->reserve(it->second->size());
  for (const auto& member : *it->second) {
    if (member.get() != connection)
      next->push_back(member);
  }
  if (next->empty()) {
    groups.erase(it);
  } else {
    it->second = std::move(next);
  }
}

void Hub::Impl::sweep(SteadyClock::time_point now) {
  std::vector<std::shared_ptr<HubConnection>> snapshot_of_all;
  {
    std::lock_guard lock(connections_mutex);
    for (auto it = pending.begin(); it != pending.end();) {
      it = now - it->second.created >= options.negotiate_timeout ? forget_pending_locked(it)
                                                                 : std::next(it);
    }
    snapshot_of_all.reserve(all.size());
    for (const auto& [key, connection] : all)
      snapshot_of_all.push_back(connection);
  }
  const auto now_ticks = ticks(now);
  for (const auto& connection : snapshot_of_all)
    connection->sweep(now_ticks);
}

// --- HTTP ---

http::WebSocketOptions Hub::Impl::websocket_options() const {
  http::WebSocketOptions ws;
  // A record over max_message_bytes gets SignalR's Close message from the RecordBuffer check;
  // the WebSocket limit only stops a frame far beyond it (closed with 1009).
  ws.max_message_bytes = options.max_message_bytes * 2;
  ws.max_queue_bytes = options.max_send_queue_bytes;
  ws.max_reply_queue_bytes = options.max_reply_queue_bytes;
  ws.close_timeout = options.close_timeout;
  ws.overflow_message = overflow_record;
  return ws;
}

void Hub::Impl::negotiate(http::Request request, http::Responder respond) {
  const auto version = query_ci(request, "negotiateVersion");
  if (auto error = signalr::negotiate_version_error(version)) {
    // ASP.NET answers version errors with 200 and an "error" body, which the client surfaces.
    respond(http::Response::text(200, std::move(*error), "application/json"));
    return;
  }
  auto credential = bearer_credential(request);
  if (credential.empty()) {
    respond(unauthorized());
    return;
  }
  authenticator.authenticate(std::move(credential), [self = shared_from_this(),
                                                     respond = std::move(respond)](
                                                        core::Result<core::TenantId> tenant) {
    if (!tenant) {
      respond(unauthorized());
      return;
    }
    const auto connection_id = new_id();
    const auto token = new_id();
    {
      std::lock_guard lock(self->connections_mutex);
      const auto held = self->pending_per_tenant.find(*tenant);
      const std::size_t of_tenant = held == self->pending_per_tenant.end() ? 0 : held->second;
      if (of_tenant >= self->options.max_pending_negotiations_per_tenant ||
          self->pending.size() >= self->options.max_pending_negotiations) {
        const auto expiry =
            std::chrono::ceil<std::chrono::seconds>(self->options.negotiate_timeout);
        auto busy = http::Response::error(
            503, "hub_busy",
            "too many hub negotiations not yet followed by a connection; connect with the "
            "connectionToken of one, or retry later (they expire after " +
                std::to_string(expiry.count()) + " s)");
        busy.headers.emplace_back("Retry-After", std::to_string(expiry.count()));
        respond(with_tenant(std::move(busy), *tenant));
        return;
      }
      ++self->pending_per_tenant[*tenant];
      self->pending.emplace(token, Pending{connection_id, *tenant, SteadyClock::now()});
    }
    respond(with_tenant(http::Response::text(200, signalr::negotiate_response(connection_id, token),
                                             "application/json"),
                        *tenant));
  });
}

void Hub::Impl::upgrade(http::Request request, http::WebSocketResponder respond) {
  auto credential = bearer_credential(request);
  if (credential.empty()) {
    respond(unauthorized());
    return;
  }
  std::optional<std::string> token;
  if (auto id = query_ci(request, "id"))
    token = std::string(*id);
  authenticator.authenticate(
      std::move(credential),
      [self = shared_from_this(), respond = std::move(respond), token = std::move(token),
       request_id = request.request_id](core::Result<core::TenantId> tenant) {
        if (!tenant) {
          respond(unauthorized());
          return;
        }
        std::string connection_id;
        if (token) {
          std::optional<Pending> found;
          {
            std::lock_guard lock(self->connections_mutex);
            if (auto it = self->pending.find(*token); it != self->pending.end()) {
              found = it->second;
              self->forget_pending_locked(it);
            }
          }
          // Expired, unknown, already attached, or negotiated by another tenant: all the same
          // 404, as ASP.NET answers an unknown id (nothing revealed about other tenants).
          if (!found || found->tenant != *tenant ||
              SteadyClock::now() - found->created >= self->options.negotiate_timeout) {
            respond(with_tenant(
                http::Response::text(404, "No Connection with that ID", "text/plain"), *tenant));
            return;
          }
          connection_id = std::move(found->connection_id);
        } else {
          connection_id = new_id();  // skipNegotiation
        }
        self->log.info("hub_connected", {{"connection_id", connection_id},
                                         {"tenant_id", tenant->value()},
                                         {"request_id", request_id}});
        auto connection =
            std::make_shared<HubConnection>(self, *tenant, std::move(connection_id), request_id);
        respond(http::WebSocketAccept{std::move(connection), self->websocket_options(),
                                      tenant->value()});
      });
}

// --- Hub ---

Hub::Hub(HubOptions options, HubAuthenticator& authenticator, core::WorkPool& pool,
         SnapshotFn snapshot, RoomExistsFn room_exists, observability::MetricsRegistry& metrics,
         observability::Logger logger)
    : impl_(std::make_shared<Impl>(options, authenticator, pool, std::move(snapshot),
                                   std::move(room_exists), metrics, std::move(logger))) {
  impl_->start();
}

Hub::~Hub() {
  stop();
}

void Hub::add_routes(http::Router& router) {
  auto impl = impl_;
  router.add("POST", "/hubs/rooms/negotiate",
             [impl](http::Request request, http::Responder respond) {
               impl->negotiate(std::move(request), std::move(respond));
             });
  const auto upgrade = [impl](http::Request request, http::WebSocketResponder respond) {
    impl->upgrade(std::move(request), std::move(respond));
  };
  router.add_websocket("/hubs/rooms", upgrade);
  // The JS client connects to "/hubs/rooms/?id=" when the hub URL ends in a slash.
  router.add_websocket("/hubs/rooms/", upgrade);
}

void Hub::publish(RoomNotification notification) {
  impl_->publish(std::move(notification));
}

void Hub::publish_all(std::vector<RoomNotification> notifications) {
  impl_->publish_all(std::move(notifications));
}

void Hub::stop() {
  impl_->stop();
}

std::size_t Hub::connection_count() const {
  std::lock_guard lock(impl_->connections_mutex);
  return impl_->all.size();
}

}  // namespace roomplane::realtime
