#include "rooms/live_rooms.h"

#include <utility>

#include "core/clock.h"
#include "rooms/room_json.h"

namespace roomplane::rooms {

core::Result<LiveRoomsSnapshot> live_rooms_snapshot(RoomStore& store, const core::TenantId& tenant,
                                                    std::size_t max_rooms) {
  LiveRoomsSnapshot snapshot;
  RoomListQuery query;
  query.status = RoomLifecycle::kInProgress;
  query.limit = 200;  // the store's largest page
  std::size_t listed = 0;
  while (true) {
    auto page = store.list(tenant, query);
    if (!page)
      return std::move(page).take_error();
    for (const auto& room : page->rooms) {
      if (listed == max_rooms) {
        snapshot.truncated = true;
        return snapshot;
      }
      ++listed;
      auto view = store.find(tenant, room.id);
      if (!view)
        return std::move(view).take_error();
      if (!*view)
        continue;  // gone between the page and the look-up
      auto json = room_view_json(**view);
      // The current client-reported speaker, so a dashboard that (re)loads shows who is
      // speaking without waiting for the next change; only while that participant is still
      // connected.
      auto changes = store.speaker_changes(tenant, room.id);
      if (!changes)
        return std::move(changes).take_error();
      json["dominant_speaker"] = nullptr;
      if (!changes->empty() && !changes->back().speaker_participant_sid.empty()) {
        const auto& last = changes->back();
        const auto& participants = (*view)->state.participants;
        const auto it = participants.find(last.speaker_participant_sid);
        if (it != participants.end() && it->second.status == ParticipantStatus::kConnected) {
          json["dominant_speaker"] = {{"participant_sid", last.speaker_participant_sid},
                                      {"identity", last.speaker_identity},
                                      {"at", core::to_rfc3339(last.at)}};
        }
      }
      snapshot.rooms.push_back(std::move(json));
    }
    if (!page->next_cursor)
      return snapshot;
    query.cursor = std::move(page->next_cursor);
  }
}

}  // namespace roomplane::rooms
