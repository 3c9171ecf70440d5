// The WebSocket to plenaryd: the envelope of the protocol, requests matched to their acks,
// and staying connected. A dropped connection is retried with growing pauses (0.5 s up to
// 15 s, with jitter) and each new connection joins again with resume {session, since}, so
// the server replays what was missed. A ping every 15 s notices a dead network the socket
// itself would only notice minutes later.
//
// Status, reported through onStatus({state, ...}):
//   connecting | online | reconnecting {attempt, at} | failed {code, message} | left
// (failed with code `removed` or `revoked` when the server closed us for good.)
// Joining errors that retrying cannot fix (bad or expired token, no such room, wrong role)
// end in `failed`; everything else retries. A node that is not the room's owner (with
// --nats: a standby, or an owner that lost the room) answers `unavailable` with the
// owner's address (`owner_url`): the next attempt goes there, and resumes. Every node
// the client has known (the one it started with, the owners it was sent to) is kept: an
// attempt that did not get the client in moves the next one to the next of them, so a
// node cut off from the others (which cannot know the new owner) is not retried forever.

const FATAL = new Set(['unauthorized', 'forbidden', 'not_found', 'bad_request', 'conflict']);
// The server's own close codes (docs/protocol.md "Moderation"): a chair removed this
// person, or the token was revoked. Reconnecting would only be refused: stop.
const CLOSED_FOR_GOOD = { 4403: 'removed', 4401: 'revoked' };
const PING_EVERY_MS = 15000;
const PING_TIMEOUT_MS = 10000;
const REQUEST_TIMEOUT_MS = 15000;

export class RequestError extends Error {
  constructor(code, message, ownerUrl) {
    super(message || code);
    this.code = code;
    this.ownerUrl = ownerUrl;
  }
}

// The WebSocket URL on the owner's address (http(s) from --node-url) with this one's path,
// or null for anything else.
export function ownerSocketUrl(ownerUrl, current) {
  try {
    const to = new URL(ownerUrl);
    if (to.protocol !== 'https:' && to.protocol !== 'http:') return null;
    to.protocol = to.protocol === 'https:' ? 'wss:' : 'ws:';
    to.pathname = new URL(current).pathname;
    to.search = '';
    to.hash = '';
    return to.href;
  } catch {
    return null;
  }
}

export class Connection {
  // joinMessage(): the join command to send (with resume when there is something to resume).
  // onJoined(ack), onMessage(msg), onStatus(status).
  constructor({ url, joinMessage, onJoined, onMessage, onStatus }) {
    Object.assign(this, { url, joinMessage, onJoined, onMessage, onStatus });
    this.urls = [url];
    this.nextId = 1;
    this.pending = new Map();
    this.attempt = 0;
    this.ws = null;
    this.joined = false;
    this.stopped = false;
    this.status = { state: 'connecting' };
  }

  start() {
    this.stopped = false;
    this.open();
    addEventListener('online', () => this.state === 'reconnecting' && this.retryNow());
  }

  get state() {
    return this.status.state;
  }

  setStatus(status) {
    this.status = status;
    this.onStatus?.(status);
  }

  open() {
    clearTimeout(this.retryTimer);
    this.joined = false;
    if (this.state !== 'reconnecting') this.setStatus({ state: 'connecting' });
    let ws;
    try {
      ws = new WebSocket(this.url, 'plenary.v1');
    } catch {
      this.scheduleRetry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => this.sendJoin(ws);
    ws.onmessage = (e) => this.receive(ws, e.data);
    ws.onclose = (e) => this.closed(ws, e);
    ws.onerror = () => {};
  }

  async sendJoin(ws) {
    const id = this.nextId++;
    let reply;
    try {
      reply = await this.request(this.joinMessage(), { id, ws });
    } catch (err) {
      if (ws !== this.ws) return;
      if (err.code && FATAL.has(err.code)) {
        this.stopped = true;
        this.setStatus({ state: 'failed', code: err.code, message: err.message });
        ws.close();
      } else {
        // Transient (the room is full or the server busy): closed() schedules the retry,
        // and the status says why. The room's owner elsewhere: the retry goes there.
        this.refusal =
          err.code === 'rate_limited' || err.code === 'unavailable' ? err.message || err.code : '';
        const owner = err.code === 'unavailable' && ownerSocketUrl(err.ownerUrl, this.url);
        if (owner && owner !== this.url) {
          if (!this.urls.includes(owner)) this.urls.push(owner);
          this.url = owner;
          this.redirected = true;
          this.attempt = 0;
        }
        ws.close();
      }
      return;
    }
    if (ws !== this.ws) return;
    this.joined = true;
    this.attempt = 0;
    this.startPing(ws);
    this.onJoined?.(reply);
    this.setStatus({ state: 'online', resumed: reply.resumed });
  }

  receive(ws, text) {
    if (ws !== this.ws) return;
    let msg;
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    this.lastHeard = Date.now();
    if ((msg.type === 'ack' || msg.type === 'error') && this.pending.has(msg.id)) {
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      clearTimeout(p.timer);
      if (msg.type === 'ack') p.resolve(msg);
      else p.reject(new RequestError(msg.code, msg.message, msg.owner_url));
      return;
    }
    this.onMessage?.(msg);
  }

  // Sends a command and resolves with its ack (rejects with a RequestError).
  request(obj, { id = this.nextId++, ws = this.ws, timeout = REQUEST_TIMEOUT_MS } = {}) {
    return new Promise((resolve, reject) => {
      if (
        !ws ||
        ws.readyState !== WebSocket.OPEN ||
        (!this.joined && obj.type !== 'join' && obj.type !== 'ping')
      ) {
        reject(
          new RequestError('disconnected', 'Not connected: try again when the connection is back.'),
        );
        return;
      }
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RequestError('timeout', 'The server did not answer in time.'));
      }, timeout);
      this.pending.set(id, { resolve, reject, timer });
      ws.send(JSON.stringify({ ...obj, id }));
    });
  }

  startPing(ws) {
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => {
      if (ws !== this.ws) return;
      this.request({ type: 'ping' }, { timeout: PING_TIMEOUT_MS }).catch((err) => {
        if (err.code === 'timeout' && ws === this.ws) ws.close(); // a dead network
      });
    }, PING_EVERY_MS);
  }

  closed(ws, e) {
    if (ws !== this.ws) return;
    const why = CLOSED_FOR_GOOD[e?.code];
    if (why) {
      this.stopped = true;
      clearTimeout(this.retryTimer);
    }
    clearInterval(this.pingTimer);
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(
        new RequestError('disconnected', 'The connection dropped before the server answered.'),
      );
    }
    this.pending.clear();
    this.ws = null;
    const wasOnline = this.joined;
    this.joined = false;
    if (why) this.setStatus({ state: 'failed', code: why, message: e.reason });
    else if (!this.stopped) this.scheduleRetry(!wasOnline);
  }

  // failed: the attempt that ended never got in; the next goes to the next node known.
  // The pause grows once per round of the known nodes, not per node: while a standby
  // takes the room over, the client goes back and forth between the two quickly.
  scheduleRetry(failed = true) {
    let round = true;
    if (failed && !this.redirected && this.urls.length > 1) {
      const next = (this.urls.indexOf(this.url) + 1) % this.urls.length;
      round = next === 0;
      this.url = this.urls[next];
    }
    this.redirected = false;
    if (round) this.attempt++;
    const base = Math.min(15000, 500 * 2 ** (Math.max(1, this.attempt) - 1));
    const delay = Math.round(base * (0.75 + Math.random() * 0.5));
    this.setStatus({
      state: 'reconnecting',
      attempt: this.attempt,
      at: Date.now() + delay,
      refused: this.refusal,
    });
    this.refusal = '';
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.open(), delay);
  }

  retryNow() {
    if (this.state === 'reconnecting') this.open();
  }

  // Leaves the room on purpose: no reconnect.
  async leave() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    try {
      await this.request({ type: 'leave' }, { timeout: 3000 });
    } catch {
      /* closing anyway */
    }
    this.ws?.close();
    this.setStatus({ state: 'left' });
  }

  // For a client that saw something it cannot fold (a gap in seq): reconnect and resume.
  resync() {
    this.ws?.close();
  }
}
