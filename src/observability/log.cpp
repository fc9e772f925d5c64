#include "observability/log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace roomplane::observability {
namespace {

spdlog::level::level_enum to_spdlog(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return spdlog::level::debug;
    case LogLevel::kInfo:
      return spdlog::level::info;
    case LogLevel::kWarn:
      return spdlog::level::warn;
    case LogLevel::kError:
      return spdlog::level::err;
    case LogLevel::kOff:
      return spdlog::level::off;
  }
  return spdlog::level::info;
}

// The message is the object's members without braces; the pattern supplies ts, level, logger.
constexpr const char* kPattern = R"({"ts":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","logger":"%n",%v})";

}  // namespace

bool parse_log_level(std::string_view text, LogLevel& out) {
  if (text == "debug")
    out = LogLevel::kDebug;
  else if (text == "info")
    out = LogLevel::kInfo;
  else if (text == "warn")
    out = LogLevel::kWarn;
  else if (text == "error")
    out = LogLevel::kError;
  else if (text == "off")
    out = LogLevel::kOff;
  else
    return false;
  return true;
}

void Logger::debug(std::string_view event, const nlohmann::json& fields) const {
  write(LogLevel::kDebug, event, fields);
}
void Logger::info(std::string_view event, const nlohmann::json& fields) const {
  write(LogLevel::kInfo, event, fields);
}
void Logger::warn(std::string_view event, const nlohmann::json& fields) const {
  write(LogLevel::kWarn, event, fields);
}
void Logger::error(std::string_view event, const nlohmann::json& fields) const {
  write(LogLevel::kError, event, fields);
}

bool Logger::debug_enabled() const {
  return impl_ && impl_->should_log(spdlog::level::debug);
}

bool Logger::info_enabled() const {
  return impl_ && impl_->should_log(spdlog::level::info);
}

void Logger::write(LogLevel level, std::string_view event, const nlohmann::json& fields) const {
  if (!impl_ || !impl_->should_log(to_spdlog(level)))
    return;
  nlohmann::json line = nlohmann::json::object();
  line["event"] = event;
  if (fields.is_object()) {
    for (const auto& [k, v] : fields.items())
      line[k] = v;
  }
  // Replace invalid UTF-8 rather than throw: log fields can carry client input.
  std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  text = text.substr(1, text.size() - 2);
  impl_->log(to_spdlog(level), "{}", text);
}

struct Logging::Impl {
  spdlog::sink_ptr sink;
  spdlog::level::level_enum level;
};

Logging::Logging(LogLevel level) : impl_(std::make_unique<Impl>()) {
  impl_->sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  impl_->sink->set_formatter(
      std::make_unique<spdlog::pattern_formatter>(kPattern, spdlog::pattern_time_type::utc));
  impl_->level = to_spdlog(level);
}

Logging::Logging(LogLevel level, const std::string& file_path) : impl_(std::make_unique<Impl>()) {
  impl_->sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(file_path, true);
  impl_->sink->set_formatter(
      std::make_unique<spdlog::pattern_formatter>(kPattern, spdlog::pattern_time_type::utc));
  impl_->level = to_spdlog(level);
}

Logging::~Logging() {
  flush();
}

Logger Logging::logger(const std::string& domain) const {
  auto impl = std::make_shared<spdlog::logger>(domain, impl_->sink);
  impl->set_level(impl_->level);
  impl->flush_on(spdlog::level::warn);
  return Logger(std::move(impl));
}

void Logging::flush() const {
  impl_->sink->flush();
}

}  // namespace roomplane::observability
