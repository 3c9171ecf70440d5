// Ogg streams and files as the tests read them over HTTP: listen.ogg and recording.ogg,
// for the floor and for interpretation channels (?lang=).
import assert from 'node:assert/strict';
import { sleep } from './harness.mjs';

// A GET retried while it is 404, for a stream or file that is about to exist. The recorder's
// writer thread opens a file a moment after the stream starts. A channel's stream begins,
// and its recording opens, when the media worker first mixes the booth: a moment after the
// interpreter's offer was answered (longer under TSan); on an edge, at the channel's first
// frame relayed from the owner.
export async function fetchUntilFound(url, opts = {}) {
  for (let i = 0; ; i++) {
    const r = await fetch(url, opts);
    if (r.status !== 404 || i === 40) return r;
    await r.arrayBuffer();
    await sleep(50);
  }
}

// The session's end reaches the recorder's writer a moment after the event: a file is
// complete once its last page ends the stream (EOS). {status, body}
export async function completeRecording(url) {
  for (let i = 0; ; i++) {
    const r = await fetchUntilFound(url);
    const body = Buffer.from(await r.arrayBuffer());
    const last = body.lastIndexOf('OggS');
    if (r.status !== 200 || (last >= 0 && body[last + 5] & 4) || i === 60) return { status: r.status, body };
    await sleep(50);
  }
}

// Ogg's CRC-32 (RFC 3533: polynomial 0x04c11db7, not reflected, initial value 0), computed
// with the page's own CRC field zeroed.
const CRC_TABLE = Array.from({ length: 256 }, (_, i) => {
  let r = i << 24;
  for (let k = 0; k < 8; k++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
  return r >>> 0;
});
function oggCrc(page) {
  let crc = 0;
  for (let i = 0; i < page.length; i++) {
    const b = i >= 22 && i < 26 ? 0 : page[i];
    crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ b) & 0xff]) >>> 0;
  }
  return crc;
}

// A whole Ogg file, every page's CRC checked: {serial, eos, packets: [Buffer]}.
export function readOgg(buf) {
  const packets = [];
  let off = 0, serial = null, eos = false, partial = [];
  while (off < buf.length) {
    assert.equal(buf.toString('latin1', off, off + 4), 'OggS', `a page at ${off}`);
    const nseg = buf[off + 26];
    const lacing = buf.subarray(off + 27, off + 27 + nseg);
    const len = 27 + nseg + lacing.reduce((a, b) => a + b, 0);
    const page = buf.subarray(off, off + len);
    assert.equal(page.length, len, 'a whole page');
    assert.equal(page.readUInt32LE(22), oggCrc(page), `the CRC of the page at ${off}`);
    serial ??= page.readUInt32LE(14);
    assert.equal(page.readUInt32LE(14), serial, 'one stream');
    eos = (page[5] & 4) !== 0;
    let p = 27 + nseg;
    for (const l of lacing) {
      partial.push(page.subarray(p, p + l));
      p += l;
      if (l < 255) {
        packets.push(Buffer.concat(partial));
        partial = [];
      }
    }
    off += len;
  }
  return { serial, eos, packets };
}
