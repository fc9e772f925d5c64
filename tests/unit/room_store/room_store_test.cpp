// SqliteRoomStore against a real SQLite file.

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "room_store_fixture.h"

namespace roomplane::storage::testing {
namespace {

using rooms::RoomLifecycle;

TEST_F(RoomStoreTest, InsertsAndFindsARoomWithEveryField) {
  auto room = new_room(kTenantA, "rm_1", at_ms(10, 250));
  room.max_participants = std::nullopt;
  room.type = video::RoomType::kPeerToPeer;
  ASSERT_TRUE(store_->insert(room).ok());

  auto found = store_->find(kTenantA, room.id);
  ASSERT_TRUE(found.ok()) << found.error().message;
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ(describe((*found)->room), describe(room));
  EXPECT_EQ((*found)->state.status, rooms::RoomStatus::kUnknown);
  EXPECT_EQ(scalar("SELECT type FROM rooms WHERE room_id = 'rm_1'"), "peer-to-peer");

  auto row = store_->find_row(kTenantA, room.id);
  ASSERT_TRUE(row.ok()) << row.error().message;
  ASSERT_TRUE(row->has_value());
  EXPECT_EQ(describe(**row), describe(room));
  EXPECT_FALSE(store_->find_row(kTenantA, RoomId("rm_none")).value().has_value());

  auto again = store_->insert(room);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, core::ErrorKind::kConflict);
  EXPECT_EQ(again.error().code, "room_exists");
}

TEST_F(RoomStoreTest, InsertRefusesARoomThatIsNotNew) {
  auto room = new_room(kTenantA, "rm_1", at_ms(0));
  room.status = RoomLifecycle::kInProgress;
  EXPECT_FALSE(store_->insert(room).ok());
  auto with_sid = new_room(kTenantA, "rm_2", at_ms(0));
  with_sid.provider_room_sid = "RM2";
  EXPECT_FALSE(store_->insert(with_sid).ok());
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM rooms"), "0");
}

TEST_F(RoomStoreTest, AnotherTenantsRoomIsNotFoundNotListedAndNotChanged) {
  linked_room(kTenantA, "rm_a", "RMA");
  const auto before = describe(store_->find(kTenantA, RoomId("rm_a")).value()->room);

  EXPECT_FALSE(store_->find(kTenantB, RoomId("rm_a")).value().has_value());
  EXPECT_FALSE(store_->find_row(kTenantB, RoomId("rm_a")).value().has_value());
  EXPECT_FALSE(store_->find_by_provider_sid(kTenantB, "RMA").value().has_value());
  EXPECT_TRUE(store_->list(kTenantB, {}).value().rooms.empty());

  auto link = store_->link_provider_room(kTenantB, RoomId("rm_a"), "RMX", {}, at_ms(50));
  ASSERT_FALSE(link.ok());
  EXPECT_EQ(link.error().kind, core::ErrorKind::kNotFound);
  EXPECT_EQ(store_->mark_failed(kTenantB, RoomId("rm_a"), "x", at_ms(50)).error().kind,
            core::ErrorKind::kNotFound);
  EXPECT_EQ(store_->set_recording(kTenantB, RoomId("rm_a"), false, at_ms(50)).error().kind,
            core::ErrorKind::kNotFound);
  auto confirmed = std::vector<RoomEvent>{room_ended("RMA", at(40), 9)};
  EXPECT_EQ(
      store_->apply_confirmed(kTenantB, RoomId("rm_a"), confirmed, "x", at_ms(50)).error().kind,
      core::ErrorKind::kNotFound);
  EXPECT_EQ(store_->add_speaker_change(kTenantB, {RoomId("rm_a"), "PA1", "PA2", "bob", at_ms(50)})
                .error()
                .kind,
            core::ErrorKind::kNotFound);

  EXPECT_EQ(describe(store_->find(kTenantA, RoomId("rm_a")).value()->room), before);
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM room_states WHERE provider_room_sid = 'RMX'"), "0");
}

TEST_F(RoomStoreTest, ListsNewestFirstInCursorPages) {
  // Two rooms share a created_at: the id breaks the tie, so no page repeats or skips one.
  const std::vector<std::pair<std::string, std::int64_t>> rooms = {
      {"rm_a", 1}, {"rm_b", 2}, {"rm_c", 3}, {"rm_d", 3}, {"rm_e", 5}, {"rm_f", 6}, {"rm_g", 7}};
  for (const auto& [id, created] : rooms)
    ASSERT_TRUE(store_->insert(new_room(kTenantA, id, at_ms(created))).ok());
  ASSERT_TRUE(store_->insert(new_room(kTenantB, "rm_other", at_ms(4))).ok());

  // Every page size, so the tie falls on a page boundary at least once.
  const std::vector<std::string> newest_first = {"rm_g", "rm_f", "rm_e", "rm_d",
                                                 "rm_c", "rm_b", "rm_a"};
  for (std::size_t limit = 1; limit <= 8; ++limit) {
    SCOPED_TRACE("limit " + std::to_string(limit));
    std::vector<std::string> seen;
    std::size_t pages = 0;
    rooms::RoomListQuery query;
    query.limit = limit;
    while (true) {
      auto page = store_->list(kTenantA, query);
      ASSERT_TRUE(page.ok()) << page.error().message;
      ++pages;
      EXPECT_LE(page->rooms.size(), limit);
      for (const auto& r : page->rooms) {
        EXPECT_EQ(r.tenant_id, kTenantA);
        seen.push_back(r.id.value());
      }
      if (!page->next_cursor)
        break;
      EXPECT_EQ(page->rooms.size(), limit) << "only the last page is short";
      query.cursor = page->next_cursor;
    }
    EXPECT_EQ(seen, newest_first);
    EXPECT_EQ(pages, (newest_first.size() + limit - 1) / limit) << "no empty last page";
  }
}

TEST_F(RoomStoreTest, ListFiltersByStatusAcrossPages) {
  for (int i = 0; i < 6; ++i) {
    const std::string id = "rm_" + std::to_string(i);
    ASSERT_TRUE(store_->insert(new_room(kTenantA, id, at_ms(i))).ok());
    if (i % 2 == 0) {
      ASSERT_TRUE(store_->mark_failed(kTenantA, RoomId(id), "provider_error: x", at_ms(9)).ok());
    }
  }
  rooms::RoomListQuery query;
  query.status = RoomLifecycle::kFailed;
  query.limit = 2;
  auto first = store_->list(kTenantA, query).value();
  ASSERT_EQ(first.rooms.size(), 2u);
  EXPECT_EQ(first.rooms[0].id.value(), "rm_4");
  EXPECT_EQ(first.rooms[1].id.value(), "rm_2");
  ASSERT_TRUE(first.next_cursor);
  query.cursor = first.next_cursor;
  auto second = store_->list(kTenantA, query).value();
  ASSERT_EQ(second.rooms.size(), 1u);
  EXPECT_EQ(second.rooms[0].id.value(), "rm_0");
  EXPECT_FALSE(second.next_cursor);

  query = {};
  query.status = RoomLifecycle::kCreating;
  auto creating = store_->list(kTenantA, query).value();
  ASSERT_EQ(creating.rooms.size(), 3u);
  for (const auto& r : creating.rooms)
    EXPECT_EQ(r.status, RoomLifecycle::kCreating);
  query.status = RoomLifecycle::kCompleted;
  EXPECT_TRUE(store_->list(kTenantA, query).value().rooms.empty());
}

TEST_F(RoomStoreTest, RejectsAMalformedCursor) {
  ASSERT_TRUE(store_->insert(new_room(kTenantA, "rm_1", at_ms(1))).ok());
  auto hex = [](const std::string& plain) {
    std::string out;
    for (unsigned char ch : plain) {
      out += "0123456789abcdef"[ch >> 4];
      out += "0123456789abcdef"[ch & 0xF];
    }
    return out;
  };
  for (const std::string& cursor :
       {std::string(""), std::string("abc"), std::string("zz"), std::string("Not a cursor!"),
        hex("12345"), hex(":rm_1"), hex("123:"), hex("12x:rm_1"), hex("-:rm_1"),
        hex("99999999999999999999999:rm_1"), std::string(2000, 'a')}) {
    rooms::RoomListQuery query;
    query.cursor = cursor;
    auto page = store_->list(kTenantA, query);
    ASSERT_FALSE(page.ok()) << cursor;
    EXPECT_EQ(page.error().kind, core::ErrorKind::kInvalidArgument);
    EXPECT_EQ(page.error().code, "invalid_cursor");
  }
  rooms::RoomListQuery query;
  query.cursor = hex("1790000005000:rm_9");
  auto page = store_->list(kTenantA, query);
  ASSERT_TRUE(page.ok()) << "a well-formed position is fine even if no room sits there";
  EXPECT_EQ(page->rooms.size(), 1u);
}

TEST_F(RoomStoreTest, LinkMovesCreatingToInProgressAndFoldsConfirmedEvents) {
  ASSERT_TRUE(store_->insert(new_room(kTenantA, "rm_1", at_ms(0))).ok());
  const std::vector<RoomEvent> confirmed = {room_created("RM1", at(1, 500'000'000), 0)};
  auto view = store_->link_provider_room(kTenantA, RoomId("rm_1"), "RM1", confirmed, at_ms(2));
  ASSERT_TRUE(view.ok()) << view.error().message;
  EXPECT_EQ(view->room.status, RoomLifecycle::kInProgress);
  EXPECT_EQ(view->room.provider_room_sid, "RM1");
  EXPECT_EQ(view->room.started_at, at_ms(1, 500));
  EXPECT_EQ(view->room.updated_at, at_ms(2));
  EXPECT_EQ(view->state.status, rooms::RoomStatus::kInProgress);

  auto by_sid = store_->find_by_provider_sid(kTenantA, "RM1");
  ASSERT_TRUE(by_sid.ok() && by_sid->has_value());
  EXPECT_EQ(describe((*by_sid)->room), describe(view->room));
  EXPECT_TRUE((*by_sid)->state == view->state) << "the state keeps nanoseconds";

  auto again = store_->link_provider_room(kTenantA, RoomId("rm_1"), "RM1", confirmed, at_ms(3));
  ASSERT_TRUE(again.ok()) << "linking to the same SID again is harmless";
  EXPECT_TRUE(again->state == view->state);
  auto other = store_->link_provider_room(kTenantA, RoomId("rm_1"), "RM2", {}, at_ms(3));
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().kind, core::ErrorKind::kConflict);

  auto missing = store_->link_provider_room(kTenantA, RoomId("rm_x"), "RM3", {}, at_ms(3));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, core::ErrorKind::kNotFound);
}

TEST_F(RoomStoreTest, LinkFoldsTheEventsThatArrivedBeforeIt) {
  ASSERT_TRUE(store_->insert(new_room(kTenantA, "rm_1", at_ms(0))).ok());
  // The callbacks beat the second write of the room: no local room has RM1 yet.
  auto early = ingest({item(kTenantA, connected("RM1", "PA1", "doctor", at(5), 1)),
                       item(kTenantA, connected("RM1", "PA2", "patient", at(6), 2))});
  ASSERT_EQ(early.size(), 2u);
  EXPECT_FALSE(early[0].room);
  EXPECT_FALSE(early[0].room_after);
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM participants"), "0");
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM events WHERE room_id IS NULL"), "2");

  auto view = store_->link_provider_room(kTenantA, RoomId("rm_1"), "RM1",
                                         std::vector{room_created("RM1", at(4), 0)}, at_ms(7));
  ASSERT_TRUE(view.ok()) << view.error().message;
  EXPECT_EQ(view->state.participants.size(), 2u);
  EXPECT_EQ(view->room.started_at, at_ms(4));
  EXPECT_EQ(column("SELECT provider_participant_sid || ' ' || identity || ' ' || status || ' ' || "
                   "room_id FROM participants ORDER BY 1"),
            (std::vector<std::string>{"PA1 doctor connected rm_1", "PA2 patient connected rm_1"}));
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM events WHERE room_id = 'rm_1'"), "2");

  // From now on callbacks project straight onto the room.
  auto later = ingest({item(kTenantA, disconnected("RM1", "PA2", "patient", at(20), 3))});
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].room, RoomId("rm_1"));
  EXPECT_EQ(scalar("SELECT status FROM participants WHERE provider_participant_sid = 'PA2'"),
            "disconnected");
}

TEST_F(RoomStoreTest, LinkingAfterTheProviderRoomEndedCompletesTheRoom) {
  ASSERT_TRUE(store_->insert(new_room(kTenantA, "rm_1", at_ms(0))).ok());
  ingest({item(kTenantA, connected("RM1", "PA1", "doctor", at(5), 1)),
          item(kTenantA, room_ended("RM1", at(30), 2))});
  auto view = store_->link_provider_room(kTenantA, RoomId("rm_1"), "RM1", {}, at_ms(40));
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->room.status, RoomLifecycle::kCompleted);
  EXPECT_EQ(view->room.ended_at, at_ms(30));
  EXPECT_EQ(view->room.end_reason, rooms::kEndedByProvider);
  EXPECT_EQ(scalar("SELECT status || ' ' || disconnected_at FROM participants"),
            "disconnected " + std::to_string((1'790'000'000LL + 30) * 1000));
}

TEST_F(RoomStoreTest, MarkFailedMovesOnlyACreatingRoom) {
  ASSERT_TRUE(store_->insert(new_room(kTenantA, "rm_new", at_ms(0))).ok());
  ASSERT_TRUE(
      store_->mark_failed(kTenantA, RoomId("rm_new"), "provider_error: 53113", at_ms(5)).ok());
  auto failed = store_->find(kTenantA, RoomId("rm_new")).value().value().room;
  EXPECT_EQ(failed.status, RoomLifecycle::kFailed);
  EXPECT_EQ(failed.end_reason, "provider_error: 53113");
  EXPECT_EQ(failed.updated_at, at_ms(5));

  const auto live = linked_room(kTenantA, "rm_live", "RM1");
  ASSERT_TRUE(store_->mark_failed(kTenantA, RoomId("rm_live"), "too late", at_ms(9)).ok());
  EXPECT_EQ(describe(store_->find(kTenantA, RoomId("rm_live")).value()->room), describe(live));
  ASSERT_TRUE(store_->mark_failed(kTenantA, RoomId("rm_new"), "again", at_ms(9)).ok());
  EXPECT_EQ(store_->find(kTenantA, RoomId("rm_new")).value()->room.end_reason,
            "provider_error: 53113");

  auto missing = store_->mark_failed(kTenantA, RoomId("rm_x"), "x", at_ms(9));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, core::ErrorKind::kNotFound);
}

TEST_F(RoomStoreTest, ApplyConfirmedEndsTheRoomWithTheCallersReason) {
  linked_room(kTenantA, "rm_1", "RM1");
  ingest({item(kTenantA, room_created("RM1", at(1), 0)),
          item(kTenantA, connected("RM1", "PA1", "doctor", at(5), 1))});

  const std::vector<RoomEvent> confirmed = {room_ended("RM1", at(30), 9),
                                            disconnected("RM1", "PA1", "doctor", at(30), 8)};
  auto view = store_->apply_confirmed(kTenantA, RoomId("rm_1"), confirmed,
                                      std::string(rooms::kEndedByApi), at_ms(31));
  ASSERT_TRUE(view.ok()) << view.error().message;
  EXPECT_EQ(view->room.status, RoomLifecycle::kCompleted);
  EXPECT_EQ(view->room.end_reason, rooms::kEndedByApi);
  EXPECT_EQ(view->room.ended_at, at_ms(30));
  EXPECT_EQ(view->room.updated_at, at_ms(31));
  EXPECT_EQ(describe(store_->find(kTenantA, RoomId("rm_1")).value()->room), describe(view->room));
  EXPECT_EQ(scalar("SELECT status FROM participants WHERE provider_participant_sid = 'PA1'"),
            "disconnected");

  // The provider's own callback for the same end changes neither the reason nor the row.
  auto outcome = ingest({item(kTenantA, room_ended("RM1", at(30), 9))});
  EXPECT_EQ(outcome[0].room_after->end_reason, rooms::kEndedByApi);
  EXPECT_EQ(describe(store_->find(kTenantA, RoomId("rm_1")).value()->room), describe(view->room));

  // A reason for a room that had already ended is not recorded.
  auto late = store_->apply_confirmed(kTenantA, RoomId("rm_1"), confirmed, "other", at_ms(40));
  ASSERT_TRUE(late.ok());
  EXPECT_EQ(late->room.end_reason, rooms::kEndedByApi);
  EXPECT_EQ(late->room.updated_at, at_ms(31)) << "nothing changed";
}

// POST .../end asks the provider to end the room; the room-ended callback that this causes can
// be ingested before the end's own write. The tenant's reason still wins over the default.
TEST_F(RoomStoreTest, ApplyConfirmedReasonReplacesTheDefaultOfACallbackThatRacedAhead) {
  linked_room(kTenantA, "rm_1", "RM1");
  ingest({item(kTenantA, room_created("RM1", at(1), 0))});
  auto raced = ingest({item(kTenantA, room_ended("RM1", at(30), 9))});
  ASSERT_EQ(raced[0].room_after->end_reason, rooms::kEndedByProvider);

  const std::vector<RoomEvent> confirmed = {room_ended("RM1", at(30), 9)};
  auto view = store_->apply_confirmed(kTenantA, RoomId("rm_1"), confirmed,
                                      std::string(rooms::kEndedByApi), at_ms(31));
  ASSERT_TRUE(view.ok()) << view.error().message;
  EXPECT_EQ(view->room.end_reason, rooms::kEndedByApi);
  EXPECT_EQ(view->room.updated_at, at_ms(31));
  EXPECT_EQ(store_->find(kTenantA, RoomId("rm_1")).value()->room.end_reason, rooms::kEndedByApi);
}

TEST_F(RoomStoreTest, ApplyConfirmedNeedsALinkedRoom) {
  ASSERT_TRUE(store_->insert(new_room(kTenantA, "rm_1", at_ms(0))).ok());
  auto unlinked = store_->apply_confirmed(kTenantA, RoomId("rm_1"), {}, std::nullopt, at_ms(1));
  ASSERT_FALSE(unlinked.ok());
  EXPECT_EQ(unlinked.error().kind, core::ErrorKind::kConflict);
  auto missing = store_->apply_confirmed(kTenantA, RoomId("rm_2"), {}, std::nullopt, at_ms(1));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, core::ErrorKind::kNotFound);
}

TEST_F(RoomStoreTest, SetsRecordingRules) {
  linked_room(kTenantA, "rm_1", "RM1");
  ASSERT_TRUE(store_->set_recording(kTenantA, RoomId("rm_1"), false, at_ms(20)).ok());
  auto room = store_->find(kTenantA, RoomId("rm_1")).value()->room;
  EXPECT_FALSE(room.recording);
  EXPECT_TRUE(room.record) << "what was asked at creation stays";
  EXPECT_EQ(room.updated_at, at_ms(20));
  ASSERT_TRUE(store_->set_recording(kTenantA, RoomId("rm_1"), true, at_ms(21)).ok());
  EXPECT_TRUE(store_->find(kTenantA, RoomId("rm_1")).value()->room.recording);
  EXPECT_EQ(store_->set_recording(kTenantA, RoomId("rm_x"), true, at_ms(21)).error().kind,
            core::ErrorKind::kNotFound);
}

TEST_F(RoomStoreTest, ListsRoomsStuckInCreatingOldestFirstAcrossTenants) {
  ASSERT_TRUE(store_->insert(new_room(kTenantA, "rm_a_old", at_ms(10))).ok());
  ASSERT_TRUE(store_->insert(new_room(kTenantB, "rm_b_old", at_ms(5))).ok());
  ASSERT_TRUE(store_->insert(new_room(kTenantA, "rm_a_new", at_ms(100))).ok());
  ASSERT_TRUE(store_->insert(new_room(kTenantB, "rm_b_mid", at_ms(20))).ok());
  linked_room(kTenantA, "rm_linked", "RM1", 1);
  ASSERT_TRUE(store_->insert(new_room(kTenantA, "rm_failed", at_ms(2))).ok());
  ASSERT_TRUE(store_->mark_failed(kTenantA, RoomId("rm_failed"), "x", at_ms(3)).ok());

  auto stuck = store_->list_creating(at_ms(50), 10);
  ASSERT_TRUE(stuck.ok()) << stuck.error().message;
  std::vector<std::string> ids;
  for (const auto& r : *stuck)
    ids.push_back(r.tenant_id.value() + "/" + r.id.value());
  EXPECT_EQ(ids,
            (std::vector<std::string>{"tn_bbbb/rm_b_old", "tn_aaaa/rm_a_old", "tn_bbbb/rm_b_mid"}));
  EXPECT_EQ(store_->list_creating(at_ms(50), 1).value().size(), 1u);
  EXPECT_TRUE(store_->list_creating(at_ms(5), 10).value().empty()) << "strictly before";
}

TEST_F(RoomStoreTest, KeepsSpeakerChangesPerRoomOldestFirst) {
  linked_room(kTenantA, "rm_1", "RM1");
  linked_room(kTenantA, "rm_2", "RM2");
  const std::vector<rooms::SpeakerChange> changes = {
      {RoomId("rm_1"), "PA1", "PA2", "patient", at_ms(10)},
      {RoomId("rm_1"), "PA2", "PA1", "doctor", at_ms(12)},
      {RoomId("rm_1"), "PA1", "", "", at_ms(12)},  // same millisecond: stored order decides
      {RoomId("rm_1"), "PA2", "PA2", "patient", at_ms(11)},  // reported late
  };
  for (const auto& change : changes)
    ASSERT_TRUE(store_->add_speaker_change(kTenantA, change).ok());
  ASSERT_TRUE(store_->add_speaker_change(kTenantA, {RoomId("rm_2"), "X", "Y", "y", at_ms(1)}).ok());

  auto stored = store_->speaker_changes(kTenantA, RoomId("rm_1"));
  ASSERT_TRUE(stored.ok()) << stored.error().message;
  std::vector<std::string> seen;
  for (const auto& c : *stored) {
    EXPECT_EQ(c.room_id, RoomId("rm_1"));
    seen.push_back(c.reporter_participant_sid + ">" + c.speaker_participant_sid + ":" +
                   c.speaker_identity + "@" +
                   std::to_string(core::to_unix_seconds(c.at) - 1'790'000'000) + "." +
                   std::to_string(c.at.time_since_epoch().count() % 1'000'000'000));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"PA1>PA2:patient@10.0", "PA2>PA2:patient@11.0",
                                            "PA2>PA1:doctor@12.0", "PA1>:@12.0"}));
  EXPECT_TRUE(store_->speaker_changes(kTenantB, RoomId("rm_1")).value().empty());
  auto missing = store_->add_speaker_change(kTenantA, {RoomId("rm_x"), "A", "B", "b", at_ms(1)});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, core::ErrorKind::kNotFound);
}

}  // namespace
}  // namespace roomplane::storage::testing
