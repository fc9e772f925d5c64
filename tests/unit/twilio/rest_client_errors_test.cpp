// TwilioRestClient failure handling over real HTTP: how every kind of Twilio error maps to
// core::Error, which calls are retried (and how often, and after which delays), how creates stay
// free of duplicates across retries, timeouts, network errors, metrics and logs.

#include <fstream>
#include <sstream>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <gtest/gtest.h>

#include "support/temp_dir.h"
#include "unit/twilio/client_fixture.h"

namespace roomplane::twilio::testing {
namespace {

using nlohmann::json;

Reply with_header(Reply reply, std::string name, std::string value) {
  reply.headers.emplace_back(std::move(name), std::move(value));
  return reply;
}

Reply applied(Reply reply) {
  reply.apply = true;
  return reply;
}

// A loopback port nothing listens on (bound, then closed).
std::uint16_t closed_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

// --- Error mapping -----------------------------------------------------------------------------

TEST_F(TwilioClientTest, WrongCredentialsAreUnauthenticatedAndNotRetried) {
  auto wrong = credentials_;
  wrong.api_key_secret = "not-the-secret";
  auto room = client_->fetch_room(wrong, "RM1");
  ASSERT_FALSE(room.ok());
  EXPECT_EQ(room.error().kind, core::ErrorKind::kUnauthenticated);
  EXPECT_EQ(room.error().code, "provider_unauthenticated");
  EXPECT_EQ(room.error().upstream_code, 20003);
  EXPECT_EQ(room.error().message.find("not-the-secret"), std::string::npos);
  EXPECT_EQ(fake_.requests().size(), 1u);
  EXPECT_EQ(requests_total("fetch_room", "client_error"), 1);
}

TEST_F(TwilioClientTest, MissingCredentialsFailWithoutARequest) {
  video::ProviderCredentials none;
  auto room = client_->create_room(none, room_spec("x"));
  ASSERT_FALSE(room.ok());
  EXPECT_EQ(room.error().kind, core::ErrorKind::kUnauthenticated);
  EXPECT_EQ(room.error().code, "provider_credentials_missing");
  EXPECT_TRUE(fake_.requests().empty());
}

TEST_F(TwilioClientTest, UnknownRoomIsNotFound) {
  auto room = client_->fetch_room(credentials_, "RMffffffffffffffffffffffffffffffff");
  ASSERT_FALSE(room.ok());
  EXPECT_EQ(room.error().kind, core::ErrorKind::kNotFound);
  EXPECT_EQ(room.error().code, "provider_not_found");
  EXPECT_EQ(room.error().upstream_code, 20404);
  EXPECT_EQ(fake_.requests().size(), 1u);
}

TEST_F(TwilioClientTest, DuplicateUniqueNameIsAConflict) {
  create_room("taken");
  auto again = client_->create_room(credentials_, room_spec("taken"));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, core::ErrorKind::kConflict);
  EXPECT_EQ(again.error().code, "room_exists");
  EXPECT_EQ(again.error().upstream_code, 53113);
  // A first attempt's 53113 is the caller's conflict: no look-up, no retry.
  EXPECT_EQ(fake_.requests().size(), 2u);
  EXPECT_EQ(fake_.room_count(), 1u);
}

TEST_F(TwilioClientTest, RejectedParameterIsInvalidArgument) {
  video::RoomSpec spec = room_spec("big");
  spec.max_participants = 99;
  auto room = client_->create_room(credentials_, spec);
  ASSERT_FALSE(room.ok());
  EXPECT_EQ(room.error().kind, core::ErrorKind::kInvalidArgument);
  EXPECT_EQ(room.error().code, "provider_rejected");
  EXPECT_EQ(room.error().upstream_code, 53107);
  EXPECT_EQ(fake_.requests().size(), 1u);
}

TEST_F(TwilioClientTest, ErrorBodiesWithNullsAndExtraFieldsStillMap) {
  fake_.script("GET", "/v1/Rooms/{Sid}",
               Reply::json(400, {{"code", 53107},
                                 {"message", nullptr},
                                 {"more_info", nullptr},
                                 {"status", 400},
                                 {"details", {{"anything", true}}}}));
  auto room = client_->fetch_room(credentials_, "RM1");
  ASSERT_FALSE(room.ok());
  EXPECT_EQ(room.error().kind, core::ErrorKind::kInvalidArgument);
  EXPECT_EQ(room.error().upstream_code, 53107);
  EXPECT_EQ(room.error().message, "Twilio answered HTTP 400");
}

TEST_F(TwilioClientTest, MalformedSuccessBodyIsABadResponseAndNotRetried) {
  fake_.script("GET", "/v1/Rooms/{Sid}",
               Reply::raw(200, "{\"sid\": \"RM1\", ", "application/json"));
  auto room = client_->fetch_room(credentials_, "RM1");
  ASSERT_FALSE(room.ok());
  EXPECT_EQ(room.error().kind, core::ErrorKind::kUnavailable);
  EXPECT_EQ(room.error().code, "provider_bad_response");
  EXPECT_EQ(room.error().upstream_code, 0);
  EXPECT_EQ(fake_.requests().size(), 1u);
}

TEST_F(TwilioClientTest, NonJsonErrorBodyMapsByStatus) {
  // A proxy's HTML page instead of Twilio's JSON.
  for (int i = 0; i < 4; ++i)
    fake_.script("GET", "/v1/Rooms/{Sid}", Reply::raw(502, "<html>Bad Gateway</html>"));
  auto room = client_->fetch_room(credentials_, "RM1");
  ASSERT_FALSE(room.ok());
  EXPECT_EQ(room.error().kind, core::ErrorKind::kUnavailable);
  EXPECT_EQ(room.error().code, "provider_unavailable");
  EXPECT_EQ(room.error().upstream_code, 0);
  EXPECT_EQ(room.error().message, "Twilio answered HTTP 502");

  fake_.script("GET", "/v1/Rooms/{Sid}", Reply::raw(404, "not json"));
  EXPECT_EQ(client_->fetch_room(credentials_, "RM1").error().kind, core::ErrorKind::kNotFound);
}

// --- Retries -----------------------------------------------------------------------------------

TEST_F(TwilioClientTest, RateLimitIsRetriedWithBackoffUntilAttemptsRunOut) {
  for (int i = 0; i < 4; ++i)
    fake_.script("GET", "/v1/Rooms/{Sid}", Reply::twilio_error(429, 20429, "Too Many Requests"));
  auto room = client_->fetch_room(credentials_, "RM1");
  ASSERT_FALSE(room.ok());
  EXPECT_EQ(room.error().kind, core::ErrorKind::kRateLimited);
  EXPECT_EQ(room.error().code, "provider_rate_limited");
  EXPECT_EQ(room.error().upstream_code, 20429);
  EXPECT_EQ(fake_.requests().size(), 4u);
  EXPECT_EQ(retries_total("fetch_room"), 3);
  EXPECT_EQ(requests_total("fetch_room", "rate_limited"), 4);

  // Full jitter: each delay lies in [0, min(max_delay, base_delay * 2^(n-1))].
  const auto delays = sleeper_.delays();
  ASSERT_EQ(delays.size(), 3u);
  EXPECT_LE(delays[0], 100ms);
  EXPECT_LE(delays[1], 200ms);
  EXPECT_LE(delays[2], 400ms);
}

TEST_F(TwilioClientTest, RetryAfterIsHonouredAndCappedByMaxDelay) {
  fake_.script("GET", "/v1/Rooms/{Sid}",
               with_header(Reply::twilio_error(429, 20429), "Retry-After", "1"));
  fake_.script("GET", "/v1/Rooms/{Sid}",
               with_header(Reply::twilio_error(429, 20429), "Retry-After", "3600"));
  const std::string sid = create_room("patient");
  auto room = client_->fetch_room(credentials_, sid);
  ASSERT_TRUE(room.ok()) << room.error().message;
  EXPECT_EQ(sleeper_.delays(), (std::vector<std::chrono::milliseconds>{1000ms, 2000ms}));
  EXPECT_EQ(fake_.requests("GET", "/v1/Rooms/{Sid}").size(), 3u);
}

TEST_F(TwilioClientTest, ServerErrorsAreRetriedUntilSuccess) {
  const std::string sid = create_room("flaky");
  fake_.script("GET", "/v1/Rooms/{Sid}", Reply::twilio_error(500, 20500, "Internal Server Error"));
  fake_.script("GET", "/v1/Rooms/{Sid}", Reply::twilio_error(503, 20503, "Service Unavailable"));
  auto room = client_->fetch_room(credentials_, sid);
  ASSERT_TRUE(room.ok()) << room.error().message;
  EXPECT_EQ(room->sid, sid);
  EXPECT_EQ(fake_.requests("GET", "/v1/Rooms/{Sid}").size(), 3u);
  EXPECT_EQ(retries_total("fetch_room"), 2);
  EXPECT_EQ(requests_total("fetch_room", "server_error"), 2);
  EXPECT_EQ(requests_total("fetch_room", "ok"), 1);
  EXPECT_EQ(durations_observed("fetch_room"), 3u);
  EXPECT_EQ(sleeper_.delays().size(), 2u);
}

TEST_F(TwilioClientTest, PersistentServerErrorIsUnavailableAfterEveryAttempt) {
  for (int i = 0; i < 4; ++i)
    fake_.script("GET", "/v1/Compositions/{Sid}", Reply::twilio_error(500, 20500));
  auto composition = client_->fetch_composition(credentials_, "CJ1");
  ASSERT_FALSE(composition.ok());
  EXPECT_EQ(composition.error().kind, core::ErrorKind::kUnavailable);
  EXPECT_EQ(composition.error().code, "provider_unavailable");
  EXPECT_EQ(composition.error().upstream_code, 20500);
  EXPECT_EQ(fake_.requests().size(), 4u);
  EXPECT_EQ(retries_total("fetch_composition"), 3);
}

TEST_F(TwilioClientTest, ClientErrorsAreNeverRetried) {
  fake_.script("POST", "/v1/Rooms/{Sid}", Reply::twilio_error(400, 53112, "Status is invalid"));
  fake_.script("GET", "/v1/Rooms/{Sid}", Reply::twilio_error(403, 20403, "Forbidden"));
  fake_.script("GET", "/v1/Rooms/{Sid}", Reply::twilio_error(403, 20403, "Forbidden"));
  // complete_room looks at the room after a 53112; that look-up is refused too.
  auto room = client_->complete_room(credentials_, "RM1");
  ASSERT_FALSE(room.ok());
  EXPECT_EQ(room.error().kind, core::ErrorKind::kConflict);  // 53112, as Twilio said
  auto forbidden = client_->fetch_room(credentials_, "RM1");
  EXPECT_EQ(forbidden.error().kind, core::ErrorKind::kForbidden);
  EXPECT_TRUE(sleeper_.delays().empty());
  EXPECT_EQ(fake_.requests().size(), 3u);
}

TEST_F(TwilioClientTest, IdempotentUpdatesAreRetried) {
  const std::string sid = create_room("updates");
  fake_.connect_participant(sid, "alice");

  fake_.script("POST", "/v1/Rooms/{RoomSid}/RecordingRules", Reply::twilio_error(503, 20503));
  EXPECT_TRUE(client_->update_recording_rules(credentials_, sid, true).ok());
  fake_.script("POST", "/v1/Rooms/{RoomSid}/Participants/{Sid}", Reply::twilio_error(500, 20500));
  EXPECT_TRUE(client_->disconnect_participant(credentials_, sid, "alice").ok());
  fake_.script("POST", "/v1/Rooms/{Sid}", Reply::twilio_error(502, 0));
  auto completed = client_->complete_room(credentials_, sid);
  ASSERT_TRUE(completed.ok()) << completed.error().message;
  EXPECT_EQ(completed->status, video::RoomStatus::kCompleted);

  EXPECT_EQ(retries_total("update_recording_rules"), 1);
  EXPECT_EQ(retries_total("disconnect_participant"), 1);
  EXPECT_EQ(retries_total("complete_room"), 1);
}

TEST_F(TwilioClientTest, CompletingARoomWhoseFirstAnswerWasLostSucceeds) {
  // The first POST ended the room but its answer was a 503; the retry gets 53112, and the
  // client reports the room's final state rather than a conflict.
  const std::string sid = create_room("lost-answer");
  fake_.script("POST", "/v1/Rooms/{Sid}", applied(Reply::twilio_error(503, 20503)));
  auto room = client_->complete_room(credentials_, sid);
  ASSERT_TRUE(room.ok()) << room.error().message;
  EXPECT_EQ(room->status, video::RoomStatus::kCompleted);
}

// --- Creates without duplicates ----------------------------------------------------------------

TEST_F(TwilioClientTest, CreateRoomAfterA503ThatCreatedItReturnsThatRoom) {
  fake_.script("POST", "/v1/Rooms", applied(Reply::twilio_error(503, 20503)));
  auto room = client_->create_room(credentials_, room_spec("consult-7"));
  ASSERT_TRUE(room.ok()) << room.error().message;
  EXPECT_EQ(room->unique_name, "consult-7");
  EXPECT_EQ(room->status, video::RoomStatus::kInProgress);
  EXPECT_EQ(fake_.room_count(), 1u);

  const auto requests = fake_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[1].method, "GET");
  EXPECT_EQ(requests[1].target, "/v1/Rooms/consult-7");
  EXPECT_EQ(retries_total("create_room"), 1);
  EXPECT_EQ(requests_total("create_room", "server_error"), 1);
  EXPECT_EQ(requests_total("create_room_lookup", "ok"), 1);
}

TEST_F(TwilioClientTest, CreateRoomAfterA503ThatCreatedNothingCreatesItOnce) {
  fake_.script("POST", "/v1/Rooms", Reply::twilio_error(503, 20503));
  auto room = client_->create_room(credentials_, room_spec("consult-8"));
  ASSERT_TRUE(room.ok()) << room.error().message;
  EXPECT_EQ(fake_.room_count(), 1u);
  const auto requests = fake_.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[1].method, "GET");  // look-up: 404
  EXPECT_EQ(requests[2].method, "POST");
  EXPECT_EQ(requests[2].form, requests[0].form);
}

TEST_F(TwilioClientTest, CreateRoomWhoseRoomAppearsAfterTheLookUpReturnsIt) {
  // POST #1 creates the room but answers 503; the look-up races it and sees 404; POST #2 gets
  // 53113 - which on a retry means "ours", so the client fetches and returns it.
  fake_.script("POST", "/v1/Rooms", applied(Reply::twilio_error(503, 20503)));
  fake_.script("GET", "/v1/Rooms/{Sid}", Reply::twilio_error(404, 20404));
  auto room = client_->create_room(credentials_, room_spec("racy"));
  ASSERT_TRUE(room.ok()) << room.error().message;
  EXPECT_EQ(room->unique_name, "racy");
  EXPECT_EQ(fake_.room_count(), 1u);
  EXPECT_EQ(fake_.requests().size(), 4u);  // POST, GET, POST (53113), GET
}

TEST_F(TwilioClientTest, CreateRoomAfterA429RetriesWithoutLookingUp) {
  fake_.script("POST", "/v1/Rooms", Reply::twilio_error(429, 20429));
  auto room = client_->create_room(credentials_, room_spec("throttled"));
  ASSERT_TRUE(room.ok()) << room.error().message;
  EXPECT_EQ(fake_.requests("POST", "/v1/Rooms").size(), 2u);
  EXPECT_TRUE(fake_.requests("GET", "/v1/Rooms/{Sid}").empty());
}

TEST_F(TwilioClientTest, CreateRoomWithoutUniqueNameIsNeverRetried) {
  fake_.script("POST", "/v1/Rooms", Reply::twilio_error(503, 20503));
  auto room = client_->create_room(credentials_, video::RoomSpec{});
  ASSERT_FALSE(room.ok());
  EXPECT_EQ(room.error().kind, core::ErrorKind::kUnavailable);
  EXPECT_EQ(fake_.requests().size(), 1u);
  EXPECT_EQ(retries_total("create_room"), 0);
  EXPECT_TRUE(sleeper_.delays().empty());
}

TEST_F(TwilioClientTest, CreateCompositionAfterA503ThatCreatedItReturnsIt) {
  const std::string room = create_room("to-compose");
  video::CompositionSpec spec;
  spec.room_sid = room;
  spec.status_callback_url = "https://rp.example/cb";
  fake_.script("POST", "/v1/Compositions", applied(Reply::twilio_error(503, 20503)));

  auto composition = client_->create_composition(credentials_, spec);
  ASSERT_TRUE(composition.ok()) << composition.error().message;
  EXPECT_EQ(fake_.composition_count(), 1u);
  EXPECT_EQ(composition->room_sid, room);
  const auto lists = fake_.requests("GET", "/v1/Compositions");
  ASSERT_EQ(lists.size(), 1u);
  EXPECT_EQ(lists[0].query_param("RoomSid"), room);
  EXPECT_EQ(fake_.requests("POST", "/v1/Compositions").size(), 1u);
  EXPECT_EQ(requests_total("create_composition_lookup", "ok"), 1);
}

TEST_F(TwilioClientTest, CreateCompositionLookUpIgnoresOtherSpecsFailuresAndOldOnes) {
  const std::string room = create_room("to-compose-again");
  video::CompositionSpec spec;
  spec.room_sid = room;
  spec.format = video::CompositionFormat::kMp4;

  // An old composition of the same spec, one of another format, and a failed one.
  auto old = client_->create_composition(credentials_, spec);
  ASSERT_TRUE(old.ok());
  clock_.advance(std::chrono::hours(1));
  video::CompositionSpec webm = spec;
  webm.format = video::CompositionFormat::kWebm;
  ASSERT_TRUE(client_->create_composition(credentials_, webm).ok());
  auto failed = client_->create_composition(credentials_, spec);
  ASSERT_TRUE(failed.ok());
  fake_.set_composition_status(failed->sid, "failed");

  fake_.script("POST", "/v1/Compositions", Reply::twilio_error(503, 20503));
  auto fresh = client_->create_composition(credentials_, spec);
  ASSERT_TRUE(fresh.ok()) << fresh.error().message;
  EXPECT_NE(fresh->sid, old->sid);
  EXPECT_NE(fresh->sid, failed->sid);
  EXPECT_EQ(fake_.composition_count(), 4u);
}

TEST_F(TwilioClientTest, CreateCompositionAfterA429RetriesWithoutListing) {
  const std::string room = create_room("compose-throttled");
  video::CompositionSpec spec;
  spec.room_sid = room;
  fake_.script("POST", "/v1/Compositions", Reply::twilio_error(429, 20429));
  ASSERT_TRUE(client_->create_composition(credentials_, spec).ok());
  EXPECT_TRUE(fake_.requests("GET", "/v1/Compositions").empty());
  EXPECT_EQ(fake_.composition_count(), 1u);
}

// --- Timeouts and network errors ---------------------------------------------------------------

TEST_F(TwilioClientTest, SlowAnswerTimesOutAsUnavailable) {
  RetryPolicy policy = test_policy();
  policy.max_attempts = 2;
  policy.request_timeout = 300ms;
  client_ = make_client(fake_.base_url(), policy);
  Reply slow = Reply::json(200, json::object());
  slow.hold = 10s;  // released when the fake shuts down
  fake_.script("GET", "/v1/Rooms/{Sid}", slow);
  fake_.script("GET", "/v1/Rooms/{Sid}", slow);

  const auto started = std::chrono::steady_clock::now();
  auto room = client_->fetch_room(credentials_, "RM1");
  const auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(room.ok());
  EXPECT_EQ(room.error().kind, core::ErrorKind::kUnavailable);
  EXPECT_EQ(room.error().code, "timeout");
  EXPECT_LT(elapsed, 5s);
  EXPECT_EQ(fake_.requests().size(), 2u);
  EXPECT_EQ(requests_total("fetch_room", "network_error"), 2);
  EXPECT_EQ(retries_total("fetch_room"), 1);
}

TEST_F(TwilioClientTest, CreateRoomWhoseAnswerTimedOutIsFoundByTheLookUp) {
  RetryPolicy policy = test_policy();
  policy.request_timeout = 300ms;
  client_ = make_client(fake_.base_url(), policy);
  Reply slow = applied(Reply::json(201, json::object()));
  slow.hold = 10s;
  fake_.script("POST", "/v1/Rooms", slow);

  auto room = client_->create_room(credentials_, room_spec("slow-create"));
  ASSERT_TRUE(room.ok()) << room.error().message;
  EXPECT_EQ(room->unique_name, "slow-create");
  EXPECT_EQ(fake_.room_count(), 1u);
  EXPECT_EQ(fake_.requests("POST", "/v1/Rooms").size(), 1u);
}

TEST_F(TwilioClientTest, UnreachableServerIsANetworkErrorAfterRetries) {
  RetryPolicy policy = test_policy();
  policy.max_attempts = 3;
  client_ = make_client("http://127.0.0.1:" + std::to_string(closed_port()), policy);
  auto room = client_->fetch_room(credentials_, "RM1");
  ASSERT_FALSE(room.ok());
  EXPECT_EQ(room.error().kind, core::ErrorKind::kUnavailable);
  EXPECT_EQ(room.error().code, "network_error");
  EXPECT_EQ(requests_total("fetch_room", "network_error"), 3);
  EXPECT_EQ(sleeper_.delays().size(), 2u);
}

// --- Metrics and logs --------------------------------------------------------------------------

TEST_F(TwilioClientTest, MetricsCountEveryRequestByOperationAndOutcome) {
  const std::string sid = create_room("metered");
  ASSERT_TRUE(client_->fetch_room(credentials_, sid).ok());
  EXPECT_FALSE(client_->fetch_room(credentials_, "RM404").ok());
  fake_.script("GET", "/v1/Rooms/{RoomSid}/Participants", Reply::twilio_error(429, 20429));
  ASSERT_TRUE(client_->list_participants(credentials_, sid).ok());

  EXPECT_EQ(requests_total("create_room", "ok"), 1);
  EXPECT_EQ(requests_total("fetch_room", "ok"), 1);
  EXPECT_EQ(requests_total("fetch_room", "client_error"), 1);
  EXPECT_EQ(requests_total("list_participants", "rate_limited"), 1);
  EXPECT_EQ(requests_total("list_participants", "ok"), 1);
  EXPECT_EQ(retries_total("list_participants"), 1);
  EXPECT_EQ(retries_total("fetch_room"), 0);
  EXPECT_EQ(durations_observed("fetch_room"), 2u);
  const std::string rendered = metrics_.render();
  EXPECT_NE(rendered.find("roomplane_provider_requests_total{operation=\"create_room\","
                          "outcome=\"ok\"} 1"),
            std::string::npos)
      << rendered;
}

TEST_F(TwilioClientTest, LogsNeverCarrySecretsPathsOrIdentities) {
  roomplane::testing::TempDir dir;
  const std::string log_path = dir.file("twilio.log");
  {
    observability::Logging logging(observability::LogLevel::kDebug, log_path);
    client_ = make_client(fake_.base_url(), test_policy(), logging.logger("twilio"));
    const std::string sid = create_room("dr-smith-and-jane-doe");
    fake_.connect_participant(sid, "jane.doe@example.com");
    fake_.script("POST", "/v1/Rooms/{RoomSid}/Participants/{Sid}",
                 Reply::twilio_error(503, 20503, "busy"));
    EXPECT_TRUE(client_->disconnect_participant(credentials_, sid, "jane.doe@example.com").ok());
    auto wrong = credentials_;
    wrong.api_key_secret = "another-secret-value";
    EXPECT_FALSE(client_->fetch_room(wrong, sid).ok());
    EXPECT_FALSE(client_->fetch_room(credentials_, "dr-smith-missing").ok());
    client_.reset();
    logging.flush();
  }
  std::ifstream in(log_path);
  std::stringstream text;
  text << in.rdbuf();
  const std::string log = text.str();
  EXPECT_NE(log.find("provider_retry"), std::string::npos) << log;
  EXPECT_NE(log.find("provider_unauthenticated"), std::string::npos) << log;
  for (const std::string& secret :
       {credentials_.api_key_secret, std::string("another-secret-value"), std::string("jane.doe"),
        std::string("dr-smith"), std::string("Basic ")}) {
    EXPECT_EQ(log.find(secret), std::string::npos) << secret << " leaked into: " << log;
  }
}

}  // namespace
}  // namespace roomplane::twilio::testing
