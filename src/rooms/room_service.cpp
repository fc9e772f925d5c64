#include "rooms/room_service.h"

#include <algorithm>
#include <array>
#include <utility>

#include "crypto/crypto.h"
#include "rooms/confirmed_events.h"
#include "rooms/report.h"
#include "rooms/room_json.h"
#include "tokens/access_token_verifier.h"

namespace roomplane::rooms {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxNameBytes = 128;  // Twilio's limit for room names
constexpr int kMinTimeoutMinutes = 1;       // Twilio's EmptyRoomTimeout range
constexpr int kMaxTimeoutMinutes = 60;
// Above this many rooms in the debounce map, entries older than the window are dropped.
constexpr std::size_t kSpeakingPruneThreshold = 4096;

// Strict UTF-8 (no overlongs, surrogates or code points above U+10FFFF) and no control
// characters: names end up in dashboards, logs and the provider's API.
bool is_clean_text(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f)
      return false;
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = 0;
    std::uint32_t code = 0;
    if ((c & 0xe0) == 0xc0) {
      length = 2;
      code = c & 0x1fU;
    } else if ((c & 0xf0) == 0xe0) {
      length = 3;
      code = c & 0x0fU;
    } else if ((c & 0xf8) == 0xf0) {
      length = 4;
      code = c & 0x07U;
    } else {
      return false;
    }
    if (i + length > text.size())
      return false;
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0) != 0x80)
        return false;
      code = (code << 6) | (next & 0x3fU);
    }
    constexpr std::array<std::uint32_t, 5> kMinForLength = {0, 0, 0x80, 0x800, 0x10000};
    if (code < kMinForLength[length] || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff))
      return false;
    if (code >= 0x80 && code <= 0x9f)  // C1 controls
      return false;
    i += length;
  }
  return true;
}

// 409 for a room that is not in progress, nullopt when it is.
std::optional<core::Error> not_in_progress(const Room& room) {
  switch (room.status) {
    case RoomLifecycle::kInProgress:
      return std::nullopt;
    case RoomLifecycle::kCreating:
      return core::Error::conflict(std::string(kErrRoomNotReady),
                                   "the room is still being created; retry shortly");
    case RoomLifecycle::kCompleted:
      return core::Error::conflict(std::string(kErrRoomEnded), "the room has ended");
    case RoomLifecycle::kFailed:
      return core::Error::conflict(std::string(kErrRoomFailed),
                                   "the room failed: " + room.end_reason);
  }
  return core::Error::internal("unknown room lifecycle");
}

// The connected participant with this identity (the latest connection if, briefly, two are).
const ParticipantState* connected_by_identity(const RoomState& state, std::string_view identity) {
  const ParticipantState* found = nullptr;
  for (const auto& [sid, participant] : state.participants) {
    if (participant.identity != identity || participant.status != ParticipantStatus::kConnected)
      continue;
    if (found == nullptr || participant.connected_at > found->connected_at)
      found = &participant;
  }
  return found;
}

const ParticipantState* connected_by_sid(const RoomState& state, std::string_view sid) {
  const auto it = state.participants.find(sid);
  if (it == state.participants.end() || it->second.status != ParticipantStatus::kConnected)
    return nullptr;
  return &it->second;
}

}  // namespace

std::optional<unsigned> provider_error_status(const core::Error& error) {
  if (error.code == kErrProviderCredentialsRejected || error.code == kErrProviderPermissionDenied ||
      error.code == kErrProviderError)
    return 502;
  return std::nullopt;
}

int max_participants_limit(video::RoomType type) {
  switch (type) {
    case video::RoomType::kGroup:
      return 50;
    case video::RoomType::kGroupSmall:
      return 4;
    case video::RoomType::kPeerToPeer:
      return 10;
    case video::RoomType::kGo:
      return 2;
  }
  return 50;
}

bool type_supports_recording(video::RoomType type) {
  return type == video::RoomType::kGroup || type == video::RoomType::kGroupSmall;
}

core::Error provider_failure(const core::Error& error, std::string_view action) {
  const std::string what = "the video provider " + std::string(action);
  core::Error mapped;
  mapped.upstream_code = error.upstream_code;
  switch (error.kind) {
    case core::ErrorKind::kUnauthenticated:
      // The tenant's provider credentials, not the caller's API key: never a 401 to the caller.
      mapped.kind = core::ErrorKind::kUnavailable;
      mapped.code = std::string(kErrProviderCredentialsRejected);
      mapped.message = what + " rejected the tenant's provider credentials; update them";
      break;
    case core::ErrorKind::kForbidden:
      mapped.kind = core::ErrorKind::kUnavailable;
      mapped.code = std::string(kErrProviderPermissionDenied);
      mapped.message = what + " refused: the tenant's provider credentials lack a permission";
      break;
    case core::ErrorKind::kInvalidArgument:
      mapped.kind = core::ErrorKind::kUnprocessable;
      mapped.code = std::string(kErrProviderRejectedRequest);
      mapped.message = what + " rejected the request: " + error.message;
      break;
    case core::ErrorKind::kRateLimited:
      mapped.kind = core::ErrorKind::kUnavailable;
      mapped.code = std::string(kErrProviderRateLimited);
      mapped.message = what + " is throttling requests; retry later";
      break;
    case core::ErrorKind::kUnavailable:
      mapped.kind = core::ErrorKind::kUnavailable;
      mapped.code = std::string(kErrProviderUnavailable);
      mapped.message = what + " could not be reached (" + error.code + "); retry later";
      break;
    default:
      mapped.kind = core::ErrorKind::kUnavailable;
      mapped.code = std::string(kErrProviderError);
      mapped.message = what + " failed: " + error.message;
      break;
  }
  return mapped;
}

RoomService::RoomService(RoomStore& store, RoomCompositions& compositions,
                         video::VideoProvider& provider, TenantContextLookup tenants,
                         ProviderKeyIndex key_index,
                         const tokens::AccessTokenBuilder& token_builder,
                         const tokens::IdentityPolicy& identity_policy,
                         realtime::Notifier& notifier, const core::Clock& clock,
                         RoomServiceOptions options)
    : store_(store),
      compositions_(compositions),
      provider_(provider),
      tenants_(std::move(tenants)),
      key_index_(std::move(key_index)),
      token_builder_(token_builder),
      identity_policy_(identity_policy),
      notifier_(notifier),
      clock_(clock),
      options_(std::move(options)),
      open_rooms_(clock, options_.room_cache_ttl) {
  while (!options_.public_url.empty() && options_.public_url.back() == '/')
    options_.public_url.pop_back();
}

core::Result<RoomView> RoomService::find_room(const core::TenantId& tenant,
                                              const core::RoomId& room) {
  auto found = store_.find(tenant, room);
  if (!found)
    return std::move(found).take_error();
  if (!*found)
    return core::Error::not_found(std::string(kErrRoomNotFound), "no such room");
  return std::move(**found);
}

core::Result<video::ProviderCredentials> RoomService::credentials_of(const core::TenantId& tenant) {
  auto context = tenants_(tenant);
  if (!context)
    return std::move(context).take_error();
  if (!context->credentials) {
    return core::Error::conflict(std::string(kErrProviderNotConfigured),
                                 "the tenant has no video provider credentials configured");
  }
  return video_credentials(*context->credentials);
}

void RoomService::publish(realtime::RoomEventKind kind, const Room& room, json payload) {
  realtime::RoomNotification notification;
  notification.kind = kind;
  notification.tenant = room.tenant_id;
  notification.room_id = room.id;
  notification.provider_room_sid = room.provider_room_sid.value_or("");
  notification.at = clock_.now();
  notification.payload = std::move(payload);
  notifier_.publish(std::move(notification));
}

core::Result<RoomView> RoomService::create(const core::TenantId& tenant,
                                           const CreateRoomRequest& request) {
  if (request.name.empty() || request.name.size() > kMaxNameBytes || !is_clean_text(request.name))
    return core::Error::unprocessable(
        "name_invalid", "name must be 1 to 128 bytes of UTF-8 text without control characters");
  const auto type = room_type_from_public(request.type.value_or("group"));
  if (!type)
    return core::Error::unprocessable("type_invalid",
                                      "type must be group, group-small, peer-to-peer or go");
  const int limit = max_participants_limit(*type);
  if (request.max_participants &&
      (*request.max_participants < 1 || *request.max_participants > limit))
    return core::Error::unprocessable("max_participants_out_of_range",
                                      "max_participants must be between 1 and " +
                                          std::to_string(limit) + " for a " +
                                          std::string(public_type_name(*type)) + " room");
  if (request.empty_room_timeout_minutes &&
      (*request.empty_room_timeout_minutes < kMinTimeoutMinutes ||
       *request.empty_room_timeout_minutes > kMaxTimeoutMinutes))
    return core::Error::unprocessable("empty_room_timeout_out_of_range",
                                      "empty_room_timeout_minutes must be between 1 and 60");
  if (request.record && !type_supports_recording(*type))
    return core::Error::unprocessable(std::string(kErrRecordingUnsupported),
                                      std::string(public_type_name(*type)) +
                                          " rooms cannot be recorded; use group or group-small");
  // Before any write: a tenant that cannot reach the provider gets no row at all.
  auto credentials = credentials_of(tenant);
  if (!credentials)
    return std::move(credentials).take_error();

  const auto now = clock_.now();
  Room room;
  room.tenant_id = tenant;
  room.id = core::RoomId(crypto::random_token(core::kRoomIdPrefix, 20));
  room.name = request.name;
  room.type = *type;
  room.max_participants = request.max_participants;
  room.record = request.record;
  room.recording = request.record;
  room.empty_room_timeout_minutes = request.empty_room_timeout_minutes;
  room.provider_room_name = room.id.value();
  room.status = RoomLifecycle::kCreating;
  room.created_at = now;
  room.updated_at = now;
  if (auto inserted = store_.insert(room); !inserted)
    return std::move(inserted).take_error();

  video::RoomSpec spec;
  spec.unique_name = room.provider_room_name;
  spec.type = room.type;
  spec.max_participants = room.max_participants;
  spec.record_participants_on_connect = room.record;
  spec.empty_room_timeout_minutes = room.empty_room_timeout_minutes;
  // A tenant who says "close after N idle minutes" means it for a room nobody joined, too.
  spec.unused_room_timeout_minutes = room.empty_room_timeout_minutes;
  spec.status_callback_url = options_.public_url + "/webhooks/twilio/" + tenant.value();
  auto created = provider_.create_room(*credentials, spec);
  if (!created) {
    auto mapped = provider_failure(created.error(), "could not create the room");
    // The failure is recorded for good; if marking fails too, the row stays `creating` and
    // recover_creating() resolves it, so either way no row pretends to be alive.
    (void)store_.mark_failed(
        tenant, room.id,
        std::string(kProviderErrorPrefix) + mapped.code + ": " + created.error().message,
        clock_.now());
    mapped.message += " (room " + room.id.value() + " is marked failed)";
    return mapped;
  }
  const std::array<RoomEvent, 1> confirmed = {room_created_event(*created)};
  auto linked = store_.link_provider_room(tenant, room.id, created->sid, confirmed, clock_.now());
  if (!linked)
    return std::move(linked).take_error();  // stays `creating`; recovery links it later
  publish(realtime::RoomEventKind::kRoomUpdated, linked->room,
          {{"status", to_string(linked->room.status)}});
  return linked;
}

core::Result<RoomPage> RoomService::list(const core::TenantId& tenant, const RoomListQuery& query) {
  return store_.list(tenant, query);
}

core::Result<RoomDetail> RoomService::get(const core::TenantId& tenant, const core::RoomId& room) {
  auto view = find_room(tenant, room);
  if (!view)
    return std::move(view).take_error();
  // After the room: an unknown room is 404 without touching the jobs.
  auto jobs = compositions_.for_room(tenant, room);
  if (!jobs)
    return std::move(jobs).take_error();
  return RoomDetail{std::move(view).value(), std::move(jobs).value()};
}

core::Result<RoomView> RoomService::end(const core::TenantId& tenant, const core::RoomId& room) {
  auto view = find_room(tenant, room);
  if (!view)
    return view;
  if (view->room.status == RoomLifecycle::kCompleted || view->room.status == RoomLifecycle::kFailed)
    return view;  // idempotent: the caller wanted it ended, and it is
  if (view->room.status == RoomLifecycle::kCreating || !view->room.provider_room_sid) {
    return core::Error::conflict(std::string(kErrRoomNotReady),
                                 "the room is still being created; retry shortly");
  }
  auto credentials = credentials_of(tenant);
  if (!credentials)
    return std::move(credentials).take_error();
  auto ended = provider_.complete_room(*credentials, *view->room.provider_room_sid);
  if (!ended)
    return provider_failure(ended.error(), "could not end the room");
  const std::array<RoomEvent, 1> confirmed = {room_ended_event(*ended, clock_.now())};
  forget_room(tenant, room);  // before the store says ended: no token after this answer
  auto stored =
      store_.apply_confirmed(tenant, room, confirmed, std::string(kEndedByApi), clock_.now());
  if (!stored)
    return stored;
  publish(realtime::RoomEventKind::kRoomUpdated, stored->room,
          {{"status", to_string(stored->room.status)}, {"end_reason", stored->room.end_reason}});
  return stored;
}

namespace {

std::string room_key(const core::TenantId& tenant, const core::RoomId& room) {
  std::string key = tenant.value();
  key += '/';
  key += room.value();
  return key;
}

}  // namespace

void RoomService::set_tenant_context_peek(TenantContextPeek peek) {
  peek_tenants_ = std::move(peek);
}

void RoomService::forget_room(const core::TenantId& tenant, const core::RoomId& room) {
  open_rooms_.erase(room_key(tenant, room));
}

core::Result<IssuedToken> RoomService::issue_token(const core::TenantId& tenant,
                                                   const core::RoomId& room,
                                                   const std::string& identity,
                                                   std::optional<std::int64_t> ttl_seconds) {
  // The row alone: the hottest route needs the lifecycle and the name, not the provider state.
  auto found = store_.find_row(tenant, room);
  if (!found)
    return std::move(found).take_error();
  if (!*found)
    return core::Error::not_found(std::string(kErrRoomNotFound), "no such room");
  const Room& row = **found;
  if (auto refused = not_in_progress(row))
    return *refused;
  open_rooms_.put(room_key(tenant, room), row);
  auto context = tenants_(tenant);
  if (!context)
    return std::move(context).take_error();
  return build_token(row, *context, identity, ttl_seconds);
}

std::optional<core::Result<IssuedToken>> RoomService::issue_token_cached(
    const core::TenantId& tenant, const core::RoomId& room, const std::string& identity,
    std::optional<std::int64_t> ttl_seconds) {
  if (!peek_tenants_)
    return std::nullopt;
  // Only rooms seen in progress are cached, so a cached row never answers 404 or 409: those
  // answers always come from the store.
  auto row = open_rooms_.get(room_key(tenant, room));
  if (!row)
    return std::nullopt;
  auto context = peek_tenants_(tenant);
  if (!context || !context->credentials)
    return std::nullopt;
  return build_token(*row, *context, identity, ttl_seconds);
}

core::Result<IssuedToken> RoomService::build_token(const Room& row, const TenantContext& context,
                                                   const std::string& identity,
                                                   std::optional<std::int64_t> ttl_seconds) const {
  if (auto checked = identity_policy_.check(identity, context.settings.reserved_identities);
      !checked)
    return std::move(checked).take_error();
  const auto& settings = context.settings;
  // The tenant's bounds, never beyond Twilio's 24 h cap whatever the settings say.
  const std::int64_t max_ttl =
      std::min<std::int64_t>(settings.token_ttl_max_seconds, tokens::kMaxTokenTtl.count());
  const std::int64_t min_ttl = std::max<std::int64_t>(settings.token_ttl_min_seconds, 1);
  const std::int64_t ttl =
      ttl_seconds.value_or(std::clamp(settings.token_ttl_default_seconds, min_ttl, max_ttl));
  if (ttl < min_ttl || ttl > max_ttl) {
    return core::Error::unprocessable(std::string(kErrTtlOutOfRange),
                                      "ttl_seconds must be between " + std::to_string(min_ttl) +
                                          " and " + std::to_string(max_ttl) + " for this tenant");
  }
  if (!context.credentials) {
    return core::Error::conflict(std::string(kErrProviderNotConfigured),
                                 "the tenant has no video provider credentials configured");
  }
  tokens::AccessTokenRequest request;
  request.account_sid = context.credentials->account_sid;
  request.api_key_sid = context.credentials->api_key_sid;
  request.api_key_secret = context.credentials->api_key_secret;
  request.identity = identity;
  request.ttl = std::chrono::seconds(ttl);
  // The unique name, not the SID: the room id the tenant knows, and what the provider matches
  // a joining participant's grant against.
  request.room = row.provider_room_name;
  auto token = token_builder_.build(request);
  if (!token)
    return std::move(token).take_error();
  return IssuedToken{std::move(token->token), identity, row.id, token->expires_at, ttl};
}

core::Result<RoomView> RoomService::disconnect(const core::TenantId& tenant,
                                               const core::RoomId& room,
                                               const std::string& identity) {
  auto view = find_room(tenant, room);
  if (!view)
    return view;
  if (auto refused = not_in_progress(view->room))
    return *refused;
  if (identity.empty() || identity.size() > tokens::kMaxIdentityLength)
    return core::Error::not_found(std::string(kErrParticipantNotFound),
                                  "no participant with that identity in the room");
  auto credentials = credentials_of(tenant);
  if (!credentials)
    return std::move(credentials).take_error();
  auto removed =
      provider_.disconnect_participant(*credentials, *view->room.provider_room_sid, identity);
  if (!removed) {
    if (removed.error().kind == core::ErrorKind::kNotFound)
      return core::Error::not_found(std::string(kErrParticipantNotFound),
                                    "no participant with that identity in the room");
    return provider_failure(removed.error(), "could not disconnect the participant");
  }
  const bool was_connected = connected_by_sid(view->state, removed->sid) != nullptr;
  const auto events = participant_events(*removed, view->room.provider_room_name, clock_.now());
  auto stored = store_.apply_confirmed(tenant, room, events, std::nullopt, clock_.now());
  if (!stored)
    return stored;
  if (was_connected) {
    publish(realtime::RoomEventKind::kParticipantLeft, stored->room,
            {{"participant_sid", removed->sid}, {"identity", removed->identity}});
  }
  return stored;
}

core::Result<RoomView> RoomService::set_recording(const core::TenantId& tenant,
                                                  const core::RoomId& room, bool recording) {
  auto view = find_room(tenant, room);
  if (!view)
    return view;
  if (auto refused = not_in_progress(view->room))
    return *refused;
  if (!type_supports_recording(view->room.type))
    return core::Error::unprocessable(
        std::string(kErrRecordingUnsupported),
        std::string(public_type_name(view->room.type)) + " rooms cannot be recorded");
  auto credentials = credentials_of(tenant);
  if (!credentials)
    return std::move(credentials).take_error();
  if (auto updated =
          provider_.update_recording_rules(*credentials, *view->room.provider_room_sid, recording);
      !updated)
    return provider_failure(updated.error(), "could not change the recording rules");
  if (auto stored = store_.set_recording(tenant, room, recording, clock_.now()); !stored)
    return std::move(stored).take_error();
  auto after = find_room(tenant, room);
  if (!after)
    return after;
  publish(realtime::RoomEventKind::kRecordingUpdated, after->room, {{"recording", recording}});
  return after;
}

core::Result<SpeakerOutcome> RoomService::report_dominant_speaker(const SpeakerReport& report) {
  // Which tenants could have signed this token: those whose provider key is its issuer. The
  // verifier asks for the key; the candidates it found are kept to look the room up after.
  struct Candidate {
    core::TenantId tenant;
    tenants::ProviderCredentials credentials;
  };
  std::vector<Candidate> candidates;
  std::optional<core::Error> lookup_error;
  tokens::AccessTokenVerifier verifier(
      [&](std::string_view api_key_sid) -> std::optional<tokens::KeyInfo> {
        auto tenant_ids = key_index_(api_key_sid);
        if (!tenant_ids) {
          lookup_error = tenant_ids.error();
          return std::nullopt;
        }
        for (const auto& id : *tenant_ids) {
          auto context = tenants_(id);
          if (!context) {
            lookup_error = context.error();
            continue;
          }
          if (context->credentials && context->credentials->api_key_sid == api_key_sid)
            candidates.push_back({id, *context->credentials});
        }
        if (candidates.empty())
          return std::nullopt;
        return tokens::KeyInfo{candidates.front().credentials.api_key_secret,
                               candidates.front().credentials.account_sid};
      });
  const auto verified = verifier.verify(report.access_token, clock_.now());
  if (!verified) {
    if (lookup_error && candidates.empty())
      return *lookup_error;  // store trouble is a 503, not a 401
    auto error = verified.error().error;
    error.kind = core::ErrorKind::kUnauthenticated;  // any refused token: the caller is unknown
    return error;
  }
  // Only tenants holding the very key that verified the signature may own the room.
  std::optional<RoomView> view;
  for (const auto& candidate : candidates) {
    if (candidate.credentials.api_key_secret != candidates.front().credentials.api_key_secret ||
        candidate.credentials.account_sid != verified->account_sid)
      continue;
    auto found = store_.find(candidate.tenant, report.room);
    if (!found)
      return std::move(found).take_error();
    if (*found) {
      view = std::move(**found);
      break;
    }
  }
  if (!view)
    return core::Error::not_found(std::string(kErrRoomNotFound), "no such room");
  const Room& room = view->room;
  if (!verified->room ||
      (*verified->room != room.provider_room_name && *verified->room != room.provider_room_sid)) {
    return core::Error{core::ErrorKind::kUnauthenticated, std::string(kErrTokenRoomMismatch),
                       "the access token does not grant this room"};
  }
  if (auto refused = not_in_progress(room))
    return *refused;
  const ParticipantState* reporter = connected_by_identity(view->state, verified->identity);
  if (reporter == nullptr)
    return core::Error::conflict(std::string(kErrReporterNotConnected),
                                 "the token's identity is not a connected participant of the room");
  const ParticipantState* speaker = nullptr;
  if (report.speaker_participant_sid) {
    speaker = connected_by_sid(view->state, *report.speaker_participant_sid);
    if (speaker == nullptr)
      return core::Error::conflict(std::string(kErrSpeakerNotConnected),
                                   "speaker_participant_sid is not a connected participant");
  } else if (report.speaker_identity) {
    speaker = connected_by_identity(view->state, *report.speaker_identity);
    if (speaker == nullptr)
      return core::Error::conflict(std::string(kErrSpeakerNotConnected),
                                   "speaker_identity is not a connected participant");
  }

  const auto now = clock_.now();
  SpeakerOutcome outcome;
  outcome.tenant = room.tenant_id;
  outcome.change.room_id = room.id;
  outcome.change.reporter_participant_sid = reporter->sid;
  outcome.change.speaker_participant_sid = speaker ? speaker->sid : "";
  outcome.change.speaker_identity = speaker ? speaker->identity : "";
  outcome.change.at = now;

  std::optional<Speaking> seed;
  {
    std::lock_guard lock(speaking_mutex_);
    if (!speaking_.contains(room.id))
      seed.emplace();  // look the last change up outside the lock
  }
  if (seed) {
    auto history = store_.speaker_changes(room.tenant_id, room.id);
    if (!history)
      return std::move(history).take_error();
    if (!history->empty())
      seed = Speaking{history->back().speaker_participant_sid, history->back().at};
    else
      seed.reset();
  }
  std::optional<Speaking> previous;
  {
    // Decide and reserve under the lock, write after it: concurrent reports of one room see
    // each other's decision, and no store call runs while the lock is held.
    std::lock_guard lock(speaking_mutex_);
    if (!speaking_.contains(room.id) && seed)
      speaking_[room.id] = *seed;
    const auto it = speaking_.find(room.id);
    if (it != speaking_.end()) {
      if (it->second.speaker_participant_sid == outcome.change.speaker_participant_sid) {
        outcome.result = "unchanged";
        return outcome;
      }
      if (now - it->second.at < options_.speaker_debounce) {
        outcome.result = "debounced";
        return outcome;
      }
      previous = it->second;
    }
    speaking_[room.id] = Speaking{outcome.change.speaker_participant_sid, now};
    if (speaking_.size() > kSpeakingPruneThreshold) {
      std::erase_if(speaking_, [&](const auto& entry) {
        return now - entry.second.at >= options_.speaker_debounce;
      });
    }
  }
  if (auto stored = store_.add_speaker_change(room.tenant_id, outcome.change); !stored) {
    std::lock_guard lock(speaking_mutex_);
    const auto it = speaking_.find(room.id);
    if (it != speaking_.end() && it->second.at == now &&
        it->second.speaker_participant_sid == outcome.change.speaker_participant_sid) {
      if (previous)
        it->second = *previous;
      else
        speaking_.erase(it);
    }
    return std::move(stored).take_error();
  }
  outcome.result = "accepted";
  publish(realtime::RoomEventKind::kDominantSpeakerChanged, room,
          {{"speaker_participant_sid", outcome.change.speaker_participant_sid.empty()
                                           ? json(nullptr)
                                           : json(outcome.change.speaker_participant_sid)},
           {"speaker_identity", outcome.change.speaker_identity.empty()
                                    ? json(nullptr)
                                    : json(outcome.change.speaker_identity)},
           {"reporter_participant_sid", outcome.change.reporter_participant_sid}});
  return outcome;
}

core::Result<json> RoomService::report(const core::TenantId& tenant, const core::RoomId& room) {
  auto detail = get(tenant, room);  // the room (404 first), then its composition jobs
  if (!detail)
    return std::move(detail).take_error();
  auto speakers = store_.speaker_changes(tenant, room);
  if (!speakers)
    return std::move(speakers).take_error();
  return build_session_report(detail->view, *speakers, detail->composition_jobs, clock_.now());
}

core::Result<RecoveryReport> RoomService::recover_creating(core::TimePoint created_before,
                                                           std::size_t limit) {
  auto stuck = store_.list_creating(created_before, limit);
  if (!stuck)
    return std::move(stuck).take_error();
  RecoveryReport result;
  for (const auto& room : *stuck) {
    auto credentials = credentials_of(room.tenant_id);
    if (!credentials) {
      if (credentials.error().code == kErrProviderNotConfigured) {
        // Nothing can have been created without credentials.
        if (store_.mark_failed(room.tenant_id, room.id,
                               std::string(kProviderErrorPrefix) + "provider_not_configured",
                               clock_.now()))
          ++result.failed;
        else
          ++result.pending;
        continue;
      }
      ++result.pending;
      continue;
    }
    // By unique name: only an in-progress room is found that way. A room the provider created
    // and that already ended is not found; it is marked failed, which is what it is to the
    // tenant (nobody could have been given a token for it).
    auto found = provider_.fetch_room(*credentials, room.provider_room_name);
    if (found) {
      const std::array<RoomEvent, 1> confirmed = {room_created_event(*found)};
      if (store_.link_provider_room(room.tenant_id, room.id, found->sid, confirmed, clock_.now()))
        ++result.linked;
      else
        ++result.pending;
      continue;
    }
    if (found.error().kind == core::ErrorKind::kNotFound) {
      if (store_.mark_failed(room.tenant_id, room.id,
                             std::string(kProviderErrorPrefix) +
                                 "not created (found missing at the provider after a restart)",
                             clock_.now()))
        ++result.failed;
      else
        ++result.pending;
      continue;
    }
    ++result.pending;  // the provider is down or refuses us: try again on the next run
  }
  return result;
}

video::ProviderCredentials video_credentials(const tenants::ProviderCredentials& credentials) {
  return {credentials.account_sid, credentials.api_key_sid, credentials.api_key_secret};
}

}  // namespace roomplane::rooms
