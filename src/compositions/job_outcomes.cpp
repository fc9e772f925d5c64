#include "compositions/job_outcomes.h"

#include <nlohmann/json.hpp>

namespace roomplane::compositions {

realtime::RoomNotification composition_notification(const Composition& c, core::TimePoint at) {
  realtime::RoomNotification n;
  n.kind = realtime::RoomEventKind::kCompositionUpdated;
  n.tenant = c.tenant_id;
  n.room_id = c.room_id;
  n.provider_room_sid = c.provider_room_sid;
  n.at = at;
  n.payload = {
      {"composition_id", c.id.value()},
      {"composition_sid", c.provider_composition_sid ? nlohmann::json(*c.provider_composition_sid)
                                                     : nlohmann::json(nullptr)},
      {"status", to_string(c.status)},
      {"progress_percent", c.progress_percent},
      {"attempts", c.attempts},
      {"error", c.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.error)}};
  return n;
}

alerts::Alert composition_alert(std::string_view kind, const Composition& c, core::TimePoint at) {
  alerts::Alert alert;
  alert.id = std::string(kind) + ":" + c.id.value() + ":" + std::to_string(c.attempts);
  alert.tenant = c.tenant_id;
  alert.kind = std::string(kind);
  alert.subject_id = c.id.value();
  alert.created_at = at;
  nlohmann::json body = {
      {"id", alert.id},
      {"type", alert.kind},
      {"tenant_id", c.tenant_id.value()},
      {"created_at", core::to_rfc3339(at)},
      {"composition",
       {{"id", c.id.value()},
        {"room_id", c.room_id.value()},
        {"room_sid", c.provider_room_sid},
        {"composition_sid", c.provider_composition_sid ? nlohmann::json(*c.provider_composition_sid)
                                                       : nlohmann::json(nullptr)},
        {"status", to_string(c.status)},
        {"attempts", c.attempts},
        {"progress_percent", c.progress_percent},
        {"recorded_duration_seconds", c.recorded_duration_seconds},
        {"deadline_at", c.deadline_at ? nlohmann::json(core::to_rfc3339(*c.deadline_at))
                                      : nlohmann::json(nullptr)},
        {"error", c.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.error)}}}};
  alert.body = body.dump();
  return alert;
}

bool is_transient(const core::Error& error) {
  return error.kind == core::ErrorKind::kUnavailable ||
         error.kind == core::ErrorKind::kRateLimited || error.kind == core::ErrorKind::kInternal;
}

}  // namespace roomplane::compositions
