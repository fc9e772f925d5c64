#pragma once
// POST /webhooks/twilio/{tenant_id}: every Twilio Video status callback of one tenant (room,
// participant, track, recording and composition events; shared/reference/twilio-video-api.md
// section 8), verified, then recorded and applied through the GroupCommitIngestor.
//
// Checks, in order; the first that fails answers and nothing is stored:
//   415 unsupported_media_type  Content-Type is not application/x-www-form-urlencoded (Video
//                               callbacks always are; no I/O spent on anything else)
//   404 tenant_not_found        the path names no tenant, or one without provider credentials
//                               (one answer for both: an unauthenticated caller learns nothing
//                               about which tenants exist). Answered from the
//                               TenantDirectory's cache on the I/O thread (then the whole check
//                               runs there: it is CPU only), or looked up on the WorkPool.
//   403 invalid_signature       X-Twilio-Signature missing, forged or not matching the body.
//                               Checked against `public_url` + the request target exactly as
//                               received (path and raw query), never the Host header, so a
//                               proxy or TLS offload in front does not break it; the URL forms
//                               tried are twilio-python's (twilio/signature.h). A body that is
//                               not valid form encoding cannot be verified and gets the same
//                               answer. No parameter is read before this check passes.
//   403 account_mismatch        AccountSid is not the tenant's Account SID
//   400 callback_missing_parameter / callback_invalid_parameter
//                               a known event without a parameter it needs, or a malformed one
//                               (twilio/callback_event.h). An unknown StatusCallbackEvent is
//                               not an error: it is stored, counted and answered 200.
//   503 webhook_overloaded      the ingestor's queue is full or stopping (Retry-After: 1)
//   503 webhook_storage_unavailable
//                               the ledger transaction failed (Retry-After: 1); Twilio retries
// Then 200 {"outcome": "applied" | "duplicate" | "unknown"}, only once the event is durable. A
// replay (same idempotency key) is a no-op answered 200 "duplicate".
//
// `public_url` is the URL Twilio is configured to call, e.g. "https://video.example.com" or,
// behind a proxy that strips a path prefix, "https://example.com/roomplane"; a trailing "/" is
// ignored. The route must be registered with the same path the StatusCallback names.
//
// Metrics: roomplane_webhook_rejections_total{reason}, reason one of unsupported_media_type,
// unknown_tenant, directory_error, missing_signature, invalid_signature, unverifiable_body,
// account_mismatch, invalid_callback, overloaded, storage_error, internal. The ingestor's own
// metrics (ingestor.h) count what was accepted.
//
// Every referenced object must outlive the Router (and the server using it).

#include <string>

#include "core/clock.h"
#include "core/work_pool.h"
#include "http/form.h"
#include "http/router.h"
#include "observability/log.h"
#include "observability/metrics.h"
#include "tenants/tenant_directory.h"
#include "webhooks/ingestor.h"

namespace roomplane::webhooks {

inline constexpr std::string_view kWebhookRoute = "/webhooks/twilio/{tenant_id}";

void add_webhook_routes(http::Router& router, tenants::TenantDirectory& directory,
                        core::WorkPool& pool, GroupCommitIngestor& ingestor, std::string public_url,
                        observability::MetricsRegistry& metrics, observability::Logger logger,
                        const core::Clock& clock);

// The raw callback parameters as the ledger keeps them: a JSON object of strings; a name that
// was repeated maps to an array of its values in order. Bytes that are not UTF-8 are replaced
// (U+FFFD) rather than rejected: a signed callback is stored whatever it carries.
std::string params_to_json(const http::FormParams& params);

}  // namespace roomplane::webhooks
