// Issue 12: plenaryd behind a reverse proxy. HTTP listens on 127.0.0.1 only (the proxy's
// upstream); the media sockets bind to every interface (--media-bind 0.0.0.0) and the
// answers announce the public address (--public-ip, repeatable). The "public address" is
// the host side of a veth pair into a network namespace this test makes (and always
// removes, tests/browser/netns.mjs); the WebRTC clients (plenary-load's, the support
// client of tests/support) run inside it, where 127.0.0.1 is the namespace's own: their
// signalling goes through a TCP relay on the veth address (the reverse proxy), and their
// media can reach plenaryd only at that address. Before --media-bind, media bound to the
// listen address, and those packets reached no socket.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join as pathJoin } from 'node:path';
import { startServer, createRoom, join, http, SECRET, PLENARYD, SOURCE_DIR } from './harness.mjs';
import { createNamespace } from '../browser/netns.mjs';
import { runLoad } from '../load/servers.mjs';

const LOAD = pathJoin(process.env.PLENARY_BUILD_DIR || 'build', 'tests', 'load', 'plenary-load');
const UNREACHABLE = '192.0.2.1'; // TEST-NET-1: a second announced address, never used here
const WORKERS = 2;

let ns;
let server;
let proxy;
let proxyPort;

// The reverse proxy: every TCP connection to hostIp:proxyPort is relayed to plenaryd's
// 127.0.0.1 listener, byte for byte (WebSocket upgrades included).
function startProxy(host, upstreamPort) {
  const sockets = new Set();
  const srv = net.createServer((down) => {
    const up = net.connect(upstreamPort, '127.0.0.1');
    for (const s of [down, up]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        down.destroy();
        up.destroy();
      });
    }
    down.pipe(up);
    up.pipe(down);
  });
  srv.closeAll = () => {
    for (const s of sockets) s.destroy();
    return new Promise((resolve) => srv.close(resolve));
  };
  return new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, host, () => resolve(srv));
  });
}

async function metric(name) {
  const r = await http(server, 'GET', '/metrics');
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)`, 'm').exec(r.text);
  return m ? Number(m[1]) : NaN;
}

before(async () => {
  ns = createNamespace();
  server = await startServer({
    args: ['--media-bind', '0.0.0.0', '--public-ip', ns.hostIp, '--public-ip', UNREACHABLE,
      '--media-workers', String(WORKERS)],
  });
  proxy = await startProxy(ns.hostIp, server.port);
  proxyPort = proxy.address().port;
  await createRoom(server, 'nat', { public_observers: true });
});

after(async () => {
  try {
    if (proxy) await proxy.closeAll();
    if (server) await server.cleanup();
  } finally {
    if (ns) ns.remove();
  }
});

test('every answer lists each worker once per announced address, in the order given', async () => {
  assert.ok(server.logs.some((l) => l.includes(`msg="media address" candidate=${UNREACHABLE}`)));
  const p = await join(server, 'nat', { role: 'participant', name: 'Pat', sub: 'pat' });
  const offer = readFileSync(pathJoin(SOURCE_DIR, 'tests', 'fixtures', 'sdp', 'chrome-sendrecv.sdp'), 'utf8');
  const r = await p.ok({ type: 'media.offer', sdp: offer });
  const cands = r.sdp
    .split('\r\n')
    .filter((l) => l.startsWith('a=candidate:'))
    .map((l) => l.split(' '))
    .map(([, , proto, prio, ip, port]) => ({ proto, prio: Number(prio), ip, port: Number(port) }));
  assert.equal(cands.length, WORKERS * 2 * 2, r.sdp);
  const want = [];
  for (const proto of ['udp', 'tcp'])
    for (let w = 0; w < WORKERS; w++) for (const ip of [ns.hostIp, UNREACHABLE]) want.push(`${proto} ${ip}`);
  assert.deepEqual(cands.map((c) => `${c.proto} ${c.ip}`), want);
  for (let i = 1; i < cands.length; i++) assert.ok(cands[i].prio < cands[i - 1].prio, r.sdp);
  // A worker's addresses share its port.
  assert.equal(cands[0].port, cands[1].port);
  assert.notEqual(cands[0].port, cands[2].port);
  assert.ok(r.sdp.includes(`\r\nc=IN IP4 ${ns.hostIp}\r\n`));
  await p.close();
});

test('a client that reaches plenaryd only at the announced address connects and is heard', async () => {
  const before = await metric('plenary_rtp_packets_received_total');
  const { report: r } = await runLoad('ip', ['netns', 'exec', ns.name, LOAD,
    '--url', `ws://${ns.hostIp}:${proxyPort}/ws`, '--room', 'nat', '--secret', SECRET,
    '--bind-ip', ns.nsIp, '--listeners', '1', '--sample', '1', '--warmup', '0.5',
    '--duration', '2', '--hear-timeout', '10']);
  assert.equal(r.error, null, r.error);
  assert.equal(r.connected, 1, JSON.stringify(r.join.failure_reasons));
  assert.equal(r.heard, 1, JSON.stringify(r.warnings));
  assert.ok(r.packets.received > 0);
  assert.equal(r.sampled_decoding.srtp_errors, 0);
  // The speaker's audio arrived at plenaryd and authenticated (SRTP), over the veth.
  const after = await metric('plenary_rtp_packets_received_total');
  assert.ok(after - before >= 40, `authentic RTP at the server: ${before} -> ${after}`);
  assert.equal(await metric('plenary_srtp_errors_total'), 0);
});

test('addresses the media sockets cannot receive are refused at the start, with the reason', () => {
  const run = (args) =>
    spawnSync(PLENARYD, ['--listen', '127.0.0.1:0', '--data', server.dataDir, '--media-port', '0', ...args], {
      env: { ...process.env, PLENARY_TOKEN_SECRET: SECRET },
      encoding: 'utf8',
      timeout: 30000,
    });
  let r = run(['--media-bind', '127.0.0.1', '--public-ip', '2001:db8::7']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /announced address '2001:db8::7' is IPv6 and the media sockets are IPv4/);
  r = run(['--public-ip', 'example.org']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /--public-ip: 'example.org' is not a numeric IPv4 or IPv6 host address/);
  r = run(['--media-workers', '9', '--public-ip', '192.0.2.1', '--public-ip', '192.0.2.2',
    '--public-ip', '192.0.2.3', '--public-ip', '192.0.2.4']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /9 workers x 4 announced addresses x 2 \(UDP and ICE-TCP\) make 72 candidates, more than an answer holds \(64\)/);
});
