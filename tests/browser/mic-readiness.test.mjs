// Issue 18, audio state everyone needs. Participants' clients report their microphone
// (mic.status); the chair's queue shows each waiting person's readiness in words, and
// granting the floor to someone whose microphone is refused, not enabled or unknown asks
// the chair to confirm first, from the entry and with Next speaker (button and N key), which
// warns about the person queue.next would pick. And the speaker's own status line never says "you are
// heard" while the connection to the meeting is down (the server stops and comes back,
// as in restart.test.mjs).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as pathJoin } from 'node:path';
import { startServer, token, join } from '../integration/harness.mjs';
import { axe, connected, launch, openPage, roomLink, see, text } from './browser.mjs';

const ROOM = 'plenary';
const config = { rooms: [{ id: ROOM, title: 'Opening plenary', public_observers: true }] };
const dataDir = mkdtempSync(pathJoin(tmpdir(), 'plenary-mic-'));
let server, browser, port;

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}
const start = () => startServer({ config, dataDir, grace: 30, args: ['--listen', `127.0.0.1:${port}`] });

before(async () => {
  port = await freePort();
  server = await start();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.cleanup();
  rmSync(dataDir, { recursive: true, force: true });
});

// Page scripts, before the client's own code.
function micRefused() {
  navigator.permissions.query = async () => ({ state: 'prompt' });
  navigator.mediaDevices.getUserMedia = async () => {
    throw new DOMException('Permission denied', 'NotAllowedError');
  };
}
function neverAsked() {
  navigator.permissions.query = async () => ({ state: 'prompt' });
}
// A tone for a microphone, and a watch on the status line: did it ever say "heard" while
// the page's WebSocket was not open?
function toneMicWatched() {
  navigator.permissions.query = async () => ({ state: 'granted' });
  navigator.mediaDevices.getUserMedia = async () => {
    const ctx = new AudioContext();
    const osc = ctx.createOscillator();
    const out = ctx.createMediaStreamDestination();
    osc.connect(out);
    osc.start();
    addEventListener('pointerdown', () => ctx.resume());
    return out.stream;
  };
  window.__heardWhileDown = [];
  new MutationObserver(() => {
    const el = document.getElementById('mic-state');
    const ws = window.__sockets?.at(-1);
    if (el && /you are heard/.test(el.textContent) && (!ws || ws.readyState !== WebSocket.OPEN))
      window.__heardWhileDown.push(el.textContent);
  }).observe(document, { subtree: true, childList: true, characterData: true });
}

async function open(name, sub, script) {
  const page = await openPage(browser, null);
  if (script) await page.context().addInitScript(script);
  await page.goto(roomLink(server, ROOM, token({ room: ROOM, role: 'participant', name, sub })));
  await connected(page);
  await page.click('h1'); // a user gesture, which audio needs
  return page;
}

const entry = (page, name) => page.locator('.queue-list li', { hasText: name });

// The chair's page records the type of every message it sends.
function recordSent() {
  const send = WebSocket.prototype.send;
  window.__sent = [];
  WebSocket.prototype.send = function (data) {
    window.__sent.push(JSON.parse(data).type);
    return send.call(this, data);
  };
}
const sentNext = (page) => page.evaluate(() => window.__sent.filter((t) => t === 'queue.next').length);
const nobody = (page) => page.locator('#floor-h ~ .floor-who').innerText();
// A single key with nothing focused (a shortcut, not typing into the last field used).
async function key(page, k) {
  await page.evaluate(() => document.activeElement?.blur());
  await page.keyboard.press(k);
}

test('the chair sees who can be heard, and confirms before giving the floor to someone who may not be', async () => {
  const chairPage = await openPage(browser, null);
  await chairPage.context().addInitScript(recordSent);
  await chairPage.goto(roomLink(server, ROOM, token({ room: ROOM, role: 'chair', name: 'Carla Chair', sub: 'carla' })));
  await connected(chairPage);
  await chairPage.click('text=Start the session');
  await see(chairPage, 'The line is open.');

  const rita = await open('Rita Refused', 'rita', micRefused);
  await rita.click('text=Enable microphone');
  await see(rita, 'Microphone permission was refused.');
  await rita.click('#raise');
  const nina = await open('Nina Nomic', 'nina', neverAsked);
  await nina.click('#raise');
  // Someone whose client never said anything (a bot, an old client).
  const quiet = await join(server, ROOM, { role: 'participant', name: 'Quinn Quiet', sub: 'quinn' });
  await quiet.ok({ type: 'queue.raise' });
  const ana = await open('Ana Ready', 'ana', toneMicWatched);
  await ana.click('#raise');

  await entry(chairPage, 'Rita Refused').locator('text=Mic refused by their browser').waitFor();
  await entry(chairPage, 'Nina Nomic').locator('text=No mic enabled').waitFor();
  await entry(chairPage, 'Quinn Quiet').locator('text=Mic unknown').waitFor();
  await entry(chairPage, 'Ana Ready').locator('text=Mic ready').waitFor({ timeout: 20000 });
  assert.deepEqual(await axe(chairPage), []);

  // Next speaker would pick Rita (first in the queue): the same warning, under the toolbar,
  // and nothing sent until the chair confirms. Escape cancels, and the focus goes back.
  await chairPage.click('#next-speaker');
  const barWarning = chairPage.locator('.sticky-top .grant-warning');
  await barWarning.waitFor();
  assert.match(await barWarning.innerText(), /Rita Refused has a microphone their browser refused: they may not be heard/);
  assert.equal(await barWarning.getAttribute('role'), 'alert');
  assert.equal(await chairPage.evaluate(() => document.activeElement.textContent), 'Give floor anyway');
  assert.deepEqual(await axe(chairPage), []);
  await chairPage.keyboard.press('Escape');
  await barWarning.waitFor({ state: 'detached' });
  assert.equal(await chairPage.evaluate(() => document.activeElement.id), 'next-speaker');
  // N: the warning again (pressed twice: still one); nothing sent, nobody has the floor.
  await key(chairPage, 'n');
  await barWarning.waitFor();
  assert.equal(await chairPage.evaluate(() => document.activeElement.textContent), 'Give floor anyway');
  await key(chairPage, 'n');
  assert.equal(await barWarning.count(), 1);
  assert.equal(await sentNext(chairPage), 0);
  assert.equal(await nobody(chairPage), 'Nobody has the floor.');
  assert.equal(await entry(chairPage, 'Rita Refused').locator('.pos').innerText(), '1.');
  await chairPage.keyboard.press('Enter'); // Give floor anyway, by keyboard
  await see(rita, 'You have the floor');
  await see(chairPage, 'Rita Refused has the floor.');
  assert.equal(await sentNext(chairPage), 1);
  await chairPage.locator('button:visible', { hasText: 'End the floor' }).first().click();
  await see(chairPage, 'Nobody has the floor.');
  // Nina is next now: N warns that she has not enabled a microphone; Cancel sends nothing.
  await key(chairPage, 'n');
  assert.match(await barWarning.innerText(), /Nina Nomic has not enabled a microphone: they may not be heard/);
  await chairPage.locator('.sticky-top .grant-cancel').click();
  await barWarning.waitFor({ state: 'detached' });
  assert.equal(await sentNext(chairPage), 1);
  await rita.click('#raise'); // Rita waits again, last

  // Rita: a warning, Cancel, nothing granted; then again, and the floor is hers.
  await chairPage.click('[aria-label="Give floor to Rita Refused"]');
  const warning = entry(chairPage, 'Rita Refused').locator('.grant-warning');
  await warning.waitFor();
  assert.match(await warning.innerText(), /Rita Refused has a microphone their browser refused: they may not be heard/);
  assert.equal(await chairPage.evaluate(() => document.activeElement.textContent), 'Give floor anyway');
  await chairPage.keyboard.press('Tab');
  await chairPage.keyboard.press('Enter'); // Cancel, by keyboard
  await warning.waitFor({ state: 'hidden' });
  assert.equal(await chairPage.locator('.floor').getByText('Rita Refused has the floor').count(), 0);
  await chairPage.click('[aria-label="Give floor to Rita Refused"]');
  await entry(chairPage, 'Rita Refused').getByRole('button', { name: 'Give floor anyway' }).click();
  await see(rita, 'You have the floor');
  // The mic's state follows its own event (mic.open), which may come a moment after the floor.
  await rita.locator('#mic-state', { hasText: 'Open: the floor is yours' }).waitFor();
  assert.match(await text(rita, '#mic-state'), /Open: the floor is yours, but the browser refused your microphone: nobody hears you/);
  await chairPage.locator('button:visible', { hasText: 'End the floor' }).first().click();

  // Quinn (never reported) gets the warning too.
  await chairPage.click('[aria-label="Give floor to Quinn Quiet"]');
  assert.match(await entry(chairPage, 'Quinn Quiet').locator('.grant-warning').innerText(), /has not said whether their microphone works/);
  await entry(chairPage, 'Quinn Quiet').getByRole('button', { name: 'Cancel' }).click();

  // Ana is ready: no warning, the floor at once.
  await chairPage.click('[aria-label="Give floor to Ana Ready"]');
  await see(ana, 'You have the floor');
  assert.equal(await chairPage.locator('.grant-warning').count(), 0);
  await chairPage.locator('button:visible', { hasText: 'End the floor' }).first().click();
  await see(chairPage, 'Nobody has the floor.');
  // Ana asks again and the chair moves her to the top: Next speaker gives her the floor at
  // once, and she is heard.
  await ana.click('#raise');
  await entry(chairPage, 'Ana Ready').waitFor();
  while ((await entry(chairPage, 'Ana Ready').locator('.pos').innerText()) !== '1.') {
    const at = await entry(chairPage, 'Ana Ready').locator('.pos').innerText();
    await chairPage.click('[aria-label="Move Ana Ready up"]');
    await chairPage.waitForFunction((was) => [...document.querySelectorAll('.queue-list li')].find((li) => li.textContent.includes('Ana Ready'))?.querySelector('.pos').textContent !== was, at);
  }
  const sent = await sentNext(chairPage);
  await chairPage.click('#next-speaker');
  await see(ana, 'Microphone: Open: you are heard.', { timeout: 20000 });
  assert.equal(await chairPage.locator('.grant-warning').count(), 0);
  assert.equal(await sentNext(chairPage), sent + 1);

  // The server goes away: Ana is never told she is heard while the socket is down.
  await server.stop();
  await connected(ana, 'reconnecting');
  await see(ana, 'Microphone: Not heard: the connection to the meeting is down');
  server = await start();
  await connected(ana);
  await see(ana, 'Microphone: Open: you are heard.', { timeout: 20000 });
  assert.deepEqual(await ana.evaluate(() => window.__heardWhileDown), []);
  await quiet.close();
  for (const p of [chairPage, rita, nina, ana]) await p.context().close();
});
