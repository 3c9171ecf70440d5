// Issue 4: the speaking queue and the floor through the real server -- six people in
// four stakeholder groups, every rule of PROTOCOL.md "Speaking queue and floor".
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, createRoom, join, http, sleep } from './harness.mjs';

let server;
let n = 0;
before(async () => {
  server = await startServer({ grace: 1 });
});
after(async () => {
  await server.cleanup();
});

// A fresh room with a chair and six participants across four groups.
let room, chair, people;
beforeEach(async () => {
  room = `q${++n}`;
  await createRoom(server, room);
  chair = await join(server, room, { role: 'chair', name: 'Chair', sub: `${room}-chair`, group: 'technical' });
  await chair.ok({ type: 'session.start' });
  const defs = [
    ['gov1', 'Gita', 'government'],
    ['gov2', 'Gustav', 'government'],
    ['civ1', 'Chen', 'civil_society'],
    ['civ2', 'Carla', 'civil_society'],
    ['biz1', 'Bola', 'private_sector'],
    ['aca1', 'Amaru', 'academia'],
  ];
  people = {};
  for (const [sub, name, group] of defs) people[sub] = await join(server, room, { role: 'participant', name, sub, group });
});

const order = async () => {
  const obs = await join(server, room, { anonymous: true });
  const q = obs.ack.state.queue;
  await obs.close();
  return q;
};
const names = (q) => q.entries.map((e) => e.name);
const next = async () => {
  const from = chair.messages.length;
  await chair.ok({ type: 'queue.next' });
  return (await chair.event('floor.granted', { from })).data;
};

test('raise and lower: one entry each, lowering and raising again goes to the back', async () => {
  const { gov1, civ1, biz1 } = people;
  const r = await gov1.ok({ type: 'queue.raise' });
  assert.equal(typeof r.entry, 'number');
  const ev = await chair.event('queue.raised');
  assert.deepEqual(
    { pid: ev.data.pid, name: ev.data.name, group: ev.data.group, location: ev.data.location, kind: ev.data.kind },
    { pid: 'gov1', name: 'Gita', group: 'government', location: 'remote', kind: 'speak' },
  );
  assert.equal((await gov1.request({ type: 'queue.raise' })).code, 'conflict');
  await civ1.ok({ type: 'queue.raise' });
  await biz1.ok({ type: 'queue.raise' });
  assert.deepEqual(names(await order()), ['Gita', 'Chen', 'Bola']);
  await gov1.ok({ type: 'queue.lower' });
  const lowered = await chair.event('queue.lowered');
  assert.equal(lowered.data.pid, 'gov1');
  assert.equal((await gov1.request({ type: 'queue.lower' })).code, 'not_found');
  await gov1.ok({ type: 'queue.raise' });
  assert.deepEqual(names(await order()), ['Chen', 'Bola', 'Gita']);
  assert.equal((await gov1.request({ type: 'queue.raise', kind: 'shout' })).code, 'bad_request');
  assert.equal((await gov1.request({ type: 'queue.raise', kind: 7 })).code, 'bad_request');
});

test('fifo, points of order first, then clarify and reply, then speak', async () => {
  const { gov1, gov2, civ1, civ2, biz1, aca1 } = people;
  await gov1.ok({ type: 'queue.raise' });
  await civ1.ok({ type: 'queue.raise', kind: 'reply' });
  await biz1.ok({ type: 'queue.raise' });
  await aca1.ok({ type: 'queue.raise', kind: 'point_of_order' });
  await gov2.ok({ type: 'queue.raise', kind: 'clarify' });
  await civ2.ok({ type: 'queue.raise', kind: 'point_of_order' });
  assert.deepEqual(names(await order()), ['Amaru', 'Carla', 'Chen', 'Gustav', 'Gita', 'Bola']);
  const got = [];
  for (let i = 0; i < 6; i++) {
    const f = await next();
    got.push([f.name, f.policy]);
  }
  assert.deepEqual(got, [
    ['Amaru', 'point_of_order'], ['Carla', 'point_of_order'], ['Chen', 'fifo'], ['Gustav', 'fifo'],
    ['Gita', 'fifo'], ['Bola', 'fifo'],
  ]);
  assert.equal((await chair.request({ type: 'queue.next' })).code, 'conflict');
});

test('the floor starting never clears anyone else; the holder cannot queue', async () => {
  const { gov1, civ1 } = people;
  await gov1.ok({ type: 'queue.raise' });
  await civ1.ok({ type: 'queue.raise' });
  const f = await next();
  assert.equal(f.pid, 'gov1');
  assert.deepEqual(names(await order()), ['Chen']);
  assert.equal((await gov1.request({ type: 'queue.raise' })).code, 'conflict');
  const st = await order();
  assert.equal(st.floor.pid, 'gov1');
});

test('groups_round_robin: the group that spoke least recently, never-spoken groups first', async () => {
  const { gov1, gov2, civ1, civ2, biz1, aca1 } = people;
  await chair.ok({ type: 'queue.policy', policy: 'groups_round_robin' });
  // History: government speaks first.
  await gov1.ok({ type: 'queue.raise' });
  assert.equal((await next()).pid, 'gov1');
  await chair.ok({ type: 'floor.end' });
  // Now government (again), civil society twice, private sector, academia wait.
  await gov2.ok({ type: 'queue.raise' });
  await civ1.ok({ type: 'queue.raise' });
  await civ2.ok({ type: 'queue.raise' });
  await biz1.ok({ type: 'queue.raise' });
  await aca1.ok({ type: 'queue.raise' });
  assert.deepEqual(names(await order()), ['Chen', 'Bola', 'Amaru', 'Gustav', 'Carla']);
  const got = [];
  for (let i = 0; i < 5; i++) {
    const f = await next();
    got.push([f.pid, f.policy]);
  }
  assert.deepEqual(got, [
    ['civ1', 'groups_round_robin'], ['biz1', 'groups_round_robin'], ['aca1', 'groups_round_robin'],
    ['gov2', 'groups_round_robin'], ['civ2', 'groups_round_robin'],
  ]);
});

test('alternate_location alternates in-room and remote speakers when both wait', async () => {
  const { gov1, civ1 } = people;
  await chair.ok({ type: 'queue.policy', policy: 'alternate_location' });
  await gov1.ok({ type: 'queue.raise' });
  await civ1.ok({ type: 'queue.raise' });
  await chair.ok({ type: 'queue.add', name: 'Room mic 1', group: 'intergovernmental' });
  await chair.ok({ type: 'queue.add', name: 'Room mic 2' });
  const got = [];
  for (let i = 0; i < 4; i++) got.push((await next()).location);
  assert.deepEqual(got, ['remote', 'room', 'remote', 'room']);
});

test('chair edits: add in-room, move, remove, grant; stale entries are not_found', async () => {
  const { gov1, civ1, biz1 } = people;
  const a = await gov1.ok({ type: 'queue.raise' });
  const b = await civ1.ok({ type: 'queue.raise' });
  await biz1.ok({ type: 'queue.raise' });
  const added = await chair.ok({ type: 'queue.add', name: 'Delegate at mic 3', group: 'intergovernmental', kind: 'clarify' });
  const raised = chair.events('queue.raised').at(-1);
  assert.equal(raised.data.pid, null);
  assert.equal(raised.data.location, 'room');
  assert.deepEqual(names(await order()), ['Delegate at mic 3', 'Gita', 'Chen', 'Bola']);
  // The queue may be closed, and then only points of order (and the chair's additions) go in.
  await chair.ok({ type: 'queue.close' });
  await chair.event('queue.closed');
  assert.equal((await people.aca1.request({ type: 'queue.raise' })).code, 'conflict');
  await people.aca1.ok({ type: 'queue.raise', kind: 'point_of_order' });
  await chair.ok({ type: 'queue.add', name: 'Late room speaker' });
  await chair.ok({ type: 'queue.open' });
  await chair.ok({ type: 'queue.remove', entry: b.entry });
  assert.equal((await chair.event('queue.removed')).data.entry, b.entry);
  assert.equal((await chair.request({ type: 'queue.remove', entry: b.entry })).code, 'not_found');
  assert.equal((await chair.request({ type: 'queue.move', entry: 9999, position: 0 })).code, 'not_found');
  assert.equal((await chair.request({ type: 'queue.move', entry: a.entry, position: 99 })).code, 'bad_request');
  assert.equal((await chair.request({ type: 'queue.move', entry: a.entry })).code, 'bad_request');
  await chair.ok({ type: 'queue.move', entry: a.entry, position: 0 });
  assert.deepEqual((await chair.event('queue.moved')).data, { entry: a.entry, position: 0 });
  const moved = await order();
  assert.equal(moved.entries[0].pid, 'gov1');
  assert.equal(moved.chair_order, true, 'the snapshot says the chair\'s order is in force');
  const f = await next();
  assert.deepEqual([f.pid, f.policy], ['gov1', 'chair']);
  const from = chair.messages.length;
  await chair.ok({ type: 'queue.grant', entry: added.entry });
  const ended = await chair.event('floor.ended', { from });
  assert.deepEqual([ended.data.pid, ended.data.reason], ['gov1', 'chair']);
  const granted = await chair.event('floor.granted', { from });
  assert.deepEqual([granted.data.name, granted.data.pid, granted.data.policy], ['Delegate at mic 3', null, 'chair']);
  assert.equal((await chair.request({ type: 'queue.grant', entry: added.entry })).code, 'not_found');
  assert.equal((await chair.request({ type: 'queue.grant', entry: 'x' })).code, 'bad_request');
});

test('the floor clock: a 2 s auto_end floor ends with reason time', async () => {
  const { gov1 } = people;
  await chair.ok({ type: 'queue.policy', time_limit_s: 2, auto_end: true });
  const pol = await chair.event('queue.policy');
  assert.deepEqual(pol.data, { policy: 'fifo', time_limit_s: 2, auto_end: true });
  await gov1.ok({ type: 'queue.raise' });
  const started = Date.now();
  const f = await next();
  assert.equal(f.limit_s, 2);
  const mic = await gov1.next((m) => m.type === 'private' && m.kind === 'mic' && m.data.open === true);
  assert.ok(mic);
  const warning = await gov1.next((m) => m.type === 'live' && m.kind === 'floor.warning');
  assert.ok(warning.data.remaining_s <= 2);
  const ended = await gov1.event('floor.ended', { timeout: 6000 });
  const took = Date.now() - started;
  assert.equal(ended.data.reason, 'time');
  assert.ok(took >= 1900 && took < 4000, `ended after ${took} ms`);
  assert.ok(ended.data.duration_ms >= 1900 && ended.data.duration_ms < 3500, `${ended.data.duration_ms}`);
  await gov1.next((m) => m.type === 'private' && m.kind === 'mic' && m.data.open === false);
});

test('the 30 s warning and extension', async () => {
  const { civ1 } = people;
  await chair.ok({ type: 'queue.policy', time_limit_s: 31, auto_end: true });
  await civ1.ok({ type: 'queue.raise' });
  await next();
  const warning = await chair.next((m) => m.type === 'live' && m.kind === 'floor.warning', { timeout: 4000 });
  assert.ok(warning.data.remaining_s >= 29 && warning.data.remaining_s <= 30, JSON.stringify(warning.data));
  await chair.ok({ type: 'floor.extend', seconds: 60 });
  const ext = await chair.event('floor.extended');
  assert.equal(ext.data.limit_s, 91);
  assert.equal((await chair.request({ type: 'floor.extend', seconds: 0 })).code, 'bad_request');
  assert.equal((await chair.request({ type: 'floor.extend' })).code, 'bad_request');
  const st = await order();
  assert.equal(st.floor.limit_s, 91);
  await chair.ok({ type: 'floor.end' });
  assert.equal((await chair.request({ type: 'floor.extend', seconds: 5 })).code, 'conflict');
  assert.equal((await chair.request({ type: 'floor.end' })).code, 'conflict');
});

test('leaving for good removes the entry or ends the floor with reason left', async () => {
  const { gov1, civ1 } = people;
  await gov1.ok({ type: 'queue.raise' });
  await civ1.ok({ type: 'queue.raise' });
  await next();
  let from = chair.messages.length;
  await gov1.ok({ type: 'leave' });
  const ended = await chair.event('floor.ended', { from });
  assert.deepEqual([ended.data.pid, ended.data.reason], ['gov1', 'left']);
  await chair.next((m) => m.kind === 'participant.left' && m.data.pid === 'gov1', { from });
  from = chair.messages.length;
  await civ1.terminate();
  const removed = await chair.event('queue.removed', { from, timeout: 5000 });
  const left = await chair.next((m) => m.kind === 'participant.left' && m.data.pid === 'civ1', { from, timeout: 5000 });
  assert.ok(removed.seq < left.seq);
  assert.equal(left.data.pid, 'civ1');
});

test('speaking-time statistics in record.json and record.txt', async () => {
  const { gov1, gov2, civ1, biz1 } = people;
  for (const who of [gov1, civ1, gov2, biz1]) {
    await who.ok({ type: 'queue.raise' });
    await next();
    await sleep(120);
    await chair.ok({ type: 'floor.end' });
  }
  await room_in_room_floor();
  const rec = (await http(server, 'GET', `/api/rooms/${room}/record.json`)).json;
  const st = rec.statistics;
  const gov = st.groups.find((g) => g.group === 'government');
  assert.equal(gov.interventions, 2);
  assert.ok(gov.total_ms >= 200);
  assert.ok(gov.median_ms >= 100);
  assert.ok('mean_wait_ms' in gov);
  const person = st.persons.find((p) => p.pid === 'gov1');
  assert.equal(person.interventions, 1);
  const remote = st.locations.find((l) => l.location === 'remote');
  const inRoom = st.locations.find((l) => l.location === 'room');
  assert.equal(remote.interventions, 4);
  assert.equal(inRoom.interventions, 1);
  assert.equal(rec.floors.length, 5);
  assert.ok(rec.floors.every((f) => f.policy && f.started && f.ended && typeof f.duration_ms === 'number'));
  const txt = (await http(server, 'GET', `/api/rooms/${room}/record.txt`)).text;
  assert.match(txt, /Speaking time/);
  assert.match(txt, /Government: 2 interventions/); // words, not wire names (issue 18)
});

async function room_in_room_floor() {
  await chair.ok({ type: 'queue.add', name: 'Room speaker', group: 'academia' });
  await next();
  await chair.ok({ type: 'floor.end' });
}
