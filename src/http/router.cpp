#include "http/router.h"

#include <algorithm>
#include <optional>
#include <stdexcept>

namespace roomplane::http {
namespace {

bool is_capture(std::string_view segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

std::string_view capture_name(std::string_view segment) {
  return segment.substr(1, segment.size() - 2);
}

// "/" -> {""}, "/a/b" -> {"a","b"}, "/a/" -> {"a",""}. The caller guarantees a leading "/".
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> segments;
  path.remove_prefix(1);
  while (true) {
    const auto slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos)
      break;
    path.remove_prefix(slash + 1);
  }
  return segments;
}

// True when `a` should win over `b`, both matching the same path: at the first position where
// one has a literal and the other a capture, the literal is more specific.
bool more_specific(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
    const bool a_capture = is_capture(a[i]);
    const bool b_capture = is_capture(b[i]);
    if (a_capture != b_capture)
      return !a_capture;
  }
  return false;
}

// Two patterns that differ only in capture names match exactly the same paths.
bool same_shape(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  if (a.size() != b.size())
    return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const bool a_capture = is_capture(a[i]);
    if (a_capture != is_capture(b[i]))
      return false;
    if (!a_capture && a[i] != b[i])
      return false;
  }
  return true;
}

}  // namespace

std::vector<std::string> Router::parse_pattern(const std::string& pattern) {
  if (pattern.empty() || pattern.front() != '/') {
    throw std::logic_error("route pattern must start with '/': " + pattern);
  }
  std::vector<std::string> segments;
  std::vector<std::string_view> names;
  for (const auto segment : split_path(pattern)) {
    if (is_capture(segment)) {
      const auto name = capture_name(segment);
      if (name.empty() || name.find_first_of("{}") != std::string_view::npos) {
        throw std::logic_error("malformed capture in route pattern: " + pattern);
      }
      if (std::find(names.begin(), names.end(), name) != names.end()) {
        throw std::logic_error("capture name used twice in route pattern: " + pattern);
      }
      names.push_back(name);
    } else if (segment.find_first_of("{}") != std::string_view::npos) {
      throw std::logic_error("malformed capture in route pattern: " + pattern);
    }
    segments.emplace_back(segment);
  }
  return segments;
}

void Router::add(std::string method, std::string pattern, Handler handler) {
  if (method.empty())
    throw std::logic_error("route method must not be empty");
  auto segments = parse_pattern(pattern);
  for (const auto& route : routes_) {
    if (route.method == method && same_shape(route.segments, segments)) {
      throw std::logic_error("duplicate route: " + method + " " + pattern +
                             " (already registered as " + route.pattern + ")");
    }
  }
  routes_.push_back(
      {std::move(method), std::move(pattern), std::move(segments), std::move(handler), {}});
}

void Router::add_websocket(std::string pattern, WebSocketHandler handler) {
  auto segments = parse_pattern(pattern);
  for (const auto& route : websocket_routes_) {
    if (same_shape(route.segments, segments)) {
      throw std::logic_error("duplicate WebSocket route: " + pattern + " (already registered as " +
                             route.pattern + ")");
    }
  }
  websocket_routes_.push_back(
      {"GET", std::move(pattern), std::move(segments), {}, std::move(handler)});
}

namespace {

// Decoded path segments; nullopt when a segment has a malformed escape (matches nothing).
std::optional<std::vector<std::string>> decode_segments(std::string_view path) {
  if (path.empty() || path.front() != '/')
    return std::nullopt;
  std::vector<std::string> decoded;
  for (const auto segment : split_path(path)) {
    auto value = percent_decode(segment);
    if (!value)
      return std::nullopt;
    decoded.push_back(std::move(*value));
  }
  return decoded;
}

bool segments_match(const std::vector<std::string>& pattern,
                    const std::vector<std::string>& decoded) {
  if (pattern.size() != decoded.size())
    return false;
  for (std::size_t i = 0; i < decoded.size(); ++i) {
    if (is_capture(pattern[i]) ? decoded[i].empty() : pattern[i] != decoded[i])
      return false;
  }
  return true;
}

std::map<std::string, std::string> captures(const std::vector<std::string>& pattern,
                                            std::vector<std::string>& decoded) {
  std::map<std::string, std::string> params;
  for (std::size_t i = 0; i < decoded.size(); ++i) {
    if (is_capture(pattern[i]))
      params.emplace(capture_name(pattern[i]), std::move(decoded[i]));
  }
  return params;
}

}  // namespace

Router::Match Router::match(std::string_view method, std::string_view path) const {
  Match result;
  auto decoded = decode_segments(path);
  if (!decoded)
    return result;

  const Route* best = nullptr;
  for (const auto& route : routes_) {
    if (!segments_match(route.segments, *decoded))
      continue;
    if (route.method != method) {
      result.allowed_methods.push_back(route.method);
    } else if (best == nullptr || more_specific(route.segments, best->segments)) {
      best = &route;
    }
  }

  if (best == nullptr) {
    std::sort(result.allowed_methods.begin(), result.allowed_methods.end());
    result.allowed_methods.erase(
        std::unique(result.allowed_methods.begin(), result.allowed_methods.end()),
        result.allowed_methods.end());
    return result;
  }
  result.allowed_methods.clear();
  result.handler = &best->handler;
  result.pattern = best->pattern;
  result.params = captures(best->segments, *decoded);
  return result;
}

Router::WebSocketMatch Router::match_websocket(std::string_view path) const {
  WebSocketMatch result;
  auto decoded = decode_segments(path);
  if (!decoded)
    return result;
  const Route* best = nullptr;
  for (const auto& route : websocket_routes_) {
    if (segments_match(route.segments, *decoded) &&
        (best == nullptr || more_specific(route.segments, best->segments))) {
      best = &route;
    }
  }
  if (best == nullptr)
    return result;
  result.handler = &best->websocket_handler;
  result.pattern = best->pattern;
  result.params = captures(best->segments, *decoded);
  return result;
}

std::vector<std::string> Router::websocket_routes() const {
  std::vector<std::string> out;
  out.reserve(websocket_routes_.size());
  for (const auto& route : websocket_routes_)
    out.push_back(route.pattern);
  return out;
}

std::vector<std::pair<std::string, std::string>> Router::routes() const {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(routes_.size());
  for (const auto& route : routes_)
    out.emplace_back(route.method, route.pattern);
  return out;
}

}  // namespace roomplane::http
