// Test support: the Roomplane Twilio emulator as a child process, its control API, a
// Basic-auth REST helper, and a status-callback receiver.
//
// Every wait here is bounded; nothing relies on fixed sleeps for correctness.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const testsNodeDir = path.resolve(here, '..');

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

// The binary under test: $ROOMPLANE_BIN, else ../../build/src/app/roomplane relative to
// tests/node.
export function roomplaneBin() {
  const bin = process.env.ROOMPLANE_BIN
    ? path.resolve(process.env.ROOMPLANE_BIN)
    : path.resolve(testsNodeDir, '../../build/src/app/roomplane');
  if (!existsSync(bin)) {
    throw new Error(
      `roomplane binary not found at ${bin}; build it or set ROOMPLANE_BIN to its path`,
    );
  }
  return bin;
}

// Starts `roomplane emulator --listen 127.0.0.1:0` and resolves once its first stdout line
// ("Twilio emulator listening on http://127.0.0.1:PORT") has been read.
// Returns { url, process, output(), stop() }; stop() sends SIGTERM and awaits the exit
// (SIGKILL after `stopTimeoutMs`).
export async function startEmulator({
  bin = roomplaneBin(),
  seed,
  startTimeoutMs = 10_000,
  stopTimeoutMs = 5_000,
} = {}) {
  const args = ['emulator', '--listen', '127.0.0.1:0'];
  if (seed !== undefined) args.push('--seed', String(seed));
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    // Keep the tail only: enough to explain a failure.
    stderr = (stderr + chunk).slice(-20_000);
  });
  child.stdout.setEncoding('utf8');

  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      fail(new Error(`emulator did not print its URL within ${startTimeoutMs} ms`));
    }, startTimeoutMs);
    function fail(error) {
      clearTimeout(timer);
      child.kill('SIGKILL');
      // A grandchild could keep the pipes open; do not let them hold the test process.
      child.stdout.destroy();
      child.stderr.destroy();
      reject(new Error(`${error.message}\nstdout: ${stdout}\nstderr: ${stderr}`));
    }
    const onExit = (code, signal) =>
      fail(new Error(`emulator exited early (code ${code}, signal ${signal})`));
    child.once('error', fail);
    child.once('exit', onExit);
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const newline = stdout.indexOf('\n');
      if (newline < 0) return;
      const first = stdout.slice(0, newline).trim();
      const match = /^Twilio emulator listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(first);
      clearTimeout(timer);
      child.removeListener('error', fail);
      child.removeListener('exit', onExit);
      child.stdout.removeAllListeners('data');
      child.on('error', () => {}); // a late spawn error must not crash the test process
      child.stdout.resume(); // keep draining; the emulator must never block on a full pipe
      if (match) resolve(match[1]);
      else fail(new Error(`unexpected first stdout line: ${JSON.stringify(first)}`));
    });
  });

  let stopping = null;
  return {
    url,
    process: child,
    output: () => ({ stdout, stderr }),
    stop() {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return exited;
        child.kill('SIGTERM');
        let timer;
        const timeout = new Promise((resolve) => {
          timer = setTimeout(() => resolve(null), stopTimeoutMs);
        });
        const result = await Promise.race([exited, timeout]);
        clearTimeout(timer);
        if (result) return result;
        child.kill('SIGKILL');
        await exited;
        throw new Error(`emulator did not exit within ${stopTimeoutMs} ms of SIGTERM`);
      })();
      return stopping;
    },
  };
}

// JSON request to the control API (/_emulator/...). Throws unless the status is expected.
export async function control(baseUrl, method, route, body, { expect = [200, 201] } = {}) {
  const response = await fetch(baseUrl + route, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(DEFAULT_REQUEST_TIMEOUT_MS * 2),
  });
  const text = await response.text();
  const json = text ? JSON.parse(text) : null;
  if (!expect.includes(response.status)) {
    throw new Error(`${method} ${route} -> ${response.status}: ${text}`);
  }
  return json;
}

// POST /_emulator/accounts -> { account_sid, auth_token, api_key_sid, api_key_secret }
export function createAccount(baseUrl) {
  return control(baseUrl, 'POST', '/_emulator/accounts', {});
}

// A participant joins (what the Video SDK does); returns the participant resource.
export function connectParticipant(baseUrl, room, identity) {
  return control(baseUrl, 'POST', `/_emulator/rooms/${encodeURIComponent(room)}/participants`, {
    identity,
  });
}

export function publishTrack(baseUrl, room, participant, kind, name) {
  return control(
    baseUrl,
    'POST',
    `/_emulator/rooms/${encodeURIComponent(room)}/participants/${encodeURIComponent(participant)}/tracks`,
    { kind, name },
  );
}

export function disconnectParticipant(baseUrl, room, participant) {
  return control(
    baseUrl,
    'POST',
    `/_emulator/rooms/${encodeURIComponent(room)}/participants/${encodeURIComponent(participant)}/disconnect`,
  );
}

export function tick(baseUrl) {
  return control(baseUrl, 'POST', '/_emulator/tick');
}

// Waits until every queued status callback has been delivered (bounded by the emulator).
export function flushCallbacks(baseUrl, timeoutMs = 10_000) {
  return control(baseUrl, 'POST', `/_emulator/callbacks/flush?timeout_ms=${timeoutMs}`);
}

// Polls `fn` until it returns a truthy value; ticks the emulator between attempts.
export async function pollUntil(fn, { timeoutMs = 20_000, intervalMs = 200, what = 'condition', tickUrl } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    if (tickUrl) await tick(tickUrl);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

// A REST client for /v1 with HTTP Basic auth that returns the raw outcome instead of throwing:
// { status, headers, body (parsed JSON or null), text }. POST bodies are form-encoded; array
// values repeat the key (as twilio-node does).
export function restClient(baseUrl, username, password) {
  const authorization = 'Basic ' + Buffer.from(`${username}:${password}`).toString('base64');
  return async function rest(method, route, params) {
    let url = baseUrl + route;
    let body;
    const headers = { Authorization: authorization, Accept: 'application/json' };
    if (params !== undefined) {
      const form = new URLSearchParams();
      for (const [key, value] of Object.entries(params)) {
        for (const v of Array.isArray(value) ? value : [value]) {
          form.append(key, typeof v === 'object' ? JSON.stringify(v) : String(v));
        }
      }
      if (method === 'GET' || method === 'DELETE') {
        url += (url.includes('?') ? '&' : '?') + form.toString();
      } else {
        body = form.toString();
        headers['Content-Type'] = 'application/x-www-form-urlencoded';
      }
    }
    const response = await fetch(url, {
      method,
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(DEFAULT_REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    let json = null;
    if (text && (response.headers.get('content-type') || '').includes('json')) {
      json = JSON.parse(text);
    }
    return { status: response.status, headers: response.headers, body: json, text };
  };
}

// Parses an application/x-www-form-urlencoded string; a repeated key becomes an array (the
// shape twilio.validateRequest expects).
export function parseForm(text) {
  const params = {};
  for (const [key, value] of new URLSearchParams(text)) {
    if (key in params) {
      params[key] = Array.isArray(params[key]) ? [...params[key], value] : [params[key], value];
    } else {
      params[key] = value;
    }
  }
  return params;
}

// An HTTP server on 127.0.0.1:0 that records every request and answers 200.
// Each record: { method, url (path + query as received), headers, rawBody, params, query,
//                receivedAt }.
// `params` is the parsed form body (POST) — what Twilio signs together with the URL.
export async function startReceiver() {
  const requests = [];
  const waiters = new Set();
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const contentType = req.headers['content-type'] || '';
      const query = parseForm(req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '');
      requests.push({
        method: req.method,
        url: req.url,
        headers: req.headers,
        rawBody,
        params: contentType.startsWith('application/x-www-form-urlencoded') ? parseForm(rawBody) : {},
        query,
        receivedAt: Date.now(),
      });
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
      for (const waiter of waiters) waiter();
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    requests,
    // Resolves with the matching requests once `predicate(requests)` is true.
    waitFor(predicate, { timeoutMs = 10_000, what = 'callbacks' } = {}) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (predicate(requests)) {
            cleanup();
            resolve(requests);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got ${requests.length} requests`));
        }, timeoutMs);
        function cleanup() {
          clearTimeout(timer);
          waiters.delete(check);
        }
        waiters.add(check);
        check();
      });
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

// Everything a test file needs: emulator + account + receiver. close() tears all down.
export async function startWorld(options = {}) {
  const emulator = await startEmulator(options);
  let receiver;
  try {
    receiver = await startReceiver();
    const account = await createAccount(emulator.url);
    return {
      emulator,
      receiver,
      account,
      url: emulator.url,
      async close() {
        await receiver.close();
        await emulator.stop();
      },
    };
  } catch (error) {
    await receiver?.close();
    await emulator.stop();
    throw error;
  }
}
