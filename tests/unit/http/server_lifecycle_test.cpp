// Start, shutdown and the access log, over real loopback TCP.

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "observability/log.h"
#include "unit/http/server_harness.h"

namespace roomplane::http::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

TEST_F(ServerTest, GracefulShutdownFinishesInFlightRequestsWithConnectionClose) {
  start();
  auto idle = connect();
  ASSERT_EQ(idle->get("/healthz").result_int(), 200u);  // now an idle keep-alive connection

  HttpResponse slow_response;
  bool slow_closed = false;
  std::thread slow_client([&, port = server_->port()] {
    TestClient client(port);
    slow_response = client.get("/v1/slow");
    slow_closed = client.wait_for_close();
  });
  ASSERT_TRUE(slow_started_.wait_for(seconds(5)));

  const auto begin = steady_clock::now();
  server_->shutdown();
  const auto took = steady_clock::now() - begin;
  slow_client.join();

  EXPECT_EQ(slow_response.result_int(), 200u);
  EXPECT_EQ(header_of(slow_response, "Connection"), "close");
  EXPECT_TRUE(slow_closed);
  EXPECT_TRUE(idle->wait_for_close(milliseconds(1000)));
  EXPECT_LT(took, seconds(3));  // well under the drain timeout: it returned when the work ended
  EXPECT_EQ(metrics_.gauge("roomplane_http_connections_active", "").value(), 0.0);

  TestClient late(server_->port());
  EXPECT_TRUE(late.connect_error());  // no longer accepting
}

TEST_F(ServerTest, DrainTimeoutForceClosesAndLateResponderIsHarmless) {
  auto options = test_options();
  options.drain_timeout = milliseconds(200);
  start(options);

  unsigned held_status = 999;
  std::thread held_client([&, port = server_->port()] {
    TestClient client(port);
    held_status = client.get("/v1/hold").result_int();
  });
  ASSERT_TRUE(hold_started_.wait_for(seconds(5)));

  const auto begin = steady_clock::now();
  server_->shutdown();
  EXPECT_LT(steady_clock::now() - begin, seconds(3));
  held_client.join();
  EXPECT_EQ(held_status, 0u);  // force-closed before the handler answered

  // Destroy the server while the handler still holds its Responder, then let it answer.
  server_.reset();
  hold_release_.notify();
  pool_.stop();  // waits for the handler, whose answer must go nowhere (ASan checks "nowhere")
}

TEST_F(ServerTest, BindTellsThePortBeforeServingAndStartServesOnIt) {
  server_ = std::make_unique<Server>(test_options(), router_, metrics_, observability::Logger{});
  ASSERT_TRUE(server_->bind().ok());
  const auto port = server_->port();
  ASSERT_NE(port, 0);
  ASSERT_TRUE(server_->bind().ok());  // idempotent until start()
  EXPECT_EQ(server_->port(), port);
  // Routes added between bind() and start() are served (the composition root does this).
  router_.add("GET", "/late", inline_handler([](const Request&) {
                return Response::json(200, {{"late", true}});
              }));
  ASSERT_TRUE(server_->start().ok());
  EXPECT_EQ(server_->port(), port);
  TestClient client(port);
  EXPECT_EQ(client.get("/late").result_int(), 200u);
  EXPECT_FALSE(server_->start().ok());  // once only
}

TEST_F(ServerTest, ShutdownAfterBindWithoutStartReleasesThePort) {
  {
    Server bound(test_options(), router_, metrics_, {});
    ASSERT_TRUE(bound.bind().ok());
    const auto port = bound.port();
    bound.shutdown();
    TestClient client(port);
    EXPECT_TRUE(client.connect_error());
  }
}

TEST_F(ServerTest, ShutdownIsIdempotentAndSafeBeforeStart) {
  {
    Server never_started(test_options(), router_, metrics_, {});
    never_started.shutdown();
    never_started.shutdown();
  }
  start();
  EXPECT_EQ(connect()->get("/healthz").result_int(), 200u);
  server_->shutdown();
  server_->shutdown();
  EXPECT_FALSE(server_->start().ok());  // a stopped server does not restart
}

TEST_F(ServerTest, StartFailsWithListenFailedOnAnOccupiedPort) {
  start();
  auto options = test_options();
  options.port = server_->port();
  Server second(options, router_, metrics_, {});
  const auto status = second.start();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, "listen_failed");
  EXPECT_NE(status.error().message.find("127.0.0.1:" + std::to_string(server_->port())),
            std::string::npos)
      << status.error().message;
  EXPECT_EQ(connect()->get("/healthz").result_int(), 200u);  // the first one is unaffected
}

TEST_F(ServerTest, StartFailsOnAnInvalidHost) {
  auto options = test_options();
  options.host = "not an address";
  Server server(options, router_, metrics_, {});
  const auto status = server.start();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, "listen_failed");
  EXPECT_NE(status.error().message.find("not an address"), std::string::npos);
}

TEST_F(ServerTest, StartTwiceFails) {
  start();
  EXPECT_FALSE(server_->start().ok());
  EXPECT_EQ(connect()->get("/healthz").result_int(), 200u);
}

std::vector<nlohmann::json> read_request_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(in, line);) {
    auto json = nlohmann::json::parse(line, nullptr, false);
    if (json.is_object() && json.value("event", "") == "http_request")
      lines.push_back(json);
  }
  return lines;
}

TEST_F(ServerTest, WritesOneAccessLogLinePerRequestWithoutSecrets) {
  // Unique per process: test runners may run several copies of this binary at once.
  const std::string path =
      ::testing::TempDir() + "/roomplane_http_access_log_" + std::to_string(::getpid()) + ".jsonl";
  std::remove(path.c_str());
  std::string room_id, tenant_id, boom_id;
  {
    observability::Logging logging(observability::LogLevel::kInfo, path);
    start(test_options(), logging.logger("http"));
    auto client = connect();
    room_id = header_of(
        client->get("/v1/rooms/r1?token=supersecret", {{"Authorization", "Bearer topsecret"}}),
        "X-Request-Id");
    tenant_id = header_of(client->get("/v1/tenant"), "X-Request-Id");
    boom_id = header_of(client->get("/v1/boom"), "X-Request-Id");
    client.reset();
    server_->shutdown();
    logging.flush();
  }

  const auto lines = read_request_lines(path);
  ASSERT_EQ(lines.size(), 3u);
  const auto& room = lines[0];
  EXPECT_EQ(room["request_id"], room_id);
  EXPECT_EQ(room["method"], "GET");
  EXPECT_EQ(room["route"], "/v1/rooms/{id}");
  EXPECT_EQ(room["status"], 200);
  EXPECT_EQ(room["remote_address"], "127.0.0.1");
  EXPECT_TRUE(room["duration_ms"].is_number());
  EXPECT_FALSE(room.contains("tenant_id"));

  EXPECT_EQ(lines[1]["request_id"], tenant_id);
  EXPECT_EQ(lines[1]["tenant_id"], "ten_1");

  EXPECT_EQ(lines[2]["request_id"], boom_id);
  EXPECT_EQ(lines[2]["status"], 500);
  EXPECT_EQ(lines[2]["level"], "error");
  EXPECT_NE(lines[2]["error"].get<std::string>().find("db exploded"), std::string::npos);

  std::ifstream in(path);
  std::stringstream all;
  all << in.rdbuf();
  EXPECT_EQ(all.str().find("supersecret"), std::string::npos);
  EXPECT_EQ(all.str().find("topsecret"), std::string::npos);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace roomplane::http::testing
