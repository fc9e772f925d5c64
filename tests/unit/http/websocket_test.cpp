// WebSocket upgrades on the real server over loopback: accept and refuse, echo, limits, the
// bounded send queue, close handshakes with deadlines, and shutdown.

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "http/server.h"
#include "observability/metrics.h"
#include "unit/http/test_client.h"
#include "unit/http/ws_test_client.h"

namespace roomplane::http::testing {
namespace {

namespace websocket = boost::beast::websocket;
using namespace std::chrono_literals;

// Records what the server calls; echoes text, and obeys a few commands.
class EchoSession final : public WebSocketSession {
 public:
  void on_open(std::shared_ptr<WebSocket> opened_socket) override {
    std::lock_guard lock(mutex);
    socket = std::move(opened_socket);
    opened = true;
  }
  void on_message(std::string_view text) override {
    std::shared_ptr<WebSocket> s;
    {
      std::lock_guard lock(mutex);
      s = socket;
      ++messages;
    }
    if (text == "close-me") {
      s->close(CloseCode::kNormal, "bye", std::make_shared<const std::string>("goodbye"));
    } else if (text == "burst") {
      const std::vector<std::shared_ptr<const std::string>> burst{
          std::make_shared<const std::string>("one;"), std::make_shared<const std::string>("two;"),
          std::make_shared<const std::string>("three;")};
      burst_result = s->send_all(burst);
    } else if (text == "throw") {
      throw std::runtime_error("session bug");
    } else {
      s->send(std::make_shared<const std::string>(text));
    }
  }
  void on_close() override { closed = true; }

  std::mutex mutex;
  std::shared_ptr<WebSocket> socket;
  std::atomic<bool> opened{false};
  std::atomic<bool> closed{false};
  std::atomic<int> messages{0};
  std::atomic<WebSocket::SendResult> burst_result{WebSocket::SendResult::kClosed};
};

// Fills its queue past the limit before the first write can start (on_open runs on the strand
// that would write), so the overflow is deterministic.
class FloodSession final : public WebSocketSession {
 public:
  void on_open(std::shared_ptr<WebSocket> socket) override {
    const auto chunk = std::make_shared<const std::string>(16 * 1024, 'x');
    for (int i = 0; i < 100; ++i) {
      const auto result = socket->send(chunk);
      if (result == WebSocket::SendResult::kQueueFull) {
        overflowed_after = i;
        break;
      }
    }
    after_overflow = socket->send(chunk);
  }
  void on_message(std::string_view) override {}
  void on_close() override { closed = true; }

  std::atomic<int> overflowed_after{-1};
  std::atomic<WebSocket::SendResult> after_overflow{WebSocket::SendResult::kQueued};
  std::atomic<bool> closed{false};
};

// Queues a large reply first, then 16 KiB events until the event bound refuses one, all before
// the first write can start (as FloodSession). A second reply of `second_reply_bytes` follows
// when set, to find the reply bound.
class ReplySession final : public WebSocketSession {
 public:
  explicit ReplySession(std::size_t second_reply_bytes) : second_reply_bytes_(second_reply_bytes) {}
  void on_open(std::shared_ptr<WebSocket> socket) override {
    first_reply = socket->send_reply(std::make_shared<const std::string>(200 * 1024, 'r'));
    if (second_reply_bytes_ > 0) {
      second_reply =
          socket->send_reply(std::make_shared<const std::string>(second_reply_bytes_, 's'));
      return;
    }
    const auto chunk = std::make_shared<const std::string>(16 * 1024, 'x');
    for (int i = 0; i < 100; ++i) {
      if (socket->send(chunk) == WebSocket::SendResult::kQueueFull) {
        events_admitted = i;
        break;
      }
    }
  }
  void on_message(std::string_view) override {}
  void on_close() override {}

  std::atomic<WebSocket::SendResult> first_reply{WebSocket::SendResult::kClosed};
  std::atomic<WebSocket::SendResult> second_reply{WebSocket::SendResult::kClosed};
  std::atomic<int> events_admitted{-1};

 private:
  const std::size_t second_reply_bytes_;
};

class WebSocketTest : public ::testing::Test {
 protected:
  WebSocketTest() {
    router_.add_websocket("/ws/echo", [this](Request request, WebSocketResponder respond) {
      last_path_param_ = request.path;
      if (request.query_param("deny")) {
        respond(Response::error(401, "unauthenticated", "go away"));
        return;
      }
      echo_ = std::make_shared<EchoSession>();
      WebSocketOptions options;
      options.max_message_bytes = 1024;
      options.close_timeout = 300ms;
      respond(WebSocketAccept{echo_, options, "tn_test"});
    });
    router_.add_websocket("/ws/flood", [this](Request, WebSocketResponder respond) {
      flood_ = std::make_shared<FloodSession>();
      WebSocketOptions options;
      options.max_queue_bytes = 64 * 1024;
      options.overflow_message = std::make_shared<const std::string>("too slow");
      respond(WebSocketAccept{flood_, options, ""});
    });
    router_.add_websocket("/ws/reply", [this](Request request, WebSocketResponder respond) {
      const auto second = request.query_param("second");
      auto session = std::make_shared<ReplySession>(second ? std::stoul(std::string(*second)) : 0);
      {
        std::lock_guard lock(reply_mutex_);
        reply_ = session;
      }
      WebSocketOptions options;
      options.max_queue_bytes = 64 * 1024;
      options.max_reply_queue_bytes = 512 * 1024;
      respond(WebSocketAccept{session, options, ""});
    });
    router_.add_websocket("/ws/dropped", [](Request, WebSocketResponder) {});
    router_.add("GET", "/plain", inline_handler([](const Request&) {
                  return Response::json(200, {{"plain", true}});
                }));
  }

  void TearDown() override {
    if (server_)
      server_->shutdown();
  }

  void start(std::chrono::milliseconds drain = 3s) {
    ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.threads = 2;
    options.drain_timeout = drain;
    server_ = std::make_unique<Server>(options, router_, metrics_, observability::Logger{});
    ASSERT_TRUE(server_->start().ok());
  }

  double websockets_active() {
    return metrics_.gauge("roomplane_websocket_connections_active", "").value();
  }
  double requests_total(const std::string& route, unsigned status) {
    return metrics_
        .counter("roomplane_http_requests_total", "",
                 {{"method", "GET"}, {"route", route}, {"status", std::to_string(status)}})
        .value();
  }

  Router router_;
  observability::MetricsRegistry metrics_;
  std::shared_ptr<EchoSession> echo_;
  std::shared_ptr<FloodSession> flood_;
  std::mutex reply_mutex_;
  std::shared_ptr<ReplySession> reply_;  // the latest /ws/reply session
  std::shared_ptr<ReplySession> latest_reply() {
    std::lock_guard lock(reply_mutex_);
    return reply_;
  }
  std::string last_path_param_;
  std::unique_ptr<Server> server_;
};

TEST_F(WebSocketTest, EchoesTextAndCountsTheConnection) {
  start();
  WsTestClient client(server_->port(), "/ws/echo?x=1");
  ASSERT_TRUE(client.open()) << client.error().message();
  EXPECT_EQ(client.handshake_status(), 101u);
  EXPECT_FALSE(client.handshake_response()["X-Request-Id"].empty());
  EXPECT_EQ(last_path_param_, "/ws/echo");

  ASSERT_FALSE(client.write("hello"));
  EXPECT_EQ(client.read(), "hello");
  ASSERT_FALSE(client.write("again"));
  EXPECT_EQ(client.read(), "again");
  EXPECT_TRUE(echo_->opened);
  EXPECT_EQ(websockets_active(), 1.0);
  EXPECT_TRUE(eventually([&] { return requests_total("/ws/echo", 101) == 1.0; }));

  ASSERT_FALSE(client.close());
  EXPECT_TRUE(eventually([&] { return echo_->closed.load(); }));
  EXPECT_TRUE(eventually([&] { return websockets_active() == 0.0; }));
  // After the close the application's handle is inert.
  EXPECT_EQ(echo_->socket->send(std::make_shared<const std::string>("late")),
            WebSocket::SendResult::kClosed);
}

TEST_F(WebSocketTest, SendAllQueuesInOrderAndLeavesAsOneMessage) {
  start();
  WsTestClient client(server_->port(), "/ws/echo");
  ASSERT_TRUE(client.open()) << client.error().message();
  ASSERT_FALSE(client.write("burst"));
  EXPECT_EQ(client.read(), "one;two;three;");
  EXPECT_EQ(echo_->burst_result.load(), WebSocket::SendResult::kQueued);
  ASSERT_FALSE(client.close());
  EXPECT_TRUE(eventually([&] { return echo_->closed.load(); }));
  const std::vector<std::shared_ptr<const std::string>> late{
      std::make_shared<const std::string>("late")};
  EXPECT_EQ(echo_->socket->send_all(late), WebSocket::SendResult::kClosed);
}

TEST_F(WebSocketTest, HandlerRefusesWithAnHttpResponse) {
  start();
  WsTestClient client(server_->port(), "/ws/echo?deny=1");
  EXPECT_FALSE(client.open());
  EXPECT_EQ(client.handshake_status(), 401u);
  EXPECT_EQ(websockets_active(), 0.0);
}

TEST_F(WebSocketTest, DroppedResponderAnswers500) {
  start();
  WsTestClient client(server_->port(), "/ws/dropped");
  EXPECT_FALSE(client.open());
  EXPECT_EQ(client.handshake_status(), 500u);
}

TEST_F(WebSocketTest, UnknownPathIs404AndPlainRoutesStillWork) {
  start();
  WsTestClient client(server_->port(), "/ws/nowhere");
  EXPECT_FALSE(client.open());
  EXPECT_EQ(client.handshake_status(), 404u);

  TestClient http(server_->port());
  EXPECT_EQ(http.get("/plain").result_int(), 200u);
}

TEST_F(WebSocketTest, WebSocketPathWithoutUpgradeIs400Or405) {
  start();
  TestClient http(server_->port());
  const auto get = http.get("/ws/echo");
  EXPECT_EQ(get.result_int(), 400u);
  EXPECT_NE(get.body().find("websocket_upgrade_required"), std::string::npos);
  const auto post = http.request(bhttp::verb::post, "/ws/echo", "{}");
  EXPECT_EQ(post.result_int(), 405u);
  EXPECT_EQ(header_of(post, "Allow"), "GET");
}

TEST_F(WebSocketTest, ServerCloseSendsFinalMessageThenCloseFrame) {
  start();
  WsTestClient client(server_->port(), "/ws/echo");
  ASSERT_TRUE(client.open());
  ASSERT_FALSE(client.write("close-me"));
  EXPECT_EQ(client.read(), "goodbye");
  EXPECT_EQ(client.read(), std::nullopt);
  EXPECT_TRUE(client.closed_by_server());
  EXPECT_EQ(client.close_reason().code, 1000);
  EXPECT_EQ(std::string(client.close_reason().reason.data(), client.close_reason().reason.size()),
            "bye");
  EXPECT_TRUE(eventually([&] { return echo_->closed.load(); }));
}

TEST_F(WebSocketTest, PeerThatNeverAnswersTheCloseIsCutAfterTheCloseTimeout) {
  start();
  WsTestClient client(server_->port(), "/ws/echo");
  ASSERT_TRUE(client.open());
  ASSERT_FALSE(client.write("close-me"));
  // The client reads nothing, so it never answers the close frame; close_timeout is 300 ms.
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(eventually([&] { return echo_->closed.load(); }, 3s));
  EXPECT_GE(std::chrono::steady_clock::now() - started, 250ms);
  EXPECT_EQ(websockets_active(), 0.0);
}

TEST_F(WebSocketTest, BinaryMessageClosesWith1003) {
  start();
  WsTestClient client(server_->port(), "/ws/echo");
  ASSERT_TRUE(client.open());
  ASSERT_FALSE(client.write("\x01\x02", /*binary=*/true));
  EXPECT_EQ(client.read(), std::nullopt);
  EXPECT_TRUE(client.closed_by_server());
  EXPECT_EQ(client.close_reason().code, 1003);
  EXPECT_EQ(echo_->messages.load(), 0);
}

TEST_F(WebSocketTest, OversizedMessageClosesWith1009) {
  start();
  WsTestClient client(server_->port(), "/ws/echo");
  ASSERT_TRUE(client.open());
  ASSERT_FALSE(client.write(std::string(2048, 'a')));
  EXPECT_EQ(client.read(), std::nullopt);
  EXPECT_EQ(client.close_reason().code, 1009);
  EXPECT_TRUE(eventually([&] { return echo_->closed.load(); }));
}

TEST_F(WebSocketTest, SessionExceptionClosesWith1011) {
  start();
  WsTestClient client(server_->port(), "/ws/echo");
  ASSERT_TRUE(client.open());
  ASSERT_FALSE(client.write("throw"));
  EXPECT_EQ(client.read(), std::nullopt);
  EXPECT_EQ(client.close_reason().code, 1011);
}

TEST_F(WebSocketTest, SendQueueOverflowDropsQueueAndClosesWithReason) {
  start();
  WsTestClient client(server_->port(), "/ws/flood");
  ASSERT_TRUE(client.open());
  // 64 KiB limit, 16 KiB messages: the fifth does not fit.
  EXPECT_TRUE(eventually([&] { return flood_->overflowed_after.load() == 4; }));
  EXPECT_EQ(flood_->after_overflow.load(), WebSocket::SendResult::kClosed);
  // The queued chunks were dropped; only the overflow message and the close frame arrive.
  EXPECT_EQ(client.read(), "too slow");
  EXPECT_EQ(client.read(), std::nullopt);
  EXPECT_EQ(client.close_reason().code, 1008);
  EXPECT_EQ(std::string(client.close_reason().reason.data(), client.close_reason().reason.size()),
            "send queue full");
  EXPECT_TRUE(eventually([&] { return flood_->closed.load(); }));
}

// A reply (send_reply) may exceed the event bound, and does not count against it: the events
// after it get the same 64 KiB as on an empty queue. The reply bound still holds.
TEST_F(WebSocketTest, RepliesHaveTheirOwnBoundAndLeaveTheEventBoundWhole) {
  start();
  {
    WsTestClient client(server_->port(), "/ws/reply");
    ASSERT_TRUE(client.open());
    EXPECT_TRUE(eventually([&] {
      const auto reply = latest_reply();
      return reply && reply->events_admitted.load() == 4;
    }));
    EXPECT_EQ(latest_reply()->first_reply.load(), WebSocket::SendResult::kQueued);
  }
  {
    // 200 KiB queued + 300 KiB fits in 512 KiB.
    WsTestClient client(server_->port(), "/ws/reply?second=307200");
    ASSERT_TRUE(client.open());
    EXPECT_TRUE(eventually(
        [&] { return latest_reply()->second_reply.load() == WebSocket::SendResult::kQueued; }));
    const auto first = client.read();
    ASSERT_TRUE(first);
    EXPECT_EQ(first->size(), 200u * 1024 + 300u * 1024);  // both, in one message
  }
  {
    // 200 KiB queued + 400 KiB does not: the connection is closed as for any overflow.
    WsTestClient client(server_->port(), "/ws/reply?second=409600");
    ASSERT_TRUE(client.open());
    EXPECT_TRUE(eventually(
        [&] { return latest_reply()->second_reply.load() == WebSocket::SendResult::kQueueFull; }));
    EXPECT_EQ(client.read(), std::nullopt);
    EXPECT_EQ(client.close_reason().code, 1008);
  }
}

TEST_F(WebSocketTest, ShutdownClosesWebSocketsWithGoingAway) {
  start(/*drain=*/5s);
  WsTestClient client(server_->port(), "/ws/echo");
  ASSERT_TRUE(client.open());
  ASSERT_FALSE(client.write("ping"));
  ASSERT_EQ(client.read(), "ping");

  // The client answers the close frame while reading, so shutdown finishes well before the
  // drain timeout.
  std::thread reader([&] {
    EXPECT_EQ(client.read(), std::nullopt);
    EXPECT_EQ(client.close_reason().code, 1001);
  });
  const auto started = std::chrono::steady_clock::now();
  server_->shutdown();
  reader.join();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 4s);
  EXPECT_TRUE(echo_->closed);
  EXPECT_EQ(websockets_active(), 0.0);
}

}  // namespace
}  // namespace roomplane::http::testing
