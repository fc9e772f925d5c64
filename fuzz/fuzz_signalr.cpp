// The SignalR JSON hub protocol parsers on arbitrary client text (signalr_protocol.h).
// Properties:
//  - parse_handshake accepts exactly a JSON object with "protocol":"json" and integer
//    "version" 1; an error is "signalr_protocol_error" and handshake_error() turns its message
//    into a valid {"error": ...} record;
//  - parse_client_message never crashes; on success the message re-encoded by the server-side
//    writers (invocation(), close_message()) parses back to the same message; an unknown type
//    is Ignored with the type as sent; errors carry "signalr_protocol_error";
//  - negotiate_version_error returns nullopt exactly for a decimal integer >= 1, otherwise a
//    JSON object with a string "error";
//  - RecordBuffer, fed the text in two pieces, returns the same records as splitting it on the
//    0x1E separator, and fails exactly when some record (or the trailing partial one) is longer
//    than its limit.

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fuzz_check.h"
#include "realtime/signalr_protocol.h"

namespace {

using namespace roomplane::realtime;
using nlohmann::json;

constexpr std::size_t kMaxRecord = 64;

// The record's JSON, without the trailing separator.
json record_body(const std::string& record) {
  FUZZ_CHECK(!record.empty() && record.back() == signalr::kRecordSeparator);
  const auto body = json::parse(record.substr(0, record.size() - 1), nullptr, false);
  FUZZ_CHECK(!body.is_discarded());
  return body;
}

void check_handshake(std::string_view text) {
  const auto status = signalr::parse_handshake(text);
  const auto j = json::parse(text, nullptr, false);
  const bool expected_ok = !j.is_discarded() && j.is_object() && j.contains("protocol") &&
                           j["protocol"] == "json" && j.contains("version") &&
                           j["version"].is_number_integer() && j["version"] == 1;
  FUZZ_CHECK(status.ok() == expected_ok);
  if (status.ok())
    return;
  FUZZ_CHECK(status.error().code == "signalr_protocol_error");
  const auto body = record_body(signalr::handshake_error(status.error().message));
  FUZZ_CHECK(body.is_object() && body["error"].is_string());
}

void check_client_message(std::string_view text) {
  const auto message = signalr::parse_client_message(text);
  if (!message) {
    FUZZ_CHECK(message.error().code == "signalr_protocol_error");
    return;
  }
  if (const auto* invocation = std::get_if<signalr::Invocation>(&*message)) {
    FUZZ_CHECK(invocation->arguments.is_array());
    const std::string record = signalr::invocation(invocation->target, invocation->arguments);
    const auto again = signalr::parse_client_message(record.substr(0, record.size() - 1));
    FUZZ_CHECK(again.ok());
    const auto* echoed = std::get_if<signalr::Invocation>(&*again);
    FUZZ_CHECK(echoed != nullptr);
    FUZZ_CHECK(echoed->target == invocation->target);
    FUZZ_CHECK(echoed->arguments == invocation->arguments);
    FUZZ_CHECK(!echoed->invocation_id.has_value());
    // Completions must stay valid JSON whatever the id and error text.
    if (invocation->invocation_id) {
      record_body(signalr::completion_void(*invocation->invocation_id));
      record_body(signalr::completion_error(*invocation->invocation_id, invocation->target));
      record_body(signalr::completion_result(*invocation->invocation_id, invocation->arguments));
    }
  } else if (const auto* close = std::get_if<signalr::Close>(&*message)) {
    std::optional<std::string_view> error;
    if (close->error)
      error = *close->error;
    const std::string record = signalr::close_message(error, true);
    const auto again = signalr::parse_client_message(record.substr(0, record.size() - 1));
    FUZZ_CHECK(again.ok());
    const auto* echoed = std::get_if<signalr::Close>(&*again);
    FUZZ_CHECK(echoed != nullptr && echoed->error == close->error);
  } else if (const auto* ignored = std::get_if<signalr::Ignored>(&*message)) {
    FUZZ_CHECK(ignored->type != 1 && ignored->type != 4 && ignored->type != 5 &&
               ignored->type != 6 && ignored->type != 7);
    // The type as sent (clamped when it is an unsigned value beyond long long).
    const auto j = json::parse(text);
    const auto& type = j["type"];
    if (type.is_number_unsigned()) {
      const auto sent = type.get<std::uint64_t>();
      FUZZ_CHECK(sent > static_cast<std::uint64_t>(std::numeric_limits<long long>::max())
                     ? ignored->type == std::numeric_limits<long long>::max()
                     : static_cast<std::uint64_t>(ignored->type) == sent);
    } else {
      FUZZ_CHECK(ignored->type == type.get<std::int64_t>());
    }
  } else if (const auto* stream = std::get_if<signalr::StreamInvocation>(&*message)) {
    record_body(signalr::completion_error(stream->invocation_id, stream->target));
  } else if (const auto* cancel = std::get_if<signalr::CancelInvocation>(&*message)) {
    record_body(signalr::completion_void(cancel->invocation_id));
  }
}

void check_negotiate_version(std::string_view text) {
  const auto error = signalr::negotiate_version_error(text);
  long value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  const bool acceptable = ec == std::errc() && ptr == text.data() + text.size() && value >= 1;
  FUZZ_CHECK(error.has_value() != acceptable);
  if (error) {
    const auto body = json::parse(*error, nullptr, false);
    FUZZ_CHECK(body.is_object() && body["error"].is_string());
  }
}

void check_record_buffer(std::string_view text) {
  std::vector<std::string> pieces;
  std::size_t start = 0;
  while (true) {
    const auto separator = text.find(signalr::kRecordSeparator, start);
    pieces.emplace_back(text.substr(start, separator - start));
    if (separator == std::string_view::npos)
      break;
    start = separator + 1;
  }
  bool too_long = false;
  for (const auto& piece : pieces)
    too_long = too_long || piece.size() > kMaxRecord;
  const std::vector<std::string> records(pieces.begin(), pieces.end() - 1);

  signalr::RecordBuffer buffer(kMaxRecord);
  const std::size_t half = text.size() / 2;
  std::vector<std::string> got;
  bool failed = false;
  for (const auto chunk : {text.substr(0, half), text.substr(half)}) {
    auto fed = buffer.feed(chunk);
    if (!fed) {
      FUZZ_CHECK(fed.error().code == "signalr_protocol_error");
      failed = true;
      break;
    }
    got.insert(got.end(), fed->begin(), fed->end());
  }
  FUZZ_CHECK(failed == too_long);
  if (!failed)
    FUZZ_CHECK(got == records);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto text = roomplane::fuzz::as_text(data, size);
  check_handshake(text);
  check_client_message(text);
  check_negotiate_version(text);
  check_record_buffer(text);
  return 0;
}
