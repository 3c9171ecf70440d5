// Issue 13: private rooms. Every per-room HTTP resource of a private room, asked with no
// credential, a bad or expired token, another room's token, a good token, and a signed
// URL that is good, expired or tampered; the same resources of a public room unchanged;
// visibility kept across a restart and from the configuration file; a stranger's
// anonymous join answered as for a room that does not exist; /metrics keeping a private
// room's name for the admin. Signed URLs are also made here with node:crypto, from the
// rule in docs/protocol.md, so the server is checked against the rule, not against itself.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as pathJoin } from 'node:path';
import { startServer, createRoom, join, http, jwt, nowS, sleep, Client, SECRET, ADMIN } from './harness.mjs';

const PRIV = 'closed';
const PUB = 'open';
const RESOURCES = ['record.json', 'record.txt', 'record.vtt', 'record.html', 'polls.json', 'log', 'listen.ogg', 'recording.ogg', 'metrics'];
let server, chairPriv, chairPub;

const tok = (room, extra = {}) => jwt({ room, role: 'observer', name: 'Reader', sub: 'reader', exp: nowS() + 600, iat: nowS(), ...extra });

// GET that returns once the head is in: listen.ogg never ends while the session is live.
async function get(path, headers = {}) {
  const ctl = new AbortController();
  const r = await fetch(`${server.url}${path}`, { headers, signal: ctl.signal });
  const live = (r.headers.get('content-type') || '').startsWith('audio/ogg') && path.includes('listen.ogg');
  const text = live ? '' : await r.text();
  ctl.abort();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: r.status, text, json, type: r.headers.get('content-type') };
}

function sign(path, exp, secret = SECRET) {
  const key = createHmac('sha256', secret).update('plenary signed url v1').digest();
  return createHmac('sha256', key).update(`${path}|${exp}`).digest('base64url');
}

before(async () => {
  server = await startServer();
  const made = await createRoom(server, PRIV, { visibility: 'private' });
  assert.equal(made.visibility, 'private');
  assert.equal((await createRoom(server, PUB)).visibility, 'public');
  await createRoom(server, 'elsewhere', { visibility: 'private' });
  chairPriv = await join(server, PRIV, { role: 'chair', name: 'Carla', sub: 'carla' });
  chairPub = await join(server, PUB, { role: 'chair', name: 'Paulo', sub: 'paulo' });
  assert.equal(chairPriv.ack.state.room.visibility, 'private');
  assert.equal(chairPub.ack.state.room.visibility, 'public');
  await chairPriv.ok({ type: 'session.start' });
  await chairPub.ok({ type: 'session.start' });
  // The recorder's file appears once the session is live (admin may always read).
  for (const room of [PRIV, PUB]) {
    for (let i = 0; i < 200; i++) {
      const r = await get(`/api/rooms/${room}/recording.ogg`, { authorization: `Bearer ${ADMIN}` });
      if (r.status === 200) break;
      await sleep(50);
    }
  }
});
after(async () => {
  await chairPriv?.close();
  await chairPub?.close();
  await server?.cleanup();
});

test('a stranger learns nothing: the 404 of a room that does not exist', async () => {
  for (const res of RESOURCES) {
    const none = await get(`/api/rooms/no-such-room/${res}`);
    const priv = await get(`/api/rooms/${PRIV}/${res}`);
    assert.equal(priv.status, 404, res);
    assert.equal(priv.text, none.text, res);
    assert.deepEqual(priv.json, { code: 'not_found', message: 'no such room' }, res);
  }
  const list = await http(server, 'GET', '/api/rooms');
  assert.ok(!list.json.some((x) => x.id === PRIV), 'not listed without the admin token');
  const all = await http(server, 'GET', '/api/rooms', { admin: true });
  assert.equal(all.json.find((x) => x.id === PRIV).visibility, 'private');
  // Neither the admin API nor the CART POST tells a stranger who sends nothing.
  for (const path of ['tokens', 'caption?seq=1', 'signed-url']) {
    const none = await http(server, 'POST', `/api/rooms/no-such-room/${path}`, { body: {} });
    const priv = await http(server, 'POST', `/api/rooms/${PRIV}/${path}`, { body: {} });
    assert.equal(priv.status, 404, path);
    assert.equal(priv.text, none.text, path);
  }
});

test('bad, expired and wrongly signed tokens are 401; another room\'s token is 403', async () => {
  const bad = {
    garbage: 'not-a-token',
    expired: tok(PRIV, { exp: nowS() - 600, iat: nowS() - 900 }),
    'wrong secret': jwt({ room: PRIV, role: 'observer', name: 'R', exp: nowS() + 600 }, { secret: 'another-secret-0123456789abcdef0123' }),
  };
  for (const res of RESOURCES) {
    for (const [why, t] of Object.entries(bad)) {
      const r = await get(`/api/rooms/${PRIV}/${res}`, { authorization: `Bearer ${t}` });
      assert.equal(r.status, 401, `${res} ${why}`);
      assert.equal(r.json.code, 'unauthorized', `${res} ${why}`);
      assert.equal(typeof r.json.message, 'string');
    }
    const basic = await get(`/api/rooms/${PRIV}/${res}`, { authorization: 'Basic YTpi' });
    assert.equal(basic.status, 401, `${res} basic`);
    const other = await get(`/api/rooms/${PRIV}/${res}`, { authorization: `Bearer ${tok('elsewhere')}` });
    assert.equal(other.status, 403, res);
    assert.equal(other.json.code, 'forbidden', res);
  }
});

test('a token for the room, of any role, reads every resource', async () => {
  const roles = ['observer', 'participant', 'captioner', 'chair'];
  for (const res of RESOURCES) {
    for (const role of roles) {
      const r = await get(`/api/rooms/${PRIV}/${res}`, { authorization: `Bearer ${tok(PRIV, { role })}` });
      assert.equal(r.status, 200, `${res} ${role}: ${r.text}`);
    }
  }
  const rec = await get(`/api/rooms/${PRIV}/record.json`, { authorization: `Bearer ${tok(PRIV)}` });
  assert.equal(rec.json.room.id, PRIV);
  const listen = await get(`/api/rooms/${PRIV}/listen.ogg`, { authorization: `Bearer ${tok(PRIV)}` });
  assert.equal(listen.type, 'audio/ogg');
  const log = await get(`/api/rooms/${PRIV}/log`, { authorization: `Bearer ${tok(PRIV)}` });
  assert.match(log.text.split('\n')[0], /"visibility":"private"/);
});

test('signed URLs: issued for a Bearer token, good until exp, refused when expired or tampered', async () => {
  const auth = { authorization: `Bearer ${tok(PRIV)}` };
  for (const res of RESOURCES) {
    const path = `/api/rooms/${PRIV}/${res}`;
    const issued = await http(server, 'POST', `/api/rooms/${PRIV}/signed-url`, { headers: auth, body: { path } });
    assert.equal(issued.status, 200, issued.text);
    const { url, exp } = issued.json;
    assert.ok(exp > nowS() && exp <= nowS() + 3600, `exp ${exp}`);
    assert.ok(url.startsWith(`${path}?`));
    assert.equal((await get(url)).status, 200, url);
    // The same rule computed here gives the same signature.
    assert.equal(new URL(url, server.url).searchParams.get('sig'), sign(path, exp));
    // Expired: a true signature whose time is over.
    const old = nowS() - 10;
    const expired = await get(`${path}?exp=${old}&sig=${sign(path, old)}`);
    assert.equal(expired.status, 401, res);
    assert.equal(expired.json.code, 'unauthorized');
    // Tampered: a changed signature, a changed expiry, another resource's signature, too long.
    const sig = new URL(url, server.url).searchParams.get('sig');
    const flipped = (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1);
    assert.equal((await get(`${path}?exp=${exp}&sig=${flipped}`)).status, 401, res);
    assert.equal((await get(`${path}?exp=${exp - 1}&sig=${sig}`)).status, 401, res);
    const far = nowS() + 7200;
    assert.equal((await get(`${path}?exp=${far}&sig=${sign(path, far)}`)).status, 401, `${res}: beyond an hour`);
    const otherRes = res === 'log' ? 'record.json' : 'log';
    assert.equal((await get(`/api/rooms/${PRIV}/${otherRes}?exp=${exp}&sig=${sig}`)).status, 401, res);
    assert.equal((await get(`${path}?exp=${exp}&sig=${sign(path, exp, 'not-the-secret')}`)).status, 401, res);
  }
  // A signed URL keeps the query the client adds (lang).
  const vtt = `/api/rooms/${PRIV}/record.vtt`;
  const v = await http(server, 'POST', `/api/rooms/${PRIV}/signed-url`, { headers: auth, body: { path: vtt } });
  assert.equal((await get(`${v.json.url}&lang=fr`)).status, 200);
});

test('signed-url: what it refuses', async () => {
  const auth = { authorization: `Bearer ${tok(PRIV)}` };
  const ask = (body, headers = auth, room = PRIV) => http(server, 'POST', `/api/rooms/${room}/signed-url`, { headers, body });
  assert.equal((await ask({ path: `/api/rooms/${PUB}/log` })).status, 400, 'another room\'s path');
  assert.equal((await ask({ path: `/api/rooms/${PRIV}/tokens` })).status, 400, 'not a readable resource');
  assert.equal((await ask({ path: `/api/rooms/${PRIV}/../${PUB}/log` })).status, 400);
  assert.equal((await ask({})).status, 400);
  assert.equal((await ask({ path: `/api/rooms/${PRIV}/log` }, { authorization: `Bearer ${tok('elsewhere')}` })).status, 403);
  assert.equal((await ask({ path: `/api/rooms/${PRIV}/log` }, { authorization: 'Bearer x.y.z' })).status, 401);
  // A signed URL cannot buy another one.
  const signed = (await ask({ path: `/api/rooms/${PRIV}/log` })).json.url;
  const q = signed.slice(signed.indexOf('?'));
  assert.equal((await http(server, 'POST', `/api/rooms/${PRIV}/signed-url${q}`, { body: { path: `/api/rooms/${PRIV}/log` } })).status, 404);
  // The URL lives no longer than the token that asked for it.
  const short = tok(PRIV, { exp: nowS() + 120 });
  const s = await ask({ path: `/api/rooms/${PRIV}/log` }, { authorization: `Bearer ${short}` });
  assert.ok(s.json.exp <= nowS() + 120, `${s.json.exp}`);
  // A public room needs a token too (401, the room being known), and answers the same way.
  assert.equal((await ask({ path: `/api/rooms/${PUB}/log` }, {}, PUB)).status, 401);
  assert.equal((await ask({ path: `/api/rooms/${PUB}/log` }, { authorization: `Bearer ${tok(PUB)}` }, PUB)).status, 200);
});

test('public rooms are unchanged: every resource without a token', async () => {
  for (const res of RESOURCES) {
    const r = await get(`/api/rooms/${PUB}/${res}`);
    assert.equal(r.status, 200, `${res}: ${r.text}`);
    // A token or a bad one changes nothing for a public room.
    assert.equal((await get(`/api/rooms/${PUB}/${res}`, { authorization: 'Bearer nonsense' })).status, 200, res);
  }
  const list = await http(server, 'GET', '/api/rooms');
  assert.equal(list.json.find((x) => x.id === PUB).visibility, 'public');
});

test('a stranger\'s anonymous join of a private room: as for a room that does not exist', async () => {
  const c = await Client.open(server);
  const priv = await c.request({ type: 'join', room: PRIV, role: 'observer', name: 'X' });
  const none = await c.request({ type: 'join', room: 'no-such-room', role: 'observer', name: 'X' });
  assert.equal(priv.code, 'not_found');
  assert.equal(priv.message, none.message);
  await c.close();
  const member = await join(server, PRIV, { token: tok(PRIV, { sub: 'olga', name: 'Olga' }) });
  assert.equal(member.ack.state.room.visibility, 'private');
  await member.close();
});

test('/metrics keeps a private room\'s rows for the admin; the room\'s own metrics need its token', async () => {
  const admin = await get('/metrics', { authorization: `Bearer ${ADMIN}` });
  assert.match(admin.text, new RegExp(`plenary_room_recording\\{room="${PRIV}"\\}`));
  const plain = await get('/metrics');
  assert.ok(!plain.text.includes(`room="${PRIV}"`), 'private room named in /metrics');
  assert.match(plain.text, new RegExp(`plenary_room_recording\\{room="${PUB}"\\}`));
  const own = await get(`/api/rooms/${PRIV}/metrics`, { authorization: `Bearer ${tok(PRIV)}` });
  assert.match(own.text, new RegExp(`plenary_room_recording\\{room="${PRIV}"\\} 1`));
  assert.ok(!own.text.includes(`room="${PUB}"`));
});

test('visibility survives a restart, from the API and from the configuration file', async () => {
  const dataDir = mkdtempSync(pathJoin(tmpdir(), 'plenary-access-'));
  const config = { rooms: [{ id: 'declared', visibility: 'private' }, { id: 'declared-open' }] };
  try {
    let s = await startServer({ dataDir, config });
    const made = await http(s, 'POST', '/api/rooms', { admin: true, body: { id: 'made', visibility: 'private' } });
    assert.equal(made.status, 201);
    assert.equal((await http(s, 'POST', '/api/rooms', { admin: true, body: { id: 'odd', visibility: 'secret' } })).status, 400);
    await s.cleanup();
    s = await startServer({ dataDir, config: { rooms: [] } });
    for (const id of ['made', 'declared']) {
      const r = await http(s, 'GET', `/api/rooms/${id}/record.json`);
      assert.equal(r.status, 404, id);
      const ok = await http(s, 'GET', `/api/rooms/${id}/record.json`, { headers: { authorization: `Bearer ${tok(id)}` } });
      assert.equal(ok.status, 200, id);
    }
    assert.equal((await http(s, 'GET', '/api/rooms/declared-open/record.json')).status, 200);
    const all = await http(s, 'GET', '/api/rooms', { admin: true });
    assert.deepEqual(all.json.map((x) => [x.id, x.visibility]).sort(), [['declared', 'private'], ['declared-open', 'public'], ['made', 'private']]);
    await s.cleanup();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('the web client\'s access.js: Bearer fetches and signed links for a private room, plain for a public one', async () => {
  const realFetch = globalThis.fetch;
  globalThis.fetch = (u, init) => realFetch(new URL(u, server.url), init);
  const fake = () => ({ attrs: {}, paused: true, setAttribute(k, v) { this.attrs[k] = v; } });
  try {
    const { roomAccess } = await import('../../web-client/js/access.js');
    const priv = roomAccess({ room: PRIV, token: tok(PRIV), isPrivate: true });
    const rec = await priv.fetch('record.json');
    assert.equal(rec.status, 200);
    assert.equal((await rec.json()).room.id, PRIV);
    const audio = priv.link(fake(), 'src', 'listen.ogg');
    const link = priv.link(fake(), 'href', 'record.html');
    for (let i = 0; i < 200 && !(audio.attrs.src.includes('sig=') && link.attrs.href.includes('sig=')); i++) await sleep(10);
    assert.equal((await get(audio.attrs.src)).status, 200, audio.attrs.src);
    assert.equal((await get(link.attrs.href)).status, 200, link.attrs.href);
    priv.close();
    const pub = roomAccess({ room: PUB, token: undefined, isPrivate: false });
    assert.equal(pub.link(fake(), 'href', 'log').attrs.href, `/api/rooms/${PUB}/log`);
    assert.equal((await pub.fetch('record.json')).status, 200);
    pub.close();
  } finally {
    globalThis.fetch = realFetch;
  }
});
