#pragma once
// The JSON representation of each resource, field for field as Twilio's OpenAPI spec lists it
// (twilio_video_v1.json), snake_case, with absent values as null (never omitted), and `url` /
// `links` as absolute URLs under `base_url` (the emulator's public base URL, no trailing slash).

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "emulator/model.h"
#include "emulator/state.h"

namespace roomplane::emulator {

// "2015-07-30T20:00:00Z", or null.
nlohmann::json time_or_null(const std::optional<core::TimePoint>& t);

nlohmann::json room_json(const Room& room, std::string_view base_url);
nlohmann::json participant_json(const Participant& p, std::string_view base_url);
nlohmann::json published_track_json(const Track& t, std::string_view base_url);
// Room-level (/v1/Rooms/{RoomSid}/Recordings) or account-level (/v1/Recordings) shape.
nlohmann::json room_recording_json(const Recording& r, std::string_view base_url);
nlohmann::json recording_json(const Recording& r, std::string_view base_url);
nlohmann::json recording_rules_json(const RecordingRules& rules);
nlohmann::json composition_json(const Composition& c, std::string_view base_url);
nlohmann::json hook_json(const CompositionHook& h, std::string_view base_url);
// `path` is "/v1/CompositionSettings/Default" or "/v1/RecordingSettings/Default".
nlohmann::json settings_json(const MediaSettings& s, std::string_view base_url,
                             std::string_view path);

}  // namespace roomplane::emulator
