// Issue 18: every caption line on the record exactly once. A captioner types at captioner
// speed (40 ms a character, several lines, the next line started before the last one's
// ack) while the server's answers reach the page late (every frame from the server is
// held 1.2 s by a wrapped WebSocket in the page), and the connection drops with two lines
// written but not yet acknowledged. The web client sends those again with the same cid;
// the server acks them as duplicates and writes nothing; record.json has each line once.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, createRoom, join, http, token } from '../integration/harness.mjs';
import { connected, launch, openPage, roomLink } from './browser.mjs';

const ROOM = 'cart';
let server, browser;

before(async () => {
  server = await startServer({ grace: 30 });
  await createRoom(server, ROOM);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.cleanup();
});

// In the page, before its scripts: frames from the server reach the app window.__delay ms
// late (in order), and what the app sends is kept in window.__sent.
function slowAnswers() {
  const Base = window.WebSocket;
  window.__delay = 0;
  window.__sent = [];
  window.__mostOut = 0; // the most final lines the app had sent and not yet seen acked
  const out = new Set();
  window.WebSocket = class extends Base {
    set onmessage(fn) {
      super.onmessage = (e) =>
        setTimeout(() => {
          const m = JSON.parse(e.data);
          if (m.type === 'ack' || m.type === 'error') out.delete(m.id);
          fn(e);
        }, window.__delay);
    }
    get onmessage() {
      return super.onmessage;
    }
    send(data) {
      const m = JSON.parse(data);
      window.__sent.push(m);
      if (m.type === 'caption' && m.final) {
        out.add(m.id);
        window.__mostOut = Math.max(window.__mostOut, out.size);
      }
      super.send(data);
    }
  };
}

test('lines typed fast over slow acks and a dropped connection are on the record once each', async () => {
  const chair = await join(server, ROOM, { role: 'chair', name: 'Carla Chair', sub: 'carla' });
  await chair.ok({ type: 'session.start' });
  const page = await openPage(browser);
  await page.context().addInitScript(slowAnswers);
  await page.goto(roomLink(server, ROOM, token({ room: ROOM, role: 'captioner', name: 'Kim Cart', sub: 'kim' })));
  await connected(page);
  await page.locator('#cap-input').waitFor();
  await page.evaluate(() => (window.__delay = 1200));

  const lines = ['Good morning everyone.', 'The chair opens item four.', 'We turn to the budget.', 'Questions are welcome.'];
  const input = page.locator('#cap-input');
  for (const [i, line] of lines.entries()) {
    await input.pressSequentially(line, { delay: 40 });
    await page.keyboard.press('Enter');
    if (i === 2) {
      // Lines 2 and 3 are written, their acks still held in the page: the network drops.
      await page.evaluate(() => window.__sockets.at(-1).close());
      await connected(page, 'reconnecting');
    }
  }
  await connected(page);
  // Every line acknowledged: the outbox is empty and says when the last went.
  await page.waitForFunction(() => /^Sent at/.test(document.querySelector('#cap-status').textContent), null, { timeout: 30000 });

  const sent = await page.evaluate(() => window.__sent.filter((m) => m.type === 'caption' && m.final));
  const byCid = new Map();
  for (const m of sent) byCid.set(m.cid, [...(byCid.get(m.cid) || []), m.text]);
  assert.equal(byCid.size, lines.length, 'one cid per line');
  for (const texts of byCid.values()) assert.ok(texts.every((t) => t === texts[0]), 'a retry re-sends the same line');
  assert.ok([...byCid.values()].some((t) => t.length > 1), `a line was sent again: ${JSON.stringify([...byCid])}`);
  // The next line went out before the previous one's ack came back.
  assert.ok((await page.evaluate(() => window.__mostOut)) >= 2);

  const record = await http(server, 'GET', `/api/rooms/${ROOM}/record.json`);
  assert.deepEqual(record.json.captions.map((c) => c.text), lines);
  await chair.close();
});
