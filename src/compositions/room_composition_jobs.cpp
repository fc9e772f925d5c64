#include "compositions/room_composition_jobs.h"

#include "compositions/composition_json.h"

namespace roomplane::compositions {

core::Result<nlohmann::json> RoomCompositionJobs::for_room(const core::TenantId& tenant,
                                                           const core::RoomId& room) {
  auto jobs = store_.for_room(tenant, room);
  if (!jobs)
    return std::move(jobs).take_error();
  nlohmann::json out = nlohmann::json::array();
  for (const auto& job : *jobs) {
    // Belt and braces, as CompositionService::get: a store bug must not leak another tenant's
    // (or another room's) job into this room's view.
    if (job.tenant_id != tenant || job.room_id != room)
      continue;
    out.push_back(composition_json(job));
  }
  return out;
}

}  // namespace roomplane::compositions
