#include "webhooks/ingestor.h"

#include <algorithm>
#include <array>
#include <exception>
#include <string>
#include <string_view>
#include <utility>

namespace roomplane::webhooks {
namespace {

enum Outcome : std::size_t { kApplied, kDuplicate, kUnknown, kError, kOutcomeCount };
constexpr std::array<std::string_view, kOutcomeCount> kOutcomeNames{"applied", "duplicate",
                                                                    "unknown", "error"};
constexpr auto kEventTypeCount = static_cast<std::size_t>(rooms::RoomEventType::kUnknown) + 1;

std::vector<double> batch_size_buckets() {
  std::vector<double> bounds;
  for (double b = 1; b <= 1024; b *= 2)
    bounds.push_back(b);
  return bounds;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

GroupCommitIngestor::GroupCommitIngestor(rooms::EventLedger& ledger,
                                         observability::MetricsRegistry& metrics,
                                         observability::Logger logger, IngestorOptions options)
    : ledger_(ledger),
      logger_(std::move(logger)),
      options_(options),
      queue_depth_(metrics.gauge("roomplane_webhook_queue_depth",
                                 "Verified webhooks waiting for the ledger writer.")),
      batch_size_(metrics.histogram("roomplane_webhook_batch_size",
                                    "Webhooks committed per ledger transaction.", {},
                                    batch_size_buckets())),
      commit_duration_(metrics.histogram("roomplane_webhook_commit_duration_seconds",
                                         "Duration of one ledger transaction (batch).")),
      ingest_duration_(
          metrics.histogram("roomplane_webhook_ingest_duration_seconds",
                            "Time from accepting a webhook until it is durable (or failed).")),
      batch_splits_(metrics.counter("roomplane_webhook_batch_splits_total",
                                    "Failed ledger batches split to isolate a failing item.")) {
  if (options_.max_batch == 0)
    options_.max_batch = 1;
  if (options_.queue_capacity == 0)
    options_.queue_capacity = 1;
  events_.resize(kEventTypeCount);
  for (std::size_t t = 0; t < kEventTypeCount; ++t) {
    const std::string event(rooms::to_string(static_cast<rooms::RoomEventType>(t)));
    for (std::size_t o = 0; o < kOutcomeCount; ++o) {
      events_[t].push_back(&metrics.counter(
          "roomplane_webhook_events_total", "Webhook events by event type and ledger outcome.",
          {{"event", event}, {"outcome", std::string(kOutcomeNames[o])}}));
    }
  }
}

GroupCommitIngestor::~GroupCommitIngestor() {
  stop();
}

void GroupCommitIngestor::set_on_committed(CommittedObserver observer) {
  on_committed_ = std::move(observer);
}

void GroupCommitIngestor::start() {
  std::lock_guard lock(mutex_);
  if (writer_.joinable() || stopping_)
    return;
  writer_ = std::thread([this] { run(); });
}

void GroupCommitIngestor::stop() {
  std::unique_lock lock(mutex_);
  if (stopped_)
    return;
  stopped_ = true;
  stopping_ = true;
  const bool started = writer_.joinable();
  lock.unlock();
  wake_.notify_all();
  if (started)
    writer_.join();
  else
    run();  // nobody else will commit what was accepted
}

bool GroupCommitIngestor::submit(rooms::IngestItem item, Done done) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= options_.queue_capacity)
      return false;
    queue_.push_back(Pending{std::move(item), std::move(done), std::chrono::steady_clock::now()});
    queue_depth_.set(static_cast<double>(queue_.size()));
  }
  wake_.notify_one();
  return true;
}

std::size_t GroupCommitIngestor::queue_depth() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

bool GroupCommitIngestor::take_batch(Batch& batch) {
  std::unique_lock lock(mutex_);
  wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
  if (queue_.empty())
    return false;  // stopping, and everything accepted is committed
  const std::size_t n = std::min(queue_.size(), options_.max_batch);
  batch.items.reserve(n);
  batch.dones.reserve(n);
  batch.submitted_at.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    auto& pending = queue_.front();
    batch.items.push_back(std::move(pending.item));
    batch.dones.push_back(std::move(pending.done));
    batch.submitted_at.push_back(pending.submitted_at);
    queue_.pop_front();
  }
  queue_depth_.set(static_cast<double>(queue_.size()));
  return true;
}

void GroupCommitIngestor::run() {
  while (true) {
    Batch batch;
    if (!take_batch(batch))
      return;
    process(batch);
    // Housekeeping only in a gap: under saturation the queue never empties and the ledger's
    // own backstop (inside commits) applies instead.
    if (queue_depth() == 0)
      ledger_.idle();
  }
}

void GroupCommitIngestor::process(Batch& batch) {
  if (on_committed_)
    batch.committed.resize(batch.items.size());
  commit_range(batch, 0, batch.items.size());
  if (!on_committed_)
    return;
  // Only after every `done` of the batch, so the observer never delays an acknowledgement.
  std::vector<Committed> committed;
  committed.reserve(batch.items.size());
  for (std::size_t i = 0; i < batch.items.size(); ++i) {
    if (batch.committed[i])
      committed.push_back(Committed{batch.items[i], *batch.committed[i]});
  }
  if (committed.empty())
    return;
  try {
    on_committed_(committed);
  } catch (const std::exception& e) {
    logger_.error("webhook_observer_threw", {{"error", e.what()}, {"items", committed.size()}});
  } catch (...) {
    logger_.error("webhook_observer_threw",
                  {{"error", "non-standard exception"}, {"items", committed.size()}});
  }
}

core::Result<std::vector<rooms::IngestOutcome>> GroupCommitIngestor::call_ledger(
    std::span<const rooms::IngestItem> items) {
  const auto started = std::chrono::steady_clock::now();
  core::Result<std::vector<rooms::IngestOutcome>> result = core::Error::internal("not run");
  try {
    result = ledger_.ingest(items);
  } catch (const std::exception& e) {
    result = core::Error::internal(std::string("event ledger threw: ") + e.what());
  } catch (...) {
    result = core::Error::internal("event ledger threw a non-standard exception");
  }
  commit_duration_.observe(seconds_since(started));
  batch_size_.observe(static_cast<double>(items.size()));
  if (result && result->size() != items.size()) {
    // A ledger that answers for a different number of items broke its contract; nobody can
    // tell which outcome is whose, but the transaction did commit, so a retry would only
    // find duplicates. Report it loudly and fail the items: a sender's retry is harmless.
    result = core::Error::internal("event ledger returned " + std::to_string(result->size()) +
                                   " outcomes for " + std::to_string(items.size()) + " items");
  }
  return result;
}

void GroupCommitIngestor::commit_range(Batch& batch, std::size_t begin, std::size_t end) {
  const std::span<const rooms::IngestItem> items(batch.items.data() + begin, end - begin);
  auto result = call_ledger(items);
  if (result) {
    for (std::size_t i = begin; i < end; ++i)
      finish(batch, i, std::move((*result)[i - begin]));
    return;
  }
  const core::Error& error = result.error();
  const std::size_t size = end - begin;
  if (error.kind == core::ErrorKind::kUnavailable || size == 1) {
    logger_.error("webhook_batch_failed", {{"batch_size", size},
                                           {"error_code", error.code},
                                           {"error", error.message},
                                           {"tenant_id", batch.items[begin].tenant.value()}});
    for (std::size_t i = begin; i < end; ++i)
      finish(batch, i, error);
    return;
  }
  batch_splits_.inc();
  logger_.warn("webhook_batch_split",
               {{"batch_size", size}, {"error_code", error.code}, {"error", error.message}});
  const std::size_t middle = begin + size / 2;
  commit_range(batch, begin, middle);
  commit_range(batch, middle, end);
}

void GroupCommitIngestor::count(rooms::RoomEventType type, std::size_t outcome) {
  const auto t = static_cast<std::size_t>(type);
  if (t < events_.size())
    events_[t][outcome]->inc();
}

void GroupCommitIngestor::finish(Batch& batch, std::size_t index,
                                 core::Result<rooms::IngestOutcome> result) {
  const auto& item = batch.items[index];
  if (!result) {
    count(item.event.type, kError);
  } else if (result->duplicate) {
    count(item.event.type, kDuplicate);
  } else {
    count(item.event.type, item.event.type == rooms::RoomEventType::kUnknown ? kUnknown : kApplied);
  }
  ingest_duration_.observe(seconds_since(batch.submitted_at[index]));
  if (on_committed_ && result && !result->duplicate)
    batch.committed[index] = *result;  // a copy: `done` takes the result itself
  try {
    batch.dones[index](std::move(result));
  } catch (const std::exception& e) {
    logger_.error("webhook_done_callback_threw", {{"error", e.what()}});
  } catch (...) {
    logger_.error("webhook_done_callback_threw", {{"error", "non-standard exception"}});
  }
}

}  // namespace roomplane::webhooks
