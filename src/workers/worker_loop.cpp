#include "workers/worker_loop.h"

#include <utility>

namespace roomplane::workers {

WorkerLoop::WorkerLoop(std::string name, Cycle cycle, std::chrono::milliseconds interval,
                       observability::MetricsRegistry& metrics, observability::Logger logger)
    : name_(std::move(name)),
      cycle_(std::move(cycle)),
      interval_(interval),
      logger_(std::move(logger)),
      cycle_seconds_(metrics.histogram("roomplane_worker_cycle_seconds",
                                       "Duration of one background worker cycle",
                                       {{"worker", name_}})),
      claimed_(metrics.counter("roomplane_worker_claimed_total",
                               "Jobs claimed (leased) by a background worker",
                               {{"worker", name_}})),
      succeeded_(metrics.counter("roomplane_worker_succeeded_total",
                                 "Jobs a background worker finished or advanced",
                                 {{"worker", name_}})),
      failed_(metrics.counter("roomplane_worker_failed_total",
                              "Jobs that failed in a worker cycle (retried later or for good)",
                              {{"worker", name_}})),
      lag_seconds_(metrics.gauge("roomplane_worker_lag_seconds",
                                 "How long the oldest due job of a worker has waited",
                                 {{"worker", name_}})),
      cycle_errors_(metrics.counter("roomplane_worker_cycle_errors_total",
                                    "Worker cycles that could not run (storage unavailable, ...)",
                                    {{"worker", name_}})) {}

WorkerLoop::~WorkerLoop() {
  stop();
}

void WorkerLoop::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable())
    return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void WorkerLoop::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wakeup_.notify_all();
  if (thread_.joinable())
    thread_.join();
}

void WorkerLoop::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wakeup_.notify_all();
}

core::Result<CycleReport> WorkerLoop::run_cycle() {
  const auto started = std::chrono::steady_clock::now();
  auto report = cycle_();
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  cycle_seconds_.observe(took.count());
  if (!report) {
    cycle_errors_.inc();
    logger_.error(
        "worker_cycle_failed",
        {{"worker", name_}, {"code", report.error().code}, {"message", report.error().message}});
    return report;
  }
  claimed_.inc(static_cast<double>(report->claimed));
  succeeded_.inc(static_cast<double>(report->succeeded));
  failed_.inc(static_cast<double>(report->failed));
  lag_seconds_.set(std::chrono::duration<double>(report->lag).count());
  if (report->claimed > 0 && logger_.debug_enabled()) {
    logger_.debug("worker_cycle", {{"worker", name_},
                                   {"claimed", report->claimed},
                                   {"succeeded", report->succeeded},
                                   {"failed", report->failed},
                                   {"ms", took.count() * 1000}});
  }
  return report;
}

void WorkerLoop::run() {
  logger_.info("worker_started", {{"worker", name_}, {"interval_ms", interval_.count()}});
  while (true) {
    auto report = run_cycle();
    const bool more = report && report->more;
    std::unique_lock lock(mutex_);
    if (!more) {
      wakeup_.wait_for(lock, interval_, [this] { return stopping_ || woken_; });
    }
    woken_ = false;
    if (stopping_)
      break;
  }
  logger_.info("worker_stopped", {{"worker", name_}});
}

}  // namespace roomplane::workers
