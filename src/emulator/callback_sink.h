#pragma once
// The seam between the emulator's state machine (which decides WHICH status callbacks Twilio
// would send, with which parameters, in which order) and callback delivery (which sends them
// over HTTP, signs them with X-Twilio-Signature, and may drop, duplicate, reorder or delay them
// when faults are injected).
//
// The emulator calls enqueue() while it holds its state lock, in the order Twilio would emit the
// events, so implementations must not block and must not call back into the emulator.

#include <string>

#include "http/form.h"

namespace roomplane::emulator {

// One status callback as Twilio would send it.
struct Callback {
  std::string url;          // the StatusCallback URL (absolute)
  std::string method;       // "POST" (params form-encoded in the body) or "GET" (in the query)
  http::FormParams params;  // exactly the parameters of twilio-video-api.md section 8
  std::string auth_token;   // the account's Auth Token, the key of X-Twilio-Signature
  std::string room_sid;     // RM... (or CJ... for compositions): the ordering key; callbacks
                            // with the same key must be delivered in enqueue order
};

// Thread-safety: enqueue() is called from any thread (REST handlers on a WorkPool, the ticker
// thread), concurrently. It must return quickly (queue, never send inline).
class CallbackSink {
 public:
  virtual ~CallbackSink() = default;
  virtual void enqueue(Callback cb) = 0;
};

}  // namespace roomplane::emulator
