// The real-time hub seen by the official SignalR client (@microsoft/signalr, unchanged), against
// the real `roomplane serve` with its built-in Twilio emulator:
//  - a dashboard token (POST /v1/dashboard-tokens) connects; a bad or missing token is refused
//  - ParticipantJoined / ParticipantLeft arrive after the emulator's status callbacks
//  - another tenant's events never arrive
//  - Subscribe(roomId) narrows a connection to that room
//  - GetLiveRooms() returns the snapshot
//  - after a server restart the client reconnects (Close with allowReconnect) and receives again
//
// Every wait is bounded; events are awaited, never slept for.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { HubConnectionBuilder, HttpTransportType, HubConnectionState, LogLevel } from '@microsoft/signalr';

import { connectParticipant, disconnectParticipant } from './support/emulator.mjs';
import { api, cli, createRoom as createRoomAt, freePort, startServe } from './support/serve.mjs';

const EVENT_TIMEOUT_MS = 15_000;
const TARGETS = [
  'RoomUpdated',
  'ParticipantJoined',
  'ParticipantLeft',
  'DominantSpeakerChanged',
  'RecordingUpdated',
  'CompositionUpdated',
];

// A hub client that records every event it receives and lets a test await one.
function hubClient(baseUrl, token, { reconnectDelays } = {}) {
  let builder = new HubConnectionBuilder()
    .withUrl(`${baseUrl}/hubs/rooms`, {
      accessTokenFactory: () => token,
      transport: HttpTransportType.WebSockets,
    })
    .configureLogging(LogLevel.None);
  if (reconnectDelays) builder = builder.withAutomaticReconnect(reconnectDelays);
  const connection = builder.build();
  const events = [];
  const waiters = new Set();
  for (const target of TARGETS) {
    connection.on(target, (argument) => {
      events.push({ target, ...argument });
      for (const waiter of waiters) waiter();
    });
  }
  return {
    connection,
    events,
    // Resolves with the first recorded event matching `predicate` (also one already received).
    waitFor(predicate, what = 'event', timeoutMs = EVENT_TIMEOUT_MS) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = events.find(predicate);
          if (found) {
            cleanup();
            resolve(found);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(events)}`));
        }, timeoutMs);
        function cleanup() {
          clearTimeout(timer);
          waiters.delete(check);
        }
        waiters.add(check);
        check();
      });
    },
  };
}

let dir;
let dbUrl;
let port;
let emulatorPort;
let server;
let tenantA;
let tenantB;
const clients = [];

function createRoom(key, name) {
  return createRoomAt(server.url, key, { name });
}

function connected(client) {
  clients.push(client);
  return client;
}

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'roomplane-hub-'));
  dbUrl = `sqlite:${path.join(dir, 'rp.db')}`;
  tenantA = await cli(dbUrl, 'tenant', 'create', '--name', 'Clinic A');
  tenantB = await cli(dbUrl, 'tenant', 'create', '--name', 'Clinic B');
  port = await freePort();
  emulatorPort = await freePort();
  server = await startServe({ dbUrl, port, emulatorPort });
});

after(async () => {
  for (const client of clients) {
    if (client.connection.state !== HubConnectionState.Disconnected) await client.connection.stop();
  }
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('a bad or missing token is refused', async () => {
  const bad = hubClient(server.url, 'rpk_' + 'a'.repeat(40));
  await assert.rejects(bad.connection.start(), /401|Unauthorized/);
  const forged = hubClient(server.url, 'rpd_bm9wZQ.c2lnbmF0dXJl');
  await assert.rejects(forged.connection.start(), /401|Unauthorized/);
  const none = hubClient(server.url, '');
  await assert.rejects(none.connection.start(), /401|Unauthorized/);
});

test('dashboard token: events of the own tenant only, Subscribe narrows, snapshot', async () => {
  const issued = await api(server.url, tenantA.api_key, 'POST', '/v1/dashboard-tokens', {
    ttl_seconds: 600,
  });
  assert.equal(issued.status, 201, issued.text);
  assert.match(issued.body.token, /^rpd_/);
  assert.ok(Date.parse(issued.body.expires_at) > Date.now());

  // A page holds only the dashboard token; a second connection of the same tenant subscribes
  // to one room; tenant B watches with its API key.
  const dashboard = connected(hubClient(server.url, issued.body.token));
  const narrowed = connected(hubClient(server.url, tenantA.api_key));
  const other = connected(hubClient(server.url, tenantB.api_key));
  await Promise.all([dashboard, narrowed, other].map((c) => c.connection.start()));

  const room1 = await createRoom(tenantA.api_key, 'hub-consult-1');
  const room2 = await createRoom(tenantA.api_key, 'hub-consult-2');
  const subscribed = await narrowed.connection.invoke('Subscribe', room2.id);
  // Room creation events of room 1 may have arrived before the Subscribe completed; from the
  // completion on, the hub filters (events and completions share one ordered queue).
  const subscribedAt = narrowed.events.length;
  assert.equal(subscribed.roomId, room2.id);
  assert.equal(subscribed.subscribed, true);
  await assert.rejects(narrowed.connection.invoke('NoSuchMethod'), /Method does not exist/);

  // ParticipantJoined / ParticipantLeft after the emulator's callbacks.
  const alice = await connectParticipant(server.emulatorUrl, room1.provider_room_sid, 'alice');
  const joined = await dashboard.waitFor(
    (e) => e.target === 'ParticipantJoined' && e.roomId === room1.id && e.identity === 'alice',
    'ParticipantJoined(alice)',
  );
  assert.equal(joined.roomSid, room1.provider_room_sid);
  assert.equal(typeof joined.sequence, 'number');
  assert.ok(!Number.isNaN(Date.parse(joined.timestamp)));
  assert.equal(joined.participantSid ?? joined.participant_sid, alice.sid);

  await disconnectParticipant(server.emulatorUrl, room1.provider_room_sid, alice.sid);
  const left = await dashboard.waitFor(
    (e) => e.target === 'ParticipantLeft' && e.roomId === room1.id && e.identity === 'alice',
    'ParticipantLeft(alice)',
  );
  assert.ok(left.sequence > joined.sequence, 'per-room sequence increases');

  // Room 2 activity reaches both tenant-A connections; the subscribed one saw nothing of room 1
  // before it (the hub delivers in publish order).
  await connectParticipant(server.emulatorUrl, room2.provider_room_sid, 'bob');
  await dashboard.waitFor((e) => e.target === 'ParticipantJoined' && e.roomId === room2.id, 'room 2 (dashboard)');
  await narrowed.waitFor((e) => e.target === 'ParticipantJoined' && e.roomId === room2.id, 'room 2 (narrowed)');
  assert.deepEqual(
    narrowed.events.slice(subscribedAt).filter((e) => e.roomId !== room2.id),
    [],
    'Subscribe(room2) must filter out room 1',
  );

  // Tenant B's own activity arrives, and nothing of tenant A ever did before it.
  const roomB = await createRoom(tenantB.api_key, 'hub-consult-b');
  await connectParticipant(server.emulatorUrl, roomB.provider_room_sid, 'carol');
  await other.waitFor((e) => e.target === 'ParticipantJoined' && e.roomId === roomB.id, 'tenant B event');
  const foreign = other.events.filter((e) => e.roomId === room1.id || e.roomId === room2.id);
  assert.deepEqual(foreign, [], 'tenant B must never receive tenant A events');
  assert.deepEqual(
    dashboard.events.filter((e) => e.roomId === roomB.id),
    [],
    'tenant A must never receive tenant B events',
  );

  // Bob reports himself as the dominant speaker with his own access token: the event arrives,
  // and the snapshot carries the room's current speaker (a page reloaded later shows it).
  const bobToken = await api(server.url, tenantA.api_key, 'POST', `/v1/rooms/${room2.id}/tokens`, {
    identity: 'bob',
  });
  assert.equal(bobToken.status, 201, bobToken.text);
  const reported = await api(server.url, bobToken.body.token, 'POST',
    `/v1/rooms/${room2.id}/dominant-speaker`, { speaker_identity: 'bob' });
  assert.equal(reported.status, 202, reported.text);
  await dashboard.waitFor(
    (e) => e.target === 'DominantSpeakerChanged' && e.roomId === room2.id && e.speakerIdentity === 'bob',
    'DominantSpeakerChanged(bob)',
  );

  // The snapshot: tenant A's live rooms, each with the sequence it reflects; none of B's.
  const rooms = await dashboard.connection.invoke('GetLiveRooms');
  assert.ok(Array.isArray(rooms), `GetLiveRooms returned ${JSON.stringify(rooms)}`);
  const snap1 = rooms.find((r) => r.id === room1.id);
  assert.ok(snap1, `room 1 missing from ${JSON.stringify(rooms)}`);
  assert.ok(snap1.sequence >= left.sequence);
  const snap2 = rooms.find((r) => r.id === room2.id);
  assert.ok(snap2, `room 2 missing from ${JSON.stringify(rooms)}`);
  assert.equal(snap2.dominantSpeaker?.identity, 'bob', JSON.stringify(snap2));
  assert.ok(snap2.dominantSpeaker?.participantSid?.startsWith('PA'), JSON.stringify(snap2));
  assert.ok(!rooms.some((r) => r.id === roomB.id));
});

test('reconnects after a server restart and receives again', async () => {
  const client = connected(hubClient(server.url, tenantA.api_key, {
    reconnectDelays: [0, 250, 500, 1000, 1000, 2000, 2000, 5000, 5000],
  }));
  const reconnected = new Promise((resolve) => client.connection.onreconnected(resolve));
  await client.connection.start();
  const firstId = client.connection.connectionId;

  // A graceful stop sends Close with allowReconnect; the client retries until the server is back.
  await server.stop();
  server = await startServe({ dbUrl, port, emulatorPort });
  const newId = await Promise.race([
    reconnected,
    new Promise((_, reject) => setTimeout(() => reject(new Error('no reconnect within 20 s')), 20_000)),
  ]);
  assert.notEqual(newId, firstId, 'a reconnect is a new connection');
  assert.equal(client.connection.state, HubConnectionState.Connected);

  const room = await createRoom(tenantA.api_key, 'hub-after-restart');
  await connectParticipant(server.emulatorUrl, room.provider_room_sid, 'dave');
  await client.waitFor(
    (e) => e.target === 'ParticipantJoined' && e.roomId === room.id && e.identity === 'dave',
    'ParticipantJoined after reconnect',
  );
});
