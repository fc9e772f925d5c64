// The provider contract (provider_contract.h) against the fake Twilio, through the production
// HTTP client. The emulator's tests run the same functions with only the base URL changed.

#include "unit/twilio/provider_contract.h"

#include <gtest/gtest.h>

#include "unit/twilio/client_fixture.h"

namespace roomplane::twilio::testing {
namespace {

TEST_F(TwilioClientTest, ContractRoomLifecycle) {
  expect_room_lifecycle(*client_, credentials_, "contract-room");
}

TEST_F(TwilioClientTest, ContractCompositionLifecycle) {
  expect_composition_lifecycle(*client_, credentials_, "contract-composition");
}

TEST_F(TwilioClientTest, ContractWrongCredentials) {
  expect_wrong_credentials_rejected(*client_, credentials_);
}

}  // namespace
}  // namespace roomplane::twilio::testing
