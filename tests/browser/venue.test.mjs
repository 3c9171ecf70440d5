// Issue 14: the venue console in real headless Chromium, and what the venue hears and is
// heard as, decoded by frequency in the browsers themselves.
//
// The venue (role venue, the web client's venue console) captures the room's microphones
// from Chromium's fake device, fed a 440 Hz WAV file made here. Ana, a remote participant,
// sends 1000 Hz (WebAudio into her peer, as mixer.test does) and is given the floor by the
// chair (a WebSocket client of the test). Olu, a remote listener, is an observer in the web
// client. Each page's received audio goes through an AnalyserNode; the spectra say:
//   - the venue hears Ana (1000 Hz) and not the room itself (no 440 Hz: mix-minus);
//   - Olu hears the venue (440 Hz) and Ana, as one floor mix;
//   - the desk picks another input and another output in the console: the new microphone's
//     track replaces the old in the peer and Olu still hears the room; the audio plays to
//     the chosen output (its sinkId).
// The console says "ON AIR" in words, and axe finds no violation in it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as pathJoin } from 'node:path';
import { chromium } from 'playwright-core';
import { startServer, token, join, sleep } from '../integration/harness.mjs';
import { openPage, roomLink, axe, screenshot, see } from './browser.mjs';
import { startPeer, spectrum, toneWav } from './pageaudio.mjs';

const ROOM = 'hall';
let server, browser, chair, work;

// Chromium's fake microphone loops hz, lightly amplitude-modulated (Opus DTX never takes a
// moving tone for noise).
const wobble = (t) => 0.3 + 0.08 * Math.sin(2 * Math.PI * 3 * t);

before(async () => {
  work = mkdtempSync(pathJoin(tmpdir(), 'plenary-venue-'));
  const wav = pathJoin(work, 'room-440.wav');
  toneWav(wav, 440, 10, wobble);
  server = await startServer({ config: { rooms: [{ id: ROOM, title: 'Hybrid hall', public_observers: true }] } });
  browser = await chromium.launch({
    executablePath: process.env.PLENARY_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
      `--use-file-for-fake-audio-capture=${wav}`, '--disable-gpu', '--no-first-run',
      '--autoplay-policy=no-user-gesture-required'],
  });
  chair = await join(server, ROOM, { role: 'chair', name: 'Carla Chair', sub: 'carla' });
  await chair.ok({ type: 'session.start' });
});

after(async () => {
  await chair?.close();
  await browser?.close();
  await server?.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('the venue hears the remote speaker and not itself; remote listeners hear the venue', async () => {
  const errors = [];
  const venue = await openPage(browser, null, { errors });
  // What the console hands its peer when the desk picks another input: the device of each
  // track it puts in place of the last (RTCRtpSender.replaceTrack, no new offer).
  await venue.context().addInitScript(() => {
    window.replacedWith = [];
    const replace = RTCRtpSender.prototype.replaceTrack;
    RTCRtpSender.prototype.replaceTrack = function (track) {
      window.replacedWith.push(track?.getSettings?.().deviceId ?? null);
      return replace.call(this, track);
    };
  });
  await venue.goto(roomLink(server, ROOM, token({ room: ROOM, role: 'venue', name: 'Hall sound desk', sub: 'desk', location: 'room' })));
  await see(venue, 'Venue console');
  // The room's microphones: on at once when the browser already has the permission (as
  // Chromium's fake prompt gives it), else enabled from the console by keyboard.
  const enable = venue.getByRole('button', { name: 'Enable the room’s microphones' });
  await Promise.race([
    enable.waitFor({ state: 'visible', timeout: 15000 }),
    venue.waitForFunction(() => document.getElementById('venue-air')?.textContent.startsWith('ON AIR'), null, { timeout: 15000 }),
  ]);
  if (await enable.isVisible()) {
    await enable.focus();
    await venue.keyboard.press('Enter');
  }
  await venue.waitForFunction(() => document.getElementById('venue-air')?.textContent.startsWith('ON AIR'), null, { timeout: 15000 });
  assert.match(await venue.locator('#venue-air').innerText(), /^ON AIR: everyone hears the room/);
  assert.ok(await venue.locator('#venue-air').evaluate((e) => e.classList.contains('live')));

  // Ana, remote, takes the floor.
  const anaCtx = await browser.newContext();
  const ana = await anaCtx.newPage();
  await ana.goto(`${server.url}/healthz`);
  // Ana sends a 1000 Hz tone into her peer (startPeer runs in her page).
  const { state } = await ana.evaluate(startPeer, { wsUrl: server.wsUrl, room: ROOM, hz: 1000, tok: token({ room: ROOM, role: 'participant', name: 'Ana Silva', sub: 'ana' }) });
  assert.equal(state, 'connected');
  assert.equal((await ana.evaluate(() => window.pl.request({ type: 'queue.raise' }))).type, 'ack');
  await chair.ok({ type: 'queue.next' });
  assert.ok(await ana.evaluate(() => window.pl.wait((m) => m.type === 'private' && m.kind === 'mic' && m.data.open)));

  // Olu listens remotely in the web client.
  const olu = await openPage(browser, `${server.url}/#room=${ROOM}&role=observer&name=Olu`, { errors });
  await olu.waitForFunction(() => [...document.querySelectorAll('audio')].some((a) => a.srcObject && !a.paused), null, { timeout: 15000 });
  // The floor in the venue console at a glance: who speaks.
  await see(venue, 'Ana Silva');
  await sleep(1500);

  const freqs = [440, 1000, 700];
  const [heardByVenue, heardByOlu] = await Promise.all([
    venue.evaluate(spectrum, { freqs, ms: 3000 }),
    olu.evaluate(spectrum, { freqs, ms: 3000 }),
  ]);
  const v = heardByVenue.power;
  const o = heardByOlu.power;
  assert.ok(heardByVenue.frames > 10 && heardByOlu.frames > 10);
  assert.ok(v[1000] > 30 * v[440], `the venue hears Ana, not itself: ${JSON.stringify(v)}`);
  assert.ok(v[1000] > 30 * v[700], `the venue hears Ana: ${JSON.stringify(v)}`);
  assert.ok(o[440] > 30 * o[700], `Olu hears the venue: ${JSON.stringify(o)}`);
  assert.ok(o[1000] > 30 * o[700], `Olu hears Ana: ${JSON.stringify(o)}`);

  // The console's meters move: something goes out and something comes in.
  const levels = await venue.evaluate(() => [document.getElementById('venue-out').value, document.getElementById('venue-in').value]);
  assert.ok(levels[0] > 0.01 && levels[1] > 0.01, `meters ${levels}`);

  // By keyboard: the jump link to the console, then its controls in order.
  await venue.getByRole('link', { name: 'Venue console' }).focus();
  await venue.keyboard.press('Enter');
  await venue.keyboard.press('Tab');
  assert.equal(await venue.evaluate(() => document.activeElement.id), 'venue-input');
  await venue.keyboard.press('Tab');
  assert.equal(await venue.evaluate(() => document.activeElement.id), 'venue-output');
  // A screen reader hears the state: the indicator is a status region, in words.
  assert.equal(await venue.locator('#venue-air').getAttribute('role'), 'status');

  // The desk changes its input (Chromium's second fake microphone, the same WAV) and its
  // loudspeakers: the new microphone's track goes into the peer, the room goes on being
  // heard, and the console's audio plays to the chosen output.
  const input2 = await venue.evaluate(async () => (await navigator.mediaDevices.enumerateDevices()).find((d) => d.kind === 'audioinput' && d.label === 'Fake Audio Input 2')?.deviceId);
  assert.ok(input2, 'Chromium offers a second fake microphone');
  await venue.locator('#venue-input').selectOption({ label: 'Fake Audio Input 2' });
  await venue.waitForFunction((id) => window.replacedWith.includes(id), input2, { timeout: 10000 });
  assert.match(await venue.locator('#venue-air').innerText(), /^ON AIR/);
  await sleep(1000);
  const afterSwitch = (await olu.evaluate(spectrum, { freqs, ms: 2000 })).power;
  assert.ok(afterSwitch[440] > 30 * afterSwitch[700], `Olu hears the venue's new microphone: ${JSON.stringify(afterSwitch)}`);
  const output2 = await venue.evaluate(async () => (await navigator.mediaDevices.enumerateDevices()).find((d) => d.kind === 'audiooutput' && d.label === 'Fake Audio Output 2')?.deviceId);
  assert.ok(output2, 'Chromium offers a second fake output');
  await venue.locator('#venue-output').selectOption({ label: 'Fake Audio Output 2' });
  await venue.waitForFunction((id) => [...document.querySelectorAll('audio')].some((a) => a.sinkId === id), output2, { timeout: 10000 });
  await venue.waitForFunction(() => document.getElementById('announce-polite')?.textContent.includes('Loudspeaker output changed.'), null, { timeout: 5000 });

  await screenshot(venue, 'venue-console');
  const violations = await axe(venue);
  assert.deepEqual(violations, [], JSON.stringify(violations, null, 1));
  assert.deepEqual(errors, []);

  // The session ends: off air, said in words.
  await chair.ok({ type: 'session.end' });
  await venue.waitForFunction(() => document.getElementById('venue-air')?.textContent.startsWith('Off air'), null, { timeout: 10000 });
  await anaCtx.close();
  await venue.context().close();
  await olu.context().close();
});
