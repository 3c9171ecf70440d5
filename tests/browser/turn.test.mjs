// Issue 12, TURN, in real headless Chromium: a participant whose browser may use nothing but
// a TURN relay still speaks, and a listener relayed the same way hears her.
//
// A real coturn (Debian's turnserver, ../integration/coturn.mjs: loopback only,
// use-auth-secret) and a plenaryd whose "turn" key names it with the same secret. Ana, a
// participant, and Olu, an anonymous observer, open the web client itself, each in their
// own browser context. The test forces relaying from outside the product: an init script
// wraps RTCPeerConnection so that whatever configuration the web client passes gains
// iceTransportPolicy 'relay' (and is recorded). The browser then gathers only relayed
// candidates, which it can get only from coturn, only with the credentials of the join
// ack's ice_servers that the web client passed on; plenaryd (ICE-lite, host candidates)
// sees the checks, DTLS and SRTP arrive from coturn's relay address. Ana's microphone is a
// 440 Hz WebAudio tone; the chair is a WebSocket client of the test and gives her the floor.
//
// Checked: the configuration each page's peer got has the ack's TURN server with a username
// EXPIRY:pid for that page's pid; both peers connect and their selected candidate pair's
// local candidate is of type relay; the server decrypts and authenticates Ana's RTP
// (plenary_rtp_packets_received_total grows, plenary_srtp_errors_total stays 0); Olu's
// peer receives the floor and decodes audio that is not silence (inbound-rtp packets and
// totalAudioEnergy grow); and coturn's log shows allocations under both usernames.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { startServer, token, join, http, sleep } from '../integration/harness.mjs';
import { startCoturn } from '../integration/coturn.mjs';
import { openPage, roomLink, connected } from './browser.mjs';

const ROOM = 'turn';
const SECRET = 'browser-turn-secret-7c1e95b0';
let coturn, server, browser, chair;

before(async () => {
  coturn = await startCoturn({ secret: SECRET });
  server = await startServer({
    config: {
      rooms: [{ id: ROOM, title: 'TURN plenary', public_observers: true }],
      turn: [{ urls: [`turn:127.0.0.1:${coturn.port}?transport=udp`], secret: SECRET, ttl_s: 600 }],
    },
  });
  browser = await chromium.launch({
    executablePath: process.env.PLENARY_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
      '--disable-gpu', '--no-first-run', '--autoplay-policy=no-user-gesture-required'],
  });
  chair = await join(server, ROOM, { role: 'chair', name: 'Carla Chair', sub: 'carla' });
  await chair.ok({ type: 'session.start' });
});
after(async () => {
  try {
    await chair?.close();
    await browser?.close();
    await server?.cleanup();
  } finally {
    await coturn?.stop();
  }
});

// Page scripts, run before the web client's own code (after browser.mjs's, which records
// every peer in window.__pcs).
function forceRelay() {
  const Native = window.RTCPeerConnection;
  window.__pcConfigs = [];
  window.RTCPeerConnection = class extends Native {
    constructor(config = {}, ...rest) {
      window.__pcConfigs.push(JSON.parse(JSON.stringify(config)));
      super({ ...config, iceTransportPolicy: 'relay' }, ...rest);
    }
  };
}
function toneMic() {
  navigator.permissions.query = async () => ({ state: 'granted' });
  navigator.mediaDevices.getUserMedia = async () => {
    const ctx = new AudioContext();
    const osc = new OscillatorNode(ctx, { frequency: 440 });
    const gain = new GainNode(ctx, { gain: 0.25 });
    const lfo = new OscillatorNode(ctx, { frequency: 3 });
    const depth = new GainNode(ctx, { gain: 0.08 });
    lfo.connect(depth).connect(gain.gain); // a tone that keeps moving, so DTX never mutes it
    const out = new MediaStreamAudioDestinationNode(ctx);
    osc.connect(gain).connect(out);
    osc.start();
    lfo.start();
    addEventListener('pointerdown', () => ctx.resume());
    return out.stream;
  };
}

async function open(url, scripts) {
  const page = await openPage(browser, null);
  for (const s of scripts) await page.context().addInitScript(s);
  page.on('console', (m) => { if (process.env.PLENARY_TEST_VERBOSE) console.log(`[page] ${m.text()}`); });
  await page.goto(url);
  await connected(page);
  await page.click('h1'); // a user gesture, which audio needs
  return page;
}

// The newest peer's selected candidate pair and its inbound audio.
function peerStats(page) {
  return page.evaluate(async () => {
    const pc = window.__pcs.at(-1);
    if (!pc) return null;
    const stats = await pc.getStats();
    let pairId = null, inbound = null;
    stats.forEach((s) => {
      if (s.type === 'transport' && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId;
      if (s.type === 'inbound-rtp' && s.kind === 'audio') inbound = { packets: s.packetsReceived, energy: s.totalAudioEnergy || 0 };
    });
    const pair = pairId && stats.get(pairId);
    const local = pair && stats.get(pair.localCandidateId);
    const remote = pair && stats.get(pair.remoteCandidateId);
    return {
      state: pc.connectionState,
      local: local && { type: local.candidateType, address: local.address, relayProtocol: local.relayProtocol, url: local.url },
      remote: remote && { type: remote.candidateType, address: remote.address, port: remote.port },
      inbound,
    };
  });
}

// Polls until the newest peer is connected; returns its stats (whatever they are at the end).
async function whenConnected(page) {
  let s = null;
  for (let i = 0; i < 200; i++) {
    s = await peerStats(page);
    if (s?.state === 'connected' && s.local) return s;
    if (s?.state === 'failed') break;
    await sleep(100);
  }
  return s;
}

async function metric(name) {
  const m = await http(server, 'GET', '/metrics');
  const line = m.text.split('\n').find((l) => l.startsWith(`${name} `));
  assert.ok(line, `${name} in /metrics`);
  return Number(line.split(' ')[1]);
}

function checkConfig(configs, pid) {
  const cfg = configs.at(-1);
  assert.ok(cfg?.iceServers?.length === 1, `the web client passed no iceServers: ${JSON.stringify(configs)}`);
  const s = cfg.iceServers[0];
  assert.deepEqual(s.urls, [`turn:127.0.0.1:${coturn.port}?transport=udp`]);
  assert.match(s.username, new RegExp(`^\\d+:${pid}$`));
  assert.equal(typeof s.credential, 'string');
  return s.username;
}

test('relayed through coturn only, a participant is heard by a relayed listener', async () => {
  const ana = await open(roomLink(server, ROOM, token({ room: ROOM, role: 'participant', name: 'Ana Silva', sub: 'ana' })), [forceRelay, toneMic]);
  const olu = await open(`${server.url}/#room=${ROOM}&role=observer&name=Olu`, [forceRelay]);

  const anaPeer = await whenConnected(ana);
  const oluPeer = await whenConnected(olu);
  if (process.env.PLENARY_TEST_VERBOSE) console.log(JSON.stringify({ anaPeer, oluPeer }));
  assert.equal(anaPeer?.state, 'connected', `Ana's peer: ${JSON.stringify(anaPeer)}`);
  assert.equal(oluPeer?.state, 'connected', `Olu's peer: ${JSON.stringify(oluPeer)}`);
  assert.equal(anaPeer.local.type, 'relay', `Ana's selected local candidate: ${JSON.stringify(anaPeer.local)}`);
  assert.equal(oluPeer.local.type, 'relay', `Olu's selected local candidate: ${JSON.stringify(oluPeer.local)}`);

  const anaUser = checkConfig(await ana.evaluate(() => window.__pcConfigs), 'ana');
  const oluPid = await olu.evaluate(() => window.__pcConfigs.at(-1)?.iceServers?.[0]?.username.split(':')[1]);
  assert.match(oluPid || '', /^obs-[0-9a-f]{16}$/);
  const oluUser = checkConfig(await olu.evaluate(() => window.__pcConfigs), oluPid);

  // Ana gets the floor.
  await ana.click('#raise');
  await ana.getByText('you are number 1').first().waitFor();
  const from = chair.messages.length;
  await chair.ok({ type: 'queue.next' });
  await chair.event('floor.granted', { from });
  await ana.getByText('Microphone: Open: you are heard.').first().waitFor();

  // The server decrypts and authenticates her relayed RTP...
  const received0 = await metric('plenary_rtp_packets_received_total');
  const in0 = (await peerStats(olu)).inbound || { packets: 0, energy: 0 };
  let received = received0;
  for (let i = 0; i < 100 && received < received0 + 100; i++) {
    await sleep(100);
    received = await metric('plenary_rtp_packets_received_total');
  }
  assert.ok(received >= received0 + 100, `the server received ${received - received0} RTP packets from Ana`);
  assert.equal(await metric('plenary_srtp_errors_total'), 0, 'every SRTP packet authenticated');

  // ...and Olu, relayed too, decodes audio that is not silence.
  let in1 = in0;
  for (let i = 0; i < 100; i++) {
    in1 = (await peerStats(olu)).inbound || in0;
    if (in1.packets > in0.packets + 100 && in1.energy > in0.energy + 0.01) break;
    await sleep(100);
  }
  assert.ok(in1.packets > in0.packets + 100, `Olu's inbound-rtp ${JSON.stringify({ in0, in1 })}`);
  assert.ok(in1.energy > in0.energy + 0.01, `Olu's decoded audio is silent: ${JSON.stringify({ in0, in1 })}`);

  // Both still relayed at the end, and coturn saw both allocations under the ack's usernames.
  assert.equal((await peerStats(ana)).local.type, 'relay');
  assert.equal((await peerStats(olu)).local.type, 'relay');
  for (const user of [anaUser, oluUser])
    assert.ok(coturn.logs.some((l) => l.includes(user)), `coturn's log does not mention ${user}`);

  await chair.ok({ type: 'floor.end' });
  await ana.context().close();
  await olu.context().close();
});
