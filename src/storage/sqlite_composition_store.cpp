#include "storage/sqlite_composition_store.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "crypto/crypto.h"
#include "storage/page_cursor.h"
#include "storage/time_columns.h"

namespace roomplane::storage {
namespace {

using compositions::Composition;
using compositions::Stage;
using compositions::Status;
using sqlite::Connection;
using sqlite::Statement;

// Column list of read_composition(), in its order.
const std::string kColumns =
    "tenant_id, composition_id, room_id, provider_room_sid, provider_composition_sid, status, "
    "progress, layout, format, recorded_duration_seconds, attempts, error, media_location, "
    "size_bytes, duration_seconds, deadline_at, next_attempt_at, created_at, updated_at, "
    "started_at, stalled_at, completed_at, failed_at";

// The WHERE of each stage's partial index, spelled exactly as in migration 0004 so that SQLite
// recognises the index as usable.
std::string_view stage_condition(Stage stage) {
  return stage == Stage::kStart ? "status = 'pending'"
                                : "status IN ('enqueued', 'processing', 'stalled')";
}

core::Result<Composition> read_composition(const Statement& s) {
  Composition c;
  c.tenant_id = core::TenantId(s.text(0));
  c.id = core::CompositionId(s.text(1));
  c.room_id = core::RoomId(s.text(2));
  c.provider_room_sid = s.text(3);
  c.provider_composition_sid = s.optional_text(4);
  const auto status = compositions::status_from_string(s.text(5));
  if (!status)
    return core::Error::internal("stored composition has an unknown status: " + s.text(5));
  c.status = *status;
  c.progress_percent = static_cast<int>(s.int64(6));
  c.layout = compositions::layout_from_setting(s.text(7));
  c.format = compositions::format_from_setting(s.text(8));
  c.recorded_duration_seconds = s.int64(9);
  c.attempts = static_cast<int>(s.int64(10));
  c.error = s.optional_text(11).value_or("");
  c.media_location = s.optional_text(12);
  c.size_bytes = s.optional_int64(13);
  c.duration_seconds = s.optional_int64(14);
  c.deadline_at = from_millis(s.optional_int64(15));
  c.next_attempt_at = from_millis(s.int64(16));
  c.created_at = from_millis(s.int64(17));
  c.updated_at = from_millis(s.int64(18));
  c.started_at = from_millis(s.optional_int64(19));
  c.stalled_at = from_millis(s.optional_int64(20));
  c.completed_at = from_millis(s.optional_int64(21));
  c.failed_at = from_millis(s.optional_int64(22));
  return c;
}

core::Result<std::vector<Composition>> read_all(Statement& s, std::size_t reserve = 0) {
  std::vector<Composition> out;
  out.reserve(reserve);
  while (true) {
    auto row = s.step();
    if (!row)
      return std::move(row).take_error();
    if (!*row)
      break;
    auto c = read_composition(s);
    if (!c)
      return std::move(c).take_error();
    out.push_back(std::move(c).value());
  }
  return out;
}

std::string_view layout_setting(video::CompositionLayout layout) {
  return layout == video::CompositionLayout::kAudioOnly ? "audio_only" : "grid";
}
std::string_view format_setting(video::CompositionFormat format) {
  return format == video::CompositionFormat::kWebm ? "webm" : "mp4";
}

}  // namespace

core::Result<std::vector<Composition>> SqliteCompositionStore::enqueue_ended_rooms(
    core::TimePoint now, std::size_t limit) {
  return db_.write([&](Connection& c) -> core::Result<std::vector<Composition>> {
    // Reads rooms_awaiting_composition: only rooms that still wait, however long the history.
    static const std::string kPick =
        "SELECT tenant_id, room_id, COALESCE(provider_room_sid, ''), started_at, ended_at "
        "FROM rooms WHERE status = 'completed' AND ever_recorded = 1 AND composition_enqueued = 0 "
        "ORDER BY ended_at LIMIT ?";
    auto pick = c.prepare(kPick);
    if (!pick)
      return std::move(pick).take_error();
    (*pick)->bind(1, static_cast<std::int64_t>(limit));
    std::vector<Composition> picked;
    while (true) {
      auto row = (*pick)->step();
      if (!row)
        return std::move(row).take_error();
      if (!*row)
        break;
      Composition job;
      job.tenant_id = core::TenantId((*pick)->text(0));
      job.room_id = core::RoomId((*pick)->text(1));
      job.provider_room_sid = (*pick)->text(2);
      const auto started = (*pick)->optional_int64(3);
      const auto ended = (*pick)->optional_int64(4);
      if (started && ended && *ended > *started)
        job.recorded_duration_seconds = (*ended - *started + 999) / 1000;
      job.id = core::CompositionId(crypto::random_token(core::kCompositionIdPrefix, 20));
      job.status = Status::kPending;
      job.next_attempt_at = now;
      job.created_at = now;
      job.updated_at = now;
      picked.push_back(std::move(job));
    }

    static const std::string kInsert =
        "INSERT INTO compositions (tenant_id, composition_id, room_id, provider_room_sid, status, "
        "recorded_duration_seconds, next_attempt_at, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?) ON CONFLICT DO NOTHING";
    static const std::string kMark =
        "UPDATE rooms SET composition_enqueued = 1 WHERE tenant_id = ? AND room_id = ?";
    std::vector<Composition> created;
    for (auto& job : picked) {
      auto insert = c.prepare(kInsert);
      if (!insert)
        return std::move(insert).take_error();
      (*insert)
          ->bind(1, job.tenant_id.value())
          .bind(2, job.id.value())
          .bind(3, job.room_id.value())
          .bind(4, job.provider_room_sid)
          .bind(5, job.recorded_duration_seconds)
          .bind(6, to_millis(now))
          .bind(7, to_millis(now))
          .bind(8, to_millis(now));
      if (auto s = (*insert)->run(); !s)
        return std::move(s).take_error();
      // No row when the room already has a live composition (the unique index): the room is
      // marked all the same, it is taken care of.
      const bool inserted = (*insert)->changes() > 0;
      auto mark = c.prepare(kMark);
      if (!mark)
        return std::move(mark).take_error();
      (*mark)->bind(1, job.tenant_id.value()).bind(2, job.room_id.value());
      if (auto s = (*mark)->run(); !s)
        return std::move(s).take_error();
      if (inserted)
        created.push_back(std::move(job));
    }
    return created;
  });
}

core::Result<std::vector<Composition>> SqliteCompositionStore::claim(Stage stage,
                                                                     std::string_view owner,
                                                                     core::TimePoint now,
                                                                     core::TimePoint lease_until,
                                                                     std::size_t limit) {
  // One fixed statement per stage. The inner SELECT walks the stage's partial index in due
  // order; leased rows (in flight at another worker) are skipped by the filter.
  const std::string sql =
      "UPDATE compositions SET lease_owner = ?1, lease_expires_at = ?2 WHERE rowid IN ("
      "SELECT rowid FROM compositions WHERE " +
      std::string(stage_condition(stage)) +
      " AND next_attempt_at <= ?3 AND (lease_expires_at IS NULL OR lease_expires_at <= ?3) "
      "ORDER BY next_attempt_at LIMIT ?4) RETURNING " +
      kColumns;
  auto claimed = db_.write([&](Connection& c) -> core::Result<std::vector<Composition>> {
    auto stmt = c.prepare(sql);
    if (!stmt)
      return std::move(stmt).take_error();
    (*stmt)
        ->bind(1, owner)
        .bind(2, to_millis(lease_until))
        .bind(3, to_millis(now))
        .bind(4, static_cast<std::int64_t>(limit));
    return read_all(**stmt, limit);
  });
  if (!claimed)
    return claimed;
  // RETURNING gives rows in no particular order: hand them out oldest due first.
  std::sort(claimed->begin(), claimed->end(), [](const Composition& a, const Composition& b) {
    return std::tie(a.next_attempt_at, a.id) < std::tie(b.next_attempt_at, b.id);
  });
  return claimed;
}

core::Status SqliteCompositionStore::save(const Composition& composition, std::string_view owner,
                                          std::span<const alerts::Alert> alerts) {
  return db_.write([&](Connection& c) -> core::Status {
    static const std::string kUpdate =
        "UPDATE compositions SET provider_composition_sid = ?1, status = ?2, "
        // Progress only grows within one provider composition (callbacks raise it in between,
        // make_due()); a new attempt starts from its own.
        "progress = CASE WHEN provider_composition_sid IS ?1 THEN MAX(progress, ?3) ELSE ?3 END, "
        "layout = ?, format = ?, attempts = ?, error = ?, media_location = ?, size_bytes = ?, "
        "duration_seconds = ?, deadline_at = ?, next_attempt_at = ?, updated_at = ?, "
        "started_at = ?, stalled_at = ?, completed_at = ?, failed_at = ?, "
        "lease_owner = NULL, lease_expires_at = NULL "
        "WHERE tenant_id = ? AND composition_id = ? AND lease_owner = ?";
    auto stmt = c.prepare(kUpdate);
    if (!stmt)
      return std::move(stmt).take_error();
    const auto& x = composition;
    (*stmt)
        ->bind_nullable(1, x.provider_composition_sid)
        .bind(2, compositions::to_string(x.status))
        .bind(3, std::int64_t{x.progress_percent})
        .bind(4, layout_setting(x.layout))
        .bind(5, format_setting(x.format))
        .bind(6, std::int64_t{x.attempts})
        .bind_nullable(7, x.error.empty() ? std::nullopt : std::optional<std::string>(x.error))
        .bind_nullable(8, x.media_location)
        .bind_nullable(9, x.size_bytes)
        .bind_nullable(10, x.duration_seconds)
        .bind_nullable(11, to_millis(x.deadline_at))
        .bind(12, to_millis(x.next_attempt_at))
        .bind(13, to_millis(x.updated_at))
        .bind_nullable(14, to_millis(x.started_at))
        .bind_nullable(15, to_millis(x.stalled_at))
        .bind_nullable(16, to_millis(x.completed_at))
        .bind_nullable(17, to_millis(x.failed_at))
        .bind(18, x.tenant_id.value())
        .bind(19, x.id.value())
        .bind(20, owner);
    if (auto s = (*stmt)->run(); !s)
      return s;
    if ((*stmt)->changes() == 0) {
      return core::Error::conflict("lease_lost",
                                   "composition " + x.id.value() + " is no longer leased to " +
                                       std::string(owner) + ": another worker took it over");
    }
    static const std::string kAlert =
        "INSERT INTO alerts (alert_id, tenant_id, kind, subject_id, body, status, attempts, "
        "next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?) "
        "ON CONFLICT (alert_id) DO NOTHING";
    for (const auto& alert : alerts) {
      auto insert = c.prepare(kAlert);
      if (!insert)
        return std::move(insert).take_error();
      (*insert)
          ->bind(1, alert.id)
          .bind(2, alert.tenant.value())
          .bind(3, alert.kind)
          .bind(4, alert.subject_id)
          .bind(5, alert.body)
          .bind(6, to_millis(alert.created_at))
          .bind(7, to_millis(alert.created_at));
      if (auto s = (*insert)->run(); !s)
        return s;
    }
    return {};
  });
}

core::Status SqliteCompositionStore::make_due(const core::TenantId& tenant,
                                              std::string_view provider_composition_sid,
                                              std::optional<int> progress_percent,
                                              core::TimePoint now) {
  return db_.write([&](Connection& c) -> core::Status {
    // Outside any lease on purpose: both changes only move forward (progress up, due time
    // earlier), and save() keeps the larger progress, so a worker holding the lease loses
    // nothing it wrote.
    static const std::string kSql =
        "UPDATE compositions SET next_attempt_at = MIN(next_attempt_at, ?1), "
        "progress = MAX(progress, COALESCE(?4, 0)) "
        "WHERE tenant_id = ?2 AND provider_composition_sid = ?3 "
        "AND status IN ('enqueued', 'processing', 'stalled')";
    auto stmt = c.prepare(kSql);
    if (!stmt)
      return std::move(stmt).take_error();
    (*stmt)
        ->bind(1, to_millis(now))
        .bind(2, tenant.value())
        .bind(3, provider_composition_sid)
        .bind_nullable(
            4, progress_percent ? std::optional<std::int64_t>(*progress_percent) : std::nullopt);
    return (*stmt)->run();
  });
}

core::Result<std::chrono::milliseconds> SqliteCompositionStore::lag(Stage stage,
                                                                    core::TimePoint now) {
  const std::string sql = "SELECT MIN(next_attempt_at) FROM compositions WHERE " +
                          std::string(stage_condition(stage)) + " AND next_attempt_at <= ?";
  return db_.read([&](Connection& c) -> core::Result<std::chrono::milliseconds> {
    auto stmt = c.prepare(sql);
    if (!stmt)
      return std::move(stmt).take_error();
    (*stmt)->bind(1, to_millis(now));
    auto row = (*stmt)->step();
    if (!row)
      return std::move(row).take_error();
    const auto oldest = *row ? (*stmt)->optional_int64(0) : std::nullopt;
    if (!oldest)
      return std::chrono::milliseconds(0);
    return std::chrono::milliseconds(std::max<std::int64_t>(0, to_millis(now) - *oldest));
  });
}

core::Result<std::optional<Composition>> SqliteCompositionStore::find(
    const core::TenantId& tenant, const core::CompositionId& id) {
  static const std::string kSql =
      "SELECT " + kColumns + " FROM compositions WHERE tenant_id = ? AND composition_id = ?";
  return db_.read([&](Connection& c) -> core::Result<std::optional<Composition>> {
    auto stmt = c.prepare(kSql);
    if (!stmt)
      return std::move(stmt).take_error();
    (*stmt)->bind(1, tenant.value()).bind(2, id.value());
    auto rows = read_all(**stmt, 1);
    if (!rows)
      return std::move(rows).take_error();
    if (rows->empty())
      return std::optional<Composition>();
    return std::optional<Composition>(std::move(rows->front()));
  });
}

core::Result<compositions::Page> SqliteCompositionStore::list(
    const core::TenantId& tenant, const compositions::ListQuery& query) {
  std::optional<PageCursor> after;
  if (query.cursor) {
    after = decode_page_cursor(*query.cursor);
    if (!after) {
      return core::Error::invalid_argument("invalid_cursor", "cursor is not one this API returned");
    }
  }
  // Four fixed statements (status filter or not, cursor or not), each on a tenant-led index.
  std::string sql = "SELECT " + kColumns + " FROM compositions WHERE tenant_id = ?1";
  if (query.status)
    sql += " AND status = ?2";
  if (after)
    sql += " AND (created_at < ?3 OR (created_at = ?3 AND composition_id < ?4))";
  sql += " ORDER BY created_at DESC, composition_id DESC LIMIT ?5";
  return db_.read([&](Connection& c) -> core::Result<compositions::Page> {
    auto stmt = c.prepare(sql);
    if (!stmt)
      return std::move(stmt).take_error();
    (*stmt)->bind(1, tenant.value());
    if (query.status)
      (*stmt)->bind(2, compositions::to_string(*query.status));
    if (after)
      (*stmt)->bind(3, after->created_at_ms).bind(4, after->id);
    (*stmt)->bind(5, static_cast<std::int64_t>(query.limit) + 1);
    auto rows = read_all(**stmt, query.limit + 1);
    if (!rows)
      return std::move(rows).take_error();
    compositions::Page page;
    page.compositions = std::move(rows).value();
    if (page.compositions.size() > query.limit) {
      page.compositions.resize(query.limit);
      if (!page.compositions.empty())
        page.next_cursor = encode_page_cursor(to_millis(page.compositions.back().created_at),
                                              page.compositions.back().id.value());
    }
    return page;
  });
}

core::Result<std::vector<Composition>> SqliteCompositionStore::for_room(
    const core::TenantId& tenant, const core::RoomId& room) {
  // Walks compositions_by_room (0007) backwards: no scan, no sort, whatever the history.
  static const std::string kSql = "SELECT " + kColumns +
                                  " FROM compositions WHERE tenant_id = ? AND room_id = ? "
                                  "ORDER BY created_at DESC, composition_id DESC";
  return db_.read([&](Connection& c) -> core::Result<std::vector<Composition>> {
    auto stmt = c.prepare(kSql);
    if (!stmt)
      return std::move(stmt).take_error();
    (*stmt)->bind(1, tenant.value()).bind(2, room.value());
    return read_all(**stmt, 1);
  });
}

core::Status SqliteCompositionStore::record_media_access(const compositions::MediaAccess& access) {
  return db_.write([&](Connection& c) -> core::Status {
    static const std::string kSql =
        "INSERT INTO media_access_log (tenant_id, composition_id, api_key_id, remote_address, "
        "user_agent, accessed_at) VALUES (?, ?, ?, ?, ?, ?)";
    auto stmt = c.prepare(kSql);
    if (!stmt)
      return std::move(stmt).take_error();
    (*stmt)
        ->bind(1, access.tenant.value())
        .bind(2, access.composition.value())
        .bind(3, access.api_key_id)
        .bind(4, access.remote_address)
        .bind(5, access.user_agent)
        .bind(6, to_millis(access.at));
    return (*stmt)->run();
  });
}

core::Result<std::vector<compositions::MediaAccess>> SqliteCompositionStore::media_accesses(
    const core::TenantId& tenant, const core::CompositionId& id) {
  return db_.read([&](Connection& c) -> core::Result<std::vector<compositions::MediaAccess>> {
    static const std::string kSql =
        "SELECT api_key_id, remote_address, user_agent, accessed_at FROM media_access_log "
        "WHERE tenant_id = ? AND composition_id = ? ORDER BY accessed_at, access_id";
    auto stmt = c.prepare(kSql);
    if (!stmt)
      return std::move(stmt).take_error();
    (*stmt)->bind(1, tenant.value()).bind(2, id.value());
    std::vector<compositions::MediaAccess> out;
    while (true) {
      auto row = (*stmt)->step();
      if (!row)
        return std::move(row).take_error();
      if (!*row)
        break;
      out.push_back({tenant, id, (*stmt)->text(0), (*stmt)->text(1), (*stmt)->text(2),
                     from_millis((*stmt)->int64(3))});
    }
    return out;
  });
}

}  // namespace roomplane::storage
