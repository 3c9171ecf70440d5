// Issue 12 (ICE-TCP) end to end in real headless Chromium: a network that drops UDP.
//
// An nftables rule on loopback (its own table, plenary_test_<pid>, added here and always
// removed) drops every UDP datagram to plenaryd's media ports, as a hotel or corporate
// firewall would. Two people in separate browser contexts then join: Ana sends a tone and
// is given the floor, Olu (an observer) only listens. Both must connect through the
// answer's ICE-TCP passive candidates, and Olu must HEAR Ana:
//   - the rule really blocked UDP: its counter saw the browsers' checks to the UDP ports,
//     and a datagram the test itself sends there is counted too;
//   - each browser's selected candidate pair is TCP on both ends (getStats), so without
//     the TCP candidates neither could have connected;
//   - plenaryd accepted RTP that authenticated (/metrics) and Olu's inbound-rtp packets and
//     audio energy grew while Ana had the floor.
// Needs root and nft (Debian's nftables, scripts/install-deps.sh test): without them the
// test fails, with the reason.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { chromium } from 'playwright-core';
import { startServer, token, join, http, sleep } from '../integration/harness.mjs';
import { startPeer, inboundStats } from './pageaudio.mjs';

const ROOM = 'icetcp';
const PREFIX = 'plenary_test_';
const TABLE = `${PREFIX}${process.pid}`;
let server, browser, chair, tableMade = false;

function nft(args, { input, check = true } = {}) {
  const r = spawnSync('nft', args, { encoding: 'utf8', input });
  if (r.error) throw new Error(`nft: ${r.error.message} (nftables is needed: scripts/install-deps.sh test)`);
  if (check && r.status !== 0) throw new Error(`nft ${args.join(' ')} failed (${r.status}): ${r.stderr.trim()}`);
  return r.stdout;
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

// Tables a crashed earlier run of this test left behind (their process is gone).
function removeLeftovers() {
  for (const m of nft(['list', 'tables']).matchAll(/^table inet (plenary_test_(\d+))$/gm)) {
    if (!alive(Number(m[2]))) nft(['delete', 'table', 'inet', m[1]], { check: false });
  }
}

function blockUdp(ports) {
  removeLeftovers();
  nft(['-f', '-'], {
    input: `table inet ${TABLE} {
  chain input {
    type filter hook input priority -10; policy accept;
    iif "lo" udp dport { ${ports.join(', ')} } counter drop
  }
}
`,
  });
  tableMade = true;
}

function dropped() {
  const m = /counter packets (\d+)/.exec(nft(['list', 'table', 'inet', TABLE]));
  return m ? Number(m[1]) : 0;
}

function unblock() {
  if (tableMade) nft(['delete', 'table', 'inet', TABLE], { check: false });
  tableMade = false;
}

before(async () => {
  server = await startServer({ config: { rooms: [{ id: ROOM, title: 'ICE-TCP plenary', public_observers: true }] } });
  const ports = server.logs
    .map((l) => /msg="media worker" .*candidate=[^ ]*:(\d+)/.exec(l))
    .filter(Boolean)
    .map((m) => Number(m[1]));
  assert.ok(ports.length > 0, `media ports in the log:\n${server.logs.join('\n')}`);
  blockUdp(ports);
  server.udpPorts = ports;
  browser = await chromium.launch({
    executablePath: process.env.PLENARY_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
      '--disable-gpu', '--no-first-run', '--autoplay-policy=no-user-gesture-required'],
  });
  chair = await join(server, ROOM, { role: 'chair', name: 'Carla Chair', sub: 'carla' });
});
after(async () => {
  try {
    await chair?.close();
    await browser?.close();
    await server?.cleanup();
  } finally {
    unblock();
  }
});

// The selected candidate pair's two ends, as getStats describes them.
async function selectedPair() {
  const stats = await window.pl.pc.getStats();
  let pair = null;
  stats.forEach((s) => {
    if (s.type === 'transport' && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId);
  });
  if (!pair) return null;
  const local = stats.get(pair.localCandidateId), remote = stats.get(pair.remoteCandidateId);
  return {
    local: { protocol: local?.protocol, tcpType: local?.tcpType },
    remote: { protocol: remote?.protocol, tcpType: remote?.tcpType, port: remote?.port },
  };
}

async function person(name, sub, role, hz) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('console', (m) => { if (process.env.PLENARY_TEST_VERBOSE) console.log(`[${sub}] ${m.text()}`); });
  await page.goto(`${server.url}/healthz`);
  const tok = token({ room: ROOM, role, name, sub });
  const r = await page.evaluate(startPeer, { wsUrl: server.wsUrl, room: ROOM, tok, hz, play: true, tries: 400 });
  assert.deepEqual(r, { join: 'ack', ack: 'ack', state: 'connected' }, `${name}: ${JSON.stringify(r)}`);
  const pair = await page.evaluate(selectedPair);
  assert.equal(pair?.local.protocol, 'tcp', `${name}'s selected pair: ${JSON.stringify(pair)}`);
  assert.equal(pair.remote.protocol, 'tcp', `${name}'s selected pair: ${JSON.stringify(pair)}`);
  assert.equal(pair.remote.tcpType, 'passive', `${name}'s selected pair: ${JSON.stringify(pair)}`);
  return page;
}

function metric(text, name) {
  const m = new RegExp(`^${name} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : null;
}

test('with UDP to the media ports dropped, Chromium connects over ICE-TCP and is heard', async () => {
  // The rule drops what reaches the UDP ports: a datagram of our own is counted.
  const before = dropped();
  const sock = dgram.createSocket('udp4');
  await new Promise((resolve) => sock.send(Buffer.from([0, 1, 0, 0]), server.udpPorts[0], '127.0.0.1', resolve));
  sock.close();
  for (let i = 0; i < 50 && dropped() === before; i++) await sleep(20);
  assert.ok(dropped() > before, 'the nftables rule drops UDP to the media ports');

  await chair.ok({ type: 'session.start' });
  const ana = await person('Ana Silva', 'ana', 'participant', 440);
  const olu = await person('Olu Observer', 'olu', 'observer', 0);
  // The browsers tried UDP first (their candidates rank higher) and were dropped.
  assert.ok(dropped() > before + 1, `UDP checks dropped: ${dropped() - before}`);

  assert.equal((await ana.evaluate(() => window.pl.request({ type: 'queue.raise' }))).type, 'ack');
  const from = chair.messages.length;
  await chair.ok({ type: 'queue.next' });
  await chair.event('floor.granted', { from });
  const mic = await ana.evaluate(() => window.pl.wait((m) => m.type === 'private' && m.kind === 'mic' && m.data.open === true));
  assert.deepEqual(mic?.data, { open: true });
  const m0 = await http(server, 'GET', '/metrics');
  const rx0 = metric(m0.text, 'plenary_rtp_packets_received_total');
  const heard0 = await olu.evaluate(inboundStats);
  let heard1 = heard0;
  for (let i = 0; i < 100; i++) {
    await sleep(50);
    heard1 = await olu.evaluate(inboundStats);
    if (heard1 && heard1.packets - (heard0?.packets || 0) > 100 && heard1.energy - (heard0?.energy || 0) > 0.01) break;
  }
  const m1 = await http(server, 'GET', '/metrics');
  const rx1 = metric(m1.text, 'plenary_rtp_packets_received_total');
  assert.ok(rx0 !== null && rx1 - rx0 > 50, `authentic RTP received by plenaryd: ${rx0} -> ${rx1}`);
  // Both pages' peers came in over TCP: the server counts the connections it accepted.
  assert.ok(metric(m1.text, 'plenary_ice_tcp_connections_total') >= 2, 'ICE-TCP connections accepted');
  assert.ok(heard1 && heard1.packets - (heard0?.packets || 0) > 100, `Olu's packets ${JSON.stringify({ heard0, heard1 })}`);
  assert.ok(heard1.energy - (heard0?.energy || 0) > 0.01, `Olu's audio energy ${JSON.stringify({ heard0, heard1 })}`);
  await chair.ok({ type: 'floor.end' });
  for (const p of [ana, olu]) await p.context().close();
});
