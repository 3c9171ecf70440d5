// Issue 13: a full disk. plenaryd's data directory is a small tmpfs this test mounts; it
// is filled while a room's session is live (and recorded: the recorder writes its Ogg file
// there too). A command whose events cannot be written answers `internal`, over the
// WebSocket and over the CART POST (500, JSON), and nothing that was acknowledged is
// missing from the log, nothing that failed is in it; once space returns the next
// command succeeds and the chain verifies. The process survives all of it, the recorder's
// failed file included (what was written of it is still served, whole pages).
//
// Needs root (mount); when the mount fails the test fails. Mounts are named
// plenary-fulldisk-<pid>-..., always unmounted, and leftovers of dead runs are cleaned up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as pathJoin } from 'node:path';
import { startServer, createRoom, Client, jwt, nowS, http, sleep, PLENARYD } from './harness.mjs';

const PREFIX = 'plenary-fulldisk-';
const ROOM = 'full';

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

// Unmounts what a run that died left behind (its pid is in the name).
function cleanupLeftovers() {
  const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1]).filter(Boolean);
  for (const m of mounts) {
    const base = m.split('/').pop();
    if (!base.startsWith(PREFIX)) continue;
    const pid = Number(base.slice(PREFIX.length).split('-')[0]);
    if (pid && !alive(pid)) {
      spawnSync('umount', ['-l', m]);
      rmSync(m, { recursive: true, force: true });
    }
  }
}

function mountSmall(sizeKb) {
  cleanupLeftovers();
  const dir = mkdtempSync(pathJoin(tmpdir(), `${PREFIX}${process.pid}-`));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k,mode=0755`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    assert.fail(`cannot mount a small tmpfs (this test needs root): ${r.stderr}`);
  }
  return dir;
}

function unmount(dir) {
  const r = spawnSync('umount', [dir], { encoding: 'utf8' });
  if (r.status !== 0) spawnSync('umount', ['-l', dir]);
  rmSync(dir, { recursive: true, force: true });
}

// Writes to `path` until the filesystem says ENOSPC; returns the bytes written.
function fill(path) {
  const fd = openSync(path, 'a');
  const chunk = Buffer.alloc(4096, 0x78);
  let n = 0;
  try {
    for (;;) n += writeSync(fd, chunk);
  } catch (e) {
    if (e.code !== 'ENOSPC') throw e;
  } finally {
    closeSync(fd);
  }
  return n;
}

function tokenFor(role, sub) {
  return jwt({ room: ROOM, role, name: `Name ${sub}`, sub, exp: nowS() + 3600 });
}

async function joined(server, role, sub) {
  const c = await Client.open(server);
  const ack = await c.request({ type: 'join', room: ROOM, token: tokenFor(role, sub) });
  assert.equal(ack.type, 'ack', JSON.stringify(ack));
  return c;
}

function logOf(dataDir) {
  const path = pathJoin(dataDir, 'rooms', `${ROOM}.jsonl`);
  const v = spawnSync(PLENARYD, ['verify', path], { encoding: 'utf8' });
  assert.equal(v.status, 0, `plenaryd verify: ${v.stdout}${v.stderr}`);
  const events = readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  events.forEach((e, i) => assert.equal(e.seq, i + 1, 'no seq gap'));
  return events;
}

// Every Ogg page of buf that is whole has a good capture pattern and CRC; returns how many.
function oggPages(buf) {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let k = 0; k < 8; k++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    table[i] = r >>> 0;
  }
  let off = 0;
  let pages = 0;
  while (off + 27 <= buf.length) {
    assert.equal(buf.toString('latin1', off, off + 4), 'OggS', `page at ${off}`);
    const nseg = buf[off + 26];
    if (off + 27 + nseg > buf.length) break;
    let body = 0;
    for (let i = 0; i < nseg; i++) body += buf[off + 27 + i];
    const end = off + 27 + nseg + body;
    if (end > buf.length) break; // a torn last page
    const page = Buffer.from(buf.subarray(off, end));
    const want = page.readUInt32LE(22);
    page.writeUInt32LE(0, 22);
    let crc = 0;
    for (const b of page) crc = ((crc << 8) ^ table[((crc >>> 24) ^ b) & 0xff]) >>> 0;
    assert.equal(crc, want, `CRC of the page at ${off}`);
    pages++;
    off = end;
  }
  return pages;
}

const BIG = 'x'.repeat(1800);

test('a full disk: a command that cannot be written is internal, nothing unwritten is acknowledged, the room goes on', { timeout: 120000 }, async () => {
  const dataDir = mountSmall(2048);
  let server;
  try {
    server = await startServer({ dataDir, grace: 600 });
    await createRoom(server, ROOM);
    const chair = await joined(server, 'chair', 'chair');
    const cap = await joined(server, 'captioner', 'cap');
    const p = await joined(server, 'participant', 'p1');
    await chair.ok({ type: 'session.start', title: 'Full disk' });
    const told = new Map();
    for (const c of [chair, cap, p])
      c.ws.on('message', (d) => {
        const m = JSON.parse(d.toString());
        if (m.type === 'event') told.set(m.seq, m.hash);
      });
    await cap.ok({ type: 'caption', lang: 'en', final: true, text: 'before the disk fills' });

    // Let the recorder get its headers and some audio onto the disk before it fills.
    let recorded = 0;
    for (let i = 0; i < 400 && recorded < 4; i++) {
      const r = await fetch(`${server.url}/api/rooms/${ROOM}/recording.ogg`);
      recorded = r.status === 200 ? oggPages(Buffer.from(await r.arrayBuffer())) : 0;
      if (recorded < 4) await sleep(25);
    }
    assert.ok(recorded >= 4, `the recording is being written (${recorded} pages)`);
    const filler = pathJoin(dataDir, 'filler');
    assert.ok(fill(filler) > 0, 'the filler wrote something');
    // Captions of the same size until one does not fit (the log's last page may hold a few).
    const acked = ['before the disk fills'];
    const failed = [];
    for (let i = 0; i < 100 && failed.length === 0; i++) {
      const text = `full-${i}-${BIG}`;
      const r = await cap.request({ type: 'caption', lang: 'en', final: true, text });
      if (r.type === 'ack') acked.push(text);
      else {
        assert.equal(r.code, 'internal', JSON.stringify(r));
        failed.push(text);
      }
    }
    assert.equal(failed.length, 1, 'a caption that cannot be written is refused with internal');
    fill(filler); // whatever the rollback or the recorder left
    // The same over HTTP: the CART POST answers 500 with a JSON error, and nothing is written.
    const cart = `cart-${BIG}`;
    const post = await http(server, 'POST', `/api/rooms/${ROOM}/caption?token=${tokenFor('captioner', 'cap')}&seq=1&lang=en`, {
      body: cart,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    });
    assert.equal(post.status, 500, `CART POST on a full disk: ${post.status} ${post.text}`);
    assert.equal(post.json.code, 'internal');
    failed.push(cart);
    // A raise that cannot be written leaves no hand up.
    const raise = await p.request({ type: 'queue.raise' });
    if (raise.type === 'error') assert.equal(raise.code, 'internal');
    const obs = await Client.open(server);
    const snap = await obs.request({ type: 'join', room: ROOM, role: 'observer' });
    assert.equal(snap.state.queue.entries.length, raise.type === 'ack' ? 1 : 0, 'the queue is what the log says');

    // Space returns: the room goes on.
    unlinkSync(filler);
    await cap.ok({ type: 'caption', lang: 'en', final: true, text: 'after space returned' });
    acked.push('after space returned');
    const again = await http(server, 'POST', `/api/rooms/${ROOM}/caption?token=${tokenFor('captioner', 'cap')}&seq=1&lang=en`, {
      body: 'cart after space returned',
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.json.duplicate, false, 'the refused POST did not use up its seq');
    acked.push('cart after space returned');
    if (raise.type === 'error') await p.ok({ type: 'queue.raise' });
    await chair.ok({ type: 'queue.next' });

    const events = logOf(dataDir);
    const texts = new Set(events.filter((e) => e.kind === 'caption').map((e) => e.data.text));
    for (const t of acked) assert.ok(texts.has(t), `acknowledged ${t.slice(0, 20)} is in the log`);
    for (const t of failed) assert.ok(!texts.has(t), `refused ${t.slice(0, 20)} is not in the log`);
    for (const [seq, hash] of told) assert.equal(events[seq - 1]?.hash, hash, `seq ${seq} as told`);

    // The recorder hit the same wall: the process is alive, the session ends, and what was
    // recorded is served as whole, valid pages.
    await chair.ok({ type: 'session.end' });
    const rec = await fetch(`${server.url}/api/rooms/${ROOM}/recording.ogg`);
    assert.equal(rec.status, 200);
    const pages = oggPages(Buffer.from(await rec.arrayBuffer()));
    assert.ok(pages >= recorded, `what was recorded before the disk filled is still there (${pages} >= ${recorded} pages)`);
    console.log(`full disk: ${acked.length} acked, ${failed.length} refused, recording ${pages} pages, files ${readdirSync(dataDir)}`);
    for (const c of [chair, cap, p, obs]) await c.close();
    await server.cleanup();
    server = null;
    // And the log loads again.
    server = await startServer({ dataDir, grace: 600 });
    const o2 = await Client.open(server);
    const a2 = await o2.request({ type: 'join', room: ROOM, role: 'observer' });
    const final = logOf(dataDir);
    assert.equal(final.at(-1).kind, 'session.ended');
    assert.equal(a2.state.head.seq, final.length, 'the room is its log');
    assert.equal(a2.state.room.status, 'ended');
    await o2.close();
    await server.cleanup();
    server = null;
  } finally {
    if (server) await server.stop('SIGKILL');
    unmount(dataDir);
  }
});
