// Issue 14, interpretation, through the real plenaryd over WebSocket: the interpreter's
// token and its lang claim (plenaryd token --lang, POST tokens, a hand-made JWT), booth
// handover with its events and private mic messages in order, floor.lang, the snapshot's
// booths and floor_lang, media.channel's answers, and the channel encode counter in
// /metrics. (What listeners hear, decoded, is proved at the mixer by
// tests/unit/media/mix/test_channels.c.) Then a channel's recording, made while
// plenary-load's interpreters (real WebRTC peers of tests/support, real Opus) talk.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join as pathJoin } from 'node:path';
import { startServer, createRoom, join, http, jwt, nowS, sleep, PLENARYD, SECRET, SOURCE_DIR } from './harness.mjs';
import { runLoad } from '../load/servers.mjs';
import { completeRecording, fetchUntilFound, readOgg } from './ogg.mjs';

const ROOM = 'interp';
const sdp = (name) => readFileSync(pathJoin(SOURCE_DIR, 'tests', 'fixtures', 'sdp', name), 'utf8');

let server;
before(async () => {
  server = await startServer();
  await createRoom(server, ROOM);
});
after(async () => {
  await server.cleanup();
});

function cliToken(extra, name = 'X') {
  return spawnSync(PLENARYD, ['token', '--room', ROOM, '--name', name, ...extra], {
    env: { ...process.env, PLENARY_TOKEN_SECRET: SECRET },
    encoding: 'utf8',
  });
}

async function interpreter(name, sub, lang) {
  const r = cliToken(['--role', 'interpreter', '--sub', sub, '--lang', lang], name);
  assert.equal(r.status, 0, r.stderr);
  return join(server, ROOM, { token: r.stdout.trim(), name });
}


test('an interpreter token needs a BCP 47 lang, and only an interpreter has one', async () => {
  assert.notEqual(cliToken(['--role', 'interpreter']).status, 0);
  assert.notEqual(cliToken(['--role', 'interpreter', '--lang', 'fr_FR']).status, 0);
  assert.notEqual(cliToken(['--role', 'participant', '--lang', 'fr']).status, 0);
  assert.equal(cliToken(['--role', 'interpreter', '--lang', 'zh-hans']).status, 0);

  let r = await http(server, 'POST', `/api/rooms/${ROOM}/tokens`, { admin: true, body: { role: 'interpreter', name: 'I' } });
  assert.equal(r.status, 400);
  r = await http(server, 'POST', `/api/rooms/${ROOM}/tokens`, { admin: true, body: { role: 'chair', name: 'C', lang: 'fr' } });
  assert.equal(r.status, 400);
  r = await http(server, 'POST', `/api/rooms/${ROOM}/tokens`, { admin: true, body: { role: 'interpreter', name: 'I', lang: 'PT-br' } });
  assert.equal(r.status, 200);

  // A token made elsewhere: without lang, or with a bad one, joining is unauthorized.
  const exp = nowS() + 600;
  for (const claims of [{ room: ROOM, role: 'interpreter', name: 'I', exp }, { room: ROOM, role: 'interpreter', name: 'I', exp, lang: 'fr-FR-Latn' }]) {
    const c = await join(server, ROOM, { token: jwt(claims) }).catch((e) => e);
    assert.ok(c instanceof Error && /unauthorized/.test(c.message), String(c));
  }
});

test('booth handover, floor language, media.channel', async () => {
  const chair = await join(server, ROOM, { role: 'chair', name: 'Chair', sub: 'chair' });
  const p = await join(server, ROOM, { role: 'participant', name: 'Pat', sub: 'pat' });
  const fr1 = await interpreter('Odile', 'odile', 'FR');
  const fr2 = await interpreter('Paul', 'paul', 'fr');
  const es = await interpreter('Sol', 'sol', 'es');
  const joined = chair.events('participant.joined').find((e) => e.data.pid === 'odile');
  assert.equal(joined.data.role, 'interpreter');
  assert.equal(joined.data.lang, 'fr');

  // Before the session: conflict, like every room command.
  let r = await fr1.request({ type: 'interp.take', lang: 'fr' });
  assert.equal(r.code, 'conflict');
  await chair.ok({ type: 'session.start' });

  // Interpreters may send nothing else.
  assert.equal((await fr1.request({ type: 'queue.raise' })).code, 'forbidden');
  assert.equal((await fr1.request({ type: 'floor.lang', lang: 'en' })).code, 'forbidden');
  assert.equal((await es.request({ type: 'interp.take', lang: 'fr' })).code, 'forbidden');
  assert.equal((await fr1.request({ type: 'interp.take', lang: 'fr_FR' })).code, 'bad_request');
  assert.equal((await p.request({ type: 'interp.take', lang: 'fr' })).code, 'forbidden');

  const m1 = fr1.messages.length;
  await fr1.ok({ type: 'interp.take', lang: 'fr' });
  const taken = await chair.event('interp.taken');
  assert.deepEqual(taken.data, { lang: 'fr', pid: 'odile', name: 'Odile', by: 'odile', from: null });
  await fr1.next((m) => m.type === 'private' && m.kind === 'mic' && m.data.open === true, { from: m1 });

  // The handover: the outgoing interpreter is told closed, the incoming open.
  const m1b = fr1.messages.length;
  const m2 = fr2.messages.length;
  const at = chair.messages.length;
  await fr2.ok({ type: 'interp.take', lang: 'fr' });
  const handover = await chair.event('interp.taken', { from: at });
  assert.deepEqual(handover.data, { lang: 'fr', pid: 'paul', name: 'Paul', by: 'paul', from: 'odile' });
  await fr1.next((m) => m.type === 'private' && m.kind === 'mic' && m.data.open === false, { from: m1b });
  // The outgoing interpreter is told who took the booth from them, and at whose request.
  const told = await fr1.event('interp.taken', { from: m1b });
  assert.deepEqual(told.data, handover.data);
  await fr2.next((m) => m.type === 'private' && m.kind === 'mic' && m.data.open === true, { from: m2 });
  assert.equal((await fr2.request({ type: 'interp.take', lang: 'fr' })).code, 'conflict');

  // The chair hands it back, and takes another booth off air.
  await es.ok({ type: 'interp.take', lang: 'es' });
  await chair.ok({ type: 'interp.take', lang: 'fr', pid: 'odile' });
  await chair.ok({ type: 'interp.take', lang: 'es', pid: null });
  assert.equal((await chair.request({ type: 'interp.take', lang: 'fr', pid: 'sol' })).code, 'conflict');
  assert.equal((await chair.request({ type: 'interp.take', lang: 'fr', pid: 'pat' })).code, 'not_found');

  // The floor's language: the chair, or the floor holder only.
  assert.equal((await p.request({ type: 'floor.lang', lang: 'en' })).code, 'forbidden');
  await chair.ok({ type: 'floor.lang', lang: 'en' });
  assert.deepEqual((await p.event('floor.lang')).data, { lang: 'en', by: 'chair' });
  await p.ok({ type: 'queue.raise' });
  await chair.ok({ type: 'queue.next' });
  await p.ok({ type: 'floor.lang', lang: 'es' });

  // A late joiner's snapshot has the booths and the floor's language.
  const late = await join(server, ROOM, { role: 'observer', name: 'Late', anonymous: true });
  assert.equal(late.ack.state.floor_lang, 'es');
  assert.deepEqual(late.ack.state.booths, [
    { lang: 'fr', pid: 'odile', name: 'Odile' },
    { lang: 'es', pid: null, name: null },
  ]);

  // media.channel: bad input, an unknown channel, no peer yet, then a real switch.
  assert.equal((await late.request({ type: 'media.channel' })).code, 'bad_request');
  assert.equal((await late.request({ type: 'media.channel', lang: 'fr_FR' })).code, 'bad_request');
  assert.equal((await late.request({ type: 'media.channel', lang: 'de' })).code, 'not_found');
  assert.equal((await late.request({ type: 'media.channel', lang: 'fr' })).code, 'conflict');
  await late.ok({ type: 'media.offer', sdp: sdp('chrome-recvonly.sdp') });
  r = await late.ok({ type: 'media.channel', lang: 'FR' });
  assert.equal(r.lang, 'fr');
  assert.equal(r.on_air, true);
  assert.equal((await late.request({ type: 'media.channel', lang: 'fr', floor_under: 'yes' })).code, 'bad_request');
  r = await late.ok({ type: 'media.channel', lang: 'fr', floor_under: true });
  assert.equal(r.floor_under, true);
  r = await late.ok({ type: 'media.channel', lang: 'es' });
  assert.equal(r.floor_under, false);
  assert.equal(r.on_air, false, 'nobody in the Spanish booth: the channel carries the floor');
  r = await late.ok({ type: 'media.channel', lang: null });
  assert.equal(r.lang, null);

  // An interpreter may send audio (their offer is answered sendrecv).
  const offer = await fr1.ok({ type: 'media.offer', sdp: sdp('chrome-sendrecv.sdp') });
  assert.ok(offer.sdp.split('\r\n').includes('a=sendrecv'));
  // Relay: an interpreter may hear another booth, never their own.
  assert.equal((await fr1.request({ type: 'media.channel', lang: 'fr' })).code, 'conflict');
  await fr1.ok({ type: 'media.channel', lang: 'es' });
  // Every other role with a media peer may choose what it hears too; none without one
  // (docs/protocol.md, "Who may do what").
  for (const role of ['chair', 'participant', 'captioner', 'observer', 'venue']) {
    const who = await join(server, ROOM, { role, name: `Chooser ${role}`, sub: `chooser-${role}` });
    assert.equal((await who.request({ type: 'media.channel', lang: 'fr' })).code, 'conflict', `${role} without a peer`);
    await who.ok({ type: 'media.offer', sdp: sdp('chrome-recvonly.sdp') });
    const chose = await who.ok({ type: 'media.channel', lang: 'fr', floor_under: true });
    assert.equal(chose.lang, 'fr', role);
    assert.equal(chose.floor_under, true, role);
    await who.ok({ type: 'media.channel', lang: null });
    await who.close();
  }

  // A channel's own stream and recording: 400 for a malformed tag, 404 without a channel.
  // The French channel's live stream runs (its interpreter's audio is connected: decoded in
  // tests/browser/interp.test.mjs), and so does its recording (its content is checked in
  // the next test).
  for (const what of ['listen.ogg', 'recording.ogg']) {
    assert.equal((await fetch(`${server.url}/api/rooms/${ROOM}/${what}?lang=de`)).status, 404);
    const bad = await fetch(`${server.url}/api/rooms/${ROOM}/${what}?lang=x_y`);
    assert.equal(bad.status, 400);
    assert.equal((await bad.json()).code, 'bad_request');
  }
  const ac = new AbortController();
  const live = await fetchUntilFound(`${server.url}/api/rooms/${ROOM}/listen.ogg?lang=fr`, { signal: ac.signal });
  assert.equal(live.status, 200);
  assert.equal(live.headers.get('content-type'), 'audio/ogg');
  const first = await live.body.getReader().read();
  assert.equal(Buffer.from(first.value).subarray(0, 4).toString('latin1'), 'OggS');
  ac.abort();
  const rec = await fetchUntilFound(`${server.url}/api/rooms/${ROOM}/recording.ogg?lang=fr`);
  assert.equal(rec.status, 200);
  assert.equal(Buffer.from(await rec.arrayBuffer()).subarray(0, 4).toString('latin1'), 'OggS');

  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  assert.match(metrics, /^plenary_mixer_channel_encodes_total \d+$/m);
  assert.ok(Number(/^plenary_mixer_frames_total (\d+)$/m.exec(metrics)?.[1]) > 0, 'the workers\' clock runs');
  assert.match(metrics, /^plenary_mixer_frames_skipped_total \d+$/m);
  assert.match(metrics, /^plenary_connections\{role="interpreter"\} 3$/m);

  // The log holds the handovers in order.
  const log = (await (await fetch(`${server.url}/api/rooms/${ROOM}/log`)).text()).trim().split('\n').map((l) => JSON.parse(l));
  const takes = log.filter((e) => e.kind === 'interp.taken').map((e) => `${e.data.lang}:${e.data.from}->${e.data.pid}`);
  assert.deepEqual(takes, ['fr:null->odile', 'fr:odile->paul', 'es:null->sol', 'fr:paul->odile', 'es:sol->null']);
  for (const c of [chair, p, fr1, fr2, es, late]) await c.close();
});


test("a channel's recording: what its interpreter said, on the session's timeline", async () => {
  const room = 'interp-rec';
  await createRoom(server, room);
  const LOAD = pathJoin(process.env.PLENARY_BUILD_DIR || 'build', 'tests', 'load', 'plenary-load');
  // plenary-load starts the session; its interpreters (fr, es) take their booths and send a
  // steady tone each over WebRTC; two listeners. Then the session ends.
  const { report } = await runLoad(LOAD, ['--url', server.wsUrl, '--room', room, '--secret', SECRET,
    '--server-pid', String(server.proc.pid), '--channels', 'fr,es', '--listeners', '3', '--sample', '3',
    '--warmup', '0.5', '--duration', '3', '--hear-timeout', '5']);
  assert.equal(report.error, null, report.error);
  assert.equal(report.failures, 0, JSON.stringify(report.join.failure_reasons));
  const chair = await join(server, room, { role: 'chair', name: 'Chair', sub: 'rec-chair' });
  await chair.ok({ type: 'session.end' });
  const ended = await chair.event('session.ended');
  const ticks = ended.data.duration_ms / 20;

  const get = (q) => completeRecording(`${server.url}/api/rooms/${room}/recording.ogg${q}`);
  const floor = await get('');
  const fr = await get('?lang=fr');
  assert.equal(floor.status, 200);
  assert.equal(fr.status, 200);
  const f = readOgg(floor.body), c = readOgg(fr.body);
  assert.equal(c.packets[0].toString('latin1', 0, 8), 'OpusHead');
  assert.equal(c.packets[1].toString('latin1', 0, 8), 'OpusTags');
  assert.match(c.packets[1].toString('utf8'), /ROOM=interp-rec/);
  assert.ok(c.eos, 'finished with the session');
  assert.notEqual(c.serial, f.serial);
  // One packet per 20 ms of the session, as many as the floor's file.
  const audio = c.packets.slice(2), floorAudio = f.packets.slice(2);
  assert.equal(audio.length, floorAudio.length);
  assert.ok(Math.abs(audio.length - ticks) <= 10 + ticks / 20, `${audio.length} packets for ${ticks} ticks`);
  // The interpreter was on air for the run's window and warm-up (3.5 s): those packets
  // are the channel's own encode, not the floor's.
  const own = audio.filter((p, i) => p.length > 2 && !p.equals(floorAudio[i])).length;
  assert.ok(own >= 2 * 50, `${own} packets of the channel's own`);

  // No booth: 404; not a language tag: 400.
  const none = await fetch(`${server.url}/api/rooms/${room}/recording.ogg?lang=de`);
  assert.equal(none.status, 404);
  assert.equal((await none.json()).code, 'not_found');
  const bad = await fetch(`${server.url}/api/rooms/${room}/recording.ogg?lang=x_`);
  assert.equal(bad.status, 400);
  assert.equal((await bad.json()).code, 'bad_request');
  await chair.close();
});
