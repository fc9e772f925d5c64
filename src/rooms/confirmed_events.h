#pragma once
// Derived events: what a provider answer confirms (a created or ended room, a participant who
// left), in the words callbacks use, so a store folds them exactly like the callbacks that will
// follow (which then change nothing). Shared by RoomService (end, disconnect, create, recovery)
// and the reconciler (a room or participant found gone at the provider). Header-only, pure.

#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "rooms/room_events.h"
#include "video/provider.h"

namespace roomplane::rooms {

inline RoomEvent room_created_event(const video::RoomInfo& info) {
  RoomEvent event;
  event.type = RoomEventType::kRoomCreated;
  event.raw_name = "room-created";
  event.room_sid = info.sid;
  event.room_name = info.unique_name;
  event.occurred_at = info.created_at;
  return event;
}

// The room's end as the provider reports it; `now` when the provider gave no end time.
inline RoomEvent room_ended_event(const video::RoomInfo& info, core::TimePoint now) {
  RoomEvent event;
  event.type = RoomEventType::kRoomEnded;
  event.raw_name = "room-ended";
  event.room_sid = info.sid;
  event.room_name = info.unique_name;
  event.occurred_at = info.ended_at.value_or(now);
  event.room_duration_seconds = info.duration_seconds;
  event.room_failed = info.status == video::RoomStatus::kFailed;
  return event;
}

// A participant's connection (when the provider gave its time) and its disconnection (at the
// provider's time, else `now`).
inline std::vector<RoomEvent> participant_events(const video::ParticipantInfo& info,
                                                 const std::string& room_name,
                                                 core::TimePoint now) {
  std::vector<RoomEvent> events;
  RoomEvent base;
  base.room_sid = info.room_sid;
  base.room_name = room_name;
  base.participant_sid = info.sid;
  base.participant_identity = info.identity;
  if (info.connected_at) {
    RoomEvent connected = base;
    connected.type = RoomEventType::kParticipantConnected;
    connected.raw_name = "participant-connected";
    connected.occurred_at = *info.connected_at;
    events.push_back(std::move(connected));
  }
  RoomEvent disconnected = std::move(base);
  disconnected.type = RoomEventType::kParticipantDisconnected;
  disconnected.raw_name = "participant-disconnected";
  disconnected.occurred_at = info.disconnected_at.value_or(now);
  disconnected.participant_duration_seconds = info.duration_seconds;
  events.push_back(std::move(disconnected));
  return events;
}

}  // namespace roomplane::rooms
