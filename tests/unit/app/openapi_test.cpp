// GET /openapi.json is the document in api/openapi.json, and it lists exactly the routes the
// server routes: a route added without documenting it, or documented but gone, fails here.

#include "app/openapi.h"

#include <algorithm>
#include <set>
#include <string>
#include <utility>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "app/app.h"
#include "observability/log.h"
#include "support/temp_dir.h"

namespace roomplane::app {
namespace {

using RouteSet = std::set<std::pair<std::string, std::string>>;

RouteSet documented_routes(const nlohmann::json& document) {
  RouteSet routes;
  for (const auto& [path, operations] : document.at("paths").items()) {
    for (const auto& [method, operation] : operations.items()) {
      std::string upper = method;
      std::transform(upper.begin(), upper.end(), upper.begin(),
                     [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
      routes.emplace(upper, path);
    }
  }
  return routes;
}

std::string describe(const RouteSet& routes) {
  std::string out;
  for (const auto& [method, path] : routes)
    out += "  " + method + " " + path + "\n";
  return out;
}

TEST(OpenApi, DocumentIsOpenApi3WithSchemasForErrors) {
  const auto document = nlohmann::json::parse(openapi_document(), nullptr, false);
  ASSERT_FALSE(document.is_discarded()) << "api/openapi.json is not valid JSON";
  EXPECT_TRUE(document.at("openapi").get<std::string>().starts_with("3."));
  EXPECT_TRUE(document.at("components").at("schemas").contains("Error"));
}

TEST(OpenApi, EveryRoutedPathIsDocumentedAndViceVersa) {
  testing::TempDir dir;
  Config config;
  config.db_url = "sqlite:" + dir.file("roomplane.db");
  config.listen = {"127.0.0.1", 0};
  config.emulator_listen = {"127.0.0.1", 0};
  config.demo_tenant = false;
  observability::Logging logging(observability::LogLevel::kOff);
  auto app = App::create(config, {.clock = nullptr, .logging = &logging});
  ASSERT_TRUE(app.ok()) << app.error().message;
  ASSERT_TRUE((*app)->start().ok());

  RouteSet routed;
  for (auto& route : (*app)->routes())
    routed.insert(std::move(route));
  const auto documented =
      documented_routes(nlohmann::json::parse(openapi_document(), nullptr, false));

  RouteSet undocumented, stale;
  std::set_difference(routed.begin(), routed.end(), documented.begin(), documented.end(),
                      std::inserter(undocumented, undocumented.end()));
  std::set_difference(documented.begin(), documented.end(), routed.begin(), routed.end(),
                      std::inserter(stale, stale.end()));
  EXPECT_TRUE(undocumented.empty()) << "routed but missing from api/openapi.json:\n"
                                    << describe(undocumented);
  EXPECT_TRUE(stale.empty()) << "in api/openapi.json but not routed:\n" << describe(stale);
  EXPECT_GE(routed.size(), 5u);
}

TEST(OpenApi, RouteServesTheDocumentAsJson) {
  http::Router router;
  add_openapi_route(router);
  auto match = router.match("GET", "/openapi.json");
  ASSERT_NE(match.handler, nullptr);
  http::Response response;
  (*match.handler)(http::Request{}, [&](http::Response r) { response = std::move(r); });
  EXPECT_EQ(response.status, 200u);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(response.body, openapi_document());
}

}  // namespace
}  // namespace roomplane::app
