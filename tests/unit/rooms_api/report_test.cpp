// The session report from hand-made consultations, to the exact second: timeline order,
// connected time summed over reconnects, speaking time cut by leaves, joins and the room's end,
// and the recording and composition outcomes (the provider's callbacks and Roomplane's own
// composition jobs).

#include "rooms/report.h"

#include <gtest/gtest.h>

#include "compositions/room_composition_jobs.h"
#include "unit/rooms_api/rooms_api_support.h"

namespace roomplane::rooms {
namespace {

using nlohmann::json;
using T = RoomEventType;
using testing::at;

const std::string kSid = "RM" + std::string(32, 'a');

class ReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    view_.room.tenant_id = core::TenantId("tn_a");
    view_.room.id = core::RoomId("rm_report");
    view_.room.name = "Follow-up";
    view_.room.provider_room_name = "rm_report";
    view_.room.provider_room_sid = kSid;
    view_.room.status = RoomLifecycle::kInProgress;
    view_.room.record = true;
    view_.room.recording = true;
    view_.room.created_at = at(0);
  }

  void event(T type, int seconds) {
    (void)apply(view_.state, testing::provider_event(type, kSid, seconds));
  }
  void participant(T type, const std::string& sid, const std::string& identity, int seconds) {
    (void)apply(view_.state, testing::participant_event(type, kSid, sid, identity, seconds));
  }
  void recording(T type, const std::string& sid, const std::string& participant_sid, TrackKind kind,
                 int seconds) {
    RoomEvent e = testing::provider_event(type, kSid, seconds);
    e.recording_sid = sid;
    e.participant_sid = participant_sid;
    e.track_kind = kind;
    e.track_name = kind == TrackKind::kAudio ? "mic" : "camera";
    if (type == T::kRecordingCompleted) {
      e.recording_duration_seconds = 110;
      e.recording_size_bytes = 1000;
    }
    if (type == T::kRecordingFailed)
      e.recording_error = "upload failed";
    (void)apply(view_.state, e);
  }
  void composition(T type, const std::string& sid, int seconds) {
    RoomEvent e = testing::provider_event(type, kSid, seconds);
    e.composition_sid = sid;
    if (type == T::kCompositionAvailable) {
      e.composition_duration_seconds = 120;
      e.composition_size_bytes = 5000;
    }
    if (type == T::kCompositionFailed)
      e.composition_error = "no media";
    (void)apply(view_.state, e);
  }
  // One of Roomplane's composition jobs, as the compositions module hands it to the room API;
  // added as the newest.
  void job(compositions::Status status, const std::string& error = "") {
    compositions::Composition c;
    c.tenant_id = view_.room.tenant_id;
    c.id = core::CompositionId("cp_" + std::to_string(jobs_.size() + 1));
    c.room_id = view_.room.id;
    c.provider_room_sid = kSid;
    c.status = status;
    c.error = error;
    c.created_at = at(200 + static_cast<int>(jobs_.size()));
    c.updated_at = c.created_at;
    if (status == compositions::Status::kFailed)
      c.failed_at = c.created_at;
    jobs_.insert(jobs_.begin(), compositions::room_composition_job(c));
  }
  void speaker(int seconds, const std::string& sid, const std::string& identity) {
    speakers_.push_back({view_.room.id, "PA1", sid, identity, at(seconds)});
  }
  json build(int now_seconds) {
    project_state(view_.room, view_.state);
    return build_session_report(view_, speakers_, jobs_, at(now_seconds));
  }

  // Alice stays from 10 to the end (120); Bob joins at 20, drops at 50, rejoins at 60 as a new
  // participant SID and stays to the end. Alice's audio is recorded; Bob's video recording
  // fails. The composition is done at 140.
  void consultation() {
    event(T::kRoomCreated, 0);
    participant(T::kParticipantConnected, "PA1", "alice", 10);
    recording(T::kRecordingStarted, "RT1", "PA1", TrackKind::kAudio, 10);
    participant(T::kParticipantConnected, "PA2", "bob", 20);
    recording(T::kRecordingStarted, "RT2", "PA2", TrackKind::kVideo, 20);
    participant(T::kParticipantDisconnected, "PA2", "bob", 50);
    recording(T::kRecordingFailed, "RT2", "PA2", TrackKind::kVideo, 50);
    participant(T::kParticipantConnected, "PA3", "bob", 60);
    recording(T::kRecordingCompleted, "RT1", "PA1", TrackKind::kAudio, 120);
    event(T::kRoomEnded, 120);
    composition(T::kCompositionEnqueued, "CJ1", 130);
    composition(T::kCompositionStarted, "CJ1", 131);
    composition(T::kCompositionAvailable, "CJ1", 140);
    view_.room.end_reason = std::string(kEndedByApi);
    view_.room.status = RoomLifecycle::kCompleted;
    // Alice is named before she connected (a client ahead of the callbacks): counted from 10.
    speaker(5, "PA1", "alice");
    speaker(25, "PA2", "bob");
    speaker(40, "PA1", "alice");
    speaker(45, "PA2", "bob");  // Bob's first connection ends at 50
    speaker(70, "PA3", "bob");
    speaker(100, "", "");          // nobody
    speaker(110, "PA1", "alice");  // until the room ends at 120
  }

  RoomView view_;
  std::vector<RoomCompositionJob> jobs_;  // newest first
  std::vector<SpeakerChange> speakers_;
};

TEST_F(ReportTest, ConnectedAndSpeakingTimeToTheSecond) {
  consultation();
  const json report = build(1000);
  ASSERT_EQ(report["participants"].size(), 2u);
  const json& alice = report["participants"][0];
  EXPECT_EQ(alice["identity"], "alice");
  EXPECT_DOUBLE_EQ(alice["connected_seconds"].get<double>(), 110.0);
  // 10..25 (clipped to her join), 40..45, 110..120.
  EXPECT_DOUBLE_EQ(alice["speaking_seconds"].get<double>(), 30.0);
  EXPECT_EQ(alice["first_joined_at"], core::to_rfc3339(at(10)));
  EXPECT_EQ(alice["last_left_at"], core::to_rfc3339(at(120)));
  EXPECT_EQ(alice["connected"], false);
  ASSERT_EQ(alice["sessions"].size(), 1u);

  const json& bob = report["participants"][1];
  EXPECT_EQ(bob["identity"], "bob");
  // 20..50 and 60..120, summed over both participant SIDs.
  EXPECT_DOUBLE_EQ(bob["connected_seconds"].get<double>(), 90.0);
  // 25..40, 45..50 (his first connection ends), 70..100.
  EXPECT_DOUBLE_EQ(bob["speaking_seconds"].get<double>(), 50.0);
  ASSERT_EQ(bob["sessions"].size(), 2u);
  EXPECT_EQ(bob["sessions"][0]["participant_sid"], "PA2");
  EXPECT_DOUBLE_EQ(bob["sessions"][0]["connected_seconds"].get<double>(), 30.0);
  EXPECT_EQ(bob["sessions"][1]["participant_sid"], "PA3");
  EXPECT_DOUBLE_EQ(bob["sessions"][1]["connected_seconds"].get<double>(), 60.0);

  const json& summary = report["summary"];
  EXPECT_EQ(summary["participant_count"], 2);
  EXPECT_EQ(summary["session_count"], 3);
  EXPECT_DOUBLE_EQ(summary["total_connected_seconds"].get<double>(), 200.0);
  EXPECT_DOUBLE_EQ(summary["total_speaking_seconds"].get<double>(), 80.0);
  EXPECT_EQ(summary["speaker_change_count"], 7);

  EXPECT_EQ(report["final"], true);
  EXPECT_EQ(report["generated_at"], core::to_rfc3339(at(1000)));
  EXPECT_EQ(report["room"]["id"], "rm_report");
  EXPECT_EQ(report["room"]["status"], "completed");
  EXPECT_EQ(report["room"]["provider_room_sid"], kSid);
  EXPECT_EQ(report["room"]["duration_seconds"], 120);
  EXPECT_EQ(report["room"]["end_reason"], "ended_by_api");
}

TEST_F(ReportTest, TimelineIsInTimeOrderWithAFixedOrderForTies) {
  consultation();
  const json report = build(1000);
  std::vector<std::pair<int, std::string>> got;
  for (const auto& entry : report["timeline"]) {
    const auto text = entry["at"].get<std::string>();
    int seconds = -1;
    for (int s = 0; s <= 200; ++s) {
      if (core::to_rfc3339(at(s)) == text)
        seconds = s;
    }
    std::string label = entry["type"].get<std::string>();
    if (entry.contains("participant_sid") && entry["participant_sid"].is_string())
      label += ":" + entry["participant_sid"].get<std::string>();
    if (entry.contains("reason"))
      label += ":" + entry["reason"].get<std::string>();
    if (entry.contains("speaker_participant_sid"))
      label += ":" + entry["speaker_participant_sid"].dump();
    got.emplace_back(seconds, label);
  }
  const std::vector<std::pair<int, std::string>> expected = {
      {0, "room_started"},
      {5, "dominant_speaker_changed:\"PA1\""},
      {10, "participant_joined:PA1"},
      {10, "recording_started:PA1"},
      {20, "participant_joined:PA2"},
      {20, "recording_started:PA2"},
      {25, "dominant_speaker_changed:\"PA2\""},
      {40, "dominant_speaker_changed:\"PA1\""},
      {45, "dominant_speaker_changed:\"PA2\""},
      {50, "participant_left:PA2:left"},
      {50, "recording_failed:PA2"},
      {60, "participant_joined:PA3"},
      {70, "dominant_speaker_changed:\"PA3\""},
      {100, "dominant_speaker_changed:null"},
      {110, "dominant_speaker_changed:\"PA1\""},
      {120, "participant_left:PA1:room_ended"},
      {120, "participant_left:PA3:room_ended"},
      {120, "recording_completed:PA1"},
      {120, "room_ended"},
      {130, "composition_enqueued"},
      {131, "composition_started"},
      {140, "composition_completed"},
  };
  EXPECT_EQ(got, expected);
  // Entries carry who: identities beside SIDs.
  EXPECT_EQ(report["timeline"][2]["identity"], "alice");
  EXPECT_EQ(report["timeline"][3]["identity"], "alice");
  EXPECT_EQ(report["timeline"][10]["error"], "upload failed");
}

TEST_F(ReportTest, RecordingAndCompositionOutcomes) {
  consultation();
  const json report = build(1000);
  const json& recording = report["recording"];
  EXPECT_EQ(recording["requested"], true);
  EXPECT_EQ(recording["active"], true);
  EXPECT_EQ(recording["status"], "partial");  // one track completed, one failed
  EXPECT_EQ(recording["track_count"], 2);
  EXPECT_EQ(recording["completed_count"], 1);
  EXPECT_EQ(recording["failed_count"], 1);
  EXPECT_EQ(recording["total_duration_seconds"], 110);
  EXPECT_EQ(recording["total_size_bytes"], 1000);
  ASSERT_EQ(recording["tracks"].size(), 2u);
  EXPECT_EQ(recording["tracks"][0]["recording_sid"], "RT1");
  EXPECT_EQ(recording["tracks"][0]["status"], "completed");
  EXPECT_EQ(recording["tracks"][0]["identity"], "alice");
  EXPECT_EQ(recording["tracks"][1]["status"], "failed");
  EXPECT_EQ(recording["tracks"][1]["error"], "upload failed");

  const json& composition = report["composition"];
  EXPECT_EQ(composition["status"], "completed");
  ASSERT_EQ(composition["compositions"].size(), 1u);
  EXPECT_EQ(composition["compositions"][0]["progress_percent"], 100);
  EXPECT_EQ(composition["compositions"][0]["duration_seconds"], 120);
  EXPECT_EQ(composition["compositions"][0]["size_bytes"], 5000);
  // No provider media URL in a document meant to be passed around.
  EXPECT_EQ(report.dump().find("media"), std::string::npos);
}

TEST_F(ReportTest, OutcomeRulesForEveryMix) {
  event(T::kRoomCreated, 0);
  EXPECT_EQ(build(10)["recording"]["status"], "none");
  EXPECT_EQ(build(10)["composition"]["status"], "none");
  recording(T::kRecordingStarted, "RT1", "PA1", TrackKind::kAudio, 1);
  EXPECT_EQ(build(10)["recording"]["status"], "in_progress");
  recording(T::kRecordingFailed, "RT1", "PA1", TrackKind::kAudio, 2);
  EXPECT_EQ(build(10)["recording"]["status"], "failed");
  recording(T::kRecordingStarted, "RT2", "PA1", TrackKind::kVideo, 3);
  recording(T::kRecordingCompleted, "RT2", "PA1", TrackKind::kVideo, 4);
  EXPECT_EQ(build(10)["recording"]["status"], "partial");

  composition(T::kCompositionEnqueued, "CJ1", 5);
  EXPECT_EQ(build(10)["composition"]["status"], "enqueued");
  composition(T::kCompositionStarted, "CJ1", 6);
  EXPECT_EQ(build(10)["composition"]["status"], "processing");
  composition(T::kCompositionFailed, "CJ1", 7);
  EXPECT_EQ(build(10)["composition"]["status"], "failed");
  EXPECT_EQ(build(10)["composition"]["error"], "no media");
  // A retry that completes is the outcome, the failed attempt stays listed.
  composition(T::kCompositionEnqueued, "CJ2", 8);
  composition(T::kCompositionAvailable, "CJ2", 9);
  const json report = build(10);
  EXPECT_EQ(report["composition"]["status"], "completed");
  EXPECT_EQ(report["composition"]["compositions"].size(), 2u);
}

TEST_F(ReportTest, HookFailureAloneIsAFailedComposition) {
  event(T::kRoomCreated, 0);
  RoomEvent failure = testing::provider_event(T::kCompositionHookFailed, kSid, 30);
  failure.composition_hook_sid = "HK1";
  failure.composition_error = "no recordings";
  (void)apply(view_.state, failure);
  const json report = build(40);
  EXPECT_EQ(report["composition"]["status"], "failed");
  EXPECT_EQ(report["composition"]["error"], "no recordings");
  ASSERT_EQ(report["composition"]["hook_failures"].size(), 1u);
  EXPECT_EQ(report["composition"]["hook_failures"][0]["hook_sid"], "HK1");
  EXPECT_EQ(report["timeline"].back()["type"], "composition_hook_failed");
}

TEST_F(ReportTest, LiveRoomCountsOpenIntervalsUpToNow) {
  event(T::kRoomCreated, 0);
  participant(T::kParticipantConnected, "PA1", "alice", 10);
  participant(T::kParticipantConnected, "PA2", "bob", 12);
  speaker(30, "PA1", "alice");
  speaker(90, "PA2", "bob");
  const json report = build(100);
  EXPECT_EQ(report["final"], false);
  EXPECT_EQ(report["room"]["ended_at"], nullptr);
  const json& alice = report["participants"][0];
  EXPECT_DOUBLE_EQ(alice["connected_seconds"].get<double>(), 90.0);
  EXPECT_DOUBLE_EQ(alice["speaking_seconds"].get<double>(), 60.0);
  EXPECT_EQ(alice["connected"], true);
  EXPECT_EQ(alice["last_left_at"], nullptr);
  const json& bob = report["participants"][1];
  EXPECT_DOUBLE_EQ(bob["connected_seconds"].get<double>(), 88.0);
  EXPECT_DOUBLE_EQ(bob["speaking_seconds"].get<double>(), 10.0);
}

TEST_F(ReportTest, SubSecondTimesKeepMilliseconds) {
  event(T::kRoomCreated, 0);
  participant(T::kParticipantConnected, "PA1", "alice", 10);
  speakers_.push_back(
      {view_.room.id, "PA1", "PA1", "alice", at(20) + std::chrono::milliseconds(250)});
  const json report = build(30);
  EXPECT_DOUBLE_EQ(report["participants"][0]["speaking_seconds"].get<double>(), 9.75);
}

TEST_F(ReportTest, RoomThatFailedToCreateHasAnEmptyFinalReport) {
  view_.room.status = RoomLifecycle::kFailed;
  view_.room.provider_room_sid.reset();
  view_.room.end_reason = "provider_error: provider_unavailable: timeout";
  const json report = build_session_report(view_, {}, {}, at(50));
  EXPECT_EQ(report["final"], true);
  EXPECT_TRUE(report["timeline"].empty());
  EXPECT_TRUE(report["participants"].empty());
  EXPECT_EQ(report["room"]["provider_room_sid"], nullptr);
  EXPECT_EQ(report["room"]["status"], "failed");
  EXPECT_EQ(report["recording"]["status"], "none");
  EXPECT_DOUBLE_EQ(report["summary"]["total_connected_seconds"].get<double>(), 0.0);
}

TEST_F(ReportTest, AJobThatFailedLocallyIsAFailedCompositionWithoutAnyCallback) {
  event(T::kRoomCreated, 0);
  event(T::kRoomEnded, 100);
  job(compositions::Status::kFailed, "the provider refused the composition");
  const json report = build(300);
  const json& composition = report["composition"];
  EXPECT_EQ(composition["status"], "failed");
  EXPECT_EQ(composition["error"], "the provider refused the composition");
  ASSERT_EQ(composition["jobs"].size(), 1u);
  EXPECT_EQ(composition["jobs"], json::array({jobs_[0].rendered}));
  EXPECT_EQ(composition["jobs"][0]["id"], "cp_1");
  EXPECT_TRUE(composition["compositions"].empty());
  // The timeline holds the provider's composition events only.
  for (const auto& entry : report["timeline"])
    EXPECT_FALSE(entry["type"].get<std::string>().starts_with("composition")) << entry.dump();
}

TEST_F(ReportTest, ALiveJobNeverReadsAsNone) {
  event(T::kRoomCreated, 0);
  event(T::kRoomEnded, 100);
  EXPECT_EQ(build(300)["composition"]["status"], "none");
  for (const auto status : {compositions::Status::kPending, compositions::Status::kEnqueued,
                            compositions::Status::kProcessing, compositions::Status::kStalled}) {
    jobs_.clear();
    job(status);
    const json report = build(300);
    EXPECT_EQ(report["composition"]["status"], compositions::to_string(status));
    EXPECT_TRUE(report["composition"]["error"].is_null());
  }
}

TEST_F(ReportTest, TheJobDecidesOverTheProvidersCallbacksUntilSomethingCompleted) {
  event(T::kRoomCreated, 0);
  event(T::kRoomEnded, 100);
  // The provider failed the first attempt; the job waits to retry: not failed.
  composition(T::kCompositionEnqueued, "CJ1", 110);
  composition(T::kCompositionFailed, "CJ1", 120);
  job(compositions::Status::kPending, "attempt 1 failed: no media");
  EXPECT_EQ(build(300)["composition"]["status"], "pending");
  // The retry is accepted; its progress callback is ahead of the tracker's next look.
  jobs_.clear();
  job(compositions::Status::kEnqueued);
  EXPECT_EQ(build(300)["composition"]["status"], "enqueued");
  composition(T::kCompositionStarted, "CJ2", 130);
  EXPECT_EQ(build(300)["composition"]["status"], "processing");
  // Attempts exhausted: failed with the job's error, not the provider's.
  jobs_.clear();
  job(compositions::Status::kFailed, "3 attempts failed: no media");
  EXPECT_EQ(build(300)["composition"]["status"], "failed");
  EXPECT_EQ(build(300)["composition"]["error"], "3 attempts failed: no media");
  // Completed, by the job or by the provider, is the outcome whatever failed before.
  jobs_.clear();
  job(compositions::Status::kFailed, "an earlier job");
  job(compositions::Status::kCompleted);
  EXPECT_EQ(build(300)["composition"]["status"], "completed");
  EXPECT_TRUE(build(300)["composition"]["error"].is_null());
  EXPECT_EQ(build(300)["composition"]["jobs"][0]["status"], "completed");  // newest first
}

}  // namespace
}  // namespace roomplane::rooms
