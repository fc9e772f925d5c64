#pragma once
// The video provider seam: everything Roomplane asks of the service that carries the media
// (rooms, participants, recording, compositions), in provider-neutral terms. Twilio is one
// adapter (twilio/rest_client.h); a second provider is a second adapter. Nothing here names a
// vendor, and this header includes no vendor header.
//
// Contract common to every method:
//  - Blocking: each call makes one or more network round trips (with the adapter's retries).
//    Call from worker threads, never from an I/O thread.
//  - Thread-safe: one provider instance serves every tenant and thread concurrently.
//  - Credentials are passed per call and never stored: the provider holds no tenant state.
//  - Never throws; failures are core::Error values:
//      kNotFound        the room / participant / composition does not exist (or is not
//                       addressable that way any more, e.g. a completed room by unique name)
//      kInvalidArgument the provider rejected a parameter
//      kConflict        the object is in a state that forbids the operation (a unique name
//                       already used by an in-progress room, a room that already ended)
//      kUnauthenticated the provider rejected the credentials (the tenant's provider
//                       credentials are wrong, not the caller's API key: a handler must not
//                       pass this kind through to its own client as is)
//      kForbidden       the credentials are valid but lack permission
//      kRateLimited     the provider throttled us (or a quota was hit) even after retrying
//      kUnavailable     network failure (code "network_error"), timeout (code "timeout"), the
//                       provider's 5xx, or a response the adapter could not understand
//                       (code "provider_bad_response")
//    `upstream_code` carries the provider's own numeric error code when it gave one (for
//    Twilio: 20404, 53113, ...), else 0. Messages never contain credentials.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"

namespace roomplane::video {

// One tenant's provider account. Opaque to the domain: loaded from the tenant's (encrypted)
// settings and handed to each call. The secret must never be logged.
struct ProviderCredentials {
  std::string account_sid;
  std::string api_key_sid;
  std::string api_key_secret;
};

enum class RoomType { kGroup, kGroupSmall, kPeerToPeer, kGo };
enum class RoomStatus { kInProgress, kCompleted, kFailed };
enum class ParticipantStatus { kConnected, kDisconnected, kReconnecting };
enum class CompositionLayout {
  kGrid,       // every participant's video in a grid, with all audio
  kAudioOnly,  // all audio, no video
};
enum class CompositionFormat { kMp4, kWebm };
enum class CompositionStatus { kEnqueued, kProcessing, kCompleted, kFailed, kDeleted };

// Stable lower-case names ("group_small", "in_progress", ...), for logs and storage.
std::string_view to_string(RoomType type);
std::string_view to_string(RoomStatus status);
std::string_view to_string(ParticipantStatus status);
std::string_view to_string(CompositionLayout layout);
std::string_view to_string(CompositionFormat format);
std::string_view to_string(CompositionStatus status);

struct RoomSpec {
  // The provider-side name; unique among the account's in-progress rooms. Also the idempotency
  // key of create_room: only a create with a unique name can be retried safely.
  std::string unique_name;
  RoomType type = RoomType::kGroup;
  std::optional<int> max_participants;
  bool record_participants_on_connect = false;
  std::optional<int> empty_room_timeout_minutes;
  std::optional<int> unused_room_timeout_minutes;
  std::string status_callback_url;  // where the provider sends room events; empty for none
};

struct RoomInfo {
  std::string sid;
  std::string unique_name;
  RoomStatus status = RoomStatus::kInProgress;
  RoomType type = RoomType::kGroup;
  int max_participants = 0;  // 0 when the provider did not say
  core::TimePoint created_at;
  std::optional<core::TimePoint> ended_at;
  std::optional<std::int64_t> duration_seconds;
};

struct ParticipantInfo {
  std::string sid;
  std::string room_sid;
  std::string identity;
  ParticipantStatus status = ParticipantStatus::kConnected;
  std::optional<core::TimePoint> connected_at;
  std::optional<core::TimePoint> disconnected_at;
  std::optional<std::int64_t> duration_seconds;
};

struct Resolution {
  int width = 0;
  int height = 0;
};

struct CompositionSpec {
  std::string room_sid;
  CompositionLayout layout = CompositionLayout::kGrid;
  CompositionFormat format = CompositionFormat::kMp4;
  std::optional<Resolution> resolution;  // provider default when absent
  std::string status_callback_url;       // empty for none
};

struct CompositionInfo {
  std::string sid;
  std::string room_sid;
  CompositionStatus status = CompositionStatus::kEnqueued;
  core::TimePoint created_at;
  std::optional<core::TimePoint> completed_at;
  std::optional<std::int64_t> duration_seconds;
  std::optional<std::int64_t> size_bytes;
  std::optional<std::string> media_external_location;  // set when media goes to own storage
};

class VideoProvider {
 public:
  virtual ~VideoProvider() = default;

  // Creates an in-progress room. kConflict when `spec.unique_name` is taken by an in-progress
  // room. When a transient failure leaves it unknown whether the room was created, the adapter
  // looks the name up before trying again, so a retried create never makes a second room: the
  // in-progress room with that name is returned instead.
  virtual core::Result<RoomInfo> create_room(const ProviderCredentials& credentials,
                                             const RoomSpec& spec) = 0;

  // A room by SID (any status) or by unique name (in-progress rooms only; else kNotFound).
  virtual core::Result<RoomInfo> fetch_room(const ProviderCredentials& credentials,
                                            std::string_view sid_or_unique_name) = 0;

  // Ends the room, disconnecting everyone, and returns its final state. Idempotent: a room that
  // already ended is returned as it is, not reported as an error.
  virtual core::Result<RoomInfo> complete_room(const ProviderCredentials& credentials,
                                               std::string_view room_sid) = 0;

  // Every currently connected participant of the room (all pages).
  virtual core::Result<std::vector<ParticipantInfo>> list_participants(
      const ProviderCredentials& credentials, std::string_view room_sid) = 0;

  // Removes a participant, addressed by identity or SID, and returns its final state.
  // Idempotent: a participant who already left is returned as it is (disconnected). kNotFound
  // when the room has no participant by that identity or SID; callers treat it as done.
  virtual core::Result<ParticipantInfo> disconnect_participant(
      const ProviderCredentials& credentials, std::string_view room_sid,
      std::string_view identity_or_sid) = 0;

  // Starts (record_all = true) or pauses (false) recording every track of the room. Idempotent.
  virtual core::Status update_recording_rules(const ProviderCredentials& credentials,
                                              std::string_view room_sid, bool record_all) = 0;

  // Queues a composition of the (usually completed) room's recordings. Like create_room, a
  // retry after a transient failure first looks for a composition of this spec that the failed
  // attempt may have created, and returns it instead of making a duplicate.
  virtual core::Result<CompositionInfo> create_composition(const ProviderCredentials& credentials,
                                                           const CompositionSpec& spec) = 0;

  virtual core::Result<CompositionInfo> fetch_composition(const ProviderCredentials& credentials,
                                                          std::string_view composition_sid) = 0;

  // Every composition of the room (all pages, any status, oldest first as the provider lists
  // them), so a worker can check whether one exists before creating another.
  virtual core::Result<std::vector<CompositionInfo>> list_compositions_for_room(
      const ProviderCredentials& credentials, std::string_view room_sid) = 0;

  // A short-lived URL the media of a completed composition can be downloaded from, valid for
  // about `ttl`. The URL itself is a bearer credential: hand it to the client, do not log it.
  virtual core::Result<std::string> composition_media_url(const ProviderCredentials& credentials,
                                                          std::string_view composition_sid,
                                                          std::chrono::seconds ttl) = 0;
};

}  // namespace roomplane::video
