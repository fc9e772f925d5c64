#pragma once
// Twilio's error codes and error body, in one place.
//
// Emulator operations fail with a core::Error whose `upstream_code` is Twilio's numeric code and
// whose `kind` picks the HTTP status (http::status_for). error_response() renders it the way
// Twilio does (twilio-video-api.md section 9):
//   {"code": 20404, "message": "...", "more_info": "https://www.twilio.com/docs/errors/20404",
//    "status": 404}
// Codes Twilio documents for a case are used as documented; where the reference names none (a
// malformed filter, an unknown rule key), the emulator answers 400 with Twilio's generic 20001
// "invalid parameter".

#include <string>
#include <string_view>

#include "core/result.h"
#include "http/message.h"

namespace roomplane::emulator {

inline constexpr int kErrInvalidParameter = 20001;
inline constexpr int kErrAuthenticate = 20003;
inline constexpr int kErrNotFound = 20404;
inline constexpr int kErrInternal = 20500;
inline constexpr int kErrRoomNameInvalid = 53100;
inline constexpr int kErrRoomNameTooLong = 53101;
inline constexpr int kErrRoomNameChars = 53102;
inline constexpr int kErrRoomFull = 53105;
inline constexpr int kErrRoomNotFound = 53106;
inline constexpr int kErrMaxParticipants = 53107;
inline constexpr int kErrRoomType = 53108;
inline constexpr int kErrRoomTimeout = 53109;
inline constexpr int kErrCallbackMethod = 53110;
inline constexpr int kErrCallbackUrl = 53111;
inline constexpr int kErrRoomStatus = 53112;
inline constexpr int kErrRoomExists = 53113;
inline constexpr int kErrRoomTypeIncompatible = 53114;
inline constexpr int kErrMediaRegion = 53115;
inline constexpr int kErrRoomCompleted = 53118;
inline constexpr int kErrIdentityInvalid = 53200;
inline constexpr int kErrIdentityTooLong = 53201;
inline constexpr int kErrIdentityChars = 53202;
inline constexpr int kErrParticipantNotFound = 53204;
inline constexpr int kErrDuplicateIdentity = 53205;
inline constexpr int kErrMaxParticipantDuration = 53216;
inline constexpr int kErrTrackInvalid = 53300;
inline constexpr int kErrTrackNameInvalid = 53301;
inline constexpr int kErrTrackNameTooLong = 53302;
inline constexpr int kErrTrackNameDuplicated = 53304;

// A Twilio error: `kind` decides the HTTP status, `twilio_code` the body's code.
core::Error twilio_error(core::ErrorKind kind, int twilio_code, std::string message);
// 400 / 20001.
core::Error invalid_parameter(std::string message);
// 404 / 20404 "The requested resource {path} was not found"; `path` is Twilio-style, without
// the "/v1" prefix (e.g. "/Rooms/RM...").
core::Error resource_not_found(std::string_view path);

// The Twilio error body for `error`. An error without a Twilio code (a bug elsewhere) becomes
// 20500 with the status of its kind.
http::Response error_response(const core::Error& error);
// 401 / 20003 with WWW-Authenticate, as Twilio answers a missing or wrong Basic credential.
http::Response unauthorized_response();

}  // namespace roomplane::emulator
