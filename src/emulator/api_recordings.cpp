// REST: Room Recordings, account Recordings, Recording Rules, and the Media redirect.

#include "emulator/api_internal.h"
#include "emulator/params.h"

namespace roomplane::emulator::api {
namespace {

constexpr std::size_t kRoomRecordingsMaxPageSize = 1000;
constexpr std::size_t kRecordingsMaxPageSize = 100;
constexpr std::int64_t kDefaultMediaTtl = 3600;
constexpr std::int64_t kMaxMediaTtl = 604800;

// The filters both recording lists share; `account_level` adds GroupingSid and MediaType.
core::Result<RecordingFilter> parse_recording_filter(const http::FormParams& query,
                                                     bool account_level) {
  RecordingFilter filter;
  filter.status = http::form_value(query, "Status");
  if (filter.status && *filter.status != "processing" && *filter.status != "completed" &&
      *filter.status != "deleted" && *filter.status != "failed")
    return invalid_parameter("Status must be processing, completed, deleted or failed");
  filter.source_sid = http::form_value(query, "SourceSid");
  if (account_level) {
    filter.grouping_sids = form_values(query, "GroupingSid");
    filter.media_type = http::form_value(query, "MediaType");
    if (filter.media_type && *filter.media_type != "audio" && *filter.media_type != "video" &&
        *filter.media_type != "data")
      return invalid_parameter("MediaType must be audio, video or data");
  }
  auto after = date_param(query, "DateCreatedAfter");
  if (!after.ok())
    return after.error();
  auto before = date_param(query, "DateCreatedBefore");
  if (!before.ok())
    return before.error();
  filter.created_after = *after;
  filter.created_before = *before;
  return filter;
}

http::Response list_room_recordings(const RestCall& call, State& state) {
  auto page = parse_page_request(call.query, kRoomRecordingsMaxPageSize);
  if (!page.ok())
    return error_response(page.error());
  auto room = state.find_room(call.account_sid, call.path_param("RoomSid"));
  if (!room.ok())
    return error_response(room.error());
  auto filter = parse_recording_filter(call.query, false);
  if (!filter.ok())
    return error_response(filter.error());
  filter->room_sid = room->sid;
  auto recordings = state.list_recordings(call.account_sid, *filter);
  if (!recordings.ok())
    return error_response(recordings.error());
  return list_response(call, *page, "/v1/Rooms/" + room->sid + "/Recordings", "recordings",
                       {"Status", "SourceSid", "DateCreatedAfter", "DateCreatedBefore"},
                       *recordings, /*descending=*/true, room_recording_json);
}

http::Response list_recordings(const RestCall& call, State& state) {
  auto page = parse_page_request(call.query, kRecordingsMaxPageSize);
  if (!page.ok())
    return error_response(page.error());
  auto filter = parse_recording_filter(call.query, true);
  if (!filter.ok())
    return error_response(filter.error());
  auto recordings = state.list_recordings(call.account_sid, *filter);
  if (!recordings.ok())
    return error_response(recordings.error());
  return list_response(
      call, *page, "/v1/Recordings", "recordings",
      {"Status", "SourceSid", "GroupingSid", "MediaType", "DateCreatedAfter", "DateCreatedBefore"},
      *recordings, /*descending=*/true, recording_json);
}

std::optional<std::string> room_of(const RestCall& call) {
  const auto room = call.path_param("RoomSid");
  return room.empty() ? std::nullopt : std::optional<std::string>(room);
}

http::Response fetch_recording(const RestCall& call, State& state) {
  const auto room = room_of(call);
  auto r = state.find_recording(call.account_sid, room, call.path_param("Sid"));
  if (!r.ok())
    return error_response(r.error());
  return json(200,
              room ? room_recording_json(*r, call.base_url) : recording_json(*r, call.base_url));
}

http::Response delete_recording(const RestCall& call, State& state) {
  auto status = state.delete_recording(call.account_sid, room_of(call), call.path_param("Sid"));
  return status.ok() ? http::Response::no_content() : error_response(status.error());
}

http::Response recording_media(const RestCall& call, State& state) {
  auto r = state.find_recording(call.account_sid, room_of(call), call.path_param("Sid"));
  if (!r.ok())
    return error_response(r.error());
  return media_redirect(call, state, r->sid);
}

http::Response update_recording_rules(const RestCall& call, State& state) {
  const auto text = http::form_value(call.form, "Rules");
  if (!text)
    return error_response(invalid_parameter("Missing required parameter Rules"));
  auto rules = parse_recording_rules(*text);
  if (!rules.ok())
    return error_response(rules.error());
  auto updated =
      state.set_recording_rules(call.account_sid, call.path_param("RoomSid"), std::move(*rules));
  if (!updated.ok())
    return error_response(updated.error());
  return json(200, recording_rules_json(*updated));
}

}  // namespace

http::Response media_redirect(const RestCall& call, State& state, std::string_view sid) {
  auto ttl = int_param(call.query, "Ttl");
  if (!ttl.ok())
    return error_response(ttl.error());
  const std::int64_t seconds = ttl->value_or(kDefaultMediaTtl);
  if (seconds < 1 || seconds > kMaxMediaTtl)
    return error_response(invalid_parameter("Ttl must be between 1 and 604800 seconds"));
  auto file = state.media_file_name(call.account_sid, sid);
  if (!file.ok())
    return error_response(file.error());
  const std::int64_t expires = core::to_unix_seconds(state.now()) + seconds;
  const std::string url = call.base_url + "/_emulator/media/" + *file +
                          "?Expires=" + std::to_string(expires) +
                          "&Signature=" + state.media_signature(*file, expires);
  auto response = json(302, {{"redirect_to", url}});
  response.headers.emplace_back("Location", url);
  return response;
}

void add_recording_routes(RestRoutes& routes) {
  State& state = routes.state();
  const auto bind = [&state](http::Response (*fn)(const RestCall&, State&)) {
    return [&state, fn](const RestCall& call) { return fn(call, state); };
  };
  routes.add("GET", "/v1/Rooms/{RoomSid}/Recordings", "ListRoomRecording",
             bind(list_room_recordings));
  routes.add("GET", "/v1/Rooms/{RoomSid}/Recordings/{Sid}", "FetchRoomRecording",
             bind(fetch_recording));
  routes.add("DELETE", "/v1/Rooms/{RoomSid}/Recordings/{Sid}", "DeleteRoomRecording",
             bind(delete_recording));
  routes.add("GET", "/v1/Rooms/{RoomSid}/Recordings/{Sid}/Media", "FetchRoomRecordingMedia",
             bind(recording_media));
  routes.add("GET", "/v1/Recordings", "ListRecording", bind(list_recordings));
  routes.add("GET", "/v1/Recordings/{Sid}", "FetchRecording", bind(fetch_recording));
  routes.add("DELETE", "/v1/Recordings/{Sid}", "DeleteRecording", bind(delete_recording));
  routes.add("GET", "/v1/Recordings/{Sid}/Media", "FetchRecordingMedia", bind(recording_media));
  routes.add("GET", "/v1/Rooms/{RoomSid}/RecordingRules", "FetchRoomRecordingRule",
             [&state](const RestCall& call) {
               auto rules = state.recording_rules(call.account_sid, call.path_param("RoomSid"));
               return rules.ok() ? json(200, recording_rules_json(*rules))
                                 : error_response(rules.error());
             });
  routes.add("POST", "/v1/Rooms/{RoomSid}/RecordingRules", "UpdateRoomRecordingRule",
             bind(update_recording_rules));
}

}  // namespace roomplane::emulator::api
