#include "http/message.h"

#include <gtest/gtest.h>

namespace roomplane::http {
namespace {

using core::Error;
using core::ErrorKind;

TEST(StatusFor, MapsEveryErrorKind) {
  EXPECT_EQ(status_for(ErrorKind::kInvalidArgument), 400u);
  EXPECT_EQ(status_for(ErrorKind::kUnprocessable), 422u);
  EXPECT_EQ(status_for(ErrorKind::kUnauthenticated), 401u);
  EXPECT_EQ(status_for(ErrorKind::kForbidden), 403u);
  EXPECT_EQ(status_for(ErrorKind::kNotFound), 404u);
  EXPECT_EQ(status_for(ErrorKind::kConflict), 409u);
  EXPECT_EQ(status_for(ErrorKind::kPayloadTooLarge), 413u);
  EXPECT_EQ(status_for(ErrorKind::kRateLimited), 429u);
  EXPECT_EQ(status_for(ErrorKind::kUnavailable), 503u);
  EXPECT_EQ(status_for(ErrorKind::kInternal), 500u);
}

TEST(Response, FromErrorWritesTheErrorBody) {
  const auto response = Response::from_error(Error::conflict("room_exists", "room already exists"));
  EXPECT_EQ(response.status, 409u);
  EXPECT_EQ(response.content_type, "application/json");
  const auto body = nlohmann::json::parse(response.body);
  EXPECT_EQ(body, nlohmann::json::parse(
                      R"({"error":{"code":"room_exists","message":"room already exists"}})"));
  EXPECT_TRUE(response.headers.empty());
}

TEST(Response, UnauthenticatedCarriesBearerChallenge) {
  const auto response = Response::from_error(Error::unauthenticated());
  EXPECT_EQ(response.status, 401u);
  ASSERT_EQ(response.headers.size(), 1u);
  EXPECT_EQ(response.headers[0].first, "WWW-Authenticate");
  EXPECT_EQ(response.headers[0].second, "Bearer");
}

TEST(Response, InvalidUtf8InAMessageDoesNotThrow) {
  const auto response = Response::error(400, "bad", std::string("name \xff\xfe"));
  EXPECT_EQ(response.status, 400u);
  EXPECT_TRUE(nlohmann::json::accept(response.body));
}

TEST(Response, NoContentHasNoBodyOrType) {
  const auto response = Response::no_content();
  EXPECT_EQ(response.status, 204u);
  EXPECT_TRUE(response.body.empty());
  EXPECT_TRUE(response.content_type.empty());
}

TEST(Response, TextKeepsBodyAndType) {
  const auto response = Response::text(200, "hello");
  EXPECT_EQ(response.body, "hello");
  EXPECT_EQ(response.content_type, "text/plain; charset=utf-8");
}

TEST(ParseJsonObject, AcceptsAnObject) {
  Request request;
  request.body = R"({"name":"room-1","max":4})";
  const auto parsed = parse_json_object(request);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ((*parsed)["name"], "room-1");
}

TEST(ParseJsonObject, RejectsMalformedJsonAndNonObjects) {
  for (const char* body : {"", "{", "not json", "[1,2]", "\"text\"", "42", "null", "{\"a\":1} x"}) {
    Request request;
    request.body = body;
    const auto parsed = parse_json_object(request);
    ASSERT_FALSE(parsed.ok()) << body;
    EXPECT_EQ(parsed.error().code, "invalid_json") << body;
    EXPECT_EQ(parsed.error().kind, ErrorKind::kInvalidArgument) << body;
  }
}

TEST(ParseJsonObject, SurvivesDeepNesting) {
  Request request;
  request.body = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_FALSE(parse_json_object(request).ok());
}

TEST(Request, HeadersAreCaseInsensitive) {
  Request request;
  request.headers.emplace("Content-Type", "application/json");
  EXPECT_EQ(request.header("content-type"), "application/json");
  EXPECT_EQ(request.header("CONTENT-TYPE"), "application/json");
  EXPECT_FALSE(request.header("Accept").has_value());
}

TEST(Request, QueryAndPathParamAccessors) {
  Request request;
  request.query["limit"] = "10";
  request.path_params["id"] = "rm_1";
  EXPECT_EQ(request.query_param("limit"), "10");
  EXPECT_FALSE(request.query_param("offset").has_value());
  EXPECT_EQ(request.path_param("id"), "rm_1");
  EXPECT_EQ(request.path_param("other"), "");
}

TEST(PercentDecode, DecodesEscapes) {
  EXPECT_EQ(percent_decode("a%20b%2Fc"), "a b/c");
  EXPECT_EQ(percent_decode("%e2%82%AC"), "\xe2\x82\xac");
  EXPECT_EQ(percent_decode("a+b"), "a+b");
  EXPECT_EQ(percent_decode("a+b", /*plus_is_space=*/true), "a b");
  EXPECT_EQ(percent_decode(""), "");
  EXPECT_EQ(percent_decode("%41"), "A");
  EXPECT_EQ(percent_decode("plain/path/without/escapes"), "plain/path/without/escapes");
  EXPECT_EQ(percent_decode("a+%2B+b%20", /*plus_is_space=*/true), "a + b ");
  EXPECT_EQ(percent_decode("++%25", /*plus_is_space=*/true), "  %");
}

TEST(PercentDecode, RejectsMalformedEscapes) {
  for (const char* text : {"%", "%4", "%zz", "a%g1", "abc%"}) {
    EXPECT_FALSE(percent_decode(text).has_value()) << text;
  }
}

}  // namespace
}  // namespace roomplane::http
