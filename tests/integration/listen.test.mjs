// Issue 7: GET /api/rooms/{id}/listen.ogg and recording.ogg through the real server.
//
// listen.ogg is a live Ogg Opus stream over chunked HTTP/1.1, read here with a raw socket
// so the framing itself is checked: transfer-encoding chunked, no content-length, no
// "connection: close"; the body is Ogg pages, OpusHead then OpusTags first for every
// client (also one who joins late), then audio pages with growing granule positions; the
// session's end finishes it with the last chunk and an end-of-stream page. curl into
// opusinfo reads the same stream. recording.ogg is the session's file: 404 before there
// is one, then a complete Ogg Opus file that opusinfo accepts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join as pathJoin } from 'node:path';
import { startServer, createRoom, join, http, sleep } from './harness.mjs';

const ROOM = 'listen';
let server, chair, work;

before(async () => {
  server = await startServer();
  await createRoom(server, ROOM, { title: 'Listen plenary' });
  chair = await join(server, ROOM, { role: 'chair', name: 'Carla Chair', sub: 'carla' });
  work = mkdtempSync(pathJoin(tmpdir(), 'plenary-listen-'));
});
after(async () => {
  await chair?.close();
  await server?.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
});

const have = (tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

// A raw HTTP/1.1 GET that keeps the head and the undecoded body as they come.
function rawGet(path) {
  const sock = net.connect(server.port, '127.0.0.1');
  const r = { raw: Buffer.alloc(0), closed: false, sock };
  sock.on('data', (d) => (r.raw = Buffer.concat([r.raw, d])));
  r.closedPromise = new Promise((resolve) => sock.on('close', () => resolve((r.closed = true))));
  sock.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
  return r;
}

function head(r) {
  const end = r.raw.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const lines = r.raw.subarray(0, end).toString('latin1').split('\r\n');
  const headers = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  return { status: Number(lines[0].split(' ')[1]), headers, body: r.raw.subarray(end + 4) };
}

// Undoes chunked framing; complete is true once the last (empty) chunk was seen.
function dechunk(buf) {
  const parts = [];
  let off = 0, complete = false;
  for (;;) {
    const nl = buf.indexOf('\r\n', off);
    if (nl < 0) break;
    const size = parseInt(buf.subarray(off, nl).toString('latin1'), 16);
    assert.ok(Number.isInteger(size), `a chunk size line at ${off}`);
    if (size === 0) {
      complete = buf.subarray(nl, nl + 4).toString('latin1') === '\r\n\r\n';
      break;
    }
    if (nl + 2 + size + 2 > buf.length) break;
    parts.push(buf.subarray(nl + 2, nl + 2 + size));
    assert.equal(buf.subarray(nl + 2 + size, nl + 4 + size).toString('latin1'), '\r\n');
    off = nl + 4 + size;
  }
  return { body: Buffer.concat(parts), complete };
}

// Ogg pages (RFC 3533): {granule, seq, bos, eos, packets: [Buffer]} (whole packets only).
function pages(buf) {
  const out = [];
  let off = 0;
  while (off + 27 <= buf.length) {
    assert.equal(buf.toString('latin1', off, off + 4), 'OggS', `a page at ${off}`);
    const nseg = buf[off + 26];
    if (off + 27 + nseg > buf.length) break;
    const lacing = buf.subarray(off + 27, off + 27 + nseg);
    const bodyLen = lacing.reduce((a, b) => a + b, 0);
    if (off + 27 + nseg + bodyLen > buf.length) break;
    const body = buf.subarray(off + 27 + nseg, off + 27 + nseg + bodyLen);
    const packets = [];
    let p = 0, len = 0;
    for (const l of lacing) {
      len += l;
      if (l < 255) {
        packets.push(body.subarray(p, p + len));
        p += len;
        len = 0;
      }
    }
    out.push({ flags: buf[off + 5], granule: buf.readBigInt64LE(off + 6), seq: buf.readUInt32LE(off + 18), packets });
    off += 27 + nseg + bodyLen;
  }
  return out;
}

function checkHeaders(ps) {
  assert.ok(ps.length >= 2);
  assert.equal(ps[0].packets[0].toString('latin1', 0, 8), 'OpusHead');
  assert.equal(ps[0].flags & 2, 2, 'the first page begins the stream');
  assert.equal(ps[1].packets[0].toString('latin1', 0, 8), 'OpusTags');
  const tags = ps[1].packets[0].toString('utf8');
  assert.match(tags, /ROOM=listen/);
  assert.match(tags, /SESSION=Listen plenary/);
}

test('before the session: nothing to listen to, no recording', async () => {
  const l = await http(server, 'GET', `/api/rooms/${ROOM}/listen.ogg`);
  assert.equal(l.status, 404);
  assert.equal(l.json.code, 'not_found');
  const r = await http(server, 'GET', `/api/rooms/${ROOM}/recording.ogg`);
  assert.equal(r.status, 404);
  assert.equal((await http(server, 'GET', '/api/rooms/nope/listen.ogg')).status, 404);
});

test('listen.ogg: chunked Ogg pages, headers first, finished at the session end; then recording.ogg', async () => {
  await chair.ok({ type: 'session.start' });
  await sleep(300);
  const first = rawGet(`/api/rooms/${ROOM}/listen.ogg`);
  const curlOut = pathJoin(work, 'curl.ogg');
  const curl = have('curl') ? spawn('curl', ['-sN', '-o', curlOut, `${server.url}/api/rooms/${ROOM}/listen.ogg`]) : null;
  const curlDone = curl && new Promise((resolve) => curl.on('exit', resolve));
  await sleep(1500);
  const late = rawGet(`/api/rooms/${ROOM}/listen.ogg`);
  await sleep(700);

  const h = head(first);
  assert.equal(h.status, 200);
  assert.equal(h.headers['content-type'], 'audio/ogg');
  assert.equal(h.headers['transfer-encoding'], 'chunked');
  assert.equal(h.headers['content-length'], undefined);
  assert.notEqual((h.headers.connection || '').toLowerCase(), 'close');
  const live = pages(dechunk(h.body).body);
  checkHeaders(live);
  assert.ok(live.length >= 8, `${live.length} pages in 2 s`);
  for (let i = 0; i < live.length; i++) assert.equal(live[i].seq, i, 'pages in order, none missing');
  for (let i = 3; i < live.length; i++) assert.ok(live[i].granule > live[i - 1].granule, 'granule positions grow');
  // A client that joins late gets the headers first, then the pages from where the stream
  // is, renumbered as a stream of its own: page 2 is its first, its granule that page's
  // own samples.
  const lateBody = pages(dechunk(head(late).body).body);
  checkHeaders(lateBody);
  assert.ok(lateBody.length >= 3);
  for (let i = 0; i < lateBody.length; i++) assert.equal(lateBody[i].seq, i);
  assert.equal(lateBody[2].granule, BigInt(960 * lateBody[2].packets.length));

  await chair.ok({ type: 'session.end' });
  await Promise.race([first.closedPromise, sleep(1500)]);
  const done = dechunk(head(first).body);
  assert.ok(done.complete, 'the last chunk ends the response');
  const all = pages(done.body);
  assert.equal(all.at(-1).flags & 4, 4, 'the last page ends the stream');
  // The connection stays usable for another request (no "connection: close").
  assert.equal(first.closed, false);
  first.sock.destroy();
  late.sock.destroy();

  if (curl) {
    await curlDone;
    const info = spawnSync('opusinfo', [curlOut], { encoding: 'utf8' });
    assert.equal(info.status, 0, info.stdout + info.stderr);
    assert.match(info.stdout, /ROOM=listen/);
  }

  // The recording: the whole session in one complete file.
  let rec;
  for (let i = 0; i < 30; i++) {
    rec = await fetch(`${server.url}/api/rooms/${ROOM}/recording.ogg`);
    assert.equal(rec.status, 200);
    rec = Buffer.from(await rec.arrayBuffer());
    if (rec.length && pages(rec).at(-1).flags & 4) break;
    await sleep(100);
  }
  const recPages = pages(rec);
  checkHeaders(recPages);
  assert.equal(recPages.at(-1).flags & 4, 4);
  const file = pathJoin(work, 'recording.ogg');
  writeFileSync(file, rec);
  if (have('opusinfo')) {
    const info = spawnSync('opusinfo', [file], { encoding: 'utf8' });
    assert.equal(info.status, 0, info.stdout + info.stderr);
  }
  // Its timeline is the session's: about 2.5 s of 48 kHz samples.
  const granule = Number(recPages.at(-1).granule);
  assert.ok(granule > 2.0 * 48000 && granule < 4.0 * 48000, `granule ${granule}`);
  assert.ok(readFileSync(file).length > 0);

  // Per-room metrics.
  const m = await http(server, 'GET', '/metrics');
  assert.match(m.text, /plenary_room_recording\{room="listen"\} 0/);
  assert.match(m.text, /# TYPE plenary_mixer_latency_seconds histogram/);
  // After the session, listen.ogg has nothing to give again.
  assert.equal((await http(server, 'GET', `/api/rooms/${ROOM}/listen.ogg`)).status, 404);
});

test('a restart during the session: the recording goes on in a new part, its timeline still the session\'s', async () => {
  const dataDir = mkdtempSync(pathJoin(tmpdir(), 'plenary-restart-'));
  const config = { rooms: [{ id: 'again', title: 'Again' }] };
  let s = await startServer({ dataDir, config });
  let c = await join(s, 'again', { role: 'chair', name: 'Carla Chair', sub: 'carla' });
  await c.ok({ type: 'session.start' });
  const started = Date.parse((await c.event('session.started')).ts);
  await sleep(1000);
  await c.close();
  await s.cleanup();
  s = await startServer({ dataDir, config });
  try {
    await sleep(1000);
    c = await join(s, 'again', { role: 'chair', name: 'Carla Chair', sub: 'carla' });
    await c.ok({ type: 'session.end' });
    const ended = Date.parse((await c.event('session.ended')).ts);
    await c.close();
    let rec;
    for (let i = 0; i < 30; i++) {
      const r = await fetch(`${s.url}/api/rooms/again/recording.ogg`);
      assert.equal(r.status, 200);
      rec = pages(Buffer.from(await r.arrayBuffer()));
      if (rec.length && rec.at(-1).flags & 4) break;
      await sleep(100);
    }
    assert.match(rec[1].packets[0].toString('utf8'), /ROOM=again/);
    // The second part: from the session's start (the time before the restart is silence).
    const granuleS = Number(rec.at(-1).granule) / 48000;
    const sessionS = (ended - started) / 1000;
    assert.ok(Math.abs(granuleS - sessionS) < 0.3, `part 2 ends at ${granuleS} s, the session lasted ${sessionS} s`);
    const files = readdirSync(pathJoin(dataDir, 'recordings', 'again')).sort();
    assert.equal(files.length, 2, files.join(' '));
    assert.match(files[0], /^\d{13}-01\.ogg$/);
    assert.match(files[1], /^\d{13}-02\.ogg$/);
    // The first part was completed when the server stopped.
    const first = pages(readFileSync(pathJoin(dataDir, 'recordings', 'again', files[0])));
    assert.equal(first.at(-1).flags & 4, 4);
    assert.ok(Number(first.at(-1).granule) / 48000 > 0.8);
  } finally {
    await s.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
