// A whole meeting in the web client: a chair, two participants, a captioner and an
// anonymous observer, each in their own browser context, driving the real plenaryd.
// Join, raise (with kinds), reorder, grant, caption, hum, a dropped socket and its
// resume, a show of hands and a named poll, ending the session -- asserting at each step
// what every one of them sees. Screenshots of each view go to build/browser-artifacts/.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, token } from '../integration/harness.mjs';
import { connected, heard, launch, openPage, roomLink, rtp, saidLately, screenshot, see, text } from './browser.mjs';
import { sleep } from '../integration/harness.mjs';

const ROOM = 'plenary';
let server, browser;
const errors = [];

before(async () => {
  server = await startServer({ config: { rooms: [{ id: ROOM, title: 'Opening plenary', public_observers: true }] } });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.cleanup();
});

const tok = (role, name, sub, group) => token({ room: ROOM, role, name, sub, group });
const queueNames = (page) => page.locator('.queue-list li .name').allInnerTexts();

test('a full meeting, as each role sees it', async (t) => {
  const open = (tokn) => openPage(browser, roomLink(server, ROOM, tokn), { errors });
  const chair = await open(tok('chair', 'Carla Chair', 'carla', 'technical'));
  const ana = await open(tok('participant', 'Ana Silva', 'ana', 'civil_society'));
  const bruno = await open(tok('participant', 'Bruno Costa', 'bruno', 'government'));
  const cap = await open(tok('captioner', 'Cai Writer', 'cai'));
  const obs = await openPage(browser, roomLink(server, ROOM), { errors });
  const everyone = [chair, ana, bruno, cap, obs];

  await t.test('everyone joins; the observer with a name only', async () => {
    await see(obs, 'How do you want to join?');
    await obs.fill('#obs-name', 'Olga');
    await obs.click('text=Watch as an observer');
    for (const p of everyone) await connected(p);
    await see(chair, 'You: Carla Chair — Chair, Technical community');
    await see(ana, 'You: Ana Silva — Participant, Civil society');
    await see(obs, 'You: Olga — Observer');
    await see(cap, 'You: Cai Writer — Captioner');
    // The token left the address bar; the room stayed.
    assert.equal(new URL(ana.url()).hash, `#room=${ROOM}`);
  });

  await t.test('the chair starts the session; controls follow each role', async () => {
    await chair.fill('#session-title', 'Day one');
    await chair.click('#session-start');
    for (const p of everyone) await see(p, 'Nobody has the floor.');
    assert.equal(await text(obs, '#session-badge'), 'Live');
    await see(ana, 'Ask to speak');
    // Read-only roles get no control the server would refuse.
    for (const p of [obs, cap]) {
      assert.equal(await p.locator('#raise').count(), 0);
      assert.equal(await p.locator('#next-speaker').count(), 0);
      assert.equal(await p.locator('.queue-list button').count(), 0);
    }
    assert.equal(await obs.locator('#cap-input').count(), 0);
    assert.equal(await cap.locator('#cap-input').count(), 1);
    assert.equal(await ana.locator('#session-start, #hum-start, #poll-start').count(), 0);
  });

  await t.test('asking to speak: kinds, order and my place', async () => {
    await ana.click('#raise');
    await see(ana, 'you are number 1 of 1');
    await bruno.selectOption('#raise-kind', 'point_of_order');
    await bruno.click('#raise');
    await see(bruno, 'you are number 1 of 2');
    await see(ana, 'you are number 2 of 2');
    await see(obs, 'Speaking queue (2 waiting)');
    assert.deepEqual(await queueNames(obs), ['Bruno Costa', 'Ana Silva']);
    assert.deepEqual(await queueNames(ana), ['Bruno Costa', 'Ana Silva (you)']);
    assert.match(await text(obs, '.queue-list li:first-child'), /Point of order/);
    await screenshot(chair, 'chair-queue');
  });

  await t.test('the chair reorders by keyboard and by dragging', async () => {
    await chair.locator('.queue-list li', { hasText: 'Ana Silva' }).locator('button.up').focus();
    await chair.keyboard.press('Alt+ArrowUp');
    await see(ana, 'you are number 1 of 2');
    assert.deepEqual(await queueNames(obs), ['Ana Silva', 'Bruno Costa']);
    // Focus stays on the control that was used, wherever the entry went.
    assert.equal(await chair.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Move Ana Silva up');
    await chair.dragAndDrop('.queue-list li:nth-child(2)', '.queue-list li:nth-child(1)');
    await see(ana, 'you are number 2 of 2');
    assert.deepEqual(await queueNames(obs), ['Bruno Costa', 'Ana Silva']);
    await chair.locator('.queue-list li', { hasText: 'Bruno Costa' }).locator('button.down').click();
    await see(ana, 'you are number 1 of 2');
  });

  await t.test('the floor goes to the head of the queue; everyone sees it', async () => {
    await chair.click('#next-speaker');
    await see(ana, 'You have the floor, Ana Silva.');
    await see(ana, 'Microphone: Open');
    await see(obs, 'Ana Silva has the floor.');
    await see(obs, 'chosen by the chair');
    await see(bruno, 'you are number 1 of 1');
    assert.match(await text(obs, '.floor-clock'), /left of 3:00/);
    assert.match(await text(bruno, '#mic-state'), /Closed/);
    await see(chair, 'End the floor');
    // Screen readers: assertive for Ana only, polite for the others.
    await heard(ana, 'You have the floor. Your microphone is open. You have 3 minutes.', { assertive: true });
    await heard(obs, 'Ana Silva (Civil society, remote) has the floor.');
    await heard(bruno, 'You are now number 1 in the queue.');
    assert.equal(await saidLately(obs, true), '');
    assert.equal(await saidLately(bruno, true), '');
    await screenshot(ana, 'participant-floor');
  });

  await t.test('speaking: with the server’s media, Ana’s fake microphone reaches it', async () => {
    await ana.waitForFunction(() => /connected|not available|could not|failed/i.test(document.querySelector('.audio-status').textContent), null, { timeout: 15000 });
    // The server runs with media: audio that does not connect fails the test.
    assert.match(await text(ana, '.audio-status'), /Live audio connected/);
    let c;
    for (let i = 0; i < 50 && !(c?.sent > 20); i++) {
      c = await rtp(ana);
      await sleep(100);
    }
    assert.ok(c.sent > 20, JSON.stringify(c));
    assert.equal((await rtp(obs)).state, 'connected');
  });

  await t.test('captions: partials as typed, finals on Enter, with the speaker', async () => {
    await cap.locator('#cap-input').pressSequentially('Thank you chair', { delay: 20 });
    await see(obs, 'Ana Silva: Thank you chair…');
    await cap.keyboard.press('Enter');
    await obs.locator('.cap-log .cap', { hasText: 'Thank you chair' }).waitFor();
    assert.equal(await text(obs, '.cap-log .cap:last-child'), 'Ana Silva: Thank you chair');
    assert.equal(await text(obs, '.cap-partial'), '');
    // The captioner's page clears its input when its own ack comes, which may be after
    // the observer's page has shown the event.
    await cap.waitForFunction(() => document.querySelector('#cap-input').value === '');
    await screenshot(cap, 'captioner');
    // Someone joining later asks for the earlier captions.
    const late = await openPage(browser, `${server.url}/#room=${ROOM}&role=observer&name=Late`, { errors });
    await connected(late);
    await see(late, 'No captions yet.');
    await late.click('text=Load earlier captions');
    await late.locator('.cap-log .cap', { hasText: 'Thank you chair' }).waitFor();
    assert.equal(await text(late, '.cap-log .cap'), 'Ana Silva: Thank you chair');
    await heard(late, '1 earlier caption loaded.');
    await late.context().close();
  });

  await t.test('a hum: casts, live levels for the chair only, a dropped socket resumed', async () => {
    await chair.fill('#hum-q', 'Do we adopt the draft?');
    await chair.click('#hum-start');
    for (const p of everyone) await see(p, 'Do we adopt the draft?');
    await heard(obs, 'A hum is open: Do we adopt the draft? Options: Support, Oppose.');
    assert.equal(await obs.locator('.hum .choice').count(), 0);
    await ana.click('.hum .choice >> text=Support');
    await see(ana, 'You hum for: Support.');
    await bruno.click('.hum .choice >> text=Oppose');
    await see(bruno, 'You hum for: Oppose.');
    await see(chair, '2 of 3 responded.');
    // Two hummers are too few for live levels: the chair is told why none are shown.
    await see(chair, 'Levels appear once 5 have hummed');
    assert.equal(await ana.locator('.live-levels').count(), 0);

    // Ana's connection drops; the client resumes and keeps her floor and her hum.
    await ana.evaluate(() => window.__sockets.at(-1).close());
    await connected(ana, 'reconnecting');
    await connected(ana);
    assert.equal(await ana.evaluate(() => window.__sockets.length), 2);
    await see(ana, 'You have the floor, Ana Silva.');
    await see(ana, 'You hum for: Support.');
    // An anonymous observer resumes too (the server keeps the id its resume key was
    // issued to): a caption written while Olga is away still reaches her.
    await obs.evaluate(() => window.__sockets.at(-1).close());
    await cap.locator('#cap-input').fill('While Olga was away');
    await cap.keyboard.press('Enter');
    await connected(obs);
    await obs.locator('.cap-log .cap', { hasText: 'While Olga was away' }).waitFor();
    assert.equal(await obs.locator('.cap-log .cap').count(), 2);
    await chair.click('.hum button >> text=End the hum');
    for (const p of everyone) await see(p, 'of 3 eligible responded');
    await heard(bruno, 'Hum result: Do we adopt the draft? Support: moderate; Oppose: moderate. 2 of 3 responded.');
    assert.match(await text(obs, '.hum .result'), /Support\s*Moderate[\s\S]*Oppose\s*Moderate/);
    await screenshot(chair, 'chair-hum-result');
  });

  await t.test('a show of hands with live counts, then a named poll', async () => {
    await chair.fill('#poll-q', 'Should we meet again in March?');
    await chair.click('#hands-start');
    await see(obs, 'Show of hands');
    await ana.click('.polls .choice >> text=Raise my hand in this show of hands');
    await see(ana, 'Your answer: Raise my hand in this show of hands.');
    await bruno.click('.polls .choice >> text=Do not raise my hand');
    await see(obs, '2 voted, 1 not answered yet.');
    await chair.click('text=End the show of hands');
    await see(obs, 'Should we meet again in March? (show of hands)');
    assert.match(await text(obs, '.polls .result'), /Hands raised\s*1 \(33 %\)[\s\S]*1 of 3 present raised their hand; 2 answered, 1 did not/);

    await chair.fill('#poll-q', 'Which venue?');
    await chair.fill('#poll-opts', 'Lisbon\nNairobi');
    await chair.uncheck('#poll-anon');
    await chair.click('#poll-start');
    await see(ana, 'Named: your name and choice go on the public record.');
    assert.equal(await chair.isChecked('#poll-anon'), true); // the form is back to its defaults
    await ana.click('.polls .choice >> text=Nairobi');
    await see(ana, 'Your vote: Nairobi.');
    await chair.click('text=End the poll');
    await see(obs, 'Which venue?');
    await obs.click('text=Named ballots (1)');
    await see(obs, 'Ana Silva (Civil society): Nairobi');
  });

  await t.test('a late observer gets earlier results and captions from the record', async () => {
    const late = await openPage(browser, `${server.url}/#room=${ROOM}&role=observer&name=Late`, { errors });
    await connected(late);
    // Closed polls' results are fetched with the join, and the earlier captions with them.
    await see(late, 'Which venue?');
    await see(late, 'Do we adopt the draft?');
    await late.locator('.cap-log .cap', { hasText: 'Thank you chair' }).waitFor();
    assert.equal(await late.locator('text=Load earlier captions').isVisible(), false);
    await late.context().close();
  });

  await t.test('the chair’s tools: rules, an in-room speaker, removal, the line, the clock', async () => {
    await chair.click('text=Queue rules');
    await chair.selectOption('#q-policy', 'groups_round_robin');
    await chair.fill('#q-limit', '20');
    await chair.click('text=Apply the rules');
    await chair.click('text=Add a speaker in the room');
    await chair.fill('#add-name', 'Delegate Dmitri');
    await chair.fill('#add-group', 'academia');
    await chair.selectOption('#add-kind', 'reply');
    await chair.click('text=Add to the queue');
    await see(obs, 'Delegate Dmitri');
    // Bruno's point of order first, then the reply.
    assert.deepEqual(await queueNames(obs), ['Bruno Costa', 'Delegate Dmitri']);
    assert.match(await text(obs, '.queue-list li:nth-child(2)'), /Reply[\s\S]*Academia · in the room/);

    await chair.locator('.queue-list li', { hasText: 'Bruno Costa' }).locator('button.remove').click();
    await heard(bruno, 'The chair removed your request to speak from the queue.');
    await see(bruno, 'Ask to speak');

    await chair.click('#line-toggle');
    await see(bruno, 'The line is closed: only points of order can be raised.');
    assert.equal(await bruno.inputValue('#raise-kind'), 'point_of_order');
    assert.equal(await bruno.locator('#raise-kind option[value=speak]').isDisabled(), true);

    await chair.click('button[aria-label="Give floor to Delegate Dmitri"]');
    await see(obs, 'Delegate Dmitri has the floor.');
    await heard(ana, 'Your floor has ended: ended by the chair.', { assertive: true });
    // A 20-second limit: the floor's warning comes at once.
    await see(obs, 'Warning: 20 seconds or less left.');
    assert.match(await text(obs, '.floor-clock'), /left of 0:20/);
    await chair.fill('#extend-s', '60');
    await chair.click('button:text-is("Extend")');
    await obs.locator('.floor-clock', { hasText: 'of 1:20' }).waitFor();
    assert.equal(await obs.locator('.floor-warning').isVisible(), false);
    await chair.click('#line-toggle');
    await see(bruno, 'The line is open.');
    await screenshot(chair, 'chair-tools');
  });

  await t.test('the floor ends, the session ends, everyone is told', async () => {
    await chair.click('text=End the floor');
    await see(obs, 'Nobody has the floor.');
    await chair.click('#session-end');
    await chair.click('#session-end-yes');
    for (const p of everyone) await see(p, 'This session has ended.');
    assert.equal(await text(obs, '#session-badge'), 'Ended');
    assert.equal(await ana.locator('#raise').isVisible(), false);
    for (const [p, name] of [[chair, 'chair'], [ana, 'participant'], [cap, 'captioner-ended'], [obs, 'observer']]) await screenshot(p, name);
  });

  assert.deepEqual(errors, []);
});
