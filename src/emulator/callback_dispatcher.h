#pragma once
// Sends the emulator's status callbacks the way Twilio does, with optional injected faults.
//
// Each callback becomes one HTTP request to Callback::url through the injected HttpClient:
//  - POST: body = the form-encoded params, Content-Type: application/x-www-form-urlencoded,
//    X-Twilio-Signature = compute_signature(auth_token, url, params).
//  - GET: the form-encoded params appended to the URL's query ("?" or "&"), no body,
//    X-Twilio-Signature = compute_signature(auth_token, that full URL, no params).
//  - Always: User-Agent: TwilioProxy/1.1, Content-Type as above (also on GET, as
//    twilio-video-api.md section 8 says of all callbacks), and I-Twilio-Idempotency-Token, one
//    value per callback shared by its retries and by an injected duplicate (as a Twilio retry
//    would be), so receivers can de-duplicate by it.
//  A URL fragment ("#...") is never sent and is not signed. A method other than GET is sent as
//  POST (Twilio's default).
//
// Ordering: callbacks with the same ordering key (Callback::room_sid) are delivered one at a
// time in enqueue order, each finished (delivered, or failed after its retries) before the next
// starts. Different keys are independent and run in parallel on the worker threads.
//
// Retries: a network error or a 5xx answer is retried up to RetryPolicy::max_attempts attempts
// in total with exponential backoff; 2xx is delivered; any other status (3xx, 4xx) fails at
// once without retry. The key waits during backoff; other keys do not.
//
// Faults (CallbackFaults, drawn once per callback at enqueue, see faults.h):
//  - drop: never queued, never sent.
//  - duplicate: sent a second time right after the first copy finished, whatever its outcome.
//  - reorder: held back until the next callback of the same key has been sent, then sent; if
//    none arrives within DispatcherOptions::reorder_window, sent alone after the window. A
//    callback that jumps ahead of a held one is sent at once (its own reorder draw is spent).
//  - delay: when it reaches the head of its key, waits the drawn delay before its first
//    attempt. Later callbacks of the same key wait behind it (order is kept); other keys are not
//    blocked.
//
// Threading: created by whoever builds the emulator; enqueue(), flush(), set_faults() and the
// accessors are thread-safe. enqueue() never blocks on I/O (one short mutex section), so it may
// be called while the emulator holds its state lock. Sends run on `workers` threads started by
// start(); the HttpClient is called only from those threads and without any lock held.
//
// Shutdown: stop() keeps delivering for up to `drain_timeout` (injected delays and backoffs
// still apply), then drops whatever is left (outcome "dropped_on_stop"; a request already in
// flight finishes within the client timeout and its result is ignored) and joins the workers.
// It never waits longer than drain_timeout + request_timeout. Callbacks enqueued after stop()
// are dropped the same way. The destructor calls stop().
//
// Metrics:
//   roomplane_emulator_callbacks_total{event,outcome}: outcome is "delivered" or "failed" (per
//     copy sent, so a duplicated callback counts twice), "dropped_by_fault",
//     "duplicated_by_fault" (once per duplicate), "dropped_on_stop", "dropped_queue_full".
//     event is the StatusCallbackEvent when it is one of Twilio's, else "other".
//   roomplane_emulator_callbacks_queued (gauge): accepted, not yet finished (held and delayed
//     callbacks included).
//   roomplane_emulator_callback_delivery_seconds (histogram): enqueue to 2xx, per delivered copy.
//   roomplane_emulator_callback_retries_total: attempts after the first.
//   roomplane_emulator_faults_injected_total{fault="callback_drop"|"callback_duplicate"|
//     "callback_reorder"|"callback_delay"}.
// Logs name the event, the ordering key, the URL's host, status and attempt: never the URL's
// path or query, params, auth token or signature.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "emulator/callback_sink.h"
#include "emulator/faults.h"
#include "http/client.h"
#include "observability/log.h"
#include "observability/metrics.h"

namespace roomplane::emulator {

struct RetryPolicy {
  int max_attempts = 3;  // attempts in total, the first included; 1 disables retries
  std::chrono::milliseconds initial_backoff{500};
  double multiplier = 2.0;
  std::chrono::milliseconds max_backoff{5000};
};

struct DispatcherOptions {
  std::size_t workers = 2;  // 0 is treated as 1
  RetryPolicy retry;
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds request_timeout{5000};  // per attempt, connect included
  std::chrono::milliseconds reorder_window{500};
  std::size_t max_queued = 100000;  // above this, enqueue() drops ("dropped_queue_full")
  std::chrono::milliseconds drain_timeout{5000};
};

// Counts since construction, for GET /_emulator/faults and tests.
struct DispatcherCounts {
  std::uint64_t delivered = 0;
  std::uint64_t failed = 0;
  std::uint64_t retries = 0;
  std::uint64_t dropped_by_fault = 0;
  std::uint64_t duplicated_by_fault = 0;
  std::uint64_t reordered_by_fault = 0;
  std::uint64_t delayed_by_fault = 0;
  std::uint64_t dropped_other = 0;  // on stop or queue full
  std::uint64_t queued = 0;         // current, not cumulative
};

class CallbackDispatcher final : public CallbackSink {
 public:
  // `client` and `metrics` must outlive the dispatcher.
  CallbackDispatcher(http::HttpClient& client, observability::MetricsRegistry& metrics,
                     observability::Logger logger, DispatcherOptions options = {});
  ~CallbackDispatcher() override;
  CallbackDispatcher(const CallbackDispatcher&) = delete;
  CallbackDispatcher& operator=(const CallbackDispatcher&) = delete;

  // Starts the worker threads. Callbacks enqueued before start() wait for it. Call once; later
  // calls and calls after stop() do nothing.
  void start();

  // See the header comment. Idempotent; must not be called from a worker (i.e. from the
  // HttpClient).
  void stop();

  void enqueue(Callback cb) override;

  // Waits until every accepted callback has finished (delivered, failed or dropped), or until
  // `timeout`. True when nothing is left. Does not stop new callbacks from arriving meanwhile.
  bool flush(std::chrono::milliseconds timeout);

  // Replaces the callback faults and re-seeds their RNG (faults.h). Applies to callbacks
  // enqueued from now on; ones already queued keep their draws. Validate first.
  void set_faults(std::uint64_t seed, const CallbackFaults& faults);
  CallbackFaults faults() const { return plan_.settings(); }
  std::uint64_t fault_seed() const { return plan_.seed(); }

  DispatcherCounts counts() const;

 private:
  struct Item {
    Callback cb;
    std::string event;  // metric label
    std::string token;  // I-Twilio-Idempotency-Token
    CallbackFaultDecision faults;
    std::chrono::steady_clock::time_point enqueued_at;
    std::optional<std::chrono::steady_clock::time_point> hold_until;  // reorder window end
  };
  enum class JobState { kWaiting, kReady, kRunning };
  struct Job {
    Item item;
    JobState state = JobState::kReady;
    int attempt = 0;      // attempts made for the current copy
    int copies_left = 1;  // 2 when duplicated by fault
    std::chrono::steady_clock::time_point not_before;
  };
  struct KeyState {
    std::deque<Item> pending;
    std::optional<Job> current;
  };
  enum class Outcome { kDelivered, kRetry, kFailed };

  void worker_loop();
  void fire_due_timers(std::chrono::steady_clock::time_point now);
  void schedule_next(const std::string& key, std::chrono::steady_clock::time_point now);
  void after_attempt(const std::string& key, Outcome outcome);
  void finish_copy(Job& job, bool delivered);
  void drop_all_locked(const char* outcome);
  std::string next_token();
  void count_outcome(const std::string& event, const char* outcome);

  http::HttpClient& client_;
  observability::MetricsRegistry& metrics_;
  observability::Logger logger_;
  DispatcherOptions options_;
  CallbackFaultPlan plan_;

  mutable std::mutex mutex_;
  std::condition_variable work_cv_;  // workers: new ready job, timer or stop
  std::condition_variable idle_cv_;  // flush(): queued_ reached 0
  std::unordered_map<std::string, KeyState> keys_;
  std::deque<std::string> ready_;  // keys whose current job is JobState::kReady
  std::multimap<std::chrono::steady_clock::time_point, std::string> timers_;  // may be stale
  std::size_t queued_ = 0;
  bool started_ = false;
  bool stopping_ = false;  // workers exit, enqueue drops
  std::vector<std::thread> workers_;
  std::mutex stop_mutex_;  // serialises stop()

  std::uint64_t token_prefix_ = 0;
  std::uint64_t token_sequence_ = 0;
  DispatcherCounts counts_;

  observability::Gauge& queued_gauge_;
  observability::Histogram& latency_;
  observability::Counter& retries_metric_;
  observability::Counter& drop_fault_;
  observability::Counter& duplicate_fault_;
  observability::Counter& reorder_fault_;
  observability::Counter& delay_fault_;
};

}  // namespace roomplane::emulator
