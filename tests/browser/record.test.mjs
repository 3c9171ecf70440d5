// Issue 18 item 7: the record page a secretariat would publish. A real meeting runs
// through the real server (a chair, participants of several groups in the room and
// remote, a captioner writing in two languages): hands raised, the floor granted and
// ended, a hum, a named poll and a show of hands. Then Chromium loads
// /api/rooms/{id}/record.html on a 390 x 844 phone and checks what a reader sees: words
// instead of wire names, times in the meeting's time zone (Europe/Madrid here) and in
// UTC -- computed in this test with Intl, independently of the server's own tz reader --
// every link answering 200, no sideways scrolling, and no axe-core violation. A private
// room's page, opened with a signed URL, links its resources with signed URLs that work.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, join, http, sleep, jwt, nowS } from '../integration/harness.mjs';
import { axe, launch, openPage, screenshot } from './browser.mjs';

let server, browser;
const people = [];

before(async () => {
  server = await startServer({
    config: {
      rooms: [
        { id: 'madrid', title: 'Open consultation', time_zone: 'Europe/Madrid' },
        { id: 'closed', title: 'Drafting group', visibility: 'private', time_zone: 'America/New_York' },
      ],
    },
  });
  browser = await launch();
});
after(async () => {
  for (const p of people) await p.close();
  await browser?.close();
  await server?.cleanup();
});

const who = (room, role, name, sub, group, location) => ({ token: jwt({ room, role, name, sub, group, location, exp: nowS() + 3600 }) });

// A meeting with every kind of event the page shows.
async function meeting(room) {
  const chair = await join(server, room, who(room, 'chair', 'Carla Chair', 'carla', 'technical'));
  const ana = await join(server, room, who(room, 'participant', 'Ana Silva', 'ana', 'civil_society', 'room'));
  const bruno = await join(server, room, who(room, 'participant', 'Bruno Costa', 'bruno', 'government'));
  const more = [];
  for (const [i, g] of ['private_sector', 'academia', 'intergovernmental'].entries())
    more.push(await join(server, room, who(room, 'participant', `Delegate ${i}`, `d${i}`, g)));
  const cap = await join(server, room, who(room, 'captioner', 'Cai Writer', 'cai'));
  people.push(chair, ana, bruno, cap, ...more);
  const started = await chair.ok({ type: 'session.start', title: 'Day one' });
  await bruno.ok({ type: 'queue.raise', kind: 'point_of_order' });
  await ana.ok({ type: 'queue.raise' });
  await chair.ok({ type: 'queue.next' }); // Bruno's point of order
  await cap.ok({ type: 'caption', lang: 'en', text: 'I raise a point of order on the agenda.', final: true });
  await cap.ok({ type: 'caption', lang: 'fr', text: 'Je soulève une motion d’ordre.', final: true });
  await chair.ok({ type: 'queue.next' }); // Ana
  await ana.ok({ type: 'floor.end' });
  const hum = await chair.ok({ type: 'hum.start', question: 'Adopt the agenda?', options: ['Support', 'Oppose'] });
  for (const p of [ana, bruno, ...more]) await p.ok({ type: 'hum.cast', hum: hum.hum, option: p === bruno ? 1 : 0 });
  await chair.ok({ type: 'hum.end', hum: hum.hum });
  const poll = await chair.ok({ type: 'poll.start', question: 'Which draft?', options: ['Draft A', 'Draft B'], anonymous: false });
  await ana.ok({ type: 'poll.vote', poll: poll.poll, choices: [1] });
  await bruno.ok({ type: 'poll.vote', poll: poll.poll, choices: [0] });
  await chair.ok({ type: 'poll.end', poll: poll.poll });
  const hands = await chair.ok({ type: 'poll.start', question: 'Lunch at one?', show_of_hands: true });
  for (const p of [ana, ...more]) await p.ok({ type: 'poll.vote', poll: hands.poll, choices: [0] });
  await chair.ok({ type: 'poll.end', poll: hands.poll });
  // The recorder's file appears once the session is live.
  for (let i = 0; i < 200; i++) {
    const r = await http(server, 'GET', `/api/rooms/${room}/recording.ogg`, { admin: true });
    if (r.status === 200) break;
    await sleep(50);
  }
  await chair.ok({ type: 'session.end' });
  return { chair, started };
}

// HH:MM:SS of an instant in a zone, by the platform's own tz code (ICU), not ours.
function hms(iso, timeZone) {
  return new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(new Date(iso));
}

async function overflow(page) {
  return page.evaluate(() => {
    const w = document.documentElement.clientWidth;
    const scrolls = (el) => {
      for (let a = el.parentElement; a; a = a.parentElement) if (/auto|scroll/.test(getComputedStyle(a).overflowX)) return true;
      return false;
    };
    const wide = [...document.querySelectorAll('body *')].filter((el) => {
      const r = el.getBoundingClientRect();
      return r.width && r.right > w + 1 && !scrolls(el);
    });
    return { scroll: document.documentElement.scrollWidth - w, wide: wide.slice(0, 5).map((el) => el.outerHTML.slice(0, 120)) };
  });
}

// Every link of the page, resolved against the page's own URL, answers 200 to a request
// that carries nothing else (no header, no cookie).
async function linksAnswer(page) {
  const hrefs = await page.evaluate(() => [...document.querySelectorAll('a[href]')].map((a) => a.href));
  assert.ok(hrefs.length >= 7, `links: ${hrefs}`);
  for (const href of hrefs) {
    const r = await fetch(href);
    await r.arrayBuffer();
    assert.equal(r.status, 200, href);
  }
  return hrefs;
}

test('the record page of a meeting, on a phone', { timeout: 120000 }, async () => {
  const { started } = await meeting('madrid');
  const record = (await http(server, 'GET', '/api/rooms/madrid/record.json')).json;
  assert.equal(record.room.time_zone, 'Europe/Madrid');
  const page = await openPage(browser, `${server.url}/api/rooms/madrid/record.html`, { viewport: { width: 390, height: 844 } });
  await screenshot(page, 'record-page-390');
  const text = await page.evaluate(() => document.body.innerText);
  for (const words of ['Civil society', 'Government', 'Point of order', 'Participant', 'Captioner', 'In the room', 'Remote',
    'Finished speaking', 'Show of hands', 'Poll: choose one', 'Named ballots (2)', 'Ana Silva (Civil society): Draft B',
    'Raise hand', 'Europe/Madrid', 'How to verify this record', 'plenaryd verify FILE', 'Captions in English', 'Captions in French'])
    assert.ok(text.includes(words), `the page does not say "${words}"`);
  for (const raw of ['civil_society', 'point_of_order', 'session_ended', 'yielded'])
    assert.ok(!text.includes(raw), `the page shows the wire name ${raw}`);
  // Both time zones: the session's start as Madrid's clock and UTC's (December: CET).
  const at = record.session.started;
  assert.ok(text.includes(`${hms(at, 'Europe/Madrid')} CET (${hms(at, 'UTC')} UTC)`), `start ${at} not in both zones`);
  assert.ok(started.type === 'ack');
  // Durations as h:mm:ss.
  assert.match(text, /\b0:00:\d\d\b/);
  assert.equal(await page.locator('#head-hash').innerText(), record.head.hash);
  // Semantic: headings, header cells, the captions' languages.
  assert.equal(await page.locator('h1').count(), 1);
  assert.ok((await page.locator('th[scope="col"]').count()) > 10);
  assert.equal(await page.locator('span[lang="fr"]').count(), 1);
  const over = await overflow(page);
  assert.ok(over.scroll <= 0 && over.wide.length === 0, `overflows at 390 px: ${JSON.stringify(over)}`);
  assert.deepEqual(await axe(page), []);
  const hrefs = await linksAnswer(page);
  for (const want of ['recording.ogg', 'record.vtt?lang=en', 'record.vtt?lang=fr', 'log', 'record.txt'])
    assert.ok(hrefs.some((h) => h.endsWith(`/api/rooms/madrid/${want}`)), `no link to ${want}`);
  // Printable: the print style keeps every table whole.
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.evaluate(() => getComputedStyle(document.querySelector('.scroll')).overflowX), 'visible');
  await page.context().close();
});

test('a private room: the page opened by a signed URL links by signed URLs', { timeout: 120000 }, async () => {
  const { chair } = await meeting('closed');
  assert.equal((await http(server, 'GET', '/api/rooms/closed/record.html')).status, 404);
  const signed = await fetch(`${server.url}/api/rooms/closed/signed-url`, {
    method: 'POST',
    headers: { authorization: `Bearer ${chair.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ path: '/api/rooms/closed/record.html' }),
  });
  assert.equal(signed.status, 200);
  const { url } = await signed.json();
  const page = await openPage(browser, `${server.url}${url}`, { viewport: { width: 390, height: 844 } });
  const text = await page.evaluate(() => document.body.innerText);
  assert.ok(text.includes('America/New_York'), 'time zone');
  const hrefs = await linksAnswer(page);
  for (const h of hrefs) assert.match(h, /[?&]exp=\d+&sig=[\w-]+$/, h);
  await page.context().close();
});
