// rooms/room.h: the lifecycle's spelling and project_state(), the rule every store applies.

#include "rooms/room.h"

#include <gtest/gtest.h>

#include "room_store_fixture.h"

namespace roomplane::storage::testing {
namespace {

using rooms::RoomLifecycle;
using rooms::RoomState;

TEST(RoomLifecycle, SpellsEachStatusOnceAndReadsItBack) {
  for (auto status : {RoomLifecycle::kCreating, RoomLifecycle::kInProgress,
                      RoomLifecycle::kCompleted, RoomLifecycle::kFailed}) {
    EXPECT_EQ(rooms::room_lifecycle_from_string(rooms::to_string(status)), status);
  }
  EXPECT_EQ(rooms::to_string(RoomLifecycle::kInProgress), "in-progress");
  EXPECT_EQ(rooms::room_lifecycle_from_string("in_progress"), std::nullopt);
  EXPECT_EQ(rooms::room_lifecycle_from_string("Completed"), std::nullopt);
  EXPECT_EQ(rooms::room_lifecycle_from_string(""), std::nullopt);
}

RoomState state_of(const std::vector<RoomEvent>& events) {
  RoomState state;
  for (const auto& e : events)
    (void)rooms::apply(state, e);
  return state;
}

rooms::Room in_progress() {
  auto room = new_room(kTenantA, "rm_1", at_ms(0));
  room.status = RoomLifecycle::kInProgress;
  room.provider_room_sid = "RM1";
  return room;
}

TEST(ProjectState, LeavesARoomStillCreatingAlone) {
  auto room = new_room(kTenantA, "rm_1", at_ms(0));
  const auto before = describe(room);
  EXPECT_FALSE(rooms::project_state(
      room, state_of({room_created("RM1", at(1), 0), room_ended("RM1", at(9), 1)})));
  EXPECT_EQ(describe(room), before);
}

TEST(ProjectState, FillsStartedAtOnceAndFollowsALateEarlierRoomCreated) {
  auto room = in_progress();
  auto state = state_of({connected("RM1", "PA1", "doctor", at(5), 1)});
  EXPECT_TRUE(rooms::project_state(room, state));
  EXPECT_EQ(room.started_at, at(5));
  EXPECT_EQ(room.status, RoomLifecycle::kInProgress);
  EXPECT_FALSE(rooms::project_state(room, state)) << "nothing new";

  (void)rooms::apply(state, room_created("RM1", at(2), 0));
  EXPECT_TRUE(rooms::project_state(room, state));
  EXPECT_EQ(room.started_at, at(2));
  EXPECT_EQ(room.end_reason, "");
  EXPECT_EQ(room.ended_at, std::nullopt);
}

TEST(ProjectState, EndsTheRoomTheProviderEnded) {
  auto room = in_progress();
  EXPECT_TRUE(rooms::project_state(
      room, state_of({room_created("RM1", at(1), 0), room_ended("RM1", at(9), 1)})));
  EXPECT_EQ(room.status, RoomLifecycle::kCompleted);
  EXPECT_EQ(room.started_at, at(1));
  EXPECT_EQ(room.ended_at, at(9));
  EXPECT_EQ(room.end_reason, rooms::kEndedByProvider);

  auto failed = in_progress();
  EXPECT_TRUE(rooms::project_state(failed, state_of({room_ended("RM1", at(9), 1, true)})));
  EXPECT_EQ(failed.status, RoomLifecycle::kFailed);
  EXPECT_EQ(failed.end_reason, rooms::kFailedByProvider);
}

TEST(ProjectState, AFailureReportedAfterTheEndGivesTheSameRowInEitherOrder) {
  const auto plain = room_ended("RM1", at(9), 1);
  const auto failure = room_ended("RM1", at(10), 2, true);

  auto in_order = in_progress();
  RoomState state;
  (void)rooms::apply(state, plain);
  (void)rooms::project_state(in_order, state);
  (void)rooms::apply(state, failure);
  EXPECT_TRUE(rooms::project_state(in_order, state));

  auto reversed = in_progress();
  RoomState other;
  (void)rooms::apply(other, failure);
  (void)rooms::project_state(reversed, other);
  (void)rooms::apply(other, plain);
  (void)rooms::project_state(reversed, other);

  EXPECT_EQ(in_order.status, RoomLifecycle::kFailed);
  EXPECT_EQ(in_order.end_reason, rooms::kFailedByProvider);
  EXPECT_EQ(in_order.ended_at, at(9));
  EXPECT_EQ(describe(in_order), describe(reversed));
}

TEST(ProjectState, KeepsAChosenReasonAndNeverMovesBackwards) {
  auto ended_by_api = in_progress();
  ended_by_api.end_reason = std::string(rooms::kEndedByApi);
  (void)rooms::project_state(ended_by_api, state_of({room_ended("RM1", at(9), 1)}));
  EXPECT_EQ(ended_by_api.status, RoomLifecycle::kCompleted);
  EXPECT_EQ(ended_by_api.end_reason, rooms::kEndedByApi);

  auto failed = in_progress();
  failed.status = RoomLifecycle::kFailed;
  failed.end_reason = "provider_error: boom";
  (void)rooms::project_state(failed, state_of({room_ended("RM1", at(9), 1)}));
  EXPECT_EQ(failed.status, RoomLifecycle::kFailed);
  EXPECT_EQ(failed.end_reason, "provider_error: boom");

  auto completed = in_progress();
  const auto ended = state_of({room_ended("RM1", at(9), 1)});
  (void)rooms::project_state(completed, ended);
  EXPECT_FALSE(rooms::project_state(completed, state_of({connected("RM1", "PA", "x", at(12), 0)})))
      << "a state that has not seen the end does not reopen the room";
  EXPECT_EQ(completed.status, RoomLifecycle::kCompleted);
}

}  // namespace
}  // namespace roomplane::storage::testing
