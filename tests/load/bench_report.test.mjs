// The benchmark report's generator on synthetic results that should miss: a miss must read
// as missed in the targets table, and no generated sentence may say otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateTargets, renderTable, renderDoc, targetsVerdict, runInvalid, combineRepeats } from './bench_report.mjs';

const plan = {
  storm: 500, observers: 10000, captions: 10, stormWindowS: 5, sample: 10, joinRate: 100, warmup: 3, duration: 20,
  pin: 'tool', toolCpus: '1', toolNice: -10, serverCores: 2, speaker: 'floor', bitrate: 32000,
  complexity: 7, expectedLoss: 10,
};

// A run in which everything went well; tests spoil one field at a time.
function audio(scenario, system, n, over = {}) {
  return {
    scenario, system, listeners: n, cpu_s_per_listener_min: system === 'plenary' ? 0.01 : 0.5,
    rss_kb_per_listener: 50, loss_pct: 0, latency_ms_p50: system === 'plenary' ? 1 : 60,
    latency_ms_p99: system === 'plenary' ? 5 : 90, join_s: 0.2, failures: 0, heard: n, connected: n,
    server_cpu_cores: 0.3, tool_cpu_cores: 0.4, onsets_unmatched: 0, send_late_ms_p99: 1,
    idle_during_pct: 40, warnings: [], ...over,
  };
}

function goodRuns() {
  return [
    audio('listeners', 'plenary', 200), audio('listeners', 'janus-audiobridge', 200),
    audio('listeners', 'janus-audiobridge-minbuf', 200, { latency_ms_p50: 25, latency_ms_p99: 40 }),
    audio('listeners', 'plenary', 1000), audio('listeners', 'janus-audiobridge', 1000),
    audio('listeners', 'janus-streaming', 1000), audio('listeners', 'plenary', 2000),
    audio('listeners-mixing', 'plenary', 200), audio('join-storm', 'plenary', 500),
    { scenario: 'caption-fanout', system: 'plenary', listeners: 10000, latency_ms_p50: 20, latency_ms_p99: 80,
      join_s: 10, failures: 0, deliveries: 100000, expected_deliveries: 100000, captions: 10,
      rss_kb_per_listener: 20, tool_cpu_cores: 0.3, idle_during_pct: 30, warnings: [] },
    audio('listeners-channels', 'plenary', 2000, { cpu_s_per_listener_min: 0.012, channel_encodes_per_tick: 1.004,
      channel_listeners_checked: 7, channel_listeners_wrong: 0 }),
    audio('listeners-participants', 'plenary', 2000),
  ];
}

const mixerOk = { backend: 'openssl', profile: 'x', target_us_per_listener: 2.5,
  results: [{ mics: 1, listeners: 1000, tick_us_p50: 2000, us_per_listener: 2.1, srtp_us_per_listener: 1, listeners_per_core: 9000 }] };

const byId = (targets, id) => targets.find((t) => t.id === id);

// Everything the generator writes about these runs: the tables and the whole document.
function everything(runs, targets, mixer) {
  const results = { machine: { date: 'd', duration_min: 1, cpu: 'c', cores: 2, memory_gb: 1, os: 'o', kernel: 'k',
    load_avg_before: [0, 0, 0], load_avg_after: [0, 0, 0], pinning: 'p', plenary_commit: 'x', janus: 'j', node: 'n' },
  runs, targets, skipped: [], notes: [] };
  return `${renderTable(runs, targets)}\n${renderDoc({ results, plan, janusFiles: null, mixer, plenaryArgs: 'a' })}`;
}

function assertMissed(runs, mixer, id, gapPattern) {
  const targets = evaluateTargets(plan, runs, mixer);
  const t = byId(targets, id);
  assert.equal(t.met, false, `${id} should be missed: ${JSON.stringify(t)}`);
  if (gapPattern) assert.match(t.gap, gapPattern);
  const text = everything(runs, targets, mixer);
  const row = text.split('\n').find((l) => l.startsWith(`| ${t.target} |`));
  assert.ok(row, `the targets table has a row for ${id}`);
  assert.match(row, /\*\*missed\*\*/);
  assert.doesNotMatch(text, /Every target was met/);
  // Every verdict in the targets table is met or missed, never a neutral "not measured".
  const verdicts = text.split('\n').filter((l) => targets.some((x) => l.startsWith(`| ${x.target} |`)))
    .map((l) => l.split(' | ').at(-2));
  assert.equal(verdicts.length, 2 * targets.length); // the table on stdout and in the document
  for (const v of verdicts) assert.ok(v === 'met' || v === '**missed**', v);
  return { targets, text };
}

test('a clean run meets every target, and only then says so', () => {
  const runs = goodRuns();
  const targets = evaluateTargets(plan, runs, mixerOk);
  assert.deepEqual(targets.filter((t) => !t.met).map((t) => t.id), []);
  assert.match(targetsVerdict(targets), /^Every target was met \(15 of 15\)/);
});

test('listeners that never connected or never heard fail the 2,000-listener target', () => {
  const runs = goodRuns();
  runs[6] = audio('listeners', 'plenary', 2000, { failures: 300, connected: 1700, heard: 1700 });
  assertMissed(runs, mixerOk, 'two_thousand', /300 failures.*1700 of 2000 connected/);
  // Failures not measured at all (the tool crashed) are no better.
  runs[6] = audio('listeners', 'plenary', 2000, { failures: null });
  assertMissed(runs, mixerOk, 'two_thousand', /failures not measured/);
});

test('listeners who heard nothing: missed, not "not measured"', () => {
  const runs = goodRuns();
  for (const r of runs.filter((x) => x.system === 'plenary' && x.scenario.startsWith('listeners')))
    Object.assign(r, { loss_pct: null, latency_ms_p50: null, latency_ms_p99: null, heard: 0 });
  const { targets, text } = assertMissed(runs, mixerOk, 'two_thousand');
  for (const id of ['cpu_vs_audiobridge', 'latency']) assert.equal(byId(targets, id).met, false, id);
  assert.doesNotMatch(text, /the mixer of issue 7 was not in it/); // the stale excuse
  assert.match(text, /received no audio in 6 of its audio runs/);
});

test('missing caption deliveries fail the caption target', () => {
  const runs = goodRuns();
  runs[9].deliveries = 99000;
  assertMissed(runs, mixerOk, 'caption_fanout', /1,000 of 100,000 deliveries missing/);
  delete runs[9].deliveries;
  assertMissed(runs, mixerOk, 'caption_fanout', /deliveries not measured/);
  // Captions the chair never got to send are missing deliveries too.
  const fewer = goodRuns();
  Object.assign(fewer[9], { captions: 7, deliveries: 70000, expected_deliveries: 70000 });
  assertMissed(fewer, mixerOk, 'caption_fanout', /7 of 10 captions sent/);
  // A fan-out whose tool was saturated measured the tool.
  const slow = goodRuns();
  slow[9].latency_ms_p99 = 150;
  assertMissed(slow, mixerOk, 'caption_fanout', /p99 150 ms/);
  const busy = goodRuns();
  busy[9].tool_cpu_cores = 0.99;
  assertMissed(busy, mixerOk, 'caption_fanout', /run invalid: the load tool used/);
});

test('2,000 participants: a slow tail, a failure or a missing run misses their target', () => {
  const swap = (over) => goodRuns().map((r) => (r.scenario === 'listeners-participants' ? { ...r, ...over } : r));
  assertMissed(swap({ latency_ms_p99: 786 }), mixerOk, 'participants_2000', /p99 786 ms/);
  assertMissed(swap({ failures: 177, connected: 1823 }), mixerOk, 'participants_2000', /177 failures.*1823 of 2000 connected/);
  assertMissed(goodRuns().filter((r) => r.scenario !== 'listeners-participants'), mixerOk, 'participants_2000', /not measured/);
});

test('the whole server per listener-packet: over 3.5 µs misses', () => {
  // 0.0147 CPU-s per listener-minute is 4.9 µs per packet at 50 packets a second.
  const runs = goodRuns().map((r) => (r.scenario === 'listeners' && r.system === 'plenary' && r.listeners === 2000
    ? { ...r, cpu_s_per_listener_min: 0.0147 } : r));
  assertMissed(runs, mixerOk, 'server_per_packet', /4\.90? µs/);
});

test('a cell that was not measured shows as missed', () => {
  const runs = goodRuns().filter((r) => !(r.scenario === 'listeners' && r.listeners === 2000));
  assertMissed(runs, mixerOk, 'two_thousand', /not measured/);
  assertMissed(goodRuns().filter((r) => r.scenario !== 'caption-fanout'), mixerOk, 'caption_fanout');
  assertMissed(goodRuns(), null, 'mixer_per_listener', /not measured/);
});

test('the bench_mixer target is in the table, and missed when a row is over', () => {
  const over = { ...mixerOk, results: [...mixerOk.results, { ...mixerOk.results[0], mics: 2, us_per_listener: 3.1 }] };
  assertMissed(goodRuns(), over, 'mixer_per_listener', /1 of 2 rows above 2\.50? µs/);
});

test('Janus failures: no "where Janus kept up", and the failures are stated', () => {
  const runs = goodRuns();
  // Janus (a) at 1,000: loss fine, but 556 of 1,000 listeners failed.
  runs[4] = audio('listeners', 'janus-audiobridge', 1000, { failures: 556, connected: 444, heard: 444 });
  runs[1] = audio('listeners', 'janus-audiobridge', 200, { failures: 12 });
  const targets = evaluateTargets(plan, runs, mixerOk);
  const t = byId(targets, 'cpu_vs_audiobridge');
  assert.doesNotMatch(t.measured, /kept up/);
  assert.match(t.measured, /12 of 200 listeners failed/);
  assert.doesNotMatch(everything(runs, targets, mixerOk), /kept up/);
  runs[5] = audio('listeners', 'janus-streaming', 1000, { failures: 40 });
  assert.match(byId(evaluateTargets(plan, runs, mixerOk), 'cpu_vs_streaming').measured, /40 of 1000 listeners failed/);
});

test('onsets that matched no burst fail the latency targets', () => {
  const runs = goodRuns();
  runs[0].onsets_unmatched = 3;
  assertMissed(runs, mixerOk, 'latency', /3 onsets matched no burst/);
  const runs2 = goodRuns();
  runs2[6].onsets_unmatched = 1;
  assertMissed(runs2, mixerOk, 'two_thousand', /1 onsets matched no burst/);
});

test('a run where the load tool fell behind is invalid and fails its targets', () => {
  const runs = goodRuns();
  runs[6].tool_cpu_cores = 0.97;
  assert.match(runInvalid(runs[6]), /load tool used 0\.970? cores/);
  const { text } = assertMissed(runs, mixerOk, 'two_thousand', /invalid/);
  assert.match(text.split('\n').find((l) => l.startsWith('| listeners | 2,000 |')), /\*\*invalid\*\*/);
  const late = goodRuns();
  late[8].send_late_ms_p99 = 45; // the storm's speaker slipped
  assertMissed(late, mixerOk, 'join_storm', /invalid.*45 ms late/);
  assert.equal(runInvalid(goodRuns()[0]), null);
});

test('repeats: median and range, and the worst repeat decides failures and validity', () => {
  const reps = [audio('listeners', 'plenary', 2000, { loss_pct: 0.1, latency_ms_p99: 40 }),
    audio('listeners', 'plenary', 2000, { loss_pct: 0.3, latency_ms_p99: 60, failures: 2, connected: 1998 }),
    audio('listeners', 'plenary', 2000, { loss_pct: 0.2, latency_ms_p99: 50, tool_cpu_cores: 0.95 })];
  const cell = combineRepeats(reps);
  assert.equal(cell.repeats, 3);
  assert.equal(cell.loss_pct, 0.2);
  assert.deepEqual(cell.range.latency_ms_p99, [40, 60]);
  assert.equal(cell.failures, 2);
  assert.equal(cell.connected, 1998);
  assert.equal(cell.tool_cpu_cores, 0.95);
  const runs = goodRuns();
  runs[6] = cell;
  const { text } = assertMissed(runs, mixerOk, 'two_thousand', /run invalid: the load tool used 0\.950? cores, 1998 of 2000 connected/);
  assert.match(text, /\| 0\.200 \(0\.100–0\.300\) \|/);
  // A repeat that could not measure latency leaves the cell unmeasured, never the others' median.
  reps[1].latency_ms_p99 = null;
  assert.equal(combineRepeats(reps).latency_ms_p99, null);
  assert.equal(combineRepeats([reps[0]]).repeats, 1);
});

test('Janus at its least prebuffering: its own rows and targets, missed like any other', () => {
  const runs = goodRuns();
  const targets = evaluateTargets(plan, runs, mixerOk);
  for (const id of ['cpu_vs_audiobridge_minbuf', 'latency_minbuf']) assert.equal(byId(targets, id).met, true, id);
  assert.match(byId(targets, 'latency_minbuf').measured, /Janus \(a\) at its least prebuffering 25 ms/);
  const text = everything(runs, targets, mixerOk);
  assert.match(text, /\| listeners \| 200 \| Janus \(a\) AudioBridge, least prebuffering \|/);
  assert.match(text, /LD_LIBRARY_PATH/);
  assert.match(text, /ICE-lite/);
  assert.match(text, /listeners-mixing rows a second speaker talks continuously/);
  // Janus with no prebuffering to speak of is faster than Plenary: missed, and said so.
  const faster = goodRuns();
  faster[2].latency_ms_p50 = 0.5;
  assertMissed(faster, mixerOk, 'latency_minbuf', /ms slower/);
  assert.equal(byId(evaluateTargets(plan, faster, mixerOk), 'latency').met, true);
  // A minbuf row that is missing (not run, or Janus could not start) is missed, not hidden.
  const none = goodRuns().filter((r) => r.system !== 'janus-audiobridge-minbuf');
  assertMissed(none, mixerOk, 'latency_minbuf', /not measured/);
  assertMissed(none, mixerOk, 'cpu_vs_audiobridge_minbuf', /not measured/);
  // Its run invalid (the tool fell behind): missed.
  const invalid = goodRuns();
  invalid[2].tool_cpu_cores = 0.95;
  assertMissed(invalid, mixerOk, 'cpu_vs_audiobridge_minbuf', /least prebuffering run invalid/);
});

test('interpretation channels: each of its four targets misses on its own, and a missing run misses them all', () => {
  const spoil = (over) => goodRuns().map((r) => (r.scenario === 'listeners-channels' ? { ...r, ...over } : r));
  assertMissed(spoil({ cpu_s_per_listener_min: 0.016 }), mixerOk, 'channels_cpu', /1\.60?×/);
  assertMissed(spoil({ channel_encodes_per_tick: 2 }), mixerOk, 'channels_encodes', /2/);
  assertMissed(spoil({ channel_encodes_per_tick: 0.97 }), mixerOk, 'channels_encodes', /0\.97/);
  assertMissed(spoil({ channel_encodes_per_tick: null }), mixerOk, 'channels_encodes', /not measured/);
  assertMissed(spoil({ loss_pct: 0.5 }), mixerOk, 'channels_loss', /loss 0\.50*0 %/);
  // Frames the room never sent (a starved server) are loss too, though no sequence number is.
  assertMissed(spoil({ channel_frames_missing_pct: 18.8 }), mixerOk, 'channels_loss', /18\.8 % of the room's frames never sent/);
  assertMissed(spoil({ failures: 2, channel_listeners_wrong: 2 }), mixerOk, 'channels_failures', /2 failures.*2 heard another/);
  // A repeat that encoded twice is not averaged away by the others.
  const reps = goodRuns().map((r) => (r.scenario === 'listeners-channels'
    ? combineRepeats([r, { ...r, channel_encodes_per_tick: 2 }, r]) : r));
  assertMissed(reps, mixerOk, 'channels_encodes');
  const none = goodRuns().filter((r) => r.scenario !== 'listeners-channels');
  for (const id of ['channels_cpu', 'channels_encodes', 'channels_loss', 'channels_failures'])
    assertMissed(none, mixerOk, id, /not measured/);
  // Without the one-channel row there is nothing to compare the CPU with.
  assertMissed(goodRuns().filter((r) => !(r.scenario === 'listeners' && r.listeners === 2000)), mixerOk, 'channels_cpu', /not measured/);
});
