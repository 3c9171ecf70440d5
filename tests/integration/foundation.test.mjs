// Issue 2: the server's envelope, HTTP basics and shutdown, through the real plenaryd.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServer, Client, http, sleep } from './harness.mjs';

let server;
before(async () => {
  server = await startServer({ config: { send_queue_kb: 64 } });
});
after(async () => {
  await server.cleanup();
});

// fetch() normalises "/../" away, so traversal probes go over a raw socket.
function rawGet(path) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(server.port, '127.0.0.1', () => {
      sock.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    });
    let data = '';
    sock.on('data', (c) => (data += c.toString('latin1')));
    sock.on('end', () => resolve(data));
    sock.on('error', reject);
  });
}

test('healthz answers ok', async () => {
  const r = await http(server, 'GET', '/healthz');
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { status: 'ok' });
});

test('metrics expose the names of PROTOCOL.md in Prometheus text format', async () => {
  const r = await http(server, 'GET', '/metrics');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/plain/);
  for (const name of [
    'plenary_connections',
    'plenary_events_total',
    'plenary_peers',
    'plenary_rtp_packets_received_total',
    'plenary_rtp_packets_sent_total',
    'plenary_srtp_errors_total',
    'plenary_mixer_tick_seconds',
    'plenary_log_fsync_seconds',
  ]) {
    assert.match(r.text, new RegExp(`^# TYPE ${name} `, 'm'), name);
  }
  assert.match(r.text, /^plenary_connections\{role="chair"\} \d+$/m);
  assert.match(r.text, /^plenary_mixer_tick_seconds_bucket\{le="\+Inf"\} \d+$/m);
  assert.match(r.text, /^plenary_log_fsync_seconds_count \d+$/m);
});

test('the web client is served with correct content types', async () => {
  const root = await http(server, 'GET', '/');
  assert.equal(root.status, 200);
  assert.match(root.headers.get('content-type'), /^text\/html/);
  assert.match(root.text, /<html/);
  const js = await http(server, 'GET', '/app.js');
  assert.equal(js.status, 200);
  assert.match(js.headers.get('content-type'), /^text\/javascript/);
  const css = await http(server, 'GET', '/style.css');
  assert.match(css.headers.get('content-type'), /^text\/css/);
  assert.equal((await http(server, 'GET', '/no-such-file.js')).status, 404);
});

// lws normalises the request path before we see it ("/x/../a" arrives as "/a"), so a
// probe that stays inside the web root after normalising is simply that file; anything
// that would leave the root, raw or percent-encoded, must be refused.
test('static files carry an ETag and answer 304 when unchanged', async () => {
  const first = await http(server, 'GET', '/app.js');
  const etag = first.headers.get('etag');
  // fetch asks for gzip: the compressed representation has a validator of its own.
  assert.equal(first.headers.get('content-encoding'), 'gzip');
  assert.match(etag, /^"[0-9a-f]+-[0-9a-f]+-gz"$/);
  const plain = await http(server, 'GET', '/app.js', { headers: { 'accept-encoding': 'identity' } });
  assert.equal(plain.headers.get('content-encoding'), null);
  assert.match(plain.headers.get('etag'), /^"[0-9a-f]+-[0-9a-f]+"$/);
  assert.equal(plain.text, first.text);
  assert.equal(plain.headers.get('vary'), 'accept-encoding');
  const again = await http(server, 'GET', '/app.js', { headers: { 'if-none-match': etag } });
  assert.equal(again.status, 304);
  assert.equal(again.text, '');
  const other = await http(server, 'GET', '/app.js', { headers: { 'if-none-match': '"stale"' } });
  assert.equal(other.status, 200);
});

test('path traversal and encoded variants are 404', async () => {
  for (const path of [
    '/../gateway/main.c',
    '/../../etc/passwd',
    '/%2e%2e/gateway/main.c',
    '/%2E%2E/%2E%2E/etc/passwd',
    '/..%2fgateway%2fmain.c',
    '/..%5cgateway%5cmain.c',
    '/.%2e/gateway/main.c',
    '/%252e%252e/gateway/main.c',
    '/web-client/../../etc/passwd',
    '/./index.html/../../etc/passwd',
    '//etc/passwd',
    '/.gitignore',
    '/index.html%00.js',
  ]) {
    const res = await rawGet(path);
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(res)?.[1]);
    // lws itself drops a request whose path decodes to a NUL byte: no answer at all.
    const refused = status === 404 || status === 400 || status === 403 || res === '';
    assert.ok(refused, `${path} -> ${status}`);
    assert.doesNotMatch(res, /root:x:0:0|#include/, path);
  }
});

test('ping works before and after join, with the id echoed', async () => {
  const c = await Client.open(server);
  const ack = await c.request({ type: 'ping' });
  assert.equal(ack.type, 'ack');
  assert.equal(typeof ack.id, 'number');
  c.send({ type: 'ping', id: 77 });
  assert.deepEqual(await c.next((m) => m.id === 77), { type: 'ack', id: 77 });
  await c.close();
});

test('invalid JSON and non-objects are bad_request and the connection stays open', async () => {
  const c = await Client.open(server);
  for (const bad of ['{not json', '[1,2,3]', '"text"', '42', 'null', '{"type":5}', '{"id":"x","type":"ping"}', '{}']) {
    const from = c.messages.length;
    c.send(bad);
    const err = await c.next((m) => m.type === 'error', { from });
    assert.equal(err.code, 'bad_request', bad);
    assert.equal(typeof err.message, 'string');
  }
  const ack = await c.request({ type: 'ping' });
  assert.equal(ack.type, 'ack');
  assert.equal(c.closed, null);
  await c.close();
});

test('commands before join are unauthorized', async () => {
  const c = await Client.open(server);
  for (const type of ['queue.raise', 'session.start', 'hum.cast', 'caption', 'leave', 'poll.vote']) {
    const r = await c.request({ type });
    assert.equal(r.type, 'error', type);
    assert.equal(r.code, 'unauthorized', type);
  }
  await c.close();
});

test('a binary frame closes the connection with 1003', async () => {
  const c = await Client.open(server);
  c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
  const closed = await c.closedPromise;
  assert.equal(closed.code, 1003);
});

test('a message over 64 KiB closes the connection with 1009', async () => {
  const c = await Client.open(server);
  c.send(JSON.stringify({ type: 'ping', pad: 'x'.repeat(70 * 1024) }));
  const closed = await c.closedPromise;
  assert.equal(closed.code, 1009);
});

test('a fragmented message over 64 KiB also closes with 1009; one under it is fine', async () => {
  const c = await Client.open(server);
  const ok = JSON.stringify({ type: 'ping', id: 5, pad: 'y'.repeat(60 * 1024) });
  c.ws.send(ok.slice(0, 30000), { fin: false });
  c.ws.send(ok.slice(30000), { fin: true });
  assert.equal((await c.next((m) => m.id === 5)).type, 'ack');
  const big = JSON.stringify({ type: 'ping', pad: 'z'.repeat(80 * 1024) });
  c.ws.send(big.slice(0, 40000), { fin: false });
  c.ws.send(big.slice(40000), { fin: true });
  const closed = await c.closedPromise;
  assert.equal(closed.code, 1009);
});

test('WebSocket upgrades on other paths are refused', async () => {
  const { default: WebSocket } = await import('ws');
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/elsewhere`, ['plenary.v1']);
  const outcome = await new Promise((resolve) => {
    ws.on('open', () => resolve('open'));
    ws.on('error', () => resolve('error'));
    ws.on('unexpected-response', () => resolve('refused'));
  });
  assert.notEqual(outcome, 'open');
});

async function metric(name) {
  const r = await http(server, 'GET', '/metrics');
  const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(r.text);
  return m ? Number(m[1]) : NaN;
}

test('a connection that stops reading is dropped; others are unaffected', async () => {
  const before = await metric('plenary_ws_slow_consumers_dropped_total');
  const slow = await Client.open(server);
  slow.ws._socket.pause(); // stop reading: acks pile up on the server
  const ping = JSON.stringify({ type: 'ping', id: 1 });
  const healthy = await Client.open(server);
  let dropped = false;
  for (let round = 0; round < 60 && !dropped; round++) {
    for (let i = 0; i < 5000; i++) slow.ws.send(ping);
    await sleep(50);
    dropped = (await metric('plenary_ws_slow_consumers_dropped_total')) > before;
  }
  assert.ok(dropped, 'the slow reader was dropped');
  assert.equal((await healthy.request({ type: 'ping' })).type, 'ack');
  slow.ws._socket.resume();
  await slow.closedPromise;
  await healthy.close();
});

test('SIGTERM shuts down cleanly with exit 0', async () => {
  const s = await startServer();
  const c = await Client.open(s);
  const exit = await s.stop('SIGTERM');
  assert.equal(exit.code, 0);
  await c.closedPromise;
  await s.cleanup();
  const s2 = await startServer();
  assert.equal((await s2.stop('SIGINT')).code, 0);
  await s2.cleanup();
});
