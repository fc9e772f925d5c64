#pragma once
// What the composition workers tell the outside world about a job: the hub event
// (CompositionUpdated) and the signed alert for a stalled or failed-for-good composition.

#include <string_view>

#include "alerts/alert.h"
#include "compositions/composition.h"
#include "core/result.h"
#include "realtime/notifier.h"
#include "rooms/room_service.h"

namespace roomplane::compositions {

// The payload keys the callback-driven CompositionUpdated uses (rooms/room_notifications.cpp),
// plus the local id, attempts and error.
realtime::RoomNotification composition_notification(const Composition& c, core::TimePoint at);

// kind is alerts::kCompositionStalled or kCompositionFailed. The id is derived from kind,
// composition and attempt, so the same cause raises one alert however often it is decided.
alerts::Alert composition_alert(std::string_view kind, const Composition& c, core::TimePoint at);

// Provider failures that cost no attempt: the provider is down or throttling, or the failure
// is Roomplane's own (the tenant could not be read). Everything else is the provider refusing
// this composition.
bool is_transient(const core::Error& error);

}  // namespace roomplane::compositions
