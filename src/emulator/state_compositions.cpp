// State: compositions (and their time-driven lifecycle), composition hooks, the settings
// singletons, and media.

#include <algorithm>
#include <cmath>

#include "crypto/crypto.h"
#include "emulator/params.h"
#include "emulator/state.h"
#include "emulator/twilio_error.h"

namespace roomplane::emulator {
namespace {

bool in_window(core::TimePoint t, const std::optional<core::TimePoint>& after,
               const std::optional<core::TimePoint>& before) {
  return (!after || t >= *after) && (!before || t < *before);
}

// Fake composed-media bitrates (kbit/s): video layouts vs audio-only compositions.
constexpr std::int64_t kVideoCompositionKbps = 1000;
constexpr std::int64_t kAudioCompositionKbps = 64;

// A few bytes that identify the container, so a client sniffing the download sees the right
// format: an ISO BMFF "ftyp" box, or a minimal EBML header with the Matroska/WebM DocType.
std::string fake_media_bytes(std::string_view ext) {
  if (ext == "mp4") {
    static constexpr unsigned char kMp4[] = {0,   0,   0, 0x18, 'f', 't', 'y', 'p', 'i', 's', 'o',
                                             'm', 0,   0, 2,    0,   'i', 's', 'o', 'm', 'i', 's',
                                             'o', '2', 0, 0,    0,   8,   'f', 'r', 'e', 'e'};
    return std::string(reinterpret_cast<const char*>(kMp4), sizeof kMp4);
  }
  const std::string doc_type = ext == "webm" ? "webm" : "matroska";
  std::string body =
      "\x42\x86\x81\x01"   // EBMLVersion 1
      "\x42\xF7\x81\x01"   // EBMLReadVersion 1
      "\x42\xF2\x81\x04"   // EBMLMaxIDLength 4
      "\x42\xF3\x81\x08";  // EBMLMaxSizeLength 8
  body += "\x42\x82";
  body += static_cast<char>(0x80 | doc_type.size());
  body += doc_type;
  body += "\x42\x87\x81\x04\x42\x85\x81\x02";  // DocTypeVersion 4, DocTypeReadVersion 2
  std::string out = "\x1A\x45\xDF\xA3";
  out += static_cast<char>(0x80 | body.size());
  out += body;
  return out;
}

std::string content_type_for(std::string_view ext) {
  if (ext == "mp4")
    return "video/mp4";
  if (ext == "webm")
    return "video/webm";
  if (ext == "mka")
    return "audio/x-matroska";
  return "video/x-matroska";
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Compositions

core::Result<Composition> State::create_composition(const std::string& account_sid,
                                                    Composition spec) {
  Lock lock(mutex_);
  const auto now = clock_.now();
  const auto it = rooms_.find(spec.room_sid);
  if (it == rooms_.end() || it->second.account_sid != account_sid)
    return twilio_error(core::ErrorKind::kNotFound, kErrRoomNotFound,
                        "Room " + spec.room_sid + " not found");
  const Room& room = it->second;
  if (!room.is_group())
    return invalid_parameter("Compositions can only be created for group rooms");
  if (room.in_progress())
    return invalid_parameter("Room " + room.sid +
                             " is in progress; compositions need a completed room");
  const bool has_recordings =
      std::any_of(recordings_.begin(), recordings_.end(), [&](const auto& entry) {
        return entry.second.room_sid == room.sid && entry.second.status == "completed";
      });
  if (!has_recordings)
    return invalid_parameter("Room " + room.sid + " has no recordings to compose");
  return add_composition_locked(std::move(spec), room, now);
}

Composition& State::add_composition_locked(Composition c, const Room& room, core::TimePoint now) {
  c.seq = next_seq();
  c.sid = new_sid("CJ");
  c.account_sid = room.account_sid;
  c.room_sid = room.sid;
  c.status = "enqueued";
  c.date_created = now;
  c.behaviour = default_behaviour_;
  // Media length: the recorded span when trimming, else the whole room.
  std::optional<core::TimePoint> first;
  std::optional<core::TimePoint> last;
  for (const auto& [sid, r] : recordings_) {
    if (r.room_sid != room.sid)
      continue;
    const auto end = r.date_created + std::chrono::seconds(r.duration);
    first = first ? std::min(*first, r.date_created) : r.date_created;
    last = last ? std::max(*last, end) : end;
  }
  const std::int64_t span =
      (first && last) ? core::to_unix_seconds(*last) - core::to_unix_seconds(*first) : 0;
  c.media_duration = std::max<std::int64_t>(1, c.trim ? span : room.duration_seconds());
  const double min_s = static_cast<double>(options_.composition_min_processing.count()) / 1000.0;
  const double max_s = static_cast<double>(options_.composition_max_processing.count()) / 1000.0;
  c.base_processing_seconds =
      std::clamp(static_cast<double>(c.media_duration) * options_.composition_processing_ratio,
                 min_s, std::max(min_s, max_s));
  return compositions_.emplace(c.sid, std::move(c)).first->second;
}

double State::processing_seconds(const Composition& c) const {
  const double factor = c.behaviour.mode == CompositionMode::kSlow ? c.behaviour.factor : 1.0;
  return c.base_processing_seconds * factor;
}

void State::advance_composition_locked(Composition& c, core::TimePoint now) {
  if (c.status == "enqueued") {
    if (now < c.date_created + options_.composition_queue_delay)
      return;
    c.status = "processing";
    c.started_at = now;
    emit_composition_event(c, "composition-started", now);
  }
  if (c.status != "processing" || !c.started_at)
    return;
  const double total = processing_seconds(c);
  const double elapsed = std::chrono::duration<double>(now - *c.started_at).count();
  const double percent = total <= 0 ? 100.0 : elapsed * 100.0 / total;
  // One composition-progress per 10 % step reached, also when a tick jumped over several.
  for (int step = c.progress_reported + 10; step <= 90 && step <= percent; step += 10) {
    c.progress_reported = step;
    const auto remaining = static_cast<std::int64_t>(std::ceil(total * (100 - step) / 100.0));
    emit_composition_event(c, "composition-progress", now,
                           {{"PercentageDone", std::to_string(step)},
                            {"SecondsRemaining", std::to_string(remaining)}});
  }
  if (c.behaviour.mode == CompositionMode::kNever || elapsed < total)
    return;
  if (c.behaviour.mode == CompositionMode::kFail) {
    c.status = "failed";
    emit_composition_event(c, "composition-failed", now,
                           {{"FailedOperation", "Composing"},
                            {"ErrorMessage", "Composition failed (emulator behaviour: fail)"}});
    return;
  }
  c.status = "completed";
  c.date_completed = now;
  c.duration = c.media_duration;
  c.bitrate = c.video_layout.empty() ? kAudioCompositionKbps : kVideoCompositionKbps;
  c.size = c.duration * c.bitrate * 1000 / 8;
  emit_composition_event(c, "composition-available", now,
                         {{"MediaUri", "/v1/Compositions/" + c.sid + "/Media"},
                          {"Duration", std::to_string(c.duration)},
                          {"Size", std::to_string(c.size)}});
}

core::Result<Composition> State::find_composition(const std::string& account_sid,
                                                  std::string_view sid) const {
  Lock lock(mutex_);
  const auto it = compositions_.find(sid);
  if (it == compositions_.end() || it->second.account_sid != account_sid)
    return resource_not_found("/Compositions/" + std::string(sid));
  return it->second;
}

std::vector<Composition> State::list_compositions(const std::string& account_sid,
                                                  const CompositionFilter& filter) const {
  Lock lock(mutex_);
  std::vector<Composition> out;
  for (const auto& [sid, c] : compositions_) {
    if (c.account_sid != account_sid)
      continue;
    if (filter.status && c.status != *filter.status)
      continue;
    if (filter.room_sid && c.room_sid != *filter.room_sid)
      continue;
    if (!in_window(c.date_created, filter.created_after, filter.created_before))
      continue;
    out.push_back(c);
  }
  std::sort(out.begin(), out.end(),
            [](const Composition& a, const Composition& b) { return a.seq > b.seq; });
  return out;
}

core::Status State::delete_composition(const std::string& account_sid, std::string_view sid) {
  Lock lock(mutex_);
  const auto now = clock_.now();
  const auto it = compositions_.find(sid);
  if (it == compositions_.end() || it->second.account_sid != account_sid)
    return resource_not_found("/Compositions/" + std::string(sid));
  if (it->second.status != "deleted") {
    it->second.status = "deleted";
    it->second.date_deleted = now;
  }
  return {};
}

void State::run_hooks_locked(const Room& room, core::TimePoint now) {
  if (!room.is_group())
    return;
  const bool has_recordings =
      std::any_of(recordings_.begin(), recordings_.end(), [&](const auto& entry) {
        return entry.second.room_sid == room.sid && entry.second.status == "completed";
      });
  if (!has_recordings)
    return;  // nothing to compose
  std::vector<const CompositionHook*> hooks;
  for (const auto& [sid, h] : hooks_) {
    if (h.account_sid == room.account_sid && h.enabled)
      hooks.push_back(&h);
  }
  std::sort(hooks.begin(), hooks.end(), [](auto* a, auto* b) { return a->seq < b->seq; });
  for (const CompositionHook* h : hooks) {
    Composition c;
    c.audio_sources = h->audio_sources;
    c.audio_sources_excluded = h->audio_sources_excluded;
    c.video_layout = h->video_layout;
    c.resolution = h->resolution;
    c.trim = h->trim;
    c.format = h->format;
    c.status_callback = h->status_callback;
    c.status_callback_method = h->status_callback_method;
    c.hook_sid = h->sid;
    const Composition& stored = add_composition_locked(std::move(c), room, now);
    emit_composition_event(stored, "composition-enqueued", now,
                           {{"HookSid", h->sid},
                            {"HookUri", "/v1/CompositionHooks/" + h->sid},
                            {"HookFriendlyName", h->friendly_name}});
  }
}

core::Status State::set_composition_behaviour(std::string_view composition_sid,
                                              CompositionBehaviour behaviour) {
  Lock lock(mutex_);
  const auto it = compositions_.find(composition_sid);
  if (it == compositions_.end())
    return resource_not_found("/Compositions/" + std::string(composition_sid));
  it->second.behaviour = behaviour;
  return {};
}

void State::set_default_composition_behaviour(CompositionBehaviour behaviour) {
  Lock lock(mutex_);
  default_behaviour_ = behaviour;
}

// ---------------------------------------------------------------------------------------------
// Composition hooks

core::Result<CompositionHook> State::create_hook(const std::string& account_sid,
                                                 CompositionHook spec) {
  Lock lock(mutex_);
  const auto now = clock_.now();
  for (const auto& [sid, h] : hooks_) {
    if (h.account_sid == account_sid && h.friendly_name == spec.friendly_name)
      return invalid_parameter("A CompositionHook named '" + spec.friendly_name +
                               "' already exists");
  }
  spec.seq = next_seq();
  spec.sid = new_sid("HK");
  spec.account_sid = account_sid;
  spec.date_created = now;
  spec.date_updated.reset();
  return hooks_.emplace(spec.sid, std::move(spec)).first->second;
}

core::Result<CompositionHook> State::find_hook(const std::string& account_sid,
                                               std::string_view sid) const {
  Lock lock(mutex_);
  const auto it = hooks_.find(sid);
  if (it == hooks_.end() || it->second.account_sid != account_sid)
    return resource_not_found("/CompositionHooks/" + std::string(sid));
  return it->second;
}

std::vector<CompositionHook> State::list_hooks(const std::string& account_sid,
                                               const HookFilter& filter) const {
  Lock lock(mutex_);
  std::vector<CompositionHook> out;
  for (const auto& [sid, h] : hooks_) {
    if (h.account_sid != account_sid)
      continue;
    if (filter.enabled && h.enabled != *filter.enabled)
      continue;
    if (filter.friendly_name && !wildcard_match(*filter.friendly_name, h.friendly_name, true))
      continue;
    if (!in_window(h.date_created, filter.created_after, filter.created_before))
      continue;
    out.push_back(h);
  }
  std::sort(out.begin(), out.end(),
            [](const CompositionHook& a, const CompositionHook& b) { return a.seq > b.seq; });
  return out;
}

core::Result<CompositionHook> State::update_hook(const std::string& account_sid,
                                                 std::string_view sid, CompositionHook spec) {
  Lock lock(mutex_);
  const auto now = clock_.now();
  const auto it = hooks_.find(sid);
  if (it == hooks_.end() || it->second.account_sid != account_sid)
    return resource_not_found("/CompositionHooks/" + std::string(sid));
  for (const auto& [other_sid, h] : hooks_) {
    if (other_sid != it->first && h.account_sid == account_sid &&
        h.friendly_name == spec.friendly_name)
      return invalid_parameter("A CompositionHook named '" + spec.friendly_name +
                               "' already exists");
  }
  CompositionHook& hook = it->second;
  spec.seq = hook.seq;
  spec.sid = hook.sid;
  spec.account_sid = hook.account_sid;
  spec.date_created = hook.date_created;
  spec.date_updated = now;
  hook = std::move(spec);
  return hook;
}

core::Status State::delete_hook(const std::string& account_sid, std::string_view sid) {
  Lock lock(mutex_);
  const auto it = hooks_.find(sid);
  if (it == hooks_.end() || it->second.account_sid != account_sid)
    return resource_not_found("/CompositionHooks/" + std::string(sid));
  hooks_.erase(it);
  return {};
}

// ---------------------------------------------------------------------------------------------
// Settings singletons

MediaSettings State::settings(const std::string& account_sid, SettingsKind kind) const {
  Lock lock(mutex_);
  const auto it = settings_.find({account_sid, static_cast<int>(kind)});
  if (it != settings_.end())
    return it->second;
  MediaSettings defaults;
  defaults.account_sid = account_sid;
  return defaults;
}

MediaSettings State::set_settings(const std::string& account_sid, SettingsKind kind,
                                  MediaSettings value) {
  Lock lock(mutex_);
  value.account_sid = account_sid;
  settings_[{account_sid, static_cast<int>(kind)}] = value;
  return value;
}

// ---------------------------------------------------------------------------------------------
// Media

core::Result<std::string> State::media_file_name(const std::string& account_sid,
                                                 std::string_view sid) const {
  Lock lock(mutex_);
  if (const auto c = compositions_.find(sid); c != compositions_.end()) {
    if (c->second.account_sid != account_sid)
      return resource_not_found("/Compositions/" + std::string(sid) + "/Media");
    if (c->second.status != "completed")
      return twilio_error(core::ErrorKind::kNotFound, kErrNotFound,
                          "The media of composition " + c->second.sid +
                              " is not available (status " + c->second.status + ")");
    return c->second.sid + "." + c->second.format;
  }
  if (const auto r = recordings_.find(sid); r != recordings_.end()) {
    if (r->second.account_sid != account_sid)
      return resource_not_found("/Recordings/" + std::string(sid) + "/Media");
    if (r->second.status != "completed")
      return twilio_error(core::ErrorKind::kNotFound, kErrNotFound,
                          "The media of recording " + r->second.sid + " is not available (status " +
                              r->second.status + ")");
    return r->second.sid + "." + r->second.container_format;
  }
  return resource_not_found("/" + std::string(sid) + "/Media");
}

std::string State::media_signature(std::string_view file, std::int64_t expires_unix) const {
  // media_key_ never changes after construction: no lock needed.
  const std::string message = std::string(file) + ":" + std::to_string(expires_unix);
  return crypto::hex_encode(crypto::hmac_sha256(media_key_, message));
}

std::optional<MediaFile> State::media(std::string_view file) const {
  const auto dot = file.find('.');
  if (dot == std::string_view::npos)
    return std::nullopt;
  const auto sid = file.substr(0, dot);
  const auto ext = file.substr(dot + 1);
  Lock lock(mutex_);
  if (const auto c = compositions_.find(sid); c != compositions_.end()) {
    if (c->second.status != "completed" || c->second.format != ext)
      return std::nullopt;
  } else if (const auto r = recordings_.find(sid); r != recordings_.end()) {
    if (r->second.status != "completed" || r->second.container_format != ext)
      return std::nullopt;
  } else {
    return std::nullopt;
  }
  return MediaFile{content_type_for(ext), fake_media_bytes(ext)};
}

}  // namespace roomplane::emulator
