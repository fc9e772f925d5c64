// What the hub is told about a committed provider event: one notification per observable
// change, none for duplicates, unlinked rooms, or changes dashboards do not show.

#include "rooms/room_notifications.h"

#include <gtest/gtest.h>

#include "unit/rooms_api/rooms_api_support.h"

namespace roomplane::rooms {
namespace {

using realtime::RoomEventKind;
using testing::at;

Room linked_room() {
  Room room;
  room.tenant_id = core::TenantId("tn_a");
  room.id = core::RoomId("rm_1");
  room.name = "Consultation";
  room.provider_room_sid = "RM1";
  room.status = RoomLifecycle::kInProgress;
  room.recording = true;
  return room;
}

IngestItem item_at(int seconds) {
  IngestItem item;
  item.tenant = core::TenantId("tn_a");
  item.event.occurred_at = at(seconds);
  return item;
}

TEST(RoomNotifications, OneNotificationPerObservableChangeInOrder) {
  IngestOutcome outcome;
  outcome.room = core::RoomId("rm_1");
  outcome.room_after = linked_room();
  outcome.applied.changes = {
      RoomStatusChanged{RoomStatus::kUnknown, RoomStatus::kInProgress},
      ParticipantJoined{"PA1", "alice"},
      TrackChanged{"PA1", "MT1"},
      ParticipantUpdated{"PA1"},
      ParticipantLeft{"PA2", "bob"},
      RecordingChanged{"RT1", RecordingStatus::kStarted},
      CompositionChanged{"CJ1", CompositionStatus::kProcessing, 40},
      CompositionHookFailed{"HK1", "boom"},
  };
  const auto out = notifications_for(item_at(5), outcome);
  ASSERT_EQ(out.size(), 6u);
  EXPECT_EQ(out[0].kind, RoomEventKind::kRoomUpdated);
  EXPECT_EQ(out[0].payload["status"], "in-progress");
  EXPECT_EQ(out[1].kind, RoomEventKind::kParticipantJoined);
  EXPECT_EQ(out[1].payload["participant_sid"], "PA1");
  EXPECT_EQ(out[1].payload["identity"], "alice");
  EXPECT_EQ(out[2].kind, RoomEventKind::kParticipantLeft);
  EXPECT_EQ(out[2].payload["identity"], "bob");
  EXPECT_EQ(out[3].kind, RoomEventKind::kRecordingUpdated);
  EXPECT_EQ(out[3].payload["status"], "processing");  // the REST spelling, not "started"
  EXPECT_EQ(out[3].payload["recording"], true);
  EXPECT_EQ(out[4].kind, RoomEventKind::kCompositionUpdated);
  EXPECT_EQ(out[4].payload["progress_percent"], 40);
  EXPECT_EQ(out[5].kind, RoomEventKind::kCompositionUpdated);
  EXPECT_EQ(out[5].payload["status"], "hook_failed");
  for (const auto& n : out) {
    EXPECT_EQ(n.tenant.value(), "tn_a");
    EXPECT_EQ(n.room_id.value(), "rm_1");
    EXPECT_EQ(n.provider_room_sid, "RM1");
    EXPECT_EQ(n.at, at(5));
  }
}

TEST(RoomNotifications, DuplicatesAndUnlinkedRoomsTellNothing) {
  IngestOutcome duplicate;
  duplicate.duplicate = true;
  duplicate.room_after = linked_room();
  duplicate.applied.changes = {ParticipantJoined{"PA1", "alice"}};
  EXPECT_TRUE(notifications_for(item_at(1), duplicate).empty());

  IngestOutcome unlinked;  // a provider room no local room is linked to
  unlinked.applied.changes = {ParticipantJoined{"PA1", "alice"}};
  EXPECT_TRUE(notifications_for(item_at(1), unlinked).empty());
}

}  // namespace
}  // namespace roomplane::rooms
