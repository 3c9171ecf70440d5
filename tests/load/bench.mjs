// make bench, part two (scripts/bench.sh runs the micro-benchmarks first): the scenarios of
// issue 9, each against Plenary and Janus in the same run, measured by plenary-load (C).
//
//   node tests/load/bench.mjs OUT_DIR      (PLENARYD, PLENARY_BUILD_DIR, NODE_PATH set)
//
// 1. listeners  one speaker, N listeners (N = 50, 200, 500, 1,000; Plenary also 2,000, and
//               Janus where it kept up): Plenary, Janus AudioBridge with every listener a
//               muted participant (a), Janus Streaming viewers of the room's rtp_forward (b)
//               Janus AudioBridge also with prebuffering at its least (janus-audiobridge-minbuf)
//    listeners-participants  the same for Plenary with listeners who join as participants
//               (on the record, so every join is an event to everyone) instead of observers
//    listeners-channels  Plenary with three interpretation booths (fr, es, zh, an interpreter
//               on air in each) and the listeners spread evenly over the floor and the three
//               channels; judged against the one-channel listeners row of the same size
// 2. join-storm 500 listeners joining within 5 s, all three systems
// 3. caption-fanout  10,000 observers, a caption's delivery latency (Plenary only)
// 4. queue-ops  queue operations per second through the fsynced log (Plenary only)
// 5. listen-ogg 1,000 HTTP listeners of GET /api/rooms/ID/listen.ogg while the speaker talks
//               (Plenary only): server CPU and RSS per listener, loss from the Ogg pages
//
// Every run starts its server fresh (a new data directory, a new Janus configuration).
// plenary-load is confined to the last CPU (taskset) at a higher priority (nice -10), so it
// always keeps up with what the server sends; the server may use every CPU, and whatever
// it cannot get shows as its own loss and latency (BENCH_PIN=split confines the server to
// CPU 0 instead, BENCH_PIN=0 pins nothing). Sizes are interleaved (N outer,
// system inner) so background drift touches all systems alike. Janus above 200 listeners
// runs only while it keeps up (loss under 5 %, failures under 5 %).
//
// Writes OUT_DIR/results.json ({machine, runs[], targets[], config}), a raw report per run
// under OUT_DIR/raw/, prints the table with ratios, and regenerates docs/benchmarks.md.
// Knobs (environment): BENCH_QUICK=1 (a one-minute smoke run), BENCH_SIZES=50,200,
// BENCH_PLENARY_MORE=2000, BENCH_JANUS_MORE=2000, BENCH_DURATION (s, 20), BENCH_WARMUP (3),
// BENCH_JOIN_RATE (100/s), BENCH_SAMPLE (10), BENCH_STORM (500), BENCH_OBSERVERS (10000),
// BENCH_CHANNEL_SIZES (2000), BENCH_CHANNELS (fr,es,zh), BENCH_CAPTIONS (10), BENCH_QUEUE_CLIENTS (20), BENCH_QUEUE_DURATION (10), BENCH_OGG_SIZES (1000),
// BENCH_SCENARIOS, BENCH_SYSTEMS (comma lists), BENCH_PIN, BENCH_TOOL_THREADS (1),
// BENCH_SPEAKER (floor|chair), BENCH_PARTICIPANT_SIZES (200,1000,2000),
// BENCH_DOCS=0 (do not touch docs/benchmarks.md), BENCH_REPEAT (runs per cell, 3; 1 with
// BENCH_QUICK=1: the table shows each cell's median and range).
// A full run took about 25 minutes on the 2-core machine with one run per cell; with the
// default BENCH_REPEAT=3 expect three times that. BENCH_QUICK=1 about one.

import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync, readFileSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import { dirname, join as pathJoin, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPlenary, startJanus, runLoad, janusMissing, sleep, JANUS_PREBUFFER_MIN, JANUS_PREBUFFER_DEFAULT } from './servers.mjs';
import { createNamespace } from '../browser/netns.mjs';
import { renderDoc, renderTable, evaluateTargets, combineRepeats } from './bench_report.mjs';

const SOURCE = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BUILD = resolve(process.env.PLENARY_BUILD_DIR || pathJoin(SOURCE, 'build'));
const PLENARYD = resolve(process.env.PLENARYD || pathJoin(BUILD, 'plenaryd'));
const LOAD = pathJoin(BUILD, 'tests', 'load', 'plenary-load');
const OUT = resolve(process.argv[2] || pathJoin(BUILD, 'bench'));
const SECRET = 'bench-token-secret-0123456789abcdef0123456789';
// janus-audiobridge-minbuf: AudioBridge with prebuffering at the least that works.
const JANUS_SYSTEMS = ['janus-audiobridge', 'janus-audiobridge-minbuf', 'janus-streaming'];
const janusPrebuffer = (system) => (system === 'janus-audiobridge-minbuf' ? JANUS_PREBUFFER_MIN : JANUS_PREBUFFER_DEFAULT);

const ints = (v, d) => (v ? v.split(',').map((x) => Number(x.trim())).filter((x) => x > 0) : d);
const num = (v, d) => (v !== undefined && v !== '' && !Number.isNaN(Number(v)) ? Number(v) : d);
const list = (v, d) => (v ? v.split(',').map((x) => x.trim()).filter(Boolean) : d);

function makePlan(env) {
  const quick = env.BENCH_QUICK === '1';
  const cpus = os.cpus().length;
  // tool: plenary-load on the last CPU at a higher priority, the server free on all of
  // them; split: the server on CPU 0 only, plenary-load on CPU 1; none.
  const pin = cpus < 2 || env.BENCH_PIN === '0' ? 'none' : env.BENCH_PIN === 'split' ? 'split' : 'tool';
  return {
    quick,
    sizes: ints(env.BENCH_SIZES, quick ? [5, 20] : [50, 200, 500, 1000]),
    plenaryMore: ints(env.BENCH_PLENARY_MORE, quick ? [] : [2000]),
    janusMore: ints(env.BENCH_JANUS_MORE, quick ? [] : [2000]),
    janusAlwaysUpTo: 200,
    duration: num(env.BENCH_DURATION, quick ? 3 : 20),
    warmup: num(env.BENCH_WARMUP, quick ? 1 : 3),
    joinRate: num(env.BENCH_JOIN_RATE, 100),
    sample: num(env.BENCH_SAMPLE, 10),
    storm: num(env.BENCH_STORM, quick ? 20 : 500),
    stormWindowS: 5,
    observers: num(env.BENCH_OBSERVERS, quick ? 200 : 10000),
    captions: num(env.BENCH_CAPTIONS, quick ? 3 : 10),
    queueClients: num(env.BENCH_QUEUE_CLIENTS, quick ? 5 : 20),
    queueDuration: num(env.BENCH_QUEUE_DURATION, quick ? 2 : 10),
    scenarios: list(env.BENCH_SCENARIOS, ['listeners', 'listeners-participants', 'listeners-mixing', 'listeners-channels', 'join-storm', 'caption-fanout', 'queue-ops', 'listen-ogg']),
    systems: list(env.BENCH_SYSTEMS, ['plenary', ...JANUS_SYSTEMS]),
    pin,
    serverCpus: pin === 'split' ? '0' : '',
    toolCpus: pin === 'none' ? '' : String(cpus - 1),
    toolNice: pin === 'tool' ? -10 : 0,
    serverCores: pin === 'split' ? 1 : cpus,
    toolThreads: num(env.BENCH_TOOL_THREADS, 1),
    speaker: env.BENCH_SPEAKER === 'chair' ? 'chair' : 'floor',
    participantSizes: ints(env.BENCH_PARTICIPANT_SIZES, quick ? [5] : [200, 1000, 2000]),
    // Two chairs talking at once: the mixer decodes, mixes and encodes instead of forwarding.
    mixingSizes: ints(env.BENCH_MIXING_SIZES, quick ? [5] : [200, 1000]),
    // Interpretation (issue 14): booths on air, the listeners spread over them and the floor.
    channelSizes: ints(env.BENCH_CHANNEL_SIZES, quick ? [8] : [2000]),
    channels: env.BENCH_CHANNELS || 'fr,es,zh',
    // listen.ogg: plain HTTP listeners of the room's Ogg stream, the fallback without WebRTC.
    oggSizes: ints(env.BENCH_OGG_SIZES, quick ? [5] : [1000]),
    bitrate: 32000,
    complexity: 7,
    expectedLoss: 10,
    docs: env.BENCH_DOCS !== '0',
    repeat: Math.max(1, Math.round(num(env.BENCH_REPEAT, quick ? 1 : 3))),
  };
}

// stdout of a command, even when it exits non-zero (`janus --version` does).
function sh(cmd, args, { anyStatus = false } = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 || (anyStatus && r.stdout) ? r.stdout.trim() : null;
}

function machineInfo(plan) {
  const osRelease = existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '';
  const pretty = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(osRelease);
  // BENCH_COMMIT names the tree when it is not a git checkout (an exported copy).
  const commit = process.env.BENCH_COMMIT || sh('git', ['-C', SOURCE, 'rev-parse', '--short', 'HEAD']);
  const dirty = process.env.BENCH_COMMIT ? '' : sh('git', ['-C', SOURCE, 'status', '--porcelain', '--untracked-files=no']);
  return {
    cpu: os.cpus()[0]?.model || 'unknown',
    cores: os.cpus().length,
    memory_gb: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    os: pretty ? pretty[1] : os.type(),
    date: new Date().toISOString(),
    load_avg_before: os.loadavg().map((x) => Number(x.toFixed(2))),
    load_avg_after: null,
    pinning: {
      tool: `plenary-load confined to CPU ${plan.toolCpus} (taskset) at nice ${plan.toolNice}; the server free on every CPU`,
      split: 'the server on CPU 0, plenary-load on CPU 1 (taskset)',
      none: 'none',
    }[plan.pin],
    plenary_commit: commit ? `${commit}${dirty ? ' (with uncommitted changes in the tree)' : ''}` : null,
    janus: (sh('janus', ['--version'], { anyStatus: true }) || '').split('\n')[0] || null,
    node: process.version,
    quick: plan.quick,
  };
}

// --- one run ---------------------------------------------------------------------------------

async function startSystem(plan, system, tag) {
  if (system === 'plenary') {
    const dataDir = pathJoin(OUT, 'run-data', tag);
    rmSync(dataDir, { recursive: true, force: true });
    const s = await startPlenary({ bin: PLENARYD, dataDir, secret: SECRET, workers: plan.serverCores,
      cpus: plan.serverCpus });
    s.cleanupDir = dataDir;
    return s;
  }
  const dir = pathJoin(OUT, 'run-data', tag);
  rmSync(dir, { recursive: true, force: true });
  const s = await startJanus({ dir, ns: plan.ns, eventLoops: plan.serverCores, cpus: plan.serverCpus,
    bitrate: plan.bitrate, complexity: plan.complexity, expectedLoss: plan.expectedLoss,
    prebuffer: janusPrebuffer(system) });
  if (system !== 'janus-audiobridge-minbuf') plan.janusFiles = s.files;
  plan.janusSrtp = s.srtp;
  s.cleanupDir = dir;
  return s;
}

function systemArgs(plan, system, s) {
  const common = ['--server-pid', String(s.pid), '--url', s.url];
  if (system === 'plenary') return [...common, '--system', 'plenary', '--room', s.room, '--secret', SECRET];
  const prebuffer = system === 'janus-audiobridge-minbuf' ? ['--janus-prebuffer', String(JANUS_PREBUFFER_MIN)] : [];
  return [...common, '--system', system.replace(/-minbuf$/, ''), '--bind-ip', plan.ns.hostIp,
    '--janus-room', String(s.room), '--janus-mountpoint', String(s.mountpoint), ...prebuffer];
}

// What the second voice of the mixing rows says: continuous speech (load_speech.h), not
// the timed speaker's bursts. espeak-ng renders it; ffmpeg low-passes it (8 poles at 500
// Hz, so the listeners' high-pass at 800 Hz leaves the 1-2.5 kHz bursts alone to time) and
// makes it 48 kHz mono s16le. Rendered once per benchmark; plenary-load encodes it once.
export const SPEECH_TEXT = 'Good morning everyone, and welcome to the plenary session of the working group. ' +
  'We have a full agenda today, so please keep your comments brief and come to the microphone when the chairs ' +
  'call on you. The first item is the status of the documents in last call, followed by a discussion of the ' +
  'charter revision and the open issues raised on the mailing list since the last meeting.';
export const SPEECH_FILTER = 'lowpass=f=500,lowpass=f=500,lowpass=f=500,lowpass=f=500,aresample=48000';

function renderSpeech(path) {
  const wav = spawnSync('espeak-ng', ['-v', 'en-us', '-s', '170', '--stdout', SPEECH_TEXT], { maxBuffer: 1 << 26 });
  if (wav.error || wav.status !== 0)
    throw new Error(`espeak-ng could not render the mixing rows' speech (scripts/install-deps.sh bench): ${wav.error?.message || wav.stderr}`);
  const ff = spawnSync('ffmpeg', ['-loglevel', 'error', '-y', '-i', '-', '-af', SPEECH_FILTER, '-ac', '1', '-ar', '48000',
    '-f', 's16le', path], { input: wav.stdout });
  if (ff.error || ff.status !== 0)
    throw new Error(`ffmpeg could not convert the speech (scripts/install-deps.sh bench): ${ff.error?.message || ff.stderr}`);
  return path;
}

function scenarioArgs(plan, scenario, n) {
  const audio = ['--threads', String(plan.toolThreads), '--bitrate', String(plan.bitrate),
    '--complexity', String(plan.complexity), '--expected-loss', String(plan.expectedLoss),
    '--speaker', plan.speaker, '--warmup', String(plan.warmup), '--duration', String(plan.duration),
    '--sample', String(Math.min(plan.sample, n)), '--listeners', String(n)];
  switch (scenario) {
    case 'listeners':
      return [...audio, '--join-rate', String(plan.joinRate), '--listener-role', 'observer'];
    case 'listeners-participants':
      return [...audio, '--join-rate', String(plan.joinRate), '--listener-role', 'participant'];
    case 'listeners-mixing':
      return [...audio.map((a, i) => (audio[i - 1] === '--speaker' ? 'chair' : a)), '--speakers', '2',
        '--join-rate', String(plan.joinRate), '--listener-role', 'observer', '--speech', plan.speech];
    case 'listeners-channels':
      return [...audio, '--join-rate', String(plan.joinRate), '--listener-role', 'observer',
        '--channels', plan.channels];
    case 'join-storm':
      return [...audio, '--scenario', 'storm', '--join-rate', String(n / plan.stormWindowS),
        '--listener-role', 'observer'];
    case 'listen-ogg':
      return [...audio, '--scenario', 'ogg', '--join-rate', String(plan.joinRate)];
    case 'caption-fanout':
      return ['--scenario', 'fanout', '--observers', String(n), '--captions', String(plan.captions)];
    default:
      return ['--scenario', 'queue-ops', '--clients', String(n), '--duration', String(plan.queueDuration)];
  }
}

function row(scenario, system, n, r) {
  const audio = scenario.startsWith('listeners') || scenario === 'join-storm' || scenario === 'listen-ogg';
  const base = { scenario, system, listeners: n, cpu_s_per_listener_min: null, rss_kb_per_listener: null,
    loss_pct: null, latency_ms_p50: r.latency_ms?.p50 ?? null, latency_ms_p99: r.latency_ms?.p99 ?? null,
    join_s: null, failures: r.failures ?? null };
  if (audio) {
    Object.assign(base, {
      cpu_s_per_listener_min: r.server?.cpu_s_per_listener_min ?? null,
      rss_kb_per_listener: r.server?.rss_kb_per_listener ?? null,
      loss_pct: r.loss_pct ?? null,
      join_s: scenario === 'join-storm' ? r.join?.all_heard_s ?? null : r.join?.p50_s ?? null,
      heard: r.heard, connected: r.connected,
      server_cpu_cores: r.server?.cpu_cores ?? null, tool_cpu_cores: r.tool?.cpu_cores ?? null,
      onsets_unmatched: r.sampled_decoding?.onsets_unmatched ?? null,
      send_late_ms_p99: r.speaker?.send_late_ms?.p99 ?? null,
    });
    if (r.channels) {
      Object.assign(base, {
        channels: r.channels.langs.length,
        channel_encodes_per_tick: r.channels.encodes_per_tick_per_channel ?? null,
        // The booths' tones never pause, so the room owes a packet every 20 ms: frames it never
        // sent (a starved server skips them) are lost audio that sequence numbers do not show.
        channel_frames_missing_pct: r.channels.ticks != null && r.window_s
          ? Math.max(0, 100 * (1 - r.channels.ticks / (r.window_s * 50))) : null,
        server_frames_skipped: r.channels.server_frames_skipped ?? null,
        channel_listeners_checked: r.channels.listeners_checked,
        channel_listeners_wrong: r.channels.listeners_wrong_channel,
      });
    }
    if (r.config?.other_speakers?.source === 'speech') base.speech_voice_pct = r.config.other_speakers.voice_active_pct;
  } else if (scenario === 'caption-fanout') {
    Object.assign(base, { join_s: r.join_s ?? null, rss_kb_per_listener: r.server?.rss_kb_per_connection ?? null,
      deliveries: r.deliveries, expected_deliveries: r.expected_deliveries, captions: r.captions ?? null,
      tool_cpu_cores: r.tool?.cpu_cores ?? null });
  } else {
    Object.assign(base, { ops_per_s: r.ops_per_s ?? null, join_s: r.join_s ?? null, errors: r.errors,
      tool_cpu_cores: r.tool?.cpu_cores ?? null });
  }
  base.warnings = [...(r.warnings || []), ...(r.error ? [`error: ${r.error}`] : [])];
  return base;
}

// The machine's CPU times (first line of /proc/stat), and the idle share between two reads.
const procStat = () => readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);

function idleBetween(a, b) {
  const d = b.map((x, i) => x - a[i]);
  const total = d.reduce((x, y) => x + y, 0);
  return total > 0 ? (d[3] + (d[4] || 0)) / total : 1;
}

// Share of CPU time idle over the next second.
async function idleShare() {
  const a = procStat();
  await sleep(1000);
  return idleBetween(a, procStat());
}

// Each run starts on a quiet machine: the last one's server may still be winding down (a
// Janus with 500 handles takes a while). Up to a minute, then it goes ahead and says so.
async function settle() {
  let idle = 0;
  for (let i = 0; i < 60 && idle < 0.9; i++) idle = await idleShare();
  return idle;
}

async function runOne(plan, scenario, system, n, index, total, rep = 0) {
  const tag = `${scenario}-${system}-${n}${plan.repeat > 1 ? `-r${rep + 1}` : ''}`;
  const idle = await settle();
  const load = os.loadavg()[0];
  process.stderr.write(`[${index}/${total}] ${tag} (idle ${(idle * 100).toFixed(0)} %, load ${load.toFixed(2)}) ... `);
  let s;
  let r;
  let cpu0 = null;
  let cpu1 = null;
  try {
    s = await startSystem(plan, system, tag);
    const timeoutMs = (120 + n / 20 + plan.duration * 2) * 1000;
    cpu0 = procStat();
    ({ report: r } = await runLoad(LOAD, [...systemArgs(plan, system, s), ...scenarioArgs(plan, scenario, n)],
      { cpus: plan.toolCpus, niceness: plan.toolNice, timeoutMs }));
  } catch (e) {
    r = { error: String(e.message || e).split('\n')[0], failures: n };
  } finally {
    cpu1 = procStat();
    if (s) {
      await s.stop();
      writeFileSync(pathJoin(OUT, 'raw', `${tag}.server.log`), `${s.logs.join('\n')}\n`);
      rmSync(s.cleanupDir, { recursive: true, force: true });
    }
  }
  writeFileSync(pathJoin(OUT, 'raw', `${tag}.json`), JSON.stringify(r, null, 2));
  const out = row(scenario, system, n, r);
  out.load_avg_1m = Number(load.toFixed(2));
  out.idle_before_pct = Number((idle * 100).toFixed(1));
  out.idle_during_pct = cpu0 && cpu1 ? Number((idleBetween(cpu0, cpu1) * 100).toFixed(1)) : null;
  process.stderr.write(`${summary(out)}\n`);
  return out;
}

function summary(x) {
  const f = (v, d = 3) => (v === null || v === undefined ? '-' : Number(v).toPrecision(d));
  if (x.scenario === 'queue-ops') return `${f(x.ops_per_s, 4)} ops/s, p99 ${f(x.latency_ms_p99)} ms`;
  if (x.scenario === 'caption-fanout') return `p50 ${f(x.latency_ms_p50)} / p99 ${f(x.latency_ms_p99)} ms, failures ${x.failures}`;
  return `cpu ${f(x.cpu_s_per_listener_min)} s/listener-min, loss ${f(x.loss_pct)} %, ` +
    `p50 ${f(x.latency_ms_p50)} ms, join ${f(x.join_s)} s, failures ${x.failures}` +
    (x.warnings.length ? ` [${x.warnings.length} warning(s)]` : '');
}

// Janus above 200 listeners only while it keeps up: a larger room would only be slower.
function keptUp(x) {
  return x && !x.warnings.some((w) => w.startsWith('error:')) && x.loss_pct !== null && x.loss_pct < 5 &&
    (x.failures ?? 0) <= 0.05 * x.listeners;
}

// --- the plan ---------------------------------------------------------------------------------

function schedule(plan) {
  const jobs = [];
  const want = (s) => plan.scenarios.includes(s);
  const systems = plan.systems.filter((s) => s === 'plenary' || plan.janusOk);
  if (want('listeners')) {
    const sizes = [...new Set([...plan.sizes, ...plan.plenaryMore, ...plan.janusMore])].sort((a, b) => a - b);
    for (const n of sizes) {
      for (const system of systems) {
        const janus = system !== 'plenary';
        const regular = plan.sizes.includes(n);
        if (!regular && !(janus ? plan.janusMore : plan.plenaryMore).includes(n)) continue;
        jobs.push({ scenario: 'listeners', system, n, extra: !regular });
      }
    }
  }
  if (want('listeners-participants') && plan.systems.includes('plenary'))
    for (const n of plan.participantSizes) jobs.push({ scenario: 'listeners-participants', system: 'plenary', n });
  if (want('listeners-mixing') && plan.systems.includes('plenary'))
    for (const n of plan.mixingSizes) jobs.push({ scenario: 'listeners-mixing', system: 'plenary', n });
  if (want('listeners-channels') && plan.systems.includes('plenary'))
    for (const n of plan.channelSizes) jobs.push({ scenario: 'listeners-channels', system: 'plenary', n });
  if (want('listen-ogg') && plan.systems.includes('plenary'))
    for (const n of plan.oggSizes) jobs.push({ scenario: 'listen-ogg', system: 'plenary', n });
  if (want('join-storm')) for (const system of systems) jobs.push({ scenario: 'join-storm', system, n: plan.storm });
  if (want('caption-fanout') && plan.systems.includes('plenary'))
    jobs.push({ scenario: 'caption-fanout', system: 'plenary', n: plan.observers });
  if (want('queue-ops') && plan.systems.includes('plenary'))
    jobs.push({ scenario: 'queue-ops', system: 'plenary', n: plan.queueClients });
  return jobs;
}

function shouldSkip(plan, job, runs) {
  if (job.scenario !== 'listeners' || job.system === 'plenary' || job.n <= plan.janusAlwaysUpTo) return null;
  const before = runs.filter((x) => x.scenario === 'listeners' && x.system === job.system && x.listeners < job.n);
  const last = before[before.length - 1];
  if (last && !keptUp(last)) return `did not keep up at ${last.listeners} listeners`;
  if (job.extra && !last) return 'no smaller run';
  return null;
}

async function main() {
  const plan = makePlan(process.env);
  if (!existsSync(LOAD)) throw new Error(`${LOAD} is missing: build the tree first`);
  mkdirSync(pathJoin(OUT, 'raw'), { recursive: true });
  const notes = [];
  plan.janusOk = false;
  if (plan.systems.some((x) => x !== 'plenary')) {
    // Janus runs in a network namespace made here and removed on the way out, whatever happens.
    let why = janusMissing();
    try {
      if (!why) plan.ns = createNamespace();
    } catch (e) {
      why = String(e.message || e);
    }
    if (plan.ns) {
      process.on('exit', () => plan.ns.remove());
      for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));
    }
    plan.janusOk = !why;
    if (why) notes.push(`Janus skipped: ${why}.`);
  }
  const machine = machineInfo(plan);
  if (machine.load_avg_before[0] > 1) {
    notes.push(`The machine was not quiet when the run began (load ${machine.load_avg_before[0]}).`);
    process.stderr.write(`bench: warning: load average ${machine.load_avg_before[0]}; numbers will be noisy\n`);
  }
  const started = Date.now();
  const jobs = schedule(plan);
  if (jobs.some((j) => j.scenario === 'listeners-mixing')) plan.speech = renderSpeech(pathJoin(OUT, 'speech.s16'));
  const runs = [];
  const skipped = [];
  for (let i = 0; i < jobs.length; i++) {
    const job = jobs[i];
    const why = shouldSkip(plan, job, runs);
    if (why) {
      skipped.push({ ...job, why });
      process.stderr.write(`[${i + 1}/${jobs.length}] ${job.scenario}-${job.system}-${job.n}: skipped, ${why}\n`);
      continue;
    }
    const each = [];
    for (let k = 0; k < plan.repeat; k++) each.push(await runOne(plan, job.scenario, job.system, job.n, i + 1, jobs.length, k));
    runs.push(combineRepeats(each));
  }
  machine.load_avg_after = os.loadavg().map((x) => Number(x.toFixed(2)));
  machine.duration_min = Number(((Date.now() - started) / 60000).toFixed(1));
  const mixer = readJsonMaybe(pathJoin(OUT, 'bench_mixer.json'));
  const targets = evaluateTargets(plan, runs, mixer);
  const config = { ...plan, janusFiles: undefined, secret: undefined, ns: plan.ns ? { hostIp: plan.ns.hostIp, nsIp: plan.ns.nsIp } : undefined };
  const results = { machine, runs, targets, skipped, notes, config };
  writeFileSync(pathJoin(OUT, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`\n${renderTable(runs, targets)}\n`);
  process.stdout.write(`results: ${pathJoin(OUT, 'results.json')} (${machine.duration_min} min)\n`);
  const doc = renderDoc({ results, plan, janusFiles: plan.janusFiles, mixer, plenaryArgs: plenaryArgsText(plan) });
  writeFileSync(pathJoin(OUT, 'benchmarks.md'), doc);
  if (plan.docs) {
    writeFileSync(pathJoin(SOURCE, 'docs', 'benchmarks.md'), doc);
    process.stdout.write(`docs/benchmarks.md regenerated\n`);
  }
}

function plenaryArgsText(plan) {
  return `plenaryd --listen 127.0.0.1:PORT --data DIR --config FILE --media-port 0 --media-bind 127.0.0.1 --log-level warn ` +
    `--media-workers ${plan.serverCores}`;
}

function readJsonMaybe(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

main().catch((e) => {
  process.stderr.write(`bench: ${e.stack || e}\n`);
  process.exit(1);
});
