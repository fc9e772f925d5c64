// A webhook that Roomplane acknowledged is never lost to a crash of the process.
//
// Roomplane answers a Twilio status callback with 2xx only once the event is durable: the
// ledger's writer commits with synchronous=FULL, and its VFS (storage/wal_write_coalescing_vfs.h)
// hands a commit's WAL frames to the kernel before that commit returns. Here `roomplane serve`
// takes correctly signed callbacks (signed with the official twilio package's
// getExpectedTwilioSignature) from 32 concurrent senders and is killed with SIGKILL while they
// are in flight, three times over. After each restart on the same database, every callback that
// had been answered 200 must come back as a duplicate: the ledger has it.
//
// SIGKILL ends the process, not the machine: the kernel's page cache survives it, so this
// proves that nothing acknowledged was still held inside the process. A power loss is what the
// fsync of synchronous=FULL covers, which a test on one machine cannot cut.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import twilio from 'twilio';

import { DEFAULT_REQUEST_TIMEOUT_MS } from './support/emulator.mjs';
import { cli, freePort, startServe } from './support/serve.mjs';

const SENDERS = 32;
const ROOMS = 50;
const ROUNDS = 3;

const hex = (bytes) => randomBytes(bytes).toString('hex');

let dir;
let dbUrl;
let port;
let emulatorPort;
let tenantId;
const accountSid = `AC${hex(16)}`;
const authToken = hex(16);
let server;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'roomplane-durability-'));
  dbUrl = `sqlite:${path.join(dir, 'rp.db')}`;
  tenantId = (await cli(dbUrl, 'tenant', 'create', '--name', 'Durable clinic')).tenant_id;
  await cli(dbUrl, 'tenant', 'set-twilio', '--tenant', tenantId, '--account-sid', accountSid,
    '--api-key-sid', `SK${hex(16)}`, '--api-key-secret', hex(16), '--auth-token', authToken);
  port = await freePort();
  emulatorPort = await freePort();
});

after(async () => {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

// participant-connected callbacks, each a new participant, spread over ROOMS provider rooms
// (rooms no local room is linked to: the ledger and the room state take them all the same).
function callbacks(count) {
  const rooms = Array.from({ length: ROOMS }, () => `RM${hex(16)}`);
  const sequence = new Map(rooms.map((sid) => [sid, 0]));
  return Array.from({ length: count }, (_, i) => {
    const roomSid = rooms[i % ROOMS];
    const next = sequence.get(roomSid);
    sequence.set(roomSid, next + 1);
    return {
      AccountSid: accountSid,
      RoomName: `durable-${roomSid.slice(2, 14)}`,
      RoomSid: roomSid,
      RoomStatus: 'in-progress',
      RoomType: 'group',
      StatusCallbackEvent: 'participant-connected',
      Timestamp: new Date(Date.UTC(2026, 11, 3, 12, 0, 0) + i * 1000).toISOString(),
      SequenceNumber: String(next),
      ParticipantSid: `PA${hex(16)}`,
      ParticipantIdentity: `patient-${i}`,
      ParticipantStatus: 'connected',
    };
  });
}

// POSTs one callback, signed for the URL it is sent to; resolves with { status, outcome }.
async function post(baseUrl, params) {
  const url = `${baseUrl}/webhooks/twilio/${tenantId}`;
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      'X-Twilio-Signature': twilio.getExpectedTwilioSignature(authToken, url, params),
    },
    body: new URLSearchParams(params).toString(),
    signal: AbortSignal.timeout(DEFAULT_REQUEST_TIMEOUT_MS),
  });
  const text = await response.text();
  let outcome = null;
  try {
    outcome = JSON.parse(text).outcome ?? null;
  } catch {
    // Not JSON: the assertions below print the status.
  }
  return { status: response.status, outcome };
}

// Sends pending callbacks from SENDERS concurrent senders until `killAfter` of them were
// answered 200, then kills the server while the others are in flight. Resolves with the
// indexes answered 200 before the kill.
async function sendUntilKilled(baseUrl, all, pending, killAfter) {
  const acknowledged = [];
  let killed = false;
  let killing = null;
  const sender = async () => {
    while (!killed && pending.length > 0) {
      const index = pending.shift();
      let answer;
      try {
        answer = await post(baseUrl, all[index]);
      } catch {
        return;  // the server is gone: this callback was never acknowledged
      }
      if (killed) return;
      assert.equal(answer.status, 200, `callback ${index} answered ${answer.status}`);
      assert.equal(answer.outcome, 'applied', `callback ${index}: first delivery`);
      acknowledged.push(index);
      if (acknowledged.length >= killAfter && !killing) {
        killed = true;
        killing = server.kill();
      }
    }
  };
  await Promise.all(Array.from({ length: SENDERS }, sender));
  if (killing) await killing;
  return acknowledged;
}

test('every acknowledged callback survives SIGKILL of the server', { timeout: 180_000 }, async () => {
  const all = callbacks(1500 * ROUNDS);
  const pending = all.map((_, i) => i);
  const acknowledged = [];
  for (let round = 0; round < ROUNDS; round++) {
    server = await startServe({ dbUrl, port, emulatorPort });
    // What earlier rounds had acknowledged is in the ledger: each one is a duplicate now.
    for (const index of acknowledged) {
      const answer = await post(server.url, all[index]);
      assert.equal(answer.status, 200, `callback ${index} after restart ${round}`);
      assert.equal(answer.outcome, 'duplicate', `acknowledged callback ${index} lost by a crash`);
    }
    // Kill after a different number of acknowledgements each round, while 32 are in flight.
    const killAfter = 300 + 250 * round;
    const before = acknowledged.length;
    acknowledged.push(...(await sendUntilKilled(server.url, all, pending, killAfter)));
    assert.ok(acknowledged.length - before >= killAfter,
      `round ${round}: ${acknowledged.length - before} acknowledged before the kill`);
    assert.ok(pending.length > 0, 'callbacks left to send');
  }
  server = await startServe({ dbUrl, port, emulatorPort });
  for (const index of acknowledged) {
    const answer = await post(server.url, all[index]);
    assert.equal(answer.outcome, 'duplicate', `acknowledged callback ${index} lost by a crash`);
  }
  // And the server still takes new callbacks after three crashes.
  const fresh = await post(server.url, all[pending[0]]);
  assert.equal(fresh.status, 200);
  assert.equal(fresh.outcome, 'applied', 'a callback never sent before');
  await server.stop();
  server = undefined;
});
