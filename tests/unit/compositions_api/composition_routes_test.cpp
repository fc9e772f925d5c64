// The /v1/compositions routes over real HTTP: a real http::Server on loopback, a real
// TenantDirectory (API keys hashed and looked up as in production, over in-memory tenant
// stores), the in-memory FakeCompositionStore and a strict mock provider, so any provider call
// a test did not expect fails it (no URL may be asked for without an audit row).

#include "compositions/composition_routes.h"

#include <chrono>
#include <set>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "compositions/composition_service.h"
#include "core/work_pool.h"
#include "crypto/secret_box.h"
#include "http/router.h"
#include "http/server.h"
#include "observability/log.h"
#include "observability/metrics.h"
#include "rooms/tenant_context.h"
#include "support/manual_clock.h"
#include "tenants/tenant_admin.h"
#include "tenants/tenant_directory.h"
#include "unit/compositions_api/compositions_api_support.h"
#include "unit/http/test_client.h"
#include "unit/video/mock_video_provider.h"

namespace roomplane::compositions {
namespace {

using nlohmann::json;
using ::testing::_;
using ::testing::Return;
using ::testing::StrictMock;
using namespace std::chrono_literals;
using compositions::testing::at;

const std::string kAccountSid = "AC" + std::string(32, 'a');
const std::string kApiKeySid = "SK" + std::string(32, 'b');

constexpr std::string_view kMediaUrl =
    "https://media.example.test/v1/Compositions/CJ0001/Media?Signature=secret-part";

struct Reply {
  unsigned status = 0;
  json body;
  std::string location;
  std::string cache_control;
  std::string raw_body;
};

class CompositionRoutesTest : public ::testing::Test {
 protected:
  CompositionRoutesTest()
      : tenant_store_(key_store_),
        box_(crypto::SecretBox::from_key(std::string(32, 'm')).value()),
        admin_(tenant_store_, key_store_, credential_store_, box_, clock_),
        directory_(tenant_store_, key_store_, credential_store_, box_, clock_, 30s, metrics_),
        service_(store_, provider_, rooms::directory_tenant_context(directory_), clock_) {}

  void SetUp() override {
    auto a = admin_.create_tenant("Clinic A");
    auto b = admin_.create_tenant("Clinic B");
    ASSERT_TRUE(a.ok() && b.ok());
    tenant_a_ = a->tenant.id;
    tenant_b_ = b->tenant.id;
    key_a_ = a->api_key;
    key_b_ = b->api_key;
    key_id_a_ = a->key_id;
    const auto set = admin_.set_provider_credentials(
        tenant_a_, {kAccountSid, kApiKeySid, "secret-a", std::string(32, 'c')});
    ASSERT_TRUE(set.ok()) << set.error().message;
    // Tenant B has no provider credentials.

    add_composition_routes(router_, service_, directory_, pool_);
    http::ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    server_ = std::make_unique<http::Server>(options, router_, metrics_, observability::Logger());
    ASSERT_TRUE(server_->start().ok());
  }

  void TearDown() override {
    if (server_)
      server_->shutdown();
    pool_.stop();
  }

  Composition composition(const core::TenantId& tenant, const std::string& id, Status status,
                          int created) {
    Composition c;
    c.tenant_id = tenant;
    c.id = core::CompositionId(id);
    c.room_id = core::RoomId("rm_" + id.substr(3));
    c.provider_room_sid = "RM" + id.substr(3);
    c.status = status;
    c.created_at = at(created);
    c.updated_at = at(created + 1);
    c.recorded_duration_seconds = 600;
    c.next_attempt_at = at(created + 5);
    if (status != Status::kPending) {
      c.provider_composition_sid = "CJ" + id.substr(3);
      c.attempts = 1;
      c.started_at = at(created + 2);
      c.deadline_at = at(created + 2000);
    }
    if (status == Status::kProcessing)
      c.progress_percent = 40;
    if (status == Status::kStalled)
      c.stalled_at = at(created + 2001);
    if (status == Status::kCompleted) {
      c.progress_percent = 100;
      c.completed_at = at(created + 300);
      c.media_location = "/v1/Compositions/CJ" + id.substr(3) + "/Media";
      c.size_bytes = 1234567;
      c.duration_seconds = 598;
    }
    if (status == Status::kFailed) {
      c.attempts = 3;
      c.error = "the provider failed the composition (53000)";
      c.failed_at = at(created + 900);
    }
    store_.put(c);
    return c;
  }

  Reply get(const std::string& target, const std::string& key,
            std::vector<std::pair<std::string, std::string>> headers = {}) {
    http::testing::TestClient client(server_->port());
    if (!key.empty())
      headers.emplace_back("Authorization", "Bearer " + key);
    const auto response = client.get(target, headers);
    Reply reply;
    reply.status = response.result_int();
    reply.raw_body = response.body();
    reply.body = json::parse(response.body(), nullptr, false);
    reply.location = http::testing::header_of(response, "Location");
    reply.cache_control = http::testing::header_of(response, "Cache-Control");
    return reply;
  }

  static std::string code_of(const Reply& reply) {
    if (!reply.body.is_object() || !reply.body.contains("error"))
      return "";
    return reply.body["error"].value("code", "");
  }
  static std::string message_of(const Reply& reply) {
    if (!reply.body.is_object() || !reply.body.contains("error"))
      return "";
    return reply.body["error"].value("message", "");
  }

  static std::vector<std::string> ids_of(const json& page) {
    std::vector<std::string> ids;
    for (const auto& c : page["compositions"])
      ids.push_back(c["id"].get<std::string>());
    return ids;
  }

  // Declared so that everything handlers use outlives the server.
  roomplane::testing::ManualClock clock_;
  observability::MetricsRegistry metrics_;
  compositions::testing::MemoryApiKeyStore key_store_;
  compositions::testing::MemoryTenantStore tenant_store_;
  compositions::testing::MemoryCredentialStore credential_store_;
  crypto::SecretBox box_;
  tenants::TenantAdmin admin_;
  tenants::TenantDirectory directory_;
  compositions::testing::FakeCompositionStore store_;
  StrictMock<video::testing::MockVideoProvider> provider_;
  CompositionService service_;
  core::WorkPool pool_{2};
  http::Router router_;
  std::unique_ptr<http::Server> server_;

  core::TenantId tenant_a_, tenant_b_;
  std::string key_a_, key_b_;
  core::ApiKeyId key_id_a_;
};

// --- list ----------------------------------------------------------------------------------

TEST_F(CompositionRoutesTest, ListsTheTenantsCompositionsNewestFirst) {
  composition(tenant_a_, "cp_old", Status::kCompleted, 10);
  composition(tenant_a_, "cp_new", Status::kProcessing, 30);
  composition(tenant_a_, "cp_mid", Status::kPending, 20);
  composition(tenant_b_, "cp_other", Status::kCompleted, 40);

  const auto reply = get("/v1/compositions", key_a_);
  ASSERT_EQ(reply.status, 200u) << reply.raw_body;
  EXPECT_EQ(ids_of(reply.body), (std::vector<std::string>{"cp_new", "cp_mid", "cp_old"}));
  EXPECT_TRUE(reply.body["next_cursor"].is_null());
  ASSERT_TRUE(store_.last_query.has_value());
  EXPECT_EQ(store_.last_query->limit, 50u);  // the default
  EXPECT_FALSE(store_.last_query->status.has_value());
}

TEST_F(CompositionRoutesTest, ListFiltersByStatus) {
  composition(tenant_a_, "cp_1", Status::kCompleted, 10);
  composition(tenant_a_, "cp_2", Status::kFailed, 20);
  composition(tenant_a_, "cp_3", Status::kCompleted, 30);
  composition(tenant_b_, "cp_4", Status::kCompleted, 40);

  auto reply = get("/v1/compositions?status=completed", key_a_);
  ASSERT_EQ(reply.status, 200u) << reply.raw_body;
  EXPECT_EQ(ids_of(reply.body), (std::vector<std::string>{"cp_3", "cp_1"}));
  for (const auto& c : reply.body["compositions"])
    EXPECT_EQ(c["status"], "completed");

  reply = get("/v1/compositions?status=failed", key_a_);
  ASSERT_EQ(reply.status, 200u);
  EXPECT_EQ(ids_of(reply.body), (std::vector<std::string>{"cp_2"}));

  reply = get("/v1/compositions?status=stalled", key_a_);
  ASSERT_EQ(reply.status, 200u);
  EXPECT_TRUE(reply.body["compositions"].empty());
}

TEST_F(CompositionRoutesTest, ListPaginatesWithTheCursor) {
  for (int i = 0; i < 5; ++i)
    composition(tenant_a_, "cp_" + std::to_string(i), Status::kCompleted, i * 10);

  std::vector<std::string> seen;
  std::string target = "/v1/compositions?limit=2";
  int pages = 0;
  while (true) {
    const auto reply = get(target, key_a_);
    ASSERT_EQ(reply.status, 200u) << reply.raw_body;
    EXPECT_LE(reply.body["compositions"].size(), 2u);
    for (const auto& id : ids_of(reply.body))
      seen.push_back(id);
    ++pages;
    if (reply.body["next_cursor"].is_null())
      break;
    target = "/v1/compositions?limit=2&cursor=" + reply.body["next_cursor"].get<std::string>();
    ASSERT_LT(pages, 10);
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, (std::vector<std::string>{"cp_4", "cp_3", "cp_2", "cp_1", "cp_0"}));
}

TEST_F(CompositionRoutesTest, ListRejectsInvalidParameters) {
  auto reply = get("/v1/compositions?status=done", key_a_);
  EXPECT_EQ(reply.status, 400u);
  EXPECT_EQ(code_of(reply), "invalid_status");
  for (const char* allowed :
       {"pending", "enqueued", "processing", "stalled", "completed", "failed"})
    EXPECT_NE(message_of(reply).find(allowed), std::string::npos) << message_of(reply);

  for (const char* limit : {"0", "201", "-1", "abc", "2.5", "1e2", "99999999999999999999"}) {
    reply = get(std::string("/v1/compositions?limit=") + limit, key_a_);
    EXPECT_EQ(reply.status, 400u) << limit;
    EXPECT_EQ(code_of(reply), "invalid_limit") << limit;
    EXPECT_NE(message_of(reply).find("1 to 200"), std::string::npos);
  }
  for (const char* limit : {"1", "200"}) {
    reply = get(std::string("/v1/compositions?limit=") + limit, key_a_);
    EXPECT_EQ(reply.status, 200u) << limit;
  }

  reply = get("/v1/compositions?cursor=not-a-cursor", key_a_);
  EXPECT_EQ(reply.status, 400u);
  EXPECT_EQ(code_of(reply), "invalid_cursor");
}

// --- get -----------------------------------------------------------------------------------

TEST_F(CompositionRoutesTest, GetAnswersThePublicJson) {
  composition(tenant_a_, "cp_done", Status::kCompleted, 10);
  const auto reply = get("/v1/compositions/cp_done", key_a_);
  ASSERT_EQ(reply.status, 200u) << reply.raw_body;
  const auto& c = reply.body;

  std::set<std::string> keys;
  for (const auto& [key, value] : c.items())
    keys.insert(key);
  EXPECT_EQ(keys, (std::set<std::string>{"id",
                                         "room_id",
                                         "room_sid",
                                         "composition_sid",
                                         "status",
                                         "progress_percent",
                                         "layout",
                                         "format",
                                         "attempts",
                                         "error",
                                         "media_available",
                                         "size_bytes",
                                         "duration_seconds",
                                         "recorded_duration_seconds",
                                         "deadline_at",
                                         "created_at",
                                         "updated_at",
                                         "started_at",
                                         "stalled_at",
                                         "completed_at",
                                         "failed_at"}));
  EXPECT_EQ(c["id"], "cp_done");
  EXPECT_EQ(c["room_id"], "rm_done");
  EXPECT_EQ(c["room_sid"], "RMdone");
  EXPECT_EQ(c["composition_sid"], "CJdone");
  EXPECT_EQ(c["status"], "completed");
  EXPECT_EQ(c["progress_percent"], 100);
  EXPECT_EQ(c["layout"], "grid");
  EXPECT_EQ(c["format"], "mp4");
  EXPECT_EQ(c["attempts"], 1);
  EXPECT_TRUE(c["error"].is_null());
  EXPECT_EQ(c["media_available"], true);
  EXPECT_EQ(c["size_bytes"], 1234567);
  EXPECT_EQ(c["duration_seconds"], 598);
  EXPECT_EQ(c["recorded_duration_seconds"], 600);
  EXPECT_EQ(c["created_at"], core::to_rfc3339(at(10)));
  EXPECT_EQ(c["updated_at"], core::to_rfc3339(at(11)));
  EXPECT_EQ(c["started_at"], core::to_rfc3339(at(12)));
  EXPECT_EQ(c["deadline_at"], core::to_rfc3339(at(2010)));
  EXPECT_EQ(c["completed_at"], core::to_rfc3339(at(310)));
  EXPECT_TRUE(c["stalled_at"].is_null());
  EXPECT_TRUE(c["failed_at"].is_null());
  // The provider's media reference never appears.
  EXPECT_EQ(reply.raw_body.find("/Media"), std::string::npos);
}

TEST_F(CompositionRoutesTest, GetShowsNullsForAPendingOneAndTheErrorOfAFailedOne) {
  composition(tenant_a_, "cp_wait", Status::kPending, 10);
  composition(tenant_a_, "cp_bad", Status::kFailed, 20);

  auto reply = get("/v1/compositions/cp_wait", key_a_);
  ASSERT_EQ(reply.status, 200u);
  EXPECT_TRUE(reply.body["composition_sid"].is_null());
  EXPECT_EQ(reply.body["media_available"], false);
  EXPECT_TRUE(reply.body["size_bytes"].is_null());
  EXPECT_TRUE(reply.body["started_at"].is_null());
  EXPECT_TRUE(reply.body["deadline_at"].is_null());
  EXPECT_TRUE(reply.body["error"].is_null());

  reply = get("/v1/compositions/cp_bad", key_a_);
  ASSERT_EQ(reply.status, 200u);
  EXPECT_EQ(reply.body["status"], "failed");
  EXPECT_EQ(reply.body["error"], "the provider failed the composition (53000)");
  EXPECT_EQ(reply.body["failed_at"], core::to_rfc3339(at(920)));
  EXPECT_EQ(reply.body["media_available"], false);
}

TEST_F(CompositionRoutesTest, GetUnknownIs404) {
  const auto reply = get("/v1/compositions/cp_nope", key_a_);
  EXPECT_EQ(reply.status, 404u);
  EXPECT_EQ(code_of(reply), "composition_not_found");
}

TEST_F(CompositionRoutesTest, EveryRouteNeedsAnApiKey) {
  composition(tenant_a_, "cp_done", Status::kCompleted, 10);
  for (const char* target :
       {"/v1/compositions", "/v1/compositions/cp_done", "/v1/compositions/cp_done/media"}) {
    auto reply = get(target, "");
    EXPECT_EQ(reply.status, 401u) << target;
    reply = get(target, "rpk_not_a_real_key");
    EXPECT_EQ(reply.status, 401u) << target;
    EXPECT_TRUE(reply.location.empty());
  }
  EXPECT_TRUE(store_.all_accesses().empty());
}

// --- tenant isolation ----------------------------------------------------------------------

TEST_F(CompositionRoutesTest, AnotherTenantsCompositionIs404OnEveryRouteAndNotAudited) {
  composition(tenant_a_, "cp_secret", Status::kCompleted, 10);
  // No EXPECT_CALL: the strict mock fails the test if B's request reaches the provider.

  auto reply = get("/v1/compositions", key_b_);
  ASSERT_EQ(reply.status, 200u);
  EXPECT_TRUE(reply.body["compositions"].empty());

  reply = get("/v1/compositions?status=completed", key_b_);
  ASSERT_EQ(reply.status, 200u);
  EXPECT_TRUE(reply.body["compositions"].empty());

  reply = get("/v1/compositions/cp_secret", key_b_);
  EXPECT_EQ(reply.status, 404u);
  EXPECT_EQ(code_of(reply), "composition_not_found");

  reply = get("/v1/compositions/cp_secret/media", key_b_);
  EXPECT_EQ(reply.status, 404u);
  EXPECT_EQ(code_of(reply), "composition_not_found");
  EXPECT_TRUE(reply.location.empty());

  EXPECT_TRUE(store_.all_accesses().empty());
  // Same answer as for an id that does not exist at all: nothing is revealed.
  const auto unknown = get("/v1/compositions/cp_nobody/media", key_b_);
  EXPECT_EQ(unknown.status, reply.status);
  EXPECT_EQ(code_of(unknown), code_of(reply));
}

// --- media ---------------------------------------------------------------------------------

TEST_F(CompositionRoutesTest, MediaRedirectsToAShortLivedUrlAndAuditsTheAccess) {
  composition(tenant_a_, "cp_done", Status::kCompleted, 10);
  clock_.set(at(5000));
  EXPECT_CALL(provider_,
              composition_media_url(_, std::string_view("CJdone"), std::chrono::seconds(300)))
      .WillOnce([this](const video::ProviderCredentials& credentials, std::string_view,
                       std::chrono::seconds) -> core::Result<std::string> {
        EXPECT_EQ(credentials.account_sid, kAccountSid);
        EXPECT_EQ(credentials.api_key_sid, kApiKeySid);
        EXPECT_EQ(credentials.api_key_secret, "secret-a");
        // The audit row is already there when the URL is asked for.
        EXPECT_EQ(store_.all_accesses().size(), 1u);
        return std::string(kMediaUrl);
      });

  const auto reply =
      get("/v1/compositions/cp_done/media", key_a_, {{"User-Agent", "clinic-portal/2.1"}});
  ASSERT_EQ(reply.status, 302u) << reply.raw_body;
  EXPECT_EQ(reply.location, kMediaUrl);
  EXPECT_EQ(reply.cache_control, "no-store");
  EXPECT_EQ(reply.raw_body.find("secret-part"), std::string::npos);  // URL only in Location
  EXPECT_EQ(reply.body["expires_at"], core::to_rfc3339(at(5300)));

  const auto accesses = store_.media_accesses(tenant_a_, core::CompositionId("cp_done")).value();
  ASSERT_EQ(accesses.size(), 1u);
  EXPECT_EQ(accesses[0].tenant, tenant_a_);
  EXPECT_EQ(accesses[0].composition.value(), "cp_done");
  EXPECT_EQ(accesses[0].api_key_id, key_id_a_.value());
  EXPECT_EQ(accesses[0].remote_address, "127.0.0.1");
  EXPECT_EQ(accesses[0].user_agent, "clinic-portal/2.1");
  EXPECT_EQ(accesses[0].at, at(5000));
}

TEST_F(CompositionRoutesTest, EveryMediaAccessIsAuditedWithTheKeyThatMadeIt) {
  composition(tenant_a_, "cp_done", Status::kCompleted, 10);
  const auto rotated = admin_.rotate_key(tenant_a_);
  ASSERT_TRUE(rotated.ok());
  EXPECT_CALL(provider_, composition_media_url(_, _, _))
      .Times(2)
      .WillRepeatedly(Return(core::Result<std::string>(std::string(kMediaUrl))));

  EXPECT_EQ(get("/v1/compositions/cp_done/media", key_a_).status, 302u);
  clock_.advance(60s);
  EXPECT_EQ(get("/v1/compositions/cp_done/media", rotated->api_key).status, 302u);

  const auto accesses = store_.media_accesses(tenant_a_, core::CompositionId("cp_done")).value();
  ASSERT_EQ(accesses.size(), 2u);
  EXPECT_EQ(accesses[0].api_key_id, key_id_a_.value());
  EXPECT_EQ(accesses[1].api_key_id, rotated->key_id.value());
  EXPECT_EQ(accesses[1].at - accesses[0].at, 60s);
  EXPECT_EQ(accesses[0].user_agent, "");  // the test client sends none
}

TEST_F(CompositionRoutesTest, MediaAuditsALongUserAgentCutTo256Bytes) {
  composition(tenant_a_, "cp_done", Status::kCompleted, 10);
  EXPECT_CALL(provider_, composition_media_url(_, _, _))
      .WillOnce(Return(core::Result<std::string>(std::string(kMediaUrl))));
  const std::string agent(1000, 'x');
  ASSERT_EQ(get("/v1/compositions/cp_done/media", key_a_, {{"User-Agent", agent}}).status, 302u);
  const auto accesses = store_.all_accesses();
  ASSERT_EQ(accesses.size(), 1u);
  EXPECT_EQ(accesses[0].user_agent, std::string(256, 'x'));
}

TEST_F(CompositionRoutesTest, MediaOfACompositionNotCompletedIs409WithItsStatus) {
  const std::vector<std::pair<Status, std::string>> cases = {
      {Status::kPending, "pending"},       {Status::kEnqueued, "enqueued"},
      {Status::kProcessing, "processing"}, {Status::kStalled, "stalled"},
      {Status::kFailed, "failed"},
  };
  int n = 0;
  for (const auto& [status, name] : cases) {
    const std::string id = "cp_s" + std::to_string(n++);
    composition(tenant_a_, id, status, n);
    const auto reply = get("/v1/compositions/" + id + "/media", key_a_);
    EXPECT_EQ(reply.status, 409u) << name;
    EXPECT_EQ(code_of(reply), "composition_not_ready") << name;
    EXPECT_NE(message_of(reply).find("is " + name), std::string::npos) << message_of(reply);
    EXPECT_TRUE(reply.location.empty());
  }
  EXPECT_TRUE(store_.all_accesses().empty());
}

TEST_F(CompositionRoutesTest, MediaIsRefusedWhenTheAuditCannotBeWritten) {
  composition(tenant_a_, "cp_done", Status::kCompleted, 10);
  store_.fail_record_media_access =
      core::Error::unavailable("database_busy", "the database is locked");
  // No EXPECT_CALL: asking the provider for a URL would fail the test.

  const auto reply = get("/v1/compositions/cp_done/media", key_a_);
  EXPECT_EQ(reply.status, 503u);
  EXPECT_EQ(code_of(reply), "audit_unavailable");
  EXPECT_TRUE(reply.location.empty());
  EXPECT_EQ(reply.raw_body.find("https://"), std::string::npos);
  EXPECT_TRUE(store_.all_accesses().empty());
}

TEST_F(CompositionRoutesTest, MediaMapsProviderFailuresLikeTheRoomRoutes) {
  composition(tenant_a_, "cp_done", Status::kCompleted, 10);
  struct Case {
    core::Error error;
    unsigned status;
    std::string code;
  };
  const std::vector<Case> cases = {
      {core::Error::unavailable("network_error", "connection refused"), 503,
       "provider_unavailable"},
      {{core::ErrorKind::kRateLimited, "rate_limited", "slow down"}, 503, "provider_rate_limited"},
      {core::Error::unauthenticated("bad credentials"), 502, "provider_credentials_rejected"},
      {{core::ErrorKind::kForbidden, "forbidden", "no permission"},
       502,
       "provider_permission_denied"},
      {core::Error::internal("surprise"), 502, "provider_error"},
      {core::Error::not_found("not_found", "no such composition"), 409, "media_unavailable"},
  };
  for (const auto& c : cases) {
    EXPECT_CALL(provider_, composition_media_url(_, _, _))
        .WillOnce(Return(core::Result<std::string>(c.error)));
    const auto reply = get("/v1/compositions/cp_done/media", key_a_);
    EXPECT_EQ(reply.status, c.status) << c.code;
    EXPECT_EQ(code_of(reply), c.code);
    EXPECT_TRUE(reply.location.empty()) << c.code;
    ::testing::Mock::VerifyAndClearExpectations(&provider_);
  }
  // Audited before the provider was asked: one row per attempt (over-reports, never under).
  EXPECT_EQ(store_.all_accesses().size(), cases.size());
}

TEST_F(CompositionRoutesTest, MediaWithoutProviderCredentialsIs409) {
  composition(tenant_b_, "cp_b", Status::kCompleted, 10);
  const auto reply = get("/v1/compositions/cp_b/media", key_b_);
  EXPECT_EQ(reply.status, 409u);
  EXPECT_EQ(code_of(reply), "provider_not_configured");
  EXPECT_TRUE(reply.location.empty());
  EXPECT_TRUE(store_.all_accesses().empty());
}

TEST_F(CompositionRoutesTest, MediaOfACompletedCompositionWithoutProviderSidIs409) {
  auto c = composition(tenant_a_, "cp_odd", Status::kCompleted, 10);
  c.provider_composition_sid.reset();
  store_.put(c);
  const auto reply = get("/v1/compositions/cp_odd/media", key_a_);
  EXPECT_EQ(reply.status, 409u);
  EXPECT_EQ(code_of(reply), "media_unavailable");
  EXPECT_TRUE(store_.all_accesses().empty());
}

}  // namespace
}  // namespace roomplane::compositions
