#pragma once
// A fake Twilio Video REST API (v1) on a real http::Server at 127.0.0.1, port 0, for testing the
// REST client over real HTTP. It
//  - records every request (method, route, path, raw target, query and form parameters in order,
//    Authorization and Content-Type headers);
//  - behaves like Twilio by default, with just enough state for the client's operations: rooms
//    (53113 on a duplicate in-progress name, lookup by SID or in-progress name, complete ->
//    53112 when not in progress), participants, recording rules, compositions (+ the Media
//    redirect), the pagination envelope with absolute next_page_url, Twilio's error bodies, and
//    HTTP Basic auth that accepts only credentials() (else 401 / 20003);
//  - answers scripted replies first: script(method, route, reply) queues a reply for the next
//    request of that route, which may also apply the real behaviour before answering (a 503
//    after the room was created) or be held for a while (timeouts).
//
// The client under test sees nothing of this but base_url(): tests that use only the default
// behaviour (no script(), no state helpers) run unchanged against the Twilio emulator by
// building the client with the emulator's base URL and an account's credentials.
//
// Thread-safety: every method may be called from the test thread while the server's pool
// threads handle requests.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/work_pool.h"
#include "http/form.h"
#include "http/router.h"
#include "http/server.h"
#include "observability/metrics.h"
#include "video/provider.h"

namespace roomplane::twilio::testing {

struct RecordedRequest {
  std::string method;
  std::string route;                               // the matched pattern, e.g. "/v1/Rooms/{Sid}"
  std::string path;                                // percent-decoded, without the query
  std::string target;                              // as sent: path and query, still encoded
  std::map<std::string, std::string> path_params;  // decoded "{name}" captures of the route
  http::FormParams query;
  http::FormParams form;
  std::string authorization;
  std::string content_type;

  // First value of a form / query parameter; "" when absent.
  std::string param(std::string_view name) const;
  std::string query_param(std::string_view name) const;
  std::size_t param_count(std::string_view name) const;
};

struct Reply {
  unsigned status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  bool apply = false;                 // run the default behaviour first, then answer this
  std::chrono::milliseconds hold{0};  // wait this long before answering (cut short on shutdown)

  static Reply json(unsigned http_status, const nlohmann::json& value);
  // Twilio's error body: {"code", "message", "more_info", "status"}.
  static Reply twilio_error(unsigned http_status, int code, const std::string& message = "error");
  static Reply raw(unsigned http_status, std::string text, std::string type = "text/html");
};

class FakeTwilio {
 public:
  // `clock` dates everything the fake creates; it must outlive the fake.
  explicit FakeTwilio(const core::Clock& clock);
  ~FakeTwilio();  // releases held replies, then stops the server
  FakeTwilio(const FakeTwilio&) = delete;
  FakeTwilio& operator=(const FakeTwilio&) = delete;

  std::string base_url() const;
  // The only credentials the fake accepts.
  static video::ProviderCredentials credentials();

  // Queues a reply for the next request matching (method, route pattern); replies are consumed
  // in order before the default behaviour applies again.
  void script(const std::string& method, const std::string& route, Reply reply);

  std::vector<RecordedRequest> requests() const;
  std::vector<RecordedRequest> requests(const std::string& method, const std::string& route) const;

  // State helpers for scenarios the REST API cannot set up (a participant joining, a
  // composition finishing).
  std::string connect_participant(const std::string& room_sid, const std::string& identity);
  void set_composition_status(const std::string& composition_sid, const std::string& status);
  // Pages hold at most this many items, whatever PageSize asks for.
  void set_max_page_size(std::size_t size);
  std::size_t room_count() const;
  std::size_t composition_count() const;

 private:
  struct State;
  http::Response handle(const std::string& method, const std::string& route,
                        const http::Request& request);
  // What Twilio would answer (auth, then the route's behaviour).
  http::Response behave(const RecordedRequest& request);
  void add_routes();

  const core::Clock& clock_;
  core::WorkPool pool_{2};
  http::Router router_;
  observability::MetricsRegistry server_metrics_;
  std::unique_ptr<State> state_;
  std::unique_ptr<http::Server> server_;
};

}  // namespace roomplane::twilio::testing
