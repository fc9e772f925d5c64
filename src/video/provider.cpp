#include "video/provider.h"

namespace roomplane::video {

std::string_view to_string(RoomType type) {
  switch (type) {
    case RoomType::kGroup:
      return "group";
    case RoomType::kGroupSmall:
      return "group_small";
    case RoomType::kPeerToPeer:
      return "peer_to_peer";
    case RoomType::kGo:
      return "go";
  }
  return "unknown";
}

std::string_view to_string(RoomStatus status) {
  switch (status) {
    case RoomStatus::kInProgress:
      return "in_progress";
    case RoomStatus::kCompleted:
      return "completed";
    case RoomStatus::kFailed:
      return "failed";
  }
  return "unknown";
}

std::string_view to_string(ParticipantStatus status) {
  switch (status) {
    case ParticipantStatus::kConnected:
      return "connected";
    case ParticipantStatus::kDisconnected:
      return "disconnected";
    case ParticipantStatus::kReconnecting:
      return "reconnecting";
  }
  return "unknown";
}

std::string_view to_string(CompositionLayout layout) {
  switch (layout) {
    case CompositionLayout::kGrid:
      return "grid";
    case CompositionLayout::kAudioOnly:
      return "audio_only";
  }
  return "unknown";
}

std::string_view to_string(CompositionFormat format) {
  switch (format) {
    case CompositionFormat::kMp4:
      return "mp4";
    case CompositionFormat::kWebm:
      return "webm";
  }
  return "unknown";
}

std::string_view to_string(CompositionStatus status) {
  switch (status) {
    case CompositionStatus::kEnqueued:
      return "enqueued";
    case CompositionStatus::kProcessing:
      return "processing";
    case CompositionStatus::kCompleted:
      return "completed";
    case CompositionStatus::kFailed:
      return "failed";
    case CompositionStatus::kDeleted:
      return "deleted";
  }
  return "unknown";
}

}  // namespace roomplane::video
