// The two composition workers driven by hand (run_once) with a manual clock, the real SQLite
// stores and a scripted provider: success, retry, failure for good, stall, and a crash between
// the provider call and the local write.

#include "support/query_plan.h"
#include "unit/compositions/compositions_support.h"

namespace roomplane::compositions::testing {
namespace {

using video::CompositionStatus;

TEST_F(CompositionsTest, EnqueuesOneCompositionPerEndedRecordedRoomOnly) {
  ended_room(kTenantA, "rm_rec", "RM1", true, 0, 600);
  ended_room(kTenantA, "rm_norec", "RM2", false, 0, 600);
  auto live = storage::testing::new_room(kTenantA, "rm_live", at_ms(0));
  ASSERT_TRUE(rooms_->insert(live).ok());

  auto first = store_->enqueue_ended_rooms(clock_.now(), 10);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 1u);
  EXPECT_EQ(first->front().room_id.value(), "rm_rec");
  EXPECT_EQ(first->front().provider_room_sid, "RM1");
  EXPECT_EQ(first->front().recorded_duration_seconds, 600);
  EXPECT_EQ(first->front().status, Status::kPending);
  // Enqueued once: the room is marked in the same transaction.
  EXPECT_TRUE(store_->enqueue_ended_rooms(clock_.now(), 10)->empty());
}

TEST_F(CompositionsTest, DatabaseRefusesASecondLiveCompositionForARoom) {
  ended_room(kTenantA, "rm_1", "RM1", true, 0, 60);
  ASSERT_EQ(store_->enqueue_ended_rooms(clock_.now(), 10)->size(), 1u);
  auto second = db_->write([&](storage::sqlite::Connection& c) {
    return c.exec(
        "INSERT INTO compositions (tenant_id, composition_id, room_id, status, created_at, "
        "updated_at) VALUES ('tn_aaaa', 'cp_other', 'rm_1', 'enqueued', 0, 0)");
  });
  EXPECT_FALSE(second.ok());
  // A finished one may sit beside the live one (history of attempts).
  exec(
      "INSERT INTO compositions (tenant_id, composition_id, room_id, status, created_at, "
      "updated_at) VALUES ('tn_aaaa', 'cp_old', 'rm_1', 'failed', 0, 0)");
}

TEST_F(CompositionsTest, StarterCreatesWithTheTenantsSettingsAndSetsTheDeadline) {
  settings_.composition_layout = "audio_only";
  settings_.composition_format = "webm";
  ended_room(kTenantA, "rm_1", "RM1", true, 0, 600);
  EXPECT_CALL(provider_, list_compositions_for_room(_, std::string_view("RM1")))
      .WillOnce(Return(std::vector<video::CompositionInfo>{}));
  video::CompositionSpec seen;
  EXPECT_CALL(provider_, create_composition(_, _))
      .WillOnce([&](const video::ProviderCredentials& credentials,
                    const video::CompositionSpec& spec) -> core::Result<video::CompositionInfo> {
        EXPECT_EQ(credentials.account_sid, "AC1");
        seen = spec;
        return provider_composition("CJ1", "RM1", CompositionStatus::kEnqueued);
      });

  auto report = starter()->run_once();
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->claimed, 1u);
  EXPECT_EQ(report->succeeded, 1u);
  EXPECT_EQ(seen.room_sid, "RM1");
  EXPECT_EQ(seen.layout, video::CompositionLayout::kAudioOnly);
  EXPECT_EQ(seen.format, video::CompositionFormat::kWebm);
  EXPECT_EQ(seen.status_callback_url, "https://rp.example/webhooks/twilio/tn_aaaa");

  const auto c = only();
  EXPECT_EQ(c.status, Status::kEnqueued);
  EXPECT_EQ(c.provider_composition_sid, "CJ1");
  EXPECT_EQ(c.attempts, 1);
  ASSERT_TRUE(c.deadline_at.has_value());
  // factor 2 x 600 s = 20 min, above the 5 min floor.
  EXPECT_EQ(*c.deadline_at, clock_.now() + std::chrono::minutes(20));
  EXPECT_EQ(notifier_.statuses(), (std::vector<std::string>{"pending", "enqueued"}));
  // Nothing is left for the starter.
  EXPECT_EQ(starter()->run_once()->claimed, 0u);
}

TEST_F(CompositionsTest, AfterACrashBetweenCreateAndWriteTheExistingCompositionIsAdopted) {
  ended_room(kTenantA, "rm_1", "RM1", true, 0, 60);
  // A first starter claimed the job, created the provider composition and died before writing:
  // its lease is all that is left of it.
  ASSERT_EQ(store_->enqueue_ended_rooms(clock_.now(), 10)->size(), 1u);
  ASSERT_EQ(
      store_->claim(Stage::kStart, "dead", clock_.now(), clock_.now() + std::chrono::minutes(2), 10)
          ->size(),
      1u);
  auto survivor = starter("starter-2");
  EXPECT_EQ(survivor->run_once()->claimed, 0u) << "leased to the dead starter until it expires";

  clock_.advance(std::chrono::minutes(2));
  EXPECT_CALL(provider_, list_compositions_for_room(_, std::string_view("RM1")))
      .WillOnce(Return(std::vector<video::CompositionInfo>{
          provider_composition("CJ0", "RM1", CompositionStatus::kFailed),
          provider_composition("CJ1", "RM1", CompositionStatus::kProcessing)}));
  // No create_composition: StrictMock fails the test if one is made.
  EXPECT_EQ(survivor->run_once()->succeeded, 1u);
  const auto c = only();
  EXPECT_EQ(c.provider_composition_sid, "CJ1");
  EXPECT_EQ(c.status, Status::kProcessing);
  // The dead starter's late write is refused: it no longer holds the lease.
  auto late = c;
  late.status = Status::kFailed;
  EXPECT_EQ(store_->save(late, "dead", {}).error().code, "lease_lost");
  EXPECT_EQ(only().status, Status::kProcessing);
}

TEST_F(CompositionsTest, AnOutageCostsNoAttemptAndTheJobIsRetried) {
  ended_room(kTenantA, "rm_1", "RM1", true, 0, 60);
  EXPECT_CALL(provider_, list_compositions_for_room(_, _))
      .WillOnce(Return(core::Error::unavailable("network_error", "connection refused")))
      .WillRepeatedly(Return(std::vector<video::CompositionInfo>{}));
  EXPECT_CALL(provider_, create_composition(_, _))
      .WillOnce(Return(core::Error{core::ErrorKind::kRateLimited, "rate_limited", "slow down"}))
      .WillOnce(Return(provider_composition("CJ1", "RM1", CompositionStatus::kEnqueued)));
  auto worker = starter();

  auto first = worker->run_once();
  EXPECT_EQ(first->failed, 1u);
  auto c = only();
  EXPECT_EQ(c.status, Status::kPending);
  EXPECT_EQ(c.attempts, 0);
  EXPECT_EQ(c.next_attempt_at, clock_.now() + policy_.poll_min);
  EXPECT_EQ(worker->run_once()->claimed, 0u) << "not due before its backoff";

  clock_.advance(policy_.poll_min);
  EXPECT_EQ(worker->run_once()->failed, 1u);  // throttled
  EXPECT_EQ(only().attempts, 0);
  clock_.advance(policy_.poll_min);
  EXPECT_EQ(worker->run_once()->succeeded, 1u);
  c = only();
  EXPECT_EQ(c.status, Status::kEnqueued);
  EXPECT_EQ(c.attempts, 1);
  EXPECT_TRUE(c.error.empty());
}

TEST_F(CompositionsTest, RefusedAttemptsBackOffThenFailForGoodWithOneAlert) {
  ended_room(kTenantA, "rm_1", "RM1", true, 0, 60);
  EXPECT_CALL(provider_, list_compositions_for_room(_, _))
      .Times(3)
      .WillRepeatedly(Return(std::vector<video::CompositionInfo>{}));
  EXPECT_CALL(provider_, create_composition(_, _))
      .Times(3)
      .WillRepeatedly(
          Return(core::Error::invalid_argument("provider_invalid", "Room RM1 has no recordings")));
  auto worker = starter();

  ASSERT_TRUE(worker->run_once().ok());
  EXPECT_EQ(only().attempts, 1);
  EXPECT_EQ(only().next_attempt_at, clock_.now() + std::chrono::seconds(30));
  clock_.advance(std::chrono::seconds(30));
  ASSERT_TRUE(worker->run_once().ok());
  EXPECT_EQ(only().attempts, 2);
  EXPECT_EQ(only().next_attempt_at, clock_.now() + std::chrono::seconds(60));
  clock_.advance(std::chrono::seconds(59));
  EXPECT_EQ(worker->run_once()->claimed, 0u);
  clock_.advance(std::chrono::seconds(1));
  EXPECT_EQ(worker->run_once()->failed, 1u);

  const auto c = only();
  EXPECT_EQ(c.status, Status::kFailed);
  EXPECT_EQ(c.attempts, 3);
  EXPECT_NE(c.error.find("no recordings"), std::string::npos);
  EXPECT_EQ(column("SELECT kind FROM alerts"), (std::vector<std::string>{"composition.failed"}));
  const auto body = nlohmann::json::parse(column("SELECT body FROM alerts").at(0));
  EXPECT_EQ(body["composition"]["id"], c.id.value());
  EXPECT_EQ(body["composition"]["attempts"], 3);
  EXPECT_EQ(notifier_.statuses().back(), "failed");
  // Failed for good is terminal: the room is not enqueued again.
  EXPECT_EQ(worker->run_once()->claimed, 0u);
  EXPECT_TRUE(store_->enqueue_ended_rooms(clock_.now(), 10)->empty());
}

// Starts rm_1 as CJ1 and returns the tracker-ready state.
class TrackerTest : public CompositionsTest {
 protected:
  void SetUp() override {
    CompositionsTest::SetUp();
    ended_room(kTenantA, "rm_1", "RM1", true, 0, 600);
    EXPECT_CALL(provider_, list_compositions_for_room(_, _))
        .WillOnce(Return(std::vector<video::CompositionInfo>{}));
    EXPECT_CALL(provider_, create_composition(_, _))
        .WillOnce(Return(provider_composition("CJ1", "RM1", CompositionStatus::kEnqueued)));
    ASSERT_EQ(starter()->run_once()->succeeded, 1u);
    ::testing::Mock::VerifyAndClearExpectations(&provider_);
    started_at_ = clock_.now();
  }
  core::TimePoint started_at_;
};

TEST_F(TrackerTest, FollowsACompositionToCompletion) {
  auto worker = tracker();
  EXPECT_EQ(worker->run_once()->claimed, 0u) << "not due before the first poll";
  clock_.advance(policy_.poll_min);
  EXPECT_CALL(provider_, fetch_composition(_, std::string_view("CJ1")))
      .WillOnce(Return(provider_composition("CJ1", "RM1", CompositionStatus::kProcessing)))
      .WillOnce(Return(provider_composition("CJ1", "RM1", CompositionStatus::kCompleted)));
  EXPECT_EQ(worker->run_once()->succeeded, 1u);
  EXPECT_EQ(only().status, Status::kProcessing);

  // A progress callback makes it due at once, and its progress is kept.
  ASSERT_TRUE(store_->make_due(kTenantA, "CJ1", 40, clock_.now()).ok());
  EXPECT_EQ(only().progress_percent, 40);
  EXPECT_EQ(worker->run_once()->succeeded, 1u);
  const auto c = only();
  EXPECT_EQ(c.status, Status::kCompleted);
  EXPECT_EQ(c.progress_percent, 100);
  EXPECT_EQ(c.size_bytes, 1234);
  EXPECT_EQ(c.media_location, "provider:CJ1");
  EXPECT_EQ(notifier_.statuses().back(), "completed");
  clock_.advance(std::chrono::hours(1));
  EXPECT_EQ(worker->run_once()->claimed, 0u) << "completed is terminal";
  EXPECT_TRUE(column("SELECT kind FROM alerts").empty());
}

TEST_F(TrackerTest, AFailedAttemptGoesBackToTheStarterWhichCreatesANewOne) {
  clock_.advance(policy_.poll_min);
  EXPECT_CALL(provider_, fetch_composition(_, std::string_view("CJ1")))
      .WillOnce(Return(provider_composition("CJ1", "RM1", CompositionStatus::kFailed)));
  EXPECT_EQ(tracker()->run_once()->failed, 1u);
  auto c = only();
  EXPECT_EQ(c.status, Status::kPending);
  EXPECT_EQ(c.next_attempt_at, clock_.now() + std::chrono::seconds(30));

  clock_.advance(std::chrono::seconds(30));
  EXPECT_CALL(provider_, list_compositions_for_room(_, _))
      .WillOnce(Return(std::vector<video::CompositionInfo>{
          provider_composition("CJ1", "RM1", CompositionStatus::kFailed)}));
  EXPECT_CALL(provider_, create_composition(_, _))
      .WillOnce(Return(provider_composition("CJ2", "RM1", CompositionStatus::kEnqueued)));
  EXPECT_EQ(starter()->run_once()->succeeded, 1u);
  c = only();
  EXPECT_EQ(c.provider_composition_sid, "CJ2");
  EXPECT_EQ(c.attempts, 2);
  EXPECT_EQ(c.status, Status::kEnqueued);
}

TEST_F(TrackerTest, TheLastFailedAttemptIsFailedForGoodAndAlerted) {
  exec("UPDATE compositions SET attempts = 3");  // policy_.max_attempts
  clock_.advance(policy_.poll_min);
  EXPECT_CALL(provider_, fetch_composition(_, _))
      .WillOnce(Return(core::Error::not_found("not_found", "no such composition")));
  ASSERT_TRUE(tracker()->run_once().ok());
  EXPECT_EQ(only().status, Status::kFailed);
  EXPECT_EQ(column("SELECT kind FROM alerts"), (std::vector<std::string>{"composition.failed"}));
}

TEST_F(TrackerTest, AStuckCompositionIsStalledAtItsDeadlineOnceEvenDuringAnOutage) {
  const auto deadline = started_at_ + std::chrono::minutes(20);  // 2 x 600 s
  auto worker = tracker();
  int polls = 0;
  EXPECT_CALL(provider_, fetch_composition(_, _)).WillRepeatedly([&](auto&&, auto&&) {
    ++polls;
    // Every other poll the provider is down; when up it says "still processing".
    return polls % 2 == 0 ? core::Result<video::CompositionInfo>(
                                core::Error::unavailable("network_error", "down"))
                          : core::Result<video::CompositionInfo>(
                                provider_composition("CJ1", "RM1", CompositionStatus::kProcessing));
  });
  // Poll until the worker has nothing due, as its loop would, never jumping past a due time.
  while (clock_.now() < deadline + std::chrono::minutes(5)) {
    clock_.advance(std::chrono::seconds(1));
    ASSERT_TRUE(worker->run_once().ok());
    if (only().status == Status::kStalled)
      break;
  }
  const auto c = only();
  ASSERT_EQ(c.status, Status::kStalled);
  ASSERT_TRUE(c.stalled_at.has_value());
  EXPECT_LE(*c.stalled_at, deadline + std::chrono::seconds(1)) << "stalled on time";
  EXPECT_GE(*c.stalled_at, deadline);
  EXPECT_EQ(column("SELECT kind FROM alerts"), (std::vector<std::string>{"composition.stalled"}));
  EXPECT_GT(polls, 5);
  EXPECT_LT(polls, 60) << "polling backs off";

  // Still followed: later polls raise no second alert, and a late finish completes it.
  clock_.advance(std::chrono::minutes(10));
  ASSERT_TRUE(worker->run_once().ok());
  EXPECT_EQ(column("SELECT count(*) FROM alerts"), (std::vector<std::string>{"1"}));
  ::testing::Mock::VerifyAndClearExpectations(&provider_);
  EXPECT_CALL(provider_, fetch_composition(_, _))
      .WillOnce(Return(provider_composition("CJ1", "RM1", CompositionStatus::kCompleted)));
  clock_.advance(std::chrono::minutes(5));
  ASSERT_TRUE(worker->run_once().ok());
  EXPECT_EQ(only().status, Status::kCompleted);
  EXPECT_EQ(notifier_.statuses().back(), "completed");
}

TEST_F(TrackerTest, ATrackerThatCrashedMidJobLosesNothing) {
  clock_.advance(policy_.poll_min);
  ASSERT_EQ(store_
                ->claim(Stage::kTrack, "crashed", clock_.now(),
                        clock_.now() + std::chrono::minutes(2), 10)
                ->size(),
            1u);
  auto worker = tracker("tracker-2");
  EXPECT_EQ(worker->run_once()->claimed, 0u);
  clock_.advance(std::chrono::minutes(2));
  EXPECT_CALL(provider_, fetch_composition(_, _))
      .WillOnce(Return(provider_composition("CJ1", "RM1", CompositionStatus::kCompleted)));
  EXPECT_EQ(worker->run_once()->succeeded, 1u);
  EXPECT_EQ(only().status, Status::kCompleted);
}

TEST_F(CompositionsTest, TenantsOnlySeeTheirOwnCompositions) {
  ended_room(kTenantA, "rm_a", "RMA", true, 0, 60);
  ASSERT_EQ(store_->enqueue_ended_rooms(clock_.now(), 10)->size(), 1u);
  const auto c = only(kTenantA);
  EXPECT_TRUE(store_->list(kTenantB, {})->compositions.empty());
  EXPECT_FALSE(store_->find(kTenantB, c.id)->has_value());
  EXPECT_TRUE(store_->find(kTenantA, c.id)->has_value());
}

TEST_F(CompositionsTest, ListsNewestFirstInCursorPagesAndFiltersByStatus) {
  for (int i = 0; i < 5; ++i) {
    ended_room(kTenantA, "rm_" + std::to_string(i), "RM" + std::to_string(i), true, i, 60);
    clock_.advance(std::chrono::seconds(1));
    ASSERT_EQ(store_->enqueue_ended_rooms(clock_.now(), 10)->size(), 1u);
  }
  ListQuery query;
  query.limit = 2;
  std::vector<std::string> rooms;
  while (true) {
    auto page = store_->list(kTenantA, query);
    ASSERT_TRUE(page.ok());
    for (const auto& c : page->compositions)
      rooms.push_back(c.room_id.value());
    if (!page->next_cursor)
      break;
    query.cursor = page->next_cursor;
  }
  EXPECT_EQ(rooms, (std::vector<std::string>{"rm_4", "rm_3", "rm_2", "rm_1", "rm_0"}));
  ListQuery completed;
  completed.status = Status::kCompleted;
  EXPECT_TRUE(store_->list(kTenantA, completed)->compositions.empty());
  ListQuery bad;
  bad.cursor = "zz";
  EXPECT_EQ(store_->list(kTenantA, bad).error().code, "invalid_cursor");
}

TEST_F(CompositionsTest, WorkerQueriesReadOnlyTheirPartialIndexes) {
  const auto detail = [&](const std::string& sql) {
    auto plan = roomplane::testing::query_plan(*db_, sql);
    EXPECT_TRUE(plan.ok());
    return plan ? *plan : std::string();
  };
  EXPECT_NE(detail("SELECT tenant_id FROM rooms WHERE status = 'completed' AND ever_recorded = 1 "
                   "AND composition_enqueued = 0 ORDER BY ended_at LIMIT 10")
                .find("rooms_awaiting_composition"),
            std::string::npos);
  EXPECT_NE(detail("SELECT rowid FROM compositions WHERE status = 'pending' AND next_attempt_at "
                   "<= 5 ORDER BY next_attempt_at LIMIT 10")
                .find("compositions_to_start"),
            std::string::npos);
  EXPECT_NE(detail("SELECT rowid FROM compositions WHERE status IN ('enqueued', 'processing', "
                   "'stalled') AND next_attempt_at <= 5 ORDER BY next_attempt_at LIMIT 10")
                .find("compositions_to_track"),
            std::string::npos);
}

TEST_F(CompositionsTest, ForRoomListsThatRoomsJobsOfThatTenantOnlyNewestFirst) {
  // The same room id at two tenants, a second room of A, and a room without jobs.
  ended_room(kTenantA, "rm_1", "RMA1", false, 0, 60);
  ended_room(kTenantA, "rm_2", "RMA2", false, 0, 60);
  ended_room(kTenantA, "rm_none", "RMA3", false, 0, 60);
  ended_room(kTenantB, "rm_1", "RMB1", false, 0, 60);
  exec(
      "INSERT INTO compositions (tenant_id, composition_id, room_id, status, error, created_at, "
      "updated_at) VALUES "
      "('tn_aaaa', 'cp_a1', 'rm_1', 'failed', 'refused', 1000, 1000), "
      "('tn_aaaa', 'cp_a2', 'rm_1', 'failed', NULL, 2000, 2000), "
      "('tn_aaaa', 'cp_a5', 'rm_1', 'failed', NULL, 2000, 2000), "  // same instant as cp_a2
      "('tn_aaaa', 'cp_a3', 'rm_1', 'pending', NULL, 3000, 3000), "
      "('tn_aaaa', 'cp_a4', 'rm_2', 'pending', NULL, 1500, 1500), "
      "('tn_bbbb', 'cp_b1', 'rm_1', 'pending', NULL, 2500, 2500)");
  const auto ids = [&](const core::TenantId& tenant, const std::string& room) {
    auto jobs = store_->for_room(tenant, core::RoomId(room));
    EXPECT_TRUE(jobs.ok()) << jobs.error().message;
    std::vector<std::string> out;
    for (const auto& job : jobs ? *jobs : std::vector<Composition>{}) {
      EXPECT_EQ(job.tenant_id, tenant);
      EXPECT_EQ(job.room_id.value(), room);
      out.push_back(job.id.value());
    }
    return out;
  };
  EXPECT_EQ(ids(kTenantA, "rm_1"), (std::vector<std::string>{"cp_a3", "cp_a5", "cp_a2", "cp_a1"}));
  EXPECT_EQ(ids(kTenantA, "rm_2"), (std::vector<std::string>{"cp_a4"}));
  EXPECT_EQ(ids(kTenantB, "rm_1"), (std::vector<std::string>{"cp_b1"}));
  EXPECT_TRUE(ids(kTenantA, "rm_none").empty());
  EXPECT_TRUE(ids(kTenantB, "rm_2").empty());
  EXPECT_TRUE(ids(kTenantA, "rm_unknown").empty());
  // Whole rows, as the API renders them.
  const auto oldest = store_->for_room(kTenantA, core::RoomId("rm_1"))->back();
  EXPECT_EQ(oldest.status, Status::kFailed);
  EXPECT_EQ(oldest.error, "refused");
}

TEST_F(CompositionsTest, ForRoomReadsItsIndexAndSortsNothing) {
  auto plan = roomplane::testing::query_plan(
      *db_,
      "SELECT * FROM compositions WHERE tenant_id = 'tn_aaaa' AND room_id = 'rm_1' "
      "ORDER BY created_at DESC, composition_id DESC");
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_NE(plan->find("USING INDEX compositions_by_room (tenant_id=? AND room_id=?)"),
            std::string::npos)
      << *plan;
  EXPECT_EQ(plan->find("TEMP B-TREE"), std::string::npos) << *plan;
  EXPECT_EQ(plan->find("SCAN"), std::string::npos) << *plan;
}

}  // namespace
}  // namespace roomplane::compositions::testing
