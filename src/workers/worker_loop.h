#pragma once
// The shape every background worker shares (composition starter and tracker, reconciler, alert
// dispatcher): a run_once() that does one bounded cycle of work from local state, and a loop
// that calls it on its own thread every `interval`, sooner when woken, and records the cycle's
// metrics. The worker itself never sleeps or reads the wall clock: it takes a core::Clock, so a
// test drives it with run_once() and a manual clock, without this loop.
//
// Metrics, labelled worker="<name>":
//   roomplane_worker_cycle_seconds        histogram of run_once() durations
//   roomplane_worker_claimed_total        jobs claimed (leased) by cycles
//   roomplane_worker_succeeded_total      jobs finished or advanced
//   roomplane_worker_failed_total         jobs that failed this cycle (retried later or for good)
//   roomplane_worker_lag_seconds          how long the oldest due job has waited (0 when none)
//   roomplane_worker_cycle_errors_total   cycles that could not run (storage down, ...)

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "core/result.h"
#include "observability/log.h"
#include "observability/metrics.h"

namespace roomplane::workers {

// What one cycle did; the loop turns it into metrics.
struct CycleReport {
  std::size_t claimed = 0;
  std::size_t succeeded = 0;
  std::size_t failed = 0;
  std::chrono::milliseconds lag{0};  // age of the oldest due job left after the cycle
  bool more = false;                 // a full batch was claimed: run again without waiting
};

class WorkerLoop {
 public:
  using Cycle = std::function<core::Result<CycleReport>()>;

  WorkerLoop(std::string name, Cycle cycle, std::chrono::milliseconds interval,
             observability::MetricsRegistry& metrics, observability::Logger logger);
  ~WorkerLoop();  // stops
  WorkerLoop(const WorkerLoop&) = delete;
  WorkerLoop& operator=(const WorkerLoop&) = delete;

  void start();
  // Finishes the running cycle (never interrupts one) and joins. Idempotent.
  void stop();
  // Runs the next cycle now instead of at the end of the interval (a callback arrived).
  void wake();

  // One cycle on the caller's thread, with the same metrics and logs as the loop's.
  core::Result<CycleReport> run_cycle();

 private:
  void run();

  std::string name_;
  Cycle cycle_;
  std::chrono::milliseconds interval_;
  observability::Logger logger_;
  observability::Histogram& cycle_seconds_;
  observability::Counter& claimed_;
  observability::Counter& succeeded_;
  observability::Counter& failed_;
  observability::Gauge& lag_seconds_;
  observability::Counter& cycle_errors_;

  std::mutex mutex_;
  std::condition_variable wakeup_;
  bool stopping_ = false;
  bool woken_ = false;
  std::thread thread_;
};

}  // namespace roomplane::workers
