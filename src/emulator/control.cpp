#include "emulator/control.h"

#include "crypto/crypto.h"
#include "emulator/params.h"
#include "emulator/resource_json.h"
#include "emulator/twilio_error.h"

namespace roomplane::emulator {
namespace {

using nlohmann::json;

// The JSON object body, {} when empty.
core::Result<json> body_object(const http::Request& request) {
  if (request.body.empty())
    return json::object();
  auto parsed = parse_json_text(request.body);
  if (!parsed || !parsed->is_object())
    return invalid_parameter("The body must be a JSON object");
  return std::move(*parsed);
}

// An optional string member; error when present with another type.
core::Result<std::optional<std::string>> string_member(const json& body, const char* name) {
  const auto it = body.find(name);
  if (it == body.end() || it->is_null())
    return std::optional<std::string>();
  if (!it->is_string())
    return invalid_parameter(std::string(name) + " must be a string");
  return std::optional<std::string>(it->get<std::string>());
}

http::Response track_response(unsigned status, const core::Result<Track>& t,
                              const std::string& base_url) {
  return t.ok() ? http::Response::json(status, published_track_json(*t, base_url))
                : error_response(t.error());
}

using ControlFn = std::function<http::Response(const http::Request&)>;

void add(http::Router& router, const ControlContext& context, std::string method,
         std::string pattern, ControlFn fn) {
  // Handlers take the state mutex; run them on the pool like the REST routes.
  router.add(std::move(method), std::move(pattern),
             http::blocking(context.pool, [fn = std::move(fn)](const http::Request& request) {
               return fn(request);
             }));
}

}  // namespace

core::Result<CompositionBehaviour> parse_behaviour(const json& body) {
  const auto mode = body.find("mode");
  if (mode == body.end() || !mode->is_string())
    return invalid_parameter("mode must be normal, slow, fail or never");
  const auto parsed = parse_composition_mode(mode->get<std::string>());
  if (!parsed)
    return invalid_parameter("mode must be normal, slow, fail or never");
  CompositionBehaviour behaviour;
  behaviour.mode = *parsed;
  behaviour.factor = behaviour.mode == CompositionMode::kSlow ? 4.0 : 1.0;
  if (const auto factor = body.find("factor"); factor != body.end() && !factor->is_null()) {
    if (!factor->is_number() || factor->get<double>() < 1.0 || factor->get<double>() > 1000.0)
      return invalid_parameter("factor must be a number between 1 and 1000");
    behaviour.factor = factor->get<double>();
  }
  return behaviour;
}

void add_control_routes(http::Router& router, const ControlContext& context) {
  State& state = context.state;
  const auto base_url = context.base_url;

  add(router, context, "POST", "/_emulator/accounts", [&state](const http::Request& request) {
    auto body = body_object(request);
    if (!body.ok())
      return error_response(body.error());
    NewAccount account;
    for (const auto& [name, target] :
         {std::pair<const char*, std::optional<std::string>*>{"account_sid", &account.account_sid},
          {"auth_token", &account.auth_token},
          {"api_key_sid", &account.api_key_sid},
          {"api_key_secret", &account.api_key_secret}}) {
      auto value = string_member(*body, name);
      if (!value.ok())
        return error_response(value.error());
      *target = *value;
    }
    auto created = state.create_account(account);
    if (!created.ok())
      return error_response(created.error());
    return http::Response::json(201, {{"account_sid", created->account_sid},
                                      {"auth_token", created->auth_token},
                                      {"api_key_sid", created->api_key_sid},
                                      {"api_key_secret", created->api_key_secret}});
  });

  add(router, context, "POST", "/_emulator/rooms/{room}/participants",
      [&state, base_url](const http::Request& request) {
        auto body = body_object(request);
        if (!body.ok())
          return error_response(body.error());
        auto identity = string_member(*body, "identity");
        if (!identity.ok())
          return error_response(identity.error());
        auto token = string_member(*body, "token");
        if (!token.ok())
          return error_response(token.error());
        auto p = state.connect(
            ConnectRequest{std::string(request.path_param("room")), *identity, *token});
        return p.ok() ? http::Response::json(201, participant_json(*p, base_url()))
                      : error_response(p.error());
      });

  add(router, context, "POST", "/_emulator/rooms/{room}/participants/{participant}/disconnect",
      [&state, base_url](const http::Request& request) {
        auto p = state.disconnect(request.path_param("room"), request.path_param("participant"));
        return p.ok() ? http::Response::json(200, participant_json(*p, base_url()))
                      : error_response(p.error());
      });

  add(router, context, "POST", "/_emulator/rooms/{room}/participants/{participant}/tracks",
      [&state, base_url](const http::Request& request) {
        auto body = body_object(request);
        if (!body.ok())
          return error_response(body.error());
        auto kind = string_member(*body, "kind");
        if (!kind.ok())
          return error_response(kind.error());
        auto name = string_member(*body, "name");
        if (!name.ok())
          return error_response(name.error());
        return track_response(
            201,
            state.publish_track(request.path_param("room"), request.path_param("participant"),
                                kind->value_or(""), *name),
            base_url());
      });

  const auto unpublish = [&state, base_url](const http::Request& request) {
    return track_response(
        200,
        state.unpublish_track(request.path_param("room"), request.path_param("participant"),
                              request.path_param("track")),
        base_url());
  };
  add(router, context, "DELETE",
      "/_emulator/rooms/{room}/participants/{participant}/tracks/{track}", unpublish);
  add(router, context, "POST",
      "/_emulator/rooms/{room}/participants/{participant}/tracks/{track}/unpublish", unpublish);
  for (const bool enabled : {true, false}) {
    add(router, context, "POST",
        std::string("/_emulator/rooms/{room}/participants/{participant}/tracks/{track}/") +
            (enabled ? "enable" : "disable"),
        [&state, base_url, enabled](const http::Request& request) {
          return track_response(
              200,
              state.set_track_enabled(request.path_param("room"), request.path_param("participant"),
                                      request.path_param("track"), enabled),
              base_url());
        });
  }

  add(router, context, "POST", "/_emulator/compositions/behaviour",
      [&state](const http::Request& request) {
        auto body = body_object(request);
        if (!body.ok())
          return error_response(body.error());
        auto behaviour = parse_behaviour(*body);
        if (!behaviour.ok())
          return error_response(behaviour.error());
        state.set_default_composition_behaviour(*behaviour);
        return http::Response::json(
            200, {{"mode", to_string(behaviour->mode)}, {"factor", behaviour->factor}});
      });
  add(router, context, "POST", "/_emulator/compositions/{sid}/behaviour",
      [&state](const http::Request& request) {
        auto body = body_object(request);
        if (!body.ok())
          return error_response(body.error());
        auto behaviour = parse_behaviour(*body);
        if (!behaviour.ok())
          return error_response(behaviour.error());
        auto status = state.set_composition_behaviour(request.path_param("sid"), *behaviour);
        if (!status.ok())
          return error_response(status.error());
        return http::Response::json(200, {{"composition_sid", request.path_param("sid")},
                                          {"mode", to_string(behaviour->mode)},
                                          {"factor", behaviour->factor}});
      });

  add(router, context, "GET", "/_emulator/media/{file}", [&state](const http::Request& request) {
    const std::string file(request.path_param("file"));
    const auto expires_text = request.query_param("Expires");
    const auto signature = request.query_param("Signature");
    const auto expires = expires_text ? parse_int(*expires_text) : std::nullopt;
    if (!expires || !signature ||
        !crypto::constant_time_equals(*signature, state.media_signature(file, *expires)))
      return http::Response::error(403, "forbidden", "the media URL is not validly signed");
    if (core::to_unix_seconds(state.now()) >= *expires)
      return http::Response::error(403, "expired", "the media URL has expired");
    const auto media = state.media(file);
    if (!media)
      return http::Response::error(404, "not_found", "no such media");
    return http::Response::text(200, media->bytes, media->content_type);
  });

  add(router, context, "POST", "/_emulator/tick", [&state](const http::Request&) {
    state.tick();
    return http::Response::json(200, {{"now", core::to_rfc3339(state.now())}});
  });
  add(router, context, "GET", "/_emulator/state",
      [&state](const http::Request&) { return http::Response::json(200, state.dump()); });
}

}  // namespace roomplane::emulator
