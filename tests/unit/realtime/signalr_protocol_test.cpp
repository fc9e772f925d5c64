// The SignalR JSON hub protocol codec against the exact bytes the official clients send and
// expect (shared/reference/signalr-protocol.md, captured samples).

#include "realtime/signalr_protocol.h"

#include <limits>

#include <gtest/gtest.h>

namespace roomplane::realtime::signalr {
namespace {

constexpr char RS = kRecordSeparator;

TEST(SignalrNegotiate, ResponseIsVersionOneWithTokenAndOnlyWebSockets) {
  auto body = nlohmann::json::parse(negotiate_response("id-1", "token-1"));
  EXPECT_EQ(body["negotiateVersion"], 1);
  EXPECT_EQ(body["connectionId"], "id-1");
  EXPECT_EQ(body["connectionToken"], "token-1");
  ASSERT_EQ(body["availableTransports"].size(), 1u);
  EXPECT_EQ(body["availableTransports"][0]["transport"], "WebSockets");
  EXPECT_EQ(body["availableTransports"][0]["transferFormats"],
            nlohmann::json::array({"Text", "Binary"}));
  EXPECT_FALSE(body.contains("ProtocolVersion"));  // every client would take us for legacy SignalR
  EXPECT_FALSE(body.contains("useStatefulReconnect"));
}

TEST(SignalrNegotiate, VersionRulesFollowAspNet) {
  EXPECT_FALSE(negotiate_version_error("1"));
  EXPECT_FALSE(negotiate_version_error("7"));  // above ours: answered with 1
  EXPECT_EQ(*negotiate_version_error("x1"),
            R"({"error":"The client requested a non-integer protocol version."})");
  EXPECT_EQ(
      *negotiate_version_error(std::nullopt),
      R"({"error":"The client requested version '0', but the server does not support this version."})");
  EXPECT_TRUE(negotiate_version_error("0"));
}

TEST(SignalrHandshake, AcceptsTheOfficialClientsRequestAndAnswersEmptyObject) {
  EXPECT_TRUE(parse_handshake(R"({"protocol":"json","version":1})").ok());
  EXPECT_EQ(handshake_ok(), std::string("{}") + RS);
}

TEST(SignalrHandshake, RefusesOtherProtocolsVersionsAndGarbageWithAspNetTexts) {
  auto msgpack = parse_handshake(R"({"protocol":"messagepack","version":1})");
  ASSERT_FALSE(msgpack.ok());
  EXPECT_EQ(msgpack.error().message, "The protocol 'messagepack' is not supported.");
  auto v2 = parse_handshake(R"({"protocol":"json","version":2})");
  ASSERT_FALSE(v2.ok());
  EXPECT_EQ(v2.error().message, "The server does not support version 2 of the 'json' protocol.");
  EXPECT_FALSE(parse_handshake(R"({"protocol":"json"})").ok());
  EXPECT_FALSE(parse_handshake("not json").ok());
  EXPECT_FALSE(parse_handshake("[]").ok());
  EXPECT_EQ(handshake_error("nope"), std::string(R"({"error":"nope"})") + RS);
}

TEST(SignalrFraming, SplitsBatchedRecordsAndBuffersAPartialOne) {
  RecordBuffer buffer(1024);
  auto first = buffer.feed(std::string(R"({"type":6})") + RS + R"({"type":1,"tar)");
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 1u);
  EXPECT_EQ((*first)[0], R"({"type":6})");
  auto second = buffer.feed(std::string(R"(get":"A","arguments":[]})") + RS);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->size(), 1u);
  EXPECT_EQ((*second)[0], R"({"type":1,"target":"A","arguments":[]})");
  auto none = buffer.feed("");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(SignalrFraming, ARecordAboveTheLimitIsAnError) {
  RecordBuffer buffer(16);
  EXPECT_FALSE(buffer.feed(std::string(17, 'x')).ok());
  RecordBuffer other(16);
  EXPECT_FALSE(other.feed(std::string(20, 'x') + RS).ok());
  RecordBuffer fits(16);
  EXPECT_TRUE(fits.feed(std::string(16, 'x') + RS).ok());
}

TEST(SignalrMessages, ParsesTheJsClientsInvocationWithTypeLast) {
  auto parsed = parse_client_message(
      R"({"target":"Subscribe","arguments":["room-42"],"invocationId":"0","type":1})");
  ASSERT_TRUE(parsed.ok());
  const auto& call = std::get<Invocation>(*parsed);
  EXPECT_EQ(call.target, "Subscribe");
  EXPECT_EQ(call.invocation_id, "0");
  EXPECT_EQ(call.arguments, nlohmann::json::array({"room-42"}));
  EXPECT_FALSE(call.has_stream_ids);
}

TEST(SignalrMessages, NonBlockingInvocationHasNoId) {
  auto parsed = parse_client_message(R"({"type":1,"target":"X","arguments":[]})");
  ASSERT_TRUE(parsed.ok());
  EXPECT_FALSE(std::get<Invocation>(*parsed).invocation_id.has_value());
}

TEST(SignalrMessages, PingCloseStreamCancelAndUnknownTypes) {
  EXPECT_TRUE(std::holds_alternative<Ping>(*parse_client_message(R"({"type":6})")));
  auto close = parse_client_message(R"({"type":7,"error":"bye"})");
  ASSERT_TRUE(std::holds_alternative<Close>(*close));
  EXPECT_EQ(std::get<Close>(*close).error, "bye");
  auto stream =
      parse_client_message(R"({"type":4,"invocationId":"3","target":"S","arguments":[]})");
  ASSERT_TRUE(std::holds_alternative<StreamInvocation>(*stream));
  EXPECT_EQ(std::get<StreamInvocation>(*stream).invocation_id, "3");
  EXPECT_TRUE(std::holds_alternative<CancelInvocation>(
      *parse_client_message(R"({"type":5,"invocationId":"3"})")));
  auto unknown = parse_client_message(R"({"type":42})");
  ASSERT_TRUE(std::holds_alternative<Ignored>(*unknown));
  EXPECT_EQ(std::get<Ignored>(*unknown).type, 42);
}

// Found by fuzz/fuzz_signalr: the type was narrowed to int, so {"type":4294967297} came back as
// Ignored{1} (an invocation's type) and a huge unsigned one as -1.
TEST(SignalrMessages, UnknownTypeKeepsItsFullValue) {
  auto wide = parse_client_message(R"({"type":4294967297})");
  ASSERT_TRUE(std::holds_alternative<Ignored>(*wide));
  EXPECT_EQ(std::get<Ignored>(*wide).type, 4294967297LL);
  auto negative = parse_client_message(R"({"type":-4294967295})");
  ASSERT_TRUE(std::holds_alternative<Ignored>(*negative));
  EXPECT_EQ(std::get<Ignored>(*negative).type, -4294967295LL);
  auto huge = parse_client_message(R"({"type":18446744073709551615})");
  ASSERT_TRUE(std::holds_alternative<Ignored>(*huge));
  EXPECT_EQ(std::get<Ignored>(*huge).type, std::numeric_limits<long long>::max());
}

TEST(SignalrMessages, ProtocolErrors) {
  for (const char* bad :
       {"[]", "nope", R"({"target":"X"})", R"({"type":"1"})", R"({"type":1,"arguments":[]})",
        R"({"type":1,"target":"X"})", R"({"type":1,"target":"X","arguments":{}})",
        R"({"type":1,"target":"X","arguments":[],"invocationId":5})", R"({"type":4,"target":"X"})",
        R"({"type":5})"}) {
    auto parsed = parse_client_message(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.error().code, "signalr_protocol_error") << bad;
  }
}

TEST(SignalrMessages, ServerMessagesMatchTheCapturedShapes) {
  EXPECT_EQ(invocation("RoomUpdated", nlohmann::json::array({{{"seq", 1}}})),
            std::string(R"({"arguments":[{"seq":1}],"target":"RoomUpdated","type":1})") + RS);
  EXPECT_EQ(completion_result("0", {{"room", "room-42"}}),
            std::string(R"({"invocationId":"0","result":{"room":"room-42"},"type":3})") + RS);
  EXPECT_EQ(completion_result("1", nullptr),
            std::string(R"({"invocationId":"1","result":null,"type":3})") + RS);
  EXPECT_EQ(completion_void("2"), std::string(R"({"invocationId":"2","type":3})") + RS);
  EXPECT_EQ(completion_error("3", "Room not found"),
            std::string(R"({"error":"Room not found","invocationId":"3","type":3})") + RS);
  EXPECT_NE(completion_error("4", ""),
            std::string(R"({"error":"","invocationId":"4","type":3})") + RS);
  EXPECT_EQ(ping(), std::string(R"({"type":6})") + RS);
  EXPECT_EQ(close_message("x", true),
            std::string(R"({"allowReconnect":true,"error":"x","type":7})") + RS);
  EXPECT_EQ(close_message(std::nullopt, false), std::string(R"({"type":7})") + RS);
}

}  // namespace
}  // namespace roomplane::realtime::signalr
