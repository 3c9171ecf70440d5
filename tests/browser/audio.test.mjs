// Audio in the web client, with the server's media or without it. Without (media.offer
// answered unknown_type, as before the media side existed), the client says so and offers
// the listen-only stream; with it, the floor holder's fake microphone reaches the server.
// A refused microphone gets a clear message, and someone talking while their microphone
// is closed is told that nobody hears them.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, token, join, sleep } from '../integration/harness.mjs';
import { connected, launch, openPage, roomLink, rtp, see, text } from './browser.mjs';

const ROOM = 'plenary';
let server, browser, chair;

before(async () => {
  server = await startServer({ config: { rooms: [{ id: ROOM, title: 'Opening plenary', public_observers: true }] } });
  browser = await launch();
  chair = await join(server, ROOM, { role: 'chair', name: 'Carla Chair', sub: 'carla' });
  await chair.ok({ type: 'session.start' });
});
after(async () => {
  await chair?.close();
  await browser?.close();
  await server?.cleanup();
});

const participant = (name, sub) => roomLink(server, ROOM, token({ room: ROOM, role: 'participant', name, sub }));

// Waits for the audio panel to settle, and says whether live audio connected.
async function audioSettled(page) {
  await page.waitForFunction(() => /connected|not available|could not|failed/i.test(document.querySelector('.audio-status')?.textContent || ''), null, { timeout: 15000 });
  return /Live audio connected/.test(await text(page, '.audio-status'));
}

// Page scripts run before the client's own code.
function withoutMedia() {
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    return send.call(this, typeof data === 'string' ? data.replace('"type":"media.offer"', '"type":"media.offer.unknown"') : data);
  };
}
function micRefused() {
  navigator.permissions.query = async () => ({ state: 'prompt' });
  navigator.mediaDevices.getUserMedia = async () => {
    throw new DOMException('Permission denied', 'NotAllowedError');
  };
}
function toneMic() {
  navigator.permissions.query = async () => ({ state: 'granted' });
  navigator.mediaDevices.getUserMedia = async () => {
    const ctx = new AudioContext();
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    gain.gain.value = 0.8;
    const out = ctx.createMediaStreamDestination();
    osc.connect(gain).connect(out);
    osc.start();
    // Audio runs after a user gesture: the test clicks the page once.
    addEventListener('pointerdown', () => ctx.resume());
    return out.stream;
  };
}

async function open(url, script) {
  const page = await openPage(browser, null);
  if (script) await page.context().addInitScript(script);
  await page.goto(url);
  await connected(page);
  await page.click('h1'); // a user gesture, which audio needs
  return page;
}

test('a server without media: audio not available, the listen-only stream offered', async () => {
  const page = await open(participant('Ana Silva', 'ana'), withoutMedia);
  assert.equal(await audioSettled(page), false);
  await see(page, 'Live audio is not available from this server yet.');
  assert.equal(await page.getAttribute('.fallback a', 'href'), `/api/rooms/${ROOM}/listen.ogg`);
  assert.equal(await page.getAttribute('.fallback audio', 'preload'), 'none');
  assert.equal(await page.locator('text=Enable microphone').isVisible(), false);
  await page.context().close();
});

test('a refused microphone gets a clear message; listening goes on', async () => {
  const page = await open(participant('Bruno Costa', 'bruno'), micRefused);
  // The server runs with media: a page whose live audio never connects is a failure.
  assert.ok(await audioSettled(page), 'live audio connected');
  await page.click('text=Enable microphone');
  await see(page, 'Microphone permission was refused. You can still listen, ask to speak and vote.');
  assert.match(await text(page, '.audio-status'), /Live audio connected/);
  await page.context().close();
});

test('talking with a closed microphone: the person is told nobody hears them', async () => {
  const page = await open(participant('Dana Diaz', 'dana'), toneMic);
  await see(page, 'Microphone: Closed');
  await see(page, 'You seem to be speaking, but your microphone is closed', { timeout: 8000 });
  await page.context().close();
});

test('the floor holder’s fake microphone reaches the server', async () => {
  const page = await open(participant('Eli Ek', 'eli'), toneMic);
  // The server runs with media: a page whose live audio never connects is a failure.
  assert.ok(await audioSettled(page), 'live audio connected');
  await page.click('#raise');
  await see(page, 'you are number 1');
  await chair.ok({ type: 'queue.next' });
  await see(page, 'Microphone: Open: you are heard.');
  let counters;
  for (let i = 0; i < 50; i++) {
    counters = await rtp(page);
    if (counters?.sent > 20) break;
    await sleep(100);
  }
  assert.ok(counters?.sent > 20, JSON.stringify(counters));
  await chair.ok({ type: 'floor.end' });
  await page.context().close();
});
