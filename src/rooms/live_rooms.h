#pragma once
// The snapshot behind the hub's GetLiveRooms(): a tenant's in-progress rooms as
// rooms::room_view_json() shows them (participants, recordings, compositions), each with the
// dominant speaker its participants last reported while that speaker is still connected.
// Blocking (reads the store); the hub runs it on the WorkPool and adds each room's sequence.

#include <cstddef>

#include <nlohmann/json.hpp>

#include "core/ids.h"
#include "core/result.h"
#include "rooms/stores.h"

namespace roomplane::rooms {

// A dashboard must see every live room, or it would show a missing one as ended: the store's
// pages (200 rooms each) are read to the end, up to this many rooms, newest first. Beyond it a
// tenant is far past what one coordinator screen shows; the rest are left out, and `main`
// logs it and counts it in `roomplane_hub_snapshot_truncated_total`.
inline constexpr std::size_t kMaxLiveRoomsInSnapshot = 2000;

struct LiveRoomsSnapshot {
  nlohmann::json rooms = nlohmann::json::array();
  bool truncated = false;  // more than max_rooms rooms are in progress
};

core::Result<LiveRoomsSnapshot> live_rooms_snapshot(
    RoomStore& store, const core::TenantId& tenant,
    std::size_t max_rooms = kMaxLiveRoomsInSnapshot);

}  // namespace roomplane::rooms
