#pragma once
// Worker 2, the composition tracker. Follows every live composition (enqueued, processing,
// stalled) to its end, from local state: each cycle claims the due ones with an expiring lease
// and asks the provider about each. Polls back off with the job's age (Policy) and never go
// past its deadline; a composition callback makes the job due at once (CompositionStore::
// make_due), so callbacks make it faster and their loss only makes it slower.
//  - completed at the provider: completed here, with media location, size and duration
//  - failed (or gone) at the provider: another attempt through the starter after a capped
//    backoff, or failed for good with a signed alert once attempts are exhausted
//  - past its deadline and not finished: stalled, with an error log, a metric, a
//    CompositionUpdated event and a signed alert, once; it is still followed and may complete
// The stall check does not need the provider's answer: during an outage a stuck composition is
// still reported on time.

#include <chrono>
#include <string>

#include "compositions/policy.h"
#include "compositions/stores.h"
#include "observability/log.h"
#include "observability/metrics.h"
#include "realtime/notifier.h"
#include "rooms/room_service.h"
#include "video/provider.h"
#include "workers/worker_loop.h"

namespace roomplane::compositions {

struct TrackerOptions {
  std::string owner = "tracker";  // lease owner: unique per process (instance id + worker)
  std::size_t batch = 100;
  std::chrono::milliseconds lease{std::chrono::minutes(2)};
  std::chrono::milliseconds interval{std::chrono::seconds(2)};
  Policy policy;
};

class CompositionTracker {
 public:
  CompositionTracker(CompositionStore& store, video::VideoProvider& provider,
                     rooms::TenantContextLookup tenants, realtime::Notifier& notifier,
                     const core::Clock& clock, TrackerOptions options,
                     observability::MetricsRegistry& metrics, observability::Logger logger);

  core::Result<workers::CycleReport> run_once();

  void start() { loop_.start(); }
  void stop() { loop_.stop(); }
  // A callback made a composition due: run the next cycle now.
  void wake() { loop_.wake(); }

 private:
  // Whether the job moved forward (true) or failed this cycle (false).
  bool track_one(Composition& job);

  CompositionStore& store_;
  video::VideoProvider& provider_;
  rooms::TenantContextLookup tenants_;
  realtime::Notifier& notifier_;
  const core::Clock& clock_;
  TrackerOptions options_;
  observability::Logger logger_;
  observability::Counter& completed_;
  observability::Counter& stalled_;
  observability::Counter& attempt_failed_;
  observability::Counter& failed_for_good_;
  workers::WorkerLoop loop_;
};

}  // namespace roomplane::compositions
