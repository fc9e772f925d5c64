#pragma once
// Storage seams of the rooms domain. Implementations: storage/sqlite_room_store.h (PostgreSQL
// later), checked by one shared contract test.
//
// Every method blocks on I/O: call from WorkPool threads (or the ingestor's writer thread),
// never from an I/O thread. Implementations are thread-safe. Everything is addressed tenant id
// first: a room of another tenant is simply not found.

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/ids.h"
#include "core/result.h"
#include "rooms/room.h"
#include "rooms/room_events.h"
#include "rooms/room_state.h"

namespace roomplane::rooms {

struct RoomListQuery {
  std::optional<RoomLifecycle> status;  // all statuses when unset
  std::size_t limit = 50;               // 1..200, checked by the caller
  // Opaque position from the previous page's next_cursor; the store rejects a malformed one
  // with kInvalidArgument, code "invalid_cursor".
  std::optional<std::string> cursor;
};

struct RoomPage {
  std::vector<Room> rooms;                 // newest first (created_at, then id, descending)
  std::optional<std::string> next_cursor;  // set when more rooms follow
};

// An in-progress room due for comparison with the provider (reconciler/reconciler.h).
struct ReconcileCandidate {
  Room room;                                     // in progress, with a provider SID
  std::optional<core::TimePoint> reconciled_at;  // last compared; unset: never
};

class RoomStore {
 public:
  virtual ~RoomStore() = default;

  // Writes a new room in kCreating, before the provider is called. kConflict if the id exists.
  virtual core::Status insert(const Room& room) = 0;

  virtual core::Result<std::optional<RoomView>> find(const core::TenantId& tenant,
                                                     const core::RoomId& room) = 0;
  // The row alone, without the provider state: for hot paths that only need the lifecycle and
  // names (token issuance), where decoding the state would be most of the cost.
  virtual core::Result<std::optional<Room>> find_row(const core::TenantId& tenant,
                                                     const core::RoomId& room) = 0;
  // Looks a room up by the provider's SID (webhooks, dominant-speaker tokens name rooms so).
  virtual core::Result<std::optional<RoomView>> find_by_provider_sid(
      const core::TenantId& tenant, std::string_view provider_room_sid) = 0;

  virtual core::Result<RoomPage> list(const core::TenantId& tenant, const RoomListQuery& query) = 0;

  // The provider created the room: stores its SID and moves kCreating to kInProgress, then folds
  // in `confirmed` (events derived from the provider's answer) together with every event the
  // ledger already holds for that SID (a callback can beat this write), and projects the result
  // (project_state). Returns the room as stored. kNotFound for an unknown room.
  virtual core::Result<RoomView> link_provider_room(const core::TenantId& tenant,
                                                    const core::RoomId& room,
                                                    const std::string& provider_room_sid,
                                                    std::span<const RoomEvent> confirmed,
                                                    core::TimePoint now) = 0;

  // The provider call failed for good: kCreating -> kFailed with `reason`. A room that is not
  // kCreating any more is left alone (ok).
  virtual core::Status mark_failed(const core::TenantId& tenant, const core::RoomId& room,
                                   const std::string& reason, core::TimePoint now) = 0;

  // Folds events derived from a provider answer (end, disconnect) into the room's state, the
  // same way the ledger folds callbacks, and projects it. `end_reason` is recorded as
  // rooms::record_end_reason says (over no reason or the provider's default). Returns the room
  // as stored.
  virtual core::Result<RoomView> apply_confirmed(const core::TenantId& tenant,
                                                 const core::RoomId& room,
                                                 std::span<const RoomEvent> confirmed,
                                                 std::optional<std::string> end_reason,
                                                 core::TimePoint now) = 0;

  virtual core::Status set_recording(const core::TenantId& tenant, const core::RoomId& room,
                                     bool recording, core::TimePoint now) = 0;

  // Rooms still kCreating whose created_at is before `before`, oldest first, for recovery.
  virtual core::Result<std::vector<Room>> list_creating(core::TimePoint before,
                                                        std::size_t limit) = 0;

  // In-progress rooms with a provider SID that were never compared with the provider or last
  // compared before `reconciled_before` (the caller passes now minus its minimum age), least
  // recently compared first (never first), across tenants, at most `limit`.
  virtual core::Result<std::vector<ReconcileCandidate>> list_to_reconcile(
      core::TimePoint reconciled_before, std::size_t limit) = 0;
  // Records that the room was compared with the provider at `now` (bookkeeping only: the row's
  // updated_at is not touched). kNotFound for an unknown room.
  virtual core::Status mark_reconciled(const core::TenantId& tenant, const core::RoomId& room,
                                       core::TimePoint now) = 0;

  // Client-reported dominant speaker changes, stored apart from provider-confirmed state.
  virtual core::Status add_speaker_change(const core::TenantId& tenant,
                                          const SpeakerChange& change) = 0;
  // Oldest first.
  virtual core::Result<std::vector<SpeakerChange>> speaker_changes(const core::TenantId& tenant,
                                                                   const core::RoomId& room) = 0;
};

// One verified provider callback, ready for the ledger.
struct IngestItem {
  core::TenantId tenant;
  std::string idempotency_key;  // twilio::idempotency_key(): same callback, same key
  RoomEvent event;
  std::string params_json;  // every raw parameter, as a JSON object of strings
  core::TimePoint received_at{};
};

struct IngestOutcome {
  bool duplicate = false;            // the key was already in the ledger: nothing changed
  std::optional<core::RoomId> room;  // the local room, when one has this provider SID
  ApplyOutcome applied;              // what the event changed (empty for duplicates)
  std::optional<Room> room_after;    // the room row after the event, when there is one
};

class EventLedger {
 public:
  virtual ~EventLedger() = default;
  // In ONE transaction, in order: records every item under (tenant, idempotency key); for each
  // item not seen before, folds its event into the state of its provider room (kept per provider
  // SID even before a local room is linked to it) and projects that onto the local room row.
  // Unknown events are recorded but change no state. Either every item is durable when this
  // returns ok, or none is. outcomes[i] belongs to items[i]; a key repeated within one batch is a
  // duplicate from its second occurrence on.
  virtual core::Result<std::vector<IngestOutcome>> ingest(std::span<const IngestItem> items) = 0;

  // The writer has nothing queued after a batch: a moment for housekeeping that would otherwise
  // land inside a commit and delay the callbacks waiting on it (SQLite: copying the WAL back).
  // Called on the writer's thread, never concurrently with ingest().
  virtual void idle() {}
};

}  // namespace roomplane::rooms
