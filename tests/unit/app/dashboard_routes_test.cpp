// The coordinator dashboard is served from the binary: each route answers its file's exact bytes
// (the SignalR client byte for byte as npm installed it), with the right Content-Type, caching
// headers and, on the HTML, the Content-Security-Policy; the page only references what is served.

#include "app/dashboard_routes.h"

#include <fstream>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <utility>

#include <gtest/gtest.h>

namespace roomplane::app {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::optional<std::string> header(const http::Response& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name)
      return value;
  }
  return std::nullopt;
}

class DashboardRoutes : public ::testing::Test {
 protected:
  DashboardRoutes() { add_dashboard_routes(router_); }

  http::Response get(const std::string& path, http::Headers headers = {}) {
    auto match = router_.match("GET", path);
    EXPECT_NE(match.handler, nullptr) << "GET " << path << " is not routed";
    http::Response response;
    response.status = 0;
    if (match.handler == nullptr)
      return response;
    http::Request request;
    request.method = "GET";
    request.target = request.path = path;
    request.headers = std::move(headers);
    (*match.handler)(std::move(request), [&](http::Response r) { response = std::move(r); });
    return response;
  }

  http::Router router_;
};

struct Expected {
  std::string path;
  std::string source;
  std::string content_type;
};

const std::vector<Expected>& expected_files() {
  static const std::vector<Expected> files = {
      {"/", std::string(ROOMPLANE_WEB_DIR) + "/index.html", "text/html; charset=utf-8"},
      {"/dashboard.js", std::string(ROOMPLANE_WEB_DIR) + "/dashboard.js",
       "text/javascript; charset=utf-8"},
      {"/dashboard.css", std::string(ROOMPLANE_WEB_DIR) + "/dashboard.css",
       "text/css; charset=utf-8"},
      {"/vendor/signalr.min.js", ROOMPLANE_SIGNALR_BUNDLE, "text/javascript; charset=utf-8"},
  };
  return files;
}

TEST_F(DashboardRoutes, RegistersExactlyTheFourGetRoutes) {
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"GET", "/"},
      {"GET", "/dashboard.js"},
      {"GET", "/dashboard.css"},
      {"GET", "/vendor/signalr.min.js"},
  };
  EXPECT_EQ(router_.routes(), expected);
}

TEST_F(DashboardRoutes, ServesEachFileByteForByteWithItsContentType) {
  for (const auto& file : expected_files()) {
    SCOPED_TRACE(file.path);
    const auto response = get(file.path);
    EXPECT_EQ(response.status, 200u);
    EXPECT_EQ(response.content_type, file.content_type);
    const auto source = read_file(file.source);
    ASSERT_FALSE(source.empty());
    EXPECT_TRUE(response.body == source) << "served " << response.body.size() << " bytes, "
                                         << file.source << " has " << source.size();
    EXPECT_EQ(header(response, "Cache-Control"), "no-cache");
    EXPECT_EQ(header(response, "X-Content-Type-Options"), "nosniff");
    const auto etag = header(response, "ETag");
    ASSERT_TRUE(etag);
    EXPECT_TRUE(std::regex_match(*etag, std::regex("\"[0-9a-f]{32}\""))) << *etag;
  }
}

TEST_F(DashboardRoutes, TheBundleIsTheOfficialSignalRClient) {
  const auto body = get("/vendor/signalr.min.js").body;
  // The UMD bundle defines window.signalR with the builder the page uses.
  EXPECT_NE(body.find("signalR"), std::string::npos);
  EXPECT_NE(body.find("HubConnectionBuilder"), std::string::npos);
  EXPECT_GT(body.size(), 20'000u);
}

TEST_F(DashboardRoutes, HtmlCarriesAStrictContentSecurityPolicy) {
  const auto response = get("/");
  const auto csp = header(response, "Content-Security-Policy");
  ASSERT_TRUE(csp);
  EXPECT_EQ(*csp, kDashboardContentSecurityPolicy);
  EXPECT_NE(csp->find("default-src 'none'"), std::string::npos);
  EXPECT_NE(csp->find("script-src 'self';"), std::string::npos);
  EXPECT_NE(csp->find("connect-src 'self' ws: wss:;"), std::string::npos);
  EXPECT_NE(csp->find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_EQ(csp->find("unsafe"), std::string::npos);
  EXPECT_EQ(header(response, "Referrer-Policy"), "no-referrer");
  EXPECT_EQ(header(response, "X-Frame-Options"), "DENY");
  // Scripts and styles are files, not markup: nothing there needs a policy entry.
  EXPECT_FALSE(header(get("/dashboard.js"), "Content-Security-Policy"));
}

TEST_F(DashboardRoutes, ThePageReferencesOnlyServedFilesAndHasNoInlineScript) {
  const auto html = get("/").body;
  const std::regex reference(R"re((?:src|href)="([^"]*)")re");
  std::set<std::string> referenced;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), reference);
       it != std::sregex_iterator(); ++it) {
    referenced.insert((*it)[1].str());
  }
  const std::set<std::string> expected = {"/dashboard.css", "/vendor/signalr.min.js",
                                          "/dashboard.js", "data:,"};
  EXPECT_EQ(referenced, expected);
  for (const auto& path : referenced) {
    if (path.starts_with("/")) {
      EXPECT_EQ(get(path).status, 200u) << path;
    }
  }
  // CSP script-src 'self' blocks inline scripts and handlers: every script has a src, no on*=.
  const std::regex script_tag("<script([^>]*)>");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), script_tag);
       it != std::sregex_iterator(); ++it) {
    EXPECT_NE((*it)[1].str().find("src=\"/"), std::string::npos) << (*it)[0].str();
  }
  EXPECT_FALSE(std::regex_search(html, std::regex(R"(\son[a-z]+=)"))) << "inline event handler";
  EXPECT_EQ(html.find("<style"), std::string::npos);
  EXPECT_EQ(html.find("style=\""), std::string::npos);
}

TEST_F(DashboardRoutes, AnswersNotModifiedToAMatchingIfNoneMatch) {
  const auto first = get("/dashboard.js");
  const auto etag = header(first, "ETag").value_or("");
  ASSERT_FALSE(etag.empty());

  for (const auto& value : {etag, "W/" + etag, "\"other\", " + etag, std::string("*")}) {
    SCOPED_TRACE(value);
    const auto again = get("/dashboard.js", {{"If-None-Match", value}});
    EXPECT_EQ(again.status, 304u);
    EXPECT_TRUE(again.body.empty());
    EXPECT_EQ(header(again, "ETag"), etag);
    EXPECT_EQ(header(again, "Cache-Control"), "no-cache");
  }
  const auto changed = get("/dashboard.js", {{"If-None-Match", "\"0123\""}});
  EXPECT_EQ(changed.status, 200u);
  EXPECT_EQ(changed.body, first.body);
  // Each file has its own tag.
  EXPECT_NE(header(get("/dashboard.css"), "ETag"), etag);
}

}  // namespace
}  // namespace roomplane::app
