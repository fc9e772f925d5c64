#include "twilio/callback_event.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/json_text.h"
#include "crypto/crypto.h"

namespace roomplane::twilio {
namespace {

using rooms::RoomEvent;
using rooms::RoomEventType;

constexpr std::array<std::pair<RoomEventType, std::string_view>, 17> kTwilioNames{{
    {RoomEventType::kRoomCreated, "room-created"},
    {RoomEventType::kRoomEnded, "room-ended"},
    {RoomEventType::kParticipantConnected, "participant-connected"},
    {RoomEventType::kParticipantDisconnected, "participant-disconnected"},
    {RoomEventType::kTrackAdded, "track-added"},
    {RoomEventType::kTrackRemoved, "track-removed"},
    {RoomEventType::kTrackEnabled, "track-enabled"},
    {RoomEventType::kTrackDisabled, "track-disabled"},
    {RoomEventType::kRecordingStarted, "recording-started"},
    {RoomEventType::kRecordingCompleted, "recording-completed"},
    {RoomEventType::kRecordingFailed, "recording-failed"},
    {RoomEventType::kCompositionEnqueued, "composition-enqueued"},
    {RoomEventType::kCompositionStarted, "composition-started"},
    {RoomEventType::kCompositionProgress, "composition-progress"},
    {RoomEventType::kCompositionAvailable, "composition-available"},
    {RoomEventType::kCompositionFailed, "composition-failed"},
    {RoomEventType::kCompositionHookFailed, "composition-hook-failed"},
}};

std::optional<RoomEventType> type_from_twilio_name(std::string_view name) {
  for (const auto& [type, text] : kTwilioNames) {
    if (text == name)
      return type;
  }
  return std::nullopt;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool is_sid(std::string_view text, std::string_view prefix) {
  if (text.size() != prefix.size() + 32 || text.substr(0, prefix.size()) != prefix)
    return false;
  for (const char c : text.substr(prefix.size())) {
    if (!is_hex(c))
      return false;
  }
  return true;
}

// A non-negative decimal integer that fits an int64 (at most 18 digits, so no overflow check
// beyond from_chars is needed).
std::optional<std::int64_t> parse_count(std::string_view text) {
  if (text.empty() || text.size() > 18)
    return std::nullopt;
  for (const char c : text) {
    if (!is_digit(c))
      return std::nullopt;
  }
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size())
    return std::nullopt;
  return value;
}

// "40", "40.5" (truncated to 40); 0..100.
std::optional<int> parse_percent(std::string_view text) {
  const auto dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  if (dot != std::string_view::npos) {
    const std::string_view fraction = text.substr(dot + 1);
    if (fraction.empty())
      return std::nullopt;
    for (const char c : fraction) {
      if (!is_digit(c))
        return std::nullopt;
    }
  }
  const auto value = parse_count(whole);
  if (!value || *value > 100)
    return std::nullopt;
  return static_cast<int>(*value);
}

rooms::TrackKind parse_kind(std::string_view text) {
  if (text == "audio")
    return rooms::TrackKind::kAudio;
  if (text == "video")
    return rooms::TrackKind::kVideo;
  if (text == "data")
    return rooms::TrackKind::kData;
  return rooms::TrackKind::kUnknown;
}

enum class Need { kOptional, kRequired };

// Reads typed parameters, remembering the first error. Once an error is recorded, later reads
// still return (empty) values, so the caller can read every field and check once at the end.
// A lenient reader never records "invalid" errors: it drops malformed values instead.
class Reader {
 public:
  Reader(const http::FormParams& params, bool lenient) : params_(params), lenient_(lenient) {}

  // The first value of `name`; empty when absent.
  std::string_view raw(std::string_view name) const {
    for (const auto& [key, value] : params_) {
      if (key == name)
        return value;
    }
    return {};
  }

  std::string text(std::string_view name, Need need = Need::kOptional) {
    const auto value = present(name, need);
    if (value.size() > kMaxCallbackTextBytes) {
      invalid(name, "is longer than " + std::to_string(kMaxCallbackTextBytes) + " bytes");
      return {};
    }
    // Names and identities end up in JSON (the room state, hub events, the API); text that is
    // not UTF-8 could not be encoded there, so it is refused here, where it can be named.
    if (!core::is_valid_utf8(value)) {
      invalid(name, "is not valid UTF-8");
      return {};
    }
    return std::string(value);
  }

  std::string sid(std::string_view name, std::string_view prefix, Need need = Need::kOptional) {
    const auto value = present(name, need);
    if (value.empty())
      return {};
    if (!is_sid(value, prefix)) {
      invalid(name, "is not a SID (" + std::string(prefix) + " followed by 32 hex digits)");
      return {};
    }
    return std::string(value);
  }

  std::optional<std::int64_t> count(std::string_view name, Need need = Need::kOptional) {
    const auto value = present(name, need);
    if (value.empty())
      return std::nullopt;
    auto parsed = parse_count(value);
    if (!parsed)
      invalid(name, "is not a non-negative integer");
    return parsed;
  }

  std::optional<int> percent(std::string_view name, Need need) {
    const auto value = present(name, need);
    if (value.empty())
      return std::nullopt;
    auto parsed = parse_percent(value);
    if (!parsed)
      invalid(name, "is not a percentage from 0 to 100");
    return parsed;
  }

  std::optional<core::TimePoint> time(std::string_view name, Need need) {
    const auto value = present(name, need);
    if (value.empty())
      return std::nullopt;
    auto parsed = parse_callback_timestamp(value);
    if (!parsed)
      invalid(name, "is not an ISO 8601 timestamp such as 2024-01-01T00:00:00Z");
    return parsed;
  }

  std::optional<core::Error> take_error() { return std::move(error_); }

 private:
  std::string_view present(std::string_view name, Need need) {
    const auto value = raw(name);
    if (value.empty() && need == Need::kRequired && !error_) {
      error_ = core::Error::invalid_argument(
          std::string(kErrCallbackMissingParameter),
          "status callback is missing the required parameter " + std::string(name));
    }
    return value;
  }

  void invalid(std::string_view name, const std::string& why) {
    if (lenient_ || error_)
      return;
    error_ =
        core::Error::invalid_argument(std::string(kErrCallbackInvalidParameter),
                                      "status callback parameter " + std::string(name) + " " + why);
  }

  const http::FormParams& params_;
  bool lenient_;
  std::optional<core::Error> error_;
};

// ErrorMessage, else FailedOperation: whichever says more about what went wrong.
std::string failure_text(Reader& r) {
  auto message = r.text("ErrorMessage");
  return message.empty() ? r.text("FailedOperation") : message;
}

void read_participant(Reader& r, RoomEvent& e, Need need_identity) {
  e.participant_sid = r.sid("ParticipantSid", "PA", Need::kRequired);
  e.participant_identity = r.text("ParticipantIdentity", need_identity);
}

void read_known(Reader& r, RoomEvent& e) {
  using T = RoomEventType;
  switch (e.type) {
    case T::kRoomCreated:
      break;
    case T::kRoomEnded:
      e.room_duration_seconds = r.count("RoomDuration");
      e.room_failed = r.raw("RoomStatus") == "failed";
      break;
    case T::kParticipantConnected:
      read_participant(r, e, Need::kRequired);
      break;
    case T::kParticipantDisconnected:
      read_participant(r, e, Need::kRequired);
      e.participant_duration_seconds = r.count("ParticipantDuration");
      break;
    case T::kTrackAdded:
    case T::kTrackRemoved:
    case T::kTrackEnabled:
    case T::kTrackDisabled:
      read_participant(r, e, Need::kOptional);
      e.track_sid = r.sid("TrackSid", "MT", Need::kRequired);
      e.track_kind = parse_kind(r.raw("TrackKind"));
      e.track_name = r.text("TrackName");
      break;
    case T::kRecordingStarted:
    case T::kRecordingCompleted:
    case T::kRecordingFailed:
      e.recording_sid = r.sid("RecordingSid", "RT", Need::kRequired);
      e.participant_sid = r.sid("ParticipantSid", "PA");
      e.participant_identity = r.text("ParticipantIdentity");
      e.recording_source_sid = r.sid("SourceSid", "MT");
      e.track_name = r.text("TrackName");
      e.track_kind = parse_kind(r.raw("Type"));
      if (e.type == T::kRecordingCompleted) {
        e.recording_duration_seconds = r.count("Duration");
        e.recording_size_bytes = r.count("Size");
        e.recording_media_uri = r.text("MediaUri");
      } else if (e.type == T::kRecordingFailed) {
        e.recording_error = failure_text(r);
      }
      break;
    case T::kCompositionEnqueued:
    case T::kCompositionStarted:
    case T::kCompositionProgress:
    case T::kCompositionAvailable:
    case T::kCompositionFailed:
      e.composition_sid = r.sid("CompositionSid", "CJ", Need::kRequired);
      e.composition_hook_sid = r.sid("HookSid", "HK");
      if (e.type == T::kCompositionProgress) {
        e.composition_progress_percent = r.percent("PercentageDone", Need::kRequired);
      } else if (e.type == T::kCompositionAvailable) {
        e.composition_duration_seconds = r.count("Duration");
        e.composition_size_bytes = r.count("Size");
        e.composition_media_uri = r.text("MediaUri");
      } else if (e.type == T::kCompositionFailed) {
        e.composition_error = failure_text(r);
      }
      break;
    case T::kCompositionHookFailed:
      e.composition_hook_sid = r.sid("HookSid", "HK");
      e.composition_error = failure_text(r);
      break;
    case T::kUnknown:
      break;
  }
}

// An unknown event: only the identifying fields, for the ledger's key; read leniently.
void read_unknown(Reader& r, RoomEvent& e) {
  e.participant_sid = r.sid("ParticipantSid", "PA");
  e.participant_identity = r.text("ParticipantIdentity");
  e.track_sid = r.sid("TrackSid", "MT");
  e.recording_sid = r.sid("RecordingSid", "RT");
  e.composition_sid = r.sid("CompositionSid", "CJ");
  e.composition_hook_sid = r.sid("HookSid", "HK");
}

// Fixed-width decimal field at text[pos, pos + width).
std::optional<int> digits(std::string_view text, std::size_t pos, std::size_t width) {
  if (pos + width > text.size())
    return std::nullopt;
  int value = 0;
  for (std::size_t i = pos; i < pos + width; ++i) {
    if (!is_digit(text[i]))
      return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

void append_field(std::string& out, std::string_view field) {
  out += std::to_string(field.size());
  out += ':';
  out += field;
  out += ';';
}

// Every parameter, in a fixed order (by name, then value) so the order they were sent in does
// not count, length-prefixed, hashed: the identity of a callback nothing else identifies.
std::string params_digest(const http::FormParams& params) {
  std::vector<const std::pair<std::string, std::string>*> sorted;
  sorted.reserve(params.size());
  for (const auto& param : params)
    sorted.push_back(&param);
  std::sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) { return *a < *b; });
  std::string material;
  for (const auto* param : sorted) {
    append_field(material, param->first);
    append_field(material, param->second);
  }
  return crypto::sha256_hex(material);
}

}  // namespace

std::string_view callback_event_name(RoomEventType type) {
  for (const auto& [value, name] : kTwilioNames) {
    if (value == type)
      return name;
  }
  return {};
}

std::optional<core::TimePoint> parse_callback_timestamp(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != 't') || text[13] != ':' || text[16] != ':')
    return std::nullopt;
  const auto year = digits(text, 0, 4);
  const auto month = digits(text, 5, 2);
  const auto day = digits(text, 8, 2);
  const auto hour = digits(text, 11, 2);
  const auto minute = digits(text, 14, 2);
  const auto second = digits(text, 17, 2);
  // The year bound keeps the result inside system_clock's range (int64 nanoseconds end in 2262).
  if (!year || !month || !day || !hour || !minute || !second || *year < 1970 || *year > 2199 ||
      *hour > 23 || *minute > 59 || *second > 59)
    return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year{*year},
                                         std::chrono::month{static_cast<unsigned>(*month)},
                                         std::chrono::day{static_cast<unsigned>(*day)}};
  if (!date.ok())
    return std::nullopt;

  std::size_t pos = 19;
  std::chrono::nanoseconds fraction{0};
  if (text[pos] == '.') {
    ++pos;
    const std::size_t start = pos;
    std::int64_t nanos = 0;
    while (pos < text.size() && is_digit(text[pos])) {
      if (pos - start < 9)
        nanos = nanos * 10 + (text[pos] - '0');
      ++pos;
    }
    const std::size_t count = pos - start;
    if (count == 0)
      return std::nullopt;
    for (std::size_t i = count; i < 9; ++i)
      nanos *= 10;
    fraction = std::chrono::nanoseconds(nanos);
  }

  std::chrono::minutes offset{0};
  const std::string_view zone = text.substr(pos);
  if (zone == "Z" || zone == "z") {
    // UTC
  } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
    const auto zone_hours = digits(zone, 1, 2);
    const auto zone_minutes = digits(zone, 4, 2);
    if (!zone_hours || !zone_minutes || *zone_hours > 23 || *zone_minutes > 59)
      return std::nullopt;
    offset = std::chrono::hours(*zone_hours) + std::chrono::minutes(*zone_minutes);
    if (zone[0] == '-')
      offset = -offset;
  } else {
    return std::nullopt;
  }

  const auto local = std::chrono::sys_days{date} + std::chrono::hours(*hour) +
                     std::chrono::minutes(*minute) + std::chrono::seconds(*second);
  // Local time = UTC + offset, so UTC = local - offset.
  return core::TimePoint(std::chrono::duration_cast<core::TimePoint::duration>(
      (local - offset).time_since_epoch() + fraction));
}

core::Result<RoomEvent> parse_callback(const http::FormParams& params) {
  Reader strict(params, /*lenient=*/false);
  RoomEvent e;
  e.raw_name = strict.text("StatusCallbackEvent", Need::kRequired);
  if (auto error = strict.take_error())
    return std::move(*error);

  const auto type = type_from_twilio_name(e.raw_name);
  e.type = type.value_or(RoomEventType::kUnknown);
  Reader r(params, /*lenient=*/!type.has_value());
  const Need need = type ? Need::kRequired : Need::kOptional;
  e.room_sid = r.sid("RoomSid", "RM", need);
  e.room_name = r.text("RoomName");
  e.sequence_number = r.count("SequenceNumber");
  e.occurred_at = r.time("Timestamp", need).value_or(core::TimePoint{});
  if (type) {
    read_known(r, e);
  } else {
    read_unknown(r, e);
    e.unknown_params_digest = params_digest(params);
  }
  if (auto error = r.take_error())
    return std::move(*error);
  return e;
}

std::string idempotency_key(const core::TenantId& tenant, const RoomEvent& event) {
  std::string material;
  append_field(material, "roomplane.twilio.callback.v1");
  append_field(material, tenant.value());
  append_field(material, event.room_sid);
  append_field(material, event.type == RoomEventType::kUnknown ? std::string_view(event.raw_name)
                                                               : callback_event_name(event.type));
  append_field(material, event.participant_sid);
  append_field(material, event.track_sid);
  append_field(material, event.recording_sid);
  append_field(material, event.composition_sid);
  append_field(material, event.composition_hook_sid);
  append_field(material,
               event.sequence_number ? std::to_string(*event.sequence_number) : std::string());
  append_field(material, event.type == RoomEventType::kCompositionProgress &&
                                 event.composition_progress_percent
                             ? std::to_string(*event.composition_progress_percent)
                             : std::string());
  append_field(material, event.sequence_number
                             ? std::string()
                             : std::to_string(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                  event.occurred_at.time_since_epoch())
                                                  .count()));
  if (event.type == RoomEventType::kUnknown)
    append_field(material, event.unknown_params_digest);
  return crypto::sha256_hex(material);
}

}  // namespace roomplane::twilio
