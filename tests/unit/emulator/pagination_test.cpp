// Twilio's paging envelope over real HTTP: walking next_page_url verbatim, previous pages,
// PageSize bounds, filter echo.

#include <set>

#include "unit/emulator/emulator_test_support.h"

namespace roomplane::emulator::test {
namespace {

using PaginationTest = EmulatorTest;

TEST_F(PaginationTest, WalkingNextPageUrlVisitsEveryRoomOnceNewestFirst) {
  std::vector<std::string> created;
  for (int i = 0; i < 121; ++i) {
    const auto reply = post("/v1/Rooms", {{"UniqueName", "room-" + std::to_string(i)}});
    ASSERT_EQ(reply.status, 201u);
    created.push_back(reply.body["sid"]);
  }
  std::vector<std::string> seen;
  std::string target = "/v1/Rooms?PageSize=50";
  int pages = 0;
  nlohmann::json second_page;
  while (true) {
    const auto reply = get(target);
    ASSERT_EQ(reply.status, 200u) << reply.raw;
    const auto& meta = reply.body["meta"];
    EXPECT_EQ(meta["page"], pages);
    EXPECT_EQ(meta["page_size"], 50);
    EXPECT_EQ(meta["key"], "rooms");
    EXPECT_EQ(meta["first_page_url"], base() + "/v1/Rooms?PageSize=50&Page=0");
    if (pages == 0) {
      EXPECT_TRUE(meta["previous_page_url"].is_null());
      EXPECT_EQ(meta["url"], base() + "/v1/Rooms?PageSize=50&Page=0");
    } else {
      EXPECT_FALSE(meta["previous_page_url"].is_null());
      EXPECT_EQ(meta["url"], base() + target);  // the URL we followed, verbatim
    }
    if (pages == 1)
      second_page = reply.body;
    for (const auto& room : reply.body["rooms"])
      seen.push_back(room["sid"]);
    ++pages;
    if (meta["next_page_url"].is_null())
      break;
    // Rooms created while walking must not disturb the walk (tokens are positions).
    if (pages == 1) {
      ASSERT_EQ(post("/v1/Rooms", {{"UniqueName", "late"}}).status, 201u);
    }
    target = local_target(meta["next_page_url"]);
    ASSERT_NE(target.find("Page=" + std::to_string(pages)), std::string::npos) << target;
    ASSERT_NE(target.find("PageToken="), std::string::npos) << target;
    ASSERT_LT(pages, 10);
  }
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(seen.size(), 121u);
  std::vector<std::string> newest_first(created.rbegin(), created.rend());
  EXPECT_EQ(seen, newest_first);

  // previous_page_url of page 2 leads back to exactly page 1's items.
  const auto third = get(target);
  const auto back = get(local_target(third.body["meta"]["previous_page_url"]));
  ASSERT_EQ(back.status, 200u);
  EXPECT_EQ(back.body["meta"]["page"], 1);
  EXPECT_EQ(back.body["rooms"], second_page["rooms"]);
}

TEST_F(PaginationTest, PageSizeBoundsAndDefaults) {
  for (int i = 0; i < 3; ++i)
    create_room();
  auto reply = get("/v1/Rooms");
  EXPECT_EQ(reply.body["meta"]["page_size"], 50);
  reply = get("/v1/Rooms?PageSize=5000");
  EXPECT_EQ(reply.body["meta"]["page_size"], 1000);
  reply = get("/v1/Compositions?PageSize=5000");
  EXPECT_EQ(reply.body["meta"]["page_size"], 100);
  reply = get("/v1/Recordings?PageSize=101");
  EXPECT_EQ(reply.body["meta"]["page_size"], 100);
  expect_twilio_error(get("/v1/Rooms?PageSize=0"), 400, 20001);
  expect_twilio_error(get("/v1/Rooms?PageSize=ten"), 400, 20001);
  expect_twilio_error(get("/v1/Rooms?PageToken=garbage"), 400, 20001);
  reply = get("/v1/Rooms?PageSize=2");
  EXPECT_EQ(reply.body["rooms"].size(), 2u);
  EXPECT_FALSE(reply.body["meta"]["next_page_url"].is_null());
  reply = get(local_target(reply.body["meta"]["next_page_url"]));
  EXPECT_EQ(reply.body["rooms"].size(), 1u);
  EXPECT_TRUE(reply.body["meta"]["next_page_url"].is_null());
}

TEST_F(PaginationTest, FiltersAreEchoedFirstAndEncoded) {
  for (int i = 0; i < 3; ++i) {
    create_room();
    ASSERT_EQ(complete(get("/v1/Rooms").body["rooms"][0]["sid"].get<std::string>()).status, 202u);
  }
  const auto reply =
      get("/v1/Rooms?Status=completed&DateCreatedAfter=2017-01-01T00%3A00%3A01Z&PageSize=2");
  ASSERT_EQ(reply.status, 200u) << reply.raw;
  const auto& meta = reply.body["meta"];
  EXPECT_EQ(meta["first_page_url"],
            base() +
                "/v1/Rooms?Status=completed&DateCreatedAfter=2017-01-01T00%3A00%3A01Z&PageSize=2"
                "&Page=0");
  const std::string next = meta["next_page_url"];
  EXPECT_EQ(next.rfind(base() + "/v1/Rooms?Status=completed&DateCreatedAfter=2017-01-01T00%3A00%"
                                "3A01Z&PageSize=2&Page=1&PageToken=",
                       0),
            0u)
      << next;
  const auto second = get(local_target(next));
  EXPECT_EQ(second.body["rooms"].size(), 1u);
  EXPECT_EQ(second.body["rooms"][0]["status"], "completed");
}

}  // namespace
}  // namespace roomplane::emulator::test
