// A room's time zone (issue 18 item 7): set by POST /api/rooms or the configuration file,
// checked against the system's tz database, written in room.created only when it is not
// UTC, kept over a restart, and shown in record.json's room. A name the database does not
// have is refused -- by the API with 400 and the room not made, by the configuration
// with plenaryd stopping at the start and naming the room.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join as pathJoin } from 'node:path';
import { startServer, createRoom, http, PLENARYD } from './harness.mjs';

const firstLine = (server, id) => JSON.parse(readFileSync(pathJoin(server.dataDir, 'rooms', `${id}.jsonl`), 'utf8').split('\n')[0]);

test('POST /api/rooms takes a time_zone, refuses one the database lacks, and keeps it', { timeout: 30000 }, async () => {
  const dataDir = mkdtempSync(pathJoin(tmpdir(), 'plenary-tz-'));
  let server = await startServer({ dataDir });
  try {
    await createRoom(server, 'madrid', { time_zone: 'Europe/Madrid' });
    await createRoom(server, 'plain');
    await createRoom(server, 'utc', { time_zone: 'UTC' });
    assert.equal(firstLine(server, 'madrid').data.time_zone, 'Europe/Madrid');
    assert.equal('time_zone' in firstLine(server, 'plain').data, false);
    assert.equal('time_zone' in firstLine(server, 'utc').data, false); // UTC says nothing
    for (const bad of ['Europe/Atlantis', '../../etc/passwd', 'Europe', '', 42]) {
      const r = await http(server, 'POST', '/api/rooms', { admin: true, body: { id: 'bad', time_zone: bad } });
      assert.equal(r.status, 400, `${bad}: ${r.text}`);
      assert.equal(r.json.code, 'bad_request');
    }
    assert.equal((await http(server, 'GET', '/api/rooms/bad/record.json')).status, 404); // nothing made
    await server.stop();
    server = await startServer({ dataDir });
    const rec = (await http(server, 'GET', '/api/rooms/madrid/record.json')).json;
    assert.equal(rec.room.time_zone, 'Europe/Madrid');
    assert.equal('time_zone' in (await http(server, 'GET', '/api/rooms/plain/record.json')).json.room, false);
    assert.match((await http(server, 'GET', '/api/rooms/madrid/record.txt')).text, /Time zone: Europe\/Madrid/);
  } finally {
    await server.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('the configuration file: a declared room in its time zone; an unknown zone stops plenaryd', { timeout: 30000 }, async () => {
  const server = await startServer({ config: { rooms: [{ id: 'ny', title: 'New York', time_zone: 'America/New_York' }] } });
  try {
    assert.equal(firstLine(server, 'ny').data.time_zone, 'America/New_York');
  } finally {
    await server.cleanup();
  }
  const dir = mkdtempSync(pathJoin(tmpdir(), 'plenary-tz-'));
  try {
    const config = pathJoin(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ rooms: [{ id: 'lost', title: 'Lost', time_zone: 'Mars/Olympus_Mons' }] }));
    const r = spawnSync(PLENARYD, ['--listen', '127.0.0.1:0', '--data', pathJoin(dir, 'data'), '--media-port', '0', '--media-bind', '127.0.0.1', '--config', config], {
      encoding: 'utf8',
      timeout: 10000,
    });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr + r.stdout, /room 'lost': time_zone 'Mars\/Olympus_Mons' is not a time zone/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
