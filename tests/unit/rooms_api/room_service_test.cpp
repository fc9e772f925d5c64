// RoomService against an in-memory store and a strict gMock provider: what each operation writes
// locally and asks of the provider, and every refusal (which must change nothing).

#include "rooms/room_service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/manual_clock.h"
#include "tokens/access_token_verifier.h"
#include "unit/rooms_api/rooms_api_support.h"
#include "unit/video/mock_video_provider.h"

namespace roomplane::rooms {
namespace {

using nlohmann::json;
using ::testing::_;
using testing::FakeRoomCompositions;
using testing::FakeRoomStore;
using ::testing::Invoke;
using testing::RecordingNotifier;
using ::testing::Return;
using ::testing::StrictMock;
using namespace std::chrono_literals;

const core::TenantId kTenantA("tn_aaaa");
const core::TenantId kTenantB("tn_bbbb");
const core::TenantId kTenantNone("tn_none");
const std::string kRoomSid = "RM" + std::string(32, '1');

tokens::AccessTokenRequest token_request(const tenants::ProviderCredentials& c,
                                         const std::string& secret, const std::string& identity,
                                         std::chrono::seconds ttl,
                                         std::optional<std::string> room) {
  tokens::AccessTokenRequest request;
  request.account_sid = c.account_sid;
  request.api_key_sid = c.api_key_sid;
  request.api_key_secret = secret;
  request.identity = identity;
  request.ttl = ttl;
  request.room = std::move(room);
  return request;
}

tenants::ProviderCredentials credentials(char digit) {
  return {"AC" + std::string(32, digit), "SK" + std::string(32, digit),
          std::string(32, static_cast<char>('k' + (digit - '0'))), std::string(32, digit)};
}

class RoomServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tenants_[kTenantA] = {tenants::TenantSettings{}, credentials('1')};
    tenants_[kTenantB] = {tenants::TenantSettings{}, credentials('2')};
    tenants_[kTenantNone] = {tenants::TenantSettings{}, std::nullopt};
    service_ = make_service();
  }

  std::unique_ptr<RoomService> make_service(std::chrono::milliseconds debounce = 1000ms) {
    RoomServiceOptions options;
    options.public_url = "https://rp.example/";
    options.speaker_debounce = debounce;
    return std::make_unique<RoomService>(
        store_, compositions_, provider_,
        [this](const core::TenantId& id) -> core::Result<TenantContext> {
          const auto it = tenants_.find(id);
          if (it == tenants_.end())
            return core::Error::not_found("tenant_not_found", "no tenant");
          return it->second;
        },
        [this](std::string_view key_sid) -> core::Result<std::vector<core::TenantId>> {
          std::vector<core::TenantId> out;
          for (const auto& [id, context] : tenants_) {
            if (context.credentials && context.credentials->api_key_sid == key_sid)
              out.push_back(id);
          }
          return out;
        },
        builder_, policy_, notifier_, clock_, options);
  }

  video::RoomInfo info_for(const video::RoomSpec& spec, const std::string& sid = kRoomSid) {
    video::RoomInfo info;
    info.sid = sid;
    info.unique_name = spec.unique_name;
    info.type = spec.type;
    info.created_at = clock_.now();
    return info;
  }

  // A room created through the service, the provider answering with `sid`.
  RoomView create_room(const core::TenantId& tenant = kTenantA, const std::string& sid = kRoomSid,
                       const std::string& type = "group") {
    EXPECT_CALL(provider_, create_room(_, _))
        .WillOnce(Invoke([this, sid](const video::ProviderCredentials&,
                                     const video::RoomSpec& spec) { return info_for(spec, sid); }));
    CreateRoomRequest request;
    request.name = "Consultation";
    request.type = type;
    auto created = service_->create(tenant, request);
    EXPECT_TRUE(created.ok()) << created.error().message;
    return created.value();
  }

  void connect(const core::TenantId& tenant, const RoomView& view, const std::string& sid,
               const std::string& identity, int seconds) {
    store_.deliver(
        tenant, view.room.id,
        {testing::participant_event(RoomEventType::kParticipantConnected,
                                    *view.room.provider_room_sid, sid, identity, seconds)});
  }

  std::string participant_token(const core::TenantId& tenant, const std::string& identity,
                                const std::string& room, std::chrono::seconds ttl = 600s) {
    const auto& c = *tenants_.at(tenant).credentials;
    return builder_.build(token_request(c, c.api_key_secret, identity, ttl, room)).value().token;
  }

  roomplane::testing::ManualClock clock_{testing::at(0)};
  FakeRoomStore store_;
  FakeRoomCompositions compositions_;
  StrictMock<video::testing::MockVideoProvider> provider_;
  RecordingNotifier notifier_;
  tokens::AccessTokenBuilder builder_{clock_};
  tokens::IdentityPolicy policy_;
  std::map<core::TenantId, TenantContext> tenants_;
  std::unique_ptr<RoomService> service_;
};

// --- create --------------------------------------------------------------------------------

TEST_F(RoomServiceTest, CreateWritesLocallyAndAsksTheProviderWithTheTenantsCallback) {
  video::RoomSpec seen;
  video::ProviderCredentials used;
  EXPECT_CALL(provider_, create_room(_, _))
      .WillOnce(Invoke([&](const video::ProviderCredentials& c, const video::RoomSpec& spec) {
        // The row exists, still creating, while the provider is being asked.
        const auto rooms = store_.all();
        EXPECT_EQ(rooms.size(), 1u);
        EXPECT_EQ(rooms.at(0).room.status, RoomLifecycle::kCreating);
        seen = spec;
        used = c;
        return info_for(spec);
      }));
  CreateRoomRequest request{"Dr. Ada & patient", "group-small", 3, true, 7};
  auto created = service_->create(kTenantA, request);
  ASSERT_TRUE(created.ok()) << created.error().message;

  EXPECT_TRUE(created->room.id.value().starts_with("rm_"));
  EXPECT_EQ(seen.unique_name, created->room.id.value());
  EXPECT_EQ(seen.status_callback_url, "https://rp.example/webhooks/twilio/tn_aaaa");
  EXPECT_EQ(seen.type, video::RoomType::kGroupSmall);
  EXPECT_EQ(seen.max_participants, 3);
  EXPECT_TRUE(seen.record_participants_on_connect);
  EXPECT_EQ(seen.empty_room_timeout_minutes, 7);
  EXPECT_EQ(seen.unused_room_timeout_minutes, 7);
  EXPECT_EQ(used.account_sid, tenants_[kTenantA].credentials->account_sid);
  EXPECT_EQ(used.api_key_secret, tenants_[kTenantA].credentials->api_key_secret);

  EXPECT_EQ(created->room.status, RoomLifecycle::kInProgress);
  EXPECT_EQ(created->room.provider_room_sid, kRoomSid);
  EXPECT_EQ(created->room.name, "Dr. Ada & patient");
  EXPECT_TRUE(created->room.record);
  EXPECT_TRUE(created->room.recording);
  EXPECT_EQ(created->state.room_sid, kRoomSid);
  EXPECT_EQ(created->state.created_at, clock_.now());
  EXPECT_EQ(created->room.started_at, clock_.now());
  const auto published = notifier_.published();
  ASSERT_EQ(published.size(), 1u);
  EXPECT_EQ(published[0].kind, realtime::RoomEventKind::kRoomUpdated);
  EXPECT_EQ(published[0].provider_room_sid, kRoomSid);
}

TEST_F(RoomServiceTest, InvalidInputIsRefusedBeforeAnyWriteOrProviderCall) {
  struct Case {
    CreateRoomRequest request;
    std::string code;
  };
  const std::vector<Case> cases = {
      {{"", {}, {}, false, {}}, "name_invalid"},
      {{std::string(129, 'n'), {}, {}, false, {}}, "name_invalid"},
      {{"bad\nname", {}, {}, false, {}}, "name_invalid"},
      {{"bad\xc3", {}, {}, false, {}}, "name_invalid"},
      {{"ok", "conference", {}, false, {}}, "type_invalid"},
      {{"ok", "group", 0, false, {}}, "max_participants_out_of_range"},
      {{"ok", "group", 51, false, {}}, "max_participants_out_of_range"},
      {{"ok", "group-small", 5, false, {}}, "max_participants_out_of_range"},
      {{"ok", "go", 3, false, {}}, "max_participants_out_of_range"},
      {{"ok", "peer-to-peer", 11, false, {}}, "max_participants_out_of_range"},
      {{"ok", "group", {}, false, 0}, "empty_room_timeout_out_of_range"},
      {{"ok", "group", {}, false, 61}, "empty_room_timeout_out_of_range"},
      {{"ok", "peer-to-peer", {}, true, {}}, "recording_unsupported"},
      {{"ok", "go", {}, true, {}}, "recording_unsupported"},
  };
  for (const auto& c : cases) {
    auto created = service_->create(kTenantA, c.request);
    ASSERT_FALSE(created.ok()) << c.code;
    EXPECT_EQ(created.error().kind, core::ErrorKind::kUnprocessable) << c.code;
    EXPECT_EQ(created.error().code, c.code);
  }
  EXPECT_TRUE(store_.all().empty());
  // The limits themselves are accepted: 128 bytes of name (multi-byte too), 50 / 4 / 10 / 2.
  for (const auto& [type, limit] : std::vector<std::pair<std::string, int>>{
           {"group", 50}, {"group-small", 4}, {"peer-to-peer", 10}, {"go", 2}}) {
    EXPECT_CALL(provider_, create_room(_, _))
        .WillOnce(Invoke([this](const video::ProviderCredentials&, const video::RoomSpec& spec) {
          return info_for(spec, "RM" + std::string(32, 'f'));
        }));
    std::string name;
    for (int i = 0; i < 64; ++i)
      name += "\xc3\xa9";  // é: 128 bytes
    auto created = service_->create(kTenantA, {name, type, limit, false, 60});
    EXPECT_TRUE(created.ok()) << type << ": " << created.error().message;
  }
}

TEST_F(RoomServiceTest, TenantWithoutProviderCredentialsGetsAClearConflictAndNoRow) {
  auto created = service_->create(kTenantNone, {"ok", {}, {}, false, {}});
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, core::ErrorKind::kConflict);
  EXPECT_EQ(created.error().code, kErrProviderNotConfigured);
  EXPECT_TRUE(store_.all().empty());
}

TEST_F(RoomServiceTest, ProviderFailureLeavesAFailedRoomNotAGhost) {
  EXPECT_CALL(provider_, create_room(_, _))
      .WillOnce(Return(core::Error::unavailable("timeout", "no answer")));
  auto created = service_->create(kTenantA, {"ok", {}, {}, false, {}});
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().code, kErrProviderUnavailable);
  EXPECT_EQ(created.error().kind, core::ErrorKind::kUnavailable);
  EXPECT_EQ(provider_error_status(created.error()), std::nullopt);  // 503: retrying may help
  const auto rooms = store_.all();
  ASSERT_EQ(rooms.size(), 1u);
  EXPECT_EQ(rooms[0].room.status, RoomLifecycle::kFailed);
  EXPECT_TRUE(rooms[0].room.end_reason.starts_with(kProviderErrorPrefix))
      << rooms[0].room.end_reason;
  EXPECT_NE(created.error().message.find(rooms[0].room.id.value()), std::string::npos);
  // A failed room takes no tokens.
  auto token = service_->issue_token(kTenantA, rooms[0].room.id, "alice", {});
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().code, kErrRoomFailed);
}

TEST_F(RoomServiceTest, RejectedProviderCredentialsAreNeverA401ToTheCaller) {
  core::Error rejected = core::Error::unauthenticated("Authenticate");
  rejected.upstream_code = 20003;
  EXPECT_CALL(provider_, create_room(_, _)).WillOnce(Return(rejected));
  auto created = service_->create(kTenantA, {"ok", {}, {}, false, {}});
  ASSERT_FALSE(created.ok());
  EXPECT_NE(created.error().kind, core::ErrorKind::kUnauthenticated);
  EXPECT_EQ(created.error().code, kErrProviderCredentialsRejected);
  EXPECT_EQ(provider_error_status(created.error()), 502u);
  EXPECT_EQ(created.error().upstream_code, 20003);
  EXPECT_EQ(store_.all().at(0).room.status, RoomLifecycle::kFailed);

  EXPECT_CALL(provider_, create_room(_, _))
      .WillOnce(Return(core::Error{core::ErrorKind::kForbidden, "forbidden", "no"}));
  created = service_->create(kTenantA, {"ok", {}, {}, false, {}});
  EXPECT_EQ(created.error().code, kErrProviderPermissionDenied);
  EXPECT_EQ(provider_error_status(created.error()), 502u);

  EXPECT_CALL(provider_, create_room(_, _))
      .WillOnce(Return(core::Error::invalid_argument("invalid_parameter", "MaxParticipants")));
  created = service_->create(kTenantA, {"ok", {}, {}, false, {}});
  EXPECT_EQ(created.error().code, kErrProviderRejectedRequest);
  EXPECT_EQ(created.error().kind, core::ErrorKind::kUnprocessable);

  EXPECT_CALL(provider_, create_room(_, _))
      .WillOnce(Return(core::Error{core::ErrorKind::kRateLimited, "rate_limited", "slow down"}));
  created = service_->create(kTenantA, {"ok", {}, {}, false, {}});
  EXPECT_EQ(created.error().code, kErrProviderRateLimited);
  EXPECT_EQ(created.error().kind, core::ErrorKind::kUnavailable);
}

// --- recovery ------------------------------------------------------------------------------

TEST_F(RoomServiceTest, CrashBetweenTheTwoWritesIsRecoveredByUniqueName) {
  // The provider created the room, but the second write never happened (the store failed here;
  // a crash at this point leaves the same row).
  store_.fail_link = core::Error::unavailable("database_unavailable", "disk full");
  EXPECT_CALL(provider_, create_room(_, _))
      .WillOnce(Invoke([this](const video::ProviderCredentials&, const video::RoomSpec& spec) {
        return info_for(spec);
      }));
  auto created = service_->create(kTenantA, {"linked later", {}, {}, false, {}});
  ASSERT_FALSE(created.ok());
  const auto linked_id = store_.all().at(0).room.id;
  EXPECT_EQ(store_.all().at(0).room.status, RoomLifecycle::kCreating);

  // Two more stuck rows: one the provider never saw (crash before the call), one the provider
  // cannot tell us about right now.
  Room never;
  never.tenant_id = kTenantA;
  never.id = core::RoomId("rm_never");
  never.provider_room_name = "rm_never";
  never.created_at = clock_.now();
  ASSERT_TRUE(store_.insert(never).ok());
  Room unknown = never;
  unknown.id = core::RoomId("rm_unknown");
  unknown.provider_room_name = "rm_unknown";
  ASSERT_TRUE(store_.insert(unknown).ok());
  Room young = never;  // created after the cut-off: possibly still in flight, left alone
  young.id = core::RoomId("rm_young");
  young.provider_room_name = "rm_young";
  young.created_at = clock_.now() + 10min;
  ASSERT_TRUE(store_.insert(young).ok());

  EXPECT_CALL(provider_, fetch_room(_, std::string_view(linked_id.value())))
      .WillOnce(Invoke([&](const video::ProviderCredentials&, std::string_view name) {
        video::RoomInfo info;
        info.sid = kRoomSid;
        info.unique_name = std::string(name);
        info.created_at = testing::at(0);
        return core::Result<video::RoomInfo>(info);
      }));
  EXPECT_CALL(provider_, fetch_room(_, std::string_view("rm_never")))
      .WillOnce(Return(core::Error::not_found("not_found", "no room")));
  EXPECT_CALL(provider_, fetch_room(_, std::string_view("rm_unknown")))
      .WillOnce(Return(core::Error::unavailable("timeout", "no answer")));

  auto report = service_->recover_creating(clock_.now() + 1min);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->linked, 1);
  EXPECT_EQ(report->failed, 1);
  EXPECT_EQ(report->pending, 1);

  auto linked = service_->get(kTenantA, linked_id);
  EXPECT_EQ(linked->view.room.status, RoomLifecycle::kInProgress);
  EXPECT_EQ(linked->view.room.provider_room_sid, kRoomSid);
  auto failed = service_->get(kTenantA, core::RoomId("rm_never"));
  EXPECT_EQ(failed->view.room.status, RoomLifecycle::kFailed);
  EXPECT_TRUE(failed->view.room.end_reason.starts_with(kProviderErrorPrefix));
  EXPECT_EQ(service_->get(kTenantA, core::RoomId("rm_unknown"))->view.room.status,
            RoomLifecycle::kCreating);
  EXPECT_EQ(service_->get(kTenantA, core::RoomId("rm_young"))->view.room.status,
            RoomLifecycle::kCreating);
}

// --- get, list, end ------------------------------------------------------------------------

TEST_F(RoomServiceTest, AnotherTenantsRoomIsNotFound) {
  const auto view = create_room(kTenantA);
  auto got = service_->get(kTenantB, view.room.id);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().kind, core::ErrorKind::kNotFound);
  EXPECT_EQ(got.error().code, kErrRoomNotFound);
  EXPECT_EQ(service_->end(kTenantB, view.room.id).error().kind, core::ErrorKind::kNotFound);
  EXPECT_EQ(service_->issue_token(kTenantB, view.room.id, "alice", {}).error().kind,
            core::ErrorKind::kNotFound);
  EXPECT_EQ(service_->disconnect(kTenantB, view.room.id, "alice").error().kind,
            core::ErrorKind::kNotFound);
  EXPECT_EQ(service_->set_recording(kTenantB, view.room.id, true).error().kind,
            core::ErrorKind::kNotFound);
  EXPECT_EQ(service_->report(kTenantB, view.room.id).error().kind, core::ErrorKind::kNotFound);
  EXPECT_TRUE(service_->list(kTenantB, {})->rooms.empty());
}

TEST_F(RoomServiceTest, GetAndReportCarryTheRoomsCompositionJobs) {
  const auto view = create_room(kTenantA);
  const json rendered = {{"id", "cp_1"},
                         {"room_id", view.room.id.value()},
                         {"status", "failed"},
                         {"error", "the provider refused the composition"}};
  compositions_.set(
      kTenantA, view.room.id,
      {{RoomCompositionJob::Status::kFailed, "the provider refused the composition", rendered}});

  auto got = service_->get(kTenantA, view.room.id);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->view.room.id, view.room.id);
  ASSERT_EQ(got->composition_jobs.size(), 1u);
  EXPECT_EQ(got->composition_jobs[0].rendered, rendered);
  auto report = service_->report(kTenantA, view.room.id);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ((*report)["composition"]["jobs"], json::array({rendered}));
  EXPECT_EQ((*report)["composition"]["status"], "failed");
  EXPECT_EQ((*report)["composition"]["error"], "the provider refused the composition");

  // Another tenant's room is 404 before any job is looked up.
  const int calls = compositions_.calls;
  EXPECT_EQ(service_->get(kTenantB, view.room.id).error().code, kErrRoomNotFound);
  EXPECT_EQ(service_->report(kTenantB, view.room.id).error().code, kErrRoomNotFound);
  EXPECT_EQ(compositions_.calls, calls);
}

TEST_F(RoomServiceTest, AJobQueryFailureIsTheGetsAndTheReportsError) {
  const auto view = create_room(kTenantA);
  compositions_.fail = core::Error::unavailable("database_busy", "the database is busy");
  auto got = service_->get(kTenantA, view.room.id);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().kind, core::ErrorKind::kUnavailable);
  EXPECT_EQ(got.error().code, "database_busy");
  EXPECT_EQ(service_->report(kTenantA, view.room.id).error().code, "database_busy");
}

TEST_F(RoomServiceTest, EndCompletesAtTheProviderThenLocallyAndIsIdempotent) {
  const auto view = create_room();
  connect(kTenantA, view, "PA1", "alice", 5);
  clock_.advance(60s);
  EXPECT_CALL(provider_, complete_room(_, std::string_view(kRoomSid)))
      .WillOnce(Invoke([this](const video::ProviderCredentials&, std::string_view sid) {
        video::RoomInfo info;
        info.sid = std::string(sid);
        info.status = video::RoomStatus::kCompleted;
        info.created_at = testing::at(0);
        info.ended_at = clock_.now();
        info.duration_seconds = 60;
        return core::Result<video::RoomInfo>(info);
      }));
  auto ended = service_->end(kTenantA, view.room.id);
  ASSERT_TRUE(ended.ok()) << ended.error().message;
  EXPECT_EQ(ended->room.status, RoomLifecycle::kCompleted);
  EXPECT_EQ(ended->room.end_reason, kEndedByApi);
  EXPECT_EQ(ended->room.ended_at, clock_.now());
  // Everyone left with the room, without waiting for the callbacks.
  EXPECT_EQ(ended->state.participants.at("PA1").status, ParticipantStatus::kDisconnected);
  EXPECT_TRUE(ended->state.participants.at("PA1").left_with_room);

  // Again: no provider call (the strict mock would fail), same answer.
  auto again = service_->end(kTenantA, view.room.id);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->room.status, RoomLifecycle::kCompleted);
  // An ended room takes no tokens, no recording change, no disconnect.
  EXPECT_EQ(service_->issue_token(kTenantA, view.room.id, "bob", {}).error().code, kErrRoomEnded);
  EXPECT_EQ(service_->set_recording(kTenantA, view.room.id, true).error().code, kErrRoomEnded);
  EXPECT_EQ(service_->disconnect(kTenantA, view.room.id, "alice").error().code, kErrRoomEnded);
}

TEST_F(RoomServiceTest, EndWhileCreatingIsAConflict) {
  Room creating;
  creating.tenant_id = kTenantA;
  creating.id = core::RoomId("rm_creating");
  creating.provider_room_name = "rm_creating";
  ASSERT_TRUE(store_.insert(creating).ok());
  EXPECT_EQ(service_->end(kTenantA, creating.id).error().code, kErrRoomNotReady);
  EXPECT_EQ(service_->issue_token(kTenantA, creating.id, "alice", {}).error().code,
            kErrRoomNotReady);
}

// --- tokens --------------------------------------------------------------------------------

TEST_F(RoomServiceTest, TokenIsScopedToTheRoomWithTheTenantsDefaultTtl) {
  const auto view = create_room();
  auto issued = service_->issue_token(kTenantA, view.room.id, "patient-42", {});
  ASSERT_TRUE(issued.ok()) << issued.error().message;
  EXPECT_EQ(issued->ttl_seconds, 3600);
  EXPECT_EQ(issued->expires_at, clock_.now() + 3600s);
  const auto& c = *tenants_[kTenantA].credentials;
  tokens::AccessTokenVerifier verifier([&](std::string_view) {
    return std::optional<tokens::KeyInfo>({c.api_key_secret, c.account_sid});
  });
  auto claims = verifier.verify(issued->token, clock_.now());
  ASSERT_TRUE(claims.ok()) << claims.error().error.message;
  EXPECT_EQ(claims->identity, "patient-42");
  EXPECT_EQ(claims->room, view.room.id.value());  // the provider's unique name
  EXPECT_EQ(claims->api_key_sid, c.api_key_sid);
}

TEST_F(RoomServiceTest, CachedTokenPathAnswersOnlyForRoomsSeenInProgressAndNeverAfterEnd) {
  const auto view = create_room();
  // Without a peek into the tenant caches there is no fast path at all.
  EXPECT_FALSE(service_->issue_token_cached(kTenantA, view.room.id, "alice", {}).has_value());
  bool tenant_cached = false;
  service_->set_tenant_context_peek([&](const core::TenantId& id) -> std::optional<TenantContext> {
    if (!tenant_cached)
      return std::nullopt;
    return tenants_.at(id);
  });
  // The room has not been read yet: not in memory, so the caller must go to the store.
  EXPECT_FALSE(service_->issue_token_cached(kTenantA, view.room.id, "alice", {}).has_value());
  ASSERT_TRUE(service_->issue_token(kTenantA, view.room.id, "alice", {}).ok());
  EXPECT_FALSE(service_->issue_token_cached(kTenantA, view.room.id, "alice", {}).has_value())
      << "the tenant is not cached";
  tenant_cached = true;

  auto fast = service_->issue_token_cached(kTenantA, view.room.id, "alice", 600);
  ASSERT_TRUE(fast.has_value());
  ASSERT_TRUE(fast->ok()) << fast->error().message;
  auto slow = service_->issue_token(kTenantA, view.room.id, "alice", 600);
  EXPECT_EQ(fast->value().token, slow->token);  // same clock, same claims: the same token
  // The same rules on the fast path.
  auto bad = service_->issue_token_cached(kTenantA, view.room.id, "-alice", {});
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(bad->error().code, "identity_invalid_start");
  // Another tenant never sees this tenant's cached room.
  EXPECT_FALSE(service_->issue_token_cached(kTenantB, view.room.id, "alice", {}).has_value());

  // Ended through the service: the cache forgets it before the answer, and the store says 409.
  EXPECT_CALL(provider_, complete_room(_, _))
      .WillOnce(Invoke([&](const video::ProviderCredentials&, std::string_view sid) {
        video::RoomInfo info;
        info.sid = std::string(sid);
        info.status = video::RoomStatus::kCompleted;
        info.created_at = clock_.now();
        info.ended_at = clock_.now();
        return core::Result<video::RoomInfo>(info);
      }));
  ASSERT_TRUE(service_->end(kTenantA, view.room.id).ok());
  EXPECT_FALSE(service_->issue_token_cached(kTenantA, view.room.id, "alice", {}).has_value());
  EXPECT_EQ(service_->issue_token(kTenantA, view.room.id, "alice", {}).error().code, kErrRoomEnded);
}

TEST_F(RoomServiceTest, ForgetRoomStopsTheFastPathAtOnceAndTheTtlBoundsIt) {
  const auto view = create_room();
  service_->set_tenant_context_peek(
      [&](const core::TenantId& id) -> std::optional<TenantContext> { return tenants_.at(id); });
  ASSERT_TRUE(service_->issue_token(kTenantA, view.room.id, "alice", {}).ok());
  ASSERT_TRUE(service_->issue_token_cached(kTenantA, view.room.id, "alice", {}).has_value());
  service_->forget_room(kTenantA, view.room.id);  // e.g. a room-ended callback committed
  EXPECT_FALSE(service_->issue_token_cached(kTenantA, view.room.id, "alice", {}).has_value());

  ASSERT_TRUE(service_->issue_token(kTenantA, view.room.id, "alice", {}).ok());
  clock_.advance(1001ms);  // RoomServiceOptions::room_cache_ttl
  EXPECT_FALSE(service_->issue_token_cached(kTenantA, view.room.id, "alice", {}).has_value());
}

TEST_F(RoomServiceTest, TokenTtlStaysWithinTenantBoundsAndTwiliosCap) {
  const auto view = create_room();
  auto& settings = tenants_[kTenantA].settings;
  settings.token_ttl_min_seconds = 120;
  settings.token_ttl_max_seconds = 7200;
  EXPECT_EQ(service_->issue_token(kTenantA, view.room.id, "a", 119).error().code,
            kErrTtlOutOfRange);
  EXPECT_EQ(service_->issue_token(kTenantA, view.room.id, "a", 7201).error().code,
            kErrTtlOutOfRange);
  EXPECT_EQ(service_->issue_token(kTenantA, view.room.id, "a", 120)->ttl_seconds, 120);
  EXPECT_EQ(service_->issue_token(kTenantA, view.room.id, "a", 7200)->ttl_seconds, 7200);
  // Settings allowing more than 24 h still give at most Twilio's 24 h.
  settings.token_ttl_max_seconds = 200'000;
  EXPECT_EQ(service_->issue_token(kTenantA, view.room.id, "a", 86'400)->ttl_seconds, 86'400);
  auto too_long = service_->issue_token(kTenantA, view.room.id, "a", 86'401);
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().kind, core::ErrorKind::kUnprocessable);
  EXPECT_NE(too_long.error().message.find("86400"), std::string::npos);
  // A default outside the bounds is pulled into them.
  settings.token_ttl_max_seconds = 600;
  EXPECT_EQ(service_->issue_token(kTenantA, view.room.id, "a", {})->ttl_seconds, 600);
}

TEST_F(RoomServiceTest, BadIdentitiesGet422NamingTheRule) {
  const auto view = create_room();
  tenants_[kTenantA].settings.reserved_identities = {"front-desk"};
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "identity_empty"},
      {std::string(129, 'a'), "identity_too_long"},
      {"-alice", "identity_invalid_start"},
      {"alice bob", "identity_invalid_character"},
      {"Admin", "identity_reserved"},
      {"FRONT-DESK", "identity_reserved"},  // the tenant's own reserved word
  };
  for (const auto& [identity, code] : cases) {
    auto issued = service_->issue_token(kTenantA, view.room.id, identity, {});
    ASSERT_FALSE(issued.ok()) << code;
    EXPECT_EQ(issued.error().kind, core::ErrorKind::kUnprocessable);
    EXPECT_EQ(issued.error().code, code);
  }
  // The other tenant does not reserve it.
  const auto other = create_room(kTenantB, "RM" + std::string(32, '2'));
  EXPECT_TRUE(service_->issue_token(kTenantB, other.room.id, "front-desk", {}).ok());
}

// --- disconnect, recording -----------------------------------------------------------------

TEST_F(RoomServiceTest, DisconnectRemovesAtTheProviderAndWritesTheLeaveLocally) {
  const auto view = create_room();
  connect(kTenantA, view, "PA1", "alice", 5);
  clock_.advance(30s);
  EXPECT_CALL(provider_,
              disconnect_participant(_, std::string_view(kRoomSid), std::string_view("alice")))
      .WillOnce(Invoke(
          [this](const video::ProviderCredentials&, std::string_view room, std::string_view) {
            video::ParticipantInfo info;
            info.sid = "PA1";
            info.room_sid = std::string(room);
            info.identity = "alice";
            info.status = video::ParticipantStatus::kDisconnected;
            info.connected_at = testing::at(5);
            info.disconnected_at = clock_.now();
            info.duration_seconds = 25;
            return core::Result<video::ParticipantInfo>(info);
          }));
  auto after = service_->disconnect(kTenantA, view.room.id, "alice");
  ASSERT_TRUE(after.ok()) << after.error().message;
  const auto& alice = after->state.participants.at("PA1");
  EXPECT_EQ(alice.status, ParticipantStatus::kDisconnected);
  EXPECT_EQ(alice.disconnected_at, clock_.now());
  EXPECT_EQ(alice.duration_seconds, 25);
  EXPECT_EQ(after->room.status, RoomLifecycle::kInProgress);
  const auto published = notifier_.published();
  ASSERT_FALSE(published.empty());
  EXPECT_EQ(published.back().kind, realtime::RoomEventKind::kParticipantLeft);
  EXPECT_EQ(published.back().payload["identity"], "alice");

  EXPECT_CALL(provider_, disconnect_participant(_, _, std::string_view("nobody")))
      .WillOnce(Return(core::Error::not_found("not_found", "no participant")));
  auto unknown = service_->disconnect(kTenantA, view.room.id, "nobody");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().kind, core::ErrorKind::kNotFound);
  EXPECT_EQ(unknown.error().code, kErrParticipantNotFound);
}

TEST_F(RoomServiceTest, RecordingIsSwitchedThroughRecordingRules) {
  const auto view = create_room();
  EXPECT_CALL(provider_, update_recording_rules(_, std::string_view(kRoomSid), true))
      .WillOnce(Return(core::Status()));
  auto on = service_->set_recording(kTenantA, view.room.id, true);
  ASSERT_TRUE(on.ok());
  EXPECT_TRUE(on->room.recording);
  EXPECT_FALSE(on->room.record);  // what was asked at creation does not change
  EXPECT_CALL(provider_, update_recording_rules(_, std::string_view(kRoomSid), false))
      .WillOnce(Return(core::Status()));
  EXPECT_FALSE(service_->set_recording(kTenantA, view.room.id, false)->room.recording);

  // The provider refusing leaves the flag as it was.
  EXPECT_CALL(provider_, update_recording_rules(_, _, true))
      .WillOnce(Return(core::Error::unavailable("timeout", "slow")));
  auto refused = service_->set_recording(kTenantA, view.room.id, true);
  EXPECT_EQ(refused.error().code, kErrProviderUnavailable);
  EXPECT_FALSE(service_->get(kTenantA, view.room.id)->view.room.recording);

  const auto p2p = create_room(kTenantA, "RM" + std::string(32, '3'), "peer-to-peer");
  EXPECT_EQ(service_->set_recording(kTenantA, p2p.room.id, true).error().code,
            kErrRecordingUnsupported);
}

// --- dominant speaker ----------------------------------------------------------------------

class DominantSpeakerTest : public RoomServiceTest {
 protected:
  void SetUp() override {
    RoomServiceTest::SetUp();
    view_ = create_room();
    connect(kTenantA, view_, "PA1", "alice", 1);
    connect(kTenantA, view_, "PA2", "bob", 2);
    alice_token_ = participant_token(kTenantA, "alice", view_.room.id.value());
  }

  core::Result<SpeakerOutcome> report(const std::string& token,
                                      std::optional<std::string> speaker_identity,
                                      std::optional<std::string> speaker_sid = {}) {
    return service_->report_dominant_speaker(
        {token, view_.room.id, std::move(speaker_identity), std::move(speaker_sid)});
  }

  RoomView view_;
  std::string alice_token_;
};

TEST_F(DominantSpeakerTest, AcceptedChangesAreStoredApartAndDebounced) {
  auto first = report(alice_token_, "bob");
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->result, "accepted");
  EXPECT_EQ(first->tenant, kTenantA);
  EXPECT_EQ(first->change.speaker_participant_sid, "PA2");
  EXPECT_EQ(first->change.speaker_identity, "bob");
  EXPECT_EQ(first->change.reporter_participant_sid, "PA1");
  EXPECT_EQ(first->change.at, clock_.now());

  // Bob's own client reports the same change: nothing new.
  const auto bob_token = participant_token(kTenantA, "bob", view_.room.id.value());
  clock_.advance(5s);
  EXPECT_EQ(report(bob_token, std::nullopt, "PA2")->result, "unchanged");
  // A different speaker within the window: dropped as flapping / a stale view.
  clock_.advance(1s);
  EXPECT_EQ(report(bob_token, "alice")->result, "accepted");
  clock_.advance(999ms);
  EXPECT_EQ(report(alice_token_, "bob")->result, "debounced");
  clock_.advance(1ms);
  EXPECT_EQ(report(alice_token_, "bob")->result, "accepted");
  // Nobody speaking is a change too.
  clock_.advance(2s);
  auto silence = report(alice_token_, std::nullopt, std::nullopt);
  EXPECT_EQ(silence->result, "accepted");
  EXPECT_TRUE(silence->change.speaker_participant_sid.empty());

  const auto stored = store_.speaker_changes(kTenantA, view_.room.id).value();
  ASSERT_EQ(stored.size(), 4u);
  EXPECT_EQ(stored[0].speaker_identity, "bob");
  EXPECT_EQ(stored[1].speaker_identity, "alice");
  EXPECT_EQ(stored[2].speaker_identity, "bob");
  EXPECT_EQ(stored[3].speaker_identity, "");
  // Provider-confirmed state is untouched by client reports.
  EXPECT_EQ(service_->get(kTenantA, view_.room.id)->view.state, store_.all().at(0).state);
  int speaker_notifications = 0;
  for (const auto& n : notifier_.published())
    speaker_notifications += n.kind == realtime::RoomEventKind::kDominantSpeakerChanged ? 1 : 0;
  EXPECT_EQ(speaker_notifications, 4);

  // After a restart the last stored change still counts: a repeat is "unchanged".
  auto restarted = make_service();
  clock_.advance(10s);
  EXPECT_EQ(
      restarted->report_dominant_speaker({alice_token_, view_.room.id, std::nullopt, std::nullopt})
          ->result,
      "unchanged");
}

TEST_F(DominantSpeakerTest, ReporterAndSpeakerMustBeConnectedParticipants) {
  const auto carol_token = participant_token(kTenantA, "carol", view_.room.id.value());
  auto outsider = report(carol_token, "bob");
  ASSERT_FALSE(outsider.ok());
  EXPECT_EQ(outsider.error().kind, core::ErrorKind::kConflict);
  EXPECT_EQ(outsider.error().code, kErrReporterNotConnected);

  auto unknown_speaker = report(alice_token_, "carol");
  EXPECT_EQ(unknown_speaker.error().kind, core::ErrorKind::kConflict);
  EXPECT_EQ(unknown_speaker.error().code, kErrSpeakerNotConnected);
  EXPECT_EQ(report(alice_token_, std::nullopt, "PA9").error().code, kErrSpeakerNotConnected);

  // Bob leaves: he can neither speak nor report any more.
  store_.deliver(kTenantA, view_.room.id,
                 {testing::participant_event(RoomEventType::kParticipantDisconnected, kRoomSid,
                                             "PA2", "bob", 30)});
  EXPECT_EQ(report(alice_token_, "bob").error().code, kErrSpeakerNotConnected);
  const auto bob_token = participant_token(kTenantA, "bob", view_.room.id.value());
  EXPECT_EQ(report(bob_token, "alice").error().code, kErrReporterNotConnected);
  EXPECT_TRUE(store_.speaker_changes(kTenantA, view_.room.id)->empty());
}

TEST_F(DominantSpeakerTest, TheTokenMustBeGenuineCurrentAndForThisRoom) {
  // For another room of the same tenant.
  const auto other_room_token = participant_token(kTenantA, "alice", "rm_other");
  auto other_room = report(other_room_token, "bob");
  EXPECT_EQ(other_room.error().code, kErrTokenRoomMismatch);
  EXPECT_EQ(other_room.error().kind, core::ErrorKind::kUnauthenticated);
  // Valid for any room: not good enough, the grant must name this one.
  const auto& c = *tenants_[kTenantA].credentials;
  const auto any_room = token_request(c, c.api_key_secret, "alice", 600s, std::nullopt);
  EXPECT_EQ(report(builder_.build(any_room)->token, "bob").error().code, kErrTokenRoomMismatch);
  // Expired.
  const auto short_lived = participant_token(kTenantA, "alice", view_.room.id.value(), 10s);
  clock_.advance(11s);
  auto expired = report(short_lived, "bob");
  EXPECT_EQ(expired.error().kind, core::ErrorKind::kUnauthenticated);
  // Forged with the wrong secret.
  const auto forged = token_request(c, std::string(32, 'z'), "alice", 600s, view_.room.id.value());
  EXPECT_EQ(report(builder_.build(forged)->token, "bob").error().kind,
            core::ErrorKind::kUnauthenticated);
  // Not a token at all (a tenant API key, say).
  EXPECT_EQ(report("rp_live_somekey", "bob").error().kind, core::ErrorKind::kUnauthenticated);
  // Tenant B's genuine token naming tenant A's room id: that room does not exist for B.
  const auto b_token = participant_token(kTenantB, "alice", view_.room.id.value());
  auto cross = report(b_token, "bob");
  EXPECT_EQ(cross.error().kind, core::ErrorKind::kNotFound);
  EXPECT_TRUE(store_.speaker_changes(kTenantA, view_.room.id)->empty());
}

TEST_F(DominantSpeakerTest, AFailedWriteDoesNotPoisonTheDebounce) {
  store_.fail_add_speaker_change = core::Error::unavailable("database_unavailable", "busy");
  EXPECT_FALSE(report(alice_token_, "bob").ok());
  // The same report again is a change, not "unchanged" nor "debounced".
  EXPECT_EQ(report(alice_token_, "bob")->result, "accepted");
}

TEST_F(DominantSpeakerTest, EndedRoomsTakeNoReports) {
  store_.deliver(kTenantA, view_.room.id,
                 {testing::provider_event(RoomEventType::kRoomEnded, kRoomSid, 100)});
  // Participants left with the room, but the room's state is what is reported.
  auto ended = report(alice_token_, "bob");
  ASSERT_FALSE(ended.ok());
  EXPECT_EQ(ended.error().code, kErrRoomEnded);
}

}  // namespace
}  // namespace roomplane::rooms
