#include "app/app.h"

#include <algorithm>

#include "app/emulator_accounts.h"
#include "app/emulator_stack.h"
#include "app/system_routes.h"
#include "core/work_pool.h"
#include "crypto/secret_box.h"
#include "http/curl_client.h"
#include "http/server.h"
#include "observability/log.h"
#include "observability/metrics.h"
#include "storage/sqlite_database.h"
#include "storage/sqlite_tenant_stores.h"
#include "tenants/tenant_admin.h"
#include "tenants/tenant_directory.h"
#include "tenants/tenant_routes.h"
#include "twilio/rest_client.h"

namespace roomplane::app {
namespace {

core::Result<crypto::SecretBox> load_secret_box(const Config& config) {
  auto key = config.master_key.empty()
                 ? crypto::load_or_create_key_file(config.effective_master_key_file())
                 : crypto::parse_master_key(config.master_key);
  if (!key)
    return std::move(key).take_error();
  return crypto::SecretBox::from_key(std::move(key).value());
}

core::Result<std::unique_ptr<storage::SqliteDatabase>> open_database(
    const Config& config, std::size_t readers, storage::MigrationReport* report) {
  const auto path = config.sqlite_path();
  if (!path)
    return core::Error::invalid_argument("invalid_config",
                                         "only sqlite: database URLs are supported");
  auto db = storage::SqliteDatabase::open({*path, 5000, readers});
  if (!db)
    return std::move(db).take_error();
  auto migrated = (*db)->migrate();
  if (!migrated)
    return std::move(migrated).take_error();
  if (report)
    *report = std::move(migrated).value();
  return db;
}

}  // namespace

// Members are declared in construction order; destruction runs in reverse.
struct App::Parts {
  Config config;
  std::unique_ptr<core::Clock> owned_clock;
  const core::Clock* clock = nullptr;
  std::unique_ptr<observability::Logging> owned_logging;
  observability::Logging* logging = nullptr;
  observability::Logger log;
  observability::MetricsRegistry metrics;
  std::optional<crypto::SecretBox> secrets;
  std::unique_ptr<storage::SqliteDatabase> database;
  std::unique_ptr<storage::SqliteTenantStore> tenant_store;
  std::unique_ptr<storage::SqliteApiKeyStore> key_store;
  std::unique_ptr<storage::SqliteCredentialStore> credential_store;
  std::unique_ptr<tenants::TenantDirectory> directory;
  std::unique_ptr<tenants::TenantAdmin> admin;
  std::unique_ptr<core::WorkPool> pool;
  http::CurlRuntime curl_runtime;
  std::unique_ptr<http::CurlHttpClient> http_client;
  std::unique_ptr<EmulatorStack> emulator;  // emulator mode only
  std::unique_ptr<EmulatorAccounts> emulator_accounts;
  std::unique_ptr<twilio::TwilioRestClient>
      provider;  // built in start(): needs the emulator's port
  std::string provider_base_url;
  http::Router router;
  std::unique_ptr<http::Server> server;
  std::optional<DemoTenant> demo;
  bool stopped = false;
};

namespace {

// Any HTTP answer (even 401) proves the provider is reachable; only a transport failure does not.
core::Status check_provider_reachable(http::HttpClient& client, const std::string& base_url) {
  http::ClientRequest request;
  request.url = base_url + "/v1/Rooms?PageSize=1";
  request.connect_timeout = std::chrono::milliseconds(1000);
  request.timeout = std::chrono::milliseconds(2000);
  auto response = client.send(request);
  if (!response)
    return std::move(response).take_error();
  return {};
}

}  // namespace

core::Result<std::unique_ptr<App>> App::create(const Config& config, AppOverrides overrides) {
  auto p = std::make_unique<Parts>();
  p->config = config;
  if (overrides.clock) {
    p->clock = overrides.clock;
  } else {
    p->owned_clock = std::make_unique<core::SystemClock>();
    p->clock = p->owned_clock.get();
  }
  if (overrides.logging) {
    p->logging = overrides.logging;
  } else {
    p->owned_logging = std::make_unique<observability::Logging>(config.log_level);
    p->logging = p->owned_logging.get();
  }
  p->log = p->logging->logger("app");

  auto secrets = load_secret_box(config);
  if (!secrets)
    return std::move(secrets).take_error();
  p->secrets.emplace(std::move(secrets).value());

  const auto db_threads = config.effective_db_threads();
  storage::MigrationReport report;
  auto db = open_database(config, db_threads, &report);
  if (!db)
    return std::move(db).take_error();
  p->database = std::move(db).value();
  if (!report.applied.empty()) {
    p->log.info("migrations_applied",
                {{"from_version", report.from_version}, {"to_version", report.to_version}});
  }

  p->tenant_store = std::make_unique<storage::SqliteTenantStore>(*p->database);
  p->key_store = std::make_unique<storage::SqliteApiKeyStore>(*p->database);
  p->credential_store = std::make_unique<storage::SqliteCredentialStore>(*p->database);
  p->directory = std::make_unique<tenants::TenantDirectory>(
      *p->tenant_store, *p->key_store, *p->credential_store, *p->secrets, *p->clock,
      std::chrono::seconds(config.tenant_cache_ttl_seconds), p->metrics);
  p->admin = std::make_unique<tenants::TenantAdmin>(*p->tenant_store, *p->key_store,
                                                    *p->credential_store, *p->secrets, *p->clock);
  p->pool = std::make_unique<core::WorkPool>(db_threads);
  p->http_client = std::make_unique<http::CurlHttpClient>(p->curl_runtime);
  if (config.twilio == TwilioMode::kEmulator) {
    EmulatorStackOptions emulator_options;
    emulator_options.listen = config.emulator_listen;
    p->emulator = std::make_unique<EmulatorStack>(emulator_options, *p->clock, *p->http_client,
                                                  p->metrics, *p->logging);
    p->emulator_accounts = std::make_unique<EmulatorAccounts>(
        p->emulator->emulator(), *p->tenant_store, *p->admin, *p->directory);
  }

  add_system_routes(p->router, *p->pool, p->metrics,
                    {{"database", [db = p->database.get()] { return db->ping(); }},
                     {"provider", [parts = p.get()] {
                        return check_provider_reachable(*parts->http_client,
                                                        parts->provider_base_url);
                      }}});
  tenants::add_tenant_routes(p->router, *p->directory, *p->pool);

  http::ServerOptions options;
  options.host = config.listen.host;
  options.port = config.listen.port;
  options.threads = config.effective_http_threads();
  options.body_limit_bytes = static_cast<std::size_t>(config.body_limit_bytes);
  options.read_timeout = std::chrono::seconds(config.read_timeout_seconds);
  options.idle_timeout = std::chrono::seconds(config.idle_timeout_seconds);
  options.drain_timeout = std::chrono::seconds(config.shutdown_timeout_seconds);
  p->server =
      std::make_unique<http::Server>(options, p->router, p->metrics, p->logging->logger("http"));
  return std::unique_ptr<App>(new App(std::move(p)));
}

App::App(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

App::~App() {
  stop();
}

core::Status App::start() {
  auto& p = *parts_;
  if (p.config.demo_tenant) {
    auto existing = p.tenant_store->list();
    if (!existing)
      return std::move(existing).take_error();
    if (existing->empty()) {
      auto created = p.admin->create_tenant("Demo clinic");
      if (!created)
        return std::move(created).take_error();
      p.demo = DemoTenant{created->tenant.id.value(), created->api_key};
      p.log.info("demo_tenant_created", {{"tenant_id", created->tenant.id.value()}});
    }
  }
  if (p.emulator) {
    if (auto s = p.emulator->start(); !s)
      return s;
    p.provider_base_url = p.emulator->base_url();
    auto created = p.emulator_accounts->provision_all();
    if (!created)
      return std::move(created).take_error();
    p.log.info("emulator_started", {{"url", p.provider_base_url}, {"accounts_created", *created}});
  } else {
    p.provider_base_url = p.config.twilio_base_url;
  }
  twilio::RestClientOptions provider_options;
  provider_options.base_url = p.provider_base_url;
  p.provider = std::make_unique<twilio::TwilioRestClient>(
      *p.http_client, *p.clock, twilio::real_sleep(), p.metrics, p.logging->logger("twilio"),
      provider_options);
  if (auto s = p.server->start(); !s)
    return s;
  p.log.info("started", {{"url", base_url()},
                         {"public_url", p.config.effective_public_url()},
                         {"http_threads", p.config.effective_http_threads()},
                         {"db_threads", p.config.effective_db_threads()}});
  return {};
}

void App::stop() {
  auto& p = *parts_;
  if (p.stopped)
    return;
  p.stopped = true;
  p.log.info("stopping");
  p.server->shutdown();  // stop accepting, drain in-flight requests
  p.pool->stop();        // finish queued database work
  if (p.emulator)
    p.emulator->stop();
  p.database.reset();  // close connections (checkpoints the WAL)
  p.log.info("stopped");
  p.logging->flush();
}

std::uint16_t App::port() const {
  return parts_->server->port();
}

std::string App::base_url() const {
  HostPort bound{parts_->config.listen.host, port()};
  return "http://" + bound.to_string();
}

const std::optional<DemoTenant>& App::demo_tenant() const {
  return parts_->demo;
}
observability::MetricsRegistry& App::metrics() {
  return parts_->metrics;
}
tenants::TenantAdmin& App::tenant_admin() {
  return *parts_->admin;
}
video::VideoProvider& App::provider() {
  return *parts_->provider;
}
std::optional<std::string> App::emulator_url() const {
  if (!parts_->emulator)
    return std::nullopt;
  return parts_->emulator->base_url();
}

struct AdminContext::Parts {
  core::SystemClock clock;
  std::optional<crypto::SecretBox> secrets;
  std::unique_ptr<storage::SqliteDatabase> database;
  storage::MigrationReport report;
  std::unique_ptr<storage::SqliteTenantStore> tenant_store;
  std::unique_ptr<storage::SqliteApiKeyStore> key_store;
  std::unique_ptr<storage::SqliteCredentialStore> credential_store;
  std::unique_ptr<tenants::TenantAdmin> admin;
};

core::Result<std::unique_ptr<AdminContext>> AdminContext::open(const Config& config) {
  auto p = std::make_unique<Parts>();
  auto secrets = load_secret_box(config);
  if (!secrets)
    return std::move(secrets).take_error();
  p->secrets.emplace(std::move(secrets).value());
  auto db = open_database(config, 1, &p->report);
  if (!db)
    return std::move(db).take_error();
  p->database = std::move(db).value();
  p->tenant_store = std::make_unique<storage::SqliteTenantStore>(*p->database);
  p->key_store = std::make_unique<storage::SqliteApiKeyStore>(*p->database);
  p->credential_store = std::make_unique<storage::SqliteCredentialStore>(*p->database);
  p->admin = std::make_unique<tenants::TenantAdmin>(*p->tenant_store, *p->key_store,
                                                    *p->credential_store, *p->secrets, p->clock);
  return std::unique_ptr<AdminContext>(new AdminContext(std::move(p)));
}

AdminContext::AdminContext(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}
AdminContext::~AdminContext() = default;
tenants::TenantAdmin& AdminContext::tenant_admin() {
  return *parts_->admin;
}
const std::vector<std::string>& AdminContext::applied_migrations() const {
  return parts_->report.applied;
}
int AdminContext::schema_version() const {
  return parts_->report.to_version;
}

}  // namespace roomplane::app
