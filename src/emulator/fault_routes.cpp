#include "emulator/fault_routes.h"

#include <charconv>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace roomplane::emulator {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

constexpr milliseconds kDefaultFlushTimeout{10000};
constexpr milliseconds kMaxFlushTimeout{60000};

// A field-level validation failure; the route turns it into the 422 body.
struct FieldError {
  std::string field;
  std::string message;
};

http::Response invalid(const FieldError& error) {
  return http::Response::json(
      422,
      {{"error",
        {{"code", "invalid_fault_settings"}, {"message", error.message}, {"field", error.field}}}});
}

json range_json(milliseconds lo, milliseconds hi) {
  return json::array({lo.count(), hi.count()});
}

json state_json(const FaultInjector& injector, const CallbackDispatcher& dispatcher) {
  const CallbackFaults cb = dispatcher.faults();
  const RestFaults rest = injector.settings();
  const DispatcherCounts c = dispatcher.counts();
  const RestFaultCounts r = injector.counts();
  return {{"scope", "global"},
          {"seed", injector.seed()},
          {"callbacks",
           {{"drop_rate", cb.drop_rate},
            {"duplicate_rate", cb.duplicate_rate},
            {"reorder_rate", cb.reorder_rate},
            {"delay_rate", cb.delay_rate},
            {"delay_ms", range_json(cb.delay_min, cb.delay_max)}}},
          {"rest",
           {{"rate_429", rest.rate_429},
            {"rate_500", rest.rate_500},
            {"rate_503", rest.rate_503},
            {"latency_ms", range_json(rest.latency_min, rest.latency_max)}}},
          {"counts",
           {{"callbacks",
             {{"delivered", c.delivered},
              {"failed", c.failed},
              {"retries", c.retries},
              {"dropped_by_fault", c.dropped_by_fault},
              {"duplicated_by_fault", c.duplicated_by_fault},
              {"reordered_by_fault", c.reordered_by_fault},
              {"delayed_by_fault", c.delayed_by_fault},
              {"dropped_other", c.dropped_other},
              {"queued", c.queued}}},
            {"rest",
             {{"errors_429", r.errors_429},
              {"errors_500", r.errors_500},
              {"errors_503", r.errors_503},
              {"latency_injected", r.latency_injected}}}}}};
}

std::optional<FieldError> read_rate(const json& section, const char* name,
                                    const std::string& prefix, double& out) {
  const auto it = section.find(name);
  if (it == section.end())
    return std::nullopt;
  // is_number() is false for booleans, so "true" is not taken for 1.
  if (!it->is_number()) {
    return FieldError{prefix + name, prefix + name + " must be a number in [0, 1]"};
  }
  out = it->get<double>();
  return std::nullopt;
}

std::optional<FieldError> read_range(const json& section, const char* name,
                                     const std::string& prefix, milliseconds& lo,
                                     milliseconds& hi) {
  const auto it = section.find(name);
  if (it == section.end())
    return std::nullopt;
  const std::string field = prefix + name;
  const FieldError error{field, field +
                                    " must be [min, max] in whole milliseconds, 0 <= min <= "
                                    "max <= " +
                                    std::to_string(kMaxInjectedDelay.count())};
  if (!it->is_array() || it->size() != 2)
    return error;
  milliseconds values[2];
  for (std::size_t i = 0; i < 2; ++i) {
    const json& v = (*it)[i];
    // Checked before converting, so a huge value cannot wrap into a valid one.
    if (!v.is_number_unsigned() ||
        v.get<std::uint64_t>() > std::uint64_t(kMaxInjectedDelay.count()))
      return error;
    values[i] = milliseconds(static_cast<milliseconds::rep>(v.get<std::uint64_t>()));
  }
  lo = values[0];
  hi = values[1];
  return std::nullopt;
}

std::optional<FieldError> unknown_fields(const json& object, const std::string& prefix,
                                         std::initializer_list<std::string_view> known) {
  for (const auto& [key, value] : object.items()) {
    bool found = false;
    for (const auto k : known)
      found = found || key == k;
    if (!found)
      return FieldError{prefix + key, prefix + key + " is not a known field"};
  }
  return std::nullopt;
}

std::optional<FieldError> status_to_field(const core::Status& status) {
  if (status.ok())
    return std::nullopt;
  // faults.h messages start with the field name.
  const std::string& message = status.error().message;
  return FieldError{message.substr(0, message.find(' ')), message};
}

struct Parsed {
  std::uint64_t seed = kDefaultFaultSeed;
  CallbackFaults callbacks;
  RestFaults rest;
};

// Starts from the current settings, so absent sections are kept.
std::optional<FieldError> parse_settings(const json& body, Parsed& out) {
  if (auto e = unknown_fields(body, "", {"seed", "callbacks", "rest"}))
    return e;
  if (const auto it = body.find("seed"); it != body.end()) {
    if (!it->is_number_unsigned())
      return FieldError{"seed", "seed must be a non-negative integer"};
    out.seed = it->get<std::uint64_t>();
  }
  if (const auto it = body.find("callbacks"); it != body.end()) {
    if (!it->is_object())
      return FieldError{"callbacks", "callbacks must be an object"};
    const std::string p = "callbacks.";
    if (auto e = unknown_fields(
            *it, p, {"drop_rate", "duplicate_rate", "reorder_rate", "delay_rate", "delay_ms"}))
      return e;
    CallbackFaults cb;
    if (auto e = read_rate(*it, "drop_rate", p, cb.drop_rate))
      return e;
    if (auto e = read_rate(*it, "duplicate_rate", p, cb.duplicate_rate))
      return e;
    if (auto e = read_rate(*it, "reorder_rate", p, cb.reorder_rate))
      return e;
    if (auto e = read_rate(*it, "delay_rate", p, cb.delay_rate))
      return e;
    if (auto e = read_range(*it, "delay_ms", p, cb.delay_min, cb.delay_max))
      return e;
    if (auto e = status_to_field(validate(cb)))
      return e;
    out.callbacks = cb;
  }
  if (const auto it = body.find("rest"); it != body.end()) {
    if (!it->is_object())
      return FieldError{"rest", "rest must be an object"};
    const std::string p = "rest.";
    if (auto e = unknown_fields(*it, p, {"rate_429", "rate_500", "rate_503", "latency_ms"}))
      return e;
    RestFaults rest;
    if (auto e = read_rate(*it, "rate_429", p, rest.rate_429))
      return e;
    if (auto e = read_rate(*it, "rate_500", p, rest.rate_500))
      return e;
    if (auto e = read_rate(*it, "rate_503", p, rest.rate_503))
      return e;
    if (auto e = read_range(*it, "latency_ms", p, rest.latency_min, rest.latency_max))
      return e;
    if (auto e = status_to_field(validate(rest)))
      return e;
    out.rest = rest;
  }
  return std::nullopt;
}

std::optional<milliseconds> flush_timeout(const http::Request& request) {
  const auto text = request.query_param("timeout_ms");
  if (!text)
    return kDefaultFlushTimeout;
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size() ||
      value > std::uint64_t(kMaxFlushTimeout.count())) {
    return std::nullopt;
  }
  return milliseconds(static_cast<milliseconds::rep>(value));
}

}  // namespace

void add_fault_routes(http::Router& router, core::WorkPool& pool, FaultInjector& injector,
                      CallbackDispatcher& dispatcher) {
  router.add("GET", "/_emulator/faults", http::inline_handler([&](const http::Request&) {
               return http::Response::json(200, state_json(injector, dispatcher));
             }));

  // Serialises changes, so two concurrent PUTs cannot leave the callback half of one and the
  // REST half of the other.
  auto change_mutex = std::make_shared<std::mutex>();

  const auto put = [&injector, &dispatcher, change_mutex](const http::Request& request) {
    auto body = http::parse_json_object(request);
    if (!body.ok())
      return http::Response::from_error(body.error());
    std::lock_guard lock(*change_mutex);
    Parsed parsed{injector.seed(), dispatcher.faults(), injector.settings()};
    if (auto error = parse_settings(*body, parsed))
      return invalid(*error);
    dispatcher.set_faults(parsed.seed, parsed.callbacks);
    injector.configure(parsed.seed, parsed.rest);
    return http::Response::json(200, state_json(injector, dispatcher));
  };
  router.add("PUT", "/_emulator/faults", http::inline_handler(put));
  router.add("POST", "/_emulator/faults", http::inline_handler(put));

  router.add("DELETE", "/_emulator/faults",
             http::inline_handler([&injector, &dispatcher, change_mutex](const http::Request&) {
               std::lock_guard lock(*change_mutex);
               const std::uint64_t seed = injector.seed();
               dispatcher.set_faults(seed, CallbackFaults{});
               injector.configure(seed, RestFaults{});
               return http::Response::json(200, state_json(injector, dispatcher));
             }));

  router.add("POST", "/_emulator/callbacks/flush",
             http::blocking(pool, [&dispatcher](const http::Request& request) {
               const auto timeout = flush_timeout(request);
               if (!timeout) {
                 return invalid({"timeout_ms", "timeout_ms must be an integer in [0, " +
                                                   std::to_string(kMaxFlushTimeout.count()) + "]"});
               }
               if (dispatcher.flush(*timeout))
                 return http::Response::json(200, {{"flushed", true}, {"queued", 0}});
               return http::Response::json(
                   504, {{"error",
                          {{"code", "flush_timeout"},
                           {"message", "callbacks still queued after " +
                                           std::to_string(timeout->count()) + " ms"},
                           {"queued", dispatcher.counts().queued}}}});
             }));
}

}  // namespace roomplane::emulator
