#pragma once
// The coordinator dashboard (web/dashboard/, DESIGN.md "GET /"): a static page that watches the
// tenant's live rooms through the real-time hub with the official SignalR browser client. The
// files are compiled into the binary at configure time (cmake/embed_files.cmake), the SignalR
// bundle byte for byte from the npm package pinned in web/package-lock.json, so the binary
// serves the page of the code it was built from and needs no files at run time.
//
// Routes (all GET, answered inline from memory, no authentication: the page holds no secret
// and asks the coordinator for a dashboard token):
//   /                        index.html  text/html; charset=utf-8
//   /dashboard.js                        text/javascript; charset=utf-8
//   /dashboard.css                       text/css; charset=utf-8
//   /vendor/signalr.min.js               text/javascript; charset=utf-8
// Every answer carries Cache-Control: no-cache and a strong ETag (a 304 to a matching
// If-None-Match), and X-Content-Type-Options: nosniff. The HTML also carries a strict
// Content-Security-Policy (kDashboardContentSecurityPolicy), Referrer-Policy: no-referrer and
// X-Frame-Options: DENY.

#include <span>
#include <string_view>

#include "http/router.h"

namespace roomplane::app {

// Scripts and styles from this origin only, no inline code, network access to this origin (the
// hub's negotiate) and WebSockets, nothing framed, no other resource kinds.
inline constexpr std::string_view kDashboardContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

struct EmbeddedFile {
  std::string_view name;   // the file name, e.g. "index.html"
  std::string_view bytes;  // its exact content
};

// The embedded dashboard files (generated: dashboard_files.cpp in the build tree).
std::span<const EmbeddedFile> dashboard_files();

// Adds the four routes above. Throws std::logic_error if a file is missing from the build
// (a build bug), like Router::add on a duplicate route.
void add_dashboard_routes(http::Router& router);

}  // namespace roomplane::app
