#pragma once
// The session report of one room (GET /v1/rooms/{id}/report): what happened, who was there for
// how long, who spoke for how long, and what became of the recording and its composition, as
// one JSON document a report writer can consume without further look-ups. A pure function of
// the room, its provider-confirmed state, its client-reported speaker changes and Roomplane's
// composition jobs of the room (RoomCompositions::for_room): thread-safe, no I/O.
//
// Document (times RFC 3339 UTC; durations in seconds with millisecond precision):
//   room         id, name, type, status, provider_room_sid, started_at, ended_at,
//                duration_seconds, end_reason
//   generated_at when it was built; `final` is true once the room ended or failed (open
//                intervals of a live room are counted up to generated_at)
//   timeline     every event, oldest first; events at the same instant in this order (then by
//                SID): room_started, participant_joined, recording_started,
//                dominant_speaker_changed, participant_left (reason "left" or "room_ended"),
//                recording_completed, recording_failed, room_ended, composition_enqueued,
//                composition_started, composition_completed, composition_failed,
//                composition_hook_failed. The composition_* entries are the provider's
//                callbacks; Roomplane's jobs add none (their times are on each job in
//                composition.jobs).
//   participants one entry per identity, ordered by first join: sessions (one per connection;
//                a reconnect is a new participant SID), connected_seconds (sum over sessions),
//                speaking_seconds, first_joined_at, last_left_at, connected (now)
//   recording    requested (at creation), active (rules now), status (none | in_progress |
//                completed | partial | failed), counts, total duration and size, tracks
//   composition  status (none | pending | enqueued | processing | stalled | completed |
//                failed, below), error (what failed when status is failed, else null), jobs
//                (Roomplane's composition jobs of the room, newest first, each as
//                GET /v1/compositions/{id} renders it), compositions (the provider's, as its
//                callbacks reported them) and hook_failures
//   summary      participant_count (identities), session_count, total_connected_seconds,
//                total_speaking_seconds, speaker_change_count
//
// How time is counted:
//  - A session runs from connected_at to disconnected_at (the room's end when the participant
//    left with it), or to generated_at while still connected. A session whose connected_at was
//    never reported counts its reported duration, else 0.
//  - Speaking: each speaker change starts an interval for its speaker that ends at the next
//    change, the speaker session's end, the room's end or generated_at, whichever is first,
//    and starts no earlier than that session's connected_at. A change to nobody ends it.
//  - Speaker changes are stamped by Roomplane's clock (milliseconds), joins and leaves by the
//    provider's (Twilio: whole seconds). A turn that ends with its speaker's leave can
//    therefore come out up to a second short; over a consultation that is noise, and clipping
//    at the provider's leave keeps speaking time within connected time.
//
// How the composition status is decided (Roomplane's job is the source of truth; a job that
// failed locally may never produce a provider callback):
//  - completed when any job or provider composition completed, even after a failed attempt;
//  - else the live job's status (pending, enqueued, processing, stalled; at most one job is
//    live), except that an enqueued job reads processing once the provider reported progress;
//  - else failed with the newest failed job's error when a job failed for good;
//  - else, for a room without jobs, what the provider reported: processing, enqueued, failed
//    (with the latest failed composition's or hook failure's error);
//  - else none: neither a job nor a provider composition.

#include <span>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "rooms/room.h"
#include "rooms/room_compositions.h"

namespace roomplane::rooms {

// `composition_jobs`: what RoomCompositions::for_room answered (newest first); the report
// decides by each job's status and error and shows each as rendered.
nlohmann::json build_session_report(const RoomView& view, std::span<const SpeakerChange> speakers,
                                    std::span<const RoomCompositionJob> composition_jobs,
                                    core::TimePoint now);

}  // namespace roomplane::rooms
