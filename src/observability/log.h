#pragma once
// Structured JSON logs on spdlog. Each line is one JSON object:
//   {"ts":"2026-11-23T19:00:00.123456Z","level":"info","logger":"http","event":"request",...}
// Loggers are values handed out by the composition root (no global registry), one per domain.
// Never pass secrets, tokens or API keys as fields; identities of people only when needed.

#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace spdlog {
class logger;
}

namespace roomplane::observability {

enum class LogLevel { kDebug, kInfo, kWarn, kError, kOff };

// Parses "debug" | "info" | "warn" | "error" | "off".
bool parse_log_level(std::string_view text, LogLevel& out);

class Logger {
 public:
  Logger() = default;  // a logger that drops everything (for tests that do not care)
  explicit Logger(std::shared_ptr<spdlog::logger> impl) : impl_(std::move(impl)) {}

  void debug(std::string_view event, const nlohmann::json& fields = nlohmann::json::object()) const;
  void info(std::string_view event, const nlohmann::json& fields = nlohmann::json::object()) const;
  void warn(std::string_view event, const nlohmann::json& fields = nlohmann::json::object()) const;
  void error(std::string_view event, const nlohmann::json& fields = nlohmann::json::object()) const;

  bool debug_enabled() const;
  bool info_enabled() const;  // to skip building fields for a line that would be dropped

 private:
  void write(LogLevel level, std::string_view event, const nlohmann::json& fields) const;
  std::shared_ptr<spdlog::logger> impl_;
};

// Owns the sink all domain loggers share. Created once by the composition root.
class Logging {
 public:
  // Writes to stderr; logs are for operators and must not mix with the JSON a CLI prints.
  explicit Logging(LogLevel level);
  // Writes to the given file path (tests read it back).
  Logging(LogLevel level, const std::string& file_path);
  ~Logging();

  Logger logger(const std::string& domain) const;
  void flush() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace roomplane::observability
