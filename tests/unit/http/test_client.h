#pragma once
// A tiny synchronous HTTP/1.1 client for the server tests, over real loopback TCP. Every
// operation runs the client's own io_context under a deadline (beast::tcp_stream timeouts), so
// a misbehaving server fails a test instead of hanging it.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace roomplane::http::testing {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;

using HttpResponse = bhttp::response<bhttp::string_body>;

inline constexpr std::chrono::seconds kClientDeadline{5};

inline std::string header_of(const HttpResponse& response, std::string_view name) {
  const auto value = response[beast::string_view(name.data(), name.size())];
  return std::string(value.data(), value.size());
}

class TestClient {
 public:
  explicit TestClient(std::uint16_t port) : stream_(ioc_) {
    const net::ip::tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), port);
    stream_.expires_after(kClientDeadline);
    stream_.async_connect(endpoint, [this](beast::error_code ec) { connect_error_ = ec; });
    run();
  }

  // Empty when the constructor connected.
  beast::error_code connect_error() const { return connect_error_; }

  // Writes bytes as they are: for malformed, partial or pipelined requests.
  beast::error_code send_raw(std::string_view bytes) {
    beast::error_code result;
    stream_.expires_after(kClientDeadline);
    net::async_write(stream_, net::buffer(bytes.data(), bytes.size()),
                     [&result](beast::error_code ec, std::size_t) { result = ec; });
    run();
    return result;
  }

  beast::error_code send(bhttp::request<bhttp::string_body> request) {
    request.prepare_payload();
    beast::error_code result;
    stream_.expires_after(kClientDeadline);
    bhttp::async_write(stream_, request,
                       [&result](beast::error_code ec, std::size_t) { result = ec; });
    run();
    return result;
  }

  // Reads one response. When none arrived, `ec` is set and the status is 0.
  HttpResponse read_response(beast::error_code* ec = nullptr) {
    HttpResponse response;
    beast::error_code result;
    stream_.expires_after(kClientDeadline);
    bhttp::async_read(stream_, buffer_, response,
                      [&result](beast::error_code e, std::size_t) { result = e; });
    run();
    if (ec != nullptr)
      *ec = result;
    return result ? failed() : response;
  }

  // What request() returns when no response arrived: status 0, so no test mistakes it for 200.
  static HttpResponse failed() {
    HttpResponse response;
    response.result(0u);
    return response;
  }

  HttpResponse request(bhttp::verb method, std::string_view target, std::string body = {},
                       const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    bhttp::request<bhttp::string_body> request{
        method, beast::string_view(target.data(), target.size()), 11};
    request.set(bhttp::field::host, "127.0.0.1");
    if (!body.empty())
      request.set(bhttp::field::content_type, "application/json");
    for (const auto& [name, value] : headers)
      request.set(name, value);
    request.body() = std::move(body);
    if (send(std::move(request)))
      return failed();
    return read_response();
  }

  HttpResponse get(std::string_view target,
                   const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    return request(bhttp::verb::get, target, {}, headers);
  }

  // Every byte the server sends until it closes the connection (or the deadline passes): for
  // tests of the exact bytes on the wire.
  std::string read_until_close(std::chrono::milliseconds deadline = kClientDeadline) {
    std::string bytes(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    buffer_.consume(buffer_.size());
    beast::error_code result;
    stream_.expires_after(deadline);
    while (!result) {
      char scratch[512];
      std::size_t got = 0;
      stream_.async_read_some(net::buffer(scratch), [&](beast::error_code ec, std::size_t n) {
        result = ec;
        got = n;
      });
      run();
      bytes.append(scratch, got);
    }
    return bytes;
  }

  // True when the server closes the connection (end of stream or reset) before the deadline;
  // any bytes still arriving are read and dropped.
  bool wait_for_close(std::chrono::milliseconds deadline = kClientDeadline) {
    beast::error_code result;
    stream_.expires_after(deadline);
    while (!result) {
      char scratch[512];
      stream_.async_read_some(net::buffer(scratch),
                              [&result](beast::error_code ec, std::size_t) { result = ec; });
      run();
    }
    return result != beast::error::timeout;
  }

 private:
  void run() {
    ioc_.restart();
    ioc_.run();
  }

  net::io_context ioc_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  beast::error_code connect_error_;
};

}  // namespace roomplane::http::testing
