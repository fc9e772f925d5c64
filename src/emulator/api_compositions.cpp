// REST: Compositions (+ Media), Composition Hooks, and the two settings singletons.

#include "emulator/api_internal.h"
#include "emulator/params.h"

namespace roomplane::emulator::api {
namespace {

constexpr std::size_t kCompositionsMaxPageSize = 100;
constexpr std::size_t kHooksMaxPageSize = 1000;
constexpr std::size_t kMaxFriendlyName = 100;

// The media parameters compositions and hooks share, applied onto `target` (a Composition or a
// CompositionHook) only where given, so a hook update keeps what it does not mention.
template <class T>
core::Status apply_media_params(const http::FormParams& form, T& target) {
  if (const auto layout = http::form_value(form, "VideoLayout")) {
    auto parsed = parse_video_layout(*layout);
    if (!parsed.ok())
      return parsed.error();
    target.video_layout = std::move(parsed).value();
  }
  const auto sources = form_values(form, "AudioSources");
  if (!sources.empty()) {
    auto parsed = parse_source_list(sources, "AudioSources");
    if (!parsed.ok())
      return parsed.error();
    target.audio_sources = std::move(parsed).value();
  }
  const auto excluded = form_values(form, "AudioSourcesExcluded");
  if (!excluded.empty()) {
    auto parsed = parse_source_list(excluded, "AudioSourcesExcluded");
    if (!parsed.ok())
      return parsed.error();
    target.audio_sources_excluded = std::move(parsed).value();
  }
  if (const auto resolution = http::form_value(form, "Resolution")) {
    if (!is_valid_resolution(*resolution))
      return invalid_parameter(
          "Resolution must be {width}x{height}, each 16..1280, at most 921600 pixels");
    target.resolution = *resolution;
  }
  if (const auto format = http::form_value(form, "Format")) {
    if (*format != "mp4" && *format != "webm")
      return invalid_parameter("Format must be mp4 or webm");
    target.format = *format;
  }
  auto trim = bool_param(form, "Trim");
  if (!trim.ok())
    return trim.error();
  if (*trim)
    target.trim = **trim;
  auto callback = callback_url_param(form, kErrInvalidParameter);
  if (!callback.ok())
    return callback.error();
  if (*callback)
    target.status_callback = *callback;
  auto method = callback_method_param(form, kErrInvalidParameter);
  if (!method.ok())
    return method.error();
  if (*method)
    target.status_callback_method = **method;
  if (target.video_layout.empty() && target.audio_sources.empty())
    return invalid_parameter("Either VideoLayout or AudioSources must be specified");
  return {};
}

core::Result<std::optional<core::TimePoint>> after_of(const http::FormParams& q) {
  return date_param(q, "DateCreatedAfter");
}
core::Result<std::optional<core::TimePoint>> before_of(const http::FormParams& q) {
  return date_param(q, "DateCreatedBefore");
}

http::Response create_composition(const RestCall& call, State& state) {
  const auto room_sid = http::form_value(call.form, "RoomSid");
  if (!room_sid)
    return error_response(invalid_parameter("Missing required parameter RoomSid"));
  if (!is_sid(*room_sid, "RM"))
    return error_response(invalid_parameter("RoomSid must be a Room SID (RM...)"));
  Composition spec;
  spec.room_sid = *room_sid;
  if (auto status = apply_media_params(call.form, spec); !status.ok())
    return error_response(status.error());
  auto c = state.create_composition(call.account_sid, std::move(spec));
  if (!c.ok())
    return error_response(c.error());
  return json(201, composition_json(*c, call.base_url));
}

http::Response list_compositions(const RestCall& call, State& state) {
  auto page = parse_page_request(call.query, kCompositionsMaxPageSize);
  if (!page.ok())
    return error_response(page.error());
  CompositionFilter filter;
  filter.status = http::form_value(call.query, "Status");
  if (filter.status && *filter.status != "enqueued" && *filter.status != "processing" &&
      *filter.status != "completed" && *filter.status != "deleted" && *filter.status != "failed")
    return error_response(
        invalid_parameter("Status must be enqueued, processing, completed, deleted or failed"));
  filter.room_sid = http::form_value(call.query, "RoomSid");
  auto after = after_of(call.query);
  auto before = before_of(call.query);
  if (!after.ok())
    return error_response(after.error());
  if (!before.ok())
    return error_response(before.error());
  filter.created_after = *after;
  filter.created_before = *before;
  const auto compositions = state.list_compositions(call.account_sid, filter);
  return list_response(call, *page, "/v1/Compositions", "compositions",
                       {"Status", "DateCreatedAfter", "DateCreatedBefore", "RoomSid"}, compositions,
                       /*descending=*/true, composition_json);
}

http::Response composition_media(const RestCall& call, State& state) {
  auto c = state.find_composition(call.account_sid, call.path_param("Sid"));
  if (!c.ok())
    return error_response(c.error());
  return media_redirect(call, state, c->sid);
}

core::Status apply_hook_params(const http::FormParams& form, CompositionHook& hook) {
  const auto name = http::form_value(form, "FriendlyName");
  if (!name)
    return invalid_parameter("Missing required parameter FriendlyName");
  if (name->empty() || name->size() > kMaxFriendlyName || !is_clean_utf8(*name))
    return invalid_parameter("FriendlyName must be 1..100 characters");
  hook.friendly_name = *name;
  auto enabled = bool_param(form, "Enabled");
  if (!enabled.ok())
    return enabled.error();
  if (*enabled)
    hook.enabled = **enabled;
  return apply_media_params(form, hook);
}

http::Response create_hook(const RestCall& call, State& state) {
  CompositionHook spec;
  if (auto status = apply_hook_params(call.form, spec); !status.ok())
    return error_response(status.error());
  auto hook = state.create_hook(call.account_sid, std::move(spec));
  if (!hook.ok())
    return error_response(hook.error());
  return json(201, hook_json(*hook, call.base_url));
}

http::Response update_hook(const RestCall& call, State& state) {
  auto hook = state.find_hook(call.account_sid, call.path_param("Sid"));
  if (!hook.ok())
    return error_response(hook.error());
  CompositionHook spec = *hook;
  if (auto status = apply_hook_params(call.form, spec); !status.ok())
    return error_response(status.error());
  auto updated = state.update_hook(call.account_sid, hook->sid, std::move(spec));
  if (!updated.ok())
    return error_response(updated.error());
  return json(200, hook_json(*updated, call.base_url));
}

http::Response list_hooks(const RestCall& call, State& state) {
  auto page = parse_page_request(call.query, kHooksMaxPageSize);
  if (!page.ok())
    return error_response(page.error());
  HookFilter filter;
  auto enabled = bool_param(call.query, "Enabled");
  if (!enabled.ok())
    return error_response(enabled.error());
  filter.enabled = *enabled;
  filter.friendly_name = http::form_value(call.query, "FriendlyName");
  auto after = after_of(call.query);
  auto before = before_of(call.query);
  if (!after.ok())
    return error_response(after.error());
  if (!before.ok())
    return error_response(before.error());
  filter.created_after = *after;
  filter.created_before = *before;
  const auto hooks = state.list_hooks(call.account_sid, filter);
  return list_response(call, *page, "/v1/CompositionHooks", "composition_hooks",
                       {"Enabled", "DateCreatedAfter", "DateCreatedBefore", "FriendlyName"}, hooks,
                       /*descending=*/true, hook_json);
}

http::Response update_settings(const RestCall& call, State& state, SettingsKind kind,
                               std::string_view path) {
  MediaSettings settings;
  const auto name = http::form_value(call.form, "FriendlyName");
  if (!name)
    return error_response(invalid_parameter("Missing required parameter FriendlyName"));
  settings.friendly_name = *name;
  for (const auto& [param, target] : {std::pair<std::string_view, std::optional<std::string>*>{
                                          "AwsCredentialsSid", &settings.aws_credentials_sid},
                                      {"EncryptionKeySid", &settings.encryption_key_sid}}) {
    if (const auto value = http::form_value(call.form, param)) {
      if (!is_sid(*value, "CR"))
        return error_response(invalid_parameter(std::string(param) + " must be a CR... SID"));
      *target = *value;
    }
  }
  if (const auto url = http::form_value(call.form, "AwsS3Url")) {
    if (!is_http_url(*url))
      return error_response(invalid_parameter("AwsS3Url must be a URL"));
    settings.aws_s3_url = *url;
  }
  for (const auto& [param, target] :
       {std::pair<std::string_view, bool*>{"AwsStorageEnabled", &settings.aws_storage_enabled},
        {"EncryptionEnabled", &settings.encryption_enabled}}) {
    auto value = bool_param(call.form, param);
    if (!value.ok())
      return error_response(value.error());
    *target = value->value_or(false);
  }
  const auto stored = state.set_settings(call.account_sid, kind, std::move(settings));
  return json(200, settings_json(stored, call.base_url, path));
}

}  // namespace

void add_composition_routes(RestRoutes& routes) {
  State& state = routes.state();
  const auto bind = [&state](http::Response (*fn)(const RestCall&, State&)) {
    return [&state, fn](const RestCall& call) { return fn(call, state); };
  };
  routes.add("POST", "/v1/Compositions", "CreateComposition", bind(create_composition));
  routes.add("GET", "/v1/Compositions", "ListComposition", bind(list_compositions));
  routes.add("GET", "/v1/Compositions/{Sid}", "FetchComposition", [&state](const RestCall& call) {
    auto c = state.find_composition(call.account_sid, call.path_param("Sid"));
    return c.ok() ? json(200, composition_json(*c, call.base_url)) : error_response(c.error());
  });
  routes.add("DELETE", "/v1/Compositions/{Sid}", "DeleteComposition",
             [&state](const RestCall& call) {
               auto status = state.delete_composition(call.account_sid, call.path_param("Sid"));
               return status.ok() ? http::Response::no_content() : error_response(status.error());
             });
  routes.add("GET", "/v1/Compositions/{Sid}/Media", "FetchCompositionMedia",
             bind(composition_media));

  routes.add("POST", "/v1/CompositionHooks", "CreateCompositionHook", bind(create_hook));
  routes.add("GET", "/v1/CompositionHooks", "ListCompositionHook", bind(list_hooks));
  routes.add("GET", "/v1/CompositionHooks/{Sid}", "FetchCompositionHook",
             [&state](const RestCall& call) {
               auto h = state.find_hook(call.account_sid, call.path_param("Sid"));
               return h.ok() ? json(200, hook_json(*h, call.base_url)) : error_response(h.error());
             });
  routes.add("POST", "/v1/CompositionHooks/{Sid}", "UpdateCompositionHook", bind(update_hook));
  routes.add("DELETE", "/v1/CompositionHooks/{Sid}", "DeleteCompositionHook",
             [&state](const RestCall& call) {
               auto status = state.delete_hook(call.account_sid, call.path_param("Sid"));
               return status.ok() ? http::Response::no_content() : error_response(status.error());
             });

  static constexpr std::string_view kCompositionSettings = "/v1/CompositionSettings/Default";
  static constexpr std::string_view kRecordingSettings = "/v1/RecordingSettings/Default";
  routes.add("GET", std::string(kCompositionSettings), "FetchCompositionSettings",
             [&state](const RestCall& call) {
               return json(
                   200, settings_json(state.settings(call.account_sid, SettingsKind::kComposition),
                                      call.base_url, kCompositionSettings));
             });
  routes.add("POST", std::string(kCompositionSettings), "CreateCompositionSettings",
             [&state](const RestCall& call) {
               return update_settings(call, state, SettingsKind::kComposition,
                                      kCompositionSettings);
             });
  routes.add("GET", std::string(kRecordingSettings), "FetchRecordingSettings",
             [&state](const RestCall& call) {
               return json(200,
                           settings_json(state.settings(call.account_sid, SettingsKind::kRecording),
                                         call.base_url, kRecordingSettings));
             });
  routes.add("POST", std::string(kRecordingSettings), "CreateRecordingSettings",
             [&state](const RestCall& call) {
               return update_settings(call, state, SettingsKind::kRecording, kRecordingSettings);
             });
}

}  // namespace roomplane::emulator::api
