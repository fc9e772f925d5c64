#pragma once
// RoomCompositionJobs: the compositions side of rooms::RoomCompositions (rooms/
// room_compositions.h), so GET /v1/rooms/{id} and the session report show a room's composition
// jobs without the room API depending on this module. Each job is rendered by
// composition_json(), the one rendering of GET /v1/compositions/{id}.
//
// Created by the composition root. Thread-safe (the store is); blocks on the store's I/O.

#include "compositions/stores.h"
#include "rooms/room_compositions.h"

namespace roomplane::compositions {

// A job as the room API sees it: its status mapped, its error, composition_json() of it.
rooms::RoomCompositionJob room_composition_job(const Composition& job);

class RoomCompositionJobs final : public rooms::RoomCompositions {
 public:
  // `store` must outlive this object.
  explicit RoomCompositionJobs(CompositionStore& store) : store_(store) {}

  // Newest first; the store's errors as they are.
  core::Result<std::vector<rooms::RoomCompositionJob>> for_room(const core::TenantId& tenant,
                                                                const core::RoomId& room) override;

 private:
  CompositionStore& store_;
};

}  // namespace roomplane::compositions
