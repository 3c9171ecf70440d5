// Issue 13: moderation on the record, against the real plenaryd. A chair removes a person:
// every connection of theirs is told (private `removed`) and closed (4403), their queue
// entry and floor go, they may not join or resume (forbidden) -- also after a restart --
// until readmitted. Chairs' microphones: closed until the chair opens theirs, closed by a
// co-chair, the floor holder's muted and unmuted, with events and private `mic` messages.
// Token revocation through the admin API, by sub and by jti: join, Bearer, signed-url
// minting and the CART POST answer "token revoked", live connections are closed (4401),
// and it survives a restart.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as pathJoin } from 'node:path';
import { startServer, createRoom, join, http, Client } from './harness.mjs';

const ROOM = 'mod';
const PRIV = 'modpriv';
let dataDir;
let server;

async function mint(room, body) {
  const r = await http(server, 'POST', `/api/rooms/${room}/tokens`, { admin: true, body });
  assert.equal(r.status, 200, r.text);
  return r.json;
}

async function joinWith(room, tok, extra = {}) {
  const c = await Client.open(server);
  const r = await c.request({ type: 'join', room, token: tok, ...extra });
  c.ack = r;
  return c;
}

async function restart() {
  await server.cleanup();
  server = await startServer({ dataDir });
}

before(async () => {
  dataDir = mkdtempSync(pathJoin(tmpdir(), 'plenary-mod-'));
  server = await startServer({ dataDir });
  await createRoom(server, ROOM);
  await createRoom(server, PRIV, { visibility: 'private' });
});

after(async () => {
  await server.cleanup();
  rmSync(dataDir, { recursive: true, force: true });
});

test('remove: told, closed, queue and floor gone, refused until readmitted, across a restart', async () => {
  const chair = await join(server, ROOM, { role: 'chair', name: 'Carla Chair', sub: 'carla' });
  await chair.ok({ type: 'session.start' });
  const laptop = await join(server, ROOM, { name: 'Dan Disrupt', sub: 'dan' });
  const phone = await join(server, ROOM, { name: 'Dan Disrupt', sub: 'dan' });
  const other = await join(server, ROOM, { name: 'Olga', sub: 'olga' });
  await laptop.ok({ type: 'queue.raise' });
  await other.ok({ type: 'queue.raise' });
  await chair.ok({ type: 'queue.next' });
  await laptop.next((m) => m.type === 'private' && m.kind === 'mic' && m.data.open === true);

  // Refusals first: nothing is written for any of them.
  const before = chair.events().length;
  let r = await chair.request({ type: 'participant.remove', pid: 'carla' });
  assert.equal(r.code, 'forbidden');
  r = await chair.request({ type: 'participant.remove', pid: 'nobody' });
  assert.equal(r.code, 'not_found');
  r = await other.request({ type: 'participant.remove', pid: 'dan' });
  assert.equal(r.code, 'forbidden');
  r = await chair.request({ type: 'participant.remove' });
  assert.equal(r.code, 'bad_request');

  const from = chair.messages.length;
  await chair.ok({ type: 'participant.remove', pid: 'dan', reason: 'repeated abuse' });
  const ended = await chair.event('floor.ended', { from });
  assert.equal(ended.data.reason, 'removed');
  assert.equal(ended.data.pid, 'dan');
  const removed = await chair.event('participant.removed', { from });
  assert.deepEqual(removed.data, { pid: 'dan', by: 'carla', reason: 'repeated abuse' });
  assert.ok(chair.events().length > before);
  for (const c of [laptop, phone]) {
    const note = await c.next((m) => m.type === 'private' && m.kind === 'removed');
    assert.equal(note.data.by, 'carla');
    assert.equal(note.data.by_name, 'Carla Chair');
    assert.equal(note.data.reason, 'repeated abuse');
    const closed = await c.closedPromise;
    assert.equal(closed.code, 4403);
    assert.match(closed.reason, /removed/);
  }
  assert.ok(laptop.messages.some((m) => m.type === 'private' && m.kind === 'mic' && m.data.open === false));
  r = await chair.request({ type: 'participant.remove', pid: 'dan' });
  assert.equal(r.code, 'conflict');
  const snap = (await join(server, ROOM, { role: 'chair', name: 'Co', sub: 'co' })).ack.state;
  assert.ok(snap.removed.some((p) => p.pid === 'dan' && p.by === 'carla' && p.reason === 'repeated abuse'));
  assert.ok(!snap.participants.some((p) => p.pid === 'dan'));
  assert.ok(snap.queue.floor === null);
  assert.deepEqual(snap.queue.entries.map((e) => e.pid), ['olga']);

  // Joining again, or resuming, is refused with the reason.
  const again = await joinWith(ROOM, laptop.token);
  assert.equal(again.ack.code, 'forbidden');
  assert.match(again.ack.message, /removed/);
  assert.match(again.ack.message, /repeated abuse/);
  const resumed = await joinWith(ROOM, laptop.token, { resume: { session: laptop.ack.session, since: 0 } });
  assert.equal(resumed.ack.code, 'forbidden');

  await restart();
  const back = await joinWith(ROOM, laptop.token);
  assert.equal(back.ack.code, 'forbidden');
  const chair2 = await join(server, ROOM, { role: 'chair', name: 'Carla Chair', sub: 'carla' });
  assert.ok(chair2.ack.state.removed.some((p) => p.pid === 'dan'));
  const readmit = chair2.messages.length;
  await chair2.ok({ type: 'participant.readmit', pid: 'dan' });
  const re = await chair2.event('participant.readmitted', { from: readmit });
  assert.deepEqual(re.data, { pid: 'dan', by: 'carla' });
  const ok = await joinWith(ROOM, laptop.token);
  assert.equal(ok.ack.type, 'ack');
  assert.ok(!ok.ack.state.removed.some((p) => p.pid === 'dan'));
  for (const c of [chair, other, back, chair2, ok, again, resumed]) if (!c.closed) await c.close();
});

test('chair microphones: closed until opened, co-chair closes, floor holder muted and unmuted', async () => {
  const room = 'mics';
  await createRoom(server, room);
  const a = await join(server, room, { role: 'chair', name: 'Ana', sub: 'ana' });
  const b = await join(server, room, { role: 'chair', name: 'Bo', sub: 'bo' });
  const p = await join(server, room, { name: 'Pia', sub: 'pia' });
  await a.ok({ type: 'session.start' });
  assert.equal(a.ack.you.mic, false);
  let r = await a.request({ type: 'mic.open', pid: 'bo' });
  assert.equal(r.code, 'forbidden');
  r = await a.request({ type: 'mic.open', pid: 'pia' });
  assert.equal(r.code, 'conflict');
  r = await p.request({ type: 'mic.open', pid: 'pia' });
  assert.equal(r.code, 'forbidden');

  let from = a.messages.length;
  await a.ok({ type: 'mic.open', pid: 'ana' });
  const opened = await a.event('mic.opened', { from });
  assert.deepEqual(opened.data, { pid: 'ana', by: 'ana' });
  await a.next((m) => m.type === 'private' && m.kind === 'mic' && m.data.open === true, { from });
  r = await a.request({ type: 'mic.open', pid: 'ana' });
  assert.equal(r.code, 'conflict');
  const c = await join(server, room, { role: 'chair', name: 'Cy', sub: 'cy' });
  assert.deepEqual(c.ack.state.mics, ['ana']);

  from = a.messages.length;
  await b.ok({ type: 'mic.close', pid: 'ana' });
  const closed = await a.event('mic.closed', { from });
  assert.deepEqual(closed.data, { pid: 'ana', by: 'bo' });
  await a.next((m) => m.type === 'private' && m.kind === 'mic' && m.data.open === false, { from });

  await p.ok({ type: 'queue.raise' });
  await a.ok({ type: 'queue.next' });
  await p.next((m) => m.type === 'private' && m.kind === 'mic' && m.data.open === true);
  from = p.messages.length;
  await b.ok({ type: 'mic.close', pid: 'pia' });
  await p.next((m) => m.type === 'private' && m.kind === 'mic' && m.data.open === false, { from });
  const snap = (await join(server, room, { role: 'chair', name: 'Di', sub: 'di' })).ack.state;
  assert.equal(snap.queue.floor.pid, 'pia');
  assert.deepEqual(snap.mics, []);
  from = p.messages.length;
  await a.ok({ type: 'mic.open', pid: 'pia' });
  await p.next((m) => m.type === 'private' && m.kind === 'mic' && m.data.open === true, { from });
  assert.ok(p.events('mic.opened').some((e) => e.data.pid === 'pia' && e.data.by === 'ana'));

  // The record attributes the chair's open microphone.
  const rec = await http(server, 'GET', `/api/rooms/${room}/record.json`);
  assert.ok(rec.json.chair_mics.some((m) => m.pid === 'ana' && m.closed_by === 'bo' && m.duration_ms >= 0));
  for (const x of [a, b, p, c]) await x.close();
});

test('revocation by sub and by jti: refused everywhere, live connections closed, kept across a restart', async () => {
  const admin = { admin: true };
  let r = await http(server, 'POST', `/api/rooms/${PRIV}/revocations`, { body: { sub: 'x' } });
  assert.equal(r.status, 401);
  r = await http(server, 'POST', `/api/rooms/nosuch/revocations`, { ...admin, body: { sub: 'x' } });
  assert.equal(r.status, 404);
  for (const body of [{}, { sub: 'a', jti: 'b' }, { sub: '' }, { sub: 7 }, { sub: 'a', extra: 1 }, 'not json']) {
    r = await http(server, 'POST', `/api/rooms/${PRIV}/revocations`, { ...admin, body });
    assert.equal(r.status, 400, JSON.stringify(body));
  }

  const cap = await mint(PRIV, { role: 'captioner', name: 'Kim', sub: 'kim' });
  assert.match(cap.jti, /^[0-9a-f]{32}$/);
  const eve1 = await mint(PRIV, { role: 'participant', name: 'Eve', sub: 'eve' });
  const eve2 = await mint(PRIV, { role: 'participant', name: 'Eve', sub: 'eve' });
  assert.notEqual(eve1.jti, eve2.jti);
  const chair = await joinWith(PRIV, (await mint(PRIV, { role: 'chair', name: 'Carla', sub: 'carla' })).token);
  await chair.ok({ type: 'session.start' });
  const bearer = (t) => ({ headers: { authorization: `Bearer ${t}` } });
  assert.equal((await http(server, 'GET', `/api/rooms/${PRIV}/record.json`, bearer(cap.token))).status, 200);

  // By jti: only that token.
  const eveA = await joinWith(PRIV, eve1.token);
  const eveB = await joinWith(PRIV, eve2.token);
  assert.equal(eveA.ack.type, 'ack');
  r = await http(server, 'POST', `/api/rooms/${PRIV}/revocations`, { ...admin, body: { jti: eve1.jti, reason: 'leaked' } });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.jti, eve1.jti);
  const note = await eveA.next((m) => m.type === 'private' && m.kind === 'revoked');
  assert.equal(note.data.reason, 'leaked');
  assert.equal((await eveA.closedPromise).code, 4401);
  assert.equal(eveB.closed, null);
  const ev = await chair.event('token.revoked');
  assert.deepEqual(ev.data, { jti: eve1.jti, reason: 'leaked', by: 'admin' });
  let j = await joinWith(PRIV, eve1.token);
  assert.equal(j.ack.code, 'unauthorized');
  assert.equal(j.ack.message, 'token revoked');
  assert.equal((await eveB.ok({ type: 'ping' })).type, 'ack');
  r = await http(server, 'POST', `/api/rooms/${PRIV}/revocations`, { ...admin, body: { jti: eve1.jti } });
  assert.equal(r.status, 200);
  assert.equal(r.json.already, true);

  // By sub: every token of that person, on every path a token is checked.
  const capLive = await joinWith(PRIV, cap.token);
  assert.equal(capLive.ack.type, 'ack');
  r = await http(server, 'POST', `/api/rooms/${PRIV}/revocations`, { ...admin, body: { sub: 'kim' } });
  assert.equal(r.status, 201);
  assert.equal((await capLive.closedPromise).code, 4401);
  const checkKim = async () => {
    const jj = await joinWith(PRIV, cap.token);
    assert.equal(jj.ack.code, 'unauthorized');
    assert.equal(jj.ack.message, 'token revoked');
    let x = await http(server, 'GET', `/api/rooms/${PRIV}/record.json`, bearer(cap.token));
    assert.equal(x.status, 401);
    assert.equal(x.json.message, 'token revoked');
    x = await http(server, 'POST', `/api/rooms/${PRIV}/signed-url`, { ...bearer(cap.token), body: { path: `/api/rooms/${PRIV}/log` } });
    assert.equal(x.status, 401);
    assert.equal(x.json.message, 'token revoked');
    x = await http(server, 'POST', `/api/rooms/${PRIV}/caption?token=${cap.token}&seq=1&lang=en`, {
      body: 'hello',
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    });
    assert.equal(x.status, 401);
    assert.equal(x.json.message, 'token revoked');
  };
  await checkKim();
  const list = await http(server, 'GET', `/api/rooms/${PRIV}/revocations`, admin);
  assert.equal(list.status, 200);
  assert.deepEqual(list.json.map((v) => v.sub || v.jti), [eve1.jti, 'kim']);
  assert.equal((await http(server, 'GET', `/api/rooms/${PRIV}/revocations`)).status, 401);

  await eveB.close();
  await chair.close();
  await restart();
  await checkKim();
  j = await joinWith(PRIV, eve1.token);
  assert.equal(j.ack.message, 'token revoked');
  j = await joinWith(PRIV, eve2.token);
  assert.equal(j.ack.type, 'ack');
  await j.close();

  // Lifting a revocation (DELETE ?sub= or ?jti=): the token works again, on the record,
  // also after a restart; lifting what is not revoked is 404.
  r = await http(server, 'DELETE', `/api/rooms/${PRIV}/revocations?sub=kim`);
  assert.equal(r.status, 401);
  r = await http(server, 'DELETE', `/api/rooms/${PRIV}/revocations?sub=kim&jti=x`, admin);
  assert.equal(r.status, 400);
  r = await http(server, 'DELETE', `/api/rooms/${PRIV}/revocations?sub=kim`, admin);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, { sub: 'kim', by: 'admin' });
  r = await http(server, 'DELETE', `/api/rooms/${PRIV}/revocations?sub=kim`, admin);
  assert.equal(r.status, 404);
  assert.equal((await http(server, 'GET', `/api/rooms/${PRIV}/record.json`, bearer(cap.token))).status, 200);
  await restart();
  assert.equal((await http(server, 'GET', `/api/rooms/${PRIV}/record.json`, bearer(cap.token))).status, 200);
  const back = await joinWith(PRIV, cap.token);
  assert.equal(back.ack.type, 'ack');
  const rec = await http(server, 'GET', `/api/rooms/${PRIV}/record.json`, admin);
  assert.deepEqual(
    rec.json.moderation.map((m) => m.kind),
    ['token.revoked', 'token.revoked', 'token.unrevoked'],
  );
  await back.close();
});
