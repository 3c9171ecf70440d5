// Issue 18, long meetings: token.refresh {} answers {token, exp}, a token with the claims the
// connection joined with and a new iat/exp no longer than the original token's lifetime; an
// anonymous observer has none to refresh. And a token that expired while its person was in
// the room still resumes them within the grace period (with the resume key it was issued
// with), but not once the grace period has run out.
//
// Expiry without waiting: plenaryd runs under libfaketime with its wall clock read from a
// file the test moves on (token_expiry.test.mjs does the same); timers stay on real time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, startServerWithClock, createRoom, Client, jwt, nowS, sleep } from './harness.mjs';


function claimsOf(token) {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
}

async function joinWith(server, msg) {
  const c = await Client.open(server);
  const r = await c.request({ type: 'join', ...msg });
  return { c, r };
}

test('token.refresh: same claims, the original lifetime from now; none for an anonymous observer', async () => {
  const server = await startServer({ grace: 30 });
  try {
    await createRoom(server, 'ref');
    const now = nowS();
    // Issued 100 s ago, good for 300 s in all.
    const claims = { room: 'ref', role: 'participant', name: 'Ana Long', sub: 'ana', group: 'academia', location: 'room', iat: now - 100, exp: now + 200 };
    const { c, r } = await joinWith(server, { room: 'ref', token: jwt(claims) });
    assert.equal(r.type, 'ack', JSON.stringify(r));
    const ack = await c.ok({ type: 'token.refresh' });
    const got = claimsOf(ack.token);
    assert.equal(ack.exp, got.exp);
    for (const k of ['room', 'role', 'name', 'sub', 'group', 'location']) assert.equal(got[k], claims[k], k);
    assert.ok(Math.abs(got.iat - nowS()) <= 2, `iat is now: ${got.iat}`);
    assert.equal(got.exp - got.iat, 300, 'the original lifetime, not more');
    // The new token is good: a second device joins with it as the same person.
    const second = await joinWith(server, { room: 'ref', token: ack.token });
    assert.equal(second.r.type, 'ack');
    assert.equal(second.r.you.pid, 'ana');
    assert.equal(second.r.you.location, 'room');
    // A token without iat: its lifetime counts from the join.
    const noIat = jwt({ room: 'ref', role: 'chair', name: 'Bo', sub: 'bo', exp: nowS() + 1000 });
    const bo = await joinWith(server, { room: 'ref', token: noIat });
    const boAck = await bo.c.ok({ type: 'token.refresh' });
    const boClaims = claimsOf(boAck.token);
    // time() in plenaryd reads the coarse clock, which can still show the previous second for
    // a few ms after Date.now() has moved on: the join may count from one second earlier.
    assert.ok(boClaims.exp - boClaims.iat <= 1000 + 1 && boClaims.exp - boClaims.iat >= 997, JSON.stringify(boClaims));
    assert.equal(boClaims.role, 'chair');
    // A token without sub: the derived pid is kept, now as an explicit sub.
    const anon = await joinWith(server, { room: 'ref', token: jwt({ room: 'ref', role: 'participant', name: 'NoSub', exp: nowS() + 600 }) });
    const anonAck = await anon.c.ok({ type: 'token.refresh' });
    assert.equal(claimsOf(anonAck.token).sub, anon.r.you.pid);
    // No token, nothing to refresh.
    await createRoom(server, 'open', { public_observers: true });
    const obs = await joinWith(server, { room: 'open', role: 'observer', name: 'Someone' });
    assert.equal(obs.r.type, 'ack');
    const refused = await obs.c.request({ type: 'token.refresh' });
    assert.equal(refused.code, 'unauthorized');
    assert.match(refused.message, /without a token/);
    // Before joining: unauthorized, like every joined command.
    const fresh = await Client.open(server);
    assert.equal((await fresh.request({ type: 'token.refresh' })).code, 'unauthorized');
    for (const x of [c, second.c, bo.c, anon.c, obs.c, fresh]) await x.close();
  } finally {
    await server.cleanup();
  }
});

test('after expiry: the connection refreshes; a lapsed token resumes within the grace period, not after', async () => {
  const server = await startServerWithClock({ grace: 3 });
  try {
    await createRoom(server, 'long');
    const iat = nowS();
    const tok = (role, sub) => jwt({ room: 'long', role, name: `Name ${sub}`, sub, iat, exp: iat + 600 });
    const chair = (await joinWith(server, { room: 'long', token: tok('chair', 'ch') })).c;
    await chair.ok({ type: 'session.start' });
    const pTok = tok('participant', 'pp');
    const { c: p, r } = await joinWith(server, { room: 'long', token: pTok });
    await p.ok({ type: 'queue.raise' });
    // A link without iat: its lifetime counts from the first join.
    const noIat = jwt({ room: 'long', role: 'participant', name: 'No Iat', sub: 'ni', exp: nowS() + 600 });
    const { c: ni, r: niAck } = await joinWith(server, { room: 'long', token: noIat });

    // Two hours on plenaryd's clock: pTok is 110 minutes past its exp.
    server.setClock('+2h');
    const probe = await joinWith(server, { room: 'long', token: pTok });
    assert.equal(probe.r.code, 'unauthorized', `the clock moved: ${JSON.stringify(probe.r)}`);
    assert.match(probe.r.message, /token expired/);

    // The joined connection may still refresh: a token good from plenaryd's now.
    const ref = await p.ok({ type: 'token.refresh' });
    const c2 = claimsOf(ref.token);
    assert.equal(c2.exp - c2.iat, 600);
    assert.ok(c2.iat >= iat + 7000, `iat on plenaryd's (moved) clock: ${c2.iat - iat}`);
    const other = await joinWith(server, { room: 'long', token: ref.token });
    assert.equal(other.r.type, 'ack', 'the refreshed token joins under the moved clock');
    await other.c.close();

    // The connection drops; within the grace period the lapsed token and its key resume.
    await p.terminate();
    const back = await joinWith(server, { room: 'long', token: pTok, resume: { session: r.session, since: r.seq } });
    assert.equal(back.r.type, 'ack', JSON.stringify(back.r));
    assert.equal(back.r.resumed, true);
    assert.equal(back.r.state.queue.entries.length, 1, 'the hand is still up');
    assert.equal(back.r.state.queue.entries[0].pid, 'pp');
    // The same for the link without iat: resumed, and its refresh keeps its ten minutes.
    await ni.terminate();
    const niBack = await joinWith(server, { room: 'long', token: noIat, resume: { session: niAck.session, since: niAck.seq } });
    assert.equal(niBack.r.resumed, true, JSON.stringify(niBack.r));
    const niRef = claimsOf((await niBack.c.ok({ type: 'token.refresh' })).token);
    assert.ok(niRef.exp - niRef.iat >= 595 && niRef.exp - niRef.iat <= 600 + 1 /* the coarse clock, as above */, JSON.stringify(niRef));
    await niBack.c.close();
    // Without the key, or with someone else's, the lapsed token is still refused.
    const noKey = await joinWith(server, { room: 'long', token: pTok });
    assert.equal(noKey.r.code, 'unauthorized');
    const chairKey = chair.messages.find((m) => m.type === 'ack' && m.session)?.session;
    assert.ok(chairKey);
    const wrongKey = await joinWith(server, { room: 'long', token: pTok, resume: { session: chairKey, since: 0 } });
    assert.equal(wrongKey.r.code, 'unauthorized');

    // Past the grace period the person has left the record: the lapsed token is refused.
    await back.c.terminate();
    const left = await chair.next((m) => m.type === 'event' && m.kind === 'participant.left' && m.data.pid === 'pp', { timeout: 10000 });
    assert.equal(left.data.reason, 'timeout');
    const late = await joinWith(server, { room: 'long', token: pTok, resume: { session: r.session, since: r.seq } });
    assert.equal(late.r.code, 'unauthorized');
    assert.match(late.r.message, /token expired/);
    for (const x of [chair, probe.c, noKey.c, wrongKey.c, late.c]) await x.close();
  } finally {
    await server.cleanup();
  }
});
