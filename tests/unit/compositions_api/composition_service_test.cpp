// CompositionService without HTTP: the configurable URL lifetime, the audit's user-agent cut,
// and what the service checks itself (limits, another tenant's row from a faulty store). Also
// RoomCompositionJobs, a room's jobs for the room API.

#include "compositions/composition_service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "compositions/composition_json.h"
#include "compositions/room_composition_jobs.h"
#include "support/manual_clock.h"
#include "unit/compositions_api/compositions_api_support.h"
#include "unit/video/mock_video_provider.h"

namespace roomplane::compositions {
namespace {

using ::testing::_;
using ::testing::Return;
using ::testing::StrictMock;
using namespace std::chrono_literals;
using compositions::testing::at;

const core::TenantId kTenant("tn_a");

rooms::TenantContextLookup with_credentials() {
  return [](const core::TenantId&) -> core::Result<rooms::TenantContext> {
    rooms::TenantContext context;
    context.credentials = tenants::ProviderCredentials{"AC1", "SK1", "secret", "token"};
    return context;
  };
}

Composition completed(const std::string& id) {
  Composition c;
  c.tenant_id = kTenant;
  c.id = core::CompositionId(id);
  c.room_id = core::RoomId("rm_1");
  c.provider_room_sid = "RM1";
  c.provider_composition_sid = "CJ1";
  c.status = Status::kCompleted;
  c.media_location = "/v1/Compositions/CJ1/Media";
  c.created_at = at(0);
  c.updated_at = at(1);
  return c;
}

TEST(CompositionService, MediaUrlLifetimeIsConfigurable) {
  compositions::testing::FakeCompositionStore store;
  StrictMock<video::testing::MockVideoProvider> provider;
  roomplane::testing::ManualClock clock(at(100));
  CompositionService service(store, provider, with_credentials(), clock,
                             CompositionServiceOptions{.media_url_ttl = 60s});
  store.put(completed("cp_1"));
  EXPECT_CALL(provider, composition_media_url(_, std::string_view("CJ1"), std::chrono::seconds(60)))
      .WillOnce(Return(core::Result<std::string>(std::string("https://media.test/x"))));

  const auto grant = service.media({kTenant, core::ApiKeyId("key_1"), "10.0.0.1", "ua"},
                                   core::CompositionId("cp_1"));
  ASSERT_TRUE(grant.ok()) << grant.error().message;
  EXPECT_EQ(grant->url, "https://media.test/x");
  EXPECT_EQ(grant->expires_at, at(160));
  const auto accesses = store.all_accesses();
  ASSERT_EQ(accesses.size(), 1u);
  EXPECT_EQ(accesses[0].remote_address, "10.0.0.1");
  EXPECT_EQ(accesses[0].api_key_id, "key_1");
}

TEST(CompositionService, DefaultMediaUrlLifetimeIsFiveMinutes) {
  EXPECT_EQ(CompositionServiceOptions{}.media_url_ttl, 300s);
}

TEST(CompositionService, ARowOfAnotherTenantFromAFaultyStoreIsStill404) {
  compositions::testing::FakeCompositionStore store;
  store.ignore_tenant_in_find = true;
  StrictMock<video::testing::MockVideoProvider> provider;  // never asked for a URL
  roomplane::testing::ManualClock clock;
  CompositionService service(store, provider, with_credentials(), clock);
  auto other = completed("cp_b");
  other.tenant_id = core::TenantId("tn_b");
  store.put(other);
  EXPECT_EQ(service.get(kTenant, core::CompositionId("cp_b")).error().code,
            "composition_not_found");
  EXPECT_EQ(service.media({kTenant, core::ApiKeyId("key_1"), "", ""}, core::CompositionId("cp_b"))
                .error()
                .code,
            "composition_not_found");
  EXPECT_TRUE(store.all_accesses().empty());
}

TEST(CompositionService, ListChecksTheLimitItself) {
  compositions::testing::FakeCompositionStore store;
  StrictMock<video::testing::MockVideoProvider> provider;
  roomplane::testing::ManualClock clock;
  CompositionService service(store, provider, with_credentials(), clock);
  ListQuery query;
  query.limit = 0;
  EXPECT_EQ(service.list(kTenant, query).error().code, "invalid_limit");
  query.limit = 201;
  EXPECT_EQ(service.list(kTenant, query).error().code, "invalid_limit");
  query.limit = 200;
  EXPECT_TRUE(service.list(kTenant, query).ok());
}

TEST(CompositionService, TruncateUtf8NeverSplitsACharacter) {
  EXPECT_EQ(truncate_utf8("short", 256), "short");
  EXPECT_EQ(truncate_utf8("abcdef", 3), "abc");
  // "é" is two bytes: cutting after its first byte drops the whole character.
  EXPECT_EQ(truncate_utf8("ab\xC3\xA9z", 3), "ab");
  EXPECT_EQ(truncate_utf8("ab\xC3\xA9z", 4), "ab\xC3\xA9");
  // A 4-byte emoji cut in its middle.
  EXPECT_EQ(truncate_utf8("a\xF0\x9F\x98\x80", 3), "a");
  EXPECT_EQ(truncate_utf8(std::string(300, 'x'), 256).size(), 256u);
}

TEST(CompositionJson, NeverExposesTheMediaLocationOrSchedulingFields) {
  auto c = completed("cp_1");
  c.next_attempt_at = at(50);
  const auto json = composition_json(c);
  EXPECT_FALSE(json.contains("media_location"));
  EXPECT_FALSE(json.contains("next_attempt_at"));
  EXPECT_FALSE(json.contains("tenant_id"));
  EXPECT_EQ(json.dump().find("/Media"), std::string::npos);
  EXPECT_TRUE(json["media_available"].get<bool>());
  c.layout = video::CompositionLayout::kAudioOnly;
  c.format = video::CompositionFormat::kWebm;
  EXPECT_EQ(composition_json(c)["layout"], "audio_only");
  EXPECT_EQ(composition_json(c)["format"], "webm");
}

TEST(RoomCompositionJobs, RendersTheRoomsJobsAsTheCompositionRouteDoesNewestFirst) {
  compositions::testing::FakeCompositionStore store;
  auto older = completed("cp_1");
  older.status = Status::kFailed;
  older.error = "the provider refused the composition";
  older.failed_at = at(5);
  auto newer = completed("cp_2");
  newer.created_at = at(10);
  auto other_room = completed("cp_3");
  other_room.room_id = core::RoomId("rm_2");
  for (const auto& c : {older, newer, other_room})
    store.put(c);

  RoomCompositionJobs jobs(store);
  auto shown = jobs.for_room(kTenant, core::RoomId("rm_1"));
  ASSERT_TRUE(shown.ok()) << shown.error().message;
  ASSERT_EQ(shown->size(), 2u);
  EXPECT_EQ((*shown)[0].rendered, composition_json(newer));
  EXPECT_EQ((*shown)[0].status, rooms::RoomCompositionJob::Status::kCompleted);
  EXPECT_EQ((*shown)[0].error, "");
  EXPECT_EQ((*shown)[1].rendered, composition_json(older));
  EXPECT_EQ((*shown)[1].status, rooms::RoomCompositionJob::Status::kFailed);
  EXPECT_EQ((*shown)[1].error, "the provider refused the composition");
  EXPECT_TRUE(jobs.for_room(kTenant, core::RoomId("rm_9")).value().empty());
  EXPECT_TRUE(jobs.for_room(core::TenantId("tn_b"), core::RoomId("rm_1")).value().empty());
}

// The room API decides by the mapped status: each one must keep its meaning (and the public
// spelling the job's own JSON has).
TEST(RoomCompositionJobs, EveryStatusKeepsItsMeaning) {
  using Shown = rooms::RoomCompositionJob::Status;
  const std::pair<Status, Shown> pairs[] = {
      {Status::kPending, Shown::kPending},       {Status::kEnqueued, Shown::kEnqueued},
      {Status::kProcessing, Shown::kProcessing}, {Status::kStalled, Shown::kStalled},
      {Status::kCompleted, Shown::kCompleted},   {Status::kFailed, Shown::kFailed}};
  for (const auto& [status, shown] : pairs) {
    auto job = completed("cp_1");
    job.status = status;
    const auto seen = room_composition_job(job);
    EXPECT_EQ(seen.status, shown) << to_string(status);
    EXPECT_EQ(seen.rendered["status"], to_string(status));
  }
}

TEST(RoomCompositionJobs, AJobOfAnotherTenantFromAFaultyStoreIsNeverShown) {
  compositions::testing::FakeCompositionStore store;
  store.ignore_tenant_in_find = true;
  auto other = completed("cp_b");
  other.tenant_id = core::TenantId("tn_b");
  store.put(other);
  RoomCompositionJobs jobs(store);
  EXPECT_TRUE(jobs.for_room(kTenant, core::RoomId("rm_1")).value().empty());
}

}  // namespace
}  // namespace roomplane::compositions
