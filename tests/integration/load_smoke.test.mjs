// Issue 9: plenary-load against the real plenaryd, small and short, so `make test` keeps
// the tool working without running a benchmark. Five listeners hear a participant who
// has been given the floor (the mixer forwards the floor to every listener, issue 7);
// two of them decode and time the tone's onsets. Then five listen.ogg listeners (HTTP),
// the two WebSocket-only scenarios, and a server that is not there.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as pathJoin } from 'node:path';
import { startServer, createRoom, http, SECRET } from './harness.mjs';
import { runLoad } from '../load/servers.mjs';

const LOAD = pathJoin(process.env.PLENARY_BUILD_DIR || 'build', 'tests', 'load', 'plenary-load');

let server;
before(async () => {
  // The load tool measures throughput: its simulated people raise and lower far faster
  // than a person, so the per-connection limits (docs/protocol.md "Limits") are raised.
  const fast = { per_s: 100000, burst: 100000 };
  server = await startServer({ config: { ws_limits: { queue: fast, session: fast, sense: fast } } });
  await createRoom(server, 'load', { public_observers: true });
});
after(async () => {
  await server.cleanup();
});

const common = () => ['--url', server.wsUrl, '--room', 'load', '--secret', SECRET,
  '--server-pid', String(server.proc.pid)];

test('five listeners and a speaker on the floor: connected, hearing, measured, as JSON', async () => {
  const { report: r } = await runLoad(LOAD, [...common(), '--listeners', '5', '--sample', '2',
    '--warmup', '0.5', '--duration', '3', '--hear-timeout', '5']);
  assert.equal(r.error, null, r.error);
  assert.equal(r.system, 'plenary');
  assert.equal(r.scenario, 'listeners');
  assert.equal(r.listeners, 5);
  assert.equal(r.connected, 5, JSON.stringify(r.join.failure_reasons));
  assert.equal(r.heard, 5, JSON.stringify(r.warnings));
  assert.equal(r.failures, 0, JSON.stringify(r.join.failure_reasons));
  assert.ok(r.join.p50_s > 0 && r.join.p50_s < 5);
  assert.ok(r.window_s >= 2.9 && r.window_s < 5);
  // The speaker sends 50 packets a second; the listeners get them all, on time.
  assert.ok(r.speaker.packets_per_s_in_window > 45 && r.speaker.packets_per_s_in_window < 55);
  assert.equal(r.speaker.send_errors, 0);
  assert.ok(r.loss_pct < 5, `loss ${r.loss_pct}`);
  assert.ok(r.packets.received > 5 * 40 * 2.5);
  assert.equal(r.sampled_decoding.srtp_errors, 0);
  // Every onset named its burst by its frequency and was matched to it.
  assert.equal(r.sampled_decoding.onsets_unmatched, 0, JSON.stringify(r.sampled_decoding));
  assert.ok(r.latency_ms.samples >= 2, JSON.stringify(r.sampled_decoding));
  assert.ok(r.latency_ms.p50 >= 0 && r.latency_ms.p50 < 200, `latency ${r.latency_ms.p50}`);
  assert.ok(r.config.tone_baseline_ms > 3 && r.config.tone_baseline_ms < 9);
  // The server's share, read from /proc.
  assert.ok(r.server.cpu_s >= 0);
  assert.ok(r.server.rss_kb_after > 0);
  assert.ok(r.server.cpu_s_per_listener_min >= 0);
});

// Issue 14: the interpretation row of the benchmark, in small. Three interpreters take
// their booths, each saying its own tone; eight listeners spread over the floor and the
// three channels, and every one of them decodes: the floor's two time the bursts, the
// channels' six check that they hear their own booth's tone, frame by frame.
test('three interpretation channels: every listener hears its own, one encode per channel per tick', async () => {
  await createRoom(server, 'load-interp');
  const args = common().map((a, i, all) => (all[i - 1] === '--room' ? 'load-interp' : a));
  const { report: r } = await runLoad(LOAD, [...args, '--channels', 'fr,es,zh', '--listeners', '8',
    '--sample', '8', '--warmup', '1', '--duration', '3', '--hear-timeout', '5']);
  assert.equal(r.error, null, r.error);
  assert.equal(r.connected, 8, JSON.stringify(r.join.failure_reasons));
  assert.equal(r.failures, 0, JSON.stringify(r.join.failure_reasons));
  assert.deepEqual(r.channels.langs.map((l) => l.lang), ['fr', 'es', 'zh']);
  assert.equal(r.channels.listeners_checked, 6);
  assert.equal(r.channels.listeners_wrong_channel, 0, JSON.stringify(r.channels));
  assert.ok(r.channels.frames_own_channel > 6 * 50 * 2, JSON.stringify(r.channels));
  assert.equal(r.channels.frames_other_booth, 0, JSON.stringify(r.channels));
  assert.ok(r.channels.frames_quiet < r.channels.frames_own_channel / 10, JSON.stringify(r.channels));
  // The metrics: three channels on air, each encoded once per mixer tick.
  assert.ok(r.channels.ticks > 100, JSON.stringify(r.channels));
  assert.ok(Math.abs(r.channels.encodes_per_tick_per_channel - 1) <= 0.02, JSON.stringify(r.channels));
  // The workers' clock over the window, and the frames a starved server skipped (a count).
  assert.ok(r.channels.server_frames >= r.channels.ticks, JSON.stringify(r.channels));
  assert.ok(Number.isInteger(r.channels.server_frames_skipped), JSON.stringify(r.channels));
  assert.ok(r.loss_pct < 5, `loss ${r.loss_pct}`);
  // The floor's sampled listeners still time the bursts, untouched by the booths' tones.
  assert.equal(r.sampled_decoding.onsets_unmatched, 0, JSON.stringify(r.sampled_decoding));
  assert.ok(r.latency_ms.samples >= 2, JSON.stringify(r.sampled_decoding));
});

test('listen.ogg at scale, in small: five HTTP listeners read whole, checked Ogg pages', async () => {
  // A room of its own: the first test's speaker still holds the floor in 'load'.
  await createRoom(server, 'load-ogg', { public_observers: true });
  const args = common().map((a, i, all) => (all[i - 1] === '--room' ? 'load-ogg' : a));
  // Joining 8 a second, they start at different pages, two or so at each: the server
  // rewrites each page once per starting page (stream.c), and every reader checks the
  // CRC, the sequence and the granule steps of what it got.
  const { report: r } = await runLoad(LOAD, [...args, '--scenario', 'ogg', '--listeners', '5',
    '--join-rate', '8', '--warmup', '0.5', '--duration', '3', '--hear-timeout', '5']);
  assert.equal(r.error, null, r.error);
  assert.equal(r.scenario, 'ogg');
  assert.equal(r.connected, 5, JSON.stringify(r.join.failure_reasons));
  assert.equal(r.heard, 5, JSON.stringify(r.warnings));
  assert.equal(r.failures, 0, JSON.stringify(r.join.failure_reasons));
  // A page every 200 ms (10 packets of 20 ms), CRC-checked, in sequence, none lost.
  assert.ok(r.ogg.pages >= 5 * 10, JSON.stringify(r.ogg));
  assert.ok(r.ogg.packets >= 5 * 100, JSON.stringify(r.ogg));
  assert.equal(r.ogg.samples, r.ogg.packets * 960);
  assert.equal(r.ogg.page_seq_gaps, 0);
  assert.equal(r.packets.received, r.ogg.packets);
  assert.ok(r.loss_pct < 5, `loss ${r.loss_pct}`);
  assert.ok(r.server.cpu_s >= 0 && r.server.rss_kb_after > 0);
  assert.ok(r.speaker.packets_per_s_in_window > 45, JSON.stringify(r.speaker));
});

test('caption fan-out to observers: every caption reaches every observer', async () => {
  const { report: r } = await runLoad(LOAD, [...common(), '--scenario', 'fanout', '--observers', '50',
    '--captions', '3', '--caption-interval', '0.2']);
  assert.equal(r.scenario, 'fanout');
  assert.equal(r.joined, 50);
  assert.equal(r.failures, 0);
  assert.equal(r.deliveries, 150);
  assert.equal(r.latency_ms.samples, 150);
  assert.ok(r.latency_ms.p50 > 0 && r.latency_ms.p99 >= r.latency_ms.p50);
  // The tool's own CPU over the window, which the benchmark uses to judge the run valid.
  assert.ok(r.tool.cpu_cores >= 0 && r.tool.cpu_cores < 2, JSON.stringify(r.tool));
});

test('queue operations through the log: raise and lower, acknowledged', async () => {
  const { report: r } = await runLoad(LOAD, [...common(), '--scenario', 'queue-ops', '--clients', '3',
    '--duration', '1']);
  assert.equal(r.scenario, 'queue-ops');
  assert.equal(r.joined, 3);
  assert.equal(r.errors, 0);
  assert.ok(r.ops > 10);
  assert.ok(r.ops_per_s > 10);
  assert.ok(r.tool.cpu_cores >= 0 && r.tool.cpu_cores < 2, JSON.stringify(r.tool));
});

test('a server that is not there is reported, not waited for', async () => {
  const started = Date.now();
  const { report: r, exit } = await runLoad(LOAD, ['--url', 'ws://127.0.0.1:9/ws', '--room', 'load',
    '--secret', SECRET, '--listeners', '2', '--duration', '1']);
  assert.notEqual(exit.code, 0);
  assert.match(r.error, /control chair|speaker/);
  assert.ok(Date.now() - started < 40000);
});

test('--echo-check against --media-echo: the speaker times its own echo', async () => {
  const echo = await startServer({ args: ['--media-echo'] });
  try {
    await createRoom(echo, 'echo', { public_observers: true });
    const { report: r } = await runLoad(LOAD, ['--url', echo.wsUrl, '--room', 'echo', '--secret', SECRET,
      '--listeners', '1', '--warmup', '0.5', '--duration', '2.5', '--hear-timeout', '1', '--echo-check']);
    assert.equal(r.error, null, r.error);
    assert.ok(r.speaker.received > 0);
    assert.ok(r.echo_latency_ms.samples >= 2, JSON.stringify(r.sampled_decoding));
    assert.ok(r.echo_latency_ms.p50 >= 0 && r.echo_latency_ms.p50 < 50);
  } finally {
    await echo.cleanup();
  }
});

// The mixing rows: two chairs at once, the second saying continuous speech-like audio (here a
// syllable-rate warble of low tones, as the benchmark's low-passed espeak-ng speech is), so
// the mixer mixes on every tick; the first's bursts must still be found and named in the
// mix, through the listeners' high-pass.
test('two voices, one continuous: the mix is timed by the bursts, no onset unmatched', async () => {
  const dir = mkdtempSync(pathJoin(tmpdir(), 'plenary-speech-'));
  // A fresh server and room, as every benchmark run has.
  const mix = await startServer();
  try {
    await createRoom(mix, 'mix', { public_observers: true });
    const pcm = new Int16Array(48000 * 3);
    for (let i = 0; i < pcm.length; i++) {
      const t = i / 48000;
      const env = 0.6 + 0.4 * Math.sin(2 * Math.PI * 4 * t);
      pcm[i] = Math.round(env * (3000 * Math.sin(2 * Math.PI * 170 * t) + 2000 * Math.sin(2 * Math.PI * 310 * t)));
    }
    const speech = pathJoin(dir, 'speech.s16');
    writeFileSync(speech, Buffer.from(pcm.buffer));
    const metric = async (name) => {
      const m = new RegExp(`^${name} (\\d+)`, 'm').exec((await http(mix, 'GET', '/metrics')).text);
      return m ? Number(m[1]) : NaN;
    };
    const { report: r } = await runLoad(LOAD, ['--url', mix.wsUrl, '--room', 'mix', '--secret', SECRET,
      '--server-pid', String(mix.proc.pid), '--speaker', 'chair', '--speakers', '2',
      '--speech', speech, '--listener-role', 'observer', '--listeners', '3', '--sample', '2',
      '--warmup', '0.5', '--duration', '3', '--hear-timeout', '5']);
    assert.equal(r.error, null, r.error);
    assert.equal(r.heard, 3, JSON.stringify(r.warnings));
    assert.equal(r.failures, 0);
    assert.equal(r.config.other_speakers.source, 'speech');
    assert.ok(r.config.other_speakers.voice_active_pct > 99, JSON.stringify(r.config.other_speakers));
    assert.ok(r.latency_ms.samples >= 2, JSON.stringify(r.sampled_decoding));
    assert.equal(r.sampled_decoding.onsets_unmatched, 0);
    // Two open mics: the mixer decoded, mixed and encoded the public mix rather than forward.
    const encodes = await metric('plenary_mixer_encodes_total');
    const forwarded = await metric('plenary_mixer_forwarded_total');
    process.stderr.write(`mixer: ${encodes} encodes, ${forwarded} forwarded\n`);
    assert.ok(encodes >= 50, `encodes ${encodes}`);
  } finally {
    await mix.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});
