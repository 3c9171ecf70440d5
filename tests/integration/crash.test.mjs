// Issue 13: crash safety, proved. Under load from many connections (participants raising
// and lowering hands, a chair granting the floor, a captioner writing captions), plenaryd
// is killed with SIGKILL at a random moment and restarted on the same data directory, over
// and over. After each kill: everything any client was told (every event it received, and
// so every command it got an ack for) is in the log with the same seq and hash, every
// acknowledged caption's unique text is there, the chain verifies (`plenaryd verify`) with
// no seq gap, and after the restart every client joins again with its old resume key
// (keys do not survive a restart: resumed false, a snapshot at or past all it saw) and a
// resume within the new run replays what it missed.
//
// CRASH_TRIALS (default 50) and CRASH_SEED (default: random, printed) repeat a run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as pathJoin } from 'node:path';
import { startServer, createRoom, Client, jwt, nowS, sleep, PLENARYD } from './harness.mjs';

const TRIALS = Number(process.env.CRASH_TRIALS || 50);
const SEED = Number(process.env.CRASH_SEED || Math.floor(Math.random() * 2 ** 31));
const PARTICIPANTS = 10;
const ROOM = 'crash';

// mulberry32: a small seeded PRNG, so a failing run can be repeated with its seed.
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function tokenFor(role, sub) {
  return jwt({ room: ROOM, role, name: `Name ${sub}`, sub, exp: nowS() + 3600 });
}

// What the clients were told, across all trials: seq -> hash of every event received, and
// the text of every caption whose command was acknowledged.
function makeWitness() {
  return { events: new Map(), captions: new Set(), acks: 0, maxSeq: 0 };
}

function witnessEvent(w, m) {
  const known = w.events.get(m.seq);
  if (known !== undefined) assert.equal(known, m.hash, `two hashes told for seq ${m.seq}`);
  w.events.set(m.seq, m.hash);
  if (m.seq > w.maxSeq) w.maxSeq = m.seq;
}

async function connect(server, role, sub, w, prev) {
  const c = await Client.open(server);
  c.ws.on('message', (d) => {
    const m = JSON.parse(d.toString());
    if (m.type === 'event') witnessEvent(w, m);
  });
  c.ws.on('error', () => {});
  const msg = { type: 'join', room: ROOM, token: tokenFor(role, sub) };
  if (prev) msg.resume = { session: prev.session, since: prev.since };
  const ack = await c.request(msg);
  assert.equal(ack.type, 'ack', `join ${sub}: ${JSON.stringify(ack)}`);
  if (prev) {
    // The key died with the old process: a fresh snapshot, never one behind what was told.
    assert.equal(ack.resumed, false, 'resume keys do not survive a restart');
    assert.ok(ack.state.head.seq >= w.maxSeq, `snapshot at ${ack.state.head.seq}, a client saw ${w.maxSeq}`);
    assert.equal(ack.state.head.hash, w.events.get(ack.state.head.seq) ?? ack.state.head.hash);
  }
  c.sub = sub;
  c.session = ack.session;
  c.ack0 = ack.seq;
  return c;
}

// The trials need commands back to back from every connection, far past what the
// per-connection limits let a person send (docs/protocol.md, Limits): lift them, so a kill
// lands among many commands in flight.
const OPEN = { per_s: 100000, burst: 100000 };
const UNLIMITED = { ws_limits: Object.fromEntries(['session', 'queue', 'sense', 'chair', 'caption', 'join_per_address'].map((k) => [k, OPEN])) };

function lastSeq(c) {
  let s = c.ack0 || 0;
  for (const m of c.messages) if (m.type === 'event' && m.seq > s) s = m.seq;
  return s;
}

// Sends commands back to back until the socket closes; each ack counts.
async function loop(c, w, next) {
  for (let i = 0; !c.closed; i++) {
    const cmd = next(i);
    let r;
    try {
      r = await c.request(cmd, { timeout: 60000 });
    } catch {
      return; // the server died under it
    }
    if (r.type !== 'ack') continue;
    w.acks++;
    if (cmd.type === 'caption') w.captions.add(cmd.text);
    if (cmd.type === 'queue.raise') {
      // Its own event came before its ack.
      const own = c.messages.find((m) => m.type === 'event' && m.kind === 'queue.raised' && m.data.pid === c.sub && m.seq > (c.raisedSeen || 0));
      assert.ok(own, `${c.sub}: a raise acknowledged without its event`);
      c.raisedSeen = own.seq;
    }
  }
}

// The log as the next start will load it. A kill mid-write may leave a torn last line:
// never synced, so never acknowledged or sent to anyone, and cut by the next load
// (rooms/log_file.c). The strict verifier refuses a torn tail, so it checks the log up to
// the last newline, which is exactly what the server keeps; everything else must verify.
function readLog(dataDir) {
  const path = pathJoin(dataDir, 'rooms', `${ROOM}.jsonl`);
  const text = readFileSync(path, 'utf8');
  const whole = text.slice(0, text.lastIndexOf('\n') + 1);
  const copy = `${path}.verify-${process.pid}`;
  writeFileSync(copy, whole);
  const v = spawnSync(PLENARYD, ['verify', copy], { encoding: 'utf8' });
  rmSync(copy, { force: true });
  assert.equal(v.status, 0, `plenaryd verify: ${v.stdout}${v.stderr}`);
  assert.ok(text.length - whole.length < 65536, 'only a torn last line may follow the last newline');
  const lines = whole.split('\n');
  assert.equal(lines.pop(), '', 'the log ends with a newline');
  const events = lines.map((l) => JSON.parse(l));
  events.forEach((e, i) => assert.equal(e.seq, i + 1, 'no seq gap'));
  assert.match(v.stdout, new RegExp(`^ok seq=${events.length} `));
  return events;
}

function checkLog(events, w) {
  const bySeq = new Map(events.map((e) => [e.seq, e]));
  for (const [seq, hash] of w.events) {
    const e = bySeq.get(seq);
    assert.ok(e, `seq ${seq} was told to a client but is not in the log (${events.length} lines)`);
    assert.equal(e.hash, hash, `seq ${seq} in the log is not what a client was told`);
  }
  const texts = new Set(events.filter((e) => e.kind === 'caption').map((e) => e.data.text));
  for (const t of w.captions) assert.ok(texts.has(t), `acknowledged caption ${t} is not in the log`);
}

async function trial(n, dataDir, rand, w, keys) {
  const server = await startServer({ dataDir, grace: 600, config: UNLIMITED });
  const clients = [];
  try {
    if (n === 0) await createRoom(server, ROOM);
    const chair = await connect(server, 'chair', 'chair', w, keys.get('chair'));
    if (n === 0) await chair.ok({ type: 'session.start', title: 'Crash trials' });
    const cap = await connect(server, 'captioner', 'cap', w, keys.get('cap'));
    clients.push(chair, cap);
    for (let i = 0; i < PARTICIPANTS; i++) {
      const sub = `p${i}`;
      clients.push(await connect(server, 'participant', sub, w, keys.get(sub)));
    }
    // A resume within this run: a dropped participant gets every event it missed.
    const p0 = clients[2];
    const since = lastSeq(p0);
    await p0.terminate();
    await chair.ok({ type: 'queue.add', name: `Walk-in ${n}` });
    const again = await Client.open(server);
    again.ws.on('message', (d) => {
      const m = JSON.parse(d.toString());
      if (m.type === 'event') witnessEvent(w, m);
    });
    const r = await again.request({ type: 'join', room: ROOM, token: tokenFor('participant', 'p0'), resume: { session: p0.session, since } });
    assert.equal(r.resumed, true, `resume within a run after a crash: ${JSON.stringify(r).slice(0, 200)}`);
    const replayed = again.messages.filter((m) => m.type === 'event').map((m) => m.seq);
    assert.ok(replayed.length >= 1 && replayed[0] === since + 1, `replay from ${since + 1}: ${replayed}`);
    replayed.forEach((s, i) => assert.equal(s, since + 1 + i, 'replay in order, no gap'));
    again.sub = 'p0';
    again.session = r.session;
    again.ack0 = r.seq;
    clients[2] = again;

    // Load, then SIGKILL at a random moment.
    const loops = [
      loop(chair, w, () => ({ type: 'queue.next' })),
      loop(cap, w, (i) => ({ type: 'caption', lang: 'en', final: true, text: `t${n}-c${i}-${SEED}` })),
    ];
    for (const c of clients.slice(2)) loops.push(loop(c, w, (i) => ({ type: i % 2 ? 'queue.lower' : 'queue.raise' })));
    await sleep(100 + Math.floor(rand() * 250));
    server.proc.kill('SIGKILL');
    const exit = await server.exitPromise;
    assert.equal(exit.signal, 'SIGKILL');
    await Promise.all(clients.map((c) => c.closedPromise));
    await Promise.all(loops);
    for (const c of clients) keys.set(c.sub, { session: c.session, since: lastSeq(c) });
  } finally {
    await server.stop('SIGKILL');
  }
}

test(`SIGKILL under load, ${TRIALS} trials: nothing acknowledged is lost, the chain verifies, clients come back`, { timeout: 300000 }, async () => {
  console.log(`crash trials: ${TRIALS}, seed ${SEED} (CRASH_SEED=${SEED} repeats it)`);
  const rand = prng(SEED);
  const dataDir = mkdtempSync(pathJoin(tmpdir(), 'plenary-crash-'));
  const w = makeWitness();
  const keys = new Map();
  try {
    for (let n = 0; n < TRIALS; n++) {
      await trial(n, dataDir, rand, w, keys);
      const events = readLog(dataDir);
      checkLog(events, w);
    }
    const events = readLog(dataDir);
    console.log(`crash trials done: ${TRIALS} kills, ${w.acks} acks received, ${w.events.size} events seen, ${w.captions.size} captions acknowledged, log at seq ${events.length}`);
    assert.ok(w.captions.size > 0 && w.acks > TRIALS, 'the load did run');
    // A last clean run on the same data: the room is all there, and a clean stop is clean.
    const s = await startServer({ dataDir, grace: 600, config: UNLIMITED });
    try {
      const c = await connect(s, 'chair', 'chair', w, keys.get('chair'));
      assert.equal(c.messages.find((m) => m.type === 'ack').state.head.seq, events.length);
      await c.close();
    } finally {
      await s.cleanup();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
