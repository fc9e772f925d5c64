// The ingestion guarantee, end to end: every callback of a simulated consultation delivered 1
// to 5 times, in a shuffled order, by several concurrent senders (so batches mix events of
// every kind), over real HTTP into real SQLite, ends in exactly the state that one clean
// in-order delivery stores, which in turn equals folding the callbacks in memory. Over many
// seeds; a failure names its seed.

#include <algorithm>
#include <atomic>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "twilio/callback_event.h"
#include "unit/rooms/consultation.h"
#include "unit/webhooks/webhook_fixture.h"

namespace roomplane::webhooks {
namespace {

using testing::kAccountSid;
using testing::kAuthToken;
using testing::kOtherAuthToken;

// Every acknowledgement waits for a commit, and the ledger re-reads each touched room's state
// per transaction, which ASan slows about threefold; fewer seeds there keep the run near 20 s.
// The plain build runs the full set.
#if defined(__SANITIZE_ADDRESS__)
constexpr std::uint64_t kSeeds = 16;
#else
constexpr std::uint64_t kSeeds = 40;
#endif
constexpr std::size_t kWorkers = 16;  // seeds delivered at the same time (distinct rooms)
constexpr std::size_t kSenders = 4;   // concurrent senders of one seed's shuffled deliveries

class ReplayOrderPropertyTest : public testing::WebhookFixture {};

// What one seed's deliveries observed; checked on the test thread afterwards.
struct SeedRun {
  rooms::testing::Consultation consultation;
  std::string folded;  // canonical text of the in-memory in-order fold
  std::vector<std::string> failures;
  std::size_t deliveries = 0;
  std::size_t firsts = 0;
  std::size_t duplicates = 0;
};

TEST_F(ReplayOrderPropertyTest, AnyRedeliveryInAnyOrderEndsInTheCleanDeliverysState) {
  // Same account, another tenant (and another Auth Token): its ledger and states are separate.
  const core::TenantId clean = tenant_;
  const core::TenantId shuffled = new_tenant("Shuffled", kOtherAuthToken);

  std::vector<SeedRun> runs(kSeeds);
  for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) {
    auto& run = runs[seed - 1];
    run.consultation = rooms::testing::generate_consultation(seed);
    for (auto& params : run.consultation.callbacks) {
      for (auto& [name, value] : params) {
        if (name == "AccountSid")
          value = std::string(kAccountSid);
      }
    }
  }

  // Seeds are distinct rooms, so several run at once: the test stays fast although every
  // acknowledgement waits for an fsync, and the writer's batches mix rooms and tenants.
  auto deliver_seed = [&](std::uint64_t seed, SeedRun& run) {
    const auto& callbacks = run.consultation.callbacks;
    std::mutex mutex;  // guards run's counters and failures
    auto fail = [&](std::string what) {
      std::lock_guard lock(mutex);
      run.failures.push_back(std::move(what));
    };

    // The reference: one clean delivery, in emission order, one at a time.
    rooms::RoomState folded;
    for (const auto& params : callbacks) {
      auto response = deliver(clean, params, kAuthToken);
      if (response.status != 200u || outcome(response) == "duplicate")
        fail("clean delivery: " + std::to_string(response.status) + " " + response.body);
      auto event = twilio::parse_callback(params);
      if (!event.ok()) {
        fail("unparseable callback: " + event.error().message);
        return;
      }
      (void)rooms::apply(folded, *event);
    }
    run.folded = rooms::to_canonical_text(folded);

    // Every callback 1..5 times, shuffled, sent by concurrent senders.
    std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ULL);
    std::vector<std::size_t> order;
    for (std::size_t i = 0; i < callbacks.size(); ++i) {
      for (std::uint64_t n = 1 + rng() % 5; n > 0; --n)
        order.push_back(i);
    }
    std::shuffle(order.begin(), order.end(), rng);
    run.deliveries = order.size();
    std::atomic<std::size_t> next{0};
    std::vector<std::thread> senders;
    for (std::size_t s = 0; s < kSenders; ++s) {
      senders.emplace_back([&] {
        for (std::size_t i = next++; i < order.size(); i = next++) {
          auto response = deliver(shuffled, callbacks[order[i]], kOtherAuthToken);
          const bool duplicate = outcome(response) == "duplicate";
          if (response.status != 200u) {
            fail("shuffled delivery: " + std::to_string(response.status) + " " + response.body);
            continue;
          }
          std::lock_guard lock(mutex);
          ++(duplicate ? run.duplicates : run.firsts);
        }
      });
    }
    for (auto& sender : senders)
      sender.join();
  };
  std::atomic<std::uint64_t> next_seed{1};
  std::vector<std::thread> workers;
  for (std::size_t w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&] {
      for (std::uint64_t seed = next_seed++; seed <= kSeeds; seed = next_seed++)
        deliver_seed(seed, runs[seed - 1]);
    });
  }
  for (auto& worker : workers)
    worker.join();

  std::int64_t total_callbacks = 0;
  std::size_t unknown_seen = 0;
  for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const auto& run = runs[seed - 1];
    const auto& consultation = run.consultation;
    const auto& callbacks = consultation.callbacks;
    total_callbacks += static_cast<std::int64_t>(callbacks.size());
    unknown_seen += consultation.unknown_callbacks;
    ASSERT_TRUE(run.failures.empty())
        << run.failures.size() << " failures, first: " << run.failures.front();
    // Exactly one delivery of each callback was new, whichever arrived first.
    EXPECT_EQ(run.firsts, callbacks.size());
    EXPECT_EQ(run.duplicates, run.deliveries - callbacks.size());
    EXPECT_GT(run.deliveries, callbacks.size());

    const auto clean_state = stored_state(clean, consultation.room_sid);
    const auto shuffled_state = stored_state(shuffled, consultation.room_sid);
    ASSERT_TRUE(clean_state && shuffled_state);
    EXPECT_EQ(rooms::to_canonical_text(*shuffled_state), rooms::to_canonical_text(*clean_state));
    EXPECT_EQ(rooms::to_canonical_text(*clean_state), run.folded);

    // And the clean state is the consultation that happened (so equality is not vacuous).
    EXPECT_EQ(clean_state->status, rooms::RoomStatus::kCompleted);
    ASSERT_EQ(clean_state->participants.size(), consultation.participants.size());
    for (const auto& [sid, expected] : consultation.participants) {
      const auto& participant = clean_state->participants.at(sid);
      EXPECT_EQ(participant.status, rooms::ParticipantStatus::kDisconnected);
      EXPECT_EQ(participant.identity, expected.identity);
    }
    EXPECT_EQ(clean_state->recordings.size(), consultation.recording_failed.size());
    EXPECT_EQ(clean_state->compositions.contains(consultation.composition_sid),
              !consultation.composition_sid.empty());
  }
  // Each distinct callback is one ledger row per tenant, however often it was delivered.
  EXPECT_EQ(ledger_rows(clean), total_callbacks);
  EXPECT_EQ(ledger_rows(shuffled), total_callbacks);

  // Undocumented events were stored and counted (each once, in each tenant), never refused.
  ASSERT_GT(unknown_seen, 0u) << "no seed generated an unknown event; raise kSeeds";
  EXPECT_EQ(metrics_
                .counter("roomplane_webhook_events_total", "",
                         {{"event", "unknown"}, {"outcome", "unknown"}})
                .value(),
            static_cast<double>(2 * unknown_seen));
  // Concurrent senders made the writer commit several webhooks per transaction.
  auto& sizes = metrics_.histogram("roomplane_webhook_batch_size", "");
  EXPECT_GT(sizes.sum(), static_cast<double>(sizes.count()));
}

}  // namespace
}  // namespace roomplane::webhooks
