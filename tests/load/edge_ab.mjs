// A rough A/B of an edge hop's cost (docs/scale.md, "Edges"): N captions sent one after
// another (each waits for its ack) by a captioner connected to the owner, then by one
// connected to an edge of the same room, alternating, in the same minute; a 3-node NATS
// cluster of the script's own (loopback, temp dir). Prints the wall time per ack and each
// plenaryd's own CPU time (utime + stime from /proc) per ack, and the load average. Not
// part of make test:
//
//   N=300 node tests/load/edge_ab.mjs      (from the source directory, after a build)
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { startServer, createRoom, join } from '../integration/harness.mjs';
import { startNatsCluster } from '../integration/natscluster.mjs';

const N = Number(process.env.N || 300);
const ROOM = 'ab';
const config = { ws_limits: { caption: { per_s: 100000, burst: 100000 } } };
const cluster = await startNatsCluster(3);
const owner = await startServer({ args: ['--nats', cluster.urls], config });
await createRoom(owner, ROOM);
const edge = await startServer({ args: ['--nats', cluster.urls, '--edge'], config });
const chair = await join(owner, ROOM, { role: 'chair', name: 'C', sub: 'c' });
await chair.ok({ type: 'session.start' });

function cpu(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 10; // ms at 100 Hz
}

let cid = 0;
async function run(server, label) {
  const cap = await join(server, ROOM, { role: 'captioner', name: 'K', sub: `k${cid}` });
  const o0 = cpu(owner.proc.pid);
  const e0 = cpu(edge.proc.pid);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++)
    await cap.ok({ type: 'caption', lang: 'en', final: true, text: `t${i}`, cid: `c${cid++}` });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const o = cpu(owner.proc.pid) - o0;
  const e = cpu(edge.proc.pid) - e0;
  const load = loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
  console.log(
    `${label}: ${(ms / N).toFixed(2)} ms/ack; owner cpu ${(o / N).toFixed(2)} ms/ack, ` +
      `edge cpu ${(e / N).toFixed(2)} ms/ack; load ${load}`,
  );
  await cap.close();
}
for (let r = 0; r < 2; r++) {
  await run(owner, 'captioner on the owner');
  await run(edge, 'captioner on the edge ');
}
await chair.close();
await edge.cleanup();
await owner.cleanup();
await cluster.shutdown();
