// Issue 12: `make install` (CMake's install rules) and what it installs. The build is
// installed into a temporary prefix, and the INSTALLED plenaryd -- not the build's -- is
// started from there with the installed example configuration: it must serve the
// installed web client (a marker file exists only in that copy), answer /healthz and let
// a client join over WebSocket. The systemd unit is checked by systemd-analyze, and a
// second install with DESTDIR checks that staging works and never overwrites a config.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as pathJoin } from 'node:path';
import { Client, http, SECRET, SOURCE_DIR } from './harness.mjs';

const BUILD_DIR = process.env.PLENARY_BUILD_DIR;
const tmp = mkdtempSync(pathJoin(tmpdir(), 'plenary-deploy-'));
const prefix = pathJoin(tmp, 'usr');
const installed = pathJoin(prefix, 'bin', 'plenaryd');
const webRoot = pathJoin(prefix, 'share', 'plenary', 'web-client');
const unit = pathJoin(prefix, 'lib', 'systemd', 'system', 'plenaryd.service');
const config = pathJoin(prefix, 'etc', 'plenary', 'plenary.json');
const marker = `installed-${process.pid}.txt`;
let server;

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  return r;
}

function install(args, env = {}) {
  const r = run('cmake', ['--install', BUILD_DIR, ...args], { env: { ...process.env, ...env } });
  assert.equal(r.status, 0, `cmake --install ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

// The installed plenaryd on a free loopback port, its state in tmp; resolves once it has
// said where it listens (the harness's way), with every log line kept.
async function startInstalled() {
  const state = pathJoin(tmp, 'state');
  const args = ['--config', config, '--listen', '127.0.0.1:0', '--data', state, '--media-port', '0'];
  const env = { ...process.env, PLENARY_TOKEN_SECRET: SECRET };
  delete env.PLENARY_ADMIN_TOKEN;
  const proc = spawn(installed, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const s = { proc, logs: [], port: 0, state };
  s.exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  s.port = await new Promise((resolve, reject) => {
    let buf = '';
    proc.stderr.on('data', (chunk) => {
      buf += chunk.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        s.logs.push(line);
        const m = /msg="listening" addr=[^ ]*:(\d+)/.exec(line);
        if (m) resolve(Number(m[1]));
      }
    });
    s.exited.then((e) => reject(new Error(`installed plenaryd exited (${JSON.stringify(e)}):\n${s.logs.join('\n')}`)));
  });
  s.url = `http://127.0.0.1:${s.port}`;
  s.wsUrl = `ws://127.0.0.1:${s.port}/ws`;
  return s;
}

before(async () => {
  assert.ok(BUILD_DIR, 'PLENARY_BUILD_DIR is not set (run through ctest)');
  install(['--prefix', prefix]);
  writeFileSync(pathJoin(webRoot, marker), 'the installed copy\n');
  server = await startInstalled();
});

after(async () => {
  if (server) {
    server.proc.kill('SIGTERM');
    const exit = await server.exited;
    const bad = server.logs.filter((l) => /runtime error:|Sanitizer|SUMMARY: /.test(l));
    rmSync(tmp, { recursive: true, force: true });
    assert.deepEqual(exit, { code: 0, signal: null }, server.logs.slice(-20).join('\n'));
    assert.deepEqual(bad, []);
  } else {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('make install lays out bin, the web client, the unit, the example config and the guide', () => {
  for (const p of [
    installed,
    pathJoin(webRoot, 'index.html'),
    pathJoin(webRoot, 'app.js'),
    pathJoin(prefix, 'share', 'plenary', 'plenary.example.json'),
    pathJoin(prefix, 'share', 'doc', 'plenary', 'deploy.md'),
    unit,
    config,
  ])
    assert.ok(existsSync(p), `${p} is not installed`);
  assert.ok(!existsSync(pathJoin(webRoot, 'README.md')), 'the web client README is not served');
  assert.ok(!existsSync(pathJoin(SOURCE_DIR, 'web-client', marker)));
});

test('the installed plenaryd serves the installed web client, not the source folder', async () => {
  const line = server.logs.find((l) => /msg="web client"/.test(l));
  assert.ok(line, `no web client line in:\n${server.logs.join('\n')}`);
  assert.match(line, new RegExp(`root="${webRoot.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`));
  const health = await http(server, 'GET', '/healthz');
  assert.equal(health.status, 200);
  assert.deepEqual(health.json, { status: 'ok' });
  const page = await http(server, 'GET', '/');
  assert.equal(page.status, 200);
  assert.equal(page.text, readFileSync(pathJoin(webRoot, 'index.html'), 'utf8'));
  const mark = await http(server, 'GET', `/${marker}`);
  assert.equal(mark.status, 200);
  assert.equal(mark.text, 'the installed copy\n');
});

test('a WebSocket join works: the example config room, a token from the installed CLI', async () => {
  const r = run(installed, ['token', '--room', 'plenary', '--role', 'chair', '--name', 'Chair', '--sub', 'chair'], {
    env: { ...process.env, PLENARY_TOKEN_SECRET: SECRET },
  });
  assert.equal(r.status, 0, r.stderr);
  const chair = await Client.open(server);
  const ack = await chair.request({ type: 'join', room: 'plenary', token: r.stdout.trim() });
  assert.equal(ack.type, 'ack', JSON.stringify(ack));
  assert.equal(ack.you.role, 'chair');
  assert.equal(ack.state.room.id, 'plenary');
  const started = await chair.request({ type: 'session.start', title: 'Installed' });
  assert.equal(started.type, 'ack', JSON.stringify(started));
  const observer = await Client.open(server);
  const obs = await observer.request({ type: 'join', room: 'plenary', role: 'observer' });
  assert.equal(obs.type, 'ack', JSON.stringify(obs));
  assert.equal(obs.state.room.status, 'live');
  await chair.close();
  await observer.close();
  // The record in the state directory, checked as docs/deploy.md says to check a backup.
  const v = run(installed, ['verify', pathJoin(server.state, 'rooms', 'plenary.jsonl')]);
  assert.equal(v.status, 0, v.stdout + v.stderr);
});

test('the systemd unit names the installed paths and passes systemd-analyze verify', () => {
  const text = readFileSync(unit, 'utf8');
  assert.match(text, new RegExp(`^ExecStart=${installed} --config ${config} --data /var/lib/plenary$`, 'm'));
  for (const line of [
    'ExecReload=/bin/kill -HUP $MAINPID',
    'Restart=on-failure',
    'StateDirectory=plenary',
    'DynamicUser=yes',
    'ProtectSystem=strict',
    'ProtectHome=yes',
    'PrivateTmp=yes',
    'NoNewPrivileges=yes',
    'CapabilityBoundingSet=',
    'LimitNOFILE=65536',
  ])
    assert.ok(text.split('\n').includes(line), `${line} missing from the unit`);
  const verify = run('systemd-analyze', ['verify', unit]);
  assert.equal(verify.status, 0, `systemd-analyze verify:\n${verify.stdout}${verify.stderr}`);
  assert.equal(verify.stderr.trim(), '', verify.stderr);
  const security = run('systemd-analyze', ['security', '--offline=yes', unit]);
  assert.equal(security.status, 0, security.stderr);
  const level = /Overall exposure level for \S+: ([\d.]+)/.exec(security.stdout);
  assert.ok(level, security.stdout);
  assert.ok(Number(level[1]) <= 2.5, `exposure ${level[1]}:\n${security.stdout}`);
});

test('DESTDIR stages the install, and an installed config is never overwritten', () => {
  const dest = pathJoin(tmp, 'dest');
  install(['--prefix', '/usr'], { DESTDIR: dest });
  assert.ok(existsSync(pathJoin(dest, 'usr', 'bin', 'plenaryd')));
  assert.ok(existsSync(pathJoin(dest, 'usr', 'share', 'plenary', 'web-client', 'index.html')));
  const staged = readFileSync(pathJoin(dest, 'usr', 'lib', 'systemd', 'system', 'plenaryd.service'), 'utf8');
  assert.match(staged, /^ExecStart=\/usr\/bin\/plenaryd --config \/etc\/plenary\/plenary.json /m);
  const etc = pathJoin(dest, 'etc', 'plenary', 'plenary.json');
  assert.deepEqual(JSON.parse(readFileSync(etc, 'utf8')), JSON.parse(readFileSync(config, 'utf8')));
  writeFileSync(etc, '{"listen": "127.0.0.1:9000"}\n');
  const out = install(['--prefix', '/usr'], { DESTDIR: dest });
  assert.match(out, /Keeping: .*plenary\.json/);
  assert.equal(readFileSync(etc, 'utf8'), '{"listen": "127.0.0.1:9000"}\n');
});
