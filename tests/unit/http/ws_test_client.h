#pragma once
// A small synchronous WebSocket client for tests, over real loopback TCP (Beast). Every
// operation runs the client's own io_context under a deadline, so a misbehaving server fails a
// test instead of hanging it. After a timed-out read the client is unusable (Beast fails a
// cancelled stream), which is fine for a test that then asserts on the timeout.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace roomplane::http::testing {

class WsTestClient {
 public:
  using Headers = std::vector<std::pair<std::string, std::string>>;
  static constexpr std::chrono::milliseconds kDeadline{5000};

  // Connects to 127.0.0.1:port and upgrades `target`. `receive_buffer_bytes` > 0 shrinks the
  // socket's receive buffer (to make a slow reader cheap to simulate).
  WsTestClient(std::uint16_t port, std::string target, Headers headers = {},
               int receive_buffer_bytes = 0)
      : ws_(ioc_) {
    namespace net = boost::asio;
    auto& socket = boost::beast::get_lowest_layer(ws_).socket();
    socket.open(net::ip::tcp::v4(), error_);
    if (!error_ && receive_buffer_bytes > 0)
      socket.set_option(net::socket_base::receive_buffer_size(receive_buffer_bytes), error_);
    if (error_)
      return;
    const net::ip::tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), port);
    bool done = false;
    boost::beast::get_lowest_layer(ws_).async_connect(endpoint, [&](boost::beast::error_code ec) {
      error_ = ec;
      done = true;
    });
    run_until(done, kDeadline);
    if (error_)
      return;
    ws_.set_option(boost::beast::websocket::stream_base::decorator(
        [headers = std::move(headers)](boost::beast::websocket::request_type& request) {
          for (const auto& [name, value] : headers)
            request.set(name, value);
        }));
    done = false;
    ws_.async_handshake(handshake_response_, "127.0.0.1", target, [&](boost::beast::error_code ec) {
      error_ = ec;
      done = true;
    });
    run_until(done, kDeadline);
    if (!error_)
      ws_.text(true);
  }

  bool open() const { return !error_ && !broken_; }
  boost::beast::error_code error() const { return error_; }
  // The server's answer to the upgrade (101, or the refusal's status and body).
  const boost::beast::websocket::response_type& handshake_response() const {
    return handshake_response_;
  }
  unsigned handshake_status() const { return handshake_response_.result_int(); }

  boost::beast::error_code write(std::string_view text, bool binary = false) {
    ws_.binary(binary);
    bool done = false;
    boost::beast::error_code result;
    ws_.async_write(boost::asio::buffer(text.data(), text.size()),
                    [&](boost::beast::error_code ec, std::size_t) {
                      result = ec;
                      done = true;
                    });
    run_until(done, kDeadline);
    ws_.binary(false);
    return done ? result : boost::asio::error::timed_out;
  }

  // One message, or nullopt when the connection closed (close_reason() tells how), failed, or
  // nothing arrived within `timeout`.
  std::optional<std::string> read(std::chrono::milliseconds timeout = kDeadline) {
    boost::beast::flat_buffer buffer;
    bool done = false;
    boost::beast::error_code result;
    ws_.async_read(buffer, [&](boost::beast::error_code ec, std::size_t) {
      result = ec;
      done = true;
    });
    run_until(done, timeout);
    if (!done) {
      timed_out_ = true;
      return std::nullopt;
    }
    last_error_ = result;
    if (result)
      return std::nullopt;
    return boost::beast::buffers_to_string(buffer.data());
  }

  bool timed_out() const { return timed_out_; }
  boost::beast::error_code last_error() const { return last_error_; }
  bool closed_by_server() const { return last_error_ == boost::beast::websocket::error::closed; }
  boost::beast::websocket::close_reason close_reason() const { return ws_.reason(); }

  boost::beast::error_code close(
      boost::beast::websocket::close_code code = boost::beast::websocket::close_code::normal) {
    bool done = false;
    boost::beast::error_code result;
    ws_.async_close(code, [&](boost::beast::error_code ec) {
      result = ec;
      done = true;
    });
    run_until(done, kDeadline);
    return result;
  }

 private:
  // Runs the io_context until `done` or the deadline; on the deadline, cancels what is pending
  // and lets it unwind (the stream is then broken).
  void run_until(const bool& done, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    ioc_.restart();
    while (!done && std::chrono::steady_clock::now() < deadline) {
      ioc_.run_one_until(deadline);
    }
    if (!done) {
      broken_ = true;
      boost::beast::error_code ignored;
      boost::beast::get_lowest_layer(ws_).socket().cancel(ignored);
      boost::beast::get_lowest_layer(ws_).socket().close(ignored);
      ioc_.restart();
      ioc_.run();
    }
  }

  boost::asio::io_context ioc_;
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::beast::websocket::response_type handshake_response_;
  boost::beast::error_code error_;
  boost::beast::error_code last_error_;
  bool broken_ = false;
  bool timed_out_ = false;
};

// Polls `condition` until it holds or `timeout` passes (for state another thread changes).
template <class Condition>
bool eventually(Condition condition,
                std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace roomplane::http::testing
