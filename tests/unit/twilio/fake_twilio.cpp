#include "unit/twilio/fake_twilio.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <stdexcept>

#include "crypto/crypto.h"
#include "http/handler.h"
#include "twilio/rest_client.h"

namespace roomplane::twilio::testing {
namespace {

using nlohmann::json;

constexpr const char* kAccountSid = "AC0123456789abcdef0123456789abcdef";
constexpr const char* kApiKeySid = "SK0123456789abcdef0123456789abcdef";
constexpr const char* kApiKeySecret = "fake-api-key-secret-s3cr3t";

std::string first_value(const http::FormParams& params, std::string_view name) {
  return http::form_value(params, name).value_or("");
}

std::optional<long> to_long(const std::string& text) {
  long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty())
    return std::nullopt;
  return value;
}

http::FormParams form_or_empty(std::string_view text) {
  auto parsed = http::parse_form(text);
  return parsed.ok() ? std::move(parsed).value() : http::FormParams{};
}

json null_or(const std::string& text) {
  return text.empty() ? json(nullptr) : json(text);
}

}  // namespace

std::string RecordedRequest::param(std::string_view name) const {
  return first_value(form, name);
}
std::string RecordedRequest::query_param(std::string_view name) const {
  return first_value(query, name);
}
std::size_t RecordedRequest::param_count(std::string_view name) const {
  return static_cast<std::size_t>(
      std::count_if(form.begin(), form.end(), [name](const auto& p) { return p.first == name; }));
}

Reply Reply::json(unsigned http_status, const nlohmann::json& value) {
  Reply reply;
  reply.status = http_status;
  reply.body = value.dump();
  return reply;
}

Reply Reply::twilio_error(unsigned http_status, int code, const std::string& message) {
  return json(http_status,
              {{"code", code},
               {"message", message},
               {"more_info", "https://www.twilio.com/docs/errors/" + std::to_string(code)},
               {"status", http_status}});
}

Reply Reply::raw(unsigned http_status, std::string text, std::string type) {
  Reply reply;
  reply.status = http_status;
  reply.body = std::move(text);
  reply.content_type = std::move(type);
  return reply;
}

struct FakeTwilio::State {
  mutable std::mutex mutex;
  std::condition_variable released_cv;
  bool released = false;
  std::string base_url;
  std::vector<RecordedRequest> requests;
  std::map<std::pair<std::string, std::string>, std::deque<Reply>> scripts;
  std::vector<json> rooms;
  std::vector<json> participants;
  std::map<std::string, json> recording_rules;
  std::vector<json> compositions;
  std::size_t max_page_size = 1000;
  unsigned next_sid = 1;

  std::string new_sid(const char* prefix) {
    char hex[33];
    std::snprintf(hex, sizeof hex, "%032x", next_sid++);
    return std::string(prefix) + hex;
  }

  // By SID (any status) or by unique name (in-progress only), as Twilio addresses rooms.
  json* find_room(const std::string& sid_or_name) {
    for (auto& room : rooms) {
      if (room["sid"] == sid_or_name ||
          (room["unique_name"] == sid_or_name && room["status"] == "in-progress"))
        return &room;
    }
    return nullptr;
  }
};

namespace {

http::Response to_response(const Reply& reply) {
  http::Response response;
  response.status = reply.status;
  response.content_type = reply.content_type;
  response.body = reply.body;
  response.headers = reply.headers;
  return response;
}

http::Response error(unsigned status, int code, const std::string& message) {
  return to_response(Reply::twilio_error(status, code, message));
}

// Twilio's list envelope for `all`, paged by PageSize / Page; `filters` are echoed first in the
// page URLs, as Twilio does.
http::Response page_of(const std::vector<json>& all, const std::string& key,
                       const RecordedRequest& request, const http::FormParams& filters,
                       const std::string& base_url, std::size_t max_page_size) {
  const auto asked = to_long(request.query_param("PageSize")).value_or(50);
  const std::size_t page_size =
      std::min(max_page_size, static_cast<std::size_t>(std::clamp(asked, 1L, 1000L)));
  const auto page =
      static_cast<std::size_t>(std::max(0L, to_long(request.query_param("Page")).value_or(0)));
  const std::string prefix = base_url + request.path + "?" + http::encode_form(filters) +
                             (filters.empty() ? "" : "&") +
                             "PageSize=" + std::to_string(page_size) + "&Page=";
  json items = json::array();
  for (std::size_t i = page * page_size; i < all.size() && i < (page + 1) * page_size; ++i)
    items.push_back(all[i]);
  const bool more = (page + 1) * page_size < all.size();
  json body = {
      {key, items},
      {"meta",
       {{"page", page},
        {"page_size", page_size},
        {"first_page_url", prefix + "0"},
        {"previous_page_url", page == 0 ? json(nullptr) : json(prefix + std::to_string(page - 1))},
        {"url", prefix + std::to_string(page)},
        {"next_page_url", more ? json(prefix + std::to_string(page + 1)) : json(nullptr)},
        {"key", key}}}};
  return http::Response::json(200, body);
}

}  // namespace

FakeTwilio::FakeTwilio(const core::Clock& clock)
    : clock_(clock), state_(std::make_unique<State>()) {
  add_routes();
  http::ServerOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.threads = 2;
  options.read_timeout = std::chrono::seconds(5);
  options.idle_timeout = std::chrono::seconds(5);
  options.drain_timeout = std::chrono::seconds(2);
  server_ =
      std::make_unique<http::Server>(options, router_, server_metrics_, observability::Logger{});
  const auto started = server_->start();
  if (!started.ok())
    throw std::runtime_error("fake Twilio did not start: " + started.error().message);
  state_->base_url = "http://127.0.0.1:" + std::to_string(server_->port());
}

FakeTwilio::~FakeTwilio() {
  {
    std::lock_guard lock(state_->mutex);
    state_->released = true;
  }
  state_->released_cv.notify_all();
  server_->shutdown();
  pool_.stop();
}

std::string FakeTwilio::base_url() const {
  return state_->base_url;
}

video::ProviderCredentials FakeTwilio::credentials() {
  return {kAccountSid, kApiKeySid, kApiKeySecret};
}

void FakeTwilio::script(const std::string& method, const std::string& route, Reply reply) {
  std::lock_guard lock(state_->mutex);
  state_->scripts[{method, route}].push_back(std::move(reply));
}

std::vector<RecordedRequest> FakeTwilio::requests() const {
  std::lock_guard lock(state_->mutex);
  return state_->requests;
}

std::vector<RecordedRequest> FakeTwilio::requests(const std::string& method,
                                                  const std::string& route) const {
  std::vector<RecordedRequest> out;
  for (auto& request : requests()) {
    if (request.method == method && request.route == route)
      out.push_back(std::move(request));
  }
  return out;
}

std::string FakeTwilio::connect_participant(const std::string& room_sid,
                                            const std::string& identity) {
  std::lock_guard lock(state_->mutex);
  const std::string sid = state_->new_sid("PA");
  const std::string now = core::to_rfc3339(clock_.now());
  state_->participants.push_back(
      {{"account_sid", kAccountSid},
       {"room_sid", room_sid},
       {"date_created", now},
       {"date_updated", now},
       {"start_time", now},
       {"end_time", nullptr},
       {"sid", sid},
       {"identity", identity},
       {"status", "connected"},
       {"url", state_->base_url + "/v1/Rooms/" + room_sid + "/Participants/" + sid},
       {"duration", nullptr},
       {"links", json::object()}});
  return sid;
}

void FakeTwilio::set_composition_status(const std::string& composition_sid,
                                        const std::string& status) {
  std::lock_guard lock(state_->mutex);
  for (auto& composition : state_->compositions) {
    if (composition["sid"] == composition_sid) {
      composition["status"] = status;
      if (status == "completed") {
        composition["date_completed"] = core::to_rfc3339(clock_.now());
        composition["duration"] = 42;
        composition["size"] = 1048576;
      }
    }
  }
}

void FakeTwilio::set_max_page_size(std::size_t size) {
  std::lock_guard lock(state_->mutex);
  state_->max_page_size = size;
}

std::size_t FakeTwilio::room_count() const {
  std::lock_guard lock(state_->mutex);
  return state_->rooms.size();
}

std::size_t FakeTwilio::composition_count() const {
  std::lock_guard lock(state_->mutex);
  return state_->compositions.size();
}

void FakeTwilio::add_routes() {
  const std::vector<std::pair<std::string, std::string>> routes = {
      {"POST", "/v1/Rooms"},
      {"GET", "/v1/Rooms/{Sid}"},
      {"POST", "/v1/Rooms/{Sid}"},
      {"GET", "/v1/Rooms/{RoomSid}/Participants"},
      {"POST", "/v1/Rooms/{RoomSid}/Participants/{Sid}"},
      {"POST", "/v1/Rooms/{RoomSid}/RecordingRules"},
      {"GET", "/v1/Compositions"},
      {"POST", "/v1/Compositions"},
      {"GET", "/v1/Compositions/{Sid}"},
      {"GET", "/v1/Compositions/{Sid}/Media"},
      {"GET", "/media/{Sid}"},
  };
  for (const auto& [method, route] : routes) {
    router_.add(
        method, route,
        http::blocking(pool_, [this, method = method, route = route](const http::Request& request) {
          return handle(method, route, request);
        }));
  }
}

http::Response FakeTwilio::handle(const std::string& method, const std::string& route,
                                  const http::Request& request) {
  RecordedRequest recorded;
  recorded.method = method;
  recorded.route = route;
  recorded.path = request.path;
  recorded.target = request.target;
  recorded.path_params = request.path_params;
  if (const auto q = request.target.find('?'); q != std::string::npos)
    recorded.query = form_or_empty(request.target.substr(q + 1));
  if (method == "POST")
    recorded.form = form_or_empty(request.body);
  recorded.authorization = std::string(request.header("Authorization").value_or(""));
  recorded.content_type = std::string(request.header("Content-Type").value_or(""));

  std::optional<Reply> scripted;
  {
    std::lock_guard lock(state_->mutex);
    state_->requests.push_back(recorded);
    auto& queue = state_->scripts[{method, route}];
    if (!queue.empty()) {
      scripted = std::move(queue.front());
      queue.pop_front();
    }
  }
  if (!scripted)
    return behave(recorded);
  if (scripted->apply)
    static_cast<void>(behave(recorded));
  if (scripted->hold.count() > 0) {
    std::unique_lock lock(state_->mutex);
    state_->released_cv.wait_for(lock, scripted->hold, [this] { return state_->released; });
  }
  return to_response(*scripted);
}

http::Response FakeTwilio::behave(const RecordedRequest& request) {
  if (request.route == "/media/{Sid}")
    return http::Response::text(200, "fake media bytes", "video/mp4");
  const std::string expected_auth =
      "Basic " + crypto::base64_encode(std::string(kApiKeySid) + ":" + kApiKeySecret);
  if (request.authorization != expected_auth)
    return error(401, 20003, "Authenticate");

  const std::string now = core::to_rfc3339(clock_.now());
  const auto capture = [&request](const std::string& name) {
    const auto it = request.path_params.find(name);
    return it == request.path_params.end() ? std::string() : it->second;
  };
  std::lock_guard lock(state_->mutex);
  State& state = *state_;
  const std::string& base = state.base_url;

  if (request.method == "POST" && request.route == "/v1/Rooms") {
    const std::string type = request.param("Type").empty() ? "group" : request.param("Type");
    if (type != "group" && type != "group-small" && type != "peer-to-peer" && type != "go")
      return error(400, 53108, "Room type is not valid");
    json max_participants = 50;
    if (const auto text = request.param("MaxParticipants"); !text.empty()) {
      const auto value = to_long(text);
      if (!value || *value < 1 || *value > 50)
        return error(400, 53107, "MaxParticipants is out of range");
      max_participants = *value;
    }
    json timeouts[2] = {5, 5};
    const char* names[2] = {"EmptyRoomTimeout", "UnusedRoomTimeout"};
    for (int i = 0; i < 2; ++i) {
      if (const auto text = request.param(names[i]); !text.empty()) {
        const auto value = to_long(text);
        if (!value || *value < 1 || *value > 60)
          return error(400, 53109, std::string(names[i]) + " is out of range");
        timeouts[i] = *value;
      }
    }
    const std::string name = request.param("UniqueName");
    if (!name.empty() && state.find_room(name) != nullptr)
      return error(400, 53113, "Room exists");
    const std::string sid = state.new_sid("RM");
    const std::string rooms_url = base + "/v1/Rooms/" + sid;
    state.rooms.push_back(
        {{"sid", sid},
         {"status", "in-progress"},
         {"date_created", now},
         {"date_updated", now},
         {"account_sid", kAccountSid},
         {"enable_turn", true},
         {"unique_name", name.empty() ? sid : name},
         {"status_callback", null_or(request.param("StatusCallback"))},
         {"status_callback_method", "POST"},
         {"end_time", nullptr},
         {"duration", nullptr},
         {"type", type},
         {"max_participants", max_participants},
         {"max_participant_duration", 14400},
         {"max_concurrent_published_tracks", 0},
         {"record_participants_on_connect", request.param("RecordParticipantsOnConnect") == "true"},
         {"video_codecs", {"VP8", "H264"}},
         {"media_region", "us1"},
         {"audio_only", false},
         {"empty_room_timeout", timeouts[0]},
         {"unused_room_timeout", timeouts[1]},
         {"large_room", false},
         {"url", rooms_url},
         {"links",
          {{"participants", rooms_url + "/Participants"},
           {"recordings", rooms_url + "/Recordings"},
           {"recording_rules", rooms_url + "/RecordingRules"}}}});
    return http::Response::json(201, state.rooms.back());
  }

  if (request.route == "/v1/Rooms/{Sid}") {
    json* room = state.find_room(capture("Sid"));
    if (room == nullptr)
      return error(404, 20404,
                   "The requested resource /Rooms/" + capture("Sid") + " was not found");
    if (request.method == "GET")
      return http::Response::json(200, *room);
    if (request.param("Status") != "completed" || (*room)["status"] != "in-progress")
      return error(400, 53112, "Status is invalid");
    (*room)["status"] = "completed";
    (*room)["end_time"] = now;
    (*room)["date_updated"] = now;
    const auto created = parse_timestamp((*room)["date_created"].get<std::string>());
    (*room)["duration"] =
        created ? std::chrono::duration_cast<std::chrono::seconds>(clock_.now() - *created).count()
                : 0;
    for (auto& participant : state.participants) {
      if (participant["room_sid"] == (*room)["sid"] && participant["status"] == "connected") {
        participant["status"] = "disconnected";
        participant["end_time"] = now;
        participant["duration"] = 0;
      }
    }
    return http::Response::json(202, *room);
  }

  if (request.route == "/v1/Rooms/{RoomSid}/Participants") {
    const json* room = state.find_room(capture("RoomSid"));
    if (room == nullptr)
      return error(404, 20404, "The requested resource was not found");
    http::FormParams filters;
    if (const auto status = request.query_param("Status"); !status.empty())
      filters.emplace_back("Status", status);
    std::vector<json> matching;
    for (const auto& participant : state.participants) {
      if (participant["room_sid"] == (*room)["sid"] &&
          (filters.empty() || participant["status"] == filters.front().second))
        matching.push_back(participant);
    }
    return page_of(matching, "participants", request, filters, base, state.max_page_size);
  }

  if (request.route == "/v1/Rooms/{RoomSid}/Participants/{Sid}") {
    const json* room = state.find_room(capture("RoomSid"));
    const std::string who = capture("Sid");
    if (request.param("Status") != "disconnected")
      return error(400, 20001, "Status is invalid");
    for (auto& participant : state.participants) {
      if (room != nullptr && participant["room_sid"] == (*room)["sid"] &&
          participant["status"] == "connected" &&
          (participant["sid"] == who || participant["identity"] == who)) {
        participant["status"] = "disconnected";
        participant["end_time"] = now;
        participant["duration"] = 0;
        return http::Response::json(202, participant);
      }
    }
    return error(404, 20404, "The requested resource was not found");
  }

  if (request.route == "/v1/Rooms/{RoomSid}/RecordingRules") {
    const json* room = state.find_room(capture("RoomSid"));
    if (room == nullptr)
      return error(404, 20404, "The requested resource was not found");
    const json rules = json::parse(request.param("Rules"), nullptr, false);
    if (!rules.is_array())
      return error(400, 53120, "Rules are invalid");
    state.recording_rules[(*room)["sid"].get<std::string>()] = rules;
    return http::Response::json(200, {{"room_sid", (*room)["sid"]},
                                      {"rules", rules},
                                      {"date_created", now},
                                      {"date_updated", now}});
  }

  if (request.method == "POST" && request.route == "/v1/Compositions") {
    const std::string room_sid = request.param("RoomSid");
    bool room_known = false;
    for (const auto& room : state.rooms)
      room_known = room_known || room["sid"] == room_sid;
    if (!room_known)
      return error(400, 53106, "Room not found");
    const std::string layout_text = request.param("VideoLayout");
    json audio_sources = json::array();
    for (const auto& [name, value] : request.form) {
      if (name == "AudioSources")
        audio_sources.push_back(value);
    }
    if (layout_text.empty() && audio_sources.empty())
      return error(400, 20001, "Either VideoLayout or AudioSources is required");
    const json layout =
        layout_text.empty() ? json::object() : json::parse(layout_text, nullptr, false);
    if (!layout.is_object())
      return error(400, 20001, "VideoLayout is invalid");
    const std::string format = request.param("Format").empty() ? "webm" : request.param("Format");
    if (format != "mp4" && format != "webm")
      return error(400, 20001, "Format is invalid");
    const std::string sid = state.new_sid("CJ");
    state.compositions.push_back(
        {{"account_sid", kAccountSid},
         {"status", "enqueued"},
         {"date_created", now},
         {"date_completed", nullptr},
         {"date_deleted", nullptr},
         {"sid", sid},
         {"room_sid", room_sid},
         {"audio_sources", audio_sources},
         {"audio_sources_excluded", json::array()},
         {"video_layout", layout},
         {"resolution",
          request.param("Resolution").empty() ? "640x480" : request.param("Resolution")},
         {"trim", true},
         {"format", format},
         {"bitrate", 0},
         {"size", 0},
         {"duration", 0},
         {"media_external_location", nullptr},
         {"status_callback", null_or(request.param("StatusCallback"))},
         {"status_callback_method", "POST"},
         {"url", base + "/v1/Compositions/" + sid},
         {"links", {{"media", base + "/v1/Compositions/" + sid + "/Media"}}}});
    return http::Response::json(201, state.compositions.back());
  }

  if (request.route == "/v1/Compositions") {
    http::FormParams filters;
    if (const auto room = request.query_param("RoomSid"); !room.empty())
      filters.emplace_back("RoomSid", room);
    std::vector<json> matching;
    for (const auto& composition : state.compositions) {
      if (filters.empty() || composition["room_sid"] == filters.front().second)
        matching.push_back(composition);
    }
    return page_of(matching, "compositions", request, filters, base, state.max_page_size);
  }

  if (request.route == "/v1/Compositions/{Sid}" ||
      request.route == "/v1/Compositions/{Sid}/Media") {
    const std::string sid = capture("Sid");
    for (const auto& composition : state.compositions) {
      if (composition["sid"] != sid)
        continue;
      if (request.route == "/v1/Compositions/{Sid}")
        return http::Response::json(200, composition);
      if (composition["status"] != "completed")
        return error(400, 20001, "The composition media is not available");
      const std::string location =
          base + "/media/" + sid + "?Ttl=" + request.query_param("Ttl") + "&Signature=abc";
      auto response = http::Response::json(302, {{"redirect_to", location}});
      response.headers.emplace_back("Location", location);
      return response;
    }
    return error(404, 20404, "The requested resource was not found");
  }
  return error(404, 20404, "The requested resource was not found");
}

}  // namespace roomplane::twilio::testing
