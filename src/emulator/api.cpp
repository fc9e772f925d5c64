#include "emulator/api.h"

#include <exception>

#include "crypto/crypto.h"
#include "emulator/api_internal.h"
#include "emulator/params.h"

namespace roomplane::emulator {
namespace api {
namespace {

// "Basic base64(user:password)" -> (user, password); nullopt when malformed.
std::optional<std::pair<std::string, std::string>> basic_credentials(const http::Request& request) {
  const auto header = request.header("Authorization");
  if (!header)
    return std::nullopt;
  std::string_view value = *header;
  constexpr std::string_view kScheme = "basic ";
  if (value.size() <= kScheme.size())
    return std::nullopt;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    const char c = value[i];
    const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    if (lower != kScheme[i])
      return std::nullopt;
  }
  value.remove_prefix(kScheme.size());
  while (!value.empty() && value.front() == ' ')
    value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ')
    value.remove_suffix(1);
  const auto decoded = crypto::base64_decode(value);
  if (!decoded)
    return std::nullopt;
  const auto colon = decoded->find(':');
  if (colon == std::string::npos)
    return std::nullopt;
  return std::make_pair(decoded->substr(0, colon), decoded->substr(colon + 1));
}

core::Result<http::FormParams> query_params(const http::Request& request) {
  const auto q = request.target.find('?');
  if (q == std::string::npos)
    return http::FormParams{};
  auto parsed = http::parse_form(std::string_view(request.target).substr(q + 1));
  if (!parsed.ok())
    return invalid_parameter("The query string has malformed percent-encoding");
  return std::move(parsed).value();
}

http::Response handle(const ApiContext& context, const RestFn& fn, const http::Request& request) {
  if (auto injected = context.gate.before_request(request))
    return std::move(*injected);
  const auto credentials = basic_credentials(request);
  if (!credentials)
    return unauthorized_response();
  auto account = context.state.authenticate(credentials->first, credentials->second);
  if (!account)
    return unauthorized_response();
  auto query = query_params(request);
  if (!query.ok())
    return error_response(query.error());
  http::FormParams form;
  if (request.method == "POST") {
    auto parsed = http::parse_form(request.body);
    if (!parsed.ok())
      return error_response(invalid_parameter("The form body has malformed percent-encoding"));
    form = std::move(parsed).value();
  }
  const RestCall call{request, std::move(*account), std::move(query).value(), std::move(form),
                      context.base_url()};
  auto response = fn(call);
  response.headers.emplace_back(std::string(http::kTenantHeader), call.account_sid);
  return response;
}

}  // namespace

void RestRoutes::add(std::string method, std::string pattern, std::string operation, RestFn fn) {
  auto handler = [context = context_, operation,
                  fn = std::move(fn)](const http::Request& request) -> http::Response {
    http::Response response;
    try {
      response = handle(context, fn, request);
    } catch (const std::exception& e) {
      context.logger.error("emulator_handler_exception",
                           {{"operation", operation}, {"error", e.what()}});
      response = error_response(core::Error::internal("internal error"));
    } catch (...) {
      context.logger.error("emulator_handler_exception", {{"operation", operation}});
      response = error_response(core::Error::internal("internal error"));
    }
    context.metrics
        .counter("roomplane_emulator_requests_total",
                 "Twilio REST requests answered by the emulator",
                 {{"operation", operation}, {"status", std::to_string(response.status)}})
        .inc();
    return response;
  };
  router_.add(std::move(method), std::move(pattern), http::blocking(context_.pool, handler));
}

http::Response json(unsigned status, const nlohmann::json& body) {
  return http::Response::json(status, body);
}

core::Result<std::optional<bool>> bool_param(const http::FormParams& params, std::string_view name,
                                             int code) {
  const auto value = http::form_value(params, name);
  if (!value)
    return std::optional<bool>();
  const auto parsed = parse_bool(*value);
  if (!parsed)
    return twilio_error(core::ErrorKind::kInvalidArgument, code,
                        std::string(name) + " must be true or false");
  return std::optional<bool>(*parsed);
}

core::Result<std::optional<std::int64_t>> int_param(const http::FormParams& params,
                                                    std::string_view name, int code) {
  const auto value = http::form_value(params, name);
  if (!value)
    return std::optional<std::int64_t>();
  const auto parsed = parse_int(*value);
  if (!parsed)
    return twilio_error(core::ErrorKind::kInvalidArgument, code,
                        std::string(name) + " must be an integer");
  return std::optional<std::int64_t>(*parsed);
}

core::Result<std::optional<core::TimePoint>> date_param(const http::FormParams& params,
                                                        std::string_view name) {
  const auto value = http::form_value(params, name);
  if (!value)
    return std::optional<core::TimePoint>();
  const auto parsed = parse_date_filter(*value);
  if (!parsed)
    return invalid_parameter(std::string(name) + " must be an ISO 8601 date or date-time");
  return std::optional<core::TimePoint>(*parsed);
}

core::Result<std::optional<std::string>> callback_url_param(const http::FormParams& params,
                                                            int code) {
  const auto value = http::form_value(params, "StatusCallback");
  if (!value)
    return std::optional<std::string>();
  if (!is_http_url(*value))
    return twilio_error(core::ErrorKind::kInvalidArgument, code,
                        "StatusCallback is not a valid URL");
  return std::optional<std::string>(*value);
}

core::Result<std::optional<std::string>> callback_method_param(const http::FormParams& params,
                                                               int code) {
  const auto value = http::form_value(params, "StatusCallbackMethod");
  if (!value)
    return std::optional<std::string>();
  auto method = parse_http_method(*value);
  if (!method)
    return twilio_error(core::ErrorKind::kInvalidArgument, code,
                        "StatusCallbackMethod must be GET or POST");
  return method;
}

}  // namespace api

void add_twilio_routes(http::Router& router, const ApiContext& context) {
  api::RestRoutes routes(router, context);
  api::add_room_routes(routes);
  api::add_recording_routes(routes);
  api::add_composition_routes(routes);
}

}  // namespace roomplane::emulator
