#pragma once
// SQLite implementations of the rooms domain's stores (rooms/stores.h). Created by the
// composition root (or a test) over an open, migrated SqliteDatabase, which must outlive them.
// Thread-safe: writes serialise on the database's writer connection, reads use its pool.
//
// Tables (migrations 0001, 0002; 0004 adds rooms.reconciled_at for list_to_reconcile; 0005 and
// 0006 re-key events and participants by room): rooms (one row per local room), room_states (the
// folded RoomState as JSON per (tenant, provider room SID), present before any local room is
// linked), events (the ledger) and speaker_changes. `participants` is a view over room_states
// (0008): nothing here writes it.

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "rooms/room_state.h"
#include "rooms/stores.h"
#include "storage/sqlite_database.h"

namespace roomplane::storage {

class SqliteRoomStore final : public rooms::RoomStore {
 public:
  explicit SqliteRoomStore(SqliteDatabase& db) : db_(db) {}

  core::Status insert(const rooms::Room& room) override;
  core::Result<std::optional<rooms::RoomView>> find(const core::TenantId& tenant,
                                                    const core::RoomId& room) override;
  core::Result<std::optional<rooms::Room>> find_row(const core::TenantId& tenant,
                                                    const core::RoomId& room) override;
  core::Result<std::optional<rooms::RoomView>> find_by_provider_sid(
      const core::TenantId& tenant, std::string_view provider_room_sid) override;
  core::Result<rooms::RoomPage> list(const core::TenantId& tenant,
                                     const rooms::RoomListQuery& query) override;
  core::Result<rooms::RoomView> link_provider_room(const core::TenantId& tenant,
                                                   const core::RoomId& room,
                                                   const std::string& provider_room_sid,
                                                   std::span<const rooms::RoomEvent> confirmed,
                                                   core::TimePoint now) override;
  core::Status mark_failed(const core::TenantId& tenant, const core::RoomId& room,
                           const std::string& reason, core::TimePoint now) override;
  core::Result<rooms::RoomView> apply_confirmed(const core::TenantId& tenant,
                                                const core::RoomId& room,
                                                std::span<const rooms::RoomEvent> confirmed,
                                                std::optional<std::string> end_reason,
                                                core::TimePoint now) override;
  core::Status set_recording(const core::TenantId& tenant, const core::RoomId& room, bool recording,
                             core::TimePoint now) override;
  core::Result<std::vector<rooms::Room>> list_creating(core::TimePoint before,
                                                       std::size_t limit) override;
  core::Result<std::vector<rooms::ReconcileCandidate>> list_to_reconcile(
      core::TimePoint reconciled_before, std::size_t limit) override;
  core::Status mark_reconciled(const core::TenantId& tenant, const core::RoomId& room,
                               core::TimePoint now) override;
  core::Status add_speaker_change(const core::TenantId& tenant,
                                  const rooms::SpeakerChange& change) override;
  core::Result<std::vector<rooms::SpeakerChange>> speaker_changes(
      const core::TenantId& tenant, const core::RoomId& room) override;

 private:
  SqliteDatabase& db_;
};

// The ledger. ingest() is the webhook hot path: one transaction per batch, each touched room's
// state read, decoded, encoded and written once per batch however many of its events the batch
// holds, and only indexed statements.
// Room states the ledger decoded or encoded in earlier commits, each with its JSON text. A
// state is reused only when the stored text is byte-equal to the cached text, so a state written
// meanwhile by another path (link, reconciler) or by a batch that rolled back is decoded afresh:
// the cache can miss, never serve a wrong state. Comparing a few kilobytes costs far less than
// parsing them, which was a sixth of the writer's instructions. Bounded; used only inside the
// ledger's write transaction, which the database's writer lock serializes.
class DecodedStateCache {
 public:
  explicit DecodedStateCache(std::size_t capacity) : capacity_(capacity) {}

  // The cached state for `key` when `stored_text` is what it was cached with; removed from the
  // cache either way (the caller will put back what it writes).
  std::optional<rooms::RoomState> take(const std::string& key, std::string_view stored_text);
  void put(const std::string& key, std::string text, rooms::RoomState state);
  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::string text;
    rooms::RoomState state;
  };
  std::size_t capacity_;
  std::unordered_map<std::string, Entry> entries_;
};

class SqliteEventLedger final : public rooms::EventLedger {
 public:
  explicit SqliteEventLedger(SqliteDatabase& db, std::size_t cached_states = 4096)
      : db_(db), cache_(cached_states) {}

  core::Result<std::vector<rooms::IngestOutcome>> ingest(
      std::span<const rooms::IngestItem> items) override;
  // Checkpoints the WAL when it has grown (SqliteDatabase::checkpoint_if_idle).
  void idle() override { db_.checkpoint_if_idle(); }

 private:
  SqliteDatabase& db_;
  DecodedStateCache cache_;
};

}  // namespace roomplane::storage
