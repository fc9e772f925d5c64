// CurlHttpClient (src/http/curl_client.h) against the project's own http::Server on loopback:
// methods and bodies, headers both ways, statuses as values, no redirect following, timeouts,
// network errors, bad URLs, the body size cap and concurrent use. (It lives with the Twilio
// tests because the REST client is its first user.)

#include "http/curl_client.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/work_pool.h"
#include "http/handler.h"
#include "http/router.h"
#include "http/server.h"
#include "observability/metrics.h"
#include "unit/twilio/client_fixture.h"

namespace roomplane::http {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

class CurlClientTest : public ::testing::Test {
 protected:
  CurlClientTest() {
    router_.add("GET", "/hello", inline_handler([](const Request&) {
                  auto response = Response::json(200, {{"hello", "world"}});
                  response.headers.emplace_back("X-Test", "yes");
                  return response;
                }));
    for (const char* method : {"POST", "PUT", "DELETE", "PATCH"}) {
      router_.add(method, "/echo", inline_handler([](const Request& request) {
                    return Response::json(
                        200, {{"method", request.method},
                              {"body", request.body},
                              {"content_type", request.header("Content-Type").value_or("")},
                              {"custom", request.header("X-Custom").value_or("")},
                              {"user_agent", request.header("User-Agent").value_or("")},
                              {"expect", request.header("Expect").value_or("")}});
                  }));
    }
    router_.add("GET", "/status/{code}", inline_handler([](const Request& request) {
                  const auto code =
                      static_cast<unsigned>(std::stoul(std::string(request.path_param("code"))));
                  return Response::text(code, "status body");
                }));
    router_.add("GET", "/redirect", inline_handler([](const Request&) {
                  auto response = Response::json(302, {{"redirect_to", "/hello"}});
                  response.headers.emplace_back("Location", "/hello");
                  return response;
                }));
    router_.add("GET", "/big", inline_handler([](const Request&) {
                  return Response::text(200, std::string(64 * 1024, 'b'));
                }));
    router_.add("GET", "/hold", blocking(pool_, [this](const Request&) {
                  std::unique_lock lock(mutex_);
                  released_cv_.wait_for(lock, 10s, [this] { return released_; });
                  return Response::json(200, json::object());
                }));
    ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.body_limit_bytes = 1024 * 1024;
    options.drain_timeout = 2s;
    server_ = std::make_unique<Server>(options, router_, server_metrics_, observability::Logger{});
    const auto started = server_->start();
    EXPECT_TRUE(started.ok());
    base_ = "http://127.0.0.1:" + std::to_string(server_->port());
  }

  ~CurlClientTest() override {
    {
      std::lock_guard lock(mutex_);
      released_ = true;
    }
    released_cv_.notify_all();
    server_->shutdown();
    pool_.stop();
  }

  ClientRequest request(std::string method, const std::string& path) {
    ClientRequest r;
    r.method = std::move(method);
    r.url = base_ + path;
    r.connect_timeout = 2s;
    r.timeout = 5s;
    return r;
  }

  core::WorkPool pool_{2};
  Router router_;
  observability::MetricsRegistry server_metrics_;
  std::unique_ptr<Server> server_;
  std::string base_;
  std::mutex mutex_;
  std::condition_variable released_cv_;
  bool released_ = false;
  CurlHttpClient client_{twilio::testing::curl_runtime()};
};

TEST_F(CurlClientTest, GetReturnsStatusHeadersAndBody) {
  auto response = client_.send(request("GET", "/hello"));
  ASSERT_TRUE(response.ok()) << response.error().message;
  EXPECT_EQ(response->status, 200u);
  EXPECT_EQ(json::parse(response->body), json({{"hello", "world"}}));
  EXPECT_EQ(response->headers["x-test"], "yes");  // names are case-insensitive
  EXPECT_EQ(response->headers["Content-Type"], "application/json");
  EXPECT_EQ(response->headers.count("HTTP/1.1 200 OK"), 0u);
}

TEST_F(CurlClientTest, SendsMethodsBodiesAndHeaders) {
  for (const char* method : {"POST", "PUT", "DELETE", "PATCH"}) {
    auto r = request(method, "/echo");
    r.body = "a=1&b=two";
    r.headers["Content-Type"] = "application/x-www-form-urlencoded";
    r.headers["X-Custom"] = "custom value";
    auto response = client_.send(r);
    ASSERT_TRUE(response.ok()) << response.error().message;
    const auto echoed = json::parse(response->body);
    EXPECT_EQ(echoed["method"], method);
    EXPECT_EQ(echoed["body"], "a=1&b=two");
    EXPECT_EQ(echoed["content_type"], "application/x-www-form-urlencoded");
    EXPECT_EQ(echoed["custom"], "custom value");
    EXPECT_EQ(echoed["user_agent"], "roomplane/0.1 (libcurl)");
    EXPECT_EQ(echoed["expect"], "");
  }
  // An empty POST still sends a (zero-length) body.
  auto empty = client_.send(request("POST", "/echo"));
  ASSERT_TRUE(empty.ok()) << empty.error().message;
  EXPECT_EQ(json::parse(empty->body)["body"], "");
}

TEST_F(CurlClientTest, LargeBodiesAreSentWithoutExpectContinue) {
  auto r = request("POST", "/echo");
  r.body = std::string(200 * 1024, 'x');
  auto response = client_.send(r);
  ASSERT_TRUE(response.ok()) << response.error().message;
  EXPECT_EQ(json::parse(response->body)["body"].get<std::string>().size(), r.body.size());
}

TEST_F(CurlClientTest, ErrorStatusesAreValues) {
  for (unsigned status : {400u, 404u, 429u, 500u, 503u}) {
    auto response = client_.send(request("GET", "/status/" + std::to_string(status)));
    ASSERT_TRUE(response.ok()) << response.error().message;
    EXPECT_EQ(response->status, status);
    EXPECT_EQ(response->body, "status body");
  }
}

TEST_F(CurlClientTest, RedirectsAreReturnedNotFollowed) {
  auto response = client_.send(request("GET", "/redirect"));
  ASSERT_TRUE(response.ok()) << response.error().message;
  EXPECT_EQ(response->status, 302u);
  EXPECT_EQ(response->headers["Location"], "/hello");
  EXPECT_EQ(json::parse(response->body)["redirect_to"], "/hello");
}

TEST_F(CurlClientTest, SlowServerTimesOut) {
  auto r = request("GET", "/hold");
  r.timeout = 200ms;
  const auto started = std::chrono::steady_clock::now();
  auto response = client_.send(r);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind, core::ErrorKind::kUnavailable);
  EXPECT_EQ(response.error().code, "timeout");
  EXPECT_NE(response.error().message.find("127.0.0.1"), std::string::npos);
  EXPECT_EQ(response.error().message.find("/hold"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
}

TEST_F(CurlClientTest, RefusedConnectionIsANetworkError) {
  std::uint16_t port = 0;
  {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor acceptor(
        io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    port = acceptor.local_endpoint().port();
  }
  ClientRequest r;
  r.url = "http://127.0.0.1:" + std::to_string(port) + "/secret/path?token=abc";
  auto response = client_.send(r);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind, core::ErrorKind::kUnavailable);
  EXPECT_EQ(response.error().code, "network_error");
  EXPECT_NE(response.error().message.find("127.0.0.1"), std::string::npos);
  EXPECT_EQ(response.error().message.find("token=abc"), std::string::npos);
  EXPECT_EQ(response.error().message.find("/secret/path"), std::string::npos);
}

TEST_F(CurlClientTest, InvalidUrlsAreInvalidArguments) {
  for (const char* url :
       {"", "not a url", "ftp://127.0.0.1/file", "file:///etc/passwd", "http://"}) {
    ClientRequest r;
    r.url = url;
    auto response = client_.send(r);
    ASSERT_FALSE(response.ok()) << url;
    EXPECT_EQ(response.error().kind, core::ErrorKind::kInvalidArgument) << url;
    EXPECT_EQ(response.error().code, "invalid_url") << url;
  }
}

TEST_F(CurlClientTest, OversizedResponseIsRefused) {
  CurlClientOptions options;
  options.max_response_bytes = 1024;
  CurlHttpClient small(twilio::testing::curl_runtime(), options);
  auto response = small.send(request("GET", "/big"));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code, "network_error");
  // The pooled handle is still usable afterwards.
  auto next = small.send(request("GET", "/hello"));
  ASSERT_TRUE(next.ok()) << next.error().message;
  EXPECT_EQ(next->status, 200u);
}

TEST_F(CurlClientTest, ConcurrentSendsFromManyThreads) {
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        auto response = client_.send(request("GET", "/hello"));
        if (response.ok() && response->status == 200)
          ++ok;
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  EXPECT_EQ(ok.load(), 40);
}

}  // namespace
}  // namespace roomplane::http
