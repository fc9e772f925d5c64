#include "http/handler.h"

#include <future>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

namespace roomplane::http {
namespace {

std::string header_value(const Response& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name)
      return value;
  }
  return {};
}

Request request_with_id(std::string id) {
  Request request;
  request.request_id = std::move(id);
  return request;
}

TEST(InlineHandler, RunsOnTheCallingThread) {
  std::thread::id ran_on;
  auto handler = inline_handler([&ran_on](const Request& request) {
    ran_on = std::this_thread::get_id();
    return Response::json(200, {{"id", request.request_id}});
  });
  Response got;
  handler(request_with_id("req_1"), [&got](Response response) { got = std::move(response); });
  EXPECT_EQ(ran_on, std::this_thread::get_id());
  EXPECT_EQ(got.status, 200u);
  EXPECT_EQ(nlohmann::json::parse(got.body)["id"], "req_1");
}

TEST(InlineHandler, ExceptionBecomesInternalErrorWithoutDetails) {
  auto handler = inline_handler(
      [](const Request&) -> Response { throw std::runtime_error("password=hunter2 leaked"); });
  Response got;
  handler(request_with_id("req_42"), [&got](Response response) { got = std::move(response); });
  EXPECT_EQ(got.status, 500u);
  const auto body = nlohmann::json::parse(got.body);
  EXPECT_EQ(body["error"]["code"], "internal");
  EXPECT_NE(body["error"]["message"].get<std::string>().find("req_42"), std::string::npos);
  EXPECT_EQ(got.body.find("hunter2"), std::string::npos);
  // The detail travels to the access log only.
  EXPECT_NE(header_value(got, kErrorDetailHeader).find("hunter2"), std::string::npos);
}

TEST(Blocking, RunsOnThePoolAndAnswersFromThere) {
  core::WorkPool pool(1);
  auto handler = blocking(pool, [](const Request&) {
    return Response::json(200, {{"thread_differs", true}});
  });
  std::promise<std::pair<Response, std::thread::id>> answered;
  handler(Request{}, [&answered](Response response) {
    answered.set_value({std::move(response), std::this_thread::get_id()});
  });
  auto future = answered.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  const auto [response, thread] = future.get();
  EXPECT_EQ(response.status, 200u);
  EXPECT_NE(thread, std::this_thread::get_id());
}

TEST(Blocking, ExceptionBecomesInternalError) {
  core::WorkPool pool(1);
  auto handler = blocking(pool, [](const Request&) -> Response { throw 7; });
  std::promise<Response> answered;
  handler(request_with_id("req_7"),
          [&answered](Response response) { answered.set_value(std::move(response)); });
  auto future = answered.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  const auto response = future.get();
  EXPECT_EQ(response.status, 500u);
  EXPECT_EQ(nlohmann::json::parse(response.body)["error"]["code"], "internal");
}

TEST(Blocking, StoppedPoolDropsTheTaskAndItsResponder) {
  core::WorkPool pool(1);
  pool.stop();
  auto handler = blocking(pool, [](const Request&) { return Response::no_content(); });
  bool called = false;
  auto alive = std::make_shared<int>(0);
  std::weak_ptr<int> watch = alive;
  handler(Request{}, [&called, keep = std::move(alive)](Response) { called = true; });
  EXPECT_FALSE(called);
  EXPECT_TRUE(watch.expired());  // the server's Responder would answer 500 from its destructor
}

}  // namespace
}  // namespace roomplane::http
