// State: construction, accounts, look-ups, callbacks, tick and the debug dump. Rooms and
// participants are in state_rooms.cpp, compositions and hooks in state_compositions.cpp.

#include "emulator/state.h"

#include <algorithm>
#include <cstdio>

#include "crypto/crypto.h"
#include "emulator/params.h"
#include "emulator/resource_json.h"
#include "emulator/twilio_error.h"

namespace roomplane::emulator {
namespace {

std::uint64_t initial_seed(const std::optional<std::uint64_t>& seed) {
  if (seed)
    return *seed;
  std::uint64_t value = 0;
  const std::string bytes = crypto::random_bytes(sizeof value);
  for (char c : bytes)
    value = (value << 8) | static_cast<unsigned char>(c);
  return value;
}

std::string random_hex_secret() {
  return crypto::hex_encode(crypto::random_bytes(16));
}

bool is_clean_secret(std::string_view s) {
  return !s.empty() && s.size() <= 256 && is_clean_utf8(s);
}

}  // namespace

std::int64_t Room::duration_seconds() const {
  if (!end_time)
    return 0;
  return std::max<std::int64_t>(
      0, core::to_unix_seconds(*end_time) - core::to_unix_seconds(date_created));
}

std::optional<std::int64_t> Participant::duration_seconds() const {
  if (!end_time)
    return std::nullopt;
  return std::max<std::int64_t>(
      0, core::to_unix_seconds(*end_time) - core::to_unix_seconds(start_time));
}

std::string to_string(CompositionMode mode) {
  switch (mode) {
    case CompositionMode::kNormal:
      return "normal";
    case CompositionMode::kSlow:
      return "slow";
    case CompositionMode::kFail:
      return "fail";
    case CompositionMode::kNever:
      return "never";
  }
  return "normal";
}

std::optional<CompositionMode> parse_composition_mode(std::string_view text) {
  if (text == "normal")
    return CompositionMode::kNormal;
  if (text == "slow")
    return CompositionMode::kSlow;
  if (text == "fail")
    return CompositionMode::kFail;
  if (text == "never")
    return CompositionMode::kNever;
  return std::nullopt;
}

State::State(const core::Clock& clock, CallbackSink& sink, StateOptions options,
             observability::MetricsRegistry* metrics, observability::Logger logger)
    : clock_(clock),
      sink_(sink),
      options_(std::move(options)),
      logger_(std::move(logger)),
      // Only ever called from connect(), which holds mutex_, so it reads the maps directly.
      verifier_([this](std::string_view key_sid) -> std::optional<tokens::KeyInfo> {
        const auto owner = api_key_owner_.find(key_sid);
        if (owner == api_key_owner_.end())
          return std::nullopt;
        const Account* account = account_locked(owner->second);
        if (account == nullptr)
          return std::nullopt;
        for (const auto& [sid, secret] : account->api_keys) {
          if (sid == key_sid)
            return tokens::KeyInfo{secret, account->sid};
        }
        return std::nullopt;
      }),
      rng_(initial_seed(options_.seed)),
      media_key_(crypto::random_bytes(32)) {
  if (metrics != nullptr) {
    rooms_gauge_ = &metrics->gauge("roomplane_emulator_rooms_in_progress",
                                   "Emulated Twilio rooms currently in progress");
    participants_gauge_ = &metrics->gauge("roomplane_emulator_participants_connected",
                                          "Participants currently connected to emulated rooms");
    update_gauges_locked();
  }
}

std::string State::new_sid(std::string_view prefix) {
  char buf[40];
  const auto a = static_cast<unsigned long long>(rng_());
  const auto b = static_cast<unsigned long long>(rng_());
  std::snprintf(buf, sizeof buf, "%016llx%016llx", a, b);
  return std::string(prefix) + buf;
}

const Account* State::account_locked(std::string_view sid) const {
  const auto it = accounts_.find(sid);
  return it == accounts_.end() ? nullptr : &it->second;
}

// ---------------------------------------------------------------------------------------------
// Accounts

core::Result<AccountCredentials> State::create_account(const NewAccount& request) {
  if (request.account_sid && !is_sid(*request.account_sid, "AC"))
    return invalid_parameter("account_sid must be AC followed by 32 hex digits");
  if (request.api_key_sid && !is_sid(*request.api_key_sid, "SK"))
    return invalid_parameter("api_key_sid must be SK followed by 32 hex digits");
  if (request.auth_token && !is_clean_secret(*request.auth_token))
    return invalid_parameter("auth_token must be 1..256 printable characters");
  if (request.api_key_secret && !is_clean_secret(*request.api_key_secret))
    return invalid_parameter("api_key_secret must be 1..256 printable characters");

  Lock lock(mutex_);
  const std::string account_sid = request.account_sid ? *request.account_sid : new_sid("AC");
  auto existing = accounts_.find(account_sid);
  if (existing != accounts_.end() && request.auth_token &&
      !crypto::constant_time_equals(*request.auth_token, existing->second.auth_token)) {
    return twilio_error(core::ErrorKind::kConflict, kErrInvalidParameter,
                        "account " + account_sid + " exists with another auth_token");
  }
  if (request.api_key_sid) {
    const auto owner = api_key_owner_.find(*request.api_key_sid);
    if (owner != api_key_owner_.end() && owner->second != account_sid) {
      return twilio_error(core::ErrorKind::kConflict, kErrInvalidParameter,
                          "api_key_sid belongs to another account");
    }
  }
  if (existing == accounts_.end()) {
    Account account;
    account.sid = account_sid;
    account.auth_token = request.auth_token ? *request.auth_token : random_hex_secret();
    existing = accounts_.emplace(account_sid, std::move(account)).first;
    logger_.info("emulator_account_created", {{"account_sid", account_sid}});
  }
  Account& account = existing->second;

  AccountCredentials out{account.sid, account.auth_token, {}, {}};
  // Which existing key answers this request: the named one; with only a secret given, none
  // (a new key is made for it); with neither, the account's first key.
  const auto key = std::find_if(account.api_keys.begin(), account.api_keys.end(), [&](auto& k) {
    if (request.api_key_sid)
      return k.first == *request.api_key_sid;
    return !request.api_key_secret.has_value();
  });
  if (key != account.api_keys.end()) {
    if (request.api_key_secret &&
        !crypto::constant_time_equals(*request.api_key_secret, key->second)) {
      return twilio_error(core::ErrorKind::kConflict, kErrInvalidParameter,
                          "api_key_sid exists with another secret");
    }
    out.api_key_sid = key->first;
    out.api_key_secret = key->second;
    return out;
  }
  out.api_key_sid = request.api_key_sid ? *request.api_key_sid : new_sid("SK");
  out.api_key_secret = request.api_key_secret ? *request.api_key_secret : random_hex_secret();
  account.api_keys.emplace_back(out.api_key_sid, out.api_key_secret);
  api_key_owner_[out.api_key_sid] = account.sid;
  return out;
}

std::optional<std::string> State::authenticate(std::string_view username,
                                               std::string_view password) const {
  Lock lock(mutex_);
  if (const Account* account = account_locked(username)) {
    if (crypto::constant_time_equals(password, account->auth_token))
      return account->sid;
    return std::nullopt;
  }
  const auto owner = api_key_owner_.find(username);
  if (owner == api_key_owner_.end())
    return std::nullopt;
  const Account* account = account_locked(owner->second);
  if (account == nullptr)
    return std::nullopt;
  for (const auto& [sid, secret] : account->api_keys) {
    if (sid == username && crypto::constant_time_equals(password, secret))
      return account->sid;
  }
  return std::nullopt;
}

bool State::has_account(std::string_view account_sid) const {
  Lock lock(mutex_);
  return account_locked(account_sid) != nullptr;
}

// ---------------------------------------------------------------------------------------------
// Look-ups (lock held)

Room* State::room_locked(std::string_view account_sid, std::string_view name_or_sid) {
  const auto by_sid = rooms_.find(name_or_sid);
  if (by_sid != rooms_.end())
    return by_sid->second.account_sid == account_sid ? &by_sid->second : nullptr;
  // By unique name: only in-progress rooms are addressable that way.
  for (auto& [sid, room] : rooms_) {
    if (room.account_sid == account_sid && room.in_progress() && room.unique_name == name_or_sid)
      return &room;
  }
  return nullptr;
}

const Room* State::room_locked(std::string_view account_sid, std::string_view name_or_sid) const {
  return const_cast<State*>(this)->room_locked(account_sid, name_or_sid);
}

core::Result<Room*> State::any_room_locked(std::string_view name_or_sid) {
  const auto by_sid = rooms_.find(name_or_sid);
  if (by_sid != rooms_.end())
    return &by_sid->second;
  Room* found = nullptr;
  for (auto& [sid, room] : rooms_) {
    if (room.in_progress() && room.unique_name == name_or_sid) {
      if (found != nullptr) {
        return invalid_parameter("room name " + std::string(name_or_sid) +
                                 " is in use in several accounts; use the room SID");
      }
      found = &room;
    }
  }
  if (found == nullptr)
    return twilio_error(core::ErrorKind::kNotFound, kErrRoomNotFound, "Room not found");
  return found;
}

Participant* State::participant_locked(const Room& room, std::string_view identity_or_sid) {
  const auto by_sid = participants_.find(identity_or_sid);
  if (by_sid != participants_.end())
    return by_sid->second.room_sid == room.sid ? &by_sid->second : nullptr;
  // By identity: the connected one if any, else the latest (identities reconnect as new
  // participants).
  Participant* latest = nullptr;
  for (const auto& sid : room.participant_sids) {
    auto& p = participants_.at(sid);
    if (p.identity != identity_or_sid)
      continue;
    if (p.connected())
      return &p;
    latest = &p;
  }
  return latest;
}

const Participant* State::participant_locked(const Room& room,
                                             std::string_view identity_or_sid) const {
  return const_cast<State*>(this)->participant_locked(room, identity_or_sid);
}

Track* State::published_track_locked(const Participant& p, std::string_view sid_or_name) {
  for (const auto& sid : p.track_sids) {
    auto& t = tracks_.at(sid);
    if (t.sid == sid_or_name || t.name == sid_or_name)
      return &t;
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Callbacks (lock held; sink_.enqueue never blocks)

void State::emit_room_event(Room& room, std::string_view event, core::TimePoint now,
                            http::FormParams extra) {
  if (!room.status_callback)
    return;
  const Account* account = account_locked(room.account_sid);
  http::FormParams params{{"AccountSid", room.account_sid},
                          {"RoomName", room.unique_name},
                          {"RoomSid", room.sid},
                          {"RoomStatus", room.status},
                          {"RoomType", room.type},
                          {"StatusCallbackEvent", std::string(event)},
                          {"Timestamp", core::to_rfc3339(now)},
                          {"SequenceNumber", std::to_string(room.next_sequence_number++)}};
  for (auto& p : extra)
    params.push_back(std::move(p));
  sink_.enqueue(Callback{*room.status_callback, room.status_callback_method, std::move(params),
                         account != nullptr ? account->auth_token : std::string(), room.sid});
}

void State::emit_participant_event(Room& room, const Participant& p, std::string_view event,
                                   core::TimePoint now) {
  http::FormParams extra{{"ParticipantSid", p.sid},
                         {"ParticipantIdentity", p.identity},
                         {"ParticipantStatus", p.status}};
  if (const auto duration = p.duration_seconds())
    extra.emplace_back("ParticipantDuration", std::to_string(*duration));
  emit_room_event(room, event, now, std::move(extra));
}

void State::emit_track_event(Room& room, const Participant& p, const Track& t,
                             std::string_view event, core::TimePoint now) {
  emit_room_event(room, event, now,
                  {{"ParticipantSid", p.sid},
                   {"ParticipantIdentity", p.identity},
                   {"ParticipantStatus", p.status},
                   {"TrackSid", t.sid},
                   {"TrackKind", t.kind},
                   {"TrackName", t.name}});
}

void State::emit_recording_event(Room& room, const Recording& r, std::string_view event,
                                 core::TimePoint now) {
  const std::string uri = "/v1/Recordings/" + r.sid;
  http::FormParams extra{{"RecordingSid", r.sid},
                         {"ParticipantSid", r.participant_sid},
                         {"ParticipantIdentity", r.participant_identity},
                         {"SourceSid", r.source_sid},
                         {"TrackName", r.track_name},
                         {"RecordingUri", uri},
                         {"Container", r.container_format},
                         {"Codec", r.codec},
                         {"Type", r.type},
                         {"OffsetFromTwilioVideoEpoch", std::to_string(r.offset)}};
  if (event == "recording-completed") {
    extra.emplace_back("MediaUri", uri + "/Media");
    extra.emplace_back("Duration", std::to_string(r.duration));
    extra.emplace_back("Size", std::to_string(r.size));
  }
  emit_room_event(room, event, now, std::move(extra));
}

void State::emit_composition_event(const Composition& c, std::string_view event,
                                   core::TimePoint now, http::FormParams extra) {
  if (!c.status_callback)
    return;
  const Account* account = account_locked(c.account_sid);
  http::FormParams params{{"AccountSid", c.account_sid},
                          {"RoomSid", c.room_sid},
                          {"StatusCallbackEvent", std::string(event)},
                          {"Timestamp", core::to_rfc3339(now)},
                          {"CompositionSid", c.sid},
                          {"CompositionUri", "/v1/Compositions/" + c.sid}};
  for (auto& p : extra)
    params.push_back(std::move(p));
  sink_.enqueue(Callback{*c.status_callback, c.status_callback_method, std::move(params),
                         account != nullptr ? account->auth_token : std::string(), c.sid});
}

void State::update_gauges_locked() {
  if (rooms_gauge_ == nullptr)
    return;
  std::size_t rooms = 0;
  for (const auto& [sid, room] : rooms_)
    rooms += room.in_progress() ? 1 : 0;
  std::size_t connected = 0;
  for (const auto& [sid, p] : participants_)
    connected += p.connected() ? 1 : 0;
  rooms_gauge_->set(static_cast<double>(rooms));
  participants_gauge_->set(static_cast<double>(connected));
}

// ---------------------------------------------------------------------------------------------
// Time

void State::tick() {
  Lock lock(mutex_);
  const auto now = clock_.now();

  std::vector<Room*> rooms;
  for (auto& [sid, room] : rooms_) {
    if (room.in_progress())
      rooms.push_back(&room);
  }
  std::sort(rooms.begin(), rooms.end(), [](auto* a, auto* b) { return a->seq < b->seq; });

  for (Room* room : rooms) {
    // MaxParticipantDuration (Twilio disconnects with 53216).
    std::vector<std::string> stopped;
    bool someone_left = false;
    for (const auto& sid : room->participant_sids) {
      auto& p = participants_.at(sid);
      if (p.connected() &&
          now - p.start_time >= std::chrono::seconds(room->max_participant_duration)) {
        disconnect_locked(*room, p, now, stopped);
        someone_left = true;
      }
    }
    complete_recordings_locked(*room, stopped, now);
    if (someone_left)
      after_participant_left_locked(*room, now);

    if (!room->ever_joined &&
        now >= room->date_created + std::chrono::minutes(room->unused_room_timeout)) {
      end_room_locked(*room, now, "unused_room_timeout");
    } else if (room->ever_joined && room->empty_since &&
               now >= *room->empty_since + std::chrono::minutes(room->empty_room_timeout)) {
      end_room_locked(*room, now, "empty_room_timeout");
    }
  }

  std::vector<Composition*> compositions;
  for (auto& [sid, c] : compositions_) {
    if (c.status == "enqueued" || c.status == "processing")
      compositions.push_back(&c);
  }
  std::sort(compositions.begin(), compositions.end(),
            [](auto* a, auto* b) { return a->seq < b->seq; });
  for (Composition* c : compositions)
    advance_composition_locked(*c, now);

  update_gauges_locked();
}

// ---------------------------------------------------------------------------------------------
// Debug dump

nlohmann::json State::dump() const {
  Lock lock(mutex_);
  nlohmann::json out = nlohmann::json::object();
  out["now"] = core::to_rfc3339(clock_.now());
  auto& accounts = out["accounts"] = nlohmann::json::array();
  for (const auto& [sid, account] : accounts_) {
    nlohmann::json keys = nlohmann::json::array();
    for (const auto& key : account.api_keys)
      keys.push_back(key.first);
    accounts.push_back({{"account_sid", sid}, {"api_key_sids", keys}});
  }
  auto& rooms = out["rooms"] = nlohmann::json::array();
  std::vector<const Room*> sorted;
  for (const auto& [sid, room] : rooms_)
    sorted.push_back(&room);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->seq < b->seq; });
  for (const Room* room : sorted) {
    nlohmann::json r = room_json(*room, "");
    r["end_reason"] =
        room->end_reason.empty() ? nlohmann::json(nullptr) : nlohmann::json(room->end_reason);
    r["recording_rules"] = room->recording_rules;
    auto& ps = r["participants"] = nlohmann::json::array();
    for (const auto& psid : room->participant_sids) {
      const auto& p = participants_.at(psid);
      nlohmann::json pj = participant_json(p, "");
      auto& ts = pj["published_tracks"] = nlohmann::json::array();
      for (const auto& tsid : p.track_sids)
        ts.push_back(published_track_json(tracks_.at(tsid), ""));
      ps.push_back(std::move(pj));
    }
    rooms.push_back(std::move(r));
  }
  auto& recordings = out["recordings"] = nlohmann::json::array();
  for (const auto& [sid, r] : recordings_)
    recordings.push_back(room_recording_json(r, ""));
  auto& compositions = out["compositions"] = nlohmann::json::array();
  for (const auto& [sid, c] : compositions_) {
    nlohmann::json cj = composition_json(c, "");
    cj["behaviour"] = {{"mode", to_string(c.behaviour.mode)}, {"factor", c.behaviour.factor}};
    cj["hook_sid"] = c.hook_sid ? nlohmann::json(*c.hook_sid) : nlohmann::json(nullptr);
    compositions.push_back(std::move(cj));
  }
  auto& hooks = out["composition_hooks"] = nlohmann::json::array();
  for (const auto& [sid, h] : hooks_)
    hooks.push_back(hook_json(h, ""));
  out["default_composition_behaviour"] = {{"mode", to_string(default_behaviour_.mode)},
                                          {"factor", default_behaviour_.factor}};
  return out;
}

}  // namespace roomplane::emulator
