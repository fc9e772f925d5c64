#include "rooms/report.h"

#include <algorithm>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "rooms/room_json.h"

namespace roomplane::rooms {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

// Timeline ranks: the order of events that share an instant (see report.h).
enum class Rank {
  kRoomStarted,
  kParticipantJoined,
  kRecordingStarted,
  kSpeakerChanged,
  kParticipantLeft,
  kRecordingCompleted,
  kRecordingFailed,
  kRoomEnded,
  kCompositionEnqueued,
  kCompositionStarted,
  kCompositionCompleted,
  kCompositionFailed,
  kCompositionHookFailed,
};

struct TimelineEntry {
  core::TimePoint at;
  Rank rank;
  std::string tie;  // a SID, so equal instants still sort the same way every time
  json body;
};

double seconds_of(milliseconds ms) {
  return static_cast<double>(ms.count()) / 1000.0;
}

milliseconds span_between(core::TimePoint from, core::TimePoint to) {
  return to > from ? std::chrono::duration_cast<milliseconds>(to - from) : milliseconds(0);
}

json text_or_null(const std::string& text) {
  return text.empty() ? json(nullptr) : json(text);
}

struct Session {
  const ParticipantState* participant = nullptr;
  std::optional<core::TimePoint> start;
  core::TimePoint end;  // its disconnect, the room's end, or the report's horizon
  bool open = false;    // still connected
  milliseconds connected{0};
};

struct PerIdentity {
  std::vector<Session> sessions;
  milliseconds connected{0};
  milliseconds speaking{0};
  std::optional<core::TimePoint> first_joined;
  std::optional<core::TimePoint> last_left;
  bool connected_now = false;
};

std::string recording_outcome(int total, int completed, int failed) {
  if (total == 0)
    return "none";
  if (completed + failed < total)
    return "in_progress";
  if (failed == 0)
    return "completed";
  return completed == 0 ? "failed" : "partial";
}

using JobStatus = RoomCompositionJob::Status;

// A live job's status as the report (and GET /v1/compositions/{id}) spells it.
const char* live_status_text(JobStatus status) {
  switch (status) {
    case JobStatus::kPending:
      return "pending";
    case JobStatus::kEnqueued:
      return "enqueued";
    case JobStatus::kProcessing:
      return "processing";
    case JobStatus::kStalled:
      return "stalled";
    case JobStatus::kCompleted:
    case JobStatus::kFailed:
      break;
  }
  return nullptr;  // finished: not live
}

struct CompositionOutcome {
  std::string status;
  json error;  // what failed, when status is "failed"
};

// The rule is in report.h. Roomplane's job is the source of truth; the provider's callbacks
// decide only for a room without one.
CompositionOutcome composition_outcome(const RoomState& state,
                                       std::span<const RoomCompositionJob> jobs) {
  bool any_completed = false;
  bool any_processing = false;
  bool any_enqueued = false;
  const CompositionState* failed = nullptr;
  for (const auto& [sid, composition] : state.compositions) {
    any_completed |= composition.status == CompositionStatus::kCompleted;
    any_processing |= composition.status == CompositionStatus::kProcessing;
    any_enqueued |= composition.status == CompositionStatus::kEnqueued;
    // The latest failure's error, when it comes to that.
    if (composition.status == CompositionStatus::kFailed &&
        (failed == nullptr || composition.failed_at > failed->failed_at))
      failed = &composition;
  }
  for (const auto& job : jobs)
    any_completed |= job.status == JobStatus::kCompleted;
  // A completed composition is the outcome even if an earlier attempt failed.
  if (any_completed)
    return {"completed", nullptr};
  // At most one job is live (the database enforces it): it says what happens now. A provider
  // callback reporting progress is a moment ahead of the tracker, which agrees on its next look.
  for (const auto& job : jobs) {
    if (job.status == JobStatus::kEnqueued && any_processing)
      return {"processing", nullptr};
    if (const char* live = live_status_text(job.status))
      return {live, nullptr};
  }
  // Roomplane gave up on the room's composition, whether or not the provider ever called back.
  for (const auto& job : jobs) {  // newest first: the newest failure's error
    if (job.status == JobStatus::kFailed)
      return {"failed", text_or_null(job.error)};
  }
  if (any_processing)
    return {"processing", nullptr};
  if (any_enqueued)
    return {"enqueued", nullptr};
  if (failed != nullptr)
    return {"failed", text_or_null(failed->error)};
  if (!state.hook_failures.empty())
    return {"failed", text_or_null(state.hook_failures.rbegin()->error)};
  return {"none", nullptr};
}

}  // namespace

json build_session_report(const RoomView& view, std::span<const SpeakerChange> speakers,
                          std::span<const RoomCompositionJob> composition_jobs,
                          core::TimePoint now) {
  const Room& room = view.room;
  const RoomState& state = view.state;
  const std::optional<core::TimePoint> room_end = state.ended_at ? state.ended_at : room.ended_at;
  const std::optional<core::TimePoint> room_start =
      state.started_at ? state.started_at : room.started_at;
  const bool final =
      room.status == RoomLifecycle::kCompleted || room.status == RoomLifecycle::kFailed;
  const core::TimePoint horizon = room_end.value_or(now);

  // --- Sessions and connected time, per identity ---------------------------------------------
  std::map<std::string, Session> session_by_sid;
  std::map<std::string, PerIdentity> identities;
  for (const auto& [sid, participant] : state.participants) {
    Session session;
    session.participant = &participant;
    session.start = participant.connected_at;
    session.open = participant.status == ParticipantStatus::kConnected;
    session.end = participant.disconnected_at.value_or(horizon);
    if (session.start)
      session.connected = span_between(*session.start, session.end);
    else if (participant.duration_seconds)
      session.connected = std::chrono::seconds(*participant.duration_seconds);
    session_by_sid[sid] = session;

    auto& entry = identities[participant.identity];
    entry.sessions.push_back(session);
    entry.connected += session.connected;
    entry.connected_now |= session.open;
    if (session.start && (!entry.first_joined || *session.start < *entry.first_joined))
      entry.first_joined = session.start;
    if (!session.open && participant.disconnected_at &&
        (!entry.last_left || *participant.disconnected_at > *entry.last_left))
      entry.last_left = participant.disconnected_at;
  }

  // --- Speaking time ---------------------------------------------------------------------------
  std::vector<const SpeakerChange*> changes;
  for (const auto& change : speakers)
    changes.push_back(&change);
  std::stable_sort(changes.begin(), changes.end(),
                   [](const auto* a, const auto* b) { return a->at < b->at; });
  for (std::size_t i = 0; i < changes.size(); ++i) {
    const SpeakerChange& change = *changes[i];
    if (change.speaker_participant_sid.empty())
      continue;  // nobody speaking
    core::TimePoint start = change.at;
    core::TimePoint end = i + 1 < changes.size() ? changes[i + 1]->at : horizon;
    end = std::min(end, horizon);
    std::string identity = change.speaker_identity;
    if (const auto it = session_by_sid.find(change.speaker_participant_sid);
        it != session_by_sid.end()) {
      identity = it->second.participant->identity;
      if (it->second.start)
        start = std::max(start, *it->second.start);
      end = std::min(end, it->second.end);
    }
    identities[identity].speaking += span_between(start, end);
  }

  // --- Timeline -------------------------------------------------------------------------------
  std::vector<TimelineEntry> timeline;
  const auto add = [&timeline](core::TimePoint at, Rank rank, std::string tie, json body) {
    body["at"] = core::to_rfc3339(at);
    timeline.push_back({at, rank, std::move(tie), std::move(body)});
  };
  if (room_start)
    add(*room_start, Rank::kRoomStarted, "", {{"type", "room_started"}});
  for (const auto& [sid, participant] : state.participants) {
    const json who = {{"participant_sid", sid}, {"identity", participant.identity}};
    if (participant.connected_at) {
      json body = who;
      body["type"] = "participant_joined";
      add(*participant.connected_at, Rank::kParticipantJoined, sid, std::move(body));
    }
    if (participant.disconnected_at) {
      json body = who;
      body["type"] = "participant_left";
      body["reason"] = participant.left_with_room ? "room_ended" : "left";
      add(*participant.disconnected_at, Rank::kParticipantLeft, sid, std::move(body));
    }
  }
  for (const SpeakerChange* change : changes) {
    add(change->at, Rank::kSpeakerChanged, change->speaker_participant_sid,
        {{"type", "dominant_speaker_changed"},
         {"speaker_participant_sid", text_or_null(change->speaker_participant_sid)},
         {"speaker_identity", text_or_null(change->speaker_identity)},
         {"reporter_participant_sid", text_or_null(change->reporter_participant_sid)}});
  }
  const auto identity_of = [&state](const std::string& participant_sid) -> json {
    const auto it = state.participants.find(participant_sid);
    return it == state.participants.end() ? json(nullptr) : json(it->second.identity);
  };
  int recordings_completed = 0;
  int recordings_failed = 0;
  std::int64_t recorded_seconds = 0;
  std::int64_t recorded_bytes = 0;
  json tracks = json::array();
  for (const auto& [sid, recording] : state.recordings) {
    const json what = {{"recording_sid", sid},
                       {"participant_sid", text_or_null(recording.participant_sid)},
                       {"identity", identity_of(recording.participant_sid)},
                       {"kind", to_string(recording.kind)},
                       {"track_name", text_or_null(recording.track_name)}};
    if (recording.started_at) {
      json body = what;
      body["type"] = "recording_started";
      add(*recording.started_at, Rank::kRecordingStarted, sid, std::move(body));
    }
    if (recording.completed_at) {
      json body = what;
      body["type"] = "recording_completed";
      add(*recording.completed_at, Rank::kRecordingCompleted, sid, std::move(body));
    }
    if (recording.failed_at) {
      json body = what;
      body["type"] = "recording_failed";
      body["error"] = text_or_null(recording.error);
      add(*recording.failed_at, Rank::kRecordingFailed, sid, std::move(body));
    }
    recordings_completed += recording.status == RecordingStatus::kCompleted ? 1 : 0;
    recordings_failed += recording.status == RecordingStatus::kFailed ? 1 : 0;
    if (recording.status == RecordingStatus::kCompleted) {
      recorded_seconds += recording.duration_seconds.value_or(0);
      recorded_bytes += recording.size_bytes.value_or(0);
    }
    json track = what;
    track["status"] = public_status(recording.status);
    track["started_at"] = time_json(recording.started_at);
    track["completed_at"] = time_json(recording.completed_at);
    track["failed_at"] = time_json(recording.failed_at);
    track["duration_seconds"] =
        recording.duration_seconds ? json(*recording.duration_seconds) : json(nullptr);
    track["size_bytes"] = recording.size_bytes ? json(*recording.size_bytes) : json(nullptr);
    track["error"] = text_or_null(recording.error);
    tracks.push_back(std::move(track));
  }
  json compositions = json::array();
  for (const auto& [sid, composition] : state.compositions) {
    const json what = {{"composition_sid", sid}};
    const std::array<std::tuple<const std::optional<core::TimePoint>*, Rank, const char*>, 4>
        steps = {{{&composition.enqueued_at, Rank::kCompositionEnqueued, "composition_enqueued"},
                  {&composition.started_at, Rank::kCompositionStarted, "composition_started"},
                  {&composition.completed_at, Rank::kCompositionCompleted, "composition_completed"},
                  {&composition.failed_at, Rank::kCompositionFailed, "composition_failed"}}};
    for (const auto& [at, rank, type] : steps) {
      if (!*at)
        continue;
      json body = what;
      body["type"] = type;
      if (rank == Rank::kCompositionFailed)
        body["error"] = text_or_null(composition.error);
      add(**at, rank, sid, std::move(body));
    }
    compositions.push_back(
        {{"composition_sid", sid},
         {"status", to_string(composition.status)},
         {"progress_percent", composition.progress_percent},
         {"enqueued_at", time_json(composition.enqueued_at)},
         {"completed_at", time_json(composition.completed_at)},
         {"failed_at", time_json(composition.failed_at)},
         {"duration_seconds",
          composition.duration_seconds ? json(*composition.duration_seconds) : json(nullptr)},
         {"size_bytes", composition.size_bytes ? json(*composition.size_bytes) : json(nullptr)},
         {"error", text_or_null(composition.error)}});
  }
  json hook_failures = json::array();
  for (const auto& failure : state.hook_failures) {
    add(failure.at, Rank::kCompositionHookFailed, failure.hook_sid,
        {{"type", "composition_hook_failed"},
         {"hook_sid", text_or_null(failure.hook_sid)},
         {"error", text_or_null(failure.error)}});
    hook_failures.push_back({{"at", core::to_rfc3339(failure.at)},
                             {"hook_sid", text_or_null(failure.hook_sid)},
                             {"error", text_or_null(failure.error)}});
  }
  if (room_end) {
    add(*room_end, Rank::kRoomEnded, "",
        {{"type", "room_ended"}, {"end_reason", text_or_null(room.end_reason)}});
  }
  std::stable_sort(timeline.begin(), timeline.end(), [](const auto& a, const auto& b) {
    return std::tie(a.at, a.rank, a.tie) < std::tie(b.at, b.rank, b.tie);
  });
  json timeline_json = json::array();
  for (auto& entry : timeline)
    timeline_json.push_back(std::move(entry.body));

  // --- Participants, by first join ------------------------------------------------------------
  std::vector<std::pair<const std::string*, PerIdentity*>> ordered;
  for (auto& [identity, entry] : identities) {
    if (!entry.sessions.empty())  // a speaker the state never saw connect adds no entry
      ordered.emplace_back(&identity, &entry);
  }
  std::stable_sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) {
    return a.second->first_joined.value_or(core::TimePoint::max()) <
           b.second->first_joined.value_or(core::TimePoint::max());
  });
  json participants = json::array();
  milliseconds total_connected{0};
  milliseconds total_speaking{0};
  std::size_t session_count = 0;
  for (const auto& [identity, entry] : ordered) {
    std::stable_sort(entry->sessions.begin(), entry->sessions.end(),
                     [](const Session& a, const Session& b) {
                       return a.start.value_or(core::TimePoint::max()) <
                              b.start.value_or(core::TimePoint::max());
                     });
    json sessions = json::array();
    for (const auto& session : entry->sessions) {
      sessions.push_back({{"participant_sid", session.participant->sid},
                          {"connected_at", time_json(session.start)},
                          {"disconnected_at", time_json(session.participant->disconnected_at)},
                          {"connected_seconds", seconds_of(session.connected)}});
    }
    session_count += entry->sessions.size();
    total_connected += entry->connected;
    total_speaking += entry->speaking;
    participants.push_back(
        {{"identity", *identity},
         {"sessions", std::move(sessions)},
         {"connected_seconds", seconds_of(entry->connected)},
         {"speaking_seconds", seconds_of(entry->speaking)},
         {"first_joined_at", time_json(entry->first_joined)},
         {"last_left_at", time_json(entry->connected_now ? std::nullopt : entry->last_left)},
         {"connected", entry->connected_now}});
  }

  const int recording_total = static_cast<int>(state.recordings.size());
  const CompositionOutcome composition = composition_outcome(state, composition_jobs);
  std::optional<std::int64_t> duration;
  if (room_start && room_end)
    duration = std::chrono::duration_cast<std::chrono::seconds>(*room_end - *room_start).count();
  return {
      {"room",
       {{"id", room.id.value()},
        {"name", room.name},
        {"type", public_type_name(room.type)},
        {"status", to_string(room.status)},
        {"provider_room_sid", room.provider_room_sid ? json(*room.provider_room_sid) : json()},
        {"started_at", time_json(room_start)},
        {"ended_at", time_json(room_end)},
        {"duration_seconds", duration ? json(*duration) : json(nullptr)},
        {"end_reason", text_or_null(room.end_reason)}}},
      {"generated_at", core::to_rfc3339(now)},
      {"final", final},
      {"timeline", std::move(timeline_json)},
      {"participants", std::move(participants)},
      {"recording",
       {{"requested", room.record},
        {"active", room.recording},
        {"status", recording_outcome(recording_total, recordings_completed, recordings_failed)},
        {"track_count", recording_total},
        {"completed_count", recordings_completed},
        {"failed_count", recordings_failed},
        {"total_duration_seconds", recorded_seconds},
        {"total_size_bytes", recorded_bytes},
        {"tracks", std::move(tracks)}}},
      {"composition",
       {{"status", composition.status},
        {"error", composition.error},
        {"jobs", composition_jobs_json(composition_jobs)},
        {"compositions", std::move(compositions)},
        {"hook_failures", std::move(hook_failures)}}},
      {"summary",
       {{"participant_count", ordered.size()},
        {"session_count", session_count},
        {"total_connected_seconds", seconds_of(total_connected)},
        {"total_speaking_seconds", seconds_of(total_speaking)},
        {"speaker_change_count", changes.size()}}},
  };
}

}  // namespace roomplane::rooms
