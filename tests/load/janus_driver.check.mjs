// Issue 9: plenary-load's Janus driver against a real Janus (Debian's package), so the
// comparison in `make bench` cannot rot unnoticed: three listeners as muted AudioBridge
// participants, then three as Streaming viewers of the room's forwarded mix. Run by
// `make bench` before its load scenarios (scripts/bench.sh), which installs Janus: it is
// not part of `make test`, where it could only have skipped (Janus is a bench package) and
// where Janus's full ICE would reach for the host's own external address. Without Janus
// or a non-loopback IPv4 address it fails.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as pathJoin } from 'node:path';
import { haveJanus, hostIPv4, startJanus, runLoad } from './servers.mjs';

const LOAD = pathJoin(process.env.PLENARY_BUILD_DIR || 'build', 'tests', 'load', 'plenary-load');
const ip = hostIPv4();
const missing = !haveJanus() ? 'janus is not installed' : !ip ? 'no non-loopback IPv4 address' : null;

let janus;
let dir;
before(async () => {
  if (missing) throw new Error(`the Janus driver check cannot run: ${missing}`);
  dir = mkdtempSync(pathJoin(tmpdir(), 'plenary-janus-'));
  janus = await startJanus({ dir, ip, eventLoops: 1 });
});
after(async () => {
  if (janus) await janus.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function listen(system) {
  const { report: r } = await runLoad(LOAD, ['--system', system, '--url', janus.url, '--bind-ip', ip,
    '--janus-room', String(janus.room), '--janus-mountpoint', String(janus.mountpoint),
    '--server-pid', String(janus.pid), '--listeners', '3', '--sample', '2', '--warmup', '1',
    '--duration', '3', '--hear-timeout', '5']);
  assert.equal(r.error, null, r.error);
  assert.equal(r.system, system);
  assert.equal(r.connected, 3, JSON.stringify(r.join.failure_reasons));
  assert.equal(r.heard, 3);
  assert.equal(r.failures, 0);
  assert.ok(r.loss_pct < 5, `loss ${r.loss_pct}`);
  assert.ok(r.latency_ms.samples >= 2, JSON.stringify(r.latency_ms));
  // Janus buffers before it mixes (default_prebuffering 6): well over 20 ms, well under 1 s.
  assert.ok(r.latency_ms.p50 > 20 && r.latency_ms.p50 < 1000, `latency ${r.latency_ms.p50}`);
  assert.ok(r.server.cpu_s > 0);
  return r;
}

test('Janus AudioBridge: muted participants hear the speaker', async () => {
  await listen('janus-audiobridge');
});

test('Janus Streaming: viewers of the forwarded mix hear the speaker', async () => {
  await listen('janus-streaming');
});
