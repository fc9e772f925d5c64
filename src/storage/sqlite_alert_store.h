#pragma once
// The SQLite alert outbox (alerts/stores.h) over table `alerts` (migration 0004). Created by
// the composition root (or a test) over an open, migrated SqliteDatabase, which must outlive
// it. Thread-safe: writes (claims included) serialise on the database's writer connection, so a
// claim's select-then-lease is atomic; reads use its pool.
//
// claim() and lag() read the partial index alerts_due (pending rows by next_attempt_at), so
// their cost does not grow with delivered history; list() reads alerts_by_tenant.

#include "alerts/stores.h"
#include "storage/sqlite_database.h"

namespace roomplane::storage {

class SqliteAlertStore final : public alerts::AlertStore {
 public:
  explicit SqliteAlertStore(SqliteDatabase& db) : db_(db) {}

  core::Status enqueue(const alerts::Alert& alert) override;
  core::Result<std::vector<alerts::ClaimedAlert>> claim(std::string_view owner, core::TimePoint now,
                                                        core::TimePoint lease_until,
                                                        std::size_t limit) override;
  core::Status mark_delivered(std::string_view id, std::string_view owner, int attempts,
                              core::TimePoint now) override;
  core::Status reschedule(std::string_view id, std::string_view owner, int attempts,
                          core::TimePoint next_attempt_at, std::string_view error) override;
  core::Status give_up(std::string_view id, std::string_view owner, alerts::AlertStatus status,
                       int attempts, std::string_view error, core::TimePoint now) override;
  core::Result<std::chrono::milliseconds> lag(core::TimePoint now) override;
  core::Result<std::vector<alerts::AlertRecord>> list(const core::TenantId& tenant) override;

 private:
  SqliteDatabase& db_;
};

}  // namespace roomplane::storage
