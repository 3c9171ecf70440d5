// Issue 17, edges (docs/scale.md "Edges"): a node that serves a room it does not own. The
// test runs its own three-node nats-server cluster on loopback ports (natscluster.mjs; it
// fails, never skips, without nats-server), one owner plenaryd (--nats) and one edge
// plenaryd (--nats --edge), with participants on both:
//
// - an edge participant joins, raises a hand, is given the floor by the chair on the
//   owner, an edge captioner posts captions (partial ones reach both nodes' clients as
//   live messages, as the floor holder's mic gate and the presence do), edge and owner
//   participants hum, and an observer on the edge watches;
// - every client on either node sees the same events, in seq order, once, with the same
//   hashes, and each ack to an edge client comes after the events of its command;
// - the owner not answering in time gives `internal`, and the command's event arrives
//   once it goes on; no owner at all gives `unavailable`;
// - acks and errors to an edge client equal what a client of the owner gets for the
//   same command (a forbidden one, one before join, a conflict);
// - the edge's file equals the owner's, byte for byte, and `plenaryd verify` passes on it;
// - the edge refuses the HTTP API's writes, and says in /healthz and /metrics that it is
//   the room's edge and how far behind it is;
// - a room made on the owner after the edge started is served by the edge too;
// - the edge stopped and started again on its data directory catches up from JetStream;
// - the owner restarted under a connected edge client: its next command attaches it again
//   and acks;
// - a line on the subject that does not chain is refused, logged and re-synced, and the
//   edge's file and head stay where they were (the lag shows);
// - the edge killed (-9): its people leave the owner's record (reason "timeout") once its
//   heartbeat has been missing and the grace period has run.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join as pathJoin } from 'node:path';
import { startServer, createRoom, join, http, sleep, token, Client, PLENARYD } from './harness.mjs';
import { startNatsCluster } from './natscluster.mjs';

const ROOM = 'edgeroom';
// Each NATS request's and publish's bound: generous, for a loaded machine under the sanitizers.
const TIMEOUT_MS = 5000;

let cluster;
const servers = [];
after(async () => {
  for (const s of servers) await s.stop('SIGKILL');
  if (cluster) await cluster.shutdown();
});

async function healthz(server) {
  const r = await http(server, 'GET', '/healthz');
  assert.equal(r.status, 200);
  return r.json;
}

// Waits until the edge has folded everything the owner committed.
async function caughtUp(owner, edge, ms = 10000, room = ROOM) {
  const until = Date.now() + ms;
  for (;;) {
    const o = (await healthz(owner)).rooms[room];
    const e = (await healthz(edge)).rooms[room];
    if (e && e.seq === o.seq && e.lag === 0) return o.seq;
    if (Date.now() > until)
      throw new Error(`edge not caught up: owner ${JSON.stringify(o)} edge ${JSON.stringify(e)}`);
    await sleep(100);
  }
}

// Each client saw events in strictly increasing seq, without a gap after its join's seq,
// up to head; every seq has one hash across all clients and the owner's file.
function assertSameEvents(clients, lines, head) {
  for (const c of clients) {
    const seqs = c.events().map((m) => m.seq);
    const start = c.ack.seq;
    const want = [];
    for (let s = start + 1; s <= head; s++) want.push(s);
    assert.deepEqual(seqs, want, `${c.label}: every event after its join, once, in order`);
    for (const m of c.events()) {
      assert.equal(m.hash, lines[m.seq - 1].hash, `${c.label}: seq ${m.seq} has the log's hash`);
      assert.equal(m.kind, lines[m.seq - 1].kind, `${c.label}: seq ${m.seq} has the log's kind`);
    }
  }
}

function lastAckIndex(client, id) {
  return client.messages.findIndex((m) => m.type === 'ack' && m.id === id);
}

test('an edge serves a room it does not own', { timeout: 300000 }, async () => {
  cluster = await startNatsCluster(3);
  const args = ['--nats', cluster.urls];
  // The owner's lease outlives the moment the test stops it (SIGSTOP, below): this test is
  // about edges, not failover (nats_failover.test.mjs), and with no standby the stopped
  // owner would only fence itself and close its own clients.
  const config = { nats_timeout_ms: TIMEOUT_MS, lease_ttl_ms: 60000 };
  const owner = await startServer({ args, config, grace: 1 });
  servers.push(owner);
  await createRoom(owner, ROOM);
  const edge = await startServer({ args: [...args, '--edge'], config });
  servers.push(edge);

  // Roles in /healthz and /metrics.
  assert.equal((await healthz(owner)).rooms[ROOM].role, 'owner');
  assert.equal((await healthz(edge)).rooms[ROOM].role, 'edge');
  const metrics = await http(edge, 'GET', '/metrics');
  assert.match(metrics.text, new RegExp(`plenary_room_edge\\{room="${ROOM}"\\} 1`));
  assert.match(
    metrics.text,
    new RegExp(`plenary_room_lag_events\\{room="${ROOM}",role="edge"\\} \\d+`),
  );
  // The edge writes no log: the API's writes are the owner's.
  const made = await http(edge, 'POST', '/api/rooms', {
    admin: true,
    body: { id: 'other', title: 'Other' },
  });
  assert.equal(made.status, 503, made.text);
  assert.equal(made.json.code, 'unavailable');

  const chair = await join(owner, ROOM, { role: 'chair', name: 'Chair', sub: 'chair' });
  const ana = await join(owner, ROOM, { role: 'participant', name: 'Ana', sub: 'ana' });
  const eve = await join(edge, ROOM, { role: 'participant', name: 'Eve', sub: 'eve' });
  const ecap = await join(edge, ROOM, { role: 'captioner', name: 'Cap', sub: 'ecap' });
  const eobs = await join(edge, ROOM, { anonymous: true, name: 'Watcher' });
  const echair = await join(edge, ROOM, { role: 'chair', name: 'Vice', sub: 'vice' });
  echair.label = 'chair@edge';
  chair.label = 'chair@owner';
  ana.label = 'ana@owner';
  eve.label = 'eve@edge';
  ecap.label = 'cap@edge';
  eobs.label = 'observer@edge';
  const clients = [chair, ana, eve, ecap, eobs, echair];
  assert.equal(eve.ack.you.pid, 'eve');
  assert.equal(eve.ack.you.role, 'participant');
  assert.equal(eve.ack.you.mic, false);
  assert.ok(
    eve.ack.state.participants.some((p) => p.pid === 'eve'),
    'the edge join ack: a snapshot with the joiner in it, as on the owner',
  );
  await chair.event('participant.joined', { timeout: 5000 });
  await chair.next(
    (m) => m.type === 'event' && m.kind === 'participant.joined' && m.data.pid === 'eve',
  );

  // The same forbidden command from a client of each node: the same error.
  const fo = await ana.request({ type: 'session.start' });
  const fe = await eve.request({ type: 'session.start' });
  assert.equal(fo.type, 'error');
  assert.deepEqual({ ...fe, id: 0 }, { ...fo, id: 0 }, 'the same error code and message');
  // A conflict the room decides: lowering a hand not raised.
  const co = await ana.request({ type: 'queue.lower' });
  const ce = await eve.request({ type: 'queue.lower' });
  assert.deepEqual({ ...ce, id: 0 }, { ...co, id: 0 });
  // A second join on a joined edge connection: conflict, as locally.
  const j2e = await eve.request({ type: 'join', room: ROOM, role: 'observer' });
  const j2o = await ana.request({ type: 'join', room: ROOM, role: 'observer' });
  assert.deepEqual({ ...j2e, id: 0 }, { ...j2o, id: 0 });

  await chair.ok({ type: 'session.start' });
  const raise = await eve.ok({ type: 'queue.raise' });
  // The ack's promise on an edge: the event is in the log, and told before the ack.
  const raised = eve.messages.findIndex(
    (m) => m.type === 'event' && m.kind === 'queue.raised' && m.data.pid === 'eve',
  );
  assert.ok(
    raised >= 0 && raised < lastAckIndex(eve, raise.id),
    'queue.raised told to eve before her ack',
  );
  await chair.next((m) => m.type === 'event' && m.kind === 'queue.raised' && m.data.pid === 'eve');
  await chair.ok({ type: 'queue.next' });
  const granted = await eve.next((m) => m.type === 'event' && m.kind === 'floor.granted');
  assert.equal(granted.data.pid, 'eve', 'the floor goes to the edge participant');
  // What is never logged comes from the owner too: her mic gate (private), presence (live).
  const mic = await eve.next((m) => m.type === 'private' && m.kind === 'mic' && m.data.open);
  assert.equal(mic.data.open, true);
  await eobs.next((m) => m.type === 'live' && m.kind === 'presence');
  await ecap.ok({ type: 'caption', lang: 'en', final: false, text: 'partial words' });
  for (const c of [eobs, chair])
    await c.next(
      (m) => m.type === 'live' && m.kind === 'caption' && m.data.text === 'partial words',
    );
  for (let i = 0; i < 3; i++) {
    const r = await ecap.ok({
      type: 'caption',
      lang: 'en',
      final: true,
      text: `edge line ${i}`,
      cid: `e${i}`,
    });
    const told = ecap.messages.findIndex(
      (m) => m.type === 'event' && m.kind === 'caption' && m.data.text === `edge line ${i}`,
    );
    assert.ok(told >= 0 && told < lastAckIndex(ecap, r.id), 'the caption event before its ack');
  }
  await chair.next(
    (m) => m.type === 'event' && m.kind === 'caption' && m.data.text === 'edge line 2',
  );
  // A burst from the owner (group-committed there, several lines at once for the edge).
  await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      chair.ok({ type: 'caption', lang: 'en', final: true, text: `burst ${i}`, cid: `b${i}` }),
    ),
  );
  await eobs.next((m) => m.type === 'event' && m.kind === 'caption' && m.data.text === 'burst 19');
  await eve.ok({ type: 'floor.end' });
  const { hum } = await chair.ok({ type: 'hum.start', question: 'Adopt?', options: ['yes', 'no'] });
  await eve.next((m) => m.type === 'event' && m.kind === 'hum.started');
  await eve.ok({ type: 'hum.cast', hum, option: 0 });
  await ana.ok({ type: 'hum.cast', hum, option: 0 });
  // The chairs' private hum levels reach a chair on the edge too (a message to a role).
  await echair.next((m) => m.type === 'private' && m.kind === 'hum.levels' && m.data.hum === hum);
  const badCast = await eobs.request({ type: 'hum.cast', hum, option: 0 });
  assert.equal(badCast.type, 'error', 'an observer on the edge may not hum');
  await chair.ok({ type: 'hum.end', hum });
  const ended = await eve.next((m) => m.type === 'event' && m.kind === 'hum.ended');
  const endedOwner = await chair.next((m) => m.type === 'event' && m.kind === 'hum.ended');
  assert.deepEqual(ended, endedOwner, 'the hum result is the same event on both nodes');
  // A poll: an edge participant votes, the result is the same event everywhere, and a
  // vote with a choice out of range gets the same error on both nodes.
  const { poll } = await chair.ok({ type: 'poll.start', question: 'Venue?', options: ['A', 'B'] });
  await eve.next((m) => m.type === 'event' && m.kind === 'poll.started');
  const badE = await eve.request({ type: 'poll.vote', poll, choices: [7] });
  const badO = await ana.request({ type: 'poll.vote', poll, choices: [7] });
  assert.equal(badE.code, 'bad_request');
  assert.deepEqual({ ...badE, id: 0 }, { ...badO, id: 0 });
  await eve.ok({ type: 'poll.vote', poll, choices: [1] });
  await ana.ok({ type: 'poll.vote', poll, choices: [1] });
  await chair.ok({ type: 'poll.end', poll });
  const pollEnd = await eve.next((m) => m.type === 'event' && m.kind === 'poll.ended');
  assert.deepEqual(pollEnd, await chair.next((m) => m.type === 'event' && m.kind === 'poll.ended'));

  // Moderation reaches the edge's connections once the event is folded: a chair on the
  // owner removes an edge participant (notice, close 4403), the admin revokes an edge
  // client's token on the owner (notice, close 4401).
  const fay = await join(edge, ROOM, { role: 'participant', name: 'Fay', sub: 'fay' });
  const gil = await join(edge, ROOM, { role: 'participant', name: 'Gil', sub: 'gil' });
  await chair.ok({ type: 'participant.remove', pid: 'fay', reason: 'off topic' });
  const notice = await fay.next((m) => m.type === 'private' && m.kind === 'removed');
  assert.deepEqual(notice.data, { pid: 'fay', by: 'chair', by_name: 'Chair', reason: 'off topic' });
  assert.equal((await fay.closedPromise).code, 4403);
  const rev = await http(owner, 'POST', `/api/rooms/${ROOM}/revocations`, {
    admin: true,
    body: { sub: 'gil', reason: 'leaked' },
  });
  assert.equal(rev.status, 201, rev.text);
  const revNotice = await gil.next((m) => m.type === 'private' && m.kind === 'revoked');
  assert.equal(revNotice.data.reason, 'leaked');
  assert.equal((await gil.closedPromise).code, 4401);
  const again2 = await Client.open(edge);
  const refusedRemoved = await again2.request({
    type: 'join',
    room: ROOM,
    token: token({ room: ROOM, role: 'participant', name: 'Fay', sub: 'fay' }),
  });
  assert.equal(refusedRemoved.code, 'forbidden', 'a removed person may not join the edge');
  await again2.close();

  // Eve leaves from the edge: on the record, and her ack after the event.
  const leave = await eve.ok({ type: 'leave' });
  const left = eve.messages.findIndex(
    (m) => m.type === 'event' && m.kind === 'participant.left' && m.data.pid === 'eve',
  );
  assert.ok(
    left >= 0 && left < lastAckIndex(eve, leave.id),
    'her participant.left before the leave ack',
  );
  await chair.next(
    (m) => m.type === 'event' && m.kind === 'participant.left' && m.data.pid === 'eve',
  );

  const head = await caughtUp(owner, edge);
  await sleep(300); // the last events reach every socket
  const ownerFile = pathJoin(owner.dataDir, 'rooms', `${ROOM}.jsonl`);
  const edgeFile = pathJoin(edge.dataDir, 'rooms', `${ROOM}.jsonl`);
  const ownerBytes = readFileSync(ownerFile);
  assert.ok(
    readFileSync(edgeFile).equals(ownerBytes),
    "the edge's file is the owner's, byte for byte",
  );
  const lines = ownerBytes
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  assert.equal(lines.length, head);
  // Eve stopped hearing at her leave; the others up to the head.
  const eveHead = lines.findIndex((l) => l.kind === 'participant.left' && l.data.pid === 'eve') + 1;
  assertSameEvents([chair, ana, ecap, eobs, echair], lines, head);
  assertSameEvents([eve], lines, eveHead);
  const v = spawnSync(PLENARYD, ['verify', edgeFile], { encoding: 'utf8' });
  assert.equal(v.status, 0, v.stdout + v.stderr);
  assert.match(v.stdout, new RegExp(`ok seq=${head} hash=${lines.at(-1).hash}`));

  // A client of the edge loses its connection and resumes on the edge: the events it
  // missed, then the ack, with no seq gap.
  const since = ecap.events().at(-1).seq;
  await ecap.terminate();
  await ana.ok({ type: 'queue.raise' });
  await ana.ok({ type: 'queue.lower' });
  const capBack = await join(edge, ROOM, {
    token: ecap.token,
    resume: { session: ecap.ack.session, since },
  });
  assert.equal(capBack.ack.resumed, true);
  const missed = capBack.events().map((m) => m.seq);
  assert.ok(missed.length >= 2, 'the events missed are told');
  missed.forEach((seq, i) => assert.equal(seq, since + 1 + i, 'no seq gap after a resume'));
  for (const m of capBack.events()) {
    const line = JSON.parse(readFileSync(ownerFile, 'utf8').split('\n')[m.seq - 1]);
    assert.equal(m.hash, line.hash);
  }

  // A room made on the owner after the edge started: the edge finds it within seconds.
  await createRoom(owner, 'later');
  let hal;
  for (let i = 0; i < 50 && !hal; i++) {
    const c = await Client.open(edge);
    const r = await c.request({
      type: 'join',
      room: 'later',
      token: token({ room: 'later', role: 'participant', name: 'Hal', sub: 'hal' }),
    });
    if (r.type === 'ack') hal = c;
    else {
      assert.equal(r.code, 'not_found', JSON.stringify(r));
      await c.close();
      await sleep(200);
    }
  }
  assert.ok(hal, 'the edge serves a room made after it started');
  await hal.ok({ type: 'leave' });
  await hal.close();
  await caughtUp(owner, edge, 10000, 'later');
  const laterFile = (dir) => readFileSync(pathJoin(dir, 'rooms', 'later.jsonl'));
  assert.ok(laterFile(edge.dataDir).equals(laterFile(owner.dataDir)));

  // The owner does not answer in time (stopped for a moment): `internal`, and the
  // command, which the owner runs once it goes on, arrives as an event all the same.
  owner.proc.kill('SIGSTOP');
  const late = await capBack.request(
    { type: 'caption', lang: 'en', final: true, text: 'late line', cid: 'late' },
    { timeout: 4 * TIMEOUT_MS + 5000 },
  );
  owner.proc.kill('SIGCONT');
  assert.equal(late.type, 'error', JSON.stringify(late));
  assert.equal(late.code, 'internal');
  await capBack.next(
    (m) => m.type === 'event' && m.kind === 'caption' && m.data.text === 'late line',
    {
      timeout: 10000,
    },
  );
  await caughtUp(owner, edge);

  // The edge stops (cleanly: a sanitizer's report would fail it) while the meeting goes
  // on, and starts again on its data directory: it catches up from JetStream.
  await capBack.close();
  await eobs.close();
  await echair.close();
  await edge.cleanup();
  await ana.ok({ type: 'queue.raise' });
  await ana.ok({ type: 'queue.lower' });
  const again = await startServer({ args: [...args, '--edge'], config, dataDir: edge.dataDir });
  servers.push(again);
  const head2 = await caughtUp(owner, again);
  assert.ok(head2 > head);
  assert.ok(
    readFileSync(edgeFile).equals(readFileSync(ownerFile)),
    'caught up byte for byte after a restart',
  );

  // The edge dies with a person connected through it: the owner lets them go.
  const dan = await join(again, ROOM, { role: 'participant', name: 'Dan', sub: 'dan' });
  await chair.next(
    (m) => m.type === 'event' && m.kind === 'participant.joined' && m.data.pid === 'dan',
  );
  await again.stop('SIGKILL');
  await dan.closedPromise;
  const gone = await chair.next(
    (m) => m.type === 'event' && m.kind === 'participant.left' && m.data.pid === 'dan',
    {
      timeout: 20000,
    },
  );
  assert.equal(gone.data.reason, 'timeout');
  for (const c of [chair, ana]) if (!c.closed) await c.close();
  await owner.cleanup();

  // No owner at all: an edge's join is `unavailable`, and nothing happened.
  const orphan = await startServer({ args: [...args, '--edge'], config, dataDir: edge.dataDir });
  servers.push(orphan);
  const c = await Client.open(orphan);
  const refused = await c.request({
    type: 'join',
    room: ROOM,
    token: token({ room: ROOM, role: 'participant', name: 'Zoe', sub: 'zoe' }),
  });
  assert.equal(refused.type, 'error', JSON.stringify(refused));
  assert.equal(refused.code, 'unavailable');
  await c.close();

  // The owner back: the edge's join works; the owner restarts under a connected edge
  // client, whose next command attaches them again and acks.
  let owner2 = await startServer({ args, config, dataDir: owner.dataDir, grace: 30 });
  servers.push(owner2);
  let zoe;
  for (let i = 0; i < 50 && !zoe; i++)
    zoe = await join(orphan, ROOM, { role: 'participant', name: 'Zoe', sub: 'zoe' }).catch(() =>
      sleep(100),
    );
  assert.ok(zoe, 'the edge joins once an owner answers again');
  await owner2.cleanup();
  owner2 = await startServer({ args, config, dataDir: owner.dataDir, grace: 30 });
  servers.push(owner2);
  // (Until the new owner's subscription has reached every NATS node: `unavailable`.)
  let raised2;
  for (let i = 0; i < 50; i++) {
    raised2 = await zoe.request({ type: 'queue.raise' });
    if (raised2.code !== 'unavailable') break;
    await sleep(100);
  }
  assert.equal(raised2.type, 'ack', JSON.stringify(raised2));
  const ev = await zoe.next(
    (m) => m.type === 'event' && m.kind === 'queue.raised' && m.data.pid === 'zoe',
  );
  assert.ok(zoe.messages.indexOf(ev) < lastAckIndex(zoe, raised2.id));
  await caughtUp(owner2, orphan);
  assert.ok(readFileSync(edgeFile).equals(readFileSync(ownerFile)));
  await zoe.close();

  // A line on the subject that does not continue the chain (written straight into
  // JetStream, as a second writer would): the edge refuses it, logs it, follows the
  // subject again from its last line, refuses it again, and its file stays the owner's.
  const before = readFileSync(edgeFile);
  const last = JSON.parse(before.toString('utf8').trim().split('\n').at(-1));
  const forged = JSON.stringify({ ...last, seq: last.seq + 1 });
  await natsPublish(cluster.nodes[0].port, `plenary.room.${ROOM}.log`, forged);
  const until = Date.now() + 10000;
  while (!orphan.logs.some((l) => /re-following the room's subject/.test(l))) {
    if (Date.now() > until) throw new Error(`no re-sync:\n${orphan.logs.slice(-10).join('\n')}`);
    await sleep(100);
  }
  await sleep(500);
  assert.ok(orphan.logs.filter((l) => /refused a line of the room's subject/.test(l)).length >= 2);
  assert.ok(readFileSync(edgeFile).equals(before), 'nothing refused is written');
  const lagging = (await healthz(orphan)).rooms[ROOM];
  assert.equal(lagging.seq, last.seq);
  assert.ok(lagging.lag >= 1, JSON.stringify(lagging));
  await orphan.cleanup();
  await owner2.cleanup();
  servers.length = 0;
});

// Publishes one message with NATS's text protocol on a raw socket (the test has no NATS
// client library): a core publish on a stream's subject is stored by JetStream.
function natsPublish(port, subject, payload) {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    let got = '';
    sock.on('error', reject);
    sock.on('data', (d) => {
      got += d.toString();
      if (got.startsWith('INFO') && !sock.sent) {
        sock.sent = true;
        const body = Buffer.from(payload);
        sock.write(
          `CONNECT {"verbose":false,"pedantic":false}\r\nPUB ${subject} ${body.length}\r\n`,
        );
        sock.write(Buffer.concat([body, Buffer.from('\r\nPING\r\n')]));
      }
      if (/PONG\r\n/.test(got)) {
        sock.end();
        resolve();
      }
      if (/-ERR/.test(got)) reject(new Error(got));
    });
  });
}
