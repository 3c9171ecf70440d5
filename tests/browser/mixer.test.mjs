// Issue 7 end to end in real headless Chromium: only the floor is heard, and it is recorded.
//
// Three people in separate browser contexts of one Chromium, each making its own audio
// with WebAudio (an oscillator, lightly amplitude-modulated so that Opus DTX never takes a
// steady tone for noise, into a MediaStreamAudioDestinationNode whose track goes to the
// RTCPeerConnection): Ana sends 440 Hz and is given the floor; Ben sends 1760 Hz the whole
// time and never has the floor; Olu, an observer, only listens. The chair is a plain
// WebSocket client of the test.
//
// Checked: `mic {open:true}` reaches Ana; the chair is told Ben is trying to speak
// (mic.attempt); Olu receives audio (inbound-rtp packets and audio energy); and the
// session's recording.ogg, decoded with opusdec to WAV and analysed with a Goertzel filter
// here, holds 440 Hz for about the floor's duration (and not outside it) and no trace of
// 1760 Hz, its timeline starting at the session's start.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as pathJoin } from 'node:path';
import { chromium } from 'playwright-core';
import { startServer, token, join, http, sleep } from '../integration/harness.mjs';
import { startPeer, inboundStats, goertzel } from './pageaudio.mjs';

const ROOM = 'mixer';
const FLOOR_MS = 5000;
let server, browser, chair, work;

before(async () => {
  server = await startServer({ config: { rooms: [{ id: ROOM, title: 'Mixer plenary', public_observers: true }] } });
  browser = await chromium.launch({
    executablePath: process.env.PLENARY_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
      '--disable-gpu', '--no-first-run', '--autoplay-policy=no-user-gesture-required'],
  });
  chair = await join(server, ROOM, { role: 'chair', name: 'Carla Chair', sub: 'carla' });
  work = mkdtempSync(pathJoin(tmpdir(), 'plenary-mixer-'));
});
after(async () => {
  await chair?.close();
  await browser?.close();
  await server?.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function person(name, sub, role, hz) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('console', (m) => { if (process.env.PLENARY_TEST_VERBOSE) console.log(`[${sub}] ${m.text()}`); });
  await page.goto(`${server.url}/healthz`);
  const tok = token({ room: ROOM, role, name, sub });
  const r = await page.evaluate(startPeer, { wsUrl: server.wsUrl, room: ROOM, tok, hz, play: true });
  assert.deepEqual(r, { join: 'ack', ack: 'ack', state: 'connected' }, `${name}: ${JSON.stringify(r)}`);
  return page;
}

const tsMs = (ts) => Date.parse(ts);

// A mono 16-bit WAV (what opusdec writes) to Float32 samples.
function readWav(path) {
  const b = readFileSync(path);
  let off = 12, fmt = null;
  while (off + 8 <= b.length) {
    const id = b.toString('ascii', off, off + 4), size = b.readUInt32LE(off + 4);
    if (id === 'fmt ') fmt = { channels: b.readUInt16LE(off + 10), rate: b.readUInt32LE(off + 12) };
    if (id === 'data') {
      const n = Math.floor(Math.min(size, b.length - off - 8) / 2 / fmt.channels);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = b.readInt16LE(off + 8 + i * 2 * fmt.channels) / 32768;
      return { rate: fmt.rate, samples: out };
    }
    off += 8 + size + (size & 1);
  }
  throw new Error('no data chunk');
}

// The amplitude of frequency hz in x[from, from + n) (Goertzel).
const amplitude = (x, from, n, hz, rate) => 2 * goertzel(x.subarray(from, from + n), hz, rate);

test('only the floor is heard: the observer receives it, the recording holds 440 Hz and no 1760 Hz', async () => {
  await chair.ok({ type: 'session.start' });
  const sessionEv = await chair.event('session.started');
  const ana = await person('Ana Silva', 'ana', 'participant', 440);
  const ben = await person('Ben Okafor', 'ben', 'participant', 1760);
  const olu = await person('Olu Observer', 'olu', 'observer', 0);

  // Ana and Ben talk into closed microphones: the chair is told who is trying to speak.
  const attempt = await chair.next((m) => m.type === 'private' && m.kind === 'mic.attempt' && m.data.pid === 'ben', { timeout: 8000 });
  assert.deepEqual(attempt.data, { pid: 'ben', name: 'Ben Okafor' });

  // Ana gets the floor; her mic opens.
  assert.equal((await ana.evaluate(() => window.pl.request({ type: 'queue.raise' }))).type, 'ack');
  const from = chair.messages.length;
  await chair.ok({ type: 'queue.next' });
  const granted = await chair.event('floor.granted', { from });
  const mic = await ana.evaluate(() => window.pl.wait((m) => m.type === 'private' && m.kind === 'mic' && m.data.open === true));
  assert.deepEqual(mic?.data, { open: true }, 'mic {open:true} reached the floor holder');
  const before = await olu.evaluate(inboundStats);
  await sleep(FLOOR_MS);
  const after = await olu.evaluate(inboundStats);
  const fromEnd = chair.messages.length;
  await chair.ok({ type: 'floor.end' });
  const ended = await chair.event('floor.ended', { from: fromEnd });
  await sleep(1500); // silence after the floor, with Ben still talking into his closed mic

  // The observer heard the floor.
  assert.ok(after && after.packets - (before?.packets || 0) > 150, `observer packets ${JSON.stringify({ before, after })}`);
  assert.ok(after.energy - (before?.energy || 0) > 0.01, `observer audio energy ${JSON.stringify({ before, after })}`);

  const m = await http(server, 'GET', '/metrics');
  if (process.env.PLENARY_TEST_VERBOSE)
    console.log(m.text.split('\n').filter((l) => /^plenary_(mixer|room|rtp)/.test(l)).join('\n'));
  const open = /plenary_room_open_mics\{room="mixer"\} (\d+)/.exec(m.text);
  assert.ok(open, 'per-room open mics in /metrics');
  assert.match(m.text, /plenary_mixer_latency_seconds_count\{mode="(mix|forward)"\} [1-9]/);

  const endFrom = chair.messages.length;
  await chair.ok({ type: 'session.end' });
  const sessionEnd = await chair.event('session.ended', { from: endFrom });
  for (const p of [ana, ben, olu]) await p.context().close();

  // The recording, once the writer has finished it.
  const file = pathJoin(work, 'recording.ogg');
  let info;
  for (let i = 0; i < 50; i++) {
    const r = await fetch(`${server.url}/api/rooms/${ROOM}/recording.ogg`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'audio/ogg');
    writeFileSync(file, Buffer.from(await r.arrayBuffer()));
    info = spawnSync('opusinfo', [file], { encoding: 'utf8' });
    if (info.status === 0 && !/[Ww]arning|[Ee]rror/.test(info.stdout + info.stderr)) break;
    await sleep(100);
  }
  assert.equal(info.status, 0, info.stdout + info.stderr);
  assert.match(info.stdout, /ROOM=mixer/);
  assert.match(info.stdout, /SESSION=Mixer plenary/);
  const wav = pathJoin(work, 'recording.wav');
  const dec = spawnSync('opusdec', ['--rate', '48000', file, wav], { encoding: 'utf8' });
  assert.equal(dec.status, 0, dec.stderr);
  const { rate, samples } = readWav(wav);

  // The timeline: sample t is session time t.
  const t0 = tsMs(sessionEv.ts);
  const sessionS = (tsMs(sessionEnd.ts) - t0) / 1000;
  const lengthS = samples.length / rate;
  assert.ok(Math.abs(lengthS - sessionS) < 0.5, `recording ${lengthS.toFixed(2)} s, session ${sessionS.toFixed(2)} s`);

  const grantS = (tsMs(granted.ts) - t0) / 1000;
  const endS = (tsMs(ended.ts) - t0) / 1000;
  const win = rate / 10; // 100 ms windows
  let inside = 0, insideHeard = 0, outsideHeard = 0, outside = 0, max1760 = 0, min440 = 1, heardS = 0;
  for (let w = 0; (w + 1) * win <= samples.length; w++) {
    const t = (w * win) / rate;
    const a440 = amplitude(samples, w * win, win, 440, rate);
    const a1760 = amplitude(samples, w * win, win, 1760, rate);
    max1760 = Math.max(max1760, a1760);
    if (a440 > 0.05) heardS += 0.1;
    if (t > grantS + 0.3 && t + 0.1 < endS - 0.1) {
      inside++;
      insideHeard += a440 > 0.05;
      min440 = Math.min(min440, a440);
    } else if (t + 0.1 < grantS - 0.1 || t > endS + 0.4) {
      outside++;
      outsideHeard += a440 > 0.01;
    }
  }
  const floorS = endS - grantS;
  if (process.env.PLENARY_TEST_VERBOSE)
    console.log(JSON.stringify({ lengthS, sessionS, grantS, endS, floorS, heardS, inside, insideHeard, outside, outsideHeard, max1760, min440 }));
  assert.ok(insideHeard >= inside * 0.95, `440 Hz in ${insideHeard} of ${inside} windows of the floor`);
  assert.ok(Math.abs(heardS - floorS) < 0.6, `440 Hz for ${heardS.toFixed(1)} s, the floor was ${floorS.toFixed(1)} s`);
  assert.equal(outsideHeard, 0, `440 Hz outside the floor in ${outsideHeard} of ${outside} windows`);
  assert.ok(max1760 < 0.002, `1760 Hz must not be in the recording (max amplitude ${max1760})`);
});
