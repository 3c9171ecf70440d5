// Issue 13, the HTTP limits (docs/protocol.md "Limits"): a body over the limit is 413,
// announced or streamed; too many API requests from one address are 429 with Retry-After;
// one address holds at most max_conns_per_addr connections; a client that sends half its
// headers, or trickles a body, is closed. Each server is configured with tiny limits so
// the test is quick; the defaults are far above what a real plenary sees.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import WebSocket from 'ws';
import { startServer, http, sleep } from './harness.mjs';

// A raw connection: what it received, and that it was closed.
function connect(server) {
  return new Promise((resolve, reject) => {
    const s = net.connect(server.port, '127.0.0.1');
    const conn = { s, data: '', closed: null };
    conn.closed = new Promise((res) => s.on('close', () => res(conn.data)));
    s.on('data', (d) => (conn.data += d.toString('latin1')));
    s.on('error', () => {}); // a reset is a close too
    s.once('connect', () => resolve(conn));
    s.once('error', reject);
  });
}

// Resolves once a whole response's headers have arrived (or the connection ended).
function response(conn) {
  return new Promise((resolve) => {
    const check = () => {
      if (conn.data.includes('\r\n\r\n') || conn.s.destroyed) resolve(conn.data);
      else setTimeout(check, 20);
    };
    check();
  });
}

function status(raw) {
  const m = /^HTTP\/1\.1 (\d{3})/.exec(raw);
  return m ? Number(m[1]) : 0;
}

function jsonBody(raw) {
  const body = raw.slice(raw.indexOf('\r\n\r\n') + 4);
  return JSON.parse(body.slice(body.indexOf('{'), body.lastIndexOf('}') + 1));
}

test('a body announced over the limit is 413 before it is sent', { timeout: 20000 }, async () => {
  const server = await startServer(); // the default limit, 64 KiB
  try {
    const c = await connect(server);
    c.s.write(
      'POST /api/rooms HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
        'Content-Length: 10485760\r\n\r\n',
    );
    const raw = await c.closed; // answered and closed with none of the body sent
    assert.equal(status(raw), 413, raw);
    const err = jsonBody(raw);
    assert.equal(err.code, 'too_large');
    assert.match(err.message, /64 KiB/);
  } finally {
    await server.cleanup();
  }
});

test('a chunked body that grows over the limit is 413 when it does', { timeout: 20000 }, async () => {
  const server = await startServer({ config: { http_body_max_kb: 1, limit_loopback: true } });
  try {
    const c = await connect(server);
    c.s.write('POST /api/rooms HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
    for (let i = 0; i < 3; i++) c.s.write(`200\r\n${'x'.repeat(512)}\r\n`); // 1.5 KiB, no end
    const raw = await response(c);
    assert.equal(status(raw), 413, raw);
    await c.closed;
    assert.equal(jsonBody(c.data).code, 'too_large');
    // Under the limit, the same route still reads its body (and wants the admin token).
    const ok = await http(server, 'POST', '/api/rooms', { body: { id: 'small' } });
    assert.equal(ok.status, 401);
  } finally {
    await server.cleanup();
  }
});

test('a burst of API requests from one address is 429 with Retry-After, then served again', { timeout: 20000 }, async () => {
  const server = await startServer({ config: { http_rate_per_s: 1, http_rate_burst: 3, limit_loopback: true } });
  try {
    let limited;
    for (let i = 0; i < 5 && !limited; i++) {
      const r = await http(server, 'GET', '/api/rooms');
      if (r.status === 429) limited = r;
      else assert.equal(r.status, 200);
    }
    assert.ok(limited, 'no 429 within burst + 2 requests');
    assert.equal(limited.json.code, 'rate_limited');
    assert.equal(typeof limited.json.message, 'string');
    const after = Number(limited.headers.get('retry-after'));
    assert.ok(Number.isInteger(after) && after >= 1, `retry-after ${after}`);
    const metrics = await http(server, 'GET', '/metrics');
    assert.equal(metrics.status, 429); // /metrics counts too
    // The web client's files are not counted.
    assert.notEqual((await http(server, 'GET', '/')).status, 429);
    await sleep(after * 1000);
    assert.equal((await http(server, 'GET', '/api/rooms')).status, 200);
  } finally {
    await server.cleanup();
  }
});

test('one address holds at most max_conns_per_addr connections, WebSocket included', { timeout: 20000 }, async () => {
  const cap = 4;
  const server = await startServer({ config: { max_conns_per_addr: cap, limit_loopback: true } });
  const open = [];
  try {
    const ws = new WebSocket(server.wsUrl);
    await new Promise((res, rej) => {
      ws.once('open', res);
      ws.once('error', rej);
    });
    // The harness's readiness fetch may still hold a keep-alive connection: one of `cap`.
    let refused = null;
    for (let i = 0; i < cap && !refused; i++) {
      const c = await connect(server);
      c.s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      const raw = await response(c);
      if (status(raw) === 200) open.push(c);
      else refused = raw;
    }
    assert.equal(refused, '', 'the connection over the cap is closed with nothing sent');
    assert.ok(open.length >= cap - 2, `only ${open.length} accepted`);
    // One closed frees its place.
    ws.close();
    let served = false;
    for (let i = 0; i < 100 && !served; i++) {
      const c = await connect(server);
      c.s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      served = status(await response(c)) === 200;
      if (served) open.push(c);
      else await sleep(50);
    }
    assert.ok(served, 'a place freed was not given back');
  } finally {
    for (const c of open) c.s.destroy();
    await server.cleanup();
  }
});

test('a client that sends half its headers is closed', { timeout: 20000 }, async () => {
  const server = await startServer({ config: { http_header_timeout_s: 1 } });
  try {
    const c = await connect(server);
    c.s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    // Another header line now and then does not keep it open.
    const drip = setInterval(() => c.s.writable && c.s.write('X-Slow: 1\r\n'), 300);
    const raw = await c.closed;
    clearInterval(drip);
    assert.equal(status(raw), 0, raw);
  } finally {
    await server.cleanup();
  }
});

test('a body trickled under http_body_min_rate is closed', { timeout: 20000 }, async () => {
  const server = await startServer({
    config: { http_header_timeout_s: 1, http_body_min_rate: 1000 },
  });
  try {
    const c = await connect(server);
    c.s.write(
      'POST /api/rooms HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
        'Content-Length: 5000\r\n\r\n',
    );
    const drip = setInterval(() => c.s.writable && c.s.write('          '), 200);
    const raw = await c.closed;
    clearInterval(drip);
    assert.equal(status(raw), 0, raw);
    assert.match((await http(server, 'GET', '/metrics')).text, /plenary_http_slow_bodies_closed_total 1/);
  } finally {
    await server.cleanup();
  }
});
