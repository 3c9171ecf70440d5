// Issue 15: the batched writes when the socket is full. lws then holds the bytes the
// kernel refused, and what comes after must wait behind them (gateway/ws.c). Here a
// participant stops reading while the chair captions more than the loopback socket
// buffers hold, then is removed: when it reads again, every caption is there once and in
// seq order, then the `removed` notice, and the 4403 close comes last.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, join, http } from './harness.mjs';

const ROOM = 'slow';
const TEXT = 'x'.repeat(2000); // the longest caption (docs/protocol.md)

// About what the kernel holds between plenaryd and a reader that does not read: the
// sender's socket buffer at its largest and the receiver's as it starts (it grows only as
// the reader reads). The test checks below that writes waited for the reader.
function socketBytes() {
  const field = (f, i) => Number(readFileSync(`/proc/sys/net/ipv4/${f}`, 'utf8').trim().split(/\s+/)[i]);
  return field('tcp_wmem', 2) + field('tcp_rmem', 1);
}

async function metric(server, name) {
  const text = (await http(server, 'GET', '/metrics')).text;
  return Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)[1]);
}

test('a reader that stops: what lws holds goes first, then the rest in order, the close last', async () => {
  const bytes = 2 * socketBytes();
  const captions = Math.ceil(bytes / TEXT.length);
  const server = await startServer({
    config: {
      rooms: [{ id: ROOM, title: 'Slow reader' }],
      // Everything the stalled reader is owed stays queued for it, and the chair may
      // caption as fast as it can.
      send_queue_kb: Math.ceil((2 * bytes) / 1024),
      ws_limits: { caption: { per_s: 100000, burst: 100000 } },
    },
  });
  const all = [];
  try {
    const chair = await join(server, ROOM, { role: 'chair', name: 'Carla Chair', sub: 'carla' });
    all.push(chair);
    await chair.ok({ type: 'session.start' });
    const dan = await join(server, ROOM, { role: 'participant', name: 'Dan', sub: 'dan' });
    all.push(dan);
    dan.ws._socket.pause();

    for (let i = 0; i < captions; i += 200) {
      const batch = [];
      for (let j = i; j < Math.min(captions, i + 200); j++)
        batch.push(chair.ok({ type: 'caption', lang: 'en', text: TEXT, final: true }, { timeout: 60000 }));
      await Promise.all(batch);
    }
    await chair.ok({ type: 'participant.remove', pid: 'dan', reason: 'stalled' }, { timeout: 60000 });
    const removed = await chair.event('participant.removed', { timeout: 60000 });
    assert.equal(dan.closed, null, 'not closed while it was not reading');

    const writes0 = await metric(server, 'plenary_ws_writes_total');
    dan.ws._socket.resume();
    const closed = await dan.closedPromise;
    assert.equal(closed.code, 4403);
    const seqs = dan.events().map((e) => e.seq);
    const want = [];
    for (let s = dan.ack.seq + 1; s <= removed.seq; s++) want.push(s);
    assert.deepEqual(seqs, want, 'every event once, in seq order');
    assert.equal(dan.events('caption').length, captions);
    const last = dan.messages[dan.messages.length - 1];
    assert.equal(last.type, 'private', JSON.stringify(last).slice(0, 200));
    assert.equal(last.kind, 'removed');
    // The socket was full: what was left was written once the reader read again.
    assert.ok((await metric(server, 'plenary_ws_writes_total')) > writes0, 'writes after the reader resumed');
    assert.equal(await metric(server, 'plenary_ws_slow_consumers_dropped_total'), 0);
  } finally {
    for (const c of all) c.terminate();
    await server.cleanup();
  }
});
