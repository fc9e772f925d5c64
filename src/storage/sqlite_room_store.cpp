#include "storage/sqlite_room_store.h"

#include <array>
#include <charconv>
#include <chrono>
#include <memory>
#include <unordered_map>
#include <utility>

#include "rooms/state_codec.h"
#include "storage/page_cursor.h"
#include "storage/time_columns.h"

namespace roomplane::storage {
namespace {

using rooms::Room;
using rooms::RoomLifecycle;
using rooms::RoomState;
using rooms::RoomView;
using sqlite::Connection;
using sqlite::Statement;

std::optional<std::int64_t> widen(const std::optional<int>& n) {
  return n ? std::optional<std::int64_t>(*n) : std::nullopt;
}
std::optional<int> narrow(const std::optional<std::int64_t>& n) {
  return n ? std::optional<int>(static_cast<int>(*n)) : std::nullopt;
}
std::optional<std::string> null_if_empty(const std::string& text) {
  return text.empty() ? std::nullopt : std::optional<std::string>(text);
}

// The public spelling (DESIGN.md, and what 0001's schema comment promises), not
// video::to_string's snake_case log names.
constexpr std::array<std::pair<video::RoomType, std::string_view>, 4> kRoomTypes{{
    {video::RoomType::kGroup, "group"},
    {video::RoomType::kGroupSmall, "group-small"},
    {video::RoomType::kPeerToPeer, "peer-to-peer"},
    {video::RoomType::kGo, "go"},
}};

std::string_view room_type_name(video::RoomType type) {
  for (const auto& [value, name] : kRoomTypes) {
    if (value == type)
      return name;
  }
  return "group";
}

std::optional<video::RoomType> room_type_from_name(std::string_view text) {
  for (const auto& [value, name] : kRoomTypes) {
    if (name == text)
      return value;
  }
  return std::nullopt;
}

core::Error room_not_found(const core::RoomId& room) {
  return core::Error::not_found("room_not_found", "no room with id " + room.value());
}

// --- Rooms rows ----------------------------------------------------------------------------

// Column list of read_room(), in its order; every query aliases rooms as r.
const std::string kRoomColumns =
    "r.tenant_id, r.room_id, r.name, r.type, r.max_participants, r.record, r.recording, "
    "r.empty_room_timeout_minutes, r.provider_room_name, r.provider_room_sid, r.status, "
    "r.end_reason, r.created_at, r.updated_at, r.started_at, r.ended_at";
constexpr int kRoomColumnCount = 16;

core::Result<Room> read_room(const Statement& row) {
  Room room;
  room.tenant_id = core::TenantId(row.text(0));
  room.id = core::RoomId(row.text(1));
  room.name = row.text(2);
  const auto type = room_type_from_name(row.text(3));
  const auto status = rooms::room_lifecycle_from_string(row.text(10));
  if (!type || !status) {
    return core::Error::internal("room " + room.id.value() + " has an unknown type or status: " +
                                 row.text(3) + ", " + row.text(10));
  }
  room.type = *type;
  room.max_participants = narrow(row.optional_int64(4));
  room.record = row.int64(5) != 0;
  room.recording = row.int64(6) != 0;
  room.empty_room_timeout_minutes = narrow(row.optional_int64(7));
  room.provider_room_name = row.text(8);
  room.provider_room_sid = row.optional_text(9);
  room.status = *status;
  room.end_reason = row.optional_text(11).value_or("");
  room.created_at = from_millis(row.int64(12));
  room.updated_at = from_millis(row.int64(13));
  room.started_at = from_millis(row.optional_int64(14));
  room.ended_at = from_millis(row.optional_int64(15));
  return room;
}

// Reads rows of kRoomColumns until done or `limit` rooms were read.
core::Result<std::vector<Room>> read_rooms(Statement& stmt, std::size_t limit) {
  std::vector<Room> out;
  while (out.size() < limit) {
    auto row = stmt.step();
    if (!row)
      return std::move(row).take_error();
    if (!*row)
      break;
    auto room = read_room(stmt);
    if (!room)
      return std::move(room).take_error();
    out.push_back(std::move(room).value());
  }
  return out;
}

const std::string kSelectRoom =
    "SELECT " + kRoomColumns + " FROM rooms r WHERE r.tenant_id = ? AND r.room_id = ?";
const std::string kSelectRoomBySid =
    "SELECT " + kRoomColumns + " FROM rooms r WHERE r.tenant_id = ? AND r.provider_room_sid = ?";

core::Result<std::optional<Room>> load_room(Connection& c, const std::string& sql,
                                            const core::TenantId& tenant, std::string_view key) {
  auto stmt = c.prepare(sql);
  if (!stmt)
    return std::move(stmt).take_error();
  (*stmt)->bind(1, tenant.value()).bind(2, key);
  auto rows = read_rooms(**stmt, 1);
  if (!rows)
    return std::move(rows).take_error();
  if (rows->empty())
    return std::optional<Room>();
  return std::optional<Room>(std::move(rows->front()));
}

// Writes every field that changes after insert(); the rest is fixed at creation.
core::Status update_room(Connection& c, const Room& room) {
  static const std::string kSql =
      "UPDATE rooms SET provider_room_sid = ?, status = ?, end_reason = ?, recording = ?, "
      "updated_at = ?, started_at = ?, ended_at = ? WHERE tenant_id = ? AND room_id = ?";
  auto stmt = c.prepare(kSql);
  if (!stmt)
    return std::move(stmt).take_error();
  (*stmt)
      ->bind_nullable(1, room.provider_room_sid)
      .bind(2, rooms::to_string(room.status))
      .bind_nullable(3, null_if_empty(room.end_reason))
      .bind(4, std::int64_t{room.recording ? 1 : 0})
      .bind(5, to_millis(room.updated_at))
      .bind_nullable(6, to_millis(room.started_at))
      .bind_nullable(7, to_millis(room.ended_at))
      .bind(8, room.tenant_id.value())
      .bind(9, room.id.value());
  return (*stmt)->run();
}

// --- Room states ---------------------------------------------------------------------------

// The stored JSON text of a room's state, if any.
core::Result<std::optional<std::string>> load_state_text(Connection& c,
                                                         const core::TenantId& tenant,
                                                         std::string_view provider_room_sid) {
  static const std::string kSql =
      "SELECT state FROM room_states WHERE tenant_id = ? AND provider_room_sid = ?";
  auto stmt = c.prepare(kSql);
  if (!stmt)
    return std::move(stmt).take_error();
  (*stmt)->bind(1, tenant.value()).bind(2, provider_room_sid);
  auto row = (*stmt)->step();
  if (!row)
    return std::move(row).take_error();
  if (!*row)
    return std::optional<std::string>();
  return std::optional<std::string>((*stmt)->text(0));
}

core::Result<RoomState> decode_stored_state(std::string_view text, const core::TenantId& tenant,
                                            std::string_view provider_room_sid) {
  auto state = rooms::decode_state(text);
  if (!state) {
    auto error = std::move(state).take_error();
    error.message +=
        " (tenant " + tenant.value() + ", room " + std::string(provider_room_sid) + ")";
    return error;
  }
  return std::move(state).value();
}

core::Result<std::optional<RoomState>> load_state(Connection& c, const core::TenantId& tenant,
                                                  std::string_view provider_room_sid) {
  auto text = load_state_text(c, tenant, provider_room_sid);
  if (!text)
    return std::move(text).take_error();
  if (!*text)
    return std::optional<RoomState>();
  auto state = decode_stored_state(**text, tenant, provider_room_sid);
  if (!state)
    return std::move(state).take_error();
  return std::optional<RoomState>(std::move(state).value());
}

core::Status save_state_text(Connection& c, const core::TenantId& tenant,
                             std::string_view provider_room_sid, std::string_view text,
                             core::TimePoint now) {
  static const std::string kSql =
      "INSERT INTO room_states (tenant_id, provider_room_sid, state, updated_at) "
      "VALUES (?, ?, ?, ?) ON CONFLICT (tenant_id, provider_room_sid) DO UPDATE SET "
      "state = excluded.state, updated_at = excluded.updated_at";
  auto stmt = c.prepare(kSql);
  if (!stmt)
    return std::move(stmt).take_error();
  (*stmt)->bind(1, tenant.value()).bind(2, provider_room_sid).bind(3, text).bind(4, to_millis(now));
  return (*stmt)->run();
}

core::Status save_state(Connection& c, const core::TenantId& tenant,
                        std::string_view provider_room_sid, const RoomState& state,
                        core::TimePoint now) {
  return save_state_text(c, tenant, provider_room_sid, rooms::encode_state(state), now);
}

// Events recorded before the room was linked name only the provider SID; give them the room.
core::Status attach_events(Connection& c, const Room& room) {
  static const std::string kSql =
      "UPDATE events SET room_id = ? WHERE tenant_id = ? AND provider_room_sid = ? AND "
      "room_id IS NULL";
  auto stmt = c.prepare(kSql);
  if (!stmt)
    return std::move(stmt).take_error();
  (*stmt)
      ->bind(1, room.id.value())
      .bind(2, room.tenant_id.value())
      .bind(3, room.provider_room_sid.value_or(""));
  return (*stmt)->run();
}

// --- The fold shared by link, apply_confirmed and the ledger ------------------------------

struct Folded {
  bool state_changed = false;
  bool room_changed = false;
};

// Writes what a fold changed: the state and the room row. (Participants are read through the
// `participants` view over the state, migration 0008: nothing else to write.)
// `encoded`, when given, receives the state's JSON text when it was written.
core::Status persist(Connection& c, const Room& room, const RoomState& state, const Folded& folded,
                     core::TimePoint now, std::string* encoded = nullptr) {
  if (folded.state_changed) {
    std::string text = rooms::encode_state(state);
    if (auto s = save_state_text(c, room.tenant_id, *room.provider_room_sid, text, now); !s)
      return s;
    if (encoded)
      *encoded = std::move(text);
  }
  if (folded.room_changed)
    return update_room(c, room);
  return {};
}

}  // namespace

// --- SqliteRoomStore -----------------------------------------------------------------------

core::Status SqliteRoomStore::insert(const Room& room) {
  if (room.status != RoomLifecycle::kCreating || room.provider_room_sid) {
    return core::Error::internal(
        "a new room is written in creating, before it has a provider "
        "room; got " +
        std::string(rooms::to_string(room.status)));
  }
  return db_.write([&](Connection& c) -> core::Status {
    static const std::string kSql =
        "INSERT INTO rooms (tenant_id, room_id, provider_room_sid, name, type, max_participants, "
        "record, recording, empty_room_timeout_minutes, provider_room_name, status, end_reason, "
        "created_at, updated_at, started_at, ended_at, ever_recorded) "
        "VALUES (?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, NULL, NULL, ?6 OR ?7) "
        "ON CONFLICT (tenant_id, room_id) DO NOTHING";
    auto stmt = c.prepare(kSql);
    if (!stmt)
      return std::move(stmt).take_error();
    (*stmt)
        ->bind(1, room.tenant_id.value())
        .bind(2, room.id.value())
        .bind(3, room.name)
        .bind(4, room_type_name(room.type))
        .bind_nullable(5, widen(room.max_participants))
        .bind(6, std::int64_t{room.record ? 1 : 0})
        .bind(7, std::int64_t{room.recording ? 1 : 0})
        .bind_nullable(8, widen(room.empty_room_timeout_minutes))
        .bind(9, room.provider_room_name)
        .bind(10, rooms::to_string(room.status))
        .bind(11, to_millis(room.created_at))
        .bind(12, to_millis(room.updated_at));
    if (auto s = (*stmt)->run(); !s)
      return s;
    if ((*stmt)->changes() == 0) {
      return core::Error::conflict("room_exists",
                                   "a room with id " + room.id.value() + " already exists");
    }
    return {};
  });
}

namespace {

// One statement, so the room and its state come from the same snapshot.
core::Result<std::optional<RoomView>> find_view(SqliteDatabase& db, const std::string& where,
                                                const core::TenantId& tenant,
                                                std::string_view key) {
  const std::string sql = "SELECT " + kRoomColumns +
                          ", s.state FROM rooms r LEFT JOIN room_states s ON s.tenant_id = "
                          "r.tenant_id AND s.provider_room_sid = r.provider_room_sid WHERE " +
                          where;
  return db.read([&](Connection& c) -> core::Result<std::optional<RoomView>> {
    auto stmt = c.prepare(sql);
    if (!stmt)
      return std::move(stmt).take_error();
    (*stmt)->bind(1, tenant.value()).bind(2, key);
    auto row = (*stmt)->step();
    if (!row)
      return std::move(row).take_error();
    if (!*row)
      return std::optional<RoomView>();
    auto room = read_room(**stmt);
    if (!room)
      return std::move(room).take_error();
    RoomView view{std::move(room).value(), {}};
    if (auto text = (*stmt)->optional_text(kRoomColumnCount)) {
      auto state = rooms::decode_state(*text);
      if (!state)
        return std::move(state).take_error();
      view.state = std::move(state).value();
    }
    return std::optional<RoomView>(std::move(view));
  });
}

}  // namespace

core::Result<std::optional<RoomView>> SqliteRoomStore::find(const core::TenantId& tenant,
                                                            const core::RoomId& room) {
  return find_view(db_, "r.tenant_id = ? AND r.room_id = ?", tenant, room.value());
}

core::Result<std::optional<Room>> SqliteRoomStore::find_row(const core::TenantId& tenant,
                                                            const core::RoomId& room) {
  return db_.read([&](Connection& c) { return load_room(c, kSelectRoom, tenant, room.value()); });
}

core::Result<std::optional<RoomView>> SqliteRoomStore::find_by_provider_sid(
    const core::TenantId& tenant, std::string_view provider_room_sid) {
  return find_view(db_, "r.tenant_id = ? AND r.provider_room_sid = ?", tenant, provider_room_sid);
}

core::Result<rooms::RoomPage> SqliteRoomStore::list(const core::TenantId& tenant,
                                                    const rooms::RoomListQuery& query) {
  std::optional<PageCursor> after;
  if (query.cursor) {
    after = decode_page_cursor(*query.cursor);
    if (!after) {
      return core::Error::invalid_argument("invalid_cursor", "cursor is not one this API returned");
    }
  }
  // Four fixed statements (status filter or not, cursor or not), so each stays prepared.
  std::string sql = "SELECT " + kRoomColumns + " FROM rooms r WHERE r.tenant_id = ?1";
  if (query.status)
    sql += " AND r.status = ?2";
  if (after)
    sql += " AND (r.created_at < ?3 OR (r.created_at = ?3 AND r.room_id < ?4))";
  sql += " ORDER BY r.created_at DESC, r.room_id DESC LIMIT ?5";
  return db_.read([&](Connection& c) -> core::Result<rooms::RoomPage> {
    auto stmt = c.prepare(sql);
    if (!stmt)
      return std::move(stmt).take_error();
    (*stmt)->bind(1, tenant.value());
    if (query.status)
      (*stmt)->bind(2, rooms::to_string(*query.status));
    if (after)
      (*stmt)->bind(3, after->created_at_ms).bind(4, after->id);
    // One more than asked for tells whether another page follows.
    (*stmt)->bind(5, static_cast<std::int64_t>(query.limit) + 1);
    auto rows = read_rooms(**stmt, query.limit + 1);
    if (!rows)
      return std::move(rows).take_error();
    rooms::RoomPage page;
    page.rooms = std::move(rows).value();
    if (page.rooms.size() > query.limit) {
      page.rooms.resize(query.limit);
      if (!page.rooms.empty())
        page.next_cursor = encode_page_cursor(to_millis(page.rooms.back().created_at),
                                              page.rooms.back().id.value());
    }
    return page;
  });
}

core::Result<RoomView> SqliteRoomStore::link_provider_room(
    const core::TenantId& tenant, const core::RoomId& room_id, const std::string& provider_room_sid,
    std::span<const rooms::RoomEvent> confirmed, core::TimePoint now) {
  if (provider_room_sid.empty())
    return core::Error::internal("link_provider_room needs the provider's room SID");
  return db_.write([&](Connection& c) -> core::Result<RoomView> {
    auto found = load_room(c, kSelectRoom, tenant, room_id.value());
    if (!found)
      return std::move(found).take_error();
    if (!*found)
      return room_not_found(room_id);
    Room room = std::move(**found);
    if (room.provider_room_sid && *room.provider_room_sid != provider_room_sid) {
      return core::Error::conflict("room_already_linked", "room " + room_id.value() +
                                                              " is linked to another provider "
                                                              "room");
    }
    auto stored = load_state(c, tenant, provider_room_sid);
    if (!stored)
      return std::move(stored).take_error();
    RoomState state = std::move(*stored).value_or(RoomState{});
    for (const auto& event : confirmed)
      (void)rooms::apply(state, event);

    room.provider_room_sid = provider_room_sid;
    if (room.status == RoomLifecycle::kCreating)
      room.status = RoomLifecycle::kInProgress;
    (void)rooms::project_state(room, state);
    room.updated_at = now;
    if (auto s = update_room(c, room); !s)
      return std::move(s).take_error();
    // An unknown state (no event yet) has nothing worth storing; a later event creates the row.
    if (state.status != rooms::RoomStatus::kUnknown) {
      if (auto s = save_state(c, tenant, provider_room_sid, state, now); !s)
        return std::move(s).take_error();
    }
    if (auto s = attach_events(c, room); !s)
      return std::move(s).take_error();
    return RoomView{std::move(room), std::move(state)};
  });
}

core::Status SqliteRoomStore::mark_failed(const core::TenantId& tenant, const core::RoomId& room,
                                          const std::string& reason, core::TimePoint now) {
  return db_.write([&](Connection& c) -> core::Status {
    static const std::string kSql =
        "UPDATE rooms SET status = 'failed', end_reason = ?, updated_at = ? "
        "WHERE tenant_id = ? AND room_id = ? AND status = 'creating'";
    auto stmt = c.prepare(kSql);
    if (!stmt)
      return std::move(stmt).take_error();
    (*stmt)->bind(1, reason).bind(2, to_millis(now)).bind(3, tenant.value()).bind(4, room.value());
    if (auto s = (*stmt)->run(); !s)
      return s;
    if ((*stmt)->changes() > 0)
      return {};
    auto found = load_room(c, kSelectRoom, tenant, room.value());
    if (!found)
      return std::move(found).take_error();
    return *found ? core::Status() : core::Status(room_not_found(room));
  });
}

core::Result<RoomView> SqliteRoomStore::apply_confirmed(const core::TenantId& tenant,
                                                        const core::RoomId& room_id,
                                                        std::span<const rooms::RoomEvent> confirmed,
                                                        std::optional<std::string> end_reason,
                                                        core::TimePoint now) {
  return db_.write([&](Connection& c) -> core::Result<RoomView> {
    auto found = load_room(c, kSelectRoom, tenant, room_id.value());
    if (!found)
      return std::move(found).take_error();
    if (!*found)
      return room_not_found(room_id);
    Room room = std::move(**found);
    if (!room.provider_room_sid) {
      return core::Error::conflict("room_not_linked",
                                   "room " + room_id.value() + " has no provider room yet");
    }
    auto stored = load_state(c, tenant, *room.provider_room_sid);
    if (!stored)
      return std::move(stored).take_error();
    RoomState state = std::move(*stored).value_or(RoomState{});

    Folded folded;
    for (const auto& event : confirmed)
      folded.state_changed = rooms::apply(state, event).state_changed || folded.state_changed;
    if (end_reason)
      folded.room_changed = rooms::record_end_reason(room, state, *end_reason);
    folded.room_changed = rooms::project_state(room, state) || folded.room_changed;
    if (folded.room_changed)
      room.updated_at = now;
    if (auto s = persist(c, room, state, folded, now); !s)
      return std::move(s).take_error();
    return RoomView{std::move(room), std::move(state)};
  });
}

core::Status SqliteRoomStore::set_recording(const core::TenantId& tenant, const core::RoomId& room,
                                            bool recording, core::TimePoint now) {
  return db_.write([&](Connection& c) -> core::Status {
    static const std::string kSql =
        "UPDATE rooms SET recording = ?1, ever_recorded = (ever_recorded OR ?1), updated_at = ?2 "
        "WHERE tenant_id = ?3 AND room_id = ?4";
    auto stmt = c.prepare(kSql);
    if (!stmt)
      return std::move(stmt).take_error();
    (*stmt)
        ->bind(1, std::int64_t{recording ? 1 : 0})
        .bind(2, to_millis(now))
        .bind(3, tenant.value())
        .bind(4, room.value());
    if (auto s = (*stmt)->run(); !s)
      return s;
    return (*stmt)->changes() > 0 ? core::Status() : core::Status(room_not_found(room));
  });
}

core::Result<std::vector<Room>> SqliteRoomStore::list_creating(core::TimePoint before,
                                                               std::size_t limit) {
  return db_.read([&](Connection& c) -> core::Result<std::vector<Room>> {
    // Spelled like the partial index's WHERE so the planner can use it.
    static const std::string kSql =
        "SELECT " + kRoomColumns +
        " FROM rooms r WHERE r.status = 'creating' AND r.created_at < ? "
        "ORDER BY r.created_at, r.tenant_id, r.room_id LIMIT ?";
    auto stmt = c.prepare(kSql);
    if (!stmt)
      return std::move(stmt).take_error();
    (*stmt)->bind(1, to_millis(before)).bind(2, static_cast<std::int64_t>(limit));
    return read_rooms(**stmt, limit);
  });
}

core::Result<std::vector<rooms::ReconcileCandidate>> SqliteRoomStore::list_to_reconcile(
    core::TimePoint reconciled_before, std::size_t limit) {
  return db_.read([&](Connection& c) -> core::Result<std::vector<rooms::ReconcileCandidate>> {
    // Walks the partial index rooms_to_reconcile (spelled like its WHERE) in reconciled_at
    // order, NULLs (never reconciled) first, and stops after `limit` rows: at worst it reads
    // every in-progress room, never the ended history (the contract test checks the plan).
    static const std::string kSql =
        "SELECT " + kRoomColumns +
        ", r.reconciled_at FROM rooms r "
        "WHERE r.status = 'in-progress' AND r.provider_room_sid IS NOT NULL "
        "AND (r.reconciled_at IS NULL OR r.reconciled_at < ?1) "
        "ORDER BY r.reconciled_at LIMIT ?2";
    auto stmt = c.prepare(kSql);
    if (!stmt)
      return std::move(stmt).take_error();
    (*stmt)->bind(1, to_millis(reconciled_before)).bind(2, static_cast<std::int64_t>(limit));
    std::vector<rooms::ReconcileCandidate> out;
    while (out.size() < limit) {
      auto row = (*stmt)->step();
      if (!row)
        return std::move(row).take_error();
      if (!*row)
        break;
      auto room = read_room(**stmt);
      if (!room)
        return std::move(room).take_error();
      out.push_back(
          {std::move(room).value(), from_millis((*stmt)->optional_int64(kRoomColumnCount))});
    }
    return out;
  });
}

core::Status SqliteRoomStore::mark_reconciled(const core::TenantId& tenant,
                                              const core::RoomId& room, core::TimePoint now) {
  return db_.write([&](Connection& c) -> core::Status {
    static const std::string kSql =
        "UPDATE rooms SET reconciled_at = ? WHERE tenant_id = ? AND room_id = ?";
    auto stmt = c.prepare(kSql);
    if (!stmt)
      return std::move(stmt).take_error();
    (*stmt)->bind(1, to_millis(now)).bind(2, tenant.value()).bind(3, room.value());
    if (auto s = (*stmt)->run(); !s)
      return s;
    return (*stmt)->changes() > 0 ? core::Status() : core::Status(room_not_found(room));
  });
}

core::Status SqliteRoomStore::add_speaker_change(const core::TenantId& tenant,
                                                 const rooms::SpeakerChange& change) {
  return db_.write([&](Connection& c) -> core::Status {
    auto found = load_room(c, kSelectRoom, tenant, change.room_id.value());
    if (!found)
      return std::move(found).take_error();
    if (!*found)
      return room_not_found(change.room_id);
    static const std::string kSql =
        "INSERT INTO speaker_changes (tenant_id, room_id, seq, reporter_participant_sid, "
        "speaker_participant_sid, speaker_identity, at) VALUES (?1, ?2, "
        "(SELECT COALESCE(MAX(seq), 0) + 1 FROM speaker_changes WHERE tenant_id = ?1 AND "
        "room_id = ?2), ?3, ?4, ?5, ?6)";
    auto stmt = c.prepare(kSql);
    if (!stmt)
      return std::move(stmt).take_error();
    (*stmt)
        ->bind(1, tenant.value())
        .bind(2, change.room_id.value())
        .bind(3, change.reporter_participant_sid)
        .bind(4, change.speaker_participant_sid)
        .bind(5, change.speaker_identity)
        .bind(6, to_millis(change.at));
    return (*stmt)->run();
  });
}

core::Result<std::vector<rooms::SpeakerChange>> SqliteRoomStore::speaker_changes(
    const core::TenantId& tenant, const core::RoomId& room) {
  return db_.read([&](Connection& c) -> core::Result<std::vector<rooms::SpeakerChange>> {
    static const std::string kSql =
        "SELECT reporter_participant_sid, speaker_participant_sid, speaker_identity, at "
        "FROM speaker_changes WHERE tenant_id = ? AND room_id = ? ORDER BY at, seq";
    auto stmt = c.prepare(kSql);
    if (!stmt)
      return std::move(stmt).take_error();
    (*stmt)->bind(1, tenant.value()).bind(2, room.value());
    std::vector<rooms::SpeakerChange> out;
    while (true) {
      auto row = (*stmt)->step();
      if (!row)
        return std::move(row).take_error();
      if (!*row)
        break;
      const auto& r = **stmt;
      out.push_back(
          rooms::SpeakerChange{room, r.text(0), r.text(1), r.text(2), from_millis(r.int64(3))});
    }
    return out;
  });
}

// --- SqliteEventLedger ---------------------------------------------------------------------

namespace {

// One provider room touched by a batch: its linked room and state, loaded once and written
// once at the end of the batch.
struct TouchedRoom {
  std::string key;  // tenant, NUL, provider room SID: the batch's and the cache's key
  core::TenantId tenant;
  std::string provider_room_sid;
  std::optional<Room> room;
  // Loaded on the first new event of the batch, so a batch of replays decodes nothing.
  bool state_loaded = false;
  RoomState state;
  std::optional<std::string> loaded_text;  // the stored text `state` came from, if any
  Folded folded;
  core::TimePoint last_received{};
};

class Batch {
 public:
  Batch(Connection& c, DecodedStateCache& cache) : c_(c), cache_(cache) {}

  // The batch's entry for (tenant, provider room), looking up the linked room on first use.
  core::Result<TouchedRoom*> touch(const core::TenantId& tenant, const std::string& sid) {
    key_.assign(tenant.value());
    key_ += '\0';
    key_ += sid;
    if (auto it = index_.find(key_); it != index_.end())
      return it->second;
    auto room = load_room(c_, kSelectRoomBySid, tenant, sid);
    if (!room)
      return std::move(room).take_error();
    auto entry = std::make_unique<TouchedRoom>();
    entry->key = key_;
    entry->tenant = tenant;
    entry->provider_room_sid = sid;
    entry->room = std::move(room).value();
    TouchedRoom* raw = entry.get();
    order_.push_back(std::move(entry));
    index_.emplace(key_, raw);
    return raw;
  }

  core::Status load_state(TouchedRoom& t) {
    if (t.state_loaded)
      return {};
    auto text = load_state_text(c_, t.tenant, t.provider_room_sid);
    if (!text)
      return std::move(text).take_error();
    if (*text) {
      if (auto cached = cache_.take(t.key, **text)) {
        t.state = std::move(*cached);
      } else {
        auto decoded = decode_stored_state(**text, t.tenant, t.provider_room_sid);
        if (!decoded)
          return std::move(decoded).take_error();
        t.state = std::move(decoded).value();
      }
      t.loaded_text = std::move(*text);
    }
    t.state_loaded = true;
    return {};
  }

  // Writes every touched room, then hands the states to the cache with the text now stored
  // (written, or as loaded when unchanged). Should the transaction roll back, the cached text no
  // longer matches what is stored, and the next load decodes.
  core::Status flush() {
    for (const auto& t : order_) {
      std::string written;
      if (t->room) {
        if (auto s = persist(c_, *t->room, t->state, t->folded, t->last_received, &written); !s) {
          return s;
        }
      } else if (t->folded.state_changed) {
        written = rooms::encode_state(t->state);
        if (auto s =
                save_state_text(c_, t->tenant, t->provider_room_sid, written, t->last_received);
            !s) {
          return s;
        }
      }
      if (t->folded.state_changed)
        cache_.put(t->key, std::move(written), std::move(t->state));
      else if (t->state_loaded && t->loaded_text)
        cache_.put(t->key, std::move(*t->loaded_text), std::move(t->state));
    }
    return {};
  }

 private:
  Connection& c_;
  DecodedStateCache& cache_;
  std::string key_;
  std::unordered_map<std::string, TouchedRoom*> index_;
  std::vector<std::unique_ptr<TouchedRoom>> order_;  // first-touched order, for the writes
};

core::Result<bool> record_event(Connection& c, const rooms::IngestItem& item,
                                const TouchedRoom* touched, bool applied) {
  static const std::string kSql =
      "INSERT INTO events (tenant_id, idempotency_key, room_id, provider_room_sid, event_name, "
      "sequence_number, occurred_at, received_at, applied, params) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
      "ON CONFLICT (tenant_id, provider_room_sid, idempotency_key) DO NOTHING";
  auto stmt = c.prepare(kSql);
  if (!stmt)
    return std::move(stmt).take_error();
  const auto& e = item.event;
  Statement& s = **stmt;
  s.bind(1, item.tenant.value()).bind(2, item.idempotency_key);
  if (touched && touched->room)
    s.bind(3, touched->room->id.value());
  else
    s.bind(3, std::nullopt);
  s.bind(4, e.room_sid)  // '' for no room: part of the key, where NULLs would never collide
      .bind(5, rooms::to_string(e.type))
      .bind_nullable(6, e.sequence_number);
  // An unknown event without a usable time carries the epoch: no time, not 1970.
  if (e.occurred_at == core::TimePoint{})
    s.bind(7, std::nullopt);
  else
    s.bind(7, to_millis(e.occurred_at));
  s.bind(8, to_millis(item.received_at))
      .bind(9, std::int64_t{applied ? 1 : 0})
      .bind(10, item.params_json.empty() ? std::string_view("{}") : item.params_json);
  if (auto done = s.run(); !done)
    return std::move(done).take_error();
  return s.changes() > 0;
}

core::Status mark_not_applied(Connection& c, const rooms::IngestItem& item) {
  static const std::string kSql =
      "UPDATE events SET applied = 0 "
      "WHERE tenant_id = ? AND provider_room_sid = ? AND idempotency_key = ?";
  auto stmt = c.prepare(kSql);
  if (!stmt)
    return std::move(stmt).take_error();
  (*stmt)->bind(1, item.tenant.value()).bind(2, item.event.room_sid).bind(3, item.idempotency_key);
  return (*stmt)->run();
}

}  // namespace

core::Result<std::vector<rooms::IngestOutcome>> SqliteEventLedger::ingest(
    std::span<const rooms::IngestItem> items) {
  if (items.empty())
    return std::vector<rooms::IngestOutcome>();
  return db_.write([&](Connection& c) -> core::Result<std::vector<rooms::IngestOutcome>> {
    std::vector<rooms::IngestOutcome> outcomes(items.size());
    Batch batch(c, cache_);
    for (std::size_t i = 0; i < items.size(); ++i) {
      const auto& item = items[i];
      const auto& event = item.event;
      auto& outcome = outcomes[i];

      TouchedRoom* touched = nullptr;
      if (!event.room_sid.empty()) {
        auto entry = batch.touch(item.tenant, event.room_sid);
        if (!entry)
          return std::move(entry).take_error();
        touched = *entry;
      }
      // events.applied says whether the event was folded into room state. Known events almost
      // always are, so it is written as such and corrected in the rare case apply() ignores one,
      // which saves a statement per item.
      const bool expect_applied = touched && event.type != rooms::RoomEventType::kUnknown;
      auto recorded = record_event(c, item, touched, expect_applied);
      if (!recorded)
        return std::move(recorded).take_error();
      outcome.duplicate = !*recorded;
      if (outcome.duplicate) {
        // The ledger holds it already, and the state with it: nothing to fold.
      } else if (expect_applied) {
        if (auto s = batch.load_state(*touched); !s)
          return std::move(s).take_error();
        outcome.applied = rooms::apply(touched->state, event);
        if (outcome.applied.state_changed) {
          touched->folded.state_changed = true;
          touched->last_received = item.received_at;
          if (touched->room && rooms::project_state(*touched->room, touched->state)) {
            touched->room->updated_at = item.received_at;
            touched->folded.room_changed = true;
          }
        }
        if (outcome.applied.ignored != rooms::IgnoredReason::kNone) {
          if (auto s = mark_not_applied(c, item); !s)
            return std::move(s).take_error();
        }
      } else {
        // Only reports why: an event without a room or of an unknown type changes no state.
        RoomState scratch;
        outcome.applied = rooms::apply(scratch, event);
      }
      if (touched && touched->room) {
        outcome.room = touched->room->id;
        outcome.room_after = *touched->room;
      }
    }
    if (auto s = batch.flush(); !s)
      return std::move(s).take_error();
    return outcomes;
  });
}

std::optional<RoomState> DecodedStateCache::take(const std::string& key,
                                                 std::string_view stored_text) {
  const auto it = entries_.find(key);
  if (it == entries_.end())
    return std::nullopt;
  std::optional<RoomState> state;
  if (it->second.text == stored_text)
    state = std::move(it->second.state);
  entries_.erase(it);
  return state;
}

void DecodedStateCache::put(const std::string& key, std::string text, RoomState state) {
  if (capacity_ == 0)
    return;
  if (entries_.size() >= capacity_ && !entries_.contains(key))
    entries_.erase(entries_.begin());  // any one: a miss costs a decode, nothing more
  entries_.insert_or_assign(key, Entry{std::move(text), std::move(state)});
}

}  // namespace roomplane::storage
