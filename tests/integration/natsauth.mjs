// What the NATS security tests share (nats_tls, nats_creds): their temporary directories,
// the cluster and plenaryd to stop whatever happened, and a plenaryd that must not start.
import { after } from 'node:test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as pathJoin } from 'node:path';
import { SECRET, PLENARYD } from './harness.mjs';

export function natsAuthFixture() {
  const fx = { cluster: null, server: null, dirs: [] };
  // A plenaryd that ended badly still throws here, after the cluster is down: otherwise
  // its nats-server children keep the test process alive until ctest's timeout.
  after(async () => {
    try {
      await fx.server?.cleanup();
    } finally {
      await fx.cluster?.shutdown();
      for (const d of fx.dirs) rmSync(d, { recursive: true, force: true });
    }
  });
  fx.tmp = (prefix) => {
    const d = mkdtempSync(pathJoin(tmpdir(), prefix));
    fx.dirs.push(d);
    return d;
  };
  // plenaryd that should not start: its exit status and what it said.
  fx.refused = (urls, env) => {
    const r = spawnSync(PLENARYD, ['--listen', '127.0.0.1:0', '--data', fx.tmp('plenary-nats-no-'), '--nats', urls], {
      env: { ...process.env, PLENARY_TOKEN_SECRET: SECRET, ...env }, encoding: 'utf8', timeout: 30000,
    });
    return { status: r.status, said: `${r.stdout}${r.stderr}` };
  };
  return fx;
}
