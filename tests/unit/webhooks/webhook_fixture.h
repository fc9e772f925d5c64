#pragma once
// The webhook route over real HTTP (http::Server on port 0, libcurl client) with a real,
// migrated SQLite database: tenants and credentials through TenantAdmin and TenantDirectory,
// the ledger as storage::SqliteEventLedger behind a gate the tests can close or fail.
//
// The configured public URL is deliberately NOT the address the test connects to
// (https://hooks.example.test vs http://127.0.0.1:port): Twilio signs the public URL, and a
// proxy or TLS offload sits between it and us.

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "core/work_pool.h"
#include "crypto/secret_box.h"
#include "http/curl_client.h"
#include "http/form.h"
#include "http/router.h"
#include "http/server.h"
#include "observability/metrics.h"
#include "rooms/state_codec.h"
#include "storage/sqlite_room_store.h"
#include "storage/sqlite_tenant_stores.h"
#include "support/manual_clock.h"
#include "support/temp_dir.h"
#include "tenants/tenant_admin.h"
#include "tenants/tenant_directory.h"
#include "twilio/signature.h"
#include "webhooks/ingestor.h"
#include "webhooks/webhook_routes.h"

namespace roomplane::webhooks::testing {

using namespace std::chrono_literals;

inline constexpr std::string_view kPublicUrl = "https://hooks.example.test";
inline constexpr std::string_view kAccountSid = "AC0123456789abcdef0123456789abcdef";
inline constexpr std::string_view kAuthToken = "f00dfacef00dfacef00dfacef00dface";
inline constexpr std::string_view kOtherAuthToken = "0badc0de0badc0de0badc0de0badc0de";

// Passes through to the real ledger unless a test closes the gate (the writer then waits
// inside ingest()) or makes it fail as a broken database would.
class GatedLedger final : public rooms::EventLedger {
 public:
  explicit GatedLedger(rooms::EventLedger& inner) : inner_(inner) {}

  core::Result<std::vector<rooms::IngestOutcome>> ingest(
      std::span<const rooms::IngestItem> items) override {
    {
      std::unique_lock lock(mutex_);
      ++entered_;
      changed_.notify_all();
      changed_.wait(lock, [this] { return open_; });
      if (failing_)
        return core::Error::unavailable("database_io_error", "disk I/O error");
    }
    return inner_.ingest(items);
  }

  void close() {
    std::lock_guard lock(mutex_);
    open_ = false;
  }
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }
  void fail(bool failing) {
    std::lock_guard lock(mutex_);
    failing_ = failing;
  }
  bool wait_entered(std::size_t n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 10s, [&] { return entered_ >= n; });
  }

 private:
  rooms::EventLedger& inner_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool open_ = true;
  bool failing_ = false;
  std::size_t entered_ = 0;
};

class WebhookFixture : public ::testing::Test {
 protected:
  explicit WebhookFixture(IngestorOptions options = {})
      : db_(storage::SqliteDatabase::open({dir_.file("rp.db")}).value()),
        tenants_(*db_),
        keys_(*db_),
        credentials_(*db_),
        box_(crypto::SecretBox::from_key(std::string(32, 'm')).value()),
        admin_(tenants_, keys_, credentials_, box_, clock_),
        directory_(tenants_, keys_, credentials_, box_, clock_, 30s, metrics_),
        sqlite_ledger_(*db_),
        ledger_(sqlite_ledger_),
        ingestor_(ledger_, metrics_, observability::Logger(), options) {}

  void SetUp() override {
    auto migrated = db_->migrate();
    ASSERT_TRUE(migrated.ok()) << migrated.error().message;
    tenant_ = new_tenant("Clinic", kAuthToken);
    ingestor_.start();
    // A trailing slash in the configured URL must not double the path's.
    add_webhook_routes(router_, directory_, pool_, ingestor_, std::string(kPublicUrl) + "/",
                       metrics_, observability::Logger(), clock_);
    http::ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.threads = 2;
    server_ = std::make_unique<http::Server>(options, router_, metrics_, observability::Logger());
    ASSERT_TRUE(server_->start().ok());
  }

  void TearDown() override {
    ledger_.open();
    server_->shutdown();
    pool_.stop();
    ingestor_.stop();
  }

  // A tenant with Twilio credentials whose Auth Token is `auth_token`.
  core::TenantId new_tenant(const std::string& name, std::string_view auth_token) {
    auto created = admin_.create_tenant(name);
    EXPECT_TRUE(created.ok());
    auto saved = admin_.set_provider_credentials(
        created->tenant.id, {std::string(kAccountSid), "SK0123456789abcdef0123456789abcdef",
                             "api-key-secret", std::string(auth_token)});
    EXPECT_TRUE(saved.ok()) << saved.error().message;
    return created->tenant.id;
  }

  static std::string target_for(const core::TenantId& tenant) {
    return "/webhooks/twilio/" + tenant.value();
  }

  static std::string sign(const std::string& target, const http::FormParams& params,
                          std::string_view token = kAuthToken) {
    return twilio::compute_signature(token, std::string(kPublicUrl) + target, params);
  }

  std::string local_url(const std::string& target) const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + target;
  }

  http::ClientResponse post(const std::string& target, const std::string& body,
                            std::optional<std::string> signature,
                            const std::string& content_type = "application/x-www-form-urlencoded") {
    http::ClientRequest request;
    request.method = "POST";
    request.url = local_url(target);
    request.headers["Content-Type"] = content_type;
    if (signature)
      request.headers["X-Twilio-Signature"] = *signature;
    request.body = body;
    auto response = http_.send(request);
    EXPECT_TRUE(response.ok()) << (response.ok() ? "" : response.error().message);
    return response.ok() ? *response : http::ClientResponse{};
  }

  // Signed as Twilio would sign it for this tenant's webhook URL.
  http::ClientResponse deliver(const core::TenantId& tenant, const http::FormParams& params,
                               std::string_view auth_token = kAuthToken) {
    const auto target = target_for(tenant);
    return post(target, http::encode_form(params), sign(target, params, auth_token));
  }

  static std::string error_code(const http::ClientResponse& response) {
    auto body = nlohmann::json::parse(response.body, nullptr, false);
    if (body.is_discarded() || !body.contains("error"))
      return "";
    return body["error"].value("code", "");
  }

  static std::string outcome(const http::ClientResponse& response) {
    auto body = nlohmann::json::parse(response.body, nullptr, false);
    return body.is_discarded() ? "" : body.value("outcome", "");
  }

  // Every row of every table, as text: equal snapshots mean the database did not change.
  std::map<std::string, std::vector<std::string>> snapshot() {
    auto rows = db_->read([](storage::sqlite::Connection& c)
                              -> core::Result<std::map<std::string, std::vector<std::string>>> {
      std::map<std::string, std::vector<std::string>> all;
      std::vector<std::string> tables;
      sqlite3* db = c.handle();
      auto each_row = [db](const std::string& sql, auto&& on_row) -> bool {
        sqlite3_stmt* stmt = nullptr;
        if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK)
          return false;
        while (sqlite3_step(stmt) == SQLITE_ROW)
          on_row(stmt);
        sqlite3_finalize(stmt);
        return true;
      };
      if (!each_row("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
                    [&](sqlite3_stmt* s) {
                      tables.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
                    }))
        return core::Error::internal("cannot list tables");
      for (const auto& table : tables) {
        auto& out = all[table];
        each_row("SELECT * FROM \"" + table + "\" ORDER BY rowid", [&](sqlite3_stmt* s) {
          std::string row;
          for (int i = 0; i < sqlite3_column_count(s); ++i) {
            const auto* text = sqlite3_column_text(s, i);
            row += text ? reinterpret_cast<const char*>(text) : "NULL";
            row += '|';
          }
          out.push_back(std::move(row));
        });
      }
      return all;
    });
    EXPECT_TRUE(rows.ok());
    return rows.ok() ? *rows : std::map<std::string, std::vector<std::string>>{};
  }

  std::int64_t count(const std::string& sql, const std::vector<std::string>& binds) {
    auto n = db_->read([&](storage::sqlite::Connection& c) -> core::Result<std::int64_t> {
      auto stmt = c.prepare(sql);
      if (!stmt)
        return std::move(stmt).take_error();
      for (std::size_t i = 0; i < binds.size(); ++i)
        (*stmt)->bind(static_cast<int>(i + 1), binds[i]);
      auto row = (*stmt)->step();
      if (!row)
        return std::move(row).take_error();
      return *row ? (*stmt)->int64(0) : 0;
    });
    EXPECT_TRUE(n.ok()) << (n.ok() ? "" : n.error().message);
    return n.ok() ? *n : -1;
  }

  std::int64_t ledger_rows(const core::TenantId& tenant) {
    return count("SELECT count(*) FROM events WHERE tenant_id = ?", {tenant.value()});
  }

  // The folded state the ledger stored for a provider room; nullopt when there is none.
  std::optional<rooms::RoomState> stored_state(const core::TenantId& tenant,
                                               const std::string& room_sid) {
    auto text =
        db_->read([&](storage::sqlite::Connection& c) -> core::Result<std::optional<std::string>> {
          auto stmt = c.prepare(
              "SELECT state FROM room_states WHERE tenant_id = ? AND provider_room_sid = ?");
          if (!stmt)
            return std::move(stmt).take_error();
          (*stmt)->bind(1, tenant.value()).bind(2, room_sid);
          auto row = (*stmt)->step();
          if (!row)
            return std::move(row).take_error();
          if (!*row)
            return std::optional<std::string>();
          return std::optional<std::string>((*stmt)->text(0));
        });
    EXPECT_TRUE(text.ok());
    if (!text.ok() || !*text)
      return std::nullopt;
    auto state = rooms::decode_state(**text);
    EXPECT_TRUE(state.ok()) << (state.ok() ? "" : state.error().message);
    if (!state.ok())
      return std::nullopt;
    return *state;
  }

  double rejections(const std::string& reason) {
    return metrics_.counter("roomplane_webhook_rejections_total", "", {{"reason", reason}}).value();
  }

  ::roomplane::testing::TempDir dir_;
  ::roomplane::testing::ManualClock clock_;
  observability::MetricsRegistry metrics_;
  std::unique_ptr<storage::SqliteDatabase> db_;
  storage::SqliteTenantStore tenants_;
  storage::SqliteApiKeyStore keys_;
  storage::SqliteCredentialStore credentials_;
  crypto::SecretBox box_;
  tenants::TenantAdmin admin_;
  tenants::TenantDirectory directory_;
  storage::SqliteEventLedger sqlite_ledger_;
  GatedLedger ledger_;
  core::WorkPool pool_{2};
  GroupCommitIngestor ingestor_;
  http::Router router_;
  http::CurlRuntime curl_;
  http::CurlHttpClient http_{curl_};
  std::unique_ptr<http::Server> server_;
  core::TenantId tenant_;
};

}  // namespace roomplane::webhooks::testing
