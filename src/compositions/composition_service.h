#pragma once
// CompositionService: the composition operations of the public API (DESIGN.md, "Public
// contract") as plain calls, with no HTTP in them: list a tenant's compositions, read one, and
// hand out a short-lived media URL for a completed one. composition_routes.h translates HTTP to
// these calls. The workers (starter, tracker) write compositions; this service only reads them
// and writes the media audit.
//
// The media audit. Every media URL handed out has an audit row (CompositionStore::
// record_media_access: tenant, composition, API key id, remote address, user agent, time),
// written BEFORE the provider is asked for the URL. When the row cannot be written, no URL is
// asked for or returned (503 audit_unavailable): an unaudited download must not happen. The
// price is that a request whose provider call then fails leaves a row for a URL never handed
// out; the audit over-reports, never under-reports. The URL is a bearer credential: it is
// returned to the caller and never logged or stored.
//
// Created by the composition root, shared by all request threads. Thread-safe (the store and
// the provider are). Every method blocks (store and provider I/O): call from WorkPool threads.

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "compositions/composition.h"
#include "compositions/stores.h"
#include "core/clock.h"
#include "core/ids.h"
#include "core/result.h"
#include "rooms/room_service.h"
#include "video/provider.h"

namespace roomplane::compositions {

// --- Stable error codes (besides the store's invalid_cursor and rooms::provider_* codes) ---
inline constexpr std::string_view kErrCompositionNotFound = "composition_not_found";  // 404
inline constexpr std::string_view kErrCompositionNotReady = "composition_not_ready";  // 409
// 409: completed, but the provider has no media for it any more (deleted there).
inline constexpr std::string_view kErrMediaUnavailable = "media_unavailable";
inline constexpr std::string_view kErrAuditUnavailable = "audit_unavailable";  // 503
inline constexpr std::string_view kErrInvalidStatus = "invalid_status";        // 400
inline constexpr std::string_view kErrInvalidLimit = "invalid_limit";          // 400

inline constexpr std::size_t kMaxListLimit = 200;
// User agents longer than this are cut (at a UTF-8 boundary) before they are audited.
inline constexpr std::size_t kMaxAuditedUserAgentBytes = 256;

struct CompositionServiceOptions {
  // How long a media URL stays valid (the provider's URL lifetime).
  std::chrono::seconds media_url_ttl{std::chrono::minutes(5)};
};

// Who asks for the media (the audit's "who").
struct MediaRequester {
  core::TenantId tenant;
  core::ApiKeyId api_key_id;
  std::string remote_address;
  std::string user_agent;  // as sent; cut to kMaxAuditedUserAgentBytes here
};

struct MediaGrant {
  std::string url;  // a bearer credential: hand it to the client, never log it
  core::TimePoint expires_at{};
};

class CompositionService {
 public:
  // Every reference must outlive the service.
  CompositionService(CompositionStore& store, video::VideoProvider& provider,
                     rooms::TenantContextLookup tenants, const core::Clock& clock,
                     CompositionServiceOptions options = {});

  // Newest first. 400 invalid_limit (outside 1..kMaxListLimit), invalid_cursor (the store's).
  core::Result<Page> list(const core::TenantId& tenant, const ListQuery& query);
  // 404 composition_not_found (also for another tenant's composition).
  core::Result<Composition> get(const core::TenantId& tenant, const core::CompositionId& id);
  // Audits the access, then asks the provider for a URL valid for media_url_ttl.
  // 404 composition_not_found; 409 composition_not_ready (not completed: the message names the
  // status), media_unavailable, provider_not_configured; 503 audit_unavailable (nothing asked
  // of the provider); provider failures as rooms::provider_failure() maps them.
  core::Result<MediaGrant> media(const MediaRequester& requester, const core::CompositionId& id);

  const CompositionServiceOptions& options() const { return options_; }

 private:
  CompositionStore& store_;
  video::VideoProvider& provider_;
  rooms::TenantContextLookup tenants_;
  const core::Clock& clock_;
  CompositionServiceOptions options_;
};

// `text` cut to at most `max_bytes` without splitting a UTF-8 sequence.
std::string truncate_utf8(std::string_view text, std::size_t max_bytes);

}  // namespace roomplane::compositions
