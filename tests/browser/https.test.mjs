// Issue 12 in real headless Chromium: on plenaryd's own HTTPS, a page of a name that is
// not local is a secure context, so the web client may use the microphone, and who
// speaks there is heard.
//
// plenaryd serves https://plenary.test:PORT with a certificate of a test CA made here
// (testpki.mjs). Chromium resolves plenary.test to 127.0.0.1
// (--host-resolver-rules) and accepts that certificate's key alone
// (--ignore-certificate-errors-spki-list, which Chromium honours with a user data dir, as
// playwright gives it): no "localhost" exemption and no insecure-origin flag is involved.
//
// Ana, a participant, and Olu, an observer, open the web client in their own contexts;
// the chair is a WSS client of the test. Checked: Ana's page is https://plenary.test, a
// secure context with navigator.mediaDevices; "Enable microphone" gets the (fake) device
// and a sending peer; once the chair gives her the floor, plenaryd decrypts and
// authenticates her RTP (/metrics, read by the page over HTTPS) and Olu's peer receives
// and decodes audio that is not silence (inbound-rtp packets and totalAudioEnergy grow).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as pathJoin } from 'node:path';
import { chromium } from 'playwright-core';
import WebSocket from 'ws';
import { startServer, Client, token, sleep } from '../integration/harness.mjs';
import { makeCa, makeLeaf } from '../integration/testpki.mjs';

const NAME = 'plenary.test';
const ROOM = 'secure';
const tmp = mkdtempSync(pathJoin(tmpdir(), 'plenary-https-'));
let server, browser, chair, ca, origin;

before(async () => {
  ca = makeCa(tmp);
  const cert = makeLeaf(ca, 'server', NAME, `DNS:${NAME}`);
  server = await startServer({
    tls: true,
    config: { rooms: [{ id: ROOM, title: 'Secure plenary', public_observers: true }] },
    args: ['--tls-cert', cert.cert, '--tls-key', cert.key],
  });
  origin = `https://${NAME}:${server.port}`;
  browser = await chromium.launch({
    executablePath: process.env.PLENARY_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
      '--disable-gpu', '--no-first-run', '--autoplay-policy=no-user-gesture-required',
      `--host-resolver-rules=MAP ${NAME} 127.0.0.1`,
      `--ignore-certificate-errors-spki-list=${cert.spki}`],
  });
  const ws = new WebSocket(`wss://127.0.0.1:${server.port}/ws`, ['plenary.v1'], { ca: ca.pem, servername: NAME });
  chair = new Client(ws);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  await chair.ok({ type: 'join', room: ROOM, token: token({ room: ROOM, role: 'chair', name: 'Carla Chair', sub: 'carla' }, server.dataDir) });
  await chair.ok({ type: 'session.start' });
});
after(async () => {
  try {
    await chair?.close();
    await browser?.close();
  } finally {
    await server?.cleanup();
    rmSync(tmp, { recursive: true, force: true });
  }
});

// Records the page's peer connections (window.__pcs), as browser.mjs does.
function trackPeers() {
  const Native = window.RTCPeerConnection;
  window.__pcs = [];
  window.RTCPeerConnection = class extends Native {
    constructor(...args) {
      super(...args);
      window.__pcs.push(this);
    }
  };
}

async function person(name, sub, role) {
  const context = await browser.newContext();
  await context.addInitScript(trackPeers);
  const page = await context.newPage();
  page.setDefaultTimeout(20000);
  page.on('console', (m) => { if (process.env.PLENARY_TEST_VERBOSE) console.log(`[${sub}] ${m.text()}`); });
  const tok = token({ room: ROOM, role, name, sub }, server.dataDir);
  await page.goto(`${origin}/#room=${ROOM}&token=${encodeURIComponent(tok)}`);
  await page.locator('.audio-status', { hasText: /Live audio connected/ }).waitFor();
  return page;
}

// The page's newest peer's audio counters.
function rtpStats() {
  return window.__pcs.at(-1).getStats().then((stats) => {
    const r = { sent: 0, packets: 0, energy: 0, state: window.__pcs.at(-1).connectionState };
    stats.forEach((s) => {
      if (s.type === 'outbound-rtp' && s.kind === 'audio') r.sent += s.packetsSent || 0;
      if (s.type === 'inbound-rtp' && s.kind === 'audio') {
        r.packets += s.packetsReceived || 0;
        r.energy += s.totalAudioEnergy || 0;
      }
    });
    return r;
  });
}

// A /metrics value, fetched by the page over its own HTTPS origin.
function metric(page, name) {
  return page.evaluate(async (name) => {
    const text = await (await fetch('/metrics')).text();
    const m = new RegExp(`^${name} (\\d+)`, 'm').exec(text);
    return m ? Number(m[1]) : null;
  }, name);
}

test('on https://plenary.test the web client gets the microphone and its speaker is heard', { timeout: 90000 }, async () => {
  const olu = await person('Olu Observer', 'olu', 'observer');
  const ana = await person('Ana Silva', 'ana', 'participant');
  const where = await ana.evaluate(() => ({
    origin: location.origin,
    secure: window.isSecureContext,
    mediaDevices: !!navigator.mediaDevices,
  }));
  assert.deepEqual(where, { origin, secure: true, mediaDevices: true });

  // With the permission already granted (Chromium's fake UI grants it) the web client
  // takes the microphone at once; otherwise it offers "Enable microphone". Either way a
  // peer that sends a track must follow, which getUserMedia alone can give.
  const sending = () => {
    const pc = window.__pcs.at(-1);
    return !!pc && pc.connectionState === 'connected' && pc.getSenders().some((s) => s.track && s.track.readyState === 'live');
  };
  const enable = ana.getByRole('button', { name: 'Enable microphone' });
  await ana.waitForFunction(
    (f) => new Function(`return (${f})()`)() || [...document.querySelectorAll('button')].some((b) => b.textContent.trim() === 'Enable microphone' && !b.hidden),
    sending.toString(),
  );
  if (await enable.isVisible()) await enable.click();
  await ana.waitForFunction((f) => new Function(`return (${f})()`)(), sending.toString());
  assert.equal(await ana.evaluate(() => navigator.permissions.query({ name: 'microphone' }).then((p) => p.state)), 'granted');
  assert.equal(await ana.locator('.audio .error:not([hidden])').count(), 0, 'no microphone error');

  await ana.click('#raise');
  await ana.getByText(/you are number 1/).first().waitFor();
  const from = chair.messages.length;
  await chair.ok({ type: 'queue.next' });
  await chair.event('floor.granted', { from });
  await ana.getByText('Microphone: Open: you are heard.').waitFor();

  const rx0 = await metric(ana, 'plenary_rtp_packets_received_total');
  const heard0 = await olu.evaluate(rtpStats);
  let heard = heard0;
  for (let i = 0; i < 200; i++) {
    await sleep(50);
    heard = await olu.evaluate(rtpStats);
    if (heard.packets - heard0.packets > 100 && heard.energy - heard0.energy > 0.01) break;
  }
  const rx1 = await metric(ana, 'plenary_rtp_packets_received_total');
  const sent = await ana.evaluate(rtpStats);
  if (process.env.PLENARY_TEST_VERBOSE) console.log({ rx0, rx1, heard0, heard, sent });
  assert.ok(rx1 - rx0 > 50, `authentic RTP from Ana received by plenaryd: ${rx0} -> ${rx1}`);
  assert.equal(await metric(ana, 'plenary_srtp_errors_total'), 0, 'every SRTP packet authenticated');
  assert.ok(sent.sent > 50, `Ana's outbound-rtp: ${JSON.stringify(sent)}`);
  assert.ok(heard.packets - heard0.packets > 100, `Olu's packets ${JSON.stringify({ heard0, heard })}`);
  assert.ok(heard.energy - heard0.energy > 0.01, `Olu's decoded audio is silent: ${JSON.stringify({ heard0, heard })}`);
  await chair.ok({ type: 'floor.end' });
  for (const p of [ana, olu]) await p.context().close();
});
