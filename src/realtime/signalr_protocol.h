#pragma once
// The ASP.NET Core SignalR JSON hub protocol (shared/reference/signalr-protocol.md, sections 3
// and 7), as pure functions over text: negotiate version selection and response, the
// handshake, record framing on the 0x1E separator, and the messages a hub server reads and
// writes. No I/O, no state beyond RecordBuffer; thread-compatible.
//
// Only what a WebSocket-only server with the JSON protocol needs: invocations in both
// directions, completions, pings and close. Streaming, MessagePack and stateful reconnect are
// not offered, and the parser reports them so the hub can refuse them the way ASP.NET does.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace roomplane::realtime::signalr {

inline constexpr char kRecordSeparator = '\x1e';

// --- Negotiate (POST {hub}/negotiate?negotiateVersion=N) -----------------------------------------

// The body of a successful version-1 negotiate, listing WebSockets only (the only transport
// implemented: a client must never be offered one that then fails).
std::string negotiate_response(std::string_view connection_id, std::string_view connection_token);

// Checks the negotiateVersion query value the way ASP.NET does. nullopt when acceptable;
// otherwise the body to send with status 200 ({"error": ...}), which the client surfaces.
std::optional<std::string> negotiate_version_error(std::optional<std::string_view> version);

// --- Handshake -----------------------------------------------------------------------------------

// The client's first record (without the separator). Ok for {"protocol":"json","version":1};
// otherwise the error text to send back as {"error": text} before closing.
core::Status parse_handshake(std::string_view record);

std::string handshake_ok();                             // "{}" + RS
std::string handshake_error(std::string_view message);  // {"error":...} + RS

// --- Framing -------------------------------------------------------------------------------------

// Splits incoming text into complete records. Official clients send whole records per
// WebSocket message, but several may arrive together, and ASP.NET buffers a partial one, so
// this does too. A buffered partial record longer than `max_record_bytes` is an error.
class RecordBuffer {
 public:
  explicit RecordBuffer(std::size_t max_record_bytes) : max_record_bytes_(max_record_bytes) {}
  // Appends `text` and returns every record it completed (separators removed).
  core::Result<std::vector<std::string>> feed(std::string_view text);

 private:
  std::size_t max_record_bytes_;
  std::string partial_;
};

// --- Messages a server receives ------------------------------------------------------------------

struct Invocation {
  std::optional<std::string> invocation_id;  // absent: non-blocking, never answered
  std::string target;
  nlohmann::json arguments = nlohmann::json::array();
  bool has_stream_ids = false;  // client-to-server streams: not supported
};
struct StreamInvocation {
  std::string invocation_id;
  std::string target;
};
struct CancelInvocation {
  std::string invocation_id;
};
struct Ping {};
struct Close {
  std::optional<std::string> error;
};
// Completions and stream items from a client answer server-to-client invocations with ids,
// which this server never sends; an unknown message type is ignored, as the spec requires.
struct Ignored {
  long long type = 0;  // as sent; an unsigned value above LLONG_MAX reads as LLONG_MAX
};

using ClientMessage =
    std::variant<Invocation, StreamInvocation, CancelInvocation, Ping, Close, Ignored>;

// Parses one record. Error (kInvalidArgument, code "signalr_protocol_error") when it is not a
// JSON object, has no integer type, or lacks a required field: a protocol error that closes the
// connection.
core::Result<ClientMessage> parse_client_message(std::string_view record);

// --- Messages a server sends (each ends with RS) -------------------------------------------------

// A server-to-client event: non-blocking, so no invocationId.
std::string invocation(std::string_view target, const nlohmann::json& arguments);
std::string completion_result(std::string_view invocation_id, const nlohmann::json& result);
std::string completion_void(std::string_view invocation_id);
// `error` must be non-empty: the JS client treats an empty error as success.
std::string completion_error(std::string_view invocation_id, std::string_view error);
std::string ping();
std::string close_message(std::optional<std::string_view> error, bool allow_reconnect);

}  // namespace roomplane::realtime::signalr
