#pragma once
// Test support for callback delivery: a minimal http::HttpClient over Beast (one connection per
// request, deadlines on every operation), a recording receiver on a real loopback http::Server
// that checks every X-Twilio-Signature, and a TCP "black hole" that accepts and never answers.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>

#include "http/client.h"
#include "http/form.h"
#include "http/router.h"
#include "http/server.h"
#include "observability/metrics.h"
#include "twilio/signature.h"

namespace roomplane::emulator::testing {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;

// Only what the tests send: http://host:port/target.
class BeastHttpClient final : public http::HttpClient {
 public:
  core::Result<http::ClientResponse> send(const http::ClientRequest& request) override {
    constexpr std::string_view kScheme = "http://";
    std::string_view url = request.url;
    if (url.substr(0, kScheme.size()) != kScheme)
      return core::Error::unavailable("network_error", "only http:// in tests");
    url.remove_prefix(kScheme.size());
    const auto slash = url.find('/');
    const std::string_view authority = url.substr(0, slash);
    const std::string target(slash == std::string_view::npos ? "/" : url.substr(slash));
    const auto colon = authority.rfind(':');
    const std::string host(authority.substr(0, colon));
    const std::string port(colon == std::string_view::npos ? "80" : authority.substr(colon + 1));

    net::io_context ioc;
    beast::tcp_stream stream(ioc);
    beast::error_code error;
    const net::ip::tcp::endpoint endpoint(net::ip::make_address(host, error),
                                          static_cast<std::uint16_t>(std::stoi(port)));
    if (error)
      return core::Error::unavailable("network_error", "bad host " + host);

    stream.expires_after(request.connect_timeout);
    stream.async_connect(endpoint, [&](beast::error_code ec) { error = ec; });
    ioc.run();
    if (error)
      return failure(error, host);

    bhttp::request<bhttp::string_body> out{bhttp::string_to_verb(request.method), target, 11};
    out.set(bhttp::field::host, std::string(authority));
    for (const auto& [name, value] : request.headers)
      out.set(name, value);
    out.body() = request.body;
    out.prepare_payload();
    stream.expires_after(request.timeout);
    bhttp::async_write(stream, out, [&](beast::error_code ec, std::size_t) { error = ec; });
    ioc.restart();
    ioc.run();
    if (error)
      return failure(error, host);

    beast::flat_buffer buffer;
    bhttp::response<bhttp::string_body> in;
    bhttp::async_read(stream, buffer, in, [&](beast::error_code ec, std::size_t) { error = ec; });
    ioc.restart();
    ioc.run();
    if (error)
      return failure(error, host);
    beast::error_code ignored;
    stream.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);

    http::ClientResponse response;
    response.status = in.result_int();
    for (const auto& field : in)
      response.headers[std::string(field.name_string())] = std::string(field.value());
    response.body = std::move(in.body());
    return response;
  }

 private:
  static core::Error failure(const beast::error_code& ec, const std::string& host) {
    return core::Error::unavailable(ec == beast::error::timeout ? "timeout" : "network_error",
                                    "request to " + host + " failed: " + ec.message());
  }
};

// Counts calls, for retry tests against unreachable URLs.
class CountingClient final : public http::HttpClient {
 public:
  explicit CountingClient(http::HttpClient& inner) : inner_(inner) {}
  core::Result<http::ClientResponse> send(const http::ClientRequest& request) override {
    ++calls;
    return inner_.send(request);
  }
  std::atomic<int> calls{0};

 private:
  http::HttpClient& inner_;
};

struct Received {
  std::string method;
  std::string path;
  std::string url;  // as the receiver reconstructs it: http://127.0.0.1:<port><target>
  std::string body;
  http::Headers headers;
  http::FormParams params;  // body params (POST) or the query's (GET), in order
  bool signature_ok = false;
  unsigned answered = 200;

  std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
  std::string param(std::string_view name) const {
    return http::form_value(params, name).value_or("");
  }
};

// Accepts GET and POST on /cb/{name}. Answers 200 unless a script says otherwise for the path.
class Receiver {
 public:
  explicit Receiver(std::string auth_token) : auth_token_(std::move(auth_token)) {
    auto handler = [this](http::Request request, http::Responder respond) {
      respond(http::Response::text(record(request), "ok"));
    };
    router_.add("POST", "/cb/{name}", handler);
    router_.add("GET", "/cb/{name}", handler);
    http::ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.threads = 1;
    options.read_timeout = std::chrono::seconds(3);
    options.idle_timeout = std::chrono::seconds(3);
    options.drain_timeout = std::chrono::seconds(2);
    server_ = std::make_unique<http::Server>(options, router_, metrics_, observability::Logger{});
    const auto status = server_->start();
    EXPECT_TRUE(status.ok());
  }
  ~Receiver() { server_->shutdown(); }

  std::string base() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  std::string url(std::string_view path_and_query) const {
    return base() + std::string(path_and_query);
  }

  // The next answers for `path`, in order; 200 after they run out.
  void script(const std::string& path, std::vector<unsigned> statuses) {
    std::lock_guard lock(mutex_);
    scripts_[path] = std::move(statuses);
  }

  std::vector<Received> received() const {
    std::lock_guard lock(mutex_);
    return received_;
  }

  bool wait_for_count(std::size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return received_.size() >= n; });
  }

 private:
  unsigned record(const http::Request& request) {
    Received r;
    r.method = request.method;
    r.path = request.path;
    r.url = base() + request.target;
    r.body = request.body;
    r.headers = request.headers;
    const auto signature = request.header("X-Twilio-Signature").value_or("");
    if (request.method == "POST") {
      auto params = http::parse_form(request.body);
      if (params.ok())
        r.params = *params;
      r.signature_ok =
          params.ok() && twilio::validate_signature(auth_token_, r.url, r.params, signature);
    } else {
      const auto q = request.target.find('?');
      if (q != std::string::npos) {
        auto params = http::parse_form(std::string_view(request.target).substr(q + 1));
        if (params.ok())
          r.params = *params;
      }
      r.signature_ok = twilio::validate_signature(auth_token_, r.url, {}, signature);
    }
    std::lock_guard lock(mutex_);
    auto& script = scripts_[request.path];
    if (!script.empty()) {
      r.answered = script.front();
      script.erase(script.begin());
    }
    const unsigned status = r.answered;
    received_.push_back(std::move(r));
    cv_.notify_all();
    return status;
  }

  std::string auth_token_;
  http::Router router_;
  observability::MetricsRegistry metrics_;
  std::unique_ptr<http::Server> server_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::map<std::string, std::vector<unsigned>> scripts_;
  std::vector<Received> received_;
};

// Accepts connections and never reads or answers, so requests to it hang until the client's
// timeout. The accepted sockets are closed on destruction.
class BlackHole {
 public:
  BlackHole() : acceptor_(ioc_, net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)) {
    accept();
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~BlackHole() {
    ioc_.stop();
    thread_.join();
  }
  std::string url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) +
           std::string(path);
  }

 private:
  void accept() {
    acceptor_.async_accept([this](beast::error_code ec, net::ip::tcp::socket socket) {
      if (ec)
        return;
      sockets_.push_back(std::move(socket));
      accept();
    });
  }
  net::io_context ioc_;
  net::ip::tcp::acceptor acceptor_;
  std::vector<net::ip::tcp::socket> sockets_;
  std::thread thread_;
};

// A port nothing listens on: bind, note the port, close.
inline std::string refused_url() {
  net::io_context ioc;
  net::ip::tcp::acceptor acceptor(ioc,
                                  net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  const auto port = acceptor.local_endpoint().port();
  acceptor.close();
  return "http://127.0.0.1:" + std::to_string(port) + "/cb/refused";
}

}  // namespace roomplane::emulator::testing
