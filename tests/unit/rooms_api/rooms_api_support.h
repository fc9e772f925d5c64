#pragma once
// Shared by the rooms_api tests: an in-memory RoomStore with the contract of rooms/stores.h
// (events folded with apply() and projected with project_state(), tenant-scoped look-ups) and
// switches that make a chosen call fail, a RoomCompositions answering what a test put there (or
// failing), a notifier that records what it was given, and builders for provider events.

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "realtime/notifier.h"
#include "rooms/room_compositions.h"
#include "rooms/room_state.h"
#include "rooms/stores.h"

namespace roomplane::rooms::testing {

inline core::TimePoint at(int seconds) {
  return core::from_unix_seconds(1'700'000'000 + seconds);
}

inline RoomEvent provider_event(RoomEventType type, const std::string& room_sid, int seconds) {
  RoomEvent e;
  e.type = type;
  e.raw_name = std::string(to_string(type));
  e.room_sid = room_sid;
  e.occurred_at = at(seconds);
  return e;
}

inline RoomEvent participant_event(RoomEventType type, const std::string& room_sid,
                                   const std::string& sid, const std::string& identity,
                                   int seconds) {
  RoomEvent e = provider_event(type, room_sid, seconds);
  e.participant_sid = sid;
  e.participant_identity = identity;
  return e;
}

class FakeRoomStore final : public RoomStore {
 public:
  // Set to make the next call of that kind fail with this error (then it is cleared).
  std::optional<core::Error> fail_link;
  std::optional<core::Error> fail_mark_failed;
  std::optional<core::Error> fail_add_speaker_change;

  core::Status insert(const Room& room) override {
    std::lock_guard lock(mutex_);
    const auto key = std::make_pair(room.tenant_id, room.id);
    if (rooms_.contains(key))
      return core::Error::conflict("room_exists", "room exists");
    rooms_[key] = RoomView{room, {}};
    return {};
  }

  core::Result<std::optional<RoomView>> find(const core::TenantId& tenant,
                                             const core::RoomId& room) override {
    std::lock_guard lock(mutex_);
    ++finds;
    const auto it = rooms_.find({tenant, room});
    if (it == rooms_.end())
      return std::optional<RoomView>();
    return std::optional<RoomView>(it->second);
  }

  core::Result<std::optional<Room>> find_row(const core::TenantId& tenant,
                                             const core::RoomId& room) override {
    auto view = find(tenant, room);
    if (!view)
      return std::move(view).take_error();
    if (!*view)
      return std::optional<Room>();
    return std::optional<Room>((*view)->room);
  }

  core::Result<std::optional<RoomView>> find_by_provider_sid(const core::TenantId& tenant,
                                                             std::string_view sid) override {
    std::lock_guard lock(mutex_);
    for (const auto& [key, view] : rooms_) {
      if (key.first == tenant && view.room.provider_room_sid == sid)
        return std::optional<RoomView>(view);
    }
    return std::optional<RoomView>();
  }

  // Offset cursors: enough for the service tests (the SQLite store has its own contract test).
  core::Result<RoomPage> list(const core::TenantId& tenant, const RoomListQuery& query) override {
    std::lock_guard lock(mutex_);
    std::vector<Room> all;
    for (const auto& [key, view] : rooms_) {
      if (key.first == tenant && (!query.status || view.room.status == *query.status))
        all.push_back(view.room);
    }
    std::sort(all.begin(), all.end(), [](const Room& a, const Room& b) {
      return std::tie(a.created_at, a.id) > std::tie(b.created_at, b.id);
    });
    std::size_t offset = 0;
    if (query.cursor) {
      try {
        offset = std::stoul(*query.cursor);
      } catch (...) {
        return core::Error::invalid_argument("invalid_cursor", "bad cursor");
      }
    }
    RoomPage page;
    for (std::size_t i = offset; i < all.size() && page.rooms.size() < query.limit; ++i)
      page.rooms.push_back(all[i]);
    if (offset + page.rooms.size() < all.size())
      page.next_cursor = std::to_string(offset + page.rooms.size());
    return page;
  }

  core::Result<RoomView> link_provider_room(const core::TenantId& tenant, const core::RoomId& room,
                                            const std::string& provider_room_sid,
                                            std::span<const RoomEvent> confirmed,
                                            core::TimePoint now) override {
    std::lock_guard lock(mutex_);
    if (fail_link) {
      auto error = *fail_link;
      fail_link.reset();
      return error;
    }
    const auto it = rooms_.find({tenant, room});
    if (it == rooms_.end())
      return core::Error::not_found("room_not_found", "no room");
    auto& view = it->second;
    if (view.room.status == RoomLifecycle::kCreating) {
      view.room.provider_room_sid = provider_room_sid;
      view.room.status = RoomLifecycle::kInProgress;
    }
    for (const auto& event : confirmed)
      (void)apply(view.state, event);
    project_state(view.room, view.state);
    view.room.updated_at = now;
    return view;
  }

  core::Status mark_failed(const core::TenantId& tenant, const core::RoomId& room,
                           const std::string& reason, core::TimePoint now) override {
    std::lock_guard lock(mutex_);
    if (fail_mark_failed) {
      auto error = *fail_mark_failed;
      fail_mark_failed.reset();
      return error;
    }
    const auto it = rooms_.find({tenant, room});
    if (it == rooms_.end())
      return core::Error::not_found("room_not_found", "no room");
    auto& r = it->second.room;
    if (r.status == RoomLifecycle::kCreating) {
      r.status = RoomLifecycle::kFailed;
      r.end_reason = reason;
      r.ended_at = now;
      r.updated_at = now;
    }
    return {};
  }

  core::Result<RoomView> apply_confirmed(const core::TenantId& tenant, const core::RoomId& room,
                                         std::span<const RoomEvent> confirmed,
                                         std::optional<std::string> end_reason,
                                         core::TimePoint now) override {
    std::lock_guard lock(mutex_);
    const auto it = rooms_.find({tenant, room});
    if (it == rooms_.end())
      return core::Error::not_found("room_not_found", "no room");
    auto& view = it->second;
    for (const auto& event : confirmed)
      (void)apply(view.state, event);
    if (end_reason)
      record_end_reason(view.room, view.state, *end_reason);
    project_state(view.room, view.state);
    view.room.updated_at = now;
    return view;
  }

  core::Status set_recording(const core::TenantId& tenant, const core::RoomId& room, bool recording,
                             core::TimePoint now) override {
    std::lock_guard lock(mutex_);
    const auto it = rooms_.find({tenant, room});
    if (it == rooms_.end())
      return core::Error::not_found("room_not_found", "no room");
    it->second.room.recording = recording;
    it->second.room.updated_at = now;
    return {};
  }

  core::Result<std::vector<Room>> list_creating(core::TimePoint before,
                                                std::size_t limit) override {
    std::lock_guard lock(mutex_);
    std::vector<Room> out;
    for (const auto& [key, view] : rooms_) {
      if (view.room.status == RoomLifecycle::kCreating && view.room.created_at < before)
        out.push_back(view.room);
    }
    std::sort(out.begin(), out.end(),
              [](const Room& a, const Room& b) { return a.created_at < b.created_at; });
    if (out.size() > limit)
      out.resize(limit);
    return out;
  }

  core::Result<std::vector<ReconcileCandidate>> list_to_reconcile(core::TimePoint before,
                                                                  std::size_t limit) override {
    std::lock_guard lock(mutex_);
    std::vector<ReconcileCandidate> out;
    for (const auto& [key, view] : rooms_) {
      if (view.room.status != RoomLifecycle::kInProgress || !view.room.provider_room_sid)
        continue;
      const auto it = reconciled_at_.find(key);
      const auto last =
          it == reconciled_at_.end() ? std::nullopt : std::optional<core::TimePoint>(it->second);
      if (!last || *last < before)
        out.push_back({view.room, last});
    }
    // Never reconciled first (nullopt sorts before any time).
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      return a.reconciled_at < b.reconciled_at;
    });
    if (out.size() > limit)
      out.resize(limit);
    return out;
  }

  core::Status mark_reconciled(const core::TenantId& tenant, const core::RoomId& room,
                               core::TimePoint now) override {
    std::lock_guard lock(mutex_);
    if (!rooms_.contains({tenant, room}))
      return core::Error::not_found("room_not_found", "no room");
    reconciled_at_[{tenant, room}] = now;
    return {};
  }

  core::Status add_speaker_change(const core::TenantId& tenant,
                                  const SpeakerChange& change) override {
    std::lock_guard lock(mutex_);
    if (fail_add_speaker_change) {
      auto error = *fail_add_speaker_change;
      fail_add_speaker_change.reset();
      return error;
    }
    speakers_.emplace_back(tenant, change);
    return {};
  }

  core::Result<std::vector<SpeakerChange>> speaker_changes(const core::TenantId& tenant,
                                                           const core::RoomId& room) override {
    std::lock_guard lock(mutex_);
    std::vector<SpeakerChange> out;
    for (const auto& [t, change] : speakers_) {
      if (t == tenant && change.room_id == room)
        out.push_back(change);
    }
    return out;
  }

  // Test access: every room of every tenant.
  std::vector<RoomView> all() {
    std::lock_guard lock(mutex_);
    std::vector<RoomView> out;
    for (const auto& [key, view] : rooms_)
      out.push_back(view);
    return out;
  }
  // Folds provider events as the webhook ledger would (participants joining, ...).
  void deliver(const core::TenantId& tenant, const core::RoomId& room,
               const std::vector<RoomEvent>& events) {
    std::lock_guard lock(mutex_);
    auto& view = rooms_.at({tenant, room});
    for (const auto& event : events)
      (void)apply(view.state, event);
    project_state(view.room, view.state);
  }

  int finds = 0;

 private:
  std::mutex mutex_;
  std::map<std::pair<core::TenantId, core::RoomId>, RoomView> rooms_;
  std::map<std::pair<core::TenantId, core::RoomId>, core::TimePoint> reconciled_at_;
  std::vector<std::pair<core::TenantId, SpeakerChange>> speakers_;
};

// A room's composition jobs as the test sets them (newest first), tenant-scoped like the real
// one.
class FakeRoomCompositions final : public RoomCompositions {
 public:
  // Set to make every call fail with this error.
  std::optional<core::Error> fail;

  void set(const core::TenantId& tenant, const core::RoomId& room,
           std::vector<RoomCompositionJob> jobs) {
    std::lock_guard lock(mutex_);
    jobs_[{tenant, room}] = std::move(jobs);
  }

  core::Result<std::vector<RoomCompositionJob>> for_room(const core::TenantId& tenant,
                                                         const core::RoomId& room) override {
    std::lock_guard lock(mutex_);
    ++calls;
    if (fail)
      return *fail;
    const auto it = jobs_.find({tenant, room});
    return it == jobs_.end() ? std::vector<RoomCompositionJob>{} : it->second;
  }

  int calls = 0;

 private:
  std::mutex mutex_;
  std::map<std::pair<core::TenantId, core::RoomId>, std::vector<RoomCompositionJob>> jobs_;
};

class RecordingNotifier final : public realtime::Notifier {
 public:
  void publish(realtime::RoomNotification notification) override {
    std::lock_guard lock(mutex_);
    published_.push_back(std::move(notification));
  }
  std::vector<realtime::RoomNotification> published() {
    std::lock_guard lock(mutex_);
    return published_;
  }

 private:
  std::mutex mutex_;
  std::vector<realtime::RoomNotification> published_;
};

}  // namespace roomplane::rooms::testing
