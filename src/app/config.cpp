#include "app/config.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <functional>
#include <thread>

#include <toml++/toml.h>

namespace roomplane::app {
namespace {

// Applies a textual value to the config; returns a problem description or nullopt.
using Apply = std::function<std::optional<std::string>(Config&, const std::string&)>;

struct Setting {
  std::string key;
  std::string help;
  Apply apply;
  bool secret = false;  // never accepted as a flag or from the TOML file
};

std::optional<std::int64_t> parse_int(const std::string& text) {
  std::int64_t value = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end)
    return std::nullopt;
  return value;
}

Apply int_in_range(std::int64_t Config::*field, std::int64_t min, std::int64_t max) {
  return [=](Config& c, const std::string& v) -> std::optional<std::string> {
    auto n = parse_int(v);
    if (!n || *n < min || *n > max) {
      return "'" + v + "' is not an integer between " + std::to_string(min) + " and " +
             std::to_string(max);
    }
    c.*field = *n;
    return std::nullopt;
  };
}

Apply host_port(HostPort Config::*field) {
  return [=](Config& c, const std::string& v) -> std::optional<std::string> {
    auto hp = parse_host_port(v);
    if (!hp)
      return hp.error().message;
    c.*field = *hp;
    return std::nullopt;
  };
}

const std::vector<Setting>& setting_table() {
  static const std::vector<Setting> table = {
      {"listen", "HOST:PORT the HTTP server listens on", host_port(&Config::listen)},
      {"db", "database URL: sqlite:PATH (postgres:// arrives with scale-out)",
       [](Config& c, const std::string& v) -> std::optional<std::string> {
         if (v.starts_with("sqlite:") && v.size() > 7) {
           c.db_url = v;
           return std::nullopt;
         }
         if (v.starts_with("postgres://") || v.starts_with("postgresql://")) {
           return "PostgreSQL is not supported by this build yet; use sqlite:PATH";
         }
         return "'" + v +
                "' is not a database URL; use sqlite:PATH, e.g. sqlite:./data/roomplane.db";
       }},
      {"public_url", "the URL Twilio calls back and signs (default http:// + listen)",
       [](Config& c, const std::string& v) -> std::optional<std::string> {
         if (!(v.starts_with("http://") || v.starts_with("https://")) || v.size() < 10 ||
             v.find_first_of(" \t\r\n") != std::string::npos) {
           return "'" + v + "' is not an http:// or https:// URL";
         }
         c.public_url = v;
         while (c.public_url.ends_with('/'))
           c.public_url.pop_back();
         return std::nullopt;
       }},
      {"twilio", "emulator (built-in Twilio emulator) or live (real Twilio)",
       [](Config& c, const std::string& v) -> std::optional<std::string> {
         if (v == "emulator")
           c.twilio = TwilioMode::kEmulator;
         else if (v == "live")
           c.twilio = TwilioMode::kLive;
         else
           return "'" + v + "' must be 'emulator' or 'live'";
         return std::nullopt;
       }},
      {"emulator_listen", "HOST:PORT of the in-process Twilio emulator",
       host_port(&Config::emulator_listen)},
      {"twilio_base_url",
       "base URL of Twilio's Video API in live mode (a proxy, or another emulator)",
       [](Config& c, const std::string& v) -> std::optional<std::string> {
         if (!(v.starts_with("http://") || v.starts_with("https://")) || v.size() < 10 ||
             v.find_first_of(" \t\r\n") != std::string::npos) {
           return "'" + v + "' is not an http:// or https:// URL";
         }
         c.twilio_base_url = v;
         while (c.twilio_base_url.ends_with('/'))
           c.twilio_base_url.pop_back();
         return std::nullopt;
       }},
      {"tenant_cache_ttl_seconds",
       "how long tenant, key and credential look-ups are cached (0 disables)",
       int_in_range(&Config::tenant_cache_ttl_seconds, 0, 3600)},
      {"http_threads", "HTTP I/O threads (0: one per core)",
       int_in_range(&Config::http_threads, 0, 256)},
      {"db_threads", "threads for database work (0: max(2, cores))",
       int_in_range(&Config::db_threads, 0, 256)},
      {"body_limit_bytes", "largest request body accepted",
       int_in_range(&Config::body_limit_bytes, 1024, 64 << 20)},
      {"read_timeout_seconds", "time allowed to receive one request",
       int_in_range(&Config::read_timeout_seconds, 1, 3600)},
      {"idle_timeout_seconds", "keep-alive connection idle limit",
       int_in_range(&Config::idle_timeout_seconds, 1, 3600)},
      {"shutdown_timeout_seconds", "how long in-flight requests may finish on shutdown",
       int_in_range(&Config::shutdown_timeout_seconds, 0, 600)},
      {"log_level", "debug, info, warn, error or off",
       [](Config& c, const std::string& v) -> std::optional<std::string> {
         if (!observability::parse_log_level(v, c.log_level))
           return "'" + v + "' must be debug, info, warn, error or off";
         return std::nullopt;
       }},
      {"demo_tenant", "create a demo tenant when the database has none (true/false)",
       [](Config& c, const std::string& v) -> std::optional<std::string> {
         if (v == "true")
           c.demo_tenant = true;
         else if (v == "false")
           c.demo_tenant = false;
         else
           return "'" + v + "' must be true or false";
         return std::nullopt;
       }},
      {"composition_deadline_factor_percent",
       "a composition stalls when not done within this percentage of its recorded duration",
       int_in_range(&Config::composition_deadline_factor_percent, 10, 10000)},
      {"composition_deadline_floor_seconds", "the shortest deadline any composition gets",
       int_in_range(&Config::composition_deadline_floor_seconds, 1, 7 * 86400)},
      {"composition_max_attempts", "provider attempts before a composition is failed for good",
       int_in_range(&Config::composition_max_attempts, 1, 20)},
      {"composition_retry_initial_seconds",
       "wait after a failed composition attempt (doubles each time, at most 30 min)",
       int_in_range(&Config::composition_retry_initial_seconds, 1, 3600)},
      {"reconcile_interval_seconds", "how often rooms are compared with the provider",
       int_in_range(&Config::reconcile_interval_seconds, 1, 86400)},
      {"reconcile_budget_per_tenant", "provider requests per tenant per reconciler cycle",
       int_in_range(&Config::reconcile_budget_per_tenant, 1, 10000)},
      {"master_key_file", "file holding the master key when ROOMPLANE_MASTER_KEY is unset",
       [](Config& c, const std::string& v) -> std::optional<std::string> {
         if (v.empty())
           return "must not be empty";
         c.master_key_file = v;
         return std::nullopt;
       }},
      {"master_key", "32-byte key (64 hex characters or base64) that encrypts secrets at rest",
       [](Config& c, const std::string& v) -> std::optional<std::string> {
         c.master_key = v;  // validated when used, by crypto::parse_master_key
         return std::nullopt;
       },
       true},
  };
  return table;
}

std::string env_name(const std::string& key) {
  std::string out = "ROOMPLANE_";
  for (char c : key)
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string flag_name(std::string key) {
  std::replace(key.begin(), key.end(), '_', '-');
  return "--" + key;
}

std::optional<std::string> toml_value_text(const toml::node& node) {
  if (auto s = node.value<std::string>())
    return *s;
  if (node.is_integer())
    return std::to_string(*node.value<std::int64_t>());
  if (node.is_boolean())
    return *node.value<bool>() ? "true" : "false";
  return std::nullopt;
}

}  // namespace

std::string HostPort::to_string() const {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
         std::to_string(port);
}

core::Result<HostPort> parse_host_port(const std::string& text) {
  const auto fail = [&] {
    return core::Error::invalid_argument(
        "invalid_host_port",
        "'" + text + "' is not HOST:PORT (e.g. 127.0.0.1:8080, [::1]:8080, 0.0.0.0:0)");
  };
  std::string host;
  std::string port;
  if (text.starts_with('[')) {
    const auto close = text.find("]:");
    if (close == std::string::npos)
      return fail();
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || text.find(':') != colon)
      return fail();
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  auto n = parse_int(port);
  if (host.empty() || !n || *n < 0 || *n > 65535)
    return fail();
  if (host.find_first_of(" /\t") != std::string::npos)
    return fail();
  return HostPort{host, static_cast<std::uint16_t>(*n)};
}

std::string Config::effective_public_url() const {
  return public_url.empty() ? "http://" + listen.to_string() : public_url;
}

std::optional<std::string> Config::sqlite_path() const {
  if (db_url.starts_with("sqlite:"))
    return db_url.substr(7);
  return std::nullopt;
}

std::string Config::effective_master_key_file() const {
  if (!master_key_file.empty())
    return master_key_file;
  const auto path = sqlite_path().value_or("./data/roomplane.db");
  const auto slash = path.rfind('/');
  return (slash == std::string::npos ? std::string(".") : path.substr(0, slash)) + "/master.key";
}

std::size_t Config::effective_http_threads() const {
  if (http_threads > 0)
    return static_cast<std::size_t>(http_threads);
  return std::max(1u, std::thread::hardware_concurrency());
}

std::size_t Config::effective_db_threads() const {
  if (db_threads > 0)
    return static_cast<std::size_t>(db_threads);
  return std::max(2u, std::thread::hardware_concurrency());
}

std::vector<SettingInfo> settings() {
  std::vector<SettingInfo> out;
  for (const auto& s : setting_table()) {
    if (!s.secret)
      out.push_back({s.key, s.help});
  }
  return out;
}

core::Result<Config> load_config(const ConfigSources& sources) {
  Config config;
  std::vector<std::string> problems;
  const auto apply = [&](const Setting& setting, const std::string& value,
                         const std::string& origin) {
    if (auto problem = setting.apply(config, value)) {
      problems.push_back(setting.key + ": " + *problem + " (from " + origin + ")");
    }
  };

  if (sources.toml_path) {
    // Debian's toml++ is built with exceptions: parse errors arrive as toml::parse_error.
    toml::table table;
    bool parsed = false;
    try {
      table = toml::parse_file(*sources.toml_path);
      parsed = true;
    } catch (const toml::parse_error& err) {
      problems.push_back("config file " + *sources.toml_path + ": " +
                         std::string(err.description()) + " (line " +
                         std::to_string(err.source().begin.line) + ")");
    }
    if (parsed) {
      for (const auto& [key, node] : table) {
        const std::string k(key.str());
        const auto it = std::find_if(setting_table().begin(), setting_table().end(),
                                     [&](const Setting& s) { return s.key == k; });
        if (it == setting_table().end()) {
          problems.push_back(k + ": unknown setting (from " + *sources.toml_path + ")");
        } else if (it->secret) {
          problems.push_back(k + ": secrets are not read from files; set " + env_name(k) +
                             " (from " + *sources.toml_path + ")");
        } else if (auto text = toml_value_text(node)) {
          apply(*it, *text, *sources.toml_path);
        } else {
          problems.push_back(k + ": must be a string, integer or boolean (from " +
                             *sources.toml_path + ")");
        }
      }
    }
  }
  for (const auto& setting : setting_table()) {
    if (auto it = sources.env.find(env_name(setting.key)); it != sources.env.end()) {
      apply(setting, it->second, env_name(setting.key));
    }
  }
  for (const auto& [key, value] : sources.flags) {
    const auto it = std::find_if(setting_table().begin(), setting_table().end(),
                                 [&](const Setting& s) { return s.key == key && !s.secret; });
    if (it == setting_table().end()) {
      problems.push_back(key + ": unknown setting (from the command line)");
    } else {
      apply(*it, value, flag_name(key));
    }
  }
  if (!problems.empty()) {
    std::string message = "invalid configuration:";
    for (const auto& p : problems)
      message += "\n  " + p;
    return core::Error::invalid_argument("invalid_config", message);
  }
  return config;
}

}  // namespace roomplane::app
