#pragma once
// Configuration: defaults, overridden by a TOML file (--config), overridden by ROOMPLANE_*
// environment variables, overridden by command-line flags. One table of settings drives all
// three sources (config.cpp), so a setting cannot exist in one and be forgotten in another.
// Everything is validated at start; each bad value gets its own message naming its source.
//
// Only the composition root reads configuration; nothing else sees the environment.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "observability/log.h"

namespace roomplane::app {

struct HostPort {
  std::string host;
  std::uint16_t port = 0;
  std::string to_string() const;
};

enum class TwilioMode { kEmulator, kLive };

struct Config {
  HostPort listen{"127.0.0.1", 8080};
  std::string db_url = "sqlite:./data/roomplane.db";
  std::string public_url;  // empty: "http://" + listen
  TwilioMode twilio = TwilioMode::kEmulator;
  HostPort emulator_listen{"127.0.0.1", 8089};
  std::string twilio_base_url =
      "https://video.twilio.com";  // live mode: where the REST client goes
  std::int64_t tenant_cache_ttl_seconds = 30;
  std::int64_t http_threads = 0;  // 0: one per core
  std::int64_t db_threads = 0;    // 0: max(2, cores)
  std::int64_t body_limit_bytes = 1024 * 1024;
  std::int64_t read_timeout_seconds = 30;
  std::int64_t idle_timeout_seconds = 60;
  std::int64_t shutdown_timeout_seconds = 10;
  observability::LogLevel log_level = observability::LogLevel::kInfo;
  bool demo_tenant = true;  // create a demo tenant when the database has none
  // The recording pipeline (compositions/policy.h, reconciler).
  std::int64_t composition_deadline_factor_percent = 200;  // deadline: duration x 2 ...
  std::int64_t composition_deadline_floor_seconds = 600;   // ... but at least 10 min
  std::int64_t composition_max_attempts = 4;
  std::int64_t composition_retry_initial_seconds = 30;
  std::int64_t reconcile_interval_seconds = 60;
  std::int64_t reconcile_budget_per_tenant = 20;  // provider requests per tenant per cycle
  // Secret: only from ROOMPLANE_MASTER_KEY (never a flag, which would land in shell history).
  std::string master_key;
  std::string master_key_file;  // empty: "master.key" beside the SQLite database

  // Derived values.
  std::string effective_public_url() const;
  std::optional<std::string> sqlite_path() const;  // set when db_url is sqlite:
  std::string effective_master_key_file() const;
  std::size_t effective_http_threads() const;
  std::size_t effective_db_threads() const;
};

struct ConfigSources {
  std::optional<std::string> toml_path;
  std::map<std::string, std::string> env;    // the process environment (or a test's)
  std::map<std::string, std::string> flags;  // setting key -> value given on the command line
};

// Every setting: its key (TOML key; flag is --key with '-' for '_'; env is ROOMPLANE_KEY).
struct SettingInfo {
  std::string key;
  std::string help;
};
std::vector<SettingInfo> settings();

// Error kind kInvalidArgument, code "invalid_config"; the message lists every problem, one per
// line, e.g. "listen: 'abc' is not HOST:PORT (from ROOMPLANE_LISTEN)".
core::Result<Config> load_config(const ConfigSources& sources);

core::Result<HostPort> parse_host_port(const std::string& text);

}  // namespace roomplane::app
