#include "app/app.h"

#include <algorithm>
#include <functional>
#include <map>
#include <memory>

#include "alerts/dispatcher.h"
#include "alerts/signature.h"
#include "app/dashboard_routes.h"
#include "app/emulator_accounts.h"
#include "app/emulator_stack.h"
#include "app/openapi.h"
#include "app/system_routes.h"
#include "compositions/composition_routes.h"
#include "compositions/room_composition_jobs.h"
#include "compositions/starter.h"
#include "compositions/tracker.h"
#include "core/work_pool.h"
#include "crypto/crypto.h"
#include "crypto/secret_box.h"
#include "http/curl_client.h"
#include "http/server.h"
#include "observability/log.h"
#include "observability/metrics.h"
#include "realtime/dashboard_tokens.h"
#include "realtime/hub.h"
#include "realtime/hub_auth.h"
#include "reconciler/reconciler.h"
#include "rooms/live_rooms.h"
#include "rooms/room_notifications.h"
#include "rooms/room_routes.h"
#include "rooms/room_service.h"
#include "rooms/tenant_context.h"
#include "storage/sqlite_alert_store.h"
#include "storage/sqlite_composition_store.h"
#include "storage/sqlite_database.h"
#include "storage/sqlite_room_store.h"
#include "storage/sqlite_tenant_stores.h"
#include "tenants/tenant_admin.h"
#include "tenants/tenant_directory.h"
#include "tenants/tenant_routes.h"
#include "tokens/access_token.h"
#include "tokens/identity_policy.h"
#include "twilio/rest_client.h"
#include "webhooks/ingestor.h"
#include "webhooks/webhook_routes.h"

namespace roomplane::app {
namespace {

core::Result<std::string> load_master_key(const Config& config) {
  return config.master_key.empty()
             ? crypto::load_or_create_key_file(config.effective_master_key_file())
             : crypto::parse_master_key(config.master_key);
}

core::Result<crypto::SecretBox> load_secret_box(const Config& config) {
  auto key = load_master_key(config);
  if (!key)
    return std::move(key).take_error();
  return crypto::SecretBox::from_key(std::move(key).value());
}

// Dashboard tokens get their own key, derived from the master key, so that no token can ever be
// verified with (or reveal anything about) the key that seals tenant credentials.
std::string dashboard_token_key(std::string_view master_key) {
  return crypto::hmac_sha256(master_key, "roomplane/dashboard-tokens/v1");
}

// Rooms a crash left in `creating` are resolved at start once they are older than any create
// still in flight could be (the provider client's worst case is about 90 s).
constexpr std::chrono::minutes kCreatingGrace{2};

// The WAL checkpoints' metrics (storage/sqlite_database.h): how often each trigger ran and with
// what outcome, how long it took, and how much of the WAL was left uncopied after the last one
// (growing: checkpoints fall behind, e.g. a long read pins the WAL).
std::function<void(const storage::CheckpointRun&)> checkpoint_metrics(
    observability::MetricsRegistry& metrics) {
  using Run = storage::CheckpointRun;
  // Handles resolved once, keyed by the enumerators themselves (a checkpoint reports from the
  // writer's or the checkpointer's thread and should not look series up by label).
  struct Instruments {
    std::map<std::pair<Run::Trigger, Run::Outcome>, observability::Counter*> runs;
    std::map<Run::Trigger, observability::Histogram*> duration;
    observability::Gauge* frames_remaining = nullptr;
  };
  auto instruments = std::make_shared<Instruments>();
  for (const auto trigger : Run::kTriggers) {
    const std::string trigger_label(storage::to_string(trigger));
    for (const auto outcome : Run::kOutcomes) {
      instruments->runs[{trigger, outcome}] = &metrics.counter(
          "roomplane_sqlite_checkpoints_total",
          "WAL checkpoints by trigger (background thread, idle writer, commit backstop) and "
          "outcome",
          {{"trigger", trigger_label}, {"outcome", std::string(storage::to_string(outcome))}});
    }
    instruments->duration[trigger] =
        &metrics.histogram("roomplane_sqlite_checkpoint_duration_seconds",
                           "time of one WAL checkpoint", {{"trigger", trigger_label}});
  }
  instruments->frames_remaining =
      &metrics.gauge("roomplane_sqlite_wal_frames_remaining",
                     "WAL frames not yet copied into the database file after the last checkpoint");
  return [instruments](const Run& run) {
    // The maps hold every enumerator CheckpointRun lists; one it does not list goes uncounted
    // rather than ending the thread that reported it.
    if (const auto it = instruments->runs.find({run.trigger, run.outcome});
        it != instruments->runs.end())
      it->second->inc();
    if (const auto it = instruments->duration.find(run.trigger); it != instruments->duration.end())
      it->second->observe(run.seconds);
    if (run.outcome != Run::Outcome::kBusy && run.outcome != Run::Outcome::kError)
      instruments->frames_remaining->set(run.frames_remaining);
  };
}

// `metrics`: where the checkpoints report; null for short-lived CLI commands.
core::Result<std::unique_ptr<storage::SqliteDatabase>> open_database(
    const Config& config, std::size_t readers, storage::MigrationReport* report,
    observability::MetricsRegistry* metrics) {
  const auto path = config.sqlite_path();
  if (!path)
    return core::Error::invalid_argument("invalid_config",
                                         "only sqlite: database URLs are supported");
  storage::SqliteOptions options;
  options.path = *path;
  options.readers = readers;
  if (metrics)
    options.on_checkpoint = checkpoint_metrics(*metrics);
  auto db = storage::SqliteDatabase::open(options);
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
  std::unique_ptr<storage::SqliteRoomStore> room_store;
  std::unique_ptr<storage::SqliteEventLedger> ledger;
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
  std::string public_url;  // known once the server is bound (start())
  std::optional<realtime::DashboardTokens> dashboard_tokens;
  std::unique_ptr<realtime::TenantHubAuthenticator> hub_auth;
  std::unique_ptr<realtime::Hub> hub;  // the Notifier
  std::unique_ptr<webhooks::GroupCommitIngestor> ingestor;
  std::unique_ptr<tokens::AccessTokenBuilder> token_builder;
  tokens::IdentityPolicy identity_policy;
  std::unique_ptr<rooms::ProviderKeyDirectory> key_index;
  std::unique_ptr<rooms::RoomService> rooms;  // built in start(): needs the provider
  rooms::TenantContextLookup tenant_context;  // settings + credentials (emulator accounts too)
  std::unique_ptr<storage::SqliteCompositionStore> composition_store;
  // A room's composition jobs for the room API: the one place rooms meet compositions.
  std::unique_ptr<compositions::RoomCompositionJobs> room_composition_jobs;
  std::unique_ptr<storage::SqliteAlertStore> alert_store;
  std::unique_ptr<alerts::AlertDispatcher> alert_dispatcher;
  // The recording pipeline's workers, built in start() (they need the provider).
  std::unique_ptr<compositions::CompositionStarter> composition_starter;
  std::unique_ptr<compositions::CompositionTracker> composition_tracker;
  std::unique_ptr<compositions::CompositionService> composition_api;
  std::unique_ptr<reconciler::Reconciler> reconciler;
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

// A committed room end makes the starter look now (the room may want a composition); a
// composition callback makes that composition due and the tracker look now. The store write
// goes to the pool: this runs on the ingestor's writer thread, between batches.
void wake_recording_pipeline(App::Parts& p, const rooms::IngestItem& item,
                             const rooms::IngestOutcome& outcome) {
  if (!p.composition_tracker)
    return;
  for (const auto& change : outcome.applied.changes) {
    if (const auto* c = std::get_if<rooms::CompositionChanged>(&change)) {
      p.pool->post(
          [&p, tenant = item.tenant, sid = c->composition_sid, progress = c->progress_percent] {
            if (p.composition_store->make_due(tenant, sid, progress, p.clock->now()))
              p.composition_tracker->wake();
          });
    } else if (const auto* r = std::get_if<rooms::RoomStatusChanged>(&change)) {
      if (r->to == rooms::RoomStatus::kCompleted)
        p.composition_starter->wake();
    }
  }
}

compositions::Policy composition_policy(const Config& config) {
  compositions::Policy policy;
  policy.max_attempts = static_cast<int>(config.composition_max_attempts);
  policy.retry_initial = std::chrono::seconds(config.composition_retry_initial_seconds);
  policy.deadline_factor = static_cast<double>(config.composition_deadline_factor_percent) / 100.0;
  policy.deadline_floor = std::chrono::seconds(config.composition_deadline_floor_seconds);
  return policy;
}

// Worker ids are unique per process, so leases tell instances (and restarts) apart.
std::string worker_owner(std::string_view worker) {
  return std::string(worker) + "-" + crypto::random_token("", 12);
}

void build_recording_pipeline(App::Parts& p) {
  compositions::StarterOptions starter;
  starter.public_url = p.public_url;
  starter.owner = worker_owner("composition-starter");
  starter.policy = composition_policy(p.config);
  p.composition_starter = std::make_unique<compositions::CompositionStarter>(
      *p.composition_store, *p.provider, p.tenant_context, *p.hub, *p.clock, starter, p.metrics,
      p.logging->logger("compositions"));
  compositions::TrackerOptions tracker;
  tracker.owner = worker_owner("composition-tracker");
  tracker.policy = starter.policy;
  p.composition_tracker = std::make_unique<compositions::CompositionTracker>(
      *p.composition_store, *p.provider, p.tenant_context, *p.hub, *p.clock, tracker, p.metrics,
      p.logging->logger("compositions"));
  reconciler::ReconcilerOptions reconcile;
  reconcile.interval = std::chrono::seconds(p.config.reconcile_interval_seconds);
  reconcile.min_age =
      std::min<std::chrono::milliseconds>(reconcile.min_age, reconcile.interval / 2);
  reconcile.tenant_request_budget = static_cast<int>(p.config.reconcile_budget_per_tenant);
  // A room the reconciler found ended must stop getting tokens at once, as after a callback.
  reconcile.on_room_ended = [rooms = p.rooms.get()](const rooms::Room& room) {
    rooms->forget_room(room.tenant_id, room.id);
  };
  p.reconciler = std::make_unique<reconciler::Reconciler>(
      *p.room_store, *p.provider, p.tenant_context, *p.hub, *p.clock, reconcile, p.metrics,
      p.logging->logger("reconciler"));
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

  auto master_key = load_master_key(config);
  if (!master_key)
    return std::move(master_key).take_error();
  // Alert signing secrets are derived per tenant from the master key (alerts/signature.h), so
  // `roomplane tenant configure` can show a tenant its secret without storing it.
  alerts::AlertDispatcher::SecretFn alert_secret = [key = *master_key](const core::TenantId& t) {
    return alerts::signing_secret(key, t);
  };
  auto dashboard_tokens =
      realtime::DashboardTokens::create(dashboard_token_key(*master_key), *p->clock);
  if (!dashboard_tokens)
    return std::move(dashboard_tokens).take_error();
  p->dashboard_tokens.emplace(std::move(dashboard_tokens).value());
  auto secrets = crypto::SecretBox::from_key(std::move(master_key).value());
  if (!secrets)
    return std::move(secrets).take_error();
  p->secrets.emplace(std::move(secrets).value());

  const auto db_threads = config.effective_db_threads();
  storage::MigrationReport report;
  auto db = open_database(config, db_threads, &report, &p->metrics);
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
  p->room_store = std::make_unique<storage::SqliteRoomStore>(*p->database);
  p->ledger = std::make_unique<storage::SqliteEventLedger>(*p->database);
  p->composition_store = std::make_unique<storage::SqliteCompositionStore>(*p->database);
  p->room_composition_jobs =
      std::make_unique<compositions::RoomCompositionJobs>(*p->composition_store);
  p->directory = std::make_unique<tenants::TenantDirectory>(
      *p->tenant_store, *p->key_store, *p->credential_store, *p->secrets, *p->clock,
      std::chrono::seconds(config.tenant_cache_ttl_seconds), p->metrics);
  p->admin = std::make_unique<tenants::TenantAdmin>(*p->tenant_store, *p->key_store,
                                                    *p->credential_store, *p->secrets, *p->clock);
  p->pool = std::make_unique<core::WorkPool>(db_threads);
  p->hub_auth = std::make_unique<realtime::TenantHubAuthenticator>(*p->directory, *p->pool,
                                                                   *p->dashboard_tokens);
  p->hub = std::make_unique<realtime::Hub>(
      realtime::HubOptions{}, *p->hub_auth, *p->pool,
      [store = p->room_store.get(), log = p->logging->logger("hub"),
       &truncated = p->metrics.counter("roomplane_hub_snapshot_truncated_total",
                                       "GetLiveRooms snapshots that left rooms out (more "
                                       "than 2,000 rooms in progress).")](
          const core::TenantId& tenant) -> core::Result<nlohmann::json> {
        auto snapshot = rooms::live_rooms_snapshot(*store, tenant);
        if (!snapshot)
          return std::move(snapshot).take_error();
        if (snapshot->truncated) {
          truncated.inc();
          log.warn("hub_snapshot_truncated",
                   {{"tenant_id", tenant.value()}, {"rooms", snapshot->rooms.size()}});
        }
        return std::move(snapshot->rooms);
      },
      [store = p->room_store.get()](const core::TenantId& tenant,
                                    const std::string& room_id) -> core::Result<bool> {
        auto room = store->find_row(tenant, core::RoomId(room_id));
        if (!room)
          return std::move(room).take_error();
        return room->has_value();
      },
      p->metrics, p->logging->logger("hub"));
  p->ingestor = std::make_unique<webhooks::GroupCommitIngestor>(*p->ledger, p->metrics,
                                                                p->logging->logger("webhooks"));
  // Runs on the ingestor's writer thread, which starts (in start()) after the room service.
  // What one commit changed goes to the hub in one publish_all(), so each client gets it in one
  // write.
  p->ingestor->set_on_committed([parts = p.get()](std::span<const webhooks::Committed> batch) {
    std::vector<realtime::RoomNotification> notifications;
    for (const auto& [item, outcome] : batch) {
      if (outcome.room_after && outcome.room_after->status != rooms::RoomLifecycle::kInProgress)
        parts->rooms->forget_room(outcome.room_after->tenant_id, outcome.room_after->id);
      for (auto& notification : rooms::notifications_for(item, outcome))
        notifications.push_back(std::move(notification));
      wake_recording_pipeline(*parts, item, outcome);
    }
    parts->hub->publish_all(std::move(notifications));
  });
  p->token_builder = std::make_unique<tokens::AccessTokenBuilder>(*p->clock);
  p->key_index = std::make_unique<rooms::ProviderKeyDirectory>(
      *p->tenant_store, *p->directory, *p->clock,
      std::chrono::seconds(config.tenant_cache_ttl_seconds));
  p->http_client = std::make_unique<http::CurlHttpClient>(p->curl_runtime);
  p->alert_store = std::make_unique<storage::SqliteAlertStore>(*p->database);
  p->alert_dispatcher = std::make_unique<alerts::AlertDispatcher>(
      *p->alert_store, *p->http_client,
      [dir =
           p->directory.get()](const core::TenantId& id) -> core::Result<tenants::TenantSettings> {
        auto tenant = dir->tenant(id);  // an unknown tenant's alert is skipped
        if (!tenant)
          return std::move(tenant).take_error();
        return std::move(tenant).value().settings;
      },
      std::move(alert_secret), *p->clock, alerts::AlertDispatcherOptions{}, p->metrics,
      p->logging->logger("alerts"));
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
  realtime::add_dashboard_token_routes(p->router, *p->directory, *p->pool, *p->dashboard_tokens);
  p->hub->add_routes(p->router);
  add_openapi_route(p->router);
  add_dashboard_routes(p->router);
  // The room and webhook routes are added in start(): they need the provider (the emulator's
  // port) and the public URL (the bound port when none is configured).

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

  if (auto s = p.server->bind(); !s)
    return s;
  p.public_url = p.config.public_url.empty() ? base_url() : p.config.public_url;
  while (p.public_url.ends_with('/'))
    p.public_url.pop_back();

  rooms::TenantContextLookup tenant_context = rooms::directory_tenant_context(*p.directory);
  if (p.emulator_accounts) {
    // Tenants created while serving (tenant create on the same database) get an emulator
    // account on first use, so the embedded defaults work without a restart.
    tenant_context = [lookup = std::move(tenant_context), accounts = p.emulator_accounts.get()](
                         const core::TenantId& tenant) -> core::Result<rooms::TenantContext> {
      auto context = lookup(tenant);
      if (!context || context->credentials)
        return context;
      auto credentials = accounts->ensure(tenant);
      if (!credentials)
        return std::move(credentials).take_error();
      context->credentials = std::move(credentials).value();
      return context;
    };
  }
  p.tenant_context = tenant_context;
  rooms::RoomServiceOptions room_options;
  room_options.public_url = p.public_url;
  p.rooms = std::make_unique<rooms::RoomService>(
      *p.room_store, *p.room_composition_jobs, *p.provider, std::move(tenant_context),
      p.key_index->index(), *p.token_builder, p.identity_policy, *p.hub, *p.clock, room_options);
  build_recording_pipeline(p);
  p.composition_api = std::make_unique<compositions::CompositionService>(
      *p.composition_store, *p.provider, p.tenant_context, *p.clock,
      compositions::CompositionServiceOptions{});
  compositions::add_composition_routes(p.router, *p.composition_api, *p.directory, *p.pool);
  p.rooms->set_tenant_context_peek(rooms::directory_tenant_context_cached(*p.directory));
  rooms::add_room_routes(p.router, *p.rooms, *p.directory, *p.pool);
  webhooks::add_webhook_routes(p.router, *p.directory, *p.pool, *p.ingestor, p.public_url,
                               p.metrics, p.logging->logger("webhooks"), *p.clock);

  auto recovered = p.rooms->recover_creating(p.clock->now() - kCreatingGrace);
  if (!recovered)
    return std::move(recovered).take_error();
  if (recovered->linked + recovered->failed + recovered->pending > 0) {
    p.log.warn("rooms_recovered", {{"linked", recovered->linked},
                                   {"failed", recovered->failed},
                                   {"pending", recovered->pending}});
  }

  p.ingestor->start();
  p.composition_starter->start();
  p.composition_tracker->start();
  p.alert_dispatcher->start();
  p.reconciler->start();
  if (auto s = p.server->start(); !s)
    return s;
  p.log.info("started", {{"url", base_url()},
                         {"public_url", p.public_url},
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
  p.server->shutdown();  // stop accepting, drain in-flight requests (webhooks wait for commits)
  // Background workers finish their current cycle; leases of anything unfinished expire and
  // the next start (or another instance) takes the work over.
  if (p.composition_starter)
    p.composition_starter->stop();
  if (p.composition_tracker)
    p.composition_tracker->stop();
  p.alert_dispatcher->stop();
  if (p.reconciler)
    p.reconciler->stop();
  p.pool->stop();      // finish queued database work
  p.ingestor->stop();  // commit what is still queued
  p.hub->stop();       // no more deliveries
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
core::Result<std::string> App::dashboard_token(const std::string& tenant_id) const {
  auto issued =
      parts_->dashboard_tokens->issue(core::TenantId(tenant_id), realtime::kDashboardTokenMaxTtl);
  if (!issued)
    return std::move(issued).take_error();
  return std::move(issued->token);
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
std::vector<std::pair<std::string, std::string>> App::routes() const {
  auto out = parts_->router.routes();
  for (auto pattern : parts_->router.websocket_routes()) {
    // "/hubs/rooms/" is an alias of "/hubs/rooms" for clients given a base URL ending in "/".
    if (pattern.size() > 1 && pattern.ends_with('/'))
      pattern.pop_back();
    out.emplace_back("GET", std::move(pattern));  // a WebSocket upgrade is a GET
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
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
  auto db = open_database(config, 1, &p->report, nullptr);
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
