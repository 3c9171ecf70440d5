// The attackers of flood.test.mjs, in a worker thread so that their work never delays the
// probe's own event loop (the probe measures the server, not this thread). Each flood runs
// from its own loopback address (127.0.0.x: the server takes each for another client)
// until the main thread says stop, then reports what the server answered.
import { parentPort, workerData } from 'node:worker_threads';
import http from 'node:http';
import net from 'node:net';
import WebSocket from 'ws';

const { port } = workerData;
const counts = { sent: 0, ok: 0, limited: 0, tooLarge: 0, refused: 0, other: 0, others: {} };
// What the other answers were (error code or HTTP status), for the report.
const other = (what) => {
  counts.other++;
  counts.others[what] = (counts.others[what] || 0) + 1;
};
let stopping = false;
const closers = [];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A WebSocket that counts each answer: ack, rate_limited, or anything else.
function socket(addr, onAck) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, ['plenary.v1'], { localAddress: addr });
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString());
      if (m.type === 'ack') {
        counts.ok++;
        if (onAck) onAck(m);
      } else if (m.type === 'error' && m.code === 'rate_limited') counts.limited++;
      else if (m.type === 'error') other(m.code);
    });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    closers.push(() => ws.terminate());
  });
}

async function joined(addr, room, token) {
  const ws = await socket(addr);
  const before = counts.ok;
  ws.send(JSON.stringify({ type: 'join', room, token, id: 0 }));
  for (let i = 0; i < 200 && counts.ok === before; i++) await sleep(10);
  if (counts.ok === before) throw new Error(`attacker could not join ${room}`);
  return ws;
}

// Sends a batch of commands every few milliseconds without waiting for answers: 250 a
// second per connection, fifty times a bucket's sustained rate, as a script gone wrong
// would. (Not more: these attackers share the test machine's two cores with the server,
// and their own CPU would be measured as the server's slowness.)
async function spam(sockets, make, { batch = 5, everyMs = 20 } = {}) {
  let n = 0;
  while (!stopping) {
    for (const ws of sockets)
      for (let i = 0; i < batch; i++, n++) {
        ws.send(JSON.stringify({ ...make(n), id: n }));
        counts.sent++;
      }
    await sleep(everyMs);
  }
}

const floods = {
  async raise_lower({ room, tokens }) {
    const socks = await Promise.all(tokens.map((t) => joined('127.0.0.2', room, t)));
    parentPort.postMessage({ ready: true });
    await spam(socks, (n) => ({ type: n % 2 ? 'queue.lower' : 'queue.raise' }));
  },
  async captions({ rooms, tokens }) {
    const socks = await Promise.all(rooms.map((room, i) => joined('127.0.0.3', room, tokens[i])));
    parentPort.postMessage({ ready: true });
    await spam(socks, (n) => ({ type: 'caption', lang: 'en', text: `Spam caption ${n}.`, final: true }));
  },
  async hums({ room, tokens, hum }) {
    const socks = await Promise.all(tokens.map((t) => joined('127.0.0.4', room, t)));
    parentPort.postMessage({ ready: true });
    await spam(socks, (n) => ({ type: 'hum.cast', hum, option: n % 2 }));
  },
  // New connections that join and go, several at once, as fast as they are answered.
  async joins({ rooms, tokens }) {
    parentPort.postMessage({ ready: true });
    const one = async (k) => {
      for (let n = 0; !stopping; n++) {
        let ws;
        try {
          ws = await socket('127.0.0.5');
        } catch {
          counts.refused++;
          continue;
        }
        const before = counts.ok + counts.limited + counts.other;
        ws.send(JSON.stringify({ type: 'join', room: rooms[n % rooms.length], token: tokens[(k + n) % tokens.length][n % rooms.length], id: 1 }));
        counts.sent++;
        for (let i = 0; i < 300 && counts.ok + counts.limited + counts.other === before; i++) await sleep(2);
        ws.terminate();
      }
    };
    await Promise.all(Array.from({ length: 4 }, (_, k) => one(k)));
  },
  // HTTP requests in a loop on keep-alive connections, counting statuses.
  async exports({ paths }) {
    await httpLoop('127.0.0.6', 4, (n) => ({ method: 'GET', path: paths[n % paths.length] }));
  },
  async cart({ room, token }) {
    const big = 'x'.repeat(70 * 1024); // over http_body_max_kb's 64 KiB
    await httpLoop('127.0.0.7', 2, (n) => ({
      method: 'POST',
      path: `/api/rooms/${room}/caption?token=${token}&seq=${n + 1}&lang=en`,
      body: n % 10 === 9 ? big : `CART line ${n}.`,
    }));
  },
  // Connections that send half a request and then a header line now and then: more than
  // the per-address cap of them, so the ones over it are refused at once.
  async idle({ count }) {
    let open = 0;
    const socks = [];
    for (let i = 0; i < count && !stopping; i++) {
      const s = net.connect({ port, host: '127.0.0.1', localAddress: '127.0.0.8' });
      socks.push(s);
      counts.sent++;
      let mine = true;
      s.on('connect', () => {
        open++;
        s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
      });
      s.on('data', () => other('answered'));
      s.on('error', () => {});
      s.on('close', () => {
        if (mine && !stopping) counts.refused++;
        mine = false;
      });
      if (i % 50 === 49) await sleep(5);
    }
    closers.push(() => socks.forEach((s) => s.destroy()));
    parentPort.postMessage({ ready: true, open });
    for (let t = 0; !stopping; t++) {
      await sleep(500);
      for (const s of socks) if (!s.destroyed) s.write(`X-Slow-${t}: y\r\n`);
    }
  },
};

async function httpLoop(addr, parallel, make) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: parallel, localAddress: addr });
  closers.push(() => agent.destroy());
  parentPort.postMessage({ ready: true });
  let n = 0;
  const one = async () => {
    while (!stopping) {
      const { method, path, body } = make(n++);
      counts.sent++;
      const status = await new Promise((resolve) => {
        const req = http.request({ host: '127.0.0.1', port, method, path, agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode));
          res.on('error', () => resolve(0));
        });
        req.on('error', () => resolve(0));
        if (body !== undefined) req.setHeader('content-type', 'text/plain; charset=utf-8');
        req.end(body);
      });
      if (status === 200) counts.ok++;
      else if (status === 429) counts.limited++;
      else if (status === 413) counts.tooLarge++;
      else other(status ? String(status) : 'closed'); // a 413/429 closes the connection: what was on it fails
    }
  };
  await Promise.all(Array.from({ length: parallel }, one));
}

parentPort.on('message', (m) => {
  if (m.stop) stopping = true;
});

try {
  await floods[workerData.flood](workerData);
  await sleep(50);
  for (const c of closers) c();
  parentPort.postMessage({ done: true, counts });
} catch (e) {
  parentPort.postMessage({ error: String(e && e.stack ? e.stack : e) });
}
