// verify-log.mjs -- an independent check of a Plenary room log (rooms/LOG.md).
//
// Written from the format description, not from the C code, and with no dependencies, so
// it can stand as a second implementation in black-box tests and as a model for anyone
// verifying a published log. It has its own RFC 8785 serialiser for the values JSON.parse
// produces: keys sorted by UTF-16 code units (which is what Array.prototype.sort does),
// minimal string escaping, and numbers only when they are safe integers (the log holds no
// reals).
//
//   import { verifyLog } from './verify-log.mjs'
//   verifyLog(textOrBytes) -> { ok, seq, hash, badLine, reason }
//   node tests/tools/verify-log.mjs FILE   (exit 0: "ok seq=N hash=H"; 1: "line N: why")

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ZERO = '0'.repeat(64);
const LINE_MAX = 1024 * 1024;
const FIELDS = ['data', 'hash', 'kind', 'prev', 'seq', 'ts'];

// The same words as the C side's log_strerror(), so both tools print the same line.
const REASON = {
  parse: 'not a log line (bad JSON, or missing, extra or mistyped fields)',
  seq: 'seq does not follow the previous line',
  prev: "prev is not the previous line's hash",
  hash: "hash does not match the line's content",
  jcs: 'line is not in canonical form (RFC 8785)',
  real: 'a number that is not an integer within +-(2^53 - 1)',
  utf8: 'invalid UTF-8',
  big: 'too large',
};

class LineError extends Error {
  constructor(why) {
    super(REASON[why]);
    this.why = why;
  }
}

function jcsString(s) {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) throw new LineError('utf8');
      out += s[i] + s[i + 1];
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      throw new LineError('utf8');
    } else if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0c) out += '\\f';
    else if (c === 0x0d) out += '\\r';
    else if (c < 0x20) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += s[i];
  }
  return out + '"';
}

// RFC 8785 for JSON.parse output. Integers print as ECMAScript prints them (plain
// decimal when safe); anything else is refused, as the C side refuses reals.
export function jcs(v) {
  if (v === null) return 'null';
  if (v === true) return 'true';
  if (v === false) return 'false';
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new LineError('real');
    return String(v); // -0 prints as "0", as ECMAScript does
  }
  if (typeof v === 'string') return jcsString(v);
  if (Array.isArray(v)) return '[' + v.map(jcs).join(',') + ']';
  const keys = Object.keys(v).sort(); // default sort: UTF-16 code units (RFC 8785 3.2.3)
  return '{' + keys.map((k) => jcsString(k) + ':' + jcs(v[k])).join(',') + '}';
}

function daysInMonth(y, m) {
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
}

function validTs(ts) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{3})Z$/.exec(ts);
  if (!m) return false;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
  return mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth(y, mo) && h <= 23 && mi <= 59 && s <= 59;
}

function checkFields(o) {
  const ok =
    o !== null && typeof o === 'object' && !Array.isArray(o) &&
    Object.keys(o).sort().join(',') === FIELDS.join(',') &&
    Number.isInteger(o.seq) && o.seq >= 1 &&
    typeof o.ts === 'string' && validTs(o.ts) &&
    typeof o.kind === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(o.kind) &&
    o.data !== null && typeof o.data === 'object' && !Array.isArray(o.data) &&
    typeof o.prev === 'string' && /^[0-9a-f]{64}$/.test(o.prev) &&
    typeof o.hash === 'string' && /^[0-9a-f]{64}$/.test(o.hash);
  if (!ok) throw new LineError('parse');
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// One line's bytes (no newline) -> its record, checked on its own (not against the chain).
function decodeLine(bytes) {
  if (bytes.length > LINE_MAX) throw new LineError('big');
  let text, o;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new LineError('utf8');
  }
  try {
    o = JSON.parse(text);
  } catch {
    throw new LineError('parse');
  }
  checkFields(o);
  if (jcs(o) !== text) throw new LineError('jcs');
  const content = jcs({ seq: o.seq, ts: o.ts, kind: o.kind, data: o.data });
  const hash = createHash('sha256').update(o.prev + content, 'utf8').digest('hex');
  if (hash !== o.hash) throw new LineError('hash');
  return o;
}

export function verifyLog(input) {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(input);
  let seq = 0;
  let hash = ZERO;
  let start = 0;
  for (let line = 1; start < bytes.length; line++) {
    const nl = bytes.indexOf(0x0a, start);
    const fail = (reason) => ({ ok: false, seq, hash, badLine: line, reason });
    if (nl < 0) {
      const torn = bytes.length - start;
      if (torn > LINE_MAX) return fail(REASON.big);
      return fail(`incomplete last line (${torn} bytes without a newline)`);
    }
    try {
      const o = decodeLine(bytes.subarray(start, nl));
      if (o.seq !== seq + 1) throw new LineError('seq');
      if (o.prev !== hash) throw new LineError('prev');
      seq = o.seq;
      hash = o.hash;
    } catch (e) {
      if (!(e instanceof LineError)) throw e;
      return fail(e.message);
    }
    start = nl + 1;
  }
  return { ok: true, seq, hash, badLine: null, reason: null };
}

function main(argv) {
  if (argv.length !== 1) {
    process.stderr.write('usage: node verify-log.mjs FILE\n');
    return 2;
  }
  let bytes;
  try {
    bytes = readFileSync(argv[0]);
  } catch (e) {
    process.stdout.write(`${argv[0]}: ${e.message}\n`);
    return 2;
  }
  const r = verifyLog(bytes);
  process.stdout.write(r.ok ? `ok seq=${r.seq} hash=${r.hash}\n` : `line ${r.badLine}: ${r.reason}\n`);
  return r.ok ? 0 : 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
