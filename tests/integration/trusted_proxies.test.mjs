// Issue 13, trusted reverse proxies (docs/protocol.md "Limits"): when the TCP peer is in
// trusted_proxies, the per-address HTTP request bucket is the client's that X-Forwarded-For
// names -- its rightmost entry that is not a trusted proxy, so a spoofed entry in front does
// not escape the limit -- while the header of a peer that is not trusted is ignored. A
// trusted proxy is not exempt on loopback; a forwarded loopback client is. A malformed header
// from a trusted proxy counts against the proxy's own address, and is logged. The same for
// the join bucket of the WebSocket; the connection cap does not apply to a trusted proxy.
//
// The server listens on 127.0.0.1; the untrusted peer is 127.0.0.2 (the client socket bound
// to it with localAddress). Tiny limits (1 request a second, a burst of 3) keep it quick.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import httpc from 'node:http';
import { startServer, createRoom, Client } from './harness.mjs';

function get(server, { from = '127.0.0.1', xff } = {}) {
  return new Promise((resolve, reject) => {
    const headers = xff === undefined ? {} : { 'x-forwarded-for': xff };
    const req = httpc.request(
      { host: '127.0.0.1', port: server.port, path: '/healthz', localAddress: from, headers, agent: false },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

// How many of n requests in a row were answered 429.
async function limitedOf(server, n, opts) {
  let limited = 0;
  for (let i = 0; i < n; i++) {
    const o = typeof opts === 'function' ? opts(i) : opts;
    const s = await get(server, o);
    assert.ok(s === 200 || s === 429, `status ${s}`);
    if (s === 429) limited++;
  }
  return limited;
}

const LIMITS = { http_rate_per_s: 1, http_rate_burst: 3 };

test('behind a trusted proxy each forwarded client has its own bucket; spoofing and untrusted peers do not escape', { timeout: 30000 }, async () => {
  const server = await startServer({ config: { ...LIMITS, limit_loopback: true, trusted_proxies: ['127.0.0.1'] } });
  try {
    // One client exhausts its bucket...
    assert.ok((await limitedOf(server, 6, { xff: '203.0.113.1' })) >= 1, 'no 429 for 203.0.113.1');
    // ...another behind the same proxy is still served.
    assert.equal(await get(server, { xff: '203.0.113.2' }), 200);
    assert.equal(await get(server, { xff: '2001:db8::2' }), 200);
    // A client that puts a fresh address in front is still 203.0.113.1, what the proxy appended.
    assert.equal(await get(server, { xff: '198.51.100.9, 203.0.113.1' }), 429);
    assert.equal(await get(server, { xff: '198.51.100.9,203.0.113.1' }), 429);
    // A fresh address that the proxy appended is another client.
    assert.equal(await get(server, { xff: '203.0.113.1, 198.51.100.9' }), 200);

    // An untrusted peer's header is ignored: a different X-Forwarded-For each time, one bucket.
    const untrusted = await limitedOf(server, 6, (i) => ({ from: '127.0.0.2', xff: `192.0.2.${i + 1}` }));
    assert.ok(untrusted >= 1, 'the header of an untrusted peer gave it fresh buckets');
    // And that bucket was 127.0.0.2's own, not the forwarded client's.
    assert.equal(await get(server, { xff: '192.0.2.1' }), 200);
  } finally {
    await server.cleanup();
  }
});

test('a trusted proxy is not exempt on loopback; a forwarded loopback client is; a malformed header counts against the proxy', { timeout: 30000 }, async () => {
  const server = await startServer({ config: { ...LIMITS, trusted_proxies: ['127.0.0.0/30', '::1'] } });
  try {
    // Without limit_loopback an untrusted loopback peer is a proxy we were not told of: exempt.
    assert.equal(await limitedOf(server, 6, { from: '127.0.0.5' }), 0);
    // The trusted proxy's clients are limited even though the proxy is on loopback.
    assert.ok((await limitedOf(server, 6, { xff: '203.0.113.7' })) >= 1, 'no 429 for a forwarded client');
    // A client on the proxy's host, forwarded as loopback: the loopback rule applies.
    assert.equal(await limitedOf(server, 6, { xff: '127.0.0.9' }), 0);
    // A malformed header: the proxy's own address is limited, and it is logged.
    assert.ok((await limitedOf(server, 6, { from: '127.0.0.2', xff: 'not-an-address' })) >= 1, 'a malformed header escaped the limit');
    assert.ok(server.logs.some((l) => /X-Forwarded-For malformed/.test(l) && /proxy=127\.0\.0\.2/.test(l)), server.logs.slice(-5).join('\n'));
    // ...which is not the forwarded client's bucket: 203.0.113.8 through the same proxy is served.
    assert.equal(await get(server, { from: '127.0.0.2', xff: '203.0.113.8' }), 200);
  } finally {
    await server.cleanup();
  }
});

// A new WebSocket connection's join: 'ack' or the refusal's code.
async function joinFrom(server, { from = '127.0.0.1', xff } = {}) {
  const headers = xff === undefined ? {} : { 'x-forwarded-for': xff };
  const c = await Client.open(server, { wsOptions: { headers, localAddress: from } });
  const r = await c.request({ type: 'join', room: 'tp', role: 'observer', name: 'Someone' });
  await c.close();
  return r.type === 'ack' ? 'ack' : `${r.code}: ${r.message}`;
}

test('the join bucket behind a trusted proxy is the forwarded client\'s; the connection cap spares the proxy', { timeout: 30000 }, async () => {
  const server = await startServer({
    config: {
      limit_loopback: true,
      trusted_proxies: ['127.0.0.1'],
      max_conns_per_addr: 2,
      ws_limits: { join_per_address: { per_s: 1, burst: 2 } },
    },
  });
  try {
    await createRoom(server, 'tp', { public_observers: true });
    const limited = /^rate_limited: too many join from this address/;
    const a = [];
    for (let i = 0; i < 3; i++) a.push(await joinFrom(server, { xff: '203.0.113.1' }));
    assert.deepEqual(a.slice(0, 2), ['ack', 'ack']);
    assert.match(a[2], limited);
    assert.equal(await joinFrom(server, { xff: '203.0.113.2' }), 'ack');
    assert.match(await joinFrom(server, { xff: '198.51.100.1, 203.0.113.1' }), limited);
    // An untrusted peer: its own bucket, whatever it forwards.
    const b = [];
    for (let i = 0; i < 3; i++) b.push(await joinFrom(server, { from: '127.0.0.2', xff: `192.0.2.${i + 1}` }));
    assert.match(b[2], limited);
    // Connections: an untrusted peer is capped at 2, the trusted proxy is not.
    const open = async (from) => {
      try {
        return await Client.open(server, { wsOptions: { localAddress: from } });
      } catch {
        return null;
      }
    };
    const held = [];
    for (let i = 0; i < 3; i++) held.push(await open('127.0.0.3'));
    assert.ok(held[0] && held[1], 'two connections from an untrusted peer');
    assert.equal(held[2], null, 'the third from the same untrusted peer is refused');
    const proxied = [];
    for (let i = 0; i < 4; i++) proxied.push(await open('127.0.0.1'));
    assert.ok(proxied.every(Boolean), 'the trusted proxy holds more than the cap');
    for (const c of [...held, ...proxied]) if (c) await c.close();
  } finally {
    await server.cleanup();
  }
});

test('trusted_proxies must be addresses or prefixes', { timeout: 20000 }, async () => {
  for (const bad of [['10.0.0.1/8'], ['example.org'], '127.0.0.1', [7]]) {
    await assert.rejects(startServer({ config: { trusted_proxies: bad } }), /trusted_proxies/, JSON.stringify(bad));
  }
});
