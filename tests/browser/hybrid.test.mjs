// Issue 14: a hybrid, multilingual meeting end to end in real headless Chromium, every
// source a distinct tone, decoded by frequency in the pages that receive it.
//
//   - the venue: the web client's venue console, Chromium's fake microphone fed 440 Hz;
//   - Ana, a remote participant given the floor by the chair: 1000 Hz (WebAudio into her
//     peer, as the other browser tests do);
//   - the French booth: Odile and Paul in the web client's interpreter console, in a
//     Chromium whose fake microphone plays a steady 1700 Hz (a steady tone that voice
//     processing would take for noise: the console asks for none, and the track says so);
//   - the Spanish booth: Elena, 2500 Hz into her peer;
//   - listeners in the web client: Fatou picks French, Esteban Spanish (by keyboard), Olu
//     stays on the floor; Chiara, a co-chair, in the web client; Carla, the chair who runs
//     the queue, a WebSocket client of the test. 700 Hz is nobody: the noise reference.
// Checked: each listener hears its source and none of the others; the venue hears Ana and
// not itself nor the booths; an interpreter hears the floor, or another booth when they
// choose relay; once the floor goes to an in-room speaker, remote floor listeners hear the
// venue and no longer Ana. By keyboard: Odile takes the booth, Chiara declares the floor's
// language (everyone sees it) and sees who is on air in which booth, Bruno declares his as
// the floor holder, Paul takes over from Odile, whose console then says (and announces)
// that she is off air and why. axe finds no violation in the consoles and the chair's page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as pathJoin } from 'node:path';
import { chromium } from 'playwright-core';
import { startServer, join, jwt, nowS, sleep } from '../integration/harness.mjs';
import { openPage, roomLink, axe, see, heard, screenshot } from './browser.mjs';
import { startPeer, spectrum, toneWav } from './pageaudio.mjs';

const ROOM = 'hall';
const VENUE = 440, ANA = 1000, FR = 1700, ES = 2500, NOBODY = 700;
const FREQS = [VENUE, ANA, FR, ES, NOBODY];
let server, main, hall, frBooth, chair, work;

const ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
  '--disable-gpu', '--no-first-run', '--autoplay-policy=no-user-gesture-required'];
const launch = (extra = []) =>
  chromium.launch({ executablePath: process.env.PLENARY_CHROMIUM || '/usr/bin/chromium', headless: true, args: [...ARGS, ...extra] });

before(async () => {
  work = mkdtempSync(pathJoin(tmpdir(), 'plenary-hybrid-'));
  const hallWav = pathJoin(work, 'hall.wav');
  const frWav = pathJoin(work, 'fr.wav');
  // The venue's lightly amplitude-modulated (as venue.test's), the booth's steady.
  toneWav(hallWav, VENUE, 10, (t) => 0.3 + 0.08 * Math.sin(2 * Math.PI * 3 * t));
  toneWav(frWav, FR, 10, () => 0.3);
  server = await startServer({ config: { rooms: [{ id: ROOM, title: 'Hybrid multilingual plenary', public_observers: true }] } });
  [main, hall, frBooth] = await Promise.all([
    launch(),
    launch([`--use-file-for-fake-audio-capture=${hallWav}`]),
    launch([`--use-file-for-fake-audio-capture=${frWav}`]),
  ]);
  chair = await join(server, ROOM, { role: 'chair', name: 'Carla Chair', sub: 'carla' });
  await chair.ok({ type: 'session.start' });
});

after(async () => {
  await chair?.close();
  for (const b of [main, hall, frBooth]) await b?.close();
  await server?.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
});

const tok = (role, name, sub, extra = {}) => jwt({ room: ROOM, role, name, sub, exp: nowS() + 3600, ...extra });

async function voicePage(token, hz) {
  const ctx = await main.newContext();
  const page = await ctx.newPage();
  await page.goto(`${server.url}/healthz`);
  assert.equal((await page.evaluate(startPeer, { wsUrl: server.wsUrl, room: ROOM, tok: token, hz })).state, 'connected');
  return page;
}

// Several pages measured over the same 3 s, by name.
async function listen(pages) {
  const names = Object.keys(pages);
  const got = await Promise.all(names.map((n) => pages[n].evaluate(spectrum, { freqs: FREQS, ms: 3000 })));
  const out = {};
  names.forEach((n, i) => {
    assert.ok(got[i] && got[i].frames > 10, `${n}: ${JSON.stringify(got[i])}`);
    out[n] = got[i].power;
    console.log(`${n} hears ${JSON.stringify(got[i].power)}`);
  });
  return out;
}

// Each of hz is 30 times (15 dB) stronger than each of the others.
function hears(who, power, want, not) {
  for (const w of want)
    for (const n of not)
      assert.ok(power[w] > 30 * power[n], `${who} hears ${w} Hz over ${n} Hz: ${JSON.stringify(power)}`);
}

const playing = (page) =>
  page.waitForFunction(() => [...document.querySelectorAll('audio')].some((a) => a.srcObject && !a.paused), null, { timeout: 20000 });

// Picks value in the select labelled label with the arrow keys only.
async function pickByKeyboard(page, label, value) {
  const select = page.getByLabel(label);
  await select.focus();
  const [from, to] = await select.evaluate((s, v) => [s.selectedIndex, [...s.options].findIndex((o) => o.value === v)], value);
  assert.ok(to >= 0, `${label} offers ${value}`);
  for (let i = from; i < to; i++) await page.keyboard.press('ArrowDown');
  for (let i = from; i > to; i--) await page.keyboard.press('ArrowUp');
  assert.equal(await select.inputValue(), value);
}

// From the page's jump link to a section, one Tab lands on the control with id.
async function jumpThenTab(page, link, id) {
  await page.getByRole('link', { name: link, exact: true }).focus();
  await page.keyboard.press('Enter');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.id), id);
}

// Waits until the interpreter console's status line says text; on timeout, says what it said.
async function air(page, text) {
  try {
    await page.waitForFunction((t) => document.getElementById('interp-air')?.textContent.includes(t), text, { timeout: 15000 });
  } catch (err) {
    const now = await page.evaluate(() => document.getElementById('interp-air')?.textContent);
    throw new Error(`the console says "${now}", not "${text}" (${err.message.split('\n')[0]})`);
  }
}

async function press(page, selector) {
  await page.locator(selector).focus();
  await page.keyboard.press('Enter');
}

test('a hybrid meeting with two booths: every listener hears the right source', async () => {
  const errors = [];
  // The venue's desk, on air as the session is live.
  const venue = await openPage(hall, roomLink(server, ROOM, tok('venue', 'Hall sound desk', 'desk', { location: 'room' })), { errors });
  await see(venue, 'Venue console');
  // On air at once when the browser already has the permission (Chromium's fake prompt
  // gives it), else enabled from the console by keyboard.
  const enable = venue.getByRole('button', { name: 'Enable the room’s microphones' });
  const onAir = () => document.getElementById('venue-air')?.textContent.startsWith('ON AIR');
  await venue.waitForFunction(
    () => document.getElementById('venue-air')?.textContent.startsWith('ON AIR') ||
      [...document.querySelectorAll('button')].some((b) => b.textContent === 'Enable the room’s microphones' && !b.hidden),
    null, { timeout: 30000 }).catch(async (err) => {
    const said = await venue.evaluate(() => [document.getElementById('venue-air')?.textContent, document.getElementById('audio-h')?.closest('section')?.innerText]);
    throw new Error(`the venue console says ${JSON.stringify(said)} (${err.message.split('\n')[0]})`);
  });
  if (await enable.isVisible()) {
    await enable.focus();
    await venue.keyboard.press('Enter');
  }
  await venue.waitForFunction(onAir, null, { timeout: 30000 });

  // Ana, remote, gets the floor; Elena is on air in the Spanish booth.
  const ana = await voicePage(tok('participant', 'Ana Silva', 'ana'), ANA);
  assert.equal((await ana.evaluate(() => window.pl.request({ type: 'queue.raise' }))).type, 'ack');
  await chair.ok({ type: 'queue.next' });
  const elena = await voicePage(tok('interpreter', 'Elena Ruiz', 'elena', { lang: 'es' }), ES);
  assert.equal((await elena.evaluate(() => window.pl.request({ type: 'interp.take', lang: 'es' }))).type, 'ack');

  // Odile takes the French booth in her console, by keyboard; Paul, her colleague, waits.
  const odile = await openPage(frBooth, roomLink(server, ROOM, tok('interpreter', 'Odile Martin', 'odile', { lang: 'fr' })), { errors });
  await see(odile, 'Interpreter console: fr booth');
  await air(odile, 'Off air: nobody is on air in fr.');
  await odile.waitForFunction(() => [...document.querySelectorAll('audio')].some((a) => a.srcObject), null, { timeout: 20000 });
  await odile.waitForFunction(() => window.__pcs.at(-1)?.getSenders().some((s) => s.track), null, { timeout: 15000 });
  // Her microphone goes out as it is: no echo cancellation, noise suppression or gain control.
  const settings = await odile.evaluate(() => {
    const s = window.__pcs.at(-1).getSenders().find((x) => x.track).track.getSettings();
    return { echoCancellation: s.echoCancellation, noiseSuppression: s.noiseSuppression, autoGainControl: s.autoGainControl };
  });
  assert.deepEqual(settings, { echoCancellation: false, noiseSuppression: false, autoGainControl: false });
  await press(odile, '#interp-take');
  await air(odile, 'ON AIR: listeners of fr hear you.');
  // On air but muted here: the console says the booth is silent, not that she is heard.
  const mute = odile.getByRole('button', { name: 'Mute me' });
  await mute.focus();
  await odile.keyboard.press('Enter');
  await air(odile, 'ON AIR, but you muted your microphone: listeners of fr hear silence.');
  await odile.keyboard.press('Enter');
  await air(odile, 'ON AIR: listeners of fr hear you.');
  const paul = await openPage(frBooth, roomLink(server, ROOM, tok('interpreter', 'Paul Durand', 'paul', { lang: 'fr' })), { errors });
  await air(paul, 'Off air: Odile Martin is on air in fr.');
  await see(paul, 'Take over from Odile Martin');
  await see(odile, 'To hand over, Paul Durand presses “Take over” in their console');

  // Chiara, co-chair, declares the floor's language by keyboard and sees the booths.
  const chiara = await openPage(main, roomLink(server, ROOM, tok('chair', 'Chiara Co-chair', 'chiara')), { errors });
  await see(chiara, 'The floor’s language is not declared.');
  await jumpThenTab(chiara, 'Interpretation', 'floor-lang-input');
  // A tag that is not BCP 47 is refused with the server's reason, and nothing changes.
  await chiara.keyboard.type('english!');
  await chiara.keyboard.press('Enter');
  await see(chiara, 'Declare the floor’s language: lang must be a BCP 47 language tag');
  await see(chiara, 'The floor’s language is not declared.');
  assert.equal(await chiara.evaluate(() => document.activeElement?.id), 'floor-lang-input');
  await chiara.keyboard.press('Control+a');
  await chiara.keyboard.type('en');
  await chiara.keyboard.press('Enter');
  await see(chiara, 'The floor’s language: en (English).');
  await see(chiara, 'fr (French): on air: Odile Martin; also in the booth: Paul Durand');
  await see(chiara, 'es (Spanish): on air: Elena Ruiz');
  await see(odile, 'The floor speaks en.');

  // The listeners: Fatou in French, Esteban in Spanish (by keyboard), Olu on the floor.
  const fatou = await openPage(main, `${server.url}/#room=${ROOM}&role=observer&name=Fatou`, { errors });
  const esteban = await openPage(main, `${server.url}/#room=${ROOM}&role=observer&name=Esteban`, { errors });
  const olu = await openPage(main, `${server.url}/#room=${ROOM}&role=observer&name=Olu`, { errors });
  await Promise.all([playing(fatou), playing(esteban), playing(olu), playing(venue)]);
  await see(olu, 'Floor language: en');
  await pickByKeyboard(fatou, 'Listen in', 'fr');
  await pickByKeyboard(esteban, 'Listen in', 'es');
  await see(fatou, 'Odile Martin is interpreting into fr.');
  await see(esteban, 'Elena Ruiz is interpreting into es.');
  await sleep(1500);

  let p = await listen({ venue, fatou, esteban, olu, odile });
  hears('the venue', p.venue, [ANA], [VENUE, FR, ES, NOBODY]); // mix-minus, no booth
  hears('Fatou (fr)', p.fatou, [FR], [VENUE, ANA, ES, NOBODY]);
  hears('Esteban (es)', p.esteban, [ES], [VENUE, ANA, FR, NOBODY]);
  hears('Olu (floor)', p.olu, [VENUE, ANA], [FR, ES, NOBODY]);
  hears('Odile (the floor, as interpreters do)', p.odile, [VENUE, ANA], [FR, ES, NOBODY]);

  // Relay: Odile hears the Spanish booth instead of the floor, and stays on air in French.
  await pickByKeyboard(odile, 'Listen in', 'es');
  await see(odile, 'You hear the es booth (relay).');
  await air(odile, 'ON AIR: listeners of fr hear you.');
  await sleep(1000);
  p = await listen({ odile, fatou });
  hears('Odile (relaying es)', p.odile, [ES], [VENUE, ANA, FR, NOBODY]);
  hears('Fatou (fr, Odile relaying)', p.fatou, [FR], [VENUE, ANA, ES, NOBODY]);

  // The floor goes to a speaker in the room: remote floor listeners hear the venue, not Ana.
  await chair.ok({ type: 'queue.add', name: 'Delegate Dmitri' });
  await chair.ok({ type: 'queue.next' });
  await see(olu, 'Delegate Dmitri');
  await sleep(1000);
  p = await listen({ olu });
  hears('Olu (the floor in the room)', p.olu, [VENUE], [ANA, FR, ES, NOBODY]);

  // Bruno, remote, gets the floor and declares his language himself, by keyboard.
  const bruno = await openPage(main, roomLink(server, ROOM, tok('participant', 'Bruno Costa', 'bruno')), { errors });
  await press(bruno, '#raise');
  await see(bruno, 'you are number 1 of 1');
  await chair.ok({ type: 'queue.next' });
  await see(bruno, 'The language I speak');
  await bruno.getByLabel('The language I speak').focus();
  await bruno.keyboard.type('fr');
  await bruno.keyboard.press('Enter');
  await see(olu, 'Floor language: fr');
  await see(odile, 'The floor speaks fr.');
  await fatou.waitForFunction(() => document.getElementById('channel-pick').options[0].text === 'Floor (fr)');

  // The consoles and the chair's page pass axe, in this state.
  for (const [name, page] of [['venue', venue], ['odile', odile], ['paul', paul], ['chiara', chiara], ['bruno', bruno]]) {
    const v = await axe(page);
    assert.deepEqual(v, [], `${name}: ${JSON.stringify(v, null, 1)}`);
  }
  await screenshot(chiara, 'hybrid-chair');
  await screenshot(odile, 'hybrid-interpreter-on-air');

  // Paul takes over, by keyboard; Odile is told she is off air, and why.
  await jumpThenTab(paul, 'Interpreter console', 'interp-take');
  await paul.keyboard.press('Enter');
  await air(paul, 'ON AIR: listeners of fr hear you.');
  await air(odile, 'Off air: Paul Durand is on air in fr. Paul Durand took over from you.');
  await heard(odile, 'You are off air.', { assertive: true });
  await see(odile, 'Take over from Paul Durand');
  await see(chiara, 'fr (French): on air: Paul Durand; also in the booth: Odile Martin');
  await screenshot(odile, 'hybrid-interpreter-handed-over');
  assert.deepEqual(await axe(odile), []);
  // A chair takes the booth off air from her panel, by keyboard: Paul is told who did.
  const takeOff = chiara.getByRole('button', { name: 'Take Paul Durand off air (French booth)' });
  await takeOff.focus();
  await chiara.keyboard.press('Enter');
  await air(paul, 'Off air: Chiara Co-chair took the booth off air.');
  await heard(paul, 'You are off air.', { assertive: true });
  await see(chiara, 'fr (French): nobody on air; in the booth: Odile Martin, Paul Durand');
  assert.deepEqual(await axe(chiara), []);
  // ... and puts Odile back on air.
  const putOn = chiara.getByRole('button', { name: 'Put Odile Martin on air (French booth)' });
  await putOn.focus();
  await chiara.keyboard.press('Enter');
  await air(odile, 'ON AIR: listeners of fr hear you.');
  await see(chiara, 'fr (French): on air: Odile Martin; also in the booth: Paul Durand');

  await chair.ok({ type: 'session.end' });
  await air(odile, 'Off air: the session has ended.');
  // Interpreters talk off air (to their booth colleague, or while waiting for the
  // handover) and the desk is never on the floor: neither is someone trying to speak
  // with a closed microphone, so the chairs are never told they are.
  const attempts = chair.messages.filter((m) => m.type === 'private' && m.kind === 'mic.attempt');
  assert.deepEqual(attempts.filter((m) => ['odile', 'paul', 'elena', 'desk'].includes(m.data.pid)), []);
  assert.deepEqual(errors, []);
  for (const page of [venue, ana, elena, odile, paul, chiara, fatou, esteban, olu, bruno]) await page.context().close();
});
