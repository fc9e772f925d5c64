#include "emulator/callback_dispatcher.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <random>
#include <string_view>
#include <utility>

#include "twilio/signature.h"

namespace roomplane::emulator {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr const char* kUserAgent = "TwilioProxy/1.1";
constexpr const char* kFormContentType = "application/x-www-form-urlencoded";

// Every StatusCallbackEvent of twilio-video-api.md section 8; anything else is labelled
// "other" so a bad caller cannot grow the metric's label set without bound.
constexpr std::string_view kKnownEvents[] = {"room-created",
                                             "room-ended",
                                             "participant-connected",
                                             "participant-disconnected",
                                             "track-added",
                                             "track-removed",
                                             "track-enabled",
                                             "track-disabled",
                                             "recording-started",
                                             "recording-completed",
                                             "recording-failed",
                                             "composition-enqueued",
                                             "composition-hook-failed",
                                             "composition-started",
                                             "composition-progress",
                                             "composition-available",
                                             "composition-failed"};

std::string event_label(const http::FormParams& params) {
  const auto event = http::form_value(params, "StatusCallbackEvent");
  if (!event)
    return "other";
  for (const auto known : kKnownEvents) {
    if (*event == known)
      return std::string(known);
  }
  return "other";
}

// Fragments never travel in a request, so they are neither sent nor signed.
std::string without_fragment(const std::string& url) {
  const auto hash = url.find('#');
  return hash == std::string::npos ? url : url.substr(0, hash);
}

// The host (and port) only: the path and query may carry secrets of the receiver, and the
// userinfo certainly does.
std::string host_of(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos)
    return "";
  auto authority = url.substr(scheme_end + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  const auto at = authority.rfind('@');
  if (at != std::string_view::npos)
    authority = authority.substr(at + 1);
  return std::string(authority);
}

bool is_get(const std::string& method) {
  return method.size() == 3 && (method[0] == 'G' || method[0] == 'g') &&
         (method[1] == 'E' || method[1] == 'e') && (method[2] == 'T' || method[2] == 't');
}

http::ClientRequest build_request(const Callback& cb, const std::string& token,
                                  const DispatcherOptions& options) {
  http::ClientRequest request;
  request.connect_timeout = options.connect_timeout;
  request.timeout = options.request_timeout;
  const std::string base = without_fragment(cb.url);
  std::string signature;
  if (is_get(cb.method)) {
    request.method = "GET";
    request.url = base;
    if (!cb.params.empty()) {
      const bool has_query = base.find('?') != std::string::npos;
      const bool ends_open = !base.empty() && (base.back() == '?' || base.back() == '&');
      if (!ends_open)
        request.url += has_query ? '&' : '?';
      request.url += http::encode_form(cb.params);
    }
    signature = twilio::compute_signature(cb.auth_token, request.url, {});
  } else {
    request.method = "POST";
    request.url = base;
    request.body = http::encode_form(cb.params);
    signature = twilio::compute_signature(cb.auth_token, request.url, cb.params);
  }
  request.headers["Content-Type"] = kFormContentType;
  request.headers["User-Agent"] = kUserAgent;
  request.headers["X-Twilio-Signature"] = std::move(signature);
  request.headers["I-Twilio-Idempotency-Token"] = token;
  return request;
}

milliseconds backoff_for(const RetryPolicy& policy, int attempts_made) {
  const double factor = std::pow(std::max(policy.multiplier, 1.0), attempts_made - 1);
  const double ms = static_cast<double>(policy.initial_backoff.count()) * factor;
  const double capped = std::min(ms, static_cast<double>(policy.max_backoff.count()));
  return milliseconds(static_cast<milliseconds::rep>(std::max(capped, 0.0)));
}

}  // namespace

CallbackDispatcher::CallbackDispatcher(http::HttpClient& client,
                                       observability::MetricsRegistry& metrics,
                                       observability::Logger logger, DispatcherOptions options)
    : client_(client),
      metrics_(metrics),
      logger_(std::move(logger)),
      options_(std::move(options)),
      queued_gauge_(metrics.gauge("roomplane_emulator_callbacks_queued",
                                  "Status callbacks accepted and not yet finished.")),
      latency_(metrics.histogram("roomplane_emulator_callback_delivery_seconds",
                                 "Time from enqueue to a 2xx answer, per delivered copy.")),
      retries_metric_(metrics.counter("roomplane_emulator_callback_retries_total",
                                      "Status callback attempts after the first.")),
      drop_fault_(fault_counter(metrics, "callback_drop")),
      duplicate_fault_(fault_counter(metrics, "callback_duplicate")),
      reorder_fault_(fault_counter(metrics, "callback_reorder")),
      delay_fault_(fault_counter(metrics, "callback_delay")) {
  if (options_.workers == 0)
    options_.workers = 1;
  if (options_.retry.max_attempts < 1)
    options_.retry.max_attempts = 1;
  // Tokens only need to be unique, not secret: a random prefix per dispatcher (so restarts do
  // not repeat tokens) and a sequence number.
  std::random_device device;
  token_prefix_ = (static_cast<std::uint64_t>(device()) << 32) ^ device();
}

CallbackDispatcher::~CallbackDispatcher() {
  stop();
}

void CallbackDispatcher::start() {
  std::lock_guard lock(mutex_);
  if (started_ || stopping_)
    return;
  started_ = true;
  for (std::size_t i = 0; i < options_.workers; ++i) {
    workers_.emplace_back([this] {
      // Nothing may escape a thread: a throw here would terminate the process.
      try {
        worker_loop();
      } catch (const std::exception& e) {
        logger_.error("callback_worker_crashed", {{"error", e.what()}});
      } catch (...) {
        logger_.error("callback_worker_crashed", {{"error", "non-standard exception"}});
      }
    });
  }
}

void CallbackDispatcher::stop() {
  std::lock_guard stop_lock(stop_mutex_);
  {
    std::unique_lock lock(mutex_);
    if (stopping_)
      return;
    if (started_)
      idle_cv_.wait_for(lock, options_.drain_timeout, [this] { return queued_ == 0; });
    stopping_ = true;
    drop_all_locked("dropped_on_stop");
  }
  work_cv_.notify_all();
  for (auto& worker : workers_) {
    if (worker.joinable())
      worker.join();
  }
  workers_.clear();
}

void CallbackDispatcher::enqueue(Callback cb) {
  std::string event = event_label(cb.params);
  std::lock_guard lock(mutex_);
  if (stopping_) {
    ++counts_.dropped_other;
    count_outcome(event, "dropped_on_stop");
    return;
  }
  if (queued_ >= options_.max_queued) {
    ++counts_.dropped_other;
    count_outcome(event, "dropped_queue_full");
    logger_.warn("callback_dropped_queue_full",
                 {{"event", event}, {"room_sid", cb.room_sid}, {"queued", queued_}});
    return;
  }
  // Drawn under mutex_, so the n-th draw goes to the n-th accepted callback.
  const CallbackFaultDecision decision = plan_.draw();
  if (decision.drop) {
    ++counts_.dropped_by_fault;
    drop_fault_.inc();
    count_outcome(event, "dropped_by_fault");
    logger_.debug("callback_dropped_by_fault", {{"event", event}, {"room_sid", cb.room_sid}});
    return;
  }
  if (decision.duplicate) {
    ++counts_.duplicated_by_fault;
    duplicate_fault_.inc();
    count_outcome(event, "duplicated_by_fault");
  }
  if (decision.reorder) {
    ++counts_.reordered_by_fault;
    reorder_fault_.inc();
  }
  if (decision.delay.count() > 0) {
    ++counts_.delayed_by_fault;
    delay_fault_.inc();
  }
  const auto now = Clock::now();
  std::string key = cb.room_sid;
  Item item{std::move(cb), std::move(event), next_token(), decision, now, std::nullopt};
  KeyState& state = keys_[key];
  state.pending.push_back(std::move(item));
  ++queued_;
  queued_gauge_.set(static_cast<double>(queued_));
  if (!state.current)
    schedule_next(key, now);
}

bool CallbackDispatcher::flush(milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return idle_cv_.wait_for(lock, timeout, [this] { return queued_ == 0; });
}

void CallbackDispatcher::set_faults(std::uint64_t seed, const CallbackFaults& faults) {
  // Under mutex_ so no enqueue() is between its draw and its queueing while the plan changes.
  std::lock_guard lock(mutex_);
  plan_.configure(seed, faults);
}

DispatcherCounts CallbackDispatcher::counts() const {
  std::lock_guard lock(mutex_);
  DispatcherCounts result = counts_;
  result.queued = queued_;
  return result;
}

void CallbackDispatcher::worker_loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    fire_due_timers(Clock::now());
    if (ready_.empty()) {
      if (timers_.empty()) {
        work_cv_.wait(lock);
      } else {
        // Copied: another worker may erase the timer node while this one waits.
        const Clock::time_point next = timers_.begin()->first;
        work_cv_.wait_until(lock, next);
      }
      continue;
    }
    std::string key = std::move(ready_.front());
    ready_.pop_front();
    const auto it = keys_.find(key);
    if (it == keys_.end() || !it->second.current || it->second.current->state != JobState::kReady) {
      continue;
    }
    Job& job = *it->second.current;
    job.state = JobState::kRunning;
    const http::ClientRequest request = build_request(job.item.cb, job.item.token, options_);
    const std::string event = job.item.event;
    const int attempt = job.attempt + 1;
    lock.unlock();

    // The send runs without the lock: other keys keep flowing and enqueue() never waits on I/O.
    Outcome outcome = Outcome::kRetry;
    unsigned status = 0;
    std::string error;
    try {
      auto result = client_.send(request);
      if (!result.ok()) {
        error = result.error().code;
      } else {
        status = result->status;
        if (status >= 200 && status < 300)
          outcome = Outcome::kDelivered;
        else if (status < 500)
          outcome = Outcome::kFailed;  // the receiver refused it; retrying would not help
      }
    } catch (const std::exception& e) {
      error = std::string("client threw: ") + e.what();
    } catch (...) {
      error = "client threw a non-standard exception";
    }
    nlohmann::json fields = {
        {"event", event},           {"room_sid", key},    {"host", host_of(request.url)},
        {"method", request.method}, {"attempt", attempt}, {"status", status}};
    if (!error.empty())
      fields["error"] = error;
    if (outcome == Outcome::kDelivered)
      logger_.debug("callback_delivered", fields);
    else if (outcome == Outcome::kRetry && attempt < options_.retry.max_attempts)
      logger_.info("callback_retry", fields);
    else
      logger_.warn("callback_failed", fields);

    lock.lock();
    after_attempt(key, outcome);
  }
}

void CallbackDispatcher::fire_due_timers(Clock::time_point now) {
  while (!timers_.empty() && timers_.begin()->first <= now) {
    const std::string key = std::move(timers_.begin()->second);
    timers_.erase(timers_.begin());
    const auto it = keys_.find(key);
    if (it == keys_.end())
      continue;  // stale: the key finished meanwhile
    if (it->second.current) {
      Job& job = *it->second.current;
      if (job.state == JobState::kWaiting && now >= job.not_before) {
        job.state = JobState::kReady;
        ready_.push_back(key);
      }
    } else {
      schedule_next(key, now);  // a reorder window ended
    }
  }
}

void CallbackDispatcher::schedule_next(const std::string& key, Clock::time_point now) {
  const auto it = keys_.find(key);
  if (it == keys_.end())
    return;
  KeyState& state = it->second;
  if (state.current)
    return;
  if (state.pending.empty()) {
    keys_.erase(it);
    return;
  }
  Item& front = state.pending.front();
  std::optional<Item> pick;
  if (front.faults.reorder) {
    if (state.pending.size() >= 2) {
      // The held callback goes after this one: it keeps the front and loses its reorder flag.
      front.faults.reorder = false;
      pick = std::move(state.pending[1]);
      state.pending.erase(state.pending.begin() + 1);
    } else {
      if (!front.hold_until)
        front.hold_until = now + options_.reorder_window;
      if (now < *front.hold_until) {
        timers_.emplace(*front.hold_until, key);
        work_cv_.notify_one();
        return;
      }
      front.faults.reorder = false;  // nobody came to overtake it within the window
    }
  }
  if (!pick) {
    pick = std::move(front);
    state.pending.pop_front();
  }
  Job job;
  job.copies_left = pick->faults.duplicate ? 2 : 1;
  const milliseconds delay = pick->faults.delay;
  job.item = std::move(*pick);
  if (delay.count() > 0) {
    job.state = JobState::kWaiting;
    job.not_before = now + delay;
    timers_.emplace(job.not_before, key);
  } else {
    job.state = JobState::kReady;
    ready_.push_back(key);
  }
  state.current = std::move(job);
  work_cv_.notify_one();
}

void CallbackDispatcher::after_attempt(const std::string& key, Outcome outcome) {
  const auto it = keys_.find(key);
  if (it == keys_.end() || !it->second.current)
    return;  // stop() dropped it while the request was in flight
  Job& job = *it->second.current;
  ++job.attempt;
  const auto now = Clock::now();
  if (outcome == Outcome::kRetry) {
    if (job.attempt < options_.retry.max_attempts) {
      ++counts_.retries;
      retries_metric_.inc();
      job.state = JobState::kWaiting;
      job.not_before = now + backoff_for(options_.retry, job.attempt);
      timers_.emplace(job.not_before, key);
      return;  // this worker recomputes its wait before sleeping
    }
    outcome = Outcome::kFailed;
  }
  finish_copy(job, outcome == Outcome::kDelivered);
  if (job.copies_left > 1) {
    --job.copies_left;
    job.attempt = 0;
    job.state = JobState::kReady;
    ready_.push_back(key);
    return;
  }
  it->second.current.reset();
  --queued_;
  queued_gauge_.set(static_cast<double>(queued_));
  schedule_next(key, now);
  if (queued_ == 0)
    idle_cv_.notify_all();
}

void CallbackDispatcher::finish_copy(Job& job, bool delivered) {
  if (delivered) {
    ++counts_.delivered;
    const std::chrono::duration<double> elapsed = Clock::now() - job.item.enqueued_at;
    latency_.observe(elapsed.count());
  } else {
    ++counts_.failed;
  }
  count_outcome(job.item.event, delivered ? "delivered" : "failed");
}

void CallbackDispatcher::drop_all_locked(const char* outcome) {
  for (auto& [key, state] : keys_) {
    if (state.current) {
      ++counts_.dropped_other;
      count_outcome(state.current->item.event, outcome);
    }
    for (const auto& item : state.pending) {
      ++counts_.dropped_other;
      count_outcome(item.event, outcome);
    }
  }
  if (queued_ > 0)
    logger_.warn("callbacks_dropped_on_stop", {{"count", queued_}});
  keys_.clear();
  ready_.clear();
  timers_.clear();
  queued_ = 0;
  queued_gauge_.set(0);
  idle_cv_.notify_all();
}

std::string CallbackDispatcher::next_token() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token(32, '0');
  const std::uint64_t parts[] = {token_prefix_, ++token_sequence_};
  for (int p = 0; p < 2; ++p) {
    for (int i = 0; i < 16; ++i)
      token[static_cast<std::size_t>(p * 16 + i)] = kHex[(parts[p] >> (60 - 4 * i)) & 0xF];
  }
  return token;
}

void CallbackDispatcher::count_outcome(const std::string& event, const char* outcome) {
  metrics_
      .counter("roomplane_emulator_callbacks_total",
               "Status callbacks by event and outcome (delivered and failed count each copy sent).",
               {{"event", event}, {"outcome", outcome}})
      .inc();
}

}  // namespace roomplane::emulator
