// The integration harness: starts the real plenaryd on a free loopback port with a
// fresh data directory, and talks to it over HTTP and WebSocket like any client would.
// Every integration and browser test builds on this.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as pathJoin } from 'node:path';
import WebSocket from 'ws';

export const PLENARYD = process.env.PLENARYD || pathJoin(process.cwd(), 'build', 'plenaryd');
export const SOURCE_DIR = process.env.PLENARY_SOURCE_DIR || process.cwd();
export const SECRET = 'integration-test-secret-0123456789abcdef';
export const ADMIN = 'integration-admin-token';

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Starts plenaryd. opts: { config (object, written to a file), args, env, dataDir, grace,
// tls (true when args or config give plenaryd a certificate: url and wsUrl are then https
// and wss, and readiness is the "listening" line alone, since fetch cannot be told the
// test's CA) }.
export async function startServer(opts = {}) {
  const dataDir = opts.dataDir || mkdtempSync(pathJoin(tmpdir(), 'plenary-it-'));
  // Media binds to every interface unless told otherwise (--media-bind); the tests keep it
  // on loopback, as the listen address, so the answers' candidates are 127.0.0.1. A test's
  // own --media-bind in opts.args comes later and wins.
  const args = ['--listen', '127.0.0.1:0', '--data', dataDir, '--media-port', '0'];
  if (!(opts.config && 'media_bind' in opts.config)) args.push('--media-bind', '127.0.0.1');
  if (opts.config) {
    const path = pathJoin(dataDir, '..', `plenary-config-${process.pid}-${Date.now()}.json`);
    writeFileSync(path, JSON.stringify(opts.config));
    args.push('--config', path);
  }
  if (opts.grace !== undefined) args.push('--grace', String(opts.grace));
  args.push(...(opts.args || []));
  const env = {
    ...process.env,
    PLENARY_TOKEN_SECRET: SECRET,
    PLENARY_ADMIN_TOKEN: ADMIN,
    ...(opts.env || {}),
  };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  const proc = spawn(PLENARYD, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const server = {
    proc,
    dataDir,
    logs: [],
    port: 0,
    exited: null,
    get url() {
      return `${opts.tls ? 'https' : 'http'}://127.0.0.1:${this.port}`;
    },
    get wsUrl() {
      return `${opts.tls ? 'wss' : 'ws'}://127.0.0.1:${this.port}/ws`;
    },
  };
  server.exitPromise = new Promise((resolve) => {
    proc.on('exit', (code, signal) => {
      server.exited = { code, signal };
      resolve(server.exited);
    });
  });
  let buffered = '';
  const portFound = new Promise((resolve, reject) => {
    const onData = (chunk) => {
      buffered += chunk.toString();
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        server.logs.push(line);
        if (process.env.PLENARY_TEST_VERBOSE) process.stderr.write(`[plenaryd] ${line}\n`);
        const m = /msg="listening" addr=[^ ]*:(\d+)/.exec(line);
        if (m) resolve(Number(m[1]));
      }
    };
    proc.stderr.on('data', onData);
    proc.stdout.on('data', (c) => server.logs.push(...c.toString().split('\n')));
    server.exitPromise.then((e) =>
      reject(new Error(`plenaryd exited early (${JSON.stringify(e)}):\n${server.logs.join('\n')}`)),
    );
  });
  server.port = await portFound;
  for (let i = 0; i < 100 && !opts.tls; i++) {
    try {
      const r = await fetch(`${server.url}/healthz`);
      if (r.status === 200) break;
    } catch {
      /* not yet */
    }
    await sleep(50);
  }
  server.stop = async (signal = 'SIGTERM') => {
    if (!server.exited) {
      proc.kill(signal);
      await server.exitPromise;
    }
    return server.exited;
  };
  // A server that crashed, or that a sanitizer complained about, fails the test that
  // started it, even if every request it answered looked right.
  server.cleanup = async () => {
    const exit = await server.stop();
    if (!opts.dataDir && !opts.keepData) rmSync(dataDir, { recursive: true, force: true });
    const bad = server.logs.filter((l) => /runtime error:|ERROR: (Address|Leak|Undefined)Sanitizer|SUMMARY: /.test(l));
    if (bad.length || (exit && exit.code !== 0)) {
      throw new Error(`plenaryd ended badly (${JSON.stringify(exit)}):\n${bad.concat(server.logs.slice(-20)).join('\n')}`);
    }
  };
  return server;
}

// Mints a token with `plenaryd token` (the CLI of PROTOCOL.md).
// plenaryd under libfaketime (Debian's faketime): its wall clock is read from a file that
// server.setClock('+2h') moves on, so a token expires without waiting; the monotonic clock
// (timers) is left alone. Fails when faketime is not installed (scripts/install-deps.sh test).
export const FAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1';

export async function startServerWithClock(opts = {}) {
  if (!existsSync(FAKETIME))
    throw new Error(`${FAKETIME} is missing (apt-get install faketime; scripts/install-deps.sh test)`);
  const dir = mkdtempSync(pathJoin(tmpdir(), 'plenary-faketime-'));
  const clock = pathJoin(dir, 'clock');
  writeFileSync(clock, '+0\n');
  const asan = process.env.ASAN_OPTIONS ? `${process.env.ASAN_OPTIONS}:` : '';
  const server = await startServer({
    ...opts,
    env: {
      LD_PRELOAD: FAKETIME,
      FAKETIME_TIMESTAMP_FILE: clock,
      FAKETIME_NO_CACHE: '1',
      FAKETIME_DONT_FAKE_MONOTONIC: '1',
      // Under AddressSanitizer the preloaded library comes before the ASan runtime.
      ASAN_OPTIONS: `${asan}verify_asan_link_order=0`,
      ...opts.env,
    },
  });
  server.setClock = (when) => writeFileSync(clock, `${when}\n`);
  const cleanup = server.cleanup;
  server.cleanup = async () => {
    await cleanup();
    rmSync(dir, { recursive: true, force: true });
  };
  return server;
}

export function token({ room, role, name, sub, group, ttl, location }, dataDir) {
  const args = ['token', '--room', room, '--role', role, '--name', name];
  if (sub) args.push('--sub', sub);
  if (group) args.push('--group', group);
  if (ttl) args.push('--ttl', String(ttl));
  if (location) args.push('--location', location);
  if (dataDir) args.push('--data', dataDir);
  const r = spawnSync(PLENARYD, args, {
    env: { ...process.env, PLENARY_TOKEN_SECRET: SECRET },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`plenaryd token failed: ${r.stderr}`);
  return r.stdout.trim();
}

export async function http(server, method, path, { body, headers = {}, admin = false } = {}) {
  const h = { ...headers };
  if (admin) h.authorization = `Bearer ${ADMIN}`;
  let payload = body;
  if (body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array)) {
    payload = JSON.stringify(body);
    h['content-type'] = h['content-type'] || 'application/json';
  }
  const r = await fetch(`${server.url}${path}`, { method, headers: h, body: payload });
  const text = await r.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: r.status, headers: r.headers, text, json };
}

export async function createRoom(server, id, extra = {}) {
  const r = await http(server, 'POST', '/api/rooms', {
    admin: true,
    body: { id, title: extra.title || `Room ${id}`, ...extra },
  });
  if (r.status !== 201) throw new Error(`create room ${id}: ${r.status} ${r.text}`);
  return r.json;
}

// A WebSocket client that keeps every message it receives and can wait for one.
export class Client {
  constructor(ws) {
    this.ws = ws;
    this.messages = [];
    this.waiters = [];
    this.nextId = 1;
    this.closed = null;
    ws.on('message', (data, isBinary) => {
      const text = data.toString();
      let msg;
      try {
        msg = JSON.parse(text);
      } catch {
        msg = { type: '__unparseable', text, isBinary };
      }
      this.messages.push(msg);
      this.waiters = this.waiters.filter((w) => {
        if (w.pred(msg)) {
          w.resolve(msg);
          return false;
        }
        return true;
      });
    });
    this.closedPromise = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closed = { code, reason: reason.toString() };
        for (const w of this.waiters) w.reject(new Error(`socket closed ${code} while waiting`));
        this.waiters = [];
        resolve(this.closed);
      });
    });
  }

  // wsOptions: passed to ws (headers, localAddress for the client's source address).
  static async open(server, { protocol = 'plenary.v1', wsOptions } = {}) {
    const ws = new WebSocket(server.wsUrl, protocol ? [protocol] : [], wsOptions);
    const client = new Client(ws);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    return client;
  }

  send(obj) {
    this.ws.send(typeof obj === 'string' ? obj : JSON.stringify(obj));
  }

  // Waits for a message matching pred (looking at those already received first, from
  // index `from`).
  next(pred, { timeout = 5000, from = 0 } = {}) {
    for (let i = from; i < this.messages.length; i++)
      if (pred(this.messages[i])) return Promise.resolve(this.messages[i]);
    return new Promise((resolve, reject) => {
      const w = { pred, resolve, reject };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`timed out waiting; got: ${JSON.stringify(this.messages.slice(-5))}`));
      }, timeout);
      w.resolve = (m) => {
        clearTimeout(timer);
        resolve(m);
      };
      w.reject = (e) => {
        clearTimeout(timer);
        reject(e);
      };
      this.waiters.push(w);
    });
  }

  // Sends a command with a fresh id and resolves with its ack or error.
  async request(obj, opts) {
    const id = this.nextId++;
    const from = this.messages.length;
    this.send({ ...obj, id });
    return this.next((m) => (m.type === 'ack' || m.type === 'error') && m.id === id, {
      ...opts,
      from,
    });
  }

  async ok(obj, opts) {
    const r = await this.request(obj, opts);
    if (r.type !== 'ack') throw new Error(`${obj.type} failed: ${JSON.stringify(r)}`);
    return r;
  }

  event(kind, { from = 0, timeout } = {}) {
    return this.next((m) => m.type === 'event' && m.kind === kind, { from, timeout });
  }

  events(kind) {
    return this.messages.filter((m) => m.type === 'event' && (!kind || m.kind === kind));
  }

  close() {
    this.ws.close();
    return this.closedPromise;
  }

  terminate() {
    this.ws.terminate();
    return this.closedPromise;
  }
}

// Opens a connection and joins: with a token for role/name/..., or as an anonymous
// observer when role is observer and anonymous is set.
export async function join(server, room, who = {}) {
  const c = await Client.open(server);
  const msg = { type: 'join', room };
  if (who.anonymous) {
    msg.role = 'observer';
    if (who.name) msg.name = who.name;
  } else {
    msg.token = who.token || token({ room, role: who.role || 'participant', name: who.name || 'Someone', sub: who.sub, group: who.group, location: who.location });
  }
  if (who.resume) msg.resume = who.resume;
  const ack = await c.request(msg);
  if (ack.type !== 'ack') throw new Error(`join failed: ${JSON.stringify(ack)}`);
  c.ack = ack;
  c.token = msg.token;
  return c;
}

// A JWT made here with node:crypto, independently of the server's own code, so token
// checks are tested against the standard rather than against ourselves.
import { createHmac } from 'node:crypto';

export function jwt(claims, { secret = SECRET, alg = 'HS256', header } = {}) {
  const b64 = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
  const head = b64(header || { alg, typ: 'JWT' });
  const body = b64(claims);
  const sig = createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${alg === 'none' ? '' : sig}`;
}

export function nowS() {
  return Math.floor(Date.now() / 1000);
}
