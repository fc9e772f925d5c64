// The merge rules of RoomState, one by one: late, duplicated and reordered events never move
// state backwards, and the change list says exactly what a reader would see differently.

#include "rooms/room_state.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace roomplane::rooms {
namespace {

using T = RoomEventType;

constexpr const char* kRoom = "RM00000000000000000000000000000001";

core::TimePoint at(int seconds) {
  return core::from_unix_seconds(1'700'000'000 + seconds);
}

RoomEvent event(T type, int seconds, std::optional<std::int64_t> seq = std::nullopt) {
  RoomEvent e;
  e.type = type;
  e.raw_name = std::string(to_string(type));
  e.room_sid = kRoom;
  e.room_name = "consult-1";
  e.occurred_at = at(seconds);
  e.sequence_number = seq;
  return e;
}

RoomEvent participant(T type, const std::string& sid, const std::string& identity, int seconds,
                      std::optional<std::int64_t> seq = std::nullopt) {
  RoomEvent e = event(type, seconds, seq);
  e.participant_sid = sid;
  e.participant_identity = identity;
  return e;
}

RoomEvent track(T type, const std::string& participant_sid, const std::string& track_sid,
                int seconds, std::optional<std::int64_t> seq = std::nullopt) {
  RoomEvent e = participant(type, participant_sid, "alice", seconds, seq);
  e.track_sid = track_sid;
  e.track_kind = TrackKind::kVideo;
  e.track_name = "camera";
  return e;
}

RoomEvent recording(T type, const std::string& recording_sid, int seconds) {
  RoomEvent e = event(type, seconds);
  e.recording_sid = recording_sid;
  e.participant_sid = "PA1";
  e.recording_source_sid = "MT1";
  e.track_kind = TrackKind::kAudio;
  e.track_name = "microphone";
  return e;
}

RoomEvent composition(T type, const std::string& composition_sid, int seconds,
                      std::optional<int> percent = std::nullopt) {
  RoomEvent e = event(type, seconds);
  e.room_name.clear();  // composition callbacks carry no RoomName
  e.composition_sid = composition_sid;
  e.composition_progress_percent = percent;
  return e;
}

RoomState fold(const std::vector<RoomEvent>& events) {
  RoomState state;
  for (const auto& e : events)
    (void)apply(state, e);
  return state;
}

template <class Change>
std::size_t count_of(const ApplyOutcome& outcome) {
  return static_cast<std::size_t>(
      std::count_if(outcome.changes.begin(), outcome.changes.end(),
                    [](const RoomChange& c) { return std::holds_alternative<Change>(c); }));
}

// Every permutation of `events` folds to the same state as the given order.
void expect_order_independent(std::vector<RoomEvent> events) {
  const RoomState expected = fold(events);
  std::vector<std::size_t> order(events.size());
  for (std::size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  do {
    RoomState state;
    for (const auto i : order)
      (void)apply(state, events[i]);
    ASSERT_EQ(to_canonical_text(state), to_canonical_text(expected));
    ASSERT_TRUE(state == expected);
  } while (std::next_permutation(order.begin(), order.end()));
}

// --- Room --------------------------------------------------------------------------------------

TEST(RoomStateRoom, CreatedThenEnded) {
  RoomState state;
  auto created = apply(state, event(T::kRoomCreated, 0, 0));
  EXPECT_EQ(created.ignored, IgnoredReason::kNone);
  EXPECT_TRUE(created.state_changed);
  ASSERT_EQ(created.changes.size(), 1u);
  EXPECT_EQ(std::get<RoomStatusChanged>(created.changes[0]),
            (RoomStatusChanged{RoomStatus::kUnknown, RoomStatus::kInProgress}));
  EXPECT_EQ(state.room_sid, kRoom);
  EXPECT_EQ(state.name, "consult-1");
  EXPECT_EQ(state.started_at, at(0));
  EXPECT_FALSE(state.ended_at);

  RoomEvent ended = event(T::kRoomEnded, 600, 9);
  ended.room_duration_seconds = 601;
  auto outcome = apply(state, ended);
  ASSERT_EQ(outcome.changes.size(), 1u);
  EXPECT_EQ(std::get<RoomStatusChanged>(outcome.changes[0]),
            (RoomStatusChanged{RoomStatus::kInProgress, RoomStatus::kCompleted}));
  EXPECT_EQ(state.status, RoomStatus::kCompleted);
  EXPECT_EQ(state.ended_at, at(600));
  EXPECT_EQ(state.duration_seconds, 601);  // the provider's figure wins over ours
  EXPECT_EQ(state.max_sequence_number, 9);
}

TEST(RoomStateRoom, DurationIsComputedWhenNotReported) {
  const RoomState state = fold({event(T::kRoomCreated, 0, 0), event(T::kRoomEnded, 90, 1)});
  EXPECT_EQ(state.duration_seconds, 90);
}

TEST(RoomStateRoom, CreatedAfterEndedDoesNotReopen) {
  RoomState state;
  (void)apply(state, event(T::kRoomEnded, 600, 9));
  EXPECT_EQ(state.status, RoomStatus::kCompleted);
  EXPECT_EQ(state.started_at, at(600));  // nothing earlier known yet

  auto outcome = apply(state, event(T::kRoomCreated, 0, 0));
  EXPECT_EQ(state.status, RoomStatus::kCompleted);
  EXPECT_EQ(count_of<RoomStatusChanged>(outcome), 0u);
  // It still tells something new: when the room started.
  EXPECT_EQ(count_of<RoomUpdated>(outcome), 1u);
  EXPECT_EQ(state.started_at, at(0));
  EXPECT_EQ(state.duration_seconds, 600);
  expect_order_independent({event(T::kRoomCreated, 0, 0), event(T::kRoomEnded, 600, 9)});
}

TEST(RoomStateRoom, FailedIsTerminalAndWinsOverCompleted) {
  RoomEvent failed = event(T::kRoomEnded, 100, 5);
  failed.room_failed = true;
  RoomState state = fold({event(T::kRoomCreated, 0, 0), failed});
  EXPECT_EQ(state.status, RoomStatus::kFailed);
  auto outcome = apply(state, event(T::kRoomEnded, 100, 5));  // a report without the failure
  EXPECT_EQ(state.status, RoomStatus::kFailed);
  EXPECT_TRUE(outcome.changes.empty());
  expect_order_independent({event(T::kRoomCreated, 0, 0), failed, event(T::kRoomEnded, 100, 5)});
}

TEST(RoomStateRoom, AnyRoomLevelEventMeansInProgressButCompositionEventsDoNot) {
  RoomState state;
  (void)apply(state, composition(T::kCompositionStarted, "CJ1", 900));
  EXPECT_EQ(state.status, RoomStatus::kUnknown);
  EXPECT_FALSE(state.started_at);
  EXPECT_FALSE(state.max_sequence_number);

  (void)apply(state, participant(T::kParticipantConnected, "PA1", "alice", 10, 1));
  EXPECT_EQ(state.status, RoomStatus::kInProgress);
  EXPECT_EQ(state.started_at, at(10));  // no room-created seen: the earliest event stands in
}

TEST(RoomStateRoom, MaxSequenceNumberIsTheMaximum) {
  const RoomState state = fold({event(T::kRoomCreated, 0, 0), event(T::kRoomEnded, 50, 7),
                                participant(T::kParticipantConnected, "PA1", "a", 5, 3)});
  EXPECT_EQ(state.max_sequence_number, 7);
}

// --- Duplicates, unknown and misrouted events ---------------------------------------------------

TEST(RoomStateApply, DuplicateIsANoOpWithNoChanges) {
  const std::vector<RoomEvent> events{
      event(T::kRoomCreated, 0, 0),
      participant(T::kParticipantConnected, "PA1", "alice", 5, 1),
      track(T::kTrackAdded, "PA1", "MT1", 6, 2),
      track(T::kTrackDisabled, "PA1", "MT1", 7, 3),
      recording(T::kRecordingStarted, "RT1", 6),
      recording(T::kRecordingCompleted, "RT1", 60),
      participant(T::kParticipantDisconnected, "PA1", "alice", 60, 4),
      event(T::kRoomEnded, 70, 5),
      composition(T::kCompositionProgress, "CJ1", 80, 40),
      composition(T::kCompositionAvailable, "CJ1", 90),
  };
  RoomState state;
  for (const auto& e : events) {
    const auto first = apply(state, e);
    EXPECT_TRUE(first.state_changed) << to_string(e.type);
    const RoomState snapshot = state;
    const auto again = apply(state, e);
    EXPECT_FALSE(again.state_changed) << to_string(e.type);
    EXPECT_TRUE(again.changes.empty()) << to_string(e.type);
    EXPECT_TRUE(state == snapshot);
  }
}

TEST(RoomStateApply, UnknownEventsAreIgnored) {
  RoomState state = fold({event(T::kRoomCreated, 0, 0)});
  const RoomState before = state;
  RoomEvent unknown = participant(T::kUnknown, "PA1", "alice", 5, 99);
  unknown.raw_name = "participant-reconnecting";
  const auto outcome = apply(state, unknown);
  EXPECT_EQ(outcome.ignored, IgnoredReason::kUnknownEvent);
  EXPECT_FALSE(outcome.state_changed);
  EXPECT_TRUE(outcome.changes.empty());
  EXPECT_TRUE(state == before);  // not even the sequence number
}

TEST(RoomStateApply, EventsOfAnotherRoomAreIgnored) {
  RoomState state = fold({event(T::kRoomCreated, 0, 0)});
  const RoomState before = state;
  RoomEvent other = event(T::kRoomEnded, 5, 1);
  other.room_sid = "RM00000000000000000000000000000002";
  EXPECT_EQ(apply(state, other).ignored, IgnoredReason::kOtherRoom);
  EXPECT_TRUE(state == before);
}

TEST(RoomStateApply, EventsMissingTheirSidsAreIgnored) {
  RoomState state;
  RoomEvent no_room = event(T::kRoomCreated, 0, 0);
  no_room.room_sid.clear();
  EXPECT_EQ(apply(state, no_room).ignored, IgnoredReason::kIncomplete);
  EXPECT_EQ(apply(state, participant(T::kParticipantConnected, "", "a", 1)).ignored,
            IgnoredReason::kIncomplete);
  EXPECT_EQ(apply(state, track(T::kTrackAdded, "PA1", "", 1)).ignored, IgnoredReason::kIncomplete);
  EXPECT_EQ(apply(state, recording(T::kRecordingStarted, "", 1)).ignored,
            IgnoredReason::kIncomplete);
  EXPECT_EQ(apply(state, composition(T::kCompositionStarted, "", 1)).ignored,
            IgnoredReason::kIncomplete);
  EXPECT_TRUE(state == RoomState{});
}

// --- Participants --------------------------------------------------------------------------------

TEST(RoomStateParticipant, ConnectThenDisconnect) {
  RoomState state = fold({event(T::kRoomCreated, 0, 0)});
  auto joined = apply(state, participant(T::kParticipantConnected, "PA1", "alice", 10, 1));
  ASSERT_EQ(joined.changes.size(), 1u);
  EXPECT_EQ(std::get<ParticipantJoined>(joined.changes[0]), (ParticipantJoined{"PA1", "alice"}));
  const auto& p = state.participants.at("PA1");
  EXPECT_EQ(p.status, ParticipantStatus::kConnected);
  EXPECT_EQ(p.connected_at, at(10));

  RoomEvent leave = participant(T::kParticipantDisconnected, "PA1", "alice", 70, 2);
  leave.participant_duration_seconds = 61;
  auto left = apply(state, leave);
  ASSERT_EQ(left.changes.size(), 1u);
  EXPECT_EQ(std::get<ParticipantLeft>(left.changes[0]), (ParticipantLeft{"PA1", "alice"}));
  const auto& after = state.participants.at("PA1");
  EXPECT_EQ(after.status, ParticipantStatus::kDisconnected);
  EXPECT_EQ(after.disconnected_at, at(70));
  EXPECT_EQ(after.duration_seconds, 61);  // reported wins over computed (60)
  EXPECT_FALSE(after.left_with_room);
}

TEST(RoomStateParticipant, LateConnectedAfterDisconnectedDoesNotResurrect) {
  RoomState state = fold({event(T::kRoomCreated, 0, 0),
                          participant(T::kParticipantDisconnected, "PA1", "alice", 70, 2)});
  auto left_first = state.participants.at("PA1");
  EXPECT_EQ(left_first.status, ParticipantStatus::kDisconnected);
  EXPECT_FALSE(left_first.connected_at);
  EXPECT_FALSE(left_first.duration_seconds);

  auto late = apply(state, participant(T::kParticipantConnected, "PA1", "alice", 10, 1));
  const auto& p = state.participants.at("PA1");
  EXPECT_EQ(p.status, ParticipantStatus::kDisconnected);
  EXPECT_EQ(count_of<ParticipantJoined>(late), 0u);
  ASSERT_EQ(late.changes.size(), 1u);  // it did fill in when they joined
  EXPECT_EQ(std::get<ParticipantUpdated>(late.changes[0]), ParticipantUpdated{"PA1"});
  EXPECT_EQ(p.connected_at, at(10));
  EXPECT_EQ(p.duration_seconds, 60);
}

TEST(RoomStateParticipant, RoomEndedDisconnectsEveryoneEvenThoseReportedLater) {
  const RoomEvent created = event(T::kRoomCreated, 0, 0);
  const RoomEvent connected = participant(T::kParticipantConnected, "PA1", "alice", 10, 1);
  const RoomEvent ended = event(T::kRoomEnded, 300, 5);

  // room-ended arrives before the participant-connected.
  RoomState state;
  (void)apply(state, created);
  (void)apply(state, ended);
  auto late = apply(state, connected);
  ASSERT_EQ(late.changes.size(), 1u);
  EXPECT_EQ(std::get<ParticipantLeft>(late.changes[0]), (ParticipantLeft{"PA1", "alice"}));
  const auto& p = state.participants.at("PA1");
  EXPECT_EQ(p.status, ParticipantStatus::kDisconnected);
  EXPECT_TRUE(p.left_with_room);
  EXPECT_EQ(p.disconnected_at, at(300));
  EXPECT_EQ(p.duration_seconds, 290);
  expect_order_independent({created, connected, ended});

  // In order, the room's end is what disconnects them.
  RoomState in_order = fold({created, connected});
  auto end = apply(in_order, ended);
  EXPECT_EQ(count_of<ParticipantLeft>(end), 1u);
  EXPECT_TRUE(in_order == state);
}

TEST(RoomStateParticipant, OwnDisconnectReportedAfterTheRoomEndReplacesTheInferredOne) {
  RoomState state = fold(
      {participant(T::kParticipantConnected, "PA1", "alice", 10, 1), event(T::kRoomEnded, 300, 5)});
  EXPECT_TRUE(state.participants.at("PA1").left_with_room);
  auto own = apply(state, participant(T::kParticipantDisconnected, "PA1", "alice", 290, 4));
  ASSERT_EQ(own.changes.size(), 1u);
  EXPECT_EQ(std::get<ParticipantUpdated>(own.changes[0]), ParticipantUpdated{"PA1"});
  const auto& p = state.participants.at("PA1");
  EXPECT_FALSE(p.left_with_room);
  EXPECT_EQ(p.disconnected_at, at(290));
  expect_order_independent({participant(T::kParticipantConnected, "PA1", "alice", 10, 1),
                            event(T::kRoomEnded, 300, 5),
                            participant(T::kParticipantDisconnected, "PA1", "alice", 290, 4)});
}

TEST(RoomStateParticipant, ReconnectIsANewParticipant) {
  RoomState state = fold({participant(T::kParticipantConnected, "PA1", "alice", 10, 1),
                          participant(T::kParticipantDisconnected, "PA1", "alice", 20, 2)});
  auto rejoin = apply(state, participant(T::kParticipantConnected, "PA2", "alice", 25, 3));
  ASSERT_EQ(rejoin.changes.size(), 1u);
  EXPECT_EQ(std::get<ParticipantJoined>(rejoin.changes[0]), (ParticipantJoined{"PA2", "alice"}));
  ASSERT_EQ(state.participants.size(), 2u);
  EXPECT_EQ(state.participants.at("PA1").status, ParticipantStatus::kDisconnected);
  EXPECT_EQ(state.participants.at("PA2").status, ParticipantStatus::kConnected);
  EXPECT_EQ(state.participants.at("PA2").identity, "alice");
}

TEST(RoomStateParticipant, ATrackEventAloneMakesAConnectedParticipant) {
  RoomState state;
  auto outcome = apply(state, track(T::kTrackAdded, "PA1", "MT1", 12, 2));
  EXPECT_EQ(count_of<ParticipantJoined>(outcome), 1u);
  EXPECT_EQ(count_of<TrackChanged>(outcome), 1u);
  const auto& p = state.participants.at("PA1");
  EXPECT_EQ(p.status, ParticipantStatus::kConnected);
  EXPECT_FALSE(p.connected_at);  // only participant-connected says when they joined
}

// --- Tracks
// ---------------------------------------------------------------------------------------

TEST(RoomStateTrack, AddDisableEnableRemove) {
  RoomState state = fold({participant(T::kParticipantConnected, "PA1", "alice", 10, 1)});
  auto added = apply(state, track(T::kTrackAdded, "PA1", "MT1", 11, 2));
  ASSERT_EQ(added.changes.size(), 1u);
  EXPECT_EQ(std::get<TrackChanged>(added.changes[0]), (TrackChanged{"PA1", "MT1"}));
  const auto& t = state.participants.at("PA1").tracks.at("MT1");
  EXPECT_EQ(t.kind, TrackKind::kVideo);
  EXPECT_EQ(t.name, "camera");
  EXPECT_TRUE(t.enabled);
  EXPECT_FALSE(t.removed);

  (void)apply(state, track(T::kTrackDisabled, "PA1", "MT1", 20, 3));
  EXPECT_FALSE(state.participants.at("PA1").tracks.at("MT1").enabled);
  (void)apply(state, track(T::kTrackEnabled, "PA1", "MT1", 30, 4));
  EXPECT_TRUE(state.participants.at("PA1").tracks.at("MT1").enabled);
  auto removed = apply(state, track(T::kTrackRemoved, "PA1", "MT1", 40, 5));
  EXPECT_EQ(count_of<TrackChanged>(removed), 1u);
  EXPECT_TRUE(state.participants.at("PA1").tracks.at("MT1").removed);
  EXPECT_EQ(state.participants.at("PA1").tracks.at("MT1").removed_at, at(40));
}

TEST(RoomStateTrack, TheLatestToggleWinsWhateverTheArrivalOrder) {
  RoomState state = fold(
      {track(T::kTrackAdded, "PA1", "MT1", 11, 2), track(T::kTrackDisabled, "PA1", "MT1", 30, 4)});
  auto stale = apply(state, track(T::kTrackEnabled, "PA1", "MT1", 20, 3));
  EXPECT_FALSE(state.participants.at("PA1").tracks.at("MT1").enabled);
  EXPECT_FALSE(stale.state_changed);
  EXPECT_TRUE(stale.changes.empty());
  expect_order_independent({track(T::kTrackAdded, "PA1", "MT1", 11, 2),
                            track(T::kTrackEnabled, "PA1", "MT1", 20, 3),
                            track(T::kTrackDisabled, "PA1", "MT1", 30, 4)});
}

TEST(RoomStateTrack, EqualTimestampsAreOrderedBySequenceNumberThenDisabledWins) {
  // Same second: the sequence number decides.
  RoomState by_sequence = fold({track(T::kTrackEnabled, "PA1", "MT1", 30, 8),
                                track(T::kTrackDisabled, "PA1", "MT1", 30, 7)});
  EXPECT_TRUE(by_sequence.participants.at("PA1").tracks.at("MT1").enabled);
  expect_order_independent({track(T::kTrackEnabled, "PA1", "MT1", 30, 8),
                            track(T::kTrackDisabled, "PA1", "MT1", 30, 7)});

  // A full tie (same time, no sequence numbers): disabled wins, in either order.
  RoomState tie =
      fold({track(T::kTrackEnabled, "PA1", "MT1", 30), track(T::kTrackDisabled, "PA1", "MT1", 30)});
  EXPECT_FALSE(tie.participants.at("PA1").tracks.at("MT1").enabled);
  expect_order_independent(
      {track(T::kTrackEnabled, "PA1", "MT1", 30), track(T::kTrackDisabled, "PA1", "MT1", 30)});
}

TEST(RoomStateTrack, RemovedIsTerminal) {
  RoomState state = fold(
      {track(T::kTrackAdded, "PA1", "MT1", 11, 2), track(T::kTrackRemoved, "PA1", "MT1", 40, 5)});
  (void)apply(state, track(T::kTrackEnabled, "PA1", "MT1", 20, 3));
  (void)apply(state, track(T::kTrackAdded, "PA1", "MT1", 11, 2));
  EXPECT_TRUE(state.participants.at("PA1").tracks.at("MT1").removed);
}

TEST(RoomStateTrack, ADisconnectedParticipantsTracksAreRemoved) {
  RoomState state = fold({track(T::kTrackAdded, "PA1", "MT1", 11, 2)});
  auto leave = apply(state, participant(T::kParticipantDisconnected, "PA1", "alice", 50, 6));
  EXPECT_EQ(count_of<ParticipantLeft>(leave), 1u);
  EXPECT_EQ(count_of<TrackChanged>(leave), 1u);
  const auto& t = state.participants.at("PA1").tracks.at("MT1");
  EXPECT_TRUE(t.removed);
  EXPECT_EQ(t.removed_at, at(50));
  // Its own track-removed, earlier, replaces the inferred time.
  (void)apply(state, track(T::kTrackRemoved, "PA1", "MT1", 49, 5));
  EXPECT_EQ(state.participants.at("PA1").tracks.at("MT1").removed_at, at(49));
}

// --- Recordings ----------------------------------------------------------------------------------

TEST(RoomStateRecording, StartedThenCompleted) {
  RoomState state;
  auto started = apply(state, recording(T::kRecordingStarted, "RT1", 10));
  ASSERT_EQ(started.changes.size(), 2u);  // the room is now known to be live, and the recording
  EXPECT_EQ(std::get<RecordingChanged>(started.changes[1]),
            (RecordingChanged{"RT1", RecordingStatus::kStarted}));
  const auto& r = state.recordings.at("RT1");
  EXPECT_EQ(r.status, RecordingStatus::kStarted);
  EXPECT_EQ(r.participant_sid, "PA1");
  EXPECT_EQ(r.source_sid, "MT1");
  EXPECT_EQ(r.kind, TrackKind::kAudio);

  RoomEvent done = recording(T::kRecordingCompleted, "RT1", 70);
  done.recording_duration_seconds = 60;
  done.recording_size_bytes = 240000;
  done.recording_media_uri = "/v1/Recordings/RT1/Media";
  auto completed = apply(state, done);
  ASSERT_EQ(completed.changes.size(), 1u);
  EXPECT_EQ(std::get<RecordingChanged>(completed.changes[0]),
            (RecordingChanged{"RT1", RecordingStatus::kCompleted}));
  const auto& after = state.recordings.at("RT1");
  EXPECT_EQ(after.completed_at, at(70));
  EXPECT_EQ(after.duration_seconds, 60);
  EXPECT_EQ(after.size_bytes, 240000);
  EXPECT_EQ(after.media_uri, "/v1/Recordings/RT1/Media");
}

TEST(RoomStateRecording, CompletedIsTerminalAndFailedDominates) {
  RoomState state = fold({recording(T::kRecordingCompleted, "RT1", 70)});
  EXPECT_EQ(state.recordings.at("RT1").status, RecordingStatus::kCompleted);
  auto late_start = apply(state, recording(T::kRecordingStarted, "RT1", 10));
  EXPECT_EQ(state.recordings.at("RT1").status, RecordingStatus::kCompleted);
  EXPECT_EQ(state.recordings.at("RT1").started_at, at(10));  // learnt, not regressed
  EXPECT_EQ(count_of<RecordingChanged>(late_start), 1u);

  RoomEvent failed = recording(T::kRecordingFailed, "RT1", 80);
  failed.recording_error = "RecordingUpload";
  (void)apply(state, failed);
  EXPECT_EQ(state.recordings.at("RT1").status, RecordingStatus::kFailed);
  EXPECT_EQ(state.recordings.at("RT1").error, "RecordingUpload");
  expect_order_independent({recording(T::kRecordingStarted, "RT1", 10),
                            recording(T::kRecordingCompleted, "RT1", 70), failed});
}

TEST(RoomStateRecording, TheRoomEndingDoesNotCompleteARecording) {
  const RoomState state =
      fold({recording(T::kRecordingStarted, "RT1", 10), event(T::kRoomEnded, 100, 9)});
  EXPECT_EQ(state.recordings.at("RT1").status, RecordingStatus::kStarted);
}

// --- Compositions --------------------------------------------------------------------------------

TEST(RoomStateComposition, Lifecycle) {
  RoomState state;
  RoomEvent enqueued = composition(T::kCompositionEnqueued, "CJ1", 100);
  enqueued.composition_hook_sid = "HK1";
  (void)apply(state, enqueued);
  EXPECT_EQ(state.compositions.at("CJ1").status, CompositionStatus::kEnqueued);
  EXPECT_EQ(state.compositions.at("CJ1").hook_sid, "HK1");
  (void)apply(state, composition(T::kCompositionStarted, "CJ1", 101));
  EXPECT_EQ(state.compositions.at("CJ1").status, CompositionStatus::kProcessing);
  auto progress = apply(state, composition(T::kCompositionProgress, "CJ1", 102, 30));
  ASSERT_EQ(progress.changes.size(), 1u);
  EXPECT_EQ(std::get<CompositionChanged>(progress.changes[0]),
            (CompositionChanged{"CJ1", CompositionStatus::kProcessing, 30}));

  RoomEvent available = composition(T::kCompositionAvailable, "CJ1", 110);
  available.composition_media_uri = "/v1/Compositions/CJ1/Media";
  available.composition_duration_seconds = 600;
  available.composition_size_bytes = 42;
  (void)apply(state, available);
  const auto& c = state.compositions.at("CJ1");
  EXPECT_EQ(c.status, CompositionStatus::kCompleted);
  EXPECT_EQ(c.progress_percent, 100);
  EXPECT_EQ(c.media_uri, "/v1/Compositions/CJ1/Media");
  EXPECT_EQ(c.duration_seconds, 600);
  EXPECT_EQ(c.size_bytes, 42);
}

TEST(RoomStateComposition, ProgressIsTheMaximumAndLateReportsChangeNothingVisible) {
  RoomState state = fold({composition(T::kCompositionProgress, "CJ1", 102, 60)});
  auto lower = apply(state, composition(T::kCompositionProgress, "CJ1", 101, 30));
  EXPECT_EQ(state.compositions.at("CJ1").progress_percent, 60);
  EXPECT_FALSE(lower.state_changed);
  EXPECT_TRUE(lower.changes.empty());

  (void)apply(state, composition(T::kCompositionAvailable, "CJ1", 110));
  auto after_done = apply(state, composition(T::kCompositionProgress, "CJ1", 105, 90));
  EXPECT_EQ(state.compositions.at("CJ1").status, CompositionStatus::kCompleted);
  EXPECT_EQ(state.compositions.at("CJ1").progress_percent, 100);
  EXPECT_TRUE(after_done.state_changed);    // the fact is kept, so any order ends the same
  EXPECT_TRUE(after_done.changes.empty());  // but nothing a reader sees changed

  auto late_start = apply(state, composition(T::kCompositionStarted, "CJ1", 101));
  EXPECT_EQ(state.compositions.at("CJ1").status, CompositionStatus::kCompleted);
  EXPECT_EQ(count_of<CompositionChanged>(late_start), 1u);  // started_at was learnt
}

TEST(RoomStateComposition, FailedIsTerminal) {
  RoomEvent failed = composition(T::kCompositionFailed, "CJ1", 120);
  failed.composition_error = "Composition failed: no media";
  const std::vector<RoomEvent> events{composition(T::kCompositionEnqueued, "CJ1", 100),
                                      composition(T::kCompositionProgress, "CJ1", 110, 40), failed,
                                      composition(T::kCompositionStarted, "CJ1", 105)};
  const RoomState state = fold(events);
  const auto& c = state.compositions.at("CJ1");
  EXPECT_EQ(c.status, CompositionStatus::kFailed);
  EXPECT_EQ(c.progress_percent, 40);
  EXPECT_EQ(c.error, "Composition failed: no media");
  expect_order_independent(events);
}

TEST(RoomStateComposition, HookFailuresAreASet) {
  RoomEvent hook_failed = event(T::kCompositionHookFailed, 130);
  hook_failed.room_name.clear();
  hook_failed.composition_hook_sid = "HK9";
  hook_failed.composition_error = "No recordings match";
  RoomState state;
  auto first = apply(state, hook_failed);
  ASSERT_EQ(first.changes.size(), 1u);
  EXPECT_EQ(std::get<CompositionHookFailed>(first.changes[0]),
            (CompositionHookFailed{"HK9", "No recordings match"}));
  EXPECT_EQ(state.hook_failures.size(), 1u);
  EXPECT_EQ(state.status, RoomStatus::kUnknown);
  EXPECT_TRUE(apply(state, hook_failed).changes.empty());
  hook_failed.occurred_at = at(200);
  EXPECT_EQ(apply(state, hook_failed).changes.size(), 1u);
  EXPECT_EQ(state.hook_failures.size(), 2u);
}

// --- A whole small room in every order -----------------------------------------------------------

TEST(RoomStateApply, ASmallRoomGivesOneStateInEveryOrder) {
  RoomEvent leave = participant(T::kParticipantDisconnected, "PA1", "alice", 60, 5);
  leave.participant_duration_seconds = 50;
  expect_order_independent({
      event(T::kRoomCreated, 0, 0),
      participant(T::kParticipantConnected, "PA1", "alice", 10, 1),
      track(T::kTrackAdded, "PA1", "MT1", 11, 2),
      track(T::kTrackDisabled, "PA1", "MT1", 20, 3),
      track(T::kTrackRemoved, "PA1", "MT1", 60, 4),
      leave,
      event(T::kRoomEnded, 70, 6),
  });  // 5040 orders
}

TEST(RoomStateText, NamesAreStable) {
  EXPECT_EQ(to_string(RoomStatus::kUnknown), "unknown");
  EXPECT_EQ(to_string(RoomStatus::kInProgress), "in_progress");
  EXPECT_EQ(to_string(RoomStatus::kCompleted), "completed");
  EXPECT_EQ(to_string(RoomStatus::kFailed), "failed");
  EXPECT_EQ(to_string(ParticipantStatus::kConnected), "connected");
  EXPECT_EQ(to_string(ParticipantStatus::kDisconnected), "disconnected");
  EXPECT_EQ(to_string(RecordingStatus::kStarted), "started");
  EXPECT_EQ(to_string(RecordingStatus::kCompleted), "completed");
  EXPECT_EQ(to_string(RecordingStatus::kFailed), "failed");
  EXPECT_EQ(to_string(CompositionStatus::kEnqueued), "enqueued");
  EXPECT_EQ(to_string(CompositionStatus::kProcessing), "processing");
  EXPECT_EQ(to_string(CompositionStatus::kCompleted), "completed");
  EXPECT_EQ(to_string(CompositionStatus::kFailed), "failed");
  EXPECT_EQ(to_string(IgnoredReason::kNone), "none");
  EXPECT_EQ(to_string(IgnoredReason::kUnknownEvent), "unknown_event");
  EXPECT_EQ(to_string(IgnoredReason::kOtherRoom), "other_room");
  EXPECT_EQ(to_string(IgnoredReason::kIncomplete), "incomplete");
  for (int i = 0; i <= static_cast<int>(RoomEventType::kUnknown); ++i) {
    const auto type = static_cast<RoomEventType>(i);
    EXPECT_EQ(room_event_type_from_string(to_string(type)), type);
  }
  EXPECT_FALSE(room_event_type_from_string("participant-connected"));
}

TEST(RoomStateText, CanonicalTextShowsFractionsAndEscapes) {
  RoomEvent e = participant(T::kParticipantConnected, "PA1", "al\"ice\n", 10, 1);
  e.occurred_at += std::chrono::milliseconds(250);
  const RoomState state = fold({e});
  const std::string text = to_canonical_text(state);
  EXPECT_NE(text.find("2023-11-14T22:13:30.250000000Z"), std::string::npos) << text;
  EXPECT_NE(text.find("identity=\"al\\\"ice\\x0a\""), std::string::npos) << text;
}

}  // namespace
}  // namespace roomplane::rooms
