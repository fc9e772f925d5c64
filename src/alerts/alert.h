#pragma once
// Signed alerts to a tenant's alert URL (TenantSettings::alert_url): what a background job
// raises when a consultation is at risk (a composition stalled or failed for good). An alert is
// written to a durable outbox in the same transaction as the decision that raised it, then
// delivered by the AlertDispatcher with retries, so neither a crash nor an unreachable receiver
// loses it.

#include <string>

#include "core/clock.h"
#include "core/ids.h"

namespace roomplane::alerts {

// Kinds, also the "type" field of the body.
inline constexpr std::string_view kCompositionStalled = "composition.stalled";
inline constexpr std::string_view kCompositionFailed = "composition.failed";

struct Alert {
  // Derived from the cause (kind, subject, attempt), never random: raising the same alert
  // twice (a worker retried after a crash) stores it once.
  std::string id;
  core::TenantId tenant;
  std::string kind;        // kCompositionStalled, ...
  std::string subject_id;  // what it is about: the composition id
  std::string body;        // the JSON document POSTed, fixed at creation: retries send these bytes
  core::TimePoint created_at{};
};

}  // namespace roomplane::alerts
