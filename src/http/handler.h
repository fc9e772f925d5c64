#pragma once
// How routes produce responses, and where their work runs.
//
// A Handler receives the request and a Responder it must call exactly once, from any thread.
// The server runs handlers on its I/O threads, so a handler must never block: it either answers
// inline (cheap, in-memory work such as /healthz or a cache hit) or hands the work to the
// WorkPool via `blocking()` below, which is how every database call is reached.

#include <functional>

#include "core/work_pool.h"
#include "http/message.h"

namespace roomplane::http {

using Responder = std::function<void(Response)>;
using Handler = std::function<void(Request, Responder)>;

// Runs `fn` on the calling (I/O) thread. For work that cannot block. Same exception rule as
// blocking().
Handler inline_handler(std::function<Response(const Request&)> fn);

// Runs `fn` on `pool`, which must outlive the handler. An exception escaping `fn` becomes a 500
// with code "internal" (details go to the access log, not the client). If the pool drops the
// task (it was stopped), the Responder dies uncalled and the server answers 500.
Handler blocking(core::WorkPool& pool, std::function<Response(const Request&)> fn);

}  // namespace roomplane::http
