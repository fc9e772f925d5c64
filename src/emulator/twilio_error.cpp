#include "emulator/twilio_error.h"

#include <utility>

#include <nlohmann/json.hpp>

namespace roomplane::emulator {

core::Error twilio_error(core::ErrorKind kind, int twilio_code, std::string message) {
  core::Error error{kind, "twilio_" + std::to_string(twilio_code), std::move(message)};
  error.upstream_code = twilio_code;
  return error;
}

core::Error invalid_parameter(std::string message) {
  return twilio_error(core::ErrorKind::kInvalidArgument, kErrInvalidParameter, std::move(message));
}

core::Error resource_not_found(std::string_view path) {
  return twilio_error(core::ErrorKind::kNotFound, kErrNotFound,
                      "The requested resource " + std::string(path) + " was not found");
}

http::Response error_response(const core::Error& error) {
  const unsigned status = http::status_for(error.kind);
  const int code = error.upstream_code != 0 ? error.upstream_code : kErrInternal;
  return http::Response::json(
      status, {{"code", code},
               {"message", error.message},
               {"more_info", "https://www.twilio.com/docs/errors/" + std::to_string(code)},
               {"status", status}});
}

http::Response unauthorized_response() {
  auto response = error_response(
      twilio_error(core::ErrorKind::kUnauthenticated, kErrAuthenticate, "Authenticate"));
  response.headers.emplace_back("WWW-Authenticate", "Basic realm=\"Twilio API\"");
  return response;
}

}  // namespace roomplane::emulator
