// The /_emulator/ fault control routes over a real loopback server.

#include "emulator/fault_routes.h"

#include <chrono>
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "unit/emulator_delivery/delivery_support.h"

namespace roomplane::emulator {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

class FaultRoutesTest : public ::testing::Test {
 protected:
  FaultRoutesTest() {
    DispatcherOptions options;
    options.drain_timeout = 100ms;
    options.retry.initial_backoff = 10ms;
    dispatcher_ =
        std::make_unique<CallbackDispatcher>(client_, metrics_, observability::Logger{}, options);
    add_fault_routes(router_, pool_, injector_, *dispatcher_);
    http::ServerOptions server_options;
    server_options.host = "127.0.0.1";
    server_options.port = 0;
    server_options.threads = 1;
    server_options.drain_timeout = 2s;
    server_ =
        std::make_unique<http::Server>(server_options, router_, metrics_, observability::Logger{});
    EXPECT_TRUE(server_->start().ok());
  }
  ~FaultRoutesTest() override {
    server_->shutdown();
    dispatcher_->stop();
  }

  struct Answer {
    unsigned status = 0;
    json body;
  };
  Answer call(const std::string& method, const std::string& target, const std::string& body = "") {
    http::ClientRequest request;
    request.method = method;
    request.url = "http://127.0.0.1:" + std::to_string(server_->port()) + target;
    request.body = body;
    if (!body.empty())
      request.headers["Content-Type"] = "application/json";
    auto response = client_.send(request);
    EXPECT_TRUE(response.ok());
    if (!response.ok())
      return {};
    return {response->status, json::parse(response->body, nullptr, false)};
  }

  testing::BeastHttpClient client_;
  observability::MetricsRegistry metrics_;
  core::WorkPool pool_{2};
  FaultInjector injector_{metrics_};
  std::unique_ptr<CallbackDispatcher> dispatcher_;
  http::Router router_;
  std::unique_ptr<http::Server> server_;
};

TEST_F(FaultRoutesTest, GetShowsNoFaultsByDefault) {
  const auto answer = call("GET", "/_emulator/faults");
  ASSERT_EQ(answer.status, 200u);
  EXPECT_EQ(answer.body["scope"], "global");
  EXPECT_EQ(answer.body["seed"], kDefaultFaultSeed);
  EXPECT_EQ(answer.body["callbacks"]["drop_rate"], 0.0);
  EXPECT_EQ(answer.body["callbacks"]["delay_ms"], json::array({0, 0}));
  EXPECT_EQ(answer.body["rest"]["rate_429"], 0.0);
  EXPECT_EQ(answer.body["rest"]["latency_ms"], json::array({0, 0}));
  EXPECT_EQ(answer.body["counts"]["rest"]["errors_429"], 0);
  EXPECT_EQ(answer.body["counts"]["callbacks"]["queued"], 0);
}

TEST_F(FaultRoutesTest, PutAppliesEverySetting) {
  const auto answer = call("PUT", "/_emulator/faults", R"({
      "seed": 7,
      "callbacks": {"drop_rate": 0.1, "duplicate_rate": 0.2, "reorder_rate": 0.3,
                    "delay_rate": 0.4, "delay_ms": [5, 10]},
      "rest": {"rate_429": 1, "rate_500": 0, "rate_503": 0, "latency_ms": [1, 2]}})");
  ASSERT_EQ(answer.status, 200u) << answer.body.dump();
  EXPECT_EQ(answer.body["seed"], 7);
  EXPECT_EQ(answer.body["callbacks"]["reorder_rate"], 0.3);
  EXPECT_EQ(answer.body["callbacks"]["delay_ms"], json::array({5, 10}));
  EXPECT_EQ(answer.body["rest"]["latency_ms"], json::array({1, 2}));

  const auto cb = dispatcher_->faults();
  EXPECT_EQ(cb.drop_rate, 0.1);
  EXPECT_EQ(cb.duplicate_rate, 0.2);
  EXPECT_EQ(cb.delay_rate, 0.4);
  EXPECT_EQ(cb.delay_min, 5ms);
  EXPECT_EQ(cb.delay_max, 10ms);
  EXPECT_EQ(dispatcher_->fault_seed(), 7u);
  EXPECT_EQ(injector_.seed(), 7u);
  EXPECT_EQ(injector_.settings().rate_429, 1.0);

  http::Request request;
  request.path = "/v1/Rooms";
  const auto injected = injector_.before_request(request);
  ASSERT_TRUE(injected.has_value());
  EXPECT_EQ(injected->status, 429u);
  EXPECT_EQ(call("GET", "/_emulator/faults").body["counts"]["rest"]["errors_429"], 1);
}

TEST_F(FaultRoutesTest, PostIsPutAndAbsentSectionsAreKept) {
  ASSERT_EQ(call("POST", "/_emulator/faults", R"({"rest": {"rate_503": 0.5}})").status, 200u);
  ASSERT_EQ(call("POST", "/_emulator/faults", R"({"callbacks": {"drop_rate": 1}})").status, 200u);
  EXPECT_EQ(injector_.settings().rate_503, 0.5);
  EXPECT_EQ(dispatcher_->faults().drop_rate, 1.0);
  // A present section is replaced whole.
  ASSERT_EQ(call("PUT", "/_emulator/faults", R"({"rest": {"rate_429": 0.25}})").status, 200u);
  EXPECT_EQ(injector_.settings().rate_503, 0.0);
  EXPECT_EQ(injector_.settings().rate_429, 0.25);
  EXPECT_EQ(injector_.seed(), kDefaultFaultSeed);
}

TEST_F(FaultRoutesTest, InvalidSettingsAre422AndChangeNothing) {
  ASSERT_EQ(call("PUT", "/_emulator/faults", R"({"seed": 3, "rest": {"rate_500": 0.5}})").status,
            200u);
  const auto before = call("GET", "/_emulator/faults").body;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"seed": 9, "callbacks": {"drop_rate": 1.5}})", "callbacks.drop_rate"},
      {R"({"callbacks": {"duplicate_rate": -0.1}})", "callbacks.duplicate_rate"},
      {R"({"callbacks": {"reorder_rate": "0.5"}})", "callbacks.reorder_rate"},
      {R"({"callbacks": {"delay_rate": true}})", "callbacks.delay_rate"},
      {R"({"callbacks": {"delay_ms": [10, 5]}})", "callbacks.delay_ms"},
      {R"({"callbacks": {"delay_ms": [1]}})", "callbacks.delay_ms"},
      {R"({"callbacks": {"delay_ms": [-1, 5]}})", "callbacks.delay_ms"},
      {R"({"callbacks": {"delay_ms": [1.5, 5]}})", "callbacks.delay_ms"},
      {R"({"callbacks": {"drop_rat": 0.5}})", "callbacks.drop_rat"},
      {R"({"callbacks": 1})", "callbacks"},
      {R"({"rest": {"rate_429": 2}})", "rest.rate_429"},
      {R"({"rest": {"rate_429": 0.6, "rate_500": 0.6}})", "rest.rate_429"},
      {R"({"rest": {"latency_ms": [0, 60001]}})", "rest.latency_ms"},
      {R"({"rest": {"latency_ms": [0, 18446744073709551615]}})", "rest.latency_ms"},
      {R"({"seed": -1})", "seed"},
      {R"({"seed": 1.5})", "seed"},
      {R"({"callback": {}})", "callback"},
  };
  for (const auto& [body, field] : cases) {
    const auto answer = call("PUT", "/_emulator/faults", body);
    EXPECT_EQ(answer.status, 422u) << body;
    EXPECT_EQ(answer.body["error"]["code"], "invalid_fault_settings") << body;
    EXPECT_EQ(answer.body["error"]["field"], field) << body;
    EXPECT_NE(answer.body["error"]["message"].get<std::string>().find(field), std::string::npos)
        << body;
  }
  EXPECT_EQ(call("PUT", "/_emulator/faults", "not json").status, 400u);
  EXPECT_EQ(call("PUT", "/_emulator/faults", "[1]").status, 400u);
  EXPECT_EQ(call("GET", "/_emulator/faults").body, before);
}

TEST_F(FaultRoutesTest, DeleteResetsToNoFaultsAndKeepsTheSeed) {
  ASSERT_EQ(call("PUT", "/_emulator/faults",
                 R"({"seed": 11, "callbacks": {"drop_rate": 1}, "rest": {"rate_429": 1}})")
                .status,
            200u);
  const auto answer = call("DELETE", "/_emulator/faults");
  ASSERT_EQ(answer.status, 200u);
  EXPECT_EQ(answer.body["seed"], 11);
  EXPECT_EQ(answer.body["callbacks"]["drop_rate"], 0.0);
  EXPECT_EQ(answer.body["rest"]["rate_429"], 0.0);
  http::Request request;
  request.path = "/v1/Rooms";
  EXPECT_FALSE(injector_.before_request(request).has_value());
}

TEST_F(FaultRoutesTest, FlushWaitsForDelivery) {
  testing::Receiver receiver("token");
  dispatcher_->start();
  ASSERT_EQ(call("PUT", "/_emulator/faults",
                 R"({"callbacks": {"delay_rate": 1, "delay_ms": [100, 100]}})")
                .status,
            200u);
  for (int i = 0; i < 3; ++i) {
    Callback cb;
    cb.url = receiver.url("/cb/x");
    cb.method = "POST";
    cb.auth_token = "token";
    cb.room_sid = "RM" + std::to_string(i);
    cb.params = {{"StatusCallbackEvent", "room-created"}};
    dispatcher_->enqueue(cb);
  }
  const auto answer = call("POST", "/_emulator/callbacks/flush?timeout_ms=10000");
  EXPECT_EQ(answer.status, 200u);
  EXPECT_EQ(answer.body["flushed"], true);
  EXPECT_EQ(receiver.received().size(), 3u);
  const auto state = call("GET", "/_emulator/faults").body;
  EXPECT_EQ(state["counts"]["callbacks"]["delivered"], 3);
  EXPECT_EQ(state["counts"]["callbacks"]["delayed_by_fault"], 3);
}

TEST_F(FaultRoutesTest, FlushTimesOutAndValidatesItsTimeout) {
  // Not started: the callback stays queued.
  Callback cb;
  cb.url = "http://127.0.0.1:9/cb/x";
  cb.room_sid = "RM1";
  dispatcher_->enqueue(cb);
  const auto answer = call("POST", "/_emulator/callbacks/flush?timeout_ms=20");
  EXPECT_EQ(answer.status, 504u);
  EXPECT_EQ(answer.body["error"]["code"], "flush_timeout");
  EXPECT_EQ(answer.body["error"]["queued"], 1);
  EXPECT_EQ(call("POST", "/_emulator/callbacks/flush?timeout_ms=abc").status, 422u);
  EXPECT_EQ(call("POST", "/_emulator/callbacks/flush?timeout_ms=60001").status, 422u);
}

}  // namespace
}  // namespace roomplane::emulator
