#pragma once
// The outbound HTTP seam: the Twilio REST client and the emulator's callback sender talk
// through it, so tests can substitute a fake and the transport can change. Blocking: call from
// worker threads, never from an I/O thread. Implementations are thread-safe.

#include <chrono>
#include <string>

#include "core/result.h"
#include "http/message.h"

namespace roomplane::http {

struct ClientRequest {
  std::string method = "GET";
  std::string url;  // absolute http:// or https:// URL
  Headers headers;
  std::string body;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds timeout{30000};  // whole request, connect included
};

struct ClientResponse {
  unsigned status = 0;
  Headers headers;
  std::string body;
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // A response of any status is a value; only transport failures are errors
  // (kUnavailable, code "network_error" or "timeout", message naming the URL's host).
  virtual core::Result<ClientResponse> send(const ClientRequest& request) = 0;
};

}  // namespace roomplane::http
