#include "http/handler.h"

#include <exception>
#include <memory>
#include <string>
#include <utility>

namespace roomplane::http {
namespace {

using ResponseFn = std::function<Response(const Request&)>;

// The client learns only that something failed and which request id to quote; the exception
// text goes to the access log through kErrorDetailHeader, which the server strips.
Response internal_error(const Request& request, std::string detail) {
  Response response = Response::error(
      500, "internal", "internal error, see logs with request id " + request.request_id);
  response.headers.emplace_back(std::string(kErrorDetailHeader), std::move(detail));
  return response;
}

Response run_guarded(const ResponseFn& fn, const Request& request) {
  try {
    return fn(request);
  } catch (const std::exception& e) {
    return internal_error(request, std::string("unhandled exception: ") + e.what());
  } catch (...) {
    return internal_error(request, "unhandled non-standard exception");
  }
}

}  // namespace

Handler inline_handler(ResponseFn fn) {
  return [fn = std::move(fn)](Request request, Responder respond) {
    respond(run_guarded(fn, request));
  };
}

Handler blocking(core::WorkPool& pool, ResponseFn fn) {
  // Shared so each request copies a pointer, not the callable and whatever it captured.
  auto shared_fn = std::make_shared<const ResponseFn>(std::move(fn));
  return [&pool, shared_fn](Request request, Responder respond) {
    // If the pool drops the task (it was stopped), the Responder is destroyed uncalled and the
    // server answers 500 on its behalf, so the client is never left waiting.
    pool.post([shared_fn, request = std::move(request), respond = std::move(respond)] {
      respond(run_guarded(*shared_fn, request));
    });
  };
}

}  // namespace roomplane::http
