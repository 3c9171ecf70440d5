// Issue 12: plenaryd's own TLS (--tls-cert, --tls-key, --redirect-http; PROTOCOL.md's
// second version). A test CA and server certificates for a name that is not local
// (plenary.test) are made here with openssl in a temporary folder; clients trust that CA
// alone and ask for that name (SNI), so what passes is a certificate a browser elsewhere
// would accept. Checked: HTTPS with HSTS, TLS 1.1 refused and 1.2/1.3 taken with the
// documented ciphers, a WSS join, the CART POST and an export, the reload on SIGHUP
// (an open connection keeps working, a new one sees the new certificate, a broken
// renewal keeps the old one), start refused on a bad pair before anything listens, and
// the plain-HTTP redirect.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import http from 'node:http';
import tls from 'node:tls';
import { tmpdir } from 'node:os';
import { join as pathJoin } from 'node:path';
import WebSocket from 'ws';
import { startServer, Client, token, sleep, PLENARYD, SECRET } from './harness.mjs';
import { makeCa, makeLeaf } from './testpki.mjs';

const NAME = 'plenary.test';
const ROOM = 'plenary';
const tmp = mkdtempSync(pathJoin(tmpdir(), 'plenary-tls-'));
const live = { cert: pathJoin(tmp, 'live-cert.pem'), key: pathJoin(tmp, 'live-key.pem') };
let ca;
let first;
let server;
let redirectPort;

const leaf = (label, cn) => makeLeaf(ca, label, cn, `DNS:${NAME}`);

function install(pair) {
  copyFileSync(pair.cert, live.cert);
  copyFileSync(pair.key, live.key);
}

// One request on a connection of its own (so each sees the certificate of the moment).
function request(method, path, { body, headers = {}, port = server.port, secure = true } = {}) {
  const mod = secure ? https : http;
  const opts = {
    host: '127.0.0.1', port, path, method, agent: false,
    headers: { host: `${NAME}:${port}`, ...headers },
    ...(secure ? { ca: ca.pem, servername: NAME } : {}),
  };
  return new Promise((resolve, reject) => {
    const req = mod.request(opts, (res) => {
      const cert = secure ? res.socket.getPeerCertificate() : null;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text, cert }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function handshake(opts) {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port: server.port, servername: NAME, ca: ca.pem, ...opts }, () => {
      const r = { protocol: s.getProtocol(), cipher: s.getCipher().name };
      s.end();
      resolve(r);
    });
    s.on('error', reject);
  });
}

async function wss() {
  const ws = new WebSocket(`wss://127.0.0.1:${server.port}/ws`, ['plenary.v1'], { ca: ca.pem, servername: NAME });
  const c = new Client(ws);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return c;
}

async function joinOver(role, name) {
  const c = await wss();
  const tok = token({ room: ROOM, role, name, sub: name.toLowerCase() }, server.dataDir);
  c.ack = await c.ok({ type: 'join', room: ROOM, token: tok });
  return c;
}

// Waits for a log line (the server says when a reload is done); fails if plenaryd exits.
async function logLine(re, from) {
  for (;;) {
    const hit = server.logs.slice(from).find((l) => re.test(l));
    if (hit) return hit;
    assert.equal(server.exited, null, `plenaryd exited:\n${server.logs.join('\n')}`);
    await sleep(20);
  }
}

function sighup() {
  const from = server.logs.length;
  server.proc.kill('SIGHUP');
  return from;
}

before(async () => {
  ca = makeCa(tmp);
  first = leaf('first', NAME);
  install(first);
  server = await startServer({
    tls: true,
    config: { rooms: [{ id: ROOM, title: 'Over TLS' }] },
    args: ['--tls-cert', live.cert, '--tls-key', live.key, '--redirect-http', '127.0.0.1:0'],
  });
  const line = await logLine(/msg="redirecting plain HTTP to HTTPS" addr=127\.0\.0\.1:(\d+)/, 0);
  redirectPort = Number(/addr=127\.0\.0\.1:(\d+)/.exec(line)[1]);
});

after(async () => {
  if (server) await server.cleanup();
  rmSync(tmp, { recursive: true, force: true });
});

test('HTTPS with the test CA: the certificate for plenary.test, HSTS on every response', async () => {
  const health = await request('GET', '/healthz');
  assert.equal(health.status, 200);
  assert.deepEqual(JSON.parse(health.text), { status: 'ok' });
  assert.equal(health.cert.subject.CN, NAME);
  assert.equal(health.cert.serialNumber, first.serial);
  for (const path of ['/healthz', '/', '/no-such-file', '/api/rooms']) {
    const r = await request('GET', path);
    assert.equal(r.headers['strict-transport-security'], 'max-age=31536000', `${path} (${r.status})`);
  }
  // Not trusting the CA, a client refuses it: the certificate is what is checked.
  await assert.rejects(
    new Promise((resolve, reject) => {
      https.get({ host: '127.0.0.1', port: server.port, servername: NAME, agent: false, path: '/healthz' }, resolve).on('error', reject);
    }),
    /self[- ]signed|unable to (get|verify)/i,
  );
});

test('TLS 1.1 is refused; 1.2 (ECDHE with AEAD) and 1.3 are accepted', async () => {
  // This client can speak TLS 1.1 (security level 0 lets OpenSSL 3 offer it): shown on a
  // node server that accepts 1.1, so plenaryd's refusal below is plenaryd's.
  const old = { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' };
  const probe = tls.createServer({ cert: readFileSync(first.cert), key: readFileSync(first.key), ...old });
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const okOld = await new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port: probe.address().port, servername: NAME, ca: ca.pem, ...old }, () => {
      resolve(s.getProtocol());
      s.end();
    });
    s.on('error', reject);
  });
  await new Promise((resolve) => probe.close(resolve));
  assert.equal(okOld, 'TLSv1.1');
  await assert.rejects(handshake(old), /protocol version|unsupported protocol|alert/i);

  const v12 = await handshake({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
  assert.equal(v12.protocol, 'TLSv1.2');
  assert.match(v12.cipher, /^ECDHE-(ECDSA|RSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$/);
  // A TLS 1.2 suite without forward secrecy or AEAD is not on the list.
  await assert.rejects(handshake({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', ciphers: 'AES128-SHA:ECDHE-ECDSA-AES128-SHA' }));
  const v13 = await handshake({ minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' });
  assert.equal(v13.protocol, 'TLSv1.3');
});

test('WSS join, the CART POST and an export over HTTPS', async () => {
  const chair = await joinOver('chair', 'Chair');
  assert.equal(chair.ack.type, 'ack');
  await chair.ok({ type: 'session.start', title: 'Secure plenary' });
  const cart = token({ room: ROOM, role: 'captioner', name: 'CART', sub: 'cart' }, server.dataDir);
  const post = await request('POST', `/api/rooms/${ROOM}/caption?token=${encodeURIComponent(cart)}&seq=1&lang=en`, {
    body: 'Captions arrive over HTTPS.',
    headers: { 'content-type': 'text/plain; charset=utf-8' },
  });
  assert.equal(post.status, 200, post.text);
  assert.deepEqual(JSON.parse(post.text), { duplicate: false });
  assert.equal(post.headers['strict-transport-security'], 'max-age=31536000');
  await chair.event('caption');
  const record = await request('GET', `/api/rooms/${ROOM}/record.txt`);
  assert.equal(record.status, 200);
  assert.match(record.text, /Captions arrive over HTTPS\./);
  const json = await request('GET', `/api/rooms/${ROOM}/record.json`);
  assert.equal(json.status, 200);
  assert.ok(JSON.parse(json.text));
  await chair.close();
});

test('SIGHUP: a renewed certificate is used by new connections, open ones keep working', async () => {
  const held = await joinOver('participant', 'Held');
  const renewed = leaf('renewed', 'plenary renewed');
  assert.notEqual(renewed.serial, first.serial);
  install(renewed);
  const from = sighup();
  const line = await logLine(/TLS certificate reloaded|TLS certificate not reloaded/, from);
  assert.match(line, /msg="TLS certificate reloaded" subject="\/CN=plenary renewed"/);
  const pong = await held.request({ type: 'ping' });
  assert.equal(pong.type, 'ack', JSON.stringify(pong));
  const after = await request('GET', '/healthz');
  assert.equal(after.status, 200);
  assert.equal(after.cert.serialNumber, renewed.serial);
  assert.equal(after.cert.subject.CN, 'plenary renewed');
  const second = await joinOver('participant', 'Later');
  await second.close();

  // A broken renewal (the new certificate with another key): the old pair stays.
  const third = leaf('third', 'plenary third');
  copyFileSync(third.cert, live.cert);
  copyFileSync(first.key, live.key);
  const from2 = sighup();
  const bad = await logLine(/TLS certificate reloaded|TLS certificate not reloaded/, from2);
  assert.match(bad, /level=error msg="TLS certificate not reloaded, the old one stays" error=".*does not match/);
  const still = await request('GET', '/healthz');
  assert.equal(still.status, 200);
  assert.equal(still.cert.serialNumber, renewed.serial);
  assert.equal((await held.request({ type: 'ping' })).type, 'ack');
  // A renewal half-written (an empty key file) is refused the same way.
  writeFileSync(live.key, '');
  const from3 = sighup();
  assert.match(await logLine(/TLS certificate (not )?reloaded/, from3), /not reloaded.*no unencrypted PEM private key/);
  assert.equal((await request('GET', '/healthz')).cert.serialNumber, renewed.serial);
  install(renewed);
  await held.close();
});

test('--redirect-http answers 301 to the HTTPS address, and nothing else', async () => {
  const r = await request('GET', '/api/rooms/plenary/record.txt?lang=en', { port: redirectPort, secure: false });
  assert.equal(r.status, 301);
  assert.equal(r.headers.location, `https://${NAME}:${server.port}/api/rooms/plenary/record.txt?lang=en`);
  assert.equal(r.headers['strict-transport-security'], undefined);
  assert.equal(r.text, '');
  const root = await request('GET', '/', { port: redirectPort, secure: false, headers: { host: NAME } });
  assert.equal(root.headers.location, `https://${NAME}:${server.port}/`);
  const post = await request('POST', '/api/rooms', { port: redirectPort, secure: false, body: '{}' });
  assert.equal(post.status, 301);
  // No WebSocket on the plain port.
  const ws = new WebSocket(`ws://127.0.0.1:${redirectPort}/ws`, ['plenary.v1']);
  await assert.rejects(
    new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    }),
  );
  // And the HTTPS port does not speak plain HTTP.
  await assert.rejects(request('GET', '/healthz', { secure: false }));
});

// Runs plenaryd with a bad TLS configuration: it must exit non-zero at once, say why, and
// never have listened.
function refused(args, { asNobody = false } = {}) {
  const data = mkdtempSync(pathJoin(tmp, 'data-'));
  let cmd = PLENARYD;
  let argv = ['--listen', '127.0.0.1:0', '--data', data, '--media-port', '0', ...args];
  if (asNobody) {
    argv = ['--reuid=nobody', '--regid=nogroup', '--clear-groups', '--', cmd, ...argv];
    cmd = 'setpriv';
  }
  const r = spawnSync(cmd, argv, { encoding: 'utf8', env: { ...process.env, PLENARY_TOKEN_SECRET: SECRET }, timeout: 20000 });
  assert.notEqual(r.status, 0, `plenaryd ${args.join(' ')} started:\n${r.stderr}`);
  assert.equal(r.signal, null, `plenaryd ${args.join(' ')} was killed (${r.signal}):\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /msg="listening"/);
  return r.stderr;
}

test('a missing, unreadable, mismatched or lone certificate or key stops plenaryd at start', () => {
  const missing = pathJoin(tmp, 'no-such-key.pem');
  assert.match(refused(['--tls-cert', first.cert, '--tls-key', missing]),
    new RegExp(`TLS key ${missing}: No such file or directory`));
  assert.match(refused(['--tls-cert', first.cert, '--tls-key', pathJoin(tmp, 'third-key.pem')]),
    /TLS key .*third-key\.pem does not match the certificate .*first-cert\.pem/);
  assert.match(refused(['--tls-cert', first.key, '--tls-key', first.key]), /TLS certificate .*: no PEM certificate in it/);
  assert.match(refused(['--tls-cert', first.cert]), /--tls-cert and --tls-key \(tls_cert, tls_key\) go together: the key is missing/);
  assert.match(refused(['--tls-key', first.key]), /go together: the certificate is missing/);
  assert.match(refused(['--redirect-http', '127.0.0.1:0']), /--redirect-http \(redirect_http\) redirects to HTTPS: it needs --tls-cert/);
  // The configuration file's keys are checked the same way.
  const cfg = pathJoin(tmp, 'only-cert.json');
  writeFileSync(cfg, JSON.stringify({ tls_cert: first.cert }));
  assert.match(refused(['--config', cfg]), /go together: the key is missing/);
  // Unreadable: a key the server's user may not read (root reads anything, so the server
  // runs as nobody here; the key is root's, mode 0600).
  const secret = pathJoin(tmp, 'root-only-key.pem');
  copyFileSync(first.key, secret);
  chmodSync(secret, 0o600);
  chmodSync(tmp, 0o755);
  const readableCert = pathJoin(tmp, 'world-cert.pem');
  copyFileSync(first.cert, readableCert);
  chmodSync(readableCert, 0o644);
  const asNobody = process.getuid() === 0;
  if (!asNobody) chmodSync(secret, 0o000);
  assert.match(refused(['--tls-cert', readableCert, '--tls-key', secret], { asNobody }),
    new RegExp(`TLS key ${secret}: Permission denied`));
});
