#include "twilio/rest_client.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <mutex>
#include <random>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "crypto/crypto.h"
#include "http/form.h"

namespace roomplane::twilio {
namespace {

using nlohmann::json;
using video::CompositionFormat;
using video::CompositionInfo;
using video::CompositionLayout;
using video::CompositionSpec;
using video::CompositionStatus;
using video::ParticipantInfo;
using video::ParticipantStatus;
using video::ProviderCredentials;
using video::RoomInfo;
using video::RoomSpec;
using video::RoomStatus;
using video::RoomType;

// A room holds at most 50 participants, so one page is the normal case.
constexpr std::string_view kParticipantsPageSize = "50";
// The largest page /v1/Compositions allows.
constexpr std::string_view kCompositionsPageSize = "100";
// A server that keeps handing out next_page_url must not keep us looping.
constexpr int kMaxPages = 100;
// Twilio's messages are short; a proxy's HTML error page is not, and must not flood our errors.
constexpr std::size_t kMaxMessageChars = 300;

constexpr int kRoomExists = 53113;
constexpr int kRoomStatusInvalid = 53112;  // also: the room is not in progress
constexpr int kRoomCompleted = 53118;
constexpr int kRoomQuotaExceeded = 53119;

// ---------------------------------------------------------------------------------------------
// Wire names of the provider-neutral enums.

template <class E>
using WireTable = std::initializer_list<std::pair<std::string_view, E>>;

const WireTable<RoomType> kRoomTypes = {{"group", RoomType::kGroup},
                                        {"group-small", RoomType::kGroupSmall},
                                        {"peer-to-peer", RoomType::kPeerToPeer},
                                        {"go", RoomType::kGo}};
const WireTable<RoomStatus> kRoomStatuses = {{"in-progress", RoomStatus::kInProgress},
                                             {"completed", RoomStatus::kCompleted},
                                             {"failed", RoomStatus::kFailed}};
const WireTable<ParticipantStatus> kParticipantStatuses = {
    {"connected", ParticipantStatus::kConnected},
    {"disconnected", ParticipantStatus::kDisconnected},
    {"reconnecting", ParticipantStatus::kReconnecting}};
const WireTable<CompositionStatus> kCompositionStatuses = {
    {"enqueued", CompositionStatus::kEnqueued},
    {"processing", CompositionStatus::kProcessing},
    {"completed", CompositionStatus::kCompleted},
    {"failed", CompositionStatus::kFailed},
    {"deleted", CompositionStatus::kDeleted}};
const WireTable<CompositionFormat> kFormats = {{"mp4", CompositionFormat::kMp4},
                                               {"webm", CompositionFormat::kWebm}};

template <class E>
std::optional<E> from_wire(const WireTable<E>& table, std::string_view text) {
  for (const auto& [name, value] : table) {
    if (name == text)
      return value;
  }
  return std::nullopt;
}

template <class E>
std::string to_wire(const WireTable<E>& table, E value) {
  for (const auto& [name, v] : table) {
    if (v == value)
      return std::string(name);
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// Reading Twilio's JSON: every accessor checks the type, so nulls, absent fields and surprises
// become nullopt instead of exceptions.

core::Error bad_response(std::string what) {
  return {core::ErrorKind::kUnavailable, "provider_bad_response",
          "Twilio sent a response we could not read: " + std::move(what)};
}

std::optional<std::string> string_field(const json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string())
    return std::nullopt;
  return it->get<std::string>();
}

std::optional<std::int64_t> int_field(const json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end())
    return std::nullopt;
  if (it->is_number_unsigned()) {
    const auto v = it->get<std::uint64_t>();
    if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      return std::nullopt;
    return static_cast<std::int64_t>(v);
  }
  if (it->is_number_integer())
    return it->get<std::int64_t>();
  if (it->is_number_float()) {
    const double v = it->get<double>();
    if (!std::isfinite(v) || std::abs(v) > 9.0e15)
      return std::nullopt;
    return static_cast<std::int64_t>(v);
  }
  if (it->is_string()) {  // some Twilio APIs send numbers as strings
    const auto& text = it->get_ref<const std::string&>();
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec == std::errc() && end == text.data() + text.size() && !text.empty())
      return v;
  }
  return std::nullopt;
}

std::optional<core::TimePoint> time_field(const json& object, const char* key) {
  const auto text = string_field(object, key);
  return text ? parse_timestamp(*text) : std::nullopt;
}

core::Result<json> parse_json_object(std::string_view body) {
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object())
    return bad_response("the body is not a JSON object");
  return doc;
}

// The fields every resource must have to be usable: a SID and a status we know.
template <class E>
core::Result<std::pair<std::string, E>> sid_and_status(const json& object,
                                                       const WireTable<E>& table,
                                                       std::string_view resource) {
  if (!object.is_object())
    return bad_response(std::string(resource) + " is not a JSON object");
  auto sid = string_field(object, "sid");
  if (!sid || sid->empty())
    return bad_response(std::string(resource) + " has no sid");
  const auto status_text = string_field(object, "status");
  const auto status = status_text ? from_wire(table, *status_text) : std::nullopt;
  if (!status) {
    return bad_response(std::string(resource) + " " + *sid + " has an unknown status \"" +
                        status_text.value_or("null") + "\"");
  }
  return std::pair{std::move(*sid), *status};
}

core::Result<RoomInfo> parse_room(const json& object) {
  auto base = sid_and_status(object, kRoomStatuses, "room");
  if (!base.ok())
    return std::move(base).take_error();
  RoomInfo room;
  room.sid = std::move(base->first);
  room.status = base->second;
  // Twilio uses the SID as the unique name when none was given.
  room.unique_name = string_field(object, "unique_name").value_or(room.sid);
  if (const auto type = string_field(object, "type")) {
    const auto parsed = from_wire(kRoomTypes, *type);
    if (!parsed)
      return bad_response("room " + room.sid + " has an unknown type \"" + *type + "\"");
    room.type = *parsed;
  }
  const auto max = int_field(object, "max_participants").value_or(0);
  room.max_participants =
      max >= 0 && max <= std::numeric_limits<int>::max() ? static_cast<int>(max) : 0;
  room.created_at = time_field(object, "date_created").value_or(core::TimePoint{});
  // Twilio reports duration 0 (and fixtures even an end_time) while a room is in progress; the
  // end facts mean something only once it ended.
  if (room.status != RoomStatus::kInProgress) {
    room.ended_at = time_field(object, "end_time");
    room.duration_seconds = int_field(object, "duration");
  }
  return room;
}

core::Result<ParticipantInfo> parse_participant(const json& object) {
  auto base = sid_and_status(object, kParticipantStatuses, "participant");
  if (!base.ok())
    return std::move(base).take_error();
  ParticipantInfo participant;
  participant.sid = std::move(base->first);
  participant.status = base->second;
  participant.room_sid = string_field(object, "room_sid").value_or("");
  participant.identity = string_field(object, "identity").value_or("");
  participant.connected_at = time_field(object, "start_time");
  participant.disconnected_at = time_field(object, "end_time");
  participant.duration_seconds = int_field(object, "duration");
  return participant;
}

core::Result<CompositionInfo> parse_composition(const json& object) {
  auto base = sid_and_status(object, kCompositionStatuses, "composition");
  if (!base.ok())
    return std::move(base).take_error();
  CompositionInfo composition;
  composition.sid = std::move(base->first);
  composition.status = base->second;
  composition.room_sid = string_field(object, "room_sid").value_or("");
  composition.created_at = time_field(object, "date_created").value_or(core::TimePoint{});
  composition.completed_at = time_field(object, "date_completed");
  composition.duration_seconds = int_field(object, "duration");
  composition.size_bytes = int_field(object, "size");
  composition.media_external_location = string_field(object, "media_external_location");
  return composition;
}

template <class T>
core::Result<T> parse_body(const http::ClientResponse& response,
                           core::Result<T> (*parse)(const json&)) {
  auto doc = parse_json_object(response.body);
  if (!doc.ok())
    return std::move(doc).take_error();
  return parse(*doc);
}

struct Page {
  std::vector<json> items;
  std::optional<std::string> next_page_url;
};

core::Result<Page> parse_page(const http::ClientResponse& response, std::string_view key) {
  auto doc = parse_json_object(response.body);
  if (!doc.ok())
    return std::move(doc).take_error();
  const json empty = json::object();
  const auto meta_it = doc->find("meta");
  const json& meta = meta_it != doc->end() && meta_it->is_object() ? *meta_it : empty;
  // twilio-node reads the array through meta.key; fall back to the documented name.
  const std::string array_key = string_field(meta, "key").value_or(std::string(key));
  const auto items = doc->find(array_key);
  if (items == doc->end() || !items->is_array())
    return bad_response("the page has no \"" + array_key + "\" array");
  Page page;
  page.items.assign(items->begin(), items->end());
  if (auto next = string_field(meta, "next_page_url"); next && !next->empty())
    page.next_page_url = std::move(next);
  return page;
}

// The path and query of an absolute or origin-relative URL ("/v1/..."), or nullopt.
std::optional<std::string> path_and_query(std::string_view url) {
  if (url.rfind('/', 0) == 0)
    return std::string(url);
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos)
    return std::nullopt;
  const auto slash = url.find('/', scheme_end + 3);
  if (slash == std::string_view::npos)
    return std::nullopt;
  return std::string(url.substr(slash));
}

// ---------------------------------------------------------------------------------------------
// Requests.

std::string segment(std::string_view value) {
  return http::percent_encode(value);
}

std::string bool_param(bool value) {
  return value ? "true" : "false";
}

http::FormParams room_params(const RoomSpec& spec) {
  http::FormParams params;
  if (!spec.unique_name.empty())
    params.emplace_back("UniqueName", spec.unique_name);
  params.emplace_back("Type", to_wire(kRoomTypes, spec.type));
  if (spec.max_participants)
    params.emplace_back("MaxParticipants", std::to_string(*spec.max_participants));
  params.emplace_back("RecordParticipantsOnConnect",
                      bool_param(spec.record_participants_on_connect));
  if (spec.empty_room_timeout_minutes)
    params.emplace_back("EmptyRoomTimeout", std::to_string(*spec.empty_room_timeout_minutes));
  if (spec.unused_room_timeout_minutes)
    params.emplace_back("UnusedRoomTimeout", std::to_string(*spec.unused_room_timeout_minutes));
  if (!spec.status_callback_url.empty()) {
    params.emplace_back("StatusCallback", spec.status_callback_url);
    params.emplace_back("StatusCallbackMethod", "POST");
  }
  return params;
}

std::string resolution_text(const video::Resolution& r) {
  return std::to_string(r.width) + "x" + std::to_string(r.height);
}

// A grid of every video source; all audio in both layouts.
const json& grid_layout() {
  static const json layout = {{"grid", {{"video_sources", json::array({"*"})}}}};
  return layout;
}

http::FormParams composition_params(const CompositionSpec& spec) {
  http::FormParams params;
  params.emplace_back("RoomSid", spec.room_sid);
  if (spec.layout == CompositionLayout::kGrid)
    params.emplace_back("VideoLayout", grid_layout().dump());
  params.emplace_back("AudioSources", "*");
  params.emplace_back("Format", to_wire(kFormats, spec.format));
  if (spec.resolution)
    params.emplace_back("Resolution", resolution_text(*spec.resolution));
  if (!spec.status_callback_url.empty()) {
    params.emplace_back("StatusCallback", spec.status_callback_url);
    params.emplace_back("StatusCallbackMethod", "POST");
  }
  return params;
}

// Whether a listed composition is one that `spec` would have produced, made since `not_before`.
bool matches_spec(const json& item, const CompositionSpec& spec, core::TimePoint not_before) {
  if (!item.is_object())
    return false;
  const auto status = from_wire(kCompositionStatuses, string_field(item, "status").value_or(""));
  if (!status || *status == CompositionStatus::kFailed || *status == CompositionStatus::kDeleted)
    return false;
  if (string_field(item, "room_sid").value_or("") != spec.room_sid)
    return false;
  if (string_field(item, "format").value_or("") != to_wire(kFormats, spec.format))
    return false;
  if (spec.resolution &&
      string_field(item, "resolution").value_or("") != resolution_text(*spec.resolution))
    return false;
  if (string_field(item, "status_callback").value_or("") != spec.status_callback_url)
    return false;
  const auto layout = item.find("video_layout");
  const bool has_video = layout != item.end() && layout->is_object() && !layout->empty();
  if (has_video != (spec.layout == CompositionLayout::kGrid))
    return false;
  const auto created = time_field(item, "date_created");
  return created && *created >= not_before;
}

core::Result<std::string> media_location(const http::ClientResponse& response) {
  if (const auto it = response.headers.find("Location");
      it != response.headers.end() && !it->second.empty())
    return it->second;
  const json doc = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_object()) {
    if (auto url = string_field(doc, "redirect_to"); url && !url->empty())
      return std::move(*url);
  }
  return bad_response("the media answer has neither a Location header nor redirect_to");
}

std::optional<std::chrono::milliseconds> parse_retry_after(const http::Headers& headers) {
  const auto it = headers.find("Retry-After");
  if (it == headers.end())
    return std::nullopt;
  std::string_view text = it->second;
  while (!text.empty() && text.front() == ' ')
    text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ')
    text.remove_suffix(1);
  // Only delta-seconds; an HTTP-date falls back to our own backoff.
  std::int64_t seconds = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec != std::errc() || end != text.data() + text.size() || seconds < 0)
    return std::nullopt;
  return std::chrono::seconds(std::min<std::int64_t>(seconds, 24 * 3600));
}

std::string basic_auth(const ProviderCredentials& credentials) {
  return "Basic " +
         crypto::base64_encode(credentials.api_key_sid + ":" + credentials.api_key_secret);
}

std::optional<core::Error> check_credentials(const ProviderCredentials& credentials) {
  if (credentials.api_key_sid.empty() || credentials.api_key_secret.empty()) {
    return core::Error{core::ErrorKind::kUnauthenticated, "provider_credentials_missing",
                       "the tenant has no Twilio API key configured"};
  }
  return std::nullopt;
}

std::optional<core::Error> require(std::string_view value, std::string_view what) {
  if (value.empty())
    return core::Error::invalid_argument("invalid_argument", std::string(what) + " is empty");
  return std::nullopt;
}

// One attempt's outcome: the value or error, and what the retry loop needs to know about it.
template <class T>
struct Attempt {
  core::Result<T> result;
  bool retryable = false;  // transient: a repeat may succeed
  bool throttled = false;  // 429: Twilio did not process the request
  std::optional<std::chrono::milliseconds> retry_after = std::nullopt;
};

// Applies `parse` to a successful exchange; a parse failure is final (repeating the request
// would most likely fetch the same unreadable answer).
template <class T, class F>
Attempt<T> then(Attempt<http::ClientResponse> sent, F&& parse) {
  if (!sent.result.ok())
    return {std::move(sent.result).take_error(), sent.retryable, sent.throttled, sent.retry_after};
  return {parse(sent.result.value())};
}

// Carries a failure over to another result type.
template <class T, class U>
Attempt<T> failure_of(Attempt<U>&& failed) {
  return {std::move(failed.result).take_error(), failed.retryable, failed.throttled,
          failed.retry_after};
}

}  // namespace

// ---------------------------------------------------------------------------------------------

std::optional<core::TimePoint> parse_timestamp(std::string_view text) {
  // 0123456789012345678
  // 2015-07-30T20:00:00Z
  const auto digits = [&text](std::size_t pos, std::size_t count) -> std::optional<int> {
    if (pos + count > text.size())
      return std::nullopt;
    int value = 0;
    for (std::size_t i = pos; i < pos + count; ++i) {
      if (text[i] < '0' || text[i] > '9')
        return std::nullopt;
      value = value * 10 + (text[i] - '0');
    }
    return value;
  };
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
      text[16] != ':')
    return std::nullopt;
  const auto year = digits(0, 4), month = digits(5, 2), day = digits(8, 2);
  const auto hour = digits(11, 2), minute = digits(14, 2), second = digits(17, 2);
  if (!year || !month || !day || !hour || !minute || !second || *hour > 23 || *minute > 59 ||
      *second > 60)
    return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year(*year),
                                         std::chrono::month(static_cast<unsigned>(*month)),
                                         std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok())
    return std::nullopt;

  std::size_t pos = 19;
  if (text[pos] == '.') {  // fraction: Twilio's are whole seconds, so it is dropped
    ++pos;
    const std::size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9')
      ++pos;
    if (pos == start)
      return std::nullopt;
  }
  std::chrono::minutes offset{0};
  const std::string_view zone = text.substr(std::min(pos, text.size()));
  if (zone == "Z") {
    // UTC
  } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
    const auto oh = digits(pos + 1, 2), om = digits(pos + 4, 2);
    if (!oh || !om || *oh > 23 || *om > 59)
      return std::nullopt;
    offset = std::chrono::hours(*oh) + std::chrono::minutes(*om);
    if (zone[0] == '-')
      offset = -offset;
  } else {
    return std::nullopt;
  }
  const auto local = std::chrono::sys_days(date) + std::chrono::hours(*hour) +
                     std::chrono::minutes(*minute) + std::chrono::seconds(*second);
  return core::TimePoint(
      std::chrono::duration_cast<core::TimePoint::duration>((local - offset).time_since_epoch()));
}

core::Error error_from_response(unsigned status, std::string_view body) {
  int code = 0;
  std::string message;
  const json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_object()) {
    const auto c = int_field(doc, "code");
    if (c && *c > 0 && *c <= std::numeric_limits<int>::max())
      code = static_cast<int>(*c);
    message = string_field(doc, "message").value_or("");
  }
  if (message.size() > kMaxMessageChars)
    message = message.substr(0, kMaxMessageChars) + "...";
  message =
      message.empty() ? "Twilio answered HTTP " + std::to_string(status) : "Twilio: " + message;

  core::ErrorKind kind = core::ErrorKind::kUnavailable;
  std::string error_code = "provider_bad_response";
  if (code == kRoomExists) {
    kind = core::ErrorKind::kConflict;
    error_code = "room_exists";
  } else if (code == kRoomStatusInvalid || code == kRoomCompleted) {
    kind = core::ErrorKind::kConflict;
    error_code = "room_not_in_progress";
  } else if (code == kRoomQuotaExceeded) {
    kind = core::ErrorKind::kRateLimited;
    error_code = "provider_quota_exceeded";
  } else if (status == 401) {
    kind = core::ErrorKind::kUnauthenticated;
    error_code = "provider_unauthenticated";
  } else if (status == 403) {
    kind = core::ErrorKind::kForbidden;
    error_code = "provider_forbidden";
  } else if (status == 404) {
    kind = core::ErrorKind::kNotFound;
    error_code = "provider_not_found";
  } else if (status == 409) {
    kind = core::ErrorKind::kConflict;
    error_code = "provider_conflict";
  } else if (status == 429) {
    kind = core::ErrorKind::kRateLimited;
    error_code = "provider_rate_limited";
  } else if (status >= 500) {
    kind = core::ErrorKind::kUnavailable;
    error_code = "provider_unavailable";
  } else if (status >= 400) {
    kind = core::ErrorKind::kInvalidArgument;
    error_code = "provider_rejected";
  }
  core::Error error{kind, std::move(error_code), std::move(message)};
  error.upstream_code = code;
  return error;
}

SleepFunction real_sleep() {
  return [](std::chrono::milliseconds delay) { std::this_thread::sleep_for(delay); };
}

// ---------------------------------------------------------------------------------------------

struct TwilioRestClient::Impl {
  // One HTTP request of an operation, relative to the base URL.
  struct Call {
    std::string_view operation;  // metric label
    std::string method;
    std::string path;  // path and query
    http::FormParams form = {};
    bool redirect_is_answer = false;  // a 3xx is the result (media), not a failure
  };

  Impl(http::HttpClient& client, const core::Clock& wall_clock, SleepFunction sleep,
       observability::MetricsRegistry& registry, observability::Logger log,
       RestClientOptions options)
      : http_client(client),
        clock(wall_clock),
        sleep_fn(std::move(sleep)),
        metrics(registry),
        logger(std::move(log)),
        base_url(std::move(options.base_url)),
        retry(options.retry),
        rng(std::random_device{}()) {
    while (!base_url.empty() && base_url.back() == '/')
      base_url.pop_back();
    retry.max_attempts = std::max(1, retry.max_attempts);
    if (!sleep_fn)
      sleep_fn = real_sleep();
  }

  void count(std::string_view operation, const char* outcome) {
    metrics
        .counter("roomplane_provider_requests_total", "Requests to the video provider",
                 {{"operation", std::string(operation)}, {"outcome", outcome}})
        .inc();
  }

  Attempt<http::ClientResponse> send(const ProviderCredentials& credentials, const Call& call) {
    http::ClientRequest request;
    request.method = call.method;
    request.url = base_url + call.path;
    request.headers["Authorization"] = basic_auth(credentials);
    request.headers["Accept"] = "application/json";
    if (call.method == "POST") {
      request.headers["Content-Type"] = "application/x-www-form-urlencoded";
      request.body = http::encode_form(call.form);
    }
    request.connect_timeout = retry.connect_timeout;
    request.timeout = retry.request_timeout;

    const auto started = std::chrono::steady_clock::now();
    auto sent = http_client.send(request);
    metrics
        .histogram("roomplane_provider_request_duration_seconds",
                   "Duration of one request to the video provider",
                   {{"operation", std::string(call.operation)}})
        .observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());

    if (!sent.ok()) {
      count(call.operation, "network_error");
      const bool transient = sent.error().kind == core::ErrorKind::kUnavailable;
      return {std::move(sent).take_error(), transient};
    }
    const unsigned status = sent->status;
    if ((status >= 200 && status < 300) ||
        (call.redirect_is_answer && status >= 300 && status < 400)) {
      count(call.operation, "ok");
      return {std::move(sent)};
    }
    Attempt<http::ClientResponse> failed{error_from_response(status, sent->body)};
    if (status == 429) {
      count(call.operation, "rate_limited");
      failed.retryable = true;
      failed.throttled = true;
      failed.retry_after = parse_retry_after(sent->headers);
    } else if (status >= 500) {
      count(call.operation, "server_error");
      failed.retryable = true;
    } else {
      count(call.operation, "client_error");
    }
    return failed;
  }

  // Full jitter: uniform in [0, min(max_delay, base_delay * 2^(retry-1))]. A Retry-After is
  // taken as is (capped): Twilio said when it will take the request again.
  std::chrono::milliseconds backoff(int retry_number,
                                    std::optional<std::chrono::milliseconds> retry_after) {
    if (retry_after)
      return std::min(*retry_after, retry.max_delay);
    const int doublings = std::min(retry_number - 1, 30);
    const double cap =
        std::min(static_cast<double>(retry.base_delay.count()) * std::pow(2.0, doublings),
                 static_cast<double>(retry.max_delay.count()));
    const auto upper = static_cast<std::int64_t>(std::max(0.0, cap));
    std::lock_guard lock(rng_mutex);
    return std::chrono::milliseconds(std::uniform_int_distribution<std::int64_t>(0, upper)(rng));
  }

  // Runs `attempt(n, after_throttle)` until it succeeds, fails for good, or the policy's attempts
  // are used up. `repeatable` says the operation is safe to run again at all.
  template <class T, class F>
  core::Result<T> run(std::string_view operation, const ProviderCredentials& credentials,
                      bool repeatable, F&& attempt) {
    Attempt<T> outcome = attempt(1, false);
    int number = 1;
    while (!outcome.result.ok() && outcome.retryable && repeatable && number < retry.max_attempts) {
      const auto delay = backoff(number, outcome.retry_after);
      log_failure(operation, credentials, outcome.result.error(), number, delay);
      metrics
          .counter("roomplane_provider_retries_total", "Retried video provider operations",
                   {{"operation", std::string(operation)}})
          .inc();
      sleep_fn(delay);
      ++number;
      outcome = attempt(number, outcome.throttled);
    }
    if (!outcome.result.ok())
      log_failure(operation, credentials, outcome.result.error(), number, std::nullopt);
    return std::move(outcome.result);
  }

  void log_failure(std::string_view operation, const ProviderCredentials& credentials,
                   const core::Error& error, int attempt,
                   std::optional<std::chrono::milliseconds> retry_in) {
    json fields = {{"operation", operation},
                   {"attempt", attempt},
                   {"error", error.code},
                   {"upstream_code", error.upstream_code},
                   {"account_sid", credentials.account_sid}};
    if (retry_in) {
      fields["retry_in_ms"] = retry_in->count();
      logger.warn("provider_retry", fields);
    } else if (error.kind == core::ErrorKind::kNotFound ||
               error.kind == core::ErrorKind::kConflict) {
      logger.debug("provider_call_failed", fields);  // routine answers, not incidents
    } else {
      // Not the message: Twilio's may quote room names or identities.
      logger.warn("provider_call_failed", fields);
    }
  }

  // A single-request operation that is safe to repeat.
  template <class T>
  core::Result<T> simple(const ProviderCredentials& credentials, const Call& call,
                         core::Result<T> (*parse)(const json&)) {
    return run<T>(call.operation, credentials, true, [&](int, bool) {
      return then<T>(send(credentials, call),
                     [parse](const http::ClientResponse& r) { return parse_body<T>(r, parse); });
    });
  }

  // Every item of a list, following next_page_url (path and query only, on our base URL). With
  // `retry_pages` each page is retried on its own; without, the first failure ends the walk and
  // is returned with its retry facts (for look-ups inside another operation's attempt).
  Attempt<std::vector<json>> collect(std::string_view operation,
                                     const ProviderCredentials& credentials, std::string path,
                                     std::string_view key, bool retry_pages) {
    std::vector<json> items;
    for (int page_number = 0; page_number < kMaxPages; ++page_number) {
      const Call call{operation, "GET", path};
      const auto fetch_page = [&](int, bool) {
        return then<Page>(send(credentials, call),
                          [key](const http::ClientResponse& r) { return parse_page(r, key); });
      };
      Attempt<Page> page = retry_pages
                               ? Attempt<Page>{run<Page>(operation, credentials, true, fetch_page)}
                               : fetch_page(1, false);
      if (!page.result.ok())
        return failure_of<std::vector<json>>(std::move(page));
      for (auto& item : page.result->items)
        items.push_back(std::move(item));
      if (!page.result->next_page_url)
        return {std::move(items)};
      auto next = path_and_query(*page.result->next_page_url);
      if (!next)
        return {bad_response("next_page_url is not a URL")};
      path = std::move(*next);
    }
    return {bad_response("the list has more than " + std::to_string(kMaxPages) + " pages")};
  }

  template <class T>
  static core::Result<std::vector<T>> parse_all(Attempt<std::vector<json>>&& listed,
                                                core::Result<T> (*parse)(const json&)) {
    if (!listed.result.ok())
      return std::move(listed.result).take_error();
    std::vector<T> out;
    out.reserve(listed.result->size());
    for (const auto& item : *listed.result) {
      auto parsed = parse(item);
      if (!parsed.ok())
        return std::move(parsed).take_error();
      out.push_back(std::move(parsed).value());
    }
    return out;
  }

  http::HttpClient& http_client;
  const core::Clock& clock;
  SleepFunction sleep_fn;
  observability::MetricsRegistry& metrics;
  observability::Logger logger;
  std::string base_url;
  RetryPolicy retry;
  std::mutex rng_mutex;
  std::mt19937_64 rng;
};

TwilioRestClient::TwilioRestClient(http::HttpClient& http, const core::Clock& clock,
                                   SleepFunction sleep, observability::MetricsRegistry& metrics,
                                   observability::Logger logger, RestClientOptions options)
    : impl_(std::make_unique<Impl>(http, clock, std::move(sleep), metrics, std::move(logger),
                                   std::move(options))) {}

TwilioRestClient::~TwilioRestClient() = default;

core::Result<RoomInfo> TwilioRestClient::create_room(const ProviderCredentials& credentials,
                                                     const RoomSpec& spec) {
  if (auto error = check_credentials(credentials))
    return *error;
  const Impl::Call create{"create_room", "POST", "/v1/Rooms", room_params(spec)};
  const Impl::Call lookup{"create_room_lookup", "GET", "/v1/Rooms/" + segment(spec.unique_name)};
  const auto parse_room_response = [](const http::ClientResponse& r) {
    return parse_body<RoomInfo>(r, parse_room);
  };
  // Without a unique name a lost response cannot be told from a failed create.
  const bool repeatable = !spec.unique_name.empty();
  return impl_->run<RoomInfo>(
      "create_room", credentials, repeatable,
      [&](int number, bool after_throttle) -> Attempt<RoomInfo> {
        if (number > 1 && !after_throttle) {
          auto found = then<RoomInfo>(impl_->send(credentials, lookup), parse_room_response);
          if (found.result.ok() && found.result->status == RoomStatus::kInProgress)
            return found;  // the earlier attempt did create it
          if (!found.result.ok() && found.result.error().kind != core::ErrorKind::kNotFound)
            return found;  // the look-up failed: that was this attempt
        }
        auto created = then<RoomInfo>(impl_->send(credentials, create), parse_room_response);
        if (number > 1 && !created.result.ok() &&
            created.result.error().upstream_code == kRoomExists) {
          // The name appeared after the look-up: the earlier attempt's room, created late.
          return then<RoomInfo>(impl_->send(credentials, lookup), parse_room_response);
        }
        return created;
      });
}

core::Result<RoomInfo> TwilioRestClient::fetch_room(const ProviderCredentials& credentials,
                                                    std::string_view sid_or_unique_name) {
  if (auto error = check_credentials(credentials))
    return *error;
  if (auto error = require(sid_or_unique_name, "the room sid or name"))
    return *error;
  return impl_->simple<RoomInfo>(
      credentials, {"fetch_room", "GET", "/v1/Rooms/" + segment(sid_or_unique_name)}, parse_room);
}

core::Result<RoomInfo> TwilioRestClient::complete_room(const ProviderCredentials& credentials,
                                                       std::string_view room_sid) {
  if (auto error = check_credentials(credentials))
    return *error;
  if (auto error = require(room_sid, "the room sid"))
    return *error;
  auto completed = impl_->simple<RoomInfo>(
      credentials,
      {"complete_room", "POST", "/v1/Rooms/" + segment(room_sid), {{"Status", "completed"}}},
      parse_room);
  if (completed.ok() || (completed.error().upstream_code != kRoomStatusInvalid &&
                         completed.error().upstream_code != kRoomCompleted))
    return completed;
  // Already over (ended by timeout, by another caller, or by our own earlier attempt whose
  // answer was lost): the caller wanted it ended, so its final state is the answer.
  auto room = fetch_room(credentials, room_sid);
  if (room.ok() && room->status != RoomStatus::kInProgress)
    return room;
  return completed;
}

core::Result<std::vector<ParticipantInfo>> TwilioRestClient::list_participants(
    const ProviderCredentials& credentials, std::string_view room_sid) {
  if (auto error = check_credentials(credentials))
    return *error;
  if (auto error = require(room_sid, "the room sid"))
    return *error;
  const std::string path =
      "/v1/Rooms/" + segment(room_sid) +
      "/Participants?Status=connected&PageSize=" + std::string(kParticipantsPageSize);
  return Impl::parse_all<ParticipantInfo>(
      impl_->collect("list_participants", credentials, path, "participants", true),
      parse_participant);
}

core::Result<ParticipantInfo> TwilioRestClient::disconnect_participant(
    const ProviderCredentials& credentials, std::string_view room_sid,
    std::string_view identity_or_sid) {
  if (auto error = check_credentials(credentials))
    return *error;
  if (auto error = require(room_sid, "the room sid"))
    return *error;
  if (auto error = require(identity_or_sid, "the participant identity or sid"))
    return *error;
  return impl_->simple<ParticipantInfo>(
      credentials,
      {"disconnect_participant",
       "POST",
       "/v1/Rooms/" + segment(room_sid) + "/Participants/" + segment(identity_or_sid),
       {{"Status", "disconnected"}}},
      parse_participant);
}

core::Status TwilioRestClient::update_recording_rules(const ProviderCredentials& credentials,
                                                      std::string_view room_sid, bool record_all) {
  if (auto error = check_credentials(credentials))
    return *error;
  if (auto error = require(room_sid, "the room sid"))
    return *error;
  const json rules = json::array({{{"type", record_all ? "include" : "exclude"}, {"all", true}}});
  const Impl::Call call{"update_recording_rules",
                        "POST",
                        "/v1/Rooms/" + segment(room_sid) + "/RecordingRules",
                        {{"Rules", rules.dump()}}};
  auto updated = impl_->run<std::monostate>(call.operation, credentials, true, [&](int, bool) {
    return then<std::monostate>(impl_->send(credentials, call),
                                [](const http::ClientResponse&) -> core::Result<std::monostate> {
                                  return std::monostate{};
                                });
  });
  if (!updated.ok())
    return std::move(updated).take_error();
  return {};
}

core::Result<CompositionInfo> TwilioRestClient::create_composition(
    const ProviderCredentials& credentials, const CompositionSpec& spec) {
  if (auto error = check_credentials(credentials))
    return *error;
  if (auto error = require(spec.room_sid, "the room sid"))
    return *error;
  const Impl::Call create{"create_composition", "POST", "/v1/Compositions",
                          composition_params(spec)};
  const std::string list_path = "/v1/Compositions?RoomSid=" + segment(spec.room_sid) +
                                "&PageSize=" + std::string(kCompositionsPageSize);
  const core::TimePoint not_before = impl_->clock.now() - kCompositionLookupSlack;
  return impl_->run<CompositionInfo>(
      "create_composition", credentials, true,
      [&](int number, bool after_throttle) -> Attempt<CompositionInfo> {
        if (number > 1 && !after_throttle) {
          auto listed = impl_->collect("create_composition_lookup", credentials, list_path,
                                       "compositions", false);
          if (!listed.result.ok())
            return failure_of<CompositionInfo>(std::move(listed));
          const json* newest = nullptr;
          for (const auto& item : *listed.result) {
            if (matches_spec(item, spec, not_before) &&
                (newest == nullptr ||
                 time_field(item, "date_created") > time_field(*newest, "date_created")))
              newest = &item;
          }
          if (newest != nullptr)
            return {parse_composition(*newest)};  // the earlier attempt did create it
        }
        return then<CompositionInfo>(
            impl_->send(credentials, create),
            [](const http::ClientResponse& r) { return parse_body(r, parse_composition); });
      });
}

core::Result<CompositionInfo> TwilioRestClient::fetch_composition(
    const ProviderCredentials& credentials, std::string_view composition_sid) {
  if (auto error = check_credentials(credentials))
    return *error;
  if (auto error = require(composition_sid, "the composition sid"))
    return *error;
  return impl_->simple<CompositionInfo>(
      credentials, {"fetch_composition", "GET", "/v1/Compositions/" + segment(composition_sid)},
      parse_composition);
}

core::Result<std::vector<CompositionInfo>> TwilioRestClient::list_compositions_for_room(
    const ProviderCredentials& credentials, std::string_view room_sid) {
  if (auto error = check_credentials(credentials))
    return *error;
  if (auto error = require(room_sid, "the room sid"))
    return *error;
  const std::string path = "/v1/Compositions?RoomSid=" + segment(room_sid) +
                           "&PageSize=" + std::string(kCompositionsPageSize);
  return Impl::parse_all<CompositionInfo>(
      impl_->collect("list_compositions", credentials, path, "compositions", true),
      parse_composition);
}

core::Result<std::string> TwilioRestClient::composition_media_url(
    const ProviderCredentials& credentials, std::string_view composition_sid,
    std::chrono::seconds ttl) {
  if (auto error = check_credentials(credentials))
    return *error;
  if (auto error = require(composition_sid, "the composition sid"))
    return *error;
  Impl::Call call{"composition_media", "GET",
                  "/v1/Compositions/" + segment(composition_sid) +
                      "/Media?Ttl=" + std::to_string(std::max<std::int64_t>(1, ttl.count()))};
  call.redirect_is_answer = true;
  return impl_->run<std::string>("composition_media", credentials, true, [&](int, bool) {
    return then<std::string>(impl_->send(credentials, call), media_location);
  });
}

}  // namespace roomplane::twilio
