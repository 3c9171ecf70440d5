// Issue 13, the WebSocket limits: every command class has a token bucket per connection
// (docs/protocol.md "Limits"). A client flooding raise/lower gets rate_limited after the
// burst, and what it was refused never reaches the log; other people are not affected.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, createRoom, join, http } from './harness.mjs';

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server.cleanup();
});

let n = 0;
const freshRoom = async (srv) => {
  const room = `lim${++n}`;
  await createRoom(srv, room);
  const chair = await join(srv, room, { role: 'chair', name: 'Chair', sub: `${room}-chair` });
  await chair.ok({ type: 'session.start' });
  return { room, chair };
};

// Sends count alternating raise/lower at once, without waiting; every one is answered.
const flood = async (client, count) => {
  const sent = [];
  for (let i = 0; i < count; i++) sent.push(client.request({ type: i % 2 ? 'queue.lower' : 'queue.raise' }));
  const answers = await Promise.all(sent);
  return {
    acked: answers.filter((a) => a.type === 'ack').length,
    limited: answers.filter((a) => a.type === 'error' && a.code === 'rate_limited'),
    other: answers.filter((a) => a.type !== 'ack' && a.code !== 'rate_limited'),
  };
};

const queueLines = async (srv, room, pid) => {
  const log = (await http(srv, 'GET', `/api/rooms/${room}/log`)).text;
  return log
    .split('\n')
    .filter((l) => /"queue\.(raised|lowered)"/.test(l) && l.includes(`"${pid}"`)).length;
};

test('a flood of raise/lower from one connection is rate_limited after the burst; the log holds only what was acked', async () => {
  const { room } = await freshRoom(server);
  const spammer = await join(server, room, { role: 'participant', name: 'Spam', sub: 'spam1' });
  const r = await flood(spammer, 200);
  assert.deepEqual(r.other, []);
  assert.ok(r.limited.length > 0, 'some commands are refused');
  assert.ok(r.acked >= 20, `the burst of 20 goes through (acked ${r.acked})`);
  assert.ok(r.acked < 200);
  for (const e of r.limited) assert.match(e.message, /queue.*retry in \d+ ms/);
  assert.equal(await queueLines(server, room, 'spam1'), r.acked);
});

test("another connection's commands in the same room are unaffected by one that floods", async () => {
  const { room } = await freshRoom(server);
  const spammer = await join(server, room, { role: 'participant', name: 'Spam', sub: 'spam2' });
  const calm = await join(server, room, { role: 'participant', name: 'Calm', sub: 'calm2' });
  const r = await flood(spammer, 200);
  assert.ok(r.limited.length > 0, 'the flooder is refused');
  // Well within the calm person's own burst: every one is acked.
  for (let i = 0; i < 5; i++) {
    await calm.ok({ type: 'queue.raise' });
    await calm.ok({ type: 'queue.lower' });
  }
  assert.equal(await queueLines(server, room, 'calm2'), 10);
});

test('ws_limits in the configuration changes a class and the joins per address', async () => {
  const srv = await startServer({
    // limit_loopback: the test's clients are on loopback, which is otherwise a local proxy.
    config: { limit_loopback: true, ws_limits: { queue: { per_s: 1, burst: 3 }, join_per_address: { per_s: 1, burst: 4 } } },
  });
  try {
    const { room } = await freshRoom(srv); // one join from 127.0.0.1
    const p = await join(srv, room, { role: 'participant', name: 'P', sub: 'p3' }); // two
    const r = await flood(p, 12);
    assert.ok(r.acked >= 3 && r.acked < 12, `acked ${r.acked}`);
    assert.ok(r.limited.length > 0);
    assert.equal(await queueLines(srv, room, 'p3'), r.acked);
    // Joins: a burst of 4 from this address, two used above; six more cannot all pass.
    let refused = null;
    for (let i = 0; i < 6 && !refused; i++) {
      try {
        await join(srv, room, { anonymous: true });
      } catch (e) {
        refused = e.message;
      }
    }
    assert.match(refused || '', /rate_limited.*join from this address/);
  } finally {
    await srv.cleanup();
  }
});
