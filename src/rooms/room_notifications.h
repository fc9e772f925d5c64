#pragma once
// What a committed provider event tells live dashboards: the observable changes an apply()
// reported (rooms/room_state.h) turned into realtime notifications. The composition root calls
// this from the webhook ingestor's on_committed observer and hands the result to the Notifier,
// so neither the webhook code nor the ledger knows about the hub.
//
// Rules: a duplicate, or an event of a provider room no local room is linked to, tells nothing;
// track changes and participant field fixes are not shown on dashboards and are not sent.

#include <vector>

#include "realtime/notifier.h"
#include "rooms/stores.h"

namespace roomplane::rooms {

std::vector<realtime::RoomNotification> notifications_for(const IngestItem& item,
                                                          const IngestOutcome& outcome);

}  // namespace roomplane::rooms
