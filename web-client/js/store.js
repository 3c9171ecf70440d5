// The room as this client knows it: the join snapshot, then every event folded in the same
// way the server folds its log (rooms/apply.c), plus what is never logged -- live messages
// (presence, partial captions, poll progress, floor warnings) and private ones (hum levels
// for chairs, the mic gate, media state). Views read it; nothing else writes it.
//
// Events carry seq, strictly increasing by one. One already seen is ignored (a resume may
// overlap); one past a gap means something was missed, and event() returns 'gap' so the
// caller reconnects and resumes from the last seq it holds.
//
// What this person cast in a hum or a poll is kept here too, in sessionStorage, because
// the server forgets casts and anonymous ballots on a restart: the client re-sends them.

import { applyQueue, emptyQueue, order, seed } from './queue-order.js';

const CAPTIONS_KEPT = 3000;

export class Store {
  constructor(roomId) {
    this.roomId = roomId;
    this.listeners = new Set();
    this.you = null;
    this.seq = 0;
    this.room = { id: roomId, title: roomId, status: 'scheduled', started: null, ended: null };
    this.sessionTitle = '';
    this.participants = new Map();
    this.presence = null;
    this.q = emptyQueue();
    this.hum = null;
    this.hums = []; // ended hums (results), oldest first
    this.polls = new Map();
    this.languages = [];
    this.captions = []; // finals, in order
    this.captionSeqs = new Set();
    this.captionN = 0; // numbers every caption as it arrives
    this.captionsEpoch = 0; // bumped when earlier captions are merged in
    this.partials = new Map(); // lang -> {text, speaker, at}
    this.humLevels = null;
    this.pollProgress = new Map();
    this.serverMic = null; // the server's mic gate for me, when it told us
    this.floorWarning = null;
    this.micAttempts = [];
    this.removed = new Map(); // pid -> {pid, name, role, group, by, reason?}: moderation
    this.chairMics = new Set(); // chairs who opened their own microphone
    this.floorMuted = false; // a chair closed the floor holder's microphone
    this.kicked = null; // {kind: 'removed' | 'revoked', ...data}: why the server closes us
    this.skew = null; // server clock minus ours, ms (approximate)
    this.replaying = false;
    this.qVersion = 0;
  }

  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  emit(change) {
    for (const fn of this.listeners) fn(change);
  }

  // --- derived ---

  // The shown order, simulated once per change of the queue.
  get queue() {
    if (this.orderOf !== this.qVersion) {
      this.orderCache = order(this.q);
      this.orderOf = this.qVersion;
    }
    return this.orderCache;
  }

  get floor() {
    return this.q.floor;
  }

  get live() {
    return this.room.status === 'live';
  }

  get canSpeak() {
    return this.you && (this.you.role === 'chair' || this.you.role === 'participant');
  }

  // Whose audio peer sends: those who may speak, the venue (the room's sound desk,
  // whose microphone is open while the session is live; it asks for no floor), and
  // interpreters (their mic is their booth's channel while they are on air).
  get sendsAudio() {
    return this.canSpeak || this.you?.role === 'venue' || this.you?.role === 'interpreter';
  }

  myEntry() {
    if (!this.you) return null;
    const list = this.queue;
    const i = list.findIndex((e) => e.pid === this.you.pid);
    return i < 0 ? null : { ...list[i], position: i + 1 };
  }

  holdsFloor() {
    return !!(this.you && this.q.floor && this.q.floor.pid === this.you.pid);
  }

  // The mic gate as the server sets it: open while live for the floor holder (unless a
  // chair closed it) and for each chair who opened their own (docs/protocol.md).
  micOpen() {
    if (this.serverMic !== null) return this.serverMic;
    return !!this.you && this.micOpenFor(this.you.pid);
  }

  micOpenFor(pid) {
    if (!this.live || !pid) return false;
    const venue = this.you?.pid === pid ? this.you : this.participants.get(pid);
    if (venue?.role === 'venue') return true;
    const f = this.q.floor;
    return (f && f.pid === pid && !this.floorMuted) || this.chairMics.has(pid);
  }

  openPoll() {
    for (const p of this.polls.values()) if (p.open) return p;
    return null;
  }

  now() {
    return Date.now() + (this.skew || 0);
  }

  // --- my casts, kept across reconnects and reloads ---

  key(what) {
    return `plenary:${this.roomId}:${this.you?.pid}:${what}`;
  }

  mine(what) {
    try {
      return JSON.parse(sessionStorage.getItem(this.key(what)));
    } catch {
      return null;
    }
  }

  keep(what, value) {
    try {
      if (value === null || value === undefined) sessionStorage.removeItem(this.key(what));
      else sessionStorage.setItem(this.key(what), JSON.stringify(value));
    } catch {
      /* storage off: memory only */
    }
    this.emit({ source: 'mine', kind: what });
  }

  // --- input ---

  joined(ack) {
    const first = !this.you;
    this.you = ack.you;
    this.session = ack.session;
    if (typeof ack.you.mic === 'boolean') this.serverMic = ack.you.mic;
    this.snapshot(ack.state, ack.seq);
    this.emit({ source: 'join', first, resumed: !!ack.resumed });
  }

  snapshot(s, seq) {
    this.seq = seq;
    this.room = { ...s.room };
    this.head = s.head;
    this.participants = new Map(s.participants.map((p) => [p.pid, { ...p }]));
    this.presence = { participants: this.connectedCount(), observers: s.observers };
    this.q = seed(s.queue, this.q);
    this.qVersion++;
    this.hum = s.hum ? { ...s.hum } : null;
    if (!this.hum) this.humLevels = null;
    const polls = new Map();
    for (const p of s.polls) polls.set(p.poll, { ...this.polls.get(p.poll), ...p });
    this.polls = polls;
    this.languages = [...new Set([...s.captions.languages, ...this.languages])];
    if (!this.live) this.partials.clear();
    this.removed = new Map((s.removed || []).map((p) => [p.pid, { ...p }]));
    // Interpretation (rooms/interp.c): the booths, and the floor's declared language.
    this.booths = new Map((s.booths || []).map((b) => [b.lang, { ...b }]));
    this.floorLang = s.floor_lang || null;
    const mics = new Set(s.mics || []);
    const floor = s.queue.floor;
    this.floorMuted = !!(floor && floor.pid && !mics.has(floor.pid));
    this.chairMics = new Set(
      [...mics].filter((pid) => this.participants.get(pid)?.role === 'chair'),
    );
  }

  connectedCount() {
    let n = 0;
    for (const p of this.participants.values()) n += p.connected ? 1 : 0;
    return n;
  }

  // A {"type":"event"} message. Returns 'old', 'gap' or 'ok'.
  event(msg) {
    if (msg.seq <= this.seq) return 'old';
    if (msg.seq > this.seq + 1) return 'gap';
    this.seq = msg.seq;
    this.head = { seq: msg.seq, hash: msg.hash };
    if (!this.replaying) this.clock(msg.ts); // a replayed event's time is history
    const before = { floor: this.q.floor, entry: this.myEntry() };
    this.apply(msg.kind, msg.data || {}, msg.ts, msg.seq);
    this.emit({
      source: 'event',
      kind: msg.kind,
      data: msg.data,
      ts: msg.ts,
      before,
      replay: this.replaying,
    });
    return 'ok';
  }

  // The server's clock relative to ours, for the floor's countdown: the largest recent
  // (server time - arrival time) sample, which is the offset less the shortest delay seen.
  // It drifts down 50 ms per event so that a clock step is followed.
  clock(ts) {
    const t = Date.parse(ts);
    if (isNaN(t)) return;
    const sample = t - Date.now();
    this.skew = this.skew === null ? sample : Math.max(sample, this.skew - 50);
  }

  apply(kind, d, ts, seq) {
    if (kind === 'floor.lang') return void (this.floorLang = d.lang);
    if (kind === 'interp.taken')
      return void this.booths.set(d.lang, {
        lang: d.lang,
        pid: d.pid,
        name: d.name,
        by: d.by, // who asked, and who was on air before: the console says why
        from: d.from,
      });
    if (kind.startsWith('queue.') || kind.startsWith('floor.')) {
      if (kind === 'floor.granted' || kind === 'floor.ended') this.floorWarning = null;
      if (kind === 'floor.granted') this.floorMuted = false;
      if (kind === 'floor.extended') this.floorWarning = null;
      applyQueue(this.q, kind, d, ts);
      this.qVersion++;
      if (this.you && d.pid === this.you.pid) this.serverMic = this.micOpenFor(this.you.pid);
      return;
    }
    if (this.moderation(kind, d)) return;
    switch (kind) {
      case 'session.started':
        this.room.status = 'live';
        this.room.started = ts;
        this.sessionTitle = d.title || '';
        break;
      case 'session.ended':
        this.room.status = 'ended';
        this.room.ended = ts;
        this.partials.clear();
        this.serverMic = false;
        this.chairMics.clear();
        break;
      case 'participant.joined':
        this.participants.set(d.pid, {
          pid: d.pid,
          name: d.name,
          role: d.role,
          group: d.group || '',
          location: d.location || 'remote',
          connected: true,
          mic: this.participants.get(d.pid)?.mic ?? null,
          ...(d.lang ? { lang: d.lang } : {}), // an interpreter's booth
        });
        break;
      case 'participant.left':
        for (const b of this.booths.values())
          if (b.pid === d.pid) Object.assign(b, { pid: null, name: null });
        this.participants.delete(d.pid);
        this.chairMics.delete(d.pid);
        break;
      case 'hum.started':
        this.hum = { hum: d.hum, question: d.question, options: d.options, started: ts };
        this.humLevels = null;
        break;
      case 'hum.ended':
        this.hum = null;
        this.humLevels = null;
        this.hums.push({ ...d, ended: ts, seq });
        break;
      case 'poll.started':
        this.polls.set(d.poll, { ...d, open: true, started: ts });
        break;
      case 'poll.voted': {
        const p = this.polls.get(d.poll);
        if (p) (p.named ||= new Map()).set(d.pid, d);
        break;
      }
      case 'poll.ended': {
        const p = this.polls.get(d.poll) || {
          poll: d.poll,
          question: d.question,
          options: d.options,
        };
        p.open = false;
        p.result = { ...d, ended: ts };
        this.polls.set(d.poll, p);
        this.pollProgress.delete(d.poll);
        break;
      }
      case 'caption':
        this.addCaption({
          seq,
          ts,
          lang: d.lang,
          text: d.text,
          speaker: d.speaker,
          offset_ms: d.offset_ms,
        });
        this.partials.delete(d.lang);
        break;
    }
  }

  // Moderation events (rooms/moderation.c); true if kind was one.
  moderation(kind, d) {
    switch (kind) {
      case 'participant.removed': {
        const p = this.participants.get(d.pid) || { pid: d.pid, name: d.pid };
        this.participants.delete(d.pid);
        this.chairMics.delete(d.pid);
        this.removed.set(d.pid, { ...p, by: d.by, reason: d.reason });
        break;
      }
      case 'participant.readmitted':
        this.removed.delete(d.pid);
        break;
      case 'mic.opened':
        if (this.q.floor?.pid === d.pid && this.floorMuted) this.floorMuted = false;
        else this.chairMics.add(d.pid);
        break;
      case 'mic.closed':
        if (this.q.floor?.pid === d.pid) this.floorMuted = true;
        this.chairMics.delete(d.pid);
        break;
      case 'token.revoked':
        break;
      default:
        return false;
    }
    if (this.you && d.pid === this.you.pid) this.serverMic = this.micOpenFor(this.you.pid);
    return true;
  }

  addCaption(c) {
    if (c.seq && this.captionSeqs.has(c.seq)) return;
    if (c.seq) this.captionSeqs.add(c.seq);
    if (!this.languages.includes(c.lang)) this.languages.push(c.lang);
    c.n = ++this.captionN;
    this.captions.push(c);
    if (this.captions.length > CAPTIONS_KEPT)
      this.captions.splice(0, this.captions.length - CAPTIONS_KEPT);
  }

  // Captions, hums and polls from the public record (what happened before this client
  // joined). Merged by seq, so nothing shows twice.
  record(rec) {
    const earlier = (rec.captions || []).filter((c) => !this.captionSeqs.has(c.seq));
    for (const c of earlier) {
      this.captionSeqs.add(c.seq);
      c.n = ++this.captionN;
    }
    if (earlier.length) this.captionsEpoch++;
    for (const c of earlier) if (!this.languages.includes(c.lang)) this.languages.push(c.lang);
    this.captions = [...earlier, ...this.captions].sort((a, b) => a.seq - b.seq);
    const seen = new Set(this.hums.map((x) => x.hum));
    this.hums = [...(rec.hums || []).filter((x) => !seen.has(x.hum)), ...this.hums].sort(
      (a, b) => a.hum - b.hum,
    );
    for (const r of rec.polls || []) {
      const p = this.polls.get(r.poll);
      if (p && !p.result) p.result = r;
      else if (!p)
        this.polls.set(r.poll, {
          poll: r.poll,
          question: r.question,
          options: r.options,
          multiple: r.multiple,
          anonymous: r.anonymous,
          show_of_hands: r.show_of_hands,
          open: false,
          result: r,
        });
    }
    this.recordLoaded = true;
    this.emit({ source: 'record', earlier: earlier.length });
  }

  live_(msg) {
    const d = msg.data || {};
    switch (msg.kind) {
      case 'presence':
        this.presence = { participants: d.participants, observers: d.observers };
        break;
      case 'caption':
        if (d.text) this.partials.set(d.lang, { text: d.text, speaker: d.speaker, at: Date.now() });
        else this.partials.delete(d.lang);
        break;
      case 'poll.progress':
        this.pollProgress.set(d.poll, d);
        break;
      case 'floor.warning':
        this.floorWarning = { ...d, at: Date.now() };
        break;
      case 'mic.status': {
        // What a speaker's client says of its microphone (runtime, not the record).
        const p = this.participants.get(d.pid);
        if (p) p.mic = d.state;
        break;
      }
    }
    this.emit({ source: 'live', kind: msg.kind, data: d });
  }

  private_(msg) {
    const d = msg.data || {};
    switch (msg.kind) {
      case 'hum.levels':
        if (this.hum && d.hum === this.hum.hum) this.humLevels = d;
        break;
      case 'mic':
        this.serverMic = !!d.open;
        break;
      case 'removed':
      case 'revoked':
        this.kicked = { kind: msg.kind, ...d };
        break;
      case 'media.state':
        this.mediaState = d.state;
        break;
      case 'mic.attempt':
        this.micAttempts = [
          { ...d, at: Date.now() },
          ...this.micAttempts.filter((a) => a.pid !== d.pid),
        ].slice(0, 8);
        break;
    }
    this.emit({ source: 'private', kind: msg.kind, data: d });
  }

  // The entry point for every server message that is not an ack or error.
  message(msg) {
    if (msg.type === 'event') return this.event(msg);
    if (msg.type === 'live') this.live_(msg);
    else if (msg.type === 'private') this.private_(msg);
    return 'ok';
  }
}
