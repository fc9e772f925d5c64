#pragma once
// The real-time hub at /hubs/rooms: an ASP.NET Core SignalR-compatible endpoint (negotiate v1,
// WebSocket transport, JSON hub protocol; shared/reference/signalr-protocol.md) that pushes
// room events to dashboards. It is the Notifier implementation: webhook processing, room
// operations and workers call publish() and know nothing about connections.
//
// Clients authenticate with a tenant API key or a dashboard token, as "Authorization: Bearer"
// or the access_token query parameter (browsers cannot set WebSocket headers). A connection
// receives every event of its tenant and nothing of any other; Subscribe(roomId) narrows it to
// the rooms subscribed, Unsubscribe(roomId) widens it again (no subscription left: all rooms).
// Hub methods (matched case-insensitively, as ASP.NET does):
//   Subscribe(roomId)   -> {"roomId", "subscribed": true, "sequence"}  (the room's last sequence;
//                          an error when the tenant has no such room, see RoomExistsFn)
//   Unsubscribe(roomId) -> {"roomId", "subscribed": false}
//   GetLiveRooms()      -> the snapshot (see SnapshotFn)
// Server-to-client targets: RoomUpdated, ParticipantJoined, ParticipantLeft,
// DominantSpeakerChanged, RecordingUpdated, CompositionUpdated. Each carries one object: the
// notification's payload plus "roomId", "roomSid", "sequence" and "timestamp" (RFC 3339,
// milliseconds). Sequences count per (tenant, room), one per event, without gaps unless events
// were dropped; they start at a large base (HubOptions::sequence_base: the start time in
// microseconds), not at 1, so they keep rising across a restart of the server and after a
// quiet room's counter was forgotten. A client that sees a gap (any number but its last + 1)
// re-reads the snapshot; one that sees a number at or below its last has it already.
//
// Threading and cost (designed for 10,000 connections on a few I/O threads):
//  - No thread per connection. Connection callbacks run on the HTTP server's strands; one hub
//    thread dispatches events and runs a periodic sweep (pings, timeouts, expiry) over all
//    connections, so there is no per-connection timer.
//  - publish() only appends to a bounded queue (assigning the sequence number) and wakes the
//    hub thread: it never blocks on connections. Over the bound, the event is dropped and
//    counted; its sequence number is still used, so clients see the gap.
//  - Each event is serialized once; every recipient's send queue holds the same buffer.
//  - The hub thread takes everything queued since it last ran and gives each connection all of
//    it that the connection wants in one WebSocket::send_all(), so an idle connection gets one
//    write per batch, not one per event. publish_all() (what one webhook commit changed) queues
//    its events under one lock, so they are always fanned out together.
//  - Each connection has a bounded send queue (HubOptions::max_send_queue_bytes). A consumer
//    that falls behind is closed with a SignalR Close message (allowReconnect) instead of
//    growing memory.
//  - GetLiveRooms runs on the WorkPool (the snapshot reads the database), and so do Subscribe
//    (it looks the room up) and Unsubscribe: one at a time per connection, in the order sent.
//
// Metrics: roomplane_hub_connections_active, roomplane_hub_events_published_total{target},
// roomplane_hub_events_delivered_total, roomplane_hub_events_dropped_total{reason},
// roomplane_hub_slow_consumer_closes_total, roomplane_hub_client_timeouts_total,
// roomplane_hub_dispatch_latency_seconds (publish to fan-out done).
//
// Lifetime: created by the composition root before the HTTP server (add_routes() puts handlers
// that reference it in the router). Destroy it only after the server has shut down and the
// WorkPool has stopped. stop() (also run by the destructor) ends the hub thread.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/ids.h"
#include "core/result.h"
#include "core/work_pool.h"
#include "http/router.h"
#include "observability/log.h"
#include "observability/metrics.h"
#include "realtime/hub_auth.h"
#include "realtime/notifier.h"

namespace roomplane::realtime {

struct HubOptions {
  std::chrono::milliseconds keep_alive_interval{15000};  // ping after this long without sending
  std::chrono::milliseconds client_timeout{30000};       // close after this long without receiving,
                                                         // once the client has pinged (as ASP.NET)
  std::chrono::milliseconds handshake_timeout{15000};
  std::chrono::milliseconds negotiate_timeout{15000};  // a connection token must attach by then
  std::chrono::milliseconds sweep_interval{1000};      // granularity of the three above
  std::chrono::milliseconds close_timeout{5000};       // WebSocket close handshake
  // Per-room counters idle longer are forgotten (checked every minute, or every retention
  // period when that is shorter).
  std::chrono::milliseconds sequence_retention{std::chrono::hours(24)};
  // Where every room's numbering starts in this process (its first event gets one more). Unset:
  // the wall clock at start in microseconds since the Unix epoch, so numbers never go back
  // across a restart (tests set a small base).
  std::optional<std::uint64_t> sequence_base;
  std::size_t max_message_bytes = 32 * 1024;      // incoming record (ASP.NET's default)
  std::size_t max_send_queue_bytes = 256 * 1024;  // events; a consumer beyond it is closed
  // GetLiveRooms results, which grow with the tenant's live rooms, are bounded apart from the
  // events (http::WebSocket::send_reply): a large snapshot is not a slow consumer.
  std::size_t max_reply_queue_bytes = 16 * 1024 * 1024;
  std::size_t max_subscriptions = 256;                     // per connection
  std::size_t max_pending_negotiations = 10000;            // negotiated, not yet connected
  std::size_t max_pending_negotiations_per_tenant = 1000;  // so one tenant cannot take them all
  std::size_t max_queued_events = 100000;                  // publish() queue
  std::size_t max_snapshots_in_flight = 2;                 // GetLiveRooms per connection
};

// The current state of a tenant's live rooms, as GetLiveRooms returns it. Blocking (runs on
// the WorkPool). When it returns a JSON array, each object in it with a string "id" gets a
// "sequence" member: the room's last event sequence read just before the snapshot, so events
// with a sequence up to it are reflected in the snapshot.
using SnapshotFn = std::function<core::Result<nlohmann::json>(const core::TenantId&)>;

// Whether the tenant has a room with this id, in any status, for Subscribe (an unknown room,
// or another tenant's, is refused). Blocking (runs on the WorkPool).
using RoomExistsFn =
    std::function<core::Result<bool>(const core::TenantId&, const std::string& room_id)>;

class Hub final : public Notifier {
 public:
  Hub(HubOptions options, HubAuthenticator& authenticator, core::WorkPool& pool,
      SnapshotFn snapshot, RoomExistsFn room_exists, observability::MetricsRegistry& metrics,
      observability::Logger logger);
  ~Hub() override;
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  // POST /hubs/rooms/negotiate, and the WebSocket endpoint at /hubs/rooms (and /hubs/rooms/).
  void add_routes(http::Router& router);

  // Thread-safe; never blocks on I/O. Events published after stop() are dropped.
  void publish(RoomNotification notification) override;
  // One lock and one wake-up of the hub thread for all of them, so they are fanned out together.
  void publish_all(std::vector<RoomNotification> notifications) override;

  // Ends the hub thread; queued events are dropped. Idempotent.
  void stop();

  // Open hub connections (WebSocket open, handshake done or pending).
  std::size_t connection_count() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace roomplane::realtime
