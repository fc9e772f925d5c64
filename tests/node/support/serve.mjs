// Test support: `roomplane serve` (with its built-in Twilio emulator) as a child process, the
// tenant CLI, and a small JSON client for the /v1 API. Shared by tests/node and tests/browser;
// node built-ins only, so it needs neither directory's packages.
//
// Every wait here is bounded; nothing relies on fixed sleeps for correctness.

import { spawn, execFile } from 'node:child_process';
import net from 'node:net';
import { promisify } from 'node:util';

import { roomplaneBin, DEFAULT_REQUEST_TIMEOUT_MS } from './emulator.mjs';

// A port that is free right now: the server needs a fixed one, because its public URL (what
// the emulator calls back) is derived from --listen, and a restart must come back on it.
export async function freePort() {
  const server = net.createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// `roomplane <args> --db <dbUrl>`; resolves with its JSON output.
export async function cli(dbUrl, ...args) {
  const { stdout } = await promisify(execFile)(roomplaneBin(), [...args, '--db', dbUrl], {
    timeout: 20_000,
  });
  return JSON.parse(stdout);
}

// Starts `roomplane serve` and resolves with { url, emulatorUrl, output(), stop(), kill() } once
// it printed both URLs. stop() sends SIGTERM and awaits the exit (SIGKILL after 15 s); kill()
// sends SIGKILL at once, as a crash would end the process, and awaits the exit.
export async function startServe({ dbUrl, port, emulatorPort, startTimeoutMs = 20_000 }) {
  const child = spawn(
    roomplaneBin(),
    [
      'serve',
      '--db', dbUrl,
      '--listen', `127.0.0.1:${port}`,
      '--emulator-listen', `127.0.0.1:${emulatorPort}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-20_000);
  });
  child.stdout.setEncoding('utf8');
  const ready = await new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`serve did not start within ${startTimeoutMs} ms`)),
      startTimeoutMs,
    );
    function fail(error) {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${error.message}\nstdout: ${stdout}\nstderr: ${stderr}`));
    }
    const onExit = (code, signal) => fail(new Error(`serve exited early (${code}, ${signal})`));
    child.once('exit', onExit);
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const url = /Roomplane is listening on (http:\/\/\S+)/.exec(stdout);
      const emulator = /Twilio emulator: (http:\/\/\S+)/.exec(stdout);
      if (url && emulator && stdout.includes('Stop with')) {
        clearTimeout(timer);
        // Only this listener: `exited` (what stop() awaits) listens for the exit too.
        child.removeListener('exit', onExit);
        resolve({ url: url[1], emulatorUrl: emulator[1] });
      }
    });
  });
  return {
    ...ready,
    output: () => ({ stdout, stderr }),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

// A JSON request with a bearer credential (API key, or a participant's access token);
// resolves with { status, body (parsed JSON or null), text } whatever the status.
export async function api(baseUrl, key, method, route, body) {
  const response = await fetch(baseUrl + route, {
    method,
    headers: {
      Authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(DEFAULT_REQUEST_TIMEOUT_MS),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null, text };
}

// POST /v1/rooms, then waits (bounded) until the room has its provider SID; resolves with the
// room. Throws on any other answer than 201.
export async function createRoom(baseUrl, key, request) {
  const created = await api(baseUrl, key, 'POST', '/v1/rooms', { type: 'group', ...request });
  if (created.status !== 201) throw new Error(`POST /v1/rooms -> ${created.status}: ${created.text}`);
  let room = created.body;
  // The provider SID may be linked just after the answer; the room's own record tells.
  for (let i = 0; !room.provider_room_sid && i < 50; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    room = (await api(baseUrl, key, 'GET', `/v1/rooms/${room.id}`)).body;
  }
  if (!room.provider_room_sid) throw new Error(`room ${room.id} never got a provider SID`);
  return room;
}
