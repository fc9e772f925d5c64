#pragma once
// Shared by the composition worker tests: the real SQLite stores on a temporary database, a
// scripted provider (StrictMock: an unexpected provider call fails the test), a manual clock,
// a notifier that records what it was given, and builders for ended recorded rooms.

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "compositions/starter.h"
#include "compositions/tracker.h"
#include "storage/sqlite_composition_store.h"
#include "support/manual_clock.h"
#include "unit/room_store/room_store_fixture.h"
#include "unit/video/mock_video_provider.h"

namespace roomplane::compositions::testing {

using storage::testing::at_ms;
using storage::testing::kTenantA;
using storage::testing::kTenantB;
using ::testing::_;
using ::testing::Return;
using ::testing::StrictMock;

class RecordingNotifier final : public realtime::Notifier {
 public:
  void publish(realtime::RoomNotification n) override {
    std::lock_guard lock(mutex_);
    published_.push_back(std::move(n));
  }
  std::vector<realtime::RoomNotification> published() const {
    std::lock_guard lock(mutex_);
    return published_;
  }
  std::vector<std::string> statuses() const {
    std::vector<std::string> out;
    for (const auto& n : published())
      out.push_back(n.payload.value("status", ""));
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<realtime::RoomNotification> published_;
};

inline video::CompositionInfo provider_composition(const std::string& sid, const std::string& room,
                                                   video::CompositionStatus status) {
  video::CompositionInfo c;
  c.sid = sid;
  c.room_sid = room;
  c.status = status;
  if (status == video::CompositionStatus::kCompleted) {
    c.size_bytes = 1234;
    c.duration_seconds = 600;
  }
  return c;
}

class CompositionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::SqliteOptions options{dir_.file("rp.db")};
    auto opened = storage::SqliteDatabase::open(options);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    db_ = std::move(opened).value();
    ASSERT_TRUE(db_->migrate().ok());
    for (const auto* tenant : {&kTenantA, &kTenantB}) {
      exec("INSERT INTO tenants (tenant_id, name, settings, created_at, updated_at) VALUES ('" +
           tenant->value() + "', 'clinic', '{}', 0, 0)");
    }
    rooms_ = std::make_unique<storage::SqliteRoomStore>(*db_);
    store_ = std::make_unique<storage::SqliteCompositionStore>(*db_);
    clock_.set(at_ms(10'000));
    policy_.max_attempts = 3;
    policy_.retry_initial = std::chrono::seconds(30);
    policy_.retry_max = std::chrono::minutes(10);
    policy_.poll_min = std::chrono::seconds(5);
    policy_.poll_max = std::chrono::minutes(1);
    policy_.deadline_factor = 2.0;
    policy_.deadline_floor = std::chrono::minutes(5);
  }

  rooms::TenantContextLookup tenants() {
    return [this](const core::TenantId&) -> core::Result<rooms::TenantContext> {
      if (tenant_lookup_error_)
        return *tenant_lookup_error_;
      rooms::TenantContext context;
      context.settings = settings_;
      context.credentials = tenants::ProviderCredentials{"AC1", "SK1", "secret", "token"};
      return context;
    };
  }

  std::unique_ptr<CompositionStarter> starter(const std::string& owner = "starter-1") {
    StarterOptions options;
    options.public_url = "https://rp.example";
    options.owner = owner;
    options.batch = 10;
    options.lease = std::chrono::minutes(2);
    options.policy = policy_;
    return std::make_unique<CompositionStarter>(*store_, provider_, tenants(), notifier_, clock_,
                                                options, metrics_, observability::Logger());
  }
  std::unique_ptr<CompositionTracker> tracker(const std::string& owner = "tracker-1") {
    TrackerOptions options;
    options.owner = owner;
    options.batch = 10;
    options.lease = std::chrono::minutes(2);
    options.policy = policy_;
    return std::make_unique<CompositionTracker>(*store_, provider_, tenants(), notifier_, clock_,
                                                options, metrics_, observability::Logger());
  }

  // A room that ran from `started` for `seconds` and ended, with recording on or off.
  void ended_room(const core::TenantId& tenant, const std::string& id, const std::string& sid,
                  bool recorded, std::int64_t started, std::int64_t seconds) {
    auto room = storage::testing::new_room(tenant, id, at_ms(started));
    room.record = recorded;
    room.recording = recorded;
    ASSERT_TRUE(rooms_->insert(room).ok());
    std::vector<rooms::RoomEvent> created = {
        storage::testing::room_created(sid, at_ms(started), 0)};
    ASSERT_TRUE(rooms_->link_provider_room(tenant, room.id, sid, created, at_ms(started)).ok());
    std::vector<rooms::RoomEvent> ended = {
        storage::testing::room_ended(sid, at_ms(started + seconds), 9)};
    ASSERT_TRUE(
        rooms_->apply_confirmed(tenant, room.id, ended, std::nullopt, at_ms(started + seconds))
            .ok());
  }

  void exec(const std::string& sql) {
    auto done = db_->write([&](storage::sqlite::Connection& c) { return c.exec(sql); });
    ASSERT_TRUE(done.ok()) << done.error().message;
  }
  std::vector<std::string> column(const std::string& sql) {
    auto rows =
        db_->read([&](storage::sqlite::Connection& c) -> core::Result<std::vector<std::string>> {
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
    return rows ? *rows : std::vector<std::string>{};
  }

  Composition only(const core::TenantId& tenant = kTenantA) {
    auto page = store_->list(tenant, {});
    EXPECT_TRUE(page.ok());
    EXPECT_EQ(page->compositions.size(), 1u);
    return page->compositions.empty() ? Composition{} : page->compositions.front();
  }

  roomplane::testing::TempDir dir_;
  std::unique_ptr<storage::SqliteDatabase> db_;
  std::unique_ptr<storage::SqliteRoomStore> rooms_;
  std::unique_ptr<storage::SqliteCompositionStore> store_;
  StrictMock<video::testing::MockVideoProvider> provider_;
  RecordingNotifier notifier_;
  roomplane::testing::ManualClock clock_;
  observability::MetricsRegistry metrics_;
  Policy policy_;
  tenants::TenantSettings settings_;
  std::optional<core::Error> tenant_lookup_error_;
};

}  // namespace roomplane::compositions::testing
