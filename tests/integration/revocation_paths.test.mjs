// Issue 13, revocation on the less-travelled paths, against the real plenaryd:
// - a token minted by `plenaryd token` carries a random jti, which the command prints (on
//   stderr, the token alone on stdout), and revoking that jti refuses a join with it;
// - a token that expired while its person was connected, whose connection then dropped,
//   does not resume within the grace period once the admin revoked its sub;
// - a token obtained by token.refresh keeps the original jti, and a refreshed token obtained
//   before a revocation of the sub is refused after it.
//
// Expiry without waiting: plenaryd runs under libfaketime with its wall clock read from a
// file the test moves on (as token_expiry.test.mjs and token_refresh.test.mjs do).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startServer, startServerWithClock, createRoom, http, Client, jwt, nowS, PLENARYD, SECRET } from './harness.mjs';

function claimsOf(token) {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
}

async function joinWith(server, msg) {
  const c = await Client.open(server);
  const r = await c.request({ type: 'join', ...msg });
  return { c, r };
}

async function revoke(server, room, body) {
  const r = await http(server, 'POST', `/api/rooms/${room}/revocations`, { admin: true, body });
  assert.equal(r.status, 201, r.text);
}

test('plenaryd token: a random jti in the token and on stderr; revoking it refuses the join', async () => {
  const server = await startServer();
  try {
    await createRoom(server, 'cli');
    const mint = (sub) => {
      const r = spawnSync(PLENARYD, ['token', '--room', 'cli', '--role', 'participant', '--name', 'Ana Cli', '--sub', sub], {
        env: { ...process.env, PLENARY_TOKEN_SECRET: SECRET },
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, r.stderr);
      return { tok: r.stdout.trim(), stderr: r.stderr };
    };
    const a = mint('ana');
    const b = mint('ana');
    assert.doesNotMatch(a.tok, /\s/, 'stdout is the token alone');
    const ca = claimsOf(a.tok);
    const cb = claimsOf(b.tok);
    assert.match(ca.jti, /^[0-9a-f]{32}$/, JSON.stringify(ca));
    assert.notEqual(ca.jti, cb.jti, 'each token its own jti');
    assert.match(a.stderr, new RegExp(`\\bjti ${ca.jti}\\b`), a.stderr);
    assert.match(a.stderr, /\bsub ana\b/, a.stderr);

    // The jti printed is the one to revoke: that token is refused, the other still joins.
    const printed = /\bjti ([0-9a-f]+)/.exec(a.stderr)[1];
    await revoke(server, 'cli', { jti: printed });
    const refused = await joinWith(server, { room: 'cli', token: a.tok });
    assert.equal(refused.r.code, 'unauthorized', JSON.stringify(refused.r));
    assert.equal(refused.r.message, 'token revoked');
    const other = await joinWith(server, { room: 'cli', token: b.tok });
    assert.equal(other.r.type, 'ack', JSON.stringify(other.r));
    for (const x of [refused.c, other.c]) await x.close();
  } finally {
    await server.cleanup();
  }
});

async function withFaketime(fn) {
  const server = await startServerWithClock({ grace: 30 });
  try {
    await fn(server, server.setClock);
  } finally {
    await server.cleanup();
  }
}

test('a lapsed token whose sub was revoked after the connection dropped does not resume', async () => {
  await withFaketime(async (server, setClock) => {
    await createRoom(server, 'lapse');
    const iat = nowS();
    const tok = (sub, jti) => jwt({ room: 'lapse', role: 'participant', name: `Name ${sub}`, sub, jti, iat, exp: iat + 600 });
    const pTok = tok('pat', 'pat-1');
    const qTok = tok('quinn', 'quinn-1');
    const p = await joinWith(server, { room: 'lapse', token: pTok });
    const q = await joinWith(server, { room: 'lapse', token: qTok });
    assert.equal(p.r.type, 'ack', JSON.stringify(p.r));
    assert.equal(q.r.type, 'ack', JSON.stringify(q.r));

    // Both tokens expire while their people are connected; then both connections drop.
    setClock('+2h');
    const probe = await joinWith(server, { room: 'lapse', token: pTok });
    assert.equal(probe.r.code, 'unauthorized', `the clock moved: ${JSON.stringify(probe.r)}`);
    assert.match(probe.r.message, /token expired/);
    await p.c.terminate();
    await q.c.terminate();

    await revoke(server, 'lapse', { sub: 'pat', reason: 'left the organisation' });
    const back = await joinWith(server, { room: 'lapse', token: pTok, resume: { session: p.r.session, since: p.r.seq } });
    assert.equal(back.r.type, 'error', JSON.stringify(back.r));
    assert.equal(back.r.code, 'unauthorized');
    assert.equal(back.r.message, 'token revoked');
    // The person not revoked resumes with their lapsed token as before: the refusal is the revocation's.
    const qBack = await joinWith(server, { room: 'lapse', token: qTok, resume: { session: q.r.session, since: q.r.seq } });
    assert.equal(qBack.r.type, 'ack', JSON.stringify(qBack.r));
    assert.equal(qBack.r.resumed, true);
    for (const x of [probe.c, back.c, qBack.c]) await x.close();
  });
});

test('token.refresh keeps the jti; a refreshed token obtained before a revocation is refused after it', async () => {
  const server = await startServer();
  try {
    await createRoom(server, 'refr');
    const now = nowS();
    // From the admin API: a random jti, and the sub revoked later.
    const minted = await http(server, 'POST', '/api/rooms/refr/tokens', {
      admin: true,
      body: { role: 'participant', name: 'Rae Refresh', sub: 'rae' },
    });
    assert.equal(minted.status, 200, minted.text);
    const { c, r } = await joinWith(server, { room: 'refr', token: minted.json.token });
    assert.equal(r.type, 'ack', JSON.stringify(r));
    const ack = await c.ok({ type: 'token.refresh' });
    const fresh = claimsOf(ack.token);
    assert.equal(fresh.jti, minted.json.jti, 'the refreshed token keeps the jti');
    assert.equal(fresh.sub, 'rae');
    // A hand-made token's jti is kept as well, and the refreshed one is revoked by it.
    const sTok = jwt({ room: 'refr', role: 'participant', name: 'Sol', sub: 'sol', jti: 'sol-link-7', iat: now, exp: now + 600 });
    const s = await joinWith(server, { room: 'refr', token: sTok });
    const sFresh = (await s.c.ok({ type: 'token.refresh' })).token;
    assert.equal(claimsOf(sFresh).jti, 'sol-link-7');

    // Before any revocation the refreshed tokens join.
    const ok = await joinWith(server, { room: 'refr', token: ack.token });
    assert.equal(ok.r.type, 'ack', JSON.stringify(ok.r));
    await ok.c.close();

    // Revoking rae's sub closes rae's connection; the refreshed token obtained before is refused.
    await revoke(server, 'refr', { sub: 'rae' });
    const again = await joinWith(server, { room: 'refr', token: ack.token });
    assert.equal(again.r.code, 'unauthorized', JSON.stringify(again.r));
    assert.equal(again.r.message, 'token revoked');
    // Revoking sol's original jti refuses the refreshed token too, which carries the same jti.
    await revoke(server, 'refr', { jti: 'sol-link-7' });
    const solAgain = await joinWith(server, { room: 'refr', token: sFresh });
    assert.equal(solAgain.r.code, 'unauthorized', JSON.stringify(solAgain.r));
    assert.equal(solAgain.r.message, 'token revoked');
    for (const x of [c, s.c, again.c, solAgain.c]) await x.close();
  } finally {
    await server.cleanup();
  }
});
