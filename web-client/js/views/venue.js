// The venue console (loaded only for the role venue): the meeting room's sound desk. Its
// microphone input is the room's microphones, open while the session is live; what it
// plays is everyone else (the server sends it the mix without its own input), for the
// room's loudspeakers. So the console is about two signals and one state: what goes out,
// what comes in, and whether the room is on air -- said in words, never by colour alone.
// The floor and the queue sit beside it (room.js), so the desk sees who speaks next.
//
// Devices: the input is the audio panel's microphone (getUserMedia without the voice
// clean-up, audio.js); the output is the page's <audio> element, sent to the chosen
// loudspeakers with setSinkId where the browser has it.

import { h, setText, show } from '../dom.js';
import { announce } from '../announce.js';

export function venueConsole({ store, audio }) {
  const onAir = h('p', { class: 'on-air venue-air', id: 'venue-air', role: 'status' });
  const meter = (id) =>
    h('meter', { id, min: '0', max: '1', low: '0.25', high: '0.75', optimum: '0.5', value: '0' });
  const outMeter = meter('venue-out');
  const inMeter = meter('venue-in');
  const input = h('select', { id: 'venue-input', onchange: () => useInput() });
  const output = h('select', { id: 'venue-output', onchange: () => useOutput() });
  const outputNote = h('p', { class: 'hint', hidden: true });
  const enable = h(
    'button',
    { type: 'button', hidden: true, onclick: () => audio.enableMic().then(listDevices) },
    'Enable the room’s microphones',
  );
  const el = h(
    'section',
    { class: 'panel venue', 'aria-labelledby': 'venue-h' },
    h('h2', { id: 'venue-h' }, 'Venue console'),
    onAir,
    enable,
    h(
      'div',
      { class: 'venue-grid' },
      h('label', { for: 'venue-input' }, 'Room microphones (input)'),
      input,
      h('label', { for: 'venue-out' }, 'Going out to everyone'),
      outMeter,
      h('label', { for: 'venue-output' }, 'Loudspeakers (output)'),
      output,
      h('label', { for: 'venue-in' }, 'Coming in from everyone else'),
      inMeter,
    ),
    outputNote,
  );

  async function listDevices() {
    let devices = [];
    try {
      devices = await navigator.mediaDevices.enumerateDevices();
    } catch {
      /* no list: the defaults only */
    }
    const fillSelect = (select, kind, word, current) => {
      const list = devices.filter((d) => d.kind === kind);
      select.replaceChildren(
        ...(list.length ? list : [{ deviceId: '', label: `Default ${word}` }]).map((d, i) =>
          h('option', { value: d.deviceId }, d.label || `${word} ${i + 1}`),
        ),
      );
      if (current) select.value = current;
    };
    fillSelect(input, 'audioinput', 'Microphone', audio.track?.getSettings?.().deviceId);
    fillSelect(output, 'audiooutput', 'Loudspeakers', audio.audio.sinkId);
    const canChoose = typeof audio.audio.setSinkId === 'function';
    output.disabled = !canChoose;
    setText(outputNote, 'This browser plays to the system’s default output.');
    show(outputNote, !canChoose);
  }

  async function useInput() {
    audio.device.value = input.value;
    await audio.useDevice();
  }

  async function useOutput() {
    try {
      await audio.audio.setSinkId(output.value);
      announce('Loudspeaker output changed.');
    } catch (err) {
      announce(`The loudspeakers could not be changed (${err.message || err.name}).`);
    }
  }

  // Levels every 100 ms: the microphones as captured, and what the server sends.
  let ctx, outSrc, inSrc, inStream, outStream;
  const buf = new Float32Array(512);
  const analyser = () => {
    const a = ctx.createAnalyser();
    a.fftSize = buf.length;
    return a;
  };
  const outA = () => (ctx ? (outSrc ||= analyser()) : null);
  const inA = () => (ctx ? (inSrc ||= analyser()) : null);
  function level(a) {
    a.getFloatTimeDomainData(buf);
    let sum = 0;
    for (const v of buf) sum += v * v;
    return Math.min(1, Math.sqrt(sum / buf.length) * 4);
  }
  function meters() {
    try {
      ctx ||= audio.ctx || new AudioContext();
      if (audio.stream && audio.stream !== outStream) {
        outStream = audio.stream;
        ctx.createMediaStreamSource(outStream).connect(outA());
      }
      const incoming = audio.audio.srcObject;
      if (incoming && incoming !== inStream && incoming.getAudioTracks().length) {
        inStream = incoming;
        ctx.createMediaStreamSource(inStream).connect(inA());
      }
    } catch {
      return; // no Web Audio: the meters stay at zero
    }
    outMeter.value = outStream && audio.track?.enabled ? level(outA()) : 0;
    inMeter.value = inStream ? level(inA()) : 0;
  }
  setInterval(meters, 100);
  navigator.mediaDevices?.addEventListener?.('devicechange', listDevices);
  listDevices();

  let wasOnAir = null;
  let lastTrack = null;
  function render() {
    const open = store.micOpen();
    const heard = open && !!audio.track && !audio.userMuted && audio.peerConnected();
    const why = !store.live
      ? 'the session is not live'
      : !audio.track
        ? 'the room’s microphones are not enabled'
        : audio.userMuted
          ? 'the microphones are muted here'
          : !audio.peerConnected()
            ? 'the audio connection is not up'
            : 'the server has not opened the room’s microphone';
    setText(onAir, heard ? 'ON AIR: everyone hears the room' : `Off air: ${why}`);
    onAir.classList.toggle('live', heard);
    // As the audio panel's own button: only once its first offer is made, so a press never
    // races the microphone the panel opens by itself when the permission is already given.
    show(enable, !audio.track && (audio.mode === 'webrtc' || audio.mode === 'connecting'));
    if (audio.track !== lastTrack) listDevices(); // labels come with the permission
    lastTrack = audio.track;
    if (wasOnAir !== null && heard !== wasOnAir)
      announce(heard ? 'The room is on air.' : 'The room is off air.', { assertive: true });
    wasOnAir = heard;
  }

  return { el, render, listDevices };
}
