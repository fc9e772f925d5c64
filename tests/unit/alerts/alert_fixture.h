#pragma once
// A migrated SQLite database in a temporary directory with the alert store over it, and a
// builder for alerts.

#include <chrono>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "alerts/alert.h"
#include "storage/sqlite_alert_store.h"
#include "storage/sqlite_database.h"
#include "support/manual_clock.h"
#include "support/temp_dir.h"

namespace roomplane::alerts::testing {

inline const core::TenantId kTenantA("tn_alerts_a");
inline const core::TenantId kTenantB("tn_alerts_b");

inline Alert make_alert(const core::TenantId& tenant, const std::string& id,
                        core::TimePoint created) {
  Alert alert;
  alert.id = id;
  alert.tenant = tenant;
  alert.kind = std::string(kCompositionFailed);
  alert.subject_id = "cmp_" + id;
  alert.body = R"({"type":"composition.failed","alert_id":")" + id + R"(","composition_id":"cmp_)" +
               id + R"(","note":"caf\u00e9 \ud83c\udfa5"})";
  alert.created_at = created;
  return alert;
}

class AlertStoreTest : public ::testing::Test {
 protected:
  AlertStoreTest()
      : db_(storage::SqliteDatabase::open({dir_.file("alerts.db")}).value()), store_(*db_) {
    const auto migrated = db_->migrate();
    EXPECT_TRUE(migrated.ok()) << migrated.error().message;
  }

  roomplane::testing::TempDir dir_;
  roomplane::testing::ManualClock clock_;
  std::unique_ptr<storage::SqliteDatabase> db_;
  storage::SqliteAlertStore store_;
};

}  // namespace roomplane::alerts::testing
