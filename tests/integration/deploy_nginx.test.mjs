// Issue 12: the nginx site of docs/deploy.md (route A) works as written. The block between
// <!-- nginx-begin --> and <!-- nginx-end --> is taken from the guide, its certificate
// paths and ports replaced (each replacement must match, so the guide and this test
// cannot drift apart), and Debian's nginx runs it -- with its own prefix, pid file and
// logs in a temporary directory, never the system's nginx -- in front of a real plenaryd,
// with a certificate made here with openssl. Through it: the web client over HTTPS, the
// redirect from HTTP, and a WSS join that gets its ack.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join as pathJoin } from 'node:path';
import WebSocket from 'ws';
import { startServer, Client, token, sleep, SOURCE_DIR } from './harness.mjs';

const tmp = mkdtempSync(pathJoin(tmpdir(), 'plenary-nginx-'));
const certFile = pathJoin(tmp, 'cert.pem');
const keyFile = pathJoin(tmp, 'key.pem');
let server;
let nginx;
let nginxExit;
let httpsPort;
let httpPort;
let ca;

// The site exactly as the guide prints it.
function siteFromGuide() {
  const text = readFileSync(pathJoin(SOURCE_DIR, 'docs', 'deploy.md'), 'utf8');
  const m = /<!-- nginx-begin -->\n```nginx\n([\s\S]*?)```\n<!-- nginx-end -->/.exec(text);
  assert.ok(m, 'docs/deploy.md has no ```nginx block between <!-- nginx-begin --> and <!-- nginx-end -->');
  return m[1];
}

function replaceAll(text, from, to) {
  assert.ok(text.includes(from), `the guide's nginx site no longer contains "${from}"`);
  return text.split(from).join(to);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function nginxBinary() {
  for (const p of ['/usr/sbin/nginx', '/usr/bin/nginx']) if (existsSync(p)) return p;
  const r = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' });
  assert.equal(r.status, 0, "nginx is not installed (scripts/install-deps.sh test installs Debian's)");
  return r.stdout.trim();
}

function makeCertificate() {
  const r = spawnSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=meeting.example.org',
    '-addext', 'subjectAltName=DNS:meeting.example.org,IP:127.0.0.1',
  ], { encoding: 'utf8' });
  assert.equal(r.status, 0, `openssl req failed: ${r.stderr}`);
  return readFileSync(certFile);
}

// nginx.conf around the guide's site, as Debian's /etc/nginx/nginx.conf includes sites in
// its http block; one process (no master to drop privileges), everything in tmp.
function nginxConf(site) {
  return [
    'daemon off;',
    'master_process off;',
    'worker_processes 1;',
    `pid ${tmp}/nginx.pid;`,
    `error_log ${tmp}/error.log info;`,
    'events { worker_connections 256; }',
    'http {',
    `  access_log ${tmp}/access.log;`,
    `  client_body_temp_path ${tmp}/body;`,
    `  proxy_temp_path ${tmp}/proxy;`,
    `  fastcgi_temp_path ${tmp}/fastcgi;`,
    `  uwsgi_temp_path ${tmp}/uwsgi;`,
    `  scgi_temp_path ${tmp}/scgi;`,
    site,
    '}',
    '',
  ].join('\n');
}

function get(mod, port, path, opts = {}) {
  return new Promise((resolve, reject) => {
    const req = mod.get({ host: '127.0.0.1', port, path, ...opts }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('error', reject);
  });
}

// Ready when nginx accepts a TLS handshake on its port; fails as soon as nginx exits.
async function waitForNginx() {
  for (;;) {
    if (nginxExit) {
      const log = existsSync(`${tmp}/error.log`) ? readFileSync(`${tmp}/error.log`, 'utf8') : '';
      throw new Error(`nginx exited (${JSON.stringify(nginxExit)}):\n${log}`);
    }
    try {
      await get(https, httpsPort, '/healthz', { ca });
      return;
    } catch {
      await sleep(50);
    }
  }
}

before(async () => {
  const bin = nginxBinary();
  ca = makeCertificate();
  // trusted_proxies as docs/deploy.md says to set it behind nginx.
  server = await startServer({ config: { rooms: [{ id: 'plenary', title: 'Through nginx' }], trusted_proxies: ['127.0.0.1', '::1'] } });
  httpsPort = await freePort();
  httpPort = await freePort();
  let site = siteFromGuide();
  site = replaceAll(site, '/etc/letsencrypt/live/meeting.example.org/fullchain.pem', certFile);
  site = replaceAll(site, '/etc/letsencrypt/live/meeting.example.org/privkey.pem', keyFile);
  site = replaceAll(site, 'http://127.0.0.1:8080', `http://127.0.0.1:${server.port}`);
  site = replaceAll(site, '    listen [::]:80;\n', '');
  site = replaceAll(site, '    listen [::]:443 ssl http2;\n', '');
  site = replaceAll(site, 'listen 80;', `listen 127.0.0.1:${httpPort};`);
  site = replaceAll(site, 'listen 443 ssl http2;', `listen 127.0.0.1:${httpsPort} ssl http2;`);
  assert.doesNotMatch(site, /8080|letsencrypt/);
  writeFileSync(pathJoin(tmp, 'nginx.conf'), nginxConf(site));
  const args = ['-p', tmp, '-c', pathJoin(tmp, 'nginx.conf'), '-e', pathJoin(tmp, 'error.log')];
  const check = spawnSync(bin, ['-t', ...args], { encoding: 'utf8' });
  assert.equal(check.status, 0, `nginx -t refuses the guide's site:\n${check.stderr}`);
  nginx = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  nginx.on('exit', (code, signal) => (nginxExit = { code, signal }));
  await waitForNginx();
});

after(async () => {
  if (nginx && !nginxExit) {
    const gone = new Promise((resolve) => nginx.once('exit', resolve));
    nginx.kill('SIGQUIT');
    await gone;
  }
  if (server) await server.cleanup();
  rmSync(tmp, { recursive: true, force: true });
});

test('https serves the web client and /healthz through nginx, with the certificate', async () => {
  const page = await get(https, httpsPort, '/', { ca });
  assert.equal(page.status, 200);
  assert.match(page.headers['content-type'], /^text\/html/);
  assert.equal(page.body, readFileSync(pathJoin(SOURCE_DIR, 'web-client', 'index.html'), 'utf8'));
  const health = await get(https, httpsPort, '/healthz', { ca });
  assert.equal(health.status, 200);
  assert.deepEqual(JSON.parse(health.body), { status: 'ok' });
});

test('plain http redirects to https', async () => {
  const r = await get(http, httpPort, '/api/rooms?x=1', { headers: { host: 'meeting.example.org' } });
  assert.equal(r.status, 301);
  assert.equal(r.headers.location, 'https://meeting.example.org/api/rooms?x=1');
});

test('a WSS join through nginx gets its ack, and events flow both ways', async () => {
  const ws = new WebSocket(`wss://127.0.0.1:${httpsPort}/ws`, ['plenary.v1'], { ca });
  const chair = new Client(ws);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  assert.equal(ws.protocol, 'plenary.v1');
  const tok = token({ room: 'plenary', role: 'chair', name: 'Chair', sub: 'chair' });
  const ack = await chair.request({ type: 'join', room: 'plenary', token: tok });
  assert.equal(ack.type, 'ack', JSON.stringify(ack));
  assert.equal(ack.you.role, 'chair');
  const started = await chair.request({ type: 'session.start', title: 'Behind nginx' });
  assert.equal(started.type, 'ack', JSON.stringify(started));
  const ev = await chair.event('session.started');
  assert.equal(ev.data.title, 'Behind nginx');
  await chair.close();
});
