// SqliteEventLedger: the webhook hot path against a real SQLite file.

#include <algorithm>
#include <random>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "room_store_fixture.h"
#include "rooms/state_codec.h"
#include "support/query_plan.h"

namespace roomplane::storage::testing {
namespace {

using rooms::RoomLifecycle;

// Every statement a connection finished, and those that stepped through a whole table or
// index or built an automatic index: what EXPLAIN QUERY PLAN would show as SCAN.
class StatementLog {
 public:
  void attach(sqlite3* db) {
    db_ = db;
    sqlite3_trace_v2(db, SQLITE_TRACE_PROFILE, &StatementLog::on_profile, this);
  }
  void detach() {
    if (db_)
      sqlite3_trace_v2(db_, 0, nullptr, nullptr);
    db_ = nullptr;
  }
  std::size_t count_starting(const std::string& prefix) const {
    return static_cast<std::size_t>(std::count_if(
        sql.begin(), sql.end(), [&](const std::string& s) { return s.starts_with(prefix); }));
  }
  std::vector<std::string> sql;
  std::vector<std::string> scans;

 private:
  static int on_profile(unsigned, void* self, void* statement, void*) {
    auto* log = static_cast<StatementLog*>(self);
    auto* stmt = static_cast<sqlite3_stmt*>(statement);
    const std::string text = sqlite3_sql(stmt) ? sqlite3_sql(stmt) : "";
    log->sql.push_back(text);
    if (sqlite3_stmt_status(stmt, SQLITE_STMTSTATUS_FULLSCAN_STEP, 1) > 0 ||
        sqlite3_stmt_status(stmt, SQLITE_STMTSTATUS_AUTOINDEX, 1) > 0) {
      log->scans.push_back(text);
    }
    return 0;
  }
  sqlite3* db_ = nullptr;
};

class EventLedgerTest : public RoomStoreTest {
 protected:
  void TearDown() override {
    writer_log_.detach();
    reader_log_.detach();
  }
  void watch_writer() {
    ASSERT_TRUE(db_->write([&](sqlite::Connection& c) -> core::Status {
                     writer_log_.attach(c.handle());
                     return {};
                   })
                    .ok());
    writer_log_.sql.clear();
    writer_log_.scans.clear();
  }
  void watch_reader() {  // the fixture's database has one reader connection
    ASSERT_TRUE(db_->read([&](sqlite::Connection& c) -> core::Status {
                     reader_log_.attach(c.handle());
                     return {};
                   })
                    .ok());
  }

  rooms::RoomView view(const TenantId& tenant, const std::string& id) {
    auto found = store_->find(tenant, RoomId(id));
    EXPECT_TRUE(found.ok() && found->has_value());
    return found.ok() && found->has_value() ? **found : rooms::RoomView{};
  }
  // The participants view of a tenant (derived from room_states since migration 0008).
  std::vector<std::string> participant_rows(const TenantId& tenant) {
    return column(
        "SELECT room_id || '|' || provider_participant_sid || '|' || identity || '|' || status || "
        "'|' || IFNULL(connected_at, '-') || '|' || IFNULL(disconnected_at, '-') || '|' || "
        "IFNULL(duration_seconds, '-') FROM participants WHERE tenant_id = '" +
        tenant.value() + "' ORDER BY provider_participant_sid");
  }
  std::string stored_state(const TenantId& tenant, const std::string& sid) {
    return scalar("SELECT state FROM room_states WHERE tenant_id = '" + tenant.value() +
                  "' AND provider_room_sid = '" + sid + "'");
  }

  StatementLog writer_log_;
  StatementLog reader_log_;
};

TEST_F(EventLedgerTest, RecordsEveryEventAndFoldsItIntoTheRoomState) {
  linked_room(kTenantA, "rm_1", "RM1");
  const auto events = consultation("RM1");
  std::vector<rooms::IngestItem> items;
  for (const auto& e : events)
    items.push_back(item(kTenantA, e, at_ms(500)));
  auto outcomes = ingest(items);
  ASSERT_EQ(outcomes.size(), events.size());

  rooms::RoomState expected;
  for (const auto& e : events)
    (void)rooms::apply(expected, e);
  const auto stored = view(kTenantA, "rm_1");
  EXPECT_EQ(rooms::to_canonical_text(stored.state), rooms::to_canonical_text(expected));
  EXPECT_EQ(stored.room.status, RoomLifecycle::kCompleted);
  EXPECT_EQ(stored.room.started_at, at_ms(0));
  EXPECT_EQ(stored.room.ended_at, at_ms(63, 0)) << "milliseconds in the row";
  EXPECT_EQ(stored.room.end_reason, rooms::kEndedByProvider);
  EXPECT_EQ(stored.room.updated_at, at_ms(500));

  EXPECT_EQ(scalar("SELECT COUNT(*) FROM events WHERE tenant_id = 'tn_aaaa' AND room_id = 'rm_1'"),
            std::to_string(events.size()));
  EXPECT_EQ(column("SELECT event_name FROM events WHERE applied = 0"),
            std::vector<std::string>{"unknown"});
  EXPECT_EQ(scalar("SELECT params FROM events WHERE event_name = 'room_created'"),
            R"({"RoomSid":"RM1"})");
  EXPECT_EQ(
      participant_rows(kTenantA),
      (std::vector<std::string>{"rm_1|PA1|doctor|disconnected|1790000005000|1790000062000|56",
                                "rm_1|PA2|patient|disconnected|1790000009000|1790000030000|21",
                                "rm_1|PA3|patient|disconnected|1790000033000|1790000063000|30"}));

  // Outcomes are per item, in order, with the room as it stood after each event.
  EXPECT_EQ(outcomes[0].room, RoomId("rm_1"));
  EXPECT_EQ(outcomes[0].room_after->status, RoomLifecycle::kInProgress);
  EXPECT_EQ(outcomes[1].applied.changes.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<rooms::ParticipantJoined>(outcomes[1].applied.changes[0]));
  const auto unknown = std::find_if(events.begin(), events.end(), [](const RoomEvent& e) {
    return e.type == RoomEventType::kUnknown;
  });
  EXPECT_EQ(outcomes[static_cast<std::size_t>(unknown - events.begin())].applied.ignored,
            rooms::IgnoredReason::kUnknownEvent);
  const auto end = std::find_if(events.begin(), events.end(), [](const RoomEvent& e) {
    return e.type == RoomEventType::kRoomEnded;
  });
  const auto end_index = static_cast<std::size_t>(end - events.begin());
  EXPECT_EQ(outcomes[end_index - 1].room_after->status, RoomLifecycle::kInProgress);
  EXPECT_EQ(outcomes[end_index].room_after->status, RoomLifecycle::kCompleted);
  for (const auto& outcome : outcomes)
    EXPECT_FALSE(outcome.duplicate);
}

TEST_F(EventLedgerTest, ADuplicateWithinABatchOrAcrossBatchesChangesNothing) {
  linked_room(kTenantA, "rm_1", "RM1");
  const auto join = item(kTenantA, connected("RM1", "PA1", "doctor", at(5), 1), at_ms(100));
  auto first = ingest({join, join});
  ASSERT_EQ(first.size(), 2u);
  EXPECT_FALSE(first[0].duplicate);
  EXPECT_TRUE(first[1].duplicate);
  EXPECT_EQ(first[1].room, RoomId("rm_1")) << "a replay still names its room";
  EXPECT_TRUE(first[1].applied.changes.empty());
  EXPECT_FALSE(first[1].applied.state_changed);

  const auto state_before = stored_state(kTenantA, "RM1");
  const auto room_before = describe(view(kTenantA, "rm_1").room);
  const auto participants_before =
      column("SELECT provider_participant_sid || ' ' || status FROM participants");

  // The same key again later, even carrying a different event: the ledger has it, so no-op.
  auto replay = join;
  replay.received_at = at_ms(900);
  replay.event = room_ended("RM1", at(50), 2);
  auto second = ingest({replay, join});
  ASSERT_EQ(second.size(), 2u);
  EXPECT_TRUE(second[0].duplicate);
  EXPECT_TRUE(second[1].duplicate);
  EXPECT_EQ(stored_state(kTenantA, "RM1"), state_before);
  EXPECT_EQ(describe(view(kTenantA, "rm_1").room), room_before);
  EXPECT_EQ(column("SELECT provider_participant_sid || ' ' || status FROM participants"),
            participants_before);
  EXPECT_EQ(scalar("SELECT COUNT(*) || ' ' || MIN(received_at) FROM events"),
            "1 " + std::to_string((1'790'000'000LL + 100) * 1000));
}

TEST_F(EventLedgerTest, TheSameKeyFromTwoTenantsIsTwoEvents) {
  const auto e = connected("RM1", "PA1", "doctor", at(5), 1);
  auto outcomes = ingest({item(kTenantA, e), item(kTenantB, e)});
  EXPECT_FALSE(outcomes[0].duplicate);
  EXPECT_FALSE(outcomes[1].duplicate);
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM room_states"), "2");
}

TEST_F(EventLedgerTest, EventsForARoomAnotherTenantOwnsNeverTouchIt) {
  linked_room(kTenantA, "rm_a", "RM1");
  ingest({item(kTenantA, connected("RM1", "PA1", "doctor", at(5), 1))});
  const auto room_before = describe(view(kTenantA, "rm_a").room);
  const auto state_before = stored_state(kTenantA, "RM1");

  // Tenant B's callbacks name A's provider room (a forged or misrouted callback).
  auto outcomes = ingest({item(kTenantB, connected("RM1", "PA9", "intruder", at(6), 2)),
                          item(kTenantB, room_ended("RM1", at(7), 3))});
  for (const auto& outcome : outcomes) {
    EXPECT_FALSE(outcome.duplicate);
    EXPECT_FALSE(outcome.room);
    EXPECT_FALSE(outcome.room_after);
  }
  EXPECT_EQ(describe(view(kTenantA, "rm_a").room), room_before);
  EXPECT_EQ(stored_state(kTenantA, "RM1"), state_before);
  EXPECT_EQ(view(kTenantA, "rm_a").state.participants.count("PA9"), 0u);
  EXPECT_EQ(participant_rows(kTenantA).size(), 1u);
  EXPECT_TRUE(participant_rows(kTenantB).empty());
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM events WHERE tenant_id = 'tn_bbbb' AND room_id IS NULL"),
            "2");
  EXPECT_FALSE(store_->find_by_provider_sid(kTenantB, "RM1").value().has_value());
}

TEST_F(EventLedgerTest, RecordsButDoesNotApplyUnknownAndIncompleteEvents) {
  linked_room(kTenantA, "rm_1", "RM1");
  auto unknown = event(RoomEventType::kUnknown, "RM1", core::TimePoint{}, std::nullopt);
  unknown.raw_name = "room-renamed";
  auto incomplete = connected("RM1", "", "nobody", at(3), 1);  // no participant SID
  auto roomless = event(RoomEventType::kUnknown, "", core::TimePoint{}, std::nullopt);
  roomless.raw_name = "account-suspended";
  auto outcomes =
      ingest({item(kTenantA, unknown), item(kTenantA, incomplete), item(kTenantA, roomless)});
  ASSERT_EQ(outcomes.size(), 3u);
  EXPECT_EQ(outcomes[0].applied.ignored, rooms::IgnoredReason::kUnknownEvent);
  EXPECT_EQ(outcomes[1].applied.ignored, rooms::IgnoredReason::kIncomplete);
  EXPECT_EQ(outcomes[2].applied.ignored, rooms::IgnoredReason::kUnknownEvent);
  EXPECT_EQ(outcomes[0].room, RoomId("rm_1"));
  EXPECT_FALSE(outcomes[2].room);
  EXPECT_EQ(column("SELECT event_name || ' ' || applied || ' ' || IFNULL(occurred_at, '-') || ' ' "
                   "|| IFNULL(NULLIF(provider_room_sid, ''), '-') FROM events ORDER BY rowid"),
            (std::vector<std::string>{
                "unknown 0 - RM1",
                "participant_connected 0 " + std::to_string(1'790'000'003'000LL) + " RM1",
                "unknown 0 - -"}));
  EXPECT_EQ(view(kTenantA, "rm_1").state.status, rooms::RoomStatus::kUnknown);
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM room_states"), "0");
}

TEST_F(EventLedgerTest, ACallbackThatNamesNoRoomIsStillDeduplicated) {
  // The key's room column holds '' for such a callback: with NULL there, SQLite would treat
  // every copy as a distinct key and store each replay again.
  auto roomless = event(RoomEventType::kUnknown, "", core::TimePoint{}, std::nullopt);
  roomless.raw_name = "account-suspended";
  auto first = ingest({item(kTenantA, roomless), item(kTenantA, roomless)});
  auto again = ingest({item(kTenantA, roomless)});
  ASSERT_EQ(first.size(), 2u);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_FALSE(first[0].duplicate);
  EXPECT_TRUE(first[1].duplicate);
  EXPECT_TRUE(again[0].duplicate);
  EXPECT_EQ(scalar("SELECT COUNT(*) || ' ' || provider_room_sid || '.' FROM events"), "1 .");
}

// The ledger's writes find their rows through its key, which leads with (tenant, room): the
// insert's conflict check, the applied correction, and link time's "this room's events so far",
// which searched every event of the tenant while the key was (tenant, idempotency key).
TEST_F(EventLedgerTest, LedgerStatementsSearchByTenantAndRoom) {
  auto plan = [&](const std::string& sql) {
    return roomplane::testing::query_plan(*db_, sql).value();
  };
  const std::string applied_fix = plan(
      "UPDATE events SET applied = 0 WHERE tenant_id = 'a' AND provider_room_sid = 'RM1' AND "
      "idempotency_key = 'k'");
  EXPECT_NE(applied_fix.find("USING INDEX sqlite_autoindex_events_1 (tenant_id=? AND "
                             "provider_room_sid=? AND idempotency_key=?)"),
            std::string::npos)
      << applied_fix;
  const std::string attach = plan(
      "UPDATE events SET room_id = 'rm_1' WHERE tenant_id = 'a' AND provider_room_sid = 'RM1' "
      "AND room_id IS NULL");
  EXPECT_NE(attach.find("USING INDEX sqlite_autoindex_events_1 (tenant_id=? AND "
                        "provider_room_sid=?)"),
            std::string::npos)
      << attach;
}

// The ledger keeps decoded states between commits (DecodedStateCache). A state written in
// between by another path must still be what the next commit folds into: with a cached copy
// used blindly, PA1 would be connected again below.
TEST_F(EventLedgerTest, CachedStatesNeverHideAWriteFromAnotherPath) {
  linked_room(kTenantA, "rm_1", "RM1");
  ingest({item(kTenantA, connected("RM1", "PA1", "doctor", at(5), 1))});
  ASSERT_TRUE(store_
                  ->apply_confirmed(kTenantA, RoomId("rm_1"),
                                    std::vector{disconnected("RM1", "PA1", "doctor", at(20), 2)},
                                    std::nullopt, at_ms(21))
                  .ok());
  ingest({item(kTenantA, connected("RM1", "PA2", "nurse", at(25), 3))});
  const auto state = view(kTenantA, "rm_1").state;
  ASSERT_EQ(state.participants.size(), 2u);
  EXPECT_EQ(state.participants.at("PA1").status, rooms::ParticipantStatus::kDisconnected);
  EXPECT_EQ(state.participants.at("PA2").status, rooms::ParticipantStatus::kConnected);
  EXPECT_EQ(scalar("SELECT status FROM participants WHERE provider_participant_sid = 'PA1'"),
            "disconnected");
}

TEST(DecodedStateCache, ServesAStateOnlyForTheTextItWasCachedWith) {
  DecodedStateCache cache(2);
  rooms::RoomState state;
  state.room_sid = "RM1";
  cache.put("a", "text-1", state);
  EXPECT_FALSE(cache.take("a", "text-2")) << "stored text changed: decode";
  EXPECT_FALSE(cache.take("a", "text-1")) << "a take removes the entry, hit or miss";
  cache.put("a", "text-1", state);
  const auto hit = cache.take("a", "text-1");
  ASSERT_TRUE(hit);
  EXPECT_EQ(*hit, state);
  cache.put("a", "1", state);
  cache.put("b", "2", state);
  cache.put("c", "3", state);
  EXPECT_EQ(cache.size(), 2u) << "bounded";
}

TEST_F(EventLedgerTest, OutOfOrderDeliveryStoresTheSameAsInOrder) {
  const auto events = consultation("RM1");
  // Tenant A: every event once, in order, one batch per event, room linked first.
  linked_room(kTenantA, "rm_1", "RM1");
  for (const auto& e : events)
    ingest({item(kTenantA, e)});
  const auto reference = view(kTenantA, "rm_1");
  auto strip = [](std::vector<std::string> rows) {
    for (auto& row : rows)
      row = row.substr(row.find('|'));  // the room id differs per tenant
    return rows;
  };
  const auto reference_rows = strip(participant_rows(kTenantA));
  ASSERT_EQ(reference_rows.size(), 3u);

  // Tenant B, once per seed: shuffled, each event 1-3 times, random batch sizes, and the local
  // room linked somewhere in the middle (before, between or after the callbacks).
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    exec(
        "DELETE FROM events WHERE "
        "tenant_id = 'tn_bbbb'; DELETE FROM room_states WHERE tenant_id = 'tn_bbbb'; "
        "DELETE FROM rooms WHERE tenant_id = 'tn_bbbb'");
    std::mt19937_64 rng(seed);
    std::vector<RoomEvent> delivery;
    for (const auto& e : events) {
      const auto copies = 1 + rng() % 3;
      for (std::uint64_t i = 0; i < copies; ++i)
        delivery.push_back(e);
    }
    if (seed % 3 == 0)
      std::reverse(delivery.begin(), delivery.end());
    else
      std::shuffle(delivery.begin(), delivery.end(), rng);

    const std::string id = "rm_b" + std::to_string(seed);
    ASSERT_TRUE(store_->insert(new_room(kTenantB, id, at_ms(0))).ok());
    const std::size_t link_at = rng() % (delivery.size() + 1);
    std::size_t next = 0;
    bool linked = false;
    while (next < delivery.size() || !linked) {
      if (!linked && next >= link_at) {
        ASSERT_TRUE(store_->link_provider_room(kTenantB, RoomId(id), "RM1", {}, at_ms(1)).ok());
        linked = true;
        continue;
      }
      const std::size_t size =
          std::min<std::size_t>(1 + rng() % 9, (linked ? delivery.size() : link_at) - next);
      std::vector<rooms::IngestItem> batch;
      for (std::size_t i = 0; i < size; ++i)
        batch.push_back(item(kTenantB, delivery[next + i]));
      next += size;
      ingest(batch);
    }

    const auto shuffled = view(kTenantB, id);
    EXPECT_EQ(rooms::to_canonical_text(shuffled.state), rooms::to_canonical_text(reference.state));
    EXPECT_EQ(rooms::encode_state(shuffled.state), rooms::encode_state(reference.state));
    auto a = reference.room;
    auto b = shuffled.room;
    for (auto* r : {&a, &b}) {
      r->tenant_id = {};
      r->id = {};
      r->name.clear();
      r->provider_room_name.clear();
      r->updated_at = {};
    }
    EXPECT_EQ(describe(b), describe(a));
    EXPECT_EQ(strip(participant_rows(kTenantB)), reference_rows);
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM events WHERE tenant_id = 'tn_bbbb'"),
              std::to_string(events.size()));
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM events WHERE tenant_id = 'tn_bbbb' AND room_id IS "
                     "NULL"),
              "0");
  }
}

TEST_F(EventLedgerTest, ABatchThatFailsStoresNothingOfIt) {
  linked_room(kTenantA, "rm_1", "RM1");
  ingest({item(kTenantA, room_created("RM1", at(0), 0))});
  // A state document damaged on disk: folding into it must fail rather than guess.
  exec(
      "INSERT INTO room_states (tenant_id, provider_room_sid, state, updated_at) VALUES "
      "('tn_aaaa', 'RMBAD', '{\"v\": 1, \"status\": 42}', 0)");
  const auto state_before = stored_state(kTenantA, "RM1");
  const auto room_before = describe(view(kTenantA, "rm_1").room);

  auto failed = ledger_->ingest(
      std::vector<rooms::IngestItem>{item(kTenantA, connected("RM1", "PA1", "doctor", at(5), 1)),
                                     item(kTenantA, connected("RM2", "PA2", "nurse", at(5), 1)),
                                     item(kTenantA, connected("RMBAD", "PA3", "x", at(5), 1)),
                                     item(kTenantA, connected("RM3", "PA4", "y", at(5), 1))});
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().kind, core::ErrorKind::kInternal);
  EXPECT_NE(failed.error().message.find("stored room state unreadable"), std::string::npos)
      << failed.error().message;
  EXPECT_NE(failed.error().message.find("RMBAD"), std::string::npos) << failed.error().message;

  EXPECT_EQ(scalar("SELECT COUNT(*) FROM events"), "1");
  EXPECT_EQ(column("SELECT provider_room_sid FROM room_states ORDER BY 1"),
            (std::vector<std::string>{"RM1", "RMBAD"}));
  EXPECT_EQ(stored_state(kTenantA, "RM1"), state_before);
  EXPECT_EQ(describe(view(kTenantA, "rm_1").room), room_before);
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM participants"), "0");

  // The rollback leaves the writer usable, and the same items go through without the bad one.
  auto retried = ingest({item(kTenantA, connected("RM1", "PA1", "doctor", at(5), 1)),
                         item(kTenantA, connected("RM2", "PA2", "nurse", at(5), 1))});
  ASSERT_EQ(retried.size(), 2u);
  EXPECT_FALSE(retried[0].duplicate);
  EXPECT_FALSE(retried[1].duplicate);
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM participants"), "1");
}

TEST_F(EventLedgerTest, ABatchTouchesEachRoomStateOnceAndScansNothing) {
  linked_room(kTenantA, "rm_1", "RM1");
  linked_room(kTenantA, "rm_2", "RM2");
  ingest({item(kTenantA, room_created("RM1", at(0), 0))});  // RM1 has a stored state already
  std::vector<rooms::IngestItem> batch;
  for (int i = 0; i < 50; ++i) {
    const std::string sid = "PA" + std::to_string(i);
    batch.push_back(item(kTenantA, connected("RM1", sid, "p" + std::to_string(i), at(i), i + 1)));
    if (i % 10 == 0)
      batch.push_back(item(kTenantA, connected("RM2", "PB" + sid, "q", at(i), i + 1)));
    if (i % 10 == 0)
      batch.push_back(item(kTenantA, connected("RM9", "PC" + sid, "r", at(i), i + 1)));  // unlinked
  }
  batch.push_back(batch.front());  // and a duplicate
  watch_writer();
  auto outcomes = ingest(batch);
  ASSERT_EQ(outcomes.size(), batch.size());
  EXPECT_TRUE(outcomes.back().duplicate);

  EXPECT_EQ(writer_log_.count_starting("INSERT INTO events"), batch.size());
  EXPECT_EQ(writer_log_.count_starting("SELECT state FROM room_states"), 3u) << "one per room";
  EXPECT_EQ(writer_log_.count_starting("INSERT INTO room_states"), 3u) << "one per room";
  EXPECT_EQ(writer_log_.count_starting("UPDATE rooms"), 1u) << "RM2 started; RM1 had before";
  // Participants are a view over room_states (migration 0008): nothing more to write per join.
  EXPECT_EQ(writer_log_.count_starting("INSERT INTO participants"), 0u);
  EXPECT_EQ(writer_log_.count_starting("UPDATE events"), 0u);
  EXPECT_EQ(writer_log_.scans, std::vector<std::string>{});
  EXPECT_EQ(participant_rows(kTenantA).size(), 55u);
  EXPECT_EQ(view(kTenantA, "rm_1").state.participants.size(), 50u);

  // A second batch for the same rooms writes only what changed: one participant left, and a
  // replay changes nothing.
  watch_writer();
  ingest({item(kTenantA, disconnected("RM1", "PA3", "p3", at(90), 99)),
          item(kTenantA, connected("RM2", "PBPA0", "q", at(0), 1))});
  EXPECT_EQ(writer_log_.count_starting("INSERT INTO participants"), 0u);
  EXPECT_EQ(writer_log_.scans, std::vector<std::string>{});
  EXPECT_EQ(scalar("SELECT status FROM participants WHERE room_id = 'rm_1' AND "
                   "provider_participant_sid = 'PA3'"),
            "disconnected");
}

TEST_F(EventLedgerTest, StoreQueriesUseIndexes) {
  for (int i = 0; i < 30; ++i) {
    const std::string id = "rm_" + std::to_string(100 + i);
    linked_room(i % 2 ? kTenantA : kTenantB, id, "RM" + std::to_string(i), i);
    ingest({item(i % 2 ? kTenantA : kTenantB,
                 connected("RM" + std::to_string(i), "PA", "x", at(i), 1))});
  }
  watch_writer();
  watch_reader();
  ASSERT_TRUE(store_->find(kTenantA, RoomId("rm_101")).value().has_value());
  ASSERT_TRUE(store_->find_by_provider_sid(kTenantA, "RM1").value().has_value());
  rooms::RoomListQuery query;
  query.limit = 3;
  auto page = store_->list(kTenantA, query).value();
  query.cursor = page.next_cursor;
  (void)store_->list(kTenantA, query).value();
  query.status = RoomLifecycle::kInProgress;
  page = store_->list(kTenantA, query).value();
  query.cursor = page.next_cursor;
  (void)store_->list(kTenantA, query).value();
  ASSERT_TRUE(store_->set_recording(kTenantA, RoomId("rm_101"), false, at_ms(50)).ok());
  ASSERT_TRUE(
      store_->add_speaker_change(kTenantA, {RoomId("rm_101"), "PA", "PA", "x", at_ms(50)}).ok());
  (void)store_->speaker_changes(kTenantA, RoomId("rm_101")).value();
  ASSERT_TRUE(store_
                  ->apply_confirmed(kTenantA, RoomId("rm_101"),
                                    std::vector{room_ended("RM1", at(60), 5)}, std::nullopt,
                                    at_ms(60))
                  .ok());
  ASSERT_TRUE(store_->insert(new_room(kTenantA, "rm_new", at_ms(70))).ok());
  ASSERT_TRUE(store_
                  ->link_provider_room(kTenantA, RoomId("rm_new"), "RMNEW",
                                       std::vector{room_created("RMNEW", at(70), 0)}, at_ms(71))
                  .ok());
  // The detector itself: a query no index serves is caught.
  ASSERT_TRUE(db_->read([](sqlite::Connection& c) -> core::Status {
                   auto stmt = c.prepare("SELECT COUNT(*) FROM rooms WHERE name = 'x'");
                   if (!stmt)
                     return std::move(stmt).take_error();
                   return (*stmt)->run();
                 })
                  .ok());
  ASSERT_EQ(reader_log_.scans.size(), 1u);
  reader_log_.scans.clear();

  EXPECT_GT(writer_log_.sql.size(), 5u);
  EXPECT_GT(reader_log_.sql.size(), 5u);
  EXPECT_EQ(writer_log_.scans, std::vector<std::string>{});
  EXPECT_EQ(reader_log_.scans, std::vector<std::string>{});
}

}  // namespace
}  // namespace roomplane::storage::testing
