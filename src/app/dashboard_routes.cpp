#include "app/dashboard_routes.h"

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "crypto/crypto.h"

namespace roomplane::app {
namespace {

struct Asset {
  std::string_view path;
  std::string_view file;
  std::string_view content_type;
  bool html;
};

constexpr Asset kAssets[] = {
    {"/", "index.html", "text/html; charset=utf-8", true},
    {"/dashboard.js", "dashboard.js", "text/javascript; charset=utf-8", false},
    {"/dashboard.css", "dashboard.css", "text/css; charset=utf-8", false},
    {"/vendor/signalr.min.js", "signalr.min.js", "text/javascript; charset=utf-8", false},
};

std::string_view file_bytes(std::string_view name) {
  for (const auto& file : dashboard_files()) {
    if (file.name == name)
      return file.bytes;
  }
  throw std::logic_error("dashboard file not embedded: " + std::string(name));
}

// RFC 9110 13.1.2: "*" or a list of entity tags; If-None-Match compares weakly, so W/"x"
// matches "x".
bool matches_etag(std::string_view header, std::string_view etag) {
  while (!header.empty()) {
    const auto comma = header.find(',');
    auto item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t'))
      item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t'))
      item.remove_suffix(1);
    if (item.starts_with("W/"))
      item.remove_prefix(2);
    if (item == "*" || item == etag)
      return true;
  }
  return false;
}

}  // namespace

void add_dashboard_routes(http::Router& router) {
  for (const auto& asset : kAssets) {
    const auto bytes = file_bytes(asset.file);
    // Content-addressed, so a new build's files are never mistaken for the old ones.
    // Appended, not `"\"" + ...`: GCC 12 at -O3 warns falsely (-Wrestrict) on that form.
    std::string etag = "\"";
    etag.append(crypto::sha256_hex(bytes), 0, 32);
    etag += '"';
    std::vector<std::pair<std::string, std::string>> headers = {
        {"Cache-Control", "no-cache"},
        {"ETag", etag},
        {"X-Content-Type-Options", "nosniff"},
    };
    if (asset.html) {
      headers.emplace_back("Content-Security-Policy", std::string(kDashboardContentSecurityPolicy));
      headers.emplace_back("Referrer-Policy", "no-referrer");
      headers.emplace_back("X-Frame-Options", "DENY");
    }
    router.add("GET", std::string(asset.path),
               http::inline_handler(
                   [bytes, etag = std::move(etag), headers = std::move(headers),
                    content_type = std::string(asset.content_type)](const http::Request& request) {
                     const auto if_none_match = request.header("If-None-Match");
                     http::Response response;
                     if (if_none_match && matches_etag(*if_none_match, etag)) {
                       response.status = 304;
                       response.content_type.clear();
                     } else {
                       response = http::Response::text(200, std::string(bytes), content_type);
                     }
                     response.headers = headers;
                     return response;
                   }));
  }
}

}  // namespace roomplane::app
