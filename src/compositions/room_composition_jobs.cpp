#include "compositions/room_composition_jobs.h"

#include "compositions/composition_json.h"

namespace roomplane::compositions {

namespace {

rooms::RoomCompositionJob::Status room_status(Status status) {
  using Shown = rooms::RoomCompositionJob::Status;
  switch (status) {  // no default: a new Status must be given its meaning here
    case Status::kPending:
      return Shown::kPending;
    case Status::kEnqueued:
      return Shown::kEnqueued;
    case Status::kProcessing:
      return Shown::kProcessing;
    case Status::kStalled:
      return Shown::kStalled;
    case Status::kCompleted:
      return Shown::kCompleted;
    case Status::kFailed:
      return Shown::kFailed;
  }
  return Shown::kPending;  // not reached: the switch names every Status
}

}  // namespace

rooms::RoomCompositionJob room_composition_job(const Composition& job) {
  return {room_status(job.status), job.error, composition_json(job)};
}

core::Result<std::vector<rooms::RoomCompositionJob>> RoomCompositionJobs::for_room(
    const core::TenantId& tenant, const core::RoomId& room) {
  auto jobs = store_.for_room(tenant, room);
  if (!jobs)
    return std::move(jobs).take_error();
  std::vector<rooms::RoomCompositionJob> out;
  out.reserve(jobs->size());
  for (const auto& job : *jobs) {
    // Belt and braces, as CompositionService::get: a store bug must not leak another tenant's
    // (or another room's) job into this room's view.
    if (job.tenant_id != tenant || job.room_id != room)
      continue;
    out.push_back(room_composition_job(job));
  }
  return out;
}

}  // namespace roomplane::compositions
