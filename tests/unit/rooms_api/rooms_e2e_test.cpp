// End to end over real HTTP: the room routes and the webhook route on one http::Server, the
// real SQLite stores, the real Twilio REST client, and the in-process Twilio emulator sending
// signed status callbacks to that server. Participants connect and leave through the
// emulator's control API with tokens from POST /v1/rooms/{id}/tokens; at each step the room's
// local state (GET /v1/rooms/{id}) must match what the emulator says.
//
// Also the tenant-isolation test: every /v1 route the router holds, called as tenant B with
// tenant A's ids, answers 404 and changes nothing; and Roomplane's own composition jobs in the
// room view and the report (the real SQLite composition store), where no provider callback
// about the composition ever came.

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "app/emulator_accounts.h"
#include "app/emulator_stack.h"
#include "compositions/composition_json.h"
#include "compositions/room_composition_jobs.h"
#include "core/work_pool.h"
#include "crypto/secret_box.h"
#include "http/curl_client.h"
#include "http/server.h"
#include "observability/log.h"
#include "observability/metrics.h"
#include "realtime/notifier.h"
#include "rooms/room_routes.h"
#include "rooms/room_service.h"
#include "rooms/tenant_context.h"
#include "storage/sqlite_composition_store.h"
#include "storage/sqlite_database.h"
#include "storage/sqlite_room_store.h"
#include "storage/sqlite_tenant_stores.h"
#include "support/free_port.h"
#include "support/temp_dir.h"
#include "tenants/tenant_admin.h"
#include "tenants/tenant_directory.h"
#include "tenants/tenant_routes.h"
#include "twilio/rest_client.h"
#include "unit/rooms_api/rooms_api_support.h"
#include "webhooks/ingestor.h"
#include "webhooks/webhook_routes.h"

namespace roomplane::rooms {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

struct Reply {
  unsigned status = 0;
  json body;
};

// The room's real composition jobs, or a chosen failure of the by-room query.
class FailableRoomCompositions final : public RoomCompositions {
 public:
  explicit FailableRoomCompositions(RoomCompositions& real) : real_(real) {}

  void fail_with(std::optional<core::Error> error) {
    std::lock_guard lock(mutex_);
    fail_ = std::move(error);
  }

  core::Result<std::vector<RoomCompositionJob>> for_room(const core::TenantId& tenant,
                                                         const core::RoomId& room) override {
    {
      std::lock_guard lock(mutex_);
      if (fail_)
        return *fail_;
    }
    return real_.for_room(tenant, room);
  }

 private:
  RoomCompositions& real_;
  std::mutex mutex_;
  std::optional<core::Error> fail_;
};

class RoomsEndToEnd : public ::testing::Test {
 protected:
  RoomsEndToEnd()
      : db_(storage::SqliteDatabase::open({dir_.file("rp.db")}).value()),
        tenant_store_(*db_),
        key_store_(*db_),
        credential_store_(*db_),
        box_(crypto::SecretBox::from_key(std::string(32, 'm')).value()),
        admin_(tenant_store_, key_store_, credential_store_, box_, clock_),
        directory_(tenant_store_, key_store_, credential_store_, box_, clock_, 30s, metrics_),
        room_store_(*db_),
        ledger_(*db_),
        composition_store_(*db_),
        ingestor_(ledger_, metrics_, observability::Logger()) {}

  void SetUp() override {
    auto migrated = db_->migrate();
    ASSERT_TRUE(migrated.ok()) << migrated.error().message;

    app::EmulatorStackOptions emulator_options;
    emulator_options.listen = {"127.0.0.1", 0};
    emulator_options.seed = 11;
    emulator_ = std::make_unique<app::EmulatorStack>(emulator_options, clock_, http_,
                                                     emulator_metrics_, logging_);
    ASSERT_TRUE(emulator_->start().ok());

    auto a = admin_.create_tenant("Clinic A");
    auto b = admin_.create_tenant("Clinic B");
    ASSERT_TRUE(a.ok() && b.ok());
    tenant_a_ = a->tenant.id;
    tenant_b_ = b->tenant.id;
    key_a_ = a->api_key;
    key_b_ = b->api_key;
    accounts_ = std::make_unique<app::EmulatorAccounts>(emulator_->emulator(), tenant_store_,
                                                        admin_, directory_);
    ASSERT_EQ(accounts_->provision_all().value(), 2);
    const auto creds = accounts_->ensure(tenant_a_).value();
    credentials_a_ = {creds.account_sid, creds.api_key_sid, creds.api_key_secret};

    twilio::RestClientOptions provider_options;
    provider_options.base_url = emulator_->base_url();
    provider_ = std::make_unique<twilio::TwilioRestClient>(
        http_, clock_, twilio::real_sleep(), metrics_, observability::Logger(), provider_options);

    const auto port = roomplane::testing::free_port();
    public_url_ = "http://127.0.0.1:" + std::to_string(port);
    key_index_ = std::make_unique<ProviderKeyDirectory>(tenant_store_, directory_, clock_, 30s);
    RoomServiceOptions options;
    options.public_url = public_url_;
    options.speaker_debounce = 100ms;  // short, so the test can make two changes quickly
    service_ = std::make_unique<RoomService>(
        room_store_, room_compositions_, *provider_, directory_tenant_context(directory_),
        key_index_->index(), token_builder_, policy_, notifier_, clock_, options);
    ingestor_.start();
    tenants::add_tenant_routes(router_, directory_, pool_);
    add_room_routes(router_, *service_, directory_, pool_);
    webhooks::add_webhook_routes(router_, directory_, pool_, ingestor_, public_url_, metrics_,
                                 observability::Logger(), clock_);
    http::ServerOptions server_options;
    server_options.host = "127.0.0.1";
    server_options.port = port;
    server_ =
        std::make_unique<http::Server>(server_options, router_, metrics_, observability::Logger());
    ASSERT_TRUE(server_->start().ok());
  }

  void TearDown() override {
    emulator_->stop();  // no more callbacks
    server_->shutdown();
    pool_.stop();
    ingestor_.stop();
  }

  Reply call(const std::string& method, const std::string& target, const std::string& bearer,
             const json& body = nullptr) {
    http::ClientRequest request;
    request.method = method;
    request.url = public_url_ + target;
    if (!bearer.empty())
      request.headers["Authorization"] = "Bearer " + bearer;
    if (!body.is_null()) {
      request.headers["Content-Type"] = "application/json";
      request.body = body.dump();
    }
    auto response = http_.send(request);
    if (!response)
      return {};
    return {response->status, json::parse(response->body, nullptr, false)};
  }

  Reply control(const std::string& path, const json& body = json::object()) {
    http::ClientRequest request;
    request.method = "POST";
    request.url = emulator_->base_url() + path;
    request.headers["Content-Type"] = "application/json";
    request.body = body.dump();
    auto response = http_.send(request);
    if (!response)
      return {};
    return {response->status, json::parse(response->body, nullptr, false)};
  }

  // Reads the room until `ready` holds (callbacks arrive asynchronously), at most 10 s.
  json await_room(const std::string& id, const std::function<bool(const json&)>& ready) {
    json last;
    for (int i = 0; i < 200; ++i) {
      auto reply = call("GET", "/v1/rooms/" + id, key_a_);
      last = reply.body;
      if (reply.status == 200 && ready(last))
        return last;
      std::this_thread::sleep_for(50ms);
    }
    ADD_FAILURE() << "room never reached the expected state: " << last.dump(2);
    return last;
  }

  static std::set<std::string> connected_sids(const json& room) {
    std::set<std::string> out;
    for (const auto& p : room["participants"]) {
      if (p["status"] == "connected")
        out.insert(p["sid"].get<std::string>());
    }
    return out;
  }
  static const json* participant(const json& room, const std::string& sid) {
    for (const auto& p : room["participants"]) {
      if (p["sid"] == sid)
        return &p;
    }
    return nullptr;
  }

  // What the emulator says is connected, by SID.
  std::set<std::string> provider_connected(const std::string& room_sid) {
    std::set<std::string> out;
    const auto listed = provider_->list_participants(credentials_a_, room_sid);
    EXPECT_TRUE(listed.ok());
    for (const auto& p : listed.value()) {
      if (p.status == video::ParticipantStatus::kConnected)
        out.insert(p.sid);
    }
    return out;
  }

  std::string token_for(const std::string& room_id, const std::string& identity,
                        const std::string& api_key) {
    auto reply = call("POST", "/v1/rooms/" + room_id + "/tokens", api_key,
                      {{"identity", identity}, {"ttl_seconds", 900}});
    EXPECT_EQ(reply.status, 201u) << reply.body.dump();
    return reply.body.value("token", "");
  }

  json create_room(const std::string& api_key, const std::string& name, bool record = false) {
    auto reply = call("POST", "/v1/rooms", api_key,
                      {{"name", name}, {"record", record}, {"max_participants", 4}});
    EXPECT_EQ(reply.status, 201u) << reply.body.dump();
    return reply.body;
  }

  core::SystemClock clock_;
  testing::RecordingNotifier notifier_;
  roomplane::testing::TempDir dir_;
  observability::Logging logging_{observability::LogLevel::kOff};
  observability::MetricsRegistry metrics_;
  observability::MetricsRegistry emulator_metrics_;
  std::unique_ptr<storage::SqliteDatabase> db_;
  storage::SqliteTenantStore tenant_store_;
  storage::SqliteApiKeyStore key_store_;
  storage::SqliteCredentialStore credential_store_;
  crypto::SecretBox box_;
  tenants::TenantAdmin admin_;
  tenants::TenantDirectory directory_;
  storage::SqliteRoomStore room_store_;
  storage::SqliteEventLedger ledger_;
  storage::SqliteCompositionStore composition_store_;
  compositions::RoomCompositionJobs composition_jobs_{composition_store_};
  FailableRoomCompositions room_compositions_{composition_jobs_};
  webhooks::GroupCommitIngestor ingestor_;
  core::WorkPool pool_{4};
  http::CurlRuntime curl_;
  http::CurlHttpClient http_{curl_};
  std::unique_ptr<app::EmulatorStack> emulator_;
  std::unique_ptr<app::EmulatorAccounts> accounts_;
  std::unique_ptr<twilio::TwilioRestClient> provider_;
  tokens::AccessTokenBuilder token_builder_{clock_};
  tokens::IdentityPolicy policy_;
  std::unique_ptr<ProviderKeyDirectory> key_index_;
  std::unique_ptr<RoomService> service_;
  http::Router router_;
  std::unique_ptr<http::Server> server_;
  std::string public_url_;
  core::TenantId tenant_a_, tenant_b_;
  std::string key_a_, key_b_;
  video::ProviderCredentials credentials_a_;
};

TEST_F(RoomsEndToEnd, ConsultationThroughTheEmulatorMatchesLocalStateAtEachStep) {
  // Create: in progress, linked to the emulator's room, nobody there yet.
  const json created = create_room(key_a_, "Consultation", /*record=*/true);
  const std::string id = created["id"];
  const std::string sid = created["provider_room_sid"];
  EXPECT_TRUE(id.starts_with("rm_"));
  EXPECT_TRUE(sid.starts_with("RM"));
  EXPECT_EQ(created["status"], "in-progress");
  EXPECT_EQ(created["type"], "group");
  EXPECT_EQ(created["record"], true);
  EXPECT_TRUE(created["participants"].empty());
  const auto at_provider = provider_->fetch_room(credentials_a_, sid).value();
  EXPECT_EQ(at_provider.unique_name, id);
  EXPECT_EQ(at_provider.max_participants, 4);

  // Tokens, then the participants join through the emulator (as their SDKs would). Only the
  // callbacks tell Roomplane about it.
  const auto clinician_token = token_for(id, "clinician", key_a_);
  const auto patient_token = token_for(id, "patient", key_a_);
  auto joined = control("/_emulator/rooms/" + sid + "/participants",
                        {{"identity", "clinician"}, {"token", clinician_token}});
  ASSERT_EQ(joined.status, 201u) << joined.body.dump();
  const std::string clinician_sid = joined.body["sid"];
  json room = await_room(id, [&](const json& r) { return connected_sids(r).size() == 1; });
  EXPECT_EQ(connected_sids(room), provider_connected(sid));
  EXPECT_EQ((*participant(room, clinician_sid))["identity"], "clinician");
  EXPECT_FALSE((*participant(room, clinician_sid))["connected_at"].is_null());

  joined = control("/_emulator/rooms/" + sid + "/participants",
                   {{"identity", "patient"}, {"token", patient_token}});
  ASSERT_EQ(joined.status, 201u) << joined.body.dump();
  const std::string patient_sid = joined.body["sid"];
  room = await_room(id, [&](const json& r) { return connected_sids(r).size() == 2; });
  EXPECT_EQ(connected_sids(room), provider_connected(sid));

  // A token for another room is refused by the emulator itself: the grant is scoped.
  const json other = create_room(key_a_, "Other room");
  auto wrong_room =
      control("/_emulator/rooms/" + other["provider_room_sid"].get<std::string>() + "/participants",
              {{"identity", "patient"}, {"token", patient_token}});
  EXPECT_GE(wrong_room.status, 400u);

  // The clinician publishes audio; the room records, so a recording shows up.
  ASSERT_EQ(control("/_emulator/rooms/" + sid + "/participants/clinician/tracks",
                    {{"kind", "audio"}, {"name", "mic"}})
                .status,
            201u);
  room = await_room(id, [&](const json& r) {
    const json* c = participant(r, clinician_sid);
    return c && (*c)["tracks"].size() == 1 && r["recordings"].size() == 1;
  });
  EXPECT_EQ((*participant(room, clinician_sid))["tracks"][0]["kind"], "audio");

  // The patient's client reports the clinician as dominant speaker, with its own token.
  auto speaker = call("POST", "/v1/rooms/" + id + "/dominant-speaker", patient_token,
                      {{"speaker_identity", "clinician"}});
  ASSERT_EQ(speaker.status, 202u) << speaker.body.dump();
  EXPECT_EQ(speaker.body["result"], "accepted");
  EXPECT_EQ(speaker.body["speaker_participant_sid"], clinician_sid);
  EXPECT_EQ(call("POST", "/v1/rooms/" + id + "/dominant-speaker", clinician_token,
                 {{"speaker_participant_sid", clinician_sid}})
                .body["result"],
            "unchanged");
  // Some speaking time, measured on Roomplane's clock (the provider's times are whole seconds,
  // so a leave would not measure a sub-second turn), then nobody.
  std::this_thread::sleep_for(150ms);
  auto silence = call("POST", "/v1/rooms/" + id + "/dominant-speaker", clinician_token,
                      {{"speaker_identity", nullptr}});
  ASSERT_EQ(silence.status, 202u) << silence.body.dump();
  EXPECT_EQ(silence.body["result"], "accepted");
  EXPECT_TRUE(silence.body["speaker_identity"].is_null());
  // Not with the tenant's API key.
  EXPECT_EQ(call("POST", "/v1/rooms/" + id + "/dominant-speaker", key_a_,
                 {{"speaker_identity", "clinician"}})
                .status,
            401u);

  // The patient drops (emulator), then rejoins with the same token: a new participant SID.
  ASSERT_EQ(control("/_emulator/rooms/" + sid + "/participants/patient/disconnect").status, 200u);
  room = await_room(id, [&](const json& r) {
    const json* p = participant(r, patient_sid);
    return p && (*p)["status"] == "disconnected";
  });
  EXPECT_EQ(connected_sids(room), provider_connected(sid));
  joined = control("/_emulator/rooms/" + sid + "/participants",
                   {{"identity", "patient"}, {"token", patient_token}});
  ASSERT_EQ(joined.status, 201u) << joined.body.dump();
  const std::string patient_sid_2 = joined.body["sid"];
  EXPECT_NE(patient_sid_2, patient_sid);
  room = await_room(id, [&](const json& r) { return connected_sids(r).contains(patient_sid_2); });
  EXPECT_EQ(connected_sids(room), provider_connected(sid));

  // Pause recording mid-room through the API.
  auto paused = call("POST", "/v1/rooms/" + id + "/recording", key_a_, {{"recording", false}});
  ASSERT_EQ(paused.status, 200u) << paused.body.dump();
  EXPECT_EQ(paused.body["recording"], false);

  // The provider stamps leaves in whole seconds, and a speaking turn is cut at its speaker's
  // leave: start the next second first, so the turn measured above is not cut short.
  std::this_thread::sleep_until(
      std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()) + 1s + 10ms);

  // The tenant removes the clinician: local state says so in the answer already.
  auto removed = call("POST", "/v1/rooms/" + id + "/participants/clinician/disconnect", key_a_,
                      json::object());
  ASSERT_EQ(removed.status, 200u) << removed.body.dump();
  EXPECT_EQ((*participant(removed.body, clinician_sid))["status"], "disconnected");
  EXPECT_EQ(connected_sids(removed.body), provider_connected(sid));
  EXPECT_EQ(
      call("POST", "/v1/rooms/" + id + "/participants/nobody/disconnect", key_a_, json::object())
          .status,
      404u);

  // End: completed locally in the answer, and the callbacks that follow change nothing.
  auto ended = call("POST", "/v1/rooms/" + id + "/end", key_a_, json::object());
  ASSERT_EQ(ended.status, 200u) << ended.body.dump();
  EXPECT_EQ(ended.body["status"], "completed");
  EXPECT_EQ(ended.body["end_reason"], "ended_by_api");
  EXPECT_TRUE(connected_sids(ended.body).empty());
  EXPECT_EQ(provider_->fetch_room(credentials_a_, sid)->status, video::RoomStatus::kCompleted);
  room = await_room(id, [&](const json& r) {
    return r["recordings"].size() == 1 && r["recordings"][0]["status"] != "processing";
  });
  EXPECT_EQ(room["status"], "completed");
  EXPECT_EQ(room["end_reason"], "ended_by_api");
  EXPECT_EQ(room["participants"].size(), 3u);
  EXPECT_EQ(call("POST", "/v1/rooms/" + id + "/end", key_a_, json::object()).status, 200u);

  // An ended room takes no tokens, and the report has the whole story.
  auto late = call("POST", "/v1/rooms/" + id + "/tokens", key_a_, {{"identity", "nurse"}});
  EXPECT_EQ(late.status, 409u);
  EXPECT_EQ(late.body["error"]["code"], "room_ended");
  auto report = call("GET", "/v1/rooms/" + id + "/report", key_a_);
  ASSERT_EQ(report.status, 200u);
  EXPECT_EQ(report.body["final"], true);
  ASSERT_EQ(report.body["participants"].size(), 2u);
  EXPECT_EQ(report.body["participants"][0]["identity"], "clinician");
  EXPECT_EQ(report.body["participants"][1]["identity"], "patient");
  EXPECT_EQ(report.body["participants"][1]["sessions"].size(), 2u);
  EXPECT_GE(report.body["participants"][0]["speaking_seconds"].get<double>(), 0.15)
      << report.body["timeline"].dump(1);
  EXPECT_LT(report.body["participants"][0]["speaking_seconds"].get<double>(), 5.0);
  EXPECT_EQ(report.body["participants"][1]["speaking_seconds"].get<double>(), 0.0);
  std::multiset<std::string> types;
  for (const auto& entry : report.body["timeline"])
    types.insert(entry["type"].get<std::string>());
  EXPECT_EQ(types.count("participant_joined"), 3u);
  EXPECT_EQ(types.count("participant_left"), 3u);
  EXPECT_EQ(types.count("dominant_speaker_changed"), 2u);
  EXPECT_EQ(types.count("room_started"), 1u);
  EXPECT_EQ(types.count("room_ended"), 1u);
  EXPECT_EQ(types.count("recording_started"), 1u);
}

TEST_F(RoomsEndToEnd, ListIsNewestFirstWithCursorAndStatusFilter) {
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    ids.push_back(create_room(key_a_, "room " + std::to_string(i))["id"]);
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_EQ(call("POST", "/v1/rooms/" + ids[0] + "/end", key_a_, json::object()).status, 200u);

  std::vector<std::string> seen;
  std::string cursor;
  for (int page = 0; page < 5; ++page) {
    auto reply =
        call("GET", "/v1/rooms?limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor), key_a_);
    ASSERT_EQ(reply.status, 200u) << reply.body.dump();
    for (const auto& room : reply.body["rooms"])
      seen.push_back(room["id"]);
    if (reply.body["next_cursor"].is_null())
      break;
    cursor = reply.body["next_cursor"];
  }
  EXPECT_EQ(seen, (std::vector<std::string>{ids[2], ids[1], ids[0]}));

  auto completed = call("GET", "/v1/rooms?status=completed", key_a_);
  ASSERT_EQ(completed.body["rooms"].size(), 1u);
  EXPECT_EQ(completed.body["rooms"][0]["id"], ids[0]);
  EXPECT_EQ(call("GET", "/v1/rooms?status=in-progress", key_a_).body["rooms"].size(), 2u);
  EXPECT_EQ(call("GET", "/v1/rooms?status=ended", key_a_).body["error"]["code"], "invalid_status");
  EXPECT_EQ(call("GET", "/v1/rooms?limit=0", key_a_).body["error"]["code"], "invalid_limit");
  EXPECT_EQ(call("GET", "/v1/rooms?limit=201", key_a_).status, 400u);
  EXPECT_EQ(call("GET", "/v1/rooms?cursor=%21%21garbage", key_a_).status, 400u);
  EXPECT_TRUE(call("GET", "/v1/rooms", key_b_).body["rooms"].empty());
}

TEST_F(RoomsEndToEnd, BadInputGetsAClearErrorAndChangesNothing) {
  const json room = create_room(key_a_, "Valid");
  const std::string id = room["id"];
  const std::vector<std::tuple<std::string, std::string, std::string, unsigned, std::string>>
      cases = {
          {"POST", "/v1/rooms", "not json", 400, "invalid_json"},
          {"POST", "/v1/rooms", R"({"type":"group"})", 400, "invalid_field"},
          {"POST", "/v1/rooms", R"({"name":7})", 400, "invalid_field"},
          {"POST", "/v1/rooms", R"({"name":"x","max_participants":2.5})", 400, "invalid_field"},
          {"POST", "/v1/rooms", R"({"name":"x","record":"yes"})", 400, "invalid_field"},
          {"POST", "/v1/rooms", R"({"name":"x","max_participants":99999999999999999999})", 422,
           "max_participants_out_of_range"},
          {"POST", "/v1/rooms", R"({"name":"x","type":"huge"})", 422, "type_invalid"},
          {"POST", "/v1/rooms", R"({"name":"x","empty_room_timeout_minutes":0})", 422,
           "empty_room_timeout_out_of_range"},
          {"POST", "/v1/rooms/" + id + "/tokens", R"({"identity":"root"})", 422,
           "identity_reserved"},
          {"POST", "/v1/rooms/" + id + "/tokens", R"({"identity":"a b"})", 422,
           "identity_invalid_character"},
          {"POST", "/v1/rooms/" + id + "/tokens", R"({})", 422, "identity_empty"},
          {"POST", "/v1/rooms/" + id + "/tokens", R"({"identity":"ok","ttl_seconds":86401})", 422,
           "ttl_out_of_range"},
          {"POST", "/v1/rooms/" + id + "/tokens", R"({"identity":"ok","ttl_seconds":"60"})", 400,
           "invalid_field"},
          {"POST", "/v1/rooms/" + id + "/recording", R"({})", 400, "invalid_field"},
          {"GET", "/v1/rooms/rm_doesnotexist", "", 404, "room_not_found"},
      };
  for (const auto& [method, target, body, status, code] : cases) {
    http::ClientRequest request;
    request.method = method;
    request.url = public_url_ + target;
    request.headers["Authorization"] = "Bearer " + key_a_;
    request.headers["Content-Type"] = "application/json";
    request.body = body;
    auto response = http_.send(request).value();
    EXPECT_EQ(response.status, status) << target << " " << body << ": " << response.body;
    const auto parsed = json::parse(response.body, nullptr, false);
    EXPECT_EQ(parsed["error"]["code"], code) << body;
    EXPECT_TRUE(parsed["error"]["message"].is_string());
  }
  // Only the one valid room exists.
  EXPECT_EQ(call("GET", "/v1/rooms", key_a_).body["rooms"].size(), 1u);
  EXPECT_EQ(call("GET", "/v1/rooms", "").status, 401u);
}

TEST_F(RoomsEndToEnd, EveryRouteAnswers404ForAnotherTenantsIds) {
  const json room = create_room(key_a_, "Tenant A's");
  const std::string id = room["id"];
  const std::string sid = room["provider_room_sid"];
  const auto token = token_for(id, "alice", key_a_);
  ASSERT_EQ(control("/_emulator/rooms/" + sid + "/participants",
                    {{"identity", "alice"}, {"token", token}})
                .status,
            201u);
  const json before = await_room(id, [](const json& r) { return connected_sids(r).size() == 1; });

  // Tenant B's own room and participant, whose token is B's credential on the
  // dominant-speaker route.
  const json b_room = create_room(key_b_, "Tenant B's");
  const auto b_token = token_for(b_room["id"], "alice", key_b_);

  // Request bodies valid for each route, so a 404 can only come from the tenant scope.
  const std::map<std::string, json> bodies = {
      {"/v1/rooms/{id}/tokens", {{"identity", "alice"}}},
      {"/v1/rooms/{id}/recording", {{"recording", true}}},
      {"/v1/rooms/{id}/dominant-speaker", {{"speaker_identity", "alice"}}},
  };
  int checked = 0;
  for (const auto& [method, pattern] : router_.routes()) {
    if (!pattern.starts_with("/v1/") || pattern.find("{id}") == std::string::npos)
      continue;
    std::string target = pattern;
    target.replace(target.find("{id}"), 4, id);
    if (const auto at = target.find("{identity}"); at != std::string::npos)
      target.replace(at, 10, "alice");
    ASSERT_EQ(target.find('{'), std::string::npos) << "unhandled parameter in " << pattern;
    const auto body = bodies.contains(pattern) ? bodies.at(pattern) : json::object();
    const std::string credential = pattern.ends_with("/dominant-speaker") ? b_token : key_b_;
    const auto reply = call(method, target, credential, method == "GET" ? json() : body);
    EXPECT_EQ(reply.status, 404u) << method << " " << pattern << ": " << reply.body.dump();
    EXPECT_EQ(reply.body["error"]["code"], "room_not_found") << pattern;
    ++checked;
  }
  EXPECT_EQ(checked, 7);  // every /v1/rooms/{id}... route of the contract
  // Routes without ids only ever show B's own rooms.
  const json b_rooms = call("GET", "/v1/rooms", key_b_).body;
  ASSERT_TRUE(b_rooms["rooms"].is_array());
  EXPECT_EQ(b_rooms["rooms"].size(), 1u);
  for (const auto& listed : b_rooms["rooms"])
    EXPECT_NE(listed["id"], id);

  // Nothing of A's changed: same participants, still in progress, still not recording.
  const json after = call("GET", "/v1/rooms/" + id, key_a_).body;
  EXPECT_EQ(after["status"], "in-progress");
  EXPECT_EQ(after["recording"], before["recording"]);
  EXPECT_EQ(connected_sids(after), connected_sids(before));
  EXPECT_EQ(connected_sids(after), provider_connected(sid));
  EXPECT_TRUE(
      call("GET", "/v1/rooms/" + id + "/report", key_a_).body["summary"]["speaker_change_count"] ==
      0);
}

TEST_F(RoomsEndToEnd, RoomViewAndReportShowTheRoomsCompositionJobEvenWithoutCallbacks) {
  const json room = create_room(key_a_, "Recorded consultation", /*record=*/true);
  const std::string id = room["id"];
  // Nothing yet: neither a job nor a provider composition.
  auto got = call("GET", "/v1/rooms/" + id, key_a_);
  ASSERT_EQ(got.status, 200u) << got.body.dump();
  EXPECT_EQ(got.body["composition_jobs"], json::array());
  auto report = call("GET", "/v1/rooms/" + id + "/report", key_a_);
  ASSERT_EQ(report.status, 200u) << report.body.dump();
  EXPECT_EQ(report.body["composition"]["status"], "none");
  EXPECT_TRUE(report.body["composition"]["error"].is_null());
  EXPECT_EQ(report.body["composition"]["jobs"], json::array());

  // The room ends; the starter's first, local step enqueues its job. No starter runs here, so
  // the provider never hears of it and never calls back.
  ASSERT_EQ(call("POST", "/v1/rooms/" + id + "/end", key_a_, json::object()).status, 200u);
  auto enqueued = composition_store_.enqueue_ended_rooms(clock_.now(), 10);
  ASSERT_TRUE(enqueued.ok()) << enqueued.error().message;
  ASSERT_EQ(enqueued->size(), 1u);
  const core::CompositionId job_id = enqueued->front().id;

  got = call("GET", "/v1/rooms/" + id, key_a_);
  ASSERT_EQ(got.status, 200u) << got.body.dump();
  ASSERT_EQ(got.body["composition_jobs"].size(), 1u);
  EXPECT_EQ(got.body["composition_jobs"][0]["id"], job_id.value());
  EXPECT_EQ(got.body["composition_jobs"][0]["status"], "pending");
  EXPECT_EQ(got.body["compositions"], json::array());  // the provider's: none reported
  report = call("GET", "/v1/rooms/" + id + "/report", key_a_);
  EXPECT_EQ(report.body["composition"]["status"], "pending");  // never "none" with a live job

  // The provider refuses it for good: failed locally, still no callback.
  auto claimed = composition_store_.claim(compositions::Stage::kStart, "test-starter", clock_.now(),
                                          clock_.now() + 1min, 10);
  ASSERT_TRUE(claimed.ok() && claimed->size() == 1u);
  compositions::Composition job = claimed->front();
  job.status = compositions::Status::kFailed;
  job.attempts = 1;
  job.error = "the provider refused the composition: no recordings";
  job.failed_at = clock_.now();
  job.updated_at = clock_.now();
  ASSERT_TRUE(composition_store_.save(job, "test-starter", {}).ok());

  got = call("GET", "/v1/rooms/" + id, key_a_);
  ASSERT_EQ(got.status, 200u) << got.body.dump();
  ASSERT_EQ(got.body["composition_jobs"].size(), 1u);
  const json& shown = got.body["composition_jobs"][0];
  EXPECT_EQ(shown["status"], "failed");
  EXPECT_EQ(shown["error"], "the provider refused the composition: no recordings");
  // Exactly what GET /v1/compositions/{id} renders.
  const auto stored = composition_store_.find(tenant_a_, job_id);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ(shown, compositions::composition_json(**stored));

  report = call("GET", "/v1/rooms/" + id + "/report", key_a_);
  ASSERT_EQ(report.status, 200u) << report.body.dump();
  const json& composition = report.body["composition"];
  EXPECT_EQ(composition["status"], "failed");
  EXPECT_EQ(composition["error"], "the provider refused the composition: no recordings");
  EXPECT_EQ(composition["jobs"], got.body["composition_jobs"]);
  EXPECT_EQ(composition["compositions"], json::array());

  // Tenant B never sees it: A's room is 404, and B's own room shows no job.
  EXPECT_EQ(call("GET", "/v1/rooms/" + id, key_b_).status, 404u);
  EXPECT_EQ(call("GET", "/v1/rooms/" + id + "/report", key_b_).status, 404u);
  const json b_room = create_room(key_b_, "Tenant B's");
  const std::string b_id = b_room["id"];
  EXPECT_EQ(call("GET", "/v1/rooms/" + b_id, key_b_).body["composition_jobs"], json::array());
  EXPECT_EQ(call("GET", "/v1/rooms/" + b_id + "/report", key_b_).body["composition"]["status"],
            "none");
}

TEST_F(RoomsEndToEnd, AFailedJobQueryIsAnErrorNotARoomWithoutJobs) {
  const json room = create_room(key_a_, "Recorded", /*record=*/true);
  const std::string id = room["id"];
  room_compositions_.fail_with(core::Error::unavailable("database_busy", "the database is busy"));
  for (const auto& target : {"/v1/rooms/" + id, "/v1/rooms/" + id + "/report"}) {
    const auto reply = call("GET", target, key_a_);
    EXPECT_EQ(reply.status, 503u) << target << ": " << reply.body.dump();
    EXPECT_EQ(reply.body["error"]["code"], "database_busy") << target;
  }
  // An unknown room is still 404, not the jobs' failure.
  EXPECT_EQ(call("GET", "/v1/rooms/rm_doesnotexist", key_a_).body["error"]["code"],
            "room_not_found");
  room_compositions_.fail_with(std::nullopt);
  EXPECT_EQ(call("GET", "/v1/rooms/" + id, key_a_).status, 200u);
}

}  // namespace
}  // namespace roomplane::rooms
