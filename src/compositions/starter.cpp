#include "compositions/starter.h"

#include <algorithm>
#include <utility>

#include "compositions/job_outcomes.h"

namespace roomplane::compositions {

CompositionStarter::CompositionStarter(CompositionStore& store, video::VideoProvider& provider,
                                       rooms::TenantContextLookup tenants,
                                       realtime::Notifier& notifier, const core::Clock& clock,
                                       StarterOptions options,
                                       observability::MetricsRegistry& metrics,
                                       observability::Logger logger)
    : store_(store),
      provider_(provider),
      tenants_(std::move(tenants)),
      notifier_(notifier),
      clock_(clock),
      options_(std::move(options)),
      logger_(logger),
      enqueued_(metrics.counter("roomplane_compositions_enqueued_total",
                                "Compositions enqueued for ended recorded rooms")),
      created_(metrics.counter("roomplane_compositions_created_total",
                               "Compositions created at the provider (attempts)")),
      adopted_(metrics.counter(
          "roomplane_compositions_adopted_total",
          "Provider compositions found already existing and adopted instead of created")),
      failed_for_good_(metrics.counter("roomplane_compositions_failed_total",
                                       "Compositions failed for good (attempts exhausted)")),
      loop_(
          "composition_starter", [this] { return run_once(); }, options_.interval, metrics,
          std::move(logger)) {}

core::Result<workers::CycleReport> CompositionStarter::run_once() {
  const auto now = clock_.now();
  workers::CycleReport report;
  auto enqueued = store_.enqueue_ended_rooms(now, options_.batch);
  if (!enqueued)
    return std::move(enqueued).take_error();
  for (const auto& job : *enqueued) {
    enqueued_.inc();
    logger_.info("composition_enqueued", {{"tenant_id", job.tenant_id.value()},
                                          {"composition_id", job.id.value()},
                                          {"room_id", job.room_id.value()}});
    notifier_.publish(composition_notification(job, now));
  }

  auto claimed =
      store_.claim(Stage::kStart, options_.owner, now, now + options_.lease, options_.batch);
  if (!claimed)
    return std::move(claimed).take_error();
  report.claimed = claimed->size();
  report.more = claimed->size() == options_.batch || enqueued->size() == options_.batch;
  for (auto& job : *claimed) {
    switch (start_one(job)) {
      case JobResult::kAdvanced:
        ++report.succeeded;
        break;
      case JobResult::kRetrying:
      case JobResult::kFailedForGood:
        ++report.failed;
        break;
    }
  }
  auto lag = store_.lag(Stage::kStart, clock_.now());
  if (lag)
    report.lag = *lag;
  return report;
}

CompositionStarter::JobResult CompositionStarter::start_one(Composition& job) {
  std::vector<alerts::Alert> alerts;
  JobResult result = JobResult::kAdvanced;
  const auto context = tenants_(job.tenant_id);
  if (!context) {
    wait_transient(job, context.error());
    result = JobResult::kRetrying;
  } else if (!context->credentials) {
    wait_transient(job, core::Error::unavailable(
                            "provider_not_configured",
                            "tenant has no provider credentials; set them with `roomplane "
                            "tenant set-twilio`"));
    result = JobResult::kRetrying;
  } else {
    const auto credentials = rooms::video_credentials(*context->credentials);
    job.layout = layout_from_setting(context->settings.composition_layout);
    job.format = format_from_setting(context->settings.composition_format);
    // Adopt before create: the provider may already hold one from an attempt whose answer was
    // lost (a crash, a timeout). A failed or deleted one is history, not a live job.
    auto existing = provider_.list_compositions_for_room(credentials, job.provider_room_sid);
    if (!existing) {
      if (is_transient(existing.error())) {
        wait_transient(job, existing.error());
        result = JobResult::kRetrying;
      } else {
        result = provider_refused(job, existing.error(), alerts);
      }
    } else {
      const auto live = std::find_if(existing->begin(), existing->end(), [](const auto& c) {
        return c.status != video::CompositionStatus::kFailed &&
               c.status != video::CompositionStatus::kDeleted;
      });
      std::optional<video::CompositionInfo> accepted;
      if (live != existing->end()) {
        accepted = *live;
        adopted_.inc();
        logger_.warn("composition_adopted", {{"tenant_id", job.tenant_id.value()},
                                             {"composition_id", job.id.value()},
                                             {"composition_sid", live->sid}});
      } else {
        video::CompositionSpec spec;
        spec.room_sid = job.provider_room_sid;
        spec.layout = job.layout;
        spec.format = job.format;
        spec.status_callback_url =
            options_.public_url + "/webhooks/twilio/" + job.tenant_id.value();
        auto created = provider_.create_composition(credentials, spec);
        if (created) {
          accepted = *created;
          ++job.attempts;
          created_.inc();
        } else if (is_transient(created.error())) {
          wait_transient(job, created.error());
          result = JobResult::kRetrying;
        } else {
          result = provider_refused(job, created.error(), alerts);
        }
      }
      if (accepted) {
        const auto now = clock_.now();
        job.provider_composition_sid = accepted->sid;
        job.status = accepted->status == video::CompositionStatus::kProcessing ? Status::kProcessing
                                                                               : Status::kEnqueued;
        job.progress_percent = 0;
        job.error.clear();
        job.started_at = now;
        job.deadline_at = deadline_for(options_.policy, now, job.recorded_duration_seconds);
        // The tracker takes it from here; a completed one it finishes at its first look.
        job.next_attempt_at = now + options_.policy.poll_min;
        job.updated_at = now;
        logger_.info("composition_started", {{"tenant_id", job.tenant_id.value()},
                                             {"composition_id", job.id.value()},
                                             {"composition_sid", accepted->sid},
                                             {"attempt", job.attempts}});
      }
    }
  }
  if (auto saved = store_.save(job, options_.owner, alerts); !saved) {
    // Lost the lease (another starter took the job over) or the store failed: the lease expires
    // and the job comes back; adopt-before-create keeps the provider side single.
    logger_.warn("composition_save_failed", {{"tenant_id", job.tenant_id.value()},
                                             {"composition_id", job.id.value()},
                                             {"code", saved.error().code},
                                             {"message", saved.error().message}});
    return JobResult::kRetrying;
  }
  if (result != JobResult::kRetrying)
    notifier_.publish(composition_notification(job, clock_.now()));
  return result;
}

CompositionStarter::JobResult CompositionStarter::provider_refused(
    Composition& job, const core::Error& error, std::vector<alerts::Alert>& alerts) {
  const auto now = clock_.now();
  ++job.attempts;
  job.error = "provider refused the composition: " + error.message;
  job.updated_at = now;
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
    return JobResult::kFailedForGood;
  }
  job.next_attempt_at = now + retry_delay(options_.policy, job.attempts);
  logger_.warn("composition_attempt_failed", {{"tenant_id", job.tenant_id.value()},
                                              {"composition_id", job.id.value()},
                                              {"attempts", job.attempts},
                                              {"code", error.code},
                                              {"retry_at", core::to_rfc3339(job.next_attempt_at)}});
  return JobResult::kRetrying;
}

void CompositionStarter::wait_transient(Composition& job, const core::Error& error) {
  const auto now = clock_.now();
  job.error = error.message;
  job.updated_at = now;
  job.next_attempt_at = now + age_based_delay(job.created_at, now, options_.policy.poll_min,
                                              options_.policy.retry_max);
  logger_.warn("composition_start_deferred", {{"tenant_id", job.tenant_id.value()},
                                              {"composition_id", job.id.value()},
                                              {"code", error.code},
                                              {"message", error.message}});
}

}  // namespace roomplane::compositions
