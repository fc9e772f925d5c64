#include "storage/migrations.h"

#include <array>

namespace roomplane::storage {
namespace {

// Times are Unix epoch milliseconds (INTEGER) throughout: comparable, index-friendly, no
// time-zone parsing. Secrets are stored only sealed (crypto::SecretBox) or hashed.
constexpr std::string_view kInitialSchema = R"sql(
CREATE TABLE tenants (
  tenant_id   TEXT    NOT NULL PRIMARY KEY,
  name        TEXT    NOT NULL,
  settings    TEXT    NOT NULL DEFAULT '{}',  -- JSON: token TTL bounds, reserved identities, ...
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);

CREATE TABLE api_keys (
  tenant_id   TEXT    NOT NULL REFERENCES tenants (tenant_id),
  key_id      TEXT    NOT NULL,
  key_hash    TEXT    NOT NULL,  -- SHA-256 (hex) of the whole key; the key itself is never stored
  key_prefix  TEXT    NOT NULL,  -- first characters of the key, to recognise it in listings
  created_at  INTEGER NOT NULL,
  revoked_at  INTEGER,
  PRIMARY KEY (tenant_id, key_id)
);
-- The one index not led by tenant_id: authentication resolves a key to its tenant, so the
-- tenant is not known yet when this index is used.
CREATE UNIQUE INDEX api_keys_by_hash ON api_keys (key_hash);

CREATE TABLE provider_credentials (
  tenant_id              TEXT    NOT NULL PRIMARY KEY REFERENCES tenants (tenant_id),
  account_sid            TEXT    NOT NULL,
  api_key_sid            TEXT    NOT NULL,
  api_key_secret_sealed  TEXT    NOT NULL,  -- AES-256-GCM, see crypto/secret_box.h
  auth_token_sealed      TEXT    NOT NULL,
  updated_at             INTEGER NOT NULL
);

CREATE TABLE rooms (
  tenant_id                   TEXT    NOT NULL REFERENCES tenants (tenant_id),
  room_id                     TEXT    NOT NULL,
  provider_room_sid           TEXT,              -- set once the provider created the room
  name                        TEXT    NOT NULL,
  type                        TEXT    NOT NULL,  -- group | group-small | peer-to-peer | go
  max_participants            INTEGER,
  record                      INTEGER NOT NULL DEFAULT 0,
  empty_room_timeout_minutes  INTEGER,
  status                      TEXT    NOT NULL,  -- creating | in-progress | completed | failed
  end_reason                  TEXT,
  last_sequence_number        INTEGER NOT NULL DEFAULT -1,
  created_at                  INTEGER NOT NULL,
  updated_at                  INTEGER NOT NULL,
  started_at                  INTEGER,
  ended_at                    INTEGER,
  PRIMARY KEY (tenant_id, room_id)
);
CREATE UNIQUE INDEX rooms_by_provider_sid ON rooms (tenant_id, provider_room_sid)
  WHERE provider_room_sid IS NOT NULL;
CREATE INDEX rooms_by_status ON rooms (tenant_id, status, created_at);
CREATE INDEX rooms_by_created ON rooms (tenant_id, created_at, room_id);

CREATE TABLE participants (
  tenant_id                 TEXT    NOT NULL,
  participant_id            TEXT    NOT NULL,
  room_id                   TEXT    NOT NULL,
  provider_participant_sid  TEXT    NOT NULL,
  identity                  TEXT    NOT NULL,
  status                    TEXT    NOT NULL,  -- connected | disconnected
  connected_at              INTEGER,
  disconnected_at           INTEGER,
  duration_seconds          INTEGER,
  last_sequence_number      INTEGER NOT NULL DEFAULT -1,
  PRIMARY KEY (tenant_id, participant_id),
  FOREIGN KEY (tenant_id, room_id) REFERENCES rooms (tenant_id, room_id)
);
CREATE UNIQUE INDEX participants_by_provider_sid ON participants (tenant_id, provider_participant_sid);
CREATE INDEX participants_by_room ON participants (tenant_id, room_id, status);

CREATE TABLE events (
  tenant_id          TEXT    NOT NULL,
  idempotency_key    TEXT    NOT NULL,  -- derived from tenant, room SID, event, object SID, sequence
  room_id            TEXT,
  provider_room_sid  TEXT,
  event_name         TEXT    NOT NULL,
  sequence_number    INTEGER,
  occurred_at        INTEGER,
  received_at        INTEGER NOT NULL,
  applied            INTEGER NOT NULL DEFAULT 0,
  params             TEXT    NOT NULL,  -- the raw callback parameters as JSON
  PRIMARY KEY (tenant_id, idempotency_key)
);
CREATE INDEX events_by_room ON events (tenant_id, provider_room_sid, sequence_number);

CREATE TABLE compositions (
  tenant_id                 TEXT    NOT NULL,
  composition_id            TEXT    NOT NULL,
  room_id                   TEXT    NOT NULL,
  provider_composition_sid  TEXT,
  status                    TEXT    NOT NULL,  -- pending | enqueued | processing | completed | failed | stalled
  progress                  INTEGER NOT NULL DEFAULT 0,
  media_location            TEXT,
  attempts                  INTEGER NOT NULL DEFAULT 0,
  error                     TEXT,
  deadline_at               INTEGER,
  lease_owner               TEXT,
  lease_expires_at          INTEGER,
  created_at                INTEGER NOT NULL,
  updated_at                INTEGER NOT NULL,
  completed_at              INTEGER,
  PRIMARY KEY (tenant_id, composition_id),
  FOREIGN KEY (tenant_id, room_id) REFERENCES rooms (tenant_id, room_id)
);
-- At most one live composition per room, enforced by the database.
CREATE UNIQUE INDEX compositions_live_per_room ON compositions (tenant_id, room_id)
  WHERE status IN ('pending', 'enqueued', 'processing');
CREATE INDEX compositions_by_status ON compositions (tenant_id, status, created_at);
)sql";

// Rooms as the local source of truth: the provider's view of each room folded into one state
// document, what the room row needs beyond 0001, and client-reported dominant speakers.
constexpr std::string_view kRoomState = R"sql(
-- The folded RoomState (rooms/state_codec.h) per provider room. Keyed by the provider's SID,
-- not by the local room: a callback can arrive before the local row learns its SID, and its
-- effect must wait here until link time. The events ledger is the record of what was folded.
CREATE TABLE room_states (
  tenant_id          TEXT    NOT NULL,
  provider_room_sid  TEXT    NOT NULL,
  state              TEXT    NOT NULL,  -- JSON, rooms/state_codec.h
  updated_at         INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, provider_room_sid)
);

-- Recording rules now (record = what was asked at creation), and the provider-side unique
-- name (the room id for every room written so far).
ALTER TABLE rooms ADD COLUMN recording INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rooms ADD COLUMN provider_room_name TEXT NOT NULL DEFAULT '';
UPDATE rooms SET recording = record, provider_room_name = room_id;

-- Pagination orders by (created_at, room_id); 0001's status index stopped at created_at.
DROP INDEX rooms_by_status;
CREATE INDEX rooms_by_status ON rooms (tenant_id, status, created_at, room_id);
-- Recovery looks for rooms stuck in creating across tenants; this index holds only those.
CREATE INDEX rooms_creating ON rooms (tenant_id, created_at) WHERE status = 'creating';

-- What a participant's client reported as the dominant speaker (DESIGN.md), apart from
-- provider-confirmed state. seq orders changes within a room in the order they were stored.
CREATE TABLE speaker_changes (
  tenant_id                TEXT    NOT NULL,
  room_id                  TEXT    NOT NULL,
  seq                      INTEGER NOT NULL,
  reporter_participant_sid TEXT    NOT NULL,
  speaker_participant_sid  TEXT    NOT NULL,  -- '' when nobody is speaking any more
  speaker_identity         TEXT    NOT NULL,
  at                       INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, room_id, seq),
  FOREIGN KEY (tenant_id, room_id) REFERENCES rooms (tenant_id, room_id)
);
)sql";

// The ledger is written for every callback and read only by its primary key (replay checks).
// events_by_room was never queried, and each insert paid for a random page in it: dropped, the
// webhook benchmark gained 7% (bench/README.md). A per-room timeline read can bring it back.
constexpr std::string_view kLeanLedger = R"sql(
DROP INDEX events_by_room;
)sql";

constexpr std::array kMigrations = {
    Migration{1, "0001_initial", kInitialSchema},
    Migration{2, "0002_room_state", kRoomState},
    Migration{3, "0003_lean_ledger", kLeanLedger},
};

}  // namespace

std::span<const Migration> sqlite_migrations() {
  return kMigrations;
}

}  // namespace roomplane::storage
