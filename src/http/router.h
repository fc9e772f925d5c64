#pragma once
// Method + path-pattern routing. Patterns are literal segments and "{name}" captures, e.g.
// "/v1/rooms/{id}/tokens". A path that matches no pattern is 404; one that matches a pattern
// under another method is 405 with an Allow header. Built once at start, then read-only, so
// look-ups need no lock.

#include <optional>
#include <string>
#include <vector>

#include "http/handler.h"

namespace roomplane::http {

class Router {
 public:
  void add(std::string method, std::string pattern, Handler handler);

  struct Match {
    const Handler* handler = nullptr;  // null when nothing matched
    std::string pattern;               // matched pattern ("" when none)
    std::map<std::string, std::string> params;
    std::vector<std::string> allowed_methods;  // set when the path matched but the method did not
  };
  Match match(std::string_view method, std::string_view path) const;

  // Every (method, pattern) pair, for the OpenAPI coverage test.
  std::vector<std::pair<std::string, std::string>> routes() const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    Handler handler;
  };
  std::vector<Route> routes_;
};

}  // namespace roomplane::http
