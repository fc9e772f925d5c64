#pragma once
// The composition root. Builds every part in dependency order from a Config, owns them, and
// stops them in reverse: HTTP server (drains in-flight requests) -> work pool -> database.
// Tests build an App with overrides (manual clock, log file) and port 0.
//
// Nothing outside app/ reads configuration or the environment.

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "app/config.h"
#include "core/clock.h"
#include "core/result.h"

namespace roomplane::observability {
class Logging;
class MetricsRegistry;
}  // namespace roomplane::observability

namespace roomplane::tenants {
class TenantAdmin;
}
namespace roomplane::video {
class VideoProvider;
}

namespace roomplane::app {

struct AppOverrides {
  const core::Clock* clock = nullptr;         // default: the system clock
  observability::Logging* logging = nullptr;  // default: JSON lines on stderr
};

// What `serve` prints for a newcomer when it created the demo tenant.
struct DemoTenant {
  std::string tenant_id;
  std::string api_key;
};

class App {
 public:
  // Validates and opens everything (database, migrations, master key) but serves nothing yet.
  static core::Result<std::unique_ptr<App>> create(const Config& config,
                                                   AppOverrides overrides = {});
  ~App();

  // Creates the demo tenant if configured and the database has no tenant, then starts serving.
  core::Status start();
  // Idempotent; safe to call without start().
  void stop();

  std::uint16_t port() const;
  std::string base_url() const;  // http://host:port as actually bound
  const std::optional<DemoTenant>& demo_tenant() const;
  // A one-hour dashboard token for `tenant` (what POST /v1/dashboard-tokens gives), so `serve`
  // can print a dashboard URL that opens without an API key in the browser.
  core::Result<std::string> dashboard_token(const std::string& tenant_id) const;
  observability::MetricsRegistry& metrics();
  tenants::TenantAdmin& tenant_admin();
  video::VideoProvider& provider();  // after start()
  // Every (method, path pattern) the server routes, WebSocket upgrades as GET, for the OpenAPI
  // coverage test. Complete after start(): the room and webhook routes are added there.
  std::vector<std::pair<std::string, std::string>> routes() const;
  // The in-process emulator's base URL (emulator mode, after start()).
  std::optional<std::string> emulator_url() const;

  // Everything the composition root owns, defined in app.cpp (opaque elsewhere).
  struct Parts;

 private:
  explicit App(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

// For CLI commands that need only the database and the master key (migrate, tenant ...):
// opens the database, applies migrations, and gives a TenantAdmin. Blocking; single-threaded.
class AdminContext {
 public:
  static core::Result<std::unique_ptr<AdminContext>> open(const Config& config);
  ~AdminContext();
  tenants::TenantAdmin& tenant_admin();
  // Versions applied while opening (empty when the schema was current).
  const std::vector<std::string>& applied_migrations() const;
  int schema_version() const;

 private:
  struct Parts;
  explicit AdminContext(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace roomplane::app
