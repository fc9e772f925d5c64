#pragma once
// SQLite implementation of compositions::CompositionStore (compositions/stores.h), over the
// tables of migration 0004 (and 0007's by-room index). Thread-safe: writes serialise on the
// database's writer connection, reads use its pool. Every worker query reads a partial index that
// holds only due work (rooms_awaiting_composition, compositions_to_start, compositions_to_track),
// never the history.

#include "compositions/stores.h"
#include "storage/sqlite_database.h"

namespace roomplane::storage {

class SqliteCompositionStore final : public compositions::CompositionStore {
 public:
  explicit SqliteCompositionStore(SqliteDatabase& db) : db_(db) {}

  core::Result<std::vector<compositions::Composition>> enqueue_ended_rooms(
      core::TimePoint now, std::size_t limit) override;
  core::Result<std::vector<compositions::Composition>> claim(compositions::Stage stage,
                                                             std::string_view owner,
                                                             core::TimePoint now,
                                                             core::TimePoint lease_until,
                                                             std::size_t limit) override;
  core::Status save(const compositions::Composition& composition, std::string_view owner,
                    std::span<const alerts::Alert> alerts) override;
  core::Status make_due(const core::TenantId& tenant, std::string_view provider_composition_sid,
                        std::optional<int> progress_percent, core::TimePoint now) override;
  core::Result<std::chrono::milliseconds> lag(compositions::Stage stage,
                                              core::TimePoint now) override;
  core::Result<std::optional<compositions::Composition>> find(
      const core::TenantId& tenant, const core::CompositionId& id) override;
  core::Result<compositions::Page> list(const core::TenantId& tenant,
                                        const compositions::ListQuery& query) override;
  core::Result<std::vector<compositions::Composition>> for_room(const core::TenantId& tenant,
                                                                const core::RoomId& room) override;
  core::Status record_media_access(const compositions::MediaAccess& access) override;
  core::Result<std::vector<compositions::MediaAccess>> media_accesses(
      const core::TenantId& tenant, const core::CompositionId& id) override;

 private:
  SqliteDatabase& db_;
};

}  // namespace roomplane::storage
