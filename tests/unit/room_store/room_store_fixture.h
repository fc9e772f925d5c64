#pragma once
// A migrated SQLite database in a temporary directory with two tenants, the room store and the
// event ledger over it, and builders for rooms and provider events.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "rooms/room.h"
#include "rooms/room_events.h"
#include "rooms/stores.h"
#include "storage/sqlite_database.h"
#include "storage/sqlite_room_store.h"
#include "support/temp_dir.h"

namespace roomplane::storage::testing {

using core::RoomId;
using core::TenantId;
using rooms::RoomEvent;
using rooms::RoomEventType;

inline const TenantId kTenantA("tn_aaaa");
inline const TenantId kTenantB("tn_bbbb");

// Seconds after a fixed base time, plus nanoseconds so that a store that rounds is caught.
inline core::TimePoint at(std::int64_t seconds, std::int64_t nanos = 0) {
  return core::from_unix_seconds(1'790'000'000 + seconds) + std::chrono::nanoseconds(nanos);
}
// The same, at the millisecond precision the room rows keep.
inline core::TimePoint at_ms(std::int64_t seconds, std::int64_t millis = 0) {
  return core::from_unix_seconds(1'790'000'000 + seconds) + std::chrono::milliseconds(millis);
}

inline rooms::Room new_room(const TenantId& tenant, const std::string& id,
                            core::TimePoint created) {
  rooms::Room room;
  room.tenant_id = tenant;
  room.id = RoomId(id);
  room.name = "Consultation " + id;
  room.type = video::RoomType::kGroupSmall;
  room.max_participants = 4;
  room.record = true;
  room.recording = true;
  room.empty_room_timeout_minutes = 5;
  room.provider_room_name = id;
  room.created_at = created;
  room.updated_at = created;
  return room;
}

// Every field, so rooms compare with a readable failure message.
inline std::string describe(const rooms::Room& r) {
  auto t = [](const std::optional<core::TimePoint>& p) {
    return p ? std::to_string(p->time_since_epoch().count()) : std::string("-");
  };
  return r.tenant_id.value() + "|" + r.id.value() + "|" + r.name + "|" +
         std::string(video::to_string(r.type)) + "|" +
         (r.max_participants ? std::to_string(*r.max_participants) : "-") + "|" +
         (r.record ? "rec" : "norec") + "|" + (r.recording ? "on" : "off") + "|" +
         (r.empty_room_timeout_minutes ? std::to_string(*r.empty_room_timeout_minutes) : "-") +
         "|" + r.provider_room_name + "|" + r.provider_room_sid.value_or("-") + "|" +
         std::string(rooms::to_string(r.status)) + "|" + r.end_reason + "|" + t(r.created_at) +
         "|" + t(r.updated_at) + "|" + t(r.started_at) + "|" + t(r.ended_at);
}

// --- Provider events ---------------------------------------------------------------------------

inline RoomEvent event(RoomEventType type, const std::string& room_sid, core::TimePoint when,
                       std::optional<std::int64_t> sequence) {
  RoomEvent e;
  e.type = type;
  e.raw_name = std::string(rooms::to_string(type));
  e.room_sid = room_sid;
  e.room_name = "provider-name-" + room_sid;
  e.occurred_at = when;
  e.sequence_number = sequence;
  return e;
}
inline RoomEvent room_created(const std::string& room, core::TimePoint when, std::int64_t seq) {
  return event(RoomEventType::kRoomCreated, room, when, seq);
}
inline RoomEvent room_ended(const std::string& room, core::TimePoint when, std::int64_t seq,
                            bool failed = false) {
  auto e = event(RoomEventType::kRoomEnded, room, when, seq);
  e.room_failed = failed;
  return e;
}
inline RoomEvent participant(RoomEventType type, const std::string& room, const std::string& sid,
                             const std::string& identity, core::TimePoint when, std::int64_t seq) {
  auto e = event(type, room, when, seq);
  e.participant_sid = sid;
  e.participant_identity = identity;
  return e;
}
inline RoomEvent connected(const std::string& room, const std::string& sid,
                           const std::string& identity, core::TimePoint when, std::int64_t seq) {
  return participant(RoomEventType::kParticipantConnected, room, sid, identity, when, seq);
}
inline RoomEvent disconnected(const std::string& room, const std::string& sid,
                              const std::string& identity, core::TimePoint when, std::int64_t seq) {
  return participant(RoomEventType::kParticipantDisconnected, room, sid, identity, when, seq);
}
inline RoomEvent track(RoomEventType type, const std::string& room, const std::string& participant,
                       const std::string& track_sid, rooms::TrackKind kind, core::TimePoint when,
                       std::int64_t seq) {
  auto e = event(type, room, when, seq);
  e.participant_sid = participant;
  e.track_sid = track_sid;
  e.track_kind = kind;
  e.track_name = std::string(rooms::to_string(kind)) + "-track";
  return e;
}
inline RoomEvent recording(RoomEventType type, const std::string& room, const std::string& sid,
                           const std::string& participant, const std::string& source,
                           core::TimePoint when, std::int64_t seq) {
  auto e = event(type, room, when, seq);
  e.recording_sid = sid;
  e.participant_sid = participant;
  e.recording_source_sid = source;
  e.track_kind = rooms::TrackKind::kAudio;
  e.track_name = "audio-track";
  return e;
}
inline RoomEvent composition(RoomEventType type, const std::string& room, const std::string& sid,
                             core::TimePoint when) {
  auto e = event(type, room, when, std::nullopt);
  e.composition_sid = sid;
  return e;
}

// A whole recorded consultation of `room_sid`: two participants (one drops and rejoins with a
// new SID), tracks toggled, recordings (one fails), the room ends, a composition completes, a
// hook fails, and one event the provider added that nobody knows.
inline std::vector<RoomEvent> consultation(const std::string& room) {
  using T = RoomEventType;
  using K = rooms::TrackKind;
  std::vector<RoomEvent> out;
  std::int64_t seq = 0;
  out.push_back(room_created(room, at(0, 120), seq++));
  out.push_back(connected(room, "PA1", "doctor", at(5, 1), seq++));
  out.push_back(track(T::kTrackAdded, room, "PA1", "MT1a", K::kAudio, at(6), seq++));
  out.push_back(track(T::kTrackAdded, room, "PA1", "MT1v", K::kVideo, at(6), seq++));
  out.push_back(recording(T::kRecordingStarted, room, "RT1", "PA1", "MT1a", at(6, 5), seq++));
  out.push_back(connected(room, "PA2", "patient", at(9, 999'999), seq++));
  out.push_back(track(T::kTrackAdded, room, "PA2", "MT2a", K::kAudio, at(10), seq++));
  out.push_back(recording(T::kRecordingStarted, room, "RT2", "PA2", "MT2a", at(10), seq++));
  out.push_back(track(T::kTrackDisabled, room, "PA1", "MT1v", K::kVideo, at(20), seq++));
  out.push_back(track(T::kTrackEnabled, room, "PA1", "MT1v", K::kVideo, at(20), seq++));
  auto dropped = disconnected(room, "PA2", "patient", at(30), seq++);
  dropped.participant_duration_seconds = 21;
  out.push_back(dropped);
  out.push_back(connected(room, "PA3", "patient", at(33), seq++));
  auto unknown = event(T::kUnknown, room, at(34), seq++);
  unknown.raw_name = "network-quality-changed";
  out.push_back(unknown);
  auto done = recording(T::kRecordingCompleted, room, "RT1", "PA1", "MT1a", at(60), seq++);
  done.recording_duration_seconds = 54;
  done.recording_size_bytes = 123'456;
  done.recording_media_uri = "/v1/Recordings/RT1/Media";
  out.push_back(done);
  auto failed = recording(T::kRecordingFailed, room, "RT2", "PA2", "MT2a", at(61), seq++);
  failed.recording_error = "upload failed";
  out.push_back(failed);
  out.push_back(disconnected(room, "PA1", "doctor", at(62), seq++));
  auto ended = room_ended(room, at(63, 42), seq++);
  ended.room_duration_seconds = 63;
  out.push_back(ended);
  auto enqueued = composition(T::kCompositionEnqueued, room, "CJ1", at(64));
  enqueued.composition_hook_sid = "HK1";
  out.push_back(enqueued);
  auto progress = composition(T::kCompositionProgress, room, "CJ1", at(70));
  progress.composition_progress_percent = 40;
  out.push_back(progress);
  auto available = composition(T::kCompositionAvailable, room, "CJ1", at(80));
  available.composition_duration_seconds = 63;
  available.composition_size_bytes = 9'999'999;
  available.composition_media_uri = "/v1/Compositions/CJ1/Media";
  out.push_back(available);
  auto hook = event(T::kCompositionHookFailed, room, at(81), std::nullopt);
  hook.composition_hook_sid = "HK2";
  hook.composition_error = "no tracks matched";
  out.push_back(hook);
  return out;
}

// A stable idempotency key per distinct event, as the webhook layer derives one.
inline std::string key_of(const RoomEvent& e) {
  return e.room_sid + "/" + std::string(rooms::to_string(e.type)) + "/" + e.raw_name + "/" +
         e.participant_sid + e.track_sid + e.recording_sid + e.composition_sid +
         e.composition_hook_sid + "/" +
         (e.sequence_number ? std::to_string(*e.sequence_number) : std::string("-")) + "/" +
         std::to_string(e.occurred_at.time_since_epoch().count());
}

inline rooms::IngestItem item(const TenantId& tenant, const RoomEvent& e,
                              core::TimePoint received = at_ms(1000)) {
  return rooms::IngestItem{tenant, key_of(e), e, R"({"RoomSid":")" + e.room_sid + R"("})",
                           received};
}

class RoomStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SqliteOptions options{dir_.file("rp.db")};
    options.readers = 1;  // so a test can watch the one reader connection
    auto opened = SqliteDatabase::open(options);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    db_ = std::move(opened).value();
    auto migrated = db_->migrate();
    ASSERT_TRUE(migrated.ok()) << migrated.error().message;
    for (const auto* tenant : {&kTenantA, &kTenantB}) {
      exec("INSERT INTO tenants (tenant_id, name, settings, created_at, updated_at) VALUES ('" +
           tenant->value() + "', 'clinic', '{}', 0, 0)");
    }
    store_ = std::make_unique<SqliteRoomStore>(*db_);
    ledger_ = std::make_unique<SqliteEventLedger>(*db_);
  }

  void exec(const std::string& sql) {
    auto done = db_->write([&](sqlite::Connection& c) { return c.exec(sql); });
    ASSERT_TRUE(done.ok()) << done.error().message;
  }

  // The first column of every row of `sql`, as text.
  std::vector<std::string> column(const std::string& sql) {
    auto rows = db_->read([&](sqlite::Connection& c) -> core::Result<std::vector<std::string>> {
      auto stmt = c.prepare(sql);
      if (!stmt)
        return std::move(stmt).take_error();
      std::vector<std::string> out;
      while (true) {
        auto row = (*stmt)->step();
        if (!row)
          return std::move(row).take_error();
        if (!*row)
          break;
        out.push_back((*stmt)->optional_text(0).value_or("NULL"));
      }
      return out;
    });
    EXPECT_TRUE(rows.ok()) << rows.error().message;
    return rows.ok() ? *rows : std::vector<std::string>{};
  }
  std::string scalar(const std::string& sql) {
    auto rows = column(sql);
    return rows.empty() ? std::string("<none>") : rows.front();
  }

  // Inserts a room and links it to `sid` with no confirmed events.
  rooms::Room linked_room(const TenantId& tenant, const std::string& id, const std::string& sid,
                          std::int64_t created_s = 0) {
    const auto room = new_room(tenant, id, at_ms(created_s));
    EXPECT_TRUE(store_->insert(room).ok());
    auto view = store_->link_provider_room(tenant, room.id, sid, {}, at_ms(created_s + 1));
    EXPECT_TRUE(view.ok()) << view.error().message;
    return view.ok() ? view->room : room;
  }

  std::vector<rooms::IngestOutcome> ingest(const std::vector<rooms::IngestItem>& items) {
    auto outcomes = ledger_->ingest(items);
    EXPECT_TRUE(outcomes.ok()) << outcomes.error().message;
    return outcomes.ok() ? *outcomes : std::vector<rooms::IngestOutcome>{};
  }

  ::roomplane::testing::TempDir dir_;
  std::unique_ptr<SqliteDatabase> db_;
  std::unique_ptr<SqliteRoomStore> store_;
  std::unique_ptr<SqliteEventLedger> ledger_;
};

}  // namespace roomplane::storage::testing
