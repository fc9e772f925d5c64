#pragma once
// The reconciler (issue 6): every `interval` it compares local in-progress rooms and their
// connected participants with the provider, within a per-tenant request budget, and repairs the
// drift a lost callback leaves: a room that ended at the provider but not here, a participant
// who left (or joined) without a callback reaching us. Repairs are folded into the local state
// as derived events (rooms/confirmed_events.h), exactly as a callback would be, and published to
// the Notifier as a callback's would be, so dashboards update. Compositions that finished
// without a callback are the composition tracker's business, not this worker's.
//
// Runs from local state only. A provider outage slows a cycle down (the adapter's own timeouts
// and retries) and repairs nothing, but never blocks or crashes it: a transient failure leaves
// the room's reconciled_at as it was, so it is first in line next cycle; after a few of them in
// a row the cycle gives up early. Never holds a lock or a database transaction across a
// provider call.
//
// Per cycle: candidates come from RoomStore::list_to_reconcile (least recently reconciled
// first, across tenants); per tenant, each room costs 1 provider request (fetch_room) plus 1
// (list_participants) when it is still in progress. A tenant whose budget is spent is left
// alone until the next cycle, and its remaining rooms count towards the lag.
//
// Metrics (beside the WorkerLoop's roomplane_worker_*{worker="reconciler"}):
//   roomplane_reconciler_repairs_total{kind="room_ended"|"participant_left"|"participant_joined"}
//   roomplane_reconciler_provider_requests_total
//   roomplane_reconciler_budget_exhausted_total   tenant cycles cut short by the budget
//
// Thread-safety: start()/stop()/wake() from any thread; run_once() is what the loop calls (a
// test calls it directly with a manual clock). Two run_once() at once would only do the same
// work twice. With several instances on one database each reconciles on its own (no leases):
// harmless (repairs are idempotent) but it spends each tenant's budget once per instance.

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"
#include "observability/log.h"
#include "observability/metrics.h"
#include "realtime/notifier.h"
#include "rooms/room_service.h"
#include "rooms/stores.h"
#include "video/provider.h"
#include "workers/worker_loop.h"

namespace roomplane::reconciler {

// end_reason of a room found ended at the provider (when it has none yet).
inline constexpr std::string_view kEndedByReconciler = "reconciled_provider_ended";

struct ReconcilerOptions {
  std::chrono::milliseconds interval{std::chrono::seconds(60)};
  // Candidates read per cycle, across tenants.
  std::size_t rooms_per_cycle = 200;
  // Provider requests per tenant per cycle.
  int tenant_request_budget = 20;
  // A room compared more recently than this is not a candidate (less than `interval`, so that
  // a room is due again on the next cycle).
  std::chrono::milliseconds min_age{std::chrono::seconds(30)};
  // Transient provider failures in a row (across tenants) after which a cycle stops early:
  // the provider is probably down, and every further call would only wait for its timeout.
  int outage_threshold = 3;
  // Called after a room was found ended and folded (e.g. RoomService::forget_room, so the token
  // fast path stops answering for it at once). Optional.
  std::function<void(const rooms::Room&)> on_room_ended;
};

class Reconciler {
 public:
  // Every reference must outlive the reconciler.
  Reconciler(rooms::RoomStore& store, video::VideoProvider& provider,
             rooms::TenantContextLookup tenants, realtime::Notifier& notifier,
             const core::Clock& clock, ReconcilerOptions options,
             observability::MetricsRegistry& metrics, observability::Logger logger);
  ~Reconciler();  // stops
  Reconciler(const Reconciler&) = delete;
  Reconciler& operator=(const Reconciler&) = delete;

  void start();
  void stop();  // finishes the running cycle, then joins; idempotent
  void wake();

  // One cycle. An error only when the candidates cannot be read; per-room failures are counted
  // in the report and logged.
  core::Result<workers::CycleReport> run_once();

 private:
  enum class Outcome {
    kReconciled,   // compared (and repaired if needed); reconciled_at advanced
    kGaveUp,       // the provider refused for good (unknown room, credentials): marked anyway
    kTransient,    // the provider is down or throttling: left for the next cycle
    kStoreFailed,  // the local store failed: left for the next cycle
    kOutOfBudget,  // the tenant's budget ran out before the comparison finished
  };

  Outcome reconcile_room(const rooms::ReconcileCandidate& candidate,
                         const video::ProviderCredentials& credentials, int& budget);
  Outcome provider_failed(const rooms::Room& room, std::string_view call, const core::Error& error);
  void mark(const rooms::Room& room);
  // Folds `events` (built from `fresh`'s state) and publishes what they changed.
  core::Status fold_and_publish(const rooms::RoomView& fresh,
                                const std::vector<rooms::RoomEvent>& events,
                                std::optional<std::string> end_reason);

  rooms::RoomStore& store_;
  video::VideoProvider& provider_;
  rooms::TenantContextLookup tenants_;
  realtime::Notifier& notifier_;
  const core::Clock& clock_;
  ReconcilerOptions options_;
  observability::Logger logger_;
  observability::Counter& repaired_room_ended_;
  observability::Counter& repaired_participant_left_;
  observability::Counter& repaired_participant_joined_;
  observability::Counter& provider_requests_;
  observability::Counter& budget_exhausted_;
  workers::WorkerLoop loop_;  // last: its thread calls run_once() on the members above
};

}  // namespace roomplane::reconciler
