#include "http/router.h"

#include <algorithm>
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

void Router::add(std::string method, std::string pattern, Handler handler) {
  if (method.empty())
    throw std::logic_error("route method must not be empty");
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
  for (const auto& route : routes_) {
    if (route.method == method && same_shape(route.segments, segments)) {
      throw std::logic_error("duplicate route: " + method + " " + pattern +
                             " (already registered as " + route.pattern + ")");
    }
  }
  routes_.push_back(
      {std::move(method), std::move(pattern), std::move(segments), std::move(handler)});
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
  Match result;
  if (path.empty() || path.front() != '/')
    return result;

  std::vector<std::string> decoded;
  for (const auto segment : split_path(path)) {
    auto value = percent_decode(segment);
    if (!value)
      return result;
    decoded.push_back(std::move(*value));
  }

  const Route* best = nullptr;
  for (const auto& route : routes_) {
    if (route.segments.size() != decoded.size())
      continue;
    bool matches = true;
    for (std::size_t i = 0; i < decoded.size() && matches; ++i) {
      matches =
          is_capture(route.segments[i]) ? !decoded[i].empty() : route.segments[i] == decoded[i];
    }
    if (!matches)
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
  for (std::size_t i = 0; i < decoded.size(); ++i) {
    if (is_capture(best->segments[i])) {
      result.params.emplace(capture_name(best->segments[i]), std::move(decoded[i]));
    }
  }
  return result;
}

std::vector<std::pair<std::string, std::string>> Router::routes() const {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(routes_.size());
  for (const auto& route : routes_)
    out.emplace_back(route.method, route.pattern);
  return out;
}

}  // namespace roomplane::http
