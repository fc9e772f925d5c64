#include "compositions/composition_json.h"

namespace roomplane::compositions {
namespace {

using nlohmann::json;

template <class T>
json optional_json(const std::optional<T>& value) {
  return value ? json(*value) : json(nullptr);
}

json time_json(const std::optional<core::TimePoint>& at) {
  return at ? json(core::to_rfc3339(*at)) : json(nullptr);
}

}  // namespace

bool media_available(const Composition& composition) {
  return composition.status == Status::kCompleted &&
         composition.provider_composition_sid.has_value() &&
         !composition.provider_composition_sid->empty();
}

json composition_json(const Composition& composition) {
  return {{"id", composition.id.value()},
          {"room_id", composition.room_id.value()},
          {"room_sid", composition.provider_room_sid},
          {"composition_sid", optional_json(composition.provider_composition_sid)},
          {"status", to_string(composition.status)},
          {"progress_percent", composition.progress_percent},
          {"layout", video::to_string(composition.layout)},
          {"format", video::to_string(composition.format)},
          {"attempts", composition.attempts},
          {"error", composition.error.empty() ? json(nullptr) : json(composition.error)},
          {"media_available", media_available(composition)},
          {"size_bytes", optional_json(composition.size_bytes)},
          {"duration_seconds", optional_json(composition.duration_seconds)},
          {"recorded_duration_seconds", composition.recorded_duration_seconds},
          {"deadline_at", time_json(composition.deadline_at)},
          {"created_at", core::to_rfc3339(composition.created_at)},
          {"updated_at", core::to_rfc3339(composition.updated_at)},
          {"started_at", time_json(composition.started_at)},
          {"stalled_at", time_json(composition.stalled_at)},
          {"completed_at", time_json(composition.completed_at)},
          {"failed_at", time_json(composition.failed_at)}};
}

}  // namespace roomplane::compositions
