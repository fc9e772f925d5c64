#pragma once
// GroupCommitIngestor: the one writer between verified webhooks and the event ledger.
//
// Why group commit: every acknowledged webhook must be durable (DESIGN.md, "Nothing
// acknowledged is lost"), and on SQLite durability costs one fsync per transaction. One writer
// thread takes everything queued (up to max_batch) and hands it to EventLedger::ingest() as ONE
// transaction, so under load many webhooks share one fsync, and at low load a lone webhook is
// committed at once (no linger timer: a batch is whatever queued up while the previous commit
// ran).
//
// submit() never blocks: it enqueues into a bounded queue, or returns false when the queue is
// full or the ingestor is stopped (the caller answers 503 with Retry-After; Twilio retries).
// Each accepted item's `done` is called exactly once, on the writer thread, after its batch
// committed (with its IngestOutcome) or failed (with the error). `done` must not block.
//
// Batch failure policy. EventLedger::ingest() is all-or-nothing, so a failed batch stored
// nothing and may be retried honestly:
//  - kUnavailable (database busy/locked, I/O error, disk full) is taken to be systemic: every
//    item of the batch fails at once with that error (the senders retry later). Retrying item
//    by item would only multiply failing transactions, each of which may wait out SQLite's
//    busy timeout.
//  - Any other error (kInternal: a constraint, an unreadable stored state, a bug; or an
//    exception thrown by the ledger) may belong to one poison item, so the batch is split in
//    halves and each half retried, recursively, down to single items. Innocent items commit;
//    only the item(s) that fail alone get the error. Cost: about 2*log2(n) extra transactions
//    per poison item instead of n. If a retry reports kUnavailable, that part fails as above.
//
// After each commit, the optional on_committed observer (the real-time hub subscribes) is
// called once on the writer thread with every item of the batch that was newly recorded (not
// duplicates or failures), in submission order, after the items' `done` callbacks, so it never
// delays an acknowledgement. Once per batch rather than per item so that what one commit changed
// can be published together (the hub then writes it to each client at once). It must not
// block.
//
// Metrics:
//   roomplane_webhook_queue_depth                       gauge: items waiting for the writer
//   roomplane_webhook_batch_size                        histogram: items per ledger call
//   roomplane_webhook_commit_duration_seconds           histogram: one EventLedger::ingest call
//   roomplane_webhook_ingest_duration_seconds           histogram: submit() until durable/failed
//   roomplane_webhook_events_total{event,outcome}       outcome = applied|duplicate|unknown|error;
//                                                       event = rooms::to_string(type)
//   roomplane_webhook_batch_splits_total                failed batches split to isolate an item
//
// Thread-safety: submit() from any thread. start() and stop() from the owner thread;
// set_on_committed() before start().

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <vector>

#include "core/result.h"
#include "observability/log.h"
#include "observability/metrics.h"
#include "rooms/stores.h"

namespace roomplane::webhooks {

struct IngestorOptions {
  std::size_t queue_capacity = 16384;  // items waiting; submit() fails beyond this
  std::size_t max_batch = 512;         // items per transaction
};

// One newly recorded item of a committed batch.
struct Committed {
  const rooms::IngestItem& item;
  const rooms::IngestOutcome& outcome;
};
// Called after each commit with its newly recorded items; see the header comment.
using CommittedObserver = std::function<void(std::span<const Committed> batch)>;

class GroupCommitIngestor {
 public:
  using Done = std::function<void(core::Result<rooms::IngestOutcome>)>;

  // `ledger`, `metrics` must outlive the ingestor.
  GroupCommitIngestor(rooms::EventLedger& ledger, observability::MetricsRegistry& metrics,
                      observability::Logger logger, IngestorOptions options = {});
  ~GroupCommitIngestor();  // stop()
  GroupCommitIngestor(const GroupCommitIngestor&) = delete;
  GroupCommitIngestor& operator=(const GroupCommitIngestor&) = delete;

  void set_on_committed(CommittedObserver observer);

  // Starts the writer thread. Items submitted before start() wait for it.
  void start();
  // Refuses new items, commits everything already accepted (each `done` is called), then joins
  // the writer. When start() was never called, drains on the calling thread. Idempotent.
  void stop();

  // Never blocks. false (and `done` is not called) when the queue is full or stopped.
  bool submit(rooms::IngestItem item, Done done);

  std::size_t queue_depth() const;

 private:
  using SteadyTime = std::chrono::steady_clock::time_point;
  struct Pending {
    rooms::IngestItem item;
    Done done;
    SteadyTime submitted_at;
  };
  struct Batch {
    std::vector<rooms::IngestItem> items;
    std::vector<Done> dones;
    std::vector<SteadyTime> submitted_at;
    // Newly recorded items' outcomes, for on_committed (only filled when it is set).
    std::vector<std::optional<rooms::IngestOutcome>> committed;
  };

  void run();
  bool take_batch(Batch& batch);  // waits; false when stopping and nothing is left
  void process(Batch& batch);
  void commit_range(Batch& batch, std::size_t begin, std::size_t end);
  core::Result<std::vector<rooms::IngestOutcome>> call_ledger(
      std::span<const rooms::IngestItem> items);
  void finish(Batch& batch, std::size_t index, core::Result<rooms::IngestOutcome> result);
  void count(rooms::RoomEventType type, std::size_t outcome);

  rooms::EventLedger& ledger_;
  observability::Logger logger_;
  IngestorOptions options_;
  CommittedObserver on_committed_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  bool stopped_ = false;
  std::thread writer_;

  observability::Gauge& queue_depth_;
  observability::Histogram& batch_size_;
  observability::Histogram& commit_duration_;
  observability::Histogram& ingest_duration_;
  observability::Counter& batch_splits_;
  // events_total by [event type][outcome], registered up front so the hot path never locks
  // the registry.
  std::vector<std::vector<observability::Counter*>> events_;
};

}  // namespace roomplane::webhooks
