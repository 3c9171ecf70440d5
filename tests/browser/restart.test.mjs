// The server restarts under a participant's feet. Her hum cast and her anonymous ballot
// are never written anywhere, so the restarted server has forgotten them; the web client
// keeps them and re-sends them when it joins again, and her raised hand survives too
// (kept by the grace period, or raised again if the grace period ran out first).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as pathJoin } from 'node:path';
import { startServer, token, join } from '../integration/harness.mjs';
import { connected, launch, openPage, roomLink, screenshot, see } from './browser.mjs';

const ROOM = 'plenary';
const config = { rooms: [{ id: ROOM, title: 'Opening plenary', public_observers: true }] };
let server, browser, port;
const dataDir = mkdtempSync(pathJoin(tmpdir(), 'plenary-restart-'));

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

const start = () => startServer({ config, dataDir, grace: 1, args: ['--listen', `127.0.0.1:${port}`] });

before(async () => {
  port = await freePort();
  server = await start();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

test('hum cast, ballot and hand come back after a restart', async () => {
  let chair = await join(server, ROOM, { role: 'chair', name: 'Carla Chair', sub: 'carla' });
  await chair.ok({ type: 'session.start' });
  const page = await openPage(browser, roomLink(server, ROOM, token({ room: ROOM, role: 'participant', name: 'Ana Silva', sub: 'ana', group: 'civil_society' })));
  await connected(page);
  const { hum } = await chair.ok({ type: 'hum.start', question: 'Adopt the draft?', options: ['Support', 'Oppose'] });
  const { poll } = await chair.ok({ type: 'poll.start', question: 'Meet in March?', options: ['Yes', 'No'] });
  await page.click('.hum .choice >> text=Oppose');
  await see(page, 'You hum for: Oppose.');
  await page.click('.polls .choice >> text=Yes');
  await see(page, 'Your vote: Yes.');
  await page.selectOption('#raise-kind', 'reply');
  await page.click('#raise');
  await see(page, 'You asked to speak (Reply)');

  await chair.close();
  await server.stop();
  await connected(page, 'reconnecting');
  server = await start();
  await connected(page);
  await see(page, 'You asked to speak (Reply)');
  await see(page, 'You hum for: Oppose.');

  chair = await join(server, ROOM, { role: 'chair', name: 'Carla Chair', sub: 'carla' });
  // The re-sent ballot shows in the poll's progress, the re-sent cast in the hum's result.
  await chair.next((m) => m.type === 'live' && m.kind === 'poll.progress' && m.data.voters === 1);
  await chair.ok({ type: 'poll.end', poll });
  const ended = await chair.ok({ type: 'hum.end', hum });
  assert.equal(ended.type, 'ack');
  const result = (await chair.event('hum.ended')).data;
  assert.equal(result.responded, 1);
  assert.deepEqual(result.levels, ['none', 'strong']); // 1 of 2 eligible
  const pollResult = (await chair.event('poll.ended')).data;
  assert.deepEqual(pollResult.counts, [1, 0]);
  await see(page, '1 of 2 eligible responded');
  await screenshot(page, 'restart-participant');
  await chair.close();
  await page.context().close();
});
