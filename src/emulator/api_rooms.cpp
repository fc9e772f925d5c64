// REST: Rooms, Room Participants, Published Tracks.

#include <algorithm>
#include <array>

#include "emulator/api_internal.h"
#include "emulator/params.h"

namespace roomplane::emulator::api {
namespace {

constexpr std::size_t kMaxPageSize = 1000;

constexpr std::array<std::string_view, 10> kMediaRegions = {"us1", "us2", "ie1", "de1", "au1",
                                                            "br1", "jp1", "sg1", "in1", "gll"};

// Per room type: default and maximum MaxParticipants, and whether recording exists.
struct TypeLimits {
  int max_participants;
  int concurrent_tracks;
  bool can_record;
};

std::optional<TypeLimits> limits_for(std::string_view type) {
  if (type == "group")
    return TypeLimits{50, 170, true};
  if (type == "group-small")
    return TypeLimits{4, 170, true};
  if (type == "peer-to-peer")
    return TypeLimits{10, 0, false};
  if (type == "go")
    return TypeLimits{2, 0, false};
  return std::nullopt;
}

core::Error room_error(int code, std::string message) {
  return twilio_error(core::ErrorKind::kInvalidArgument, code, std::move(message));
}

// POST /v1/Rooms parameters -> a Room prototype for State::create_room.
core::Result<Room> parse_room_spec(const http::FormParams& form) {
  Room spec;
  if (const auto type = http::form_value(form, "Type"))
    spec.type = *type;
  const auto limits = limits_for(spec.type);
  if (!limits)
    return room_error(kErrRoomType, "RoomType is not valid");
  spec.max_participants = limits->max_participants;
  spec.max_concurrent_published_tracks = limits->concurrent_tracks;

  if (const auto name = http::form_value(form, "UniqueName")) {
    if (name->empty())
      return room_error(kErrRoomNameInvalid, "Room name is invalid");
    if (name->size() > kMaxNameLength)
      return room_error(kErrRoomNameTooLong, "Room name is too long");
    if (!is_clean_utf8(*name))
      return room_error(kErrRoomNameChars, "Room name contains invalid characters");
    spec.unique_name = *name;
  }
  auto callback = callback_url_param(form);
  if (!callback.ok())
    return callback.error();
  spec.status_callback = *callback;
  auto method = callback_method_param(form);
  if (!method.ok())
    return method.error();
  if (*method)
    spec.status_callback_method = **method;

  auto max_participants = int_param(form, "MaxParticipants", kErrMaxParticipants);
  if (!max_participants.ok())
    return max_participants.error();
  if (*max_participants) {
    if (**max_participants < 1 || **max_participants > limits->max_participants)
      return room_error(kErrMaxParticipants, "MaxParticipants must be between 1 and " +
                                                 std::to_string(limits->max_participants) +
                                                 " for this room type");
    spec.max_participants = static_cast<int>(**max_participants);
  }
  auto max_duration = int_param(form, "MaxParticipantDuration");
  if (!max_duration.ok())
    return max_duration.error();
  if (*max_duration) {
    if (**max_duration < 600 || **max_duration > 86400)
      return invalid_parameter("MaxParticipantDuration must be between 600 and 86400 seconds");
    spec.max_participant_duration = static_cast<int>(**max_duration);
  }
  for (const auto& [name, target] :
       {std::pair<std::string_view, int*>{"EmptyRoomTimeout", &spec.empty_room_timeout},
        {"UnusedRoomTimeout", &spec.unused_room_timeout}}) {
    auto minutes = int_param(form, name, kErrRoomTimeout);
    if (!minutes.ok())
      return minutes.error();
    if (*minutes) {
      if (**minutes < 1 || **minutes > 60)
        return room_error(kErrRoomTimeout, std::string(name) + " must be 1..60 minutes");
      *target = static_cast<int>(**minutes);
    }
  }

  auto record = bool_param(form, "RecordParticipantsOnConnect");
  if (!record.ok())
    return record.error();
  spec.record_participants_on_connect = record->value_or(false);
  if (const auto rules = http::form_value(form, "RecordingRules")) {
    auto parsed = parse_recording_rules(*rules);
    if (!parsed.ok())
      return parsed.error();
    spec.recording_rules = std::move(parsed).value();
  }
  const bool wants_recording =
      spec.record_participants_on_connect ||
      std::any_of(spec.recording_rules.begin(), spec.recording_rules.end(),
                  [](const nlohmann::json& r) { return r.value("type", "") == "include"; });
  if (wants_recording && !limits->can_record)
    return room_error(kErrRoomTypeIncompatible,
                      "Recording is not available for room type " + spec.type);

  const auto codecs = form_values(form, "VideoCodecs");
  if (!codecs.empty()) {
    spec.video_codecs.clear();
    for (const auto& codec : codecs) {
      if (codec != "VP8" && codec != "H264")
        return invalid_parameter("VideoCodecs must be VP8 or H264");
      if (std::find(spec.video_codecs.begin(), spec.video_codecs.end(), codec) ==
          spec.video_codecs.end())
        spec.video_codecs.push_back(codec);
    }
  }
  if (const auto region = http::form_value(form, "MediaRegion")) {
    if (std::find(kMediaRegions.begin(), kMediaRegions.end(), *region) == kMediaRegions.end())
      return room_error(kErrMediaRegion, "MediaRegion is invalid");
    spec.media_region = *region;
  }
  for (const auto& [name, target] :
       {std::pair<std::string_view, bool*>{"AudioOnly", &spec.audio_only},
        {"LargeRoom", &spec.large_room}}) {
    auto value = bool_param(form, name);
    if (!value.ok())
      return value.error();
    *target = value->value_or(false);
  }
  // Accepted for compatibility, no effect: EnableTurn (always true), transcription params.
  for (const auto name : {"EnableTurn", "TranscribeParticipantsOnConnect"}) {
    auto value = bool_param(form, name);
    if (!value.ok())
      return value.error();
  }
  if (const auto config = http::form_value(form, "TranscriptionsConfiguration")) {
    const auto parsed = parse_json_text(*config);
    if (!parsed || !parsed->is_object())
      return invalid_parameter("TranscriptionsConfiguration must be a JSON object");
  }
  return spec;
}

http::Response create_room(const RestCall& call, State& state) {
  auto spec = parse_room_spec(call.form);
  if (!spec.ok())
    return error_response(spec.error());
  auto room = state.create_room(call.account_sid, std::move(spec).value());
  if (!room.ok())
    return error_response(room.error());
  return json(201, room_json(*room, call.base_url));
}

http::Response list_rooms(const RestCall& call, State& state) {
  auto page = parse_page_request(call.query, kMaxPageSize);
  if (!page.ok())
    return error_response(page.error());
  RoomFilter filter;
  // Twilio documents in-progress as the default status of this list.
  filter.status = http::form_value(call.query, "Status").value_or("in-progress");
  if (*filter.status != "in-progress" && *filter.status != "completed" &&
      *filter.status != "failed")
    return error_response(invalid_parameter("Status must be in-progress, completed or failed"));
  filter.unique_name = http::form_value(call.query, "UniqueName");
  auto after = date_param(call.query, "DateCreatedAfter");
  auto before = date_param(call.query, "DateCreatedBefore");
  if (!after.ok())
    return error_response(after.error());
  if (!before.ok())
    return error_response(before.error());
  filter.created_after = *after;
  filter.created_before = *before;
  const auto rooms = state.list_rooms(call.account_sid, filter);
  return list_response(call, *page, "/v1/Rooms", "rooms",
                       {"Status", "UniqueName", "DateCreatedAfter", "DateCreatedBefore"}, rooms,
                       /*descending=*/true, room_json);
}

http::Response update_room(const RestCall& call, State& state) {
  const auto status = http::form_value(call.form, "Status");
  if (!status || *status != "completed")
    return error_response(
        room_error(kErrRoomStatus, "Status is invalid: only completed is accepted"));
  auto room = state.complete_room(call.account_sid, call.path_param("Sid"));
  if (!room.ok())
    return error_response(room.error());
  return json(202, room_json(*room, call.base_url));
}

http::Response list_participants(const RestCall& call, State& state) {
  auto page = parse_page_request(call.query, kMaxPageSize);
  if (!page.ok())
    return error_response(page.error());
  const auto room_ref = call.path_param("RoomSid");
  auto room = state.find_room(call.account_sid, room_ref);
  if (!room.ok())
    return error_response(room.error());
  ParticipantFilter filter;
  filter.status = http::form_value(call.query, "Status");
  if (filter.status && *filter.status != "connected" && *filter.status != "disconnected" &&
      *filter.status != "reconnecting")
    return error_response(
        invalid_parameter("Status must be connected, disconnected or reconnecting"));
  filter.identity = http::form_value(call.query, "Identity");
  auto after = date_param(call.query, "DateCreatedAfter");
  auto before = date_param(call.query, "DateCreatedBefore");
  if (!after.ok())
    return error_response(after.error());
  if (!before.ok())
    return error_response(before.error());
  filter.created_after = *after;
  filter.created_before = *before;
  auto participants = state.list_participants(call.account_sid, room->sid, filter);
  if (!participants.ok())
    return error_response(participants.error());
  return list_response(call, *page, "/v1/Rooms/" + room->sid + "/Participants", "participants",
                       {"Status", "Identity", "DateCreatedAfter", "DateCreatedBefore"},
                       *participants, /*descending=*/false, participant_json);
}

http::Response update_participant(const RestCall& call, State& state) {
  const auto status = http::form_value(call.form, "Status");
  if (!status || *status != "disconnected")
    return error_response(invalid_parameter("Status must be disconnected"));
  auto p =
      state.kick_participant(call.account_sid, call.path_param("RoomSid"), call.path_param("Sid"));
  if (!p.ok())
    return error_response(p.error());
  return json(202, participant_json(*p, call.base_url));
}

http::Response list_published_tracks(const RestCall& call, State& state) {
  auto page = parse_page_request(call.query, kMaxPageSize);
  if (!page.ok())
    return error_response(page.error());
  auto p = state.find_participant(call.account_sid, call.path_param("RoomSid"),
                                  call.path_param("ParticipantSid"));
  if (!p.ok())
    return error_response(p.error());
  auto tracks = state.list_published_tracks(call.account_sid, p->room_sid, p->sid);
  if (!tracks.ok())
    return error_response(tracks.error());
  return list_response(call, *page,
                       "/v1/Rooms/" + p->room_sid + "/Participants/" + p->sid + "/PublishedTracks",
                       "published_tracks", {}, *tracks, /*descending=*/false, published_track_json);
}

}  // namespace

void add_room_routes(RestRoutes& routes) {
  State& state = routes.state();
  routes.add("POST", "/v1/Rooms", "CreateRoom",
             [&state](const RestCall& call) { return create_room(call, state); });
  routes.add("GET", "/v1/Rooms", "ListRoom",
             [&state](const RestCall& call) { return list_rooms(call, state); });
  routes.add("GET", "/v1/Rooms/{Sid}", "FetchRoom", [&state](const RestCall& call) {
    auto room = state.find_room(call.account_sid, call.path_param("Sid"));
    return room.ok() ? json(200, room_json(*room, call.base_url)) : error_response(room.error());
  });
  routes.add("POST", "/v1/Rooms/{Sid}", "UpdateRoom",
             [&state](const RestCall& call) { return update_room(call, state); });
  routes.add("GET", "/v1/Rooms/{RoomSid}/Participants", "ListRoomParticipant",
             [&state](const RestCall& call) { return list_participants(call, state); });
  routes.add("GET", "/v1/Rooms/{RoomSid}/Participants/{Sid}", "FetchRoomParticipant",
             [&state](const RestCall& call) {
               auto p = state.find_participant(call.account_sid, call.path_param("RoomSid"),
                                               call.path_param("Sid"));
               return p.ok() ? json(200, participant_json(*p, call.base_url))
                             : error_response(p.error());
             });
  routes.add("POST", "/v1/Rooms/{RoomSid}/Participants/{Sid}", "UpdateRoomParticipant",
             [&state](const RestCall& call) { return update_participant(call, state); });
  routes.add("GET", "/v1/Rooms/{RoomSid}/Participants/{ParticipantSid}/PublishedTracks",
             "ListRoomParticipantPublishedTrack",
             [&state](const RestCall& call) { return list_published_tracks(call, state); });
  routes.add("GET", "/v1/Rooms/{RoomSid}/Participants/{ParticipantSid}/PublishedTracks/{Sid}",
             "FetchRoomParticipantPublishedTrack", [&state](const RestCall& call) {
               auto t = state.find_published_track(call.account_sid, call.path_param("RoomSid"),
                                                   call.path_param("ParticipantSid"),
                                                   call.path_param("Sid"));
               return t.ok() ? json(200, published_track_json(*t, call.base_url))
                             : error_response(t.error());
             });
}

}  // namespace roomplane::emulator::api
