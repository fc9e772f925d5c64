#pragma once
// The production HttpClient (client.h) on libcurl.
//
// Created by the composition root after a CurlRuntime, and shared by every outbound caller (the
// Twilio REST client, the emulator's callback sender). Thread-safe: each send() runs on the
// calling thread with its own easy handle, taken from a small pool of idle handles so that
// keep-alive connections (and TLS sessions) are reused between calls.
//
// Behaviour of send():
//  - Redirects are never followed: a 3xx is returned as a response with its Location header.
//    (A caller that wants the redirect target, such as a media URL, reads it from there.)
//  - Only http:// and https:// URLs. A malformed URL or another scheme is kInvalidArgument,
//    code "invalid_url": that is a bug or bad configuration, not a transport failure, and no
//    retry can fix it.
//  - connect_timeout bounds the TCP (and TLS) connect, timeout the whole exchange. Expiry is
//    kUnavailable, code "timeout". Every other transport failure (refused, reset, DNS, TLS) is
//    kUnavailable, code "network_error". Messages name the URL's host, never its path, query
//    or credentials.
//  - Response headers are captured (names case-insensitive; a repeated header's values are
//    joined with ", "). Interim 1xx responses are skipped. A body larger than
//    `max_response_bytes` aborts the call with "network_error".
//  - No signals (CURLOPT_NOSIGNAL), so timeouts are safe in a multi-threaded process.
//  - The caller's headers are sent as given; "Expect: 100-continue" is suppressed because our
//    own server does not answer it.

#include <cstddef>
#include <memory>
#include <string>

#include "http/client.h"

namespace roomplane::http {

// libcurl's process-wide setup (curl_global_init / curl_global_cleanup). The composition root
// creates exactly one before any thread sends, and destroys it after every client is gone;
// libcurl counts nested init/cleanup pairs, so tests may create one per fixture. Not
// thread-safe to construct concurrently with other libcurl use.
class CurlRuntime {
 public:
  CurlRuntime();
  ~CurlRuntime();
  CurlRuntime(const CurlRuntime&) = delete;
  CurlRuntime& operator=(const CurlRuntime&) = delete;
};

struct CurlClientOptions {
  std::size_t max_idle_handles = 8;                    // pooled idle easy handles
  std::size_t max_response_bytes = 16 * 1024 * 1024;   // larger bodies fail the call
  std::string user_agent = "roomplane/0.1 (libcurl)";  // sent unless the request sets one
};

class CurlHttpClient final : public HttpClient {
 public:
  // `runtime` is only proof that libcurl is initialised; it must outlive the client.
  explicit CurlHttpClient(const CurlRuntime& runtime, CurlClientOptions options = {});
  ~CurlHttpClient() override;
  CurlHttpClient(const CurlHttpClient&) = delete;
  CurlHttpClient& operator=(const CurlHttpClient&) = delete;

  core::Result<ClientResponse> send(const ClientRequest& request) override;

 private:
  struct Pool;
  CurlClientOptions options_;
  std::unique_ptr<Pool> pool_;
};

}  // namespace roomplane::http
