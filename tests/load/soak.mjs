// make soak: a long plenary meeting against the real plenaryd, watching it for leaks.
//
//   node tests/load/soak.mjs [MINUTES]        (scripts/soak.sh; MINUTES defaults to 10,
//                                              fractions such as 0.5 are fine)
//
// One plenaryd (fresh data directory, free loopback port, media port 0) started by the
// integration harness, with one room. In it, for MINUTES minutes:
//  - a chair who starts the session, gives the floor (queue.next) every few seconds, now
//    and then changes the policy, closes and reopens the line, moves an entry, adds an
//    in-room speaker, extends a floor, and runs a hum and a poll (alternately a show of
//    hands, a named multiple-choice poll and an anonymous poll with live counts) in turn;
//  - 20 participants who raise (every kind) and lower hands, yield the floor, cast hums
//    and vote; now and then one drops its socket and resumes with `since`, or leaves and
//    joins again;
//  - a captioner sending partial captions four times a second and a final one every few
//    seconds, plus a CART writer posting final captions over HTTP;
//  - 50 observer slots in churn: each joins (anonymously or with a token), stays a few
//    seconds and goes by `leave`, by a clean close without leave, by an abrupt socket
//    destroy, or by a destroy followed by a resume with `since`;
//  - an HTTP reader (metrics, room list, record.json, a few seconds of listen.ogg);
//  - WebRTC: rounds of build/tests/load/plenary-load (a chair speaking to 4 observer
//    listeners), when that binary exists (SOAK_MEDIA=0 turns this off).
// Every client checks that event seqs arrive without gaps (across resumes too) and that
// every error it gets is one the race it is in can explain (a conflict for a hand raised
// as the chair gave the floor, say); `internal` is never expected.
//
// Every SOAK_SAMPLE_S (10) seconds: plenaryd's VmRSS, its open file descriptors and the
// room log's size. At the end the meeting's steady state is compared: the median of the
// samples of the second quarter of the run against that of the last quarter. The soak
// fails (exit 1) if
//  - RSS grew by more than 20 % and more than 8 MB (both), or open fds by more than 8;
//  - once every client has gone, plenaryd holds more fds than before the first joined
//    (+2);
//  - plenaryd crashed, exited non-zero on SIGTERM, or logged level=error or a sanitizer
//    report;
//  - a client got an unexpected error, missed an event, timed out waiting for an answer
//    or was disconnected by the server;
//  - `plenaryd verify` refuses the room's log, or the log's hashes differ from those the
//    chair saw live.
// On failure the data directory is kept and named.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join as pathJoin, resolve as pathResolve } from 'node:path';
import { startServer, createRoom, token, http, Client, sleep, PLENARYD, SECRET } from '../integration/harness.mjs';
import { runLoad } from './servers.mjs';

// --- configuration --------------------------------------------------------------------

const MINUTES = Number(process.argv[2] ?? process.env.SOAK_MINUTES ?? 10);
if (!(MINUTES > 0)) {
  console.error(`usage: soak.mjs [MINUTES]  (a positive number, got ${JSON.stringify(process.argv[2])})`);
  process.exit(2);
}
const DURATION_MS = Math.round(MINUTES * 60000);
const SAMPLE_MS = Number(process.env.SOAK_SAMPLE_S || 10) * 1000;
const PARTICIPANTS = 20;
const OBSERVERS = 50;
const ROOM = 'soak';
const GRACE_S = 20;
const REQUEST_TIMEOUT_MS = 20000;
const LOAD_BIN = process.env.PLENARY_LOAD || pathJoin(dirname(pathResolve(PLENARYD)), 'tests', 'load', 'plenary-load');
const MEDIA = process.env.SOAK_MEDIA !== '0' && existsSync(LOAD_BIN);
const MEDIA_ROUND_S = 20;

// The bounds of the verdict.
const RSS_GROWTH_PCT = 20;
const RSS_GROWTH_KB = 8 * 1024;
const FD_GROWTH = 8;
const FD_AFTER_SLACK = 2;

const GROUPS = ['government', 'private_sector', 'civil_society', 'technical', 'academia', 'intergovernmental'];
const KINDS = ['speak', 'speak', 'speak', 'speak', 'clarify', 'reply', 'point_of_order'];

// --- bookkeeping ----------------------------------------------------------------------

const failures = [];
const stats = {
  ops: 0, // acknowledged commands, joins included
  errorsExpected: {}, // "command code" -> count
  joins: 0,
  resumes: 0,
  observerExits: { leave: 0, close: 0, destroy: 0, resume: 0 },
  participantDrops: 0,
  participantRejoins: 0,
  duplicates: 0,
  events: 0, // events delivered to clients
  httpCaptions: 0,
  httpGets: 0,
  listenStreams: 0,
  mediaRounds: [],
  plenarydLines: 0,
  plenarydWarn: {},
};
let running = true; // the meeting is on
let tearingDown = false; // every close from here on is ours

function fail(what) {
  failures.push(what);
  if (failures.length <= 20) console.log(`[soak] FAILURE: ${what}`);
}

// A client-side failure that a crash of plenaryd would also cause: reported only if
// plenaryd is still running a moment later (its exit is the failure otherwise).
function clientFail(what) {
  setTimeout(() => {
    if (!server.exited) fail(what);
  }, 1000);
}

const rand = (a, b) => a + Math.random() * (b - a);
const pick = (xs) => xs[Math.floor(Math.random() * xs.length)];
const chance = (p) => Math.random() < p;
const mb = (kb) => `${(kb / 1024).toFixed(1)}MB`;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// Sleeps ms, or less if the meeting ends meanwhile.
async function nap(ms) {
  const end = Date.now() + ms;
  while (running && Date.now() < end) await sleep(Math.min(250, end - Date.now()));
}

// --- the server -----------------------------------------------------------------------

const dataDir = mkdtempSync(pathJoin(tmpdir(), 'plenary-soak-'));
const server = await startServer({ dataDir, grace: GRACE_S });
const pid = server.proc.pid;
await createRoom(server, ROOM, { title: 'Soak plenary', public_observers: true });

// plenaryd's own stderr: counted, scanned for errors and sanitizer reports; the harness's
// copy is trimmed so a long run does not keep every line in this process.
{
  let buffered = '';
  server.proc.stderr.on('data', (chunk) => {
    buffered += chunk.toString();
    let nl;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      stats.plenarydLines++;
      if (/runtime error:|ERROR: (Address|Leak|Undefined)Sanitizer|SUMMARY: /.test(line)) fail(`plenaryd: ${line}`);
      else if (/ level=error /.test(line)) fail(`plenaryd logged an error: ${line}`);
      else if (/ level=warn /.test(line)) {
        const msg = (/msg="([^"]*)"/.exec(line) || [])[1] || line;
        stats.plenarydWarn[msg] = (stats.plenarydWarn[msg] || 0) + 1;
      }
    }
  });
  setInterval(() => {
    if (server.logs.length > 2000) server.logs.splice(0, server.logs.length - 500);
  }, 5000).unref();
}
server.exitPromise.then((e) => {
  if (!tearingDown) {
    fail(`plenaryd exited during the meeting: ${JSON.stringify(e)}; its last words:\n  ${server.logs.filter(Boolean).slice(-5).join('\n  ')}`);
    running = false;
  }
});

function findLog() {
  const found = [];
  const walk = (dir) => {
    for (const d of readdirSync(dir, { withFileTypes: true })) {
      const p = pathJoin(dir, d.name);
      if (d.isDirectory()) walk(p);
      else if (d.name === `${ROOM}.jsonl`) found.push(p);
    }
  };
  walk(dataDir);
  return found[0] || pathJoin(dataDir, 'rooms', `${ROOM}.jsonl`);
}
const LOG_PATH = findLog();

function procSample() {
  let rssKb = null;
  let fds = null;
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    rssKb = m ? Number(m[1]) : null;
    fds = readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    /* gone */
  }
  let logBytes = 0;
  try {
    logBytes = statSync(LOG_PATH).size;
  } catch {
    /* not yet */
  }
  return { rssKb, fds, logBytes };
}

// --- clients --------------------------------------------------------------------------

// Which error codes each command may meet in this meeting's races, and nothing else.
const EXPECTED = {
  'queue.raise': ['conflict'], // already queued as the floor came, or the line closed
  'queue.lower': ['not_found'], // granted or removed meanwhile
  'floor.end': ['conflict', 'forbidden'], // the chair or the clock ended it first
  'queue.next': ['conflict'], // nobody waiting
  'queue.move': ['not_found', 'bad_request'], // granted meanwhile / the queue shrank
  'queue.remove': ['not_found'],
  'floor.extend': ['conflict'], // nobody holds the floor
  'hum.cast': ['conflict'], // the hum ended meanwhile
  'poll.vote': ['conflict'], // the poll ended meanwhile
};

// A WebSocket client of the harness that keeps only its last few messages (a long run
// would otherwise hold every event it saw) and hands each message to its owner.
async function openClient(owner) {
  const c = await Client.open(server);
  const messages = [];
  messages.push = function push(m) {
    try {
      owner.onMessage(c, m);
    } catch (e) {
      fail(`${owner.label}: ${e.stack || e}`);
    }
    Array.prototype.push.call(this, m);
    if (this.length > 64) this.splice(0, this.length - 16);
    return this.length;
  };
  c.messages = messages;
  c.ws.on('error', (e) => {
    if (!c.ours && !tearingDown) clientFail(`${owner.label}: socket error ${e.message}`);
  });
  c.closedPromise.then((how) => {
    if (!c.ours && !tearingDown) clientFail(`${owner.label}: the server closed the connection (${how.code} ${how.reason})`);
  });
  return c;
}

// A role in the meeting: its connection, the last seq it saw (checked for gaps, kept
// across resumes), its resume key.
class Actor {
  constructor(label, who) {
    this.label = label;
    this.who = who; // { token } or { anonymous: true }
    this.c = null;
    this.lastSeq = null;
    this.session = null;
    this.pid = null;
  }

  onMessage(c, m) {
    if (c !== this.c) return;
    if (m.type === 'event') {
      stats.events++;
      if (this.lastSeq !== null) {
        if (m.seq <= this.lastSeq) {
          stats.duplicates++;
          return;
        }
        if (m.seq !== this.lastSeq + 1) fail(`${this.label}: missed events: seq ${this.lastSeq} then ${m.seq} (${m.kind})`);
      }
      this.lastSeq = m.seq;
      this.onEvent(m);
    } else if (m.type === 'error' && m.id === undefined) {
      fail(`${this.label}: error without id: ${JSON.stringify(m)}`);
    } else if (m.type === '__unparseable') {
      fail(`${this.label}: unparseable message ${m.text.slice(0, 200)}`);
    }
  }

  onEvent() {}

  // Joins on a fresh connection; with resume, asks for the events after lastSeq.
  async join({ resume = false } = {}) {
    const c = await openClient(this);
    this.c = c;
    const msg = { type: 'join', room: ROOM };
    if (this.who.token) msg.token = this.who.token;
    else Object.assign(msg, { role: 'observer', name: this.label });
    if (resume) msg.resume = { session: this.session, since: this.lastSeq };
    else this.lastSeq = null;
    const ack = await this.cmd(msg);
    if (!ack) throw new Error('join refused');
    stats.joins++;
    if (resume) {
      stats.resumes++;
      // Resumed, the events after `since` came before the ack (checked for gaps as they
      // came); any the ack's seq still owes follow it, in order.
      if (ack.resumed !== true) {
        fail(`${this.label}: resume from seq ${msg.resume.since} was refused (resumed ${ack.resumed})`);
        this.lastSeq = ack.seq;
      }
    } else {
      this.lastSeq = Math.max(this.lastSeq ?? 0, ack.seq);
    }
    this.session = ack.session;
    this.pid = ack.you.pid;
    this.onJoined(ack);
    return ack;
  }

  onJoined() {}

  // Sends a command on the current connection; the ack, or null for an expected error.
  async cmd(obj, c = this.c) {
    let r;
    try {
      r = await c.request(obj, { timeout: REQUEST_TIMEOUT_MS });
    } catch (e) {
      if (c.ours || tearingDown || !running) return null; // our own close overtook it
      clientFail(`${this.label}: ${obj.type}: ${e.message.slice(0, 300)}`);
      return null;
    }
    if (r.type === 'ack') {
      stats.ops++;
      return r;
    }
    const ok = (EXPECTED[obj.type] || []).includes(r.code) && r.code !== 'internal';
    if (ok) {
      const k = `${obj.type} ${r.code}`;
      stats.errorsExpected[k] = (stats.errorsExpected[k] || 0) + 1;
    } else {
      fail(`${this.label}: ${obj.type} answered ${r.code}: ${r.message}`);
    }
    return null;
  }

  // Closes the connection: 'leave' (leave, then close), 'close' (a clean close without
  // leave) or 'destroy' (the TCP connection just goes).
  async drop(how) {
    const c = this.c;
    if (!c) return;
    this.c = null; // nothing else goes out on it (a hum cast after leave is unauthorized)
    if (how === 'leave') await this.cmd({ type: 'leave' }, c);
    c.ours = true;
    await (how === 'destroy' ? c.terminate() : c.close());
  }
}

// --- the chair ------------------------------------------------------------------------

class Chair extends Actor {
  constructor() {
    super('chair', { token: token({ room: ROOM, role: 'chair', name: 'Chair Soak', sub: 'soak-chair', group: 'technical' }) });
    this.waiting = new Map(); // entry -> pid
    this.floor = null; // { entry, pid, since }
    this.hum = null; // { hum, until }
    this.poll = null; // { poll, until }
    this.hashes = new Map(); // seq -> hash, as seen live
    this.pollKind = 0;
    this.policies = ['fifo', 'groups_round_robin', 'alternate_location'];
  }

  onJoined(ack) {
    const q = ack.state.queue;
    this.waiting = new Map(q.entries.map((e) => [e.entry, e.pid]));
    this.floor = q.floor ? { entry: q.floor.entry, pid: q.floor.pid, since: Date.now() } : null;
  }

  onEvent(m) {
    this.hashes.set(m.seq, m.hash);
    const d = m.data;
    switch (m.kind) {
      case 'queue.raised':
        this.waiting.set(d.entry, d.pid);
        break;
      case 'queue.lowered':
      case 'queue.removed':
        this.waiting.delete(d.entry);
        break;
      case 'floor.granted':
        this.waiting.delete(d.entry);
        this.floor = { entry: d.entry, pid: d.pid, since: Date.now() };
        break;
      case 'floor.ended':
        if (this.floor && this.floor.entry === d.entry) this.floor = null;
        break;
      default:
    }
  }

  async run(t0) {
    let nextGrant = 0;
    let nextHum = Date.now() + 5000;
    let nextPoll = Date.now() + 15000;
    let nextPolicy = Date.now() + 30000;
    let reopenAt = 0;
    let nextClose = Date.now() + 40000;
    while (running) {
      const now = Date.now();
      if (now >= nextGrant) {
        // The floor goes on when the holder has had a few seconds, or nobody holds it.
        if (this.waiting.size && (!this.floor || now - this.floor.since > 4000)) await this.cmd({ type: 'queue.next' });
        nextGrant = now + rand(1500, 3500);
      }
      if (this.floor && chance(0.03)) await this.cmd({ type: 'floor.extend', seconds: 5 });
      if (this.waiting.size > 3 && chance(0.03)) {
        const entries = [...this.waiting.keys()];
        await this.cmd({ type: 'queue.move', entry: entries[entries.length - 1], position: 0 });
      }
      if (chance(0.02)) await this.cmd({ type: 'queue.add', name: `Floor mic ${Math.floor(rand(1, 99))}`, group: pick(GROUPS), kind: 'speak' });
      if (now >= nextPolicy) {
        await this.cmd({ type: 'queue.policy', policy: pick(this.policies), time_limit_s: pick([8, 20, 60]), auto_end: chance(0.7) });
        nextPolicy = now + rand(45000, 75000);
      }
      if (now >= nextClose && !reopenAt) {
        await this.cmd({ type: 'queue.close' });
        reopenAt = now + rand(3000, 6000);
      }
      if (reopenAt && now >= reopenAt) {
        await this.cmd({ type: 'queue.open' });
        reopenAt = 0;
        nextClose = now + rand(40000, 80000);
      }
      if (this.hum && now >= this.hum.until) {
        await this.cmd({ type: 'hum.end', hum: this.hum.hum });
        this.hum = null;
        nextHum = now + rand(12000, 20000);
      } else if (!this.hum && now >= nextHum) {
        const r = await this.cmd({ type: 'hum.start', question: `Can we live with proposal ${Math.floor((now - t0) / 1000)}?`, options: ['Support', 'Oppose', 'Need more time'] });
        if (r) this.hum = { hum: r.hum, until: now + rand(5000, 8000) };
        else nextHum = now + 10000;
      }
      if (this.poll && now >= this.poll.until) {
        await this.cmd({ type: 'poll.end', poll: this.poll.poll });
        this.poll = null;
        nextPoll = now + rand(12000, 20000);
      } else if (!this.poll && now >= nextPoll) {
        const kinds = [
          { question: 'Show of hands: is the draft ready?', show_of_hands: true },
          { question: 'Which sessions should be extended?', options: ['Morning', 'Afternoon', 'Evening', 'None'], multiple: true, anonymous: false },
          { question: 'Venue for the next meeting?', options: ['Geneva', 'Nairobi', 'Montevideo'], anonymous: true, live_counts: true },
        ];
        const r = await this.cmd({ type: 'poll.start', ...kinds[this.pollKind++ % kinds.length] });
        if (r) this.poll = { poll: r.poll, until: now + rand(5000, 8000) };
        else nextPoll = now + 10000;
      }
      await nap(rand(300, 700));
    }
  }
}

// --- participants ---------------------------------------------------------------------

class Participant extends Actor {
  constructor(i) {
    const sub = `soak-p${i}`;
    super(`participant ${i}`, {
      token: token({ room: ROOM, role: 'participant', name: `Delegate ${i}`, sub, group: GROUPS[i % GROUPS.length], location: i % 4 === 0 ? 'room' : 'remote' }),
    });
    this.sub = sub;
    this.entry = null; // my waiting entry
    this.floorSince = null; // when I got the floor
    this.yieldAfter = 0;
  }

  onJoined(ack) {
    const q = ack.state.queue;
    const mine = q.entries.find((e) => e.pid === this.sub);
    this.entry = mine ? mine.entry : null;
    if (q.floor && q.floor.pid === this.sub) {
      if (this.floorSince === null) this.floorSince = Date.now();
    } else {
      this.floorSince = null;
    }
    // A hum or a poll already open: take part as if it had just started.
    if (ack.state.hum) this.castLater(ack.state.hum.hum, ack.state.hum.options.length);
    const open = (ack.state.polls || []).find((p) => p.open);
    if (open) this.voteLater(open.poll, open.options.length, open.multiple);
  }

  onEvent(m) {
    const d = m.data;
    const mine = d.pid === this.sub;
    switch (m.kind) {
      case 'queue.raised':
        if (mine) this.entry = d.entry;
        break;
      case 'queue.lowered':
      case 'queue.removed':
        if (d.entry === this.entry) this.entry = null;
        break;
      case 'floor.granted':
        if (d.entry === this.entry) this.entry = null;
        if (mine) {
          this.floorSince = Date.now();
          this.yieldAfter = rand(800, 5000);
        }
        break;
      case 'floor.ended':
        if (mine) this.floorSince = null;
        break;
      case 'hum.started':
        this.castLater(d.hum, d.options.length);
        break;
      case 'poll.started':
        this.voteLater(d.poll, d.options.length, d.multiple);
        break;
      default:
    }
  }

  castLater(hum, n) {
    if (chance(0.15)) return; // abstains
    const c = this.c;
    setTimeout(async () => {
      if (!running || c !== this.c) return;
      await this.cmd({ type: 'hum.cast', hum, option: Math.floor(rand(0, n)) }, c);
      if (chance(0.2) && running && c === this.c) {
        await sleep(rand(200, 1500));
        if (running && c === this.c) await this.cmd({ type: 'hum.cast', hum, option: chance(0.5) ? null : Math.floor(rand(0, n)) }, c);
      }
    }, rand(100, 3000));
  }

  voteLater(poll, n, multiple) {
    if (chance(0.1)) return;
    const c = this.c;
    setTimeout(async () => {
      if (!running || c !== this.c) return;
      let choices = [Math.floor(rand(0, n))];
      if (multiple) choices = [...new Set([...choices, Math.floor(rand(0, n))])];
      await this.cmd({ type: 'poll.vote', poll, choices }, c);
      if (chance(0.15) && running && c === this.c) await this.cmd({ type: 'poll.vote', poll, choices: [] }, c);
    }, rand(100, 3000));
  }

  async run() {
    while (running) {
      await nap(rand(300, 2000));
      if (!running) break;
      if (this.floorSince !== null) {
        if (Date.now() - this.floorSince > this.yieldAfter) await this.cmd({ type: 'floor.end' });
      } else if (this.entry !== null) {
        if (chance(0.08)) await this.cmd({ type: 'queue.lower' });
      } else if (chance(0.6)) {
        await this.cmd({ type: 'queue.raise', kind: pick(KINDS) });
      }
      if (chance(0.015)) {
        // The network goes; back within the grace period, resuming from the last seq.
        stats.participantDrops++;
        await this.drop(chance(0.5) ? 'destroy' : 'close');
        await sleep(rand(200, 3000));
        if (!running) break;
        await this.join({ resume: true });
      } else if (chance(0.005)) {
        // Leaves the meeting, comes back a little later as a new arrival.
        stats.participantRejoins++;
        await this.drop('leave');
        await sleep(rand(500, 3000));
        if (!running) break;
        await this.join();
      }
    }
  }
}

// --- the captioner --------------------------------------------------------------------

const WORDS = 'the working group has reviewed the text and we believe that consensus on the remaining issues can be reached before the next plenary if the chairs agree'.split(' ');

class Captioner extends Actor {
  constructor() {
    super('captioner', { token: token({ room: ROOM, role: 'captioner', name: 'CART Writer', sub: 'soak-cart' }) });
  }

  async run() {
    let words = [];
    while (running) {
      await nap(250);
      if (!running) break;
      words.push(pick(WORDS));
      const text = words.join(' ');
      if (words.length >= 12 || chance(0.05)) {
        await this.cmd({ type: 'caption', lang: 'en', text: `${text}.`, final: true });
        words = [];
      } else {
        await this.cmd({ type: 'caption', lang: 'en', text, final: false });
      }
    }
  }
}

// A CART service posting final captions over HTTP, in French, with its own counter.
async function cartOverHttp() {
  const t = encodeURIComponent(token({ room: ROOM, role: 'captioner', name: 'CART Service', sub: 'soak-cart-http' }));
  let seq = 0;
  while (running) {
    await nap(rand(3000, 6000));
    if (!running) break;
    seq++;
    const text = `Traduction ${seq}: ${WORDS.slice(0, 6 + (seq % 8)).join(' ')}`;
    try {
      const r = await http(server, 'POST', `/api/rooms/${ROOM}/caption?token=${t}&seq=${seq}&lang=fr`, {
        body: text,
        headers: { 'content-type': 'text/plain; charset=utf-8' },
      });
      if (r.status !== 200) fail(`CART POST seq ${seq}: ${r.status} ${r.text}`);
      else stats.httpCaptions++;
      if (chance(0.2)) {
        // A retry of the same POST is recognised.
        const again = await http(server, 'POST', `/api/rooms/${ROOM}/caption?token=${t}&seq=${seq}&lang=fr`, { body: text, headers: { 'content-type': 'text/plain; charset=utf-8' } });
        if (again.status !== 200 || again.json?.duplicate !== true) fail(`CART retry of seq ${seq}: ${again.status} ${again.text}`);
      }
    } catch (e) {
      if (running) clientFail(`CART POST: ${e.message}`);
    }
  }
}

// --- observers ------------------------------------------------------------------------

async function observerSlot(i, tokens) {
  let actor = null;
  let resumeNext = false;
  while (running) {
    try {
      if (!actor || !resumeNext) {
        const who = i % 4 === 0 ? { token: pick(tokens) } : { anonymous: true };
        actor = new Actor(`observer ${i}`, who);
      }
      await actor.join({ resume: resumeNext });
      resumeNext = false;
      await nap(rand(2000, 15000));
      if (!running) {
        await actor.drop('close');
        break;
      }
      const how = pick(['leave', 'close', 'destroy', 'resume']);
      stats.observerExits[how]++;
      await actor.drop(how === 'resume' ? 'destroy' : how);
      resumeNext = how === 'resume';
      await nap(rand(0, resumeNext ? 2000 : 800));
    } catch (e) {
      if (running) clientFail(`observer ${i}: ${e.message}`);
      resumeNext = false;
      await nap(1000);
    }
  }
  if (actor?.c) {
    actor.c.ours = true;
    await actor.c.close();
  }
}

// --- HTTP readers ---------------------------------------------------------------------

async function httpReader() {
  let n = 0;
  while (running) {
    await nap(rand(8000, 12000));
    if (!running) break;
    n++;
    const paths = ['/metrics', '/api/rooms', '/healthz'];
    if (n % 3 === 0) paths.push(`/api/rooms/${ROOM}/record.json`, `/api/rooms/${ROOM}/record.vtt`, `/api/rooms/${ROOM}/polls.json`);
    for (const p of paths) {
      try {
        const r = await http(server, 'GET', p);
        if (r.status !== 200) fail(`GET ${p}: ${r.status} ${r.text.slice(0, 200)}`);
        else stats.httpGets++;
      } catch (e) {
        if (running) clientFail(`GET ${p}: ${e.message}`);
      }
    }
    if (n % 2 === 0) {
      // A listen-only listener for a couple of seconds, then gone without a goodbye.
      const ac = new AbortController();
      try {
        const r = await fetch(`${server.url}/api/rooms/${ROOM}/listen.ogg`, { signal: ac.signal });
        if (r.status !== 200) fail(`GET listen.ogg: ${r.status}`);
        else {
          stats.listenStreams++;
          const reader = r.body.getReader();
          const until = Date.now() + rand(1000, 3000);
          while (Date.now() < until) {
            const chunk = await Promise.race([reader.read(), sleep(500).then(() => null)]);
            if (chunk && chunk.done) break;
          }
        }
      } catch (e) {
        if (running && e.name !== 'AbortError') clientFail(`listen.ogg: ${e.message}`);
      }
      ac.abort();
    }
  }
}

// --- WebRTC through plenary-load ------------------------------------------------------

async function mediaRounds(deadline) {
  while (running && Date.now() + (MEDIA_ROUND_S + 15) * 1000 < deadline) {
    let r;
    try {
      r = await runLoad(LOAD_BIN, ['--url', server.wsUrl, '--room', ROOM, '--secret', SECRET, '--server-pid', String(pid),
        '--speaker', 'chair', '--listener-role', 'observer', '--listeners', '4', '--sample', '1', '--warmup', '1',
        '--duration', String(MEDIA_ROUND_S), '--hear-timeout', '10', '--join-timeout', '10'], { timeoutMs: (MEDIA_ROUND_S + 60) * 1000 });
    } catch (e) {
      clientFail(`plenary-load: ${e.message.slice(0, 500)}`);
      break;
    }
    const rep = r.report;
    stats.mediaRounds.push({ connected: rep.connected, heard: rep.heard, loss_pct: rep.loss_pct, error: rep.error });
    console.log(`[soak] media round ${stats.mediaRounds.length}: ${rep.connected}/${rep.listeners} listeners connected, ${rep.heard} heard, loss ${rep.loss_pct}%${rep.error ? `, error: ${rep.error}` : ''}`);
    if (rep.error) clientFail(`plenary-load: ${rep.error}`);
    await nap(5000);
  }
}

// --- the run --------------------------------------------------------------------------

const baseline = procSample();
console.log(`[soak] plenaryd pid ${pid} on ${server.url}, data ${dataDir}; ${MINUTES} min, ${PARTICIPANTS} participants, ${OBSERVERS} observers, media ${MEDIA ? 'on' : 'off'}`);
console.log(`[soak] before any client: rss=${mb(baseline.rssKb)} fds=${baseline.fds}`);

const chair = new Chair();
await chair.join();
await chair.cmd({ type: 'session.start', title: 'Soak plenary' });
await chair.cmd({ type: 'queue.policy', policy: 'fifo', time_limit_s: 20, auto_end: true });
const participants = [];
for (let i = 0; i < PARTICIPANTS; i++) {
  const p = new Participant(i);
  await p.join();
  participants.push(p);
}
const captioner = new Captioner();
await captioner.join();
const observerTokens = [0, 1, 2, 3].map((i) => token({ room: ROOM, role: 'observer', name: `Registered observer ${i}`, sub: `soak-obs-${i}` }));

const t0 = Date.now();
const deadline = t0 + DURATION_MS;
const loops = [
  chair.run(t0),
  ...participants.map((p) => p.run()),
  captioner.run(),
  cartOverHttp(),
  httpReader(),
  ...Array.from({ length: OBSERVERS }, (_, i) => sleep(i * 40).then(() => observerSlot(i, observerTokens))),
].map((p) =>
  p.catch((e) => {
    if (running) clientFail(`a client loop died: ${e.stack || e}`);
  }),
);
const media = MEDIA ? mediaRounds(deadline) : Promise.resolve();

const samples = [];
function takeSample() {
  const s = { t: (Date.now() - t0) / 1000, ...procSample(), events: chair.lastSeq, ops: stats.ops };
  samples.push(s);
  const nodeRss = process.memoryUsage().rss / 1024;
  console.log(`[soak] t=${s.t.toFixed(0).padStart(5)}s rss=${mb(s.rssKb)} fds=${s.fds} log=${(s.logBytes / 1048576).toFixed(2)}MB events=${s.events} ops=${s.ops} joins=${stats.joins} (driver rss ${mb(nodeRss)})`);
}
while (running && Date.now() < deadline) {
  await sleep(Math.min(SAMPLE_MS, deadline - Date.now()));
  if (!server.exited) takeSample();
}
const crashed = !!server.exited;
running = false;
const elapsedS = (Date.now() - t0) / 1000;

// --- the end --------------------------------------------------------------------------

console.log('[soak] meeting over; waiting for the clients to finish what they are doing');
await Promise.race([Promise.all(loops), sleep(30000)]);
await Promise.race([media, sleep((MEDIA_ROUND_S + 60) * 1000)]);

let after = null;
let verify = null;
let exit = null;
if (!crashed) {
  // Close the session (the chair), then everyone goes: half of them with leave.
  const ended = await chair.cmd({ type: 'session.end' });
  if (!ended) fail('session.end was refused');
  const rec = await http(server, 'GET', `/api/rooms/${ROOM}/record.json`);
  if (rec.status !== 200) fail(`record.json after the session: ${rec.status}`);
  tearingDown = true;
  await Promise.all([captioner, ...participants].map((a) => a.drop(chance(0.5) ? 'leave' : 'close').catch(() => {})));
  await chair.drop('leave');
  await sleep(3000);
  after = procSample();
  console.log(`[soak] every client gone: rss=${mb(after.rssKb)} fds=${after.fds} (before any client: fds=${baseline.fds})`);
}
tearingDown = true;
exit = await server.stop();
if (!crashed && (exit.code !== 0 || exit.signal)) fail(`plenaryd did not exit cleanly on SIGTERM: ${JSON.stringify(exit)}`);

// The log: the chain checks out, and its hashes are those the chair saw live.
if (existsSync(LOG_PATH)) {
  const v = spawnSync(PLENARYD, ['verify', LOG_PATH], { encoding: 'utf8' });
  verify = { status: v.status, out: (v.stdout + v.stderr).trim() };
  if (v.status !== 0) fail(`plenaryd verify ${LOG_PATH}: exit ${v.status}: ${verify.out}`);
  let mismatched = 0;
  for (const line of readFileSync(LOG_PATH, 'utf8').split('\n')) {
    if (!line) continue;
    const o = JSON.parse(line);
    const seen = chair.hashes.get(o.seq);
    if (seen !== undefined && seen !== o.hash && mismatched++ < 3) fail(`log line ${o.seq}: hash ${o.hash}, but the chair saw ${seen}`);
  }
} else {
  fail(`no room log at ${LOG_PATH}`);
}

// --- the verdict ----------------------------------------------------------------------

await sleep(1100); // clientFail's moment

const D = DURATION_MS / 1000;
const inRange = (a, b) => samples.filter((s) => s.t > a && s.t <= b + 0.5 && s.rssKb !== null);
let q2 = inRange(D / 4, D / 2);
let q4 = inRange((3 * D) / 4, D);
if (!q2.length || !q4.length) {
  q2 = samples.slice(0, Math.max(1, samples.length >> 1));
  q4 = samples.slice(-1);
}
const summary = [];
if (q2.length && q4.length) {
  const rss2 = median(q2.map((s) => s.rssKb));
  const rss4 = median(q4.map((s) => s.rssKb));
  const fd2 = median(q2.map((s) => s.fds));
  const fd4 = median(q4.map((s) => s.fds));
  const growKb = rss4 - rss2;
  const growPct = (100 * growKb) / rss2;
  summary.push(`rss: start ${mb(samples[0].rssKb)}, second quarter ${mb(rss2)}, last quarter ${mb(rss4)} (${growKb >= 0 ? '+' : ''}${(growKb / 1024).toFixed(1)} MB, ${growPct.toFixed(1)} %; bound: ${RSS_GROWTH_PCT} % and ${RSS_GROWTH_KB / 1024} MB)`);
  summary.push(`fds: before clients ${baseline.fds}, start ${samples[0].fds}, second quarter ${fd2}, last quarter ${fd4}${after ? `, after every client left ${after.fds}` : ''} (bound: +${FD_GROWTH}; +${FD_AFTER_SLACK} after)`);
  if (crashed) summary.push('(no verdict on memory and fds: plenaryd crashed)');
  else if (growKb > RSS_GROWTH_KB && growPct > RSS_GROWTH_PCT) fail(`RSS grew from ${mb(rss2)} to ${mb(rss4)} between the second and the last quarter of the run`);
  if (!crashed && fd4 - fd2 > FD_GROWTH) fail(`open fds grew from ${fd2} to ${fd4} between the second and the last quarter of the run`);
} else {
  fail('too few samples to compare');
}
if (after && after.fds > baseline.fds + FD_AFTER_SLACK) fail(`plenaryd holds ${after.fds} fds once every client has gone, ${baseline.fds} before the first came`);

const last = samples[samples.length - 1] || {};
const events = verify && /seq=(\d+)/.exec(verify.out) ? Number(/seq=(\d+)/.exec(verify.out)[1]) : last.events;
summary.push(`events written: ${events} (log ${((last.logBytes || 0) / 1048576).toFixed(2)} MB), ${(events / elapsedS).toFixed(1)}/s; delivered to clients: ${stats.events}`);
summary.push(`operations: ${stats.ops} acknowledged, ${(stats.ops / elapsedS).toFixed(1)}/s; joins ${stats.joins} (resumes ${stats.resumes}); observer exits ${JSON.stringify(stats.observerExits)}; participant drops ${stats.participantDrops}, leave-and-rejoin ${stats.participantRejoins}`);
summary.push(`expected errors: ${JSON.stringify(stats.errorsExpected)}; duplicate events ignored: ${stats.duplicates}`);
summary.push(`http: ${stats.httpGets} GETs, ${stats.httpCaptions} CART captions, ${stats.listenStreams} listen.ogg streams${MEDIA ? `; media rounds: ${stats.mediaRounds.length} (${stats.mediaRounds.filter((r) => !r.error && r.heard === r.connected && r.connected > 0).length} with every listener hearing)` : ''}`);
summary.push(`plenaryd: ${stats.plenarydLines} log lines, warnings ${JSON.stringify(stats.plenarydWarn)}; exit ${JSON.stringify(exit)}; verify: ${verify ? verify.out : 'not run'}`);
for (const line of summary) console.log(`[soak] ${line}`);

if (failures.length) {
  console.log(`[soak] FAIL: ${failures.length} problem(s)${failures.length > 20 ? ' (first 20 above)' : ''}:`);
  for (const f of failures.slice(0, 20)) console.log(`[soak]   - ${f.split('\n')[0]}`);
  console.log(`[soak] data kept in ${dataDir}`);
  process.exit(1);
}
rmSync(dataDir, { recursive: true, force: true });
console.log(`[soak] PASS (${MINUTES} min)`);
process.exit(0);
