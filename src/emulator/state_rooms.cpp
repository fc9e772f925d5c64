// State: rooms, participants, tracks, recordings and recording rules, and what participants'
// SDKs do through the control API.

#include <algorithm>

#include "emulator/params.h"
#include "emulator/state.h"
#include "emulator/twilio_error.h"

namespace roomplane::emulator {
namespace {

// Recordings' `offset` counts milliseconds from an arbitrary point shared by all rooms; the
// emulator uses 2015-01-01T00:00:00Z.
constexpr std::int64_t kVideoEpochUnixSeconds = 1'420'070'400;

// Fake media rates for recording sizes: 32 kbit/s audio, 500 kbit/s video.
constexpr std::int64_t kAudioBytesPerSecond = 4'000;
constexpr std::int64_t kVideoBytesPerSecond = 62'500;

bool in_window(core::TimePoint t, const std::optional<core::TimePoint>& after,
               const std::optional<core::TimePoint>& before) {
  return (!after || t >= *after) && (!before || t < *before);
}

core::Error room_not_found(std::string_view name_or_sid) {
  return resource_not_found("/Rooms/" + std::string(name_or_sid));
}

// Twilio's identity rules on connect; nullopt when the identity is acceptable.
std::optional<core::Error> validate_identity(std::string_view identity) {
  if (identity.empty())
    return twilio_error(core::ErrorKind::kInvalidArgument, kErrIdentityInvalid,
                        "Participant identity is invalid");
  if (identity.size() > kMaxNameLength)
    return twilio_error(core::ErrorKind::kInvalidArgument, kErrIdentityTooLong,
                        "Participant identity is too long");
  if (!is_clean_utf8(identity))
    return twilio_error(core::ErrorKind::kInvalidArgument, kErrIdentityChars,
                        "Participant identity contains invalid characters");
  return std::nullopt;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Rooms

core::Result<Room> State::create_room(const std::string& account_sid, Room spec) {
  Lock lock(mutex_);
  const auto now = clock_.now();
  if (account_locked(account_sid) == nullptr)
    return core::Error::internal("unknown account");
  if (!spec.unique_name.empty()) {
    for (const auto& [sid, room] : rooms_) {
      if (room.account_sid == account_sid && room.in_progress() &&
          room.unique_name == spec.unique_name)
        return twilio_error(core::ErrorKind::kInvalidArgument, kErrRoomExists, "Room exists");
    }
  }
  Room room = std::move(spec);
  room.seq = next_seq();
  room.sid = new_sid("RM");
  room.account_sid = account_sid;
  if (room.unique_name.empty())
    room.unique_name = room.sid;
  room.status = "in-progress";
  room.date_created = room.date_updated = now;
  room.rules_date_created = room.rules_date_updated = now;
  if (room.record_participants_on_connect && room.recording_rules.empty())
    room.recording_rules = nlohmann::json::array({{{"type", "include"}, {"all", true}}});
  Room& stored = rooms_.emplace(room.sid, std::move(room)).first->second;
  emit_room_event(stored, "room-created", now);
  update_gauges_locked();
  logger_.debug("emulator_room_created", {{"room_sid", stored.sid}, {"account_sid", account_sid}});
  return stored;
}

core::Result<Room> State::find_room(const std::string& account_sid,
                                    std::string_view name_or_sid) const {
  Lock lock(mutex_);
  const Room* room = room_locked(account_sid, name_or_sid);
  if (room == nullptr)
    return room_not_found(name_or_sid);
  return *room;
}

std::vector<Room> State::list_rooms(const std::string& account_sid,
                                    const RoomFilter& filter) const {
  Lock lock(mutex_);
  std::vector<Room> out;
  for (const auto& [sid, room] : rooms_) {
    if (room.account_sid != account_sid)
      continue;
    if (filter.status && room.status != *filter.status)
      continue;
    if (filter.unique_name && room.unique_name != *filter.unique_name)
      continue;
    if (!in_window(room.date_created, filter.created_after, filter.created_before))
      continue;
    out.push_back(room);
  }
  std::sort(out.begin(), out.end(), [](const Room& a, const Room& b) { return a.seq > b.seq; });
  return out;
}

core::Result<Room> State::complete_room(const std::string& account_sid,
                                        std::string_view name_or_sid) {
  Lock lock(mutex_);
  const auto now = clock_.now();
  Room* room = room_locked(account_sid, name_or_sid);
  if (room == nullptr)
    return room_not_found(name_or_sid);
  if (!room->in_progress())
    return twilio_error(core::ErrorKind::kInvalidArgument, kErrRoomStatus,
                        "Status is invalid: the room is not in-progress");
  end_room_locked(*room, now, "completed_by_api");
  update_gauges_locked();
  return *room;
}

void State::end_room_locked(Room& room, core::TimePoint now, std::string reason) {
  std::vector<std::string> stopped;
  for (const auto& sid : room.participant_sids) {
    auto& p = participants_.at(sid);
    if (p.connected())
      disconnect_locked(room, p, now, stopped);
  }
  complete_recordings_locked(room, stopped, now);
  room.status = "completed";
  room.end_time = now;
  room.date_updated = now;
  room.empty_since.reset();
  room.end_reason = std::move(reason);
  emit_room_event(room, "room-ended", now,
                  {{"RoomDuration", std::to_string(room.duration_seconds())}});
  logger_.debug("emulator_room_ended", {{"room_sid", room.sid}, {"reason", room.end_reason}});
  run_hooks_locked(room, now);
}

// ---------------------------------------------------------------------------------------------
// Participants and tracks

void State::disconnect_locked(Room& room, Participant& p, core::TimePoint now,
                              std::vector<std::string>& stopped) {
  const auto track_sids = p.track_sids;  // unpublish_locked edits the list
  for (const auto& sid : track_sids)
    unpublish_locked(room, p, tracks_.at(sid), now, stopped);
  p.status = "disconnected";
  p.end_time = now;
  p.date_updated = now;
  emit_participant_event(room, p, "participant-disconnected", now);
}

void State::unpublish_locked(Room& room, Participant& p, Track& t, core::TimePoint now,
                             std::vector<std::string>& stopped) {
  t.published = false;
  t.date_updated = now;
  std::erase(p.track_sids, t.sid);
  emit_track_event(room, p, t, "track-removed", now);
  if (t.recording_sid) {
    stopped.push_back(*t.recording_sid);
    t.recording_sid.reset();
  }
}

void State::after_participant_left_locked(Room& room, core::TimePoint now) {
  const bool anyone =
      std::any_of(room.participant_sids.begin(), room.participant_sids.end(),
                  [&](const std::string& sid) { return participants_.at(sid).connected(); });
  if (!anyone && room.in_progress())
    room.empty_since = now;
}

core::Result<std::vector<Participant>> State::list_participants(
    const std::string& account_sid, std::string_view room_ref,
    const ParticipantFilter& filter) const {
  Lock lock(mutex_);
  const Room* room = room_locked(account_sid, room_ref);
  if (room == nullptr)
    return room_not_found(room_ref);
  // Twilio lists connected participants of an in-progress room unless asked otherwise.
  std::optional<std::string> status = filter.status;
  if (!status && room->in_progress())
    status = "connected";
  std::vector<Participant> out;
  for (const auto& sid : room->participant_sids) {
    const auto& p = participants_.at(sid);
    if (status && p.status != *status)
      continue;
    if (filter.identity && p.identity != *filter.identity)
      continue;
    if (!in_window(p.date_created, filter.created_after, filter.created_before))
      continue;
    out.push_back(p);
  }
  return out;
}

core::Result<Participant> State::find_participant(const std::string& account_sid,
                                                  std::string_view room_ref,
                                                  std::string_view identity_or_sid) const {
  Lock lock(mutex_);
  const Room* room = room_locked(account_sid, room_ref);
  if (room == nullptr)
    return room_not_found(room_ref);
  const Participant* p = participant_locked(*room, identity_or_sid);
  if (p == nullptr)
    return resource_not_found("/Rooms/" + room->sid + "/Participants/" +
                              std::string(identity_or_sid));
  return *p;
}

core::Result<Participant> State::kick_participant(const std::string& account_sid,
                                                  std::string_view room_ref,
                                                  std::string_view identity_or_sid) {
  Lock lock(mutex_);
  const auto now = clock_.now();
  Room* room = room_locked(account_sid, room_ref);
  if (room == nullptr)
    return room_not_found(room_ref);
  Participant* p = participant_locked(*room, identity_or_sid);
  if (p == nullptr)
    return resource_not_found("/Rooms/" + room->sid + "/Participants/" +
                              std::string(identity_or_sid));
  if (p->connected()) {
    std::vector<std::string> stopped;
    disconnect_locked(*room, *p, now, stopped);
    complete_recordings_locked(*room, stopped, now);
    after_participant_left_locked(*room, now);
    update_gauges_locked();
  }
  return *p;
}

core::Result<std::vector<Track>> State::list_published_tracks(const std::string& account_sid,
                                                              std::string_view room_ref,
                                                              std::string_view participant) const {
  Lock lock(mutex_);
  const Room* room = room_locked(account_sid, room_ref);
  if (room == nullptr)
    return room_not_found(room_ref);
  const Participant* p = participant_locked(*room, participant);
  if (p == nullptr)
    return resource_not_found("/Rooms/" + room->sid + "/Participants/" + std::string(participant));
  std::vector<Track> out;
  for (const auto& sid : p->track_sids)
    out.push_back(tracks_.at(sid));
  return out;
}

core::Result<Track> State::find_published_track(const std::string& account_sid,
                                                std::string_view room_ref,
                                                std::string_view participant,
                                                std::string_view track_sid) const {
  Lock lock(mutex_);
  const Room* room = room_locked(account_sid, room_ref);
  if (room == nullptr)
    return room_not_found(room_ref);
  const Participant* p = participant_locked(*room, participant);
  if (p == nullptr)
    return resource_not_found("/Rooms/" + room->sid + "/Participants/" + std::string(participant));
  for (const auto& sid : p->track_sids) {
    const auto& t = tracks_.at(sid);
    if (t.sid == track_sid || t.name == track_sid)
      return t;
  }
  return resource_not_found("/Rooms/" + room->sid + "/Participants/" + p->sid +
                            "/PublishedTracks/" + std::string(track_sid));
}

// ---------------------------------------------------------------------------------------------
// Recordings

void State::start_recording_locked(Room& room, const Participant& p, Track& t,
                                   core::TimePoint now) {
  Recording r;
  r.seq = next_seq();
  r.sid = new_sid("RT");
  r.account_sid = room.account_sid;
  r.room_sid = room.sid;
  r.participant_sid = p.sid;
  r.participant_identity = p.identity;
  r.source_sid = t.sid;
  r.track_name = t.name.empty() ? t.sid : t.name;
  r.type = t.kind;
  if (t.kind == "audio") {
    r.container_format = "mka";
    r.codec = "OPUS";
  } else {
    r.container_format = "mkv";
    r.codec = room.video_codecs.empty() ? "VP8" : room.video_codecs.front();
  }
  r.date_created = r.date_updated = now;
  r.offset = (core::to_unix_seconds(now) - kVideoEpochUnixSeconds) * 1000;
  r.status_callback = room.status_callback;
  r.status_callback_method = room.status_callback_method;
  t.recording_sid = r.sid;
  const Recording& stored = recordings_.emplace(r.sid, std::move(r)).first->second;
  emit_recording_event(room, stored, "recording-started", now);
}

void State::complete_recordings_locked(Room& room, const std::vector<std::string>& recording_sids,
                                       core::TimePoint now) {
  for (const auto& sid : recording_sids) {
    auto it = recordings_.find(sid);
    if (it == recordings_.end() || it->second.status != "processing")
      continue;
    Recording& r = it->second;
    r.status = "completed";
    r.date_updated = now;
    r.duration = std::max<std::int64_t>(
        1, core::to_unix_seconds(now) - core::to_unix_seconds(r.date_created));
    r.size = r.duration * (r.type == "audio" ? kAudioBytesPerSecond : kVideoBytesPerSecond);
    emit_recording_event(room, r, "recording-completed", now);
  }
}

void State::apply_recording_rules_locked(Room& room, core::TimePoint now) {
  std::vector<std::string> stopped;
  for (const auto& psid : room.participant_sids) {
    const auto& p = participants_.at(psid);
    if (!p.connected())
      continue;
    for (const auto& tsid : p.track_sids) {
      auto& t = tracks_.at(tsid);
      const bool record =
          room.is_group() && t.kind != "data" &&
          rules_record_track(room.recording_rules, p.sid, p.identity, t.sid, t.name, t.kind);
      if (record && !t.recording_sid) {
        start_recording_locked(room, p, t, now);
      } else if (!record && t.recording_sid) {
        stopped.push_back(*t.recording_sid);
        t.recording_sid.reset();
      }
    }
  }
  complete_recordings_locked(room, stopped, now);
}

core::Result<std::vector<Recording>> State::list_recordings(const std::string& account_sid,
                                                            const RecordingFilter& filter) const {
  Lock lock(mutex_);
  std::optional<std::string> room_sid;
  if (filter.room_sid) {
    const Room* room = room_locked(account_sid, *filter.room_sid);
    if (room == nullptr)
      return room_not_found(*filter.room_sid);
    room_sid = room->sid;
  }
  std::vector<Recording> out;
  for (const auto& [sid, r] : recordings_) {
    if (r.account_sid != account_sid || (room_sid && r.room_sid != *room_sid))
      continue;
    if (filter.status && r.status != *filter.status)
      continue;
    if (filter.source_sid && r.source_sid != *filter.source_sid)
      continue;
    if (filter.media_type && r.type != *filter.media_type)
      continue;
    const bool grouped = std::all_of(
        filter.grouping_sids.begin(), filter.grouping_sids.end(),
        [&](const std::string& g) { return g == r.room_sid || g == r.participant_sid; });
    if (!grouped || !in_window(r.date_created, filter.created_after, filter.created_before))
      continue;
    out.push_back(r);
  }
  std::sort(out.begin(), out.end(),
            [](const Recording& a, const Recording& b) { return a.seq > b.seq; });
  return out;
}

core::Result<Recording> State::find_recording(const std::string& account_sid,
                                              const std::optional<std::string>& room,
                                              std::string_view sid) const {
  Lock lock(mutex_);
  std::string prefix;
  std::optional<std::string> room_sid;
  if (room) {
    const Room* r = room_locked(account_sid, *room);
    if (r == nullptr)
      return room_not_found(*room);
    room_sid = r->sid;
    prefix = "/Rooms/" + r->sid;
  }
  const auto it = recordings_.find(sid);
  if (it == recordings_.end() || it->second.account_sid != account_sid ||
      (room_sid && it->second.room_sid != *room_sid))
    return resource_not_found(prefix + "/Recordings/" + std::string(sid));
  return it->second;
}

core::Status State::delete_recording(const std::string& account_sid,
                                     const std::optional<std::string>& room, std::string_view sid) {
  Lock lock(mutex_);
  const auto now = clock_.now();
  std::string prefix;
  std::optional<std::string> room_sid;
  if (room) {
    const Room* r = room_locked(account_sid, *room);
    if (r == nullptr)
      return room_not_found(*room);
    room_sid = r->sid;
    prefix = "/Rooms/" + r->sid;
  }
  const auto it = recordings_.find(sid);
  if (it == recordings_.end() || it->second.account_sid != account_sid ||
      (room_sid && it->second.room_sid != *room_sid))
    return resource_not_found(prefix + "/Recordings/" + std::string(sid));
  if (it->second.status == "processing")
    return invalid_parameter("Recording " + it->second.sid +
                             " is still processing and cannot be deleted");
  it->second.status = "deleted";
  it->second.date_updated = now;
  return {};
}

core::Result<RecordingRules> State::recording_rules(const std::string& account_sid,
                                                    std::string_view room_ref) const {
  Lock lock(mutex_);
  const Room* room = room_locked(account_sid, room_ref);
  if (room == nullptr)
    return room_not_found(room_ref);
  return RecordingRules{room->sid, room->recording_rules, room->rules_date_created,
                        room->rules_date_updated};
}

core::Result<RecordingRules> State::set_recording_rules(const std::string& account_sid,
                                                        std::string_view room_ref,
                                                        nlohmann::json rules) {
  Lock lock(mutex_);
  const auto now = clock_.now();
  Room* room = room_locked(account_sid, room_ref);
  if (room == nullptr)
    return room_not_found(room_ref);
  if (!room->in_progress())
    return twilio_error(core::ErrorKind::kInvalidArgument, kErrRoomCompleted, "Room completed");
  if (!room->is_group())
    return twilio_error(core::ErrorKind::kInvalidArgument, kErrRoomTypeIncompatible,
                        "Recording rules need a group room");
  room->recording_rules = std::move(rules);
  room->rules_date_updated = now;
  apply_recording_rules_locked(*room, now);
  return RecordingRules{room->sid, room->recording_rules, room->rules_date_created,
                        room->rules_date_updated};
}

// ---------------------------------------------------------------------------------------------
// Control API: what participants' SDKs do

core::Result<Participant> State::connect(const ConnectRequest& request) {
  Lock lock(mutex_);
  const auto now = clock_.now();
  auto found = any_room_locked(request.room);
  if (!found.ok())
    return found.error();
  Room& room = *found.value();
  if (!room.in_progress())
    return twilio_error(core::ErrorKind::kInvalidArgument, kErrRoomCompleted, "Room completed");

  std::string identity;
  if (request.token) {
    const auto verified =
        verifier_.verify(*request.token, now, tokens::RoomBeingJoined{room.unique_name, room.sid});
    if (!verified.ok()) {
      const auto& e = verified.error();
      return twilio_error(e.error.kind, e.twilio_code, e.error.message);
    }
    if (verified->account_sid != room.account_sid)
      return twilio_error(core::ErrorKind::kUnauthenticated, tokens::kTwilioInvalidIssuer,
                          "The access token belongs to another account than the room");
    if (request.identity && *request.identity != verified->identity)
      return twilio_error(core::ErrorKind::kInvalidArgument, kErrIdentityInvalid,
                          "identity differs from the access token's identity");
    identity = verified->identity;
  } else if (request.identity) {
    identity = *request.identity;
  }
  if (auto e = validate_identity(identity))
    return std::move(*e);

  auto joined = connect_locked(room, identity, now);
  if (!joined.ok())
    return joined.error();
  update_gauges_locked();
  return *joined.value();
}

core::Result<Participant*> State::connect_locked(Room& room, const std::string& identity,
                                                 core::TimePoint now) {
  Participant* previous = nullptr;
  int connected = 0;
  for (const auto& sid : room.participant_sids) {
    auto& p = participants_.at(sid);
    if (!p.connected())
      continue;
    if (p.identity == identity)
      previous = &p;
    else
      ++connected;
  }
  if (connected >= room.max_participants)
    return twilio_error(core::ErrorKind::kInvalidArgument, kErrRoomFull,
                        "Room has too many participants");
  if (previous != nullptr) {
    // Twilio: the earlier connection is disconnected (53205) when the identity joins again.
    std::vector<std::string> stopped;
    disconnect_locked(room, *previous, now, stopped);
    complete_recordings_locked(room, stopped, now);
  }
  Participant p;
  p.seq = next_seq();
  p.sid = new_sid("PA");
  p.room_sid = room.sid;
  p.account_sid = room.account_sid;
  p.identity = identity;
  p.date_created = p.date_updated = p.start_time = now;
  room.participant_sids.push_back(p.sid);
  room.ever_joined = true;
  room.empty_since.reset();
  Participant& stored = participants_.emplace(p.sid, std::move(p)).first->second;
  emit_participant_event(room, stored, "participant-connected", now);
  return &stored;
}

core::Result<Participant> State::disconnect(std::string_view room_ref,
                                            std::string_view identity_or_sid) {
  Lock lock(mutex_);
  const auto now = clock_.now();
  auto found = any_room_locked(room_ref);
  if (!found.ok())
    return found.error();
  Room& room = *found.value();
  Participant* p = participant_locked(room, identity_or_sid);
  if (p == nullptr)
    return twilio_error(core::ErrorKind::kNotFound, kErrParticipantNotFound,
                        "Participant not found");
  if (p->connected()) {
    std::vector<std::string> stopped;
    disconnect_locked(room, *p, now, stopped);
    complete_recordings_locked(room, stopped, now);
    after_participant_left_locked(room, now);
    update_gauges_locked();
  }
  return *p;
}

core::Result<Track> State::publish_track(std::string_view room_ref, std::string_view participant,
                                         std::string_view kind, std::optional<std::string> name) {
  Lock lock(mutex_);
  const auto now = clock_.now();
  auto found = any_room_locked(room_ref);
  if (!found.ok())
    return found.error();
  Room& room = *found.value();
  if (!room.in_progress())
    return twilio_error(core::ErrorKind::kInvalidArgument, kErrRoomCompleted, "Room completed");
  Participant* p = participant_locked(room, participant);
  if (p == nullptr || !p->connected())
    return twilio_error(core::ErrorKind::kNotFound, kErrParticipantNotFound,
                        "Participant not found");
  if (kind != "audio" && kind != "video" && kind != "data")
    return twilio_error(core::ErrorKind::kInvalidArgument, kErrTrackInvalid,
                        "Track is invalid: kind must be audio, video or data");
  if (kind == "video" && room.audio_only)
    return twilio_error(core::ErrorKind::kInvalidArgument, kErrTrackInvalid,
                        "Track is invalid: the room is audio-only");
  if (name) {
    if (name->empty() || !is_clean_utf8(*name))
      return twilio_error(core::ErrorKind::kInvalidArgument, kErrTrackNameInvalid,
                          "Track name is invalid");
    if (name->size() > kMaxNameLength)
      return twilio_error(core::ErrorKind::kInvalidArgument, kErrTrackNameTooLong,
                          "Track name is too long");
    if (published_track_locked(*p, *name) != nullptr)
      return twilio_error(core::ErrorKind::kInvalidArgument, kErrTrackNameDuplicated,
                          "Track name is duplicated");
  }
  Track t;
  t.seq = next_seq();
  t.sid = new_sid("MT");
  t.participant_sid = p->sid;
  t.room_sid = room.sid;
  t.name = name ? *name : t.sid;  // the SDKs name unnamed tracks by their id
  t.kind = std::string(kind);
  t.date_created = t.date_updated = now;
  p->track_sids.push_back(t.sid);
  Track& stored = tracks_.emplace(t.sid, std::move(t)).first->second;
  emit_track_event(room, *p, stored, "track-added", now);
  if (room.is_group() && stored.kind != "data" &&
      rules_record_track(room.recording_rules, p->sid, p->identity, stored.sid, stored.name,
                         stored.kind))
    start_recording_locked(room, *p, stored, now);
  return stored;
}

core::Result<Track> State::unpublish_track(std::string_view room_ref, std::string_view participant,
                                           std::string_view track_sid_or_name) {
  Lock lock(mutex_);
  const auto now = clock_.now();
  auto found = any_room_locked(room_ref);
  if (!found.ok())
    return found.error();
  Room& room = *found.value();
  Participant* p = participant_locked(room, participant);
  if (p == nullptr || !p->connected())
    return twilio_error(core::ErrorKind::kNotFound, kErrParticipantNotFound,
                        "Participant not found");
  Track* t = published_track_locked(*p, track_sid_or_name);
  if (t == nullptr)
    return twilio_error(core::ErrorKind::kNotFound, kErrNotFound, "Track not found");
  std::vector<std::string> stopped;
  unpublish_locked(room, *p, *t, now, stopped);
  complete_recordings_locked(room, stopped, now);
  return *t;
}

core::Result<Track> State::set_track_enabled(std::string_view room_ref,
                                             std::string_view participant,
                                             std::string_view track_sid_or_name, bool enabled) {
  Lock lock(mutex_);
  const auto now = clock_.now();
  auto found = any_room_locked(room_ref);
  if (!found.ok())
    return found.error();
  Room& room = *found.value();
  Participant* p = participant_locked(room, participant);
  if (p == nullptr || !p->connected())
    return twilio_error(core::ErrorKind::kNotFound, kErrParticipantNotFound,
                        "Participant not found");
  Track* t = published_track_locked(*p, track_sid_or_name);
  if (t == nullptr)
    return twilio_error(core::ErrorKind::kNotFound, kErrNotFound, "Track not found");
  if (t->enabled != enabled) {
    t->enabled = enabled;
    t->date_updated = now;
    emit_track_event(room, *p, *t, enabled ? "track-enabled" : "track-disabled", now);
  }
  return *t;
}

}  // namespace roomplane::emulator
