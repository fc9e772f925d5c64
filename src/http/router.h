#pragma once
// Method + path-pattern routing. Patterns are literal segments and "{name}" captures, e.g.
// "/v1/rooms/{id}/tokens". A path that matches no pattern is 404; one that matches a pattern
// under another method is 405 with an Allow header. Built once at start, then read-only, so
// look-ups need no lock.
//
// Matching rules:
//  - match() takes the raw, still percent-encoded path (no query). It splits on "/" first and
//    decodes each segment after, so "%2F" stays inside one capture ("a%2Fb" captures "a/b").
//    Literal segments are compared after decoding too. A segment with a malformed escape
//    matches nothing (the server answers 400 before routing such a path).
//  - No trailing-slash normalisation: "/v1/rooms/" is not "/v1/rooms" (404 unless registered).
//    Captures never match an empty segment, so "/v1/rooms/" does not match "/v1/rooms/{id}".
//  - When several patterns match, the most specific wins: at the first segment where they
//    differ, a literal beats a capture ("/v1/rooms/search" beats "/v1/rooms/{id}").
//  - Methods are compared case-sensitively, as HTTP does.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/handler.h"
#include "http/websocket.h"

namespace roomplane::http {

class Router {
 public:
  // Throws std::logic_error on a malformed pattern (not starting with "/", an empty or unclosed
  // "{}") or a duplicate (method, pattern): route tables are code, so that is a bug.
  void add(std::string method, std::string pattern, Handler handler);

  struct Match {
    const Handler* handler = nullptr;  // null when nothing matched; points into the Router
    std::string pattern;               // matched pattern ("" when none)
    std::map<std::string, std::string> params;
    std::vector<std::string> allowed_methods;  // set when the path matched but the method did not
                                               // (sorted, unique)
  };
  Match match(std::string_view method, std::string_view path) const;

  // Every (method, pattern) pair, for the OpenAPI coverage test.
  std::vector<std::pair<std::string, std::string>> routes() const;  // in registration order

  // A WebSocket endpoint: a GET with "Upgrade: websocket" whose path matches `pattern` (same
  // pattern rules and errors as add()) goes to `handler`, before any route added with add().
  // The same path without an upgrade gets 400 (GET) or 405 (other methods) unless an add()
  // route matches it.
  void add_websocket(std::string pattern, WebSocketHandler handler);

  struct WebSocketMatch {
    const WebSocketHandler* handler = nullptr;  // null when nothing matched
    std::string pattern;
    std::map<std::string, std::string> params;
  };
  WebSocketMatch match_websocket(std::string_view path) const;

  std::vector<std::string> websocket_routes() const;  // patterns, in registration order

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    Handler handler;
    WebSocketHandler websocket_handler;  // only in websocket_routes_
  };
  static std::vector<std::string> parse_pattern(const std::string& pattern);
  std::vector<Route> routes_;
  std::vector<Route> websocket_routes_;
};

}  // namespace roomplane::http
