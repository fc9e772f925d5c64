// Roomplane coordinator dashboard: the live rooms of one tenant, pushed by the real-time hub at
// /hubs/rooms through the official SignalR browser client (window.signalR, served by the binary
// from /vendor/signalr.min.js, the unmodified file of the pinned npm package). Plain ES2020, no
// framework and no build step.
//
// Auth. The page never holds an API key. It takes a short-lived dashboard token (POST
// /v1/dashboard-tokens, "rpd_...") from the URL fragment (#token=...: a fragment is never sent to
// a server nor in a Referer) or from the form, keeps it in sessionStorage (this tab only) and
// takes it out of the address bar. When the hub refuses it (401: expired or invalid) the page
// says so and asks for a new one.
//
// State. On every (re)connect the page reads GetLiveRooms() and rebuilds the live rooms from
// it; events then update them. Each event carries a per-room sequence number: one at or below
// what the page holds is already reflected and skipped; one that skips numbers means events were
// lost, so the page re-reads the snapshot. Events that arrive while a snapshot is being read are
// held and applied after it.
//
// "Recently ended" lists only rooms this page saw end during its session (a RoomUpdated to
// completed or failed, or a live room missing from a fresh snapshot), with the composition
// progress that follows. Older ended rooms are at GET /v1/rooms?status=completed, which takes an
// API key, and this page has none on purpose.
//
// Who is speaking comes from the snapshot (dominantSpeaker, while that participant is connected)
// and then from DominantSpeakerChanged events.
//
// Safety: every piece of data reaches the DOM through textContent or setAttribute, never as
// HTML.

'use strict';

(() => {
  const TOKEN_KEY = 'roomplane.dashboardToken';
  const TOKEN_PREFIX = 'rpd_';
  const ENDED_LIMIT = 10;
  const TARGETS = [
    'RoomUpdated',
    'ParticipantJoined',
    'ParticipantLeft',
    'DominantSpeakerChanged',
    'RecordingUpdated',
    'CompositionUpdated',
  ];
  const ENDED_STATUSES = new Set(['completed', 'failed']);
  // Reconnect backoff: retried for as long as the page is open, except after a 401.
  const RETRY_DELAYS_MS = [0, 500, 1000, 2000, 3000, 5000];

  const $ = (id) => document.getElementById(id);
  const ui = {
    status: $('connection-status'),
    statusLabel: $('connection-label'),
    expiry: $('token-expiry'),
    forget: $('forget-token'),
    tokenPanel: $('token-panel'),
    tokenMessage: $('token-message'),
    tokenEndpoint: $('token-endpoint'),
    tokenForm: $('token-form'),
    tokenInput: $('token-input'),
    liveList: $('live-rooms'),
    liveCount: $('live-count'),
    liveEmpty: $('live-empty'),
    endedList: $('ended-rooms'),
    endedEmpty: $('ended-empty'),
  };

  // roomId -> room model. A model: { id, name, sid, type, status, startedAt, endedAt,
  // endReason, recording, sequence, speakerSid, participants: Map(sid -> participant),
  // compositions: Map(sid -> composition), element }.
  const live = new Map();
  const ended = new Map();

  let token = null;
  let connection = null;
  let generation = 0; // bumps on every new connection, so callbacks of an old one do nothing
  let lastFailure = null; // the error of the last failed (re)connect attempt
  let expiryTimer = null;
  let snapshotRunning = false;
  let snapshotAgain = false;
  let held = null; // events received while a snapshot is read, or null
  let renderQueued = false;

  // --- small helpers -----------------------------------------------------------------------

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function formatTime(value) {
    if (!value) return '';
    const date = value instanceof Date ? value : new Date(value);
    if (Number.isNaN(date.getTime())) return '';
    return date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  }

  function isUnauthorized(error) {
    const text = error ? String(error.message ?? error) : '';
    return error?.statusCode === 401 || /\b401\b|unauthori[sz]ed/i.test(text);
  }

  function storage() {
    try {
      return window.sessionStorage;
    } catch {
      return null; // storage disabled: the token lives for this page load only
    }
  }

  // --- the token ---------------------------------------------------------------------------

  // A token from the fragment wins over the stored one; the fragment is then removed.
  function takeTokenFromUrl() {
    const params = new URLSearchParams(location.hash.slice(1));
    const fromUrl = params.get('token');
    if (fromUrl === null) return null;
    history.replaceState(null, '', location.pathname + location.search);
    return fromUrl.trim();
  }

  function saveToken(value) {
    token = value;
    const store = storage();
    if (!store) return;
    if (value) store.setItem(TOKEN_KEY, value);
    else store.removeItem(TOKEN_KEY);
  }

  // The expiry inside "rpd_" base64url("v1|<tenant>|<unix seconds>") "." base64url(mac)
  // (src/realtime/dashboard_tokens.h). Display only: the server decides what is valid.
  function tokenExpiry(value) {
    try {
      const encoded = value.slice(TOKEN_PREFIX.length).split('.')[0];
      const base64 = encoded.replace(/-/g, '+').replace(/_/g, '/');
      const parts = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4)).split('|');
      const seconds = Number(parts[parts.length - 1]);
      if (parts[0] !== 'v1' || parts.length < 3 || !Number.isFinite(seconds)) return null;
      return new Date(seconds * 1000);
    } catch {
      return null;
    }
  }

  function showExpiry() {
    clearTimeout(expiryTimer);
    const expires = token ? tokenExpiry(token) : null;
    ui.expiry.hidden = !expires;
    ui.forget.hidden = !token;
    if (!expires) return;
    const left = expires.getTime() - Date.now();
    if (left > 0) {
      ui.expiry.textContent = `Token valid until ${formatTime(expires)}`;
      ui.expiry.classList.remove('warning');
      // setTimeout's limit is about 24.8 days; a dashboard token lives an hour at most.
      expiryTimer = setTimeout(showExpiry, Math.min(left + 500, 2 ** 31 - 1));
    } else {
      ui.expiry.textContent =
        `Token expired at ${formatTime(expires)}: this connection stays up, ` +
        'but reconnecting needs a new token';
      ui.expiry.classList.add('warning');
    }
  }

  function askForToken(message) {
    ui.tokenMessage.textContent = message;
    ui.tokenPanel.hidden = false;
    ui.tokenInput.value = '';
    ui.tokenInput.focus();
  }

  // --- connection state --------------------------------------------------------------------

  const STATE_LABELS = {
    connecting: 'Connecting…',
    live: 'Live',
    reconnecting: 'Reconnecting…',
    disconnected: 'Disconnected',
  };

  function setState(state, detail) {
    ui.status.dataset.state = state;
    ui.statusLabel.textContent = detail ? `${STATE_LABELS[state]}: ${detail}` : STATE_LABELS[state];
    document.body.dataset.connection = state;
  }

  function connect() {
    const mine = ++generation;
    lastFailure = null;
    if (connection) {
      const old = connection;
      connection = null;
      old.stop().catch(() => {});
    }
    if (!token) {
      setState('disconnected', 'no dashboard token');
      askForToken('Paste a dashboard token to watch the live rooms.');
      showExpiry();
      return;
    }
    ui.tokenPanel.hidden = true;
    showExpiry();

    const current = () => mine === generation;
    connection = new signalR.HubConnectionBuilder()
      .withUrl('/hubs/rooms', {
        accessTokenFactory: () => token,
        transport: signalR.HttpTransportType.WebSockets,
      })
      .withAutomaticReconnect({
        nextRetryDelayInMilliseconds(context) {
          if (context.previousRetryCount > 0) lastFailure = context.retryReason;
          if (isUnauthorized(context.retryReason)) return null;
          return RETRY_DELAYS_MS[Math.min(context.previousRetryCount, RETRY_DELAYS_MS.length - 1)];
        },
      })
      .configureLogging(signalR.LogLevel.Warning)
      .build();

    for (const target of TARGETS) {
      connection.on(target, (event) => {
        if (current()) receive(target, event);
      });
    }
    connection.onreconnecting(() => {
      if (current()) setState('reconnecting');
    });
    connection.onreconnected(() => {
      if (current()) refreshThenLive(mine);
    });
    connection.onclose((error) => {
      if (!current()) return;
      if (isUnauthorized(lastFailure) || isUnauthorized(error)) {
        refused();
      } else {
        // Closed for good by the server (no reconnect allowed) or out of retries: start over.
        setState('disconnected', 'retrying');
        start(mine, 1);
      }
    });
    setState('connecting');
    start(mine, 0);
  }

  // The first start() is not covered by the automatic reconnect, so it retries on its own.
  async function start(mine, attempt) {
    if (mine !== generation) return;
    try {
      await connection.start();
    } catch (error) {
      if (mine !== generation) return;
      if (isUnauthorized(error)) {
        refused();
        return;
      }
      setState(attempt === 0 ? 'connecting' : 'disconnected', 'the server is not reachable yet');
      const delay = RETRY_DELAYS_MS[Math.min(attempt + 1, RETRY_DELAYS_MS.length - 1)];
      setTimeout(() => start(mine, attempt + 1), delay);
      return;
    }
    refreshThenLive(mine);
  }

  async function refreshThenLive(mine) {
    await refresh();
    if (mine === generation && connection?.state === signalR.HubConnectionState.Connected) {
      setState('live');
    }
  }

  function refused() {
    setState('disconnected', 'token expired or invalid');
    askForToken(
      'The hub refused the dashboard token: it has expired or is not valid. ' +
        'Get a new one and paste it here.',
    );
  }

  // --- snapshot and events -----------------------------------------------------------------

  // Re-reads GetLiveRooms (one read at a time; a request during a read runs one more after it).
  async function refresh() {
    if (!connection) return;
    if (snapshotRunning) {
      snapshotAgain = true;
      return;
    }
    snapshotRunning = true;
    try {
      do {
        snapshotAgain = false;
        held = [];
        try {
          const rooms = await connection.invoke('GetLiveRooms');
          if (Array.isArray(rooms)) applySnapshot(rooms);
        } catch (error) {
          // The connection dropped mid-read: the reconnect reads again.
          console.warn('GetLiveRooms failed:', error);
        } finally {
          const events = held;
          held = null;
          for (const [target, event] of events) apply(target, event);
        }
      } while (snapshotAgain && connection?.state === signalR.HubConnectionState.Connected);
    } finally {
      snapshotRunning = false;
    }
  }

  function modelFromSnapshot(room, previous) {
    const participants = new Map();
    for (const p of room.participants ?? []) {
      participants.set(p.sid, {
        sid: p.sid,
        identity: p.identity ?? '',
        status: p.status === 'connected' ? 'connected' : 'disconnected',
        connectedAt: p.connectedAt ?? null,
        disconnectedAt: p.disconnectedAt ?? null,
      });
    }
    const compositions = new Map();
    for (const c of room.compositions ?? []) {
      compositions.set(c.sid, {
        sid: c.sid,
        status: c.status ?? '',
        progress: Number(c.progressPercent) || 0,
        error: c.error ?? null,
      });
    }
    // The snapshot names the current speaker (GetLiveRooms' dominantSpeaker); an older page
    // state only fills in when it does not.
    const speaker = room.dominantSpeaker?.participantSid ?? previous?.speakerSid;
    return {
      id: room.id,
      name: room.name ?? '',
      sid: room.providerRoomSid ?? '',
      type: room.type ?? '',
      status: room.status ?? 'in-progress',
      startedAt: room.startedAt ?? room.createdAt ?? null,
      endedAt: room.endedAt ?? null,
      endReason: room.endReason ?? null,
      recording: Boolean(room.recording),
      sequence: Number.isInteger(room.sequence) ? room.sequence : 0,
      speakerSid: speaker && participants.get(speaker)?.status === 'connected' ? speaker : null,
      participants,
      compositions,
      element: null,
    };
  }

  function applySnapshot(rooms) {
    const seen = new Set();
    for (const room of rooms) {
      if (!room || typeof room.id !== 'string') continue;
      seen.add(room.id);
      const model = modelFromSnapshot(room, live.get(room.id));
      if (ENDED_STATUSES.has(model.status)) {
        live.delete(model.id);
        moveToEnded(model);
      } else {
        live.set(model.id, model);
      }
    }
    // Live before, not in the snapshot: it ended while the page was not listening.
    for (const [id, model] of live) {
      if (seen.has(id)) continue;
      live.delete(id);
      if (!ENDED_STATUSES.has(model.status)) model.status = 'ended';
      moveToEnded(model);
    }
    queueRender();
  }

  function blankModel(event) {
    return {
      id: event.roomId,
      name: '',
      sid: event.roomSid ?? '',
      type: '',
      status: 'in-progress',
      startedAt: event.timestamp ?? null,
      endedAt: null,
      endReason: null,
      recording: false,
      sequence: 0,
      speakerSid: null,
      participants: new Map(),
      compositions: new Map(),
      element: null,
    };
  }

  function receive(target, event) {
    if (!event || typeof event.roomId !== 'string') return;
    if (held) held.push([target, event]);
    else apply(target, event);
  }

  function apply(target, event) {
    const sequence = Number.isInteger(event.sequence) ? event.sequence : null;
    let room = live.get(event.roomId);
    const wasEnded = !room && ended.has(event.roomId);
    if (wasEnded) room = ended.get(event.roomId);
    if (!room) {
      // A room the page has not seen: new, or one whose earlier events it missed. The snapshot
      // fills in what the event does not carry (a new room's first event may have no name).
      room = blankModel(event);
      live.set(room.id, room);
      refresh();
    } else if (sequence !== null) {
      if (sequence <= room.sequence) return; // already reflected
      // A gap: events were lost. Ended rooms are not in the snapshot, so only live ones re-read.
      if (sequence > room.sequence + 1 && !wasEnded) refresh();
    }
    if (sequence !== null) room.sequence = sequence;
    if (!room.sid && event.roomSid) room.sid = event.roomSid;
    HANDLERS[target]?.(room, event);
    room.element = null; // re-render this card
    if (!wasEnded && ENDED_STATUSES.has(room.status)) {
      live.delete(room.id);
      moveToEnded(room);
    }
    queueRender();
  }

  const HANDLERS = {
    RoomUpdated(room, e) {
      if (typeof e.name === 'string' && e.name) room.name = e.name;
      if (typeof e.status === 'string') room.status = e.status;
      if (typeof e.endReason === 'string') room.endReason = e.endReason;
      if (ENDED_STATUSES.has(room.status) && !room.endedAt) room.endedAt = e.timestamp ?? null;
    },
    ParticipantJoined(room, e) {
      const known = room.participants.get(e.participantSid);
      if (known) return; // connected already, or left: a SID never comes back
      room.participants.set(e.participantSid, {
        sid: e.participantSid,
        identity: e.identity ?? '',
        status: 'connected',
        connectedAt: e.timestamp ?? null,
        disconnectedAt: null,
      });
    },
    ParticipantLeft(room, e) {
      let participant = room.participants.get(e.participantSid);
      if (!participant) {
        participant = { sid: e.participantSid, identity: e.identity ?? '', connectedAt: null };
        room.participants.set(e.participantSid, participant);
      }
      participant.status = 'disconnected';
      participant.disconnectedAt = e.timestamp ?? null;
      if (room.speakerSid === e.participantSid) room.speakerSid = null;
    },
    DominantSpeakerChanged(room, e) {
      room.speakerSid = e.speakerParticipantSid ?? null;
    },
    RecordingUpdated(room, e) {
      if (typeof e.recording === 'boolean') room.recording = e.recording;
    },
    CompositionUpdated(room, e) {
      const sid = e.compositionSid ?? e.hookSid;
      if (typeof sid !== 'string') return;
      const composition = room.compositions.get(sid) ?? { sid, status: '', progress: 0, error: null };
      if (typeof e.status === 'string') composition.status = e.status;
      if (typeof e.progressPercent === 'number') {
        composition.progress = Math.max(composition.progress, e.progressPercent);
      }
      if (composition.status === 'completed') composition.progress = 100;
      if (typeof e.error === 'string') composition.error = e.error;
      room.compositions.set(sid, composition);
    },
  };

  function moveToEnded(room) {
    if (!room.endedAt) room.endedAt = new Date().toISOString();
    room.speakerSid = null;
    room.element = null;
    ended.delete(room.id);
    ended.set(room.id, room);
    while (ended.size > ENDED_LIMIT) ended.delete(ended.keys().next().value);
  }

  // --- rendering ---------------------------------------------------------------------------

  function queueRender() {
    if (renderQueued) return;
    renderQueued = true;
    queueMicrotask(() => {
      renderQueued = false;
      render();
    });
  }

  function render() {
    const rooms = [...live.values()].sort((a, b) => String(b.startedAt).localeCompare(String(a.startedAt)));
    ui.liveList.replaceChildren(...rooms.map((room) => (room.element ??= liveCard(room))));
    ui.liveCount.textContent = String(rooms.length);
    ui.liveEmpty.hidden = rooms.length > 0;

    const done = [...ended.values()].reverse(); // newest first
    ui.endedList.replaceChildren(...done.map((room) => (room.element ??= endedItem(room))));
    ui.endedEmpty.hidden = done.length > 0;
  }

  function recordingBadge(room) {
    const badge = el('span', 'badge', room.recording ? 'Recording' : 'Not recording');
    badge.dataset.recording = String(room.recording);
    return badge;
  }

  function meta(pairs) {
    const list = el('dl', 'meta');
    for (const [term, value, code] of pairs) {
      if (!value) continue;
      list.append(el('dt', '', term));
      const dd = el('dd');
      dd.append(code ? el('code', '', value) : document.createTextNode(value));
      list.append(dd);
    }
    return list;
  }

  function participantItem(room, participant) {
    const item = el('li', 'participant');
    item.dataset.participantSid = participant.sid;
    item.dataset.identity = participant.identity;
    item.dataset.status = participant.status;
    const speaking = participant.status === 'connected' && room.speakerSid === participant.sid;
    item.dataset.speaking = String(speaking);
    if (speaking) {
      const indicator = el('span', 'speaking', 'speaking');
      indicator.setAttribute('title', 'Dominant speaker');
      item.append(indicator);
    }
    item.append(el('span', 'identity', participant.identity || participant.sid));
    const when =
      participant.status === 'connected'
        ? participant.connectedAt && `since ${formatTime(participant.connectedAt)}`
        : participant.disconnectedAt && `left ${formatTime(participant.disconnectedAt)}`;
    if (when) item.append(el('span', 'when', when));
    return item;
  }

  function compositionsBlock(room) {
    if (room.compositions.size === 0) return null;
    const block = el('ul', 'compositions');
    for (const c of room.compositions.values()) {
      const item = el('li', 'composition');
      item.dataset.status = c.status;
      item.append(el('span', 'label', 'Composition'));
      item.append(el('span', 'composition-status', c.status.replace(/_/g, ' ') || 'pending'));
      if (c.status !== 'failed' && c.status !== 'hook_failed') {
        const bar = el('progress', '', `${c.progress}%`);
        bar.max = 100;
        bar.value = c.progress;
        bar.setAttribute('aria-label', `Composition progress ${c.progress}%`);
        item.append(bar, el('span', 'percent', `${c.progress}%`));
      }
      if (c.error) item.append(el('span', 'error', c.error));
      block.append(item);
    }
    return block;
  }

  function liveCard(room) {
    const card = el('li', 'room');
    card.dataset.roomId = room.id;
    card.dataset.status = room.status;
    const article = el('article');
    article.setAttribute('aria-label', `Room ${room.name || room.id}`);

    const head = el('header', 'room-head');
    head.append(el('h3', 'room-name', room.name || room.id), recordingBadge(room));
    article.append(head);
    article.append(
      meta([
        ['Room', room.id, true],
        ['SID', room.sid, true],
        ['Type', room.type],
        ['Started', formatTime(room.startedAt)],
      ]),
    );

    const participants = [...room.participants.values()];
    const connected = participants.filter((p) => p.status === 'connected');
    const left = participants.filter((p) => p.status !== 'connected');
    article.append(el('h4', 'subhead', `Participants (${connected.length})`));
    if (connected.length === 0) article.append(el('p', 'empty', 'Nobody connected.'));
    const list = el('ul', 'participants');
    list.append(...connected.map((p) => participantItem(room, p)));
    article.append(list);
    if (left.length > 0) {
      const details = el('details', 'left');
      details.append(el('summary', '', `Left (${left.length})`));
      const leftList = el('ul', 'participants');
      leftList.append(...left.map((p) => participantItem(room, p)));
      details.append(leftList);
      article.append(details);
    }
    const compositions = compositionsBlock(room);
    if (compositions) article.append(compositions);
    card.append(article);
    return card;
  }

  function endedItem(room) {
    const item = el('li', 'ended-room');
    item.dataset.roomId = room.id;
    item.dataset.status = room.status;
    const line = el('div', 'ended-line');
    line.append(el('span', 'room-name', room.name || room.id));
    line.append(el('span', `pill pill-${room.status}`, room.status));
    const when = formatTime(room.endedAt);
    if (when) line.append(el('span', 'when', `ended ${when}`));
    if (room.endReason) line.append(el('span', 'muted', room.endReason.replace(/_/g, ' ')));
    const people = room.participants.size;
    if (people > 0) line.append(el('span', 'muted', `${people} connection${people === 1 ? '' : 's'}`));
    item.append(line);
    const compositions = compositionsBlock(room);
    if (compositions) item.append(compositions);
    return item;
  }

  // --- wiring ------------------------------------------------------------------------------

  function useToken(value) {
    saveToken(value);
    live.clear(); // another token may be another tenant
    ended.clear();
    queueRender();
    connect();
  }

  ui.tokenEndpoint.textContent = `${location.origin}/v1/dashboard-tokens`;

  ui.tokenForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = ui.tokenInput.value.trim();
    if (!value.startsWith(TOKEN_PREFIX)) {
      ui.tokenMessage.textContent = `A dashboard token starts with "${TOKEN_PREFIX}".`;
      return;
    }
    useToken(value);
  });

  ui.forget.addEventListener('click', () => useToken(null));

  window.addEventListener('hashchange', () => {
    const fromUrl = takeTokenFromUrl();
    if (fromUrl) useToken(fromUrl);
  });

  if (typeof signalR === 'undefined') {
    setState('disconnected', 'the SignalR client did not load');
    return;
  }
  const fromUrl = takeTokenFromUrl();
  if (fromUrl) saveToken(fromUrl);
  else token = storage()?.getItem(TOKEN_KEY) ?? null;
  render();
  connect();
})();
