// A NATS cluster of the test's own: Debian's nats-server, n nodes with JetStream, client
// ports and cluster routes on loopback ports, stores in a temp dir; never the system's
// service. Nodes can be stopped and started again on the same store (a node lost and
// back). Throws -- the test fails -- when nats-server is not installed
// (scripts/install-deps.sh, test group).

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join as pathJoin } from 'node:path';

function natsServerPath() {
  for (const p of ['/usr/sbin/nats-server', '/usr/bin/nats-server']) {
    const r = spawnSync(p, ['--version']);
    if (r.status === 0) return p;
  }
  throw new Error('nats-server is not installed (scripts/install-deps.sh installs it)');
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// opts.tls: {cert, key, ca, verify} -- clients must use TLS (and with verify, a client
// certificate the CA signed); opts.user/opts.password: clients must log in; opts.operator:
// the configuration lines of decentralised accounts (natsjwt.mjs natsOperator().config),
// clients then need a user JWT of a trusted account. The routes between nodes stay plain
// (loopback).
//
// The ports are free when chosen, but another test running at the same time may take one
// before nats-server binds it: then the cluster is stopped and made again on fresh ports
// (twice at most). A cluster that does not start is always stopped before this throws, so
// no nats-server outlives the test.
export async function startNatsCluster(n = 3, opts = {}) {
  for (let attempt = 1; ; attempt++) {
    const cluster = await makeCluster(n, opts);
    try {
      for (let i = 0; i < n; i++) await cluster.start(i);
      await cluster.ready();
      return cluster;
    } catch (e) {
      const taken = cluster.nodes.some((o) => o.logs.some((l) => /address already in use/.test(l)));
      await cluster.shutdown();
      if (!taken || attempt === 3) throw e;
    }
  }
}

async function makeCluster(n, opts) {
  const bin = natsServerPath();
  const dir = mkdtempSync(pathJoin(tmpdir(), 'plenary-nats-'));
  const nodes = [];
  for (let i = 0; i < n; i++)
    nodes.push({
      name: `n${i + 1}`, port: await freePort(), routePort: await freePort(), monitorPort: await freePort(), proc: null, logs: [],
    });
  for (const node of nodes) {
    const routes = nodes.filter((o) => o !== node).map((o) => `nats-route://127.0.0.1:${o.routePort}`);
    const store = pathJoin(dir, node.name);
    mkdirSync(store, { recursive: true });
    node.config = pathJoin(dir, `${node.name}.conf`);
    writeFileSync(
      node.config,
      [
        `server_name: ${node.name}`,
        `listen: 127.0.0.1:${node.port}`,
        // Plain HTTP monitoring, for ready(): it reads /jsz.
        `http: 127.0.0.1:${node.monitorPort}`,
        `jetstream { store_dir: "${store}" }`,
        ...(opts.tls ? [`tls { cert_file: "${opts.tls.cert}", key_file: "${opts.tls.key}", ca_file: "${opts.tls.ca}", verify: ${opts.tls.verify ? 'true' : 'false'} }`] : []),
        ...(opts.user ? [`authorization { user: "${opts.user}", password: "${opts.password}" }`] : []),
        ...(opts.operator ?? []),
        'cluster {',
        '  name: plenary',
        `  listen: 127.0.0.1:${node.routePort}`,
        `  routes: [${routes.join(', ')}]`,
        '}',
        '',
      ].join('\n'),
    );
  }
  const cluster = {
    dir,
    nodes,
    urls: nodes.map((o) => `nats://127.0.0.1:${o.port}`).join(','),
    async start(i) {
      const node = nodes[i];
      node.proc = spawn(bin, ['-c', node.config], { stdio: ['ignore', 'pipe', 'pipe'] });
      const onData = (c) => {
        for (const line of c.toString().split('\n')) if (line) node.logs.push(line);
      };
      node.proc.stdout.on('data', onData);
      node.proc.stderr.on('data', onData);
      node.exit = new Promise((resolve) => node.proc.on('exit', resolve));
    },
    async stop(i, signal = 'SIGKILL') {
      const node = nodes[i];
      if (!node.proc) return;
      node.proc.kill(signal);
      await node.exit;
      node.proc = null;
    },
    // Waits until JetStream's metadata leader counts every running node as a current peer.
    // A leader alone is not enough: a stream made before the others joined gets one
    // replica (plenaryd falls back to R1 when R3 is refused), and the test then loses its
    // replicas when a node stops.
    async ready(timeoutMs = 30000) {
      const until = Date.now() + timeoutMs;
      const running = nodes.filter((o) => o.proc);
      let last = 'no answer';
      while (Date.now() < until) {
        for (const node of running) {
          const meta = await jsz(node).catch((e) => ({ error: String(e) }));
          last = JSON.stringify(meta);
          const current = (meta?.replicas ?? []).filter((r) => r.current && !r.offline).length;
          if (meta?.leader && meta.leader === node.name && current + 1 >= running.length) return;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`JetStream not ready (${last}):\n${nodes.map((o) => o.logs.slice(-5).join('\n')).join('\n')}`);
    },
    async shutdown() {
      for (let i = 0; i < nodes.length; i++) await cluster.stop(i, 'SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return cluster;
}

// A NATS node's JetStream meta-cluster view (its /jsz): the leader, and on the leader the
// replicas with whether each is current.
async function jsz(node) {
  const r = await fetch(`http://127.0.0.1:${node.monitorPort}/jsz`, { signal: AbortSignal.timeout(2000) });
  return (await r.json()).meta_cluster;
}

// A node's /healthz, as JSON.
export async function nodeHealth(server) {
  const r = await fetch(`${server.url}/healthz`);
  if (r.status !== 200) throw new Error(`${server.name}: /healthz ${r.status}`);
  return r.json();
}

// Polls /healthz every 50 ms until server plays role (owner, standby, edge) for room;
// resolves with the moment it first did (Date.now()). A node that does not answer yet
// counts as not playing it.
export async function waitRole(server, room, role, ms = 20000) {
  const t0 = Date.now();
  for (;;) {
    const h = await nodeHealth(server).catch(() => ({}));
    if (h.rooms?.[room]?.role === role) return Date.now();
    if (Date.now() - t0 > ms)
      throw new Error(`${server.name} not ${role} of ${room}: ${JSON.stringify(h)}\n${(server.logs || []).slice(-15).join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
