#pragma once
// Storage seam of the recording pipeline. Implementation: storage/sqlite_composition_store.h.
// Every method blocks on I/O (call from worker or pool threads, never an I/O thread) and is
// thread-safe. Worker queries read partial indexes of due work only: their cost does not grow
// with the history of ended rooms.

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "alerts/alert.h"
#include "compositions/composition.h"
#include "core/clock.h"
#include "core/ids.h"
#include "core/result.h"

namespace roomplane::compositions {

// Which worker claims: the starter takes pending rows, the tracker enqueued, processing and
// stalled ones.
enum class Stage { kStart, kTrack };

struct ListQuery {
  std::optional<Status> status;       // all when unset
  std::size_t limit = 50;             // 1..200, checked by the caller
  std::optional<std::string> cursor;  // opaque; malformed: kInvalidArgument "invalid_cursor"
};

struct Page {
  std::vector<Composition> compositions;  // newest first
  std::optional<std::string> next_cursor;
};

// Who downloaded a composition's media.
struct MediaAccess {
  core::TenantId tenant;
  core::CompositionId composition;
  std::string api_key_id;
  std::string remote_address;
  std::string user_agent;
  core::TimePoint at{};
};

class CompositionStore {
 public:
  virtual ~CompositionStore() = default;

  // The starter's first step, local only: for up to `limit` ended rooms that had recording on
  // and have no composition yet (oldest ended first), inserts a pending composition due now
  // (recorded_duration_seconds from the room's start and end) and marks the room, in one
  // transaction. Returns the compositions created. Layout and format are chosen by the starter
  // from the tenant's settings when it creates the provider composition.
  virtual core::Result<std::vector<Composition>> enqueue_ended_rooms(core::TimePoint now,
                                                                     std::size_t limit) = 0;

  // Leases up to `limit` compositions of `stage` that are due (next_attempt_at <= now) and not
  // leased by anyone else (no lease, or an expired one), oldest due first, to `owner` until
  // `lease_until`. A crashed worker's jobs come back when its leases expire.
  virtual core::Result<std::vector<Composition>> claim(Stage stage, std::string_view owner,
                                                       core::TimePoint now,
                                                       core::TimePoint lease_until,
                                                       std::size_t limit) = 0;

  // Writes a claimed composition back and releases the lease, together with `alerts` (the
  // outbox, same transaction). Only while `owner` still holds the lease: kConflict
  // "lease_lost" otherwise (another worker took it over after this one's lease expired), and
  // nothing is written. kConflict "composition_live" when the write would make a second live
  // composition for the room.
  virtual core::Status save(const Composition& composition, std::string_view owner,
                            std::span<const alerts::Alert> alerts) = 0;

  // A provider callback about this composition arrived: records the progress it reported (the
  // maximum seen wins) and makes the composition due now, so the tracker looks at it in its
  // next cycle instead of at the end of its backoff. Unknown or finished ones are ignored.
  virtual core::Status make_due(const core::TenantId& tenant,
                                std::string_view provider_composition_sid,
                                std::optional<int> progress_percent, core::TimePoint now) = 0;

  // How long the oldest due job of `stage` has waited at `now` (0 when none is due).
  virtual core::Result<std::chrono::milliseconds> lag(Stage stage, core::TimePoint now) = 0;

  virtual core::Result<std::optional<Composition>> find(const core::TenantId& tenant,
                                                        const core::CompositionId& id) = 0;
  virtual core::Result<Page> list(const core::TenantId& tenant, const ListQuery& query) = 0;
  // Every composition of one room of `tenant`, newest first (room views and session reports).
  // Unbounded on purpose: a room gets one job (its retries are attempts of that job), a few at
  // most, and a cut list would hide exactly the failed one a coordinator looks for.
  virtual core::Result<std::vector<Composition>> for_room(const core::TenantId& tenant,
                                                          const core::RoomId& room) = 0;

  virtual core::Status record_media_access(const MediaAccess& access) = 0;
  // Oldest first (audits and tests).
  virtual core::Result<std::vector<MediaAccess>> media_accesses(const core::TenantId& tenant,
                                                                const core::CompositionId& id) = 0;
};

}  // namespace roomplane::compositions
