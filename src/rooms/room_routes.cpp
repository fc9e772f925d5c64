#include "rooms/room_routes.h"

#include <charconv>
#include <cmath>
#include <limits>

#include "core/json_text.h"
#include "rooms/room_json.h"
#include "tenants/tenant_routes.h"

namespace roomplane::rooms {
namespace {

// The token answer, written by hand: it is the hot path's response, and nlohmann's serializer
// (which validates and escapes the 600-byte token character by character) was the largest
// single cost of issuing a token. Same text as nlohmann::json::dump of the same object (keys in
// its sorted order); the identity and room id are valid UTF-8 (checked by the token builder).
std::string token_response_json(const IssuedToken& token) {
  std::string out;
  out.reserve(token.token.size() + token.identity.size() + 128);
  out += "{\"expires_at\":";
  core::append_json_string(out, core::to_rfc3339(token.expires_at));
  out += ",\"identity\":";
  core::append_json_string(out, token.identity);
  out += ",\"room\":";
  core::append_json_string(out, token.room.value());
  out += ",\"token\":";
  core::append_json_string(out, token.token);
  out += ",\"ttl_seconds\":";
  out += std::to_string(token.ttl_seconds);
  out += '}';
  return out;
}

using nlohmann::json;
using tenants::Principal;

constexpr std::size_t kMaxListLimit = 200;

core::Error invalid_field(const std::string& name, const std::string& expected) {
  return core::Error::invalid_argument("invalid_field", name + " must be " + expected);
}

// An optional member; absent and null both give nullopt. `check` decides the JSON type.
template <class T>
core::Result<std::optional<T>> optional_member(const json& body, const char* name);

template <>
core::Result<std::optional<std::string>> optional_member(const json& body, const char* name) {
  const auto it = body.find(name);
  if (it == body.end() || it->is_null())
    return std::optional<std::string>();
  if (!it->is_string())
    return invalid_field(name, "a string");
  return std::optional<std::string>(it->get<std::string>());
}

template <>
core::Result<std::optional<bool>> optional_member(const json& body, const char* name) {
  const auto it = body.find(name);
  if (it == body.end() || it->is_null())
    return std::optional<bool>();
  if (!it->is_boolean())
    return invalid_field(name, "true or false");
  return std::optional<bool>(it->get<bool>());
}

// Integers only (2.5 and "3" are refused; 3.0 is 3); values beyond int64 saturate, so the range
// check that follows reports them as out of range rather than as garbage.
template <>
core::Result<std::optional<std::int64_t>> optional_member(const json& body, const char* name) {
  const auto it = body.find(name);
  if (it == body.end() || it->is_null())
    return std::optional<std::int64_t>();
  if (it->is_number_unsigned()) {
    const auto value = it->get<std::uint64_t>();
    constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    return std::optional<std::int64_t>(value > kMax ? std::numeric_limits<std::int64_t>::max()
                                                    : static_cast<std::int64_t>(value));
  }
  if (it->is_number_integer())
    return std::optional<std::int64_t>(it->get<std::int64_t>());
  // Beyond 64 bits the parser gives a double; a whole one is still an integer, just far out of
  // range. Fractions are not integers.
  if (it->is_number_float()) {
    const double value = it->get<double>();
    if (std::isfinite(value) && value == std::floor(value)) {
      constexpr double kLimit = 9.2e18;  // inside int64, so the cast below is defined
      return std::optional<std::int64_t>(
          static_cast<std::int64_t>(std::clamp(value, -kLimit, kLimit)));
    }
  }
  return invalid_field(name, "an integer");
}

std::optional<int> saturate_int(std::optional<std::int64_t> value) {
  if (!value)
    return std::nullopt;
  return static_cast<int>(std::clamp<std::int64_t>(*value, std::numeric_limits<int>::min(),
                                                   std::numeric_limits<int>::max()));
}

core::Result<CreateRoomRequest> parse_create(const http::Request& request) {
  auto body = http::parse_json_object(request);
  if (!body)
    return std::move(body).take_error();
  CreateRoomRequest out;
  auto name = optional_member<std::string>(*body, "name");
  if (!name)
    return std::move(name).take_error();
  if (!*name)
    return core::Error::invalid_argument("invalid_field", "name is required");
  out.name = **name;
  auto type = optional_member<std::string>(*body, "type");
  if (!type)
    return std::move(type).take_error();
  out.type = *type;
  auto max_participants = optional_member<std::int64_t>(*body, "max_participants");
  if (!max_participants)
    return std::move(max_participants).take_error();
  out.max_participants = saturate_int(*max_participants);
  auto record = optional_member<bool>(*body, "record");
  if (!record)
    return std::move(record).take_error();
  out.record = record->value_or(false);
  auto timeout = optional_member<std::int64_t>(*body, "empty_room_timeout_minutes");
  if (!timeout)
    return std::move(timeout).take_error();
  out.empty_room_timeout_minutes = saturate_int(*timeout);
  return out;
}

core::Result<RoomListQuery> parse_list(const http::Request& request) {
  RoomListQuery query;
  if (const auto status = request.query_param("status"); status && !status->empty()) {
    query.status = room_lifecycle_from_string(*status);
    if (!query.status)
      return core::Error::invalid_argument(
          "invalid_status", "status must be creating, in-progress, completed or failed");
  }
  if (const auto limit = request.query_param("limit"); limit && !limit->empty()) {
    std::size_t value = 0;
    const auto* end = limit->data() + limit->size();
    const auto [ptr, ec] = std::from_chars(limit->data(), end, value);
    if (ec != std::errc() || ptr != end || value < 1 || value > kMaxListLimit)
      return core::Error::invalid_argument("invalid_limit",
                                           "limit must be an integer from 1 to 200");
    query.limit = value;
  }
  if (const auto cursor = request.query_param("cursor"); cursor && !cursor->empty())
    query.cursor = std::string(*cursor);
  return query;
}

core::RoomId room_id(const http::Request& request) {
  return core::RoomId(std::string(request.path_param("id")));
}

// "Bearer <token>", the scheme case-insensitively (RFC 6750).
std::optional<std::string> bearer_token(const http::Request& request) {
  const auto header = request.header("Authorization");
  constexpr std::string_view kScheme = "bearer ";
  if (!header || header->size() <= kScheme.size())
    return std::nullopt;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>((*header)[i])) != kScheme[i])
      return std::nullopt;
  }
  auto token = header->substr(kScheme.size());
  while (!token.empty() && token.front() == ' ')
    token.remove_prefix(1);
  if (token.empty())
    return std::nullopt;
  return std::string(token);
}

using Handler = std::function<http::Response(const http::Request&, const Principal&)>;

}  // namespace

http::Response room_error_response(const core::Error& error) {
  if (const auto status = provider_error_status(error))
    return http::Response::error(*status, error.code, error.message);
  return http::Response::from_error(error);
}

void add_room_routes(http::Router& router, RoomService& service,
                     tenants::TenantDirectory& directory, core::WorkPool& pool) {
  const auto add = [&](const char* method, const char* pattern, Handler handler) {
    router.add(method, pattern, tenants::authenticated(directory, pool, std::move(handler)));
  };

  add("POST", "/v1/rooms", [&service](const http::Request& request, const Principal& principal) {
    auto parsed = parse_create(request);
    if (!parsed)
      return room_error_response(parsed.error());
    auto created = service.create(principal.tenant_id, *parsed);
    if (!created)
      return room_error_response(created.error());
    return http::Response::json(201, room_view_json(*created));
  });

  add("GET", "/v1/rooms", [&service](const http::Request& request, const Principal& principal) {
    auto query = parse_list(request);
    if (!query)
      return room_error_response(query.error());
    auto page = service.list(principal.tenant_id, *query);
    if (!page)
      return room_error_response(page.error());
    json rooms = json::array();
    for (const auto& room : page->rooms)
      rooms.push_back(room_json(room));
    return http::Response::json(
        200, {{"rooms", std::move(rooms)},
              {"next_cursor", page->next_cursor ? json(*page->next_cursor) : json(nullptr)}});
  });

  add("GET", "/v1/rooms/{id}",
      [&service](const http::Request& request, const Principal& principal) {
        auto detail = service.get(principal.tenant_id, room_id(request));
        if (!detail)
          return room_error_response(detail.error());
        return http::Response::json(200, room_detail_json(detail->view, detail->composition_jobs));
      });

  add("POST", "/v1/rooms/{id}/end",
      [&service](const http::Request& request, const Principal& principal) {
        auto view = service.end(principal.tenant_id, room_id(request));
        if (!view)
          return room_error_response(view.error());
        return http::Response::json(200, room_view_json(*view));
      });

  // The hottest route: answered on the I/O thread when the room, the tenant and its credentials
  // are cached (RoomService::issue_token_cached), else on the pool. Same answers either way.
  const auto issue = [&service](const http::Request& request, const Principal& principal,
                                bool cached_only) -> std::optional<http::Response> {
    auto body = http::parse_json_object(request);
    if (!body)
      return room_error_response(body.error());
    auto identity = optional_member<std::string>(*body, "identity");
    if (!identity)
      return room_error_response(identity.error());
    auto ttl = optional_member<std::int64_t>(*body, "ttl_seconds");
    if (!ttl)
      return room_error_response(ttl.error());
    // A missing identity is the identity policy's "identity_empty" (422), like "".
    std::optional<core::Result<IssuedToken>> issued;
    if (cached_only) {
      issued = service.issue_token_cached(principal.tenant_id, room_id(request),
                                          identity->value_or(""), *ttl);
      if (!issued)
        return std::nullopt;
    } else {
      issued =
          service.issue_token(principal.tenant_id, room_id(request), identity->value_or(""), *ttl);
    }
    if (!*issued)
      return room_error_response(issued->error());
    return http::Response::json_text(201, token_response_json(issued->value()));
  };
  router.add("POST", "/v1/rooms/{id}/tokens",
             tenants::authenticated(
                 directory, pool,
                 [issue](const http::Request& request, const Principal& principal) {
                   return *issue(request, principal, false);
                 },
                 [issue](const http::Request& request, const Principal& principal) {
                   return issue(request, principal, true);
                 }));

  add("POST", "/v1/rooms/{id}/participants/{identity}/disconnect",
      [&service](const http::Request& request, const Principal& principal) {
        auto view = service.disconnect(principal.tenant_id, room_id(request),
                                       std::string(request.path_param("identity")));
        if (!view)
          return room_error_response(view.error());
        return http::Response::json(200, room_view_json(*view));
      });

  add("POST", "/v1/rooms/{id}/recording",
      [&service](const http::Request& request, const Principal& principal) {
        auto body = http::parse_json_object(request);
        if (!body)
          return room_error_response(body.error());
        auto recording = optional_member<bool>(*body, "recording");
        if (!recording)
          return room_error_response(recording.error());
        if (!*recording)
          return room_error_response(core::Error::invalid_argument(
              "invalid_field", "recording is required: true to record, false to pause"));
        auto view = service.set_recording(principal.tenant_id, room_id(request), **recording);
        if (!view)
          return room_error_response(view.error());
        return http::Response::json(200, room_view_json(*view));
      });

  add("GET", "/v1/rooms/{id}/report",
      [&service](const http::Request& request, const Principal& principal) {
        auto report = service.report(principal.tenant_id, room_id(request));
        if (!report)
          return room_error_response(report.error());
        return http::Response::json(200, *report);
      });

  // The participant's own access token, not a tenant API key: browsers never hold API keys.
  router.add(
      "POST", "/v1/rooms/{id}/dominant-speaker",
      http::blocking(pool, [&service](const http::Request& request) {
        const auto token = bearer_token(request);
        if (!token)
          return room_error_response(
              core::Error::unauthenticated("a participant access token is required"));
        auto body = http::parse_json_object(request);
        if (!body)
          return room_error_response(body.error());
        auto identity = optional_member<std::string>(*body, "speaker_identity");
        if (!identity)
          return room_error_response(identity.error());
        auto sid = optional_member<std::string>(*body, "speaker_participant_sid");
        if (!sid)
          return room_error_response(sid.error());
        if (*identity && *sid)
          return room_error_response(core::Error::invalid_argument(
              "speaker_ambiguous", "give speaker_identity or speaker_participant_sid, not both"));
        if (!body->contains("speaker_identity") && !body->contains("speaker_participant_sid"))
          return room_error_response(core::Error::invalid_argument(
              "speaker_required",
              "speaker_identity or speaker_participant_sid is required (null: nobody)"));
        SpeakerReport report{*token, room_id(request), *identity, *sid};
        auto outcome = service.report_dominant_speaker(report);
        if (!outcome)
          return room_error_response(outcome.error());
        const auto& change = outcome->change;
        // 202 whatever the result: the report was taken; "result" says whether it changed
        // anything.
        auto response = http::Response::json(
            202, {{"result", outcome->result},
                  {"room", change.room_id.value()},
                  {"speaker_participant_sid", change.speaker_participant_sid.empty()
                                                  ? json(nullptr)
                                                  : json(change.speaker_participant_sid)},
                  {"speaker_identity",
                   change.speaker_identity.empty() ? json(nullptr) : json(change.speaker_identity)},
                  {"at", core::to_rfc3339(change.at)}});
        response.headers.emplace_back(std::string(http::kTenantHeader), outcome->tenant.value());
        return response;
      }));
}

}  // namespace roomplane::rooms
