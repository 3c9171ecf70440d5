// NATS's decentralised accounts (docs/scale.md "Securing NATS"): a three-node nats-server
// cluster of the test's own that trusts one operator (natsjwt.mjs: an operator, a system
// account and an account with JetStream, made with node:crypto), and takes only users whose
// JWT an account of that operator signed. plenaryd reads its .creds file from
// PLENARY_NATS_CREDS:
//
// - with a user of the account it starts, a room's events are acknowledged through
//   JetStream, and `plenaryd verify --nats` (the same environment) reads the room back;
// - without a .creds, with a user signed by an account the servers do not know, or with a
//   .creds file that is not there, it does not start, and says why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join as pathJoin } from 'node:path';
import { startServer, createRoom, join, PLENARYD } from './harness.mjs';
import { natsAuthFixture } from './natsauth.mjs';
import { startNatsCluster } from './natscluster.mjs';
import { natsOperator } from './natsjwt.mjs';

const fx = natsAuthFixture();
const tmp = fx.tmp;
const refused = fx.refused;

test('plenaryd reaches NATS with a .creds file of a decentralised account', { timeout: 180000 }, async () => {
  const keys = tmp('plenary-nats-creds-');
  const operator = natsOperator();
  const cluster = (fx.cluster = await startNatsCluster(3, { operator: operator.config }));
  const creds = operator.creds(keys, 'plenaryd');
  const env = { PLENARY_NATS_CREDS: creds };

  const server = (fx.server = await startServer({ dataDir: tmp('plenary-creds-ok-'), args: ['--nats', cluster.urls], env }));
  await createRoom(server, 'accounts');
  const chair = await join(server, 'accounts', { role: 'chair', name: 'Chair', sub: 'chair' });
  await chair.ok({ type: 'session.start' });
  await chair.ok({ type: 'caption', lang: 'en', final: true, text: 'with a user JWT', cid: 'c1' });
  await chair.close();
  const file = pathJoin(server.dataDir, 'rooms', 'accounts.jsonl');
  const v = spawnSync(PLENARYD, ['verify', '--nats', cluster.urls, '--room', 'accounts', file], {
    env: { ...process.env, ...env }, encoding: 'utf8',
  });
  assert.equal(v.status, 0, `verify --nats with the .creds: ${v.stdout}${v.stderr}`);
  assert.match(v.stdout, /identical to/);
  const seed = /SU[A-Z2-7]+/.exec(readFileSync(creds, 'utf8'))[0];
  assert.ok(!server.logs.some((l) => l.includes(seed)), 'no log line holds the seed');

  const none = refused(cluster.urls, {});
  assert.notEqual(none.status, 0, 'without a .creds it does not start');
  assert.match(none.said, /cannot connect to NATS.*[Aa]uthoriz/);
  const stranger = refused(cluster.urls, { PLENARY_NATS_CREDS: operator.creds(keys, 'stranger', operator.newAccount()) });
  assert.notEqual(stranger.status, 0, 'a user of an account the servers do not trust is refused');
  assert.match(stranger.said, /cannot connect to NATS.*[Aa]uthoriz/);
  const missing = refused(cluster.urls, { PLENARY_NATS_CREDS: pathJoin(keys, 'nowhere.creds') });
  assert.notEqual(missing.status, 0, 'a .creds file that is not there');
  assert.match(missing.said, /cannot connect to NATS/);
  for (const r of [none, stranger, missing]) assert.ok(!r.said.includes(seed), `no seed in: ${r.said}`);
});
