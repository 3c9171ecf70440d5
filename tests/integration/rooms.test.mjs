// Issue 3: rooms, tokens, join/leave/resume, permissions, the session, the durable
// hash-chained log and the public record -- through the real plenaryd.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { join as pathJoin } from 'node:path';
import {
  startServer, createRoom, join, http, Client, token, jwt, nowS, sleep, PLENARYD, SECRET,
} from './harness.mjs';
import { verifyLog } from '../tools/verify-log.mjs';

let server;
before(async () => {
  server = await startServer({
    grace: 1,
    config: { rooms: [{ id: 'declared', title: 'Declared in config' }] },
  });
});
after(async () => {
  await server.cleanup();
});

test('admin API: create rooms only with the admin token; ids are validated', async () => {
  assert.equal((await http(server, 'POST', '/api/rooms', { body: { id: 'nope', title: 'x' } })).status, 401);
  const wrong = await http(server, 'POST', '/api/rooms', {
    body: { id: 'nope', title: 'x' },
    headers: { authorization: 'Bearer wrong' },
  });
  assert.equal(wrong.status, 401);
  const created = await http(server, 'POST', '/api/rooms', {
    admin: true,
    body: { id: 'igf-2026', title: 'IGF 2026 main session' },
  });
  assert.equal(created.status, 201);
  assert.equal(created.json.id, 'igf-2026');
  assert.equal(created.json.title, 'IGF 2026 main session');
  assert.equal(created.json.status, 'scheduled');
  for (const id of ['UPPER', '../etc', 'a/b', '', 'x'.repeat(65), 'sp ace', 'dot.dot']) {
    const r = await http(server, 'POST', '/api/rooms', { admin: true, body: { id, title: 't' } });
    assert.equal(r.status, 400, id);
    assert.equal(r.json.code, 'bad_request');
  }
  const dup = await http(server, 'POST', '/api/rooms', { admin: true, body: { id: 'igf-2026', title: 'again' } });
  assert.equal(dup.status, 409);
  const bad = await http(server, 'POST', '/api/rooms', { admin: true, body: '{"id": 5' });
  assert.equal(bad.status, 400);
  const list = await http(server, 'GET', '/api/rooms');
  assert.equal(list.status, 200);
  const ids = list.json.map((r) => r.id);
  assert.ok(ids.includes('igf-2026') && ids.includes('declared'));
  for (const r of list.json) {
    for (const k of ['id', 'title', 'status', 'participants', 'observers']) assert.ok(k in r, k);
  }
});

test('admin API mints tokens that join; without the admin token it is 401', async () => {
  await createRoom(server, 'minted');
  const denied = await http(server, 'POST', '/api/rooms/minted/tokens', { body: { role: 'chair', name: 'X' } });
  assert.equal(denied.status, 401);
  const r = await http(server, 'POST', '/api/rooms/minted/tokens', {
    admin: true,
    body: { role: 'participant', name: 'Aïcha', sub: 'aicha', group: 'civil_society', ttl_s: 600 },
  });
  assert.equal(r.status, 200);
  const c = await join(server, 'minted', { token: r.json.token });
  assert.deepEqual(
    { pid: c.ack.you.pid, name: c.ack.you.name, role: c.ack.you.role, group: c.ack.you.group },
    { pid: 'aicha', name: 'Aïcha', role: 'participant', group: 'civil_society' },
  );
  const bad = await http(server, 'POST', '/api/rooms/minted/tokens', { admin: true, body: { role: 'king', name: 'X' } });
  assert.equal(bad.status, 400);
  const missing = await http(server, 'POST', '/api/rooms/nosuch/tokens', { admin: true, body: { role: 'chair', name: 'X' } });
  assert.equal(missing.status, 404);
  await c.close();
});

test('token failures are unauthorized: signature, expiry, room, role, garbage, alg', async () => {
  await createRoom(server, 'tok');
  const good = { room: 'tok', role: 'participant', name: 'P', sub: 'p1', exp: nowS() + 600 };
  const cases = {
    'bad signature': jwt(good, { secret: 'not-the-secret' }),
    expired: jwt({ ...good, exp: nowS() - 600 }),
    'wrong room': jwt({ ...good, room: 'declared' }),
    'unknown role': jwt({ ...good, role: 'emperor' }),
    garbage: 'this.is.garbage',
    'not a jwt': 'abc',
    'alg none': jwt(good, { alg: 'none' }),
    'alg HS512 header': jwt(good, { header: { alg: 'HS512', typ: 'JWT' } }),
    'missing name': jwt({ room: 'tok', role: 'participant', sub: 'x' }),
  };
  for (const [what, tok] of Object.entries(cases)) {
    const c = await Client.open(server);
    const r = await c.request({ type: 'join', room: 'tok', token: tok });
    assert.equal(r.type, 'error', what);
    assert.equal(r.code, 'unauthorized', what);
    // Still not joined: commands remain unauthorized.
    assert.equal((await c.request({ type: 'queue.raise' })).code, 'unauthorized', what);
    await c.close();
  }
  const c = await Client.open(server);
  assert.equal((await c.request({ type: 'join', room: 'tok', token: jwt(good) })).type, 'ack');
  assert.equal((await c.request({ type: 'join', room: 'tok', token: jwt(good) })).code, 'conflict');
  await c.close();
  const nf = await Client.open(server);
  assert.equal((await nf.request({ type: 'join', room: 'no-such-room', token: jwt(good) })).code, 'not_found');
  assert.equal((await nf.request({ type: 'join' })).code, 'bad_request');
  await nf.close();
});

test('joins by role; observers are counted, never listed', async () => {
  await createRoom(server, 'roles');
  const chair = await join(server, 'roles', { role: 'chair', name: 'Chair', sub: 'chair1', group: 'technical' });
  assert.equal(chair.ack.you.role, 'chair');
  assert.equal(typeof chair.ack.session, 'string');
  assert.equal(chair.ack.seq, chair.ack.state.head.seq);
  assert.match(chair.ack.state.head.hash, /^[0-9a-f]{64}$/);
  const from = chair.messages.length;
  const p = await join(server, 'roles', { role: 'participant', name: 'Pat', sub: 'pat', group: 'academia' });
  const joined = await chair.event('participant.joined', { from });
  assert.deepEqual(joined.data, { pid: 'pat', name: 'Pat', role: 'participant', group: 'academia', location: 'remote' });
  assert.match(joined.hash, /^[0-9a-f]{64}$/);
  const obsFrom = chair.messages.length;
  const tokObs = await join(server, 'roles', { role: 'observer', name: 'Tokened watcher', sub: 'w1' });
  const anon = await join(server, 'roles', { anonymous: true, name: 'Anonymous watcher' });
  assert.equal(anon.ack.you.role, 'observer');
  for (const who of [chair, p, anon]) {
    const names = who === chair ? null : who.ack.state.participants.map((x) => x.name);
    if (names) assert.ok(!names.includes('Tokened watcher'));
  }
  const state = anon.ack.state;
  assert.ok(state.observers >= 2, `observers counted: ${state.observers}`);
  assert.ok(!state.participants.some((x) => x.role === 'observer'));
  const presence = await chair.next((m) => m.type === 'live' && m.kind === 'presence' && m.data.observers >= 2, { from: obsFrom, timeout: 3000 });
  assert.ok(presence.data.participants >= 2);
  assert.ok(!chair.events('participant.joined').some((e) => e.data.role === 'observer'));
  // Observers are read-only.
  assert.equal((await anon.request({ type: 'queue.raise' })).code, 'forbidden');
  await Promise.all([chair.close(), p.close(), tokObs.close(), anon.close()]);
});

test('a private room refuses anonymous observers', async () => {
  await createRoom(server, 'closed-door', { public_observers: false });
  const c = await Client.open(server);
  const r = await c.request({ type: 'join', room: 'closed-door', role: 'observer', name: 'X' });
  assert.equal(r.code, 'unauthorized');
  await c.close();
  const list = await http(server, 'GET', '/api/rooms');
  assert.ok(!list.json.some((x) => x.id === 'closed-door'), 'not listed publicly');
});

test('the permission table: each role gets forbidden for what it may not do', async () => {
  await createRoom(server, 'perm');
  const chair = await join(server, 'perm', { role: 'chair', name: 'C', sub: 'pc' });
  const part = await join(server, 'perm', { role: 'participant', name: 'P', sub: 'pp' });
  const capt = await join(server, 'perm', { role: 'captioner', name: 'K', sub: 'pk' });
  const obs = await join(server, 'perm', { role: 'observer', name: 'O', sub: 'po' });
  await chair.ok({ type: 'session.start' });
  const chairOnly = ['session.start', 'session.end', 'queue.open', 'queue.close', 'queue.policy', 'queue.add',
    'queue.remove', 'queue.move', 'queue.next', 'queue.grant', 'floor.extend', 'hum.start', 'hum.end', 'poll.start', 'poll.end'];
  const table = {
    participant: { forbidden: [...chairOnly, 'caption'] },
    captioner: { forbidden: [...chairOnly, 'queue.raise', 'queue.lower', 'hum.cast', 'poll.vote', 'floor.end'] },
    observer: { forbidden: [...chairOnly, 'queue.raise', 'queue.lower', 'hum.cast', 'poll.vote', 'floor.end', 'caption'] },
  };
  const clients = { participant: part, captioner: capt, observer: obs };
  const head = () => http(server, 'GET', '/api/rooms/perm/log').then((r) => r.text);
  const before = await head();
  for (const [role, { forbidden }] of Object.entries(table)) {
    for (const type of forbidden) {
      const r = await clients[role].request({ type, entry: 1, position: 0, seconds: 10, hum: 1, poll: 1, option: 0,
        choices: [0], question: 'q', options: ['a', 'b'], name: 'n', lang: 'en', text: 't', final: true });
      assert.equal(r.code, 'forbidden', `${role} ${type}`);
    }
  }
  assert.equal(await head(), before, 'forbidden commands changed nothing');
  // A participant may end only their own floor.
  await part.ok({ type: 'queue.raise' });
  const other = await join(server, 'perm', { role: 'participant', name: 'Q', sub: 'pq' });
  await chair.ok({ type: 'queue.next' });
  assert.equal((await other.request({ type: 'floor.end' })).code, 'forbidden');
  await part.ok({ type: 'floor.end' });
  const ended = await chair.event('floor.ended');
  assert.equal(ended.data.reason, 'yielded');
  // The chair's allowed commands pass the permission check (they may still be conflicts).
  for (const type of ['queue.open', 'queue.close', 'queue.policy', 'hum.start', 'caption']) {
    const r = await chair.request({ type, question: 'q', options: ['a', 'b'], lang: 'en', text: 'x', final: true });
    assert.notEqual(r.code, 'forbidden', type);
  }
  const unknown = await chair.request({ type: 'no.such.command' });
  assert.equal(unknown.code, 'unknown_type');
  await Promise.all([chair.close(), part.close(), capt.close(), obs.close(), other.close()]);
});

test('session: scheduled -> live -> ended; commands need a live session', async () => {
  await createRoom(server, 'sess');
  const chair = await join(server, 'sess', { role: 'chair', name: 'C', sub: 'sc' });
  const p = await join(server, 'sess', { role: 'participant', name: 'P', sub: 'sp' });
  assert.equal(chair.ack.state.room.status, 'scheduled');
  for (const type of ['queue.raise', 'hum.start', 'poll.start', 'caption']) {
    const who = type === 'queue.raise' ? p : chair;
    const r = await who.request({ type, question: 'q', options: ['a', 'b'], lang: 'en', text: 'x', final: true });
    assert.equal(r.code, 'conflict', type);
  }
  await chair.ok({ type: 'session.start', title: 'Opening plenary' });
  const started = await p.event('session.started');
  assert.equal(started.data.title, 'Opening plenary');
  assert.equal((await chair.request({ type: 'session.start' })).code, 'conflict');
  await p.ok({ type: 'queue.raise' });
  await chair.ok({ type: 'queue.next' });
  await chair.ok({ type: 'hum.start', question: 'Support?', options: ['yes', 'no'] });
  await chair.ok({ type: 'poll.start', question: 'Lunch?', options: ['now', 'later'] });
  await p.event('poll.started');
  const from = p.messages.length;
  await chair.ok({ type: 'session.end' });
  await p.event('session.ended', { from });
  const kinds = p.messages.slice(from).filter((m) => m.type === 'event').map((m) => m.kind);
  assert.deepEqual(kinds, ['floor.ended', 'hum.ended', 'poll.ended', 'session.ended']);
  assert.equal(p.events('floor.ended').at(-1).data.reason, 'session_ended');
  assert.equal(typeof p.events('session.ended')[0].data.duration_ms, 'number');
  assert.equal((await p.request({ type: 'queue.raise' })).code, 'conflict');
  const list = await http(server, 'GET', '/api/rooms');
  assert.equal(list.json.find((r) => r.id === 'sess').status, 'ended');
  await Promise.all([chair.close(), p.close()]);
});

test('seq strictly increases by one and every event carries its line hash', async () => {
  await createRoom(server, 'seqs');
  const chair = await join(server, 'seqs', { role: 'chair', name: 'C', sub: 'qc' });
  const obs = await join(server, 'seqs', { anonymous: true });
  await chair.ok({ type: 'session.start' });
  for (let i = 0; i < 5; i++) {
    await chair.ok({ type: 'queue.raise' });
    await chair.ok({ type: 'queue.lower' });
  }
  await sleep(100);
  const events = obs.events();
  for (let i = 1; i < events.length; i++) assert.equal(events[i].seq, events[i - 1].seq + 1);
  const log = (await http(server, 'GET', '/api/rooms/seqs/log')).text.trim().split('\n').map((l) => JSON.parse(l));
  for (const e of events) {
    const line = log.find((l) => l.seq === e.seq);
    assert.equal(line.hash, e.hash);
    assert.equal(line.kind, e.kind);
    assert.deepEqual(line.data, e.data);
  }
  await Promise.all([chair.close(), obs.close()]);
});

test('resume after a dropped connection replays every missed event in order', async () => {
  await createRoom(server, 'resume');
  const chair = await join(server, 'resume', { role: 'chair', name: 'C', sub: 'rc' });
  await chair.ok({ type: 'session.start' });
  const p = await join(server, 'resume', { role: 'participant', name: 'P', sub: 'rp', group: 'government' });
  await p.ok({ type: 'queue.raise' });
  const lastSeen = Math.max(p.ack.seq, ...p.events().map((e) => e.seq));
  const session = p.ack.session;
  await p.terminate(); // dropped, not left: the grace period keeps the place
  await chair.ok({ type: 'queue.add', name: 'Delegate in the room', group: 'intergovernmental' });
  await chair.ok({ type: 'hum.start', question: 'Q', options: ['a', 'b'] });
  await chair.ok({ type: 'caption', lang: 'en', text: 'While you were away', final: true });
  const again = await Client.open(server);
  const from = again.messages.length;
  const ack = await again.request({ type: 'join', room: 'resume', token: p.token, resume: { session, since: lastSeen } });
  assert.equal(ack.type, 'ack');
  assert.equal(ack.resumed, true);
  const replayed = again.messages.slice(from).filter((m) => m.type === 'event');
  assert.deepEqual(replayed.map((e) => e.kind), ['queue.raised', 'hum.started', 'caption']);
  for (let i = 0; i < replayed.length; i++) assert.equal(replayed[i].seq, lastSeen + 1 + i);
  const ackIndex = again.messages.indexOf(ack);
  assert.ok(again.messages.slice(from, ackIndex).length === replayed.length, 'events came before the ack');
  // Still in the queue: the grace period kept the place; no participant.left was logged.
  assert.ok(ack.state.queue.entries.some((e) => e.pid === 'rp'));
  assert.ok(!chair.events('participant.left').some((e) => e.data.pid === 'rp'));
  // An unknown session: a fresh snapshot, resumed false.
  const other = await Client.open(server);
  const fresh = await other.request({ type: 'join', room: 'resume', token: p.token, resume: { session: 'nope', since: 1 } });
  assert.equal(fresh.resumed, false);
  assert.ok(fresh.state);
  await Promise.all([chair.close(), again.close(), other.close()]);
});

test('an anonymous observer can resume too', async () => {
  await createRoom(server, 'obsresume');
  const chair = await join(server, 'obsresume', { role: 'chair', name: 'C', sub: 'oc' });
  await chair.ok({ type: 'session.start' });
  const o = await join(server, 'obsresume', { anonymous: true, name: 'Watcher' });
  const since = o.ack.seq;
  await o.terminate();
  await chair.ok({ type: 'caption', lang: 'en', text: 'missed', final: true });
  const again = await Client.open(server);
  const from = again.messages.length;
  const ack = await again.request({ type: 'join', room: 'obsresume', role: 'observer', name: 'Watcher', resume: { session: o.ack.session, since } });
  assert.equal(ack.resumed, true);
  assert.deepEqual(again.messages.slice(from).filter((m) => m.type === 'event').map((m) => m.data.text), ['missed']);
  await Promise.all([chair.close(), again.close()]);
});

test('grace period: a participant who does not come back leaves the record and the queue', async () => {
  await createRoom(server, 'grace');
  const chair = await join(server, 'grace', { role: 'chair', name: 'C', sub: 'gc' });
  await chair.ok({ type: 'session.start' });
  const p = await join(server, 'grace', { role: 'participant', name: 'P', sub: 'gp' });
  await p.ok({ type: 'queue.raise' });
  const from = chair.messages.length;
  await p.terminate();
  const left = await chair.event('participant.left', { from, timeout: 5000 });
  assert.deepEqual(left.data, { pid: 'gp', reason: 'timeout' });
  const removed = chair.events('queue.removed').at(-1);
  assert.ok(removed && removed.seq < left.seq, 'entry removed before leaving');
  // An explicit leave is at once.
  const q = await join(server, 'grace', { role: 'participant', name: 'Q', sub: 'gq' });
  const from2 = chair.messages.length;
  await q.ok({ type: 'leave' });
  const left2 = await chair.event('participant.left', { from: from2, timeout: 2000 });
  assert.deepEqual(left2.data, { pid: 'gq', reason: 'left' });
  await Promise.all([chair.close(), q.close()]);
});

test('one person, two connections: one participant, one queue entry', async () => {
  await createRoom(server, 'twodev');
  const chair = await join(server, 'twodev', { role: 'chair', name: 'C', sub: 'tc' });
  await chair.ok({ type: 'session.start' });
  const laptop = await join(server, 'twodev', { role: 'participant', name: 'Dual', sub: 'dual' });
  const phone = await join(server, 'twodev', { role: 'participant', name: 'Dual', sub: 'dual' });
  assert.equal(phone.ack.state.participants.filter((x) => x.pid === 'dual').length, 1);
  await laptop.ok({ type: 'queue.raise' });
  assert.equal((await phone.request({ type: 'queue.raise' })).code, 'conflict');
  await laptop.close();
  await sleep(1500); // longer than the grace period: the phone is still connected
  assert.ok(!chair.events('participant.left').some((e) => e.data.pid === 'dual'));
  await Promise.all([chair.close(), phone.close()]);
});

test('the log verifies with plenaryd verify and an independent implementation; tampering is caught', async () => {
  await createRoom(server, 'chain');
  const chair = await join(server, 'chain', { role: 'chair', name: 'Chair Ünïcødé', sub: 'cc' });
  await chair.ok({ type: 'session.start', title: 'Test "quotes" \\ and \u2028 separators 😀' });
  await chair.ok({ type: 'caption', lang: 'fr', text: 'Le président: « bonjour » \n\t ok', final: true });
  const last = chair.events().at(-1);
  const path = pathJoin(server.dataDir, 'rooms', 'chain.jsonl');
  const text = readFileSync(path, 'utf8');
  const mine = verifyLog(text);
  assert.equal(mine.ok, true, mine.reason);
  assert.equal(mine.seq, last.seq);
  assert.equal(mine.hash, last.hash, 'the head a live observer holds is the published head');
  const ok = spawnSync(PLENARYD, ['verify', path], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, new RegExp(`${last.seq}`));
  assert.match(ok.stdout, new RegExp(last.hash));
  const published = await http(server, 'GET', '/api/rooms/chain/log');
  assert.equal(published.text, text);
  // Tamper with the second line's data, keep everything else.
  const lines = text.trim().split('\n');
  const tampered = lines.map((l, i) => (i === 1 ? l.replace('"cc"', '"xx"') : l)).join('\n') + '\n';
  const copy = `${path}.tampered`;
  writeFileSync(copy, tampered);
  const bad = spawnSync(PLENARYD, ['verify', copy], { encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stdout + bad.stderr, /line 2/);
  assert.equal(verifyLog(tampered).badLine, 2);
  await chair.close();
});

test('record exports: JSON, text, WebVTT, HTML, polls', async () => {
  await createRoom(server, 'rec', { title: 'Record <room> & "co"' });
  const chair = await join(server, 'rec', { role: 'chair', name: 'Chair <b>', sub: 'ec', group: 'technical' });
  const p = await join(server, 'rec', { role: 'participant', name: 'Pia', sub: 'ep', group: 'government' });
  await chair.ok({ type: 'session.start' });
  await p.ok({ type: 'queue.raise' });
  await chair.ok({ type: 'queue.next' });
  await chair.ok({ type: 'caption', lang: 'en', text: 'I support <this> & that', final: true });
  await p.ok({ type: 'floor.end' });
  await chair.ok({ type: 'session.end' });
  const head = chair.events().at(-1);
  const json = await http(server, 'GET', '/api/rooms/rec/record.json');
  assert.equal(json.status, 200);
  assert.match(json.headers.get('content-type'), /application\/json/);
  assert.equal(json.json.session.status, 'ended');
  assert.ok(json.json.attendance.some((a) => a.pid === 'ep' && a.group === 'government'));
  assert.equal(json.json.floors.length, 1);
  assert.equal(json.json.floors[0].pid, 'ep');
  assert.equal(json.json.floors[0].reason, 'yielded');
  assert.equal(json.json.captions[0].speaker.pid, 'ep');
  assert.equal(json.json.head.hash, head.hash);
  assert.ok(json.json.statistics.persons.length >= 1);
  const txt = await http(server, 'GET', '/api/rooms/rec/record.txt');
  assert.match(txt.headers.get('content-type'), /text\/plain/);
  assert.ok(txt.text.includes(head.hash), 'minutes end with the chain head');
  assert.ok(txt.text.includes('Pia'));
  const vtt = await http(server, 'GET', '/api/rooms/rec/record.vtt');
  assert.match(vtt.headers.get('content-type'), /text\/vtt/);
  assert.match(vtt.text, /^WEBVTT\n/);
  assert.match(vtt.text, /\d\d:\d\d:\d\d\.\d{3} --> \d\d:\d\d:\d\d\.\d{3}\n<v Pia>I support &lt;this&gt; &amp; that/);
  const html = await http(server, 'GET', '/api/rooms/rec/record.html');
  assert.match(html.headers.get('content-type'), /text\/html/);
  assert.ok(html.text.includes(head.hash));
  assert.ok(!html.text.includes('<b>') && html.text.includes('Chair &lt;b&gt;'), 'names are escaped');
  assert.ok(html.text.includes('Record &lt;room&gt; &amp; &quot;co&quot;'));
  const polls = await http(server, 'GET', '/api/rooms/rec/polls.json');
  assert.equal(polls.status, 200);
  assert.deepEqual(polls.json, []);
  assert.equal((await http(server, 'GET', '/api/rooms/rec/record.pdf')).status, 404);
  assert.equal((await http(server, 'GET', '/api/rooms/nosuch/record.json')).status, 404);
  await Promise.all([chair.close(), p.close()]);
});

test('a restart rebuilds every room exactly; a torn tail is cut, a broken chain refuses only that room', async () => {
  const s = await startServer({ grace: 30 });
  try {
    await createRoom(s, 'alpha');
    await createRoom(s, 'beta');
    const chair = await join(s, 'alpha', { role: 'chair', name: 'C', sub: 'ac', group: 'technical' });
    const a = await join(s, 'alpha', { role: 'participant', name: 'A', sub: 'aa', group: 'government' });
    const b = await join(s, 'alpha', { role: 'participant', name: 'B', sub: 'ab', group: 'civil_society' });
    await chair.ok({ type: 'session.start' });
    await chair.ok({ type: 'queue.policy', policy: 'groups_round_robin', time_limit_s: 120, auto_end: true });
    await a.ok({ type: 'queue.raise' });
    await b.ok({ type: 'queue.raise', kind: 'clarify' });
    await chair.ok({ type: 'queue.add', name: 'Floor delegate', group: 'academia' });
    await chair.ok({ type: 'queue.next' });
    await chair.ok({ type: 'hum.start', question: 'Hum?', options: ['yes', 'no', 'unsure'] });
    await a.ok({ type: 'hum.cast', hum: 1, option: 0 });
    await chair.ok({ type: 'poll.start', question: 'Named?', options: ['x', 'y'], anonymous: false });
    await a.ok({ type: 'poll.vote', poll: 1, choices: [1] });
    await chair.ok({ type: 'caption', lang: 'en', text: 'hello', final: true });
    const observer = await join(s, 'alpha', { anonymous: true });
    const before = observer.ack.state;
    await Promise.all([chair.close(), a.close(), b.close(), observer.close()]);
    await s.stop();
    // Break beta's chain in the middle and tear alpha's tail.
    const betaPath = pathJoin(s.dataDir, 'rooms', 'beta.jsonl');
    copyFileSync(betaPath, `${betaPath}.orig`);
    const betaLines = readFileSync(betaPath, 'utf8');
    writeFileSync(betaPath, betaLines.replace('"title":"Room beta"', '"title":"Room BETA"') + betaLines.split('\n')[0].replace('"seq":1', '"seq":2') + '\n');
    const alphaPath = pathJoin(s.dataDir, 'rooms', 'alpha.jsonl');
    writeFileSync(alphaPath, readFileSync(alphaPath, 'utf8') + '{"data":{},"hash":"00');
    const s2 = await startServer({ dataDir: s.dataDir, grace: 30 });
    try {
      assert.ok(s2.logs.some((l) => /torn/.test(l) && /alpha/.test(l)), 'torn tail reported');
      assert.ok(s2.logs.some((l) => /beta/.test(l) && /line 1/.test(l)), `broken chain reported with its line:\n${s2.logs.join('\n')}`);
      assert.equal((await http(s2, 'GET', '/api/rooms/beta/record.json')).status, 404);
      const after = (await join(s2, 'alpha', { anonymous: true })).ack.state;
      const strip = (st) => {
        const c = structuredClone(st);
        c.observers = 0;
        for (const p of c.participants) p.connected = false;
        return c;
      };
      assert.deepEqual(strip(after), strip(before));
      assert.equal(after.hum.hum, 1, 'the open hum survives, without casts');
      // Recreating beta over its refused log is a conflict, never an overwrite.
      assert.equal((await http(s2, 'POST', '/api/rooms', { admin: true, body: { id: 'beta', title: 'x' } })).status, 409);
    } finally {
      await s2.stop();
    }
  } finally {
    await s.cleanup();
  }
});

test('after the session ends the record is sealed: joins and departures are off the record', async () => {
  await createRoom(server, 'sealed');
  const chair = await join(server, 'sealed', { role: 'chair', name: 'C', sub: 'sc1' });
  const p = await join(server, 'sealed', { role: 'participant', name: 'P', sub: 'sp1' });
  await chair.ok({ type: 'session.start' });
  await chair.ok({ type: 'session.end' });
  const head = (await http(server, 'GET', '/api/rooms/sealed/log')).text;
  const late = await join(server, 'sealed', { role: 'participant', name: 'Late', sub: 'late1' });
  assert.equal(late.ack.state.room.status, 'ended');
  await p.terminate();
  await late.ok({ type: 'leave' });
  await sleep(1500); // past the grace period
  assert.equal((await http(server, 'GET', '/api/rooms/sealed/log')).text, head);
  await chair.close();
});
