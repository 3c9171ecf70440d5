// Accessibility and weight of every view of the web client: axe-core (WCAG 2.2 A/AA and
// best practices) with zero violations, on a wide screen and at 320 CSS pixels; no
// horizontal scrolling at 320 px nor at 200 % zoom (640 CSS px); and the bytes a first
// visit transfers, which must stay under 150 KB.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, token, join, sleep, jwt, nowS } from '../integration/harness.mjs';
import { axe, connected, launch, openPage, roomLink, screenshot, see } from './browser.mjs';

const ROOM = 'plenary';
let server, browser, chairWs;
const errors = [];

before(async () => {
  server = await startServer({
    config: {
      rooms: [
        { id: ROOM, title: 'Opening plenary', public_observers: true },
        { id: 'closed', title: 'Drafting group', public_observers: false },
        { id: 'moments', title: 'Moments', public_observers: true },
      ],
    },
  });
  browser = await launch();
});
after(async () => {
  await chairWs?.close();
  await browser?.close();
  await server?.cleanup();
});

const tok = (role, name, sub, group, extra = {}) => token({ room: ROOM, role, name, sub, group, ...extra });

async function audit(page, name) {
  // From the top of the page: a target that a scroll leaves half under a sticky bar (the
  // chair's toolbar, a banner) counts as obscured for target-size wherever the scroll
  // happened to stop; keyboard focus is kept clear of them by scroll-padding.
  await page.evaluate(() => window.scrollTo({ top: 0, behavior: 'instant' }));
  const found = await axe(page);
  assert.deepEqual(found, [], `${name}: ${JSON.stringify(found, null, 2)}`);
}

// No horizontal scrolling: nothing wider than the viewport.
async function fits(page, name) {
  // Measured until it holds for up to a second: a list re-rendering while an event arrives
  // can be caught mid-layout, which is not an overflow anyone sees.
  let over;
  for (let i = 0; i < 10; i++) {
    over = await measureOverflow(page);
    if (over.scroll <= 0 && over.wide.length === 0) return;
    await sleep(100);
  }
  assert.fail(`${name} overflows: ${JSON.stringify(over)}`);
}

async function measureOverflow(page) {
  return page.evaluate(() => {
    const w = document.documentElement.clientWidth;
    // Content inside its own horizontal scroller (a wide table) is allowed: 1.4.10 exempts
    // two-dimensional content, as long as the page itself does not scroll sideways.
    const scrolls = (el) => { for (let a = el.parentElement; a; a = a.parentElement) if (/auto|scroll/.test(getComputedStyle(a).overflowX)) return true; return false; };
    const wide = [...document.querySelectorAll('body *')].filter((el) => {
      const r = el.getBoundingClientRect();
      return r.width && r.right > w + 1 && getComputedStyle(el).position !== 'absolute' && !scrolls(el);
    });
    return { scroll: document.documentElement.scrollWidth - w, wide: wide.slice(0, 5).map((el) => el.outerHTML.slice(0, 120)) };
  });
}

// Audits one view at desktop size, at 320 px, and at 200 % zoom.
async function checkView(page, name) {
  await audit(page, name);
  await screenshot(page, `a11y-${name}`);
  for (const [w, h, label] of [[320, 640, '320px'], [640, 450, 'zoom200']]) {
    await page.setViewportSize({ width: w, height: h });
    await sleep(50);
    await fits(page, `${name} at ${label}`);
    if (label === '320px') {
      await audit(page, `${name} at 320 px`);
      await screenshot(page, `a11y-${name}-320`);
    }
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

// Bytes of a first visit until the page is joined and idle: request and response headers
// and bodies of every HTTP request (the WebSocket's frames are the meeting, not the page).
async function firstVisit(url) {
  const page = await openPage(browser, null, { errors });
  let bytes = 0;
  const sizes = [];
  page.on('requestfinished', (req) =>
    sizes.push(req.sizes().then((s) => (bytes += s.responseBodySize + s.responseHeadersSize + s.requestHeadersSize))),
  );
  await page.goto(url);
  await connected(page);
  await page.waitForLoadState('networkidle');
  await Promise.all(sizes);
  await page.context().close();
  return { bytes, requests: sizes.length };
}

test('a first visit transfers under 150 KB, for every role', async () => {
  for (const [role, name] of [['participant', 'Wei Zhang'], ['observer', 'Oda'], ['captioner', 'Cy'], ['chair', 'Cho'], ['venue', 'Vi'], ['interpreter', 'Ivo']]) {
    const t = role === 'interpreter' ? jwt({ room: ROOM, role, name, sub: 'w-interpreter', lang: 'fr', exp: nowS() + 3600 }) : tok(role, name, `w-${role}`, 'academia');
    const { bytes, requests } = await firstVisit(roomLink(server, ROOM, t));
    console.log(`page weight, ${role}: ${bytes} bytes in ${requests} requests`);
    assert.ok(bytes > 10000 && bytes < 150 * 1024, `${role}: ${bytes} bytes`);
  }
});

test('the landing page, the join form and join errors', async () => {
  const page = await openPage(browser, `${server.url}/`, { errors });
  await see(page, 'Watch “Opening plenary”');
  await checkView(page, 'landing');

  await page.goto(roomLink(server, ROOM));
  await see(page, 'How do you want to join?');
  await checkView(page, 'join-form');

  // Expired ten minutes ago: beyond the server's clock-skew allowance (docs/protocol.md).
  const t = nowS();
  const expired = jwt({ room: ROOM, role: 'participant', name: 'Late Larry', sub: 'larry', iat: t - 3600, exp: t - 600 });
  await page.goto(roomLink(server, ROOM, expired));
  await see(page, 'Your join link has expired.');
  await checkView(page, 'error-expired');

  await page.goto(roomLink(server, 'closed', token({ room: ROOM, role: 'participant', name: 'X', sub: 'x' })));
  await see(page, 'This join link does not belong to the room “closed”');

  await page.goto(`${server.url}/#room=closed&role=observer`);
  await see(page, 'This room does not accept anonymous observers.');
  await page.goto(`${server.url}/#room=nowhere&role=observer`);
  await see(page, 'There is no room called “nowhere”');
  await page.context().close();

  // A server that refuses for now (full, busy) is retried, and the person is told why.
  const full = await openPage(browser, null, { errors });
  await full.routeWebSocket('**/ws', (ws) =>
    ws.onMessage((text) => {
      const m = JSON.parse(text);
      if (m.type === 'join') ws.send(JSON.stringify({ type: 'error', id: m.id, code: 'unavailable', message: 'the room is full' }));
    }),
  );
  await full.goto(`${server.url}/#room=${ROOM}&role=observer`);
  await see(full, 'The meeting is full or the server is busy (the room is full). Trying again in');
  await checkView(full, 'join-refused');
  await full.context().close();
});

test('the moments’ banners, the chair’s toolbar and its help, the room display', async () => {
  const t = (role, name, sub) => token({ room: 'moments', role, name, sub });
  const chairM = await join(server, 'moments', { role: 'chair', name: 'Mo Chair', sub: 'mo' });
  await chairM.ok({ type: 'session.start' });
  const part = await openPage(browser, roomLink(server, 'moments', t('participant', 'Ana Silva', 'ana')), { errors });
  await connected(part);
  await part.click('#raise');
  await see(part, 'You asked to speak');
  await chairM.ok({ type: 'queue.next' });
  await chairM.ok({ type: 'hum.start', question: 'Adopt the agenda?', options: ['Support', 'Oppose'] });
  await see(part, 'A hum is open: Adopt the agenda?');
  await part.locator('#floor-banner').waitFor();
  await checkView(part, 'participant-floor-and-vote-banners');

  const chair = await openPage(browser, roomLink(server, 'moments', t('chair', 'Chiara Co-chair', 'chiara')), { errors });
  await connected(chair);
  const bruno = await join(server, 'moments', { role: 'participant', name: 'Bruno Costa', sub: 'bruno' });
  await bruno.ok({ type: 'queue.raise', kind: 'point_of_order' });
  await see(chair, 'Point of order from Bruno Costa.');
  await chair.fill('#queue-filter', 'Bru');
  await see(chair, 'Showing 1 of 1.');
  await checkView(chair, 'chair-toolbar-and-point-of-order');
  await chair.evaluate(() => document.activeElement?.blur());
  await chair.keyboard.press('?');
  await chair.locator('dialog.help-dialog').waitFor();
  await audit(chair, 'keyboard shortcuts help');
  await chair.keyboard.press('Escape');
  await chair.click('#leave');
  await audit(chair, 'leave confirmation');

  const display = await openPage(browser, `${server.url}/#room=moments&view=display`, { errors });
  await connected(display);
  await display.locator('.d-who', { hasText: 'Ana Silva' }).waitFor();
  await checkView(display, 'display');
  await display.emulateMedia({ colorScheme: 'dark' });
  await audit(display, 'display in the dark scheme');
  await bruno.close();
  await chairM.close();
  for (const p of [part, chair, display]) await p.context().close();
  assert.deepEqual(errors, []);
});

test('every role’s view, before, during and after the session', async () => {
  const part = await openPage(browser, roomLink(server, ROOM, tok('participant', 'Ana Silva', 'ana', 'civil_society')), { errors });
  await connected(part);
  await see(part, 'The session has not started yet.');
  await checkView(part, 'participant-scheduled');

  // A chair drives the room over the protocol; the browsers show it.
  chairWs = await join(server, ROOM, { role: 'chair', name: 'Carla Chair', sub: 'carla', group: 'technical' });
  await chairWs.ok({ type: 'session.start', title: 'Day one' });
  const other = await join(server, ROOM, { role: 'participant', name: 'Bruno Costa', sub: 'bruno', group: 'government' });
  await other.ok({ type: 'queue.raise', kind: 'point_of_order' });
  await part.click('#raise');
  await see(part, 'you are number 2 of 2');
  await chairWs.ok({ type: 'queue.add', name: 'Delegate Dmitri', group: 'academia', kind: 'reply' });
  await chairWs.ok({ type: 'queue.next' });
  await chairWs.ok({ type: 'caption', lang: 'en', text: 'Bruno raises a point of order on the agenda.', final: true });
  await chairWs.ok({ type: 'caption', lang: 'fr', text: 'Bruno soulève une motion d’ordre.', final: true });
  await chairWs.ok({ type: 'caption', lang: 'en', text: 'The chair', final: false });
  const hum = await chairWs.ok({ type: 'hum.start', question: 'Adopt the agenda?', options: ['Support', 'Oppose'] });
  const hands = await chairWs.ok({ type: 'poll.start', question: 'Lunch at one?', show_of_hands: true });
  await part.click('.hum .choice >> text=Support');
  await see(part, 'You hum for: Support.');
  await see(part, 'Show of hands');
  await see(part, 'Language');
  await checkView(part, 'participant-live');
  // The dark scheme passes too.
  await part.emulateMedia({ colorScheme: 'dark' });
  await audit(part, 'participant-live in the dark scheme');
  await screenshot(part, 'a11y-participant-live-dark');
  await part.emulateMedia({ colorScheme: 'light' });

  const chair = await openPage(browser, roomLink(server, ROOM, tok('chair', 'Chiara Co-chair', 'chiara', 'technical')), { errors });
  await connected(chair);
  // (A chair who joins during a hum gets levels at the next cast: see the report.)
  await other.ok({ type: 'hum.cast', hum: hum.hum, option: 1 });
  await see(chair, '2 of 4 responded.');
  await chair.click('text=Queue rules');
  await chair.click('text=Add a speaker in the room');
  await checkView(chair, 'chair-live');

  const obs = await openPage(browser, roomLink(server, ROOM, tok('observer', 'Olga Observer', 'olga')), { errors });
  await connected(obs);
  await see(obs, 'Adopt the agenda?');
  await obs.locator('.people li', { hasText: 'Carla Chair' }).waitFor(); // open on a wide screen
  await checkView(obs, 'observer-live');

  const anon = await openPage(browser, `${server.url}/#room=${ROOM}&role=observer&name=Pat`, { errors });
  await connected(anon);
  await see(anon, 'You: Pat — Observer');
  // The connection drops and cannot come back (every new socket is closed at once).
  await anon.routeWebSocket('**/ws', (ws) => ws.close());
  await anon.evaluate(() => window.__sockets.at(-1).close());
  await connected(anon, 'reconnecting');
  await see(anon, 'Reconnect now');
  await checkView(anon, 'observer-reconnecting');

  const cap = await openPage(browser, roomLink(server, ROOM, tok('captioner', 'Cai Writer', 'cai')), { errors });
  await connected(cap);
  await cap.fill('#cap-input', 'Typing');
  await checkView(cap, 'captioner-live');

  // The interpreter console, on air, and the venue console (issue 14); then the chair's
  // Interpretation panel with that booth in it.
  const interp = await openPage(browser, roomLink(server, ROOM, jwt({ room: ROOM, role: 'interpreter', name: 'Ines Interpreter', sub: 'ines', lang: 'fr', exp: nowS() + 3600 })), { errors });
  await connected(interp);
  await see(interp, 'Interpreter console: fr booth');
  await interp.click('#interp-take');
  await see(interp, 'ON AIR');
  await checkView(interp, 'interpreter-live');
  const venue = await openPage(browser, roomLink(server, ROOM, tok('venue', 'Hall desk', 'desk', undefined, { location: 'room' })), { errors });
  await connected(venue);
  await see(venue, 'Venue console');
  await checkView(venue, 'venue-live');
  await see(chair, 'fr (French): on air: Ines Interpreter');
  await audit(chair, 'chair with a booth on air');

  // More states: a several-choice named poll with live counts, a floor over its time with
  // its warning, the chair's confirmation before ending the session, results.
  await chairWs.ok({ type: 'poll.end', poll: hands.poll });
  await chairWs.ok({ type: 'queue.policy', time_limit_s: 1 });
  await chairWs.ok({ type: 'queue.next' });
  await chairWs.ok({ type: 'poll.start', question: 'Which days suit you?', options: ['Monday', 'Tuesday', 'Wednesday'], multiple: true, anonymous: false, live_counts: true });
  await part.check('.polls input[value="0"]');
  await part.click('text=Submit my choices');
  await see(part, 'Your vote: Monday.');
  await see(part, 'Over time by');
  await see(part, 'Time is up.');
  await audit(part, 'participant with a several-choice poll and a floor over time');
  await chair.click('#session-end');
  await see(chair, 'End the session for everyone?');
  await audit(chair, 'chair confirming the end of the session');
  await chair.click('text=Cancel');

  await chairWs.ok({ type: 'hum.end', hum: hum.hum });
  await chairWs.ok({ type: 'session.end' });
  await see(part, 'This session has ended.');
  await checkView(part, 'participant-ended');
  await checkView(chair, 'chair-ended');
  // The published record of the same meeting (issue 18): the page a secretariat puts up.
  const rec = await openPage(browser, `${server.url}/api/rooms/${ROOM}/record.html`, { errors });
  await see(rec, 'How to verify this record');
  await checkView(rec, 'record-page');
  await rec.context().close();
  await other.close();
  for (const p of [part, chair, obs, anon, cap, interp, venue]) await p.context().close();
  assert.deepEqual(errors, []);
});
