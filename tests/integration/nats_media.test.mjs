// Issue 17, the sound between nodes (docs/scale.md "Sound between nodes"). The test runs
// its own three-node nats-server cluster on loopback ports (natscluster.mjs; it fails,
// never skips, without nats-server), an owner, a standby and an edge plenaryd, and
// plenary-load's peers (real WebRTC from tests/support, real Opus, onsets decoded):
//
// - the speaker on the owner, the listeners on the edge (--listen-url): every listener
//   hears the owner's stream, encoded once there, carried over core NATS and encrypted
//   per listener on the edge; the owner published it and the edge received it
//   (plenary_relay_* in /metrics); the edge's listen.ogg carries it as Ogg pages;
// - an interpreter on the owner, French listeners on the edge: the edge makes the French
//   channel's own stream and recording from the relayed channel frames (listen.ogg?lang=fr
//   and recording.ogg?lang=fr there): the interpreter while on air, one packet per tick
//   like the edge's floor recording;
// - everyone on the edge: the speaker's open mic goes to the owner's mix over NATS and
//   comes back to the edge's listeners; the edge's chair starts the session and the
//   speaker's hand and floor are forwarded commands; what the owner's mixer sends the
//   speaker (their own mix, here the keep-alive of the one voice) reaches them on the
//   edge (plenary_relay_own_sent_total; tests/unit/media/test_relay.c decodes it);
// - kill -9 of the owner in the middle of that run, twice (a fresh standby after the
//   first): each time the standby owns the room within 5 s of the kill, and the edge
//   receives the floor again within 3 s of the takeover (the new owner opened the edge
//   speaker's gate from the log and mixes its mic); the run's listeners stay connected
//   and end with no failures; an edge client's caption is then acknowledged, and the
//   room's chain as the edge folded it verifies against JetStream byte for byte.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as pathJoin } from 'node:path';
import { spawnSync } from 'node:child_process';
import { startServer, createRoom, join, sleep, SECRET, PLENARYD } from './harness.mjs';
import { startNatsCluster, waitRole } from './natscluster.mjs';
import { runLoad } from '../load/servers.mjs';
import { completeRecording, fetchUntilFound, readOgg } from './ogg.mjs';

const TTL_MS = 3000;
const TAKEOVER_BOUND_MS = 5000; // the bound, from the kill to serving
const HEAR_AGAIN_BOUND_MS = 3000; // the bound, from the takeover to the edge hearing
const LOAD = pathJoin(process.env.PLENARY_BUILD_DIR || 'build', 'tests', 'load', 'plenary-load');

let cluster;
const servers = new Set();
const dirs = [];
after(async () => {
  for (const s of servers) await s.stop('SIGKILL');
  if (cluster) await cluster.shutdown();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function startNode(name, urls, extra = []) {
  const dataDir = mkdtempSync(pathJoin(tmpdir(), `plenary-media-${name}-`));
  dirs.push(dataDir);
  const server = await startServer({
    dataDir,
    args: ['--nats', urls, '--node', name, '--lease-ttl-ms', String(TTL_MS), ...extra],
    config: { nats_timeout_ms: 1000 },
  });
  server.name = name;
  servers.add(server);
  return server;
}

async function relay(server) {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const get = (name) => {
    const m = text.match(new RegExp(`^plenary_relay_${name}_total (\\d+)$`, 'm'));
    assert.ok(m, `${server.name}'s /metrics has plenary_relay_${name}_total`);
    return Number(m[1]);
  };
  return {
    published: get('published'), received: get('received'), dropped: get('dropped'), refused: get('refused'),
    ownSent: get('own_sent'),
  };
}

function load(url, listenUrl, room, seconds, pid, extra = []) {
  const args = ['--url', url, '--room', room, '--secret', SECRET, '--listeners', '4', '--sample', '4', ...extra,
    '--warmup', '0.5', '--duration', String(seconds), '--hear-timeout', '10', '--join-timeout', '15'];
  if (listenUrl) args.push('--listen-url', listenUrl);
  if (pid) args.push('--server-pid', String(pid));
  return runLoad(LOAD, args, { timeoutMs: 180000 });
}

// Reads ms of an edge's listen.ogg (the relayed stream, on the tick's grid): its Ogg pages'
// granule positions, after the OpusHead.
async function oggGranules(server, room, ms, query = '') {
  const ac = new AbortController();
  const r = await fetchUntilFound(`${server.url}/api/rooms/${room}/listen.ogg${query}`, { signal: ac.signal });
  assert.equal(r.status, 200, `${server.name}'s listen.ogg${query}`);
  const chunks = [];
  const reader = r.body.getReader();
  const stop = setTimeout(() => ac.abort(), ms);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push(Buffer.from(value));
    }
  } catch (e) {
    if (e.name !== 'AbortError') throw e;
  }
  clearTimeout(stop);
  const buf = Buffer.concat(chunks);
  assert.ok(buf.includes('OpusHead'), 'the stream starts with its OpusHead');
  // What it says, decoded (opus-tools): the speaker's bursts, not the fillers' silence.
  const dir = mkdtempSync(pathJoin(tmpdir(), 'plenary-edge-ogg-'));
  dirs.push(dir);
  writeFileSync(pathJoin(dir, 'edge.ogg'), buf);
  const dec = spawnSync('opusdec', ['--quiet', '--rate', '48000', pathJoin(dir, 'edge.ogg'), pathJoin(dir, 'edge.wav')]);
  assert.equal(dec.status, 0, `opusdec: ${dec.stderr}`);
  const pcm = readFileSync(pathJoin(dir, 'edge.wav')).subarray(44);
  let peak = 0;
  for (let i = 0; i + 1 < pcm.length; i += 2) peak = Math.max(peak, Math.abs(pcm.readInt16LE(i)));
  assert.ok(peak > 3000, `the edge's listen.ogg is silent (peak ${peak})`);
  const granules = [];
  for (let at = buf.indexOf('OggS'); at >= 0 && at + 14 <= buf.length; at = buf.indexOf('OggS', at + 4))
    granules.push(buf.readBigUInt64LE(at + 6));
  return granules.filter((g) => g > 0n && g !== 0xffffffffffffffffn);
}

function assertHeard(report, what) {
  assert.equal(report.error, null, `${what}: ${report.error}`);
  assert.equal(report.connected, 4, `${what}: ${JSON.stringify(report.join.failure_reasons)}`);
  assert.equal(report.heard, 4, `${what}: ${JSON.stringify(report.warnings)}`);
  assert.equal(report.failures, 0, `${what}: ${JSON.stringify(report.join.failure_reasons)}`);
}

test('the floor reaches edge listeners, and edge mics the owner, through two takeovers', { timeout: 300000 }, async (t) => {
  cluster = await startNatsCluster(3);
  // A room for each part: plenary-load's people have the same pids each run.
  const room = 'soundroom';
  const room2 = 'takeover';
  const room3 = 'booths';
  let owner = await startNode('a', cluster.urls);
  for (const id of [room, room2, room3])
    await createRoom(owner, id).catch((e) => assert.fail(`${e.message}\n${owner.logs.slice(-20).join('\n')}`));
  const standby = await startNode('b', cluster.urls);
  await waitRole(standby, room2, 'standby');
  const edge = await startNode('e', cluster.urls, ['--edge']);
  await waitRole(edge, room, 'edge');
  await waitRole(edge, room2, 'edge');
  await waitRole(edge, room3, 'edge');

  // 1. The speaker on the owner, the listeners on the edge.
  const before = { owner: await relay(owner), edge: await relay(edge) };
  const firstRun = load(owner.wsUrl, edge.wsUrl, room, 4, owner.proc.pid);
  // Meanwhile the edge's listen.ogg carries the relayed floor on the tick's grid: in 1.5 s,
  // pages whose granule positions (48 kHz samples) cover at least a second, in 20 ms steps
  // (the session is live once plenary-load's chair started it).
  await sleep(2000);
  const granules = await oggGranules(edge, room, 1500);
  assert.ok(granules.length >= 3, `${granules.length} audio pages in 1.5 s of the edge's listen.ogg`);
  for (let i = 1; i < granules.length; i++) {
    assert.ok(granules[i] > granules[i - 1], 'granules go up');
    assert.equal((granules[i] - granules[i - 1]) % 960n, 0n, 'whole 20 ms frames');
  }
  assert.ok(granules.at(-1) - granules[0] >= 48000n, `the pages cover ${granules.at(-1) - granules[0]} samples`);
  const first = await firstRun;
  assertHeard(first.report, 'owner speaker, edge listeners');
  assert.ok(first.report.loss_pct < 2, `loss ${first.report.loss_pct} %`);
  assert.equal(first.report.sampled_decoding.onsets_unmatched, 0, JSON.stringify(first.report.sampled_decoding));
  const o1 = await relay(owner);
  const e1 = await relay(edge);
  // 3.5 s of a floor at 50 frames a second, published by the owner and taken by the edge.
  assert.ok(o1.published - before.owner.published >= 100, `owner published ${JSON.stringify(o1)}`);
  assert.ok(e1.received - before.edge.received >= 100, `edge received ${JSON.stringify(e1)}`);
  assert.equal(e1.refused, 0, 'the edge refused no frame');

  // 1b. A French interpreter on the owner, listeners on the edge (plenary-load puts some on
  // the French channel). The edge's listen.ogg?lang=fr is its own stream of the channel;
  // after the session, its recording.ogg?lang=fr has a packet for each of its floor
  // recording's, and those of the interpreter's time on air are the channel's own.
  const booths = load(owner.wsUrl, edge.wsUrl, room3, 3, owner.proc.pid, ['--channels', 'fr']);
  await sleep(2000);
  const frPages = await oggGranules(edge, room3, 1000, '?lang=fr');
  assert.ok(frPages.length >= 2, `${frPages.length} audio pages in 1 s of the edge's listen.ogg?lang=fr`);
  const third = (await booths).report;
  assert.equal(third.error, null, third.error);
  assert.equal(third.failures, 0, JSON.stringify(third.join.failure_reasons));
  const boothChair = await join(owner, room3, { role: 'chair', name: 'Chair', sub: 'booth-chair' });
  await boothChair.ok({ type: 'session.end' });
  await boothChair.close();
  const edgeRec = (q) => completeRecording(`${edge.url}/api/rooms/${room3}/recording.ogg${q}`);
  const [edgeFloor, edgeFr] = [await edgeRec(''), await edgeRec('?lang=fr')];
  assert.equal(edgeFloor.status, 200, "the edge's floor recording");
  assert.equal(edgeFr.status, 200, "the edge's French recording");
  const fl = readOgg(edgeFloor.body), fr = readOgg(edgeFr.body);
  assert.ok(fr.eos, 'finished with the session');
  const frAudio = fr.packets.slice(2), flAudio = fl.packets.slice(2);
  assert.equal(frAudio.length, flAudio.length, 'one timeline');
  const own = frAudio.filter((p, i) => p.length > 2 && !p.equals(flAudio[i])).length;
  assert.ok(own >= 2 * 50, `${own} packets of the channel's own in the edge's French recording`);
  assert.equal((await fetch(`${edge.url}/api/rooms/${room3}/recording.ogg?lang=de`)).status, 404);

  // 2. Everyone on the edge; the owner is killed (-9) in the middle of the run, twice: each
  // time the standby takes over and a fresh node becomes the next standby.
  const run = load(edge.wsUrl, null, room2, 28);
  let standbyNow = standby;
  for (let round = 1; round <= 2; round++) {
    // The edge's speaker is heard through the owner's mix: a second of frames arrives
    // (the first room has nobody speaking any more).
    const base = (await relay(edge)).received;
    const t0 = Date.now();
    while ((await relay(edge)).received - base < 50) {
      await sleep(200);
      if (Date.now() - t0 > 30000) {
        const diag = JSON.stringify({ owner: await relay(owner), edge: await relay(edge) });
        assert.fail(`round ${round}: the edge speaker is never heard through the owner: ${diag}\n${owner.logs.filter((l) => /mic|floor|remote/.test(l)).slice(-30).join('\n')}\n--- edge\n${edge.logs.filter((l) => /mic|floor|relay/.test(l)).slice(-30).join('\n')}`);
      }
    }
    const mics = await relay(owner);
    assert.ok(mics.received > 0, `the owner took the edge's mic over NATS: ${JSON.stringify(mics)}`);
    // What the owner's mixer sends the edge speaker comes back for them alone: while they
    // are the one voice, the keep-alive every 25 packets (docs/scale.md, own mixes).
    const own0 = (await relay(edge)).ownSent;
    const tOwn = Date.now();
    while ((await relay(edge)).ownSent === own0 && Date.now() - tOwn < 5000) await sleep(100);
    assert.ok((await relay(edge)).ownSent > own0, `round ${round}: no own mix reached the edge speaker`);
    await sleep(1000);
    const killedAt = Date.now();
    await owner.stop('SIGKILL');
    servers.delete(owner);
    // Poll the edge's frames every 100 ms from the kill: when they come back.
    let seen = (await relay(edge)).received;
    let resumedAt = 0;
    let ownerAt = 0;
    const waitOwner = waitRole(standbyNow, room2, 'owner', 15000).then((at) => (ownerAt = at));
    while (!resumedAt && Date.now() - killedAt < 20000) {
      await sleep(100);
      const now = (await relay(edge)).received;
      // Frames the dead owner published just before the kill may still be arriving: only
      // a rise after the takeover counts.
      if (ownerAt && now > seen) resumedAt = Date.now();
      seen = now;
    }
    await waitOwner;
    assert.ok(ownerAt - killedAt <= TAKEOVER_BOUND_MS, `round ${round}: the standby owns the room ${ownerAt - killedAt} ms after the kill`);
    assert.ok(resumedAt, `round ${round}: the edge never received the floor again after the takeover\n${standbyNow.logs.slice(-20).join('\n')}`);
    assert.ok(resumedAt - ownerAt <= HEAR_AGAIN_BOUND_MS,
      `round ${round}: the edge received the floor ${resumedAt - ownerAt} ms after the takeover`);
    t.diagnostic(`round ${round}: takeover ${ownerAt - killedAt} ms after the kill; the edge received the floor again ${resumedAt - ownerAt} ms after the takeover`);
    owner = standbyNow;
    const taken = await relay(owner);
    assert.ok(taken.received > 0, `the new owner mixes the edge's mic: ${JSON.stringify(taken)}`);
    if (round < 2) {
      standbyNow = await startNode(`n${round}`, cluster.urls);
      await waitRole(standbyNow, room2, 'standby');
    }
  }
  const second = (await run).report;
  assertHeard(second, 'everyone on the edge, through two takeovers');

  // A command from an edge client after it all: acknowledged by the second new owner, and
  // the room's chain, as the edge folded it, verifies against JetStream byte for byte.
  const cap = await join(edge, room2, { role: 'captioner', name: 'Cap', sub: 'cap' });
  await cap.ok({ type: 'caption', lang: 'en', final: true, text: 'after two takeovers', cid: 'z1' });
  await cap.close();
  await sleep(500);
  const file = pathJoin(edge.dataDir, 'rooms', `${room2}.jsonl`);
  const v = spawnSync(PLENARYD, ['verify', '--nats', cluster.urls, '--room', room2, file], { encoding: 'utf8' });
  assert.equal(v.status, 0, `verify --nats: ${v.stdout}${v.stderr}`);
  assert.match(v.stdout, /identical to/);
});
