#pragma once
// RoomService: the room operations of the public API (DESIGN.md, "Public contract") as plain
// calls, with no HTTP in them: create, list, get, end, issue a participant token, disconnect a
// participant, start or pause recording, relay a client-reported dominant speaker, build the
// session report, and recover rooms a crash left in `creating`. room_routes.h translates HTTP
// to these calls.
//
// Local first. A create writes the room (creating) before the provider call and links it after,
// so a crash in between leaves a row that recover_creating() resolves; a provider failure marks
// the row failed, never leaving a row that looks alive. End, disconnect and recording changes
// are written as the provider confirms them (derived events folded like callbacks), so local
// state is right without waiting for the callback, and the callback later changes nothing.
//
// Created by the composition root, shared by all request threads. Thread-safe. Every method
// blocks (store and provider I/O): call from WorkPool threads, never from an I/O thread.
//
// Errors are core::Error values with stable codes (listed per method). Provider failures never
// pass through as they are: they become the codes below, so that, e.g., Twilio rejecting the
// tenant's Twilio credentials never reads as "your API key is wrong" (provider_error_status()
// says which are 502 and which 503).

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/ids.h"
#include "core/result.h"
#include "core/ttl_cache.h"
#include "realtime/notifier.h"
#include "rooms/room.h"
#include "rooms/room_compositions.h"
#include "rooms/stores.h"
#include "tenants/tenant.h"
#include "tokens/access_token.h"
#include "tokens/identity_policy.h"
#include "video/provider.h"

namespace roomplane::rooms {

// --- Stable error codes --------------------------------------------------------------------
inline constexpr std::string_view kErrRoomNotFound = "room_not_found";                // 404
inline constexpr std::string_view kErrParticipantNotFound = "participant_not_found";  // 404
inline constexpr std::string_view kErrRoomNotReady = "room_not_ready";  // 409 creating
inline constexpr std::string_view kErrRoomEnded = "room_ended";         // 409 completed
inline constexpr std::string_view kErrRoomFailed = "room_failed";       // 409 failed
inline constexpr std::string_view kErrProviderNotConfigured = "provider_not_configured";  // 409
inline constexpr std::string_view kErrRecordingUnsupported = "recording_unsupported";     // 422
inline constexpr std::string_view kErrTtlOutOfRange = "ttl_out_of_range";                 // 422
// Provider failures, as the tenant's client sees them.
inline constexpr std::string_view kErrProviderCredentialsRejected =
    "provider_credentials_rejected";  // 502: the tenant's provider credentials are wrong
inline constexpr std::string_view kErrProviderPermissionDenied =
    "provider_permission_denied";  // 502: valid credentials lacking a permission
inline constexpr std::string_view kErrProviderRejectedRequest =
    "provider_rejected_request";  // 422: the provider refused a parameter we let through
inline constexpr std::string_view kErrProviderError = "provider_error";  // 502: anything else
inline constexpr std::string_view kErrProviderUnavailable = "provider_unavailable";   // 503
inline constexpr std::string_view kErrProviderRateLimited = "provider_rate_limited";  // 503
// Dominant speaker.
inline constexpr std::string_view kErrReporterNotConnected = "reporter_not_connected";  // 409
inline constexpr std::string_view kErrSpeakerNotConnected = "speaker_not_connected";    // 409
inline constexpr std::string_view kErrTokenRoomMismatch = "token_room_mismatch";        // 401

// 502 for the provider failures that retrying will not fix (ErrorKind has no "bad gateway"),
// nullopt for every other error (use http::status_for(kind)).
std::optional<unsigned> provider_error_status(const core::Error& error);

// Twilio's participant limit per room type (shared/reference/twilio-video-api.md; the emulator
// enforces the same), and whether the type records at all.
int max_participants_limit(video::RoomType type);
bool type_supports_recording(video::RoomType type);

// What the service needs to know about a tenant, looked up per call (cached by the source).
struct TenantContext {
  tenants::TenantSettings settings;
  std::optional<tenants::ProviderCredentials> credentials;  // unset: not configured
};
using TenantContextLookup = std::function<core::Result<TenantContext>(const core::TenantId&)>;
// What a provider call takes from a tenant's credentials (the auth token only signs webhooks).
video::ProviderCredentials video_credentials(const tenants::ProviderCredentials& credentials);
// The same from caches only, never blocking: nullopt when not cached (room_service.h's token
// fast path then falls back to TenantContextLookup on the WorkPool).
using TenantContextPeek = std::function<std::optional<TenantContext>(const core::TenantId&)>;
// The tenants whose provider credentials use this provider API key SID (normally one; several
// tenants may share one provider account). Used to find whose room a participant's access token
// is for, since that token carries the provider's key SID and no tenant id.
using ProviderKeyIndex =
    std::function<core::Result<std::vector<core::TenantId>>(std::string_view api_key_sid)>;

struct RoomServiceOptions {
  // Roomplane's public base URL without a trailing slash; rooms get
  // public_url + "/webhooks/twilio/" + tenant_id as their status callback.
  std::string public_url;
  // Two reports naming different speakers within this window of the last accepted change of the
  // room: the later one is dropped (flapping, or a lagging client's stale view).
  std::chrono::milliseconds speaker_debounce{1000};
  // How long a room seen in progress may answer token requests from memory. Ending a room
  // through this service, or a provider callback that ends it (forget_room()), drops it at once;
  // a room ended through another instance can still get tokens for up to this long.
  std::chrono::milliseconds room_cache_ttl{1000};
};

// Input of create(), as parsed from the request; unset fields take the defaults below.
struct CreateRoomRequest {
  std::string name;                               // 1..128 bytes of UTF-8 without control chars
  std::optional<std::string> type;                // default "group"
  std::optional<int> max_participants;            // 1..max_participants_limit(type)
  bool record = false;                            // record every track from the start
  std::optional<int> empty_room_timeout_minutes;  // 1..60
};

struct IssuedToken {
  std::string token;
  std::string identity;
  core::RoomId room;
  core::TimePoint expires_at;
  std::int64_t ttl_seconds = 0;
};

// A participant's report of the dominant speaker. Exactly one of the speaker fields names the
// speaker; neither means nobody is dominant any more.
struct SpeakerReport {
  std::string access_token;  // the reporter's own access token
  core::RoomId room;
  std::optional<std::string> speaker_identity;
  std::optional<std::string> speaker_participant_sid;
};

struct SpeakerOutcome {
  core::TenantId tenant;  // whose room it was (the token told us)
  // "accepted" (stored and published), "unchanged" (names the current speaker: other clients
  // reporting the same change) or "debounced" (too soon after the last accepted change).
  std::string result;
  SpeakerChange change;  // what was reported, as resolved (SIDs and identities filled in)
};

// GET /v1/rooms/{id}: the room with what the provider confirmed (view) and Roomplane's own
// composition jobs of the room (RoomCompositions::for_room: newest first, each as
// GET /v1/compositions/{id} renders it).
struct RoomDetail {
  RoomView view;
  std::vector<RoomCompositionJob> composition_jobs;
};

struct RecoveryReport {
  int linked = 0;   // the provider had created the room: now in progress
  int failed = 0;   // the provider never created it: marked failed
  int pending = 0;  // could not tell (provider or credentials trouble): left for the next run
};

class RoomService {
 public:
  // Every reference must outlive the service. `compositions` shows the rooms' composition jobs
  // (NoRoomCompositions where there is no recording pipeline).
  RoomService(RoomStore& store, RoomCompositions& compositions, video::VideoProvider& provider,
              TenantContextLookup tenants, ProviderKeyIndex key_index,
              const tokens::AccessTokenBuilder& token_builder,
              const tokens::IdentityPolicy& identity_policy, realtime::Notifier& notifier,
              const core::Clock& clock, RoomServiceOptions options);

  // 422 name_invalid, type_invalid, max_participants_out_of_range,
  // empty_room_timeout_out_of_range, recording_unsupported; 409 provider_not_configured;
  // provider failures (the room is then `failed`, and the message names its id).
  core::Result<RoomView> create(const core::TenantId& tenant, const CreateRoomRequest& request);
  core::Result<RoomPage> list(const core::TenantId& tenant, const RoomListQuery& query);
  // The room and its composition jobs. 404 room_not_found (also for another tenant's room);
  // a failure to read the jobs is the call's error (never a view without them).
  core::Result<RoomDetail> get(const core::TenantId& tenant, const core::RoomId& room);
  // Ends the room at the provider and locally (end_reason ended_by_api). Ending a room that
  // already ended or failed answers it as it is. 409 room_not_ready while creating.
  core::Result<RoomView> end(const core::TenantId& tenant, const core::RoomId& room);
  // 409 room_not_ready / room_ended / room_failed; 422 identity_* (the rule that failed),
  // ttl_out_of_range; 409 provider_not_configured.
  core::Result<IssuedToken> issue_token(const core::TenantId& tenant, const core::RoomId& room,
                                        const std::string& identity,
                                        std::optional<std::int64_t> ttl_seconds);
  // The fast path of issue_token(): answered from caches only (a room seen in progress, the
  // tenant's settings and credentials), never blocking, so the I/O thread may call it; nullopt
  // when anything is not cached (then call issue_token() on the WorkPool). Same answers.
  std::optional<core::Result<IssuedToken>> issue_token_cached(
      const core::TenantId& tenant, const core::RoomId& room, const std::string& identity,
      std::optional<std::int64_t> ttl_seconds);
  // Enables issue_token_cached(). Call before serving.
  void set_tenant_context_peek(TenantContextPeek peek);
  // The room left in-progress outside this service (a provider callback): no cached answer for
  // it any more.
  void forget_room(const core::TenantId& tenant, const core::RoomId& room);
  // 404 participant_not_found when the provider knows no such participant in the room.
  core::Result<RoomView> disconnect(const core::TenantId& tenant, const core::RoomId& room,
                                    const std::string& identity);
  // Starts (true) or pauses (false) recording every track through the provider's recording
  // rules. 422 recording_unsupported for room types that cannot record.
  core::Result<RoomView> set_recording(const core::TenantId& tenant, const core::RoomId& room,
                                       bool recording);
  // Authenticated by the token alone: 401 (the verifier's token_* codes) for a token that is not
  // genuine, expired or of an unknown key; 404 room_not_found when no tenant of that key has the
  // room; 401 token_room_mismatch when the token's grant names another room (or none: it must
  // be a token for this room); 409 room_*, reporter_not_connected, speaker_not_connected.
  core::Result<SpeakerOutcome> report_dominant_speaker(const SpeakerReport& report);
  // The session report (report.h) as of now, with the room's composition jobs. Errors as get().
  core::Result<nlohmann::json> report(const core::TenantId& tenant, const core::RoomId& room);

  // Resolves rooms left in `creating` that were created before `created_before` (pass a time
  // safely older than any create still in flight: the provider client's worst case is about
  // 90 s). Looks each up at the provider by its unique name: found -> linked; not found ->
  // failed. Returns an error only when the store cannot be read.
  core::Result<RecoveryReport> recover_creating(core::TimePoint created_before,
                                                std::size_t limit = 100);

 private:
  struct Speaking {
    std::string speaker_participant_sid;  // "" = nobody
    core::TimePoint at{};
  };

  core::Result<RoomView> find_room(const core::TenantId& tenant, const core::RoomId& room);
  core::Result<IssuedToken> build_token(const Room& row, const TenantContext& context,
                                        const std::string& identity,
                                        std::optional<std::int64_t> ttl_seconds) const;
  core::Result<video::ProviderCredentials> credentials_of(const core::TenantId& tenant);
  void publish(realtime::RoomEventKind kind, const Room& room, nlohmann::json payload);

  RoomStore& store_;
  RoomCompositions& compositions_;
  video::VideoProvider& provider_;
  TenantContextLookup tenants_;
  ProviderKeyIndex key_index_;
  const tokens::AccessTokenBuilder& token_builder_;
  const tokens::IdentityPolicy& identity_policy_;
  realtime::Notifier& notifier_;
  const core::Clock& clock_;
  RoomServiceOptions options_;

  // The last accepted speaker change per room, for the debounce. Seeded from the store when a
  // room is not in it (after a restart); entries older than the window are pruned when it grows,
  // since the store can always seed them again.
  TenantContextPeek peek_tenants_;
  // Rooms seen in progress, by "tenant/room": the token fast path (RoomServiceOptions).
  core::TtlCache<std::string, Room> open_rooms_;

  std::mutex speaking_mutex_;
  std::map<core::RoomId, Speaking> speaking_;
};

// Maps a provider failure to what the tenant's client sees (see the codes above).
core::Error provider_failure(const core::Error& error, std::string_view action);

}  // namespace roomplane::rooms
