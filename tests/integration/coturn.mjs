// A real coturn (Debian's turnserver binary) for the TURN tests, and a minimal TURN client
// (RFC 5766 Allocate with the long-term credential mechanism of RFC 5389 section 10.2).
//
// startCoturn() writes its own turnserver.conf into a temporary directory and runs it in
// the foreground (no daemon mode, not the system service): listening on 127.0.0.1 only, on
// a port chosen here, relays on 127.0.0.1 in a small port range, use-auth-secret with the
// given static-auth-secret (the TURN REST credentials plenaryd hands out), no TLS, DTLS or
// CLI. coturn refuses loopback peers by default; the tests' plenaryd is on loopback, so
// the relay may reach 127.0.0.1 and no other address. Ready when it answers a STUN Binding
// request; stop() kills it and removes the directory.

import { spawn, spawnSync } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join as pathJoin } from 'node:path';

export const TURNSERVER = process.env.PLENARY_TURNSERVER || '/usr/bin/turnserver';

const MAGIC = 0x2112a442;
const ATTR = {
  USERNAME: 0x0006,
  MESSAGE_INTEGRITY: 0x0008,
  ERROR_CODE: 0x0009,
  REALM: 0x0014,
  NONCE: 0x0015,
  XOR_RELAYED_ADDRESS: 0x0016,
  REQUESTED_TRANSPORT: 0x0019,
  XOR_MAPPED_ADDRESS: 0x0020,
};

// A loopback port free for both UDP and TCP (coturn listens on both).
async function freePort() {
  for (;;) {
    const udp = dgram.createSocket('udp4');
    await new Promise((resolve) => udp.bind(0, '127.0.0.1', resolve));
    const port = udp.address().port;
    const tcp = net.createServer();
    const ok = await new Promise((resolve) => {
      tcp.once('error', () => resolve(false));
      tcp.listen(port, '127.0.0.1', () => resolve(true));
    });
    udp.close();
    if (ok) {
      await new Promise((resolve) => tcp.close(resolve));
      return port;
    }
  }
}

function attribute(type, value) {
  const pad = (4 - (value.length % 4)) % 4;
  const head = Buffer.alloc(4);
  head.writeUInt16BE(type, 0);
  head.writeUInt16BE(value.length, 2);
  return Buffer.concat([head, value, Buffer.alloc(pad)]);
}

// A STUN message; with key, MESSAGE-INTEGRITY (HMAC-SHA1 over the message whose length
// already counts the integrity attribute) is appended.
function message(type, attrs, key) {
  const tid = randomBytes(12);
  let body = Buffer.concat(attrs);
  const head = Buffer.alloc(20);
  head.writeUInt16BE(type, 0);
  head.writeUInt32BE(MAGIC, 4);
  tid.copy(head, 8);
  if (key) {
    head.writeUInt16BE(body.length + 24, 2);
    const mac = createHmac('sha1', key).update(Buffer.concat([head, body])).digest();
    body = Buffer.concat([body, attribute(ATTR.MESSAGE_INTEGRITY, mac)]);
  }
  head.writeUInt16BE(body.length, 2);
  return { tid, buf: Buffer.concat([head, body]) };
}

function parse(buf) {
  const out = { type: buf.readUInt16BE(0), tid: buf.subarray(8, 20), attrs: new Map() };
  for (let off = 20; off + 4 <= buf.length; ) {
    const type = buf.readUInt16BE(off);
    const len = buf.readUInt16BE(off + 2);
    out.attrs.set(type, buf.subarray(off + 4, off + 4 + len));
    off += 4 + len + ((4 - (len % 4)) % 4);
  }
  return out;
}

function xorAddress(v) {
  const port = v.readUInt16BE(2) ^ (MAGIC >>> 16);
  const ip = [0, 1, 2, 3].map((i) => v[4 + i] ^ ((MAGIC >>> (24 - 8 * i)) & 0xff)).join('.');
  return `${ip}:${port}`;
}

// Sends one request from sock and waits for the response with its id.
function transact(sock, port, msg, { timeout = 2000 } = {}) {
  return new Promise((resolve, reject) => {
    const onMessage = (data) => {
      const m = parse(data);
      if (!m.tid.equals(msg.tid)) return;
      clearTimeout(timer);
      sock.off('message', onMessage);
      resolve(m);
    };
    const timer = setTimeout(() => {
      sock.off('message', onMessage);
      reject(new Error('no STUN response'));
    }, timeout);
    sock.on('message', onMessage);
    sock.send(msg.buf, port, '127.0.0.1');
  });
}

// A UDP socket for one exchange (coturn's nonce belongs to the client's address and port).
async function withSocket(fn) {
  const sock = dgram.createSocket('udp4');
  await new Promise((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(0, '127.0.0.1', resolve);
  });
  try {
    return await fn(sock);
  } finally {
    sock.close();
  }
}

// A TURN Allocate (UDP relay) with the long-term credential mechanism: the first request
// draws coturn's 401 with its realm and nonce, the second carries USERNAME, REALM, NONCE
// and MESSAGE-INTEGRITY keyed with MD5(username:realm:password). Resolves with
// {ok: true, relayed: "ip:port"} or {ok: false, code} (coturn's error code).
export function allocate(port, username, password) {
  return withSocket(async (sock) => {
    const transport = attribute(ATTR.REQUESTED_TRANSPORT, Buffer.from([17, 0, 0, 0]));
    const first = await transact(sock, port, message(0x0003, [transport]));
    const realm = first.attrs.get(ATTR.REALM);
    const nonce = first.attrs.get(ATTR.NONCE);
    if (first.type !== 0x0113 || !realm || !nonce)
      throw new Error(`expected a 401 challenge, got type 0x${first.type.toString(16)}`);
    const key = createHash('md5').update(`${username}:${realm.toString()}:${password}`).digest();
    const attrs = [
      attribute(ATTR.USERNAME, Buffer.from(username)),
      attribute(ATTR.REALM, realm),
      attribute(ATTR.NONCE, nonce),
      transport,
    ];
    const r = await transact(sock, port, message(0x0003, attrs, key));
    if (r.type === 0x0103) return { ok: true, relayed: xorAddress(r.attrs.get(ATTR.XOR_RELAYED_ADDRESS)) };
    const err = r.attrs.get(ATTR.ERROR_CODE);
    return { ok: false, code: err ? err[2] * 100 + err[3] : null };
  });
}

// A STUN Binding request: resolves with the mapped address coturn saw.
export function binding(port) {
  return withSocket(async (sock) => {
    const r = await transact(sock, port, message(0x0001, []), { timeout: 500 });
    return r.type === 0x0101 ? xorAddress(r.attrs.get(ATTR.XOR_MAPPED_ADDRESS)) : null;
  });
}

// Starts coturn. Fails (throws) when the binary is missing or it does not come up: a TURN
// test that cannot run coturn has tested nothing.
export async function startCoturn({ secret, realm = 'plenary.test' }) {
  if (spawnSync(TURNSERVER, ['--version']).error)
    throw new Error(`${TURNSERVER} not found: install Debian's coturn (scripts/install-deps.sh test)`);
  const dir = mkdtempSync(pathJoin(tmpdir(), 'plenary-coturn-'));
  const port = await freePort();
  // Relay ports: a small range high above the ephemeral ports the kernel hands out
  // (32768-60999 on Linux); coturn skips any that is taken.
  const minPort = 61000 + Math.floor(Math.random() * 4000);
  const conf = [
    'listening-ip=127.0.0.1',
    'relay-ip=127.0.0.1',
    `listening-port=${port}`,
    `min-port=${minPort}`,
    `max-port=${minPort + 63}`,
    `realm=${realm}`,
    'use-auth-secret',
    `static-auth-secret=${secret}`,
    // Peers: 127.0.0.1 (the tests' plenaryd) and nothing else. coturn refuses loopback
    // peers before it reads any allow list unless allow-loopback-peers is set; the denied
    // ranges then shut out every other address, and allowed-peer-ip wins over them.
    'allow-loopback-peers',
    'denied-peer-ip=0.0.0.0-255.255.255.255',
    'denied-peer-ip=::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
    'allowed-peer-ip=127.0.0.1',
    'fingerprint',
    'no-tls',
    'no-dtls',
    'no-cli',
    'no-rfc5780',
    'no-multicast-peers',
    `userdb=${pathJoin(dir, 'turndb')}`,
    `pidfile=${pathJoin(dir, 'turnserver.pid')}`,
    'log-file=stdout',
    'simple-log',
    'verbose',
  ];
  const confPath = pathJoin(dir, 'turnserver.conf');
  writeFileSync(confPath, `${conf.join('\n')}\n`);
  const proc = spawn(TURNSERVER, ['-c', confPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  const turn = { proc, port, dir, realm, logs: [], exited: null };
  const onData = (chunk) => {
    for (const line of chunk.toString().split('\n')) {
      if (!line) continue;
      turn.logs.push(line);
      if (process.env.PLENARY_TEST_VERBOSE) process.stderr.write(`[coturn] ${line}\n`);
    }
  };
  proc.stdout.on('data', onData);
  proc.stderr.on('data', onData);
  const exitPromise = new Promise((resolve) => {
    proc.on('exit', (code, signal) => resolve((turn.exited = { code, signal })));
    proc.on('error', (e) => resolve((turn.exited = { error: String(e) })));
  });
  turn.stop = async () => {
    if (!turn.exited) {
      proc.kill('SIGTERM');
      const killer = setTimeout(() => proc.kill('SIGKILL'), 3000);
      await exitPromise;
      clearTimeout(killer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 100 && !turn.exited; i++) {
    try {
      if (await binding(port)) return turn;
    } catch {
      /* not listening yet */
    }
  }
  await turn.stop();
  throw new Error(`coturn did not answer on 127.0.0.1:${port}:\n${turn.logs.slice(-30).join('\n')}`);
}

// The TURN REST credential for username, computed here with node:crypto, independently of
// plenaryd's code: base64(HMAC-SHA1(secret, username)).
export function restCredential(secret, username) {
  return createHmac('sha1', secret).update(username).digest('base64');
}
