// The participant's main path with the keyboard alone (page.keyboard only, no clicks):
// from the join link, skip to the content, choose a kind and raise the hand, lower it,
// hum, change the hum, vote in a one-choice poll and in a several-choice poll. Every
// stop of the Tab key must show a visible focus indicator, and focus must never be lost
// when the control that was used disappears. Also: an observer joins through the form.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, token, join } from '../integration/harness.mjs';
import { connected, launch, openPage, roomLink, screenshot, see } from './browser.mjs';

const ROOM = 'plenary';
let server, browser, chair;

before(async () => {
  server = await startServer({ config: { rooms: [{ id: ROOM, title: 'Opening plenary', public_observers: true }] } });
  browser = await launch();
  chair = await join(server, ROOM, { role: 'chair', name: 'Carla Chair', sub: 'carla', group: 'technical' });
  await chair.ok({ type: 'session.start' });
});
after(async () => {
  await chair?.close();
  await browser?.close();
  await server?.cleanup();
});

// Describes the focused element and whether its focus can be seen.
function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    const cs = getComputedStyle(el);
    const visible = (cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2) || cs.boxShadow !== 'none';
    return { id: el.id, tag: el.tagName, text: (el.innerText || el.value || '').trim().slice(0, 40), label: el.getAttribute('aria-label'), visible, body: el === document.body };
  });
}

// Presses Tab until the focused element matches sel; every stop must show its focus.
async function tabTo(page, sel, { max = 80 } = {}) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const f = await focused(page);
    assert.ok(f.body || f.visible, `no visible focus on ${JSON.stringify(f)}`);
    if (await page.evaluate((s) => document.activeElement.matches(s), sel)) return f;
  }
  throw new Error(`Tab never reached ${sel}`);
}

test('the participant’s main path, keyboard only', async () => {
  const page = await openPage(browser, roomLink(server, ROOM, token({ room: ROOM, role: 'participant', name: 'Ana Silva', sub: 'ana', group: 'civil_society' })));
  await connected(page);
  await see(page, 'Ask to speak');

  // The first stop is the skip link; it moves focus into the content.
  await page.keyboard.press('Tab');
  assert.equal((await focused(page)).text, 'Skip to main content');
  await page.keyboard.press('Enter');
  assert.equal((await focused(page)).id, 'main');

  // Choose "Clarify" and raise the hand.
  await tabTo(page, '#raise-kind');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.evaluate(() => document.activeElement.value), 'clarify');
  await page.keyboard.press('Tab');
  assert.equal((await focused(page)).id, 'raise');
  await page.keyboard.press('Enter');
  await see(page, 'You asked to speak (Clarify): you are number 1 of 1.');
  // The raise form is gone; focus went to the button that undoes it.
  await page.waitForFunction(() => document.activeElement.id === 'lower');
  assert.deepEqual((await chair.ok({ type: 'ping' })).type, 'ack');
  await page.keyboard.press('Enter');
  await see(page, 'Nobody is waiting.');
  await page.waitForFunction(() => document.activeElement.id === 'raise');

  // A hum: hum for one option, change to the other.
  const hum = await chair.ok({ type: 'hum.start', question: 'Adopt the agenda?', options: ['Support', 'Oppose'] });
  await see(page, 'Adopt the agenda?');
  await tabTo(page, '.hum .choice');
  await page.keyboard.press('Enter');
  await see(page, 'You hum for: Support.');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Space');
  await see(page, 'You hum for: Oppose.');
  assert.equal(await page.getAttribute('.hum .choice >> nth=1', 'aria-pressed'), 'true');
  assert.equal(await page.getAttribute('.hum .choice >> nth=0', 'aria-pressed'), 'false');

  // A one-choice poll, then a several-choice poll.
  const poll = await chair.ok({ type: 'poll.start', question: 'Lunch at one?', options: ['Yes', 'No'] });
  await see(page, 'Lunch at one?');
  await tabTo(page, '.polls .choice');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await see(page, 'Your vote: No.');
  await chair.ok({ type: 'poll.end', poll: poll.poll });
  await chair.ok({ type: 'poll.start', question: 'Which days suit you?', options: ['Monday', 'Tuesday', 'Wednesday'], multiple: true });
  await see(page, 'Which days suit you?');
  await tabTo(page, '.polls input[type=checkbox]');
  await page.keyboard.press('Space');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Space');
  await tabTo(page, '.polls button[type=submit]');
  await page.keyboard.press('Enter');
  await see(page, 'Your vote: Monday, Wednesday.');
  await chair.ok({ type: 'hum.end', hum: hum.hum });
  await see(page, '1 of 2 eligible responded');
  await screenshot(page, 'keyboard-participant');

  // Tab goes all the way round the page without a trap.
  const seen = new Set();
  for (let i = 0; i < 150; i++) {
    await page.keyboard.press('Tab');
    const f = await focused(page);
    if (f.text === 'Skip to main content' && seen.size) break;
    seen.add(`${f.tag}#${f.id}:${f.text}`);
    assert.ok(i < 149, 'Tab never came back to the start');
  }
  await page.context().close();
});

test('an observer joins with the form, keyboard only', async () => {
  const page = await openPage(browser, roomLink(server, ROOM));
  await see(page, 'How do you want to join?');
  await tabTo(page, '#obs-name');
  await page.keyboard.type('Olga');
  await page.keyboard.press('Enter');
  await connected(page);
  await see(page, 'You: Olga — Observer');
  await page.context().close();
});
