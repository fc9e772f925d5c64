#pragma once
// A composition job as Roomplane owns it: the local row that asks the provider to compose a
// recorded room into one file and follows it to the end. The local row is the source of truth;
// the provider's composition (provider_composition_sid) is what the current attempt runs on.
//
// Status (DESIGN.md):
//   pending     waiting for the starter to create (or adopt) the provider composition; also
//               after a failed attempt, until its backoff passes
//   enqueued    the provider accepted it
//   processing  the provider reported progress
//   stalled     past its deadline and not finished: alerted; still followed, it may finish
//   completed   media is available (terminal)
//   failed      failed for good: attempts exhausted or the provider refused it (terminal, alerted)
//
// One live (pending/enqueued/processing/stalled) composition per room, enforced by a unique
// partial index, not only by the workers.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/ids.h"
#include "video/provider.h"

namespace roomplane::compositions {

enum class Status { kPending, kEnqueued, kProcessing, kStalled, kCompleted, kFailed };

// "pending", "enqueued", ...: the public and stored spelling.
std::string_view to_string(Status status);
std::optional<Status> status_from_string(std::string_view text);
inline bool is_terminal(Status s) {
  return s == Status::kCompleted || s == Status::kFailed;
}

struct Composition {
  core::TenantId tenant_id;
  core::CompositionId id;
  core::RoomId room_id;
  std::string provider_room_sid;
  std::optional<std::string> provider_composition_sid;  // the current attempt's, once created
  Status status = Status::kPending;
  int progress_percent = 0;
  video::CompositionLayout layout = video::CompositionLayout::kGrid;
  video::CompositionFormat format = video::CompositionFormat::kMp4;
  std::int64_t recorded_duration_seconds = 0;  // the room's duration: sets the deadline
  // Attempts started at the provider so far (each failed one is retried with backoff until the
  // configured maximum).
  int attempts = 0;
  std::string error;                          // the last failure, for people
  std::optional<std::string> media_location;  // provider's media reference once completed
  std::optional<std::int64_t> size_bytes;
  std::optional<std::int64_t> duration_seconds;
  std::optional<core::TimePoint> deadline_at;  // set when the provider accepts an attempt
  core::TimePoint next_attempt_at{};           // when a worker should look at it next
  core::TimePoint created_at{};
  core::TimePoint updated_at{};
  std::optional<core::TimePoint> started_at;  // the provider accepted the current attempt
  std::optional<core::TimePoint> stalled_at;
  std::optional<core::TimePoint> completed_at;
  std::optional<core::TimePoint> failed_at;
};

video::CompositionLayout layout_from_setting(std::string_view text);  // "audio_only" or grid
video::CompositionFormat format_from_setting(std::string_view text);  // "webm" or mp4

}  // namespace roomplane::compositions
