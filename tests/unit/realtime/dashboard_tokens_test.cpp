// Dashboard tokens: the pure signer/verifier with a manual clock, the POST /v1/dashboard-tokens
// route, and the hub authenticator, over a real SQLite tenant directory.

#include "realtime/dashboard_tokens.h"

#include <future>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "crypto/crypto.h"
#include "realtime/hub_auth.h"
#include "storage/sqlite_tenant_stores.h"
#include "support/manual_clock.h"
#include "support/temp_dir.h"
#include "tenants/tenant_admin.h"
#include "tenants/tenant_directory.h"

namespace roomplane::realtime {
namespace {

using namespace std::chrono_literals;

const std::string kKey(32, 'k');

TEST(DashboardTokens, RoundTripsTheTenantUntilExpiry) {
  testing::ManualClock clock;
  auto tokens = DashboardTokens::create(kKey, clock).value();
  auto issued = tokens.issue(core::TenantId("tn_abc"), 15min).value();
  EXPECT_TRUE(issued.token.starts_with("rpd_"));
  EXPECT_EQ(issued.expires_at, clock.now() + 15min);
  // URL-safe as it is, since browsers put it in ?access_token=.
  EXPECT_EQ(issued.token.find_first_not_of(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."),
            std::string::npos);

  auto tenant = tokens.verify(issued.token);
  ASSERT_TRUE(tenant.ok());
  EXPECT_EQ(tenant->value(), "tn_abc");

  clock.advance(15min - 1s);
  EXPECT_TRUE(tokens.verify(issued.token).ok());
  clock.advance(1s);
  const auto expired = tokens.verify(issued.token);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().kind, core::ErrorKind::kUnauthenticated);
}

TEST(DashboardTokens, RejectsForgedTamperedAndForeignTokens) {
  testing::ManualClock clock;
  auto tokens = DashboardTokens::create(kKey, clock).value();
  auto other_key = DashboardTokens::create(std::string(32, 'o'), clock).value();
  const auto token = tokens.issue(core::TenantId("tn_abc"), 5min).value().token;

  EXPECT_FALSE(other_key.verify(token).ok());
  const auto dot = token.find('.');
  // Another tenant's payload with the original signature.
  const auto forged_payload = crypto::base64url_encode(
      "v1|tn_evil|" + std::to_string(core::to_unix_seconds(clock.now()) + 300));
  EXPECT_FALSE(tokens.verify("rpd_" + forged_payload + token.substr(dot)).ok());
  std::string flipped = token;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(tokens.verify(flipped).ok());
  const std::vector<std::string> bad_tokens = {
      "", "rpd_", "rpd_abc", "rpd_.", "rpk_" + token.substr(4), token + "x", std::string(600, 'a')};
  for (const auto& bad : bad_tokens) {
    EXPECT_FALSE(tokens.verify(bad).ok()) << bad;
  }
}

TEST(DashboardTokens, BoundsTtlAndKeySize) {
  testing::ManualClock clock;
  EXPECT_FALSE(DashboardTokens::create("short", clock).ok());
  auto tokens = DashboardTokens::create(kKey, clock).value();
  EXPECT_FALSE(tokens.issue(core::TenantId("tn_a"), 59s).ok());
  EXPECT_FALSE(tokens.issue(core::TenantId("tn_a"), 3601s).ok());
  EXPECT_TRUE(tokens.issue(core::TenantId("tn_a"), 60s).ok());
  EXPECT_TRUE(tokens.issue(core::TenantId("tn_a"), 3600s).ok());
}

class DashboardRouteTest : public ::testing::Test {
 protected:
  DashboardRouteTest()
      : db_(storage::SqliteDatabase::open({dir_.file("rp.db")}).value()),
        tenants_(*db_),
        keys_(*db_),
        credentials_(*db_),
        box_(crypto::SecretBox::from_key(std::string(32, 'm')).value()),
        admin_(tenants_, keys_, credentials_, box_, clock_),
        directory_(tenants_, keys_, credentials_, box_, clock_, 30s, metrics_),
        tokens_(DashboardTokens::create(kKey, clock_).value()) {
    EXPECT_TRUE(db_->migrate().ok());
    add_dashboard_token_routes(router_, directory_, pool_, tokens_);
  }
  ~DashboardRouteTest() override { pool_.stop(); }

  http::Response call(std::string body, std::optional<std::string> key) {
    http::Request request;
    request.method = "POST";
    request.path = "/v1/dashboard-tokens";
    request.body = std::move(body);
    if (key)
      request.headers["Authorization"] = "Bearer " + *key;
    auto match = router_.match("POST", "/v1/dashboard-tokens");
    EXPECT_NE(match.handler, nullptr);
    std::promise<http::Response> answer;
    (*match.handler)(std::move(request),
                     [&answer](http::Response response) { answer.set_value(std::move(response)); });
    return answer.get_future().get();
  }

  // Resolves a credential through the production hub authenticator.
  core::Result<core::TenantId> hub_auth(std::string credential) {
    TenantHubAuthenticator authenticator(directory_, pool_, tokens_);
    std::promise<core::Result<core::TenantId>> answer;
    authenticator.authenticate(std::move(credential), [&answer](core::Result<core::TenantId> r) {
      answer.set_value(std::move(r));
    });
    return answer.get_future().get();
  }

  testing::TempDir dir_;
  testing::ManualClock clock_;
  observability::MetricsRegistry metrics_;
  std::unique_ptr<storage::SqliteDatabase> db_;
  storage::SqliteTenantStore tenants_;
  storage::SqliteApiKeyStore keys_;
  storage::SqliteCredentialStore credentials_;
  crypto::SecretBox box_;
  tenants::TenantAdmin admin_;
  tenants::TenantDirectory directory_;
  DashboardTokens tokens_;
  core::WorkPool pool_{1};
  http::Router router_;
};

TEST_F(DashboardRouteTest, IssuesATokenTheHubAccepts) {
  const auto created = admin_.create_tenant("Clinic").value();
  const auto response = call("", created.api_key);
  ASSERT_EQ(response.status, 201u) << response.body;
  const auto body = nlohmann::json::parse(response.body);
  EXPECT_EQ(body["ttl_seconds"], 900);
  EXPECT_EQ(body["expires_at"], core::to_rfc3339(clock_.now() + 15min));

  auto tenant = hub_auth(body["token"].get<std::string>());
  ASSERT_TRUE(tenant.ok());
  EXPECT_EQ(*tenant, created.tenant.id);
  // The API key itself works for the hub too (directory look-up on the pool, then cached).
  auto by_key = hub_auth(created.api_key);
  ASSERT_TRUE(by_key.ok());
  EXPECT_EQ(*by_key, created.tenant.id);
  EXPECT_TRUE(hub_auth(created.api_key).ok());
  EXPECT_FALSE(hub_auth("rpk_" + std::string(40, 'a')).ok());
  EXPECT_FALSE(hub_auth("garbage").ok());
}

// Hostile credentials in bulk through the production authenticator: a real dashboard token
// and a real API key of one tenant, and another tenant's key, each with random damage. Every
// answer is a refusal (unauthenticated) unless the damage left the credential as it was; none
// ever resolves to another tenant.
TEST_F(DashboardRouteTest, DamagedCredentialsAreRefusedAndNeverNameAnotherTenant) {
  const auto clinic = admin_.create_tenant("Clinic").value();
  const auto other = admin_.create_tenant("Other").value();
  const auto token =
      nlohmann::json::parse(call("", clinic.api_key).body)["token"].get<std::string>();
  const std::vector<std::pair<std::string, core::TenantId>> genuine = {
      {token, clinic.tenant.id},
      {clinic.api_key, clinic.tenant.id},
      {other.api_key, other.tenant.id}};
  std::mt19937 rng(20261203);
  int refused = 0;
  for (int round = 0; round < 600; ++round) {
    const auto& [original, owner] = genuine[rng() % genuine.size()];
    std::string credential = original;
    for (int edits = 1 + static_cast<int>(rng() % 3); edits > 0; --edits) {
      const auto at = credential.empty() ? 0 : rng() % credential.size();
      switch (rng() % 4) {
        case 0:
          if (!credential.empty())
            credential[at] = static_cast<char>(rng() % 256);
          break;
        case 1:
          credential.insert(credential.begin() + static_cast<std::ptrdiff_t>(at),
                            static_cast<char>(rng() % 256));
          break;
        case 2:
          credential.resize(at);
          break;
        default:  // a character of the token's own alphabet, so the shape checks pass more often
          if (!credential.empty())
            credential[at] = "abcdefghijklmnopqrstuvwxyz0123456789_-."[rng() % 39];
          break;
      }
    }
    const auto answer = hub_auth(credential);
    if (credential == original) {
      ASSERT_TRUE(answer.ok()) << "round " << round;
      EXPECT_EQ(*answer, owner);
      continue;
    }
    ASSERT_FALSE(answer.ok()) << "round " << round << " accepted a damaged credential for "
                              << answer.value().value();
    EXPECT_EQ(answer.error().kind, core::ErrorKind::kUnauthenticated) << "round " << round;
    ++refused;
  }
  EXPECT_GT(refused, 500);
}

TEST_F(DashboardRouteTest, HonoursTtlAndRefusesBadInput) {
  const auto created = admin_.create_tenant("Clinic").value();
  const auto custom = call(R"({"ttl_seconds":120})", created.api_key);
  ASSERT_EQ(custom.status, 201u);
  EXPECT_EQ(nlohmann::json::parse(custom.body)["ttl_seconds"], 120);

  // Out of range is 422 with the rule, as for a room token's TTL; not an integer is 400.
  const auto too_long = call(R"({"ttl_seconds":7200})", created.api_key);
  EXPECT_EQ(too_long.status, 422u);
  EXPECT_EQ(nlohmann::json::parse(too_long.body)["error"]["code"], "invalid_ttl");
  EXPECT_NE(too_long.body.find("between 60 and 3600"), std::string::npos) << too_long.body;
  EXPECT_EQ(call(R"({"ttl_seconds":59})", created.api_key).status, 422u);
  EXPECT_EQ(call(R"({"ttl_seconds":"long"})", created.api_key).status, 400u);
  EXPECT_EQ(call("[1]", created.api_key).status, 400u);
  EXPECT_EQ(call("", std::nullopt).status, 401u);
  // A dashboard token is not an API key: it cannot mint more tokens.
  const auto token = nlohmann::json::parse(call("", created.api_key).body)["token"];
  EXPECT_EQ(call("", token.get<std::string>()).status, 401u);
}

}  // namespace
}  // namespace roomplane::realtime
