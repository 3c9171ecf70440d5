// Issue 12 in Firefox ESR (WebDriver BiDi, puppeteer-core): a Firefox listener hears the
// floor. plenaryd runs as a second host in a network namespace (netns.mjs; Firefox sends
// no ICE checks to loopback), Firefox reaches it over a veth pair at http://10.213.N.2.
//
// Olu, an observer, opens the web client itself in Firefox; it offers a receive-only peer
// on its own. Ana, a participant, speaks from another Firefox context: a page of the
// server's origin that joins over its own WebSocket and sends a 440 Hz WebAudio tone
// (lightly amplitude-modulated, so no encoder takes it for silence) through a plain
// RTCPeerConnection: no microphone, so this test needs no getUserMedia on an insecure
// origin. The chair, a WebSocket client of the test, gives Ana the floor.
//
// Checked: the server tells Olu's page media.state connected and the web client says live
// audio is connected; Olu's inbound-rtp packets and bytes grow while Ana has the floor; and
// the audio Firefox decodes from Olu's remote track, measured with a WebAudio analyser, is
// not silent and peaks at Ana's 440 Hz.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { token, join } from '../integration/harness.mjs';
import { startServerInNamespace } from './netns.mjs';
import {
  launchFirefox,
  openFirefoxPage,
  pollPage,
  mediaState,
  inbound,
  analyse,
} from './firefox.mjs';

const ROOM = 'ff-listen';
const HZ = 440;
let server, firefox, chair;

before(async () => {
  server = await startServerInNamespace({
    config: { rooms: [{ id: ROOM, title: 'Firefox plenary', public_observers: true }] },
  });
  firefox = await launchFirefox();
  chair = await join(server, ROOM, { role: 'chair', name: 'Carla Chair', sub: 'carla' });
  await chair.ok({ type: 'session.start' });
});
after(async () => {
  try {
    await chair?.close();
    await firefox?.close();
  } finally {
    await server?.cleanup();
  }
});

// Runs in Ana's page: joins, sends the tone, connects. Leaves window.pl.request.
async function speak({ wsUrl, room, tok, hz }) {
  const ws = new WebSocket(wsUrl, 'plenary.v1');
  const inbox = [];
  ws.onmessage = (e) => inbox.push(JSON.parse(e.data));
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  const wait = async (pred, ms = 10000) => {
    for (
      const end = Date.now() + ms;
      Date.now() < end;
      await new Promise((r) => setTimeout(r, 20))
    ) {
      const m = inbox.find(pred);
      if (m) return m;
    }
    return null;
  };
  let id = 0;
  const request = (obj) => {
    const mine = ++id;
    ws.send(JSON.stringify({ ...obj, id: mine }));
    return wait((m) => (m.type === 'ack' || m.type === 'error') && m.id === mine);
  };
  window.pl = { inbox, wait, request };
  const joined = await request({ type: 'join', room, token: tok });
  const ctx = new AudioContext({ sampleRate: 48000 });
  await ctx.resume();
  const osc = new OscillatorNode(ctx, { frequency: hz });
  const gain = new GainNode(ctx, { gain: 0.25 });
  const lfo = new OscillatorNode(ctx, { frequency: 3 });
  const depth = new GainNode(ctx, { gain: 0.08 });
  lfo.connect(depth).connect(gain.gain);
  const dest = new MediaStreamAudioDestinationNode(ctx);
  osc.connect(gain).connect(dest);
  osc.start();
  lfo.start();
  const pc = new RTCPeerConnection();
  pc.addTrack(dest.stream.getAudioTracks()[0], dest.stream);
  await pc.setLocalDescription(await pc.createOffer());
  const ack = await request({ type: 'media.offer', sdp: pc.localDescription.sdp });
  if (!ack || ack.type !== 'ack') return { join: joined?.type, ack };
  await pc.setRemoteDescription({ type: 'answer', sdp: ack.sdp });
  for (let i = 0; i < 300 && pc.connectionState !== 'connected'; i++)
    await new Promise((r) => setTimeout(r, 50));
  return { join: joined.type, ack: ack.type, state: pc.connectionState, audio: ctx.state };
}

test('a Firefox listener hears the floor through the web client', { timeout: 90000 }, async () => {
  // Olu listens in the web client.
  const oluTok = token({ room: ROOM, role: 'observer', name: 'Olu Observer', sub: 'olu' });
  const olu = await openFirefoxPage(
    firefox,
    `${server.url}/#room=${ROOM}&token=${encodeURIComponent(oluTok)}`,
    { name: 'olu' },
  );
  const status = await pollPage(olu, () => {
    const s = document.querySelector('.audio-status')?.textContent || '';
    return /connected|not available|could not|failed/i.test(s) && s;
  });
  assert.match(status, /Live audio connected/, 'the web client connected its audio');
  assert.equal(
    await pollPage(
      olu,
      () =>
        window.__received.some((m) => m.kind === 'media.state' && m.data.state === 'connected') &&
        'connected',
    ),
    'connected',
    'the server counts the listener connected',
  );
  assert.equal(await mediaState(olu), 'connected');

  // Ana speaks from her own Firefox context and is given the floor.
  const ana = await openFirefoxPage(firefox, `${server.url}/healthz`, { name: 'ana' });
  const anaTok = token({ room: ROOM, role: 'participant', name: 'Ana Silva', sub: 'ana' });
  const r = await ana.evaluate(speak, { wsUrl: server.wsUrl, room: ROOM, tok: anaTok, hz: HZ });
  assert.deepEqual(
    r,
    { join: 'ack', ack: 'ack', state: 'connected', audio: 'running' },
    JSON.stringify(r),
  );
  // Before the floor is hers her mic is closed: Olu hears nothing (so the check below can
  // tell silence from sound).
  const quiet = await analyse(olu, 'received', 1000);
  assert.ok(
    quiet.rms < 0.005,
    `Olu hears something before anyone has the floor: ${JSON.stringify(quiet)}`,
  );
  assert.equal((await ana.evaluate(() => window.pl.request({ type: 'queue.raise' }))).type, 'ack');
  const from = chair.messages.length;
  await chair.ok({ type: 'queue.next' });
  await chair.event('floor.granted', { from });
  const mic = await ana.evaluate(() =>
    window.pl.wait((m) => m.type === 'private' && m.kind === 'mic' && m.data.open === true),
  );
  assert.deepEqual(mic?.data, { open: true }, 'the floor holder’s mic opened');

  // Olu's peer receives RTP while Ana speaks, and Firefox counts energy in what it decodes...
  const start = await inbound(olu);
  assert.equal(start?.state, 'connected', JSON.stringify(start));
  const grown = await pollPage(
    olu,
    async (s) => {
      const pc = window.__pcs.at(-1);
      let r = null;
      (await pc.getStats()).forEach((x) => {
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
    start,
    { timeout: 20000 },
  );
  assert.ok(
    grown,
    `Olu's inbound-rtp did not grow from ${JSON.stringify(start)}: ${JSON.stringify(await inbound(olu))}`,
  );

  // ...and what Firefox decodes from it is Ana's tone, not silence.
  const heard = await analyse(olu, 'received', 2000);
  if (process.env.PLENARY_TEST_VERBOSE) console.log({ start, grown, quiet, heard });
  assert.equal(heard.track, 'live', JSON.stringify(heard));
  assert.equal(heard.state, 'running', JSON.stringify(heard));
  assert.ok(heard.rms > 0.02, `Olu's decoded audio is silent: ${JSON.stringify(heard)}`);
  assert.ok(
    Math.abs(heard.peakHz - HZ) < 25,
    `Olu hears ${heard.peakHz} Hz, not Ana's ${HZ} Hz: ${JSON.stringify(heard)}`,
  );

  await chair.ok({ type: 'floor.end' });
  await ana.browserContext().close();
  await olu.browserContext().close();
});
