#pragma once
// A seeded generator of realistic consultations as Twilio (and the emulator) report them: the
// status callbacks of one recorded room, in emission order, with the parameter sets of
// shared/reference/twilio-video-api.md section 8 and increasing SequenceNumber / Timestamp.
// Used by the property test and the idempotency-key tests.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "http/form.h"

namespace roomplane::rooms::testing {

// What one clean delivery of the consultation must produce, for sanity checks of the final
// state (the property test compares shuffled deliveries against the clean one; these check
// that the clean one is itself right).
struct ExpectedParticipant {
  std::string identity;
  std::int64_t connected_at = 0;  // unix seconds
  std::int64_t disconnected_at = 0;
  std::int64_t duration_seconds = 0;
  std::map<std::string, bool> track_enabled;  // track SID -> enabled when it was removed
};

struct Consultation {
  std::string room_sid;
  std::vector<http::FormParams> callbacks;  // in emission order
  std::size_t unknown_callbacks = 0;        // of those, StatusCallbackEvent values not in §8
  std::int64_t created_at = 0;              // unix seconds
  std::int64_t ended_at = 0;
  std::map<std::string, ExpectedParticipant> participants;  // by SID (a rejoin is a new SID)
  std::map<std::string, bool> recording_failed;             // recording SID -> failed?
  std::string composition_sid;                              // empty when none was made
  bool composition_failed = false;
  bool hook_failed = false;  // a second hook reported composition-hook-failed
};

// Deterministic for a seed: room-created; 2-3 participants connect and publish audio and video
// (one recording each); tracks are disabled and enabled; one participant drops and rejoins with
// a new SID; everyone leaves (one by one, or all at once when the room is ended through the
// API); recordings complete (about 1 in 10 fails); room-ended; then, when something was
// recorded, a hook's composition: enqueued, started, progress..., available or failed. Some
// consultations also carry an event Twilio does not document, and a failed second hook.
Consultation generate_consultation(std::uint64_t seed);

}  // namespace roomplane::rooms::testing
