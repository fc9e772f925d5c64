// The loop every worker runs in: cycles on its interval, at once when woken or when the last
// cycle filled its batch, never after stop(), with the cycle's metrics recorded.

#include "workers/worker_loop.h"

#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

namespace roomplane::workers {
namespace {

using namespace std::chrono_literals;

template <class Pred>
bool within(std::chrono::milliseconds limit, Pred&& pred) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (pred())
      return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

TEST(WorkerLoop, RunsACycleAtStartAndAtOnceWhenWoken) {
  observability::MetricsRegistry metrics;
  std::atomic<int> cycles{0};
  WorkerLoop loop(
      "test",
      [&]() -> core::Result<CycleReport> {
        ++cycles;
        return CycleReport{};
      },
      1h, metrics, observability::Logger());
  loop.start();
  ASSERT_TRUE(within(5s, [&] { return cycles.load() == 1; }));
  loop.wake();
  // The interval is an hour: only wake() can explain a second cycle.
  EXPECT_TRUE(within(5s, [&] { return cycles.load() == 2; }));
  loop.stop();
  const int after_stop = cycles.load();
  loop.wake();
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(cycles.load(), after_stop);
}

TEST(WorkerLoop, AFullBatchRunsTheNextCycleWithoutWaiting) {
  observability::MetricsRegistry metrics;
  std::atomic<int> cycles{0};
  WorkerLoop loop(
      "test",
      [&]() -> core::Result<CycleReport> {
        CycleReport report;
        report.more = ++cycles < 5;
        return report;
      },
      1h, metrics, observability::Logger());
  loop.start();
  EXPECT_TRUE(within(5s, [&] { return cycles.load() == 5; }));
  loop.stop();
  EXPECT_EQ(cycles.load(), 5);
}

TEST(WorkerLoop, RecordsCycleMetricsAndCountsFailedCycles) {
  observability::MetricsRegistry metrics;
  bool fail = false;
  WorkerLoop loop(
      "starter",
      [&]() -> core::Result<CycleReport> {
        if (fail)
          return core::Error::unavailable("database_unavailable", "disk full");
        CycleReport report;
        report.claimed = 3;
        report.succeeded = 2;
        report.failed = 1;
        report.lag = 1500ms;
        return report;
      },
      1h, metrics, observability::Logger());
  ASSERT_TRUE(loop.run_cycle().ok());
  fail = true;
  EXPECT_FALSE(loop.run_cycle().ok());
  const observability::Labels labels = {{"worker", "starter"}};
  EXPECT_EQ(metrics.counter("roomplane_worker_claimed_total", "", labels).value(), 3);
  EXPECT_EQ(metrics.counter("roomplane_worker_succeeded_total", "", labels).value(), 2);
  EXPECT_EQ(metrics.counter("roomplane_worker_failed_total", "", labels).value(), 1);
  EXPECT_EQ(metrics.counter("roomplane_worker_cycle_errors_total", "", labels).value(), 1);
  EXPECT_DOUBLE_EQ(metrics.gauge("roomplane_worker_lag_seconds", "", labels).value(), 1.5);
  EXPECT_EQ(metrics.histogram("roomplane_worker_cycle_seconds", "", labels).count(), 2u);
}

}  // namespace
}  // namespace roomplane::workers
