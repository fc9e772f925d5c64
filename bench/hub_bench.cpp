// Load client for the real-time hub benchmark; bench/hub.sh runs it against a release
// `roomplane serve`. Two modes:
//
//   connections  Opens N hub WebSockets the way a skipNegotiation client does
//                (GET /hubs/rooms?access_token=..., then the SignalR handshake), keeps them open
//                without ever sending again, and reads the server's resident memory
//                (/proc/<pid>/status VmRSS) before connecting, once all N are open and settled,
//                and after closing them. Prints (open - before) / N: the server's memory per
//                connection. A client that never pinged is never timed out by the hub (hub.h,
//                client_timeout), and the server's own pings every 15 s are simply read.
//
//   latency      C hub clients (no Subscribe, so each receives every event of the tenant) and a
//                sender that posts correctly signed participant-connected callbacks to
//                /webhooks/twilio/{tenant} at a fixed rate over keep-alive connections. The
//                callbacks name rooms created first through POST /v1/rooms (only rooms linked to
//                a local room produce hub events). Callback i carries a new participant SID and
//                the identity "hb-<i>", so a ParticipantJoined received by a client maps back to
//                the time callback i was due: receipt - due time is one delivery latency, and it
//                includes everything in between (any wait for a free sender connection,
//                signature check, durable group commit, hub fan-out, WebSocket write).
//                Percentiles are over every (event, client) delivery after the warm-up; the
//                same from the actual write are printed beside them.
//
// Lean by design, because the server shares 2 cores with this process: one thread runs one
// io_context for the hub clients and the setup (main() drives it step by step with
// run_one_for, which sleeps in epoll, never spins), and in the latency mode a second thread
// runs the sender's, so reading 100 clients' deliveries never holds a callback past its due
// time (latency counts from the due time); callbacks are built and signed before the clock
// starts; the sender is paced by a 1 ms timer; and a received record is matched by a substring
// search for its identity instead of a JSON parse (100 clients x 5,000 events/s is 500,000
// records/s).
//
// Output: "key value" lines on stdout (hub.sh reads them), progress on stderr.
//
// Usage:
//   roomplane_hub_bench connections --url http://127.0.0.1:PORT --token API_KEY --pid SERVER_PID
//       [--connections 10000] [--concurrency 256] [--settle-ms 3000] [--timeout-seconds 180]
//   roomplane_hub_bench latency --url http://127.0.0.1:PORT --token API_KEY --tenant TENANT_ID
//       --account-sid AC... --auth-token TOKEN [--public-url URL (default --url)] [--clients 100]
//       [--rate 5000] [--seconds 10] [--warmup-seconds 2] [--rooms 3000] [--senders 128]
//       [--drain-seconds 5] [--pid SERVER_PID (to report its CPU use)]

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>
#include <sys/resource.h>
#include <unistd.h>

#include "http/form.h"
#include "twilio/signature.h"

namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace websocket = boost::beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kSignalRHandshake = "{\"protocol\":\"json\",\"version\":1}\x1e";
constexpr std::string_view kHandshakeOk = "{}\x1e";
constexpr char kRecordSeparator = '\x1e';
constexpr std::string_view kIdentityPrefix = "hb-";

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// --- Command line ----------------------------------------------------------------------------

class Flags {
 public:
  // "--name value" pairs; false (with a message) on anything else.
  bool parse(int argc, char** argv, int first) {
    for (int i = first; i < argc; i += 2) {
      const std::string_view flag = argv[i];
      if (!flag.starts_with("--") || i + 1 >= argc) {
        std::cerr << "hub_bench: expected --flag value, got " << flag << "\n";
        return false;
      }
      values_[std::string(flag.substr(2))] = argv[i + 1];
    }
    return true;
  }
  std::string text(const std::string& name, std::string fallback = {}) const {
    auto it = values_.find(name);
    return it == values_.end() ? fallback : it->second;
  }
  long number(const std::string& name, long fallback) const {
    auto it = values_.find(name);
    return it == values_.end() ? fallback : std::stol(it->second);
  }
  bool require(std::initializer_list<const char*> names) const {
    bool ok = true;
    for (const char* name : names) {
      if (text(name).empty()) {
        std::cerr << "hub_bench: --" << name << " is required\n";
        ok = false;
      }
    }
    return ok;
  }

 private:
  std::map<std::string, std::string> values_;
};

// --- Process helpers -------------------------------------------------------------------------

// 10,000 sockets need more than the usual soft limit of 1,024 descriptors; the hard limit is
// what an unprivileged process may raise it to.
rlim_t raise_fd_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
    return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
  }
  return limit.rlim_cur;
}

// The resident set of `pid` in bytes (VmRSS), or nullopt when unreadable.
std::optional<std::int64_t> read_rss_bytes(long pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) {
      return std::stoll(line.substr(6)) * 1024;  // reported in kB
    }
  }
  return std::nullopt;
}

// CPU time in seconds: of the whole machine (busy, all cores), of process `pid`, and of this
// process. Taken around the measured window so a run on a shared machine shows how much CPU
// other processes took from it.
struct CpuTimes {
  double machine_busy = 0;
  double server = 0;
  double self = 0;
};

CpuTimes read_cpu_times(long pid) {
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  CpuTimes out;
  {
    std::ifstream stat("/proc/stat");
    std::string cpu;
    std::uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0,
                  steal = 0;
    stat >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
    out.machine_busy = static_cast<double>(user + nice + system + irq + softirq + steal) / tick;
  }
  if (pid > 0) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    // Fields after the command name (which may hold spaces) start at state, field 3; utime and
    // stime are fields 14 and 15.
    const auto close = text.rfind(')');
    if (close != std::string::npos) {
      std::istringstream fields(text.substr(close + 2));
      std::string field;
      std::uint64_t utime = 0, stime = 0;
      for (int i = 3; i <= 15 && fields >> field; ++i) {
        if (i == 14)
          utime = std::stoull(field);
        if (i == 15)
          stime = std::stoull(field);
      }
      out.server = static_cast<double>(utime + stime) / tick;
    }
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  out.self = seconds(usage.ru_utime) + seconds(usage.ru_stime);
  return out;
}

// What process `pid` handed to the kernel's read and write calls (/proc/<pid>/io): bytes and
// calls. For the server these are almost all SQLite's (WAL frames, checkpoint copies and the
// checkpoint's reads of the WAL); sockets go through sendmsg/recvmsg, which are not counted.
struct IoCounters {
  double write_bytes = 0;
  double write_calls = 0;
  double read_bytes = 0;
  double read_calls = 0;
};

IoCounters read_io_counters(long pid) {
  IoCounters out;
  if (pid <= 0)
    return out;
  std::ifstream io("/proc/" + std::to_string(pid) + "/io");
  std::string name;
  double value = 0;
  while (io >> name >> value) {
    if (name == "wchar:")
      out.write_bytes = value;
    else if (name == "syscw:")
      out.write_calls = value;
    else if (name == "rchar:")
      out.read_bytes = value;
    else if (name == "syscr:")
      out.read_calls = value;
  }
  return out;
}

// Runs the io_context on this thread until done() or the time limit: lets main() run the
// benchmark as sequential steps on a single thread. run_one_for blocks in epoll (the work
// guard in main() keeps it from returning at once), so waiting costs no CPU.
bool run_until(net::io_context& ioc, const std::function<bool()>& done, Clock::duration limit) {
  const auto deadline = Clock::now() + limit;
  while (!done()) {
    if (Clock::now() >= deadline)
      return false;
    ioc.run_one_for(std::chrono::milliseconds(50));
  }
  return true;
}

void run_for(net::io_context& ioc, Clock::duration duration) {
  const auto deadline = Clock::now() + duration;
  while (Clock::now() < deadline)
    ioc.run_one_until(deadline);
}

// --- HTTP ------------------------------------------------------------------------------------

struct ServerAddress {
  std::string host;  // "127.0.0.1:8080", for the Host header
  tcp::endpoint endpoint;
};

// Plain "http://<IP literal>:<port>" only: the benchmark runs over loopback.
std::optional<ServerAddress> parse_url(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme))
    return std::nullopt;
  url.remove_prefix(kScheme.size());
  while (url.ends_with('/'))
    url.remove_suffix(1);
  const auto colon = url.rfind(':');
  if (colon == std::string_view::npos)
    return std::nullopt;
  unsigned port = 0;
  const auto digits = url.substr(colon + 1);
  if (std::from_chars(digits.data(), digits.data() + digits.size(), port).ec != std::errc{} ||
      port == 0 || port > 65535)
    return std::nullopt;
  beast::error_code ec;
  const auto address = net::ip::make_address(std::string(url.substr(0, colon)), ec);
  if (ec)
    return std::nullopt;
  return ServerAddress{std::string(url), tcp::endpoint(address, static_cast<unsigned short>(port))};
}

struct HttpResult {
  unsigned status = 0;  // 0: transport error (see body)
  std::string body;
};

// One blocking request on a new connection: only for setup and for reading /metrics, never
// while the clock runs.
HttpResult http_request(net::io_context& ioc, const ServerAddress& server, bhttp::verb method,
                        const std::string& target, const std::string& bearer, std::string body) {
  HttpResult result;
  try {
    tcp::socket socket(ioc);
    socket.connect(server.endpoint);
    bhttp::request<bhttp::string_body> request(method, target, 11);
    request.set(bhttp::field::host, server.host);
    if (!bearer.empty())
      request.set(bhttp::field::authorization, "Bearer " + bearer);
    if (!body.empty())
      request.set(bhttp::field::content_type, "application/json");
    request.body() = std::move(body);
    request.prepare_payload();
    bhttp::write(socket, request);
    beast::flat_buffer buffer;
    bhttp::response<bhttp::string_body> response;
    bhttp::read(socket, buffer, response);
    result.status = response.result_int();
    result.body = std::move(response.body());
    beast::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
  } catch (const std::exception& e) {
    result.body = e.what();
  }
  return result;
}

// The sum of every sample of `name` (over all its label sets) in Prometheus text; nullopt when
// there is none.
std::optional<double> metric_total(std::string_view metrics, std::string_view name) {
  std::optional<double> total;
  std::size_t at = 0;
  while (at < metrics.size()) {
    auto end = metrics.find('\n', at);
    if (end == std::string_view::npos)
      end = metrics.size();
    const auto line = metrics.substr(at, end - at);
    at = end + 1;
    if (line.starts_with(name) && line.size() > name.size() &&
        (line[name.size()] == ' ' || line[name.size()] == '{')) {
      total = total.value_or(0) + std::stod(std::string(line.substr(line.rfind(' ') + 1)));
    }
  }
  return total;
}

// --- Hub client --------------------------------------------------------------------------------

class HubClient;

// What a benchmark does with its hub clients. Called on the io_context thread.
class HubListener {
 public:
  virtual ~HubListener() = default;
  virtual void on_ready(HubClient& client) = 0;  // SignalR handshake answered
  virtual void on_failed(HubClient& client, const std::string& what) = 0;
  // One WebSocket message: one or more records, each ending in 0x1E. `received_ns` is when the
  // read completed; every record of the message arrived by then.
  virtual void on_message(HubClient& client, std::string_view text, std::int64_t received_ns) = 0;
};

// One SignalR client over one WebSocket: connect, upgrade (skipNegotiation), handshake, then
// read forever. It sends nothing after the handshake, not even pings: the hub times out only
// clients that pinged once (as ASP.NET does), so a silent client stays connected.
class HubClient : public std::enable_shared_from_this<HubClient> {
 public:
  HubClient(net::io_context& ioc, const ServerAddress& server, const std::string& target,
            HubListener& listener)
      : ws_(ioc), server_(server), target_(target), listener_(listener) {}

  void start() {
    ws_.next_layer().async_connect(
        server_.endpoint, beast::bind_front_handler(&HubClient::on_connect, shared_from_this()));
  }

  // Drops the TCP connection (no close handshake: the server must cope with that anyway).
  void close() {
    closed_ = true;
    beast::error_code ignored;
    ws_.next_layer().close(ignored);
  }

  bool ready() const { return ready_; }

 private:
  void fail(const std::string& what) {
    if (closed_)
      return;
    closed_ = true;
    beast::error_code ignored;
    ws_.next_layer().close(ignored);
    listener_.on_failed(*this, what);
  }

  void on_connect(beast::error_code ec) {
    if (ec)
      return fail("connect: " + ec.message());
    beast::error_code ignored;
    ws_.next_layer().set_option(tcp::no_delay(true), ignored);
    ws_.async_handshake(server_.host, target_,
                        beast::bind_front_handler(&HubClient::on_upgrade, shared_from_this()));
  }

  void on_upgrade(beast::error_code ec) {
    if (ec)
      return fail("websocket upgrade: " + ec.message());
    ws_.text(true);
    ws_.async_write(net::buffer(kSignalRHandshake.data(), kSignalRHandshake.size()),
                    beast::bind_front_handler(&HubClient::on_handshake_sent, shared_from_this()));
  }

  void on_handshake_sent(beast::error_code ec, std::size_t /*bytes*/) {
    if (ec)
      return fail("signalr handshake write: " + ec.message());
    read();
  }

  void read() {
    ws_.async_read(buffer_, beast::bind_front_handler(&HubClient::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t /*bytes*/) {
    const auto received = now_ns();
    if (closed_)
      return;
    if (ec)
      return fail((ready_ ? "read: " : "signalr handshake read: ") + ec.message());
    const auto data = buffer_.cdata();
    std::string_view text(static_cast<const char*>(data.data()), data.size());
    if (!ready_) {
      // The answer may share its WebSocket message with the first events: the server writes
      // everything queued for a connection as one message.
      if (!text.starts_with(kHandshakeOk))
        return fail("signalr handshake refused: " + std::string(text.substr(0, 200)));
      text.remove_prefix(kHandshakeOk.size());
      ready_ = true;
      listener_.on_ready(*this);
    }
    if (!text.empty())
      listener_.on_message(*this, text, received);
    buffer_.consume(buffer_.size());
    if (!closed_)
      read();
  }

  websocket::stream<tcp::socket> ws_;
  const ServerAddress& server_;
  const std::string& target_;
  HubListener& listener_;
  beast::flat_buffer buffer_;
  bool ready_ = false;
  bool closed_ = false;
};

std::string hub_target(const std::string& token) {
  return "/hubs/rooms?access_token=" + roomplane::http::percent_encode(token);
}

// Opens `total` hub clients, at most `concurrency` handshakes at a time: a burst of 10,000
// SYNs would overflow the listen backlog, and each dropped SYN costs a 1 s retransmission.
class ClientPool final : public HubListener {
 public:
  ClientPool(net::io_context& ioc, const ServerAddress& server, std::string target,
             std::size_t total, std::size_t concurrency)
      : ioc_(ioc),
        server_(server),
        target_(std::move(target)),
        total_(total),
        concurrency_(std::max<std::size_t>(concurrency, 1)) {
    clients_.reserve(total);
  }

  void start() {
    started_ = Clock::now();
    while (launched_ < total_ && launched_ < concurrency_)
      launch();
  }
  bool settled() const { return ready_ + failed_ == total_; }
  double connect_seconds() const { return connect_seconds_; }
  std::size_t ready_count() const { return ready_; }
  std::size_t failed_count() const { return failed_; }
  std::size_t lost_count() const { return lost_; }  // failed after being ready
  const std::string& first_error() const { return first_error_; }
  std::uint64_t other_messages() const { return messages_; }

  void close_all() {
    for (auto& client : clients_)
      client->close();
  }

  // For the latency benchmark: who handles the events.
  void set_message_handler(std::function<void(std::string_view, std::int64_t)> handler) {
    handler_ = std::move(handler);
  }

  void on_ready(HubClient& /*client*/) override {
    ++ready_;
    next();
  }
  void on_failed(HubClient& client, const std::string& what) override {
    if (first_error_.empty())
      first_error_ = what;
    if (client.ready()) {
      ++lost_;
      return;
    }
    ++failed_;
    next();
  }
  void on_message(HubClient& /*client*/, std::string_view text, std::int64_t received) override {
    if (handler_)
      handler_(text, received);
    else
      ++messages_;
  }

 private:
  void launch() {
    ++launched_;
    clients_.push_back(std::make_shared<HubClient>(ioc_, server_, target_, *this));
    clients_.back()->start();
  }
  void next() {
    if (launched_ < total_)
      launch();
    if (settled() && connect_seconds_ == 0)
      connect_seconds_ = seconds_since(started_);
  }

  net::io_context& ioc_;
  const ServerAddress& server_;
  const std::string target_;
  const std::size_t total_;
  const std::size_t concurrency_;
  std::vector<std::shared_ptr<HubClient>> clients_;
  std::function<void(std::string_view, std::int64_t)> handler_;
  Clock::time_point started_;
  std::size_t launched_ = 0;
  std::size_t ready_ = 0;
  std::size_t failed_ = 0;
  std::size_t lost_ = 0;
  std::uint64_t messages_ = 0;
  double connect_seconds_ = 0;
  std::string first_error_;
};

// --- connections mode --------------------------------------------------------------------------

int run_connections(const Flags& flags) {
  if (!flags.require({"url", "token", "pid"}))
    return 2;
  const auto server = parse_url(flags.text("url"));
  if (!server) {
    std::cerr << "hub_bench: --url must be http://<ip>:<port>\n";
    return 2;
  }
  const long pid = flags.number("pid", 0);
  const auto total = static_cast<std::size_t>(flags.number("connections", 10000));
  const auto concurrency = static_cast<std::size_t>(flags.number("concurrency", 256));
  const auto settle = std::chrono::milliseconds(flags.number("settle-ms", 3000));
  const auto timeout = std::chrono::seconds(flags.number("timeout-seconds", 180));

  const auto fd_limit = raise_fd_limit();
  if (fd_limit < total + 64) {
    std::cerr << "hub_bench: file descriptor limit " << fd_limit << " is too low for " << total
              << " connections\n";
    return 2;
  }

  net::io_context ioc(1);
  auto work = net::make_work_guard(ioc);
  const auto metrics_of = [&] {
    return http_request(ioc, *server, bhttp::verb::get, "/metrics", "", "").body;
  };

  const auto before = read_rss_bytes(pid);
  if (!before) {
    std::cerr << "hub_bench: cannot read /proc/" << pid << "/status\n";
    return 2;
  }
  std::cerr << "hub_bench: opening " << total << " hub connections (" << concurrency
            << " handshakes at a time)\n";
  ClientPool pool(ioc, *server, hub_target(flags.text("token")), total, concurrency);
  pool.start();
  const bool settled = run_until(
      ioc, [&] { return pool.settled(); }, timeout);
  // Let the server finish what it does after the handshake (group joins, frees the upgrade
  // request), then take the figure while every connection is still open.
  run_for(ioc, settle);
  const auto open = read_rss_bytes(pid).value_or(0);
  const auto server_metrics = metrics_of();
  const auto server_count =
      metric_total(server_metrics, "roomplane_hub_connections_active").value_or(-1);

  pool.close_all();
  run_for(ioc, std::chrono::seconds(3));
  const auto after_close = read_rss_bytes(pid).value_or(0);

  const auto opened = pool.ready_count();
  std::cout << "connections_target " << total << "\n"
            << "connections_open " << opened << "\n"
            << "connections_failed " << pool.failed_count() << "\n"
            << "connections_lost " << pool.lost_count() << "\n"
            << "server_hub_connections_active " << server_count << "\n"
            << "connect_seconds " << (settled ? pool.connect_seconds() : -1.0) << "\n"
            << "server_rss_before_bytes " << *before << "\n"
            << "server_rss_open_bytes " << open << "\n"
            << "server_rss_after_close_bytes " << after_close << "\n"
            << "bytes_per_connection "
            << (opened > 0 ? (open - *before) / static_cast<std::int64_t>(opened) : 0) << "\n";
  if (!pool.first_error().empty())
    std::cout << "first_error " << pool.first_error() << "\n";
  return opened == total && pool.lost_count() == 0 ? 0 : 1;
}

// --- latency mode ------------------------------------------------------------------------------

struct Room {
  std::string id;   // local room id: the provider room's unique name, Twilio's RoomName
  std::string sid;  // provider_room_sid: what callbacks name
};

std::string hex(std::uint64_t value, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(static_cast<std::size_t>(digits), '0');
  for (int i = digits - 1; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = kHex[value & 0xF];
    value >>= 4;
  }
  return out;
}

std::string utc_now() {
  const auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

// Builds and signs every callback before the clock starts, as complete HTTP/1.1 requests:
// during the run the sender only writes bytes. Callback i is participant-connected of a new
// participant with identity "hb-<i>" in room i mod rooms.
std::vector<std::string> build_callbacks(const ServerAddress& server, const std::string& public_url,
                                         const std::string& tenant, const std::string& account_sid,
                                         const std::string& auth_token,
                                         const std::vector<Room>& rooms, std::size_t count) {
  const std::string path = "/webhooks/twilio/" + tenant;
  const std::string url = public_url + path;
  // Participant SIDs differ between runs too, so a second run on the same database is never
  // answered as a duplicate.
  std::random_device random;
  const std::uint64_t run = (std::uint64_t{random()} << 32) | random();
  // The emulator numbers its own callbacks of a room from 0; these start far above.
  std::vector<std::int64_t> sequence(rooms.size(), 1'000'000);
  const std::string timestamp = utc_now();
  std::vector<std::string> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const auto& room = rooms[i % rooms.size()];
    roomplane::http::FormParams params{
        {"AccountSid", account_sid},
        {"RoomName", room.id},
        {"RoomSid", room.sid},
        {"RoomStatus", "in-progress"},
        {"RoomType", "group"},
        {"StatusCallbackEvent", "participant-connected"},
        {"Timestamp", timestamp},
        {"SequenceNumber", std::to_string(sequence[i % rooms.size()]++)},
        {"ParticipantSid", "PA" + hex(run, 16) + hex(i, 16)},
        {"ParticipantIdentity", std::string(kIdentityPrefix) + std::to_string(i)},
        {"ParticipantStatus", "connected"}};
    const auto signature = roomplane::twilio::compute_signature(auth_token, url, params);
    const auto body = roomplane::http::encode_form(params);
    std::string request = "POST " + path + " HTTP/1.1\r\nHost: " + server.host +
                          "\r\nContent-Type: application/x-www-form-urlencoded"
                          "\r\nX-Twilio-Signature: " +
                          signature + "\r\nContent-Length: " + std::to_string(body.size()) +
                          "\r\n\r\n" + body;
    out.push_back(std::move(request));
  }
  return out;
}

// When each callback was due and when it was written (steady clock, ns; 0: not sent). Written
// by the sender's thread before the callback goes out, read by the hub clients' thread when
// its event arrives: `written` is stored last (release) and loaded first (acquire).
struct SendTimes {
  explicit SendTimes(std::size_t events) : due(events), written(events) {}
  std::vector<std::atomic<std::int64_t>> due;
  std::vector<std::atomic<std::int64_t>> written;
};

// Posts the prepared callbacks at `rate` per second over keep-alive connections, one request
// in flight per connection (no pipelining). Callback i is due at start + i / rate; a 1 ms
// timer releases what is due, and a connection that gets its answer takes the next due one at
// once. When every connection is busy the schedule slips, which max_lag() reports. Latencies
// are measured from the due time, not the write: a callback held back because the server was
// slow to answer the ones before it would otherwise not count that wait ("coordinated
// omission"). Times from the write are kept too, to show the difference.
class CallbackSender {
 public:
  CallbackSender(net::io_context& ioc, const ServerAddress& server,
                 std::vector<std::string> requests, double rate, std::size_t connections,
                 std::size_t warmup_events, SendTimes& times)
      : ioc_(ioc),
        server_(server),
        requests_(std::move(requests)),
        rate_(rate),
        connections_(connections),
        warmup_events_(warmup_events),
        times_(times),
        timer_(ioc) {
    ack_ns_.reserve(requests_.size());
    ack_from_write_ns_.reserve(requests_.size());
  }

  // Opens the connections, blocking: before the clock starts.
  bool connect(std::string& error) {
    try {
      for (std::size_t i = 0; i < connections_; ++i) {
        auto link = std::make_unique<Link>(ioc_);
        link->socket.connect(server_.endpoint);
        link->socket.set_option(tcp::no_delay(true));
        idle_.push_back(link.get());
        links_.push_back(std::move(link));
      }
    } catch (const std::exception& e) {
      error = e.what();
      return false;
    }
    return true;
  }

  void start() {
    start_ = Clock::now();
    tick();
  }

  bool finished() const {
    return (next_ == requests_.size() || live_links() == 0) && in_flight_ == 0;
  }
  std::size_t sent() const { return next_; }
  std::size_t ok() const { return ok_; }
  std::size_t non_2xx() const { return non_2xx_; }
  std::size_t errors() const { return errors_; }
  const std::string& first_problem() const { return first_problem_; }
  // Webhook acknowledgement times (to the 2xx answer, which the server gives once the event is
  // durable), measured events only: from the callback's due time, and from its actual write.
  std::vector<std::int64_t>& ack_times() { return ack_ns_; }
  std::vector<std::int64_t>& ack_times_from_write() { return ack_from_write_ns_; }
  double max_lag_ms() const { return static_cast<double>(max_lag_ns_) / 1e6; }
  // Sending rate from the first write to the last.
  double achieved_rate() const {
    if (next_ < 2 || last_send_ns_ <= first_send_ns_)
      return 0;
    return static_cast<double>(next_ - 1) /
           (static_cast<double>(last_send_ns_ - first_send_ns_) / 1e9);
  }

 private:
  struct Link {
    explicit Link(net::io_context& ioc) : socket(ioc) {}
    tcp::socket socket;
    beast::flat_buffer buffer;
    bhttp::response<bhttp::string_body> response;
    std::size_t event = 0;
    bool dead = false;
  };

  std::size_t live_links() const {
    return static_cast<std::size_t>(
        std::count_if(links_.begin(), links_.end(), [](const auto& l) { return !l->dead; }));
  }

  std::size_t due(Clock::time_point now) const {
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    return std::min(requests_.size(), static_cast<std::size_t>(elapsed * rate_) + 1);
  }

  void tick() {
    pump();
    if (next_ >= requests_.size())
      return;
    ++ticks_;
    timer_.expires_at(start_ + std::chrono::milliseconds(ticks_));
    timer_.async_wait([this](beast::error_code ec) {
      if (!ec)
        tick();
    });
  }

  void pump() {
    const auto now = Clock::now();
    const auto limit = due(now);
    while (next_ < limit && !idle_.empty()) {
      Link* link = idle_.back();
      idle_.pop_back();
      send(*link, next_++);
    }
  }

  void send(Link& link, std::size_t event) {
    const auto now = now_ns();
    if (event == 0)
      first_send_ns_ = now;
    last_send_ns_ = now;
    const auto scheduled =
        std::chrono::duration_cast<std::chrono::nanoseconds>(start_.time_since_epoch()).count() +
        static_cast<std::int64_t>(static_cast<double>(event) * 1e9 / rate_);
    max_lag_ns_ = std::max(max_lag_ns_, now - scheduled);
    // Taken before the write starts, so no answer can come back before its send time exists.
    times_.due[event].store(scheduled, std::memory_order_relaxed);
    times_.written[event].store(now, std::memory_order_release);
    link.event = event;
    ++in_flight_;
    const auto& request = requests_[event];
    net::async_write(link.socket, net::buffer(request),
                     [this, &link](beast::error_code ec, std::size_t /*bytes*/) {
                       if (ec)
                         return broken(link, "write: " + ec.message());
                       link.response = {};
                       bhttp::async_read(link.socket, link.buffer, link.response,
                                         [this, &link](beast::error_code read_ec, std::size_t) {
                                           on_response(link, read_ec);
                                         });
                     });
  }

  void on_response(Link& link, beast::error_code ec) {
    const auto answered = now_ns();
    if (ec)
      return broken(link, "read: " + ec.message());
    --in_flight_;
    const auto status = link.response.result_int();
    if (status >= 200 && status < 300) {
      ++ok_;
      if (link.event >= warmup_events_) {
        ack_ns_.push_back(answered - times_.due[link.event].load(std::memory_order_relaxed));
        ack_from_write_ns_.push_back(answered -
                                     times_.written[link.event].load(std::memory_order_relaxed));
      }
    } else {
      ++non_2xx_;
      if (first_problem_.empty())
        first_problem_ = std::to_string(status) + " " + link.response.body();
    }
    if (!link.response.keep_alive()) {
      link.dead = true;
      return;
    }
    idle_.push_back(&link);
    pump();
  }

  void broken(Link& link, const std::string& what) {
    --in_flight_;
    ++errors_;
    link.dead = true;
    if (first_problem_.empty())
      first_problem_ = what;
  }

  net::io_context& ioc_;
  const ServerAddress& server_;
  const std::vector<std::string> requests_;
  const double rate_;
  const std::size_t connections_;
  const std::size_t warmup_events_;
  SendTimes& times_;
  std::vector<std::int64_t> ack_ns_;  // 2xx answers after the warm-up: due time to response read
  std::vector<std::int64_t> ack_from_write_ns_;  // the same from the write
  net::steady_timer timer_;
  std::vector<std::unique_ptr<Link>> links_;
  std::vector<Link*> idle_;
  Clock::time_point start_;
  std::int64_t ticks_ = 0;
  std::size_t next_ = 0;
  std::size_t in_flight_ = 0;
  std::size_t ok_ = 0;
  std::size_t non_2xx_ = 0;
  std::size_t errors_ = 0;
  std::int64_t first_send_ns_ = 0;
  std::int64_t last_send_ns_ = 0;
  std::int64_t max_lag_ns_ = 0;
  std::string first_problem_;
};

// Matches ParticipantJoined records back to their callbacks and keeps one latency sample per
// (event, client) delivery.
class DeliveryRecorder {
 public:
  DeliveryRecorder(const SendTimes& times, std::size_t warmup_events, std::size_t expected_samples)
      : times_(times), warmup_events_(warmup_events), deliveries_(times.due.size(), 0) {
    samples_.reserve(expected_samples);
    samples_from_write_.reserve(expected_samples);
  }

  void on_message(std::string_view text, std::int64_t received) {
    while (!text.empty()) {
      const auto end = text.find(kRecordSeparator);
      const auto record = text.substr(0, end);
      text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
      if (record.find("\"target\":\"ParticipantJoined\"") == std::string_view::npos) {
        ++other_records_;  // RoomUpdated of the room creations, pings
        continue;
      }
      const auto event = event_of(record);
      const auto written = event && *event < times_.written.size()
                               ? times_.written[*event].load(std::memory_order_acquire)
                               : 0;
      if (written == 0) {
        ++unmatched_;
        continue;
      }
      ++delivered_;
      ++deliveries_[*event];
      if (*event >= warmup_events_) {
        samples_.push_back(received - times_.due[*event].load(std::memory_order_relaxed));
        samples_from_write_.push_back(received - written);
      }
    }
  }

  std::uint64_t delivered() const { return delivered_; }
  std::uint64_t unmatched() const { return unmatched_; }
  std::uint64_t other_records() const { return other_records_; }
  // Events some client got more than once, if any.
  std::size_t over_delivered(std::size_t clients) const {
    return static_cast<std::size_t>(std::count_if(deliveries_.begin(), deliveries_.end(),
                                                  [clients](auto n) { return n > clients; }));
  }
  // Nanoseconds per delivery: from the callback's due time, and from its write.
  std::vector<std::int64_t>& samples() { return samples_; }
  std::vector<std::int64_t>& samples_from_write() { return samples_from_write_; }

 private:
  // The callback index from "identity":"hb-<i>".
  static std::optional<std::size_t> event_of(std::string_view record) {
    constexpr std::string_view kKey = "\"identity\":\"";
    const auto at = record.find(kKey);
    if (at == std::string_view::npos)
      return std::nullopt;
    auto value = record.substr(at + kKey.size());
    if (!value.starts_with(kIdentityPrefix))
      return std::nullopt;
    value.remove_prefix(kIdentityPrefix.size());
    std::size_t event = 0;
    const auto parsed = std::from_chars(value.data(), value.data() + value.size(), event);
    if (parsed.ec != std::errc{} || parsed.ptr == value.data() + value.size() || *parsed.ptr != '"')
      return std::nullopt;
    return event;
  }

  const SendTimes& times_;
  const std::size_t warmup_events_;
  std::vector<std::uint16_t> deliveries_;  // per event, summed over clients
  std::vector<std::int64_t> samples_;
  std::vector<std::int64_t> samples_from_write_;
  std::uint64_t delivered_ = 0;
  std::uint64_t unmatched_ = 0;
  std::uint64_t other_records_ = 0;
};

double percentile_ms(std::vector<std::int64_t>& sorted, double p) {
  if (sorted.empty())
    return 0;
  const auto rank = static_cast<std::size_t>(p / 100.0 * static_cast<double>(sorted.size() - 1));
  return static_cast<double>(sorted[rank]) / 1e6;
}

int run_latency(const Flags& flags) {
  if (!flags.require({"url", "token", "tenant", "account-sid", "auth-token"}))
    return 2;
  const auto server = parse_url(flags.text("url"));
  if (!server) {
    std::cerr << "hub_bench: --url must be http://<ip>:<port>\n";
    return 2;
  }
  auto public_url = flags.text("public-url", flags.text("url"));
  while (public_url.ends_with('/'))
    public_url.pop_back();
  const auto token = flags.text("token");
  const auto clients = static_cast<std::size_t>(flags.number("clients", 100));
  const double rate = static_cast<double>(flags.number("rate", 5000));
  const double seconds = static_cast<double>(flags.number("seconds", 10));
  const double warmup_seconds = static_cast<double>(flags.number("warmup-seconds", 2));
  const auto room_count = static_cast<std::size_t>(flags.number("rooms", 3000));
  const auto senders = static_cast<std::size_t>(flags.number("senders", 128));
  const auto drain = std::chrono::seconds(flags.number("drain-seconds", 5));
  const long server_pid = flags.number("pid", 0);  // optional: for the server's CPU time
  if (clients == 0 || clients > 60000 || rate <= 0 || seconds <= 0 || room_count == 0 ||
      senders == 0) {
    std::cerr << "hub_bench: --clients, --rate, --seconds, --rooms and --senders must be > 0\n";
    return 2;
  }
  raise_fd_limit();

  net::io_context ioc(1);
  auto work = net::make_work_guard(ioc);

  // 1. Rooms, through the API: their provider SIDs are linked to local rooms, so callbacks
  //    naming them become hub events.
  std::cerr << "hub_bench: creating " << room_count << " rooms\n";
  const auto creating = Clock::now();
  std::vector<Room> rooms;
  for (std::size_t r = 0; r < room_count; ++r) {
    const auto created = http_request(
        ioc, *server, bhttp::verb::post, "/v1/rooms", token,
        nlohmann::json{{"name", "hub bench " + std::to_string(r)}, {"type", "group"}}.dump());
    const auto body = nlohmann::json::parse(created.body, nullptr, false);
    if (created.status != 201 && created.status != 200) {
      std::cerr << "hub_bench: POST /v1/rooms answered " << created.status << ": " << created.body
                << "\n";
      return 1;
    }
    if (!body.is_object() || !body.value("provider_room_sid", nlohmann::json()).is_string()) {
      std::cerr << "hub_bench: POST /v1/rooms returned no provider_room_sid: " << created.body
                << "\n";
      return 1;
    }
    rooms.push_back(
        {body.at("id").get<std::string>(), body.at("provider_room_sid").get<std::string>()});
  }

  std::cerr << "hub_bench: rooms created in " << seconds_since(creating) << " s\n";

  // 2. Every callback, signed, before the clock starts.
  const auto warmup_events = static_cast<std::size_t>(warmup_seconds * rate);
  const auto total_events = warmup_events + static_cast<std::size_t>(seconds * rate);
  std::cerr << "hub_bench: signing " << total_events << " callbacks\n";
  auto requests =
      build_callbacks(*server, public_url, flags.text("tenant"), flags.text("account-sid"),
                      flags.text("auth-token"), rooms, total_events);

  // 3. The hub clients.
  SendTimes times(total_events);
  DeliveryRecorder recorder(times, warmup_events, (total_events - warmup_events) * clients);
  ClientPool hub_clients(ioc, *server, hub_target(token), clients, clients);
  hub_clients.set_message_handler([&recorder](std::string_view text, std::int64_t received) {
    recorder.on_message(text, received);
  });
  std::cerr << "hub_bench: connecting " << clients << " hub clients\n";
  hub_clients.start();
  if (!run_until(
          ioc, [&] { return hub_clients.settled(); }, std::chrono::seconds(60)) ||
      hub_clients.ready_count() != clients) {
    std::cerr << "hub_bench: only " << hub_clients.ready_count() << " of " << clients
              << " hub clients connected: " << hub_clients.first_error() << "\n";
    return 1;
  }
  run_for(ioc, std::chrono::milliseconds(500));  // the room creations' events, if any

  // 4. Send (on a thread of its own), then wait for the last deliveries.
  net::io_context sender_ioc(1);
  auto sender_work = net::make_work_guard(sender_ioc);
  CallbackSender sender(sender_ioc, *server, std::move(requests), rate, senders, warmup_events,
                        times);
  std::string error;
  if (!sender.connect(error)) {
    std::cerr << "hub_bench: sender could not connect: " << error << "\n";
    return 1;
  }
  std::cerr << "hub_bench: sending " << total_events << " callbacks at " << rate << "/s ("
            << warmup_seconds << " s warm-up, " << seconds << " s measured) to " << clients
            << " hub clients\n";
  const auto metrics_before = http_request(ioc, *server, bhttp::verb::get, "/metrics", "", "").body;
  const auto cpu_before = read_cpu_times(server_pid);
  const auto io_before = read_io_counters(server_pid);
  const auto window_start = Clock::now();
  const auto send_limit = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(3 * (seconds + warmup_seconds) + 30));
  std::atomic<bool> sending{true};
  bool sent_all = false;
  std::thread sender_thread([&] {
    sender.start();
    sent_all = run_until(
        sender_ioc, [&] { return sender.finished(); }, send_limit);
    sending.store(false, std::memory_order_release);
  });
  run_until(
      ioc, [&] { return !sending.load(std::memory_order_acquire); },
      send_limit + std::chrono::seconds(10));
  sender_thread.join();  // the sender's results are read below, on this thread only
  const auto expected = static_cast<std::uint64_t>(sender.ok()) * clients;
  run_until(
      ioc, [&] { return recorder.delivered() >= expected; }, drain);
  const auto cpu_after = read_cpu_times(server_pid);
  const auto io_after = read_io_counters(server_pid);
  const double window = seconds_since(window_start);

  const auto server_metrics = http_request(ioc, *server, bhttp::verb::get, "/metrics", "", "").body;
  hub_clients.close_all();
  // Where the server spent a callback's time during the window, from its own metrics: the
  // ledger writer's batches and commits, submit-to-durable, and the hub's fan-out.
  const auto delta = [&](std::string_view name) {
    return metric_total(server_metrics, name).value_or(0) -
           metric_total(metrics_before, name).value_or(0);
  };
  const auto ratio = [](double a, double b) { return b > 0 ? a / b : -1.0; };
  const double commits = delta("roomplane_webhook_batch_size_count");
  const double committed = delta("roomplane_webhook_batch_size_sum");
  const double commit_seconds = delta("roomplane_webhook_commit_duration_seconds_sum");

  auto& samples = recorder.samples();
  std::sort(samples.begin(), samples.end());
  auto& samples_from_write = recorder.samples_from_write();
  std::sort(samples_from_write.begin(), samples_from_write.end());
  auto& acks = sender.ack_times();
  std::sort(acks.begin(), acks.end());
  auto& acks_from_write = sender.ack_times_from_write();
  std::sort(acks_from_write.begin(), acks_from_write.end());
  std::cout << "clients " << clients << "\n"
            << "rooms " << room_count << "\n"
            << "sender_connections " << senders << "\n"
            << "rate_target " << rate << "\n"
            << "warmup_seconds " << warmup_seconds << "\n"
            << "measured_seconds " << seconds << "\n"
            << "events_sent " << sender.sent() << "\n"
            << "events_2xx " << sender.ok() << "\n"
            << "non_2xx " << sender.non_2xx() << "\n"
            << "send_errors " << sender.errors() << "\n"
            << "send_rate " << sender.achieved_rate() << "\n"
            << "max_send_lag_ms " << sender.max_lag_ms() << "\n"
            << "deliveries " << recorder.delivered() << "\n"
            << "deliveries_expected " << expected << "\n"
            << "over_delivered_events " << recorder.over_delivered(clients) << "\n"
            << "unmatched_records " << recorder.unmatched() << "\n"
            << "hub_clients_lost " << hub_clients.lost_count() << "\n"
            << "latency_samples " << samples.size() << "\n"
            << "p50_ms " << percentile_ms(samples, 50) << "\n"
            << "p90_ms " << percentile_ms(samples, 90) << "\n"
            << "p99_ms " << percentile_ms(samples, 99) << "\n"
            << "p999_ms " << percentile_ms(samples, 99.9) << "\n"
            << "max_ms " << (samples.empty() ? 0.0 : static_cast<double>(samples.back()) / 1e6)
            << "\n"
            << "from_write_p50_ms " << percentile_ms(samples_from_write, 50) << "\n"
            << "from_write_p99_ms " << percentile_ms(samples_from_write, 99) << "\n"
            << "ack_p50_ms " << percentile_ms(acks, 50) << "\n"
            << "ack_p99_ms " << percentile_ms(acks, 99) << "\n"
            << "ack_from_write_p99_ms " << percentile_ms(acks_from_write, 99) << "\n"
            << "window_seconds " << window << "\n"
            << "cpu_cores_machine " << (cpu_after.machine_busy - cpu_before.machine_busy) / window
            << "\n"
            << "cpu_cores_server "
            << (server_pid > 0 ? (cpu_after.server - cpu_before.server) / window : -1.0) << "\n"
            << "cpu_cores_client " << (cpu_after.self - cpu_before.self) / window << "\n"
            << "server_hub_events_dropped "
            << metric_total(server_metrics, "roomplane_hub_events_dropped_total").value_or(-1)
            << "\n"
            << "server_hub_slow_consumer_closes "
            << metric_total(server_metrics, "roomplane_hub_slow_consumer_closes_total").value_or(-1)
            << "\n"
            << "server_cpu_us_per_callback "
            << (server_pid > 0 ? ratio((cpu_after.server - cpu_before.server) * 1e6,
                                       static_cast<double>(sender.ok()))
                               : -1.0)
            << "\n"
            << "server_write_bytes_per_callback "
            << ratio(io_after.write_bytes - io_before.write_bytes, static_cast<double>(sender.ok()))
            << "\n"
            << "server_write_calls_per_callback "
            << ratio(io_after.write_calls - io_before.write_calls, static_cast<double>(sender.ok()))
            << "\n"
            << "server_read_bytes_per_callback "
            << ratio(io_after.read_bytes - io_before.read_bytes, static_cast<double>(sender.ok()))
            << "\n"
            << "server_commit_batch_mean " << ratio(committed, commits) << "\n"
            << "server_commit_mean_ms " << ratio(commit_seconds * 1e3, commits) << "\n"
            << "server_writer_busy " << ratio(commit_seconds, window) << "\n"
            << "server_ingest_mean_ms "
            << ratio(delta("roomplane_webhook_ingest_duration_seconds_sum") * 1e3,
                     delta("roomplane_webhook_ingest_duration_seconds_count"))
            << "\n"
            << "server_hub_dispatch_mean_ms "
            << ratio(delta("roomplane_hub_dispatch_latency_seconds_sum") * 1e3,
                     delta("roomplane_hub_dispatch_latency_seconds_count"))
            << "\n";
  if (!sender.first_problem().empty())
    std::cout << "first_problem " << sender.first_problem() << "\n";
  const bool complete =
      sent_all && sender.non_2xx() == 0 && sender.errors() == 0 && recorder.delivered() == expected;
  return complete ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string_view mode = argc > 1 ? argv[1] : "";
  Flags flags;
  if ((mode != "connections" && mode != "latency") || !flags.parse(argc, argv, 2)) {
    std::cerr << "usage: roomplane_hub_bench connections|latency --url http://IP:PORT ... "
                 "(see bench/hub_bench.cpp)\n";
    return 2;
  }
  try {
    return mode == "connections" ? run_connections(flags) : run_latency(flags);
  } catch (const std::exception& e) {
    std::cerr << "hub_bench: " << e.what() << "\n";
    return 1;
  }
}
