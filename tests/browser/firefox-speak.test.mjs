// Issue 12 in Firefox ESR (WebDriver BiDi, puppeteer-core): a Firefox participant speaks
// with the web client and is heard. plenaryd runs as a second host in a network namespace
// (netns.mjs; Firefox sends no ICE checks to loopback) and serves HTTPS itself
// (--tls-cert/--tls-key) with a certificate for its address there, signed by a test CA
// made here (testpki.mjs): Firefox opens https://10.213.N.2, a secure context, with no pref
// that lets an insecure origin have the microphone. The BiDi session accepts the test CA's
// certificate (acceptInsecureCerts); node's clients trust that CA alone. The microphone is
// Firefox's fake device, a 660 Hz tone here (media.navigator.audio.fake_frequency).
//
// Ana, a participant, and Olu, an observer, each open the web client in their own Firefox
// context; the chair is a WebSocket client of the test. Ana presses "Enable microphone",
// raises her hand and is given the floor by the chair.
//
// Checked: Ana's microphone is the fake device's 660 Hz tone (WebAudio analyser on the
// track she sends) and her peer is connected as the server sees it (media.state); the
// server decrypts her RTP (plenary_rtp_packets_received_total grows, SRTP authentication
// never fails: plenary_srtp_errors_total stays 0) while her outbound-rtp grows; Olu hears
// nothing before the floor is hers and her 660 Hz tone while it is (inbound-rtp packets,
// bytes and Firefox's totalAudioEnergy grow, and the decoded audio's analyser peaks there).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join as pathJoin } from 'node:path';
import WebSocket from 'ws';
import { token, Client } from '../integration/harness.mjs';
import { makeCa, makeLeaf } from '../integration/testpki.mjs';
import { startServerInNamespace } from './netns.mjs';
import {
  launchFirefox,
  openFirefoxPage,
  pollPage,
  mediaState,
  inbound,
  outbound,
  analyse,
} from './firefox.mjs';

const ROOM = 'ff-speak';
const HZ = 660;
const pkiDir = mkdtempSync(pathJoin(tmpdir(), 'plenary-ff-tls-'));
let server, firefox, chair;

// The server's certificate: for its address in the namespace, known once that exists.
function certificateFor(ip) {
  const ca = makeCa(pkiDir);
  const leaf = makeLeaf(ca, 'server', 'plenary (Firefox test)', `IP:${ip}`);
  return { cert: leaf.cert, key: leaf.key, ca: ca.pem };
}

before(async () => {
  server = await startServerInNamespace({
    config: {
      rooms: [{ id: ROOM, title: 'Firefox plenary', public_observers: true }],
    },
    tls: certificateFor,
  });
  firefox = await launchFirefox(
    { 'media.navigator.audio.fake_frequency': HZ },
    { acceptInsecureCerts: true },
  );
  const ws = new WebSocket(server.wsUrl, ['plenary.v1'], { ca: server.ca });
  chair = new Client(ws);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const tok = token({
    room: ROOM,
    role: 'chair',
    name: 'Carla Chair',
    sub: 'carla',
  });
  await chair.ok({ type: 'join', room: ROOM, token: tok });
  await chair.ok({ type: 'session.start' });
});
after(async () => {
  try {
    await chair?.close();
    await firefox?.close();
  } finally {
    await server?.cleanup();
    rmSync(pkiDir, { recursive: true, force: true });
  }
});

function get(path) {
  return new Promise((resolve, reject) => {
    https
      .get(`${server.url}${path}`, { ca: server.ca, agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode, text }));
      })
      .on('error', reject);
  });
}

async function metric(name) {
  const m = await get('/metrics');
  const line = m.text.split('\n').find((l) => l.startsWith(`${name} `));
  assert.ok(line, `${name} in /metrics`);
  return Number(line.split(' ')[1]);
}

const link = (role, name, sub) =>
  `${server.url}/#room=${ROOM}&token=${encodeURIComponent(token({ room: ROOM, role, name, sub }))}`;

// Waits for the web client's audio panel to say live audio is connected, and for the
// server to have told the page so (media.state connected).
async function audioConnected(page, who) {
  const status = await pollPage(page, () => {
    const s = document.querySelector('.audio-status')?.textContent || '';
    return /connected|not available|could not|failed/i.test(s) && s;
  });
  assert.match(status, /Live audio connected/, `${who}: the web client connected its audio`);
  const state = await pollPage(page, () => {
    const m = window.__received.filter((x) => x.kind === 'media.state');
    return m.length && m.at(-1).data.state === 'connected' && 'connected';
  });
  assert.equal(state, 'connected', `${who}: media.state ${await mediaState(page)}`);
}

function clickButton(page, label) {
  return page.evaluate((label) => {
    const b = [...document.querySelectorAll('button')].find(
      (x) => x.textContent.trim() === label && !x.hidden,
    );
    if (!b) return false;
    b.click();
    return true;
  }, label);
}

test(
  'a Firefox participant speaks with the web client and a Firefox listener hears her',
  { timeout: 90000 },
  async () => {
    const olu = await openFirefoxPage(firefox, link('observer', 'Olu Observer', 'olu'), {
      name: 'olu',
    });
    await audioConnected(olu, 'Olu');
    const ana = await openFirefoxPage(firefox, link('participant', 'Ana Silva', 'ana'), {
      name: 'ana',
    });
    await audioConnected(ana, 'Ana');

    // An https:// page of a real address: a secure context, with the microphone.
    const where = await ana.evaluate(() => ({
      protocol: location.protocol,
      secure: window.isSecureContext,
      mediaDevices: !!navigator.mediaDevices,
    }));
    assert.deepEqual(where, {
      protocol: 'https:',
      secure: true,
      mediaDevices: true,
    });
    // The microphone; the web client then offers again, sending.
    const pcsBefore = await ana.evaluate(() => window.__pcs.length);
    assert.equal(
      await pollPage(ana, () =>
        [...document.querySelectorAll('button')].some(
          (b) => b.textContent.trim() === 'Enable microphone' && !b.hidden,
        ),
      ),
      true,
      'Enable microphone is offered',
    );
    assert.equal(await clickButton(ana, 'Enable microphone'), true);
    const sending = await pollPage(
      ana,
      (n) => {
        const err = document.querySelector('.audio .error:not([hidden])')?.textContent;
        if (err) return { error: err };
        const pc = window.__pcs.at(-1);
        return (
          window.__pcs.length > n &&
          pc.connectionState === 'connected' &&
          pc.getSenders().some((s) => s.track) && { ok: true }
        );
      },
      pcsBefore,
    );
    assert.deepEqual(
      sending,
      { ok: true },
      `Ana's microphone and sending peer: ${JSON.stringify(sending)}`,
    );
    await audioConnected(ana, 'Ana (sending)');
    const mic = await analyse(ana, 'sent', 1000);
    assert.ok(
      mic.rms > 0.02 && Math.abs(mic.peakHz - HZ) < 25,
      `Ana's microphone is Firefox's fake ${HZ} Hz tone: ${JSON.stringify(mic)}`,
    );

    // Her microphone is closed until she has the floor: Olu hears nothing.
    const quiet = await analyse(olu, 'received', 1000);
    assert.ok(
      quiet.rms < 0.005,
      `Olu hears something before anyone has the floor: ${JSON.stringify(quiet)}`,
    );

    await ana.click('#raise');
    await pollPage(ana, () => /you are number 1/.test(document.body.textContent));
    const from = chair.messages.length;
    await chair.ok({ type: 'queue.next' });
    await chair.event('floor.granted', { from });
    const open = await pollPage(ana, () =>
      /Microphone: Open: you are heard\./.test(document.body.textContent),
    );
    assert.equal(open, true, 'the web client tells Ana she is heard');

    // The server decrypts and authenticates her RTP...
    const received0 = await metric('plenary_rtp_packets_received_total');
    const sent0 = await outbound(ana);
    const in0 = await inbound(olu);
    let received = received0;
    for (let i = 0; i < 100 && received < received0 + 100; i++) {
      await new Promise((r) => setTimeout(r, 100));
      received = await metric('plenary_rtp_packets_received_total');
    }
    assert.ok(
      received >= received0 + 100,
      `the server received ${received - received0} RTP packets from Ana`,
    );
    assert.equal(await metric('plenary_srtp_errors_total'), 0, 'every SRTP packet authenticated');
    const sent = await outbound(ana);
    assert.ok(
      sent.packets > sent0.packets + 50,
      `Ana's outbound-rtp ${JSON.stringify({ sent0, sent })}`,
    );

    // ...and Olu's Firefox receives and decodes her tone.
    const grown = await pollPage(
      olu,
      async (s) => {
        let r = null;
        (await window.__pcs.at(-1).getStats()).forEach((x) => {
          if (x.type === 'inbound-rtp' && x.kind === 'audio') r = x;
        });
        return (
          r &&
          r.packetsReceived > s.packets + 100 &&
          r.bytesReceived > s.bytes + 2000 &&
          r.totalAudioEnergy > s.energy + 0.01 && {
            packets: r.packetsReceived,
            bytes: r.bytesReceived,
            energy: r.totalAudioEnergy,
          }
        );
      },
      in0,
      { timeout: 20000 },
    );
    assert.ok(
      grown,
      `Olu's inbound-rtp did not grow from ${JSON.stringify(in0)}: ${JSON.stringify(await inbound(olu))}`,
    );
    const heard = await analyse(olu, 'received', 2000);
    if (process.env.PLENARY_TEST_VERBOSE)
      console.log({
        mic,
        quiet,
        received: received - received0,
        sent,
        grown,
        heard,
      });
    assert.equal(heard.track, 'live', JSON.stringify(heard));
    assert.ok(heard.rms > 0.02, `Olu's decoded audio is silent: ${JSON.stringify(heard)}`);
    assert.ok(
      Math.abs(heard.peakHz - HZ) < 25,
      `Olu hears ${heard.peakHz} Hz, not Ana's ${HZ} Hz: ${JSON.stringify(heard)}`,
    );

    await chair.ok({ type: 'floor.end' });
    await ana.browserContext().close();
    await olu.browserContext().close();
  },
);
