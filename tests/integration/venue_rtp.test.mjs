// Issue 14: a room's sound desk over plain RTP (docs/deploy.md "A venue over plain RTP"),
// through the real plenaryd with Debian's ffmpeg as the desk. The desk plays a 440 Hz tone
// into the room's venue_rtp listen address; a remote participant (plenary-load's speaker,
// given the floor) speaks its tone bursts of 1, 1.5, 2 and 2.5 kHz over WebRTC. Decoded:
//   - what the server sends the desk (send_to) carries the remote speaker and not the
//     desk's own tone (mix-minus: the room never hears itself back);
//   - the room's public mix, as every remote listener gets it (the session's recording is
//     that stream, packet for packet), carries the desk's tone;
//   - datagrams that are not the configured RTP are dropped and counted, nothing else.
// Once with Opus both ways (ffmpeg reads the mix-minus from an SDP file), once with L16
// (this test reads the big-endian samples from its own UDP socket).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { writeFileSync, readFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as pathJoin } from 'node:path';
import { startServer, SECRET, SOURCE_DIR, sleep } from './harness.mjs';
import { runLoad } from '../load/servers.mjs';
import { goertzel } from '../browser/pageaudio.mjs';

const LOAD = pathJoin(process.env.PLENARY_BUILD_DIR || 'build', 'tests', 'load', 'plenary-load');
const PT = 97;
const DESK_HZ = 440;
const BURST_HZ = [1000, 1500, 2000, 2500];
const NOBODY_HZ = 700;

let server;
let dir;
const ports = {};

// A UDP port whose successor is free too (ffmpeg reading an SDP binds RTP and RTCP).
async function freePortPair() {
  for (let i = 0; i < 50; i++) {
    const a = dgram.createSocket('udp4');
    await new Promise((res) => a.bind(0, '127.0.0.1', res));
    const p = a.address().port;
    const b = dgram.createSocket('udp4');
    const ok = await new Promise((res) => {
      b.once('error', () => res(false));
      b.bind(p + 1, '127.0.0.1', () => res(true));
    });
    a.close();
    if (ok) b.close();
    if (ok && p % 2 === 0 && p < 65000) return p;
  }
  throw new Error('no free UDP port pair on loopback');
}

// A child process, killed if it is still running after a minute (an ffmpeg that never got
// a packet would wait for ever).
function run(cmd, args) {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const timer = setTimeout(() => proc.kill('SIGKILL'), 60000);
  const out = [];
  let err = '';
  proc.stdout.on('data', (c) => out.push(c));
  proc.stderr.on('data', (c) => (err += c.toString()));
  const done = new Promise((resolve, reject) => {
    proc.on('error', reject); // ffmpeg missing: the test fails, it does not skip
    proc.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out: Buffer.concat(out), err });
    });
  });
  return { proc, done };
}

// The desk: a steady tone into the venue's listen address, for `seconds`.
function deskTone(port, codec, seconds) {
  const enc = codec === 'L16' ? ['-c:a', 'pcm_s16be'] : ['-c:a', 'libopus'];
  return run('ffmpeg', ['-nostdin', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i',
    `sine=frequency=${DESK_HZ}:sample_rate=48000`, '-t', String(seconds), '-ac', '1', '-ar', '48000',
    ...enc, '-payload_type', String(PT), '-f', 'rtp', `rtp://127.0.0.1:${port}`]);
}

const tone = (samples, hz) => goertzel(samples, hz);

function s16le(buf) {
  const out = new Int16Array(Math.floor(buf.length / 2));
  for (let i = 0; i < out.length; i++) out[i] = buf.readInt16LE(2 * i);
  return out;
}

async function decodeToPcm(input) {
  const r = await run('ffmpeg', ['-nostdin', '-loglevel', 'error', '-i', input, '-ac', '1', '-ar', '48000',
    '-f', 's16le', '-']).done;
  assert.equal(r.code, 0, r.err);
  return s16le(r.out);
}

async function metric(name) {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const m = new RegExp(`^${name} (\\d+)`, 'm').exec(text);
  assert.ok(m, `${name} in /metrics`);
  return Number(m[1]);
}

// Datagrams no desk should send: not RTP, another payload type, no payload, and (for Opus)
// a payload that is no Opus packet or (for L16) an odd number of bytes.
function badDatagrams(codec) {
  const rtp = (pt, payload) => Buffer.concat([Buffer.from([0x80, pt, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9]), payload]);
  return [
    Buffer.from('not an RTP packet at all'),
    rtp(0, Buffer.alloc(160, 0xff)),
    rtp(PT, Buffer.alloc(0)),
    codec === 'L16' ? rtp(PT, Buffer.alloc(7, 1)) : rtp(PT, Buffer.from([0x03])),
  ];
}

async function sendBad(port, codec) {
  const s = dgram.createSocket('udp4');
  for (const d of badDatagrams(codec)) await new Promise((res) => s.send(d, port, '127.0.0.1', res));
  s.close();
}

// The remote speaker on the floor (and two listeners), for `seconds`: starts the session.
async function remoteSpeaker(room, seconds) {
  const { report: r } = await runLoad(LOAD, ['--url', server.wsUrl, '--room', room, '--secret', SECRET,
    '--listeners', '2', '--sample', '1', '--warmup', '0.5', '--duration', String(seconds), '--hear-timeout', '5']);
  assert.equal(r.error, null, r.error);
  assert.equal(r.heard, 2, JSON.stringify(r.warnings));
}

async function recording(room) {
  const r = await fetch(`${server.url}/api/rooms/${room}/recording.ogg`);
  assert.equal(r.status, 200);
  const path = pathJoin(dir, `${room}.ogg`);
  writeFileSync(path, Buffer.from(await r.arrayBuffer()));
  return decodeToPcm(path);
}

function assertMixMinus(pcm, what) {
  assert.ok(pcm.length > 48000 * 2, `${what}: ${pcm.length} samples`);
  const burst = Math.max(...BURST_HZ.map((hz) => tone(pcm, hz)));
  const self = tone(pcm, DESK_HZ);
  // The remote speaker is there, the desk's own tone is not (bursts are 20 % of the time,
  // the desk's tone 100 %: were it there at all it would stand out).
  assert.ok(burst > 20 * self, `${what}: remote ${burst.toFixed(2)} vs own ${self.toFixed(2)}`);
}

function assertHeardRemotely(pcm) {
  const desk = tone(pcm, DESK_HZ);
  const nobody = tone(pcm, NOBODY_HZ);
  assert.ok(desk > 20 * nobody, `public mix: desk ${desk.toFixed(2)} vs nobody ${nobody.toFixed(2)}`);
  assert.ok(Math.max(...BURST_HZ.map((hz) => tone(pcm, hz))) > 5 * nobody, 'public mix: the speaker too');
}

before(async () => {
  dir = mkdtempSync(pathJoin(tmpdir(), 'plenary-venue-'));
  for (const k of ['opusIn', 'opusOut', 'l16In', 'l16Out']) ports[k] = await freePortPair();
  const venue = (codec, i, o) => ({ listen: `127.0.0.1:${i}`, send_to: `127.0.0.1:${o}`, codec, payload_type: PT });
  server = await startServer({
    config: {
      rooms: [
        { id: 'hall', title: 'Hall', venue_rtp: venue('opus', ports.opusIn, ports.opusOut) },
        { id: 'annex', title: 'Annex', venue_rtp: venue('L16', ports.l16In, ports.l16Out) },
      ],
    },
  });
});

after(async () => {
  await server.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

test('a bad venue_rtp stops the server at start, naming the room and the field', async () => {
  const bad = [
    [{ listen: 'localhost:5004', send_to: '127.0.0.1:5006' }, /venue_rtp.listen/],
    [{ listen: '127.0.0.1:5004', send_to: '127.0.0.1:0' }, /venue_rtp.send_to/],
    [{ listen: '127.0.0.1:5004', send_to: '127.0.0.1:5006', codec: 'pcmu' }, /venue_rtp.codec/],
    [{ listen: '127.0.0.1:5004', send_to: '127.0.0.1:5006', payload_type: 8 }, /payload_type/],
    [{ listen: '127.0.0.1:5004' }, /venue_rtp/],
    // Bound by the running server's Opus venue: busy.
    [{ listen: `127.0.0.1:${ports.opusIn}`, send_to: '127.0.0.1:5006' }, /RTP venue/],
  ];
  let n = 0;
  for (const [venue_rtp, why] of bad) {
    const dataDir = pathJoin(dir, `bad-${n++}`);
    mkdirSync(dataDir);
    await assert.rejects(startServer({ dataDir, config: { rooms: [{ id: 'bad', venue_rtp }] } }), why);
  }
});

// The example in packaging/ is a configuration plenaryd takes. Its addresses are the
// desk's LAN, so they are moved to free loopback ports here: nothing leaves the machine.
test('packaging/plenary-venue.json is a configuration plenaryd starts with', async () => {
  const example = JSON.parse(readFileSync(pathJoin(SOURCE_DIR, 'packaging', 'plenary-venue.json'), 'utf8'));
  const room = example.rooms.find((r) => r.venue_rtp);
  assert.ok(room, 'a room with venue_rtp');
  const listen = await freePortPair();
  room.venue_rtp.listen = `127.0.0.1:${listen}`;
  room.venue_rtp.send_to = `127.0.0.1:${listen + 1}`;
  for (const k of ['listen', 'media_bind', 'media_port', 'media_workers']) delete example[k];
  const dataDir = pathJoin(dir, 'example');
  mkdirSync(dataDir);
  const s = await startServer({ dataDir, config: example });
  try {
    assert.ok(s.logs.some((l) => l.includes('msg="RTP venue" room=plenary')), s.logs.join('\n'));
  } finally {
    await s.cleanup();
  }
});

test('Opus desk: it hears the remote speaker and not itself; remote listeners hear it', async () => {
  const sdp = pathJoin(dir, 'desk.sdp');
  writeFileSync(sdp, ['v=0', 'o=- 0 0 IN IP4 127.0.0.1', 's=desk', 'c=IN IP4 127.0.0.1', 't=0 0',
    `m=audio ${ports.opusOut} RTP/AVP ${PT}`, `a=rtpmap:${PT} opus/48000/2`, ''].join('\r\n'));
  const out = pathJoin(dir, 'desk-out.wav');
  const listen = run('ffmpeg', ['-nostdin', '-loglevel', 'error', '-protocol_whitelist', 'file,udp,rtp',
    '-i', sdp, '-t', '4', '-ac', '1', '-ar', '48000', '-y', out]);
  const dropped0 = await metric('plenary_venue_rtp_packets_dropped_total');
  await sendBad(ports.opusIn, 'opus');
  const desk = deskTone(ports.opusIn, 'opus', 9);
  await sleep(300);
  await remoteSpeaker('hall', 5);
  const got = await listen.done;
  assert.equal(got.code, 0, got.err);
  assertMixMinus(await decodeToPcm(out), 'the desk hears');
  assertHeardRemotely(await recording('hall'));
  assert.ok((await metric('plenary_venue_rtp_packets_received_total')) > 100);
  assert.ok((await metric('plenary_venue_rtp_packets_sent_total')) > 100);
  assert.equal((await metric('plenary_venue_rtp_packets_dropped_total')) - dropped0, 4);
  desk.proc.kill();
  await desk.done;
});

test('L16 desk: 10 ms big-endian packets back, the remote speaker without itself', async () => {
  const sock = dgram.createSocket('udp4');
  const packets = [];
  sock.on('message', (m) => packets.push(m));
  await new Promise((res) => sock.bind(ports.l16Out, '127.0.0.1', res));
  const dropped0 = await metric('plenary_venue_rtp_packets_dropped_total');
  await sendBad(ports.l16In, 'L16');
  const desk = deskTone(ports.l16In, 'L16', 9);
  await sleep(300);
  await remoteSpeaker('annex', 5);
  sock.close();
  desk.proc.kill();
  await desk.done;
  assert.ok(packets.length > 200, `${packets.length} packets`);
  const samples = [];
  const seqs = new Set();
  for (const p of packets) {
    assert.equal(p[0] >> 6, 2);
    assert.equal(p[1] & 0x7f, PT);
    assert.equal(p.length, 12 + 960, 'one 10 ms packet: 480 samples of 16 bits');
    seqs.add(p.readUInt16BE(2));
    for (let i = 12; i < p.length; i += 2) samples.push(p.readInt16BE(i));
  }
  assert.equal(seqs.size, packets.length, 'every packet its own sequence number');
  assertMixMinus(Int16Array.from(samples), 'the L16 desk hears');
  assertHeardRemotely(await recording('annex'));
  assert.equal((await metric('plenary_venue_rtp_packets_dropped_total')) - dropped0, 4);
});
