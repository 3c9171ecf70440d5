// make bench's edges run (issue 17; docs/scale.md "Measured costs"): one owner and two
// edges (plenaryd --nats, and --nats --edge) on a three-node nats-server cluster of the
// script's own, everything on loopback. plenary-load's speaker (and control chair) are on
// the owner; the listeners are anonymous observers:
//
//   alone   one listener on the owner: the owner's one-room cost with (almost) nobody
//   direct  EDGES_LISTENERS listeners on the owner itself: the latency with no hop
//   edges   EDGES_LISTENERS listeners on each of the two edges (--listen-url, in turn)
//
// Each run is repeated EDGES_REPEAT times (3); the median and range are printed and
// written to OUT/edges.json. Owner CPU is plenary-load's own measure (its window, after
// the joins); each edge's CPU is read from /proc over the same span of wall time. The
// added latency of a hop is edges minus direct, p50 and p99.
//
//   node tests/load/edges_bench.mjs OUT      (PLENARYD, PLENARY_BUILD_DIR; after a build)
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join as pathJoin } from 'node:path';
import { startServer, createRoom, SECRET } from '../integration/harness.mjs';
import { startNatsCluster } from '../integration/natscluster.mjs';
import { runLoad } from './servers.mjs';

const OUT = process.argv[2] || 'build/bench';
const N = Number(process.env.EDGES_LISTENERS || 1000);
const REPEAT = Number(process.env.EDGES_REPEAT || 3);
const DURATION = Number(process.env.EDGES_DURATION || 20);
const LOAD = pathJoin(process.env.PLENARY_BUILD_DIR || 'build', 'tests', 'load', 'plenary-load');
const TICK_S = 1 / 100; // /proc's clock ticks

// The load tool's 127.0.0.1 clients would meet the per-address limits, not the server.
const open = { per_s: 100000, burst: 100000 };
// (At info level: the harness learns each node's port from its "listening" line.)
const config = {
  ws_limits: Object.fromEntries(['session', 'queue', 'sense', 'chair', 'caption', 'join_per_address'].map((k) => [k, open])),
};

function cpuS(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * TICK_S;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (x, d = 3) => (x === null || x === undefined || Number.isNaN(x) ? '—' : Number(x.toPrecision(d)).toString());

async function measure(label, owner, edges, room, listeners, listenUrls) {
  const args = ['--url', owner.wsUrl, '--room', room, '--secret', SECRET, '--server-pid', String(owner.proc.pid),
    '--listeners', String(listeners), '--sample', String(Math.min(10, listeners)), '--join-rate', '100',
    '--listener-role', 'observer', '--warmup', '3', '--duration', String(DURATION), '--hear-timeout', '20'];
  if (listenUrls.length) args.push('--listen-url', listenUrls.join(','));
  const before = edges.map((e) => cpuS(e.proc.pid));
  const t0 = Date.now();
  const { report: r } = await runLoad(LOAD, args, { timeoutMs: 600000 });
  const wall = (Date.now() - t0) / 1000;
  const edgeCores = edges.map((e, i) => (cpuS(e.proc.pid) - before[i]) / wall);
  const out = {
    label, listeners, error: r.error,
    connected: r.connected, heard: r.heard, failures: r.failures, loss_pct: r.loss_pct,
    latency_ms_p50: r.latency_ms?.p50 ?? null, latency_ms_p99: r.latency_ms?.p99 ?? null,
    owner_cores: r.server?.cpu_cores ?? null, edge_cores: edgeCores, tool_cores: r.tool?.cpu_cores ?? null,
    load: loadavg()[0],
  };
  console.log(`${label}: ${out.connected}/${out.listeners} connected, ${out.heard} heard, failures ${out.failures}, ` +
    `loss ${fmt(out.loss_pct)} %, latency p50/p99 ${fmt(out.latency_ms_p50)}/${fmt(out.latency_ms_p99)} ms, ` +
    `owner ${fmt(out.owner_cores)} cores, edges ${edgeCores.map((c) => fmt(c)).join(' + ')} cores, ` +
    `tool ${fmt(out.tool_cores)}, load ${fmt(out.load)}${r.error ? `, error: ${r.error}` : ''}`);
  return out;
}

function summarise(runs) {
  const pick = (k) => runs.map((r) => r[k]).filter((x) => x !== null && x !== undefined);
  const s = {};
  for (const k of ['loss_pct', 'latency_ms_p50', 'latency_ms_p99', 'owner_cores', 'tool_cores']) {
    const xs = pick(k);
    s[k] = xs.length ? { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) } : null;
  }
  const edges = runs.map((r) => r.edge_cores.reduce((a, b) => a + b, 0));
  s.edges_cores = edges.length ? { median: median(edges), min: Math.min(...edges), max: Math.max(...edges) } : null;
  s.failures = Math.max(...runs.map((r) => r.failures ?? Infinity));
  s.listeners = runs[0].listeners;
  return s;
}

const cluster = await startNatsCluster(3);
const owner = await startServer({ args: ['--nats', cluster.urls, '--node', 'owner'], config });
const rooms = ['alone', 'direct', 'edges'];
for (const id of rooms) for (let i = 0; i < REPEAT; i++) await createRoom(owner, `${id}-${i}`);
const edges = [];
for (const name of ['edge-1', 'edge-2']) edges.push(await startServer({ args: ['--nats', cluster.urls, '--edge', '--node', name], config }));
// The edges follow every room once they caught up from JetStream.
for (const e of edges)
  for (let t = Date.now(); ; ) {
    const h = await (await fetch(`${e.url}/healthz`)).json();
    if (rooms.every((id) => h.rooms?.[`${id}-${REPEAT - 1}`]?.role === 'edge')) break;
    if (Date.now() - t > 30000) throw new Error(`an edge does not follow the rooms: ${JSON.stringify(h)}`);
    await new Promise((r) => setTimeout(r, 200));
  }

const results = { alone: [], direct: [], edges: [] };
try {
  for (let i = 0; i < REPEAT; i++) {
    results.alone.push(await measure(`alone r${i + 1}`, owner, edges, `alone-${i}`, 1, []));
    results.direct.push(await measure(`direct r${i + 1}`, owner, edges, `direct-${i}`, N, []));
    results.edges.push(await measure(`edges r${i + 1}`, owner, edges, `edges-${i}`, N * edges.length, edges.map((e) => e.wsUrl)));
  }
} finally {
  for (const s of [owner, ...edges]) await s.cleanup();
  await cluster.shutdown();
}
const summary = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, summarise(v)]));
const hop = {
  p50_ms: summary.edges.latency_ms_p50 && summary.direct.latency_ms_p50 ? summary.edges.latency_ms_p50.median - summary.direct.latency_ms_p50.median : null,
  p99_ms: summary.edges.latency_ms_p99 && summary.direct.latency_ms_p99 ? summary.edges.latency_ms_p99.median - summary.direct.latency_ms_p99.median : null,
};
mkdirSync(OUT, { recursive: true });
writeFileSync(pathJoin(OUT, 'edges.json'), JSON.stringify({ listeners_per_edge: N, repeat: REPEAT, duration_s: DURATION, runs: results, summary, hop }, null, 2));
const m = (x) => (x ? `${fmt(x.median)} (${fmt(x.min)}–${fmt(x.max)})` : '—');
console.log(`\n| run | listeners | owner cores | edges' cores (both) | loss % | latency p50 / p99 ms | failures |`);
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const [k, s] of Object.entries(summary))
  console.log(`| ${k} | ${s.listeners} | ${m(s.owner_cores)} | ${m(s.edges_cores)} | ${m(s.loss_pct)} | ${m(s.latency_ms_p50)} / ${m(s.latency_ms_p99)} | ${s.failures} |`);
console.log(`\nAdded by the edge hop (medians, edges − direct): p50 ${fmt(hop.p50_ms)} ms, p99 ${fmt(hop.p99_ms)} ms.`);
const ok = summary.edges.failures === 0 && summary.edges.loss_pct && summary.edges.loss_pct.max < 0.5;
console.log(`Edges: ${ok ? 'no failures and loss < 0.5 % in every repeat' : '**missed**: failures, or loss ≥ 0.5 % in a repeat'}.`);
