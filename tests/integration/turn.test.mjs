// Issue 12, TURN: with the "turn" configuration key, every join ack carries ice_servers whose
// credentials a real coturn (Debian's turnserver, started here with use-auth-secret and
// the same secret) accepts.
//
// Checked: the username is EXPIRY:pid with the joiner's pid (an anonymous observer's
// generated one too) and EXPIRY = the join's time + ttl_s; the credential is the
// base64 HMAC-SHA1 of the username computed here with node:crypto; coturn grants a TURN
// allocation with it and refuses it with one character of the credential changed, or
// for a username whose EXPIRY has passed (so EXPIRY means what coturn takes it to mean);
// a resume's ack carries fresh credentials; without the key there is no ice_servers; a
// bad "turn" stops plenaryd with a clear message; and the secret appears in no log line,
// no /metrics and no HTTP answer.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as pathJoin } from 'node:path';
import { PLENARYD, startServer, join, http, nowS } from './harness.mjs';
import { startCoturn, allocate, restCredential } from './coturn.mjs';

const ROOM = 'turn';
const SECRET = 'turn-secret-0f3c9a7d2e51b8a4';
const TTL = 900;
let coturn, server;

before(async () => {
  coturn = await startCoturn({ secret: SECRET });
  server = await startServer({
    config: {
      rooms: [{ id: ROOM, title: 'TURN plenary', public_observers: true }],
      turn: [
        {
          urls: [`turn:127.0.0.1:${coturn.port}?transport=udp`, `turn:127.0.0.1:${coturn.port}?transport=tcp`],
          secret: SECRET,
          ttl_s: TTL,
        },
      ],
    },
  });
});
after(async () => {
  try {
    await server?.cleanup();
  } finally {
    await coturn?.stop();
  }
});

// Checks one ack's ice_servers for pid, joined between t0 and t1 (Unix seconds).
function checkIceServers(ack, pid, t0, t1) {
  assert.ok(Array.isArray(ack.ice_servers), `ice_servers in ${JSON.stringify(ack)}`);
  assert.equal(ack.ice_servers.length, 1);
  const s = ack.ice_servers[0];
  assert.deepEqual(Object.keys(s).sort(), ['credential', 'urls', 'username']);
  assert.deepEqual(s.urls, [`turn:127.0.0.1:${coturn.port}?transport=udp`, `turn:127.0.0.1:${coturn.port}?transport=tcp`]);
  const colon = s.username.indexOf(':');
  const expiry = Number(s.username.slice(0, colon));
  assert.equal(s.username.slice(colon + 1), pid);
  assert.ok(Number.isInteger(expiry) && expiry >= t0 + TTL && expiry <= t1 + TTL, `expiry ${expiry} for a join in [${t0}, ${t1}] + ${TTL}`);
  assert.equal(s.credential, restCredential(SECRET, s.username));
  return s;
}

test('the join ack carries TURN credentials that coturn accepts', async () => {
  const t0 = nowS();
  const ana = await join(server, ROOM, { role: 'participant', name: 'Ana Silva', sub: 'ana' });
  const s = checkIceServers(ana.ack, 'ana', t0, nowS());

  const granted = await allocate(coturn.port, s.username, s.credential);
  assert.deepEqual(granted.ok, true, `coturn refused the ack's credential: ${JSON.stringify(granted)}`);
  assert.match(granted.relayed, /^127\.0\.0\.1:\d+$/);

  const flipped = s.credential[0] === 'A' ? `B${s.credential.slice(1)}` : `A${s.credential.slice(1)}`;
  assert.deepEqual(await allocate(coturn.port, s.username, flipped), { ok: false, code: 401 });
  const past = `${nowS() - 5}:ana`;
  assert.deepEqual(await allocate(coturn.port, past, restCredential(SECRET, past)), { ok: false, code: 401 }, 'an expired username is refused');
  await ana.close();
});

test('an anonymous observer gets credentials for its generated pid', async () => {
  const t0 = nowS();
  const olu = await join(server, ROOM, { role: 'observer', anonymous: true, name: 'Olu' });
  const pid = olu.ack.you.pid;
  assert.match(pid, /^obs-[0-9a-f]{16}$/);
  const s = checkIceServers(olu.ack, pid, t0, nowS());
  assert.equal((await allocate(coturn.port, s.username, s.credential)).ok, true);
  await olu.close();
});

test('a resumed join brings fresh credentials', async () => {
  const first = await join(server, ROOM, { role: 'participant', name: 'Ben Okafor', sub: 'ben' });
  const resume = { session: first.ack.session, since: first.ack.seq };
  await first.terminate();
  const t0 = nowS();
  const again = await join(server, ROOM, { role: 'participant', name: 'Ben Okafor', sub: 'ben', token: first.token, resume });
  assert.equal(again.ack.resumed, true);
  const s = checkIceServers(again.ack, 'ben', t0, nowS());
  assert.equal((await allocate(coturn.port, s.username, s.credential)).ok, true);
  await again.close();
});

test('the secret is in no log line, /metrics or HTTP answer', async () => {
  for (const path of ['/metrics', '/healthz', '/api/rooms', '/', `/api/rooms/${ROOM}/record.json`]) {
    const r = await http(server, 'GET', path);
    assert.ok(!r.text.includes(SECRET), `${path} shows the TURN secret`);
  }
  assert.ok(!server.logs.some((l) => l.includes(SECRET)), 'a log line shows the TURN secret');
});

test('without the turn key the ack has no ice_servers', async () => {
  const plain = await startServer({ config: { rooms: [{ id: ROOM, title: 'No TURN' }] } });
  try {
    const c = await join(plain, ROOM, { role: 'participant', name: 'Dana', sub: 'dana' });
    assert.equal('ice_servers' in c.ack, false);
    await c.close();
  } finally {
    await plain.cleanup();
  }
});

test('a bad turn configuration stops plenaryd with a clear message', () => {
  const dir = mkdtempSync(pathJoin(tmpdir(), 'plenary-turn-cfg-'));
  try {
    const cases = [
      [{ urls: ['http://127.0.0.1:3478'], secret: SECRET }, 'turn[0].urls[0]: expected a turn:, turns: or stun: URI'],
      [{ urls: ['turn:127.0.0.1:3478'], secret: '' }, 'turn[0].secret: expected a non-empty string'],
      [{ urls: ['turn:127.0.0.1:3478'], secret: SECRET, ttl_s: 30 }, 'turn[0].ttl_s: expected an integer in [60, 86400]'],
      [{ urls: ['turn:127.0.0.1:3478'], secret: SECRET, ttl_s: 86401 }, 'turn[0].ttl_s: expected an integer in [60, 86400]'],
      [{ urls: ['turn:127.0.0.1:3478'] }, 'turn[0]:'],
    ];
    for (const [entry, want] of cases) {
      const path = pathJoin(dir, 'plenary.json');
      writeFileSync(path, JSON.stringify({ turn: [entry] }));
      const r = spawnSync(PLENARYD, ['--config', path, '--listen', '127.0.0.1:0', '--data', dir, '--media-port', '0'], { encoding: 'utf8', timeout: 10000 });
      assert.notEqual(r.status, 0, `plenaryd started with ${JSON.stringify(entry)}`);
      assert.ok(r.stderr.includes(want), `stderr ${JSON.stringify(r.stderr)} lacks ${want}`);
      assert.ok(!r.stderr.includes(SECRET), 'the error message shows the secret');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
