// The servers under test and the load tool, as processes: plenaryd and Janus, each started
// fresh for every run with a configuration written here, optionally pinned to CPUs with
// taskset; and plenary-load, whose JSON report is returned parsed. Used by bench.mjs
// (make bench) and by the integration tests of the load tool.
//
// Janus is configured in one place, janusConfig(), so the benchmark can print exactly what
// it ran with. The choices (and why) are in docs/benchmarks.md, which bench.mjs generates.
//
// Janus never gathers loopback candidates, so it runs in a network namespace the caller
// makes (tests/browser/netns.mjs: a veth pair on private 10.213.N.0/30 addresses) with its
// signalling and media on the namespace's address, and plenary-load talks to it from the
// host side of the veth: no packet goes to any other address. It loads the OpenSSL-backed
// libsrtp2.so.1 that scripts/build-libsrtp.sh builds beside Plenary's static one
// (JANUS_SRTP_DIR), and startJanus checks in /proc/PID/maps that it did.

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { createSocket } from 'node:dgram';
import { dirname, join as pathJoin, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

export const JANUS_BIN = process.env.JANUS || '/usr/bin/janus';
export const JANUS_LIB = process.env.JANUS_LIB || '/usr/lib/x86_64-linux-gnu/janus';
// Where build-libsrtp.sh puts the shared OpenSSL libsrtp for Janus (install-deps.sh).
export const JANUS_SRTP_DIR = resolve(process.env.JANUS_SRTP_DIR ||
  pathJoin(dirname(fileURLToPath(import.meta.url)), '..', '..', 'build', 'deps', 'janus', 'lib'));
// AudioBridge's prebuffering, in 20 ms packets: Janus 1.1.2's default, and the least that
// works. Janus accepts 0, but with 0 its queue trim (janus_audiobridge.c, "Too many packets
// in queue": it drops while the queue holds more than prebuffer_count, once it holds
// 2 x prebuffer_count) empties the queue at every packet, so the speaker is never mixed.
export const JANUS_PREBUFFER_DEFAULT = 6;
export const JANUS_PREBUFFER_MIN = 1;

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function haveJanus() {
  return existsSync(JANUS_BIN) && existsSync(pathJoin(JANUS_LIB, 'plugins', 'libjanus_audiobridge.so'));
}

// Why Janus cannot be measured on equal terms here, or null.
export function janusMissing() {
  if (!haveJanus()) return `janus is not installed (${JANUS_BIN}; scripts/install-deps.sh test)`;
  if (!existsSync(pathJoin(JANUS_SRTP_DIR, 'libsrtp2.so.1')))
    return `no OpenSSL libsrtp2.so.1 for Janus in ${JANUS_SRTP_DIR} (scripts/install-deps.sh builds it)`;
  return null;
}

// The libsrtp2 files mapped into process pid.
export function loadedSrtp(pid) {
  const maps = readFileSync(`/proc/${pid}/maps`, 'utf8');
  return [...new Set(maps.split('\n').map((l) => l.split(/\s+/)[5]).filter((f) => f && /\/libsrtp2\.so/.test(f)))];
}

export async function freePort(kind = 'tcp') {
  if (kind === 'udp') {
    const s = createSocket('udp4');
    await new Promise((resolve) => s.bind(0, '127.0.0.1', resolve));
    const { port } = s.address();
    s.close();
    return port;
  }
  const srv = createServer();
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address();
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

let tasksetChecked = null;
function haveTaskset() {
  if (tasksetChecked === null) tasksetChecked = spawnSync('taskset', ['-V']).status === 0;
  return tasksetChecked;
}

// [cmd, args] run under `taskset -c cpus` when cpus is a non-empty string, and under
// `nice -n niceness` when niceness is not 0.
function pinned(cpus, cmd, args, niceness = 0) {
  let out = [cmd, args];
  if (cpus && haveTaskset()) out = ['taskset', ['-c', String(cpus), ...out.flat()]];
  if (niceness) out = ['nice', ['-n', String(niceness), out[0], ...out[1]]];
  return out;
}

function track(proc, name) {
  const p = { proc, pid: proc.pid, logs: [], exited: null };
  p.exit = new Promise((resolve) =>
    proc.on('exit', (code, signal) => {
      p.exited = { code, signal };
      resolve(p.exited);
    }),
  );
  const keep = (chunk) => {
    for (const line of chunk.toString().split('\n')) if (line) p.logs.push(line);
    if (p.logs.length > 2000) p.logs.splice(0, p.logs.length - 1000);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  p.stop = async (ms = 5000) => {
    if (p.exited) return p.exited;
    proc.kill('SIGTERM');
    const t = setTimeout(() => proc.kill('SIGKILL'), ms);
    await p.exit;
    clearTimeout(t);
    return p.exited;
  };
  p.describe = () => `${name} (pid ${p.pid})`;
  return p;
}

// plenaryd on a free loopback port with a fresh data directory and one declared room.
export async function startPlenary({ bin, dataDir, secret, admin, room = 'bench', workers = 0, cpus = '', echo = false, logLevel = 'warn' }) {
  mkdirSync(dataDir, { recursive: true });
  const configPath = pathJoin(dataDir, 'plenary.json');
  // Every virtual client comes from 127.0.0.1 and the queue scenario raises and lowers as
  // fast as it can: the per-connection and per-address limits (docs/protocol.md, Limits)
  // would measure themselves, not the server, so the benchmark lifts them.
  const open = { per_s: 100000, burst: 100000 };
  const wsLimits = Object.fromEntries(['session', 'queue', 'sense', 'chair', 'caption', 'join_per_address'].map((k) => [k, open]));
  writeFileSync(configPath, JSON.stringify({ rooms: [{ id: room, title: 'Benchmark', public_observers: true }], ws_limits: wsLimits }));
  // The port is chosen here: at --log-level warn plenaryd does not log the one it got.
  const port = await freePort('tcp');
  // Media on loopback, like the clients: plenaryd binds every interface by default, and its
  // candidate would then be the host's address, which the benchmark does not use for Plenary.
  const args = ['--listen', `127.0.0.1:${port}`, '--data', pathJoin(dataDir, 'data'), '--config', configPath,
    '--media-port', '0', '--media-bind', '127.0.0.1', '--log-level', logLevel];
  if (workers) args.push('--media-workers', String(workers));
  if (echo) args.push('--media-echo');
  const [cmd, argv] = pinned(cpus, bin, args);
  const env = { ...process.env, PLENARY_TOKEN_SECRET: secret, PLENARY_ADMIN_TOKEN: admin || '' };
  const p = track(spawn(cmd, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] }), 'plenaryd');
  p.args = args;
  const deadline = Date.now() + 15000;
  let ready = false;
  while (!ready && Date.now() < deadline && !p.exited) {
    try {
      ready = (await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200;
    } catch {
      await sleep(50);
    }
  }
  if (!ready) {
    await p.stop();
    throw new Error(`plenaryd did not start:\n${p.logs.join('\n')}`);
  }
  p.port = port;
  p.url = `ws://127.0.0.1:${p.port}/ws`;
  p.room = room;
  return p;
}

// The files of a Janus configuration: only the WebSocket transport and the AudioBridge and
// Streaming plugins; one AudioBridge room at 48 kHz whose mix is also forwarded over RTP
// to one Streaming mountpoint (deployment (b)); signalling and media on `ip` only (the
// namespace's address), ICE-lite, and AudioBridge prebuffering of `prebuffer` packets.
export function janusConfig({ dir, wsPort, ip, eventLoops, room = 1234, mountpoint = 1, rtpPort, bitrate, complexity, expectedLoss, debugLevel = 3, prebuffer = JANUS_PREBUFFER_DEFAULT }) {
  const disabledPlugins = ['echotest', 'videocall', 'sip', 'nosip', 'videoroom', 'textroom', 'voicemail',
    'recordplay', 'lua', 'duktape'].map((p) => `libjanus_${p}.so`).join(',');
  const disabledTransports = ['http', 'mqtt', 'nanomsg', 'pfunix', 'rabbitmq'].map((p) => `libjanus_${p}.so`).join(',');
  const loops = eventLoops ? `\tevent_loops = ${eventLoops}\n` : '';
  return {
    'janus.jcfg': `general: {
\tconfigs_folder = "${dir}"
\tplugins_folder = "${JANUS_LIB}/plugins"
\ttransports_folder = "${JANUS_LIB}/transports"
\tevents_folder = "${JANUS_LIB}/events"
\tloggers_folder = "${JANUS_LIB}/loggers"
\tdebug_level = ${debugLevel}
\tinterface = "${ip}"
${loops}\tsession_timeout = 60
}
certificates: {
}
media: {
}
nat: {
\tnice_debug = false
\tice_lite = true
\tice_enforce_list = "${ip}"
}
plugins: {
\tdisable = "${disabledPlugins}"
}
transports: {
\tdisable = "${disabledTransports}"
}
loggers: {
\tdisable = "libjanus_jsonlog.so"
}
events: {
\tbroadcast = false
}
`,
    'janus.transport.websockets.jcfg': `general: {
\tjson = "plain"
\tws = true
\tws_port = ${wsPort}
\tws_ip = "${ip}"
\twss = false
}
admin: {
\tadmin_ws = false
}
`,
    'janus.plugin.audiobridge.jcfg': `general: {
}
room-${room}: {
\tdescription = "benchmark"
\tsampling_rate = 48000
\trecord = false
\tdefault_bitrate = ${bitrate}
\tdefault_expectedloss = ${expectedLoss}
\tdefault_prebuffering = ${prebuffer}
\trtp_forward_host = "127.0.0.1"
\trtp_forward_port = ${rtpPort}
\trtp_forward_ptype = 111
\trtp_forward_codec = "opus"
\trtp_forward_always_on = true
}
`,
    'janus.plugin.streaming.jcfg': `general: {
}
mix-${mountpoint}: {
\ttype = "rtp"
\tid = ${mountpoint}
\tdescription = "AudioBridge room ${room}, forwarded"
\tmedia = (
\t\t{
\t\t\ttype = "audio"
\t\t\tmid = "a"
\t\t\tport = ${rtpPort}
\t\t\tpt = 111
\t\t\tcodec = "opus"
\t\t}
\t)
}
`,
  };
}

async function tcpOpen(host, port) {
  return new Promise((resolve) => {
    const s = connect(port, host);
    s.on('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

// Asks a running Janus, over its own API, whether the room and the mountpoint exist.
async function janusReady(url, room, mountpoint) {
  const ws = new WebSocket(url, 'janus-protocol');
  const replies = [];
  let wake = () => {};
  ws.on('message', (d) => {
    replies.push(JSON.parse(d.toString()));
    wake();
  });
  const call = async (msg) => {
    const transaction = `t${Math.random()}`;
    ws.send(JSON.stringify({ ...msg, transaction }));
    const deadline = Date.now() + 3000;
    for (;;) {
      const r = replies.find((x) => x.transaction === transaction && x.janus !== 'ack');
      if (r) return r;
      if (Date.now() > deadline) throw new Error(`janus: no reply to ${msg.janus}`);
      await new Promise((resolve) => {
        wake = resolve;
        setTimeout(resolve, 100);
      });
    }
  };
  try {
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const session_id = (await call({ janus: 'create' })).data.id;
    const ask = async (plugin, body) => {
      const handle_id = (await call({ janus: 'attach', session_id, plugin })).data.id;
      return (await call({ janus: 'message', session_id, handle_id, body })).plugindata?.data;
    };
    const bridge = await ask('janus.plugin.audiobridge', { request: 'exists', room });
    const stream = await ask('janus.plugin.streaming', { request: 'info', id: mountpoint });
    await call({ janus: 'destroy', session_id });
    return bridge?.exists === true && stream?.info?.id === mountpoint;
  } catch {
    return false;
  } finally {
    ws.terminate();
  }
}

// Janus with janusConfig() in dir; resolves when its WebSocket port accepts connections and
// the room and the mountpoint exist. A Janus that came up without them (its RTP port was
// taken in the meantime, say) is stopped and started again with new ports.
export async function startJanus(opts) {
  let lastLogs = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    const p = await startJanusOnce(opts);
    if (await janusReady(p.url, p.room, p.mountpoint)) return p;
    lastLogs = p.logs.slice(-30);
    await p.stop();
  }
  throw new Error(`janus came up three times without its room or mountpoint:\n${lastLogs.join('\n')}`);
}

// ns: the namespace Janus runs in (createNamespace() of tests/browser/netns.mjs); Janus
// binds its address, ns.nsIp, and the clients bind ns.hostIp.
async function startJanusOnce({ dir, ns, eventLoops = 0, cpus = '', bitrate = 32000, complexity = 7, expectedLoss = 10, prebuffer = JANUS_PREBUFFER_DEFAULT }) {
  const why = janusMissing();
  if (why) throw new Error(why);
  mkdirSync(dir, { recursive: true });
  // Fresh ports for a fresh namespace: any port is free there.
  const wsPort = await freePort('tcp');
  const rtpPort = await freePort('udp');
  const ip = ns.nsIp;
  const files = janusConfig({ dir, wsPort, ip, eventLoops, rtpPort, bitrate, complexity, expectedLoss, prebuffer });
  for (const [name, text] of Object.entries(files)) writeFileSync(pathJoin(dir, name), text);
  const [cmd, argv] = pinned(cpus, JANUS_BIN, ['-C', pathJoin(dir, 'janus.jcfg'), '-F', dir]);
  // `ip netns exec` and taskset exec in place: the child's pid is Janus's.
  const [nsCmd, ...nsArgv] = ns.exec([cmd, ...argv]);
  const env = { ...process.env, LD_LIBRARY_PATH: JANUS_SRTP_DIR };
  const p = track(spawn(nsCmd, nsArgv, { env, stdio: ['ignore', 'pipe', 'pipe'] }), 'janus');
  const deadline = Date.now() + 20000;
  while (Date.now() < deadline && !p.exited && !(await tcpOpen(ip, wsPort))) await sleep(100);
  if (p.exited || Date.now() >= deadline) {
    await p.stop();
    throw new Error(`janus did not start:\n${p.logs.slice(-30).join('\n')}`);
  }
  const srtp = loadedSrtp(p.pid);
  const ours = pathJoin(JANUS_SRTP_DIR, 'libsrtp2.so.1');
  if (srtp.length !== 1 || srtp[0] !== ours) {
    await p.stop();
    throw new Error(`janus did not load our libsrtp (${ours}) but ${JSON.stringify(srtp)}`);
  }
  Object.assign(p, { port: wsPort, url: `ws://${ip}:${wsPort}/`, files, room: 1234, mountpoint: 1, rtpPort,
    srtp: srtp[0], bindIp: ns.hostIp, prebuffer });
  return p;
}

// Runs plenary-load with args; resolves with its parsed JSON report (and its stderr).
export async function runLoad(bin, args, { cpus = '', niceness = 0, env = {}, timeoutMs = 600000, echoStderr = false } = {}) {
  const [cmd, argv] = pinned(cpus, bin, args, niceness);
  const proc = spawn(cmd, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.on('data', (c) => (out += c.toString()));
  proc.stderr.on('data', (c) => {
    err += c.toString();
    if (echoStderr) process.stderr.write(c);
  });
  const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
  const exit = await new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  clearTimeout(timer);
  let report = null;
  try {
    report = JSON.parse(out);
  } catch {
    throw new Error(`plenary-load ${JSON.stringify(exit)} printed no JSON report:\n${out}\n${err}`);
  }
  return { report, stderr: err, exit };
}
