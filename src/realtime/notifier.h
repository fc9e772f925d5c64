#pragma once
// The seam between state changes and their delivery to live clients. Webhook processing, room
// operations and background workers publish domain events here and know nothing about
// connections, protocols or instances; the SignalR hub (and, with PostgreSQL, a LISTEN/NOTIFY
// backplane) implements it.

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/ids.h"

namespace roomplane::realtime {

// What happened, named as the hub's client methods are (DESIGN.md, "Real-time hub").
enum class RoomEventKind {
  kRoomUpdated,
  kParticipantJoined,
  kParticipantLeft,
  kDominantSpeakerChanged,
  kRecordingUpdated,
  kCompositionUpdated,
};

// "RoomUpdated", "ParticipantJoined", ...: the SignalR target.
const char* target_name(RoomEventKind kind);

struct RoomNotification {
  RoomEventKind kind = RoomEventKind::kRoomUpdated;
  core::TenantId tenant;
  core::RoomId room_id;           // the tenant-local id
  std::string provider_room_sid;  // the provider's room SID (may be empty while creating)
  core::TimePoint at{};           // when it happened
  // Event-specific fields (participant_sid and identity for participant events, status, ...).
  // The hub adds room_id, room_sid, sequence and timestamp to this object before sending it.
  nlohmann::json payload = nlohmann::json::object();
};

class Notifier {
 public:
  virtual ~Notifier() = default;
  // Never blocks and never fails the caller: delivery is best effort towards clients, which
  // detect a gap by the per-room sequence number and re-read the snapshot.
  virtual void publish(RoomNotification notification) = 0;

  // Several at once, in order, as publish() would one by one. What one commit changed is
  // published together, so a hub can hand a connection all of it in one write; the default
  // publishes them one by one.
  virtual void publish_all(std::vector<RoomNotification> notifications) {
    for (auto& notification : notifications)
      publish(std::move(notification));
  }
};

// For wiring without a hub (CLI tools, tests of other parts).
class NullNotifier final : public Notifier {
 public:
  void publish(RoomNotification) override {}
};

}  // namespace roomplane::realtime
