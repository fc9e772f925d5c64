#include "alerts/signature.h"

#include <charconv>
#include <cstdint>

namespace roomplane::alerts {
namespace {

constexpr std::string_view kVersionPrefix = "v1=";
// Digits of a plausible unix time; longer values are rejected before parsing.
constexpr std::size_t kMaxTimestampDigits = 12;

core::Error rejected(std::string code, std::string message) {
  return {core::ErrorKind::kUnauthenticated, std::move(code), std::move(message)};
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

std::string signature_value(std::string_view secret, std::string_view timestamp,
                            std::string_view body) {
  std::string message;
  message.reserve(timestamp.size() + 1 + body.size());
  message.append(timestamp).append(".").append(body);
  return std::string(kVersionPrefix) + crypto::hex_encode(crypto::hmac_sha256(secret, message));
}

SignatureHeaders sign(std::string_view secret, core::TimePoint now, std::string_view body) {
  SignatureHeaders headers;
  headers.timestamp = std::to_string(core::to_unix_seconds(now));
  headers.signature = signature_value(secret, headers.timestamp, body);
  return headers;
}

core::Status verify(std::string_view secret, std::string_view timestamp, std::string_view body,
                    std::string_view signature_header, core::TimePoint now,
                    std::chrono::seconds tolerance) {
  std::int64_t seconds = 0;
  const auto* end = timestamp.data() + timestamp.size();
  if (timestamp.empty() || timestamp.size() > kMaxTimestampDigits || timestamp.front() == '-' ||
      std::from_chars(timestamp.data(), end, seconds).ptr != end) {
    return rejected("invalid_timestamp", "X-Roomplane-Timestamp must be a unix time in seconds");
  }
  const auto skew = core::to_unix_seconds(now) - seconds;
  if (skew > tolerance.count() || -skew > tolerance.count()) {
    return rejected("timestamp_out_of_tolerance",
                    "X-Roomplane-Timestamp is too far from the current time");
  }
  const auto expected = signature_value(secret, timestamp, body);
  bool any_v1 = false;
  bool matched = false;
  std::string_view rest = signature_header;
  while (true) {
    const auto comma = rest.find(',');
    const auto entry = trim(rest.substr(0, comma));
    if (entry.starts_with(kVersionPrefix)) {
      any_v1 = true;
      // Every entry is compared (no early exit), each in constant time.
      matched = crypto::constant_time_equals(entry, expected) || matched;
    }
    if (comma == std::string_view::npos)
      break;
    rest.remove_prefix(comma + 1);
  }
  if (!any_v1)
    return rejected("invalid_signature_header", "X-Roomplane-Signature has no v1 entry");
  if (!matched)
    return rejected("signature_mismatch", "X-Roomplane-Signature does not match the body");
  return {};
}

}  // namespace roomplane::alerts
