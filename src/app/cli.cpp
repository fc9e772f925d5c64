#include "app/cli.h"

#include <csignal>
#include <cstdint>
#include <iostream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <sys/resource.h>

#include "alerts/signature.h"
#include "app/app.h"
#include "app/emulator_stack.h"
#include "app/simulate.h"
#include "crypto/secret_box.h"
#include "http/curl_client.h"
#include "observability/log.h"
#include "observability/metrics.h"
#include "tenants/tenant_admin.h"

namespace roomplane::app {
namespace {

constexpr int kExitError = 1;
constexpr int kExitUsage = 2;

int fail(const core::Error& error) {
  std::cerr << nlohmann::json{{"error", {{"code", error.code}, {"message", error.message}}}}.dump()
            << "\n";
  return kExitError;
}

void print(const nlohmann::json& json) {
  std::cout << json.dump(2) << std::endl;
}

std::string flag_for(std::string key) {
  std::replace(key.begin(), key.end(), '_', '-');
  return "--" + key;
}

// Registers a flag for each named setting; given values land in `flags` keyed by setting.
void add_setting_flags(CLI::App& command, std::map<std::string, std::string>& flags,
                       const std::vector<std::string>& only = {}) {
  for (const auto& setting : settings()) {
    if (!only.empty() && std::find(only.begin(), only.end(), setting.key) == only.end())
      continue;
    command.add_option_function<std::string>(
        flag_for(setting.key),
        [&flags, key = setting.key](const std::string& v) { flags[key] = v; }, setting.help);
  }
}

nlohmann::json key_json(const tenants::ApiKey& key) {
  return {{"api_key_id", key.id.value()},
          {"prefix", key.key_prefix},
          {"created_at", core::to_rfc3339(key.created_at)},
          {"revoked_at",
           key.revoked_at ? nlohmann::json(core::to_rfc3339(*key.revoked_at)) : nlohmann::json()}};
}

// Blocks SIGINT/SIGTERM in this thread before any other thread exists (threads inherit the
// mask), so the signals can only be taken by wait_for_stop_signal().
sigset_t block_stop_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

void wait_for_stop_signal(const sigset_t& signals) {
  int received = 0;
  sigwait(&signals, &received);
}

int run_emulator(const Config& config, std::optional<std::uint64_t> seed) {
  const auto signals = block_stop_signals();
  observability::Logging logging(config.log_level);
  observability::MetricsRegistry metrics;
  core::SystemClock clock;
  http::CurlRuntime curl;
  http::CurlHttpClient callback_client(curl);
  EmulatorStackOptions options;
  options.listen = config.emulator_listen;
  options.seed = seed;
  EmulatorStack stack(options, clock, callback_client, metrics, logging);
  if (auto s = stack.start(); !s)
    return fail(s.error());
  std::cout << "Twilio emulator listening on " << stack.base_url() << "\n"
            << "  create an account: curl -X POST " << stack.base_url() << "/_emulator/accounts\n"
            << "  Video API:         " << stack.base_url()
            << "/v1/Rooms (HTTP Basic: AC.../token or SK.../secret)\n"
            << "Stop with Ctrl-C or SIGTERM." << std::endl;
  wait_for_stop_signal(signals);
  stack.stop();
  return 0;
}

// Every hub client and HTTP keep-alive connection holds a descriptor; the usual soft limit of
// 1024 would cap a dashboard fleet long before memory does (10,000 hub connections take about
// 80 MB, bench/README.md). Raise the soft limit to the hard one the operator allows; returns it.
std::uint64_t raise_open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
    return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
      return raised.rlim_cur;
  }
  return limit.rlim_cur;
}

int serve(const Config& config) {
  const auto signals = block_stop_signals();
  const auto open_files = raise_open_file_limit();

  auto app = App::create(config);
  if (!app)
    return fail(app.error());
  if (auto s = (*app)->start(); !s)
    return fail(s.error());

  const auto url = (*app)->base_url();
  std::cout << "Roomplane is listening on " << url << "\n";
  std::cout << "  health:  curl " << url << "/healthz\n";
  if (const auto& demo = (*app)->demo_tenant()) {
    std::cout << "  demo tenant: " << demo->tenant_id << "\n"
              << "  demo API key (shown once, stored only as a hash): " << demo->api_key << "\n"
              << "  try:     curl -H 'Authorization: Bearer " << demo->api_key << "' " << url
              << "/v1/tenant\n";
    if (auto token = (*app)->dashboard_token(demo->tenant_id)) {
      std::cout << "  dashboard (valid for an hour): " << url << "/#token=" << *token << "\n";
    }
    if ((*app)->emulator_url()) {
      std::cout << "  watch a consultation on it: roomplane simulate --roomplane " << url
                << " --api-key " << demo->api_key << " --pause-ms 1500\n";
    }
  } else {
    std::cout << "  dashboard: " << url
              << "/ (open it with a token from POST /v1/dashboard-tokens)\n";
    std::cout << "  tenants: roomplane tenant list --db " << config.db_url
              << " (new key: roomplane tenant rotate-key --tenant ID)\n";
  }
  if (const auto emulator = (*app)->emulator_url()) {
    std::cout << "  Twilio emulator: " << *emulator
              << " (a consultation on the emulator alone: roomplane simulate --emulator "
              << *emulator << ")\n";
  }
  std::cout << "  open files allowed: " << open_files << " (connections count against it)\n";
  std::cout << "Stop with Ctrl-C or SIGTERM." << std::endl;

  wait_for_stop_signal(signals);
  (*app)->stop();
  return 0;
}

}  // namespace

int run_cli(int argc, char** argv, const std::map<std::string, std::string>& env) {
  CLI::App cli{"Roomplane: the control plane for video consultations on Twilio Programmable Video"};
  cli.require_subcommand(1);
  std::string config_file;
  std::map<std::string, std::string> flags;
  cli.add_option("--config", config_file, "TOML configuration file")->check(CLI::ExistingFile);

  auto* serve_cmd = cli.add_subcommand(
      "serve", "run the HTTP server (embedded defaults: SQLite + Twilio emulator)");
  add_setting_flags(*serve_cmd, flags);

  auto* emulator_cmd = cli.add_subcommand("emulator", "run the Twilio Video emulator on its own");
  std::optional<std::uint64_t> seed;
  emulator_cmd->add_option_function<std::string>(
      "--listen", [&flags](const std::string& v) { flags["emulator_listen"] = v; },
      "HOST:PORT to listen on");
  emulator_cmd->add_option("--seed", seed, "seed for SIDs and fault injection (reproducible runs)");
  add_setting_flags(*emulator_cmd, flags, {"log_level"});

  auto* simulate_cmd =
      cli.add_subcommand("simulate", "run a simulated recorded consultation against the emulator");
  SimulateOptions simulate_options;
  simulate_cmd->add_option("--emulator", simulate_options.emulator_url,
                           "emulator base URL (default: emulator_listen)");
  simulate_cmd->add_option("--status-callback", simulate_options.status_callback_url,
                           "room StatusCallback URL");
  simulate_cmd->add_option("--participants", simulate_options.participants, "2 or 3")
      ->check(CLI::Range(2, 3));
  simulate_cmd->add_option("--account-sid", simulate_options.account_sid,
                           "use this emulator account");
  simulate_cmd->add_option("--api-key-sid", simulate_options.api_key_sid, "its API key SID");
  simulate_cmd->add_option("--api-key-secret", simulate_options.api_key_secret,
                           "its API key secret");
  auto* via_roomplane = simulate_cmd->add_option(
      "--roomplane", simulate_options.roomplane_url,
      "run through Roomplane's API at this URL (e.g. http://127.0.0.1:8080), so its dashboard "
      "shows the consultation live");
  auto* api_key = simulate_cmd->add_option("--api-key", simulate_options.api_key,
                                           "the tenant API key for --roomplane");
  via_roomplane->needs(api_key);
  api_key->needs(via_roomplane);
  int pause_ms = 400;
  simulate_cmd->add_option("--pause-ms", pause_ms, "pause between steps in milliseconds")
      ->check(CLI::Range(0, 60000));
  add_setting_flags(*simulate_cmd, flags, {"emulator_listen"});

  auto* migrate_cmd = cli.add_subcommand("migrate", "apply database migrations and exit");
  add_setting_flags(*migrate_cmd, flags, {"db", "master_key_file", "log_level"});

  auto* tenant_cmd =
      cli.add_subcommand("tenant", "manage tenants, API keys and Twilio credentials");
  tenant_cmd->require_subcommand(1);
  std::string name, tenant_id, key_id, account_sid, api_key_sid, api_key_secret, auth_token;
  std::vector<std::string> reserved;
  auto* create_cmd =
      tenant_cmd->add_subcommand("create", "create a tenant; prints its first API key once");
  create_cmd->add_option("--name", name, "tenant display name")->required();
  create_cmd->add_option("--reserved-identity", reserved,
                         "identity this tenant reserves (repeatable)");
  auto* list_cmd = tenant_cmd->add_subcommand(
      "list", "list tenants with their keys (never the keys themselves)");
  auto* rotate_cmd = tenant_cmd->add_subcommand(
      "rotate-key", "issue an additional API key; old keys keep working");
  rotate_cmd->add_option("--tenant", tenant_id, "tenant id")->required();
  auto* revoke_cmd = tenant_cmd->add_subcommand("revoke-key", "revoke an API key");
  revoke_cmd->add_option("--tenant", tenant_id, "tenant id")->required();
  revoke_cmd->add_option("--key-id", key_id, "API key id (see tenant list)")->required();
  auto* twilio_cmd =
      tenant_cmd->add_subcommand("set-twilio", "store the tenant's Twilio credentials (encrypted)");
  twilio_cmd->add_option("--tenant", tenant_id, "tenant id")->required();
  twilio_cmd->add_option("--account-sid", account_sid, "Account SID (AC...)")->required();
  twilio_cmd->add_option("--api-key-sid", api_key_sid, "API Key SID (SK...)")->required();
  twilio_cmd->add_option("--api-key-secret", api_key_secret, "API Key secret")->required();
  twilio_cmd->add_option("--auth-token", auth_token, "Auth Token (signs webhooks)")->required();
  auto* configure_cmd = tenant_cmd->add_subcommand(
      "configure",
      "change the tenant's alert URL and composition defaults (unset options keep their value); "
      "prints the settings and the alert signing secret");
  configure_cmd->add_option("--tenant", tenant_id, "tenant id")->required();
  std::optional<std::string> alert_url, composition_layout, composition_format;
  configure_cmd->add_option("--alert-url", alert_url,
                            "where signed alerts are POSTed: an http:// or https:// URL; \"\" "
                            "turns alerts off");
  configure_cmd->add_option("--composition-layout", composition_layout, "grid or audio_only");
  configure_cmd->add_option("--composition-format", composition_format, "mp4 or webm");
  for (auto* cmd : {create_cmd, list_cmd, rotate_cmd, revoke_cmd, twilio_cmd, configure_cmd}) {
    add_setting_flags(*cmd, flags, {"db", "master_key_file", "log_level"});
  }

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = cli.exit(e);
    return code == 0 ? 0 : kExitUsage;
  }

  ConfigSources sources;
  if (!config_file.empty())
    sources.toml_path = config_file;
  sources.env = env;
  sources.flags = flags;
  auto config = load_config(sources);
  if (!config)
    return fail(config.error());

  if (serve_cmd->parsed())
    return serve(*config);
  if (emulator_cmd->parsed())
    return run_emulator(*config, seed);
  if (simulate_cmd->parsed()) {
    if (simulate_cmd->count("--emulator") == 0) {
      simulate_options.emulator_url = "http://" + config->emulator_listen.to_string();
    }
    simulate_options.step_pause = std::chrono::milliseconds(pause_ms);
    auto simulated = run_simulation(simulate_options);
    if (!simulated)
      return fail(simulated.error());
    return 0;
  }

  auto context = AdminContext::open(*config);
  if (!context)
    return fail(context.error());
  auto& admin = (*context)->tenant_admin();

  if (migrate_cmd->parsed()) {
    print({{"schema_version", (*context)->schema_version()},
           {"applied", (*context)->applied_migrations()}});
    return 0;
  }
  if (create_cmd->parsed()) {
    tenants::TenantSettings settings;
    settings.reserved_identities = reserved;
    auto created = admin.create_tenant(name, settings);
    if (!created)
      return fail(created.error());
    print({{"tenant_id", created->tenant.id.value()},
           {"name", created->tenant.name},
           {"api_key_id", created->key_id.value()},
           {"api_key", created->api_key}});
    return 0;
  }
  if (list_cmd->parsed()) {
    auto all = admin.list_tenants();
    if (!all)
      return fail(all.error());
    nlohmann::json out = nlohmann::json::array();
    for (const auto& s : *all) {
      nlohmann::json keys = nlohmann::json::array();
      for (const auto& k : s.keys)
        keys.push_back(key_json(k));
      out.push_back({{"tenant_id", s.tenant.id.value()},
                     {"name", s.tenant.name},
                     {"created_at", core::to_rfc3339(s.tenant.created_at)},
                     {"settings", s.tenant.settings.to_json()},
                     {"api_keys", keys},
                     {"provider", s.provider_account_sid
                                      ? nlohmann::json{{"configured", true},
                                                       {"account_sid", *s.provider_account_sid}}
                                      : nlohmann::json{{"configured", false}}}});
    }
    print({{"tenants", out}});
    return 0;
  }
  if (rotate_cmd->parsed()) {
    auto issued = admin.rotate_key(core::TenantId(tenant_id));
    if (!issued)
      return fail(issued.error());
    print({{"tenant_id", tenant_id},
           {"api_key_id", issued->key_id.value()},
           {"api_key", issued->api_key}});
    return 0;
  }
  if (revoke_cmd->parsed()) {
    if (auto s = admin.revoke_key(core::TenantId(tenant_id), core::ApiKeyId(key_id)); !s)
      return fail(s.error());
    print({{"tenant_id", tenant_id}, {"api_key_id", key_id}, {"revoked", true}});
    return 0;
  }
  if (twilio_cmd->parsed()) {
    tenants::ProviderCredentials credentials{account_sid, api_key_sid, api_key_secret, auth_token};
    if (auto s = admin.set_provider_credentials(core::TenantId(tenant_id), credentials); !s)
      return fail(s.error());
    print({{"tenant_id", tenant_id},
           {"provider", {{"configured", true}, {"account_sid", account_sid}}}});
    return 0;
  }
  if (configure_cmd->parsed()) {
    auto updated = admin.update_settings(core::TenantId(tenant_id),
                                         {alert_url, composition_layout, composition_format});
    if (!updated)
      return fail(updated.error());
    // The same master key AdminContext::open just loaded (or created).
    auto master_key = config->master_key.empty()
                          ? crypto::load_or_create_key_file(config->effective_master_key_file())
                          : crypto::parse_master_key(config->master_key);
    if (!master_key)
      return fail(master_key.error());
    print({{"tenant_id", updated->id.value()},
           {"name", updated->name},
           {"settings", updated->settings.to_json()},
           {"alert_signing_secret", alerts::signing_secret(*master_key, updated->id)}});
    return 0;
  }
  return kExitUsage;
}

}  // namespace roomplane::app
