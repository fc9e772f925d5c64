#include "storage/sqlite_alert_store.h"

#include <utility>

#include "storage/time_columns.h"

namespace roomplane::storage {
namespace {

using alerts::AlertStatus;
using sqlite::Connection;
using sqlite::Statement;

// Bounds for the error text kept in last_error (it is operator information, not a log).
constexpr std::size_t kMaxErrorLength = 500;

std::string clip(std::string_view error) {
  return std::string(error.substr(0, kMaxErrorLength));
}

alerts::Alert read_alert(const Statement& row) {
  // Columns 0..5 of every select below.
  alerts::Alert alert;
  alert.id = row.text(0);
  alert.tenant = core::TenantId(row.text(1));
  alert.kind = row.text(2);
  alert.subject_id = row.text(3);
  alert.body = row.text(4);
  alert.created_at = from_millis(row.int64(5));
  return alert;
}

// After an UPDATE guarded by the lease changed nothing: the alert is unknown, or no longer this
// owner's (another dispatcher claimed it after the lease expired, or it is closed).
core::Error lease_error(Connection& c, std::string_view id, std::string_view owner) {
  auto stmt = c.prepare("SELECT 1 FROM alerts WHERE alert_id = ?");
  if (!stmt)
    return std::move(stmt).take_error();
  (*stmt)->bind(1, id);
  auto row = (*stmt)->step();
  if (!row)
    return std::move(row).take_error();
  if (!*row)
    return core::Error::not_found("alert_not_found", "no alert with id " + std::string(id));
  return core::Error::conflict(
      "lease_lost", "alert " + std::string(id) + " is no longer leased to " + std::string(owner));
}

// Runs a lease-guarded UPDATE whose last two parameters are (alert_id, lease_owner).
template <class BindFn>
core::Status guarded_update(SqliteDatabase& db, const std::string& sql, std::string_view id,
                            std::string_view owner, int id_index, BindFn&& bind) {
  return db.write([&](Connection& c) -> core::Status {
    auto stmt = c.prepare(sql);
    if (!stmt)
      return std::move(stmt).take_error();
    bind(**stmt);
    (*stmt)->bind(id_index, id).bind(id_index + 1, owner);
    if (auto s = (*stmt)->run(); !s)
      return s;
    if ((*stmt)->changes() == 0)
      return lease_error(c, id, owner);
    return {};
  });
}

}  // namespace

core::Status SqliteAlertStore::enqueue(const alerts::Alert& alert) {
  return db_.write([&](Connection& c) -> core::Status {
    auto stmt = c.prepare(
        "INSERT OR IGNORE INTO alerts (alert_id, tenant_id, kind, subject_id, body, status, "
        "attempts, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, 'pending', 0, ?6, ?6)");
    if (!stmt)
      return std::move(stmt).take_error();
    (*stmt)
        ->bind(1, alert.id)
        .bind(2, alert.tenant.value())
        .bind(3, alert.kind)
        .bind(4, alert.subject_id)
        .bind(5, alert.body)
        .bind(6, to_millis(alert.created_at));
    return (*stmt)->run();
  });
}

core::Result<std::vector<alerts::ClaimedAlert>> SqliteAlertStore::claim(std::string_view owner,
                                                                        core::TimePoint now,
                                                                        core::TimePoint lease_until,
                                                                        std::size_t limit) {
  using Out = core::Result<std::vector<alerts::ClaimedAlert>>;
  if (limit == 0)
    return std::vector<alerts::ClaimedAlert>{};
  return db_.write([&](Connection& c) -> Out {
    std::vector<alerts::ClaimedAlert> claimed;
    {
      // `status = 'pending'` selects the partial index alerts_due.
      auto select = c.prepare(
          "SELECT alert_id, tenant_id, kind, subject_id, body, created_at, attempts FROM alerts "
          "WHERE status = 'pending' AND next_attempt_at <= ?1 "
          "AND (lease_expires_at IS NULL OR lease_expires_at <= ?1) "
          "ORDER BY next_attempt_at, alert_id LIMIT ?2");
      if (!select)
        return std::move(select).take_error();
      (*select)->bind(1, to_millis(now)).bind(2, static_cast<std::int64_t>(limit));
      while (true) {
        auto row = (*select)->step();
        if (!row)
          return std::move(row).take_error();
        if (!*row)
          break;
        claimed.push_back({read_alert(**select), static_cast<int>((*select)->int64(6))});
      }
    }
    static const std::string kLease =
        "UPDATE alerts SET lease_owner = ?, lease_expires_at = ? WHERE alert_id = ? AND "
        "status = 'pending'";
    for (const auto& item : claimed) {
      auto lease = c.prepare(kLease);  // reset and unbound for each row
      if (!lease)
        return std::move(lease).take_error();
      (*lease)->bind(1, owner).bind(2, to_millis(lease_until)).bind(3, item.alert.id);
      if (auto s = (*lease)->run(); !s)
        return std::move(s).take_error();
    }
    return claimed;
  });
}

core::Status SqliteAlertStore::mark_delivered(std::string_view id, std::string_view owner,
                                              int attempts, core::TimePoint now) {
  static const std::string kSql =
      "UPDATE alerts SET status = 'delivered', attempts = ?1, delivered_at = ?2, "
      "lease_owner = NULL, lease_expires_at = NULL "
      "WHERE alert_id = ?3 AND lease_owner = ?4 AND status = 'pending'";
  return guarded_update(db_, kSql, id, owner, 3, [&](Statement& s) {
    s.bind(1, static_cast<std::int64_t>(attempts)).bind(2, to_millis(now));
  });
}

core::Status SqliteAlertStore::reschedule(std::string_view id, std::string_view owner, int attempts,
                                          core::TimePoint next_attempt_at, std::string_view error) {
  static const std::string kSql =
      "UPDATE alerts SET attempts = ?1, next_attempt_at = ?2, last_error = ?3, "
      "lease_owner = NULL, lease_expires_at = NULL "
      "WHERE alert_id = ?4 AND lease_owner = ?5 AND status = 'pending'";
  const auto text = clip(error);
  return guarded_update(db_, kSql, id, owner, 4, [&](Statement& s) {
    s.bind(1, static_cast<std::int64_t>(attempts))
        .bind(2, to_millis(next_attempt_at))
        .bind(3, text);
  });
}

core::Status SqliteAlertStore::give_up(std::string_view id, std::string_view owner,
                                       AlertStatus status, int attempts, std::string_view error,
                                       core::TimePoint now) {
  if (status != AlertStatus::kAbandoned && status != AlertStatus::kSkipped) {
    return core::Error::invalid_argument("invalid_alert_status",
                                         "give_up takes abandoned or skipped");
  }
  static const std::string kSql =
      "UPDATE alerts SET status = ?1, attempts = ?2, last_error = ?3, next_attempt_at = ?4, "
      "lease_owner = NULL, lease_expires_at = NULL "
      "WHERE alert_id = ?5 AND lease_owner = ?6 AND status = 'pending'";
  const auto text = clip(error);
  return guarded_update(db_, kSql, id, owner, 5, [&](Statement& s) {
    s.bind(1, alerts::to_string(status))
        .bind(2, static_cast<std::int64_t>(attempts))
        .bind(3, text)
        .bind(4, to_millis(now));
  });
}

core::Result<std::chrono::milliseconds> SqliteAlertStore::lag(core::TimePoint now) {
  return db_.read([&](Connection& c) -> core::Result<std::chrono::milliseconds> {
    auto stmt = c.prepare(
        "SELECT MIN(next_attempt_at) FROM alerts WHERE status = 'pending' AND next_attempt_at <= "
        "?");
    if (!stmt)
      return std::move(stmt).take_error();
    const auto at = to_millis(now);
    (*stmt)->bind(1, at);
    auto row = (*stmt)->step();
    if (!row)
      return std::move(row).take_error();
    const auto oldest = *row ? (*stmt)->optional_int64(0) : std::nullopt;
    return std::chrono::milliseconds(oldest ? at - *oldest : 0);
  });
}

core::Result<std::vector<alerts::AlertRecord>> SqliteAlertStore::list(
    const core::TenantId& tenant) {
  using Out = core::Result<std::vector<alerts::AlertRecord>>;
  return db_.read([&](Connection& c) -> Out {
    auto stmt = c.prepare(
        "SELECT alert_id, tenant_id, kind, subject_id, body, created_at, status, attempts, "
        "next_attempt_at, last_error, lease_owner, lease_expires_at, delivered_at FROM alerts "
        "WHERE tenant_id = ? ORDER BY created_at, alert_id");
    if (!stmt)
      return std::move(stmt).take_error();
    (*stmt)->bind(1, tenant.value());
    std::vector<alerts::AlertRecord> out;
    while (true) {
      auto row = (*stmt)->step();
      if (!row)
        return std::move(row).take_error();
      if (!*row)
        break;
      const Statement& r = **stmt;
      const auto status = alerts::alert_status_from_string(r.text(6));
      if (!status)
        return core::Error::internal("alert " + r.text(0) + " has an unknown status: " + r.text(6));
      alerts::AlertRecord record;
      record.alert = read_alert(r);
      record.status = *status;
      record.attempts = static_cast<int>(r.int64(7));
      record.next_attempt_at = from_millis(r.int64(8));
      record.last_error = r.optional_text(9);
      record.lease_owner = r.optional_text(10);
      record.lease_expires_at = from_millis(r.optional_int64(11));
      record.delivered_at = from_millis(r.optional_int64(12));
      out.push_back(std::move(record));
    }
    return out;
  });
}

}  // namespace roomplane::storage
