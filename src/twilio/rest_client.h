#pragma once
// The VideoProvider adapter for Twilio Programmable Video's REST API v1 (see
// shared/reference/twilio-video-api.md). Talks through the http::HttpClient seam, so the
// same code runs against video.twilio.com, the local emulator and the tests' fake server: only
// the base URL differs.
//
// Created once by the composition root and shared by every tenant and worker thread; it keeps
// no per-tenant state (credentials come with each call). Thread-safe; every method blocks the
// calling thread for its requests and retry delays, so call it from a worker, never from an I/O
// thread.
//
// Wire format: HTTP Basic auth with the API Key SID and secret; POST bodies form-encoded with
// Twilio's PascalCase names, booleans as "true"/"false", JSON-valued parameters (Rules,
// VideoLayout) as JSON text; JSON responses read leniently (unknown fields ignored, nulls
// allowed where Twilio sends them) but checked (a missing sid or an unknown status is
// kUnavailable "provider_bad_response", never an exception). Lists follow meta.next_page_url;
// its path and query are always requested from the configured base URL, so credentials never go
// to a host the configuration did not name.
//
// Retries (RetryPolicy): on 429 (waiting Retry-After seconds when given, capped by max_delay),
// 5xx and transport failures, with exponential backoff and full jitter, and only where a repeat
// cannot do harm:
//  - GETs, and the idempotent updates complete_room, disconnect_participant and
//    update_recording_rules;
//  - create_room when the spec has a unique name: before a retry that follows a 5xx or a
//    transport failure (the first request may have created the room) it fetches the room by
//    that name and returns it when in progress. A 429 was never processed, so it is retried
//    directly. Without a unique name there is nothing to look up, and the create is not retried.
//  - create_composition: before a retry that follows a 5xx or a transport failure it lists the
//    room's compositions and returns a non-failed one that matches the spec (format, layout,
//    resolution, status callback) and was created since the first attempt (minus
//    kCompositionLookupSlack for clock skew).
// 4xx other than 429 are never retried.
//
// Metrics (one sample per HTTP request; lookups made for a safe retry count under
// "create_room_lookup" / "create_composition_lookup"):
//   roomplane_provider_requests_total{operation,outcome}  outcome: ok | client_error |
//                                                         rate_limited | server_error |
//                                                         network_error
//   roomplane_provider_request_duration_seconds{operation}
//   roomplane_provider_retries_total{operation}
// Logs (logger "twilio" or whatever the root passes): failed attempts and unreadable responses,
// with operation, HTTP status, Twilio code and account SID; never paths (they hold identities
// and room names), bodies, credentials or media URLs.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"
#include "http/client.h"
#include "observability/log.h"
#include "observability/metrics.h"
#include "video/provider.h"

namespace roomplane::twilio {

inline constexpr std::string_view kDefaultVideoBaseUrl = "https://video.twilio.com";
// How much older than our first attempt (by our clock) a composition may look and still be
// taken as made by that attempt: Twilio's clock and ours disagree a little.
inline constexpr std::chrono::minutes kCompositionLookupSlack{5};

// A call's worst case is max_attempts * request_timeout plus the waits between attempts (each at
// most max_delay): about 84 s with the defaults. Workers that need a tighter bound lower these.
struct RetryPolicy {
  int max_attempts = 4;  // per operation, the first attempt included; values below 1 mean 1
  std::chrono::milliseconds base_delay{250};         // backoff cap before the first retry; doubles
  std::chrono::milliseconds max_delay{8000};         // cap of any single wait, Retry-After included
  std::chrono::milliseconds connect_timeout{5000};   // per request
  std::chrono::milliseconds request_timeout{15000};  // per request, whole exchange
};

struct RestClientOptions {
  // scheme://host[:port] with no path, e.g. the emulator's "http://127.0.0.1:8089".
  std::string base_url = std::string(kDefaultVideoBaseUrl);
  RetryPolicy retry;
};

// How the client waits between attempts. Injected so tests record delays instead of waiting.
using SleepFunction = std::function<void(std::chrono::milliseconds)>;
// std::this_thread::sleep_for, for the composition root.
SleepFunction real_sleep();

class TwilioRestClient final : public video::VideoProvider {
 public:
  // `http`, `clock` and `metrics` must outlive the client. `clock` dates the composition
  // look-up window; durations are measured on the steady clock.
  TwilioRestClient(http::HttpClient& http, const core::Clock& clock, SleepFunction sleep,
                   observability::MetricsRegistry& metrics, observability::Logger logger,
                   RestClientOptions options = {});
  ~TwilioRestClient() override;
  TwilioRestClient(const TwilioRestClient&) = delete;
  TwilioRestClient& operator=(const TwilioRestClient&) = delete;

  core::Result<video::RoomInfo> create_room(const video::ProviderCredentials& credentials,
                                            const video::RoomSpec& spec) override;
  core::Result<video::RoomInfo> fetch_room(const video::ProviderCredentials& credentials,
                                           std::string_view sid_or_unique_name) override;
  // Twilio answers 53112/53118 for a room that already ended; the room is then fetched and
  // returned.
  core::Result<video::RoomInfo> complete_room(const video::ProviderCredentials& credentials,
                                              std::string_view room_sid) override;
  core::Result<std::vector<video::ParticipantInfo>> list_participants(
      const video::ProviderCredentials& credentials, std::string_view room_sid) override;
  core::Result<video::ParticipantInfo> disconnect_participant(
      const video::ProviderCredentials& credentials, std::string_view room_sid,
      std::string_view identity_or_sid) override;
  core::Status update_recording_rules(const video::ProviderCredentials& credentials,
                                      std::string_view room_sid, bool record_all) override;
  core::Result<video::CompositionInfo> create_composition(
      const video::ProviderCredentials& credentials, const video::CompositionSpec& spec) override;
  core::Result<video::CompositionInfo> fetch_composition(
      const video::ProviderCredentials& credentials, std::string_view composition_sid) override;
  core::Result<std::vector<video::CompositionInfo>> list_compositions_for_room(
      const video::ProviderCredentials& credentials, std::string_view room_sid) override;
  // GET /v1/Compositions/{Sid}/Media?Ttl=..., without following the redirect: the Location
  // header of the 3xx, or the body's "redirect_to".
  core::Result<std::string> composition_media_url(const video::ProviderCredentials& credentials,
                                                  std::string_view composition_sid,
                                                  std::chrono::seconds ttl) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Pure helpers, exposed for tests.

// Twilio's "2015-07-30T20:00:00Z" (an optional fraction is ignored; "+hh:mm"/"-hh:mm" offsets
// are applied). nullopt when malformed or out of range.
std::optional<core::TimePoint> parse_timestamp(std::string_view text);

// A non-2xx answer as a core::Error: kind from Twilio's code where it is more precise than the
// status (53113 room exists, 53112/53118 room not in progress -> kConflict; 53119 quota ->
// kRateLimited), else from the HTTP status (401 -> kUnauthenticated, 403 -> kForbidden,
// 404 -> kNotFound, 409 -> kConflict, 429 -> kRateLimited, 5xx -> kUnavailable, other 4xx ->
// kInvalidArgument). upstream_code is the body's "code" (0 when the body is not Twilio's error
// JSON); the message is Twilio's, prefixed "Twilio: ", or names the status.
core::Error error_from_response(unsigned status, std::string_view body);

}  // namespace roomplane::twilio
