// Issue 6: `media.offer` through the real server -- who may offer what (PROTOCOL.md
// "Permissions"), what a bad offer gets, and the shape of the answer (PROTOCOL.md
// "Media"). The browser test (tests/browser/webrtc.test.mjs) connects for real.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join as pathJoin } from 'node:path';
import { startServer, createRoom, join, http, Client, SOURCE_DIR } from './harness.mjs';

const fixtures = pathJoin(SOURCE_DIR, 'tests', 'fixtures', 'sdp');
const sdp = (name) => readFileSync(pathJoin(fixtures, name), 'utf8');
const WORKERS = 2;

let server;
before(async () => {
  server = await startServer({ args: ['--media-workers', String(WORKERS)] });
  await createRoom(server, 'media');
});
after(async () => {
  await server.cleanup();
});

const lines = (text) => text.split('\r\n');

test('media.offer before join is unauthorized', async () => {
  const c = await Client.open(server);
  const r = await c.request({ type: 'media.offer', sdp: sdp('chrome-sendrecv.sdp') });
  assert.equal(r.type, 'error');
  assert.equal(r.code, 'unauthorized');
  await c.close();
});

test('a participant gets an ICE-lite answer, then media.state connecting', async () => {
  const p = await join(server, 'media', { role: 'participant', name: 'Pat', sub: 'pat' });
  const from = p.messages.length;
  const r = await p.ok({ type: 'media.offer', sdp: sdp('chrome-sendrecv.sdp') });
  const answer = lines(r.sdp);
  assert.ok(answer.includes('a=ice-lite'));
  assert.ok(answer.includes('a=setup:passive'));
  assert.ok(answer.includes('a=rtcp-mux'));
  assert.ok(answer.includes('a=sendrecv'));
  assert.ok(answer.some((l) => /^a=fingerprint:sha-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}$/.test(l)));
  assert.ok(answer.some((l) => /^a=fmtp:111 .*useinbandfec=1/.test(l) && /usedtx=1/.test(l)));
  assert.ok(answer.includes('a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level'));
  const cands = answer.filter((l) => l.startsWith('a=candidate:'));
  const udp = cands.filter((l) => l.split(' ')[2] === 'udp');
  const tcp = cands.filter((l) => l.split(' ')[2] === 'tcp');
  assert.equal(udp.length, WORKERS, 'one UDP host candidate per media worker');
  assert.equal(tcp.length, WORKERS, 'and one ICE-TCP passive candidate per media worker');
  assert.equal(new Set(udp.map((l) => l.split(' ')[5])).size, WORKERS);
  assert.equal(new Set(tcp.map((l) => l.split(' ')[5])).size, WORKERS);
  for (const l of udp) assert.match(l, /^a=candidate:\d+ 1 udp \d+ 127\.0\.0\.1 \d+ typ host$/);
  for (const l of tcp) {
    assert.match(l, /^a=candidate:\d+ 1 tcp \d+ 127\.0\.0\.1 \d+ typ host tcptype passive$/);
  }
  // RFC 6544 sect. 4.2: TCP below UDP.
  const prio = (l) => Number(l.split(' ')[3]);
  assert.ok(Math.max(...tcp.map(prio)) < Math.min(...udp.map(prio)), 'TCP candidates rank below UDP');
  const state = await p.next((m) => m.type === 'private' && m.kind === 'media.state', { from });
  assert.deepEqual(state.data, { state: 'connecting' });
  // A second offer replaces the first.
  const again = await p.ok({ type: 'media.offer', sdp: sdp('firefox-sendrecv.sdp') });
  assert.ok(lines(again.sdp).includes('a=ice-lite'));
  await p.close();
});

test('observers and captioners may only receive: sendrecv is forbidden, recvonly answered sendonly', async () => {
  const obs = await join(server, 'media', { role: 'observer', name: 'Olu', sub: 'olu' });
  const anon = await join(server, 'media', { anonymous: true });
  const cap = await join(server, 'media', { role: 'captioner', name: 'Cy', sub: 'cy' });
  for (const c of [obs, anon, cap]) {
    const denied = await c.request({ type: 'media.offer', sdp: sdp('chrome-sendrecv.sdp') });
    assert.equal(denied.type, 'error');
    assert.equal(denied.code, 'forbidden');
    const ok = await c.ok({ type: 'media.offer', sdp: sdp('chrome-recvonly.sdp') });
    assert.ok(lines(ok.sdp).includes('a=sendonly'));
    await c.close();
  }
});

test('a chair may send and receive', async () => {
  const chair = await join(server, 'media', { role: 'chair', name: 'Cho', sub: 'cho' });
  const r = await chair.ok({ type: 'media.offer', sdp: sdp('chrome-audio-video-data.sdp') });
  const m = lines(r.sdp).filter((l) => l.startsWith('m='));
  assert.equal(m.length, 3);
  assert.match(m[1], /^m=video 0 /);
  assert.match(m[2], /^m=application 0 /);
  await chair.close();
});

test('bad SDP is bad_request and changes nothing', async () => {
  const p = await join(server, 'media', { role: 'participant', name: 'Bo', sub: 'bo' });
  for (const bad of [undefined, 42, '', 'garbage', 'v=0\r\nnot sdp\r\n']) {
    const r = await p.request({ type: 'media.offer', sdp: bad });
    assert.equal(r.type, 'error', JSON.stringify(bad));
    assert.equal(r.code, 'bad_request');
  }
  // (malformed-nul.sdp is left out: a NUL inside a JSON string is already invalid JSON.)
  const malformed = readdirSync(fixtures).filter((f) => f.startsWith('malformed-') && f !== 'malformed-nul.sdp');
  assert.ok(malformed.length >= 5);
  for (const name of malformed) {
    const r = await p.request({ type: 'media.offer', sdp: sdp(name) });
    assert.equal(r.type, 'error', name);
    assert.equal(r.code, 'bad_request', name);
    assert.match(r.message, /SDP/, name);
  }
  // A passive offer cannot be answered by a passive server.
  const passive = sdp('chrome-sendrecv.sdp').replace('a=setup:actpass', 'a=setup:passive');
  const r = await p.request({ type: 'media.offer', sdp: passive });
  assert.equal(r.code, 'bad_request');
  // No media.state was sent for any of them, and the connection still works.
  assert.equal(p.messages.filter((m) => m.kind === 'media.state').length, 0);
  await p.ok({ type: 'ping' });
  await p.close();
});

test('/metrics has the media series', async () => {
  const m = await http(server, 'GET', '/metrics');
  for (const name of ['plenary_peers', 'plenary_rtp_packets_received_total',
    'plenary_rtp_packets_sent_total', 'plenary_srtp_errors_total']) {
    assert.match(m.text, new RegExp(`^${name} \\d+$`, 'm'), name);
  }
  assert.match(m.text, /^plenary_mixer_tick_seconds_count \d+$/m);
  assert.match(m.text, /^plenary_srtp_errors_total 0$/m);
});
