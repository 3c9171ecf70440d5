// Issue 15: the batched fan-out. plenaryd writes every message a connection has queued
// as consecutive WebSocket frames in one write (gateway/wsbatch.c). Here 200 participants
// join at once and raise hands while a chair moves the queue and observers watch, over
// ws:// and over wss://: every observer must get every event of the record exactly once,
// in seq order, each a message of its own that parses as one JSON object (the ws client
// checks every frame's header, and fails the connection on a malformed one).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as pathJoin } from 'node:path';
import WebSocket from 'ws';
import { startServer, Client, jwt, nowS, http } from './harness.mjs';
import { makeCa, makeLeaf } from './testpki.mjs';

const ROOM = 'plenary';
const NAME = 'plenary.test';
const JOINERS = 200;
const OBSERVERS = 6;
const tmp = mkdtempSync(pathJoin(tmpdir(), 'plenary-fanout-'));
let ca;

before(() => {
  ca = makeCa(tmp);
});

after(() => {
  rmSync(tmp, { recursive: true, force: true });
});

function tok(role, sub) {
  return jwt({ room: ROOM, role, name: `Name ${sub}`, sub, exp: nowS() + 3600 });
}

async function open(server, tls) {
  const ws = new WebSocket(server.wsUrl, ['plenary.v1'], tls ? { ca: ca.pem, servername: NAME } : {});
  const c = new Client(ws);
  c.errors = [];
  ws.on('error', (e) => c.errors.push(e.message));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  // The raw frames are written as plenaryd frames them: no extension may be in play.
  assert.equal(ws.extensions, '', 'no permessage-deflate');
  ws.on('message', (data, isBinary) => {
    if (isBinary) c.errors.push('a binary message');
  });
  return c;
}

async function joinAs(server, tls, role, sub) {
  const c = await open(server, tls);
  c.ack = await c.ok({ type: 'join', room: ROOM, token: tok(role, sub) }, { timeout: 30000 });
  return c;
}

// The room's record as plenaryd wrote it: seq -> kind.
function record(server) {
  const lines = readFileSync(pathJoin(server.dataDir, 'rooms', `${ROOM}.jsonl`), 'utf8').split('\n');
  const kinds = new Map();
  for (const line of lines.filter(Boolean)) {
    const rec = JSON.parse(line);
    kinds.set(rec.seq, rec.kind);
  }
  return kinds;
}

async function crowd(tls) {
  const dir = mkdtempSync(pathJoin(tmp, 'run-'));
  const opts = { config: { rooms: [{ id: ROOM, title: 'Fan-out' }] } };
  if (tls) {
    const leaf = makeLeaf(ca, `leaf-${Date.now()}`, NAME, `DNS:${NAME}`);
    Object.assign(opts, { tls: true, args: ['--tls-cert', leaf.cert, '--tls-key', leaf.key], dataDir: dir });
  }
  const server = await startServer(opts);
  const all = [];
  try {
    const chair = await joinAs(server, tls, 'chair', 'chair');
    all.push(chair);
    await chair.ok({ type: 'session.start' });
    const observers = [];
    for (let i = 0; i < OBSERVERS; i++) observers.push(await joinAs(server, tls, 'observer', `obs-${i}`));
    all.push(...observers);

    // Everyone at once; each raises a hand as soon as it is in, and the chair moves the
    // queue meanwhile (within its rate limit, 20/s), so joins, raises and grants
    // interleave in the same flushes.
    let moving = true;
    const mover = (async () => {
      while (moving) {
        const r = await chair.request({ type: 'queue.next' }, { timeout: 30000 });
        assert.ok(r.type === 'ack' || r.code === 'conflict', JSON.stringify(r));
        await new Promise((resolve) => setTimeout(resolve, 60));
      }
    })();
    const joiners = await Promise.all(
      Array.from({ length: JOINERS }, async (_, i) => {
        const c = await joinAs(server, tls, 'participant', `p-${i}`);
        await c.ok({ type: 'queue.raise' }, { timeout: 30000 });
        return c;
      }),
    );
    all.push(...joiners);
    moving = false;
    await mover;
    // The last event of the run, acked after everything before it is durable.
    await chair.ok({ type: 'queue.next' }, { timeout: 30000 });
    const kinds = record(server);
    const head = Math.max(...kinds.keys());
    const joinedSeqs = [...kinds].filter(([, k]) => k === 'participant.joined').length;
    assert.ok(joinedSeqs >= JOINERS, `the record holds ${joinedSeqs} joins`);
    for (const o of observers) {
      await o.next((m) => m.type === 'event' && m.seq === head, { timeout: 30000 });
      assert.deepEqual(o.errors, []);
      assert.equal(o.closed, null);
      const unparseable = o.messages.filter((m) => m.type === '__unparseable');
      assert.deepEqual(unparseable, [], 'every message is one JSON object');
      const seqs = o.events().map((e) => e.seq);
      const want = [];
      for (let s = o.ack.seq + 1; s <= head; s++) want.push(s);
      assert.deepEqual(seqs, want, 'every event once, in seq order');
      for (const e of o.events()) assert.equal(e.kind, kinds.get(e.seq), `seq ${e.seq}`);
      const joined = o.events('participant.joined').length;
      assert.ok(joined >= JOINERS, `${joined} participant.joined seen`);
    }
    // The joiners too: each saw the events after its own ack, in order, none twice.
    for (const c of joiners) {
      const seqs = c.events().map((e) => e.seq);
      assert.ok(seqs.every((s, i) => s === c.ack.seq + 1 + i), `after ${c.ack.seq}: ${seqs}`);
      assert.deepEqual(c.errors, []);
    }
    if (!tls) {
      // Batched: fewer writes than messages (fetch cannot be given the test's CA for wss).
      const metrics = (await http(server, 'GET', '/metrics')).text;
      const count = (name) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(metrics)[1]);
      const sent = count('plenary_ws_messages_sent_total');
      const writes = count('plenary_ws_writes_total');
      assert.ok(writes > 0 && writes < sent, `${writes} writes for ${sent} messages`);
      // Most written before the loop waited, not from a writable callback (ws.c).
      const direct = count('plenary_ws_direct_writes_total');
      assert.ok(direct > 0 && direct <= writes, `${direct} of ${writes} writes direct`);
    }
  } finally {
    for (const c of all) c.terminate();
    await server.cleanup();
  }
}

test(`${JOINERS} participants join and raise hands at once: observers over ws:// get every event once, in order`, () =>
  crowd(false));

test(`the same over wss:// (plenaryd's own TLS)`, () => crowd(true));
