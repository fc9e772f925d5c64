#pragma once
// Behaviour every Twilio-compatible backend must show through a VideoProvider, written only in
// terms of the provider and a set of credentials: no scripting, no state helpers. The fake
// Twilio runs these in provider_contract_test.cpp; the emulator's tests run the same functions
// with a TwilioRestClient pointed at the emulator's base URL and an emulator account.

#include <functional>
#include <string>

#include <gtest/gtest.h>

#include "video/provider.h"

namespace roomplane::twilio::testing {

// Room lifecycle: create, address by name and SID, recording rules, complete (twice), and the
// name becoming free again. `name` must be unused in the account.
inline void expect_room_lifecycle(video::VideoProvider& provider,
                                  const video::ProviderCredentials& credentials,
                                  const std::string& name) {
  video::RoomSpec spec;
  spec.unique_name = name;
  spec.max_participants = 5;
  spec.empty_room_timeout_minutes = 10;
  auto room = provider.create_room(credentials, spec);
  ASSERT_TRUE(room.ok()) << room.error().message;
  EXPECT_EQ(room->unique_name, name);
  EXPECT_EQ(room->status, video::RoomStatus::kInProgress);
  EXPECT_EQ(room->max_participants, 5);

  auto duplicate = provider.create_room(credentials, spec);
  ASSERT_FALSE(duplicate.ok());
  EXPECT_EQ(duplicate.error().kind, core::ErrorKind::kConflict);
  EXPECT_EQ(duplicate.error().upstream_code, 53113);

  auto by_name = provider.fetch_room(credentials, name);
  ASSERT_TRUE(by_name.ok()) << by_name.error().message;
  EXPECT_EQ(by_name->sid, room->sid);

  EXPECT_TRUE(provider.update_recording_rules(credentials, room->sid, true).ok());
  EXPECT_TRUE(provider.update_recording_rules(credentials, room->sid, false).ok());

  auto participants = provider.list_participants(credentials, room->sid);
  ASSERT_TRUE(participants.ok()) << participants.error().message;
  EXPECT_TRUE(participants->empty());

  auto completed = provider.complete_room(credentials, room->sid);
  ASSERT_TRUE(completed.ok()) << completed.error().message;
  EXPECT_EQ(completed->status, video::RoomStatus::kCompleted);
  EXPECT_TRUE(completed->ended_at.has_value());
  auto again = provider.complete_room(credentials, room->sid);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->status, video::RoomStatus::kCompleted);

  // A completed room is addressable by SID only; its name is free for a new room.
  auto by_sid = provider.fetch_room(credentials, room->sid);
  ASSERT_TRUE(by_sid.ok()) << by_sid.error().message;
  EXPECT_EQ(by_sid->status, video::RoomStatus::kCompleted);
  auto gone = provider.fetch_room(credentials, name);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().kind, core::ErrorKind::kNotFound);
  auto reused = provider.create_room(credentials, spec);
  ASSERT_TRUE(reused.ok()) << reused.error().message;
  EXPECT_NE(reused->sid, room->sid);
  EXPECT_TRUE(provider.complete_room(credentials, reused->sid).ok());
}

// Compositions of a completed room: create, fetch, and find it in the room's list. Twilio refuses
// to compose a room without recordings, so `record_media` puts some in the room before it ends
// (a participant publishing a track); providers that do not check may pass nothing.
inline void expect_composition_lifecycle(
    video::VideoProvider& provider, const video::ProviderCredentials& credentials,
    const std::string& room_name,
    const std::function<void(const video::RoomInfo&)>& record_media = {}) {
  video::RoomSpec room_spec;
  room_spec.unique_name = room_name;
  room_spec.record_participants_on_connect = true;
  auto room = provider.create_room(credentials, room_spec);
  ASSERT_TRUE(room.ok()) << room.error().message;
  if (record_media)
    record_media(*room);
  ASSERT_TRUE(provider.complete_room(credentials, room->sid).ok());

  video::CompositionSpec spec;
  spec.room_sid = room->sid;
  spec.format = video::CompositionFormat::kMp4;
  auto composition = provider.create_composition(credentials, spec);
  ASSERT_TRUE(composition.ok()) << composition.error().message;
  EXPECT_EQ(composition->room_sid, room->sid);
  EXPECT_NE(composition->status, video::CompositionStatus::kFailed);

  auto fetched = provider.fetch_composition(credentials, composition->sid);
  ASSERT_TRUE(fetched.ok()) << fetched.error().message;
  EXPECT_EQ(fetched->sid, composition->sid);

  auto listed = provider.list_compositions_for_room(credentials, room->sid);
  ASSERT_TRUE(listed.ok()) << listed.error().message;
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().sid, composition->sid);

  auto unknown = provider.fetch_composition(credentials, "CJffffffffffffffffffffffffffffffff");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().kind, core::ErrorKind::kNotFound);
}

// Wrong credentials are rejected as such, for reads and writes.
inline void expect_wrong_credentials_rejected(video::VideoProvider& provider,
                                              video::ProviderCredentials credentials) {
  credentials.api_key_secret += "-wrong";
  auto fetched = provider.fetch_room(credentials, "RMffffffffffffffffffffffffffffffff");
  ASSERT_FALSE(fetched.ok());
  EXPECT_EQ(fetched.error().kind, core::ErrorKind::kUnauthenticated);
  EXPECT_EQ(fetched.error().upstream_code, 20003);
  video::RoomSpec spec;
  spec.unique_name = "never-created";
  auto created = provider.create_room(credentials, spec);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, core::ErrorKind::kUnauthenticated);
}

}  // namespace roomplane::twilio::testing
