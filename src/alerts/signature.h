#pragma once
// Signatures of the alerts Roomplane POSTs to a tenant's alert URL, and the check a receiver
// runs. The scheme, for a tenant implementing the check in any language:
//
//   Each alert POST carries
//     X-Roomplane-Timestamp: <unix seconds when this attempt was sent, decimal>
//     X-Roomplane-Signature: v1=<lowercase hex of HMAC-SHA256(secret, timestamp + "." + body)>
//     X-Roomplane-Alert-Id:  <the alert id; the same on every retry: deduplicate on it>
//   where `body` is the raw request body, byte for byte (do not re-serialise the JSON), and
//   `secret` is the tenant's alert signing secret exactly as `roomplane tenant configure`
//   printed it (64 hex characters, used as the HMAC key as those 64 ASCII bytes, not decoded).
//
//   To verify: recompute the HMAC over the received timestamp header, ".", and the raw body;
//   compare it with the v1 value in constant time; reject when the timestamp is further than a
//   tolerance (5 minutes suggested) from your clock, so a captured request cannot be replayed
//   later. The header may in the future carry several comma-separated entries ("v1=...,v2=...",
//   or two v1 values while a secret rotates): accept when any v1 entry matches, ignore unknown
//   versions. A retry is re-signed with a fresh timestamp over the same body bytes.
//
//   Example (Python):
//     expected = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
//     ok = any(hmac.compare_digest(expected, v) for k, _, v in
//              (e.strip().partition("=") for e in header.split(",")) if k == "v1")
//
// The secret is per tenant and derived, never stored: HMAC-SHA256(master key,
// "roomplane/alerts/v1/" + tenant id), hex. Anyone with the master key can recompute it; a
// tenant's secret reveals nothing about the master key or another tenant's secret. Rotating the
// master key rotates every tenant's alert secret.
//
// Everything here is pure and thread-safe.

#include <chrono>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/ids.h"
#include "core/result.h"
#include "crypto/crypto.h"

namespace roomplane::alerts {

inline constexpr std::string_view kTimestampHeader = "X-Roomplane-Timestamp";
inline constexpr std::string_view kSignatureHeader = "X-Roomplane-Signature";
inline constexpr std::string_view kAlertIdHeader = "X-Roomplane-Alert-Id";
inline constexpr std::string_view kSigningSecretContext = "roomplane/alerts/v1/";
inline constexpr std::chrono::seconds kDefaultTolerance{300};

// The tenant's alert signing secret: lowercase hex of HMAC-SHA256(master_key, context + tenant).
// Inline (header-only) so the CLI can print it without linking the dispatcher.
inline std::string signing_secret(std::string_view master_key, const core::TenantId& tenant) {
  return crypto::hex_encode(
      crypto::hmac_sha256(master_key, std::string(kSigningSecretContext) + tenant.value()));
}

struct SignatureHeaders {
  std::string timestamp;  // value of X-Roomplane-Timestamp
  std::string signature;  // value of X-Roomplane-Signature ("v1=<hex>")
};

// "v1=" + hex(HMAC-SHA256(secret, timestamp + "." + body)).
std::string signature_value(std::string_view secret, std::string_view timestamp,
                            std::string_view body);

// Both headers for a request sent at `now` (whole unix seconds).
SignatureHeaders sign(std::string_view secret, core::TimePoint now, std::string_view body);

// The receiver's check. Ok when `signature_header` holds a v1 entry matching the HMAC of
// timestamp and body under `secret` (compared in constant time) and the timestamp is within
// `tolerance` of `now` in either direction. Errors are kUnauthenticated with codes
// "invalid_timestamp" (not a decimal unix time), "timestamp_out_of_tolerance",
// "invalid_signature_header" (no v1 entry) and "signature_mismatch".
core::Status verify(std::string_view secret, std::string_view timestamp, std::string_view body,
                    std::string_view signature_header, core::TimePoint now,
                    std::chrono::seconds tolerance = kDefaultTolerance);

}  // namespace roomplane::alerts
