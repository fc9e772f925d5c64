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

// The recording pipeline (issue 6): compositions as jobs claimed with leases, the rooms that
// wait for one, the reconciler's round-robin, signed alerts as a durable outbox, and the audit
// of media downloads. Every worker query reads a partial index that holds only its due work,
// so a cycle costs the same with 1,000 or 100,000 ended rooms in history.
constexpr std::string_view kRecordingPipeline = R"sql(
-- A room "wants" a composition when recording was ever on (at creation or mid-room).
ALTER TABLE rooms ADD COLUMN ever_recorded INTEGER NOT NULL DEFAULT 0;
-- Set once a composition row exists for the room, in the same transaction that inserts it.
ALTER TABLE rooms ADD COLUMN composition_enqueued INTEGER NOT NULL DEFAULT 0;
-- When the reconciler last compared the room with the provider (NULL: never, sorts first).
ALTER TABLE rooms ADD COLUMN reconciled_at INTEGER;
UPDATE rooms SET ever_recorded = 1 WHERE record = 1 OR recording = 1;
UPDATE rooms SET composition_enqueued = 1
  WHERE EXISTS (SELECT 1 FROM compositions c
                WHERE c.tenant_id = rooms.tenant_id AND c.room_id = rooms.room_id);
CREATE INDEX rooms_awaiting_composition ON rooms (ended_at)
  WHERE status = 'completed' AND ever_recorded = 1 AND composition_enqueued = 0;
CREATE INDEX rooms_to_reconcile ON rooms (reconciled_at) WHERE status = 'in-progress';

ALTER TABLE compositions ADD COLUMN provider_room_sid TEXT NOT NULL DEFAULT '';
ALTER TABLE compositions ADD COLUMN layout TEXT NOT NULL DEFAULT 'grid';
ALTER TABLE compositions ADD COLUMN format TEXT NOT NULL DEFAULT 'mp4';
ALTER TABLE compositions ADD COLUMN recorded_duration_seconds INTEGER NOT NULL DEFAULT 0;
ALTER TABLE compositions ADD COLUMN next_attempt_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE compositions ADD COLUMN started_at INTEGER;   -- the provider accepted the job
ALTER TABLE compositions ADD COLUMN stalled_at INTEGER;
ALTER TABLE compositions ADD COLUMN failed_at INTEGER;
ALTER TABLE compositions ADD COLUMN size_bytes INTEGER;
ALTER TABLE compositions ADD COLUMN duration_seconds INTEGER;
-- A stalled composition may still finish, so it stays live: no second one while it is.
DROP INDEX compositions_live_per_room;
CREATE UNIQUE INDEX compositions_live_per_room ON compositions (tenant_id, room_id)
  WHERE status IN ('pending', 'enqueued', 'processing', 'stalled');
CREATE UNIQUE INDEX compositions_by_provider_sid ON compositions (tenant_id, provider_composition_sid)
  WHERE provider_composition_sid IS NOT NULL;
CREATE INDEX compositions_to_start ON compositions (next_attempt_at) WHERE status = 'pending';
CREATE INDEX compositions_to_track ON compositions (next_attempt_at)
  WHERE status IN ('enqueued', 'processing', 'stalled');
DROP INDEX compositions_by_status;
CREATE INDEX compositions_by_status ON compositions (tenant_id, status, created_at, composition_id);
CREATE INDEX compositions_by_created ON compositions (tenant_id, created_at, composition_id);

-- Signed alerts to a tenant's alert URL, written in the transaction that decides them and
-- delivered (with retries) by the alert dispatcher. alert_id is derived from the cause, so the
-- same cause never alerts twice.
CREATE TABLE alerts (
  alert_id          TEXT    NOT NULL PRIMARY KEY,
  tenant_id         TEXT    NOT NULL,
  kind              TEXT    NOT NULL,  -- composition.stalled | composition.failed
  subject_id        TEXT    NOT NULL,  -- the composition id
  body              TEXT    NOT NULL,  -- the JSON POSTed, fixed so every retry sends the same bytes
  status            TEXT    NOT NULL,  -- pending | delivered | abandoned | skipped
  attempts          INTEGER NOT NULL DEFAULT 0,
  next_attempt_at   INTEGER NOT NULL,
  last_error        TEXT,
  lease_owner       TEXT,
  lease_expires_at  INTEGER,
  created_at        INTEGER NOT NULL,
  delivered_at      INTEGER
);
CREATE INDEX alerts_due ON alerts (next_attempt_at) WHERE status = 'pending';
CREATE INDEX alerts_by_tenant ON alerts (tenant_id, created_at);

-- Who fetched a composition's media, and when (GET /v1/compositions/{id}/media).
CREATE TABLE media_access_log (
  access_id       INTEGER PRIMARY KEY,
  tenant_id       TEXT    NOT NULL,
  composition_id  TEXT    NOT NULL,
  api_key_id      TEXT    NOT NULL,  -- the caller's key: who
  remote_address  TEXT    NOT NULL,
  user_agent      TEXT    NOT NULL,
  accessed_at     INTEGER NOT NULL
);
CREATE INDEX media_access_by_composition ON media_access_log (tenant_id, composition_id, accessed_at);
)sql";

// The ledger's key leads with the provider room. Keyed by (tenant, idempotency key), a SHA-256,
// every insert landed on a random page of the key's index, so a commit of N callbacks wrote N
// index pages; keyed by (tenant, room SID, key), one room's callbacks share pages, and a commit
// writes about one page per room it touches (bench/README.md). The same key is unique either way
// (the room SID is part of what the key hashes). It also serves link time's "events of this
// provider room" (attach_events), which scanned the tenant's ledger since 0003 dropped
// events_by_room. provider_room_sid is '' for a callback that names no room: in a rowid
// table's primary key, NULLs would all be distinct and such callbacks never deduplicated.
constexpr std::string_view kLedgerByRoom = R"sql(
CREATE TABLE events_by_room_key (
  tenant_id          TEXT    NOT NULL,
  provider_room_sid  TEXT    NOT NULL,  -- '' when the callback names no room
  idempotency_key    TEXT    NOT NULL,  -- derived from tenant, room SID, event, object SID, sequence
  room_id            TEXT,
  event_name         TEXT    NOT NULL,
  sequence_number    INTEGER,
  occurred_at        INTEGER,
  received_at        INTEGER NOT NULL,
  applied            INTEGER NOT NULL DEFAULT 0,
  params             TEXT    NOT NULL,  -- the raw callback parameters as JSON
  PRIMARY KEY (tenant_id, provider_room_sid, idempotency_key)
);
INSERT INTO events_by_room_key (tenant_id, provider_room_sid, idempotency_key, room_id,
                                event_name, sequence_number, occurred_at, received_at, applied,
                                params)
  SELECT tenant_id, IFNULL(provider_room_sid, ''), idempotency_key, room_id, event_name,
         sequence_number, occurred_at, received_at, applied, params
  FROM events ORDER BY rowid;
DROP TABLE events;
ALTER TABLE events_by_room_key RENAME TO events;
)sql";

// The participants projection is written on every join and leave, and read by nobody on a hot
// path (rooms are served from room_states). It was a rowid table with three indexes, two of them
// on random ids (participant_id, the provider SID), so every join wrote four pages, three of
// them at random. WITHOUT ROWID keyed by (tenant, room, provider SID), a join writes one page,
// shared with that room's other participants. A provider SID is unique per room now rather than
// per tenant: a forged callback naming another room's participant SID gets a row in the room it
// names, which matches that room's own state, instead of being refused by the index.
constexpr std::string_view kParticipantsByRoom = R"sql(
CREATE TABLE participants_by_room_key (
  tenant_id                 TEXT    NOT NULL,
  room_id                   TEXT    NOT NULL,
  provider_participant_sid  TEXT    NOT NULL,
  participant_id            TEXT    NOT NULL,  -- pt_..., kept across updates
  identity                  TEXT    NOT NULL,
  status                    TEXT    NOT NULL,  -- connected | disconnected
  connected_at              INTEGER,
  disconnected_at           INTEGER,
  duration_seconds          INTEGER,
  last_sequence_number      INTEGER NOT NULL DEFAULT -1,
  PRIMARY KEY (tenant_id, room_id, provider_participant_sid),
  FOREIGN KEY (tenant_id, room_id) REFERENCES rooms (tenant_id, room_id)
) WITHOUT ROWID;
INSERT INTO participants_by_room_key (tenant_id, room_id, provider_participant_sid,
                                      participant_id, identity, status, connected_at,
                                      disconnected_at, duration_seconds, last_sequence_number)
  SELECT tenant_id, room_id, provider_participant_sid, participant_id, identity, status,
         connected_at, disconnected_at, duration_seconds, last_sequence_number
  FROM participants;
DROP TABLE participants;
ALTER TABLE participants_by_room_key RENAME TO participants;
)sql";

// A room's composition jobs (GET /v1/rooms/{id}, the session report): one range of this index,
// already in the order they are shown (newest first), instead of a scan of the tenant's
// compositions. composition_id breaks ties of created_at, so nothing is sorted either.
constexpr std::string_view kCompositionsByRoom = R"sql(
CREATE INDEX compositions_by_room ON compositions (tenant_id, room_id, created_at, composition_id);
)sql";

// The participants table (0001, rekeyed by 0006) was a projection of room_states written on every
// join and leave: a page of its own per callback of a linked room, and in a commit of callbacks
// for different rooms, a page per callback (bench/README.md), for rows that nothing in Roomplane
// reads. As a view over the state documents, operators keep the same relational rows for ad-hoc
// queries, always equal to the state, at no cost to ingestion. Times are epoch milliseconds as
// before (the state stores nanoseconds); participant_id and last_sequence_number, never read
// and never set beyond their defaults, are gone.
constexpr std::string_view kParticipantsView = R"sql(
DROP TABLE participants;
CREATE VIEW participants AS
SELECT r.tenant_id                                           AS tenant_id,
       r.room_id                                             AS room_id,
       json_extract(p.value, '$.sid')                        AS provider_participant_sid,
       IFNULL(json_extract(p.value, '$.identity'), '')       AS identity,
       json_extract(p.value, '$.status')                     AS status,
       json_extract(p.value, '$.connected_at') / 1000000     AS connected_at,
       json_extract(p.value, '$.disconnected_at') / 1000000  AS disconnected_at,
       json_extract(p.value, '$.duration_seconds')           AS duration_seconds
FROM rooms r
JOIN room_states s ON s.tenant_id = r.tenant_id AND s.provider_room_sid = r.provider_room_sid
JOIN json_each(s.state, '$.participants') p;
)sql";

constexpr std::array kMigrations = {
    Migration{1, "0001_initial", kInitialSchema},
    Migration{2, "0002_room_state", kRoomState},
    Migration{3, "0003_lean_ledger", kLeanLedger},
    Migration{4, "0004_recording_pipeline", kRecordingPipeline},
    Migration{5, "0005_ledger_by_room", kLedgerByRoom},
    Migration{6, "0006_participants_by_room", kParticipantsByRoom},
    Migration{7, "0007_compositions_by_room", kCompositionsByRoom},
    Migration{8, "0008_participants_view", kParticipantsView},
};

}  // namespace

std::span<const Migration> sqlite_migrations() {
  return kMigrations;
}

}  // namespace roomplane::storage
