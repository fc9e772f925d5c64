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
// Each job comes with what the session report decides by, typed, and with its public JSON, so
// the room API shows the jobs exactly as GET /v1/compositions/{id} renders them without
// knowing the compositions module's types.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/ids.h"
#include "core/result.h"

namespace roomplane::rooms {

// One of Roomplane's composition jobs of a room, as the room API needs it.
struct RoomCompositionJob {
  // compositions::Status, mirrored here (the compositions module maps every value of it).
  enum class Status { kPending, kEnqueued, kProcessing, kStalled, kCompleted, kFailed };
  Status status = Status::kPending;
  std::string error;  // why it failed, when kFailed ("" if unknown)
  nlohmann::json rendered = nlohmann::json::object();  // as GET /v1/compositions/{id}
};

class RoomCompositions {
 public:
  virtual ~RoomCompositions() = default;

  // The composition jobs of one room of `tenant`, newest first (empty when it has none).
  // Another tenant's jobs never. Blocks on I/O (WorkPool threads); thread-safe. Store failures
  // are returned as they are (the room routes map them like any other error).
  virtual core::Result<std::vector<RoomCompositionJob>> for_room(const core::TenantId& tenant,
                                                                 const core::RoomId& room) = 0;
};

// The null object, for a RoomService without a recording pipeline (unit tests of the room API
// alone): no room has a job.
class NoRoomCompositions final : public RoomCompositions {
 public:
  core::Result<std::vector<RoomCompositionJob>> for_room(const core::TenantId&,
                                                         const core::RoomId&) override {
    return std::vector<RoomCompositionJob>{};
  }
};

}  // namespace roomplane::rooms
