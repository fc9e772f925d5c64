#include "realtime/notifier.h"

namespace roomplane::realtime {

const char* target_name(RoomEventKind kind) {
  switch (kind) {
    case RoomEventKind::kRoomUpdated:
      return "RoomUpdated";
    case RoomEventKind::kParticipantJoined:
      return "ParticipantJoined";
    case RoomEventKind::kParticipantLeft:
      return "ParticipantLeft";
    case RoomEventKind::kDominantSpeakerChanged:
      return "DominantSpeakerChanged";
    case RoomEventKind::kRecordingUpdated:
      return "RecordingUpdated";
    case RoomEventKind::kCompositionUpdated:
      return "CompositionUpdated";
  }
  return "RoomUpdated";
}

}  // namespace roomplane::realtime
