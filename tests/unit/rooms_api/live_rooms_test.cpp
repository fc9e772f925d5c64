// The GetLiveRooms snapshot over the real SQLite store: every in-progress room of the tenant,
// across the store's pages, with participants and the current dominant speaker; nothing of
// another tenant, nothing ended; a tenant beyond the limit is reported as truncated.

#include "rooms/live_rooms.h"

#include <set>
#include <string>

#include <gtest/gtest.h>

#include "unit/room_store/room_store_fixture.h"

namespace roomplane::storage::testing {
namespace {

class LiveRoomsTest : public RoomStoreTest {};

std::string sid_of(int i) {
  std::string digits = std::to_string(i);
  return "RM" + std::string(32 - digits.size(), '0') + digits;
}

TEST_F(LiveRoomsTest, EveryInProgressRoomAcrossPagesAndNothingElse) {
  constexpr int kRooms = 230;  // more than one page of the store (200)
  for (int i = 0; i < kRooms; ++i)
    linked_room(kTenantA, "rm_a" + std::to_string(i), sid_of(i), i);
  for (int i = 0; i < 3; ++i)
    linked_room(kTenantB, "rm_b" + std::to_string(i), sid_of(1000 + i), i);
  // Two of A's rooms end; one has a participant who is the reported speaker.
  const std::string speaker_room = sid_of(7);
  const std::string speaker = "PA" + std::string(32, '1');
  ingest({item(kTenantA, room_ended(sid_of(0), at_ms(5000), 1)),
          item(kTenantA, room_ended(sid_of(1), at_ms(5000), 1)),
          item(kTenantA, connected(speaker_room, speaker, "dr-who", at_ms(5000), 1))});
  ASSERT_TRUE(
      store_
          ->add_speaker_change(kTenantA, rooms::SpeakerChange{core::RoomId("rm_a7"), speaker,
                                                              speaker, "dr-who", at_ms(5001)})
          .ok());

  auto snapshot = rooms::live_rooms_snapshot(*store_, kTenantA);
  ASSERT_TRUE(snapshot.ok()) << snapshot.error().message;
  EXPECT_FALSE(snapshot->truncated);
  ASSERT_EQ(snapshot->rooms.size(), static_cast<std::size_t>(kRooms - 2));
  std::set<std::string> ids;
  for (const auto& room : snapshot->rooms) {
    ids.insert(room.at("id").get<std::string>());
    EXPECT_EQ(room.at("status"), "in-progress");
    if (room.at("id") == "rm_a7") {
      ASSERT_EQ(room.at("participants").size(), 1u);
      EXPECT_EQ(room.at("participants")[0].at("identity"), "dr-who");
      EXPECT_EQ(room.at("dominant_speaker").at("identity"), "dr-who");
    } else {
      EXPECT_TRUE(room.at("dominant_speaker").is_null());
    }
  }
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(kRooms - 2));  // no room twice
  EXPECT_FALSE(ids.contains("rm_a0"));
  EXPECT_FALSE(ids.contains("rm_a1"));
  EXPECT_TRUE(ids.contains("rm_a2"));
  EXPECT_TRUE(ids.contains("rm_a" + std::to_string(kRooms - 1)));

  auto other = rooms::live_rooms_snapshot(*store_, kTenantB);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->rooms.size(), 3u);
  for (const auto& room : other->rooms)
    EXPECT_TRUE(room.at("id").get<std::string>().starts_with("rm_b"));
}

TEST_F(LiveRoomsTest, BeyondTheLimitTheNewestAreKeptAndTheCutIsReported) {
  for (int i = 0; i < 12; ++i)
    linked_room(kTenantA, "rm_" + std::to_string(i), sid_of(i), i);
  auto cut = rooms::live_rooms_snapshot(*store_, kTenantA, /*max_rooms=*/5);
  ASSERT_TRUE(cut.ok());
  EXPECT_TRUE(cut->truncated);
  ASSERT_EQ(cut->rooms.size(), 5u);
  EXPECT_EQ(cut->rooms[0].at("id"), "rm_11");  // newest first
  EXPECT_EQ(cut->rooms[4].at("id"), "rm_7");

  auto exact = rooms::live_rooms_snapshot(*store_, kTenantA, /*max_rooms=*/12);
  ASSERT_TRUE(exact.ok());
  EXPECT_FALSE(exact->truncated);
  EXPECT_EQ(exact->rooms.size(), 12u);
}

}  // namespace
}  // namespace roomplane::storage::testing
