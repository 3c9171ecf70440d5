// NATS over TLS with a password (docs/scale.md "Securing NATS"): a three-node nats-server
// cluster of the test's own that only takes TLS clients with a certificate from the test's
// CA (verify) and a user and password. plenaryd reads the CA and its client certificate
// from PLENARY_NATS_CA, PLENARY_NATS_CERT and PLENARY_NATS_KEY, and the user from the URLs:
//
// - with all of them it starts, a room's events are acknowledged through JetStream, and
//   `plenaryd verify --nats` (the same environment) reads the room back;
// - without the CA, without its client certificate, or with a wrong password, it does not
//   start, and says why;
// - the password is in no log line or error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join as pathJoin } from 'node:path';
import { startServer, createRoom, join, PLENARYD } from './harness.mjs';
import { natsAuthFixture } from './natsauth.mjs';
import { startNatsCluster } from './natscluster.mjs';
import { makeCa, makeLeaf } from './testpki.mjs';

const PASSWORD = 'pw-tls-7d1e';
const fx = natsAuthFixture();
const tmp = fx.tmp;
const refused = fx.refused;

test('plenaryd reaches NATS over TLS with a client certificate and a password', { timeout: 180000 }, async () => {
  const pki = tmp('plenary-nats-pki-');
  const ca = makeCa(pki);
  const srv = makeLeaf(ca, 'nats', '127.0.0.1', 'IP:127.0.0.1');
  const cli = makeLeaf(ca, 'node', 'plenary-node', 'DNS:plenary-node', 'clientAuth');
  const cluster = (fx.cluster = await startNatsCluster(3, {
    tls: { cert: srv.cert, key: srv.key, ca: ca.cert, verify: true }, user: 'plenary', password: PASSWORD,
  }));
  const urls = (password) => cluster.nodes.map((o) => `nats://plenary:${password}@127.0.0.1:${o.port}`).join(',');
  const env = { PLENARY_NATS_CA: ca.cert, PLENARY_NATS_CERT: cli.cert, PLENARY_NATS_KEY: cli.key };

  const server = (fx.server = await startServer({ dataDir: tmp('plenary-tls-ok-'), args: ['--nats', urls(PASSWORD)], env }));
  await createRoom(server, 'secure');
  const chair = await join(server, 'secure', { role: 'chair', name: 'Chair', sub: 'chair' });
  await chair.ok({ type: 'session.start' });
  await chair.ok({ type: 'caption', lang: 'en', final: true, text: 'over TLS', cid: 't1' });
  await chair.close();
  const file = pathJoin(server.dataDir, 'rooms', 'secure.jsonl');
  const v = spawnSync(PLENARYD, ['verify', '--nats', urls(PASSWORD), '--room', 'secure', file], {
    env: { ...process.env, ...env }, encoding: 'utf8',
  });
  assert.equal(v.status, 0, `verify --nats over TLS: ${v.stdout}${v.stderr}`);
  assert.match(v.stdout, /identical to/);
  assert.ok(server.logs.some((l) => /replicated to NATS JetStream.*\*\*\*@127\.0\.0\.1/.test(l)), 'the URLs are logged, masked');
  assert.ok(!server.logs.some((l) => l.includes(PASSWORD)), 'no log line holds the password');

  const noCa = refused(urls(PASSWORD), { PLENARY_NATS_CERT: cli.cert, PLENARY_NATS_KEY: cli.key });
  assert.notEqual(noCa.status, 0, 'without the CA it does not start');
  assert.match(noCa.said, /cannot connect to NATS/);
  const noCert = refused(urls(PASSWORD), { PLENARY_NATS_CA: ca.cert });
  assert.notEqual(noCert.status, 0, 'without its client certificate it does not start');
  assert.match(noCert.said, /cannot connect to NATS/);
  const badPassword = refused(urls('wrong-password'), env);
  assert.notEqual(badPassword.status, 0, 'with a wrong password it does not start');
  assert.match(badPassword.said, /cannot connect to NATS.*[Aa]uthoriz/);
  for (const r of [noCa, noCert, badPassword]) {
    assert.ok(!r.said.includes(PASSWORD) && !r.said.includes('wrong-password'), `no password in: ${r.said}`);
  }
});
