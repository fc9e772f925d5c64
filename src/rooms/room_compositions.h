#pragma once
// RoomCompositions: the seam through which the room API shows a room's composition jobs, i.e.
// Roomplane's own jobs (compositions/composition.h), not what the provider reported about its
// compositions in status callbacks (RoomState::compositions). A job that failed locally (the
// provider refused it, attempts ran out) may never produce a callback, so a room view or a
// session report that showed only the provider's side would say nothing about a lost
// composition.
//
// The compositions module depends on this one (it uses rooms' errors and tenant lookups), so
// the room API cannot call it directly: compositions implements this interface
// (compositions/room_composition_jobs.h) and the composition root hands it to RoomService.
// The answer is already the public JSON, so the room API carries the jobs exactly as
// GET /v1/compositions/{id} renders them without knowing their type.

#include <nlohmann/json.hpp>

#include "core/ids.h"
#include "core/result.h"

namespace roomplane::rooms {

class RoomCompositions {
 public:
  virtual ~RoomCompositions() = default;

  // The composition jobs of one room of `tenant` as a JSON array, newest first, each element
  // exactly as GET /v1/compositions/{id} renders it ([] when the room has none). Another
  // tenant's jobs never. Blocks on I/O (WorkPool threads); thread-safe. Store failures are
  // returned as they are (the room routes map them like any other error).
  virtual core::Result<nlohmann::json> for_room(const core::TenantId& tenant,
                                                const core::RoomId& room) = 0;
};

// The null object, for a RoomService without a recording pipeline (unit tests of the room API
// alone): no room has a job.
class NoRoomCompositions final : public RoomCompositions {
 public:
  core::Result<nlohmann::json> for_room(const core::TenantId&, const core::RoomId&) override {
    return nlohmann::json::array();
  }
};

}  // namespace roomplane::rooms
