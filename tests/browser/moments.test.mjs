// Moments that cannot be missed, and the client in a real plenary (issue 18): the floor's
// cue (a tone that really plays on the page's AudioContext), title and sticky banner with a
// working mute and yield; a hum's banner taking the keyboard to its options; Leave asking
// first; a phone's first screen (floor, one's action, the latest caption); the chair's desk
// with sixty waiting (toolbar in view, shortcuts, filter); the room display view.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, token, join, sleep } from '../integration/harness.mjs';
import { connected, launch, openPage, roomLink, screenshot, see } from './browser.mjs';

const ROOM = 'plenary';
let server, browser, chair;
const errors = [];
const others = [];

before(async () => {
  server = await startServer({ config: { rooms: [{ id: ROOM, title: 'Opening plenary', public_observers: true }] } });
  browser = await launch();
  chair = await join(server, ROOM, { role: 'chair', name: 'Carla Chair', sub: 'carla', group: 'technical' });
  await chair.ok({ type: 'session.start', title: 'Day one' });
});
after(async () => {
  for (const c of others) await c.close();
  await chair?.close();
  await browser?.close();
  await server?.cleanup();
});

const tok = (role, name, sub, group) => token({ room: ROOM, role, name, sub, group });

// The element's box, and whether it lies wholly inside the viewport.
function box(page, sel) {
  return page.evaluate((s) => {
    const el = document.querySelector(s);
    if (!el) return null;
    const r = el.getBoundingClientRect();
    return { top: r.top, bottom: r.bottom, h: r.height, inView: r.height > 0 && r.top >= 0 && r.bottom <= innerHeight };
  }, sel);
}

// Waits until the element lies in the viewport (a smooth scroll may be under way).
function inView(page, sel) {
  return page.waitForFunction((s) => {
    const r = document.querySelector(s)?.getBoundingClientRect();
    return r && r.height > 0 && r.top >= 0 && r.bottom <= innerHeight;
  }, sel, { timeout: 3000 });
}

// A single key with nothing focused (a shortcut, not typing into the last field used).
async function key(page, k) {
  await page.evaluate(() => document.activeElement?.blur());
  await page.keyboard.press(k);
}

const scrollToEnd = (page) => page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
const cueCount = (page, kind) =>
  page.evaluate((k) => {
    const m = (document.documentElement.dataset.cuePlayed || '').match(/^(\w+) (\d+)$/);
    return m && m[1] === k ? Number(m[2]) : 0;
  }, kind);

test('getting the floor: cue, title, banner at the top with a working mute and yield', async () => {
  const page = await openPage(browser, roomLink(server, ROOM, tok('participant', 'Ana Silva', 'ana', 'civil_society')), { errors });
  await connected(page);
  assert.equal((await page.locator('#raise').innerText()).trim(), 'Ask to speak');
  await page.click('#raise'); // also the gesture that lets the page's audio start
  await see(page, 'You asked to speak (Speak): you are number 1 of 1.');
  // The microphone: at once if the browser allows it already, else from its button.
  if (await page.locator('text=Enable microphone').isVisible()) await page.click('text=Enable microphone');
  await page.locator('#mic-level').waitFor();
  assert.equal(await page.title(), 'Opening plenary — Plenary');
  await scrollToEnd(page);

  await chair.ok({ type: 'queue.next' });
  await page.waitForFunction(() => document.title === '● You have the floor — Plenary');
  // The tone played through to its end on a running AudioContext.
  await page.waitForFunction(() => /^floor \d+$/.test(document.documentElement.dataset.cuePlayed || ''));
  assert.equal(await page.evaluate(() => document.documentElement.dataset.cue), 'floor running');
  // Sticky: at the top of the viewport although the page is scrolled to its end.
  const b = await box(page, '#floor-banner');
  assert.ok(b.inView && b.top < 60, `banner at ${JSON.stringify(b)}`);
  assert.equal(await page.locator('#mic-live').getAttribute('data-state'), 'live');
  await screenshot(page, 'moments-floor');

  // Mute disables the microphone track that is sent; unmute enables it again.
  const sentEnabled = () => page.evaluate(() => window.__pcs.at(-1)?.getSenders().find((s) => s.track)?.track.enabled);
  await page.click('#banner-mute');
  await page.locator('#mic-live[data-state="muted"]').waitFor();
  assert.match(await page.locator('#mic-live').innerText(), /MUTED/);
  assert.equal(await page.locator('#banner-mute').innerText(), 'Unmute');
  assert.equal(await sentEnabled(), false);
  await see(page, 'Open, but you muted yourself');
  await page.click('#banner-mute');
  await page.locator('#mic-live[data-state="live"]').waitFor();
  assert.equal(await sentEnabled(), true);
  // M, the shortcut, mutes too (not while typing).
  await key(page, 'm');
  await page.locator('#mic-live[data-state="muted"]').waitFor();
  await key(page, 'm');
  await page.locator('#mic-live[data-state="live"]').waitFor();

  await page.click('#banner-yield');
  await see(page, 'Nobody has the floor.');
  await page.locator('#floor-banner').waitFor({ state: 'hidden' });
  await page.waitForFunction(() => document.title === 'Opening plenary — Plenary');

  // A hum opens: a cue, the title, and a banner whose button takes the keyboard to it.
  const { hum } = await chair.ok({ type: 'hum.start', question: 'Adopt the agenda?', options: ['Support', 'Oppose'] });
  await see(page, 'A hum is open: Adopt the agenda?');
  await page.waitForFunction(() => document.title === '● Hum open — Plenary');
  await page.waitForFunction(() => /^vote \d+$/.test(document.documentElement.dataset.cuePlayed || ''));
  await page.click('#banner-go');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Support');
  await page.keyboard.press('Enter');
  await see(page, 'You hum for: Support.');
  await page.locator('.vote-banner').waitFor({ state: 'hidden' });
  await chair.ok({ type: 'hum.end', hum });

  // With the sound turned off (kept in localStorage), no cue plays.
  await page.click('#alerts-h'); // the collapsed "Alerts and keys" panel opens
  await page.uncheck('#cue-on');
  assert.equal(await page.evaluate(() => localStorage.getItem('plenary:cue')), '0');
  const before = await cueCount(page, 'vote');
  const { poll } = await chair.ok({ type: 'poll.start', question: 'Lunch at one?', show_of_hands: true });
  await see(page, 'A show of hands is open: Lunch at one?');
  await sleep(700);
  assert.equal(await cueCount(page, 'vote'), before);
  await page.check('#cue-on');
  await chair.ok({ type: 'poll.end', poll });

  // Leave asks first; "Stay" sends nothing.
  await page.click('#leave');
  await see(page, 'Leave the meeting? Your place in the queue is given up.');
  await page.click('#leave-no');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'leave');
  await connected(page);
  await page.click('#leave');
  await page.click('#leave-yes');
  await see(page, 'You left the meeting');
  assert.equal(await page.title(), 'You left the meeting — Plenary');
  await page.context().close();
  assert.deepEqual(errors, []);
});

test('a phone’s first screen: the floor, my action and the latest caption', async () => {
  const phone = { viewport: { width: 390, height: 844 }, errors };
  const part = await openPage(browser, roomLink(server, ROOM, tok('participant', 'Pia Phone', 'pia', 'academia')), phone);
  const obs = await openPage(browser, `${server.url}/#room=${ROOM}&role=observer&name=Otto`, phone);
  for (const p of [part, obs]) await connected(p);
  const bruno = await join(server, ROOM, { role: 'participant', name: 'Bruno Costa', sub: 'bruno', group: 'government' });
  others.push(bruno);
  await bruno.ok({ type: 'queue.raise', kind: 'speak' });
  await chair.ok({ type: 'queue.next' });
  const waiting = [];
  for (const [name, sub] of [['Cleo Costa', 'cleo'], ['Dev Das', 'dev']]) {
    waiting.push(await join(server, ROOM, { role: 'participant', name, sub }));
    await waiting.at(-1).ok({ type: 'queue.raise', kind: 'speak' });
  }
  others.push(...waiting);
  for (let i = 1; i <= 25; i++)
    await chair.ok({ type: 'caption', lang: 'en', text: `Line ${i} of what Bruno is saying about the agenda.`, final: true });
  for (const p of [part, obs]) await see(p, 'Line 25 of what Bruno');

  await screenshot(obs, 'moments-phone-observer-first');
  await screenshot(part, 'moments-phone-participant-first');
  const header = await box(obs, 'header.top');
  assert.ok(header.h <= 125, `header is ${header.h} px high`);
  for (const [p, who] of [[part, 'participant'], [obs, 'observer']]) {
    assert.ok((await box(p, '.floor-who')).inView, `${who}: the floor is in view`);
    const last = await box(p, '.cap-log .cap:last-child');
    const log = await box(p, '.cap-log');
    assert.ok(last.inView && last.bottom <= log.bottom + 1 && last.top >= log.top - 1, `${who}: latest caption ${JSON.stringify(last)} in view (log ${JSON.stringify(log)})`);
    assert.equal(await p.evaluate(() => window.scrollY), 0);
    await screenshot(p, `moments-phone-${who}`);
  }
  assert.ok((await box(part, '#raise')).inView, 'the participant’s action is in view');

  // What comes after the first screen is folded, each with its count; the queue opens on
  // demand, and stays open for this tab. On a wide screen it is open by default.
  const fold = (p, id) => p.locator(`#${id} button.fold`);
  // Audio is open exactly while its "Start audio" is offered (the browser blocked autoplay
  // and the person has not pressed anything yet), folded otherwise.
  const audioFolds = (p) =>
    p.waitForFunction(() => {
      const start = [...document.querySelectorAll('.audio button')].find((b) => b.textContent === 'Start audio');
      return document.querySelector('#audio-h button.fold').getAttribute('aria-expanded') === String(!start.hidden);
    });
  for (const [p, who] of [[part, 'participant'], [obs, 'observer']]) {
    assert.equal(await fold(p, 'queue-h').getAttribute('aria-expanded'), 'false', `${who}: queue folded`);
    assert.equal(await fold(p, 'queue-h').innerText(), 'Speaking queue (2 waiting)');
    assert.equal(await p.locator('.queue-list').isVisible(), false);
    for (const id of ['people-h', 'hum-h', 'polls-h'])
      assert.equal(await fold(p, id).getAttribute('aria-expanded'), 'false', `${who}: ${id} folded`);
    await audioFolds(p);
  }
  await fold(part, 'queue-h').focus();
  await part.keyboard.press('Enter');
  assert.equal(await fold(part, 'queue-h').getAttribute('aria-expanded'), 'true');
  await part.locator('.queue-list li', { hasText: 'Cleo Costa' }).waitFor();
  await part.locator('.queue-list li', { hasText: 'Dev Das' }).waitFor();
  await part.reload();
  await connected(part);
  await part.locator('.queue-list li', { hasText: 'Dev Das' }).waitFor();
  assert.equal(await fold(part, 'queue-h').getAttribute('aria-expanded'), 'true');
  await audioFolds(part);
  assert.equal(await fold(part, 'people-h').getAttribute('aria-expanded'), 'false');
  await obs.setViewportSize({ width: 1280, height: 800 });
  await obs.locator('.queue-list li', { hasText: 'Dev Das' }).waitFor();
  for (const id of ['queue-h', 'audio-h', 'people-h', 'hum-h', 'polls-h'])
    assert.equal(await fold(obs, id).getAttribute('aria-expanded'), 'true', `wide: ${id} open`);
  await obs.setViewportSize({ width: 390, height: 844 });
  await obs.locator('.queue-list').waitFor({ state: 'hidden' });
  // A section link opens the folded panel it goes to, and takes the keyboard there.
  await obs.click('.jump-links a[href="#polls-h"]');
  assert.equal(await fold(obs, 'polls-h').getAttribute('aria-expanded'), 'true');
  assert.equal(await obs.evaluate(() => document.activeElement.id), 'polls-h');
  await see(obs, 'No poll is open.');
  // The speaker's name is not repeated on each line of the same speaker.
  assert.ok((await obs.locator('.cap-log .spk').count()) <= 1);
  assert.ok((await obs.locator('.cap-log .cap.cont').count()) >= 24);

  // A hum that opens is at the top of the phone's screen, and its panel is never folded.
  const { hum } = await chair.ok({ type: 'hum.start', question: 'Adopt it?', options: ['Support', 'Oppose'] });
  await see(part, 'A hum is open: Adopt it?');
  assert.ok((await box(part, '.vote-banner')).inView, 'the hum banner is in view');
  await obs.locator('.hum .question', { hasText: 'Adopt it?' }).waitFor();
  for (const p of [part, obs]) assert.equal(await fold(p, 'hum-h').getAttribute('aria-expanded'), 'true');
  await fold(obs, 'hum-h').focus();
  await obs.keyboard.press('Enter'); // inert while the hum is open
  assert.equal(await fold(obs, 'hum-h').getAttribute('aria-expanded'), 'true');
  await chair.ok({ type: 'hum.end', hum });
  await obs.waitForFunction(() => document.querySelector('#hum-h button.fold').getAttribute('aria-expanded') === 'false');
  for (const w of waiting) await w.ok({ type: 'queue.lower' });
  await chair.ok({ type: 'floor.end' });
  for (const p of [part, obs]) await p.context().close();
});

test('the chair’s desk with sixty waiting: toolbar in view, shortcuts, filter', async () => {
  // Ten at a time: sixty joins at once can outlast a request's timeout under the sanitizers.
  const people = [];
  for (let b = 0; b < 60; b += 10)
    people.push(
      ...(await Promise.all(
        Array.from({ length: 10 }, (_, k) => {
          const i = b + k;
          return join(server, ROOM, { role: 'participant', name: `Person ${i + 1}`, sub: `p${i + 1}`, group: i % 2 ? 'government' : 'civil_society' });
        }),
      )),
    );
  others.push(...people);
  for (const p of people) await p.ok({ type: 'queue.raise', kind: 'speak' });
  const page = await openPage(browser, roomLink(server, ROOM, tok('chair', 'Chiara Co-chair', 'chiara', 'technical')), { errors, viewport: { width: 1280, height: 800 } });
  await connected(page);
  await see(page, 'Speaking queue (6', { timeout: 3000 }).catch(() => {});
  await screenshot(page, 'moments-chair-60-first');
  await see(page, 'Speaking queue (60 waiting)');
  // Compact: one line per entry, and many entries on a laptop's screen.
  const heights = await page.$$eval('.queue-list li', (lis) => lis.map((li) => li.getBoundingClientRect().height));
  assert.equal(heights.length, 60);
  assert.ok(Math.max(...heights) < 50, `entries up to ${Math.max(...heights)} px high`);
  await screenshot(page, 'moments-chair-60');

  await scrollToEnd(page);
  for (const id of ['#next-speaker', '#bar-hum', '#bar-poll', '#bar-end-session'])
    assert.ok((await box(page, id)).inView, `${id} in view at the end of the page`);

  // H takes the keyboard to the hum's question; typing there fires no shortcut.
  await key(page, 'h');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'hum-q');
  await page.keyboard.type('Should we continue tomorrow?');
  assert.equal(await page.inputValue('#hum-q'), 'Should we continue tomorrow?');
  assert.equal(await page.locator('#floor-h ~ .floor-who').innerText(), 'Nobody has the floor.');

  // The filter, by name or by group.
  await key(page, 'f');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'queue-filter');
  await page.keyboard.type('Person 5');
  await see(page, 'Showing 11 of 60.');
  await page.fill('#queue-filter', 'government');
  await see(page, 'Showing 30 of 60.');
  await page.fill('#queue-filter', '');

  // ? opens the shortcuts' help; Escape closes it.
  await key(page, '?');
  await page.locator('dialog.help-dialog').waitFor();
  assert.match(await page.locator('dialog.help-dialog').innerText(), /Keyboard shortcuts[\s\S]*Give the floor to the next speaker/);
  await page.keyboard.press('Escape');
  await page.locator('dialog.help-dialog').waitFor({ state: 'hidden' });

  // N gives the floor to the next (Person 1 never said whether their microphone works: the
  // chair confirms first); X asks to end the session (not ended until confirmed).
  await key(page, 'n');
  await see(page, 'Person 1 has not said whether their microphone works');
  await page.keyboard.press('Enter');
  await see(page, 'Person 1 has the floor.');
  await key(page, 'x');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'session-end-yes');
  await inView(page, '#session-end-yes');
  await page.click('text=Cancel');
  await key(page, 'e');
  await see(page, 'Nobody has the floor.');
  await page.context().close();
  for (const p of people.slice(1)) await p.ok({ type: 'queue.lower' });
  assert.deepEqual(errors, []);
});

test('the room display: floor and clock, next speakers, large captions, no controls', async () => {
  const dana = await join(server, ROOM, { role: 'participant', name: 'Dana Diaz', sub: 'dana', group: 'academia' });
  const eli = await join(server, ROOM, { role: 'participant', name: 'Eli Ek', sub: 'eli', group: 'government' });
  others.push(dana, eli);
  await chair.ok({ type: 'queue.policy', time_limit_s: 120 });
  await dana.ok({ type: 'queue.raise', kind: 'speak' });
  await eli.ok({ type: 'queue.raise', kind: 'speak' });
  await chair.ok({ type: 'queue.next' });
  await chair.ok({ type: 'caption', lang: 'en', text: 'Dana opens the discussion.', final: true });
  const page = await openPage(browser, `${server.url}/#room=${ROOM}&view=display`, { errors });
  await connected(page);
  await page.locator('.d-who', { hasText: 'Dana Diaz' }).waitFor();
  await page.locator('.d-clock', { hasText: /left/ }).waitFor();
  await page.locator('.d-next li', { hasText: 'Eli Ek (Government)' }).waitFor();
  // Said before the screen joined: the display fetches the record.
  await page.locator('.d-caps', { hasText: 'Dana opens the discussion.' }).waitFor();
  await chair.ok({ type: 'caption', lang: 'en', text: 'She proposes to adopt the agenda.', final: true });
  await page.locator('.d-caps', { hasText: 'She proposes to adopt the agenda.' }).waitFor();
  assert.equal(await page.locator('main button, main input, main select, main textarea').count(), 0);
  const size = await page.$eval('.d-caps p', (p) => parseFloat(getComputedStyle(p).fontSize));
  assert.ok(size >= 32, `captions at ${size} px`);
  await screenshot(page, 'moments-display');
  await page.context().close();
  await chair.ok({ type: 'floor.end' });
  await eli.ok({ type: 'queue.lower' });
  assert.deepEqual(errors, []);
});

// Records what the page's real Notification and navigator.vibrate were asked to do (both
// still run), and lets the test say the tab is hidden (a headless tab never is).
function recordSignals() {
  const Native = window.Notification;
  window.__notes = [];
  window.Notification = class extends Native {
    constructor(title, opts) {
      super(title, opts);
      window.__notes.push(title);
    }
    static get permission() {
      return Native.permission;
    }
    static requestPermission() {
      return Native.requestPermission();
    }
  };
  const vibrate = navigator.vibrate?.bind(navigator);
  navigator.vibrate = (p) => ((window.__vibrated = p), vibrate?.(p));
}

test('a hidden tab gets a notification (only if allowed, never asked on load); phones vibrate', async () => {
  // Not allowed: the button asks, nothing asked on load.
  const first = await openPage(browser, roomLink(server, ROOM, tok('participant', 'Nia Notes', 'nia', 'academia')), { errors });
  await connected(first);
  assert.equal(await first.evaluate(() => Notification.permission), 'default');
  await first.click('#alerts-h');
  await first.locator('#notify-ask').waitFor();
  await first.context().close();

  const page = await openPage(browser, null, { errors });
  await page.context().grantPermissions(['notifications'], { origin: server.url });
  await page.context().addInitScript(recordSignals);
  await page.goto(roomLink(server, ROOM, tok('participant', 'Nia Notes', 'nia', 'academia')));
  await connected(page);
  await page.click('#alerts-h');
  await see(page, 'Notifications are on while this tab is hidden.');
  assert.equal(await page.locator('#notify-ask').isVisible(), false);
  await page.evaluate(() => Object.defineProperty(document, 'hidden', { get: () => true, configurable: true }));
  const { poll } = await chair.ok({ type: 'poll.start', question: 'Coffee now?', options: ['Yes', 'No'] });
  await page.waitForFunction(() => window.__notes.includes('Poll open'));
  assert.equal(await page.evaluate(() => window.__vibrated), 150);
  await chair.ok({ type: 'poll.end', poll });
  await page.context().close();
  assert.deepEqual(errors, []);
});

test('smaller things: captions not read aloud by default, size change keeps the latest in view, stale errors cleared, audio ended', async () => {
  const page = await openPage(browser, roomLink(server, ROOM, tok('participant', 'Lia Late', 'lia', 'academia')), { errors, viewport: { width: 1280, height: 700 } });
  await connected(page);
  assert.equal(await page.isChecked('#cap-read'), false);
  assert.equal(await page.getAttribute('.cap-log', 'aria-live'), 'off');
  for (let i = 1; i <= 30; i++) await chair.ok({ type: 'caption', lang: 'en', text: `Caption line ${i} for scrolling.`, final: true });
  await see(page, 'Caption line 30 for scrolling.');
  await page.selectOption('#cap-size', '2.4');
  await page.waitForFunction(() => {
    const log = document.querySelector('.cap-log');
    return log.scrollTop + log.clientHeight >= log.scrollHeight - 2;
  });

  // A command tried while the connection is down says "not sent"; once it is back the
  // stale error goes.
  let block = true;
  await page.routeWebSocket('**/ws', (ws) => (block ? ws.close() : ws.connectToServer()));
  await page.evaluate(() => window.__sockets.at(-1).close());
  await connected(page, 'reconnecting');
  await page.click('#raise');
  await see(page, 'Ask to speak: not sent, the connection is down');
  block = false;
  await page.click('text=Reconnect now');
  await connected(page);
  await page.locator('.notice.error', { hasText: 'not sent' }).waitFor({ state: 'hidden' });

  await chair.ok({ type: 'session.end' });
  await see(page, 'This session has ended.');
  await page.locator('.audio-status', { hasText: 'The session has ended: there is no live audio.' }).waitFor();
  await page.context().close();
  assert.deepEqual(errors, []);
});
