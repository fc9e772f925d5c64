#include "rooms/room_json.h"

#include <algorithm>
#include <array>
#include <utility>
#include <vector>

namespace roomplane::rooms {
namespace {

using nlohmann::json;

constexpr std::array<std::pair<video::RoomType, std::string_view>, 4> kTypeNames{{
    {video::RoomType::kGroup, "group"},
    {video::RoomType::kGroupSmall, "group-small"},
    {video::RoomType::kPeerToPeer, "peer-to-peer"},
    {video::RoomType::kGo, "go"},
}};

template <class T>
json optional_json(const std::optional<T>& value) {
  return value ? json(*value) : json(nullptr);
}

json text_or_null(const std::string& text) {
  return text.empty() ? json(nullptr) : json(text);
}

json track_json(const TrackState& track) {
  return {{"sid", track.sid},
          {"kind", to_string(track.kind)},
          {"name", text_or_null(track.name)},
          {"enabled", track.enabled},
          {"status", track.removed ? "removed" : "published"},
          {"added_at", time_json(track.added_at)},
          {"removed_at", time_json(track.removed_at)}};
}

json recording_json(const RecordingState& recording) {
  return {{"sid", recording.sid},
          {"status", public_status(recording.status)},
          {"participant_sid", text_or_null(recording.participant_sid)},
          {"track_sid", text_or_null(recording.source_sid)},
          {"track_name", text_or_null(recording.track_name)},
          {"kind", to_string(recording.kind)},
          {"started_at", time_json(recording.started_at)},
          {"completed_at", time_json(recording.completed_at)},
          {"failed_at", time_json(recording.failed_at)},
          {"duration_seconds", optional_json(recording.duration_seconds)},
          {"size_bytes", optional_json(recording.size_bytes)},
          {"error", text_or_null(recording.error)}};
}

// The provider's media URI is left out on purpose: media is served through
// /v1/compositions/{id}/media with short-lived URLs, never by handing out provider paths.
json composition_json(const CompositionState& composition) {
  return {{"sid", composition.sid},
          {"status", to_string(composition.status)},
          {"progress_percent", composition.progress_percent},
          {"enqueued_at", time_json(composition.enqueued_at)},
          {"started_at", time_json(composition.started_at)},
          {"completed_at", time_json(composition.completed_at)},
          {"failed_at", time_json(composition.failed_at)},
          {"duration_seconds", optional_json(composition.duration_seconds)},
          {"size_bytes", optional_json(composition.size_bytes)},
          {"error", text_or_null(composition.error)}};
}

}  // namespace

std::string_view public_type_name(video::RoomType type) {
  for (const auto& [value, name] : kTypeNames) {
    if (value == type)
      return name;
  }
  return "group";
}

std::optional<video::RoomType> room_type_from_public(std::string_view name) {
  for (const auto& [value, text] : kTypeNames) {
    if (text == name)
      return value;
  }
  return std::nullopt;
}

json time_json(const std::optional<core::TimePoint>& at) {
  return at ? json(core::to_rfc3339(*at)) : json(nullptr);
}

std::string_view public_status(RecordingStatus status) {
  switch (status) {
    case RecordingStatus::kStarted:
      return "processing";  // Twilio's word for a recording still being written
    case RecordingStatus::kCompleted:
      return "completed";
    case RecordingStatus::kFailed:
      return "failed";
  }
  return "processing";
}

json room_json(const Room& room) {
  std::optional<std::int64_t> duration;
  if (room.started_at && room.ended_at) {
    duration =
        std::chrono::duration_cast<std::chrono::seconds>(*room.ended_at - *room.started_at).count();
  }
  return {{"id", room.id.value()},
          {"name", room.name},
          {"type", public_type_name(room.type)},
          {"status", to_string(room.status)},
          {"max_participants", optional_json(room.max_participants)},
          {"record", room.record},
          {"recording", room.recording},
          {"empty_room_timeout_minutes", optional_json(room.empty_room_timeout_minutes)},
          {"provider_room_sid", optional_json(room.provider_room_sid)},
          {"end_reason", text_or_null(room.end_reason)},
          {"created_at", core::to_rfc3339(room.created_at)},
          {"updated_at", core::to_rfc3339(room.updated_at)},
          {"started_at", time_json(room.started_at)},
          {"ended_at", time_json(room.ended_at)},
          {"duration_seconds", optional_json(duration)}};
}

json participant_json(const ParticipantState& participant) {
  json tracks = json::array();
  for (const auto& [sid, track] : participant.tracks)
    tracks.push_back(track_json(track));
  return {{"sid", participant.sid},
          {"identity", participant.identity},
          {"status", to_string(participant.status)},
          {"connected_at", time_json(participant.connected_at)},
          {"disconnected_at", time_json(participant.disconnected_at)},
          {"duration_seconds", optional_json(participant.duration_seconds)},
          {"tracks", std::move(tracks)}};
}

json room_view_json(const RoomView& view) {
  json out = room_json(view.room);
  // Oldest connection first: the order a reader expects, and stable for equal times by SID.
  std::vector<const ParticipantState*> participants;
  for (const auto& [sid, participant] : view.state.participants)
    participants.push_back(&participant);
  std::stable_sort(participants.begin(), participants.end(), [](const auto* a, const auto* b) {
    return a->connected_at.value_or(core::TimePoint::max()) <
           b->connected_at.value_or(core::TimePoint::max());
  });
  json list = json::array();
  std::size_t connected = 0;
  for (const auto* participant : participants) {
    list.push_back(participant_json(*participant));
    if (participant->status == ParticipantStatus::kConnected)
      ++connected;
  }
  out["participants"] = std::move(list);
  out["connected_participants"] = connected;
  json recordings = json::array();
  for (const auto& [sid, recording] : view.state.recordings)
    recordings.push_back(recording_json(recording));
  out["recordings"] = std::move(recordings);
  json compositions = json::array();
  for (const auto& [sid, composition] : view.state.compositions)
    compositions.push_back(composition_json(composition));
  out["compositions"] = std::move(compositions);
  return out;
}

json composition_jobs_json(std::span<const RoomCompositionJob> jobs) {
  json out = json::array();
  for (const auto& job : jobs)
    out.push_back(job.rendered);
  return out;
}

json room_detail_json(const RoomView& view, std::span<const RoomCompositionJob> composition_jobs) {
  json out = room_view_json(view);
  out["composition_jobs"] = composition_jobs_json(composition_jobs);
  return out;
}

}  // namespace roomplane::rooms
