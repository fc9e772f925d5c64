#pragma once
// The alert outbox's storage seam. Implementation: storage/sqlite_alert_store.h (table
// `alerts`, migration 0004). Every method blocks on I/O; implementations are thread-safe.
//
// Life of a row: enqueue() stores it `pending`, due at its creation time. A dispatcher claims
// due rows with a lease (several dispatchers, or a restarted one, never send the same alert at
// the same time), sends each, and closes it with mark_delivered() or give_up(), or puts it back
// with reschedule(). Those three writes succeed only while `owner` still holds the row's lease:
// otherwise they fail with kConflict, code "lease_lost", and change nothing. A lease that
// expired but that no other owner claimed since is still its owner's.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alerts/alert.h"
#include "core/result.h"

namespace roomplane::alerts {

enum class AlertStatus { kPending, kDelivered, kAbandoned, kSkipped };

// The spellings of the `status` column. Inline: storage implements the seam without linking
// the dispatcher.
inline std::string_view to_string(AlertStatus status) {
  switch (status) {
    case AlertStatus::kPending:
      return "pending";
    case AlertStatus::kDelivered:
      return "delivered";
    case AlertStatus::kAbandoned:
      return "abandoned";
    case AlertStatus::kSkipped:
      return "skipped";
  }
  return "pending";
}
inline std::optional<AlertStatus> alert_status_from_string(std::string_view text) {
  for (auto status : {AlertStatus::kPending, AlertStatus::kDelivered, AlertStatus::kAbandoned,
                      AlertStatus::kSkipped}) {
    if (to_string(status) == text)
      return status;
  }
  return std::nullopt;
}

// A row as claimed: the alert and how many delivery attempts it had before this claim.
struct ClaimedAlert {
  Alert alert;
  int attempts = 0;
};

// A row as stored, for list().
struct AlertRecord {
  Alert alert;
  AlertStatus status = AlertStatus::kPending;
  int attempts = 0;
  // Pending: when it is due. Abandoned or skipped: when it was given up.
  core::TimePoint next_attempt_at{};
  std::optional<std::string> last_error;
  std::optional<std::string> lease_owner;
  std::optional<core::TimePoint> lease_expires_at;
  std::optional<core::TimePoint> delivered_at;
};

class AlertStore {
 public:
  virtual ~AlertStore() = default;

  // Stores the alert pending, due at alert.created_at. An id already stored is ignored (ok):
  // the same cause raised twice alerts once.
  virtual core::Status enqueue(const Alert& alert) = 0;

  // Leases up to `limit` pending alerts due at `now` (next_attempt_at <= now) whose lease is
  // free or expired (lease_expires_at <= now) to `owner` until `lease_until`, oldest due first.
  virtual core::Result<std::vector<ClaimedAlert>> claim(std::string_view owner, core::TimePoint now,
                                                        core::TimePoint lease_until,
                                                        std::size_t limit) = 0;

  // Closes the alert as delivered after `attempts` attempts (this one included).
  virtual core::Status mark_delivered(std::string_view id, std::string_view owner, int attempts,
                                      core::TimePoint now) = 0;

  // Releases the lease; the alert is due again at `next_attempt_at`.
  virtual core::Status reschedule(std::string_view id, std::string_view owner, int attempts,
                                  core::TimePoint next_attempt_at, std::string_view error) = 0;

  // Closes the alert undelivered: `status` is kAbandoned (attempts exhausted) or kSkipped
  // (nowhere to send it); anything else is kInvalidArgument.
  virtual core::Status give_up(std::string_view id, std::string_view owner, AlertStatus status,
                               int attempts, std::string_view error, core::TimePoint now) = 0;

  // How long the oldest due pending alert has waited at `now` (0 when none is due).
  virtual core::Result<std::chrono::milliseconds> lag(core::TimePoint now) = 0;

  // Every alert of the tenant, oldest first (tests and operators; unbounded).
  virtual core::Result<std::vector<AlertRecord>> list(const core::TenantId& tenant) = 0;
};

}  // namespace roomplane::alerts
