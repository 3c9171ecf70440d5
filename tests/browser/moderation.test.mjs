// Moderation in the web client (issue 13), with the keyboard alone on the chair's side: the
// chair opens and closes their own microphone (the on-air state and the server's mic gate
// agree), removes a participant through the confirmation (which says what removal does)
// with a reason, sees the removed person's page say who removed them and why (and it does
// not try to reconnect), undoes the removal, and readmits from the removed list. A
// co-chair (a WebSocket client of the test) sees the events and the snapshot.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, token, join, sleep } from '../integration/harness.mjs';
import { axe, connected, heard, launch, openPage, roomLink, screenshot, see } from './browser.mjs';

const ROOM = 'plenary';
let server, browser, cochair;

before(async () => {
  server = await startServer({ config: { rooms: [{ id: ROOM, title: 'Opening plenary', public_observers: true }] } });
  browser = await launch();
  cochair = await join(server, ROOM, { role: 'chair', name: 'Bo Cochair', sub: 'bo' });
  await cochair.ok({ type: 'session.start' });
});
after(async () => {
  await cochair?.close();
  await browser?.close();
  await server?.cleanup();
});

async function focusOn(page, sel, { max = 120 } = {}) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement.matches(s), sel)) return;
  }
  throw new Error(`Tab never reached ${sel}`);
}

test('chair: own microphone, remove with confirmation, undo, readmit; the removed page', async () => {
  const chair = await openPage(browser, roomLink(server, ROOM, token({ room: ROOM, role: 'chair', name: 'Carla Chair', sub: 'carla' })));
  const dan = await openPage(browser, roomLink(server, ROOM, token({ room: ROOM, role: 'participant', name: 'Dan Disrupt', sub: 'dan' })));
  await connected(chair);
  await connected(dan);

  // The chair's microphone is closed until the chair opens it.
  await see(chair, 'Your microphone is closed.');
  let from = cochair.messages.length;
  await focusOn(chair, '#my-mic');
  assert.equal(await chair.evaluate(() => document.activeElement.textContent), 'Open my microphone');
  await chair.keyboard.press('Enter');
  await see(chair, 'On air: your microphone is open and everyone hears you.');
  await heard(chair, 'Your microphone is open: you are on air.', { assertive: true });
  const opened = await cochair.event('mic.opened', { from });
  assert.deepEqual(opened.data, { pid: 'carla', by: 'carla' });
  assert.equal(await chair.evaluate(() => document.activeElement.id), 'my-mic');
  assert.equal(await chair.evaluate(() => document.activeElement.textContent), 'Close my microphone');
  from = cochair.messages.length;
  await chair.keyboard.press('Enter');
  await see(chair, 'Your microphone is closed.');
  assert.equal((await cochair.event('mic.closed', { from })).data.by, 'carla');
  // A co-chair closing the chair's open mic shows at once on the chair's page.
  await chair.keyboard.press('Enter');
  await see(chair, 'On air: your microphone is open and everyone hears you.');
  await cochair.ok({ type: 'mic.close', pid: 'carla' });
  await see(chair, 'Your microphone is closed.');

  // Remove: the confirmation says what it does; the reason goes with it.
  await focusOn(chair, '#rm-dan-btn');
  await chair.keyboard.press('Enter');
  await chair.waitForFunction(() => document.activeElement.id === 'rm-dan-reason');
  await see(chair, 'Remove Dan Disrupt from the meeting? All their connections close');
  assert.deepEqual(await axe(chair), [], 'axe on the confirmation');
  await chair.keyboard.type('repeated abuse');
  from = cochair.messages.length;
  await chair.keyboard.press('Enter');
  const removed = await cochair.event('participant.removed', { from });
  assert.deepEqual(removed.data, { pid: 'dan', by: 'carla', reason: 'repeated abuse' });
  await heard(chair, 'Dan Disrupt was removed from the meeting. Undo is available.', { assertive: true });
  await chair.waitForFunction(() => document.activeElement.id === 'remove-undo');

  // Dan's page says so plainly, and stays put.
  await see(dan, 'You were removed from this meeting');
  await see(dan, 'A chair, Carla Chair, removed you from this meeting with the reason: “repeated abuse”.');
  await screenshot(dan, 'moderation-removed');
  await sleep(1500); // a reconnect loop would have tried at least once by now
  const status = await dan.evaluate(() => document.getElementById('conn').dataset.state);
  assert.equal(status, 'failed');
  const joinedAgain = cochair.events('participant.joined').filter((e) => e.data.pid === 'dan' && e.seq > removed.seq);
  assert.equal(joinedAgain.length, 0);

  // Undo readmits.
  from = cochair.messages.length;
  await chair.keyboard.press('Enter');
  const re = await cochair.event('participant.readmitted', { from });
  assert.deepEqual(re.data, { pid: 'dan', by: 'carla' });
  await see(chair, 'Nobody has been removed.');

  // Remove again without a reason, then Readmit from the list.
  const dan2 = await openPage(browser, roomLink(server, ROOM, token({ room: ROOM, role: 'participant', name: 'Dan Disrupt', sub: 'dan' })));
  await connected(dan2);
  await chair.locator('#rm-dan-btn').focus();
  await chair.keyboard.press('Enter');
  await chair.waitForFunction(() => document.activeElement.id === 'rm-dan-reason');
  await chair.keyboard.press('Enter');
  await see(dan2, 'removed you from this meeting (no reason was given)');
  await see(chair, 'Dan Disrupt, removed by Carla Chair.');
  await screenshot(chair, 'moderation-chair');
  assert.deepEqual(await axe(chair), [], 'axe on the chair with a removed list');
  from = cochair.messages.length;
  await chair.locator('#readmit-dan').focus();
  await chair.keyboard.press('Enter');
  await cochair.event('participant.readmitted', { from });
  await heard(chair, 'Dan Disrupt is readmitted and may join again.');
  await chair.close();
  await dan.close();
  await dan2.close();
});
