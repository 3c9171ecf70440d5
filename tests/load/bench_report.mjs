// What bench.mjs makes of its runs: the issue's targets evaluated from the measurements,
// the table with ratios, and docs/benchmarks.md. Pure functions of results.json's content,
// so the document can only say what the run measured.

const SYSTEM_NAMES = {
  plenary: 'Plenary',
  'janus-audiobridge': 'Janus (a) AudioBridge',
  'janus-streaming': 'Janus (b) Streaming',
};

const fmt = (v, digits = 3) => {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  const x = Number(v);
  if (x === 0) return '0';
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en-US');
  return x.toPrecision(digits).replace(/\.?0+$/, (m) => (m.startsWith('.') ? '' : m));
};

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

function target(id, text, met, measured, gap = null) {
  return { id, target: text, met, measured, gap: met === false ? gap : null };
}

const notMeasured = (id, text, why) => target(id, text, null, `not measured: ${why}`);

function targetCpuVsA(runs) {
  const text = '≥ 20× less server CPU per listener than Janus (a) at 200 listeners';
  const p = find(runs, 'listeners', 'plenary', 200);
  const a = find(runs, 'listeners', 'janus-audiobridge', 200);
  if (!p || !a) return notMeasured('cpu_vs_audiobridge', text, 'no run at 200 listeners for both');
  if (!heard(p)) return notMeasured('cpu_vs_audiobridge', text, "Plenary's listeners heard no audio");
  const ratio = cpuRatio(runs, a);
  if (ratio === null) return notMeasured('cpu_vs_audiobridge', text, 'CPU not measured');
  const sat = a.loss_pct !== null && a.loss_pct >= 5
    ? ` (Janus did not keep up: ${fmt(a.loss_pct)} % loss on ${fmt(a.server_cpu_cores)} cores, so its true cost is higher)` : '';
  // Where Janus still kept up, its cost per listener is not capped by the machine.
  const fine = runs.filter((x) => x.scenario === 'listeners' && x.system === 'janus-audiobridge' &&
    x.loss_pct !== null && x.loss_pct < 5 && cpuRatio(runs, x) !== null);
  const best = fine[fine.length - 1];
  const also = best && best.listeners !== 200 ? `; ${fmt(cpuRatio(runs, best))}× at ${best.listeners} listeners, where Janus kept up` : '';
  return target('cpu_vs_audiobridge', text, ratio >= 20, `${fmt(ratio)}×${sat}${also}`, `${fmt(20 / ratio)}× short`);
}

function targetCpuVsB(runs) {
  const text = 'less server CPU per listener than Janus (b) at 1,000 listeners';
  const p = find(runs, 'listeners', 'plenary', 1000);
  const b = find(runs, 'listeners', 'janus-streaming', 1000);
  if (!p || !b) return notMeasured('cpu_vs_streaming', text, 'no run at 1,000 listeners for both');
  const ratio = cpuRatio(runs, b);
  if (ratio === null) return notMeasured('cpu_vs_streaming', text, "no audio, or CPU not measured");
  return target('cpu_vs_streaming', text, ratio > 1,
    `Janus (b) ${fmt(b.cpu_s_per_listener_min)} vs Plenary ${fmt(p.cpu_s_per_listener_min)} CPU-s per listener-minute (${fmt(ratio)}×)`,
    `Plenary costs ${fmt(1 / ratio)}× Janus (b)`);
}

function targetLatency(runs) {
  const text = "server-added latency below Janus's";
  const n = 200;
  const p = find(runs, 'listeners', 'plenary', n);
  const a = find(runs, 'listeners', 'janus-audiobridge', n);
  if (!p || !a || p.latency_ms_p50 === null || a.latency_ms_p50 === null)
    return notMeasured('latency', text, `no latency measured for both at ${n} listeners`);
  // Plenary forwards one voice; when two talk it mixes, as AudioBridge always does: both count.
  const m = find(runs, 'listeners-mixing', 'plenary', n);
  const mixOk = !m || (m.latency_ms_p50 !== null && m.latency_ms_p50 < a.latency_ms_p50);
  const mixing = m ? `; mixing two voices ${fmt(m.latency_ms_p50)} / ${fmt(m.latency_ms_p99)} ms (p50 / p99)` : '';
  return target('latency', text, p.latency_ms_p50 < a.latency_ms_p50 && mixOk,
    `p50 Plenary ${fmt(p.latency_ms_p50)} ms vs Janus (a) ${fmt(a.latency_ms_p50)} ms at ${n} listeners${mixing}`,
    `${fmt(p.latency_ms_p50 - a.latency_ms_p50)} ms slower${mixing}`);
}

function target2000(runs) {
  const text = '2,000 listeners: < 0.5 % loss, latency p99 ≤ 100 ms, server CPU under one core';
  const p = find(runs, 'listeners', 'plenary', 2000);
  if (!p) return notMeasured('two_thousand', text, 'no run at 2,000 listeners');
  const q = find(runs, 'listeners-participants', 'plenary', 2000);
  const asParticipants = q ? `; as participants: loss ${fmt(q.loss_pct)} %, p99 ${fmt(q.latency_ms_p99)} ms, ${q.failures} failures` : '';
  if (!heard(p)) return notMeasured('two_thousand', text, 'the listeners heard no audio');
  const gaps = [];
  if (!(p.loss_pct < 0.5)) gaps.push(`loss ${fmt(p.loss_pct)} %`);
  if (!(p.latency_ms_p99 !== null && p.latency_ms_p99 <= 100)) gaps.push(`p99 ${fmt(p.latency_ms_p99)} ms`);
  if (!(p.server_cpu_cores !== null && p.server_cpu_cores < 1)) gaps.push(`CPU ${fmt(p.server_cpu_cores)} cores`);
  return target('two_thousand', text, gaps.length === 0,
    `observers: loss ${fmt(p.loss_pct)} %, p99 ${fmt(p.latency_ms_p99)} ms, CPU ${fmt(p.server_cpu_cores)} cores, failures ${p.failures}${asParticipants}`,
    gaps.join(', '));
}

function targetStorm(plan, runs) {
  const text = `join storm of ${plan.storm}: zero failures, all hearing audio within 10 s`;
  const p = find(runs, 'join-storm', 'plenary');
  if (!p) return notMeasured('join_storm', text, 'not run');
  const ok = p.failures === 0 && p.join_s !== null && p.join_s <= 10;
  const measured = p.heard === 0 ? `${p.connected} of ${p.listeners} connected, but no listener heard any audio`
    : `${p.failures} failures, all heard after ${fmt(p.join_s)} s`;
  return target('join_storm', text, ok, measured,
    p.join_s === null ? 'not every listener heard audio' : `${p.failures} failures, ${fmt(p.join_s)} s`);
}

function targetFanout(plan, runs) {
  const text = `a caption reaches ${plan.observers.toLocaleString('en-US')} WebSocket observers with p99 ≤ 250 ms`;
  const p = find(runs, 'caption-fanout', 'plenary');
  if (!p) return notMeasured('caption_fanout', text, 'not run');
  const ok = p.latency_ms_p99 !== null && p.latency_ms_p99 <= 250 && p.failures === 0;
  return target('caption_fanout', text, ok,
    `p99 ${fmt(p.latency_ms_p99)} ms, ${p.failures} observers failed to join`,
    `p99 ${fmt(p.latency_ms_p99)} ms, failures ${p.failures}`);
}

export function evaluateTargets(plan, runs) {
  return [targetCpuVsA(runs), targetCpuVsB(runs), targetLatency(runs), target2000(runs),
    targetStorm(plan, runs), targetFanout(plan, runs)];
}

// --- tables ----------------------------------------------------------------------------------

function mdTable(head, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

export function audioTable(runs) {
  const rows = runs
    .filter((r) => r.scenario.startsWith('listeners') || r.scenario === 'join-storm')
    .map((r) => {
      const ratio = cpuRatio(runs, r);
      const vs = !heard(r) ? 'no audio' : r.system === 'plenary' ? '1' : ratio === null ? '—' : `${fmt(ratio)}×`;
      return [r.scenario, fmt(r.listeners), SYSTEM_NAMES[r.system] || r.system, fmt(r.cpu_s_per_listener_min),
        vs, fmt(r.server_cpu_cores), fmt(r.rss_kb_per_listener), fmt(r.loss_pct),
        `${fmt(r.latency_ms_p50)} / ${fmt(r.latency_ms_p99)}`, fmt(r.join_s), fmt(r.failures),
        r.warnings.length ? r.warnings.length : ''];
    });
  return mdTable(['scenario', 'listeners', 'system', 'server CPU-s per listener-minute', 'vs Plenary',
    'server cores', 'RSS KB per listener', 'loss %', 'latency p50 / p99 ms', 'join s', 'failures', 'warnings'], rows);
}

export function plenaryOnlyTable(runs) {
  const rows = runs
    .filter((r) => r.scenario === 'caption-fanout' || r.scenario === 'queue-ops')
    .map((r) => [r.scenario, fmt(r.listeners),
      r.scenario === 'queue-ops' ? `${fmt(r.ops_per_s, 4)} ops/s (${r.errors} errors)`
        : `${fmt(r.deliveries)} of ${fmt(r.expected_deliveries)} deliveries`,
      `${fmt(r.latency_ms_p50)} / ${fmt(r.latency_ms_p99)}`, fmt(r.join_s), fmt(r.rss_kb_per_listener),
      fmt(r.failures)]);
  return mdTable(['scenario', 'connections', 'result', 'latency p50 / p99 ms', 'all joined after s',
    'RSS KB per connection', 'failures'], rows);
}

export function targetsTable(targets) {
  const mark = (m) => (m === true ? 'met' : m === false ? '**missed**' : 'not measured');
  return mdTable(['target (issue 9)', 'measured', 'result', 'gap'],
    targets.map((t) => [t.target, t.measured, mark(t.met), t.gap || '']));
}

export function renderTable(runs, targets) {
  return [audioTable(runs), '', plenaryOnlyTable(runs), '', targetsTable(targets)].join('\n');
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
`once (each opens their own mic with mic.open), so the mixer decodes both, mixes and encodes the public mix ` +
`(and one mix-minus for each of them) on every tick instead of forwarding. By design (issue 7) the mixer encodes the public mix once for ` +
`all listeners, and with one voice on the floor forwards the speaker's own packets without an encode at all.

**Janus** ${'1.1.2'} from Debian, started for each run with the files below (written by ` +
`tests/load/servers.mjs): only the WebSocket transport and the AudioBridge and Streaming plugins; ` +
`${plan.serverCores} static event loop(s) to match Plenary's workers (Janus's default would be a thread per handle); ` +
`full ICE (Janus's default; it never uses loopback, so its media is on the host's address, which the kernel ` +
`delivers through the loopback device all the same); logging at warnings, like Plenary. AudioBridge room: 48 kHz, ` +
`\`default_bitrate\` and \`default_expectedloss\` as above; every participant also joins with \`bitrate\`, ` +
`\`quality\` (Opus complexity) and \`expected_loss\` set to the same values; \`default_prebuffering\` is left at its ` +
`default (6 packets), as deployed. Deployment (a): every listener is a muted AudioBridge participant, so Janus ` +
`encodes one Opus stream per listener. Deployment (b), Meetecho's for the IETF: the room's mix is ` +
`\`rtp_forward\`ed (one encode; the forwarder's complexity is libopus's default, which Janus does not let one ` +
`set) to a Streaming mountpoint that every listener watches. The speaker is an unmuted AudioBridge participant ` +
`in both.

${files}`;
}

function methodSection(plan) {
  return `Every number comes from \`plenary-load\` (tests/load, C): each virtual client is a WebSocket session ` +
`plus a real WebRTC peer from tests/support/client.c (ICE with USE-CANDIDATE, DTLS, SRTP; against Janus it also answers ` +
`Janus's own connectivity checks). The speaker sends 200 ms bursts of a 1 kHz tone every second; listeners are ` +
`read with \`recvmmsg\` and their loss counted from RTP sequence numbers; ${plan.sample} listeners per run also ` +
`decrypt and decode, and the time from the speaker handing a burst's first packet to the kernel to a listener's ` +
`kernel receiving the packet where the decoded burst begins (plus its offset in the frame), less the tone's own ` +
`codec delay, is the **latency** — what the server adds on loopback. Each run starts the server fresh; listeners ` +
`join at ${plan.joinRate}/s (the storm: ${plan.storm} within ${plan.stormWindowS} s); once all are connected and hearing, ` +
`${plan.warmup} s of warm-up, then a ${plan.duration} s window. **Server CPU** is utime + stime of the server ` +
`process over the window (/proc/PID/stat), divided by listener-minutes; **server cores** is the same per second. ` +
`**RSS per listener** is the growth of VmRSS from before the listeners joined to the end of the window, divided ` +
`by the listeners. **join s** is the median time from a listener's WebSocket connect to its first audio packet ` +
`(for the storm: from the first join to the moment every listener had heard audio). **failures** are listeners ` +
`that did not connect, or did not hear audio when others did. The ratio column divides Janus's CPU per listener ` +
`by Plenary's at the same size. ${{ tool: `plenary-load is confined to CPU ${plan.toolCpus} (taskset) and runs at nice ${plan.toolNice}, so it always keeps up with what it receives; the server may use every CPU but gets CPU ${plan.toolCpus} only when the tool leaves it idle, and whatever it cannot get shows as its own loss and latency.`, split: 'The server is pinned to CPU 0 and plenary-load to CPU 1 (taskset); a server that needs more than one core shows it as loss.', none: 'Nothing is pinned.' }[plan.pin]} ` +
`Janus above 200 listeners is run only while it keeps up (loss and failures under 5 %).`;
}

function noAudioNote(runs) {
  const silent = runs.filter((r) => r.system === 'plenary' && (r.scenario.startsWith('listeners') || r.scenario === 'join-storm') && !heard(r));
  if (!silent.length) return '';
  return `\n**Plenary's listeners received no audio in ${silent.length} of its audio runs** (${silent.map((r) => `${r.scenario} ${r.listeners}`).join(', ')}): ` +
    `the build under test did not forward the floor to listeners (the mixer of issue 7 was not in it), so Plenary's ` +
    `per-listener media cost, loss and latency could not be measured there, and the ratios that need them are left out. ` +
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

### The per-listener path

${mixerSection(mixer)}

### Warnings, skips and notes from this run

${warningsSection(results)}

## How to run

\`make bench\` builds Release and runs the micro-benchmarks, then tests/load/bench.mjs, which writes
\`build/bench/results.json\` (one row per run in the shape issue 9 gives), a raw report per run in
\`build/bench/raw/\`, and this file. \`BENCH_QUICK=1 make bench\` is a one-minute smoke run; sizes and
durations can be set with \`BENCH_SIZES\`, \`BENCH_DURATION\` and the other knobs listed at the top of
tests/load/bench.mjs. The full run takes about 25 minutes on two cores; start it when \`uptime\` shows
the machine quiet.
`;
}
