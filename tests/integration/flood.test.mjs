// Issue 13's flood test: a live meeting stays responsive while other clients flood the
// server, one kind of flood at a time. A probe (a chair, on 127.0.0.1) sends commands
// whose acks each wait for an fsync of the room's log, one after the other, and times
// them: first with nothing else going on, then during each flood. The attackers run in a
// worker thread (flood_worker.mjs), each flood from its own loopback address, against the
// server's default limits -- only limit_loopback is set, so loopback addresses are
// limited as real clients' are (docs/protocol.md "Limits").
//
// Per flood: the limits answered (rate_limited, 429, 413, refused connections), and the
// probe's p99 stayed within max(2 x quiet p99, quiet p99 + 5 ms), the quiet run being the
// one measured just before that flood. The absolute floor is
// there because a quiet p99 of a millisecond or two is mostly scheduling and fsync noise on
// a shared two-core machine: doubling noise is not a measure of the server. The numbers
// are printed as a table.
//
// The probe's command is the chair's queue.policy (alternating time_limit_s), not a
// participant's raise/lower pair: a participant may send 5 queue commands a second, which
// would make a few hundred samples take minutes; a chair may send 20 a second per
// connection, and the probe spreads its commands over 12 connections, paced to stay
// well inside its own limits (a rate_limited answer to the probe fails the test).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as pathJoin } from 'node:path';
import { startServer, createRoom, jwt, nowS, http, join, sleep } from './harness.mjs';

// Under ThreadSanitizer (scripts/check/tsan.sh sets PLENARY_SANITIZER=thread) the floods
// run for what TSan looks for -- races under load -- and the limits must still answer, but
// the latency bound is not asserted: TSan slows memory-heavy work (copying a megabyte of
// export) far more than an fsync, so the ratio would measure TSan, not the server. The
// normal and the ASan+UBSan builds (make test) assert it.
const TIMING_UNDER_TEST = process.env.PLENARY_SANITIZER !== 'thread';
const SAMPLES = 400;
const PROBE_CONNS = 12;
const PROBE_GAP_MS = 8; // at most ~120 commands a second across 12 connections
const FLOOR_MS = 5;
const BIG_EVENTS = 4000;

// A flood whose p99 is over the bound is measured again (with a fresh quiet run), up to
// ATTEMPTS times: the other processes on a shared machine stall a run now and then, and a
// stall the server causes shows in every attempt, not one in three.
// An attempt counts only if its quiet run was itself quiet -- p99 within
// max(3 x the first quiet run's, that + 10 ms) -- so a machine busy with something else
// cannot pass a flood by inflating the bound.
const ATTEMPTS = 4;

const tok = (room, role, sub, extra = {}) =>
  jwt({ room, role, name: `Name ${sub}`, sub, group: 'civil_society', exp: nowS() + 3600, ...extra });

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}

// Builds the rooms with the limits lifted (this is setup, not what is measured): "probe"
// and "other" live, "big" with thousands of events in its log.
async function build(dataDir) {
  const lifted = { per_s: 100000, burst: 100000 };
  const server = await startServer({
    dataDir,
    config: { ws_limits: { session: lifted, queue: lifted, caption: lifted, chair: lifted, join_per_address: lifted } },
  });
  try {
    for (const id of ['probe', 'other', 'big']) await createRoom(server, id);
    for (const id of ['probe', 'other', 'big']) {
      const chair = await join(server, id, { token: tok(id, 'chair', 'chair') });
      await chair.ok({ type: 'session.start', title: `Session ${id}` });
      chair.close();
    }
    const chair = await join(server, 'big', { token: tok('big', 'chair', 'chair') });
    const cap = await join(server, 'big', { token: tok('big', 'captioner', 'cap') });
    const people = [];
    for (let i = 0; i < 40; i++) people.push(await join(server, 'big', { token: tok('big', 'participant', `p${i}`) }));
    for (const p of people) await p.ok({ type: 'queue.raise' });
    for (let i = 0; i < 40; i++) await chair.ok({ type: 'queue.next' });
    await chair.ok({ type: 'floor.end' });
    const pending = [];
    for (let i = 0; i < BIG_EVENTS; i++) {
      pending.push(cap.ok({ type: 'caption', lang: i % 3 ? 'en' : 'fr', text: `Caption number ${i} of a long meeting, said slowly.`, final: true }, { timeout: 60000 }));
      if (pending.length >= 200) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
    for (const c of [chair, cap, ...people]) c.close();
  } finally {
    await server.cleanup();
  }
}

// The probe: chairs of "probe" on PROBE_CONNS connections. Each sample is one command and
// its ack; an answer that is not an ack (rate_limited included) fails the run.
async function openProbe(server) {
  const conns = [];
  for (let i = 0; i < PROBE_CONNS; i++) conns.push(await join(server, 'probe', { token: tok('probe', 'chair', 'probe-chair') }));
  let n = 0;
  return {
    conns,
    async measure() {
      const times = [];
      for (let i = 0; i < SAMPLES; i++) {
        const c = conns[n % PROBE_CONNS];
        const t0 = process.hrtime.bigint();
        const r = await c.request({ type: 'queue.policy', time_limit_s: 100 + (n++ % 2) }, { timeout: 20000 });
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        if (r.type !== 'ack') throw new Error(`probe command refused: ${JSON.stringify(r)}`);
        times.push(ms);
        if (ms < PROBE_GAP_MS) await sleep(PROBE_GAP_MS - ms);
      }
      times.sort((a, b) => a - b);
      return { p50: percentile(times, 0.5), p99: percentile(times, 0.99), max: times[times.length - 1] };
    },
  };
}

// Starts one flood in a worker; resolves once its attackers are in place.
function startFlood(server, flood, params) {
  const worker = new Worker(new URL('./flood_worker.mjs', import.meta.url), {
    workerData: { port: server.port, flood, ...params },
  });
  const result = new Promise((resolve, reject) => {
    worker.on('message', (m) => {
      if (m.done) resolve(m.counts);
      if (m.error) reject(new Error(`${flood}: ${m.error}`));
    });
    worker.on('error', reject);
  });
  const ready = new Promise((resolve, reject) => {
    worker.on('message', (m) => m.ready && resolve(m));
    result.catch(reject);
  });
  return {
    ready,
    async stop() {
      worker.postMessage({ stop: true });
      const counts = await result;
      await worker.terminate();
      return counts;
    },
  };
}

// One flood, bracketed: the probe measured quiet just before it, then under it.
async function floodPhase(server, probe, f, calm) {
  // The quiet run is taken again (up to three times) while the machine is busy with
  // something else, so that the flood starts in a calm moment.
  let quiet = await probe.measure();
  for (let i = 0; i < 2 && quiet.p99 > calm; i++) quiet = await probe.measure();
  const bound = Math.max(2 * quiet.p99, quiet.p99 + FLOOR_MS);
  let hum;
  if (f.hum) hum = (await probe.conns[0].ok({ type: 'hum.start', question: 'Flood?', options: ['yes', 'no'] })).hum;
  const flood = startFlood(server, f.flood, f.params(hum));
  await flood.ready;
  await sleep(300); // past the buckets' bursts: the limits are answering
  let m, counts;
  try {
    m = await probe.measure();
  } finally {
    counts = await flood.stop();
  }
  if (f.hum) await probe.conns[0].ok({ type: 'hum.end', hum });
  return { f, quiet, m, bound, counts };
}

const FLOODS = [
  { name: 'raise/lower spam (same room)', flood: 'raise_lower', answered: (c) => c.limited > 0,
    params: () => ({ room: 'probe', tokens: [1, 2, 3].map((i) => tok('probe', 'participant', `spam${i}`)) }) },
  { name: 'caption spam (same + other room)', flood: 'captions', answered: (c) => c.limited > 0,
    params: () => ({ rooms: ['probe', 'other'], tokens: [tok('probe', 'captioner', 'capspam'), tok('other', 'captioner', 'capspam')] }) },
  { name: 'hum casts (same room)', flood: 'hums', answered: (c) => c.limited > 0, hum: true,
    params: (hum) => ({ room: 'probe', hum, tokens: [1, 2, 3].map((i) => tok('probe', 'participant', `hum${i}`)) }) },
  { name: 'join storm (same + other room)', flood: 'joins', answered: (c) => c.limited > 0,
    params: () => ({ rooms: ['other', 'probe'], tokens: Array.from({ length: 30 }, (_, i) => [tok('other', 'participant', `storm${i}`), tok('probe', 'participant', `storm${i}`)]) }) },
  { name: `exports of a ${BIG_EVENTS}-event room`, flood: 'exports', answered: (c) => c.limited > 0 && c.ok > 0,
    params: () => ({ paths: ['record.html', 'record.json', 'record.txt', 'record.vtt?lang=fr', 'record.vtt', 'polls.json', 'log'].map((p) => `/api/rooms/big/${p}`) }) },
  { name: 'CART caption posts (other room)', flood: 'cart', answered: (c) => c.limited > 0 && c.tooLarge > 0,
    params: () => ({ room: 'other', token: tok('other', 'captioner', 'cart') }) },
  { name: 'idle and slow HTTP connections', flood: 'idle', answered: (c) => c.refused > 0,
    params: () => ({ count: 600 }) },
];

test('a live room stays responsive under each flood (issue 13)', { timeout: 540000 }, async () => {
  const dataDir = mkdtempSync(pathJoin(tmpdir(), 'plenary-flood-'));
  let server;
  const probeConns = [];
  try {
    await build(dataDir);
    server = await startServer({ dataDir, config: { limit_loopback: true } });
    const big = await http(server, 'GET', '/api/rooms/big/record.json');
    assert.equal(big.status, 200);
    assert.ok(big.json.head.seq > BIG_EVENTS, `big room has ${big.json.head.seq} events`);
    const probe = await openProbe(server);
    probeConns.push(...probe.conns);
    await probe.measure(); // warm-up: connections, caches, the first fsyncs
    // The calmer of two quiet runs is the reference for what "calm" is on this machine.
    const runs = [await probe.measure(), await probe.measure()];
    const base = runs[0].p99 <= runs[1].p99 ? runs[0] : runs[1];
    const calm = Math.max(3 * base.p99, base.p99 + 10);
    const rows = [];
    const failures = [];
    const only = (process.env.PLENARY_FLOOD_ONLY || '').split(',').filter(Boolean);
    for (const f of FLOODS.filter((x) => !only.length || only.includes(x.flood))) {
      let passed = false;
      for (let attempt = 1; attempt <= ATTEMPTS && !passed; attempt++) {
        const row = await floodPhase(server, probe, f, calm);
        row.attempt = attempt;
        row.noisy = row.quiet.p99 > calm;
        rows.push(row);
        row.answered = f.answered(row.counts);
        passed = row.answered && (TIMING_UNDER_TEST ? !row.noisy && row.m.p99 <= row.bound : true);
        await sleep(500); // let the server drain what the flood left before the next one
      }
      if (!passed)
        failures.push(
          TIMING_UNDER_TEST
            ? `${f.name}: in none of ${ATTEMPTS} attempts did the limits answer with p99 within the bound after a calm quiet run`
            : `${f.name}: the limits did not answer`,
        );
    }
    const fmt = (x) => x.toFixed(2).padStart(8);
    const lines = [
      `probe: ${SAMPLES} x queue.policy (ack after fsync); bound = max(2 x quiet p99, quiet p99 + ${FLOOR_MS} ms)`,
      `first quiet run: p50 ${base.p50.toFixed(2)} ms, p99 ${base.p99.toFixed(2)} ms; a quiet run over ${calm.toFixed(2)} ms is noisy and its attempt does not count`,
      `${'flood'.padEnd(38)} try quiet p50/p99    p50 ms   p99 ms   max ms    bound  ok?     sent      ok limited  413 refused other`,
      ...rows.map(({ f, attempt, quiet: q, m, bound, noisy, answered, counts: c }) =>
        `${f.name.padEnd(38)} ${attempt}   ${fmt(q.p50)}/${fmt(q.p99).trim().padEnd(6)} ${fmt(m.p50)} ${fmt(m.p99)} ${fmt(m.max)} ${fmt(bound)} ${(noisy ? 'noisy' : !answered ? 'nolim' : m.p99 <= bound ? 'yes' : 'NO').padEnd(5)} ${String(c.sent).padStart(7)} ${String(c.ok).padStart(7)} ${String(c.limited).padStart(7)} ${String(c.tooLarge).padStart(4)} ${String(c.refused).padStart(7)} ${String(c.other).padStart(5)} ${JSON.stringify(c.others)}`),
    ];
    if (!TIMING_UNDER_TEST) lines.push('ThreadSanitizer build: the latency bound is shown, not asserted');
    console.log(lines.join('\n'));
    assert.deepEqual(failures, []);
    // The server is still whole: the probe's room answers and its record is served.
    assert.equal((await http(server, 'GET', '/api/rooms/probe/record.json')).status, 200);
  } finally {
    for (const c of probeConns) c.terminate();
    if (server) await server.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

