#include "emulator/resource_json.h"

namespace roomplane::emulator {
namespace {

using nlohmann::json;

std::string join(std::string_view base, std::string_view path) {
  std::string out(base);
  out += path;
  return out;
}

json string_or_null(const std::optional<std::string>& s) {
  return s ? json(*s) : json(nullptr);
}

}  // namespace

json time_or_null(const std::optional<core::TimePoint>& t) {
  return t ? json(core::to_rfc3339(*t)) : json(nullptr);
}

json room_json(const Room& room, std::string_view base_url) {
  const std::string url = join(base_url, "/v1/Rooms/" + room.sid);
  json out = json::object();
  out["sid"] = room.sid;
  out["status"] = room.status;
  out["date_created"] = core::to_rfc3339(room.date_created);
  out["date_updated"] = core::to_rfc3339(room.date_updated);
  out["account_sid"] = room.account_sid;
  out["enable_turn"] = room.enable_turn;
  out["unique_name"] = room.unique_name;
  out["status_callback"] = string_or_null(room.status_callback);
  out["status_callback_method"] = room.status_callback_method;
  out["end_time"] = time_or_null(room.end_time);
  out["duration"] = room.duration_seconds();
  out["type"] = room.type;
  out["max_participants"] = room.max_participants;
  out["max_participant_duration"] = room.max_participant_duration;
  out["max_concurrent_published_tracks"] = room.max_concurrent_published_tracks;
  out["record_participants_on_connect"] = room.record_participants_on_connect;
  out["video_codecs"] = room.video_codecs;
  out["media_region"] = room.media_region;
  out["audio_only"] = room.audio_only;
  out["empty_room_timeout"] = room.empty_room_timeout;
  out["unused_room_timeout"] = room.unused_room_timeout;
  out["large_room"] = room.large_room;
  out["url"] = url;
  out["links"] = {{"participants", url + "/Participants"},
                  {"recordings", url + "/Recordings"},
                  {"recording_rules", url + "/RecordingRules"},
                  {"transcriptions", url + "/Transcriptions"}};
  return out;
}

json participant_json(const Participant& p, std::string_view base_url) {
  const std::string url = join(base_url, "/v1/Rooms/" + p.room_sid + "/Participants/" + p.sid);
  json out = json::object();
  out["sid"] = p.sid;
  out["room_sid"] = p.room_sid;
  out["account_sid"] = p.account_sid;
  out["status"] = p.status;
  out["identity"] = p.identity;
  out["date_created"] = core::to_rfc3339(p.date_created);
  out["date_updated"] = core::to_rfc3339(p.date_updated);
  out["start_time"] = core::to_rfc3339(p.start_time);
  out["end_time"] = time_or_null(p.end_time);
  const auto duration = p.duration_seconds();
  out["duration"] = duration ? json(*duration) : json(nullptr);
  out["url"] = url;
  out["links"] = {{"published_tracks", url + "/PublishedTracks"},
                  {"subscribed_tracks", url + "/SubscribedTracks"},
                  {"subscribe_rules", url + "/SubscribeRules"},
                  {"anonymize", url + "/Anonymize"}};
  return out;
}

json published_track_json(const Track& t, std::string_view base_url) {
  json out = json::object();
  out["sid"] = t.sid;
  out["participant_sid"] = t.participant_sid;
  out["room_sid"] = t.room_sid;
  out["name"] = t.name;
  out["date_created"] = core::to_rfc3339(t.date_created);
  out["date_updated"] = core::to_rfc3339(t.date_updated);
  out["enabled"] = t.enabled;
  out["kind"] = t.kind;
  out["url"] = join(base_url, "/v1/Rooms/" + t.room_sid + "/Participants/" + t.participant_sid +
                                  "/PublishedTracks/" + t.sid);
  return out;
}

namespace {

// The fields both recording shapes share, in spec order up to `offset`.
json recording_common(const Recording& r, const std::string& url) {
  json out = json::object();
  out["account_sid"] = r.account_sid;
  out["status"] = r.status;
  out["date_created"] = core::to_rfc3339(r.date_created);
  out["sid"] = r.sid;
  out["source_sid"] = r.source_sid;
  out["size"] = r.size;
  out["url"] = url;
  out["type"] = r.type;
  out["duration"] = r.duration;
  out["container_format"] = r.container_format;
  out["codec"] = r.codec;
  out["grouping_sids"] = {{"room_sid", r.room_sid}, {"participant_sid", r.participant_sid}};
  out["track_name"] = r.track_name;
  out["offset"] = r.offset;
  out["media_external_location"] = nullptr;
  return out;
}

}  // namespace

json room_recording_json(const Recording& r, std::string_view base_url) {
  const std::string url = join(base_url, "/v1/Rooms/" + r.room_sid + "/Recordings/" + r.sid);
  json out = recording_common(r, url);
  out["room_sid"] = r.room_sid;
  out["links"] = {{"media", url + "/Media"}};
  return out;
}

json recording_json(const Recording& r, std::string_view base_url) {
  const std::string url = join(base_url, "/v1/Recordings/" + r.sid);
  json out = recording_common(r, url);
  out["status_callback"] = string_or_null(r.status_callback);
  out["status_callback_method"] = r.status_callback_method;
  out["links"] = {{"media", url + "/Media"}};
  return out;
}

json recording_rules_json(const RecordingRules& rules) {
  return {{"room_sid", rules.room_sid},
          {"rules", rules.rules},
          {"date_created", core::to_rfc3339(rules.date_created)},
          {"date_updated", core::to_rfc3339(rules.date_updated)}};
}

json composition_json(const Composition& c, std::string_view base_url) {
  const std::string url = join(base_url, "/v1/Compositions/" + c.sid);
  json out = json::object();
  out["account_sid"] = c.account_sid;
  out["status"] = c.status;
  out["date_created"] = core::to_rfc3339(c.date_created);
  out["date_completed"] = time_or_null(c.date_completed);
  out["date_deleted"] = time_or_null(c.date_deleted);
  out["sid"] = c.sid;
  out["room_sid"] = c.room_sid;
  out["audio_sources"] = c.audio_sources;
  out["audio_sources_excluded"] = c.audio_sources_excluded;
  out["video_layout"] = c.video_layout;
  out["resolution"] = c.resolution;
  out["trim"] = c.trim;
  out["format"] = c.format;
  out["bitrate"] = c.bitrate;
  out["size"] = c.size;
  out["duration"] = c.duration;
  out["media_external_location"] = nullptr;
  out["status_callback"] = string_or_null(c.status_callback);
  out["status_callback_method"] = c.status_callback_method;
  out["url"] = url;
  out["links"] = {{"media", url + "/Media"}};
  return out;
}

json hook_json(const CompositionHook& h, std::string_view base_url) {
  json out = json::object();
  out["account_sid"] = h.account_sid;
  out["friendly_name"] = h.friendly_name;
  out["enabled"] = h.enabled;
  out["date_created"] = core::to_rfc3339(h.date_created);
  out["date_updated"] = time_or_null(h.date_updated);
  out["sid"] = h.sid;
  out["audio_sources"] = h.audio_sources;
  out["audio_sources_excluded"] = h.audio_sources_excluded;
  out["video_layout"] = h.video_layout;
  out["resolution"] = h.resolution;
  out["trim"] = h.trim;
  out["format"] = h.format;
  out["status_callback"] = string_or_null(h.status_callback);
  out["status_callback_method"] = h.status_callback_method;
  out["url"] = join(base_url, "/v1/CompositionHooks/" + h.sid);
  return out;
}

json settings_json(const MediaSettings& s, std::string_view base_url, std::string_view path) {
  json out = json::object();
  out["account_sid"] = s.account_sid;
  out["friendly_name"] = string_or_null(s.friendly_name);
  out["aws_credentials_sid"] = string_or_null(s.aws_credentials_sid);
  out["aws_s3_url"] = string_or_null(s.aws_s3_url);
  out["aws_storage_enabled"] = s.aws_storage_enabled;
  out["encryption_key_sid"] = string_or_null(s.encryption_key_sid);
  out["encryption_enabled"] = s.encryption_enabled;
  out["url"] = join(base_url, path);
  return out;
}

}  // namespace roomplane::emulator
