#pragma once
// A gMock VideoProvider for domain tests (rooms, compositions, reconciliation) that need to
// script the provider without HTTP. Use it as StrictMock<MockVideoProvider> so an unexpected
// provider call fails the test. The real adapter is tested over HTTP in tests/unit/twilio.

#include <gmock/gmock.h>

#include "video/provider.h"

namespace roomplane::video::testing {

class MockVideoProvider : public VideoProvider {
 public:
  MOCK_METHOD(core::Result<RoomInfo>, create_room, (const ProviderCredentials&, const RoomSpec&),
              (override));
  MOCK_METHOD(core::Result<RoomInfo>, fetch_room, (const ProviderCredentials&, std::string_view),
              (override));
  MOCK_METHOD(core::Result<RoomInfo>, complete_room, (const ProviderCredentials&, std::string_view),
              (override));
  MOCK_METHOD(core::Result<std::vector<ParticipantInfo>>, list_participants,
              (const ProviderCredentials&, std::string_view), (override));
  MOCK_METHOD(core::Result<ParticipantInfo>, disconnect_participant,
              (const ProviderCredentials&, std::string_view, std::string_view), (override));
  MOCK_METHOD(core::Status, update_recording_rules,
              (const ProviderCredentials&, std::string_view, bool), (override));
  MOCK_METHOD(core::Result<CompositionInfo>, create_composition,
              (const ProviderCredentials&, const CompositionSpec&), (override));
  MOCK_METHOD(core::Result<CompositionInfo>, fetch_composition,
              (const ProviderCredentials&, std::string_view), (override));
  MOCK_METHOD(core::Result<std::vector<CompositionInfo>>, list_compositions_for_room,
              (const ProviderCredentials&, std::string_view), (override));
  MOCK_METHOD(core::Result<std::string>, composition_media_url,
              (const ProviderCredentials&, std::string_view, std::chrono::seconds), (override));
};

}  // namespace roomplane::video::testing
