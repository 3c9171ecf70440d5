// Issue 13: the time claims of a token (RFC 7519 sect. 4.1.4-4.1.6), as docs/protocol.md
// says plenaryd checks them. exp is required and at most token_max_lifetime_s after iat
// (or now); nbf and iat are honoured; each check allows 60 s of clock skew. Every place
// that takes a token (join, a resume, the CART POST) refuses the same tokens with the same
// reason: error code unauthorized (HTTP 401) and a message saying why. The admin API and
// `plenaryd token` mint within the same configured bound.
//
// The tokens are made here with node:crypto (harness.jwt), not by plenaryd, and every
// time is at least ten minutes from a boundary, so no assertion depends on timing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join as pathJoin } from 'node:path';
import { startServer, createRoom, Client, jwt, nowS, http, PLENARYD, SECRET } from './harness.mjs';

const ROOM = 'claims';
const MAX = 7200; // the server's token_max_lifetime_s in this file

let server;
before(async () => {
  server = await startServer({ grace: 30, config: { token_max_lifetime_s: MAX } });
  await createRoom(server, ROOM);
  const chair = await Client.open(server);
  const r = await chair.request({ type: 'join', room: ROOM, token: tok('chair', 'ch', { exp: nowS() + 3600 }) });
  assert.equal(r.type, 'ack');
  await chair.ok({ type: 'session.start' });
  server.chair = chair;
});
after(async () => {
  await server.chair.close();
  await server.cleanup();
});

function tok(role, sub, times) {
  return jwt({ room: ROOM, role, name: `Name ${sub}`, sub, ...times });
}

// Each bad token, and the message it must be refused with.
function badTokens(role) {
  const now = nowS();
  return [
    ['token has no expiry', tok(role, 'a', {})],
    ['token has no expiry', tok(role, 'a', { iat: now, nbf: now })],
    ['token expired', tok(role, 'a', { exp: now - 600 })],
    ['token not yet valid', tok(role, 'a', { exp: now + 3600, nbf: now + 600 })],
    ['token issued in the future', tok(role, 'a', { exp: now + 3600, iat: now + 600 })],
    ['token lifetime exceeds the maximum', tok(role, 'a', { exp: now + MAX + 600 })],
    ['token lifetime exceeds the maximum', tok(role, 'a', { exp: now + 600, iat: now - MAX })],
  ];
}

test('a join with a token that is expired, not yet valid, without exp, too long-lived or issued in the future is unauthorized, saying why', async () => {
  for (const [why, t] of badTokens('participant')) {
    const c = await Client.open(server);
    const r = await c.request({ type: 'join', room: ROOM, token: t });
    assert.equal(r.type, 'error', why);
    assert.equal(r.code, 'unauthorized', why);
    assert.equal(r.message, why);
    assert.equal((await c.request({ type: 'queue.raise' })).code, 'unauthorized', why);
    await c.close();
  }
  // Within the allowances the same shapes are good.
  const now = nowS();
  for (const times of [
    { exp: now + 3600 },
    { exp: now + 3600, nbf: now - 600, iat: now - 600 },
    { exp: now + MAX - 600, iat: now - 300 },
  ]) {
    const c = await Client.open(server);
    const r = await c.request({ type: 'join', room: ROOM, token: tok('participant', 'good', times) });
    assert.equal(r.type, 'ack', JSON.stringify(times));
    await c.close();
  }
});

test('a resume checks the token by the same rules', async () => {
  const c = await Client.open(server);
  const first = await c.request({ type: 'join', room: ROOM, token: tok('participant', 'res', { exp: nowS() + 3600 }) });
  assert.equal(first.type, 'ack');
  await c.terminate();
  for (const [why, t] of badTokens('participant')) {
    const again = await Client.open(server);
    const r = await again.request({
      type: 'join', room: ROOM, token: t, resume: { session: first.session, since: first.seq },
    });
    assert.equal(r.code, 'unauthorized', why);
    assert.equal(r.message, why);
    await again.close();
  }
});

test('the CART POST refuses the same tokens: 401, code unauthorized, the same message', async () => {
  let seq = 1;
  for (const [why, t] of badTokens('captioner')) {
    const r = await http(server, 'POST', `/api/rooms/${ROOM}/caption?token=${t}&seq=${seq++}&lang=en`, {
      body: 'Good morning.',
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    });
    assert.equal(r.status, 401, why);
    assert.equal(r.json.code, 'unauthorized', why);
    assert.equal(r.json.message, why);
  }
  const ok = await http(server, 'POST', `/api/rooms/${ROOM}/caption?token=${tok('captioner', 'cart', { exp: nowS() + 3600 })}&seq=${seq}&lang=en`, {
    body: 'Good morning.',
    headers: { 'content-type': 'text/plain; charset=utf-8' },
  });
  assert.equal(ok.status, 200);
});

test('the admin API and plenaryd token mint within token_max_lifetime_s, with iat', async () => {
  const over = await http(server, 'POST', `/api/rooms/${ROOM}/tokens`, {
    admin: true, body: { role: 'participant', name: 'Long', ttl_s: MAX + 1 },
  });
  assert.equal(over.status, 400);
  const at = await http(server, 'POST', `/api/rooms/${ROOM}/tokens`, {
    admin: true, body: { role: 'participant', name: 'Max', ttl_s: MAX },
  });
  assert.equal(at.status, 200);
  const claims = JSON.parse(Buffer.from(at.json.token.split('.')[1], 'base64url'));
  assert.equal(claims.exp - claims.iat, MAX);
  const c = await Client.open(server);
  assert.equal((await c.request({ type: 'join', room: ROOM, token: at.json.token })).type, 'ack');
  await c.close();

  const config = pathJoin(server.dataDir, 'token-config.json');
  writeFileSync(config, JSON.stringify({ token_max_lifetime_s: MAX }));
  const mint = (ttl) => spawnSync(PLENARYD, ['token', '--room', ROOM, '--role', 'participant', '--name', 'Cli',
    '--config', config, '--data', server.dataDir, '--ttl', String(ttl)], {
    env: { ...process.env, PLENARY_TOKEN_SECRET: SECRET }, encoding: 'utf8',
  });
  const refused = mint(MAX + 1);
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /exceeds token_max_lifetime_s \(7200\)/);
  const minted = mint(MAX);
  assert.equal(minted.status, 0, minted.stderr);
  const cli = JSON.parse(Buffer.from(minted.stdout.trim().split('.')[1], 'base64url'));
  assert.equal(cli.exp - cli.iat, MAX);
  // Without a configuration the bound is the default's, 30 days.
  const dflt = spawnSync(PLENARYD, ['token', '--room', ROOM, '--role', 'chair', '--name', 'X',
    '--data', server.dataDir, '--ttl', String(30 * 86400 + 1)], {
    env: { ...process.env, PLENARY_TOKEN_SECRET: SECRET }, encoding: 'utf8',
  });
  assert.equal(dflt.status, 2);
});
