#pragma once
// `roomplane simulate`: a realistic recorded consultation against a Twilio emulator, so a
// newcomer can watch the whole system move. Three participants (clinician, patient,
// interpreter) join with real access tokens, publish audio and video, mute and unmute, the
// patient's connection drops and rejoins, everyone leaves, the room ends, and the recording is
// composed and followed to a media URL. Each step prints one JSON line on stdout.
//
// Two ways to run it:
//  - against the emulator alone (the default): the simulation creates an emulator account and
//    the room itself, signs the access tokens, and composes the recording; with
//    --status-callback the emulator reports to that URL.
//  - through Roomplane (roomplane_url and api_key set): the room is created, its access tokens
//    issued, its dominant speaker reported and the room ended through Roomplane's API as a
//    tenant's application would, and only the participants' own actions (join, publish, mute,
//    leave) go to the emulator's control API. Roomplane then sees every callback, so the
//    coordinator dashboard shows the consultation live. Composition is left to Roomplane.

#include <chrono>
#include <optional>
#include <string>

#include "core/result.h"

namespace roomplane::app {

struct SimulateOptions {
  std::string emulator_url = "http://127.0.0.1:8089";
  // When set, the room reports to this StatusCallback URL (e.g. Roomplane's webhook).
  std::string status_callback_url;
  // When all four are set, the simulation uses this account instead of creating one.
  std::string account_sid, auth_token, api_key_sid, api_key_secret;
  // When both are set, run through Roomplane's API at this base URL with this tenant API key.
  std::string roomplane_url, api_key;
  int participants = 3;                           // 2 or 3
  std::chrono::milliseconds step_pause{400};      // pause between steps, to watch it live
  std::chrono::seconds composition_timeout{120};  // how long to follow the composition
};

// Blocking. Returns the room SID on success.
core::Result<std::string> run_simulation(const SimulateOptions& options);

}  // namespace roomplane::app
