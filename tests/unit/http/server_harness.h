#pragma once
// A fixture that runs a real Server on 127.0.0.1, port 0, with a fixed set of test routes, and
// hands out TestClients connected to it.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#include "core/work_pool.h"
#include "http/server.h"
#include "observability/metrics.h"
#include "unit/http/test_client.h"

namespace roomplane::http::testing {

// A one-shot event a test thread can wait for with a deadline.
class Signal {
 public:
  void notify() {
    std::lock_guard lock(mutex_);
    set_ = true;
    cv_.notify_all();
  }
  bool wait_for(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [this] { return set_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool set_ = false;
};

inline constexpr std::chrono::milliseconds kSlowHandler{300};

class ServerTest : public ::testing::Test {
 protected:
  ServerTest() { add_routes(); }

  void TearDown() override {
    if (server_)
      server_->shutdown();
  }

  // Small limits so tests exercise them cheaply; generous timeouts unless a test lowers them.
  static ServerOptions test_options() {
    ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.threads = 2;
    options.body_limit_bytes = 1024;
    options.read_timeout = std::chrono::seconds(3);
    options.idle_timeout = std::chrono::seconds(3);
    options.drain_timeout = std::chrono::seconds(3);
    return options;
  }

  void start(ServerOptions options = test_options(), observability::Logger logger = {}) {
    server_ = std::make_unique<Server>(std::move(options), router_, metrics_, std::move(logger));
    const auto status = server_->start();
    ASSERT_TRUE(status.ok()) << status.error().message;
    ASSERT_NE(server_->port(), 0);
  }

  std::unique_ptr<TestClient> connect() {
    auto client = std::make_unique<TestClient>(server_->port());
    EXPECT_FALSE(client->connect_error()) << client->connect_error().message();
    return client;
  }

  double requests_total(const std::string& method, const std::string& route, unsigned status) {
    return metrics_
        .counter("roomplane_http_requests_total", "",
                 {{"method", method}, {"route", route}, {"status", std::to_string(status)}})
        .value();
  }

  // Declared before server_ so they outlive it: handlers reference the pool, the server the
  // router and the registry.
  core::WorkPool pool_{2};
  Router router_;
  observability::MetricsRegistry metrics_;

  Signal slow_started_;
  Signal hold_started_;
  Signal hold_release_;
  std::atomic<std::thread::id> inline_thread_;
  std::atomic<std::thread::id> pool_thread_;

  std::unique_ptr<Server> server_;

 private:
  void add_routes() {
    router_.add("GET", "/healthz", inline_handler([](const Request&) {
                  return Response::json(200, {{"ok", true}});
                }));
    router_.add(
        "POST", "/v1/echo", inline_handler([](const Request& request) {
          auto body = parse_json_object(request);
          if (!body.ok())
            return Response::from_error(body.error());
          return Response::json(201, {{"received", *body}, {"request_id", request.request_id}});
        }));
    router_.add("GET", "/v1/rooms/{id}", inline_handler([](const Request& request) {
                  nlohmann::json body = {{"id", request.path_param("id")},
                                         {"path", request.path},
                                         {"route", request.route},
                                         {"request_id", request.request_id},
                                         {"remote", request.remote_address}};
                  if (auto q = request.query_param("q"))
                    body["q"] = *q;
                  return Response::json(200, body);
                }));
    router_.add("GET", "/v1/slow", blocking(pool_, [this](const Request&) {
                  slow_started_.notify();
                  std::this_thread::sleep_for(kSlowHandler);
                  return Response::json(200, {{"slow", true}});
                }));
    router_.add("GET", "/v1/hold", blocking(pool_, [this](const Request&) {
                  hold_started_.notify();
                  hold_release_.wait_for(std::chrono::seconds(5));
                  return Response::json(200, {{"held", true}});
                }));
    router_.add("GET", "/v1/boom", blocking(pool_, [](const Request&) -> Response {
                  throw std::runtime_error("db exploded at /var/lib/secret.db");
                }));
    router_.add("GET", "/v1/boom-inline", inline_handler([](const Request&) -> Response {
                  throw std::logic_error("inline bug");
                }));
    router_.add("GET", "/v1/boom-raw",
                [](Request, Responder) { throw std::runtime_error("raw handler bug"); });
    router_.add("GET", "/v1/dropped", [](Request, Responder) {});
    router_.add("GET", "/v1/twice", [](Request, Responder respond) {
      respond(Response::json(200, {{"first", true}}));
      respond(Response::json(201, {{"second", true}}));
    });
    router_.add("GET", "/v1/tenant", inline_handler([](const Request&) {
                  auto response = Response::json(200, {{"tenant", "visible"}});
                  response.headers.emplace_back(std::string(kTenantHeader), "ten_1");
                  response.headers.emplace_back("X-Custom", "yes");
                  response.headers.emplace_back("X-Evil", "a\r\nSet-Cookie: x=y");
                  return response;
                }));
    router_.add("DELETE", "/v1/rooms/{id}",
                inline_handler([](const Request&) { return Response::no_content(); }));
    router_.add("GET", "/v1/where/inline", inline_handler([this](const Request&) {
                  inline_thread_ = std::this_thread::get_id();
                  return Response::no_content();
                }));
    router_.add("GET", "/v1/where/pool", blocking(pool_, [this](const Request&) {
                  pool_thread_ = std::this_thread::get_id();
                  return Response::no_content();
                }));
  }
};

}  // namespace roomplane::http::testing
