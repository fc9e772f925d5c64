// GroupCommitIngestor against a scripted in-memory EventLedger: batching, the bounded queue,
// draining on stop, the batch failure policy, metrics and the on_committed observer. The fake
// can hold a call open, so "what queued while a commit ran" is arranged, not hoped for.

#include "webhooks/ingestor.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace roomplane::webhooks {
namespace {

using namespace std::chrono_literals;
constexpr auto kTimeout = 10s;

// All-or-nothing like the real ledger: keys become "stored" only when a call succeeds.
class FakeLedger final : public rooms::EventLedger {
 public:
  core::Result<std::vector<rooms::IngestOutcome>> ingest(
      std::span<const rooms::IngestItem> items) override {
    std::unique_lock lock(mutex_);
    std::vector<std::string> keys;
    for (const auto& item : items)
      keys.push_back(item.idempotency_key);
    calls_.push_back(keys);
    timeline_.push_back("batch:" + std::to_string(keys.size()));
    changed_.notify_all();
    changed_.wait(lock, [this] { return !held_; });
    for (const auto& key : keys) {
      if (key == throw_key_)
        throw std::runtime_error("disk on fire");
      if (poison_keys_.contains(key))
        return core::Error::internal("stored room state unreadable");
    }
    if (unavailable_)
      return core::Error::unavailable("database_busy", "database is locked");
    std::vector<rooms::IngestOutcome> outcomes(items.size());
    std::set<std::string> batch = stored_;
    for (std::size_t i = 0; i < items.size(); ++i) {
      outcomes[i].duplicate = !batch.insert(keys[i]).second;
      if (!outcomes[i].duplicate)
        outcomes[i].applied.state_changed = true;
    }
    if (short_answer_)
      outcomes.pop_back();
    stored_ = std::move(batch);
    return outcomes;
  }

  void idle() override {
    std::lock_guard lock(mutex_);
    timeline_.push_back("idle");
    changed_.notify_all();
  }
  // Batches ("batch:<size>") and idle calls, in the order the writer made them.
  std::vector<std::string> timeline() {
    std::lock_guard lock(mutex_);
    return timeline_;
  }
  bool wait_timeline(std::size_t n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kTimeout, [&] { return timeline_.size() >= n; });
  }

  void hold() {
    std::lock_guard lock(mutex_);
    held_ = true;
  }
  void release() {
    std::lock_guard lock(mutex_);
    held_ = false;
    changed_.notify_all();
  }
  // Waits until the writer has entered `n` calls in total.
  bool wait_calls(std::size_t n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kTimeout, [&] { return calls_.size() >= n; });
  }
  std::vector<std::size_t> call_sizes() {
    std::lock_guard lock(mutex_);
    std::vector<std::size_t> sizes;
    for (const auto& call : calls_)
      sizes.push_back(call.size());
    return sizes;
  }
  std::set<std::string> stored() {
    std::lock_guard lock(mutex_);
    return stored_;
  }
  void poison(const std::string& key) {
    std::lock_guard lock(mutex_);
    poison_keys_.insert(key);
  }
  void throw_on(const std::string& key) {
    std::lock_guard lock(mutex_);
    throw_key_ = key;
  }
  void set_unavailable(bool unavailable) {
    std::lock_guard lock(mutex_);
    unavailable_ = unavailable;
  }
  void answer_short() {
    std::lock_guard lock(mutex_);
    short_answer_ = true;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool held_ = false;
  bool unavailable_ = false;
  bool short_answer_ = false;
  std::string throw_key_;
  std::set<std::string> poison_keys_;
  std::set<std::string> stored_;
  std::vector<std::vector<std::string>> calls_;
  std::vector<std::string> timeline_;
};

// Collects `done` results by key, in the order they arrive.
class Results {
 public:
  GroupCommitIngestor::Done done_for(const std::string& key) {
    return [this, key](core::Result<rooms::IngestOutcome> result) {
      std::lock_guard lock(mutex_);
      order_.push_back("done:" + key);
      results_.emplace(key, std::move(result));
      arrived_.notify_all();
    };
  }
  void observed(const std::string& key) {
    std::lock_guard lock(mutex_);
    order_.push_back("observed:" + key);
  }
  bool wait_for(std::size_t n) {
    std::unique_lock lock(mutex_);
    return arrived_.wait_for(lock, kTimeout, [&] { return results_.size() >= n; });
  }
  std::size_t size() {
    std::lock_guard lock(mutex_);
    return results_.size();
  }
  const core::Result<rooms::IngestOutcome>& at(const std::string& key) {
    std::lock_guard lock(mutex_);
    return results_.find(key)->second;  // the first result for the key
  }
  bool has(const std::string& key) {
    std::lock_guard lock(mutex_);
    return results_.contains(key);
  }
  std::vector<std::string> order() {
    std::lock_guard lock(mutex_);
    return order_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::multimap<std::string, core::Result<rooms::IngestOutcome>> results_;
  std::vector<std::string> order_;
};

rooms::IngestItem item(const std::string& key,
                       rooms::RoomEventType type = rooms::RoomEventType::kParticipantConnected) {
  rooms::IngestItem item;
  item.tenant = core::TenantId("tn_test");
  item.idempotency_key = key;
  item.event.type = type;
  item.event.raw_name =
      type == rooms::RoomEventType::kUnknown ? "participant-reconnecting" : "participant-connected";
  item.event.room_sid = "RM00000000000000000000000000000001";
  item.params_json = "{}";
  return item;
}

class IngestorTest : public ::testing::Test {
 protected:
  std::unique_ptr<GroupCommitIngestor> make(IngestorOptions options = {}) {
    return std::make_unique<GroupCommitIngestor>(ledger_, metrics_, observability::Logger(),
                                                 options);
  }
  bool submit(GroupCommitIngestor& ingestor, const std::string& key,
              rooms::RoomEventType type = rooms::RoomEventType::kParticipantConnected) {
    return ingestor.submit(item(key, type), results_.done_for(key));
  }
  // Starts the writer with its first commit ("first") held by the ledger, then queues `count`
  // callbacks ("k0", "k1", ...) behind it, for tests of what the next batches take.
  void queue_behind_a_held_commit(GroupCommitIngestor& ingestor, int count) {
    ledger_.hold();
    ingestor.start();
    ASSERT_TRUE(submit(ingestor, "first"));
    ASSERT_TRUE(ledger_.wait_calls(1));
    for (int i = 0; i < count; ++i)
      ASSERT_TRUE(submit(ingestor, "k" + std::to_string(i)));
  }
  double events(const std::string& event, const std::string& outcome) {
    return metrics_
        .counter("roomplane_webhook_events_total", "", {{"event", event}, {"outcome", outcome}})
        .value();
  }

  FakeLedger ledger_;
  observability::MetricsRegistry metrics_;
  Results results_;
};

TEST_F(IngestorTest, CommitsAnItemAndReportsItsOutcome) {
  auto ingestor = make();
  ingestor->start();
  ASSERT_TRUE(submit(*ingestor, "a"));
  ASSERT_TRUE(results_.wait_for(1));
  const auto& result = results_.at("a");
  ASSERT_TRUE(result.ok());
  EXPECT_FALSE(result->duplicate);
  EXPECT_EQ(ledger_.stored(), std::set<std::string>{"a"});
  EXPECT_EQ(events("participant_connected", "applied"), 1.0);
  auto& latency = metrics_.histogram("roomplane_webhook_ingest_duration_seconds", "");
  EXPECT_EQ(latency.count(), 1u);
}

TEST_F(IngestorTest, BatchesEverythingThatQueuedWhileACommitRan) {
  auto ingestor = make();
  ASSERT_NO_FATAL_FAILURE(queue_behind_a_held_commit(*ingestor, 10));
  EXPECT_EQ(ingestor->queue_depth(), 10u);
  EXPECT_EQ(metrics_.gauge("roomplane_webhook_queue_depth", "").value(), 10.0);
  ledger_.release();
  ASSERT_TRUE(results_.wait_for(11));
  EXPECT_EQ(ledger_.call_sizes(), (std::vector<std::size_t>{1, 10}));
  EXPECT_EQ(metrics_.gauge("roomplane_webhook_queue_depth", "").value(), 0.0);
  auto& sizes = metrics_.histogram("roomplane_webhook_batch_size", "");
  EXPECT_EQ(sizes.count(), 2u);
  EXPECT_EQ(sizes.sum(), 11.0);
}

TEST_F(IngestorTest, TheLedgerGetsIdleTimeOnlyWhenNothingIsQueued) {
  auto ingestor = make();
  ASSERT_NO_FATAL_FAILURE(queue_behind_a_held_commit(*ingestor, 10));
  ledger_.release();
  ASSERT_TRUE(results_.wait_for(11));
  ASSERT_TRUE(ledger_.wait_timeline(3));
  // Not between the two batches (ten callbacks were waiting), only once the queue was empty.
  EXPECT_EQ(ledger_.timeline(), (std::vector<std::string>{"batch:1", "batch:10", "idle"}));
}

TEST_F(IngestorTest, MaxBatchBoundsOneTransaction) {
  auto ingestor = make({.queue_capacity = 100, .max_batch = 3});
  ASSERT_NO_FATAL_FAILURE(queue_behind_a_held_commit(*ingestor, 7));
  ledger_.release();
  ASSERT_TRUE(results_.wait_for(8));
  EXPECT_EQ(ledger_.call_sizes(), (std::vector<std::size_t>{1, 3, 3, 1}));
}

TEST_F(IngestorTest, FullQueueRefusesWithoutBlockingAndNeverCallsDone) {
  auto ingestor = make({.queue_capacity = 4, .max_batch = 512});
  ledger_.hold();
  ingestor->start();
  ASSERT_TRUE(submit(*ingestor, "in-flight"));
  ASSERT_TRUE(ledger_.wait_calls(1));  // taken off the queue by the writer
  for (int i = 0; i < 4; ++i)
    ASSERT_TRUE(submit(*ingestor, "q" + std::to_string(i)));
  // The writer is stuck inside the ledger, so this returning at all shows submit() never waits.
  EXPECT_FALSE(submit(*ingestor, "refused"));
  ledger_.release();
  ASSERT_TRUE(results_.wait_for(5));
  ingestor->stop();
  EXPECT_FALSE(results_.has("refused"));
  EXPECT_EQ(ledger_.stored().size(), 5u);
  EXPECT_FALSE(ledger_.stored().contains("refused"));
}

TEST_F(IngestorTest, StopDrainsEverythingAcceptedThenRefuses) {
  auto ingestor = make();
  ledger_.hold();
  ingestor->start();
  ASSERT_TRUE(submit(*ingestor, "in-flight"));
  ASSERT_TRUE(ledger_.wait_calls(1));
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(submit(*ingestor, "q" + std::to_string(i)));
  std::thread stopper([&] { ingestor->stop(); });
  ledger_.release();
  stopper.join();  // stop() returns only after the drain
  EXPECT_EQ(results_.size(), 6u);
  EXPECT_EQ(ledger_.stored().size(), 6u);
  EXPECT_FALSE(submit(*ingestor, "late"));
  ingestor->stop();  // idempotent
}

TEST_F(IngestorTest, StopWithoutStartDrainsOnTheCallingThread) {
  auto ingestor = make();
  ASSERT_TRUE(submit(*ingestor, "a"));
  ASSERT_TRUE(submit(*ingestor, "b"));
  ingestor->stop();
  EXPECT_EQ(results_.size(), 2u);
  EXPECT_EQ(ledger_.call_sizes(), (std::vector<std::size_t>{2}));
  EXPECT_FALSE(submit(*ingestor, "c"));
}

TEST_F(IngestorTest, PoisonItemFailsAloneWhileTheRestOfItsBatchCommits) {
  auto ingestor = make();
  ledger_.poison("k5");
  ledger_.hold();
  ingestor->start();
  ASSERT_TRUE(submit(*ingestor, "first"));
  ASSERT_TRUE(ledger_.wait_calls(1));
  for (int i = 0; i < 8; ++i)
    ASSERT_TRUE(submit(*ingestor, "k" + std::to_string(i)));
  ledger_.release();
  ASSERT_TRUE(results_.wait_for(9));
  for (int i = 0; i < 8; ++i) {
    const std::string key = "k" + std::to_string(i);
    EXPECT_EQ(results_.at(key).ok(), key != "k5") << key;
  }
  EXPECT_EQ(results_.at("k5").error().kind, core::ErrorKind::kInternal);
  EXPECT_EQ(ledger_.stored().size(), 8u);  // "first" and seven innocent ones
  EXPECT_FALSE(ledger_.stored().contains("k5"));
  // Bisection: 8 -> 4 (ok) + 4 -> 2 -> 1 (ok) + 1 (k5 fails alone), then the other 2 (ok).
  EXPECT_EQ(ledger_.call_sizes(), (std::vector<std::size_t>{1, 8, 4, 4, 2, 1, 1, 2}));
  EXPECT_EQ(metrics_.counter("roomplane_webhook_batch_splits_total", "").value(), 3.0);
  EXPECT_EQ(events("participant_connected", "error"), 1.0);
  EXPECT_EQ(events("participant_connected", "applied"), 8.0);
}

TEST_F(IngestorTest, UnavailableStorageFailsTheWholeBatchWithoutRetries) {
  auto ingestor = make();
  ledger_.set_unavailable(true);
  ledger_.hold();
  ingestor->start();
  ASSERT_TRUE(submit(*ingestor, "first"));
  ASSERT_TRUE(ledger_.wait_calls(1));
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(submit(*ingestor, "k" + std::to_string(i)));
  ledger_.release();
  ASSERT_TRUE(results_.wait_for(6));
  EXPECT_EQ(ledger_.call_sizes(), (std::vector<std::size_t>{1, 5}));
  for (int i = 0; i < 5; ++i) {
    const auto& result = results_.at("k" + std::to_string(i));
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind, core::ErrorKind::kUnavailable);
  }
  EXPECT_TRUE(ledger_.stored().empty());
  EXPECT_EQ(events("participant_connected", "error"), 6.0);

  // Once the database is back, new items commit again.
  ledger_.set_unavailable(false);
  ASSERT_TRUE(submit(*ingestor, "after"));
  ASSERT_TRUE(results_.wait_for(7));
  EXPECT_TRUE(results_.at("after").ok());
}

TEST_F(IngestorTest, AThrowingLedgerBecomesAnInternalErrorForThatItemOnly) {
  auto ingestor = make();
  ledger_.throw_on("bad");
  ledger_.hold();
  ingestor->start();
  ASSERT_TRUE(submit(*ingestor, "first"));
  ASSERT_TRUE(ledger_.wait_calls(1));
  ASSERT_TRUE(submit(*ingestor, "good"));
  ASSERT_TRUE(submit(*ingestor, "bad"));
  ledger_.release();
  ASSERT_TRUE(results_.wait_for(3));
  EXPECT_TRUE(results_.at("good").ok());
  ASSERT_FALSE(results_.at("bad").ok());
  EXPECT_EQ(results_.at("bad").error().kind, core::ErrorKind::kInternal);
  EXPECT_NE(results_.at("bad").error().message.find("disk on fire"), std::string::npos);
}

TEST_F(IngestorTest, ALedgerAnsweringForTheWrongNumberOfItemsFailsThem) {
  auto ingestor = make();
  ledger_.answer_short();
  ingestor->start();
  ASSERT_TRUE(submit(*ingestor, "a"));
  ASSERT_TRUE(results_.wait_for(1));
  ASSERT_FALSE(results_.at("a").ok());
  EXPECT_EQ(results_.at("a").error().kind, core::ErrorKind::kInternal);
}

TEST_F(IngestorTest, CountsOutcomesAndObservesOnlyNewlyRecordedItemsAfterTheirAcks) {
  auto ingestor = make();
  std::vector<std::size_t> observed_batches;  // written by the writer thread, read after stop()
  ingestor->set_on_committed([&](std::span<const Committed> batch) {
    observed_batches.push_back(batch.size());
    for (const auto& committed : batch)
      results_.observed(committed.item.idempotency_key);
  });
  ledger_.poison("poison");
  ledger_.hold();
  ingestor->start();
  ASSERT_TRUE(submit(*ingestor, "first"));
  ASSERT_TRUE(ledger_.wait_calls(1));
  ASSERT_TRUE(submit(*ingestor, "joined"));
  ASSERT_TRUE(submit(*ingestor, "joined"));  // a replay within the batch
  ASSERT_TRUE(submit(*ingestor, "odd", rooms::RoomEventType::kUnknown));
  ASSERT_TRUE(submit(*ingestor, "poison"));
  ledger_.release();
  ASSERT_TRUE(results_.wait_for(5));
  ingestor->stop();  // the observer runs after the acks; stop() waits for it

  EXPECT_EQ(events("participant_connected", "applied"), 2.0);  // "first" and "joined"
  EXPECT_EQ(events("participant_connected", "duplicate"), 1.0);
  EXPECT_EQ(events("participant_connected", "error"), 1.0);
  EXPECT_EQ(events("unknown", "unknown"), 1.0);

  const auto order = results_.order();
  std::vector<std::string> second_batch(order.begin() + 2, order.end());  // after "first"
  // Every ack of the batch comes before any observation; duplicates and failures are not
  // observed. (The splitting of the poisoned batch does not reorder acks of committed items
  // before observations: observations wait for the whole batch.)
  std::vector<std::string> observations;
  std::size_t last_done = 0;
  std::size_t first_observation = second_batch.size();
  for (std::size_t i = 0; i < second_batch.size(); ++i) {
    if (second_batch[i].starts_with("observed:")) {
      observations.push_back(second_batch[i]);
      first_observation = std::min(first_observation, i);
    } else {
      last_done = i;
    }
  }
  EXPECT_LT(last_done, first_observation);
  EXPECT_EQ(observations, (std::vector<std::string>{"observed:joined", "observed:odd"}));
  EXPECT_EQ(order[0], "done:first");
  EXPECT_EQ(order[1], "observed:first");
  // One call per committed batch with all of its new items, so a subscriber can publish what
  // one commit changed together.
  EXPECT_EQ(observed_batches, (std::vector<std::size_t>{1, 2}));
}

}  // namespace
}  // namespace roomplane::webhooks
