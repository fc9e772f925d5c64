// The official twilio-node package (6.2.0, unchanged) against the Roomplane Twilio emulator.
// The only change from talking to Twilio is `client.video.baseUrl = emulatorUrl`.
//
// One recorded consultation is driven end to end: rooms, participants (joined through the
// control API, as the Video SDK would), recordings, compositions, errors; then every status
// callback the emulator sent is checked with the package's own validateRequest().

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import twilio from 'twilio';

import {
  connectParticipant,
  flushCallbacks,
  pollUntil,
  publishTrack,
  startWorld,
} from './support/emulator.mjs';

const TEST_TIMEOUT = 20_000;
const SID = (prefix) => new RegExp(`^${prefix}[0-9a-f]{32}$`);

function clientFor(world, username, password, opts) {
  const client = twilio(username, password, { timeout: 10_000, ...opts });
  client.video.baseUrl = world.url; // the one and only change to the official client
  return client;
}

describe('official twilio client against the emulator', { timeout: 60_000 }, () => {
  let world;
  let keyClient; // API Key SID + secret (+ accountSid), the product's credential kind
  let tokenClient; // Account SID + Auth Token
  let roomCallbackUrl;
  let compositionCallbackUrl;
  let getCallbackUrl;
  const uniqueName = `consultation-${process.pid}-${Date.now()}`;
  const state = {}; // shared across the ordered steps below

  before(async () => {
    world = await startWorld();
    const { account } = world;
    keyClient = clientFor(world, account.api_key_sid, account.api_key_secret, {
      accountSid: account.account_sid,
    });
    tokenClient = clientFor(world, account.account_sid, account.auth_token);
    // A query string makes the signature cover it too; the exact string is what we validate.
    roomCallbackUrl = `${world.receiver.url}/twilio/room-events?tenant=t-1&kind=room`;
    compositionCallbackUrl = `${world.receiver.url}/twilio/composition-events`;
    getCallbackUrl = `${world.receiver.url}/twilio/get-events?tenant=t-get`;
  });

  after(async () => {
    await world?.close();
  });

  test('rooms.create with a status callback, recording on connect, group, uniqueName', { timeout: TEST_TIMEOUT }, async () => {
    const room = await keyClient.video.v1.rooms.create({
      uniqueName,
      type: 'group',
      statusCallback: roomCallbackUrl,
      statusCallbackMethod: 'POST',
      recordParticipantsOnConnect: true,
      maxParticipants: 10,
    });
    assert.match(room.sid, SID('RM'));
    assert.equal(room.accountSid, world.account.account_sid);
    assert.equal(room.status, 'in-progress');
    assert.equal(room.uniqueName, uniqueName);
    assert.equal(room.type, 'group');
    assert.equal(room.recordParticipantsOnConnect, true);
    assert.equal(room.statusCallback, roomCallbackUrl);
    assert.equal(room.statusCallbackMethod, 'POST');
    assert.equal(room.maxParticipants, 10);
    assert.equal(room.endTime, null);
    assert.ok(room.dateCreated instanceof Date && !Number.isNaN(room.dateCreated.getTime()));
    assert.equal(room.url, `${world.url}/v1/Rooms/${room.sid}`);
    state.room = room;
  });

  test('rooms(sid).fetch and rooms(uniqueName).fetch, with both credential kinds', { timeout: TEST_TIMEOUT }, async () => {
    const bySid = await tokenClient.video.v1.rooms(state.room.sid).fetch();
    assert.equal(bySid.sid, state.room.sid);
    assert.equal(bySid.uniqueName, uniqueName);
    const byName = await keyClient.video.v1.rooms(uniqueName).fetch();
    assert.equal(byName.sid, state.room.sid);
    assert.equal(byName.status, 'in-progress');
  });

  test('participants join and publish tracks (control API), then participants.list / fetch', { timeout: TEST_TIMEOUT }, async () => {
    const url = world.url;
    const alice = await connectParticipant(url, state.room.sid, 'alice');
    await publishTrack(url, state.room.sid, 'alice', 'audio', 'alice-mic');
    await publishTrack(url, state.room.sid, 'alice', 'video', 'alice-cam');
    const bob = await connectParticipant(url, uniqueName, 'bob'); // the room by its name
    await publishTrack(url, state.room.sid, bob.sid, 'audio', 'bob-mic');
    state.alice = alice;
    state.bob = bob;

    const room = keyClient.video.v1.rooms(state.room.sid);
    const connected = await room.participants.list({ status: 'connected', limit: 50 });
    assert.deepEqual(connected.map((p) => p.identity).sort(), ['alice', 'bob']);
    for (const p of connected) {
      assert.match(p.sid, SID('PA'));
      assert.equal(p.roomSid, state.room.sid);
      assert.equal(p.status, 'connected');
      assert.equal(p.endTime, null);
    }
    // Default filter of an in-progress room is "connected".
    assert.equal((await room.participants.list()).length, 2);

    const fetched = await room.participants('alice').fetch(); // by identity
    assert.equal(fetched.sid, alice.sid);
    const bySid = await room.participants(bob.sid).fetch();
    assert.equal(bySid.identity, 'bob');

    const tracks = await room.participants(alice.sid).publishedTracks.list();
    assert.deepEqual(tracks.map((t) => [t.name, t.kind]), [['alice-mic', 'audio'], ['alice-cam', 'video']]);
  });

  test('participants(bob).update({status: "disconnected"})', { timeout: TEST_TIMEOUT }, async () => {
    const room = tokenClient.video.v1.rooms(state.room.sid);
    const kicked = await room.participants(state.bob.sid).update({ status: 'disconnected' });
    assert.equal(kicked.sid, state.bob.sid);
    assert.equal(kicked.status, 'disconnected');
    assert.ok(kicked.endTime instanceof Date);
    assert.equal(typeof kicked.duration, 'number');

    const disconnected = await room.participants.list({ status: 'disconnected' });
    assert.deepEqual(disconnected.map((p) => p.identity), ['bob']);
    const connected = await room.participants.list({ status: 'connected' });
    assert.deepEqual(connected.map((p) => p.identity), ['alice']);
  });

  test('rooms.list with a status filter walks several pages via next_page_url', { timeout: TEST_TIMEOUT }, async () => {
    const rooms = keyClient.video.v1.rooms;
    // Four more rooms: two stay in progress, two are completed.
    const extra = [];
    for (let i = 0; i < 4; i += 1) extra.push(await rooms.create({ uniqueName: `${uniqueName}-extra-${i}` }));
    for (const r of extra.slice(2)) {
      const done = await rooms(r.sid).update({ status: 'completed' });
      assert.equal(done.status, 'completed');
    }
    const inProgressSids = [state.room.sid, extra[0].sid, extra[1].sid];
    const completedSids = [extra[2].sid, extra[3].sid];

    // list() with a small pageSize: the client follows next_page_url itself.
    const listed = await rooms.list({ status: 'in-progress', pageSize: 2, limit: 100 });
    assert.deepEqual(listed.map((r) => r.sid).sort(), [...inProgressSids].sort());
    assert.ok(listed.every((r) => r.status === 'in-progress'));

    // The same walk by hand, to prove more than one page was fetched.
    let page = await rooms.page({ status: 'in-progress', pageSize: 2 });
    const pages = [];
    while (page) {
      pages.push(page.instances.map((r) => r.sid));
      if (page.nextPageUrl) assert.ok(page.nextPageUrl.startsWith(`${world.url}/v1/Rooms?`), page.nextPageUrl);
      page = await page.nextPage();
    }
    assert.ok(pages.length >= 2, `expected more than one page, got ${pages.length}`);
    assert.deepEqual(pages.flat().sort(), [...inProgressSids].sort());
    assert.ok(pages.slice(0, -1).every((p) => p.length === 2));

    const completed = await rooms.list({ status: 'completed', pageSize: 1, limit: 100 });
    assert.deepEqual(completed.map((r) => r.sid).sort(), [...completedSids].sort());
    assert.ok(completed.every((r) => r.status === 'completed'));

    // limit stops the walk early.
    assert.equal((await rooms.list({ status: 'in-progress', pageSize: 1, limit: 2 })).length, 2);
    // uniqueName filter.
    const named = await rooms.list({ uniqueName, status: 'in-progress' });
    assert.deepEqual(named.map((r) => r.sid), [state.room.sid]);
  });

  test('recordings: room-level and account-level lists', { timeout: TEST_TIMEOUT }, async () => {
    const roomRecordings = await keyClient.video.v1.rooms(state.room.sid).recordings.list();
    assert.equal(roomRecordings.length, 3, 'alice-mic, alice-cam, bob-mic');
    assert.deepEqual(roomRecordings.map((r) => r.trackName).sort(), ['alice-cam', 'alice-mic', 'bob-mic']);
    const bobs = roomRecordings.find((r) => r.trackName === 'bob-mic');
    assert.equal(bobs.status, 'completed', 'bob left, so his recording is complete');
    assert.equal(bobs.type, 'audio');
    assert.equal(bobs.containerFormat, 'mka');
    assert.equal(bobs.groupingSids.room_sid, state.room.sid);
    assert.equal(bobs.groupingSids.participant_sid, state.bob.sid);
    for (const r of roomRecordings.filter((x) => x.trackName.startsWith('alice'))) {
      assert.equal(r.status, 'processing');
    }

    const all = await tokenClient.video.v1.recordings.list({ groupingSid: [state.room.sid], pageSize: 2, limit: 50 });
    assert.deepEqual(all.map((r) => r.sid).sort(), roomRecordings.map((r) => r.sid).sort());
    const completed = await tokenClient.video.v1.recordings.list({ status: 'completed' });
    assert.deepEqual(completed.map((r) => r.sid), [bobs.sid]);
    const fetched = await keyClient.video.v1.recordings(bobs.sid).fetch();
    assert.equal(fetched.sourceSid, bobs.sourceSid);
    assert.match(fetched.sourceSid, SID('MT'));
    state.recordings = roomRecordings;
  });

  test('rooms(sid).update({status: "completed"}) ends the room and its recordings', { timeout: TEST_TIMEOUT }, async () => {
    const done = await keyClient.video.v1.rooms(state.room.sid).update({ status: 'completed' });
    assert.equal(done.sid, state.room.sid);
    assert.equal(done.status, 'completed');
    assert.ok(done.endTime instanceof Date);
    assert.equal(typeof done.duration, 'number');

    const recordings = await keyClient.video.v1.rooms(state.room.sid).recordings.list();
    assert.ok(recordings.every((r) => r.status === 'completed'), JSON.stringify(recordings.map((r) => r.status)));
    assert.ok(recordings.every((r) => r.duration >= 1 && r.size > 0));
    const participants = await keyClient.video.v1.rooms(state.room.sid).participants.list();
    assert.ok(participants.every((p) => p.status === 'disconnected'));
    // A completed room can no longer be addressed by its name.
    await assert.rejects(keyClient.video.v1.rooms(uniqueName).fetch(), (e) => e.status === 404 && e.code === 20404);
  });

  test('compositions: create (audioSources and videoLayout), fetch until completed, list, remove', { timeout: 30_000 }, async () => {
    const compositions = keyClient.video.v1.compositions;
    const audio = await compositions.create({
      roomSid: state.room.sid,
      audioSources: ['*'],
      format: 'mp4',
      statusCallback: compositionCallbackUrl,
      statusCallbackMethod: 'POST',
    });
    assert.match(audio.sid, SID('CJ'));
    assert.equal(audio.roomSid, state.room.sid);
    assert.deepEqual(audio.audioSources, ['*']);
    assert.equal(audio.format, 'mp4');
    assert.ok(['enqueued', 'processing'].includes(audio.status), audio.status);

    const layout = await compositions.create({
      roomSid: state.room.sid,
      videoLayout: { grid: { video_sources: ['*'] } },
      resolution: '1280x720',
      format: 'webm',
    });
    assert.deepEqual(Object.keys(layout.videoLayout), ['grid']);
    assert.equal(layout.resolution, '1280x720');

    const finished = await pollUntil(
      async () => {
        const c = await compositions(audio.sid).fetch();
        assert.notEqual(c.status, 'failed');
        return c.status === 'completed' ? c : null;
      },
      { timeoutMs: 20_000, intervalMs: 250, what: `composition ${audio.sid} to complete`, tickUrl: world.url },
    );
    assert.ok(finished.dateCompleted instanceof Date);
    assert.ok(finished.duration >= 1);
    assert.ok(finished.size > 0);

    const listed = await compositions.list({ roomSid: state.room.sid, pageSize: 1, limit: 10 });
    assert.deepEqual(listed.map((c) => c.sid).sort(), [audio.sid, layout.sid].sort());
    const completedList = await compositions.list({ status: 'completed', roomSid: state.room.sid });
    assert.ok(completedList.some((c) => c.sid === audio.sid));

    assert.equal(await compositions(layout.sid).remove(), true);
    assert.equal((await compositions(layout.sid).fetch()).status, 'deleted');
    assert.equal(await compositions(audio.sid).remove(), true);
    const deleted = await compositions(audio.sid).fetch();
    assert.equal(deleted.status, 'deleted');
    assert.ok(deleted.dateDeleted instanceof Date);
    state.composition = finished;
  });

  test('a room with statusCallbackMethod GET (callbacks in the query string)', { timeout: TEST_TIMEOUT }, async () => {
    const room = await tokenClient.video.v1.rooms.create({
      uniqueName: `${uniqueName}-get`,
      statusCallback: getCallbackUrl,
      statusCallbackMethod: 'GET',
    });
    assert.equal(room.statusCallbackMethod, 'GET');
    await connectParticipant(world.url, room.sid, 'carol');
    const done = await tokenClient.video.v1.rooms(room.sid).update({ status: 'completed' });
    assert.equal(done.status, 'completed');
    state.getRoom = room;
  });

  test('wrong credentials -> RestException 401 / 20003 (both credential kinds)', { timeout: TEST_TIMEOUT }, async () => {
    const { account } = world;
    const badToken = clientFor(world, account.account_sid, 'not-the-auth-token');
    const badSecret = clientFor(world, account.api_key_sid, 'not-the-secret', { accountSid: account.account_sid });
    for (const client of [badToken, badSecret]) {
      await assert.rejects(client.video.v1.rooms.list({ limit: 1 }), (error) => {
        assert.ok(error instanceof twilio.RestException, `not a RestException: ${error}`);
        assert.equal(error.status, 401);
        assert.equal(error.code, 20003);
        assert.equal(error.moreInfo, 'https://www.twilio.com/docs/errors/20003');
        return true;
      });
    }
  });

  test('unknown resources -> RestException 404 / 20404', { timeout: TEST_TIMEOUT }, async () => {
    const missing = [
      () => keyClient.video.v1.rooms(`RM${'0'.repeat(32)}`).fetch(),
      () => keyClient.video.v1.rooms(state.room.sid).participants(`PA${'0'.repeat(32)}`).fetch(),
      () => keyClient.video.v1.recordings(`RT${'0'.repeat(32)}`).fetch(),
      () => keyClient.video.v1.compositions(`CJ${'0'.repeat(32)}`).fetch(),
    ];
    for (const call of missing) {
      await assert.rejects(call(), (error) => {
        assert.ok(error instanceof twilio.RestException, `not a RestException: ${error}`);
        assert.equal(error.status, 404);
        assert.equal(error.code, 20404);
        assert.equal(error.moreInfo, 'https://www.twilio.com/docs/errors/20404');
        return true;
      });
    }
  });

  describe('status callbacks', () => {
    let roomEvents;
    let compositionEvents;
    let getEvents;

    before(async () => {
      await flushCallbacks(world.url);
      const all = world.receiver.requests;
      roomEvents = all.filter((r) => r.url === '/twilio/room-events?tenant=t-1&kind=room');
      compositionEvents = all.filter((r) => r.url === '/twilio/composition-events');
      getEvents = all.filter((r) => r.url.startsWith('/twilio/get-events?tenant=t-get&'));
    });

    test('every callback passes twilio.validateRequest with the Auth Token and the registered URL', { timeout: TEST_TIMEOUT }, () => {
      assert.ok(roomEvents.length > 0, 'no room callbacks received');
      assert.ok(compositionEvents.length > 0, 'no composition callbacks received');
      assert.equal(
        world.receiver.requests.length,
        roomEvents.length + compositionEvents.length + getEvents.length,
        `callbacks to unexpected URLs: ${world.receiver.requests.map((r) => `${r.method} ${r.url}`).join(', ')}`,
      );
      const token = world.account.auth_token;
      for (const [events, url] of [[roomEvents, roomCallbackUrl], [compositionEvents, compositionCallbackUrl]]) {
        for (const request of events) {
          assert.equal(request.method, 'POST');
          assert.match(request.headers['content-type'], /^application\/x-www-form-urlencoded/);
          const signature = request.headers['x-twilio-signature'];
          assert.ok(signature, 'X-Twilio-Signature missing');
          assert.equal(
            twilio.validateRequest(token, signature, url, request.params),
            true,
            `signature rejected for ${request.params.StatusCallbackEvent}: ${request.rawBody}`,
          );
        }
      }
    });

    test('GET callbacks: signed over the full URL (query included), no body parameters', { timeout: TEST_TIMEOUT }, () => {
      const token = world.account.auth_token;
      assert.deepEqual(
        getEvents.map((r) => r.query.StatusCallbackEvent),
        ['room-created', 'participant-connected', 'participant-disconnected', 'room-ended'],
      );
      for (const request of getEvents) {
        assert.equal(request.method, 'GET');
        assert.equal(request.rawBody, '');
        assert.equal(request.query.tenant, 't-get');
        assert.equal(request.query.RoomSid, state.getRoom.sid);
        const fullUrl = world.receiver.url + request.url;
        const signature = request.headers['x-twilio-signature'];
        assert.equal(twilio.validateRequest(token, signature, fullUrl, {}), true, `GET signature rejected: ${fullUrl}`);
        assert.equal(twilio.validateRequest(token, signature, getCallbackUrl, request.query), false, 'must be signed as a GET (URL only)');
      }
    });

    test('a tampered copy fails validateRequest', { timeout: TEST_TIMEOUT }, () => {
      const token = world.account.auth_token;
      const request = roomEvents.find((r) => r.params.StatusCallbackEvent === 'room-ended');
      assert.ok(request, 'room-ended not received');
      const signature = request.headers['x-twilio-signature'];
      const tampered = [
        { ...request.params, RoomDuration: String(Number(request.params.RoomDuration) + 1) },
        { ...request.params, Extra: 'x' },
        Object.fromEntries(Object.entries(request.params).filter(([k]) => k !== 'SequenceNumber')),
      ];
      for (const params of tampered) assert.equal(twilio.validateRequest(token, signature, roomCallbackUrl, params), false);
      assert.equal(twilio.validateRequest(token, signature, roomCallbackUrl.replace('t-1', 't-2'), request.params), false);
      assert.equal(twilio.validateRequest('0'.repeat(32), signature, roomCallbackUrl, request.params), false);
      const flipped = (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1);
      assert.equal(twilio.validateRequest(token, flipped, roomCallbackUrl, request.params), false);
    });

    test('room events arrive in Twilio order with increasing SequenceNumber', { timeout: TEST_TIMEOUT }, () => {
      const room = state.room;
      const events = roomEvents.map((r) => r.params);
      assert.ok(events.every((p) => p.RoomSid === room.sid && p.AccountSid === world.account.account_sid));
      assert.ok(events.every((p) => p.RoomName === uniqueName && p.RoomType === 'group'));

      const seq = events.map((p) => Number(p.SequenceNumber));
      assert.deepEqual(seq, seq.map((_, i) => i), `SequenceNumber must count 0,1,2,... in delivery order: ${seq}`);
      const times = events.map((p) => Date.parse(p.Timestamp));
      assert.ok(times.every((t) => !Number.isNaN(t)));
      assert.ok(times.every((t, i) => i === 0 || t >= times[i - 1]), 'Timestamp must not go back');

      const got = events.map((p) => {
        const who = p.ParticipantIdentity ? ` ${p.ParticipantIdentity}` : '';
        const what = p.TrackName ? ` ${p.TrackName}` : '';
        return `${p.StatusCallbackEvent}${who}${what}`;
      });
      assert.deepEqual(got, [
        'room-created',
        'participant-connected alice',
        'track-added alice alice-mic',
        'recording-started alice alice-mic',
        'track-added alice alice-cam',
        'recording-started alice alice-cam',
        'participant-connected bob',
        'track-added bob bob-mic',
        'recording-started bob bob-mic',
        // bob kicked through the REST API
        'track-removed bob bob-mic',
        'participant-disconnected bob',
        'recording-completed bob bob-mic',
        // room completed through the REST API
        'track-removed alice alice-mic',
        'track-removed alice alice-cam',
        'participant-disconnected alice',
        'recording-completed alice alice-mic',
        'recording-completed alice alice-cam',
        'room-ended',
      ]);

      const roomStatus = events.map((p) => p.RoomStatus);
      assert.ok(roomStatus.slice(0, -1).every((s) => s === 'in-progress'), roomStatus.join());
      assert.equal(roomStatus.at(-1), 'completed');
      const ended = events.at(-1);
      assert.ok(Number(ended.RoomDuration) >= 0);
      for (const p of events.filter((e) => e.StatusCallbackEvent === 'participant-disconnected')) {
        assert.equal(p.ParticipantStatus, 'disconnected');
        assert.ok(Number(p.ParticipantDuration) >= 0);
      }
      for (const p of events.filter((e) => e.StatusCallbackEvent.startsWith('track-'))) {
        assert.match(p.TrackSid, SID('MT'));
        assert.ok(['audio', 'video'].includes(p.TrackKind));
      }
      const recordingSids = new Set(state.recordings.map((r) => r.sid));
      for (const p of events.filter((e) => e.StatusCallbackEvent.startsWith('recording-'))) {
        assert.ok(recordingSids.has(p.RecordingSid), p.RecordingSid);
        assert.equal(p.RecordingUri, `/v1/Recordings/${p.RecordingSid}`);
        assert.match(p.SourceSid, SID('MT'));
        assert.ok(['mka', 'mkv'].includes(p.Container));
        if (p.StatusCallbackEvent === 'recording-completed') {
          assert.equal(p.MediaUri, `/v1/Recordings/${p.RecordingSid}/Media`);
          assert.ok(Number(p.Duration) >= 1 && Number(p.Size) > 0);
        }
      }
    });

    test('composition events: started, progress..., available', { timeout: TEST_TIMEOUT }, () => {
      const events = compositionEvents.map((r) => r.params);
      assert.ok(events.every((p) => p.CompositionSid === state.composition.sid && p.RoomSid === state.room.sid));
      const names = events.map((p) => p.StatusCallbackEvent);
      assert.equal(names[0], 'composition-started', names.join());
      assert.equal(names.at(-1), 'composition-available', names.join());
      assert.ok(names.slice(1, -1).every((n) => n === 'composition-progress'), names.join());
      assert.ok(!names.includes('composition-enqueued'), 'only hook compositions send composition-enqueued');
      const percents = events.filter((p) => p.PercentageDone !== undefined).map((p) => Number(p.PercentageDone));
      assert.ok(percents.every((v, i) => i === 0 || v >= percents[i - 1]), `PercentageDone: ${percents}`);
      const available = events.at(-1);
      assert.equal(available.CompositionUri, `/v1/Compositions/${state.composition.sid}`);
      assert.equal(available.MediaUri, `/v1/Compositions/${state.composition.sid}/Media`);
      assert.ok(Number(available.Size) > 0 && Number(available.Duration) >= 1);
    });
  });
});
