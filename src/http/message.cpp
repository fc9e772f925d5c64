#include "http/message.h"

#include <algorithm>

namespace roomplane::http {
namespace {

char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

// Bodies can echo client input (e.g. an identity in an error message); replacing invalid UTF-8
// instead of throwing keeps a bad byte from turning a 4xx into a 500.
std::string dump(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

bool CaseInsensitiveLess::operator()(std::string_view a, std::string_view b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return ascii_lower(x) < ascii_lower(y);
  });
}

std::optional<std::string_view> Request::header(std::string_view name) const {
  const auto it = headers.find(std::string(name));
  if (it == headers.end())
    return std::nullopt;
  return std::string_view(it->second);
}

std::optional<std::string_view> Request::query_param(std::string_view name) const {
  const auto it = query.find(std::string(name));
  if (it == query.end())
    return std::nullopt;
  return std::string_view(it->second);
}

std::string_view Request::path_param(std::string_view name) const {
  const auto it = path_params.find(std::string(name));
  if (it == path_params.end())
    return {};
  return it->second;
}

Response Response::json(unsigned status, const nlohmann::json& body) {
  Response response;
  response.status = status;
  response.body = dump(body);
  return response;
}

Response Response::json_text(unsigned status, std::string body) {
  Response response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

Response Response::text(unsigned status, std::string body, std::string content_type) {
  Response response;
  response.status = status;
  response.content_type = std::move(content_type);
  response.body = std::move(body);
  return response;
}

Response Response::no_content() {
  Response response;
  response.status = 204;
  response.content_type.clear();
  return response;
}

Response Response::error(unsigned status, std::string_view code, std::string_view message) {
  return json(status, {{"error", {{"code", code}, {"message", message}}}});
}

Response Response::from_error(const core::Error& error) {
  Response response = Response::error(status_for(error.kind), error.code, error.message);
  if (error.kind == core::ErrorKind::kUnauthenticated) {
    response.headers.emplace_back("WWW-Authenticate", "Bearer");
  }
  return response;
}

unsigned status_for(core::ErrorKind kind) {
  switch (kind) {
    case core::ErrorKind::kInvalidArgument:
      return 400;
    case core::ErrorKind::kUnprocessable:
      return 422;
    case core::ErrorKind::kUnauthenticated:
      return 401;
    case core::ErrorKind::kForbidden:
      return 403;
    case core::ErrorKind::kNotFound:
      return 404;
    case core::ErrorKind::kConflict:
      return 409;
    case core::ErrorKind::kPayloadTooLarge:
      return 413;
    case core::ErrorKind::kRateLimited:
      return 429;
    case core::ErrorKind::kUnavailable:
      return 503;
    case core::ErrorKind::kInternal:
      return 500;
  }
  return 500;  // an out-of-range enum value is a bug
}

core::Result<nlohmann::json> parse_json_object(const Request& request) {
  // The non-throwing overload: a malformed body is client input, not an exceptional state.
  nlohmann::json body = nlohmann::json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    return core::Error::invalid_argument("invalid_json", "request body is not valid JSON");
  }
  if (!body.is_object()) {
    return core::Error::invalid_argument("invalid_json", "request body must be a JSON object");
  }
  return body;
}

std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    // Copy the plain run up to the next escape in one append (form bodies and paths are mostly
    // plain text).
    const std::size_t next =
        std::min(plus_is_space ? text.find_first_of("%+", i) : text.find('%', i), text.size());
    out.append(text.data() + i, next - i);
    i = next;
    if (i == text.size())
      break;
    if (text[i] == '+') {
      out.push_back(' ');
      ++i;
      continue;
    }
    if (i + 2 >= text.size())
      return std::nullopt;
    const int hi = hex_value(text[i + 1]);
    const int lo = hex_value(text[i + 2]);
    if (hi < 0 || lo < 0)
      return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 3;
  }
  return out;
}

}  // namespace roomplane::http
