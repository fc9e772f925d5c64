#include "reconciler/reconciler.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "rooms/confirmed_events.h"
#include "rooms/room_notifications.h"
#include "rooms/room_state.h"

namespace roomplane::reconciler {
namespace {

// Worth asking again next cycle: the provider is down, slow or throttling us. Every other kind
// (unknown room, rejected credentials, a refused request, an adapter bug) would get the same
// answer again.
bool is_transient(const core::Error& error) {
  return error.kind == core::ErrorKind::kUnavailable || error.kind == core::ErrorKind::kRateLimited;
}

std::string_view kind_name(core::ErrorKind kind) {
  switch (kind) {
    case core::ErrorKind::kInvalidArgument:
      return "invalid_argument";
    case core::ErrorKind::kUnprocessable:
      return "unprocessable";
    case core::ErrorKind::kUnauthenticated:
      return "unauthenticated";
    case core::ErrorKind::kForbidden:
      return "forbidden";
    case core::ErrorKind::kNotFound:
      return "not_found";
    case core::ErrorKind::kConflict:
      return "conflict";
    case core::ErrorKind::kPayloadTooLarge:
      return "payload_too_large";
    case core::ErrorKind::kRateLimited:
      return "rate_limited";
    case core::ErrorKind::kUnavailable:
      return "unavailable";
    case core::ErrorKind::kInternal:
      return "internal";
  }
  return "internal";
}

nlohmann::json room_fields(const rooms::Room& room) {
  return {{"tenant_id", room.tenant_id.value()},
          {"room_id", room.id.value()},
          {"room_sid", room.provider_room_sid.value_or("")}};
}

// A participant the provider no longer lists: left at `now` as far as we can tell (the
// provider's list says nothing about when).
rooms::RoomEvent participant_left_event(const rooms::ParticipantState& participant,
                                        const rooms::Room& room, core::TimePoint now) {
  video::ParticipantInfo info;
  info.sid = participant.sid;
  info.room_sid = room.provider_room_sid.value_or("");
  info.identity = participant.identity;
  info.status = video::ParticipantStatus::kDisconnected;
  auto events = rooms::participant_events(info, room.provider_room_name, now);
  return std::move(events.back());  // no connected_at given: only the disconnection
}

// A participant the provider lists that the local state has never seen (its connect callback
// was lost). Only the connection: they are still there.
std::optional<rooms::RoomEvent> participant_joined_event(const video::ParticipantInfo& info,
                                                         const rooms::Room& room) {
  if (!info.connected_at)
    return std::nullopt;
  auto events = rooms::participant_events(info, room.provider_room_name, *info.connected_at);
  events.front().room_sid = room.provider_room_sid.value_or(info.room_sid);
  return std::move(events.front());
}

}  // namespace

Reconciler::Reconciler(rooms::RoomStore& store, video::VideoProvider& provider,
                       rooms::TenantContextLookup tenants, realtime::Notifier& notifier,
                       const core::Clock& clock, ReconcilerOptions options,
                       observability::MetricsRegistry& metrics, observability::Logger logger)
    : store_(store),
      provider_(provider),
      tenants_(std::move(tenants)),
      notifier_(notifier),
      clock_(clock),
      options_(std::move(options)),
      logger_(logger),
      repaired_room_ended_(metrics.counter("roomplane_reconciler_repairs_total",
                                           "Drift the reconciler repaired, by kind",
                                           {{"kind", "room_ended"}})),
      repaired_participant_left_(metrics.counter("roomplane_reconciler_repairs_total",
                                                 "Drift the reconciler repaired, by kind",
                                                 {{"kind", "participant_left"}})),
      repaired_participant_joined_(metrics.counter("roomplane_reconciler_repairs_total",
                                                   "Drift the reconciler repaired, by kind",
                                                   {{"kind", "participant_joined"}})),
      provider_requests_(metrics.counter("roomplane_reconciler_provider_requests_total",
                                         "Provider requests made by the reconciler")),
      budget_exhausted_(
          metrics.counter("roomplane_reconciler_budget_exhausted_total",
                          "Reconciler cycles in which a tenant's request budget ran out")),
      loop_(
          "reconciler", [this] { return run_once(); }, options_.interval, metrics,
          std::move(logger)) {}

Reconciler::~Reconciler() {
  loop_.stop();
}

void Reconciler::start() {
  loop_.start();
}

void Reconciler::stop() {
  loop_.stop();
}

void Reconciler::wake() {
  loop_.wake();
}

core::Result<workers::CycleReport> Reconciler::run_once() {
  const auto now = clock_.now();
  auto candidates = store_.list_to_reconcile(now - options_.min_age, options_.rooms_per_cycle);
  if (!candidates)
    return std::move(candidates).take_error();

  workers::CycleReport report;
  report.claimed = candidates->size();

  // By tenant, each tenant's rooms in the store's order (least recently reconciled first), and
  // the tenants in the order of their most overdue room.
  std::vector<std::pair<core::TenantId, std::vector<const rooms::ReconcileCandidate*>>> groups;
  std::map<core::TenantId, std::size_t> group_of;
  for (const auto& candidate : *candidates) {
    const auto [it, inserted] = group_of.try_emplace(candidate.room.tenant_id, groups.size());
    if (inserted)
      groups.emplace_back(candidate.room.tenant_id,
                          std::vector<const rooms::ReconcileCandidate*>{});
    groups[it->second].second.push_back(&candidate);
  }

  // Rooms this cycle did not compare: what the lag is measured on.
  std::vector<const rooms::ReconcileCandidate*> left;
  int transient_in_a_row = 0;
  bool outage = false;
  for (const auto& [tenant, rooms_of_tenant] : groups) {
    if (outage) {
      left.insert(left.end(), rooms_of_tenant.begin(), rooms_of_tenant.end());
      continue;
    }
    auto context = tenants_(tenant);
    if (!context) {
      logger_.warn("reconcile_tenant_unavailable", {{"tenant_id", tenant.value()},
                                                    {"code", context.error().code},
                                                    {"message", context.error().message}});
      report.failed += rooms_of_tenant.size();
      left.insert(left.end(), rooms_of_tenant.begin(), rooms_of_tenant.end());
      continue;
    }
    if (!context->credentials) {
      // Nothing to compare with, now or later, until credentials are set: mark the rooms so
      // they do not hold the head of the queue.
      logger_.warn("reconcile_tenant_not_configured",
                   {{"tenant_id", tenant.value()}, {"rooms", rooms_of_tenant.size()}});
      for (const auto* candidate : rooms_of_tenant)
        mark(candidate->room);
      report.failed += rooms_of_tenant.size();
      continue;
    }
    const auto credentials = rooms::video_credentials(*context->credentials);
    int budget = options_.tenant_request_budget;
    for (std::size_t i = 0; i < rooms_of_tenant.size(); ++i) {
      const auto outcome = reconcile_room(*rooms_of_tenant[i], credentials, budget);
      bool stop_tenant = false;
      switch (outcome) {
        case Outcome::kReconciled:
          ++report.succeeded;
          transient_in_a_row = 0;
          break;
        case Outcome::kGaveUp:
          ++report.failed;
          transient_in_a_row = 0;
          break;
        case Outcome::kStoreFailed:
          ++report.failed;
          left.push_back(rooms_of_tenant[i]);
          break;
        case Outcome::kTransient:
          // The provider is failing or throttling this tenant: its other rooms wait for the
          // next cycle instead of each waiting for a timeout now.
          ++report.failed;
          left.push_back(rooms_of_tenant[i]);
          stop_tenant = true;
          if (++transient_in_a_row >= options_.outage_threshold) {
            outage = true;
            logger_.warn("reconcile_cycle_abandoned", {{"reason", "provider failing"},
                                                       {"failures_in_a_row", transient_in_a_row}});
          }
          break;
        case Outcome::kOutOfBudget:
          budget_exhausted_.inc();
          left.push_back(rooms_of_tenant[i]);
          stop_tenant = true;
          logger_.debug("reconcile_budget_exhausted", {{"tenant_id", tenant.value()},
                                                       {"budget", options_.tenant_request_budget},
                                                       {"rooms_left", rooms_of_tenant.size() - i}});
          break;
      }
      if (stop_tenant) {
        left.insert(left.end(), rooms_of_tenant.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                    rooms_of_tenant.end());
        break;
      }
    }
  }

  // How long the most overdue room left behind has been due.
  for (const auto* candidate : left) {
    const auto since = candidate->reconciled_at.value_or(
                           candidate->room.started_at.value_or(candidate->room.created_at)) +
                       options_.min_age;
    const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(now - since);
    report.lag = std::max(report.lag, waited);
  }
  // Never `more`: the budget is per cycle, and an immediate next cycle would spend it again.
  report.more = false;
  return report;
}

Reconciler::Outcome Reconciler::reconcile_room(const rooms::ReconcileCandidate& candidate,
                                               const video::ProviderCredentials& credentials,
                                               int& budget) {
  const rooms::Room& row = candidate.room;
  // The local view BEFORE asking the provider: a participant connected here was connected there
  // before the list call, so one missing from its answer has left.
  auto before = store_.find(row.tenant_id, row.id);
  if (!before) {
    logger_.warn("reconcile_store_failed", [&] {
      auto fields = room_fields(row);
      fields["code"] = before.error().code;
      fields["message"] = before.error().message;
      return fields;
    }());
    return Outcome::kStoreFailed;
  }
  if (!*before || (*before)->room.status != rooms::RoomLifecycle::kInProgress ||
      !(*before)->room.provider_room_sid)
    return Outcome::kReconciled;  // ended (or gone) since it was listed: nothing to compare
  const rooms::RoomView& local = **before;
  const std::string sid = *local.room.provider_room_sid;

  if (budget < 1)
    return Outcome::kOutOfBudget;
  --budget;
  provider_requests_.inc();
  auto info = provider_.fetch_room(credentials, sid);
  if (!info)
    return provider_failed(row, "fetch_room", info.error());

  if (info->status != video::RoomStatus::kInProgress) {
    const std::vector<rooms::RoomEvent> events = {rooms::room_ended_event(*info, clock_.now())};
    if (auto s = fold_and_publish(local, events, std::string(kEndedByReconciler)); !s) {
      logger_.warn("reconcile_store_failed", [&] {
        auto fields = room_fields(row);
        fields["code"] = s.error().code;
        fields["message"] = s.error().message;
        return fields;
      }());
      return Outcome::kStoreFailed;
    }
    mark(row);
    return Outcome::kReconciled;
  }

  if (budget < 1)
    return Outcome::kOutOfBudget;  // not marked: first in line next cycle
  --budget;
  provider_requests_.inc();
  auto listed = provider_.list_participants(credentials, sid);
  if (!listed)
    return provider_failed(row, "list_participants", listed.error());

  const auto now = clock_.now();
  std::set<std::string, std::less<>> at_provider;
  std::vector<rooms::RoomEvent> events;
  for (const auto& participant : *listed) {
    at_provider.insert(participant.sid);
    if (!local.state.participants.contains(participant.sid)) {
      if (auto joined = participant_joined_event(participant, local.room))
        events.push_back(std::move(*joined));
    }
  }
  for (const auto& [participant_sid, participant] : local.state.participants) {
    if (participant.status == rooms::ParticipantStatus::kConnected &&
        !at_provider.contains(participant_sid))
      events.push_back(participant_left_event(participant, local.room, now));
  }
  if (!events.empty()) {
    if (auto s = fold_and_publish(local, events, std::nullopt); !s) {
      logger_.warn("reconcile_store_failed", [&] {
        auto fields = room_fields(row);
        fields["code"] = s.error().code;
        fields["message"] = s.error().message;
        return fields;
      }());
      return Outcome::kStoreFailed;
    }
  }
  mark(row);
  return Outcome::kReconciled;
}

core::Status Reconciler::fold_and_publish(const rooms::RoomView& local,
                                          const std::vector<rooms::RoomEvent>& events,
                                          std::optional<std::string> end_reason) {
  const rooms::Room& row = local.room;
  // Re-read after the provider calls: a callback may have repaired it meanwhile, and then
  // there is nothing to write or to tell anyone.
  auto fresh = store_.find(row.tenant_id, row.id);
  if (!fresh)
    return std::move(fresh).take_error();
  if (!*fresh)
    return {};
  rooms::RoomState state = (*fresh)->state;
  std::vector<rooms::ApplyOutcome> outcomes;
  bool changed = false;
  for (const auto& event : events) {
    outcomes.push_back(rooms::apply(state, event));
    changed = changed || outcomes.back().state_changed;
  }
  if (!changed)
    return {};
  auto stored =
      store_.apply_confirmed(row.tenant_id, row.id, events, std::move(end_reason), clock_.now());
  if (!stored)
    return std::move(stored).take_error();

  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto& event = events[i];
    const auto& outcome = outcomes[i];
    if (outcome.changes.empty())
      continue;
    auto fields = room_fields(row);
    fields["event"] = event.raw_name;
    switch (event.type) {
      case rooms::RoomEventType::kRoomEnded:
        repaired_room_ended_.inc();
        fields["kind"] = "room_ended";
        break;
      case rooms::RoomEventType::kParticipantDisconnected:
        repaired_participant_left_.inc();
        fields["kind"] = "participant_left";
        fields["participant_sid"] = event.participant_sid;
        break;
      case rooms::RoomEventType::kParticipantConnected:
        repaired_participant_joined_.inc();
        fields["kind"] = "participant_joined";
        fields["participant_sid"] = event.participant_sid;
        break;
      default:
        break;
    }
    logger_.info("reconcile_repaired", fields);
    // What a callback carrying this event would have published.
    rooms::IngestItem item{row.tenant_id, "", event, "", clock_.now()};
    rooms::IngestOutcome ingested;
    ingested.room = row.id;
    ingested.applied = outcome;
    ingested.room_after = stored->room;
    for (auto& notification : rooms::notifications_for(item, ingested))
      notifier_.publish(std::move(notification));
  }
  if (stored->room.status != rooms::RoomLifecycle::kInProgress && options_.on_room_ended)
    options_.on_room_ended(stored->room);
  return {};
}

Reconciler::Outcome Reconciler::provider_failed(const rooms::Room& room, std::string_view call,
                                                const core::Error& error) {
  auto fields = room_fields(room);
  fields["call"] = call;
  fields["error_kind"] = kind_name(error.kind);
  fields["code"] = error.code;
  fields["message"] = error.message;
  if (is_transient(error)) {
    logger_.warn("reconcile_provider_failed", fields);
    return Outcome::kTransient;
  }
  // Unknown room, rejected credentials, refused request: asking again next cycle would get the
  // same answer, so the room goes to the back of the queue like a compared one.
  fields["action"] = "marked_reconciled";
  logger_.warn("reconcile_provider_refused", fields);
  mark(room);
  return Outcome::kGaveUp;
}

void Reconciler::mark(const rooms::Room& room) {
  if (auto s = store_.mark_reconciled(room.tenant_id, room.id, clock_.now()); !s) {
    auto fields = room_fields(room);
    fields["code"] = s.error().code;
    fields["message"] = s.error().message;
    logger_.warn("reconcile_mark_failed", fields);
  }
}

}  // namespace roomplane::reconciler
