#pragma once
// Transport-neutral request and response. Handlers see only these types, never Beast's, so they
// are unit-testable without a socket and the server implementation can change underneath them.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace roomplane::http {

// Response headers a handler may set to pass facts to the server's access log. The server strips
// them before sending, so they never reach the client.
inline constexpr std::string_view kTenantHeader = "X-Roomplane-Tenant";      // logged as tenant_id
inline constexpr std::string_view kErrorDetailHeader = "X-Roomplane-Error";  // logged as error

// Case-insensitive header map (HTTP header names are case-insensitive).
struct CaseInsensitiveLess {
  bool operator()(std::string_view a, std::string_view b) const;
};
using Headers = std::map<std::string, std::string, CaseInsensitiveLess>;

struct Request {
  std::string method;                              // "GET", "POST", ...
  std::string target;                              // as received: path and query
  std::string path;                                // percent-decoded path without the query
  std::map<std::string, std::string> query;        // decoded; last value wins on repeats
  std::map<std::string, std::string> path_params;  // filled by the router from "{name}" segments
  Headers headers;
  std::string body;
  std::string request_id;      // X-Request-Id if the client sent a sane one, else generated
  std::string remote_address;  // peer IP of the TCP connection
  std::string route;           // the matched route pattern, e.g. "/v1/rooms/{id}" (for metrics)

  std::optional<std::string_view> header(std::string_view name) const;
  std::optional<std::string_view> query_param(std::string_view name) const;
  std::string_view path_param(std::string_view name) const;  // "" when absent
};

struct Response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers

  static Response json(unsigned status, const nlohmann::json& body);
  // A body that is already JSON text (written by hand on a hot path, core/json_text.h).
  static Response json_text(unsigned status, std::string body);
  static Response text(unsigned status, std::string body,
                       std::string content_type = "text/plain; charset=utf-8");
  static Response no_content();
  // {"error":{"code":...,"message":...}}
  static Response error(unsigned status, std::string_view code, std::string_view message);
  // The one place that maps an ErrorKind to a status code.
  static Response from_error(const core::Error& error);
};

unsigned status_for(core::ErrorKind kind);

// Decodes %XX escapes (and "+" as a space when `plus_is_space`, as in query strings). nullopt
// when an escape is malformed ("%", "%4", "%zz").
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space = false);

// Parses a JSON object body; a clear 400 error when the body is not a JSON object.
core::Result<nlohmann::json> parse_json_object(const Request& request);

}  // namespace roomplane::http
