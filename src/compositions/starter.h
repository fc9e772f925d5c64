#pragma once
// Worker 1, the composition starter. Each cycle, from local state only:
//  1. enqueues a pending composition for every ended room that had recording on and has none
//     (CompositionStore::enqueue_ended_rooms: one row per room, the database refuses a second
//     live one);
//  2. claims due pending compositions with an expiring lease and, for each, first asks the
//     provider whether a composition of that room already exists (a crash after the provider
//     created one and before the row said so must not make a duplicate), adopting it if so,
//     else creates one with the tenant's layout and format and the webhook URL as its status
//     callback. The provider's answer and the lease release are one write.
// A provider refusal costs an attempt and is retried with capped backoff (Policy); after the
// last attempt the composition is failed for good and a signed alert is written with it. An
// outage or throttling costs no attempt: the job waits and is tried again.
//
// Thread-safe for one caller at a time (the WorkerLoop); several starters, in one process or
// several, may run against one database: leases keep them off each other's jobs.

#include <chrono>
#include <memory>
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

struct StarterOptions {
  // Roomplane's public base URL (no trailing slash): compositions report to
  // public_url + "/webhooks/twilio/" + tenant id.
  std::string public_url;
  std::string owner = "starter";  // lease owner: unique per process (instance id + worker)
  std::size_t batch = 50;
  std::chrono::milliseconds lease{std::chrono::minutes(2)};
  std::chrono::milliseconds interval{std::chrono::seconds(5)};
  Policy policy;
};

class CompositionStarter {
 public:
  CompositionStarter(CompositionStore& store, video::VideoProvider& provider,
                     rooms::TenantContextLookup tenants, realtime::Notifier& notifier,
                     const core::Clock& clock, StarterOptions options,
                     observability::MetricsRegistry& metrics, observability::Logger logger);

  // One cycle on the caller's thread. An error only when the store could not be read at all.
  core::Result<workers::CycleReport> run_once();

  void start() { loop_.start(); }
  void stop() { loop_.stop(); }
  void wake() { loop_.wake(); }

 private:
  enum class JobResult { kAdvanced, kRetrying, kFailedForGood };
  JobResult start_one(Composition& job);
  JobResult provider_refused(Composition& job, const core::Error& error,
                             std::vector<alerts::Alert>& alerts);
  void wait_transient(Composition& job, const core::Error& error);

  CompositionStore& store_;
  video::VideoProvider& provider_;
  rooms::TenantContextLookup tenants_;
  realtime::Notifier& notifier_;
  const core::Clock& clock_;
  StarterOptions options_;
  observability::Logger logger_;
  observability::Counter& enqueued_;
  observability::Counter& created_;
  observability::Counter& adopted_;
  observability::Counter& failed_for_good_;
  workers::WorkerLoop loop_;
};

}  // namespace roomplane::compositions
