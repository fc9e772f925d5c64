// The webhook path after the form, on up to 8 callbacks per input (one form body per line):
//   parse_form -> params_to_json -> parse_callback -> idempotency_key -> rooms::apply (fold)
//   -> encode_state / decode_state.
// Properties (callback_event.h, room_state.h, state_codec.h, webhook_routes.h):
//  - parse_callback never crashes; an error is kInvalidArgument with one of the two documented
//    codes; an accepted known event has its required fields, and every text field is valid
//    UTF-8 of at most kMaxCallbackTextBytes (so the state it lands in can be encoded);
//  - a known event ignores parameters it does not read (appending one changes neither the event
//    nor its key); an unknown event's key covers every parameter (appending one changes it);
//  - idempotency_key is 64 lower-case hex digits, the same for the same event;
//  - params_to_json is valid JSON equal to nlohmann's dump of the same object (replace mode);
//  - apply: re-applying an event changes nothing and reports no change; statuses never move
//    backwards; the final state is the same in any order and with duplicates;
//  - encode_state never throws on a state folded from parsed callbacks, and
//    decode_state(encode_state(s)) == s.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/json_text.h"
#include "fuzz_check.h"
#include "http/form.h"
#include "rooms/room_state.h"
#include "rooms/state_codec.h"
#include "state_round_trip.h"
#include "twilio/callback_event.h"
#include "webhooks/webhook_routes.h"

namespace {

using namespace roomplane;
using rooms::RoomEvent;
using rooms::RoomEventType;
using rooms::RoomState;

constexpr std::size_t kMaxEvents = 8;

void check_text(const std::string& text) {
  FUZZ_CHECK(text.size() <= twilio::kMaxCallbackTextBytes);
  FUZZ_CHECK(core::is_valid_utf8(text));
}

void check_event(const RoomEvent& e) {
  FUZZ_CHECK(!e.raw_name.empty());
  for (const std::string* text :
       {&e.raw_name, &e.room_name, &e.participant_identity, &e.track_name, &e.recording_media_uri,
        &e.recording_error, &e.composition_media_uri, &e.composition_error}) {
    check_text(*text);
  }
  if (e.type == RoomEventType::kUnknown) {
    FUZZ_CHECK(twilio::callback_event_name(e.type).empty());
    return;
  }
  FUZZ_CHECK(twilio::callback_event_name(e.type) == e.raw_name);
  FUZZ_CHECK(e.room_sid.size() == 34 && e.room_sid.starts_with("RM"));
  if (rooms::is_participant_event(e.type) || rooms::is_track_event(e.type))
    FUZZ_CHECK(e.participant_sid.size() == 34);
  if (rooms::is_participant_event(e.type))
    FUZZ_CHECK(!e.participant_identity.empty());
  if (rooms::is_track_event(e.type))
    FUZZ_CHECK(e.track_sid.size() == 34);
  if (rooms::is_recording_event(e.type))
    FUZZ_CHECK(e.recording_sid.size() == 34);
  if (e.type == RoomEventType::kCompositionProgress) {
    FUZZ_CHECK(e.composition_progress_percent.has_value());
    FUZZ_CHECK(*e.composition_progress_percent >= 0 && *e.composition_progress_percent <= 100);
  }
}

void check_key(const core::TenantId& tenant, const RoomEvent& e, const std::string& key) {
  FUZZ_CHECK(key.size() == 64);
  FUZZ_CHECK(std::all_of(key.begin(), key.end(),
                         [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }));
  FUZZ_CHECK(twilio::idempotency_key(tenant, e) == key);
}

// nlohmann's own rendering of the parameters (the reference params_to_json must match).
std::string reference_params_json(const http::FormParams& params) {
  nlohmann::json object = nlohmann::json::object();
  for (const auto& [name, value] : params) {
    auto it = object.find(name);
    if (it == object.end()) {
      object[name] = value;
    } else if (it->is_array()) {
      it->push_back(value);
    } else {
      *it = nlohmann::json::array({*it, value});
    }
  }
  return object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Statuses only move forward (room_state.h: "Never backwards").
void check_forward(const RoomState& before, const RoomState& after) {
  FUZZ_CHECK(before.status <= after.status);
  for (const auto& [sid, p] : before.participants) {
    const auto it = after.participants.find(sid);
    FUZZ_CHECK(it != after.participants.end());
    FUZZ_CHECK(p.status <= it->second.status);
    for (const auto& [track_sid, t] : p.tracks) {
      const auto track = it->second.tracks.find(track_sid);
      FUZZ_CHECK(track != it->second.tracks.end());
      FUZZ_CHECK(!t.removed || track->second.removed);
    }
  }
  for (const auto& [sid, r] : before.recordings) {
    const auto it = after.recordings.find(sid);
    FUZZ_CHECK(it != after.recordings.end());
    FUZZ_CHECK(r.status <= it->second.status);
  }
  for (const auto& [sid, c] : before.compositions) {
    const auto it = after.compositions.find(sid);
    FUZZ_CHECK(it != after.compositions.end());
    FUZZ_CHECK(c.status <= it->second.status);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input = fuzz::as_text(data, size);
  const core::TenantId tenant("tn_fuzz");

  std::vector<RoomEvent> events;
  for (std::size_t n = 0; n < kMaxEvents && !input.empty(); ++n) {
    const auto newline = input.find('\n');
    const std::string_view body = input.substr(0, newline);
    input = newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);

    auto params = http::parse_form(body);
    if (!params)
      continue;

    const std::string json_text = webhooks::params_to_json(*params);
    FUZZ_CHECK(json_text == reference_params_json(*params));
    FUZZ_CHECK(nlohmann::json::accept(json_text));

    auto event = twilio::parse_callback(*params);
    if (!event) {
      FUZZ_CHECK(event.error().kind == core::ErrorKind::kInvalidArgument);
      FUZZ_CHECK(event.error().code == twilio::kErrCallbackMissingParameter ||
                 event.error().code == twilio::kErrCallbackInvalidParameter);
      continue;
    }
    check_event(*event);
    const std::string key = twilio::idempotency_key(tenant, *event);
    check_key(tenant, *event, key);

    // A known event ignores parameters it does not read; an unknown event is identified by all
    // of its parameters, so one more makes it another event.
    auto extended = *params;
    extended.emplace_back("XFuzzUnknownParameter", "\xff");
    const auto again = twilio::parse_callback(extended);
    FUZZ_CHECK(again.ok());
    if (event->type == RoomEventType::kUnknown) {
      FUZZ_CHECK(again->unknown_params_digest != event->unknown_params_digest);
      FUZZ_CHECK(twilio::idempotency_key(tenant, *again) != key);
      auto same = *again;
      same.unknown_params_digest = event->unknown_params_digest;
      FUZZ_CHECK(same == *event);
    } else {
      FUZZ_CHECK(event->unknown_params_digest.empty());
      FUZZ_CHECK(*again == *event);
      FUZZ_CHECK(twilio::idempotency_key(tenant, *again) == key);
    }

    events.push_back(std::move(event).value());
  }

  // In arrival order, each event delivered twice in a row.
  RoomState state;
  std::vector<const RoomEvent*> applied;
  for (const RoomEvent& e : events) {
    const RoomState before = state;
    const auto outcome = rooms::apply(state, e);
    if (outcome.ignored != rooms::IgnoredReason::kNone) {
      FUZZ_CHECK(!outcome.state_changed && outcome.changes.empty());
      FUZZ_CHECK(state == before);
      continue;
    }
    applied.push_back(&e);
    FUZZ_CHECK(outcome.state_changed == !(state == before));
    FUZZ_CHECK(outcome.changes.empty() || outcome.state_changed);
    check_forward(before, state);

    const RoomState once = state;
    const auto duplicate = rooms::apply(state, e);
    FUZZ_CHECK(duplicate.ignored == rooms::IgnoredReason::kNone);
    FUZZ_CHECK(!duplicate.state_changed && duplicate.changes.empty());
    FUZZ_CHECK(state == once);
  }
  fuzz::check_state_round_trip(state, "a state folded from parsed callbacks");

  // The same set of events in reverse order, then all of them again: the same state.
  RoomState reversed;
  for (auto it = applied.rbegin(); it != applied.rend(); ++it) {
    const auto outcome = rooms::apply(reversed, **it);
    FUZZ_CHECK(outcome.ignored == rooms::IgnoredReason::kNone);
  }
  for (const RoomEvent* e : applied)
    (void)rooms::apply(reversed, *e);
  FUZZ_CHECK(reversed == state);
  FUZZ_CHECK(rooms::to_canonical_text(reversed) == rooms::to_canonical_text(state));
  return 0;
}
