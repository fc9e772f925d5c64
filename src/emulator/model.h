#pragma once
// The emulator's resources, as plain values. State owns the live copies under its mutex and
// hands out snapshots (copies) of these structs, so the REST layer renders JSON without holding
// the lock. Field names follow the Twilio JSON fields they become (resource_json.h); fields
// marked "internal" never appear in a REST response.
//
// Every resource carries `seq`, a per-emulator creation counter: lists sort by it and page
// tokens point at it (SIDs are random, so they cannot order anything).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.h"

namespace roomplane::emulator {

struct Account {
  std::string sid;         // AC...
  std::string auth_token;  // signs callbacks, authenticates REST as the account
  std::vector<std::pair<std::string, std::string>> api_keys;  // SK... -> secret
};

// What POST /_emulator/accounts and Emulator::create_account take: every field optional; unset
// ones are generated.
struct NewAccount {
  std::optional<std::string> account_sid;
  std::optional<std::string> auth_token;
  std::optional<std::string> api_key_sid;
  std::optional<std::string> api_key_secret;
};

struct AccountCredentials {
  std::string account_sid;
  std::string auth_token;
  std::string api_key_sid;
  std::string api_key_secret;
};

struct Room {
  std::uint64_t seq = 0;
  std::string sid;  // RM...
  std::string account_sid;
  std::string unique_name;
  std::string type = "group";          // group | group-small | peer-to-peer | go
  std::string status = "in-progress";  // in-progress | completed | failed
  std::optional<std::string> status_callback;
  std::string status_callback_method = "POST";
  int max_participants = 50;
  int max_participant_duration = 14400;  // seconds
  int max_concurrent_published_tracks = 170;
  bool record_participants_on_connect = false;
  std::vector<std::string> video_codecs{"VP8"};
  std::string media_region = "us1";
  bool audio_only = false;
  bool large_room = false;
  bool enable_turn = true;
  int empty_room_timeout = 5;   // minutes
  int unused_room_timeout = 5;  // minutes
  core::TimePoint date_created{};
  core::TimePoint date_updated{};
  std::optional<core::TimePoint> end_time;
  nlohmann::json recording_rules = nlohmann::json::array();  // validated rules (params.h)
  core::TimePoint rules_date_created{};
  core::TimePoint rules_date_updated{};

  // internal
  std::vector<std::string> participant_sids;  // every participant ever, in join order
  std::int64_t next_sequence_number = 0;      // SequenceNumber of the next room callback
  bool ever_joined = false;
  std::optional<core::TimePoint> empty_since;  // when the last participant left
  std::string end_reason;  // completed_by_api | empty_room_timeout | unused_room_timeout

  bool in_progress() const { return status == "in-progress"; }
  // Twilio: seconds from creation to end; 0 while in progress.
  std::int64_t duration_seconds() const;
  bool is_group() const { return type == "group" || type == "group-small"; }
};

struct Participant {
  std::uint64_t seq = 0;
  std::string sid;  // PA...
  std::string room_sid;
  std::string account_sid;
  std::string identity;
  std::string status = "connected";  // connected | disconnected
  core::TimePoint date_created{};
  core::TimePoint date_updated{};
  core::TimePoint start_time{};
  std::optional<core::TimePoint> end_time;
  std::vector<std::string> track_sids;  // internal: currently published tracks, publish order

  bool connected() const { return status == "connected"; }
  // Seconds connected; nullopt while connected (Twilio reports null then).
  std::optional<std::int64_t> duration_seconds() const;
};

struct Track {
  std::uint64_t seq = 0;
  std::string sid;  // MT...
  std::string participant_sid;
  std::string room_sid;
  std::string name;
  std::string kind;  // audio | video | data
  bool enabled = true;
  core::TimePoint date_created{};
  core::TimePoint date_updated{};
  bool published = true;                     // internal: false after unpublish
  std::optional<std::string> recording_sid;  // internal: the recording in progress, if any
};

struct Recording {
  std::uint64_t seq = 0;
  std::string sid;  // RT...
  std::string account_sid;
  std::string room_sid;
  std::string participant_sid;
  std::string participant_identity;  // internal (callbacks)
  std::string source_sid;            // the MT... track
  std::string track_name;
  std::string type;                   // audio | video
  std::string container_format;       // mka | mkv
  std::string codec;                  // OPUS | VP8 | H264
  std::string status = "processing";  // processing | completed | deleted | failed
  core::TimePoint date_created{};
  core::TimePoint date_updated{};
  std::int64_t duration = 0;  // seconds, set on completion (sub-second tracks report 1)
  std::int64_t size = 0;      // bytes, set on completion
  std::int64_t offset = 0;    // ms since the emulator's "Twilio Video epoch" at track start
  std::optional<std::string> status_callback;  // the room's
  std::string status_callback_method = "POST";
};

// How a composition's processing goes (set per composition or as the default through the
// control API).
enum class CompositionMode {
  kNormal,  // completes after its processing time
  kSlow,    // processing time multiplied by `factor`
  kFail,    // fails (composition-failed) when it would have completed
  kNever,   // stays processing forever (progress stops at 90 %)
};

struct CompositionBehaviour {
  CompositionMode mode = CompositionMode::kNormal;
  double factor = 1.0;  // used by kSlow; >= 1
};

std::string to_string(CompositionMode mode);
std::optional<CompositionMode> parse_composition_mode(std::string_view text);

struct Composition {
  std::uint64_t seq = 0;
  std::string sid;  // CJ...
  std::string account_sid;
  std::string room_sid;
  std::string status = "enqueued";  // enqueued | processing | completed | failed | deleted
  core::TimePoint date_created{};
  std::optional<core::TimePoint> date_completed;
  std::optional<core::TimePoint> date_deleted;
  nlohmann::json audio_sources = nlohmann::json::array();
  nlohmann::json audio_sources_excluded = nlohmann::json::array();
  nlohmann::json video_layout = nlohmann::json::object();
  std::string resolution = "640x480";
  bool trim = true;
  std::string format = "webm";  // mp4 | webm
  std::int64_t bitrate = 0;     // kbit/s, set on completion
  std::int64_t size = 0;        // bytes, set on completion
  std::int64_t duration = 0;    // seconds, set on completion
  std::optional<std::string> status_callback;
  std::string status_callback_method = "POST";

  // internal
  std::optional<std::string> hook_sid;  // the hook that created it
  std::int64_t media_duration = 0;      // seconds of media it will have
  double base_processing_seconds = 0;   // before the behaviour's factor
  std::optional<core::TimePoint> started_at;
  int progress_reported = 0;  // last composition-progress percentage sent
  CompositionBehaviour behaviour;
};

struct CompositionHook {
  std::uint64_t seq = 0;
  std::string sid;  // HK...
  std::string account_sid;
  std::string friendly_name;
  bool enabled = true;
  core::TimePoint date_created{};
  std::optional<core::TimePoint> date_updated;
  nlohmann::json audio_sources = nlohmann::json::array();
  nlohmann::json audio_sources_excluded = nlohmann::json::array();
  nlohmann::json video_layout = nlohmann::json::object();
  std::string resolution = "640x480";
  bool trim = true;
  std::string format = "webm";
  std::optional<std::string> status_callback;
  std::string status_callback_method = "POST";
};

// /v1/CompositionSettings/Default and /v1/RecordingSettings/Default: stored, no behaviour.
struct MediaSettings {
  std::string account_sid;
  std::optional<std::string> friendly_name;
  std::optional<std::string> aws_credentials_sid;
  std::optional<std::string> aws_s3_url;
  bool aws_storage_enabled = false;
  std::optional<std::string> encryption_key_sid;
  bool encryption_enabled = false;
};

}  // namespace roomplane::emulator
