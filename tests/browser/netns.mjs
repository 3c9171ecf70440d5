// A second host for browser tests: a network namespace joined to this one by a veth pair,
// with plenaryd running inside it. Firefox sends no ICE checks to a loopback candidate, so a
// server on 127.0.0.1 is one it can never reach over WebRTC; in the namespace the server
// has a real address of its own (10.213.N.2/30, the host side 10.213.N.1/30), routed over
// the veth and nowhere else.
//
// Everything is named plt-ff-<pid of the test>: the namespace, and the veth ends
// plt-ff-<pid>h (here) and plt-ff-<pid>n (inside; at most 15 characters, which a pid of up
// to 7 digits keeps). createNamespace() first removes what a crashed earlier run left
// behind (a plt-ff- namespace or veth whose test process is gone, and the processes still
// in the namespace); remove() deletes the namespace, which takes the veth pair with it.
//
// Needs root and `ip netns` (iproute2); it throws, with the reason, when either is missing,
// so a test that cannot make its second host fails instead of skipping.

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join as pathJoin } from 'node:path';
import { PLENARYD, SECRET, ADMIN, sleep } from '../integration/harness.mjs';

const PREFIX = 'plt-ff-';

function ip(args, { check = true } = {}) {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.error)
    throw new Error(
      `ip ${args.join(' ')}: ${r.error.message} (iproute2 is needed: scripts/install-deps.sh test)`,
    );
  if (check && r.status !== 0)
    throw new Error(`ip ${args.join(' ')} failed (${r.status}): ${r.stderr.trim()}`);
  return r.stdout;
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

function removeNamespace(name) {
  for (const pid of ip(['netns', 'pids', name], { check: false }).split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      /* gone already */
    }
  }
  ip(['netns', 'del', name], { check: false });
  // The host end goes with its peer; if the namespace was never made, remove it by name.
  ip(['link', 'del', `${name}h`], { check: false });
}

// Leftovers of a crashed run: namespaces of this prefix whose test process is gone.
function removeLeftovers() {
  for (const line of ip(['netns', 'list']).split('\n')) {
    const name = line.split(' ')[0];
    if (!name.startsWith(PREFIX)) continue;
    const pid = Number(name.slice(PREFIX.length));
    if (pid !== process.pid && !alive(pid)) removeNamespace(name);
  }
  for (const line of ip(['-o', 'link', 'show']).split('\n')) {
    const m = /^\d+: (plt-ff-(\d+)h)[@:]/.exec(line);
    if (m && Number(m[2]) !== process.pid && !alive(Number(m[2])))
      ip(['link', 'del', m[1]], { check: false });
  }
}

// Makes the namespace; returns { name, hostIp, nsIp, exec(argv) -> argv, remove() }.
export function createNamespace() {
  if (process.getuid && process.getuid() !== 0)
    throw new Error('network namespaces need root (ip netns add)');
  removeLeftovers();
  const name = `${PREFIX}${process.pid}`;
  // 10.213.N.0/30 with an N no other namespace of ours uses right now (tests of other
  // build trees may run at the same time).
  const used = new Set(
    [...ip(['-o', '-4', 'addr', 'show']).matchAll(/inet 10\.213\.(\d+)\./g)].map((m) =>
      Number(m[1]),
    ),
  );
  let octet = (process.pid % 250) + 1;
  for (let i = 0; i < 250 && used.has(octet); i++) octet = (octet % 250) + 1;
  const hostIp = `10.213.${octet}.1`;
  const nsIp = `10.213.${octet}.2`;
  removeNamespace(name);
  const ns = {
    name,
    hostIp,
    nsIp,
    exec: (argv) => ['ip', 'netns', 'exec', name, ...argv],
    remove: () => removeNamespace(name),
  };
  try {
    ip(['netns', 'add', name]);
    ip(['link', 'add', `${name}h`, 'type', 'veth', 'peer', 'name', `${name}n`]);
    ip(['link', 'set', `${name}n`, 'netns', name]);
    ip(['addr', 'add', `${hostIp}/30`, 'dev', `${name}h`]);
    ip(['link', 'set', `${name}h`, 'up']);
    ip(['-n', name, 'addr', 'add', `${nsIp}/30`, 'dev', `${name}n`]);
    ip(['-n', name, 'link', 'set', `${name}n`, 'up']);
    ip(['-n', name, 'link', 'set', 'lo', 'up']);
  } catch (e) {
    ns.remove();
    throw e;
  }
  return ns;
}

// GET over HTTPS trusting ca alone: {status}.
function httpsStatus(url, ca) {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca, agent: false }, (res) => {
        res.resume();
        resolve({ status: res.statusCode });
      })
      .on('error', reject);
  });
}

// Starts plenaryd inside the namespace on nsIp (HTTP on a free port, media on free UDP ports
// announced as nsIp). Returns a server object like the harness's startServer (url, wsUrl,
// logs, stop, cleanup), so harness.token/http/join/createRoom work with it. cleanup() stops
// the server and removes the namespace, and throws if the server ended badly.
//
// tls: a function (nsIp) => {cert, key, ca} (paths, and the CA's PEM) for plenaryd's own
// TLS: url and wsUrl are then https:// and wss:// of nsIp, and server.ca the CA to trust
// (harness.http and join use fetch and a plain WebSocket, which cannot be given it).
export async function startServerInNamespace({ config, args = [], tls } = {}) {
  const ns = createNamespace();
  const pki = tls ? tls(ns.nsIp) : null;
  if (pki) args = ['--tls-cert', pki.cert, '--tls-key', pki.key, ...args];
  const workDir = mkdtempSync(pathJoin(tmpdir(), 'plenary-ff-'));
  const dataDir = pathJoin(workDir, 'data');
  mkdirSync(dataDir);
  const argv = [
    PLENARYD,
    '--listen',
    `${ns.nsIp}:0`,
    '--public-ip',
    ns.nsIp,
    '--data',
    dataDir,
    '--media-port',
    '0',
  ];
  if (config) {
    const path = pathJoin(workDir, 'config.json');
    writeFileSync(path, JSON.stringify(config));
    argv.push('--config', path);
  }
  argv.push(...args);
  const env = {
    ...process.env,
    PLENARY_TOKEN_SECRET: SECRET,
    PLENARY_ADMIN_TOKEN: ADMIN,
  };
  const [cmd, ...rest] = ns.exec(argv);
  // `ip netns exec` execs the command in place: the child is plenaryd itself.
  const proc = spawn(cmd, rest, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const server = {
    proc,
    ns,
    dataDir,
    logs: [],
    port: 0,
    exited: null,
    ca: pki?.ca,
    get url() {
      return `${pki ? 'https' : 'http'}://${ns.nsIp}:${this.port}`;
    },
    get wsUrl() {
      return `${pki ? 'wss' : 'ws'}://${ns.nsIp}:${this.port}/ws`;
    },
  };
  // Should the test's process end without cleanup (a hung browser, node exiting with an
  // empty event loop), the server and the namespace still go.
  const onExit = () => {
    try {
      proc.kill('SIGKILL');
    } catch {
      /* gone */
    }
    ns.remove();
    rmSync(workDir, { recursive: true, force: true });
  };
  process.on('exit', onExit);
  server.exitPromise = new Promise((resolve) => {
    proc.on('exit', (code, signal) => {
      server.exited = { code, signal };
      resolve(server.exited);
    });
  });
  server.stop = async (signal = 'SIGTERM') => {
    if (!server.exited) {
      proc.kill(signal);
      await server.exitPromise;
    }
    return server.exited;
  };
  server.cleanup = async () => {
    let exit;
    try {
      exit = await server.stop();
    } finally {
      process.off('exit', onExit);
      ns.remove();
      rmSync(workDir, { recursive: true, force: true });
    }
    const bad = server.logs.filter((l) =>
      /runtime error:|ERROR: (Address|Leak|Undefined)Sanitizer|SUMMARY: /.test(l),
    );
    if (bad.length || (exit && exit.code !== 0))
      throw new Error(
        `plenaryd ended badly (${JSON.stringify(exit)}):\n${bad.concat(server.logs.slice(-20)).join('\n')}`,
      );
  };
  try {
    let buffered = '';
    server.port = await new Promise((resolve, reject) => {
      proc.on('error', reject);
      proc.stderr.on('data', (chunk) => {
        buffered += chunk.toString();
        let nl;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          server.logs.push(line);
          if (process.env.PLENARY_TEST_VERBOSE)
            process.stderr.write(`[plenaryd@${ns.name}] ${line}\n`);
          const m = /msg="listening" addr=[^ ]*:(\d+)/.exec(line);
          if (m) resolve(Number(m[1]));
        }
      });
      proc.stdout.on('data', (c) => server.logs.push(...c.toString().split('\n')));
      server.exitPromise.then((e) =>
        reject(
          new Error(`plenaryd exited early (${JSON.stringify(e)}):\n${server.logs.join('\n')}`),
        ),
      );
    });
    // Reached from here, over the veth: the same path the browser takes.
    let healthy = false;
    for (let i = 0; i < 100 && !healthy; i++) {
      healthy = await (
        pki ? httpsStatus(`${server.url}/healthz`, pki.ca) : fetch(`${server.url}/healthz`)
      ).then(
        (r) => r.status === 200,
        () => false,
      );
      if (!healthy) await sleep(50);
    }
    if (!healthy) throw new Error(`${server.url}/healthz never answered from the host side`);
  } catch (e) {
    await server.stop('SIGKILL').catch(() => {});
    process.off('exit', onExit);
    ns.remove();
    rmSync(workDir, { recursive: true, force: true });
    throw e;
  }
  return server;
}
