// POST /webhooks/twilio/{tenant_id} over real HTTP with real SQLite: what is accepted, what is
// refused, and that a refusal changes nothing in the database (every table compared).

#include "webhooks/webhook_routes.h"

#include <algorithm>
#include <chrono>
#include <future>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "unit/webhooks/webhook_fixture.h"

namespace roomplane::webhooks {
namespace {

using testing::kAccountSid;
using testing::kOtherAuthToken;
using namespace std::chrono_literals;

const std::string kRoomSid = "RM0123456789abcdef0123456789abcdef";
const std::string kParticipantSid = "PA0123456789abcdef0123456789abcdef";

http::FormParams room_event(const std::string& event, int sequence,
                            const std::string& timestamp = "2024-05-01T10:00:00Z") {
  return {{"AccountSid", std::string(kAccountSid)},
          {"RoomName", "consult-1"},
          {"RoomSid", kRoomSid},
          {"RoomStatus", "in-progress"},
          {"RoomType", "group"},
          {"StatusCallbackEvent", event},
          {"Timestamp", timestamp},
          {"SequenceNumber", std::to_string(sequence)}};
}

http::FormParams participant_connected() {
  auto params = room_event("participant-connected", 1, "2024-05-01T10:00:05Z");
  params.emplace_back("ParticipantSid", kParticipantSid);
  params.emplace_back("ParticipantIdentity", "patient-4711");
  params.emplace_back("ParticipantStatus", "connected");
  return params;
}

void set_param(http::FormParams& params, const std::string& name, const std::string& value) {
  for (auto& [n, v] : params) {
    if (n == name)
      v = value;
  }
}

class WebhookRoutesTest : public testing::WebhookFixture {};

// params_to_json writes its JSON by hand; it must give the text nlohmann's dump of the same
// object gave: names sorted, repeated names as arrays in order, invalid UTF-8 replaced.
TEST(ParamsToJson, MatchesTheDocumentDumpForAnyParameters) {
  const auto reference = [](const http::FormParams& params) {
    nlohmann::json object = nlohmann::json::object();
    for (const auto& [name, value] : params) {
      auto it = object.find(name);
      if (it == object.end())
        object[name] = value;
      else if (it->is_array())
        it->push_back(value);
      else
        *it = nlohmann::json::array({*it, value});
    }
    return object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  };
  const std::vector<std::string> pieces = {"a",
                                           "Room",
                                           "Sid",
                                           "\"",
                                           "\\",
                                           "\n",
                                           "\x01",
                                           "\xc3\xa9",
                                           "\xe2\x80\xa8",
                                           "\xff",
                                           "\xc3",
                                           "\xed\xa0\x80",
                                           "\xf4\x90\x80\x80",
                                           "\xc0\xaf",
                                           " ",
                                           "+",
                                           "0123456789"};
  std::mt19937 rng(20261202);
  std::uniform_int_distribution<std::size_t> piece(0, pieces.size() - 1);
  std::uniform_int_distribution<int> count(0, 8);
  std::uniform_int_distribution<int> length(0, 6);
  const auto text = [&] {
    std::string out;
    for (int i = length(rng); i > 0; --i)
      out += pieces[piece(rng)];
    return out;
  };
  for (int round = 0; round < 3000; ++round) {
    http::FormParams params;
    std::vector<std::string> names;
    for (int i = count(rng); i > 0; --i) {
      // Reuse a name now and then, so repeated names (arrays) occur.
      const bool reuse = !names.empty() && rng() % 3 == 0;
      const std::string name = reuse ? names[rng() % names.size()] : text();
      names.push_back(name);
      params.emplace_back(name, text());
    }
    ASSERT_EQ(params_to_json(params), reference(params)) << "round " << round;
  }
}

TEST_F(WebhookRoutesTest, SignedCallbackIsStoredAndAppliedBeforeThe200) {
  auto response = deliver(tenant_, participant_connected());
  ASSERT_EQ(response.status, 200u) << response.body;
  EXPECT_EQ(outcome(response), "applied");
  // The answer came after the commit: the rows are there the moment the client has it.
  EXPECT_EQ(ledger_rows(tenant_), 1);
  auto state = stored_state(tenant_, kRoomSid);
  ASSERT_TRUE(state);
  ASSERT_EQ(state->participants.size(), 1u);
  EXPECT_EQ(state->participants.begin()->second.identity, "patient-4711");
  EXPECT_EQ(state->participants.begin()->second.status, rooms::ParticipantStatus::kConnected);
  EXPECT_EQ(metrics_
                .counter("roomplane_webhook_events_total", "",
                         {{"event", "participant_connected"}, {"outcome", "applied"}})
                .value(),
            1.0);
}

TEST_F(WebhookRoutesTest, EveryParameterIsKeptInTheLedger) {
  auto params = participant_connected();
  params.emplace_back("SomethingTwilioAddedLater", "caf\xc3\xa9 & more");
  ASSERT_EQ(deliver(tenant_, params).status, 200u);
  EXPECT_EQ(count("SELECT count(*) FROM events WHERE tenant_id = ? AND params LIKE ?",
                  {tenant_.value(), "%SomethingTwilioAddedLater%caf\xc3\xa9 & more%"}),
            1);
}

TEST_F(WebhookRoutesTest, ReplayIsANoOpAnswered200) {
  ASSERT_EQ(deliver(tenant_, participant_connected()).status, 200u);
  const auto before = snapshot();
  auto replay = deliver(tenant_, participant_connected());
  ASSERT_EQ(replay.status, 200u) << replay.body;
  EXPECT_EQ(outcome(replay), "duplicate");
  EXPECT_EQ(snapshot(), before);
}

TEST_F(WebhookRoutesTest, CachedTenantIsAnsweredWithoutThePoolAndAnUncachedOneNeedsIt) {
  // The first callback looks the tenant up on the pool and leaves its credentials cached.
  ASSERT_EQ(deliver(tenant_, participant_connected()).status, 200u);
  pool_.stop();  // from here on, work posted to the pool is dropped (answered 500)
  auto cached = deliver(tenant_, room_event("room-ended", 9));
  ASSERT_EQ(cached.status, 200u) << cached.body;  // verified and stored from the I/O thread
  EXPECT_EQ(outcome(cached), "applied");
  EXPECT_EQ(ledger_rows(tenant_), 2);

  const auto uncached = new_tenant("Other clinic", testing::kAuthToken);
  EXPECT_EQ(deliver(uncached, participant_connected()).status, 500u);
  EXPECT_EQ(ledger_rows(uncached), 0);
}

TEST_F(WebhookRoutesTest, UnknownEventIsStoredCountedAndAnswered200) {
  auto params = room_event("participant-reconnecting", 7);
  params.emplace_back("ParticipantSid", kParticipantSid);
  auto response = deliver(tenant_, params);
  ASSERT_EQ(response.status, 200u) << response.body;
  EXPECT_EQ(outcome(response), "unknown");
  EXPECT_EQ(ledger_rows(tenant_), 1);
  EXPECT_EQ(count("SELECT count(*) FROM events WHERE tenant_id = ? AND params LIKE ?",
                  {tenant_.value(), "%participant-reconnecting%"}),
            1);
  EXPECT_EQ(metrics_
                .counter("roomplane_webhook_events_total", "",
                         {{"event", "unknown"}, {"outcome", "unknown"}})
                .value(),
            1.0);
  EXPECT_EQ(outcome(deliver(tenant_, params)), "duplicate");
}

// Two unknown callbacks that differ only in parameters nobody here knows, with no sequence
// number and no usable time, are two events: both are stored and counted (a review found the
// second answered "duplicate" and lost). A true redelivery, in another parameter order, is not.
TEST_F(WebhookRoutesTest, DistinctUnknownEventsAreEachStored) {
  const auto unknown = [](const std::string& note) {
    return http::FormParams{{"AccountSid", std::string(kAccountSid)},
                            {"RoomSid", kRoomSid},
                            {"StatusCallbackEvent", "room-foo"},
                            {"Note", note}};
  };
  EXPECT_EQ(outcome(deliver(tenant_, unknown("one"))), "unknown");
  EXPECT_EQ(outcome(deliver(tenant_, unknown("two"))), "unknown");
  auto three = unknown("three");
  three.emplace_back("Timestamp", "2024-01-01 00:00:00");  // not a time this parser reads
  EXPECT_EQ(outcome(deliver(tenant_, three)), "unknown");
  EXPECT_EQ(ledger_rows(tenant_), 3);
  auto reordered = unknown("two");
  std::reverse(reordered.begin(), reordered.end());
  EXPECT_EQ(outcome(deliver(tenant_, reordered)), "duplicate");
  EXPECT_EQ(ledger_rows(tenant_), 3);
  EXPECT_EQ(metrics_
                .counter("roomplane_webhook_events_total", "",
                         {{"event", "unknown"}, {"outcome", "unknown"}})
                .value(),
            3.0);
}

TEST_F(WebhookRoutesTest, UnsignedCallbackIs403AndChangesNothing) {
  const auto before = snapshot();
  auto response = post(target_for(tenant_), http::encode_form(participant_connected()), {});
  EXPECT_EQ(response.status, 403u);
  EXPECT_EQ(error_code(response), "invalid_signature");
  auto empty = post(target_for(tenant_), http::encode_form(participant_connected()), "");
  EXPECT_EQ(empty.status, 403u);
  EXPECT_EQ(snapshot(), before);
  EXPECT_EQ(rejections("missing_signature"), 2.0);
}

TEST_F(WebhookRoutesTest, ForgedSignatureIs403AndChangesNothing) {
  const auto before = snapshot();
  const auto params = participant_connected();
  const auto target = target_for(tenant_);
  auto forged = post(target, http::encode_form(params), sign(target, params, kOtherAuthToken));
  EXPECT_EQ(forged.status, 403u);
  EXPECT_EQ(error_code(forged), "invalid_signature");
  auto garbage = post(target, http::encode_form(params), "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
  EXPECT_EQ(garbage.status, 403u);
  EXPECT_EQ(snapshot(), before);
  EXPECT_EQ(rejections("invalid_signature"), 2.0);
}

TEST_F(WebhookRoutesTest, AlteredAddedOrRemovedParameterIs403AndChangesNothing) {
  const auto target = target_for(tenant_);
  const auto original = participant_connected();
  const auto signature = sign(target, original);
  const auto before = snapshot();

  auto altered = original;
  set_param(altered, "ParticipantIdentity", "intruder");
  EXPECT_EQ(post(target, http::encode_form(altered), signature).status, 403u);

  auto added = original;
  added.emplace_back("RoomDuration", "1");
  EXPECT_EQ(post(target, http::encode_form(added), signature).status, 403u);

  auto removed = original;
  removed.pop_back();
  EXPECT_EQ(post(target, http::encode_form(removed), signature).status, 403u);

  EXPECT_EQ(snapshot(), before);
  // The untouched original still goes through: the refusals were about the changes.
  EXPECT_EQ(post(target, http::encode_form(original), signature).status, 200u);
}

// Hostile input in bulk: a genuine signed callback with random damage to its body, signature,
// path, query or Content-Type. Every answer is one of the documented refusals (status and
// code), or a 200 for a request that still carries exactly the signed parameters (a
// Content-Type with a charset, say); nothing else is ever stored. ASan and UBSan watch the
// server in CI.
TEST_F(WebhookRoutesTest, DamagedRequestsGetADocumentedRefusalAndStoreNothing) {
  const auto target = target_for(tenant_);
  const auto original = participant_connected();
  const std::string body = http::encode_form(original);
  const std::string signature = sign(target, original);
  const auto before = snapshot();
  // bad_request is the HTTP parser's answer to a header value with a control character in it
  // (a damaged signature: seen for DEL, CR and other bytes below 0x20).
  const std::set<std::pair<unsigned, std::string>> documented = {
      {403, "invalid_signature"},          {403, "account_mismatch"},
      {400, "callback_missing_parameter"}, {400, "callback_invalid_parameter"},
      {404, "tenant_not_found"},           {404, "not_found"},
      {415, "unsupported_media_type"},     {400, "bad_request"}};
  std::mt19937 rng(20261203);
  const auto random_byte = [&] { return static_cast<char>(rng() % 256); };
  const auto damage = [&](std::string text) {
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < edits; ++i) {
      const auto at = text.empty() ? 0 : rng() % text.size();
      switch (rng() % 4) {
        case 0:
          if (!text.empty())
            text[at] = random_byte();
          break;
        case 1:
          text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), random_byte());
          break;
        case 2:
          text.resize(at);
          break;
        default:
          text.insert(at, std::string(1 + rng() % 8, "%&=+"[rng() % 4]));
          break;
      }
    }
    return text;
  };
  const std::vector<std::string> content_types = {
      "text/plain", "application/json", "multipart/form-data; boundary=x",
      "application/x-www-form-urlencoded; charset=utf-8", "APPLICATION/X-WWW-FORM-URLENCODED"};
  int accepted = 0;
  for (int round = 0; round < 300; ++round) {
    std::string request_body = body;
    std::optional<std::string> request_signature = signature;
    std::string path = target;
    std::string content_type = "application/x-www-form-urlencoded";
    switch (rng() % 6) {
      case 0:
        request_body = damage(request_body);
        break;
      case 1:
        request_signature = damage(signature);
        break;
      case 2: {
        std::string random(rng() % 300, '\0');
        for (auto& c : random)
          c = random_byte();
        request_body = random;
        break;
      }
      case 3:
        path = rng() % 2 ? target + "?SequenceNumber=" + std::to_string(rng() % 100)
                         : "/webhooks/twilio/tn_" + std::to_string(rng());
        break;
      case 4:
        content_type = content_types[rng() % content_types.size()];
        break;
      default:
        request_body = damage(request_body);
        request_signature = rng() % 2 ? std::optional<std::string>() : damage(signature);
        break;
    }
    const auto response = post(path, request_body, request_signature, content_type);
    if (response.status == 200) {
      auto parsed = http::parse_form(request_body);
      ASSERT_TRUE(parsed.ok()) << "round " << round;
      EXPECT_EQ(*parsed, original) << "round " << round << ": accepted other parameters";
      ++accepted;
      continue;
    }
    EXPECT_TRUE(documented.contains({response.status, error_code(response)}))
        << "round " << round << ": " << response.status << " " << response.body;
  }
  // Nothing but the genuine callback (once, replays being no-ops) can have been stored.
  if (accepted == 0) {
    EXPECT_EQ(snapshot(), before);
  } else {
    EXPECT_EQ(ledger_rows(tenant_), 1);
  }
  // And the server is still well: the undamaged callback is answered as usual.
  const auto genuine = post(target, body, signature);
  EXPECT_EQ(genuine.status, 200u);
  EXPECT_EQ(outcome(genuine), accepted == 0 ? "applied" : "duplicate");
}

TEST_F(WebhookRoutesTest, SignatureOverTheHostHeaderUrlIs403) {
  // What a receiver that rebuilt the URL from the connection would accept: the request really
  // was sent to this address, but Twilio signs the configured public URL.
  const auto params = participant_connected();
  const auto target = target_for(tenant_);
  const auto before = snapshot();
  const auto host_signature =
      twilio::compute_signature(testing::kAuthToken, local_url(target), params);
  auto response = post(target, http::encode_form(params), host_signature);
  EXPECT_EQ(response.status, 403u);
  EXPECT_EQ(error_code(response), "invalid_signature");
  EXPECT_EQ(snapshot(), before);
}

TEST_F(WebhookRoutesTest, TheQueryStringIsPartOfTheSignedUrlExactlyAsSent) {
  const auto params = participant_connected();
  const auto with_query = target_for(tenant_) + "?b=2&a=%27x%27";
  const auto signature = sign(with_query, params);
  const auto before = snapshot();
  // The same query reordered, or dropped, is another URL.
  EXPECT_EQ(
      post(target_for(tenant_) + "?a=%27x%27&b=2", http::encode_form(params), signature).status,
      403u);
  EXPECT_EQ(post(target_for(tenant_), http::encode_form(params), signature).status, 403u);
  EXPECT_EQ(snapshot(), before);
  EXPECT_EQ(post(with_query, http::encode_form(params), signature).status, 200u);
}

TEST_F(WebhookRoutesTest, DefaultPortInTheSignedUrlIsAcceptedAsTwilioPythonDoes) {
  const auto params = participant_connected();
  const auto target = target_for(tenant_);
  const auto signature = twilio::compute_signature(
      testing::kAuthToken, "https://hooks.example.test:443" + target, params);
  EXPECT_EQ(post(target, http::encode_form(params), signature).status, 200u);
}

TEST_F(WebhookRoutesTest, AnotherAccountsSidIs403EvenWhenSigned) {
  auto params = participant_connected();
  set_param(params, "AccountSid", "ACffffffffffffffffffffffffffffffff");
  const auto before = snapshot();
  auto response = deliver(tenant_, params);
  EXPECT_EQ(response.status, 403u);
  EXPECT_EQ(error_code(response), "account_mismatch");

  auto missing = participant_connected();
  missing.erase(missing.begin());  // AccountSid
  EXPECT_EQ(error_code(deliver(tenant_, missing)), "account_mismatch");
  EXPECT_EQ(snapshot(), before);
  EXPECT_EQ(rejections("account_mismatch"), 2.0);
}

TEST_F(WebhookRoutesTest, UnknownTenantOrTenantWithoutCredentialsIs404) {
  const auto params = participant_connected();
  const auto before = snapshot();
  const std::string ghost = "/webhooks/twilio/tn_doesnotexist0000000";
  auto unknown = post(ghost, http::encode_form(params), sign(ghost, params));
  EXPECT_EQ(unknown.status, 404u);
  EXPECT_EQ(error_code(unknown), "tenant_not_found");

  auto bare = admin_.create_tenant("No Twilio yet");
  ASSERT_TRUE(bare.ok());
  const auto bare_target = target_for(bare->tenant.id);
  auto no_credentials = post(bare_target, http::encode_form(params), sign(bare_target, params));
  EXPECT_EQ(no_credentials.status, 404u);
  EXPECT_EQ(error_code(no_credentials), "tenant_not_found");

  // Not even shaped like a tenant id: answered without a look-up.
  const std::string odd = "/webhooks/twilio/tn%21%27";
  EXPECT_EQ(post(odd, http::encode_form(params), "x").status, 404u);
  EXPECT_EQ(rejections("unknown_tenant"), 3.0);

  const auto after = snapshot();
  // Creating the bare tenant changed the tenant tables, nothing else.
  EXPECT_EQ(after.at("events"), before.at("events"));
  EXPECT_EQ(after.at("room_states"), before.at("room_states"));
}

TEST_F(WebhookRoutesTest, NonFormContentTypeIs415) {
  const auto params = participant_connected();
  const auto target = target_for(tenant_);
  const auto before = snapshot();
  auto response = post(target, http::encode_form(params), sign(target, params), "application/json");
  EXPECT_EQ(response.status, 415u);
  EXPECT_EQ(error_code(response), "unsupported_media_type");
  EXPECT_EQ(snapshot(), before);
  // Parameters on the media type are fine.
  EXPECT_EQ(post(target, http::encode_form(params), sign(target, params),
                 "Application/X-WWW-Form-Urlencoded; charset=utf-8")
                .status,
            200u);
}

TEST_F(WebhookRoutesTest, MalformedKnownCallbackIs400WithTheParsersCode) {
  auto params = room_event("participant-connected", 3);  // no ParticipantSid
  const auto before = snapshot();
  auto response = deliver(tenant_, params);
  EXPECT_EQ(response.status, 400u);
  EXPECT_EQ(error_code(response), "callback_missing_parameter");

  auto bad = participant_connected();
  set_param(bad, "Timestamp", "yesterday");
  auto invalid = deliver(tenant_, bad);
  EXPECT_EQ(invalid.status, 400u);
  EXPECT_EQ(error_code(invalid), "callback_invalid_parameter");
  EXPECT_EQ(snapshot(), before);
}

TEST_F(WebhookRoutesTest, BodyThatIsNotFormEncodingCannotBeVerified) {
  const auto target = target_for(tenant_);
  auto response = post(target, "AccountSid=%zz", sign(target, {}));
  EXPECT_EQ(response.status, 403u);
  EXPECT_EQ(error_code(response), "invalid_signature");
  EXPECT_EQ(rejections("unverifiable_body"), 1.0);
}

TEST_F(WebhookRoutesTest, StorageFailureIs503WithRetryAfterAndStoresNothing) {
  ledger_.fail(true);
  const auto before = snapshot();
  auto response = deliver(tenant_, participant_connected());
  EXPECT_EQ(response.status, 503u);
  EXPECT_EQ(error_code(response), "webhook_storage_unavailable");
  EXPECT_EQ(response.headers.count("Retry-After"), 1u);
  EXPECT_EQ(snapshot(), before);
  EXPECT_EQ(rejections("storage_error"), 1.0);

  // Twilio's retry, once the database is back, is applied as new.
  ledger_.fail(false);
  auto retry = deliver(tenant_, participant_connected());
  EXPECT_EQ(retry.status, 200u);
  EXPECT_EQ(outcome(retry), "applied");
}

class SmallQueueTest : public testing::WebhookFixture {
 protected:
  SmallQueueTest() : WebhookFixture({.queue_capacity = 1, .max_batch = 512}) {}
};

TEST_F(SmallQueueTest, FullQueueIs503WithRetryAfterAndAcceptedOnesStillCommit) {
  ledger_.close();
  auto first =
      std::async(std::launch::async, [&] { return deliver(tenant_, participant_connected()); });
  ASSERT_TRUE(ledger_.wait_entered(1));  // the writer holds the first one inside the ledger
  auto second_params = room_event("room-created", 0, "2024-05-01T10:00:00Z");
  auto second = std::async(std::launch::async, [&] { return deliver(tenant_, second_params); });
  // The ingestor offers no notification for "queued", so poll its depth (with a deadline).
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (ingestor_.queue_depth() < 1 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  ASSERT_EQ(ingestor_.queue_depth(), 1u);

  auto refused = deliver(tenant_, room_event("room-ended", 9, "2024-05-01T11:00:00Z"));
  EXPECT_EQ(refused.status, 503u);
  EXPECT_EQ(error_code(refused), "webhook_overloaded");
  EXPECT_EQ(refused.headers.count("Retry-After"), 1u);

  ledger_.open();
  EXPECT_EQ(first.get().status, 200u);
  EXPECT_EQ(second.get().status, 200u);
  EXPECT_EQ(ledger_rows(tenant_), 2);
  EXPECT_EQ(rejections("overloaded"), 1.0);
}

}  // namespace
}  // namespace roomplane::webhooks
