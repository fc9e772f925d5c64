#pragma once
// Twilio Video status callbacks (shared/reference/twilio-video-api.md section 8) turned into
// provider-neutral rooms::RoomEvent values, and the idempotency key the event ledger dedupes
// them by. Pure functions: thread-safe, no I/O, never throw (beyond std::bad_alloc).
//
// Parse only callbacks whose X-Twilio-Signature was verified (signature.h): this checks shape,
// not origin.
//
// What parse_callback requires (every other parameter is optional, and unknown parameters are
// ignored, as Twilio asks receivers to do):
//   every event                 StatusCallbackEvent
//   every known event           RoomSid, Timestamp
//   participant-*               ParticipantSid, ParticipantIdentity
//   track-*                     ParticipantSid, TrackSid
//   recording-*                 RecordingSid
//   composition-* except
//     composition-hook-failed   CompositionSid
//   composition-progress        PercentageDone
// Formats: SIDs are their two-letter prefix (RM, PA, MT, RT, CJ, HK) and 32 hex digits;
// SequenceNumber, *Duration and Size are non-negative decimal integers; PercentageDone is a
// number from 0 to 100 (a fraction is truncated); Timestamp is ISO 8601 / RFC 3339,
// "2024-01-01T00:00:00Z", optionally with fractional seconds (kept to the nanosecond) and with
// a numeric offset ("+00:00") instead of "Z", years 1970 to 2199; text values are at most
// kMaxCallbackTextBytes bytes.
// An empty value counts as absent. Unrecognised TrackKind / Type values become
// TrackKind::kUnknown rather than errors.
//
// An unrecognised StatusCallbackEvent is not an error: it parses to RoomEventType::kUnknown
// with raw_name set, so it can be stored and counted. Its other parameters are read leniently
// (a malformed one is dropped, never an error), because nothing about its shape is known.
//
// Errors (kind kInvalidArgument; the message names the parameter):
//   kErrCallbackMissingParameter  a required parameter is absent or empty
//   kErrCallbackInvalidParameter  a parameter is present but malformed

#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/ids.h"
#include "core/result.h"
#include "http/form.h"
#include "rooms/room_events.h"

namespace roomplane::twilio {

inline constexpr std::string_view kErrCallbackMissingParameter = "callback_missing_parameter";
inline constexpr std::string_view kErrCallbackInvalidParameter = "callback_invalid_parameter";
inline constexpr std::size_t kMaxCallbackTextBytes = 2048;

core::Result<rooms::RoomEvent> parse_callback(const http::FormParams& params);

// The event's identity, for deduplicating the ledger: a redelivery of the same callback gets
// the same key, distinct events get distinct keys. Twilio sends no event id, so (DESIGN.md)
// it is derived from the tenant, room SID, event name, participant / track / recording /
// composition / hook SIDs and SequenceNumber; for composition-progress also PercentageDone
// (one composition reports several); and, when the event has no SequenceNumber (composition
// events), its Timestamp, the only thing that tells two such events of one object apart (two
// composition-hook-failed of one hook). An unknown event (a name this build does not know)
// also includes every parameter it came with (RoomEvent::unknown_params_digest, set by
// parse_callback): its meaningful fields are unknown, so two such callbacks are the same
// event only when all their parameters are. Twilio's retries repeat the original parameters, so
// duplicates still match. The fields are length-prefixed before hashing, so no two field lists
// can run together into the same input. Returns 64 lower-case hex digits (SHA-256).
std::string idempotency_key(const core::TenantId& tenant, const rooms::RoomEvent& event);

// Twilio's spelling of an event type ("participant-connected"); empty for kUnknown.
std::string_view callback_event_name(rooms::RoomEventType type);

// The Timestamp format described above; nullopt when malformed.
std::optional<core::TimePoint> parse_callback_timestamp(std::string_view text);

}  // namespace roomplane::twilio
