#pragma once
// The emulator's whole world: accounts, rooms, participants, tracks, recordings, compositions,
// hooks and settings, behind one mutex, plus the rules by which they change (the room and
// composition state machines) and the status callbacks each change makes Twilio send.
//
// Created by Emulator (or directly by tests). Every public method is thread-safe: it takes the
// mutex, reads the injected clock once (so one operation has one timestamp), mutates, hands the
// callbacks it caused to the CallbackSink in Twilio's order while still holding the lock (so
// the per-room order is the order of the state changes), and returns copies.
//
// Errors are core::Error values carrying Twilio's numeric code (twilio_error.h). Methods taking
// an `account_sid` see only that account's resources: another account's SID is "not found".
//
// Time-driven work (room timeouts, MaxParticipantDuration, composition progress) happens only in
// tick(), which does everything due at clock.now(); a ticker thread or a test calls it.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/result.h"
#include "emulator/callback_sink.h"
#include "emulator/model.h"
#include "observability/log.h"
#include "observability/metrics.h"
#include "tokens/access_token_verifier.h"

namespace roomplane::emulator {

struct StateOptions {
  // Seeds the SID generator so a test run produces the same SIDs; nullopt = random seed.
  // Auth tokens, API key secrets and the media-URL key are always cryptographically random.
  std::optional<std::uint64_t> seed;
  // Compositions: time in the queue before processing starts, then processing time =
  // media seconds * ratio, clamped to [min, max], times the slow factor.
  std::chrono::milliseconds composition_queue_delay{0};
  double composition_processing_ratio = 0.05;
  std::chrono::milliseconds composition_min_processing{2000};
  std::chrono::milliseconds composition_max_processing{60000};
};

struct RoomFilter {
  std::optional<std::string> status;  // unset: every status
  std::optional<std::string> unique_name;
  std::optional<core::TimePoint> created_after;   // inclusive
  std::optional<core::TimePoint> created_before;  // exclusive
};

struct ParticipantFilter {
  std::optional<std::string> status;  // unset: connected for in-progress rooms, else all
  std::optional<std::string> identity;
  std::optional<core::TimePoint> created_after;
  std::optional<core::TimePoint> created_before;
};

struct RecordingFilter {
  std::optional<std::string> room_sid;  // room-level list
  std::optional<std::string> status;
  std::optional<std::string> source_sid;
  std::vector<std::string> grouping_sids;  // each must be the room or the participant
  std::optional<std::string> media_type;
  std::optional<core::TimePoint> created_after;
  std::optional<core::TimePoint> created_before;
};

struct CompositionFilter {
  std::optional<std::string> status;
  std::optional<std::string> room_sid;
  std::optional<core::TimePoint> created_after;
  std::optional<core::TimePoint> created_before;
};

struct HookFilter {
  std::optional<bool> enabled;
  std::optional<std::string> friendly_name;  // case-insensitive, '*' wildcard
  std::optional<core::TimePoint> created_after;
  std::optional<core::TimePoint> created_before;
};

struct RecordingRules {
  std::string room_sid;
  nlohmann::json rules;
  core::TimePoint date_created{};
  core::TimePoint date_updated{};
};

// A participant joining through the control API (what the SDK's connect() does at Twilio).
struct ConnectRequest {
  std::string room;  // SID (any status) or unique name (in-progress rooms)
  std::optional<std::string> identity;
  std::optional<std::string> token;  // verified like Twilio when present
};

// What an /_emulator/media/{sid}.{ext} download serves.
struct MediaFile {
  std::string content_type;
  std::string bytes;
};

enum class SettingsKind { kComposition, kRecording };

class State {
 public:
  // `clock` and `sink` must outlive the State; `metrics` may be null (no gauges).
  State(const core::Clock& clock, CallbackSink& sink, StateOptions options = {},
        observability::MetricsRegistry* metrics = nullptr, observability::Logger logger = {});
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  // ---- accounts ----
  // Creates an account, or completes an existing one: with a known account_sid the auth token
  // must match (when given) and the API key, if given, is added. Errors: malformed SIDs,
  // empty secrets, a token mismatch, or a key SID owned by another account (400/20001).
  core::Result<AccountCredentials> create_account(const NewAccount& request);
  // The account that HTTP Basic credentials authenticate (Account SID + Auth Token or API Key
  // SID + secret; compared in constant time); nullopt when none.
  std::optional<std::string> authenticate(std::string_view username,
                                          std::string_view password) const;
  bool has_account(std::string_view account_sid) const;
  core::TimePoint now() const { return clock_.now(); }

  // ---- rooms (REST) ----
  // `spec` carries the validated creation parameters; SID, status and dates are filled here.
  // Error 53113 when the unique name is taken by an in-progress room of the account.
  core::Result<Room> create_room(const std::string& account_sid, Room spec);
  core::Result<Room> find_room(const std::string& account_sid, std::string_view name_or_sid) const;
  std::vector<Room> list_rooms(const std::string& account_sid, const RoomFilter& filter) const;
  // Status=completed: disconnects everyone, ends the room. 53112 if not in progress.
  core::Result<Room> complete_room(const std::string& account_sid, std::string_view name_or_sid);

  // ---- participants and tracks (REST) ----
  core::Result<std::vector<Participant>> list_participants(const std::string& account_sid,
                                                           std::string_view room,
                                                           const ParticipantFilter& filter) const;
  core::Result<Participant> find_participant(const std::string& account_sid, std::string_view room,
                                             std::string_view identity_or_sid) const;
  // Status=disconnected on a connected participant; a disconnected one is returned unchanged.
  core::Result<Participant> kick_participant(const std::string& account_sid, std::string_view room,
                                             std::string_view identity_or_sid);
  core::Result<std::vector<Track>> list_published_tracks(const std::string& account_sid,
                                                         std::string_view room,
                                                         std::string_view participant) const;
  core::Result<Track> find_published_track(const std::string& account_sid, std::string_view room,
                                           std::string_view participant,
                                           std::string_view track_sid) const;

  // ---- recordings (REST) ----
  core::Result<std::vector<Recording>> list_recordings(const std::string& account_sid,
                                                       const RecordingFilter& filter) const;
  // `room_sid` set: the recording must belong to that room (room-level path).
  core::Result<Recording> find_recording(const std::string& account_sid,
                                         const std::optional<std::string>& room,
                                         std::string_view sid) const;
  // Marks it deleted (metadata kept, media gone). Error if still processing.
  core::Status delete_recording(const std::string& account_sid,
                                const std::optional<std::string>& room, std::string_view sid);
  core::Result<RecordingRules> recording_rules(const std::string& account_sid,
                                               std::string_view room) const;
  // Replaces the rules (validated by parse_recording_rules) and starts/stops recordings of the
  // published tracks accordingly. 53118 on a completed room, 53114 on a room type without
  // recording.
  core::Result<RecordingRules> set_recording_rules(const std::string& account_sid,
                                                   std::string_view room, nlohmann::json rules);

  // ---- compositions and hooks (REST) ----
  // `spec` carries the validated parameters and spec.room_sid. The room must be a completed
  // group room of the account with recordings.
  core::Result<Composition> create_composition(const std::string& account_sid, Composition spec);
  core::Result<Composition> find_composition(const std::string& account_sid,
                                             std::string_view sid) const;
  std::vector<Composition> list_compositions(const std::string& account_sid,
                                             const CompositionFilter& filter) const;
  // Marks it deleted; processing stops, no further callbacks.
  core::Status delete_composition(const std::string& account_sid, std::string_view sid);
  // FriendlyName must be unique in the account.
  core::Result<CompositionHook> create_hook(const std::string& account_sid, CompositionHook spec);
  core::Result<CompositionHook> find_hook(const std::string& account_sid,
                                          std::string_view sid) const;
  std::vector<CompositionHook> list_hooks(const std::string& account_sid,
                                          const HookFilter& filter) const;
  // Replaces the hook's settings with `spec` (the REST layer merges unspecified params).
  core::Result<CompositionHook> update_hook(const std::string& account_sid, std::string_view sid,
                                            CompositionHook spec);
  core::Status delete_hook(const std::string& account_sid, std::string_view sid);

  MediaSettings settings(const std::string& account_sid, SettingsKind kind) const;
  MediaSettings set_settings(const std::string& account_sid, SettingsKind kind,
                             MediaSettings value);

  // ---- media ----
  // The media of a completed (not deleted) composition or recording of the account:
  // "{sid}.{ext}" (ext = the composition's format, or mka/mkv). Error 404 otherwise.
  core::Result<std::string> media_file_name(const std::string& account_sid,
                                            std::string_view sid) const;
  // HMAC over "{file}:{expires}" with a per-State random key (the emulator's pre-signed URLs).
  std::string media_signature(std::string_view file, std::int64_t expires_unix) const;
  // Bytes for "/_emulator/media/{file}" if `file` names available media; nullopt otherwise.
  std::optional<MediaFile> media(std::string_view file) const;

  // ---- control API (what participants' SDKs do) ----
  // Joins a participant: the token (if any) is verified as Twilio does (20101..20107, 20157;
  // its key must belong to the room's account: 20103). Identity rules 53200/53201/53202; a
  // completed room 53118; unknown room 53106; full room 53105. A connected participant with the
  // same identity is disconnected first (Twilio's 53205).
  core::Result<Participant> connect(const ConnectRequest& request);
  core::Result<Participant> disconnect(std::string_view room, std::string_view identity_or_sid);
  core::Result<Track> publish_track(std::string_view room, std::string_view participant,
                                    std::string_view kind, std::optional<std::string> name);
  core::Result<Track> unpublish_track(std::string_view room, std::string_view participant,
                                      std::string_view track_sid_or_name);
  core::Result<Track> set_track_enabled(std::string_view room, std::string_view participant,
                                        std::string_view track_sid_or_name, bool enabled);
  core::Status set_composition_behaviour(std::string_view composition_sid,
                                         CompositionBehaviour behaviour);
  void set_default_composition_behaviour(CompositionBehaviour behaviour);

  // Does everything due at clock.now(): MaxParticipantDuration, empty/unused room timeouts
  // (then hooks), composition progress. Idempotent for a given time.
  void tick();

  // Debug dump for GET /_emulator/state: every resource, no secrets.
  nlohmann::json dump() const;

 private:
  using Lock = std::unique_lock<std::mutex>;

  std::string new_sid(std::string_view prefix);
  std::uint64_t next_seq() { return ++seq_; }
  const Account* account_locked(std::string_view sid) const;

  Room* room_locked(std::string_view account_sid, std::string_view name_or_sid);
  const Room* room_locked(std::string_view account_sid, std::string_view name_or_sid) const;
  // Control API lookup across accounts.
  core::Result<Room*> any_room_locked(std::string_view name_or_sid);
  Participant* participant_locked(const Room& room, std::string_view identity_or_sid);
  const Participant* participant_locked(const Room& room, std::string_view identity_or_sid) const;
  Track* published_track_locked(const Participant& p, std::string_view sid_or_name);

  // Callbacks.
  void emit_room_event(Room& room, std::string_view event, core::TimePoint now,
                       http::FormParams extra = {});
  void emit_participant_event(Room& room, const Participant& p, std::string_view event,
                              core::TimePoint now);
  void emit_track_event(Room& room, const Participant& p, const Track& t, std::string_view event,
                        core::TimePoint now);
  void emit_recording_event(Room& room, const Recording& r, std::string_view event,
                            core::TimePoint now);
  void emit_composition_event(const Composition& c, std::string_view event, core::TimePoint now,
                              http::FormParams extra = {});

  // State machine steps (lock held).
  core::Result<Participant*> connect_locked(Room& room, const std::string& identity,
                                            core::TimePoint now);
  // Unpublishes every track (track-removed), then participant-disconnected; the recordings it
  // stops are appended to `stopped` for the caller to complete (so recording-completed follows
  // the participant events, as Twilio orders them).
  void disconnect_locked(Room& room, Participant& p, core::TimePoint now,
                         std::vector<std::string>& stopped);
  void unpublish_locked(Room& room, Participant& p, Track& t, core::TimePoint now,
                        std::vector<std::string>& stopped);
  void complete_recordings_locked(Room& room, const std::vector<std::string>& recording_sids,
                                  core::TimePoint now);
  void start_recording_locked(Room& room, const Participant& p, Track& t, core::TimePoint now);
  void apply_recording_rules_locked(Room& room, core::TimePoint now);
  void after_participant_left_locked(Room& room, core::TimePoint now);
  void end_room_locked(Room& room, core::TimePoint now, std::string reason);
  void run_hooks_locked(const Room& room, core::TimePoint now);
  Composition& add_composition_locked(Composition c, const Room& room, core::TimePoint now);
  void advance_composition_locked(Composition& c, core::TimePoint now);
  double processing_seconds(const Composition& c) const;
  void update_gauges_locked();

  const core::Clock& clock_;
  CallbackSink& sink_;
  StateOptions options_;
  observability::Logger logger_;
  observability::Gauge* rooms_gauge_ = nullptr;
  observability::Gauge* participants_gauge_ = nullptr;
  tokens::AccessTokenVerifier verifier_;  // its key lookup reads accounts_ with mutex_ held

  mutable std::mutex mutex_;
  std::mt19937_64 rng_;
  std::uint64_t seq_ = 0;
  std::string media_key_;
  CompositionBehaviour default_behaviour_;
  std::map<std::string, Account, std::less<>> accounts_;
  std::map<std::string, std::string, std::less<>> api_key_owner_;  // SK... -> AC...
  std::map<std::string, Room, std::less<>> rooms_;
  std::map<std::string, Participant, std::less<>> participants_;
  std::map<std::string, Track, std::less<>> tracks_;
  std::map<std::string, Recording, std::less<>> recordings_;
  std::map<std::string, Composition, std::less<>> compositions_;
  std::map<std::string, CompositionHook, std::less<>> hooks_;
  std::map<std::pair<std::string, int>, MediaSettings> settings_;
};

}  // namespace roomplane::emulator
