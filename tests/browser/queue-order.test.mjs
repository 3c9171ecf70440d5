// The web client folds queue events into the order people see (web-client/js/queue-order.js)
// and must agree with the server's queue_order() at every step. Random raises (all kinds,
// groups and locations), lowers, chair additions, removals, moves, grants, policy changes and
// floor ends go to the real server; after each, the client's fold is compared with the
// order in a fresh snapshot. No browser needed: the module is plain JavaScript.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, join, token } from '../integration/harness.mjs';
import { applyQueue, order, seed } from '../../web-client/js/queue-order.js';

const ROOM = 'q';
let server;
before(async () => {
  // 250 random chair and participant commands go back to back, far faster than people act:
  // lift the per-connection limits (docs/protocol.md, Limits), which are not under test here.
  const open = { per_s: 100000, burst: 100000 };
  const ws_limits = Object.fromEntries(['session', 'queue', 'sense', 'chair', 'caption', 'join_per_address'].map((k) => [k, open]));
  server = await startServer({ config: { rooms: [{ id: ROOM, title: 'Queue', public_observers: true }], ws_limits } });
});
after(async () => server?.cleanup());

// A small deterministic PRNG, so a failure can be replayed.
function prng(seedValue) {
  let x = seedValue >>> 0 || 1;
  return () => ((x = (x * 1103515245 + 12345) >>> 0) / 2 ** 32);
}

test('the client’s queue order matches the server’s after every event', async () => {
  const rand = prng(20261122);
  const pick = (a) => a[Math.floor(rand() * a.length)];
  const chair = await join(server, ROOM, { role: 'chair', name: 'Chair', sub: 'chair', group: 'technical' });
  await chair.ok({ type: 'session.start' });
  const groups = ['government', 'civil_society', 'technical', 'academia', ''];
  const people = [];
  for (let i = 0; i < 8; i++) {
    const location = i % 3 === 0 ? 'room' : 'remote';
    const tok = token({ room: ROOM, role: 'participant', name: `P${i}`, sub: `p${i}`, group: groups[i % groups.length], location });
    people.push(await join(server, ROOM, { token: tok }));
  }
  const watcher = await join(server, ROOM, { anonymous: true, name: 'watcher' });
  const q = seed(watcher.ack.state.queue);
  let seen = watcher.ack.seq;
  let seededLater = null;
  let seededAgree = 0, seededChecks = 0;

  const foldNew = () => {
    for (const m of watcher.messages) {
      if (m.type !== 'event' || m.seq <= seen) continue;
      seen = m.seq;
      for (const model of [q, seededLater]) if (model) applyQueue(model, m.kind, m.data, m.ts);
    }
  };
  const serverOrder = async () => {
    const c = await join(server, ROOM, { anonymous: true });
    const st = c.ack.state.queue;
    await c.close();
    return st;
  };

  const kinds = ['speak', 'speak', 'speak', 'point_of_order', 'clarify', 'reply'];
  const policies = ['fifo', 'groups_round_robin', 'alternate_location'];
  for (let step = 0; step < 250; step++) {
    const st = await serverOrder();
    const waiting = st.entries;
    const r = rand();
    let cmd, who = chair;
    if (r < 0.35) [who, cmd] = [pick(people), { type: 'queue.raise', kind: pick(kinds) }];
    else if (r < 0.42) [who, cmd] = [pick(people), { type: 'queue.lower' }];
    else if (r < 0.5) cmd = { type: 'queue.add', name: `Room speaker ${step}`, group: pick(groups), kind: pick(kinds) };
    else if (r < 0.55 && waiting.length) cmd = { type: 'queue.remove', entry: pick(waiting).entry };
    else if (r < 0.68 && waiting.length) cmd = { type: 'queue.move', entry: pick(waiting).entry, position: Math.floor(rand() * waiting.length) };
    else if (r < 0.8) cmd = { type: 'queue.next' };
    else if (r < 0.85 && waiting.length) cmd = { type: 'queue.grant', entry: pick(waiting).entry };
    else if (r < 0.92) cmd = { type: 'queue.policy', policy: pick(policies) };
    else if (r < 0.96) cmd = { type: 'floor.end' };
    else cmd = { type: st.open ? 'queue.close' : 'queue.open' };
    const reply = await who.request(cmd);
    const after = await serverOrder();
    // The watcher has every event of the command by now (events precede their ack, and
    // the fresh snapshot was taken after the ack).
    await watcher.request({ type: 'ping' });
    foldNew();
    const ids = (list) => list.map((e) => e.entry).join(',');
    assert.equal(ids(order(q)), ids(after.entries), `step ${step}: ${JSON.stringify(cmd)} -> ${JSON.stringify(reply)}`);
    assert.equal(q.floor?.entry ?? null, after.floor?.entry ?? null, `floor at step ${step}`);
    assert.equal(q.open, after.open);
    assert.equal(q.policy, after.policy);
    if (seededLater) {
      seededChecks++;
      seededAgree += ids(order(seededLater)) === ids(after.entries) ? 1 : 0;
    }
    // Half-way, a client that joins late seeds its history from the snapshot alone.
    if (step === 125) seededLater = seed(after, null);
  }
  // The snapshot does not carry the history behind the order (which group spoke when, the
  // last floor's location, whether the chair's order is in force), so a late joiner can only
  // infer it; this adversarial mix of policies and moves is its worst case.
  console.log(`a client seeded mid-way agreed with the server ${seededAgree} of ${seededChecks} times`);
  assert.ok(seededAgree >= seededChecks * 0.7, `${seededAgree} of ${seededChecks}`);
  for (const c of [chair, watcher, ...people]) await c.close();
});
