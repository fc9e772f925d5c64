#include "compositions/tracker.h"

#include <algorithm>
#include <utility>

#include "compositions/job_outcomes.h"

namespace roomplane::compositions {

CompositionTracker::CompositionTracker(CompositionStore& store, video::VideoProvider& provider,
                                       rooms::TenantContextLookup tenants,
                                       realtime::Notifier& notifier, const core::Clock& clock,
                                       TrackerOptions options,
                                       observability::MetricsRegistry& metrics,
                                       observability::Logger logger)
    : store_(store),
      provider_(provider),
      tenants_(std::move(tenants)),
      notifier_(notifier),
      clock_(clock),
      options_(std::move(options)),
      logger_(logger),
      completed_(metrics.counter("roomplane_compositions_completed_total",
                                 "Compositions whose media became available")),
      stalled_(metrics.counter("roomplane_compositions_stalled_total",
                               "Compositions found past their deadline and not finished")),
      attempt_failed_(metrics.counter("roomplane_compositions_attempt_failures_total",
                                      "Provider compositions that failed (an attempt lost)")),
      failed_for_good_(metrics.counter("roomplane_compositions_failed_total",
                                       "Compositions failed for good (attempts exhausted)")),
      loop_(
          "composition_tracker", [this] { return run_once(); }, options_.interval, metrics,
          std::move(logger)) {}

core::Result<workers::CycleReport> CompositionTracker::run_once() {
  const auto now = clock_.now();
  workers::CycleReport report;
  auto claimed =
      store_.claim(Stage::kTrack, options_.owner, now, now + options_.lease, options_.batch);
  if (!claimed)
    return std::move(claimed).take_error();
  report.claimed = claimed->size();
  report.more = claimed->size() == options_.batch;
  for (auto& job : *claimed) {
    if (track_one(job))
      ++report.succeeded;
    else
      ++report.failed;
  }
  if (auto lag = store_.lag(Stage::kTrack, clock_.now()))
    report.lag = *lag;
  return report;
}

bool CompositionTracker::track_one(Composition& job) {
  const auto before = job;
  std::vector<alerts::Alert> alerts;
  bool advanced = true;

  std::optional<video::CompositionInfo> info;
  std::optional<core::Error> provider_error;
  const auto context = tenants_(job.tenant_id);
  if (!context) {
    provider_error = context.error();
  } else if (!context->credentials) {
    provider_error =
        core::Error::unavailable("provider_not_configured", "tenant has no provider credentials");
  } else if (!job.provider_composition_sid) {
    provider_error = core::Error::internal("tracked composition has no provider SID");
  } else {
    auto fetched = provider_.fetch_composition(rooms::video_credentials(*context->credentials),
                                               *job.provider_composition_sid);
    if (fetched)
      info = *fetched;
    else
      provider_error = fetched.error();
  }

  const auto now = clock_.now();
  job.updated_at = now;
  const bool gone = provider_error && provider_error->kind == core::ErrorKind::kNotFound;
  if (info && info->status == video::CompositionStatus::kCompleted) {
    job.status = Status::kCompleted;
    job.progress_percent = 100;
    job.completed_at = info->completed_at.value_or(now);
    job.media_location = info->media_external_location.value_or(
        "provider:" + job.provider_composition_sid.value_or(""));
    job.size_bytes = info->size_bytes;
    job.duration_seconds = info->duration_seconds;
    job.error.clear();
    completed_.inc();
    logger_.info("composition_completed",
                 {{"tenant_id", job.tenant_id.value()},
                  {"composition_id", job.id.value()},
                  {"composition_sid", job.provider_composition_sid.value_or("")},
                  {"attempts", job.attempts}});
  } else if (gone || (info && (info->status == video::CompositionStatus::kFailed ||
                               info->status == video::CompositionStatus::kDeleted))) {
    attempt_failed_.inc();
    job.error = gone ? "the provider no longer has the composition"
                     : "the provider reported the composition failed";
    if (job.attempts >= options_.policy.max_attempts) {
      job.status = Status::kFailed;
      job.failed_at = now;
      failed_for_good_.inc();
      alerts.push_back(composition_alert(alerts::kCompositionFailed, job, now));
      logger_.error("composition_failed", {{"tenant_id", job.tenant_id.value()},
                                           {"composition_id", job.id.value()},
                                           {"room_id", job.room_id.value()},
                                           {"attempts", job.attempts},
                                           {"error", job.error}});
    } else {
      // Back to the starter for another attempt; its provider SID stays until then (the
      // starter skips failed provider compositions when it looks for one to adopt).
      job.status = Status::kPending;
      job.deadline_at.reset();
      job.stalled_at.reset();
      job.next_attempt_at = now + retry_delay(options_.policy, job.attempts);
      logger_.warn("composition_attempt_failed",
                   {{"tenant_id", job.tenant_id.value()},
                    {"composition_id", job.id.value()},
                    {"attempts", job.attempts},
                    {"retry_at", core::to_rfc3339(job.next_attempt_at)}});
    }
    advanced = false;
  } else {
    // Still running, or the provider could not say: the deadline decides alone.
    if (info && info->status == video::CompositionStatus::kProcessing &&
        job.status == Status::kEnqueued) {
      job.status = Status::kProcessing;
    }
    if (provider_error) {
      advanced = false;
      logger_.warn("composition_poll_failed", {{"tenant_id", job.tenant_id.value()},
                                               {"composition_id", job.id.value()},
                                               {"code", provider_error->code},
                                               {"message", provider_error->message}});
    }
    if (job.status != Status::kStalled && job.deadline_at && now >= *job.deadline_at) {
      job.status = Status::kStalled;
      job.stalled_at = now;
      job.error = "not finished by its deadline " + core::to_rfc3339(*job.deadline_at);
      stalled_.inc();
      alerts.push_back(composition_alert(alerts::kCompositionStalled, job, now));
      logger_.error("composition_stalled",
                    {{"tenant_id", job.tenant_id.value()},
                     {"composition_id", job.id.value()},
                     {"room_id", job.room_id.value()},
                     {"composition_sid", job.provider_composition_sid.value_or("")},
                     {"deadline_at", core::to_rfc3339(*job.deadline_at)},
                     {"progress_percent", job.progress_percent}});
    }
    const auto since = job.started_at.value_or(job.created_at);
    auto next =
        now + age_based_delay(since, now, options_.policy.poll_min, options_.policy.poll_max);
    if (job.status != Status::kStalled && job.deadline_at)
      next = std::min(next, std::max(now, *job.deadline_at));
    job.next_attempt_at = next;
  }

  if (auto saved = store_.save(job, options_.owner, alerts); !saved) {
    logger_.warn("composition_save_failed", {{"tenant_id", job.tenant_id.value()},
                                             {"composition_id", job.id.value()},
                                             {"code", saved.error().code},
                                             {"message", saved.error().message}});
    return false;
  }
  if (job.status != before.status || job.progress_percent != before.progress_percent)
    notifier_.publish(composition_notification(job, now));
  return advanced;
}

}  // namespace roomplane::compositions
