// Issue 18: captions once on the record, credited to whoever spoke.
// - caption {cid}: a repeated cid from the same person is acked {duplicate: true} and writes
//   nothing, also after a restart (the cid is on the event); another person's cid is theirs;
//   a bad cid is bad_request.
// - The CART POST's seq: per captioner and kept across a restart.
// - The speaker of a caption is whoever talks through an open mic (real Opus over real
//   WebRTC from plenary-load's speaker, a chair, whose mic is open while the session is
//   live), not the floor holder, who sends no audio; with nobody talking, the floor holder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join as pathJoin } from 'node:path';
import { startServer, createRoom, join, http, sleep, token, SECRET } from './harness.mjs';
import { runLoad } from '../load/servers.mjs';

const LOAD = pathJoin(process.env.PLENARY_BUILD_DIR || 'build', 'tests', 'load', 'plenary-load');

const cart = (server, room, tok, seq, text) =>
  http(server, 'POST', `/api/rooms/${room}/caption?token=${encodeURIComponent(tok)}&seq=${seq}&lang=en`, {
    body: text,
    headers: { 'content-type': 'text/plain; charset=utf-8' },
  });

async function recordCaptions(server, room) {
  const r = await http(server, 'GET', `/api/rooms/${room}/record.json`);
  assert.equal(r.status, 200, r.text);
  return r.json.captions.map((c) => c.text);
}

test('a repeated cid writes nothing, before and after a restart; CART seq is per captioner and survives it', async () => {
  const s = await startServer({ grace: 30, keepData: true });
  const ROOM = 'cids';
  let s2;
  try {
    await createRoom(s, ROOM);
    const chair = await join(s, ROOM, { role: 'chair', name: 'Chair', sub: 'ch' });
    await chair.ok({ type: 'session.start' });
    const capTok = token({ room: ROOM, role: 'captioner', name: 'Kim', sub: 'kim' });
    const cap = await join(s, ROOM, { token: capTok });
    const line = (cid, text) => ({ type: 'caption', lang: 'en', final: true, text, cid });
    assert.equal((await cap.ok(line('k-1', 'First line.'))).duplicate, false);
    assert.equal((await cap.ok(line('k-1', 'First line.'))).duplicate, true);
    assert.equal((await cap.ok(line('k-2', 'Second line.'))).duplicate, false);
    // The chair's k-1 is not Kim's.
    assert.equal((await chair.ok(line('k-1', 'Chair aside.'))).duplicate, false);
    // Bad cids change nothing.
    for (const cid of ['', 'x'.repeat(65), 42, 'tab\there', 'é']) {
      const r = await cap.request(line(cid, 'never'));
      assert.equal(r.code, 'bad_request', JSON.stringify(cid));
      assert.match(r.message, /cid/);
    }
    // CART: two captioners, each with their own counter.
    const cartA = token({ room: ROOM, role: 'captioner', name: 'CART A', sub: 'cart-a' });
    const cartB = token({ room: ROOM, role: 'captioner', name: 'CART B', sub: 'cart-b' });
    assert.equal((await cart(s, ROOM, cartA, 1, 'A one.')).json.duplicate, false);
    assert.equal((await cart(s, ROOM, cartB, 1, 'B one.')).json.duplicate, false);
    assert.equal((await cart(s, ROOM, cartA, 1, 'A one.')).json.duplicate, true);
    const before = await recordCaptions(s, ROOM);
    assert.deepEqual(before, ['First line.', 'Second line.', 'Chair aside.', 'A one.', 'B one.']);

    await Promise.all([chair.close(), cap.close()]);
    await s.stop();
    s2 = await startServer({ dataDir: s.dataDir, grace: 30 });
    const cap2 = await join(s2, ROOM, { token: capTok });
    assert.equal((await cap2.ok(line('k-2', 'Second line.'))).duplicate, true, 'remembered across the restart');
    assert.equal((await cap2.ok(line('k-3', 'Third line.'))).duplicate, false);
    assert.equal((await cart(s2, ROOM, cartA, 1, 'A one.')).json.duplicate, true);
    assert.equal((await cart(s2, ROOM, cartB, 1, 'B one.')).json.duplicate, true);
    assert.equal((await cart(s2, ROOM, cartB, 2, 'B two.')).json.duplicate, false);
    assert.deepEqual(await recordCaptions(s2, ROOM), [...before, 'Third line.', 'B two.']);
    await cap2.close();
  } finally {
    if (s2) await s2.cleanup();
    await s.cleanup();
    rmSync(s.dataDir, { recursive: true, force: true });
  }
});

test('a caption is credited to the open mic that is talking, else to the floor holder', async () => {
  const server = await startServer({ grace: 30 });
  const ROOM = 'talk';
  try {
    await createRoom(server, ROOM);
    const chair = await join(server, ROOM, { role: 'chair', name: 'Quiet Chair', sub: 'quiet-chair' });
    await chair.ok({ type: 'session.start' });
    const holder = await join(server, ROOM, { role: 'participant', name: 'Floor Holder', sub: 'holder' });
    await holder.ok({ type: 'queue.raise' });
    await chair.ok({ type: 'queue.next' });
    const cap = await join(server, ROOM, { role: 'captioner', name: 'Kim', sub: 'kim' });
    // plenary-load's speaker: a chair ("Speaker 0", sub load-speaker-0) sending a 1 kHz
    // tone in 200 ms bursts every second over real WebRTC, its mic open while live.
    let done = false;
    const load = runLoad(LOAD, ['--url', server.wsUrl, '--room', ROOM, '--secret', SECRET,
      '--speaker', 'chair', '--listeners', '1', '--sample', '1', '--warmup', '0.5',
      '--duration', '4', '--hear-timeout', '10']).finally(() => (done = true));
    const speakers = [];
    let n = 0;
    while (!done) {
      const from = cap.messages.length;
      const ack = await cap.ok({ type: 'caption', lang: 'en', final: true, text: `line ${n}`, cid: `t-${n}` });
      assert.equal(ack.duplicate, false);
      const e = await cap.next((m) => m.type === 'event' && m.kind === 'caption' && m.data.text === `line ${n}`, { from });
      speakers.push(e.data.speaker?.pid ?? null);
      n++;
      await sleep(250);
    }
    const { report } = await load;
    assert.equal(report.error, null, report.error);
    assert.ok(report.heard >= 1, 'the tone reached a listener: real audio flowed');
    assert.ok(speakers.includes('load-speaker-0'), `a caption while the speaker talked credits them: ${JSON.stringify(speakers)}`);
    assert.ok(speakers.every((p) => p === 'load-speaker-0' || p === 'holder'), JSON.stringify(speakers));
    const talked = (await http(server, 'GET', `/api/rooms/${ROOM}/record.json`)).json.captions.find((c) => c.speaker?.pid === 'load-speaker-0');
    assert.equal(talked.speaker.name, 'Speaker 0');
    // The speaker has gone quiet (and gone): past the hold, the floor holder again.
    await sleep(2000);
    await cap.ok({ type: 'caption', lang: 'en', final: true, text: 'after', cid: 'after' });
    const after = await cap.next((m) => m.type === 'event' && m.kind === 'caption' && m.data.text === 'after');
    assert.equal(after.data.speaker.pid, 'holder');
    for (const c of [chair, holder, cap]) await c.close();
  } finally {
    await server.cleanup();
  }
});
