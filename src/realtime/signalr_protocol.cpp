#include "realtime/signalr_protocol.h"

#include <charconv>
#include <cstdint>
#include <limits>

namespace roomplane::realtime::signalr {
namespace {

constexpr std::string_view kProtocolErrorCode = "signalr_protocol_error";

core::Error protocol_error(std::string message) {
  return core::Error::invalid_argument(std::string(kProtocolErrorCode), std::move(message));
}

std::string record(const nlohmann::json& message) {
  // Payloads can carry client or provider text; invalid UTF-8 is replaced rather than thrown on
  // a path (event fan-out, completions) that must not fail.
  auto text = message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  text += kRecordSeparator;
  return text;
}

std::optional<std::string> string_field(const nlohmann::json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || !it->is_string())
    return std::nullopt;
  return it->get<std::string>();
}

}  // namespace

std::string negotiate_response(std::string_view connection_id, std::string_view connection_token) {
  return nlohmann::json{
      {"negotiateVersion", 1},
      {"connectionId", connection_id},
      {"connectionToken", connection_token},
      {"availableTransports", nlohmann::json::array({{{"transport", "WebSockets"},
                                                      {"transferFormats", {"Text", "Binary"}}}})}}
      .dump();
}

std::optional<std::string> negotiate_version_error(std::optional<std::string_view> version) {
  // A missing version means 0: the v0 response has no connectionToken, and this server keys
  // connections by token, so v0 clients (older than ASP.NET Core 3.1) are refused.
  long requested = 0;
  if (version) {
    const auto* end = version->data() + version->size();
    auto [ptr, ec] = std::from_chars(version->data(), end, requested);
    if (ec != std::errc() || ptr != end)
      return nlohmann::json{{"error", "The client requested a non-integer protocol version."}}
          .dump();
  }
  if (requested < 1) {
    return nlohmann::json{{"error", "The client requested version '" + std::to_string(requested) +
                                        "', but the server does not support this version."}}
        .dump();
  }
  return std::nullopt;  // 1, or higher: answered with our maximum, 1
}

core::Status parse_handshake(std::string_view text) {
  auto handshake = nlohmann::json::parse(text, nullptr, false);
  if (handshake.is_discarded() || !handshake.is_object())
    return protocol_error("An unexpected error occurred during connection handshake.");
  auto protocol = string_field(handshake, "protocol");
  auto version = handshake.find("version");
  if (!protocol || version == handshake.end() || !version->is_number_integer())
    return protocol_error("An unexpected error occurred during connection handshake.");
  if (*protocol != "json")
    return protocol_error("The protocol '" + *protocol + "' is not supported.");
  // Version 2 means stateful reconnect, which negotiate never offers.
  if (version->get<long long>() != 1) {
    return protocol_error("The server does not support version " +
                          std::to_string(version->get<long long>()) + " of the 'json' protocol.");
  }
  return {};
}

std::string handshake_ok() {
  return std::string("{}") + kRecordSeparator;
}

std::string handshake_error(std::string_view message) {
  return record({{"error", message}});
}

core::Result<std::vector<std::string>> RecordBuffer::feed(std::string_view text) {
  std::vector<std::string> records;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto separator = text.find(kRecordSeparator, start);
    if (separator == std::string_view::npos) {
      partial_.append(text.substr(start));
      break;
    }
    partial_.append(text.substr(start, separator - start));
    if (partial_.size() > max_record_bytes_)
      return protocol_error("message exceeds " + std::to_string(max_record_bytes_) + " bytes");
    records.push_back(std::move(partial_));
    partial_.clear();
    start = separator + 1;
  }
  if (partial_.size() > max_record_bytes_)
    return protocol_error("message exceeds " + std::to_string(max_record_bytes_) + " bytes");
  return records;
}

core::Result<ClientMessage> parse_client_message(std::string_view text) {
  auto message = nlohmann::json::parse(text, nullptr, false);
  if (message.is_discarded() || !message.is_object())
    return protocol_error("message is not a JSON object");
  auto type_it = message.find("type");
  if (type_it == message.end() || !type_it->is_number_integer())
    return protocol_error("message has no integer 'type'");
  // The full value: narrowing it first would make 4294967297 read as 1 (an invocation's type)
  // and 18446744073709551615 as -1.
  const long long type =
      type_it->is_number_unsigned() &&
              type_it->get<std::uint64_t>() >
                  static_cast<std::uint64_t>(std::numeric_limits<long long>::max())
          ? std::numeric_limits<long long>::max()
          : type_it->get<long long>();
  switch (type) {
    case 1: {
      Invocation invocation;
      auto target = string_field(message, "target");
      auto arguments = message.find("arguments");
      if (!target || arguments == message.end() || !arguments->is_array())
        return protocol_error("invocation needs 'target' and 'arguments'");
      if (auto id = message.find("invocationId"); id != message.end()) {
        if (!id->is_string())
          return protocol_error("'invocationId' must be a string");
        invocation.invocation_id = id->get<std::string>();
      }
      invocation.target = std::move(*target);
      invocation.arguments = std::move(*arguments);
      invocation.has_stream_ids = message.contains("streamIds");
      return ClientMessage(std::move(invocation));
    }
    case 4: {
      auto id = string_field(message, "invocationId");
      auto target = string_field(message, "target");
      if (!id || !target)
        return protocol_error("stream invocation needs 'invocationId' and 'target'");
      return ClientMessage(StreamInvocation{std::move(*id), std::move(*target)});
    }
    case 5: {
      auto id = string_field(message, "invocationId");
      if (!id)
        return protocol_error("cancel invocation needs 'invocationId'");
      return ClientMessage(CancelInvocation{std::move(*id)});
    }
    case 6:
      return ClientMessage(Ping{});
    case 7:
      return ClientMessage(Close{string_field(message, "error")});
    default:
      return ClientMessage(Ignored{type});
  }
}

std::string invocation(std::string_view target, const nlohmann::json& arguments) {
  return record({{"type", 1}, {"target", target}, {"arguments", arguments}});
}

std::string completion_result(std::string_view invocation_id, const nlohmann::json& result) {
  return record({{"type", 3}, {"invocationId", invocation_id}, {"result", result}});
}

std::string completion_void(std::string_view invocation_id) {
  return record({{"type", 3}, {"invocationId", invocation_id}});
}

std::string completion_error(std::string_view invocation_id, std::string_view error) {
  return record({{"type", 3},
                 {"invocationId", invocation_id},
                 {"error", error.empty() ? std::string_view("error") : error}});
}

std::string ping() {
  return record({{"type", 6}});
}

std::string close_message(std::optional<std::string_view> error, bool allow_reconnect) {
  nlohmann::json message = {{"type", 7}};
  if (error)
    message["error"] = *error;
  if (allow_reconnect)
    message["allowReconnect"] = true;
  return record(message);
}

}  // namespace roomplane::realtime::signalr
