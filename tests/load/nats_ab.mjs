// A rough A/B of --nats's cost per acknowledged command (docs/scale.md): N captions sent
// one after another by one captioner (each waits for its ack), against plenaryd with its
// file only and with --nats on a 3-node cluster of the script's own (loopback, temp dir),
// twice each in the same minute. Prints the wall time per ack and plenaryd's own CPU time
// (utime + stime from /proc) per ack, and the load average. Not part of make test:
//
//   N=300 node tests/load/nats_ab.mjs      (from the source directory, after a build)
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { startServer, createRoom, join } from '../integration/harness.mjs';
import { startNatsCluster } from '../integration/natscluster.mjs';
const N = Number(process.env.N || 300);
const cluster = await startNatsCluster(3);
function cpu(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 10; // ms at 100 Hz
}
let runs = 0;
async function run(args, label) {
  const room = `ab${++runs}`;
  const s = await startServer({ args, config: { ws_limits: { caption: { per_s: 100000, burst: 100000 } } } });
  await createRoom(s, room);
  const ch = await join(s, room, { role: 'chair', name: 'C', sub: 'c' });
  await ch.ok({ type: 'session.start' });
  const cap = await join(s, room, { role: 'captioner', name: 'K', sub: 'k' });
  const c0 = cpu(s.proc.pid);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) await cap.ok({ type: 'caption', lang: 'en', final: true, text: `t${i}`, cid: `c${i}` });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const c1 = cpu(s.proc.pid);
  console.log(`${label}: ${N} captions acked one after another: ${(ms / N).toFixed(2)} ms/ack, server cpu ${(c1 - c0)} ms (${((c1 - c0) / N).toFixed(2)} ms/ack), load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  await ch.close(); await cap.close();
  await s.cleanup();
}
for (let r = 0; r < 2; r++) {
  await run([], 'file only ');
  await run(['--nats', cluster.urls], '--nats R3 ');
}
await cluster.shutdown();
