#include "unit/rooms/consultation.h"

#include <array>
#include <cinttypes>
#include <cstdio>
#include <random>
#include <string_view>
#include <utility>

#include "core/clock.h"

namespace roomplane::rooms::testing {
namespace {

class Generator {
 public:
  explicit Generator(std::uint64_t seed) : rng_(seed) {}

  Consultation run() {
    account_sid_ = sid("AC");
    c_.room_sid = sid("RM");
    room_name_ = "consult-" + std::to_string(below(100000));
    now_ = 1'700'000'000 + static_cast<std::int64_t>(below(50'000'000));
    c_.created_at = now_;
    emit_room("room-created", {});

    static constexpr std::array<std::string_view, 3> kIdentities{"dr.alvarez", "patient-4711",
                                                                 "interpreter"};
    const std::size_t count = 2 + below(2);
    for (std::size_t i = 0; i < count; ++i)
      connect(std::string(kIdentities[i]));

    // The middle of the consultation: cameras and microphones toggle, one participant drops
    // and rejoins (a new SID), perhaps an event Twilio does not document.
    const std::size_t steps = 3 + below(6);
    const std::size_t drop_step = below(steps);
    const std::size_t unknown_step = chance(30) ? below(steps) : steps;
    for (std::size_t step = 0; step < steps; ++step) {
      if (step == drop_step) {
        const std::size_t who = below(connected_.size());
        Participant gone = connected_[who];
        connected_.erase(connected_.begin() + static_cast<std::ptrdiff_t>(who));
        tick(2);
        complete_recordings(disconnect(gone));
        tick(20);
        connect(gone.identity);
      }
      if (step == unknown_step) {
        tick(2);
        const Participant& p = connected_[below(connected_.size())];
        emit_room("participant-reconnecting", {{"ParticipantSid", p.sid},
                                               {"ParticipantIdentity", p.identity},
                                               {"ParticipantStatus", "reconnecting"}});
        ++c_.unknown_callbacks;
      }
      for (std::size_t toggles = 1 + below(3); toggles > 0; --toggles) {
        Participant& p = connected_[below(connected_.size())];
        Track& t = p.tracks[below(p.tracks.size())];
        tick(30);
        t.enabled = !t.enabled;
        emit_track(p, t, t.enabled ? "track-enabled" : "track-disabled");
      }
    }

    if (chance(50)) {
      // Ended through the API: everyone is disconnected at once, then the recordings stop, then
      // the room ends (the emulator's order).
      tick(60);
      std::vector<Track> stopped;
      for (auto& p : connected_) {
        for (auto& t : disconnect(p))
          stopped.push_back(std::move(t));
      }
      connected_.clear();
      complete_recordings(stopped);
    } else {
      // Everyone leaves; the empty-room timeout ends the room minutes later.
      while (!connected_.empty()) {
        tick(60);
        Participant p = connected_.front();
        connected_.erase(connected_.begin());
        complete_recordings(disconnect(p));
      }
      now_ += 300;
    }
    room_status_ = "completed";
    c_.ended_at = now_;
    emit_room("room-ended", {{"RoomDuration", std::to_string(now_ - c_.created_at)}});

    if (!c_.recording_failed.empty())
      compose();
    if (chance(10)) {
      tick(2);
      c_.hook_failed = true;
      const std::string hook = sid("HK");
      c_.callbacks.push_back({{"AccountSid", account_sid_},
                              {"RoomSid", c_.room_sid},
                              {"StatusCallbackEvent", "composition-hook-failed"},
                              {"Timestamp", timestamp()},
                              {"HookSid", hook},
                              {"HookUri", "/v1/CompositionHooks/" + hook},
                              {"HookFriendlyName", "audio-only"},
                              {"FailedOperation", "CompositionCreate"},
                              {"ErrorMessage", "No recordings match the hook's filter"}});
    }
    return std::move(c_);
  }

 private:
  struct Track {
    std::string sid;
    std::string kind;
    std::string name;
    std::string recording_sid;
    std::int64_t recording_started_at = 0;
    std::string owner_sid;
    std::string owner_identity;
    bool enabled = true;
  };
  struct Participant {
    std::string sid;
    std::string identity;
    std::int64_t connected_at = 0;
    std::vector<Track> tracks;
  };

  std::uint64_t below(std::uint64_t n) { return rng_() % n; }
  bool chance(std::uint64_t percent) { return below(100) < percent; }
  void tick(std::uint64_t max_seconds) {
    now_ += static_cast<std::int64_t>(below(max_seconds + 1));
  }

  std::string sid(std::string_view prefix) {
    char hex[40];
    std::snprintf(hex, sizeof hex, "%016" PRIx64 "%016" PRIx64, rng_(), rng_());
    return std::string(prefix) + hex;
  }

  // The same instant in the spellings Twilio and the emulator use.
  std::string timestamp() {
    std::string text = core::to_rfc3339(core::from_unix_seconds(now_));  // ...Z
    switch (below(4)) {
      case 0:
        break;
      case 1:
        text.insert(text.size() - 1, ".000");
        break;
      case 2:
        text.pop_back();
        text += "+00:00";
        break;
      default:
        text.pop_back();
        text += ".000000+00:00";
        break;
    }
    return text;
  }

  void emit_room(std::string_view event, http::FormParams extra) {
    http::FormParams params{
        {"AccountSid", account_sid_}, {"RoomName", room_name_},
        {"RoomSid", c_.room_sid},     {"RoomStatus", room_status_},
        {"RoomType", "group"},        {"StatusCallbackEvent", std::string(event)},
        {"Timestamp", timestamp()},   {"SequenceNumber", std::to_string(seq_++)}};
    for (auto& p : extra)
      params.push_back(std::move(p));
    c_.callbacks.push_back(std::move(params));
  }

  void emit_participant(const Participant& p, std::string_view event,
                        std::optional<std::int64_t> duration) {
    http::FormParams extra{{"ParticipantSid", p.sid},
                           {"ParticipantIdentity", p.identity},
                           {"ParticipantStatus", duration ? "disconnected" : "connected"}};
    if (duration)
      extra.emplace_back("ParticipantDuration", std::to_string(*duration));
    emit_room(event, std::move(extra));
  }

  void emit_track(const Participant& p, const Track& t, std::string_view event) {
    emit_room(event, {{"ParticipantSid", p.sid},
                      {"ParticipantIdentity", p.identity},
                      {"ParticipantStatus", "connected"},
                      {"TrackSid", t.sid},
                      {"TrackKind", t.kind},
                      {"TrackName", t.name}});
  }

  void emit_recording(const Participant& p, const Track& t, std::string_view event,
                      http::FormParams extra) {
    const std::string uri = "/v1/Recordings/" + t.recording_sid;
    http::FormParams params{{"RecordingSid", t.recording_sid},
                            {"ParticipantSid", p.sid},
                            {"ParticipantIdentity", p.identity},
                            {"SourceSid", t.sid},
                            {"TrackName", t.name},
                            {"RecordingUri", uri},
                            {"Container", t.kind == "audio" ? "mka" : "mkv"},
                            {"Codec", t.kind == "audio" ? "OPUS" : "VP8"},
                            {"Type", t.kind},
                            {"OffsetFromTwilioVideoEpoch", std::to_string(below(100000))}};
    for (auto& e : extra)
      params.push_back(std::move(e));
    emit_room(event, std::move(params));
  }

  void connect(const std::string& identity) {
    tick(10);
    Participant p{sid("PA"), identity, now_, {}};
    emit_participant(p, "participant-connected", std::nullopt);
    for (const char* kind : {"audio", "video"}) {
      tick(1);
      Track t;
      t.sid = sid("MT");
      t.owner_sid = p.sid;
      t.owner_identity = p.identity;
      t.kind = kind;
      t.name = chance(50) ? std::string(t.kind == "audio" ? "microphone" : "camera")
                          : sid("").substr(0, 8);
      emit_track(p, t, "track-added");
      t.recording_sid = sid("RT");
      t.recording_started_at = now_;
      emit_recording(p, t, "recording-started", {});
      p.tracks.push_back(std::move(t));
    }
    c_.participants[p.sid] = ExpectedParticipant{identity, p.connected_at, 0, 0, {}};
    connected_.push_back(std::move(p));
  }

  // Unpublishes every track and disconnects; returns the tracks whose recordings stop.
  std::vector<Track> disconnect(Participant& p) {
    auto& expected = c_.participants.at(p.sid);
    for (const auto& t : p.tracks) {
      emit_track(p, t, "track-removed");
      expected.track_enabled[t.sid] = t.enabled;
    }
    expected.disconnected_at = now_;
    expected.duration_seconds = now_ - expected.connected_at;
    emit_participant(p, "participant-disconnected", expected.duration_seconds);
    return std::move(p.tracks);
  }

  void complete_recordings(const std::vector<Track>& tracks) {
    for (const auto& t : tracks) {
      tick(1);
      const Participant owner{t.owner_sid, t.owner_identity, 0, {}};
      if (chance(10)) {
        c_.recording_failed[t.recording_sid] = true;
        emit_recording(owner, t, "recording-failed", {{"FailedOperation", "RecordingUpload"}});
        continue;
      }
      c_.recording_failed[t.recording_sid] = false;
      const std::int64_t duration = now_ - t.recording_started_at;
      emit_recording(owner, t, "recording-completed",
                     {{"MediaUri", "/v1/Recordings/" + t.recording_sid + "/Media"},
                      {"Duration", std::to_string(duration)},
                      {"Size", std::to_string(duration * (t.kind == "audio" ? 4000 : 60000))}});
    }
  }

  void compose() {
    const std::string hook = sid("HK");
    c_.composition_sid = sid("CJ");
    auto emit = [&](std::string_view event, http::FormParams extra) {
      http::FormParams params{{"AccountSid", account_sid_},
                              {"RoomSid", c_.room_sid},
                              {"StatusCallbackEvent", std::string(event)},
                              {"Timestamp", timestamp()},
                              {"CompositionSid", c_.composition_sid},
                              {"CompositionUri", "/v1/Compositions/" + c_.composition_sid}};
      for (auto& e : extra)
        params.push_back(std::move(e));
      c_.callbacks.push_back(std::move(params));
    };
    tick(2);
    emit("composition-enqueued", {{"HookSid", hook},
                                  {"HookUri", "/v1/CompositionHooks/" + hook},
                                  {"HookFriendlyName", "consultation-grid"}});
    tick(5);
    emit("composition-started", {});
    c_.composition_failed = chance(15);
    const int last = c_.composition_failed ? 10 * static_cast<int>(1 + below(8)) : 90;
    for (int percent = 10; percent <= last; percent += 10) {
      if (chance(20))
        continue;  // Twilio reports "roughly" every 10 %
      tick(2);     // several reports can share a second
      emit("composition-progress", {{"PercentageDone", std::to_string(percent)},
                                    {"SecondsRemaining", std::to_string((100 - percent) / 5)}});
    }
    tick(3);
    if (c_.composition_failed) {
      emit("composition-failed",
           {{"FailedOperation", "Composing"}, {"ErrorMessage", "Composition failed: no media"}});
    } else {
      emit("composition-available",
           {{"MediaUri", "/v1/Compositions/" + c_.composition_sid + "/Media"},
            {"Duration", std::to_string(c_.ended_at - c_.created_at)},
            {"Size", std::to_string((c_.ended_at - c_.created_at) * 70000)}});
    }
  }

  std::mt19937_64 rng_;
  Consultation c_;
  std::string account_sid_;
  std::string room_name_;
  std::string room_status_ = "in-progress";
  std::int64_t now_ = 0;
  std::int64_t seq_ = 0;
  std::vector<Participant> connected_;
};

}  // namespace

Consultation generate_consultation(std::uint64_t seed) {
  return Generator(seed).run();
}

}  // namespace roomplane::rooms::testing
