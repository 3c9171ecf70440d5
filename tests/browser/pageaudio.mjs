// Audio for the browser tests that send and hear it over WebRTC (interp, mixer, venue,
// icetcp): a peer of the page's own that speaks a tone or only listens, what a page hears
// measured by frequency, and the tones and the Goertzel filter on the test's side.
//
// The functions marked "runs in the page" go to page.evaluate, which sends their source
// text and not their scope: they use nothing from this module or from node.

import { writeFileSync } from 'node:fs';

// Runs in the page: joins the room with tok on a WebSocket of its own, makes a tone of hz
// with WebAudio (an oscillator, lightly amplitude-modulated so that Opus DTX never takes a
// steady tone for noise) into an RTCPeerConnection, or with no hz only listens (recvonly),
// and connects the peer, waiting up to tries x 50 ms. With play, the remote track plays
// (Chromium decodes a remote track only when something plays it) as window.pl.audio.
// Leaves window.pl = { inbox, wait, request, pc, ctx } for the steps that follow. Returns
// { join, ack, state }: the replies' types and the peer's state, or { join, ack } with the
// reply itself when the offer is refused.
export async function startPeer({ wsUrl, room, tok, hz, play = false, tries = 300 }) {
  const ws = new WebSocket(wsUrl, 'plenary.v1');
  const inbox = [];
  ws.onmessage = (e) => inbox.push(JSON.parse(e.data));
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
  const wait = async (pred, ms = 10000) => {
    for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) {
      const m = inbox.find(pred);
      if (m) return m;
    }
    return null;
  };
  let id = 0;
  const request = (obj) => {
    const mine = ++id;
    ws.send(JSON.stringify({ ...obj, id: mine }));
    return wait((m) => (m.type === 'ack' || m.type === 'error') && m.id === mine);
  };
  const join = await request({ type: 'join', room, token: tok });
  const ctx = new AudioContext({ sampleRate: 48000 });
  await ctx.resume();
  const pc = new RTCPeerConnection();
  if (hz) {
    const osc = new OscillatorNode(ctx, { frequency: hz });
    const gain = new GainNode(ctx, { gain: 0.25 });
    const lfo = new OscillatorNode(ctx, { frequency: 3 });
    const depth = new GainNode(ctx, { gain: 0.08 });
    lfo.connect(depth).connect(gain.gain); // 0.25 +- 0.08: a tone that keeps moving
    const dest = new MediaStreamAudioDestinationNode(ctx);
    osc.connect(gain).connect(dest);
    osc.start();
    lfo.start();
    pc.addTrack(dest.stream.getAudioTracks()[0], dest.stream);
  } else {
    pc.addTransceiver('audio', { direction: 'recvonly' });
  }
  if (play)
    pc.ontrack = (e) => {
      const audio = new Audio();
      audio.srcObject = new MediaStream([e.track]);
      audio.play().catch(() => {});
      window.pl.audio = audio;
    };
  window.pl = { inbox, wait, request, pc, ctx };
  await pc.setLocalDescription(await pc.createOffer());
  const ack = await request({ type: 'media.offer', sdp: pc.localDescription.sdp });
  if (!ack || ack.type !== 'ack') return { join: join?.type, ack };
  await pc.setRemoteDescription({ type: 'answer', sdp: ack.sdp });
  for (let i = 0; i < tries && pc.connectionState !== 'connected'; i++) await new Promise((r) => setTimeout(r, 50));
  return { join: join.type, ack: ack.type, state: pc.connectionState };
}

// Runs in the page: what window.pl's peer received, { packets, energy, lost }, or null.
export async function inboundStats() {
  let r = null;
  (await window.pl.pc.getStats()).forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'audio') r = { packets: s.packetsReceived, energy: s.totalAudioEnergy || 0, lost: s.packetsLost };
  });
  return r;
}

// Runs in a web client page: what its audio element receives, per window of fftSize samples
// taken every everyMs for ms, as linear power at each frequency (the peak of its bin and
// the neighbours: a tone leaks into them); with windows, every window's powers, else
// { frames, power } with their average.
export function spectrum({ freqs, ms, fftSize = 8192, everyMs = 100, windows = false }) {
  const el = [...document.querySelectorAll('audio')].find((a) => a.srcObject);
  if (!el) return null;
  const ctx = new AudioContext({ sampleRate: 48000 });
  const an = ctx.createAnalyser();
  an.fftSize = fftSize;
  an.smoothingTimeConstant = 0;
  ctx.createMediaStreamSource(el.srcObject).connect(an);
  const db = new Float32Array(an.frequencyBinCount);
  const all = [];
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      an.getFloatFrequencyData(db);
      all.push(freqs.map((hz) => {
        const bin = Math.round((hz * an.fftSize) / ctx.sampleRate);
        return 10 ** (Math.max(db[bin - 1], db[bin], db[bin + 1]) / 10);
      }));
    }, everyMs);
    setTimeout(() => {
      clearInterval(timer);
      ctx.close();
      if (windows) return resolve(all);
      const avg = freqs.map((_, i) => all.reduce((s, w) => s + w[i], 0) / all.length);
      resolve({ frames: all.length, power: Object.fromEntries(freqs.map((hz, i) => [hz, avg[i]])) });
    }, ms);
  });
}

// Goertzel: the magnitude of one frequency in the samples (at rate), per sample.
export function goertzel(samples, hz, rate = 48000) {
  const c = 2 * Math.cos((2 * Math.PI * hz) / rate);
  let s1 = 0;
  let s2 = 0;
  for (const v of samples) {
    const s0 = v + c * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return Math.sqrt(Math.max(s1 * s1 + s2 * s2 - c * s1 * s2, 0)) / samples.length;
}

// A 48 kHz mono 16-bit WAV at path of hz for seconds, its amplitude amp(t) (0..1, t in
// seconds), for Chromium's fake microphone (--use-file-for-fake-audio-capture).
export function toneWav(path, hz, seconds, amp) {
  const n = 48000 * seconds;
  const b = Buffer.alloc(44 + 2 * n);
  b.write('RIFF', 0);
  b.writeUInt32LE(36 + 2 * n, 4);
  b.write('WAVEfmt ', 8);
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(1, 22);
  b.writeUInt32LE(48000, 24);
  b.writeUInt32LE(96000, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36);
  b.writeUInt32LE(2 * n, 40);
  for (let i = 0; i < n; i++) {
    const t = i / 48000;
    b.writeInt16LE(Math.round(32767 * amp(t) * Math.sin(2 * Math.PI * hz * t)), 44 + 2 * i);
  }
  writeFileSync(path, b);
}
