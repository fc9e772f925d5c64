// RoomStore::list_to_reconcile and mark_reconciled (rooms/stores.h) on SQLite: only in-progress
// rooms with a provider SID, never compared first then least recently compared, across tenants,
// not those compared after the cut-off, at most `limit`, read through the partial index; marking
// is bookkeeping that leaves the room row as it was.

#include <algorithm>
#include <string>
#include <vector>

#include "support/query_plan.h"
#include "unit/room_store/room_store_fixture.h"

namespace roomplane::storage::testing {
namespace {

std::vector<std::string> ids(const std::vector<rooms::ReconcileCandidate>& candidates) {
  std::vector<std::string> out;
  for (const auto& c : candidates)
    out.push_back(c.room.id.value());
  return out;
}

class ReconcileStoreTest : public RoomStoreTest {
 protected:
  std::vector<rooms::ReconcileCandidate> due(core::TimePoint before, std::size_t limit = 100) {
    auto listed = store_->list_to_reconcile(before, limit);
    EXPECT_TRUE(listed.ok()) << listed.error().message;
    return listed.ok() ? *listed : std::vector<rooms::ReconcileCandidate>{};
  }
};

TEST_F(ReconcileStoreTest, OnlyInProgressRoomsWithAProviderRoomAreCandidates) {
  linked_room(kTenantA, "rm_live", "RM1");
  ASSERT_TRUE(store_->insert(new_room(kTenantA, "rm_creating", at_ms(0))).ok());
  linked_room(kTenantA, "rm_ended", "RM2");
  ingest({item(kTenantA, room_ended("RM2", at(50), 3))});
  ASSERT_TRUE(store_->insert(new_room(kTenantB, "rm_failed", at_ms(0))).ok());
  ASSERT_TRUE(
      store_->mark_failed(kTenantB, RoomId("rm_failed"), "provider_error: x", at_ms(1)).ok());
  linked_room(kTenantB, "rm_live_b", "RM3");

  auto listed = due(at_ms(1000));
  auto got = ids(listed);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{"rm_live", "rm_live_b"}));  // across tenants
  for (const auto& c : listed) {
    EXPECT_EQ(c.room.status, rooms::RoomLifecycle::kInProgress);
    EXPECT_TRUE(c.room.provider_room_sid.has_value());
    EXPECT_FALSE(c.reconciled_at.has_value());
  }
}

TEST_F(ReconcileStoreTest, NeverReconciledFirstThenLeastRecentlyAndNotAfterTheCutOff) {
  linked_room(kTenantA, "rm_recent", "RM1");
  linked_room(kTenantB, "rm_old", "RM2");
  linked_room(kTenantA, "rm_never", "RM3");
  linked_room(kTenantB, "rm_just_now", "RM4");
  ASSERT_TRUE(store_->mark_reconciled(kTenantA, RoomId("rm_recent"), at_ms(200, 7)).ok());
  ASSERT_TRUE(store_->mark_reconciled(kTenantB, RoomId("rm_old"), at_ms(100)).ok());
  ASSERT_TRUE(store_->mark_reconciled(kTenantB, RoomId("rm_just_now"), at_ms(300)).ok());

  const auto listed = due(at_ms(300));  // rm_just_now (== cut-off) is not due
  EXPECT_EQ(ids(listed), (std::vector<std::string>{"rm_never", "rm_old", "rm_recent"}));
  ASSERT_EQ(listed.size(), 3u);
  EXPECT_FALSE(listed[0].reconciled_at.has_value());
  EXPECT_EQ(listed[1].reconciled_at, at_ms(100));
  EXPECT_EQ(listed[2].reconciled_at, at_ms(200, 7));

  EXPECT_EQ(ids(due(at_ms(300), 2)), (std::vector<std::string>{"rm_never", "rm_old"}));
  EXPECT_EQ(ids(due(at_ms(301))).size(), 4u);
}

TEST_F(ReconcileStoreTest, MarkingIsBookkeepingOnlyAndUnknownRoomsAreNotFound) {
  const auto room = linked_room(kTenantA, "rm_1", "RM1");
  ASSERT_TRUE(store_->mark_reconciled(kTenantA, room.id, at_ms(500)).ok());
  const auto after = store_->find_row(kTenantA, room.id);
  ASSERT_TRUE(after.ok() && after->has_value());
  EXPECT_EQ(describe(**after), describe(room));  // updated_at and everything else unchanged

  // Scoped by tenant, like every other call.
  const auto other = store_->mark_reconciled(kTenantB, room.id, at_ms(600));
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().kind, core::ErrorKind::kNotFound);
  EXPECT_EQ(scalar("SELECT reconciled_at FROM rooms WHERE room_id = 'rm_1'"),
            std::to_string(at_ms(500).time_since_epoch() / std::chrono::milliseconds(1)));
}

TEST_F(ReconcileStoreTest, ReadsThroughThePartialIndex) {
  // The store's statement, as sqlite_room_store.cpp spells it (without the column list).
  auto rows = roomplane::testing::query_plan(
      *db_,
      "SELECT r.room_id FROM rooms r WHERE r.status = 'in-progress' AND r.provider_room_sid IS "
      "NOT NULL AND (r.reconciled_at IS NULL OR r.reconciled_at < 5) ORDER BY r.reconciled_at "
      "LIMIT 10");
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  EXPECT_NE(rows->find("rooms_to_reconcile"), std::string::npos) << *rows;
  EXPECT_EQ(rows->find("TEMP B-TREE"), std::string::npos) << *rows;  // no sort step
}

}  // namespace
}  // namespace roomplane::storage::testing
