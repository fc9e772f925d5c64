// The provider vocabulary: stable names for every enum value, and the mock domain tests use.

#include "video/provider.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "unit/video/mock_video_provider.h"

namespace roomplane::video {
namespace {

using ::testing::_;
using ::testing::Return;
using ::testing::StrictMock;

TEST(VideoNames, EveryValueHasAStableName) {
  EXPECT_EQ(to_string(RoomType::kGroup), "group");
  EXPECT_EQ(to_string(RoomType::kGroupSmall), "group_small");
  EXPECT_EQ(to_string(RoomType::kPeerToPeer), "peer_to_peer");
  EXPECT_EQ(to_string(RoomType::kGo), "go");
  EXPECT_EQ(to_string(RoomStatus::kInProgress), "in_progress");
  EXPECT_EQ(to_string(RoomStatus::kCompleted), "completed");
  EXPECT_EQ(to_string(RoomStatus::kFailed), "failed");
  EXPECT_EQ(to_string(ParticipantStatus::kConnected), "connected");
  EXPECT_EQ(to_string(ParticipantStatus::kDisconnected), "disconnected");
  EXPECT_EQ(to_string(ParticipantStatus::kReconnecting), "reconnecting");
  EXPECT_EQ(to_string(CompositionLayout::kGrid), "grid");
  EXPECT_EQ(to_string(CompositionLayout::kAudioOnly), "audio_only");
  EXPECT_EQ(to_string(CompositionFormat::kMp4), "mp4");
  EXPECT_EQ(to_string(CompositionFormat::kWebm), "webm");
  EXPECT_EQ(to_string(CompositionStatus::kEnqueued), "enqueued");
  EXPECT_EQ(to_string(CompositionStatus::kProcessing), "processing");
  EXPECT_EQ(to_string(CompositionStatus::kCompleted), "completed");
  EXPECT_EQ(to_string(CompositionStatus::kFailed), "failed");
  EXPECT_EQ(to_string(CompositionStatus::kDeleted), "deleted");
}

TEST(MockVideoProvider, ScriptsTheProviderForDomainTests) {
  StrictMock<testing::MockVideoProvider> provider;
  RoomInfo room;
  room.sid = "RM1";
  EXPECT_CALL(provider, create_room(_, _)).WillOnce(Return(core::Result<RoomInfo>(room)));
  EXPECT_CALL(provider, complete_room(_, _))
      .WillOnce(Return(core::Result<RoomInfo>(core::Error::unavailable("timeout", "slow"))));

  VideoProvider& seam = provider;
  const ProviderCredentials credentials{"AC1", "SK1", "secret"};
  auto created = seam.create_room(credentials, RoomSpec{});
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->sid, "RM1");
  EXPECT_EQ(seam.complete_room(credentials, "RM1").error().code, "timeout");
}

}  // namespace
}  // namespace roomplane::video
