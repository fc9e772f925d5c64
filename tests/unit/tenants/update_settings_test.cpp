// TenantAdmin::update_settings (what `roomplane tenant configure` runs) over a real SQLite
// database.

#include <gtest/gtest.h>

#include "storage/sqlite_tenant_stores.h"
#include "support/manual_clock.h"
#include "support/temp_dir.h"
#include "tenants/tenant_admin.h"

namespace roomplane::tenants {
namespace {

class UpdateSettingsTest : public ::testing::Test {
 protected:
  UpdateSettingsTest()
      : db_(storage::SqliteDatabase::open({dir_.file("rp.db")}).value()),
        tenants_(*db_),
        keys_(*db_),
        credentials_(*db_),
        box_(crypto::SecretBox::from_key(std::string(32, 'm')).value()),
        admin_(tenants_, keys_, credentials_, box_, clock_) {
    EXPECT_TRUE(db_->migrate().ok());
  }

  TenantSettings stored(const core::TenantId& id) {
    auto found = tenants_.find(id);
    EXPECT_TRUE(found.ok() && *found);
    return found.ok() && *found ? (*found)->settings : TenantSettings{};
  }

  testing::TempDir dir_;
  testing::ManualClock clock_;
  std::unique_ptr<storage::SqliteDatabase> db_;
  storage::SqliteTenantStore tenants_;
  storage::SqliteApiKeyStore keys_;
  storage::SqliteCredentialStore credentials_;
  crypto::SecretBox box_;
  TenantAdmin admin_;
};

TEST_F(UpdateSettingsTest, ChangesOnlyTheGivenSettings) {
  TenantSettings initial;
  initial.reserved_identities = {"front-desk"};
  initial.token_ttl_default_seconds = 1800;
  const auto id = admin_.create_tenant("Clinic", initial).value().tenant.id;

  TenantAdmin::SettingsUpdate update;
  update.alert_url = "https://clinic.example/hooks/roomplane?k=1";
  auto updated = admin_.update_settings(id, update);
  ASSERT_TRUE(updated.ok()) << updated.error().message;
  EXPECT_EQ(updated->id, id);
  EXPECT_EQ(updated->name, "Clinic");
  EXPECT_EQ(updated->settings.alert_url, "https://clinic.example/hooks/roomplane?k=1");

  auto settings = stored(id);
  EXPECT_EQ(settings.alert_url, "https://clinic.example/hooks/roomplane?k=1");
  EXPECT_EQ(settings.composition_layout, "grid");
  EXPECT_EQ(settings.composition_format, "mp4");
  EXPECT_EQ(settings.reserved_identities, std::vector<std::string>{"front-desk"});
  EXPECT_EQ(settings.token_ttl_default_seconds, 1800);

  update = {};
  update.composition_layout = "audio_only";
  update.composition_format = "webm";
  ASSERT_TRUE(admin_.update_settings(id, update).ok());
  settings = stored(id);
  EXPECT_EQ(settings.composition_layout, "audio_only");
  EXPECT_EQ(settings.composition_format, "webm");
  EXPECT_EQ(settings.alert_url, "https://clinic.example/hooks/roomplane?k=1");

  update = {};
  update.alert_url = "";  // clears it
  ASSERT_TRUE(admin_.update_settings(id, update).ok());
  EXPECT_EQ(stored(id).alert_url, "");
  EXPECT_EQ(stored(id).composition_layout, "audio_only");
}

TEST_F(UpdateSettingsTest, RejectsInvalidValuesAndStoresNothing) {
  const auto id = admin_.create_tenant("Clinic").value().tenant.id;
  for (auto make : {+[](TenantAdmin::SettingsUpdate& u) { u.alert_url = "ftp://x.example/"; },
                    +[](TenantAdmin::SettingsUpdate& u) { u.alert_url = "https://a b.example/"; },
                    +[](TenantAdmin::SettingsUpdate& u) { u.composition_layout = "mosaic"; },
                    +[](TenantAdmin::SettingsUpdate& u) { u.composition_format = "mkv"; }}) {
    TenantAdmin::SettingsUpdate update;
    update.composition_format = "webm";  // valid, but must not be stored with an invalid one
    make(update);
    auto result = admin_.update_settings(id, update);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, "invalid_tenant_settings");
    EXPECT_EQ(result.error().kind, core::ErrorKind::kInvalidArgument);
  }
  const auto settings = stored(id);
  EXPECT_EQ(settings.alert_url, "");
  EXPECT_EQ(settings.composition_format, "mp4");
}

TEST_F(UpdateSettingsTest, UnknownTenantIsNotFound) {
  TenantAdmin::SettingsUpdate update;
  update.alert_url = "https://clinic.example/hooks";
  auto result = admin_.update_settings(core::TenantId("tn_missing"), update);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, "tenant_not_found");
  EXPECT_EQ(result.error().kind, core::ErrorKind::kNotFound);
}

}  // namespace
}  // namespace roomplane::tenants
