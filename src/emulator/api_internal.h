#pragma once
// Shared plumbing of the REST handlers (api*.cpp); not part of the emulator's interface.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "emulator/api.h"
#include "emulator/pagination.h"
#include "emulator/resource_json.h"
#include "emulator/twilio_error.h"
#include "http/form.h"

namespace roomplane::emulator::api {

// One authenticated REST request, as a handler sees it.
struct RestCall {
  const http::Request& request;
  std::string account_sid;
  http::FormParams query;  // the query string, order and repeats kept
  http::FormParams form;   // the form body (POST), order and repeats kept
  std::string base_url;

  std::string_view path_param(std::string_view name) const { return request.path_param(name); }
};

using RestFn = std::function<http::Response(const RestCall&)>;

// Registers routes with the common wrapper (gate, auth, parsing, metrics, exception guard).
class RestRoutes {
 public:
  RestRoutes(http::Router& router, const ApiContext& context)
      : router_(router), context_(context) {}
  void add(std::string method, std::string pattern, std::string operation, RestFn fn);
  State& state() const { return context_.state; }

 private:
  http::Router& router_;
  ApiContext context_;
};

void add_room_routes(RestRoutes& routes);
void add_recording_routes(RestRoutes& routes);
void add_composition_routes(RestRoutes& routes);

// GET .../Media: 302 with Location and {"redirect_to": url}, url being a pre-signed loopback
// download (/_emulator/media/{sid}.{ext}?Expires=..&Signature=..) valid for ?Ttl seconds
// (1..604800, default 3600). `sid` must name available media of the caller's account.
http::Response media_redirect(const RestCall& call, State& state, std::string_view sid);

// Responses.
http::Response json(unsigned status, const nlohmann::json& body);

// Typed optional parameters: nullopt when absent; an error (with the given Twilio code) when
// present but malformed.
core::Result<std::optional<bool>> bool_param(const http::FormParams& params, std::string_view name,
                                             int code = kErrInvalidParameter);
core::Result<std::optional<std::int64_t>> int_param(const http::FormParams& params,
                                                    std::string_view name,
                                                    int code = kErrInvalidParameter);
core::Result<std::optional<core::TimePoint>> date_param(const http::FormParams& params,
                                                        std::string_view name);
// StatusCallback / StatusCallbackMethod; the codes default to the Rooms ones (53111, 53110).
core::Result<std::optional<std::string>> callback_url_param(const http::FormParams& params,
                                                            int code = kErrCallbackUrl);
core::Result<std::optional<std::string>> callback_method_param(const http::FormParams& params,
                                                               int code = kErrCallbackMethod);

// A list response: pages `items` (display order, each with .seq) and renders the page only.
template <class T, class Render>
http::Response list_response(const RestCall& call, const PageRequest& page, std::string path,
                             std::string key, const std::vector<std::string_view>& filters,
                             const std::vector<T>& items, bool descending, Render render) {
  std::vector<std::uint64_t> seqs;
  seqs.reserve(items.size());
  for (const auto& item : items)
    seqs.push_back(item.seq);
  const PageSlice slice = slice_page(seqs, page, descending);
  nlohmann::json rendered = nlohmann::json::array();
  for (std::size_t i = slice.begin; i < slice.end; ++i)
    rendered.push_back(render(items[i], call.base_url));
  PageContext context{call.base_url, std::move(path), std::move(key),
                      echo_filters(call.query, filters)};
  return json(200, page_envelope(context, page, seqs, slice, std::move(rendered)));
}

}  // namespace roomplane::emulator::api
