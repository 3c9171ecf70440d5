// Issue 6 end to end in real headless Chromium: a page of the server's own origin joins as
// a participant over its own WebSocket, offers audio from the fake microphone with a real
// RTCPeerConnection, and reaches `connected` against the server's ICE-lite, DTLS and SRTP;
// the server says so with media.state, its /metrics count the RTP it decrypts with no SRTP
// errors, echo mode plays the audio back (inbound-rtp packetsReceived > 0), bad SDP is
// refused with bad_request, and closing the WebSocket tears the peer down.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { startServer, createRoom, token, http, sleep } from '../integration/harness.mjs';

let server;
let browser;
before(async () => {
  server = await startServer({ args: ['--media-echo'] });
  await createRoom(server, 'webrtc');
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
      '--disable-gpu', '--no-first-run'],
  });
});
after(async () => {
  if (browser) await browser.close();
  await server.cleanup();
});

async function metric(name) {
  const m = await http(server, 'GET', '/metrics');
  const line = m.text.split('\n').find((l) => l.startsWith(`${name} `));
  assert.ok(line, `${name} in /metrics`);
  return Number(line.split(' ')[1]);
}

async function waitMetric(name, pred, ms = 10000) {
  const end = Date.now() + ms;
  let v;
  while (Date.now() < end) {
    v = await metric(name);
    if (pred(v)) return v;
    await sleep(100);
  }
  assert.fail(`${name} stayed at ${v}`);
}

// Runs in the page: the whole client side, with nothing from the web client.
async function pageSession({ wsUrl, tok }) {
  const ws = new WebSocket(wsUrl, 'plenary.v1');
  const inbox = [];
  const waiters = [];
  ws.onmessage = (e) => {
    const msg = JSON.parse(e.data);
    inbox.push(msg);
    for (const w of waiters.splice(0)) if (!w(msg)) waiters.push(w);
  };
  const next = (pred, ms = 10000) => new Promise((resolve, reject) => {
    const found = inbox.find(pred);
    if (found) return resolve(found);
    const timer = setTimeout(() => reject(new Error(`timeout; got ${JSON.stringify(inbox.slice(-4))}`)), ms);
    waiters.push((m) => (pred(m) ? (clearTimeout(timer), resolve(m), true) : false));
  });
  let id = 0;
  const request = (obj) => {
    const mine = ++id;
    ws.send(JSON.stringify({ ...obj, id: mine }));
    return next((m) => (m.type === 'ack' || m.type === 'error') && m.id === mine);
  };
  const until = async (pred, ms) => {
    const end = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > end) return false;
      await new Promise((r) => setTimeout(r, 50));
    }
    return true;
  };
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
  const out = {};
  out.join = await request({ type: 'join', room: 'webrtc', token: tok });
  out.bad = await request({ type: 'media.offer', sdp: 'v=0\r\nthis is not an offer\r\n' });

  const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  for (const t of stream.getTracks()) pc.addTrack(t, stream);
  let remoteTrack = null;
  pc.ontrack = (e) => { remoteTrack = e.track; };
  await pc.setLocalDescription(await pc.createOffer());
  const t0 = Date.now();
  const ack = await request({ type: 'media.offer', sdp: pc.localDescription.sdp });
  out.ack = { type: ack.type, code: ack.code, message: ack.message };
  if (ack.type !== 'ack') return out;
  out.answer = ack.sdp;
  await pc.setRemoteDescription({ type: 'answer', sdp: ack.sdp });
  out.connected = await until(() => pc.connectionState === 'connected', 15000);
  out.connectMs = Date.now() - t0;
  out.connectionState = pc.connectionState;
  out.iceState = pc.iceConnectionState;
  const state = await next((m) => m.type === 'private' && m.kind === 'media.state' && m.data.state !== 'connecting', 15000).catch((e) => ({ error: String(e) }));
  out.mediaState = state.data ? state.data.state : state.error;
  out.states = inbox.filter((m) => m.kind === 'media.state').map((m) => m.data.state);
  // Let audio flow both ways for a few seconds, then read the browser's statistics.
  let inbound = null;
  let outbound = null;
  await until(() => false, 4000);
  const stats = await pc.getStats();
  stats.forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'audio') inbound = s;
    if (s.type === 'outbound-rtp' && s.kind === 'audio') outbound = s;
  });
  out.inbound = inbound && { packetsReceived: inbound.packetsReceived, packetsLost: inbound.packetsLost, ssrc: inbound.ssrc };
  out.outbound = outbound && { packetsSent: outbound.packetsSent };
  out.remoteTrack = remoteTrack && remoteTrack.readyState;
  stream.getTracks().forEach((t) => t.stop());
  pc.close();
  ws.close();
  return out;
}

test('Chromium connects over ICE-lite + DTLS-SRTP, sends audio the server decrypts, hears the echo', async () => {
  const page = await browser.newPage();
  page.on('console', (m) => { if (process.env.PLENARY_TEST_VERBOSE) console.log(`[page] ${m.text()}`); });
  await page.goto(`${server.url}/`);
  const before = await metric('plenary_rtp_packets_received_total');
  const tok = token({ room: 'webrtc', role: 'participant', name: 'Browser', sub: 'browser' });
  const r = await page.evaluate(pageSession, { wsUrl: server.wsUrl, tok });
  if (process.env.PLENARY_TEST_VERBOSE) console.log(JSON.stringify({ ...r, join: undefined, answer: undefined }, null, 1));

  assert.equal(r.join.type, 'ack');
  assert.equal(r.bad.type, 'error');
  assert.equal(r.bad.code, 'bad_request');
  assert.deepEqual(r.ack, { type: 'ack', code: undefined, message: undefined });
  assert.match(r.answer, /a=ice-lite/);
  assert.equal(r.connected, true, `connectionState ${r.connectionState}, ice ${r.iceState}`);
  assert.equal(r.mediaState, 'connected');
  assert.deepEqual(r.states.slice(0, 2), ['connecting', 'connected']);
  assert.ok(r.outbound && r.outbound.packetsSent > 0, 'the browser sent audio');
  assert.ok(r.inbound && r.inbound.packetsReceived > 0, `echo reached the browser: ${JSON.stringify(r.inbound)}`);
  assert.equal(r.remoteTrack, 'live');

  const received = await metric('plenary_rtp_packets_received_total');
  assert.ok(received > before + 50, `server decrypted ${received - before} packets`);
  assert.ok((await metric('plenary_rtp_packets_sent_total')) > 50);
  assert.equal(await metric('plenary_srtp_errors_total'), 0);
  // The page closed its WebSocket: the peer is torn down.
  await waitMetric('plenary_peers', (v) => v === 0);
  await page.close();
});

test('a recvonly listener connects too', async () => {
  const page = await browser.newPage();
  await page.goto(`${server.url}/`);
  const tok = token({ room: 'webrtc', role: 'observer', name: 'Listener', sub: 'listener' });
  const r = await page.evaluate(async ({ wsUrl, tok }) => {
    const ws = new WebSocket(wsUrl, 'plenary.v1');
    const inbox = [];
    ws.onmessage = (e) => inbox.push(JSON.parse(e.data));
    await new Promise((resolve) => { ws.onopen = resolve; });
    const wait = async (pred) => {
      for (let i = 0; i < 300 && !inbox.some(pred); i++) await new Promise((res) => setTimeout(res, 50));
      return inbox.find(pred);
    };
    ws.send(JSON.stringify({ type: 'join', id: 1, room: 'webrtc', token: tok }));
    await wait((m) => m.id === 1);
    const pc = new RTCPeerConnection();
    pc.addTransceiver('audio', { direction: 'recvonly' });
    await pc.setLocalDescription(await pc.createOffer());
    ws.send(JSON.stringify({ type: 'media.offer', id: 2, sdp: pc.localDescription.sdp }));
    const ack = await wait((m) => m.id === 2);
    if (ack.type !== 'ack') return { ack };
    await pc.setRemoteDescription({ type: 'answer', sdp: ack.sdp });
    const state = await wait((m) => m.kind === 'media.state' && m.data.state !== 'connecting');
    // The server is keyed when it sends its last DTLS flight; the browser, once it has read
    // it, a moment later.
    for (let i = 0; i < 100 && pc.connectionState === 'connecting'; i++) await new Promise((res) => setTimeout(res, 50));
    const out = { ack: ack.type, sendonly: /a=sendonly/.test(ack.sdp), state: state && state.data.state, pc: pc.connectionState };
    pc.close();
    ws.close();
    return out;
  }, { wsUrl: server.wsUrl, tok });
  assert.deepEqual(r, { ack: 'ack', sendonly: true, state: 'connected', pc: 'connected' });
  await waitMetric('plenary_peers', (v) => v === 0);
  assert.equal(await metric('plenary_srtp_errors_total'), 0);
  await page.close();
});
