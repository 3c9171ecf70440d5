// Audio: the floor's mix over WebRTC, one's own microphone, and the fallbacks.
//
// On every (re)join the client offers a peer connection with `media.offer {sdp}`:
// sendrecv with the microphone for chairs and participants who enabled it, receive-only
// for everyone else. The server answers {sdp} (ICE-lite, so the browser needs no STUN and
// no trickle). A server without media answers `unknown_type` (or `unavailable`): the panel
// then says audio is not available and offers the listen-only Ogg stream instead, and the
// next join tries again -- so the client lights up by itself once the server has media.
//
// When the server has TURN configured, the join ack carries `ice_servers` (short-lived
// credentials, fresh on every join): the peer connection gets them as its iceServers, so a
// browser on a network that lets only TURN out is relayed. Without them it needs none.
//
// The microphone is asked for only when the person presses "Enable microphone" (or at
// once if the browser already has the permission). Its track stays enabled: the server's
// mic gate decides what is heard, and keeps the audio level so the chair can see who is
// trying to talk. "Mute me" is the person's own switch on top of that.
//
// Readiness (issue 18): chairs and participants tell the room what their microphone is
// doing with mic.status {state} -- none (no microphone enabled), refused (the browser or
// the device said no), muted (by themselves), ready (capturing, and the audio peer is
// connected) -- after every join and on every change, so a chair sees before granting the
// floor whether the person can be heard. "You are heard" is said only when the server's
// gate is open, the peer is connected, the person has not muted themselves, and the
// connection to the meeting is up. While waiting, the level meter is the mic test, and a
// device list lets the person pick another microphone.

import { h, setText, show } from './dom.js';
import { announce } from './announce.js';

const MIC_ERRORS = {
  NotAllowedError:
    'Microphone permission was refused. You can still listen, ask to speak and vote. To speak, allow the microphone for this site in your browser settings, then press "Enable microphone" again.',
  SecurityError: 'The browser does not allow the microphone on this page (it needs HTTPS).',
  NotFoundError: 'No microphone was found. Connect one, then press "Enable microphone" again.',
  NotReadableError: 'The microphone is in use by another application or could not be started.',
  OverconstrainedError: 'The microphone could not be started with the needed settings.',
};

export class AudioPanel {
  constructor({ store, request, access }) {
    this.store = store;
    this.request = request;
    this.access = access; // access.js: plain URLs for a public room, signed for a private one
    this.mode = 'idle'; // idle | connecting | webrtc | unavailable | failed | offline
    this.reason = '';
    this.userMuted = false;
    this.refused = false; // the browser or the device refused the microphone
    this.reported = null; // the mic.status the server has from this connection
    this.speakingClosedSince = 0;
    this.lastHintAt = 0;
    this.iceServers = [];
    this.build();
  }

  build() {
    const voice = this.store.sendsAudio;
    this.status = h('p', { class: 'audio-status' });
    this.audio = h('audio', { autoplay: true });
    this.startBtn = h(
      'button',
      { type: 'button', hidden: true, onclick: () => this.play(true) },
      'Start audio',
    );
    this.muteBtn = h(
      'button',
      { type: 'button', 'aria-pressed': 'false', onclick: () => this.toggleListen() },
      'Silence the floor audio',
    );
    this.volume = h('input', {
      type: 'range',
      min: '0',
      max: '1',
      step: '0.05',
      value: '1',
      id: 'volume',
      oninput: () => (this.audio.volume = Number(this.volume.value)),
    });
    this.listenControls = h(
      'div',
      { class: 'row', hidden: true },
      this.muteBtn,
      h('label', { for: 'volume' }, 'Volume'),
      this.volume,
    );
    this.retryBtn = h(
      'button',
      { type: 'button', hidden: true, onclick: () => this.connect() },
      'Try audio again',
    );
    this.fallback = h(
      'div',
      { class: 'fallback', hidden: true },
      h(
        'p',
        null,
        'You can listen to the floor with the listen-only stream instead (it plays in the browser or in any media player):',
      ),
      h(
        'p',
        null,
        this.access.link(
          h('a', null, 'Listen-only stream of the floor (Ogg audio)'),
          'href',
          'listen.ogg',
        ),
      ),
      this.access.link(
        h('audio', {
          controls: true,
          preload: 'none',
          'aria-label': 'Listen-only stream of the floor',
        }),
        'src',
        'listen.ogg',
      ),
    );
    const parts = [
      h('h2', { id: 'audio-h' }, 'Audio'),
      this.status,
      this.startBtn,
      this.listenControls,
      this.retryBtn,
      this.fallback,
      this.audio,
    ];
    if (voice) {
      this.micState = h('p', { class: 'mic-state', id: 'mic-state' });
      this.meter = h('meter', {
        id: 'mic-level',
        min: '0',
        max: '1',
        low: '0.25',
        high: '0.75',
        optimum: '0.5',
        value: '0',
      });
      this.meterRow = h(
        'p',
        { class: 'row', hidden: true },
        h('label', { for: 'mic-level' }, 'Your microphone level (speak to test it)'),
        this.meter,
      );
      this.device = h('select', { id: 'mic-device', onchange: () => this.useDevice() });
      this.deviceRow = h(
        'p',
        { class: 'row', hidden: true },
        h('label', { for: 'mic-device' }, 'Microphone'),
        this.device,
      );
      this.enableBtn = h(
        'button',
        { type: 'button', hidden: true, onclick: () => this.enableMic() },
        'Enable microphone',
      );
      this.selfMuteBtn = h(
        'button',
        {
          type: 'button',
          'aria-pressed': 'false',
          hidden: true,
          onclick: () => this.toggleSelfMute(),
        },
        'Mute me',
      );
      this.micError = h('p', { class: 'error', hidden: true, role: 'alert' });
      this.hint = h('p', { class: 'hint', hidden: true });
      parts.push(
        h('h3', null, 'Your microphone'),
        this.micState,
        this.meterRow,
        this.deviceRow,
        this.enableBtn,
        this.selfMuteBtn,
        this.micError,
        this.hint,
      );
    }
    this.el = h('section', { class: 'panel audio', 'aria-labelledby': 'audio-h' }, parts);
  }

  // Called after every join with its ack: the server forgets media peers with the
  // connection, and a rejoin's ack brings fresh TURN credentials.
  async onJoined(ack) {
    this.iceServers = iceServers(ack?.ice_servers);
    this.reported = null; // a new connection: the server may have forgotten (a restart)
    if (this.store.room.status === 'ended') {
      this.close();
      this.mode = 'idle';
      this.render();
      return;
    }
    if (this.store.sendsAudio && !this.stream && navigator.permissions) {
      try {
        const p = await navigator.permissions.query({ name: 'microphone' });
        if (p.state === 'granted') await this.getMic(false);
        else if (p.state === 'denied') this.refused = true;
      } catch {
        /* no permissions API: wait for the button */
      }
    }
    await this.connect();
  }

  onDisconnected() {
    this.close();
    this.mode = 'offline';
    this.render();
  }

  close() {
    if (this.pc) this.pc.close();
    this.pc = null;
  }

  async connect() {
    if (!window.RTCPeerConnection) {
      this.unavailable('This browser cannot play live audio over WebRTC.');
      return;
    }
    this.close();
    const config = { bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' };
    if (this.iceServers.length) config.iceServers = this.iceServers;
    const pc = new RTCPeerConnection(config);
    this.pc = pc;
    this.mode = 'connecting';
    this.render();
    const sending = this.track && this.store.sendsAudio;
    if (sending) pc.addTransceiver(this.track, { direction: 'sendrecv', streams: [this.stream] });
    else pc.addTransceiver('audio', { direction: 'recvonly' });
    pc.ontrack = (e) => {
      this.audio.srcObject = e.streams[0] || new MediaStream([e.track]);
      this.play(false);
    };
    pc.onconnectionstatechange = () => {
      if (pc !== this.pc) return;
      if (pc.connectionState === 'failed') {
        this.mode = 'failed';
        this.reason = 'The audio connection failed (a firewall may block it).';
        announce('Live audio failed. The listen-only stream is offered instead.');
      } else if (pc.connectionState === 'connected') this.mode = 'webrtc';
      this.render();
      // The consoles (venue, interpreter) say whether one is heard from this state too: the
      // server's media.state may come before the browser's own "connected".
      this.onPeerChange?.();
    };
    let ack;
    try {
      await pc.setLocalDescription(await pc.createOffer());
      await gathered(pc, 1500);
      ack = await this.request({ type: 'media.offer', sdp: pc.localDescription.sdp });
      if (pc !== this.pc) return;
      await pc.setRemoteDescription({ type: 'answer', sdp: ack.sdp });
      this.onConnected?.(); // the peer exists: the chosen language channel (channel.js)
    } catch (err) {
      if (pc !== this.pc) return;
      this.close();
      if (err.code === 'disconnected') this.mode = 'offline';
      else if (err.code === 'unknown_type' || err.code === 'unavailable')
        this.unavailable('Live audio is not available from this server yet.');
      else this.unavailable(`Live audio could not start (${err.message || err.code || err}).`);
      this.render();
      return;
    }
    this.render();
  }

  unavailable(reason) {
    this.mode = 'unavailable';
    this.reason = reason;
    this.render();
  }

  async play(userAsked) {
    try {
      await this.audio.play();
      show(this.startBtn, false);
    } catch {
      show(this.startBtn, true);
      if (!userAsked) announce('Press "Start audio" to hear the floor.');
    }
  }

  toggleListen() {
    this.audio.muted = !this.audio.muted;
    this.muteBtn.setAttribute('aria-pressed', String(this.audio.muted));
  }

  toggleSelfMute() {
    this.setSelfMute(!this.userMuted);
  }

  // Also used by the floor banner (alerts.js): muting disables the local track, so nothing
  // leaves the browser whatever the server's gate says.
  setSelfMute(muted) {
    this.userMuted = !!muted;
    if (this.track) this.track.enabled = !this.userMuted;
    this.selfMuteBtn?.setAttribute('aria-pressed', String(this.userMuted));
    this.render();
    this.onMuteChange?.(this.userMuted);
  }

  async enableMic() {
    if (await this.getMic(true)) await this.connect();
  }

  async getMic(userAsked, deviceId) {
    show(this.micError, false);
    // A venue's desk sends the room's mixed microphones: a voice clean-up made for one person
    // at a laptop would pump and cut it, so the desk's signal goes as it is. Interpreters
    // too: they wear headsets (nothing to cancel), and noise suppression and gain control
    // clip and pump a voice that listeners follow for hours.
    const role = this.store.you?.role;
    const voice = role !== 'venue' && role !== 'interpreter';
    const audio = { echoCancellation: voice, noiseSuppression: voice, autoGainControl: voice };
    if (deviceId) audio.deviceId = { exact: deviceId };
    try {
      this.stream?.getTracks().forEach((t) => t.stop());
      this.stream = await navigator.mediaDevices.getUserMedia({ audio });
    } catch (err) {
      this.stream = this.track = null;
      this.refused = true;
      if (userAsked) {
        const text =
          MIC_ERRORS[err.name] ||
          `The microphone could not be started (${err.message || err.name}).`;
        setText(this.micError, text);
        show(this.micError, true);
      }
      this.render();
      return false;
    }
    this.refused = false;
    this.track = this.stream.getAudioTracks()[0];
    this.track.enabled = !this.userMuted;
    this.track.onended = () => {
      this.track = this.stream = null;
      this.refused = true;
      setText(this.micError, 'The microphone stopped (unplugged or permission withdrawn).');
      show(this.micError, true);
      this.render();
    };
    this.startMeter();
    this.listDevices();
    if (userAsked) announce('Microphone enabled.');
    this.render();
    return true;
  }

  async listDevices() {
    let mics = [];
    try {
      mics = (await navigator.mediaDevices.enumerateDevices()).filter(
        (d) => d.kind === 'audioinput',
      );
    } catch {
      /* no list: the default microphone only */
    }
    const using = this.track?.getSettings?.().deviceId;
    this.device.replaceChildren(
      ...mics.map((d, i) => h('option', { value: d.deviceId }, d.label || `Microphone ${i + 1}`)),
    );
    if (using) this.device.value = using;
    show(this.deviceRow, mics.length > 1);
  }

  // Another microphone: the new track replaces the old one in the peer, no new offer.
  async useDevice() {
    if (!(await this.getMic(true, this.device.value))) return;
    const sender = this.pc?.getSenders().find((x) => x.track || x.transport);
    if (sender) await sender.replaceTrack(this.track).catch(() => this.connect());
    else await this.connect();
  }

  // What mic.status says now; null while the audio peer is still connecting (say nothing
  // until it is known).
  micReport() {
    if (!this.track) return this.refused ? 'refused' : 'none';
    if (this.userMuted) return 'muted';
    if (this.peerConnected()) return 'ready';
    return this.mode === 'connecting' ? null : 'none';
  }

  peerConnected() {
    return this.mode === 'webrtc' && this.pc?.connectionState === 'connected';
  }

  report() {
    const state = this.micReport();
    if (!this.store.canSpeak || !state || state === this.reported || this.mode === 'offline')
      return;
    this.reported = state;
    this.request({ type: 'mic.status', state }).catch(() => {
      if (this.reported === state) this.reported = null; // said again at the next change
    });
  }

  startMeter() {
    try {
      const ctx = (this.ctx ||= new AudioContext());
      // Browsers start audio contexts only after a user gesture: resume at the first one.
      if (ctx.state !== 'running') {
        const resume = () =>
          ctx.resume().then(() => {
            removeEventListener('pointerdown', resume);
            removeEventListener('keydown', resume);
          });
        addEventListener('pointerdown', resume);
        addEventListener('keydown', resume);
        resume().catch(() => {});
      }
      const analyser = ctx.createAnalyser();
      analyser.fftSize = 512;
      ctx.createMediaStreamSource(this.stream).connect(analyser);
      const buf = new Float32Array(analyser.fftSize);
      clearInterval(this.meterTimer);
      this.meterTimer = setInterval(() => {
        if (!this.track) return;
        analyser.getFloatTimeDomainData(buf);
        let sum = 0;
        for (const v of buf) sum += v * v;
        const level = this.track.enabled ? Math.min(1, Math.sqrt(sum / buf.length) * 4) : 0;
        this.meter.value = level;
        this.closedMicHint(level);
      }, 100);
    } catch {
      /* no Web Audio: no meter */
    }
  }

  // Speaking for more than a second and a half while the server keeps the mic closed.
  closedMicHint(level) {
    if (this.store.you?.role === 'venue') return; // it asks for no floor
    const now = Date.now();
    const closed = !this.store.micOpen() && this.store.live;
    if (!closed || level < 0.2) {
      if (level < 0.05 || !closed) this.speakingClosedSince = 0;
      if (!closed) show(this.hint, false);
      return;
    }
    this.speakingClosedSince ||= now;
    if (now - this.speakingClosedSince < 1500 || !this.hint.hidden) return;
    setText(
      this.hint,
      `You seem to be speaking, but your microphone is closed: nobody hears you. ${
        this.store.you?.role === 'interpreter'
          ? 'Take the booth in the interpreter console to go on air.'
          : 'Press “Ask to speak” to ask for the floor.'
      }`,
    );
    show(this.hint, true);
    if (now - this.lastHintAt > 30000)
      announce('You seem to be speaking, but your microphone is closed.');
    this.lastHintAt = now;
  }

  render() {
    const s = this.store;
    // After the session nothing is live, whatever the peer connection still says.
    const mode = s.room.status === 'ended' && this.mode !== 'idle' ? 'ended' : this.mode;
    const text = {
      ended: 'The session has ended: there is no live audio.',
      idle: s.room.status === 'ended' ? 'The session has ended.' : 'Audio starts when you join.',
      connecting: 'Connecting live audio…',
      webrtc:
        this.pc?.connectionState === 'connected' || s.mediaState === 'connected'
          ? 'Live audio connected.'
          : 'Connecting live audio…',
      unavailable: `${this.reason} `,
      failed: this.reason,
      offline: 'Audio resumes when the connection is back.',
    }[mode];
    setText(this.status, text);
    const fallback = this.mode === 'unavailable' || this.mode === 'failed';
    show(this.fallback, fallback && s.room.status !== 'ended');
    show(this.retryBtn, this.mode === 'failed');
    show(this.listenControls, this.mode === 'webrtc');
    if (!this.micState) return;
    this.report();
    const open = s.micOpen();
    const heard = open && !!this.track && !this.userMuted && this.peerConnected();
    setText(this.micState, `Microphone: ${this.micWords(open)}`);
    this.micState.classList.toggle('on', heard);
    const media = this.mode === 'webrtc' || this.mode === 'connecting';
    show(this.enableBtn, !this.track && media);
    show(this.selfMuteBtn, !!this.track);
    show(this.meterRow, !!this.track);
  }

  // My status line: heard only when the gate is open, the peer connected, not muted by me
  // and the connection up; otherwise what stands in the way.
  micWords(open) {
    if (this.mode === 'offline')
      return 'Not heard: the connection to the meeting is down (it comes back by itself).';
    if (!this.store.live) return 'Closed: the session is not live.';
    const mine = this.refused
      ? 'the browser refused your microphone'
      : !this.track
        ? 'your microphone is not enabled'
        : this.userMuted
          ? 'you muted yourself'
          : null;
    const also = mine ? ` (and ${mine})` : '';
    if (!open && this.store.you?.role === 'venue')
      return `Closed: the room goes on air when the session starts${also}.`;
    if (!open && this.store.you?.role === 'chair')
      return `Closed: open it with “Open my microphone” under Moderation${also}.`;
    if (!open && this.store.you?.role === 'interpreter')
      return `Closed: it opens when you take the booth in the interpreter console${also}.`;
    if (!open) return `Closed: the chair opens it when you are given the floor${also}.`;
    if (this.userMuted) return 'Open, but you muted yourself: unmute to be heard.';
    if (!this.track) return `Open: the floor is yours, but ${mine}: nobody hears you.`;
    if (!this.peerConnected())
      return 'Open, but your audio is not connected yet: nobody hears you.';
    return 'Open: you are heard.';
  }
}

// The join ack's ice_servers in the browser's RTCIceServer shape; anything malformed is
// left out rather than making the peer connection throw.
function iceServers(list) {
  if (!Array.isArray(list)) return [];
  return list
    .filter((s) => s && (typeof s.urls === 'string' || Array.isArray(s.urls)))
    .map(({ urls, username, credential }) =>
      username === undefined ? { urls } : { urls, username, credential },
    );
}

function gathered(pc, timeoutMs) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      if (pc.iceGatheringState === 'complete') resolve();
    };
    pc.addEventListener('icegatheringstatechange', done);
    setTimeout(resolve, timeoutMs);
  });
}
