#pragma once
// A loopback port nobody listens on right now, for servers whose URL must be known before
// their routes are built (the webhook route verifies against the public URL). Another process
// taking it in between is possible but unlikely on loopback.

#include <cstdint>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace roomplane::testing {

inline std::uint16_t free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

}  // namespace roomplane::testing
