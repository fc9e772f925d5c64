#pragma once
// Shared by the emulator tests: a CallbackSink that records, and a fixture running a real
// Emulator on 127.0.0.1 port 0 with a ManualClock and no ticker thread (tests call tick()), plus
// small HTTP helpers speaking Twilio's wire format (Basic auth, form bodies).

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "crypto/crypto.h"
#include "emulator/callback_sink.h"
#include "emulator/emulator.h"
#include "emulator/request_gate.h"
#include "http/form.h"
#include "observability/metrics.h"
#include "support/manual_clock.h"
#include "unit/http/test_client.h"

namespace roomplane::emulator::test {

inline constexpr std::string_view kCallbackUrl = "https://hooks.example.com/twilio/room";

// Records every callback, thread-safe.
class RecordingSink final : public CallbackSink {
 public:
  void enqueue(Callback cb) override {
    std::lock_guard lock(mutex_);
    callbacks_.push_back(std::move(cb));
  }
  std::vector<Callback> all() const {
    std::lock_guard lock(mutex_);
    return callbacks_;
  }
  // Callbacks with this ordering key (room or composition SID), in enqueue order.
  std::vector<Callback> for_key(std::string_view key) const {
    std::vector<Callback> out;
    for (auto& cb : all()) {
      if (cb.room_sid == key)
        out.push_back(cb);
    }
    return out;
  }
  std::vector<std::string> events(std::string_view key) const;
  void clear() {
    std::lock_guard lock(mutex_);
    callbacks_.clear();
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Callback> callbacks_;
};

// The value of a callback parameter; "<absent>" when missing.
inline std::string param(const Callback& cb, std::string_view name) {
  for (const auto& [n, v] : cb.params) {
    if (n == name)
      return v;
  }
  return "<absent>";
}

inline bool has_param(const Callback& cb, std::string_view name) {
  for (const auto& [n, v] : cb.params) {
    if (n == name)
      return true;
  }
  return false;
}

inline std::vector<std::string> RecordingSink::events(std::string_view key) const {
  std::vector<std::string> out;
  for (const auto& cb : for_key(key))
    out.push_back(param(cb, "StatusCallbackEvent"));
  return out;
}

struct Credentials {
  std::string username;
  std::string password;
};

struct Reply {
  unsigned status = 0;
  nlohmann::json body;  // parsed JSON; null when the body is not JSON
  std::string raw;
  http::testing::HttpResponse response;
  std::string header(std::string_view name) const {
    return http::testing::header_of(response, name);
  }
};

class EmulatorTest : public ::testing::Test {
 protected:
  static EmulatorOptions test_options() {
    EmulatorOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.threads = 2;
    options.workers = 2;
    options.ticker_interval = std::chrono::milliseconds(0);
    options.state.seed = 7;
    return options;
  }

  void SetUp() override { start(test_options()); }
  void TearDown() override {
    if (emulator_)
      emulator_->stop();
  }

  void start(EmulatorOptions options) {
    if (emulator_)
      emulator_->stop();
    emulator_ = std::make_unique<Emulator>(std::move(options), clock_, sink_, gate(), metrics_,
                                           observability::Logger{});
    const auto status = emulator_->start();
    ASSERT_TRUE(status.ok()) << status.error().message;
    auto account = emulator_->create_account();
    ASSERT_TRUE(account.ok());
    account_ = *account;
  }

  virtual RequestGate& gate() { return no_faults_; }

  Credentials account_auth() const { return {account_.account_sid, account_.auth_token}; }
  Credentials key_auth() const { return {account_.api_key_sid, account_.api_key_secret}; }

  Reply request(http::testing::bhttp::verb verb, std::string_view target, std::string body,
                const std::optional<Credentials>& auth, std::string content_type) {
    http::testing::TestClient client(emulator_->port());
    std::vector<std::pair<std::string, std::string>> headers;
    if (auth) {
      headers.emplace_back("Authorization",
                           "Basic " + crypto::base64_encode(auth->username + ":" + auth->password));
    }
    if (!content_type.empty())
      headers.emplace_back("Content-Type", content_type);
    Reply reply;
    reply.response = client.request(verb, target, std::move(body), headers);
    reply.status = reply.response.result_int();
    reply.raw = reply.response.body();
    reply.body = nlohmann::json::parse(reply.raw, nullptr, false);
    if (reply.body.is_discarded())
      reply.body = nullptr;
    return reply;
  }

  Reply get(std::string_view target, std::optional<Credentials> auth = std::nullopt) {
    return request(http::testing::bhttp::verb::get, target, {},
                   auth ? auth : std::optional<Credentials>(account_auth()), "");
  }
  Reply post(std::string_view target, const http::FormParams& form,
             std::optional<Credentials> auth = std::nullopt) {
    return request(http::testing::bhttp::verb::post, target, http::encode_form(form),
                   auth ? auth : std::optional<Credentials>(account_auth()),
                   "application/x-www-form-urlencoded");
  }
  Reply del(std::string_view target, std::optional<Credentials> auth = std::nullopt) {
    return request(http::testing::bhttp::verb::delete_, target, {},
                   auth ? auth : std::optional<Credentials>(account_auth()), "");
  }
  // Control API: no auth, JSON body.
  Reply control(http::testing::bhttp::verb verb, std::string_view target,
                const nlohmann::json& body = nullptr) {
    return request(verb, target, body.is_null() ? std::string() : body.dump(), std::nullopt,
                   body.is_null() ? "" : "application/json");
  }
  Reply control_post(std::string_view target, const nlohmann::json& body = nullptr) {
    return control(http::testing::bhttp::verb::post, target, body);
  }

  // A room with the test callback URL; asserts 201 and returns its JSON.
  nlohmann::json create_room(http::FormParams params = {}) {
    bool has_callback = false;
    for (const auto& [n, v] : params)
      has_callback = has_callback || n == "StatusCallback";
    if (!has_callback)
      params.emplace_back("StatusCallback", std::string(kCallbackUrl));
    auto reply = post("/v1/Rooms", params);
    EXPECT_EQ(reply.status, 201u) << reply.raw;
    return reply.body;
  }
  nlohmann::json connect(std::string_view room, std::string_view identity) {
    auto reply = control_post("/_emulator/rooms/" + std::string(room) + "/participants",
                              {{"identity", identity}});
    EXPECT_EQ(reply.status, 201u) << reply.raw;
    return reply.body;
  }
  nlohmann::json publish(std::string_view room, std::string_view identity, std::string_view kind,
                         std::string_view name) {
    auto reply = control_post("/_emulator/rooms/" + std::string(room) + "/participants/" +
                                  std::string(identity) + "/tracks",
                              {{"kind", kind}, {"name", name}});
    EXPECT_EQ(reply.status, 201u) << reply.raw;
    return reply.body;
  }
  Reply disconnect(std::string_view room, std::string_view identity) {
    return control_post("/_emulator/rooms/" + std::string(room) + "/participants/" +
                        std::string(identity) + "/disconnect");
  }
  Reply complete(std::string_view room) {
    return post("/v1/Rooms/" + std::string(room), {{"Status", "completed"}});
  }
  // The path + query of an absolute URL the emulator produced (to follow it verbatim).
  std::string local_target(const std::string& url) const {
    const std::string base = emulator_->base_url();
    EXPECT_EQ(url.rfind(base, 0), 0u) << url;
    return url.substr(base.size());
  }
  std::string base() const { return emulator_->base_url(); }

  // Twilio error body check.
  static void expect_twilio_error(const Reply& reply, unsigned status, int code) {
    EXPECT_EQ(reply.status, status) << reply.raw;
    ASSERT_TRUE(reply.body.is_object()) << reply.raw;
    EXPECT_EQ(reply.body.value("code", 0), code) << reply.raw;
    EXPECT_EQ(reply.body.value("status", 0u), status) << reply.raw;
    EXPECT_EQ(reply.body.value("more_info", ""),
              "https://www.twilio.com/docs/errors/" + std::to_string(code));
    EXPECT_TRUE(reply.body.contains("message"));
  }

  // Declared before emulator_ so they outlive it.
  testing::ManualClock clock_;
  RecordingSink sink_;
  NoFaults no_faults_;
  observability::MetricsRegistry metrics_;
  std::unique_ptr<Emulator> emulator_;
  AccountCredentials account_;
};

}  // namespace roomplane::emulator::test
