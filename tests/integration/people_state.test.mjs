// Issue 18: what the room knows of each speaker's audio, and one role per person.
// - mic.status {state}: chairs and participants report none | refused | muted | ready; ack
//   {}; a live mic.status {pid, state} to the room; the snapshot's people carry mic (null
//   until reported); never on the log; rate limited as a session command.
// - A person connected with one role who joins with another is refused with conflict, an
//   observer's token included, either way round.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, createRoom, join, http, Client, token } from './harness.mjs';

let server;
const ROOM = 'people';
before(async () => {
  server = await startServer({ grace: 30 });
  await createRoom(server, ROOM);
});
after(async () => {
  await server.cleanup();
});

const micOf = (state, pid) => state.participants.find((p) => p.pid === pid)?.mic;

test('mic.status: live to the room, in the snapshot, never logged', async () => {
  const chair = await join(server, ROOM, { role: 'chair', name: 'Chair', sub: 'm-chair' });
  const p = await join(server, ROOM, { role: 'participant', name: 'Pat', sub: 'm-pat' });
  const obs = await join(server, ROOM, { role: 'observer', name: 'Olga', sub: 'm-olga' });
  assert.equal(micOf(p.ack.state, 'm-pat'), null, 'null until reported');
  const logBefore = (await http(server, 'GET', `/api/rooms/${ROOM}/log`)).text;
  // Before the session: a mic test while waiting is fine.
  const from = obs.messages.length;
  const ack = await p.ok({ type: 'mic.status', state: 'refused' });
  assert.deepEqual(Object.keys(ack).sort(), ['id', 'type']);
  const live = await obs.next((m) => m.type === 'live' && m.kind === 'mic.status', { from });
  assert.deepEqual(live.data, { pid: 'm-pat', state: 'refused' });
  await chair.ok({ type: 'mic.status', state: 'ready' });
  const late = await join(server, ROOM, { anonymous: true });
  assert.equal(micOf(late.ack.state, 'm-pat'), 'refused');
  assert.equal(micOf(late.ack.state, 'm-chair'), 'ready');
  for (const state of ['none', 'muted', 'ready']) {
    const at = chair.messages.length;
    await p.ok({ type: 'mic.status', state });
    const m = await chair.next((x) => x.type === 'live' && x.kind === 'mic.status' && x.data.state === state, { from: at });
    assert.equal(m.data.pid, 'm-pat');
  }
  assert.equal((await http(server, 'GET', `/api/rooms/${ROOM}/log`)).text, logBefore, 'nothing logged');
  // Refusals.
  assert.equal((await p.request({ type: 'mic.status', state: 'loud' })).code, 'bad_request');
  assert.equal((await p.request({ type: 'mic.status' })).code, 'bad_request');
  assert.equal((await obs.request({ type: 'mic.status', state: 'ready' })).code, 'forbidden');
  const cap = await join(server, ROOM, { role: 'captioner', name: 'Kim', sub: 'm-kim' });
  assert.equal((await cap.request({ type: 'mic.status', state: 'ready' })).code, 'forbidden');
  const stranger = await Client.open(server);
  assert.equal((await stranger.request({ type: 'mic.status', state: 'ready' })).code, 'unauthorized');
  // A flood is rate limited like any session command.
  const replies = await Promise.all(
    Array.from({ length: 60 }, (_, i) => p.request({ type: 'mic.status', state: i % 2 ? 'muted' : 'ready' })),
  );
  assert.ok(replies.some((r) => r.code === 'rate_limited'));
  for (const c of [chair, p, obs, late, cap, stranger]) await c.close();
});

test('one role at a time: a second role for a connected person is conflict, observers included', async () => {
  const sub = 'two-hats';
  const asChair = await join(server, ROOM, { role: 'chair', name: 'Hat', sub });
  for (const role of ['participant', 'captioner', 'observer']) {
    const c = await Client.open(server);
    const r = await c.request({ type: 'join', room: ROOM, token: token({ room: ROOM, role, name: 'Hat', sub }) });
    assert.equal(r.code, 'conflict', `chair then ${role}: ${JSON.stringify(r)}`);
    await c.close();
  }
  // The same role again is a second device, welcome.
  const again = await join(server, ROOM, { role: 'chair', name: 'Hat', sub });
  await again.close();
  await asChair.ok({ type: 'leave' });
  await asChair.close();
  // Observer first, then another role.
  const watcher = await join(server, ROOM, { role: 'observer', name: 'Watcher', sub: 'watcher' });
  const c = await Client.open(server);
  const r = await c.request({ type: 'join', room: ROOM, token: token({ room: ROOM, role: 'participant', name: 'Watcher', sub: 'watcher' }) });
  assert.equal(r.code, 'conflict', JSON.stringify(r));
  assert.match(r.message, /another role/);
  // Once the observer has gone, the other role may join.
  await watcher.close();
  const ok = await c.request({ type: 'join', room: ROOM, token: token({ room: ROOM, role: 'participant', name: 'Watcher', sub: 'watcher' }) });
  assert.equal(ok.type, 'ack', JSON.stringify(ok));
  await c.close();
});
