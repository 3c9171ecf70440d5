// What bench.mjs makes of its runs: the issue's targets evaluated from the measurements,
// the table with ratios, and docs/benchmarks.md. Pure functions of results.json's content,
// so the document can only say what the run measured.

import { JANUS_PREBUFFER_DEFAULT, JANUS_PREBUFFER_MIN } from './servers.mjs';

const SYSTEM_NAMES = {
  plenary: 'Plenary',
  'janus-audiobridge': 'Janus (a) AudioBridge',
  'janus-audiobridge-minbuf': 'Janus (a) AudioBridge, least prebuffering',
  'janus-streaming': 'Janus (b) Streaming',
};

const fmt = (v, digits = 3) => {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  const x = Number(v);
  if (x === 0) return '0';
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en-US');
  return x.toPrecision(digits).replace(/\.?0+$/, (m) => (m.startsWith('.') ? '' : m));
};

// AudioBridge's prebuffering in the two kinds of Janus (a) rows.
const JANUS_PREBUFFER = { default: JANUS_PREBUFFER_DEFAULT, min: JANUS_PREBUFFER_MIN };

// The mixing rows' second voice (bench.mjs renders it, load_speech.h says how it is used).
const SPEECH_NOTE = 'a paragraph of a chair\'s opening words rendered by espeak-ng, low-passed at 500 Hz (8 poles) by ffmpeg, ' +
  'resampled to 48 kHz, encoded once by plenary-load with the tone\'s settings, DTX off, and looped; its share of ' +
  'frames louder than -50 dBov, what Plenary\'s voice detector counts as speech, is recorded per run in ' +
  'results.json (speech_voice_pct). The sampled listeners high-pass what they decode at 800 Hz (4th-order ' +
  'Butterworth) before timing the bursts, which stay identifiable by frequency above the speech; the tone\'s baseline ' +
  'is measured through the same filter';

// --- repeats ---------------------------------------------------------------------------------

// Measured values: the cell shows the median of the repeats and their range.
const MEDIAN_FIELDS = ['cpu_s_per_listener_min', 'rss_kb_per_listener', 'loss_pct', 'latency_ms_p50',
  'latency_ms_p99', 'join_s', 'server_cpu_cores', 'idle_during_pct', 'idle_before_pct', 'ops_per_s'];
// Counts of what went wrong and the tool's load: the worst repeat, so no repeat's failure
// or invalidity is averaged away.
const WORST_MAX = ['failures', 'onsets_unmatched', 'tool_cpu_cores', 'send_late_ms_p99', 'errors',
  'channel_frames_missing_pct'];
// Interpretation channels (listeners-channels): the same, for listeners who heard another channel.
WORST_MAX.push('channel_listeners_wrong');
const WORST_MIN = ['heard', 'connected', 'deliveries', 'captions'];

function median(xs) {
  const v = [...xs].sort((a, b) => a - b);
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

// One cell from its repeats (rows of the same scenario, system and size). A field that
// some repeat could not measure (null) is null in the cell; the repeats stay attached.
export function combineRepeats(rows) {
  if (rows.length === 1) return { ...rows[0], repeats: 1 };
  const cell = { ...rows[0], repeats: rows.length, range: {}, runs_each: rows };
  const values = (f) => rows.map((r) => r[f]);
  const known = (xs) => xs.every((x) => x !== null && x !== undefined && Number.isFinite(Number(x)));
  for (const f of MEDIAN_FIELDS) {
    const xs = values(f);
    if (xs.every((x) => x === undefined)) continue;
    cell[f] = known(xs) ? median(xs) : null;
    if (known(xs)) cell.range[f] = [Math.min(...xs), Math.max(...xs)];
  }
  for (const [fields, pick] of [[WORST_MAX, Math.max], [WORST_MIN, Math.min]]) {
    for (const f of fields) {
      const xs = values(f);
      if (xs.every((x) => x === undefined)) continue;
      cell[f] = known(xs) ? pick(...xs) : null;
    }
  }
  cell.warnings = rows.flatMap((r, i) => r.warnings.map((w) => `repeat ${i + 1}: ${w}`));
  return cell;
}

// "median (min–max)" for a cell of repeats, the value alone otherwise.
function withRange(r, f, digits) {
  const range = r.range && r.range[f];
  return range && range[0] !== range[1] ? `${fmt(r[f], digits)} (${fmt(range[0], digits)}–${fmt(range[1], digits)})` : fmt(r[f], digits);
}

function find(runs, scenario, system, n) {
  return runs.find((r) => r.scenario === scenario && r.system === system && (n === undefined || r.listeners === n));
}

// A Plenary row whose listeners heard nothing has no meaningful CPU per listener: the
// server did no media work for them.
function heard(r) {
  return r && r.loss_pct !== null && r.loss_pct !== undefined;
}

export function cpuRatio(runs, r) {
  if (!r || r.system === 'plenary') return null;
  const p = find(runs, r.scenario, 'plenary', r.listeners);
  if (!heard(p) || !heard(r) || !p.cpu_s_per_listener_min || r.cpu_s_per_listener_min === null) return null;
  return r.cpu_s_per_listener_min / p.cpu_s_per_listener_min;
}

// met is true or false, never anything else: a target that could not be measured is missed.
function target(id, text, met, measured, gap = null) {
  return { id, target: text, met: met === true, measured, gap: met === true ? null : gap || 'not met' };
}

const notMeasured = (id, text, why) => target(id, text, false, `not measured: ${why}`, 'not measured');

// A run is valid when the load tool kept up with it: its CPU stayed below 90 % of the one
// core it is confined to, and the speaker's frames left on schedule (p99 no more than one
// 20 ms frame late). An invalid run measured the tool, not the server: every target that
// rests on it is missed.
export const TOOL_CPU_MAX = 0.9;
export const SEND_LATE_MAX_MS = 20;

export function runInvalid(r) {
  if (!r) return null;
  const why = [];
  if (r.tool_cpu_cores !== null && r.tool_cpu_cores !== undefined && r.tool_cpu_cores >= TOOL_CPU_MAX)
    why.push(`the load tool used ${fmt(r.tool_cpu_cores)} cores`);
  if (r.send_late_ms_p99 !== null && r.send_late_ms_p99 !== undefined && r.send_late_ms_p99 > SEND_LATE_MAX_MS)
    why.push(`the speaker's frames left up to ${fmt(r.send_late_ms_p99)} ms late (p99)`);
  return why.length ? why.join(', ') : null;
}

// Why a run cannot support a target, or null: absent, invalid, or with failures.
function unfit(r, name) {
  if (!r) return `no ${name} run`;
  const bad = runInvalid(r);
  if (bad) return `${name} run invalid: ${bad}`;
  if (r.failures === null || r.failures === undefined) return `${name} failures not measured`;
  if (r.failures > 0) return `${name}: ${r.failures} failures`;
  return null;
}

// Onsets that matched no burst: latency the run could not attribute, so it is not met.
const unmatched = (r) => (r && r.onsets_unmatched ? r.onsets_unmatched : 0);

function janusKeptUp(r) {
  return r && r.loss_pct !== null && r.loss_pct < 5 && r.failures === 0 && !runInvalid(r);
}

// Janus (a) at its default prebuffering, and at the least (the -minbuf rows): each its own target.
const JANUS_A = [
  { system: 'janus-audiobridge', suffix: '', name: 'Janus (a)' },
  { system: 'janus-audiobridge-minbuf', suffix: '_minbuf', name: 'Janus (a) at its least prebuffering' },
];

function targetCpuVsA(runs, { system, suffix, name } = JANUS_A[0]) {
  const id = `cpu_vs_audiobridge${suffix}`;
  const text = `≥ 20× less server CPU per listener than ${name}${suffix ? ',' : ''} at 200 listeners`;
  const p = find(runs, 'listeners', 'plenary', 200);
  const a = find(runs, 'listeners', system, 200);
  if (!p || !a) return notMeasured(id, text, 'no run at 200 listeners for both');
  if (!heard(p)) return notMeasured(id, text, "Plenary's listeners heard no audio");
  const ratio = cpuRatio(runs, a);
  if (ratio === null) return notMeasured(id, text, 'CPU not measured');
  const bad = unfit(p, 'Plenary') || (runInvalid(a) ? `${name} run invalid: ${runInvalid(a)}` : null);
  const janusFailed = a.failures ? ` (${name}: ${a.failures} of ${a.listeners} listeners failed)` : '';
  const sat = a.loss_pct !== null && a.loss_pct >= 5
    ? ` (Janus did not keep up: ${fmt(a.loss_pct)} % loss on ${fmt(a.server_cpu_cores)} cores, so its true cost is higher)` : '';
  // Where Janus still kept up, its cost per listener is not capped by the machine.
  const fine = runs.filter((x) => x.scenario === 'listeners' && x.system === system &&
    janusKeptUp(x) && cpuRatio(runs, x) !== null);
  const best = fine[fine.length - 1];
  const also = best && best.listeners !== 200 ? `; ${fmt(cpuRatio(runs, best))}× at ${best.listeners} listeners, where Janus kept up` : '';
  return target(id, text, ratio >= 20 && !bad, `${fmt(ratio)}×${sat}${janusFailed}${also}`,
    bad || `${fmt(20 / ratio)}× short`);
}

function targetCpuVsB(runs) {
  const text = 'less server CPU per listener than Janus (b) at 1,000 listeners';
  const p = find(runs, 'listeners', 'plenary', 1000);
  const b = find(runs, 'listeners', 'janus-streaming', 1000);
  if (!p || !b) return notMeasured('cpu_vs_streaming', text, 'no run at 1,000 listeners for both');
  const ratio = cpuRatio(runs, b);
  if (ratio === null) return notMeasured('cpu_vs_streaming', text, "no audio, or CPU not measured");
  const bad = unfit(p, 'Plenary') || (runInvalid(b) ? `Janus (b) run invalid: ${runInvalid(b)}` : null);
  const janusFailed = b.failures ? `; Janus (b): ${b.failures} of ${b.listeners} listeners failed` : '';
  return target('cpu_vs_streaming', text, ratio > 1 && !bad,
    `Janus (b) ${fmt(b.cpu_s_per_listener_min)} vs Plenary ${fmt(p.cpu_s_per_listener_min)} CPU-s per listener-minute (${fmt(ratio)}×)${janusFailed}`,
    bad || `Plenary costs ${fmt(1 / ratio)}× Janus (b)`);
}

function targetLatency(runs, { system, suffix, name } = JANUS_A[0]) {
  const id = `latency${suffix}`;
  const text = suffix ? "server-added latency below Janus (a)'s at its least prebuffering" : "server-added latency below Janus's";
  const n = 200;
  const p = find(runs, 'listeners', 'plenary', n);
  const a = find(runs, 'listeners', system, n);
  if (!p || !a || p.latency_ms_p50 === null || a.latency_ms_p50 === null)
    return notMeasured(id, text, `no latency measured for both at ${n} listeners`);
  // Plenary forwards one voice; when two talk it mixes, as AudioBridge always does: both count.
  const m = find(runs, 'listeners-mixing', 'plenary', n);
  const mixOk = !m || (m.latency_ms_p50 !== null && m.latency_ms_p50 < a.latency_ms_p50);
  const mixing = m ? `; mixing two voices ${fmt(m.latency_ms_p50)} / ${fmt(m.latency_ms_p99)} ms (p50 / p99)` : '';
  const lost = unmatched(p) + unmatched(m) + unmatched(a);
  const lostText = lost ? `; ${lost} onsets matched no burst` : '';
  const bad = [unfit(p, 'Plenary'), m ? unfit(m, 'Plenary mixing') : null,
    runInvalid(a) ? `${name} run invalid: ${runInvalid(a)}` : null,
    lost ? `${lost} onsets matched no burst (Plenary ${unmatched(p) + unmatched(m)}, ${name} ${unmatched(a)})` : null]
    .filter(Boolean);
  const faster = p.latency_ms_p50 < a.latency_ms_p50 && mixOk;
  return target(id, text, faster && !bad.length,
    `p50 Plenary ${fmt(p.latency_ms_p50)} ms vs ${name} ${fmt(a.latency_ms_p50)} ms at ${n} listeners${mixing}${lostText}`,
    [...bad, ...(faster ? [] : [`${fmt(p.latency_ms_p50 - a.latency_ms_p50)} ms slower${mixing}`])].join('; '));
}

// What keeps a crowd's run (2,000 listeners or participants) from its target: the run
// unfit, people who never connected or heard, unattributed onsets, loss >= 0.5 %, a p99
// over 100 ms, a server using a core or more.
function crowdGaps(p, name) {
  const gaps = [];
  const bad = unfit(p, name);
  if (bad) gaps.push(bad);
  if (p.connected !== undefined && p.connected !== p.listeners) gaps.push(`${p.connected ?? 0} of ${p.listeners} connected`);
  if (p.heard !== undefined && p.heard !== p.listeners) gaps.push(`${p.heard ?? 0} of ${p.listeners} heard audio`);
  if (unmatched(p)) gaps.push(`${unmatched(p)} onsets matched no burst`);
  if (!(p.loss_pct < 0.5)) gaps.push(`loss ${fmt(p.loss_pct)} %`);
  if (!(p.latency_ms_p99 !== null && p.latency_ms_p99 <= 100)) gaps.push(`p99 ${fmt(p.latency_ms_p99)} ms`);
  if (!(p.server_cpu_cores !== null && p.server_cpu_cores < 1)) gaps.push(`CPU ${fmt(p.server_cpu_cores)} cores`);
  return gaps;
}

function target2000(runs) {
  const text = '2,000 listeners: < 0.5 % loss, latency p99 ≤ 100 ms, server CPU under one core';
  const p = find(runs, 'listeners', 'plenary', 2000);
  if (!p) return notMeasured('two_thousand', text, 'no run at 2,000 listeners');
  const q = find(runs, 'listeners-participants', 'plenary', 2000);
  const asParticipants = q ? `; as participants: loss ${fmt(q.loss_pct)} %, p99 ${fmt(q.latency_ms_p99)} ms, ${q.failures} failures` : '';
  if (!heard(p)) return notMeasured('two_thousand', text, 'the listeners heard no audio');
  const gaps = crowdGaps(p, '2,000-listener');
  return target('two_thousand', text, gaps.length === 0,
    `observers: loss ${fmt(p.loss_pct)} %, p99 ${fmt(p.latency_ms_p99)} ms, CPU ${fmt(p.server_cpu_cores)} cores, failures ${p.failures ?? 'not measured'}${asParticipants}`,
    gaps.join(', '));
}

// Issue 15's case: the remote audience of a plenary as participants (on the record, each
// able to raise a hand), joining at the plan's rate and listening while the queue moves.
function targetParticipants(runs) {
  const text = '2,000 participants: no failures, < 0.5 % loss, latency p99 ≤ 100 ms, server CPU under one core';
  const q = find(runs, 'listeners-participants', 'plenary', 2000);
  if (!q) return notMeasured('participants_2000', text, 'no participants run at 2,000');
  if (!heard(q)) return notMeasured('participants_2000', text, 'the participants heard no audio');
  const gaps = crowdGaps(q, '2,000-participant');
  return target('participants_2000', text, gaps.length === 0,
    `loss ${fmt(q.loss_pct)} %, p99 ${fmt(q.latency_ms_p99)} ms, CPU ${fmt(q.server_cpu_cores)} cores, failures ${q.failures ?? 'not measured'}`,
    gaps.join(', '));
}

// The whole server (RTCP, consent, timers, the gateway: everything plenaryd spent) per
// listener per 20 ms packet at 2,000 observers, against its own fan-out loop's budget.
export const SERVER_US_PER_PACKET_MAX = 3.5;
const PACKETS_PER_MIN = 60 * 50;

function targetServerPerPacket(runs) {
  const text = `the whole server at 2,000 observers: ≤ ${fmt(SERVER_US_PER_PACKET_MAX)} µs of CPU per listener per packet`;
  const p = find(runs, 'listeners', 'plenary', 2000);
  if (!p) return notMeasured('server_per_packet', text, 'no run at 2,000 listeners');
  if (!heard(p) || !Number.isFinite(p.cpu_s_per_listener_min))
    return notMeasured('server_per_packet', text, 'no audio, or CPU not measured');
  const us = (p.cpu_s_per_listener_min * 1e6) / PACKETS_PER_MIN;
  const bad = unfit(p, '2,000-listener');
  return target('server_per_packet', text, us <= SERVER_US_PER_PACKET_MAX && !bad,
    `${fmt(us)} µs per listener-packet`, bad || `${fmt(us)} µs`);
}

function targetStorm(plan, runs) {
  const text = `join storm of ${plan.storm}: zero failures, all hearing audio within 10 s`;
  const p = find(runs, 'join-storm', 'plenary');
  if (!p) return notMeasured('join_storm', text, 'not run');
  const invalid = runInvalid(p);
  const ok = p.failures === 0 && p.join_s !== null && p.join_s <= 10 && !invalid;
  const measured = p.heard === 0 ? `${p.connected} of ${p.listeners} connected, but no listener heard any audio`
    : `${p.failures} failures, all heard after ${fmt(p.join_s)} s`;
  return target('join_storm', text, ok, measured,
    invalid ? `run invalid: ${invalid}` : p.join_s === null ? 'not every listener heard audio' : `${p.failures} failures, ${fmt(p.join_s)} s`);
}

function targetFanout(plan, runs) {
  const text = `a caption reaches ${plan.observers.toLocaleString('en-US')} WebSocket observers with p99 ≤ 100 ms`;
  const p = find(runs, 'caption-fanout', 'plenary');
  if (!p) return notMeasured('caption_fanout', text, 'not run');
  const missing = Number.isFinite(p.expected_deliveries) && Number.isFinite(p.deliveries)
    ? p.expected_deliveries - p.deliveries : null;
  const gaps = [];
  if (!(p.latency_ms_p99 !== null && p.latency_ms_p99 <= 100)) gaps.push(`p99 ${fmt(p.latency_ms_p99)} ms`);
  if (p.failures !== 0) gaps.push(`failures ${p.failures ?? 'not measured'}`);
  if (Number.isFinite(p.captions) && Number.isFinite(plan.captions) && p.captions < plan.captions)
    gaps.push(`${p.captions} of ${plan.captions} captions sent`);
  if (missing === null) gaps.push('deliveries not measured');
  else if (missing > 0) gaps.push(`${fmt(missing)} of ${fmt(p.expected_deliveries)} deliveries missing`);
  if (runInvalid(p)) gaps.push(`run invalid: ${runInvalid(p)}`);
  return target('caption_fanout', text, gaps.length === 0,
    `p99 ${fmt(p.latency_ms_p99)} ms, ${p.failures ?? '?'} observers failed to join, ` +
    `${fmt(p.deliveries)} of ${fmt(p.expected_deliveries)} deliveries`,
    gaps.join(', '));
}

// bench_mixer's own target (tests/load/bench_mixer.c): every row within it.
export const MIXER_TARGET_US = 2.5;

function targetMixer(mixer) {
  const limit = mixer && Number.isFinite(mixer.target_us_per_listener) ? mixer.target_us_per_listener : MIXER_TARGET_US;
  const text = `the per-listener path (bench_mixer): ≤ ${fmt(limit)} µs per listener per packet`;
  if (!mixer || !Array.isArray(mixer.results) || !mixer.results.length)
    return notMeasured('mixer_per_listener', text, 'bench_mixer did not run');
  const over = mixer.results.filter((r) => !(Number.isFinite(r.us_per_listener) && r.us_per_listener <= limit));
  const worst = Math.max(...mixer.results.map((r) => (Number.isFinite(r.us_per_listener) ? r.us_per_listener : Infinity)));
  return target('mixer_per_listener', text, over.length === 0,
    `worst ${fmt(worst)} µs over ${mixer.results.length} rows`,
    `${over.length} of ${mixer.results.length} rows above ${fmt(limit)} µs (worst ${fmt(worst)})`);
}

// Interpretation (issue 14): listeners spread over the floor and the booths' channels at
// the size of the channel runs (2,000), against the one-channel listeners row of that size.
export const CHANNELS_CPU_RATIO_MAX = 1.5;
export const CHANNELS_ENCODES_TOLERANCE = 0.02;

function targetsChannels(plan, runs) {
  const n = Math.max(...(plan.channelSizes && plan.channelSizes.length ? plan.channelSizes : [2000]));
  const at = `${n.toLocaleString('en-US')} listeners over the floor and three channels`;
  const texts = {
    channels_cpu: `${at}: server CPU per listener ≤ ${CHANNELS_CPU_RATIO_MAX}× the one-channel run's`,
    channels_encodes: `${at}: one encode per channel per tick (±${CHANNELS_ENCODES_TOLERANCE * 100} %, from /metrics)`,
    channels_loss: `${at}: < 0.5 % loss`,
    channels_failures: `${at}: no failures (every sampled channel listener hears its own booth)`,
  };
  const c = find(runs, 'listeners-channels', 'plenary', n);
  if (!c) return Object.entries(texts).map(([id, text]) => notMeasured(id, text, `no listeners-channels run at ${n}`));
  const invalid = runInvalid(c) ? `run invalid: ${runInvalid(c)}` : null;
  const out = [];
  const one = find(runs, 'listeners', 'plenary', n);
  if (!one || !heard(one) || !one.cpu_s_per_listener_min || !heard(c) || c.cpu_s_per_listener_min === null) {
    out.push(notMeasured('channels_cpu', texts.channels_cpu, one ? 'no audio, or CPU not measured' : `no one-channel listeners run at ${n}`));
  } else {
    const ratio = c.cpu_s_per_listener_min / one.cpu_s_per_listener_min;
    const bad = invalid || unfit(one, 'one-channel') || null;
    out.push(target('channels_cpu', texts.channels_cpu, ratio <= CHANNELS_CPU_RATIO_MAX && !bad,
      `${fmt(ratio)}× (${fmt(c.cpu_s_per_listener_min)} vs ${fmt(one.cpu_s_per_listener_min)} CPU-s per listener-minute)`,
      bad || `${fmt(ratio)}×`));
  }
  // Every repeat within the tolerance: a repeat that encoded twice is not averaged away.
  const each = (c.runs_each || [c]).map((r) => r.channel_encodes_per_tick);
  const encOk = each.every((x) => Number.isFinite(x) && Math.abs(x - 1) <= CHANNELS_ENCODES_TOLERANCE);
  out.push(each.some((x) => !Number.isFinite(x))
    ? notMeasured('channels_encodes', texts.channels_encodes, 'the metrics were not read')
    : target('channels_encodes', texts.channels_encodes, encOk && !invalid, `${each.map((x) => fmt(x, 4)).join(', ')} encodes per channel per tick`,
      invalid || `${each.map((x) => fmt(x, 4)).join(', ')}`));
  // Loss by sequence number, or the room's 20 ms frames it never sent, whichever is more:
  // frames a starved server skipped take no sequence numbers, yet they are lost audio.
  const missing = c.channel_frames_missing_pct;
  const lossAll = Number.isFinite(missing) ? Math.max(c.loss_pct, missing) : c.loss_pct;
  const lossText = `${fmt(c.loss_pct)} %${Number.isFinite(missing) ? ` by sequence; ${fmt(missing)} % of the room's frames never sent` : ''}`;
  out.push(heard(c)
    ? target('channels_loss', texts.channels_loss, lossAll < 0.5 && !invalid, lossText, invalid || `loss ${lossText}`)
    : notMeasured('channels_loss', texts.channels_loss, 'the listeners heard no audio'));
  const fails = c.failures;
  const checked = c.channel_listeners_checked ? `; ${c.channel_listeners_checked} sampled channel listeners checked, ${c.channel_listeners_wrong ?? '?'} heard another` : '';
  out.push(Number.isFinite(fails)
    ? target('channels_failures', texts.channels_failures, fails === 0 && !invalid, `${fails} failures${checked}`, invalid || `${fails} failures${checked}`)
    : notMeasured('channels_failures', texts.channels_failures, 'failures not measured'));
  return out;
}

export function evaluateTargets(plan, runs, mixer = null) {
  return [targetCpuVsA(runs), targetCpuVsA(runs, JANUS_A[1]), targetCpuVsB(runs), targetLatency(runs),
    targetLatency(runs, JANUS_A[1]), target2000(runs), targetParticipants(runs),
    targetServerPerPacket(runs), targetStorm(plan, runs), targetFanout(plan, runs),
    targetMixer(mixer), ...targetsChannels(plan, runs)];
}

// One sentence over the rows, never more than they say.
export function targetsVerdict(targets) {
  const met = targets.filter((t) => t.met === true).length;
  if (met === targets.length) return `Every target was met (${met} of ${targets.length}).`;
  const missed = targets.filter((t) => t.met !== true).map((t) => t.target);
  return `${met} of ${targets.length} targets met; **missed**: ${missed.join('; ')}.`;
}

// --- tables ----------------------------------------------------------------------------------

function mdTable(head, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

function validity(r) {
  const why = runInvalid(r);
  return why ? `**invalid**: ${why}` : 'valid';
}

export function audioTable(runs) {
  const rows = runs
    .filter((r) => r.scenario.startsWith('listeners') || r.scenario === 'join-storm' || r.scenario === 'listen-ogg')
    .map((r) => {
      const ratio = cpuRatio(runs, r);
      const vs = !heard(r) ? 'no audio' : r.system === 'plenary' ? '1' : ratio === null ? '—' : `${fmt(ratio)}×`;
      return [r.scenario, fmt(r.listeners), SYSTEM_NAMES[r.system] || r.system, withRange(r, 'cpu_s_per_listener_min'),
        vs, withRange(r, 'server_cpu_cores'), withRange(r, 'rss_kb_per_listener'), withRange(r, 'loss_pct'),
        `${withRange(r, 'latency_ms_p50')} / ${withRange(r, 'latency_ms_p99')}`, fmt(r.onsets_unmatched), withRange(r, 'join_s'),
        r.failures === null || r.failures === undefined ? 'not measured' : fmt(r.failures),
        fmt(r.tool_cpu_cores), withRange(r, 'idle_during_pct'), fmt(r.repeats ?? 1), validity(r),
        r.warnings.length ? r.warnings.length : ''];
    });
  return mdTable(['scenario', 'listeners', 'system', 'server CPU-s per listener-minute', 'vs Plenary',
    'server cores', 'RSS KB per listener', 'loss %', 'latency p50 / p99 ms', 'unmatched onsets', 'join s',
    'failures', 'tool cores', 'machine idle %', 'repeats', 'run', 'warnings'], rows);
}

export function plenaryOnlyTable(runs) {
  const rows = runs
    .filter((r) => r.scenario === 'caption-fanout' || r.scenario === 'queue-ops')
    .map((r) => [r.scenario, fmt(r.listeners),
      r.scenario === 'queue-ops' ? `${fmt(r.ops_per_s, 4)} ops/s (${r.errors} errors)`
        : `${fmt(r.deliveries)} of ${fmt(r.expected_deliveries)} deliveries`,
      `${withRange(r, 'latency_ms_p50')} / ${withRange(r, 'latency_ms_p99')}`, withRange(r, 'join_s'),
      withRange(r, 'rss_kb_per_listener'),
      r.failures === null || r.failures === undefined ? 'not measured' : fmt(r.failures),
      fmt(r.tool_cpu_cores), withRange(r, 'idle_during_pct'), fmt(r.repeats ?? 1), validity(r)]);
  return mdTable(['scenario', 'connections', 'result', 'latency p50 / p99 ms', 'all joined after s',
    'RSS KB per connection', 'failures', 'tool cores', 'machine idle %', 'repeats', 'run'], rows);
}

export function targetsTable(targets) {
  const mark = (m) => (m === true ? 'met' : '**missed**');
  return mdTable(['target (issue 9)', 'measured', 'result', 'gap'],
    targets.map((t) => [t.target, t.measured, mark(t.met), t.gap || '']));
}

export function renderTable(runs, targets) {
  return [audioTable(runs), '', plenaryOnlyTable(runs), '', targetsTable(targets), '', targetsVerdict(targets)].join('\n');
}

// --- docs/benchmarks.md --------------------------------------------------------------------------

function warningsSection(results) {
  const lines = [];
  for (const r of results.runs)
    for (const w of r.warnings) lines.push(`- ${r.scenario} ${SYSTEM_NAMES[r.system] || r.system} ${r.listeners}: ${w}`);
  for (const s of results.skipped) lines.push(`- ${s.scenario} ${SYSTEM_NAMES[s.system]} ${s.n}: skipped, ${s.why}`);
  for (const n of results.notes) lines.push(`- ${n}`);
  return lines.length ? lines.join('\n') : '- none';
}

function mixerSection(mixer) {
  if (!mixer || !Array.isArray(mixer.results)) return 'bench_mixer did not run in this build.';
  const rows = mixer.results.map((r) => [r.mics, fmt(r.listeners), fmt(r.tick_us_p50), fmt(r.us_per_listener),
    fmt(r.srtp_us_per_listener), fmt(r.listeners_per_core)]);
  return `The per-listener path alone (\`bench_mixer\`, libsrtp ${mixer.backend}, ${mixer.profile}), ` +
    `for comparison with the end-to-end numbers above:\n\n` +
    mdTable(['open mics', 'listeners', 'tick p50 µs', 'µs per listener per packet', 'of which SRTP µs',
      'listeners per core'], rows);
}

function configSection(plan, janusFiles, plenaryArgs) {
  const files = janusFiles
    ? Object.entries(janusFiles).map(([name, text]) => `\`${name}\`:\n\n\`\`\`\n${text.replace(/"\/[^"]*bench\/run-data\/[^"]*"/, '"<run directory>"')}\`\`\``).join('\n\n')
    : 'Janus did not run.';
  return `Both systems mix at 48 kHz and encode Opus at the same settings: ${plan.bitrate / 1000} kbit/s, ` +
`complexity ${plan.complexity}, in-band FEC for ${plan.expectedLoss} % expected loss. The speaker's tone is encoded ` +
`once by plenary-load with those settings (DTX off, as browsers send).

**Plenary**: \`${plenaryArgs}\`, one room declared in the configuration file. Its media workers ` +
`(${plan.serverCores}) match the cores it is given. The speaker is ${plan.speaker === 'chair' ? 'a chair (who opens their own mic once the session is live)' : 'a participant who raises a hand and is granted the floor by a chair'}; ` +
`the listeners are anonymous observers (Plenary's pure listeners: they hear the floor and read the captions) ` +
`who offer recvonly; the listeners-participants rows have them join as participants instead, on the record, so ` +
`that every join is an event sent to everyone in the room; in the listeners-mixing rows two chairs speak at ` +
`once (each opens their own mic with mic.open), the timed one sending the bursts and the other continuous speech ` +
`(${SPEECH_NOTE}), so the mixer decodes both, mixes and encodes the public mix ` +
`(and one mix-minus for each of them) on every tick instead of forwarding. By design (issue 7) the mixer encodes the public mix once for ` +
`all listeners, and with one voice on the floor forwards the speaker's own packets without an encode at all.

**Janus** ${'1.1.2'} from Debian, started for each run with the files below (written by ` +
`tests/load/servers.mjs): only the WebSocket transport and the AudioBridge and Streaming plugins; ` +
`${plan.serverCores} static event loop(s) to match Plenary's workers (Janus's default would be a thread per handle); ` +
`logging at warnings, like Plenary. On equal terms with Plenary: (1) **the same libsrtp** — Debian's Janus links ` +
`Debian's libsrtp2 on NSS, whose per-packet cost grows with the number of sessions, so every Janus process runs with ` +
`\`LD_LIBRARY_PATH\` pointing at the OpenSSL build of the same libsrtp source that Plenary links statically ` +
`(scripts/build-libsrtp.sh builds it also as a shared library with Debian's soname \`libsrtp2.so.1\`), and ` +
`the benchmark refuses a Janus whose /proc/PID/maps shows any other libsrtp${plan.janusSrtp ? ` (this run: \`${plan.janusSrtp.replace(/^.*\/build\//, 'build/')}\`)` : ''}; ` +
`(2) **ICE-lite** (\`ice_lite = true\`), as Plenary is: Janus answers checks and runs no checks of its own, and ` +
`the clients, full agents, nominate; (3) **prebuffering at its default and at its least**: AudioBridge queues ` +
`\`default_prebuffering\` packets (${JANUS_PREBUFFER.default}, 120 ms) of each participant before mixing it, where Plenary ` +
`mixes what has arrived; the rows **Janus (a) AudioBridge** run the default, the rows **Janus (a) AudioBridge, least ` +
`prebuffering** run \`default_prebuffering = ${JANUS_PREBUFFER.min}\` with every participant joining with \`prebuffer\`: ` +
`${JANUS_PREBUFFER.min} (Janus 1.1.2 accepts 0, but with 0 its queue trim drops every packet as it arrives, so the ` +
`speaker is never mixed: plenary-load's listeners got packets but not one burst). Janus never gathers loopback candidates, so it ` +
`runs in a network namespace the benchmark makes (a veth pair on private 10.213.N.0/30 addresses; ` +
`tests/browser/netns.mjs) with its signalling and media on the namespace's address, and plenary-load, in the ` +
`machine's own namespace, talks to it over the veth; nothing goes to any other address. AudioBridge room: 48 kHz, ` +
`\`default_bitrate\` and \`default_expectedloss\` as above; every participant also joins with \`bitrate\`, ` +
`\`quality\` (Opus complexity) and \`expected_loss\` set to the same values. Deployment (a): every listener is a muted AudioBridge participant, so Janus ` +
`encodes one Opus stream per listener. Deployment (b), Meetecho's for the IETF: the room's mix is ` +
`\`rtp_forward\`ed (one encode; the forwarder's complexity is libopus's default, which Janus does not let one ` +
`set) to a Streaming mountpoint that every listener watches. The speaker is an unmuted AudioBridge participant ` +
`in both.

${files}`;
}

function methodSection(plan) {
  return `Every number comes from \`plenary-load\` (tests/load, C): each virtual client is a WebSocket session ` +
`plus a real WebRTC peer from tests/support/client.c (ICE with USE-CANDIDATE, DTLS, SRTP; it answers a full agent's own ` +
`connectivity checks too, though both servers here run ICE-lite and send none). The speaker sends a 200 ms burst of a tone every second, ` +
`each burst at one of four frequencies (1, 1.5, 2, 2.5 kHz in turn) so that a listener names the burst it heard ` +
`by its frequency and a delay of up to 4 s is matched to its own burst, never to the next one; an onset that ` +
`matches no burst is counted (**unmatched onsets**) and fails the latency targets. In the listeners-mixing rows a ` +
`second speaker talks continuously at the same time (speech, not bursts: ${SPEECH_NOTE}). Listeners are ` +
`read with \`recvmmsg\` and their loss counted from RTP sequence numbers; ${plan.sample} listeners per run also ` +
`decrypt and decode, and the time from the speaker handing a burst's first packet to the kernel to a listener's ` +
`kernel receiving the packet where the decoded burst begins (plus its offset in the frame), less the tone's own ` +
`codec delay, is the **latency** — what the server adds on loopback. The speakers (and the interpreters of the ` +
`listeners-channels rows) send from a thread of their own, woken by a timer on the schedule's absolute 20 ms grid; ` +
`a frame that leaves late is caught up with its own timestamp, never skipped. Each run starts the server fresh; listeners ` +
`join at ${plan.joinRate}/s (the storm: ${plan.storm} within ${plan.stormWindowS} s); once all are connected and hearing, ` +
`${plan.warmup} s of warm-up, then a ${plan.duration} s window. **Server CPU** is utime + stime of the server ` +
`process over the window (/proc/PID/stat), divided by listener-minutes; **server cores** is the same per second. ` +
`**RSS per listener** is the growth of VmRSS from before the listeners joined to the end of the window, divided ` +
`by the listeners. **join s** is the median time from a listener's WebSocket connect to its first audio packet ` +
`(for the storm: from the first join to the moment every listener had heard audio). **failures** are listeners ` +
`that did not connect, or did not hear audio when others did. The ratio column divides Janus's CPU per listener ` +
`by Plenary's at the same size. **failures** that are not zero, or that could not be measured, fail every ` +
`target resting on the run, and a target that could not be measured at all is **missed**. A run is **invalid** ` +
`(and fails its targets) when the load tool did not keep up: its CPU over the window reached ${TOOL_CPU_MAX} of a core, ` +
`or the speaker's frames left more than ${SEND_LATE_MAX_MS} ms late (p99). **tool cores** is plenary-load's own CPU ` +
`over the window, **machine idle %** the whole machine's idle share while the run went on (/proc/stat). ` +
`Each cell runs ${plan.repeat || 1} time(s) (BENCH_REPEAT), each time on a fresh server; a cell shows the median of its ` +
`repeats with their range in parentheses, and the worst repeat's failures, unmatched onsets and tool load ` +
`(so one failed or invalid repeat fails the cell). ${{ tool: `plenary-load is confined to CPU ${plan.toolCpus} (taskset) and runs at nice ${plan.toolNice}, so it always keeps up with what it receives; the server may use every CPU but gets CPU ${plan.toolCpus} only when the tool leaves it idle, and whatever it cannot get shows as its own loss and latency.`, split: 'The server is pinned to CPU 0 and plenary-load to CPU 1 (taskset); a server that needs more than one core shows it as loss.', none: 'Nothing is pinned.' }[plan.pin]} ` +
`Janus above 200 listeners is run only while it keeps up (loss and failures under 5 %).`;
}

function noAudioNote(runs) {
  const silent = runs.filter((r) => r.system === 'plenary' && (r.scenario.startsWith('listeners') || r.scenario === 'join-storm' || r.scenario === 'listen-ogg') && !heard(r));
  if (!silent.length) return '';
  return `\n**Plenary's listeners received no audio in ${silent.length} of its audio runs** (${silent.map((r) => `${r.scenario} ${r.listeners}`).join(', ')}): ` +
    `its per-listener media cost, loss and latency could not be measured there, and every target that needs them is missed. ` +
    `Its CPU and RSS in those rows are those of connected listeners that receive nothing.\n`;
}

export function renderDoc({ results, plan, janusFiles, mixer, plenaryArgs }) {
  const m = results.machine;
  return `# Benchmarks: Plenary beside Janus

<!-- Generated by \`make bench\` (tests/load/bench.mjs) from build/bench/results.json. Do not edit by hand:
     every number here comes from the run described below; run \`make bench\` to regenerate. -->

Run of ${m.date}${m.quick ? ' — **a quick smoke run (BENCH_QUICK=1), not the full benchmark**' : ''}, ` +
`${m.duration_min} minutes.

## Method

${methodSection(plan)}

## Machine

- ${m.cpu}, ${m.cores} cores, ${m.memory_gb} GB; ${m.os}, Linux ${m.kernel}
- load average before the run ${m.load_avg_before.join(' / ')}, after ${(m.load_avg_after || []).join(' / ')} (1, 5, 15 min)
- pinning: ${m.pinning}
- Plenary ${m.plenary_commit || '?'}; ${m.janus || 'Janus not found'}; Node ${m.node}

## Configuration of both systems

${configSection(plan, janusFiles, plenaryArgs)}

## Results
${noAudioNote(results.runs)}
### One speaker, N listeners; join storm

${audioTable(results.runs)}

### Plenary only: caption fan-out to observers, queue operations through the log

${plenaryOnlyTable(results.runs)}

### Targets of issue 9

${targetsTable(results.targets)}

${targetsVerdict(results.targets)}

Why a missed target is missed, from a profile of the server while it misses it, is in [docs/profiles.md](profiles.md).

### The per-listener path

${mixerSection(mixer)}

### Warnings, skips and notes from this run

${warningsSection(results)}

## How to run

\`make bench\` builds Release and runs the micro-benchmarks, then tests/load/bench.mjs, which writes
\`build/bench/results.json\` (one row per run in the shape issue 9 gives), a raw report per run in
\`build/bench/raw/\`, and this file. \`BENCH_QUICK=1 make bench\` is a one-minute smoke run; sizes and
durations can be set with \`BENCH_SIZES\`, \`BENCH_DURATION\` and the other knobs listed at the top of
tests/load/bench.mjs. The full run took about 25 minutes on two cores with one run per cell, so about three times that with the default BENCH_REPEAT=3; start it when \`uptime\` shows
the machine quiet.
`;
}
