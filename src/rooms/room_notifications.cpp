#include "rooms/room_notifications.h"

#include <string>
#include <type_traits>
#include <variant>

#include "rooms/room_json.h"

namespace roomplane::rooms {
namespace {

using nlohmann::json;

struct Translate {
  const Room& room;
  std::vector<realtime::RoomNotification>& out;
  core::TimePoint at;

  void add(realtime::RoomEventKind kind, json payload) {
    realtime::RoomNotification n;
    n.kind = kind;
    n.tenant = room.tenant_id;
    n.room_id = room.id;
    n.provider_room_sid = room.provider_room_sid.value_or("");
    n.at = at;
    n.payload = std::move(payload);
    out.push_back(std::move(n));
  }

  // The room's local lifecycle is what clients read everywhere else (GET /v1/rooms/{id}).
  json room_payload() const {
    json payload = {{"status", to_string(room.status)}, {"name", room.name}};
    if (!room.end_reason.empty())
      payload["end_reason"] = room.end_reason;
    return payload;
  }

  void operator()(const RoomStatusChanged&) {
    add(realtime::RoomEventKind::kRoomUpdated, room_payload());
  }
  void operator()(const RoomUpdated&) {
    add(realtime::RoomEventKind::kRoomUpdated, room_payload());
  }
  void operator()(const ParticipantJoined& c) {
    add(realtime::RoomEventKind::kParticipantJoined,
        {{"participant_sid", c.participant_sid}, {"identity", c.identity}});
  }
  void operator()(const ParticipantLeft& c) {
    add(realtime::RoomEventKind::kParticipantLeft,
        {{"participant_sid", c.participant_sid}, {"identity", c.identity}});
  }
  void operator()(const ParticipantUpdated&) {}
  void operator()(const TrackChanged&) {}
  void operator()(const RecordingChanged& c) {
    add(realtime::RoomEventKind::kRecordingUpdated,
        {{"recording_sid", c.recording_sid},
         {"status", public_status(c.status)},  // the REST spelling
         {"recording", room.recording}});
  }
  void operator()(const CompositionChanged& c) {
    add(realtime::RoomEventKind::kCompositionUpdated, {{"composition_sid", c.composition_sid},
                                                       {"status", to_string(c.status)},
                                                       {"progress_percent", c.progress_percent}});
  }
  void operator()(const CompositionHookFailed& c) {
    add(realtime::RoomEventKind::kCompositionUpdated,
        {{"hook_sid", c.hook_sid}, {"status", "hook_failed"}, {"error", c.error}});
  }
};

}  // namespace

std::vector<realtime::RoomNotification> notifications_for(const IngestItem& item,
                                                          const IngestOutcome& outcome) {
  std::vector<realtime::RoomNotification> out;
  if (outcome.duplicate || !outcome.room_after)
    return out;
  Translate translate{*outcome.room_after, out, item.event.occurred_at};
  for (const auto& change : outcome.applied.changes)
    std::visit(translate, change);
  return out;
}

}  // namespace roomplane::rooms
