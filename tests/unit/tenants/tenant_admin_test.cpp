// TenantAdmin and TenantDirectory over a real SQLite database, with a manual clock.

#include "tenants/tenant_admin.h"

#include <gtest/gtest.h>

#include "crypto/crypto.h"
#include "observability/metrics.h"
#include "storage/sqlite_tenant_stores.h"
#include "support/manual_clock.h"
#include "support/temp_dir.h"
#include "tenants/tenant_directory.h"

namespace roomplane::tenants {
namespace {

using namespace std::chrono_literals;

const ProviderCredentials kCredentials{
    "AC0123456789abcdef0123456789abcdef", "SK0123456789abcdef0123456789abcdef",
    "api-key-secret-that-must-not-leak", "f00dfacef00dfacef00dfacef00dface"};

class TenantsTest : public ::testing::Test {
 protected:
  TenantsTest()
      : db_(storage::SqliteDatabase::open({dir_.file("rp.db")}).value()),
        tenants_(*db_),
        keys_(*db_),
        credentials_(*db_),
        box_(crypto::SecretBox::from_key(std::string(32, 'm')).value()),
        admin_(tenants_, keys_, credentials_, box_, clock_),
        directory_(tenants_, keys_, credentials_, box_, clock_, 30s, metrics_) {
    EXPECT_TRUE(db_->migrate().ok());
  }

  double cache_count(const std::string& cache, const std::string& result) {
    return metrics_
        .counter("roomplane_tenant_cache_requests_total", "",
                 {{"cache", cache}, {"result", result}})
        .value();
  }

  testing::TempDir dir_;
  testing::ManualClock clock_;
  observability::MetricsRegistry metrics_;
  std::unique_ptr<storage::SqliteDatabase> db_;
  storage::SqliteTenantStore tenants_;
  storage::SqliteApiKeyStore keys_;
  storage::SqliteCredentialStore credentials_;
  crypto::SecretBox box_;
  TenantAdmin admin_;
  TenantDirectory directory_;
};

TEST_F(TenantsTest, CreatedTenantAuthenticatesWithItsKey) {
  auto created = admin_.create_tenant("Clinic One");
  ASSERT_TRUE(created.ok()) << created.error().message;
  auto principal = directory_.authenticate(created->api_key);
  ASSERT_TRUE(principal.ok());
  EXPECT_EQ(principal->tenant_id, created->tenant.id);
  EXPECT_EQ(principal->key_id, created->key_id);
}

TEST_F(TenantsTest, KeyIsStoredOnlyAsHash) {
  auto created = admin_.create_tenant("Clinic One").value();
  const auto disk = testing::read_files_with_prefix(dir_.path(), "rp.db");
  EXPECT_EQ(disk.find(created.api_key), std::string::npos);
  EXPECT_EQ(disk.find(created.api_key.substr(12)), std::string::npos);
  EXPECT_NE(disk.find(crypto::sha256_hex(created.api_key)), std::string::npos);
}

TEST_F(TenantsTest, RejectsBadNames) {
  EXPECT_EQ(admin_.create_tenant("").error().code, "invalid_tenant_name");
  EXPECT_EQ(admin_.create_tenant(std::string(201, 'x')).error().code, "invalid_tenant_name");
  EXPECT_EQ(admin_.create_tenant("bad\nname").error().code, "invalid_tenant_name");
  EXPECT_TRUE(tenants_.list()->empty());
}

TEST_F(TenantsTest, RotationKeepsOldKeyWorkingUntilRevoked) {
  auto created = admin_.create_tenant("Clinic").value();
  auto rotated = admin_.rotate_key(created.tenant.id);
  ASSERT_TRUE(rotated.ok());
  EXPECT_NE(rotated->api_key, created.api_key);
  EXPECT_TRUE(directory_.authenticate(created.api_key).ok());
  EXPECT_TRUE(directory_.authenticate(rotated->api_key).ok());
  EXPECT_EQ(keys_.list(created.tenant.id)->size(), 2u);

  ASSERT_TRUE(admin_.revoke_key(created.tenant.id, created.key_id).ok());
  clock_.advance(31s);  // past one cache TTL
  auto old_key = directory_.authenticate(created.api_key);
  ASSERT_FALSE(old_key.ok());
  EXPECT_EQ(old_key.error().kind, core::ErrorKind::kUnauthenticated);
  EXPECT_TRUE(directory_.authenticate(rotated->api_key).ok());
}

TEST_F(TenantsTest, RevokedKeyWorksFromCacheUntilTtlThenStops) {
  auto created = admin_.create_tenant("Clinic").value();
  ASSERT_TRUE(directory_.authenticate(created.api_key).ok());  // fills the cache
  ASSERT_TRUE(admin_.revoke_key(created.tenant.id, created.key_id).ok());

  clock_.advance(29s);
  auto cached = directory_.authenticate_cached(created.api_key);
  ASSERT_TRUE(cached.has_value());
  EXPECT_TRUE(cached->ok()) << "within the TTL the cached verdict stands";

  clock_.advance(2s);
  EXPECT_FALSE(directory_.authenticate_cached(created.api_key).has_value())
      << "expired entry is a miss";
  EXPECT_FALSE(directory_.authenticate(created.api_key).ok());
  auto negative = directory_.authenticate_cached(created.api_key);
  ASSERT_TRUE(negative.has_value()) << "the refusal is cached too";
  EXPECT_FALSE(negative->ok());
}

TEST_F(TenantsTest, UnknownAndMalformedKeysAre401AndMalformedNeverReachTheStore) {
  const double misses_before = cache_count("api_key", "miss");
  auto malformed = directory_.authenticate("not-a-key");
  ASSERT_FALSE(malformed.ok());
  EXPECT_EQ(malformed.error().kind, core::ErrorKind::kUnauthenticated);
  EXPECT_EQ(cache_count("api_key", "miss"), misses_before);

  auto unknown = directory_.authenticate("rpk_" + std::string(40, 'a'));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().kind, core::ErrorKind::kUnauthenticated);
  EXPECT_EQ(unknown.error().message, malformed.error().message)
      << "the two must be indistinguishable";
  EXPECT_EQ(cache_count("api_key", "miss"), misses_before + 1);
}

TEST_F(TenantsTest, CacheCountsHitsAndMisses) {
  auto created = admin_.create_tenant("Clinic").value();
  ASSERT_TRUE(directory_.authenticate(created.api_key).ok());
  ASSERT_TRUE(directory_.authenticate(created.api_key).ok());
  ASSERT_TRUE(directory_.authenticate_cached(created.api_key).has_value());
  EXPECT_EQ(cache_count("api_key", "miss"), 1);
  EXPECT_EQ(cache_count("api_key", "hit"), 2);
}

TEST_F(TenantsTest, ProviderSecretsAreEncryptedAtRestAndDecryptThroughTheDirectory) {
  auto created = admin_.create_tenant("Clinic").value();
  ASSERT_TRUE(admin_.set_provider_credentials(created.tenant.id, kCredentials).ok());

  const auto disk = testing::read_files_with_prefix(dir_.path(), "rp.db");
  EXPECT_NE(disk.find(kCredentials.account_sid), std::string::npos) << "SIDs are not secret";
  EXPECT_EQ(disk.find(kCredentials.api_key_secret), std::string::npos);
  EXPECT_EQ(disk.find(kCredentials.auth_token), std::string::npos);

  auto creds = directory_.provider_credentials(created.tenant.id);
  ASSERT_TRUE(creds.ok()) << creds.error().message;
  ASSERT_TRUE(creds->has_value());
  EXPECT_EQ((*creds)->api_key_secret, kCredentials.api_key_secret);
  EXPECT_EQ((*creds)->auth_token, kCredentials.auth_token);
}

TEST_F(TenantsTest, CredentialsSealedForOneTenantDoNotOpenForAnother) {
  auto a = admin_.create_tenant("A").value();
  auto b = admin_.create_tenant("B").value();
  ASSERT_TRUE(admin_.set_provider_credentials(a.tenant.id, kCredentials).ok());
  auto sealed = credentials_.find(a.tenant.id).value().value();
  ASSERT_TRUE(credentials_.save(b.tenant.id, sealed).ok());  // an attacker copies the row
  auto stolen = directory_.provider_credentials(b.tenant.id);
  EXPECT_FALSE(stolen.ok());
}

TEST_F(TenantsTest, SetCredentialsValidatesFormatsAndTenant) {
  auto created = admin_.create_tenant("Clinic").value();
  auto bad = kCredentials;
  bad.account_sid = "AC123";
  EXPECT_EQ(admin_.set_provider_credentials(created.tenant.id, bad).error().code,
            "invalid_account_sid");
  bad = kCredentials;
  bad.api_key_sid = "AK0123456789abcdef0123456789abcdef";
  EXPECT_EQ(admin_.set_provider_credentials(created.tenant.id, bad).error().code,
            "invalid_api_key_sid");
  bad = kCredentials;
  bad.auth_token = "short";
  EXPECT_EQ(admin_.set_provider_credentials(created.tenant.id, bad).error().code,
            "invalid_auth_token");
  bad = kCredentials;
  bad.api_key_secret = "";
  EXPECT_EQ(admin_.set_provider_credentials(created.tenant.id, bad).error().code,
            "invalid_api_key_secret");
  EXPECT_FALSE(credentials_.find(created.tenant.id)->has_value());
  EXPECT_EQ(
      admin_.set_provider_credentials(core::TenantId("tn_missing"), kCredentials).error().kind,
      core::ErrorKind::kNotFound);
}

TEST_F(TenantsTest, TenantLookupIsCachedForOneTtl) {
  auto created = admin_.create_tenant("Clinic").value();
  ASSERT_TRUE(directory_.tenant(created.tenant.id).ok());
  TenantSettings s;
  s.reserved_identities = {"doctor"};
  ASSERT_TRUE(tenants_.update_settings(created.tenant.id, s, clock_.now()).ok());
  EXPECT_TRUE(directory_.tenant(created.tenant.id)->settings.reserved_identities.empty());
  clock_.advance(30s);
  EXPECT_EQ(directory_.tenant(created.tenant.id)->settings.reserved_identities,
            std::vector<std::string>{"doctor"});
  EXPECT_EQ(directory_.tenant(core::TenantId("tn_missing")).error().kind,
            core::ErrorKind::kNotFound);
}

TEST(TenantSettings, ValidatesTtlBounds) {
  EXPECT_TRUE(TenantSettings::from_json(nlohmann::json::object()).ok());
  EXPECT_FALSE(TenantSettings::from_json({{"token_ttl_max_seconds", 90000}}).ok());
  EXPECT_FALSE(TenantSettings::from_json({{"token_ttl_min_seconds", 0}}).ok());
  EXPECT_FALSE(TenantSettings::from_json({{"token_ttl_default_seconds", 10}}).ok());
  EXPECT_FALSE(TenantSettings::from_json({{"token_ttl_max_seconds", "many"}}).ok());
  EXPECT_FALSE(TenantSettings::from_json({{"reserved_identities", {1, 2}}}).ok());
  EXPECT_FALSE(TenantSettings::from_json(nlohmann::json::array()).ok());
}

}  // namespace
}  // namespace roomplane::tenants
