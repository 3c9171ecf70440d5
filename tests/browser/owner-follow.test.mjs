// Issue 17: the web client follows a room to its owner. Two plenaryd with --nats on a
// three-node NATS cluster of the test's own (natscluster.mjs; fails without nats-server),
// each with --node-url naming its own address. The room is owned by A; the participant
// opens the client from B, the standby, which refuses the join with `unavailable` and the
// owner's address (`owner_url`, docs/protocol.md). The client's next attempt goes to A by
// itself: it is online there, joined on A's record, and hears of the floor. Then A is
// cut off from NATS (its only node stops) and loses the room: it closes the room's
// connections (1012), the client comes back to A, is told B owns the room now, and goes on
// on B, where it sees a chair's command.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as pathJoin } from 'node:path';
import { startServer, createRoom, token, join, sleep } from '../integration/harness.mjs';
import { startNatsCluster, waitRole } from '../integration/natscluster.mjs';
import { connected, launch, openPage, roomLink, see, screenshot } from './browser.mjs';

const ROOM = 'follow';
const TTL_MS = 3000;
let cluster, browser;
const servers = [];
const dirs = [];
after(async () => {
  await browser?.close();
  for (const s of servers) await s.stop('SIGKILL');
  await cluster?.shutdown();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

async function node(name, natsUrls) {
  const port = await freePort();
  const dataDir = mkdtempSync(pathJoin(tmpdir(), `plenary-follow-${name}-`));
  dirs.push(dataDir);
  const s = await startServer({
    dataDir,
    args: ['--listen', `127.0.0.1:${port}`, '--nats', natsUrls, '--node', name,
      '--node-url', `http://127.0.0.1:${port}`, '--lease-ttl-ms', String(TTL_MS)],
    config: { nats_timeout_ms: 1000 },
  });
  s.name = name;
  servers.push(s);
  return s;
}

test('the client goes where the room is owned, and follows it to a new owner', { timeout: 180000 }, async () => {
  cluster = await startNatsCluster(3);
  const only = (i) => `nats://127.0.0.1:${cluster.nodes[i].port}`;
  const a = await node('node-a', only(0));
  await createRoom(a, ROOM);
  await waitRole(a, ROOM, 'owner');
  const b = await node('node-b', `${only(1)},${only(2)}`);
  await waitRole(b, ROOM, 'standby');
  const chair = await join(a, ROOM, { role: 'chair', name: 'Carla Chair', sub: 'carla' });
  await chair.ok({ type: 'session.start' });

  // Opened from the standby: online, on the owner.
  browser = await launch();
  const tok = token({ room: ROOM, role: 'participant', name: 'Ana Silva', sub: 'ana' });
  const page = await openPage(browser, roomLink(b, ROOM, tok));
  await connected(page);
  assert.ok(a.logs.some((l) => /msg="joined".*role=participant/.test(l)), 'joined on the owner');
  assert.ok(!b.logs.some((l) => /msg="joined".*role=participant/.test(l)), 'not on the standby');
  await page.click('#raise');
  await see(page, 'You asked to speak');

  // The owner loses the room: 1012, back to A, told B owns it, and on to B.
  await chair.close();
  await cluster.stop(0);
  await waitRole(b, ROOM, 'owner', 30000);
  await connected(page, 'online').catch(async (e) => {
    const status = await page.textContent('#conn').catch(() => '?');
    assert.fail(`${e.message}\nstatus: ${status}\n--- a\n${a.logs.slice(-12).join('\n')}\n--- b\n${b.logs.slice(-12).join('\n')}`);
  });
  for (const t0 = Date.now(); !b.logs.some((l) => /msg="joined".*role=participant/.test(l)); await sleep(100))
    assert.ok(Date.now() - t0 < 30000, `the client did not come to the new owner\n${b.logs.slice(-10).join('\n')}`);
  const chair2 = await join(b, ROOM, { role: 'chair', name: 'Carla Chair', sub: 'carla' });
  await see(page, 'You asked to speak');
  const { state } = chair2.ack;
  const entry = state.queue.entries.find((e) => e.pid === 'ana');
  assert.ok(entry, 'her hand is on the new owner\'s queue');
  await chair2.ok({ type: 'queue.grant', entry: entry.entry });
  await see(page, 'You have the floor');
  await screenshot(page, 'owner-follow');
  await chair2.close();
  await page.context().close();
  await cluster.start(0);
});
