// Request handling over real loopback TCP: routing, bodies, errors, request ids, keep-alive.

#include <string>

#include <gtest/gtest.h>

#include "unit/http/server_harness.h"

namespace roomplane::http::testing {
namespace {

nlohmann::json json_body(const HttpResponse& response) {
  return nlohmann::json::parse(response.body(), nullptr, false);
}

std::string error_code_of(const HttpResponse& response) {
  const auto body = json_body(response);
  if (!body.is_object() || !body.contains("error"))
    return "<no error body>";
  return body["error"].value("code", "<no code>");
}

bool is_generated_id(const std::string& id) {
  return id.size() == 24 && id.rfind("req_", 0) == 0;
}

TEST_F(ServerTest, ServesJsonGet) {
  start();
  auto client = connect();
  const auto response = client->get("/healthz");
  EXPECT_EQ(response.result_int(), 200u);
  EXPECT_EQ(header_of(response, "Content-Type"), "application/json");
  EXPECT_EQ(header_of(response, "Server"), "roomplane");
  EXPECT_EQ(json_body(response), nlohmann::json({{"ok", true}}));
  EXPECT_TRUE(is_generated_id(header_of(response, "X-Request-Id")))
      << header_of(response, "X-Request-Id");
}

TEST_F(ServerTest, ServesJsonPost) {
  start();
  auto client = connect();
  const auto created = client->request(bhttp::verb::post, "/v1/echo", R"({"name":"room-1"})");
  EXPECT_EQ(created.result_int(), 201u);
  EXPECT_EQ(json_body(created)["received"], nlohmann::json({{"name", "room-1"}}));

  const auto rejected = client->request(bhttp::verb::post, "/v1/echo", "[1,2,3]");
  EXPECT_EQ(rejected.result_int(), 400u);
  EXPECT_EQ(error_code_of(rejected), "invalid_json");
}

TEST_F(ServerTest, DecodesPathCapturesAndQuery) {
  start();
  auto client = connect();
  const auto response = client->get("/v1/rooms/a%20b%2Fc?q=x%2By+z&q=ignored&q=last");
  ASSERT_EQ(response.result_int(), 200u);
  const auto body = json_body(response);
  EXPECT_EQ(body["id"], "a b/c");
  EXPECT_EQ(body["path"], "/v1/rooms/a b/c");
  EXPECT_EQ(body["route"], "/v1/rooms/{id}");
  EXPECT_EQ(body["q"], "last");  // last value wins
  EXPECT_EQ(body["remote"], "127.0.0.1");

  const auto plus = client->get("/v1/rooms/r?q=x%2By+z");
  EXPECT_EQ(json_body(plus)["q"], "x+y z");
}

TEST_F(ServerTest, InvalidPercentEncodingIsBadRequest) {
  start();
  auto client = connect();
  for (const char* target : {"/v1/rooms/%zz", "/v1/rooms/x?q=%4", "/v1/rooms/%"}) {
    const auto response = client->get(target);
    EXPECT_EQ(response.result_int(), 400u) << target;
    EXPECT_EQ(error_code_of(response), "bad_request") << target;
  }
  // The request itself was well framed, so the connection stays usable.
  EXPECT_EQ(client->get("/healthz").result_int(), 200u);
}

TEST_F(ServerTest, NotFoundAndMethodNotAllowed) {
  start();
  auto client = connect();
  const auto missing = client->get("/nope");
  EXPECT_EQ(missing.result_int(), 404u);
  EXPECT_EQ(error_code_of(missing), "not_found");

  const auto wrong_method = client->request(bhttp::verb::put, "/v1/rooms/r1", R"({})");
  EXPECT_EQ(wrong_method.result_int(), 405u);
  EXPECT_EQ(error_code_of(wrong_method), "method_not_allowed");
  EXPECT_EQ(header_of(wrong_method, "Allow"), "DELETE, GET");

  const auto deleted = client->request(bhttp::verb::delete_, "/v1/rooms/r1");
  EXPECT_EQ(deleted.result_int(), 204u);
  EXPECT_EQ(header_of(deleted, "Content-Type"), "");
}

TEST_F(ServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  start();
  auto client = connect();
  const auto first = client->get("/healthz");
  const auto second = client->get("/v1/rooms/r2");
  EXPECT_EQ(first.result_int(), 200u);
  EXPECT_EQ(second.result_int(), 200u);
  EXPECT_TRUE(first.keep_alive());
  EXPECT_TRUE(second.keep_alive());
  EXPECT_EQ(metrics_.gauge("roomplane_http_connections_active", "").value(), 1.0);
}

TEST_F(ServerTest, AnswersPipelinedRequestsInOrder) {
  start();
  auto client = connect();
  ASSERT_FALSE(
      client->send_raw("GET /v1/rooms/one HTTP/1.1\r\nHost: x\r\n\r\n"
                       "GET /v1/rooms/two HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(json_body(client->read_response())["id"], "one");
  EXPECT_EQ(json_body(client->read_response())["id"], "two");
}

// The server writes response heads itself (not through Beast's serializer): the exact bytes,
// for a body with extra and stripped headers, a 204 (no Content-Length), HTTP/1.0 keep-alive
// and the closing response of HTTP/1.1.
TEST_F(ServerTest, ResponseHeadsAreExactHttp) {
  start();
  auto client = connect();
  ASSERT_FALSE(client->send_raw(
      "GET /v1/tenant HTTP/1.1\r\nHost: x\r\nX-Request-Id: req-one\r\n\r\n"
      "DELETE /v1/rooms/a HTTP/1.0\r\nConnection: keep-alive\r\nX-Request-Id: req-two\r\n\r\n"
      "GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\nX-Request-Id: req-three\r\n\r\n"
      "GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Request-Id: req-four\r\n\r\n"));
  const std::string tenant_body = R"({"tenant":"visible"})";
  const std::string healthz_body = R"({"ok":true})";
  const std::string missing_body =
      R"({"error":{"code":"not_found","message":"no route matches this path"}})";
  EXPECT_EQ(client->read_until_close(),
            "HTTP/1.1 200 OK\r\nServer: roomplane\r\nX-Request-Id: req-one\r\n"
            "Content-Type: application/json\r\nX-Custom: yes\r\nContent-Length: " +
                std::to_string(tenant_body.size()) + "\r\n\r\n" + tenant_body +
                "HTTP/1.0 204 No Content\r\nServer: roomplane\r\nX-Request-Id: req-two\r\n"
                "Connection: keep-alive\r\n\r\n"
                "HTTP/1.0 200 OK\r\nServer: roomplane\r\nX-Request-Id: req-three\r\n"
                "Content-Type: application/json\r\nConnection: keep-alive\r\nContent-Length: " +
                std::to_string(healthz_body.size()) + "\r\n\r\n" + healthz_body +
                "HTTP/1.1 404 Not Found\r\nServer: roomplane\r\nX-Request-Id: req-four\r\n"
                "Content-Type: application/json\r\nConnection: close\r\nContent-Length: " +
                std::to_string(missing_body.size()) + "\r\n\r\n" + missing_body);
}

TEST_F(ServerTest, Http10WithoutKeepAliveIsClosedAfterTheResponse) {
  start();
  auto client = connect();
  ASSERT_FALSE(client->send_raw("GET /healthz HTTP/1.0\r\n\r\n"));
  const auto response = client->read_response();
  EXPECT_EQ(response.result_int(), 200u);
  EXPECT_TRUE(client->wait_for_close());
}

TEST_F(ServerTest, BodyOverLimitIs413AndCloses) {
  start();
  auto client = connect();
  const std::string body(4096, 'x');
  ASSERT_FALSE(
      client->send_raw("POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4096\r\n\r\n" + body));
  const auto response = client->read_response();
  EXPECT_EQ(response.result_int(), 413u);
  EXPECT_EQ(error_code_of(response), "payload_too_large");
  EXPECT_FALSE(response.keep_alive());
  EXPECT_TRUE(client->wait_for_close());
}

TEST_F(ServerTest, ChunkedBodyOverLimitIs413) {
  start();
  auto client = connect();
  const std::string chunk(800, 'x');
  ASSERT_FALSE(
      client->send_raw("POST /v1/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                       "320\r\n" +
                       chunk + "\r\n320\r\n" + chunk + "\r\n0\r\n\r\n"));
  const auto response = client->read_response();
  EXPECT_EQ(response.result_int(), 413u);
  EXPECT_TRUE(client->wait_for_close());
}

TEST_F(ServerTest, BodyAtTheLimitIsAccepted) {
  start();
  auto client = connect();
  const std::string prefix = R"({"p":")";
  const std::string body = prefix + std::string(1024 - prefix.size() - 2, 'x') + R"("})";
  ASSERT_EQ(body.size(), 1024u);
  EXPECT_EQ(client->request(bhttp::verb::post, "/v1/echo", body).result_int(), 201u);
}

TEST_F(ServerTest, MalformedRequestLineIs400ThenClose) {
  start();
  auto client = connect();
  ASSERT_FALSE(client->send_raw("THIS IS NOT HTTP\r\n\r\n"));
  const auto response = client->read_response();
  EXPECT_EQ(response.result_int(), 400u);
  EXPECT_EQ(error_code_of(response), "bad_request");
  EXPECT_EQ(header_of(response, "Connection"), "close");
  EXPECT_TRUE(is_generated_id(header_of(response, "X-Request-Id")));
  EXPECT_TRUE(client->wait_for_close());
  EXPECT_EQ(requests_total("UNKNOWN", "invalid", 400), 1.0);

  // The server is unharmed.
  EXPECT_EQ(connect()->get("/healthz").result_int(), 200u);
}

TEST_F(ServerTest, SurvivesHostileInput) {
  start();
  const std::string huge_header =
      "GET /healthz HTTP/1.1\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n";
  const std::string inputs[] = {
      std::string("\x00\x01\x02\xff\xfe\r\n\r\n", 8),
      "GET\r\n\r\n",
      "GET / HTTP/9.9\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
      "POST /v1/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "GET / HTTP/1.1\r\nBad Header: x\r\n\r\n",
      "GET http://example.com/healthz HTTP/1.1\r\nHost: x\r\n\r\n",
      "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
      "BREW /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n",
      huge_header,
  };
  for (const auto& input : inputs) {
    auto client = connect();
    ASSERT_FALSE(client->send_raw(input));
    beast::error_code ec;
    const auto response = client->read_response(&ec);
    if (!ec) {
      EXPECT_GE(response.result_int(), 400u) << input.substr(0, 60);
      EXPECT_LT(response.result_int(), 500u) << input.substr(0, 60);
    }
  }
  EXPECT_EQ(connect()->get("/healthz").result_int(), 200u);
}

TEST_F(ServerTest, OversizedHeaderIs431) {
  start();
  auto client = connect();
  ASSERT_FALSE(
      client->send_raw("GET /healthz HTTP/1.1\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n"));
  const auto response = client->read_response();
  EXPECT_EQ(response.result_int(), 431u);
  EXPECT_EQ(error_code_of(response), "header_too_large");
}

TEST_F(ServerTest, ReadTimeoutClosesAPartialRequest) {
  auto options = test_options();
  options.read_timeout = std::chrono::milliseconds(200);
  start(options);
  auto client = connect();
  const auto begin = std::chrono::steady_clock::now();
  ASSERT_FALSE(client->send_raw("GET /healthz HTTP/1.1\r\nHost: x\r\n"));  // no blank line
  EXPECT_TRUE(client->wait_for_close());
  EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::seconds(3));
}

TEST_F(ServerTest, IdleTimeoutClosesAKeepAliveConnection) {
  auto options = test_options();
  options.idle_timeout = std::chrono::milliseconds(200);
  start(options);
  auto client = connect();
  EXPECT_EQ(client->get("/healthz").result_int(), 200u);
  EXPECT_TRUE(client->wait_for_close());
}

TEST_F(ServerTest, KeepsASaneIncomingRequestId) {
  start();
  auto client = connect();
  const std::string sane = "Abc-123_x.y";
  const auto response = client->get("/v1/rooms/r", {{"X-Request-Id", sane}});
  EXPECT_EQ(header_of(response, "X-Request-Id"), sane);
  EXPECT_EQ(json_body(response)["request_id"], sane);

  const std::string longest(64, 'a');
  EXPECT_EQ(header_of(client->get("/healthz", {{"X-Request-Id", longest}}), "X-Request-Id"),
            longest);
}

TEST_F(ServerTest, ReplacesAnInsaneIncomingRequestId) {
  start();
  auto client = connect();
  for (const std::string& insane :
       {std::string("has space"), std::string(65, 'a'), std::string("semi;colon"),
        std::string("quote\"d"), std::string("caf\xc3\xa9")}) {
    const auto response = client->get("/v1/rooms/r", {{"X-Request-Id", insane}});
    const auto echoed = header_of(response, "X-Request-Id");
    EXPECT_TRUE(is_generated_id(echoed)) << insane << " -> " << echoed;
    EXPECT_EQ(json_body(response)["request_id"], echoed);
  }
}

TEST_F(ServerTest, BlockingHandlerRunsOnThePool) {
  auto options = test_options();
  options.threads = 1;
  start(options);
  auto client = connect();
  EXPECT_EQ(client->get("/v1/where/inline").result_int(), 204u);
  EXPECT_EQ(client->get("/v1/where/pool").result_int(), 204u);
  EXPECT_NE(inline_thread_.load(), std::thread::id());
  EXPECT_NE(pool_thread_.load(), std::thread::id());
  EXPECT_NE(inline_thread_.load(), pool_thread_.load());
  EXPECT_EQ(client->get("/v1/slow").result_int(), 200u);
}

TEST_F(ServerTest, HandlerExceptionsBecome500WithoutDetails) {
  start();
  auto client = connect();
  for (const char* target : {"/v1/boom", "/v1/boom-inline", "/v1/boom-raw"}) {
    const auto response = client->get(target);
    EXPECT_EQ(response.result_int(), 500u) << target;
    EXPECT_EQ(error_code_of(response), "internal") << target;
    const auto id = header_of(response, "X-Request-Id");
    EXPECT_NE(response.body().find(id), std::string::npos) << response.body();
    EXPECT_EQ(response.body().find("secret"), std::string::npos);
    EXPECT_EQ(response.body().find("bug"), std::string::npos);
    EXPECT_EQ(header_of(response, "X-Roomplane-Error"), "");
  }
  EXPECT_EQ(client->get("/healthz").result_int(), 200u);  // the connection survives
}

TEST_F(ServerTest, DroppedResponderBecomes500) {
  start();
  auto client = connect();
  const auto response = client->get("/v1/dropped");
  EXPECT_EQ(response.result_int(), 500u);
  EXPECT_EQ(error_code_of(response), "internal");
}

TEST_F(ServerTest, SecondResponderCallIsIgnored) {
  start();
  auto client = connect();
  const auto response = client->get("/v1/twice");
  EXPECT_EQ(response.result_int(), 200u);
  EXPECT_EQ(client->get("/v1/rooms/after").result_int(), 200u);
}

TEST_F(ServerTest, StripsInternalAndUnsafeResponseHeaders) {
  start();
  auto client = connect();
  const auto response = client->get("/v1/tenant");
  EXPECT_EQ(response.result_int(), 200u);
  EXPECT_EQ(header_of(response, "X-Custom"), "yes");
  EXPECT_EQ(header_of(response, "X-Roomplane-Tenant"), "");
  EXPECT_EQ(header_of(response, "X-Evil"), "");
  EXPECT_EQ(header_of(response, "Set-Cookie"), "");
}

TEST_F(ServerTest, CountsRequestsPerRoute) {
  start();
  auto client = connect();
  client->get("/v1/rooms/a");
  client->get("/v1/rooms/b");
  client->get("/nope");
  client->request(bhttp::verb::put, "/v1/rooms/a", "{}");
  EXPECT_EQ(requests_total("GET", "/v1/rooms/{id}", 200), 2.0);
  EXPECT_EQ(requests_total("GET", "unmatched", 404), 1.0);
  EXPECT_EQ(requests_total("PUT", "unmatched", 405), 1.0);
  EXPECT_EQ(
      metrics_
          .histogram("roomplane_http_request_duration_seconds", "", {{"route", "/v1/rooms/{id}"}})
          .count(),
      2u);
  const auto text = metrics_.render();
  EXPECT_NE(
      text.find(
          R"(roomplane_http_requests_total{method="GET",route="/v1/rooms/{id}",status="200"} 2)"),
      std::string::npos)
      << text;
}

}  // namespace
}  // namespace roomplane::http::testing
