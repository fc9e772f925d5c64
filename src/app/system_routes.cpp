#include "app/system_routes.h"

namespace roomplane::app {

void add_system_routes(http::Router& router, core::WorkPool& pool,
                       observability::MetricsRegistry& metrics,
                       std::vector<ReadinessCheck> checks) {
  router.add("GET", "/healthz", http::inline_handler([](const http::Request&) {
               return http::Response::json(200, {{"status", "ok"}});
             }));
  router.add(
      "GET", "/readyz", http::blocking(pool, [checks = std::move(checks)](const http::Request&) {
        nlohmann::json results = nlohmann::json::object();
        bool ready = true;
        for (const auto& c : checks) {
          const auto status = c.check();
          results[c.name] = status.ok() ? "ok" : status.error().message;
          ready = ready && status.ok();
        }
        return http::Response::json(
            ready ? 200 : 503, {{"status", ready ? "ready" : "not_ready"}, {"checks", results}});
      }));
  router.add("GET", "/metrics", http::inline_handler([&metrics](const http::Request&) {
               return http::Response::text(200, metrics.render(),
                                           "text/plain; version=0.0.4; charset=utf-8");
             }));
}

}  // namespace roomplane::app
