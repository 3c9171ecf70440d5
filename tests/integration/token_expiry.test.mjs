// Issue 13: token expiry, as docs/protocol.md says it works. A token is checked when it is
// presented: at join (a resume included) and on each CART POST. A connection whose token
// expires while it is joined stays in the room until it drops; coming back then needs a
// fresh token (unauthorized, "token expired") -- except a resume with its key within the
// grace period (issue 18) -- and so does the CART POST (401, JSON).
//
// Every token here has an exp, and "expired" is always more than 60 s in the past, beyond
// any clock-skew allowance. For a token to expire mid-connection without waiting, plenaryd
// runs under libfaketime (Debian's faketime) with its wall clock read from a file the test
// moves two hours on; the monotonic clock (timers) is left alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, startServerWithClock, createRoom, Client, jwt, nowS, http } from './harness.mjs';


function tok(room, role, sub, exp) {
  return jwt({ room, role, name: `Name ${sub}`, sub, exp });
}

async function joinWith(server, msg) {
  const c = await Client.open(server);
  const r = await c.request({ type: 'join', ...msg });
  return { c, r };
}

function cart(server, room, token, seq, text) {
  return http(server, 'POST', `/api/rooms/${room}/caption?token=${token}&seq=${seq}&lang=en`, {
    body: text,
    headers: { 'content-type': 'text/plain; charset=utf-8' },
  });
}

test('an expired token: join and resume are unauthorized "token expired", the CART POST is 401 JSON', async () => {
  const server = await startServer({ grace: 30 });
  try {
    await createRoom(server, 'exp');
    const good = tok('exp', 'participant', 'pe', nowS() + 3600);
    const expired = tok('exp', 'participant', 'pe', nowS() - 600);
    const chair = (await joinWith(server, { room: 'exp', token: tok('exp', 'chair', 'ce', nowS() + 3600) })).c;
    await chair.ok({ type: 'session.start' });
    const { c, r } = await joinWith(server, { room: 'exp', token: good });
    assert.equal(r.type, 'ack');
    await c.terminate();
    const fresh = await joinWith(server, { room: 'exp', token: expired });
    assert.equal(fresh.r.type, 'error');
    assert.equal(fresh.r.code, 'unauthorized');
    assert.match(fresh.r.message, /token expired/);
    const resumed = await joinWith(server, { room: 'exp', token: expired, resume: { session: r.session, since: r.seq } });
    assert.equal(resumed.r.code, 'unauthorized', 'a resume key does not stand in for a valid token');
    assert.match(resumed.r.message, /token expired/);
    // The same key with a fresh token still resumes.
    const back = await joinWith(server, { room: 'exp', token: good, resume: { session: r.session, since: r.seq } });
    assert.equal(back.r.resumed, true);

    const post = await cart(server, 'exp', tok('exp', 'captioner', 'ke', nowS() - 600), 1, 'never written');
    assert.equal(post.status, 401);
    assert.equal(post.json.code, 'unauthorized');
    assert.equal(typeof post.json.message, 'string');
    const ok = await cart(server, 'exp', tok('exp', 'captioner', 'ke', nowS() + 3600), 1, 'written');
    assert.equal(ok.status, 200, ok.text);
    const log = (await http(server, 'GET', '/api/rooms/exp/log')).text;
    assert.ok(!log.includes('never written') && log.includes('"written"'));
    for (const x of [chair, fresh.c, resumed.c, back.c]) await x.close();
  } finally {
    await server.cleanup();
  }
});

test('a token that expires mid-connection: the connection stays until it drops, then the token is refused', async () => {
  const server = await startServerWithClock({ grace: 30 });
  try {
    await createRoom(server, 'mid');
    const exp = nowS() + 600; // ten minutes of real time
    const chairTok = tok('mid', 'chair', 'cm', exp);
    const pTok = tok('mid', 'participant', 'pm', exp);
    const capTok = tok('mid', 'captioner', 'km', exp);
    const chair = (await joinWith(server, { room: 'mid', token: chairTok })).c;
    await chair.ok({ type: 'session.start' });
    const { c: p, r } = await joinWith(server, { room: 'mid', token: pTok });
    assert.equal(r.type, 'ack');
    assert.equal((await cart(server, 'mid', capTok, 1, 'before expiry')).status, 200);

    // Two hours pass on plenaryd's clock: every token here is now 110 minutes past exp.
    server.setClock('+2h');
    const probe = await joinWith(server, { room: 'mid', token: pTok });
    assert.equal(probe.r.code, 'unauthorized', `the clock moved: ${JSON.stringify(probe.r)}`);
    assert.match(probe.r.message, /token expired/);

    // The joined connections go on as before.
    const raised = await p.ok({ type: 'queue.raise' });
    assert.ok(raised);
    await chair.ok({ type: 'queue.next' });
    await chair.ok({ type: 'caption', lang: 'en', final: true, text: 'still here' });
    assert.equal((await p.request({ type: 'ping' })).type, 'ack');

    // Once the connection drops, the token alone does not bring it back; with the resume
    // key it was issued with, within the grace period, it does (issue 18: a dropped
    // connection must not cost an expired link its place; token_refresh.test.mjs has more).
    await p.terminate();
    const resume = await joinWith(server, { room: 'mid', token: pTok });
    assert.equal(resume.r.code, 'unauthorized');
    assert.match(resume.r.message, /token expired/);
    const lapsed = await joinWith(server, { room: 'mid', token: pTok, resume: { session: r.session, since: r.seq } });
    assert.equal(lapsed.r.resumed, true, 'the key resumes a token that expired while connected, in the grace period');
    await lapsed.c.terminate();
    const fresh = tok('mid', 'participant', 'pm', nowS() + 3 * 3600);
    const back = await joinWith(server, { room: 'mid', token: fresh, resume: { session: r.session, since: r.seq } });
    assert.equal(back.r.resumed, true, 'a fresh token with the key resumes');

    const post = await cart(server, 'mid', capTok, 2, 'after expiry');
    assert.equal(post.status, 401);
    assert.equal(post.json.code, 'unauthorized');
    for (const x of [chair, probe.c, resume.c, back.c]) await x.close();
  } finally {
    await server.cleanup();
  }
});
