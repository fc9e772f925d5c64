// The SignalR hub over a real server and real WebSockets on loopback: negotiate, handshake,
// invocations, tenant isolation, subscriptions, snapshot, keep-alive and timeouts,
// backpressure, and shutdown. Intervals are shortened through HubOptions.

#include "realtime/hub.h"

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "http/server.h"
#include "realtime/signalr_protocol.h"
#include "unit/http/test_client.h"
#include "unit/http/ws_test_client.h"

namespace roomplane::realtime {
namespace {

using namespace std::chrono_literals;
using http::testing::eventually;
using http::testing::TestClient;
using http::testing::WsTestClient;
using nlohmann::json;

constexpr std::string_view kTokenA = "token-a";
constexpr std::string_view kTokenA2 = "token-a2";
constexpr std::string_view kTokenB = "token-b";

// Tokens map to tenants; unknown tokens are refused. Answers from another thread, as the
// production authenticator does on a cache miss.
class FakeAuthenticator final : public HubAuthenticator {
 public:
  void authenticate(std::string credential, Callback done) override {
    std::thread([credential = std::move(credential), done = std::move(done)] {
      if (credential == kTokenA || credential == kTokenA2) {
        done(core::TenantId("tn_a"));
      } else if (credential == kTokenB) {
        done(core::TenantId("tn_b"));
      } else {
        done(core::Error::unauthenticated());
      }
    }).detach();
  }
};

// A SignalR client over WsTestClient: splits messages into records and keeps events and
// completions apart.
class HubClient {
 public:
  HubClient(std::uint16_t port, std::string target, WsTestClient::Headers headers = {},
            int receive_buffer_bytes = 0)
      : ws_(port, std::move(target), std::move(headers), receive_buffer_bytes) {}

  WsTestClient& ws() { return ws_; }

  bool handshake() {
    if (!ws_.open() || ws_.write(R"({"protocol":"json","version":1})" + std::string(1, '\x1e')))
      return false;
    auto first = next_record();
    return first && *first == "{}";
  }

  void send(const json& message) { ASSERT_FALSE(ws_.write(message.dump() + '\x1e')); }

  // The next record, raw; nullopt when the connection closed or nothing came in time.
  std::optional<std::string> next_record(std::chrono::milliseconds timeout = 5s) {
    while (records_.empty()) {
      auto message = ws_.read(timeout);
      if (!message)
        return std::nullopt;
      std::size_t start = 0;
      while (start < message->size()) {
        const auto end = message->find('\x1e', start);
        EXPECT_NE(end, std::string::npos) << "record without separator: " << *message;
        if (end == std::string::npos)
          break;
        records_.push_back(message->substr(start, end - start));
        start = end + 1;
      }
    }
    auto record = std::move(records_.front());
    records_.pop_front();
    return record;
  }

  // The next message that is not a ping.
  std::optional<json> next(std::chrono::milliseconds timeout = 5s) {
    while (auto record = next_record(timeout)) {
      auto message = json::parse(*record);
      if (message.value("type", 0) != 6)
        return message;
    }
    return std::nullopt;
  }

  // Invokes and waits for the completion; events arriving meanwhile are kept for next_event().
  json invoke(const std::string& target, json arguments) {
    const auto id = std::to_string(next_id_++);
    send({{"type", 1}, {"invocationId", id}, {"target", target}, {"arguments", arguments}});
    while (auto message = next()) {
      if (message->value("type", 0) == 3 && message->value("invocationId", "") == id)
        return *message;
      events_.push_back(std::move(*message));
    }
    ADD_FAILURE() << "no completion for " << target;
    return {};
  }

  std::optional<json> next_event(std::chrono::milliseconds timeout = 5s) {
    if (!events_.empty()) {
      auto event = std::move(events_.front());
      events_.pop_front();
      return event;
    }
    return next(timeout);
  }

 private:
  WsTestClient ws_;
  std::deque<std::string> records_;
  std::deque<json> events_;
  int next_id_ = 0;
};

class HubTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (server_)
      server_->shutdown();
    pool_.stop();
    if (hub_)
      hub_->stop();
  }

  static HubOptions fast_options() {
    HubOptions options;
    options.keep_alive_interval = 10s;
    options.client_timeout = 20s;
    options.handshake_timeout = 10s;
    options.negotiate_timeout = 10s;
    options.sweep_interval = 20ms;
    options.close_timeout = 300ms;
    options.sequence_base = 0;  // numbers from 1, as the expectations below spell them
    return options;
  }

  void start(HubOptions options = fast_options()) {
    hub_ = std::make_unique<Hub>(
        options, authenticator_, pool_,
        [this](const core::TenantId& tenant) -> core::Result<json> {
          std::lock_guard lock(snapshot_mutex_);
          if (snapshot_error_)
            return core::Error::unavailable("db_down", "database unavailable");
          return snapshots_[tenant.value()];
        },
        [this](const core::TenantId& tenant, const std::string& room) -> core::Result<bool> {
          std::lock_guard lock(snapshot_mutex_);
          if (snapshot_error_)
            return core::Error::unavailable("db_down", "database unavailable");
          return !missing_rooms_.contains(tenant.value() + "/" + room);
        },
        metrics_, observability::Logger{});
    hub_->add_routes(router_);
    http::ServerOptions server_options;
    server_options.host = "127.0.0.1";
    server_options.port = 0;
    server_options.drain_timeout = 3s;
    server_ =
        std::make_unique<http::Server>(server_options, router_, metrics_, observability::Logger{});
    ASSERT_TRUE(server_->start().ok());
  }

  static WsTestClient::Headers bearer(std::string_view token) {
    return {{"Authorization", "Bearer " + std::string(token)}};
  }

  // POST negotiate; the parsed body (or a null json) and the status.
  std::pair<unsigned, json> negotiate(std::optional<std::string_view> token,
                                      std::string_view query = "?negotiateVersion=1") {
    TestClient client(server_->port());
    std::vector<std::pair<std::string, std::string>> headers;
    if (token)
      headers.emplace_back("Authorization", "Bearer " + std::string(*token));
    const auto response = client.request(http::testing::bhttp::verb::post,
                                         "/hubs/rooms/negotiate" + std::string(query), {}, headers);
    return {response.result_int(), json::parse(response.body(), nullptr, false)};
  }

  // Negotiates and connects with the token, then does the SignalR handshake.
  std::unique_ptr<HubClient> connect(std::string_view token, int receive_buffer_bytes = 0) {
    auto [status, body] = negotiate(token);
    EXPECT_EQ(status, 200u);
    auto client = std::make_unique<HubClient>(server_->port(),
                                              "/hubs/rooms?id=" + body.value("connectionToken", ""),
                                              bearer(token), receive_buffer_bytes);
    EXPECT_TRUE(client->handshake());
    return client;
  }

  void publish(const std::string& tenant, const std::string& room, RoomEventKind kind,
               json payload = json::object()) {
    RoomNotification n;
    n.kind = kind;
    n.tenant = core::TenantId(tenant);
    n.room_id = core::RoomId(room);
    n.provider_room_sid = "RM" + room;
    n.at = core::from_unix_seconds(1'700'000'000) + std::chrono::milliseconds(42);
    n.payload = std::move(payload);
    hub_->publish(std::move(n));
  }

  double counter(const std::string& name, const observability::Labels& labels = {}) {
    return metrics_.counter(name, "", labels).value();
  }

  FakeAuthenticator authenticator_;
  core::WorkPool pool_{2};
  http::Router router_;
  observability::MetricsRegistry metrics_;
  std::mutex snapshot_mutex_;
  std::map<std::string, json> snapshots_;
  bool snapshot_error_ = false;          // the snapshot and the room look-up fail
  std::set<std::string> missing_rooms_;  // "tenant/room": rooms the look-up does not find
  std::unique_ptr<Hub> hub_;
  std::unique_ptr<http::Server> server_;
};

TEST_F(HubTest, NegotiateAnswersVersionOneWithWebSocketsOnly) {
  start();
  auto [status, body] = negotiate(kTokenA);
  ASSERT_EQ(status, 200u);
  EXPECT_EQ(body["negotiateVersion"], 1);
  EXPECT_EQ(body["connectionId"].get<std::string>().size(), 22u);
  EXPECT_EQ(body["connectionToken"].get<std::string>().size(), 22u);
  EXPECT_NE(body["connectionId"], body["connectionToken"]);
  EXPECT_EQ(body["availableTransports"],
            json::parse(R"([{"transport":"WebSockets","transferFormats":["Text","Binary"]}])"));
  EXPECT_FALSE(body.contains("useStatefulReconnect"));

  auto [v0_status, v0_body] = negotiate(kTokenA, "");
  EXPECT_EQ(v0_status, 200u);
  EXPECT_NE(v0_body.value("error", "").find("does not support this version"), std::string::npos);
}

TEST_F(HubTest, MissingOrBadTokenIsRefusedOnNegotiateAndUpgrade) {
  start();
  EXPECT_EQ(negotiate(std::nullopt).first, 401u);
  EXPECT_EQ(negotiate("wrong").first, 401u);

  HubClient no_token(server_->port(), "/hubs/rooms");
  EXPECT_FALSE(no_token.ws().open());
  EXPECT_EQ(no_token.ws().handshake_status(), 401u);
  HubClient bad_token(server_->port(), "/hubs/rooms", bearer("wrong"));
  EXPECT_EQ(bad_token.ws().handshake_status(), 401u);
  HubClient bad_query(server_->port(), "/hubs/rooms?access_token=wrong");
  EXPECT_EQ(bad_query.ws().handshake_status(), 401u);
  EXPECT_EQ(hub_->connection_count(), 0u);
}

TEST_F(HubTest, ConnectionTokenIsSingleUseAndBoundToTheTenant) {
  start();
  auto [status, body] = negotiate(kTokenA);
  ASSERT_EQ(status, 200u);
  const auto target = "/hubs/rooms?id=" + body["connectionToken"].get<std::string>();

  HubClient other_tenant(server_->port(), target, bearer(kTokenB));
  EXPECT_EQ(other_tenant.ws().handshake_status(), 404u);
  // The failed attempt consumed the token: a connection id never changes hands.
  HubClient owner_late(server_->port(), target, bearer(kTokenA));
  EXPECT_EQ(owner_late.ws().handshake_status(), 404u);

  HubClient unknown(server_->port(), "/hubs/rooms?id=nope", bearer(kTokenA));
  EXPECT_EQ(unknown.ws().handshake_status(), 404u);

  auto [status2, body2] = negotiate(kTokenA2);  // another key of the same tenant may attach
  HubClient same_tenant(server_->port(),
                        "/hubs/rooms?id=" + body2["connectionToken"].get<std::string>(),
                        bearer(kTokenA));
  EXPECT_TRUE(same_tenant.handshake());
}

TEST_F(HubTest, NegotiatedConnectionExpiresIfNotAttached) {
  auto options = fast_options();
  options.negotiate_timeout = 100ms;
  start(options);
  auto [status, body] = negotiate(kTokenA);
  ASSERT_EQ(status, 200u);
  // The expiry is the condition under test, so waiting it out is the point.
  std::this_thread::sleep_for(150ms);
  HubClient late(server_->port(), "/hubs/rooms?id=" + body["connectionToken"].get<std::string>(),
                 bearer(kTokenA));
  EXPECT_EQ(late.ws().handshake_status(), 404u);
}

TEST_F(HubTest, SkipNegotiationWithAccessTokenQueryAndTrailingSlash) {
  start();
  HubClient query(server_->port(), "/hubs/rooms?access_token=" + std::string(kTokenA));
  EXPECT_TRUE(query.handshake());
  HubClient slash(server_->port(), "/hubs/rooms/", bearer(kTokenA));
  EXPECT_TRUE(slash.handshake());
  EXPECT_TRUE(eventually([&] { return hub_->connection_count() == 2; }));
}

TEST_F(HubTest, HandshakeErrorsAreReportedThenClosed) {
  start();
  HubClient msgpack(server_->port(), "/hubs/rooms", bearer(kTokenA));
  ASSERT_FALSE(msgpack.ws().write(R"({"protocol":"messagepack","version":1})"
                                  "\x1e"));
  EXPECT_EQ(msgpack.next_record(), R"({"error":"The protocol 'messagepack' is not supported."})");
  EXPECT_EQ(msgpack.next_record(), std::nullopt);
  EXPECT_TRUE(msgpack.ws().closed_by_server());

  HubClient v2(server_->port(), "/hubs/rooms", bearer(kTokenA));
  ASSERT_FALSE(v2.ws().write(R"({"protocol":"json","version":2})"
                             "\x1e"));
  EXPECT_NE(v2.next_record()->find("does not support version 2"), std::string::npos);
}

TEST_F(HubTest, InvocationsCompleteAndUnknownMethodsFailLikeAspNet) {
  start();
  auto client = connect(kTokenA);
  // Pings and batches of records in one message are accepted, as the JS client sends them.
  ASSERT_FALSE(
      client->ws().write(std::string(R"({"type":6})") + '\x1e' + R"({"type":6})" + '\x1e'));

  auto subscribed = client->invoke("Subscribe", {"rm_1"});
  EXPECT_EQ(subscribed["result"],
            json({{"roomId", "rm_1"}, {"subscribed", true}, {"sequence", 0}}));
  auto lower = client->invoke("unsubscribe", {"rm_1"});
  EXPECT_EQ(lower["result"], json({{"roomId", "rm_1"}, {"subscribed", false}}));

  auto unknown = client->invoke("DropTables", json::array());
  EXPECT_EQ(unknown["error"],
            "Failed to invoke 'DropTables' due to an error on the server. HubException: Method "
            "does not exist.");
  EXPECT_FALSE(unknown.contains("result"));
  auto arity = client->invoke("Subscribe", json::array());
  EXPECT_EQ(arity["error"],
            "Failed to invoke 'Subscribe' due to an error on the server. InvalidDataException: "
            "Invocation provides 0 argument(s) but target expects 1.");
  auto type = client->invoke("Subscribe", {42});
  EXPECT_NE(type["error"].get<std::string>().find("roomId must be"), std::string::npos);

  // A streaming invocation of a plain method gets an error completion.
  client->send({{"type", 4},
                {"invocationId", "s1"},
                {"target", "GetLiveRooms"},
                {"arguments", json::array()}});
  auto stream = client->next();
  ASSERT_TRUE(stream);
  EXPECT_EQ((*stream)["invocationId"], "s1");
  EXPECT_NE((*stream)["error"].get<std::string>().find("streaming invocation"), std::string::npos);

  // Its invocationId is bounded like any other (128 bytes): a longer one is a protocol error.
  client->send({{"type", 4},
                {"invocationId", std::string(129, 'i')},
                {"target", "GetLiveRooms"},
                {"arguments", json::array()}});
  auto closed = client->next();
  ASSERT_TRUE(closed);
  EXPECT_EQ((*closed)["type"], 7);
  EXPECT_EQ(closed->value("invocationId", ""), "");
}

// Sequence numbers start at the wall clock in microseconds, so the numbers of a restarted
// server continue above those it gave out before (the dashboard takes a number at or below its
// last as already seen, and would drop every event of a room after a restart otherwise).
TEST_F(HubTest, SequencesStartAtTheWallClockSoARestartNeverGoesBack) {
  const auto micros = [] {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
  };
  auto options = fast_options();
  options.sequence_base.reset();
  const auto before = micros();
  start(options);
  const auto after = micros();
  auto client = connect(kTokenA);
  auto subscribed = client->invoke("Subscribe", {"rm_1"});
  const auto base = subscribed["result"]["sequence"].get<std::uint64_t>();
  EXPECT_GE(base, before);
  EXPECT_LE(base, after);
  EXPECT_LT(base, std::uint64_t{1} << 53);  // exact in a JavaScript number
  publish("tn_a", "rm_1", RoomEventKind::kRoomUpdated);
  auto event = client->next_event();
  ASSERT_TRUE(event);
  EXPECT_EQ((*event)["arguments"][0]["sequence"].get<std::uint64_t>(), base + 1);
}

// A room quiet for the retention period loses its counter. When it speaks again its numbers go
// on above what it had reached (the tenant's floor rises to the highest forgotten number), not
// back to the base.
TEST_F(HubTest, AForgottenCounterNeverRestartsBelowWhatItReached) {
  auto options = fast_options();
  options.sequence_base = 100;
  options.sequence_retention = 50ms;
  start(options);
  auto client = connect(kTokenA);
  for (int i = 0; i < 3; ++i)
    publish("tn_a", "rm_1", RoomEventKind::kRoomUpdated);
  publish("tn_a", "rm_2", RoomEventKind::kRoomUpdated);
  for (int i = 0; i < 4; ++i)
    ASSERT_TRUE(client->next_event());
  // rm_2 stood at 101 and rm_1 at 103; once both are forgotten, both stand at the floor, 103.
  EXPECT_TRUE(eventually(
      [&] { return client->invoke("Subscribe", {"rm_2"})["result"]["sequence"] == 103; }, 5s));
  ASSERT_EQ(client->invoke("Unsubscribe", {"rm_2"})["result"]["subscribed"], false);  // all again
  publish("tn_a", "rm_1", RoomEventKind::kRoomUpdated);
  publish("tn_a", "rm_2", RoomEventKind::kRoomUpdated);
  auto first = client->next_event();
  auto second = client->next_event();
  ASSERT_TRUE(first && second);
  EXPECT_EQ((*first)["arguments"][0]["sequence"], 104);
  EXPECT_EQ((*second)["arguments"][0]["sequence"], 104);
}

TEST_F(HubTest, EventsCarrySequenceAndReachOnlyTheirTenant) {
  start();
  auto a1 = connect(kTokenA);
  auto a2 = connect(kTokenA2);
  auto b = connect(kTokenB);

  // Publishers write snake_case; the hub speaks camelCase, like ASP.NET Core SignalR.
  publish("tn_a", "rm_1", RoomEventKind::kParticipantJoined,
          {{"participant_sid", "PA1"}, {"identity", "alice"}});
  for (auto* client : {a1.get(), a2.get()}) {
    auto event = client->next_event();
    ASSERT_TRUE(event);
    EXPECT_EQ((*event)["type"], 1);
    EXPECT_FALSE(event->contains("invocationId"));
    EXPECT_EQ((*event)["target"], "ParticipantJoined");
    ASSERT_EQ((*event)["arguments"].size(), 1u);
    const auto& arg = (*event)["arguments"][0];
    EXPECT_EQ(arg["roomId"], "rm_1");
    EXPECT_EQ(arg["roomSid"], "RMrm_1");
    EXPECT_EQ(arg["sequence"], 1);
    EXPECT_EQ(arg["timestamp"], "2023-11-14T22:13:20.042Z");
    EXPECT_EQ(arg["participantSid"], "PA1");
    EXPECT_EQ(arg["identity"], "alice");
  }

  // Tenant b's first event is its own: nothing of tenant a was queued before it.
  publish("tn_b", "rm_1", RoomEventKind::kRoomUpdated, {{"status", "completed"}});
  auto mine = b->next_event();
  ASSERT_TRUE(mine);
  EXPECT_EQ((*mine)["target"], "RoomUpdated");
  EXPECT_EQ((*mine)["arguments"][0]["sequence"], 1);  // sequences are per tenant and room

  publish("tn_a", "rm_1", RoomEventKind::kParticipantLeft);
  auto left = a1->next_event();
  ASSERT_TRUE(left);
  EXPECT_EQ((*left)["target"], "ParticipantLeft");
  EXPECT_EQ((*left)["arguments"][0]["sequence"], 2);
  EXPECT_TRUE(eventually([&] { return counter("roomplane_hub_events_delivered_total") == 5.0; }));
  EXPECT_EQ(counter("roomplane_hub_events_published_total", {{"target", "ParticipantJoined"}}),
            1.0);
}

TEST_F(HubTest, EventsPublishedTogetherReachAClientInOrderInOneWrite) {
  start();
  auto client = connect(kTokenA);
  std::vector<RoomNotification> batch;
  for (const std::string identity : {"p1", "p2", "p3"}) {
    RoomNotification n;
    n.kind = RoomEventKind::kParticipantJoined;
    n.tenant = core::TenantId("tn_a");
    n.room_id = core::RoomId("rm_1");
    n.payload = {{"participant_sid", "PA" + identity}, {"identity", identity}};
    batch.push_back(std::move(n));
  }
  hub_->publish_all(std::move(batch));

  // One WebSocket message holding the three records: the hub hands the connection the whole
  // batch at once, so it cannot write the first before the others are queued.
  const auto message = client->ws().read();
  ASSERT_TRUE(message);
  std::vector<json> records;
  for (std::size_t start = 0, end; (end = message->find('\x1e', start)) != std::string::npos;
       start = end + 1) {
    records.push_back(json::parse(message->substr(start, end - start)));
  }
  ASSERT_EQ(records.size(), 3u) << *message;
  for (std::size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i]["target"], "ParticipantJoined");
    EXPECT_EQ(records[i]["arguments"][0]["identity"], "p" + std::to_string(i + 1));
    EXPECT_EQ(records[i]["arguments"][0]["sequence"], i + 1);
  }
  EXPECT_TRUE(eventually([&] { return counter("roomplane_hub_events_delivered_total") == 3.0; }));
  EXPECT_EQ(counter("roomplane_hub_events_published_total", {{"target", "ParticipantJoined"}}),
            3.0);
}

TEST_F(HubTest, SubscribeNarrowsAndUnsubscribeWidens) {
  start();
  auto client = connect(kTokenA);
  ASSERT_EQ(client->invoke("Subscribe", {"rm_2"})["result"]["subscribed"], true);

  publish("tn_a", "rm_1", RoomEventKind::kRoomUpdated);
  publish("tn_a", "rm_2", RoomEventKind::kRecordingUpdated);
  auto first = client->next_event();
  ASSERT_TRUE(first);
  EXPECT_EQ((*first)["arguments"][0]["roomId"], "rm_2");  // rm_1's event was filtered out

  auto resubscribe = client->invoke("Subscribe", {"rm_1"});
  EXPECT_EQ(resubscribe["result"]["sequence"], 1);  // the last rm_1 event, which was not sent
  ASSERT_EQ(client->invoke("Unsubscribe", {"rm_1"})["result"]["subscribed"], false);
  ASSERT_EQ(client->invoke("Unsubscribe", {"rm_2"})["result"]["subscribed"], false);
  publish("tn_a", "rm_3", RoomEventKind::kCompositionUpdated);
  auto widened = client->next_event();
  ASSERT_TRUE(widened);
  EXPECT_EQ((*widened)["arguments"][0]["roomId"], "rm_3");
  EXPECT_EQ((*widened)["target"], "CompositionUpdated");
}

TEST_F(HubTest, GetLiveRoomsReturnsTheSnapshotWithSequences) {
  start();
  {
    std::lock_guard lock(snapshot_mutex_);
    snapshots_["tn_a"] = json::array(
        {{{"id", "rm_1"}, {"status", "in-progress"}, {"participants", {{{"connected_at", 1}}}}},
         {{"id", "rm_9"}, {"status", "in-progress"}}});
    snapshots_["tn_b"] = json::array({{{"id", "rm_b"}}});
  }
  auto client = connect(kTokenA);
  publish("tn_a", "rm_1", RoomEventKind::kParticipantJoined);
  ASSERT_TRUE(client->next_event());  // the event is through, so its sequence is counted

  auto rooms = client->invoke("GetLiveRooms", json::array());
  ASSERT_TRUE(rooms.contains("result")) << rooms.dump();
  EXPECT_EQ(rooms["result"], json::parse(R"([{"id":"rm_1","status":"in-progress","sequence":1,
                                              "participants":[{"connectedAt":1}]},
                            {"id":"rm_9","status":"in-progress","sequence":0}])"));

  {
    std::lock_guard lock(snapshot_mutex_);
    snapshot_error_ = true;
  }
  auto failed = client->invoke("getLiveRooms", json::array());
  EXPECT_NE(failed.value("error", "").find("database unavailable"), std::string::npos);
}

// A tenant with many live rooms has a snapshot larger than the send queue that bounds events.
// The snapshot is a reply the client asked for: it must arrive, not close the connection as a
// slow consumer (the dashboard would reconnect, ask again, and never load).
TEST_F(HubTest, GetLiveRoomsLargerThanTheEventQueueIsDelivered) {
  auto options = fast_options();
  options.max_send_queue_bytes = 64 * 1024;
  start(options);
  constexpr int kRooms = 300;  // about 600 KB of snapshot: nine times the event queue
  {
    std::lock_guard lock(snapshot_mutex_);
    auto rooms = json::array();
    for (int i = 0; i < kRooms; ++i) {
      rooms.push_back({{"id", "rm_" + std::to_string(i)},
                       {"status", "in-progress"},
                       {"name", std::string(2000, 'n')}});
    }
    snapshots_["tn_a"] = std::move(rooms);
  }
  auto client = connect(kTokenA);
  auto rooms = client->invoke("GetLiveRooms", json::array());
  ASSERT_TRUE(rooms.contains("result")) << rooms.dump().substr(0, 300);
  EXPECT_EQ(rooms["result"].size(), static_cast<std::size_t>(kRooms));
  EXPECT_EQ(counter("roomplane_hub_slow_consumer_closes_total"), 0.0);
  // The connection is still open and still gets events.
  publish("tn_a", "rm_1", RoomEventKind::kRoomUpdated, {{"small", true}});
  auto event = client->next_event();
  ASSERT_TRUE(event);
  EXPECT_EQ((*event)["arguments"][0]["small"], true);
}

// Negotiations not yet followed by a connection are bounded per tenant as well as in all, so
// one tenant that floods negotiate cannot lock the others out of the hub.
TEST_F(HubTest, OneTenantCannotTakeEveryPendingNegotiation) {
  auto options = fast_options();
  options.max_pending_negotiations = 5;
  options.max_pending_negotiations_per_tenant = 3;
  start(options);
  std::vector<std::string> tokens;
  for (int i = 0; i < 3; ++i) {
    auto [status, body] = negotiate(kTokenA);
    ASSERT_EQ(status, 200u);
    tokens.push_back(body.value("connectionToken", ""));
  }
  auto [busy_status, busy] = negotiate(kTokenA);
  EXPECT_EQ(busy_status, 503u);
  EXPECT_EQ(busy["error"]["code"], "hub_busy");
  EXPECT_NE(busy["error"]["message"].get<std::string>().find("expire after 10 s"),
            std::string::npos);
  // Another tenant still gets in.
  EXPECT_EQ(negotiate(kTokenB).first, 200u);
  // Connecting with a token frees that tenant's slot.
  HubClient attached(server_->port(), "/hubs/rooms?id=" + tokens[0], bearer(kTokenA));
  ASSERT_TRUE(attached.handshake());
  EXPECT_EQ(negotiate(kTokenA).first, 200u);
  EXPECT_EQ(negotiate(kTokenA).first, 503u);
}

// Subscribe looks the room up: a room the tenant does not have (none at all, or another
// tenant's) is refused with an error and changes nothing, instead of narrowing the connection
// to a room that will never send anything.
TEST_F(HubTest, SubscribeRefusesARoomTheTenantDoesNotHave) {
  start();
  {
    std::lock_guard lock(snapshot_mutex_);
    missing_rooms_ = {"tn_a/rm_nowhere", "tn_a/rm_b"};  // rm_b is tenant B's
  }
  auto client = connect(kTokenA);
  for (const std::string room : {"rm_nowhere", "rm_b"}) {
    auto refused = client->invoke("Subscribe", {room});
    EXPECT_FALSE(refused.contains("result")) << refused.dump();
    EXPECT_NE(refused.value("error", "").find("this tenant has no room '" + room + "'"),
              std::string::npos)
        << refused.dump();
  }
  // Nothing was narrowed: the connection still gets every room's events.
  publish("tn_a", "rm_1", RoomEventKind::kRoomUpdated);
  auto event = client->next_event();
  ASSERT_TRUE(event);
  EXPECT_EQ((*event)["arguments"][0]["roomId"], "rm_1");

  {
    std::lock_guard lock(snapshot_mutex_);
    snapshot_error_ = true;
  }
  auto failed = client->invoke("Subscribe", {"rm_2"});
  EXPECT_NE(failed.value("error", "").find("database unavailable"), std::string::npos);
}

// Subscribe and Unsubscribe run on the pool, but in the order the client sent them: a
// Subscribe immediately undone ends unsubscribed, and the completions come in order.
TEST_F(HubTest, SubscribeAndUnsubscribeTakeEffectInTheOrderSent) {
  start();
  auto client = connect(kTokenA);
  for (int i = 0; i < 20; ++i) {
    client->send({{"type", 1},
                  {"invocationId", "s" + std::to_string(i)},
                  {"target", "Subscribe"},
                  {"arguments", {"rm_1"}}});
    client->send({{"type", 1},
                  {"invocationId", "u" + std::to_string(i)},
                  {"target", "Unsubscribe"},
                  {"arguments", {"rm_1"}}});
  }
  for (int i = 0; i < 20; ++i) {
    for (const char* kind : {"s", "u"}) {
      auto completion = client->next();
      ASSERT_TRUE(completion);
      EXPECT_EQ((*completion)["invocationId"], kind + std::to_string(i));
    }
  }
  // Unsubscribed from everything: rm_2's events arrive.
  publish("tn_a", "rm_2", RoomEventKind::kRoomUpdated);
  auto event = client->next_event();
  ASSERT_TRUE(event);
  EXPECT_EQ((*event)["arguments"][0]["roomId"], "rm_2");
}

TEST_F(HubTest, ServerPingsAnIdleConnection) {
  auto options = fast_options();
  options.keep_alive_interval = 100ms;
  start(options);
  auto client = connect(kTokenA);
  EXPECT_EQ(client->next_record(2s), R"({"type":6})");
  EXPECT_EQ(client->next_record(2s), R"({"type":6})");
}

TEST_F(HubTest, SilentClientIsClosedAfterTheClientTimeoutOnceItPinged) {
  auto options = fast_options();
  options.keep_alive_interval = 50ms;
  options.client_timeout = 300ms;
  start(options);
  auto client = connect(kTokenA);
  client->send({{"type", 6}});
  auto close = client->next(3s);
  ASSERT_TRUE(close);
  EXPECT_EQ((*close)["type"], 7);
  EXPECT_EQ((*close)["allowReconnect"], true);
  EXPECT_FALSE((*close)["error"].get<std::string>().empty());
  EXPECT_EQ(client->next(3s), std::nullopt);
  EXPECT_TRUE(client->ws().closed_by_server());
  EXPECT_EQ(client->ws().close_reason().code, 1000);
  EXPECT_EQ(counter("roomplane_hub_client_timeouts_total"), 1.0);
}

TEST_F(HubTest, ClientThatNeverPingsIsNotTimedOut) {
  auto options = fast_options();
  options.keep_alive_interval = 50ms;
  options.client_timeout = 150ms;
  start(options);
  auto client = connect(kTokenA);
  // Several timeouts' worth of server pings arrive and the connection stays open.
  for (int i = 0; i < 8; ++i)
    ASSERT_EQ(client->next_record(2s), R"({"type":6})");
  EXPECT_EQ(counter("roomplane_hub_client_timeouts_total"), 0.0);
}

TEST_F(HubTest, MissingHandshakeIsCanceled) {
  auto options = fast_options();
  options.handshake_timeout = 150ms;
  start(options);
  HubClient client(server_->port(), "/hubs/rooms", bearer(kTokenA));
  ASSERT_TRUE(client.ws().open());
  EXPECT_EQ(client.next_record(3s), R"({"error":"Handshake was canceled."})");
  EXPECT_EQ(client.next_record(3s), std::nullopt);
  EXPECT_TRUE(eventually([&] { return hub_->connection_count() == 0; }));
}

TEST_F(HubTest, MalformedRecordClosesWithAnError) {
  start();
  auto client = connect(kTokenA);
  ASSERT_FALSE(client->ws().write("[1,2]\x1e"));
  auto close = client->next();
  ASSERT_TRUE(close);
  EXPECT_EQ(*close, json::parse(R"({"type":7,"error":"Connection closed with an error.",
                                   "allowReconnect":true})"));
  EXPECT_EQ(client->next(), std::nullopt);
}

TEST_F(HubTest, OversizedRecordClosesWithAnError) {
  auto options = fast_options();
  options.max_message_bytes = 1024;
  start(options);
  auto client = connect(kTokenA);
  // Over the hub's record limit: SignalR's Close message.
  client->send({{"type", 1}, {"target", "Subscribe"}, {"arguments", {std::string(1500, 'r')}}});
  auto close = client->next();
  ASSERT_TRUE(close);
  EXPECT_EQ((*close)["type"], 7);
  EXPECT_EQ((*close)["error"], "Connection closed with an error.");

  // Far over it (beyond twice the limit): the WebSocket layer refuses the frame with 1009.
  auto huge = connect(kTokenA);
  ASSERT_FALSE(huge->ws().write(std::string(4096, 'x')));
  EXPECT_EQ(huge->next(), std::nullopt);
  EXPECT_EQ(huge->ws().close_reason().code, 1009);
}

TEST_F(HubTest, ClientCloseMessageEndsTheConnection) {
  start();
  auto client = connect(kTokenA);
  EXPECT_TRUE(eventually([&] { return hub_->connection_count() == 1; }));
  client->send({{"type", 7}});
  EXPECT_EQ(client->next(), std::nullopt);
  EXPECT_TRUE(client->ws().closed_by_server());
  EXPECT_TRUE(eventually([&] { return hub_->connection_count() == 0; }));
}

TEST_F(HubTest, SlowConsumerIsClosedAndPublishingGoesOn) {
  auto options = fast_options();
  options.max_send_queue_bytes = 64 * 1024;
  start(options);
  // The slow client has a tiny receive buffer and does not read; the fast one keeps reading.
  auto slow = connect(kTokenA, /*receive_buffer_bytes=*/4096);
  const json payload = {{"blob", std::string(16 * 1024, 'x')}};
  // Kernel buffers absorb a few MiB before the hub's queue fills; bounded so a bug fails.
  for (int i = 0; i < 20000 && counter("roomplane_hub_slow_consumer_closes_total") == 0; ++i) {
    publish("tn_a", "rm_1", RoomEventKind::kRoomUpdated, payload);
    if (i % 64 == 63)
      eventually([&] { return counter("roomplane_hub_slow_consumer_closes_total") > 0; }, 20ms);
  }
  ASSERT_EQ(counter("roomplane_hub_slow_consumer_closes_total"), 1.0);
  // The close deadline cuts the connection that never reads its close frame.
  EXPECT_TRUE(eventually([&] { return hub_->connection_count() == 0; }));
  EXPECT_GT(counter("roomplane_hub_events_dropped_total", {{"reason", "slow_consumer"}}), 0.0);

  // The tenant's other connections are unaffected. Wait until the hub has dispatched what the
  // loop queued first: a backlog of 16 KiB events would overflow a new client too.
  EXPECT_TRUE(eventually([&] {
    return static_cast<double>(
               metrics_.histogram("roomplane_hub_dispatch_latency_seconds", "").count()) ==
           counter("roomplane_hub_events_published_total", {{"target", "RoomUpdated"}});
  }));
  auto fresh = connect(kTokenA);
  publish("tn_a", "rm_1", RoomEventKind::kRoomUpdated, {{"small", true}});
  auto event = fresh->next_event();
  ASSERT_TRUE(event);
  EXPECT_EQ((*event)["arguments"][0]["small"], true);
}

TEST_F(HubTest, ShutdownSendsCloseWithAllowReconnect) {
  start();
  auto client = connect(kTokenA);
  EXPECT_TRUE(eventually([&] { return hub_->connection_count() == 1; }));
  std::thread reader([&] {
    auto close = client->next();
    ASSERT_TRUE(close);
    EXPECT_EQ(*close, json::parse(R"({"type":7,"allowReconnect":true})"));
    EXPECT_EQ(client->next(), std::nullopt);
    EXPECT_EQ(client->ws().close_reason().code, 1000);
  });
  server_->shutdown();
  reader.join();
  EXPECT_EQ(hub_->connection_count(), 0u);
}

TEST_F(HubTest, PublishAfterStopIsDropped) {
  start();
  hub_->stop();
  publish("tn_a", "rm_1", RoomEventKind::kRoomUpdated);  // must not block or crash
  EXPECT_EQ(counter("roomplane_hub_events_published_total", {{"target", "RoomUpdated"}}), 1.0);
}

}  // namespace
}  // namespace roomplane::realtime
