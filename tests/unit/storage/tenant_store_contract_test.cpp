// One contract for every TenantStore/ApiKeyStore/CredentialStore backend. SQLite today;
// a PostgreSQL backend is added as another parameter of the same suite.

#include <functional>
#include <memory>

#include <gtest/gtest.h>

#include "storage/sqlite_tenant_stores.h"
#include "support/temp_dir.h"

namespace roomplane::storage {
namespace {

using core::ApiKeyId;
using core::TenantId;

struct Backend {
  virtual ~Backend() = default;
  virtual tenants::TenantStore& tenants() = 0;
  virtual tenants::ApiKeyStore& keys() = 0;
  virtual tenants::CredentialStore& credentials() = 0;
};

struct SqliteBackend : Backend {
  SqliteBackend() : db(SqliteDatabase::open({dir.file("rp.db")}).value()), t(*db), k(*db), c(*db) {
    EXPECT_TRUE(db->migrate().ok());
  }
  tenants::TenantStore& tenants() override { return t; }
  tenants::ApiKeyStore& keys() override { return k; }
  tenants::CredentialStore& credentials() override { return c; }
  testing::TempDir dir;
  std::unique_ptr<SqliteDatabase> db;
  SqliteTenantStore t;
  SqliteApiKeyStore k;
  SqliteCredentialStore c;
};

using BackendFactory = std::function<std::unique_ptr<Backend>()>;

class TenantStoreContract : public ::testing::TestWithParam<BackendFactory> {
 protected:
  void SetUp() override { backend_ = GetParam()(); }
  std::unique_ptr<Backend> backend_;

  static tenants::ApiKey key(const std::string& tenant, const std::string& id,
                             const std::string& hash) {
    return {ApiKeyId(id), TenantId(tenant), hash, "rpk_abcdefgh", core::from_unix_seconds(100),
            std::nullopt};
  }
  static tenants::Tenant tenant(const std::string& id, const std::string& name) {
    tenants::Tenant t{TenantId(id), name, {}, core::from_unix_seconds(100)};
    t.settings.reserved_identities = {"nurse"};
    return t;
  }
};

TEST_P(TenantStoreContract, CreatesFindsAndListsTenants) {
  ASSERT_TRUE(
      backend_->tenants().create(tenant("tn_a", "Clinic A"), key("tn_a", "key_1", "h1")).ok());
  ASSERT_TRUE(
      backend_->tenants().create(tenant("tn_b", "Clinic B"), key("tn_b", "key_2", "h2")).ok());
  auto found = backend_->tenants().find(TenantId("tn_a"));
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->name, "Clinic A");
  EXPECT_EQ((*found)->settings.reserved_identities, std::vector<std::string>{"nurse"});
  EXPECT_EQ((*found)->created_at, core::from_unix_seconds(100));
  EXPECT_FALSE(backend_->tenants().find(TenantId("tn_zz"))->has_value());
  EXPECT_EQ(backend_->tenants().list()->size(), 2u);
}

TEST_P(TenantStoreContract, DuplicateKeyHashIsAConflictAndCreatesNothing) {
  ASSERT_TRUE(backend_->tenants().create(tenant("tn_a", "A"), key("tn_a", "key_1", "same")).ok());
  auto dup = backend_->tenants().create(tenant("tn_b", "B"), key("tn_b", "key_2", "same"));
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().kind, core::ErrorKind::kConflict);
  EXPECT_FALSE(backend_->tenants().find(TenantId("tn_b"))->has_value());
}

TEST_P(TenantStoreContract, UpdatesSettings) {
  ASSERT_TRUE(backend_->tenants().create(tenant("tn_a", "A"), key("tn_a", "key_1", "h1")).ok());
  tenants::TenantSettings s;
  s.token_ttl_max_seconds = 600;
  s.token_ttl_default_seconds = 300;
  ASSERT_TRUE(
      backend_->tenants().update_settings(TenantId("tn_a"), s, core::from_unix_seconds(200)).ok());
  EXPECT_EQ((*backend_->tenants().find(TenantId("tn_a")).value()).settings.token_ttl_max_seconds,
            600);
  EXPECT_EQ(backend_->tenants()
                .update_settings(TenantId("tn_none"), s, core::from_unix_seconds(200))
                .error()
                .kind,
            core::ErrorKind::kNotFound);
}

TEST_P(TenantStoreContract, AddsListsRevokesAndFindsKeys) {
  ASSERT_TRUE(backend_->tenants().create(tenant("tn_a", "A"), key("tn_a", "key_1", "h1")).ok());
  ASSERT_TRUE(backend_->keys().add(key("tn_a", "key_2", "h2")).ok());
  EXPECT_EQ(backend_->keys().list(TenantId("tn_a"))->size(), 2u);
  auto found = backend_->keys().find_by_hash("h2");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->tenant_id, TenantId("tn_a"));
  EXPECT_TRUE((*found)->active());

  ASSERT_TRUE(backend_->keys()
                  .revoke(TenantId("tn_a"), ApiKeyId("key_2"), core::from_unix_seconds(500))
                  .ok());
  ASSERT_TRUE(backend_->keys()
                  .revoke(TenantId("tn_a"), ApiKeyId("key_2"), core::from_unix_seconds(900))
                  .ok());
  auto revoked = backend_->keys().find_by_hash("h2");
  EXPECT_EQ((*revoked)->revoked_at, core::from_unix_seconds(500));  // first revocation time kept
  EXPECT_TRUE(backend_->keys().find_by_hash("h1").value()->active());
  EXPECT_FALSE(backend_->keys().find_by_hash("unknown")->has_value());
}

TEST_P(TenantStoreContract, KeysAreTenantScoped) {
  ASSERT_TRUE(backend_->tenants().create(tenant("tn_a", "A"), key("tn_a", "key_1", "h1")).ok());
  ASSERT_TRUE(backend_->tenants().create(tenant("tn_b", "B"), key("tn_b", "key_2", "h2")).ok());
  auto wrong =
      backend_->keys().revoke(TenantId("tn_b"), ApiKeyId("key_1"), core::from_unix_seconds(1));
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().kind, core::ErrorKind::kNotFound);
  EXPECT_TRUE(backend_->keys().find_by_hash("h1").value()->active());
  EXPECT_EQ(backend_->keys().list(TenantId("tn_b"))->size(), 1u);
}

TEST_P(TenantStoreContract, SavesAndReplacesCredentials) {
  ASSERT_TRUE(backend_->tenants().create(tenant("tn_a", "A"), key("tn_a", "key_1", "h1")).ok());
  EXPECT_FALSE(backend_->credentials().find(TenantId("tn_a"))->has_value());
  tenants::SealedProviderCredentials c{"AC1", "SK1", "v1:secret", "v1:token",
                                       core::from_unix_seconds(10)};
  ASSERT_TRUE(backend_->credentials().save(TenantId("tn_a"), c).ok());
  c.account_sid = "AC2";
  ASSERT_TRUE(backend_->credentials().save(TenantId("tn_a"), c).ok());
  auto found = backend_->credentials().find(TenantId("tn_a"));
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->account_sid, "AC2");
  EXPECT_EQ((*found)->auth_token_sealed, "v1:token");
  EXPECT_FALSE(backend_->credentials().find(TenantId("tn_b"))->has_value());
}

INSTANTIATE_TEST_SUITE_P(Sqlite, TenantStoreContract, ::testing::Values(BackendFactory([] {
                           return std::make_unique<SqliteBackend>();
                         })));

}  // namespace
}  // namespace roomplane::storage
