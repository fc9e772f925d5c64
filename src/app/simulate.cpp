#include "app/simulate.h"

#include <iostream>
#include <map>
#include <thread>

#include <nlohmann/json.hpp>

#include "crypto/crypto.h"
#include "http/curl_client.h"
#include "observability/metrics.h"
#include "tokens/access_token.h"
#include "twilio/rest_client.h"

namespace roomplane::app {
namespace {

void say(const std::string& step, nlohmann::json fields = nlohmann::json::object()) {
  fields["step"] = step;
  std::cout << fields.dump() << std::endl;
}

// A JSON API: the emulator's control API (/_emulator/...), or Roomplane's (/v1/..., with a
// bearer credential). JSON in, JSON out; any status of 300 or more is an error.
class JsonClient {
 public:
  JsonClient(http::HttpClient& http, std::string base_url, std::string error_code)
      : http_(http), base_url_(std::move(base_url)), error_code_(std::move(error_code)) {}

  core::Result<nlohmann::json> post(const std::string& path, const nlohmann::json& body,
                                    const std::string& bearer = {}) {
    return send("POST", path, body.dump(), bearer);
  }
  core::Result<nlohmann::json> get(const std::string& path, const std::string& bearer = {}) {
    return send("GET", path, "", bearer);
  }

 private:
  core::Result<nlohmann::json> send(const std::string& method, const std::string& path,
                                    std::string body, const std::string& bearer) {
    http::ClientRequest request;
    request.method = method;
    request.url = base_url_ + path;
    if (!body.empty())
      request.headers["Content-Type"] = "application/json";
    if (!bearer.empty())
      request.headers["Authorization"] = "Bearer " + bearer;
    request.body = std::move(body);
    auto response = http_.send(request);
    if (!response)
      return std::move(response).take_error();
    auto json = nlohmann::json::parse(response->body, nullptr, false);
    if (response->status >= 300) {
      const auto message =
          json.is_object() && json.contains("error") ? json["error"].dump() : response->body;
      return core::Error::unavailable(
          error_code_,
          method + " " + path + " answered " + std::to_string(response->status) + ": " + message);
    }
    if (json.is_discarded())
      return core::Error::unavailable(error_code_, path + " sent no JSON");
    return json;
  }

  http::HttpClient& http_;
  std::string base_url_;
  std::string error_code_;
};

std::string short_id() {
  return crypto::random_token("", 6);
}

}  // namespace

core::Result<std::string> run_simulation(const SimulateOptions& options) {
  http::CurlRuntime curl;
  http::CurlHttpClient http(curl);
  core::SystemClock clock;
  observability::MetricsRegistry metrics;
  twilio::RestClientOptions client_options;
  client_options.base_url = options.emulator_url;
  twilio::TwilioRestClient provider(http, clock, twilio::real_sleep(), metrics,
                                    observability::Logger(), client_options);
  JsonClient control(http, options.emulator_url, "emulator_control_failed");
  tokens::AccessTokenBuilder token_builder(clock);
  const auto pause = [&] { std::this_thread::sleep_for(options.step_pause); };

  // Through Roomplane, the application's side (room, tokens, speaker reports, ending) goes to
  // Roomplane's API; only what participants do goes to the emulator.
  const bool via_roomplane = !options.roomplane_url.empty();
  if (via_roomplane && options.api_key.empty()) {
    return core::Error::invalid_argument("api_key_required",
                                         "running through Roomplane needs a tenant API key");
  }
  JsonClient roomplane(http, options.roomplane_url, "roomplane_request_failed");
  std::string room_id;  // Roomplane's id, when run through it

  video::ProviderCredentials credentials{options.account_sid, options.api_key_sid,
                                         options.api_key_secret};
  if (!via_roomplane && options.account_sid.empty()) {
    auto account = control.post("/_emulator/accounts", nlohmann::json::object());
    if (!account)
      return std::move(account).take_error();
    credentials = {(*account)["account_sid"].get<std::string>(),
                   (*account)["api_key_sid"].get<std::string>(),
                   (*account)["api_key_secret"].get<std::string>()};
    say("account_created", {{"account_sid", credentials.account_sid}});
  }

  std::string room_sid;
  const std::string room_name = "consultation-" + short_id();
  if (via_roomplane) {
    auto created = roomplane.post("/v1/rooms",
                                  {{"name", room_name},
                                   {"type", "group"},
                                   {"record", true},
                                   {"empty_room_timeout_minutes", 1}},
                                  options.api_key);
    if (!created)
      return std::move(created).take_error();
    room_id = created->value("id", "");
    // Roomplane answers once the provider confirmed the room; the SID is normally there.
    auto room = *created;
    for (int i = 0; i < 50 && !room["provider_room_sid"].is_string(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      auto again = roomplane.get("/v1/rooms/" + room_id, options.api_key);
      if (!again)
        return std::move(again).take_error();
      room = std::move(again).value();
    }
    if (!room["provider_room_sid"].is_string()) {
      return core::Error::unavailable("room_not_linked",
                                      "room " + room_id + " got no provider room SID");
    }
    room_sid = room["provider_room_sid"].get<std::string>();
    say("room_created", {{"room_id", room_id}, {"room_sid", room_sid}, {"name", room_name}});
  } else {
    video::RoomSpec spec;
    spec.unique_name = room_name;
    spec.record_participants_on_connect = true;
    spec.empty_room_timeout_minutes = 1;
    spec.status_callback_url = options.status_callback_url;
    auto room = provider.create_room(credentials, spec);
    if (!room)
      return std::move(room).take_error();
    room_sid = room->sid;
    say("room_created", {{"room_sid", room->sid}, {"unique_name", room->unique_name}});
  }

  const std::vector<std::string> roles = {"clinician", "patient", "interpreter"};
  const auto count = static_cast<std::size_t>(std::clamp(options.participants, 2, 3));
  std::map<std::string, std::string> access_tokens;  // by identity
  const auto access_token = [&](const std::string& identity) -> core::Result<std::string> {
    if (via_roomplane) {
      auto issued = roomplane.post("/v1/rooms/" + room_id + "/tokens",
                                   {{"identity", identity}, {"ttl_seconds", 600}}, options.api_key);
      if (!issued)
        return std::move(issued).take_error();
      return issued->value("token", "");
    }
    tokens::AccessTokenRequest token_request;
    token_request.account_sid = credentials.account_sid;
    token_request.api_key_sid = credentials.api_key_sid;
    token_request.api_key_secret = credentials.api_key_secret;
    token_request.identity = identity;
    token_request.room = room_name;
    token_request.ttl = std::chrono::seconds(600);
    auto token = token_builder.build(token_request);
    if (!token)
      return std::move(token).take_error();
    return token->token;
  };
  const auto join = [&](const std::string& identity) -> core::Status {
    auto token = access_token(identity);
    if (!token)
      return std::move(token).take_error();
    access_tokens[identity] = *token;
    const auto base = "/_emulator/rooms/" + room_sid + "/participants";
    auto joined = control.post(base, {{"identity", identity}, {"token", *token}});
    if (!joined)
      return std::move(joined).take_error();
    say("participant_connected", {{"identity", identity}, {"participant_sid", (*joined)["sid"]}});
    for (const char* kind : {"audio", "video"}) {
      auto track = control.post(base + "/" + identity + "/tracks",
                                {{"kind", kind}, {"name", std::string(kind) + "-" + identity}});
      if (!track)
        return std::move(track).take_error();
    }
    say("tracks_published", {{"identity", identity}, {"tracks", {"audio", "video"}}});
    return {};
  };
  const auto leave = [&](const std::string& identity) -> core::Status {
    auto left =
        control.post("/_emulator/rooms/" + room_sid + "/participants/" + identity + "/disconnect",
                     nlohmann::json::object());
    if (!left)
      return std::move(left).take_error();
    say("participant_disconnected",
        {{"identity", identity}, {"participant_sid", left->value("sid", "")}});
    return {};
  };

  std::vector<std::string> identities;
  for (std::size_t i = 0; i < count; ++i)
    identities.push_back(roles[i] + "-" + short_id());
  for (const auto& identity : identities) {
    if (auto s = join(identity); !s)
      return std::move(s).take_error();
    pause();
  }

  // Speaking: each participant mutes and unmutes their microphone once.
  for (const auto& identity : identities) {
    const auto track =
        "/_emulator/rooms/" + room_sid + "/participants/" + identity + "/tracks/audio-" + identity;
    if (auto s = control.post(track + "/disable", nlohmann::json::object()); !s)
      return std::move(s).take_error();
    if (auto s = control.post(track + "/enable", nlohmann::json::object()); !s)
      return std::move(s).take_error();
    nlohmann::json fields = {{"identity", identity}};
    if (via_roomplane) {
      // What twilio-video.js's dominantSpeakerChanged makes the app do: the speaker's own SDK
      // reports, with its access token. Roomplane debounces ("debounced" within a second).
      auto reported = roomplane.post("/v1/rooms/" + room_id + "/dominant-speaker",
                                     {{"speaker_identity", identity}}, access_tokens[identity]);
      if (!reported)
        return std::move(reported).take_error();
      fields["dominant_speaker"] = reported->value("result", "");
    }
    say("speaking", fields);
    pause();
  }

  // The patient's connection drops and comes back: a new participant SID for the same identity.
  const auto& patient = identities[1];
  if (auto s = leave(patient); !s)
    return std::move(s).take_error();
  pause();
  if (auto s = join(patient); !s)
    return std::move(s).take_error();
  say("participant_rejoined", {{"identity", patient}});
  pause();

  for (const auto& identity : identities) {
    if (auto s = leave(identity); !s)
      return std::move(s).take_error();
  }
  if (via_roomplane) {
    auto ended =
        roomplane.post("/v1/rooms/" + room_id + "/end", nlohmann::json::object(), options.api_key);
    if (!ended)
      return std::move(ended).take_error();
    say("room_ended", {{"room_id", room_id},
                       {"room_sid", room_sid},
                       {"status", ended->value("status", "")},
                       {"duration_seconds", (*ended)["duration_seconds"]}});
    return room_sid;
  }
  auto ended = provider.complete_room(credentials, room_sid);
  if (!ended)
    return std::move(ended).take_error();
  say("room_ended",
      {{"room_sid", ended->sid}, {"duration_seconds", ended->duration_seconds.value_or(0)}});

  video::CompositionSpec composition_spec;
  composition_spec.room_sid = room_sid;
  auto composition = provider.create_composition(credentials, composition_spec);
  if (!composition)
    return std::move(composition).take_error();
  say("composition_enqueued", {{"composition_sid", composition->sid}});

  const auto deadline = std::chrono::steady_clock::now() + options.composition_timeout;
  auto last_status = composition->status;
  while (true) {
    auto current = provider.fetch_composition(credentials, composition->sid);
    if (!current)
      return std::move(current).take_error();
    if (current->status != last_status) {
      last_status = current->status;
      say("composition_" + std::string(video::to_string(last_status)),
          {{"composition_sid", current->sid}});
    }
    if (current->status == video::CompositionStatus::kCompleted)
      break;
    if (current->status == video::CompositionStatus::kFailed) {
      return core::Error::unavailable("composition_failed",
                                      "the composition of " + room_sid + " failed");
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return core::Error::unavailable("composition_timeout",
                                      "the composition did not finish in time");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  auto media =
      provider.composition_media_url(credentials, composition->sid, std::chrono::seconds(600));
  if (!media)
    return std::move(media).take_error();
  say("composition_media_available",
      {{"composition_sid", composition->sid}, {"media_url", *media}});
  return room_sid;
}

}  // namespace roomplane::app
