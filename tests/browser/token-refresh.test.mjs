// Issue 18, long meetings: the web client refreshes its token before expiry (at 80 % of
// its life) and joins again with the fresh one, so an expired join link plus a network
// blip no longer removes anyone. plenaryd runs under libfaketime (its wall clock read from
// a file the test moves on; timers stay on real time), as token_expiry.test.mjs does.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, startServerWithClock, createRoom, join, Client, jwt, nowS } from '../integration/harness.mjs';
import { connected, launch, openPage, roomLink } from './browser.mjs';

const ROOM = 'long';
let server, browser;

before(async () => {
  server = await startServerWithClock({ grace: 30 });
  await createRoom(server, ROOM);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.cleanup();
});

function keepSends() {
  const Base = window.WebSocket;
  window.__sent = [];
  window.WebSocket = class extends Base {
    send(data) {
      window.__sent.push(JSON.parse(data));
      super.send(data);
    }
  };
}

const claimsOf = (t) => JSON.parse(Buffer.from(t.split('.')[1], 'base64url').toString());

test('the page refreshes its token and comes back with it after its link expired', async () => {
  const chair = await join(server, ROOM, { role: 'chair', name: 'Carla Chair', sub: 'carla' });
  await chair.ok({ type: 'session.start' });
  // A two-minute link issued 100 s ago: past 80 % of its life already.
  const iat = nowS() - 100;
  const link = jwt({ room: ROOM, role: 'participant', name: 'Ana Silva', sub: 'ana', iat, exp: iat + 120 });
  const page = await openPage(browser);
  await page.context().addInitScript(keepSends);
  await page.goto(roomLink(server, ROOM, link));
  await connected(page);
  await page.waitForFunction(() => window.__sent.some((m) => m.type === 'token.refresh'));
  const fresh = await page.waitForFunction(
    (old) => {
      const t = sessionStorage.getItem('plenary:token:long');
      return t && t !== old && t;
    },
    link,
  ).then((h) => h.jsonValue());
  const c = claimsOf(fresh);
  assert.equal(c.sub, 'ana');
  assert.equal(c.role, 'participant');
  assert.equal(c.exp - c.iat, 120);
  assert.ok(c.exp > iat + 120);
  await page.click('#raise');
  await page.locator('#lower').waitFor(); // queued: the way to withdraw is offered

  // 100 s later on plenaryd's clock the link is past exp + 60 s of skew; the fresh token
  // is not. The network blips.
  server.setClock('+100');
  const probe = await Client.open(server);
  const refused = await probe.request({ type: 'join', room: ROOM, token: link });
  assert.equal(refused.code, 'unauthorized', 'the link itself has expired');
  await probe.close();
  const from = await page.evaluate(() => window.__sent.length);
  await page.evaluate(() => window.__sockets.at(-1).close());
  await connected(page, 'reconnecting');
  await connected(page);
  const rejoin = await page.evaluate((n) => window.__sent.slice(n).find((m) => m.type === 'join'), from);
  assert.notEqual(rejoin.token, link, 'the page joined again with a refreshed token');
  assert.ok(claimsOf(rejoin.token).exp >= c.exp);
  await page.locator('#lower').waitFor(); // still queued after the comeback
  assert.equal(await page.locator('#session-badge').innerText(), 'Live');
  await chair.close();
});
