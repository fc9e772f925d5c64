#include "http/curl_client.h"

#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include <curl/curl.h>

namespace roomplane::http {
namespace {

struct EasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using HeaderList = std::unique_ptr<curl_slist, SlistDeleter>;

struct UrlDeleter {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};

struct CurlStringDeleter {
  void operator()(char* text) const { curl_free(text); }
};
using CurlString = std::unique_ptr<char, CurlStringDeleter>;

// The host of an http(s) URL, or nullopt when the URL is malformed or has another scheme.
// Parsed by libcurl itself so that what we validate is exactly what it would connect to.
std::optional<std::string> http_url_host(const std::string& url) {
  std::unique_ptr<CURLU, UrlDeleter> handle(curl_url());
  if (!handle || curl_url_set(handle.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK)
    return std::nullopt;
  char* raw = nullptr;
  if (curl_url_get(handle.get(), CURLUPART_SCHEME, &raw, 0) != CURLUE_OK)
    return std::nullopt;
  const CurlString scheme(raw);
  const std::string_view s(scheme.get());
  if (s != "http" && s != "https")
    return std::nullopt;
  raw = nullptr;
  if (curl_url_get(handle.get(), CURLUPART_HOST, &raw, 0) != CURLUE_OK)
    return std::nullopt;
  const CurlString host(raw);
  return std::string(host.get());
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() &&
         (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' || text.back() == '\n'))
    text.remove_suffix(1);
  return text;
}

// State one transfer's callbacks write into.
struct Transfer {
  ClientResponse response;
  std::size_t max_body = 0;
  bool body_too_large = false;
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::size_t bytes = size * count;
  if (transfer->response.body.size() + bytes > transfer->max_body) {
    transfer->body_too_large = true;
    return 0;  // makes libcurl abort with CURLE_WRITE_ERROR
  }
  transfer->response.body.append(data, bytes);
  return bytes;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::size_t bytes = size * count;
  const std::string_view line(data, bytes);
  if (line.rfind("HTTP/", 0) == 0) {
    // A new status line: headers of an interim (1xx) response before it are not ours.
    transfer->response.headers.clear();
    return bytes;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0)
    return bytes;  // the blank line ending the headers, or a malformed line
  std::string name(trim(line.substr(0, colon)));
  std::string value(trim(line.substr(colon + 1)));
  auto [it, inserted] = transfer->response.headers.try_emplace(std::move(name), value);
  if (!inserted)
    it->second += ", " + value;
  return bytes;
}

// curl_slist_append returns the new head, or null (leaving the list intact) when out of memory.
bool append_header(HeaderList& list, const std::string& line) {
  curl_slist* head = curl_slist_append(list.get(), line.c_str());
  if (head == nullptr)
    return false;
  static_cast<void>(list.release());
  list.reset(head);
  return true;
}

long millis(std::chrono::milliseconds d) {
  return static_cast<long>(d.count() > 0 ? d.count() : 1);
}

}  // namespace

CurlRuntime::CurlRuntime() {
  curl_global_init(CURL_GLOBAL_DEFAULT);
}
CurlRuntime::~CurlRuntime() {
  curl_global_cleanup();
}

struct CurlHttpClient::Pool {
  std::mutex mutex;
  std::vector<EasyHandle> idle;
};

CurlHttpClient::CurlHttpClient(const CurlRuntime& /*runtime*/, CurlClientOptions options)
    : options_(std::move(options)), pool_(std::make_unique<Pool>()) {}

CurlHttpClient::~CurlHttpClient() = default;

core::Result<ClientResponse> CurlHttpClient::send(const ClientRequest& request) {
  const auto host = http_url_host(request.url);
  if (!host) {
    return core::Error::invalid_argument("invalid_url",
                                         "the request URL is not a valid http(s) URL");
  }

  EasyHandle handle;
  {
    std::lock_guard lock(pool_->mutex);
    if (!pool_->idle.empty()) {
      handle = std::move(pool_->idle.back());
      pool_->idle.pop_back();
    }
  }
  if (!handle)
    handle.reset(curl_easy_init());
  if (!handle)
    return core::Error::unavailable("network_error", "could not create an HTTP client handle");
  CURL* curl = handle.get();

  HeaderList headers;
  for (const auto& [name, value] : request.headers) {
    if (!append_header(headers, name + ": " + value))
      return core::Error::unavailable("network_error", "out of memory building headers");
  }
  // libcurl adds "Expect: 100-continue" to large bodies; an empty value removes it.
  if (!append_header(headers, "Expect:"))
    return core::Error::unavailable("network_error", "out of memory building headers");

  Transfer transfer;
  transfer.max_body = options_.max_response_bytes;
  char error_buffer[CURL_ERROR_SIZE] = {};

  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, millis(request.connect_timeout));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, millis(request.timeout));
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // whatever libcurl can decode
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  if (request.headers.count("User-Agent") == 0)
    curl_easy_setopt(curl, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);

  if (request.method == "GET") {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else {
    // POSTFIELDS makes libcurl send the body with Content-Length (also when empty, which POST
    // needs); CUSTOMREQUEST only replaces the method word for PUT, PATCH, DELETE, ...
    if (request.method == "POST" || !request.body.empty()) {
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    }
    if (request.method != "POST")
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }

  const CURLcode code = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);

  // Reset before pooling so no option points into this call's (dead) buffers; the handle keeps
  // its connection cache, which is the point of pooling it.
  curl_easy_reset(curl);
  {
    std::lock_guard lock(pool_->mutex);
    if (pool_->idle.size() < options_.max_idle_handles)
      pool_->idle.push_back(std::move(handle));
  }

  if (code == CURLE_OPERATION_TIMEDOUT)
    return core::Error::unavailable("timeout", "request to " + *host + " timed out");
  if (code != CURLE_OK) {
    if (transfer.body_too_large) {
      return core::Error::unavailable("network_error",
                                      "response from " + *host + " exceeds the size limit");
    }
    const std::string detail = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code);
    return core::Error::unavailable("network_error", "request to " + *host + " failed: " + detail);
  }
  transfer.response.status = static_cast<unsigned>(status);
  return std::move(transfer.response);
}

}  // namespace roomplane::http
