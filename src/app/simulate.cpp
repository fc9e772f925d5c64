#include "app/simulate.h"

#include <iostream>
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

// The emulator's control API (/_emulator/...): JSON in, JSON out.
class ControlClient {
 public:
  ControlClient(http::HttpClient& http, std::string base_url)
      : http_(http), base_url_(std::move(base_url)) {}

  core::Result<nlohmann::json> post(const std::string& path, const nlohmann::json& body) {
    http::ClientRequest request;
    request.method = "POST";
    request.url = base_url_ + path;
    request.headers["Content-Type"] = "application/json";
    request.body = body.dump();
    auto response = http_.send(request);
    if (!response)
      return std::move(response).take_error();
    auto json = nlohmann::json::parse(response->body, nullptr, false);
    if (response->status >= 300) {
      const auto message =
          json.is_object() && json.contains("error") ? json["error"].dump() : response->body;
      return core::Error::unavailable(
          "emulator_control_failed",
          path + " answered " + std::to_string(response->status) + ": " + message);
    }
    if (json.is_discarded())
      return core::Error::unavailable("emulator_control_failed", path + " sent no JSON");
    return json;
  }

 private:
  http::HttpClient& http_;
  std::string base_url_;
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
  ControlClient control(http, options.emulator_url);
  tokens::AccessTokenBuilder token_builder(clock);
  const auto pause = [&] { std::this_thread::sleep_for(options.step_pause); };

  video::ProviderCredentials credentials{options.account_sid, options.api_key_sid,
                                         options.api_key_secret};
  if (options.account_sid.empty()) {
    auto account = control.post("/_emulator/accounts", nlohmann::json::object());
    if (!account)
      return std::move(account).take_error();
    credentials = {(*account)["account_sid"].get<std::string>(),
                   (*account)["api_key_sid"].get<std::string>(),
                   (*account)["api_key_secret"].get<std::string>()};
    say("account_created", {{"account_sid", credentials.account_sid}});
  }

  video::RoomSpec spec;
  spec.unique_name = "consultation-" + short_id();
  spec.record_participants_on_connect = true;
  spec.empty_room_timeout_minutes = 1;
  spec.status_callback_url = options.status_callback_url;
  auto room = provider.create_room(credentials, spec);
  if (!room)
    return std::move(room).take_error();
  say("room_created", {{"room_sid", room->sid}, {"unique_name", room->unique_name}});

  const std::vector<std::string> roles = {"clinician", "patient", "interpreter"};
  const auto count = static_cast<std::size_t>(std::clamp(options.participants, 2, 3));
  const auto join = [&](const std::string& identity) -> core::Status {
    tokens::AccessTokenRequest token_request;
    token_request.account_sid = credentials.account_sid;
    token_request.api_key_sid = credentials.api_key_sid;
    token_request.api_key_secret = credentials.api_key_secret;
    token_request.identity = identity;
    token_request.room = room->unique_name;
    token_request.ttl = std::chrono::seconds(600);
    auto token = token_builder.build(token_request);
    if (!token)
      return std::move(token).take_error();
    const auto base = "/_emulator/rooms/" + room->sid + "/participants";
    auto joined = control.post(base, {{"identity", identity}, {"token", token->token}});
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
        control.post("/_emulator/rooms/" + room->sid + "/participants/" + identity + "/disconnect",
                     nlohmann::json::object());
    if (!left)
      return std::move(left).take_error();
    say("participant_disconnected", {{"identity", identity}});
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
        "/_emulator/rooms/" + room->sid + "/participants/" + identity + "/tracks/audio-" + identity;
    if (auto s = control.post(track + "/disable", nlohmann::json::object()); !s)
      return std::move(s).take_error();
    if (auto s = control.post(track + "/enable", nlohmann::json::object()); !s)
      return std::move(s).take_error();
    say("speaking", {{"identity", identity}});
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
  auto ended = provider.complete_room(credentials, room->sid);
  if (!ended)
    return std::move(ended).take_error();
  say("room_ended",
      {{"room_sid", ended->sid}, {"duration_seconds", ended->duration_seconds.value_or(0)}});

  video::CompositionSpec composition_spec;
  composition_spec.room_sid = room->sid;
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
                                      "the composition of " + room->sid + " failed");
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
  return room->sid;
}

}  // namespace roomplane::app
