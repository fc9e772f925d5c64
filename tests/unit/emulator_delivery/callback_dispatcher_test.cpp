// CallbackDispatcher against a real loopback receiver that verifies every X-Twilio-Signature.
// Timing assertions are lower bounds or generous upper bounds only, so a loaded machine cannot
// make them flaky.

#include "emulator/callback_dispatcher.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "http/curl_client.h"
#include "unit/emulator_delivery/delivery_support.h"

namespace roomplane::emulator {
namespace {

using namespace std::chrono_literals;
using testing::BeastHttpClient;
using testing::BlackHole;
using testing::CountingClient;
using testing::Received;
using testing::Receiver;

constexpr const char* kToken = "auth_token_0123456789abcdef0123";
constexpr auto kWait = 10s;  // upper bound for "eventually"; tests finish far sooner

DispatcherOptions fast_options() {
  DispatcherOptions options;
  options.workers = 2;
  options.retry.max_attempts = 3;
  options.retry.initial_backoff = 10ms;
  options.retry.max_backoff = 40ms;
  options.connect_timeout = 1s;
  options.request_timeout = 2s;
  options.reorder_window = 500ms;
  options.drain_timeout = 2s;
  return options;
}

Callback make_callback(const Receiver& receiver, const std::string& key, int seq,
                       const std::string& path = "/cb/rooms", std::string method = "POST") {
  Callback cb;
  cb.url = receiver.url(path);
  cb.method = std::move(method);
  cb.auth_token = kToken;
  cb.room_sid = key;
  cb.params = {{"AccountSid", "AC00000000000000000000000000000001"},
               {"RoomSid", key},
               {"StatusCallbackEvent", "participant-connected"},
               {"SequenceNumber", std::to_string(seq)}};
  return cb;
}

std::vector<std::string> sequence_of(const std::vector<Received>& received,
                                     const std::string& key = "") {
  std::vector<std::string> out;
  for (const auto& r : received) {
    if (key.empty() || r.param("RoomSid") == key)
      out.push_back(r.param("SequenceNumber"));
  }
  return out;
}

std::vector<std::string> numbers(int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i < to; ++i)
    out.push_back(std::to_string(i));
  return out;
}

class DispatcherTest : public ::testing::Test {
 protected:
  std::unique_ptr<CallbackDispatcher> make(DispatcherOptions options = fast_options()) {
    return std::make_unique<CallbackDispatcher>(client_, metrics_, observability::Logger{},
                                                options);
  }
  double callbacks_total(const std::string& event, const std::string& outcome) {
    return metrics_
        .counter("roomplane_emulator_callbacks_total", "", {{"event", event}, {"outcome", outcome}})
        .value();
  }
  void expect_all_signed(const std::vector<Received>& received) {
    for (const auto& r : received)
      EXPECT_TRUE(r.signature_ok) << r.method << " " << r.url;
  }

  Receiver receiver_{kToken};
  BeastHttpClient client_;
  observability::MetricsRegistry metrics_;
};

TEST_F(DispatcherTest, PostCarriesExactParamsHeadersAndSignature) {
  auto dispatcher = make();
  dispatcher->start();
  Callback cb;
  cb.url = receiver_.url("/cb/post?tenant=t%201&x=1+2");
  cb.method = "POST";
  cb.auth_token = kToken;
  cb.room_sid = "RM1";
  cb.params = {{"RoomName", "Dr. Müller & Co / 50% +off"},
               {"StatusCallbackEvent", "room-created"},
               {"Empty", ""},
               {"AccountSid", "AC1"},
               {"Tag", "b"},
               {"Tag", "a"}};
  const auto expected_params = cb.params;
  const auto expected_url = cb.url;
  dispatcher->enqueue(cb);
  ASSERT_TRUE(dispatcher->flush(kWait));

  const auto received = receiver_.received();
  ASSERT_EQ(received.size(), 1u);
  const auto& r = received[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, expected_url);
  EXPECT_EQ(r.params, expected_params);  // order and repeats kept
  EXPECT_EQ(r.body, http::encode_form(expected_params));
  EXPECT_EQ(r.header("Content-Type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(r.header("User-Agent"), "TwilioProxy/1.1");
  EXPECT_EQ(r.header("I-Twilio-Idempotency-Token").size(), 32u);
  EXPECT_EQ(r.header("X-Twilio-Signature"),
            twilio::compute_signature(kToken, expected_url, expected_params));
  EXPECT_TRUE(r.signature_ok);
  EXPECT_FALSE(
      twilio::validate_signature("other-token", r.url, r.params, r.header("X-Twilio-Signature")));
  EXPECT_EQ(callbacks_total("room-created", "delivered"), 1.0);
  EXPECT_EQ(dispatcher->counts().delivered, 1u);
}

TEST_F(DispatcherTest, GetCarriesParamsInQueryAndSignsTheFullUrl) {
  auto dispatcher = make();
  dispatcher->start();
  Callback cb;
  cb.url = receiver_.url("/cb/get?tenant=a");
  cb.method = "GET";
  cb.auth_token = kToken;
  cb.room_sid = "RM1";
  cb.params = {{"StatusCallbackEvent", "room-ended"}, {"RoomName", "a b&c"}, {"RoomSid", "RM1"}};
  dispatcher->enqueue(cb);

  Callback bare = cb;  // a URL without a query gets "?" rather than "&"
  bare.url = receiver_.url("/cb/get2#fragment-is-not-sent");
  dispatcher->enqueue(bare);
  ASSERT_TRUE(dispatcher->flush(kWait));

  const auto received = receiver_.received();
  ASSERT_EQ(received.size(), 2u);
  const std::string expected_url = receiver_.url(
      "/cb/get?tenant=a&StatusCallbackEvent=room-ended&RoomName=a%20b%26c&RoomSid=RM1");
  EXPECT_EQ(received[0].method, "GET");
  EXPECT_EQ(received[0].url, expected_url);
  EXPECT_TRUE(received[0].body.empty());
  EXPECT_EQ(received[0].header("X-Twilio-Signature"),
            twilio::compute_signature(kToken, expected_url, {}));
  EXPECT_TRUE(received[0].signature_ok);
  EXPECT_EQ(received[0].header("User-Agent"), "TwilioProxy/1.1");
  EXPECT_EQ(received[1].url,
            receiver_.url("/cb/get2?StatusCallbackEvent=room-ended&RoomName=a%20b%26"
                          "c&RoomSid=RM1"));
  EXPECT_TRUE(received[1].signature_ok);
  EXPECT_NE(received[0].header("I-Twilio-Idempotency-Token"),
            received[1].header("I-Twilio-Idempotency-Token"));
}

TEST_F(DispatcherTest, KeepsEnqueueOrderPerKeyWithoutFaults) {
  auto dispatcher = make();
  dispatcher->start();
  const std::vector<std::string> keys = {"RMa", "RMb", "RMc"};
  for (int i = 0; i < 30; ++i) {
    for (const auto& key : keys)
      dispatcher->enqueue(make_callback(receiver_, key, i));
  }
  ASSERT_TRUE(dispatcher->flush(kWait));
  const auto received = receiver_.received();
  ASSERT_EQ(received.size(), 90u);
  expect_all_signed(received);
  for (const auto& key : keys)
    EXPECT_EQ(sequence_of(received, key), numbers(0, 30)) << key;
  std::set<std::string> tokens;
  for (const auto& r : received)
    tokens.insert(r.header("I-Twilio-Idempotency-Token"));
  EXPECT_EQ(tokens.size(), 90u);
  EXPECT_EQ(dispatcher->counts().queued, 0u);
  EXPECT_EQ(metrics_.gauge("roomplane_emulator_callbacks_queued", "").value(), 0.0);
  EXPECT_EQ(metrics_.histogram("roomplane_emulator_callback_delivery_seconds", "").count(), 90u);
}

TEST_F(DispatcherTest, RetriesServerErrorsThenDeliversOnce) {
  receiver_.script("/cb/flaky", {500, 503});
  auto dispatcher = make();
  dispatcher->start();
  dispatcher->enqueue(make_callback(receiver_, "RM1", 1, "/cb/flaky"));
  dispatcher->enqueue(make_callback(receiver_, "RM1", 2, "/cb/flaky"));
  ASSERT_TRUE(dispatcher->flush(kWait));

  const auto received = receiver_.received();
  ASSERT_EQ(received.size(), 4u);  // 500, 503, 200 for the first; 200 for the second
  EXPECT_EQ(sequence_of(received), (std::vector<std::string>{"1", "1", "1", "2"}));
  EXPECT_EQ(received[0].answered, 500u);
  EXPECT_EQ(received[2].answered, 200u);
  // A retry is the same callback: same token and signature.
  EXPECT_EQ(received[0].header("I-Twilio-Idempotency-Token"),
            received[2].header("I-Twilio-Idempotency-Token"));
  EXPECT_EQ(received[0].header("X-Twilio-Signature"), received[2].header("X-Twilio-Signature"));
  expect_all_signed(received);
  const auto counts = dispatcher->counts();
  EXPECT_EQ(counts.delivered, 2u);
  EXPECT_EQ(counts.failed, 0u);
  EXPECT_EQ(counts.retries, 2u);
  EXPECT_EQ(metrics_.counter("roomplane_emulator_callback_retries_total", "").value(), 2.0);
}

TEST_F(DispatcherTest, GivesUpAfterMaxAttempts) {
  receiver_.script("/cb/down", {500, 500, 500, 500});
  auto dispatcher = make();
  dispatcher->start();
  dispatcher->enqueue(make_callback(receiver_, "RM1", 1, "/cb/down"));
  ASSERT_TRUE(dispatcher->flush(kWait));
  EXPECT_EQ(receiver_.received().size(), 3u);
  EXPECT_EQ(dispatcher->counts().failed, 1u);
  EXPECT_EQ(callbacks_total("participant-connected", "failed"), 1.0);
}

TEST_F(DispatcherTest, ClientErrorsAreNotRetried) {
  receiver_.script("/cb/gone", {404});
  receiver_.script("/cb/bad", {400});
  auto dispatcher = make();
  dispatcher->start();
  dispatcher->enqueue(make_callback(receiver_, "RM1", 1, "/cb/gone"));
  dispatcher->enqueue(make_callback(receiver_, "RM2", 1, "/cb/bad"));
  ASSERT_TRUE(dispatcher->flush(kWait));
  EXPECT_EQ(receiver_.received().size(), 2u);
  const auto counts = dispatcher->counts();
  EXPECT_EQ(counts.failed, 2u);
  EXPECT_EQ(counts.retries, 0u);
}

TEST_F(DispatcherTest, NetworkErrorsAreRetriedThenFail) {
  CountingClient counting(client_);
  auto options = fast_options();
  CallbackDispatcher dispatcher(counting, metrics_, observability::Logger{}, options);
  dispatcher.start();
  Callback cb = make_callback(receiver_, "RM1", 1);
  cb.url = testing::refused_url();
  dispatcher.enqueue(cb);
  ASSERT_TRUE(dispatcher.flush(kWait));
  EXPECT_EQ(counting.calls.load(), 3);
  EXPECT_EQ(dispatcher.counts().failed, 1u);
  EXPECT_EQ(dispatcher.counts().retries, 2u);
}

TEST_F(DispatcherTest, UnknownEventsGetABoundedLabel) {
  auto dispatcher = make();
  dispatcher->start();
  Callback cb = make_callback(receiver_, "RM1", 1);
  cb.params[2].second = "made-up-event";
  dispatcher->enqueue(cb);
  ASSERT_TRUE(dispatcher->flush(kWait));
  EXPECT_EQ(callbacks_total("other", "delivered"), 1.0);
}

// The production transport: the same wire format and signatures through libcurl.
TEST_F(DispatcherTest, DeliversThroughTheCurlClient) {
  http::CurlRuntime runtime;
  http::CurlHttpClient curl(runtime);
  CallbackDispatcher dispatcher(curl, metrics_, observability::Logger{}, fast_options());
  dispatcher.start();
  Callback post = make_callback(receiver_, "RM1", 1, "/cb/curl?x=a%20b");
  post.params.emplace_back("RoomName", "Dr. Müller & Co");
  Callback get = post;
  get.method = "GET";
  get.room_sid = "RM2";
  receiver_.script("/cb/curl", {503});  // one retry over curl too
  dispatcher.enqueue(post);
  dispatcher.enqueue(get);
  ASSERT_TRUE(dispatcher.flush(kWait));
  const auto received = receiver_.received();
  ASSERT_EQ(received.size(), 3u);
  expect_all_signed(received);
  for (const auto& r : received) {
    EXPECT_EQ(r.header("User-Agent"), "TwilioProxy/1.1");
    EXPECT_EQ(r.header("Content-Type"), "application/x-www-form-urlencoded");
    EXPECT_EQ(r.param("RoomName"), "Dr. Müller & Co");
  }
  EXPECT_EQ(dispatcher.counts().delivered, 2u);
  EXPECT_EQ(dispatcher.counts().retries, 1u);
}

// --- faults at rate 1.0 ---

TEST_F(DispatcherTest, DropAtRateOneSendsNothing) {
  auto dispatcher = make();
  dispatcher->set_faults(1, {.drop_rate = 1.0});
  dispatcher->start();
  for (int i = 0; i < 10; ++i)
    dispatcher->enqueue(make_callback(receiver_, "RM1", i));
  ASSERT_TRUE(dispatcher->flush(kWait));
  EXPECT_TRUE(receiver_.received().empty());
  EXPECT_EQ(dispatcher->counts().dropped_by_fault, 10u);
  EXPECT_EQ(callbacks_total("participant-connected", "dropped_by_fault"), 10.0);
  EXPECT_EQ(
      metrics_.counter("roomplane_emulator_faults_injected_total", "", {{"fault", "callback_drop"}})
          .value(),
      10.0);
}

TEST_F(DispatcherTest, DuplicateAtRateOneSendsEachTwiceBackToBack) {
  auto dispatcher = make();
  dispatcher->set_faults(1, {.duplicate_rate = 1.0});
  dispatcher->start();
  for (int i = 0; i < 5; ++i)
    dispatcher->enqueue(make_callback(receiver_, "RM1", i));
  ASSERT_TRUE(dispatcher->flush(kWait));
  const auto received = receiver_.received();
  EXPECT_EQ(sequence_of(received),
            (std::vector<std::string>{"0", "0", "1", "1", "2", "2", "3", "3", "4", "4"}));
  ASSERT_EQ(received.size(), 10u);
  for (std::size_t i = 0; i < received.size(); i += 2) {
    EXPECT_EQ(received[i].header("I-Twilio-Idempotency-Token"),
              received[i + 1].header("I-Twilio-Idempotency-Token"));
    EXPECT_EQ(received[i].body, received[i + 1].body);
  }
  expect_all_signed(received);
  EXPECT_EQ(dispatcher->counts().duplicated_by_fault, 5u);
  EXPECT_EQ(dispatcher->counts().delivered, 10u);
  EXPECT_EQ(callbacks_total("participant-connected", "duplicated_by_fault"), 5.0);
}

TEST_F(DispatcherTest, ReorderAtRateOneSwapsWithTheNextCallbackOfTheKey) {
  auto dispatcher = make();
  dispatcher->set_faults(1, {.reorder_rate = 1.0});
  // Queued before start() so the pairing does not depend on how fast this thread enqueues.
  for (int i = 0; i < 4; ++i)
    dispatcher->enqueue(make_callback(receiver_, "RM1", i));
  dispatcher->enqueue(make_callback(receiver_, "RM2", 0));  // alone: sent after the window
  const auto started = std::chrono::steady_clock::now();
  dispatcher->start();
  ASSERT_TRUE(dispatcher->flush(kWait));
  const auto received = receiver_.received();
  EXPECT_EQ(sequence_of(received, "RM1"), (std::vector<std::string>{"1", "0", "3", "2"}));
  EXPECT_EQ(sequence_of(received, "RM2"), (std::vector<std::string>{"0"}));
  // The lone one waited for its window (lower bound only).
  EXPECT_GE(std::chrono::steady_clock::now() - started, 400ms);
  EXPECT_EQ(dispatcher->counts().reordered_by_fault, 5u);
  expect_all_signed(received);
}

TEST_F(DispatcherTest, DelayAtRateOneDelaysButKeepsOrder) {
  auto dispatcher = make();
  dispatcher->set_faults(1, {.delay_rate = 1.0, .delay_min = 50ms, .delay_max = 80ms});
  dispatcher->start();
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 3; ++i)
    dispatcher->enqueue(make_callback(receiver_, "RM1", i));
  ASSERT_TRUE(dispatcher->flush(kWait));
  // Three delays of at least 50 ms each, one after the other.
  EXPECT_GE(std::chrono::steady_clock::now() - started, 150ms);
  EXPECT_EQ(sequence_of(receiver_.received()), numbers(0, 3));
  EXPECT_EQ(dispatcher->counts().delayed_by_fault, 3u);
}

TEST_F(DispatcherTest, DelayDoesNotBlockOtherKeys) {
  auto dispatcher = make();
  dispatcher->start();
  dispatcher->set_faults(1, {.delay_rate = 1.0, .delay_min = 1000ms, .delay_max = 1000ms});
  dispatcher->enqueue(make_callback(receiver_, "RMslow", 0));
  dispatcher->set_faults(1, {});
  dispatcher->enqueue(make_callback(receiver_, "RMfast", 0));
  ASSERT_TRUE(dispatcher->flush(kWait));
  const auto received = receiver_.received();
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(received[0].param("RoomSid"), "RMfast");
  EXPECT_EQ(received[1].param("RoomSid"), "RMslow");
}

// --- faults at rate 0.3 with a fixed seed ---

struct RunResult {
  std::vector<std::string> sequence;
  DispatcherCounts counts;
};

class StatisticalTest : public DispatcherTest {
 protected:
  RunResult run(std::uint64_t seed, const CallbackFaults& faults, int n) {
    Receiver receiver(kToken);
    CallbackDispatcher dispatcher(client_, metrics_, observability::Logger{}, fast_options());
    dispatcher.set_faults(seed, faults);
    dispatcher.start();
    for (int i = 0; i < n; ++i)
      dispatcher.enqueue(make_callback(receiver, "RM1", i));
    EXPECT_TRUE(dispatcher.flush(kWait));
    const auto received = receiver.received();
    expect_all_signed(received);
    return {sequence_of(received), dispatcher.counts()};
  }
  static constexpr int kN = 200;
};

TEST_F(StatisticalTest, DropAtPointThree) {
  const auto result = run(7, {.drop_rate = 0.3}, kN);
  EXPECT_GE(result.counts.dropped_by_fault, 40u);
  EXPECT_LE(result.counts.dropped_by_fault, 80u);
  EXPECT_EQ(result.sequence.size(), kN - result.counts.dropped_by_fault);
  EXPECT_TRUE(
      std::is_sorted(result.sequence.begin(), result.sequence.end(),
                     [](const auto& a, const auto& b) { return std::stoi(a) < std::stoi(b); }));
}

TEST_F(StatisticalTest, DuplicateAtPointThree) {
  const auto result = run(7, {.duplicate_rate = 0.3}, kN);
  EXPECT_GE(result.counts.duplicated_by_fault, 40u);
  EXPECT_LE(result.counts.duplicated_by_fault, 80u);
  EXPECT_EQ(result.sequence.size(), kN + result.counts.duplicated_by_fault);
}

TEST_F(StatisticalTest, ReorderAtPointThree) {
  const auto result = run(7, {.reorder_rate = 0.3}, kN);
  EXPECT_GE(result.counts.reordered_by_fault, 40u);
  EXPECT_LE(result.counts.reordered_by_fault, 80u);
  ASSERT_EQ(result.sequence.size(), static_cast<std::size_t>(kN));
  int inversions = 0;
  for (std::size_t i = 1; i < result.sequence.size(); ++i)
    inversions += std::stoi(result.sequence[i - 1]) > std::stoi(result.sequence[i]) ? 1 : 0;
  EXPECT_GE(inversions, 30);
  auto sorted = result.sequence;
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return std::stoi(a) < std::stoi(b); });
  EXPECT_EQ(sorted, numbers(0, kN));  // nothing lost, nothing added
}

TEST_F(StatisticalTest, DelayAtPointThree) {
  const auto result = run(7, {.delay_rate = 0.3, .delay_min = 1ms, .delay_max = 3ms}, kN);
  EXPECT_GE(result.counts.delayed_by_fault, 40u);
  EXPECT_LE(result.counts.delayed_by_fault, 80u);
  EXPECT_EQ(result.sequence, numbers(0, kN));
}

TEST_F(StatisticalTest, SameSeedSameDeliveredSequence) {
  const CallbackFaults all = {.drop_rate = 0.3,
                              .duplicate_rate = 0.3,
                              .reorder_rate = 0.3,
                              .delay_rate = 0.3,
                              .delay_min = 1ms,
                              .delay_max = 3ms};
  const auto first = run(12345, all, 120);
  const auto second = run(12345, all, 120);
  EXPECT_EQ(first.sequence, second.sequence);
  EXPECT_GT(first.sequence.size(), 60u);
  EXPECT_NE(first.sequence, numbers(0, 120));  // the faults did something
  const auto other = run(54321, all, 120);
  EXPECT_NE(first.sequence, other.sequence);
}

// --- lifecycle ---

TEST_F(DispatcherTest, StopDrainsWhatIsQueued) {
  auto dispatcher = make();
  dispatcher->start();
  for (int i = 0; i < 10; ++i)
    dispatcher->enqueue(make_callback(receiver_, "RM1", i));
  dispatcher->stop();
  EXPECT_EQ(sequence_of(receiver_.received()), numbers(0, 10));
  dispatcher->stop();  // idempotent
  dispatcher->enqueue(make_callback(receiver_, "RM1", 99));
  EXPECT_EQ(dispatcher->counts().dropped_other, 1u);
  EXPECT_EQ(callbacks_total("participant-connected", "dropped_on_stop"), 1.0);
}

TEST_F(DispatcherTest, StopNeverHangsOnAnUnresponsiveReceiver) {
  BlackHole hole;
  auto options = fast_options();
  options.request_timeout = 300ms;
  options.drain_timeout = 200ms;
  options.retry.max_attempts = 5;
  auto dispatcher = make(options);
  dispatcher->start();
  for (int i = 0; i < 20; ++i) {
    Callback cb = make_callback(receiver_, "RM" + std::to_string(i % 4), i);
    cb.url = hole.url("/cb/hole");
    dispatcher->enqueue(cb);
  }
  EXPECT_FALSE(dispatcher->flush(50ms));
  const auto started = std::chrono::steady_clock::now();
  dispatcher->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);  // drain + one request timeout
  EXPECT_EQ(dispatcher->counts().queued, 0u);
  EXPECT_EQ(dispatcher->counts().dropped_other, 20u);
}

TEST_F(DispatcherTest, StopWithoutStartDropsAndReturns) {
  auto dispatcher = make();
  dispatcher->set_faults(1, {.delay_rate = 1.0, .delay_min = 60000ms, .delay_max = 60000ms});
  dispatcher->enqueue(make_callback(receiver_, "RM1", 1));
  EXPECT_FALSE(dispatcher->flush(10ms));
  dispatcher->stop();
  EXPECT_EQ(dispatcher->counts().dropped_other, 1u);
  EXPECT_TRUE(dispatcher->flush(10ms));
}

TEST_F(DispatcherTest, DestructorStopsWithALongDelayQueued) {
  auto options = fast_options();
  options.drain_timeout = 100ms;
  auto dispatcher = make(options);
  dispatcher->set_faults(1, {.delay_rate = 1.0, .delay_min = 60000ms, .delay_max = 60000ms});
  dispatcher->start();
  dispatcher->enqueue(make_callback(receiver_, "RM1", 1));
  const auto started = std::chrono::steady_clock::now();
  dispatcher.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
  EXPECT_TRUE(receiver_.received().empty());
}

}  // namespace
}  // namespace roomplane::emulator
