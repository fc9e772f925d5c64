#include "http/router.h"

#include <stdexcept>

#include <gtest/gtest.h>

namespace roomplane::http {
namespace {

// A handler that answers with its own name, so a test can tell which route matched.
Handler named(std::string name) {
  return inline_handler(
      [name = std::move(name)](const Request&) { return Response::text(200, name); });
}

std::string call(const Router::Match& match) {
  std::string body;
  (*match.handler)(Request{}, [&body](Response response) { body = response.body; });
  return body;
}

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() {
    router_.add("GET", "/healthz", named("health"));
    router_.add("GET", "/v1/rooms", named("list"));
    router_.add("POST", "/v1/rooms", named("create"));
    router_.add("GET", "/v1/rooms/{id}", named("get"));
    router_.add("DELETE", "/v1/rooms/{id}", named("delete"));
    router_.add("GET", "/v1/rooms/search", named("search"));
    router_.add("POST", "/v1/rooms/{room_id}/tokens/{identity}", named("token"));
  }
  Router router_;
};

TEST_F(RouterTest, MatchesLiteralPaths) {
  const auto match = router_.match("GET", "/healthz");
  ASSERT_NE(match.handler, nullptr);
  EXPECT_EQ(match.pattern, "/healthz");
  EXPECT_TRUE(match.params.empty());
  EXPECT_EQ(call(match), "health");
}

TEST_F(RouterTest, SelectsByMethod) {
  EXPECT_EQ(call(router_.match("GET", "/v1/rooms")), "list");
  EXPECT_EQ(call(router_.match("POST", "/v1/rooms")), "create");
}

TEST_F(RouterTest, CapturesSegments) {
  const auto match = router_.match("POST", "/v1/rooms/rm_1/tokens/alice");
  ASSERT_NE(match.handler, nullptr);
  EXPECT_EQ(match.pattern, "/v1/rooms/{room_id}/tokens/{identity}");
  EXPECT_EQ(match.params.at("room_id"), "rm_1");
  EXPECT_EQ(match.params.at("identity"), "alice");
}

TEST_F(RouterTest, LiteralBeatsCapture) {
  EXPECT_EQ(call(router_.match("GET", "/v1/rooms/search")), "search");
  EXPECT_EQ(call(router_.match("GET", "/v1/rooms/other")), "get");
}

TEST_F(RouterTest, NoMatchIsNotFound) {
  for (const char* path : {"/", "/nope", "/v1", "/v1/rooms/a/b", "/healthz/x", "healthz", ""}) {
    const auto match = router_.match("GET", path);
    EXPECT_EQ(match.handler, nullptr) << path;
    EXPECT_EQ(match.pattern, "") << path;
    EXPECT_TRUE(match.allowed_methods.empty()) << path;
  }
}

TEST_F(RouterTest, OtherMethodIsMethodNotAllowedWithSortedAllowList) {
  const auto match = router_.match("PUT", "/v1/rooms/rm_1");
  EXPECT_EQ(match.handler, nullptr);
  EXPECT_EQ(match.allowed_methods, (std::vector<std::string>{"DELETE", "GET"}));

  // "/v1/rooms/search" is GET (literal) and also matches DELETE /v1/rooms/{id}.
  const auto search = router_.match("POST", "/v1/rooms/search");
  EXPECT_EQ(search.allowed_methods, (std::vector<std::string>{"DELETE", "GET"}));
}

TEST_F(RouterTest, MethodsAreCaseSensitive) {
  const auto match = router_.match("get", "/healthz");
  EXPECT_EQ(match.handler, nullptr);
  EXPECT_EQ(match.allowed_methods, (std::vector<std::string>{"GET"}));
}

TEST_F(RouterTest, DecodesCapturesAfterSplitting) {
  const auto spaced = router_.match("GET", "/v1/rooms/a%20b");
  ASSERT_NE(spaced.handler, nullptr);
  EXPECT_EQ(spaced.params.at("id"), "a b");

  // An encoded slash stays inside its segment.
  const auto slashed = router_.match("GET", "/v1/rooms/a%2Fb");
  ASSERT_NE(slashed.handler, nullptr);
  EXPECT_EQ(slashed.params.at("id"), "a/b");
}

TEST_F(RouterTest, ComparesLiteralsAfterDecoding) {
  EXPECT_EQ(call(router_.match("GET", "/v1/r%6Foms")), "list");
}

TEST_F(RouterTest, MalformedEscapeMatchesNothing) {
  const auto match = router_.match("GET", "/v1/rooms/%zz");
  EXPECT_EQ(match.handler, nullptr);
  EXPECT_TRUE(match.allowed_methods.empty());
}

TEST_F(RouterTest, TrailingSlashIsADifferentPath) {
  EXPECT_EQ(router_.match("GET", "/healthz/").handler, nullptr);
  EXPECT_EQ(router_.match("GET", "/v1/rooms/").handler, nullptr);  // empty capture: no match
  EXPECT_EQ(router_.match("GET", "/v1//rooms").handler, nullptr);
}

TEST_F(RouterTest, ListsRoutesInRegistrationOrder) {
  const auto routes = router_.routes();
  ASSERT_EQ(routes.size(), 7u);
  EXPECT_EQ(routes.front(), (std::pair<std::string, std::string>{"GET", "/healthz"}));
  EXPECT_EQ(routes.back(),
            (std::pair<std::string, std::string>{"POST", "/v1/rooms/{room_id}/tokens/{identity}"}));
}

TEST(Router, RootAndExplicitTrailingSlash) {
  Router router;
  router.add("GET", "/", named("root"));
  router.add("GET", "/docs/", named("docs"));
  EXPECT_EQ(call(router.match("GET", "/")), "root");
  EXPECT_EQ(call(router.match("GET", "/docs/")), "docs");
  EXPECT_EQ(router.match("GET", "/docs").handler, nullptr);
}

TEST(Router, RejectsMalformedAndDuplicatePatterns) {
  Router router;
  router.add("GET", "/v1/rooms/{id}", named("a"));
  EXPECT_THROW(router.add("GET", "/v1/rooms/{other}", named("b")), std::logic_error);
  EXPECT_NO_THROW(router.add("PUT", "/v1/rooms/{id}", named("c")));
  for (const char* pattern : {"", "v1/rooms", "/v1/{}", "/v1/{id", "/v1/id}", "/v1/{a}{b}",
                              "/v1/{id}/{id}", "/v1/x{id}"}) {
    EXPECT_THROW(router.add("GET", pattern, named("x")), std::logic_error) << pattern;
  }
  EXPECT_THROW(router.add("", "/x", named("x")), std::logic_error);
}

}  // namespace
}  // namespace roomplane::http
