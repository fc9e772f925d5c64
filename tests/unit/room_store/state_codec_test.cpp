#include "rooms/state_codec.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "room_store_fixture.h"

namespace roomplane::storage::testing {
namespace {

using rooms::RoomState;

RoomState folded(const std::vector<RoomEvent>& events) {
  RoomState state;
  for (const auto& e : events)
    (void)rooms::apply(state, e);
  return state;
}

void expect_round_trip(const RoomState& state) {
  const std::string text = rooms::encode_state(state);
  auto back = rooms::decode_state(text);
  ASSERT_TRUE(back.ok()) << back.error().message << "\n" << text;
  EXPECT_EQ(rooms::to_canonical_text(*back), rooms::to_canonical_text(state));
  EXPECT_TRUE(*back == state);
  // Encoding is deterministic, so the stored text of an unchanged state never churns.
  EXPECT_EQ(rooms::encode_state(*back), text);
}

TEST(StateCodec, RoundTripsAnEmptyState) {
  expect_round_trip(RoomState{});
}

TEST(StateCodec, RoundTripsEveryStepOfAConsultation) {
  // Every prefix, so each entity is seen in each of its statuses, derived fields included.
  const auto events = consultation("RM1");
  RoomState state;
  for (const auto& e : events) {
    (void)rooms::apply(state, e);
    expect_round_trip(state);
  }
  EXPECT_EQ(state.status, rooms::RoomStatus::kCompleted);
  EXPECT_EQ(state.participants.size(), 3u);
  EXPECT_EQ(state.recordings.at("RT2").status, rooms::RecordingStatus::kFailed);
  EXPECT_EQ(state.compositions.at("CJ1").progress_percent, 100);
  EXPECT_EQ(state.hook_failures.size(), 1u);
}

TEST(StateCodec, KeepsNanosecondsAndExtremeNumbers) {
  RoomState state = folded(consultation("RM1"));
  state.participants.at("PA1").connected_at = at(5, 123'456'789);
  state.max_sequence_number = std::numeric_limits<std::int64_t>::max();
  state.recordings.at("RT1").size_bytes = std::numeric_limits<std::int64_t>::min();
  state.participants.at("PA1").tracks.at("MT1v").last_toggle->stamp.sequence = -1;
  state.name = "Dr. \"Quote\" \\ ünïcode \n\t";
  expect_round_trip(state);
  auto back = rooms::decode_state(rooms::encode_state(state)).value();
  EXPECT_EQ(back.participants.at("PA1").connected_at, at(5, 123'456'789));
}

TEST(StateCodec, AStateReadBackMergesFurtherLikeTheOriginal) {
  // Facts survive, not only the derived view: folding the rest after a round trip in the middle
  // gives the same state as folding everything at once.
  const auto events = consultation("RM1");
  RoomState half;
  for (std::size_t i = 0; i < events.size() / 2; ++i)
    (void)rooms::apply(half, events[i]);
  RoomState resumed = rooms::decode_state(rooms::encode_state(half)).value();
  for (std::size_t i = events.size() / 2; i < events.size(); ++i)
    (void)rooms::apply(resumed, events[i]);
  EXPECT_EQ(rooms::to_canonical_text(resumed), rooms::to_canonical_text(folded(events)));
}

TEST(StateCodec, RejectsWhatItDidNotWrite) {
  const std::string good = rooms::encode_state(folded(consultation("RM1")));
  auto mutate = [&](auto&& fn) {
    auto j = nlohmann::json::parse(good);
    fn(j);
    return j.dump();
  };
  const std::vector<std::string> bad = {
      "",
      "not json",
      "[]",
      "{}",  // no version
      mutate([](auto& j) { j["v"] = 99; }),
      mutate([](auto& j) { j["created_at"] = "yesterday"; }),
      mutate([](auto& j) { j["created_at"] = 1.5; }),
      mutate([](auto& j) { j["max_sequence_number"] = 18446744073709551615ull; }),
      mutate([](auto& j) { j["status"] = "exploded"; }),
      mutate([](auto& j) { j["participants"] = "PA1"; }),
      mutate([](auto& j) { j["participants"][0].erase("sid"); }),
      mutate([](auto& j) { j["participants"][1]["sid"] = j["participants"][0]["sid"]; }),
      mutate([](auto& j) { j["participants"][0]["tracks"][0]["kind"] = "smell"; }),
      mutate([](auto& j) { j["participants"][0]["tracks"][0]["last_toggle"] = 3; }),
      mutate([](auto& j) { j["participants"][0]["tracks"][0]["last_toggle"].erase("at"); }),
      mutate([](auto& j) { j["compositions"][0]["progress_percent"] = 1LL << 40; }),
      mutate([](auto& j) { j["hook_failures"][0].erase("at"); }),
      mutate([](auto& j) { j["ended_failed"] = "no"; }),
  };
  for (const auto& text : bad) {
    auto decoded = rooms::decode_state(text);
    ASSERT_FALSE(decoded.ok()) << text;
    EXPECT_EQ(decoded.error().kind, core::ErrorKind::kInternal);
    EXPECT_TRUE(decoded.error().message.starts_with("stored room state unreadable"))
        << decoded.error().message;
  }
  EXPECT_TRUE(rooms::decode_state(mutate([](auto& j) { j["added_later"] = 1; })).ok())
      << "fields a newer writer added are ignored";
}

}  // namespace
}  // namespace roomplane::storage::testing
