// SqliteAlertStore on a real temporary SQLite database: idempotent enqueue, leases, lease_lost.

#include <gtest/gtest.h>

#include "support/query_plan.h"
#include "unit/alerts/alert_fixture.h"

namespace roomplane::alerts::testing {
namespace {

using namespace std::chrono_literals;

std::vector<std::string> ids(const std::vector<ClaimedAlert>& claimed) {
  std::vector<std::string> out;
  for (const auto& c : claimed)
    out.push_back(c.alert.id);
  return out;
}

TEST_F(AlertStoreTest, EnqueueTwiceStoresOnce) {
  const auto t0 = clock_.now();
  auto first = make_alert(kTenantA, "al_1", t0);
  ASSERT_TRUE(store_.enqueue(first).ok());
  auto again = first;
  again.body = R"({"changed":true})";
  again.created_at = t0 + 5s;
  ASSERT_TRUE(store_.enqueue(again).ok());

  auto all = store_.list(kTenantA);
  ASSERT_TRUE(all.ok()) << all.error().message;
  ASSERT_EQ(all->size(), 1u);
  const auto& row = all->front();
  EXPECT_EQ(row.alert.body, first.body);  // the first version's bytes, unchanged
  EXPECT_EQ(row.alert.kind, first.kind);
  EXPECT_EQ(row.alert.subject_id, first.subject_id);
  EXPECT_EQ(row.alert.created_at, t0);
  EXPECT_EQ(row.status, AlertStatus::kPending);
  EXPECT_EQ(row.attempts, 0);
  EXPECT_EQ(row.next_attempt_at, t0);
  EXPECT_FALSE(row.lease_owner);
  EXPECT_TRUE(store_.list(kTenantB)->empty());
}

TEST_F(AlertStoreTest, ClaimTakesDueAlertsOldestFirstUpToTheLimit) {
  const auto t0 = clock_.now();
  ASSERT_TRUE(store_.enqueue(make_alert(kTenantB, "al_c", t0 + 2s)).ok());
  ASSERT_TRUE(store_.enqueue(make_alert(kTenantA, "al_a", t0)).ok());
  ASSERT_TRUE(store_.enqueue(make_alert(kTenantA, "al_b", t0 + 1s)).ok());
  ASSERT_TRUE(store_.enqueue(make_alert(kTenantA, "al_future", t0 + 60s)).ok());

  auto claimed = store_.claim("w1", t0 + 2s, t0 + 62s, 2);
  ASSERT_TRUE(claimed.ok()) << claimed.error().message;
  EXPECT_EQ(ids(*claimed), (std::vector<std::string>{"al_a", "al_b"}));
  EXPECT_EQ(claimed->front().attempts, 0);
  EXPECT_EQ(claimed->front().alert.body, make_alert(kTenantA, "al_a", t0).body);

  claimed = store_.claim("w1", t0 + 2s, t0 + 62s, 10);
  EXPECT_EQ(ids(*claimed), (std::vector<std::string>{"al_c"}));  // not the future one
  EXPECT_TRUE(store_.claim("w1", t0 + 2s, t0 + 62s, 0)->empty());
}

TEST_F(AlertStoreTest, ClaimRespectsLeasesUntilTheyExpire) {
  const auto t0 = clock_.now();
  ASSERT_TRUE(store_.enqueue(make_alert(kTenantA, "al_1", t0)).ok());
  ASSERT_EQ(store_.claim("w1", t0, t0 + 30s, 10)->size(), 1u);

  EXPECT_TRUE(store_.claim("w2", t0, t0 + 30s, 10)->empty());
  EXPECT_TRUE(store_.claim("w2", t0 + 29999ms, t0 + 60s, 10)->empty());
  const auto row = store_.list(kTenantA)->front();
  EXPECT_EQ(row.lease_owner, "w1");
  EXPECT_EQ(row.lease_expires_at, t0 + 30s);

  auto taken = store_.claim("w2", t0 + 30s, t0 + 60s, 10);  // expired: free again
  ASSERT_EQ(taken->size(), 1u);
  EXPECT_EQ(store_.list(kTenantA)->front().lease_owner, "w2");
}

TEST_F(AlertStoreTest, WritesNeedTheLease) {
  const auto t0 = clock_.now();
  ASSERT_TRUE(store_.enqueue(make_alert(kTenantA, "al_1", t0)).ok());
  ASSERT_EQ(store_.claim("w1", t0, t0 + 30s, 10)->size(), 1u);
  ASSERT_EQ(store_.claim("w2", t0 + 31s, t0 + 61s, 10)->size(), 1u);  // w1's lease expired

  for (const auto& status :
       {store_.mark_delivered("al_1", "w1", 1, t0 + 32s),
        store_.reschedule("al_1", "w1", 1, t0 + 40s, "http_status 500"),
        store_.give_up("al_1", "w1", AlertStatus::kAbandoned, 1, "x", t0 + 32s)}) {
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.error().kind, core::ErrorKind::kConflict);
    EXPECT_EQ(status.error().code, "lease_lost");
  }
  auto row = store_.list(kTenantA)->front();
  EXPECT_EQ(row.status, AlertStatus::kPending);
  EXPECT_EQ(row.attempts, 0);
  EXPECT_EQ(row.lease_owner, "w2");

  ASSERT_TRUE(store_.mark_delivered("al_1", "w2", 1, t0 + 33s).ok());
  row = store_.list(kTenantA)->front();
  EXPECT_EQ(row.status, AlertStatus::kDelivered);
  EXPECT_EQ(row.attempts, 1);
  EXPECT_EQ(row.delivered_at, t0 + 33s);
  EXPECT_FALSE(row.lease_owner);
  // Closed: nobody's any more, and never claimed again.
  EXPECT_EQ(store_.mark_delivered("al_1", "w2", 2, t0 + 34s).error().code, "lease_lost");
  EXPECT_TRUE(store_.claim("w3", t0 + 1h, t0 + 2h, 10)->empty());
  EXPECT_EQ(store_.mark_delivered("al_nope", "w2", 1, t0).error().code, "alert_not_found");
}

TEST_F(AlertStoreTest, RescheduleReleasesTheLeaseUntilTheNextAttempt) {
  const auto t0 = clock_.now();
  ASSERT_TRUE(store_.enqueue(make_alert(kTenantA, "al_1", t0)).ok());
  ASSERT_EQ(store_.claim("w1", t0, t0 + 30s, 10)->size(), 1u);
  ASSERT_TRUE(store_.reschedule("al_1", "w1", 1, t0 + 5s, "http_status 500").ok());

  auto row = store_.list(kTenantA)->front();
  EXPECT_EQ(row.attempts, 1);
  EXPECT_EQ(row.next_attempt_at, t0 + 5s);
  EXPECT_EQ(row.last_error, "http_status 500");
  EXPECT_FALSE(row.lease_owner);

  EXPECT_TRUE(store_.claim("w2", t0 + 4999ms, t0 + 60s, 10)->empty());
  auto claimed = store_.claim("w2", t0 + 5s, t0 + 60s, 10);
  ASSERT_EQ(claimed->size(), 1u);
  EXPECT_EQ(claimed->front().attempts, 1);
}

TEST_F(AlertStoreTest, GiveUpClosesAsAbandonedOrSkipped) {
  const auto t0 = clock_.now();
  ASSERT_TRUE(store_.enqueue(make_alert(kTenantA, "al_1", t0)).ok());
  ASSERT_TRUE(store_.enqueue(make_alert(kTenantA, "al_2", t0 + 1ms)).ok());
  ASSERT_EQ(store_.claim("w1", t0 + 1s, t0 + 30s, 10)->size(), 2u);

  EXPECT_EQ(store_.give_up("al_1", "w1", AlertStatus::kDelivered, 1, "x", t0).error().code,
            "invalid_alert_status");
  ASSERT_TRUE(
      store_.give_up("al_1", "w1", AlertStatus::kAbandoned, 8, "http_status 503", t0 + 2s).ok());
  ASSERT_TRUE(store_.give_up("al_2", "w1", AlertStatus::kSkipped, 0, "no alert_url", t0 + 3s).ok());

  auto rows = store_.list(kTenantA).value();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].status, AlertStatus::kAbandoned);
  EXPECT_EQ(rows[0].attempts, 8);
  EXPECT_EQ(rows[0].last_error, "http_status 503");
  EXPECT_EQ(rows[0].next_attempt_at, t0 + 2s);
  EXPECT_FALSE(rows[0].delivered_at);
  EXPECT_EQ(rows[1].status, AlertStatus::kSkipped);
  EXPECT_TRUE(store_.claim("w2", t0 + 1h, t0 + 2h, 10)->empty());
  EXPECT_EQ(store_.lag(t0 + 1h).value(), 0ms);
}

TEST_F(AlertStoreTest, LagIsTheAgeOfTheOldestDueAlert) {
  const auto t0 = clock_.now();
  EXPECT_EQ(store_.lag(t0).value(), 0ms);
  ASSERT_TRUE(store_.enqueue(make_alert(kTenantA, "al_1", t0)).ok());
  ASSERT_TRUE(store_.enqueue(make_alert(kTenantB, "al_2", t0 + 3s)).ok());
  EXPECT_EQ(store_.lag(t0 + 7500ms).value(), 7500ms);
  EXPECT_EQ(store_.lag(t0 - 1s).value(), 0ms);  // nothing due yet
}

TEST_F(AlertStoreTest, DueQueriesUseThePartialIndex) {
  auto plan = roomplane::testing::query_plan(
      *db_,
      "SELECT alert_id FROM alerts WHERE status = 'pending' AND next_attempt_at <= 5 AND "
      "(lease_expires_at IS NULL OR lease_expires_at <= 5) ORDER BY next_attempt_at, alert_id "
      "LIMIT 10");
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_NE(plan->find("alerts_due"), std::string::npos) << *plan;
}

}  // namespace
}  // namespace roomplane::alerts::testing
