// Issue 5: hums, polls, shows of hands and captions through the real server -- a chair,
// ten participants in three groups, a captioner and an observer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join as pathJoin } from 'node:path';
import { startServer, createRoom, join, http, sleep, token } from './harness.mjs';

let server, chair, ps, capt, obs;
const ROOM = 'sense';
const GROUPS = ['government', 'government', 'government', 'government', 'government',
  'civil_society', 'civil_society', 'civil_society', 'technical', 'technical'];

before(async () => {
  server = await startServer({ grace: 30 });
  await createRoom(server, ROOM, { reveal_hum_counts: true });
  await createRoom(server, 'quiet'); // reveal_hum_counts false
  chair = await join(server, ROOM, { role: 'chair', name: 'Chair Person', sub: 'chair-x', group: 'technical' });
  ps = [];
  for (let i = 0; i < 10; i++) {
    ps.push(await join(server, ROOM, { role: 'participant', name: `Participant Nr${i}`, sub: `person-${i}-id`, group: GROUPS[i] }));
  }
  capt = await join(server, ROOM, { role: 'captioner', name: 'Cart Writer', sub: 'cart-1' });
  obs = await join(server, ROOM, { anonymous: true, name: 'Public' });
  await chair.ok({ type: 'session.start' });
});
after(async () => {
  await server.cleanup();
});

test('hum levels and eligibility for a known set of casts with a changed mind', async () => {
  const start = await chair.ok({ type: 'hum.start', question: 'Do we adopt the draft?', options: ['yes', 'no', 'need more time'] });
  const hum = start.hum;
  const started = await obs.event('hum.started');
  assert.deepEqual(started.data, { hum, question: 'Do we adopt the draft?', options: ['yes', 'no', 'need more time'] });
  // Seven for yes (one of them changes their mind to no), two for no, one withdraws.
  for (let i = 0; i < 7; i++) await ps[i].ok({ type: 'hum.cast', hum, option: 0 });
  await ps[7].ok({ type: 'hum.cast', hum, option: 1 });
  await ps[8].ok({ type: 'hum.cast', hum, option: 1 });
  await ps[6].ok({ type: 'hum.cast', hum, option: 1 }); // changed mind
  await ps[9].ok({ type: 'hum.cast', hum, option: 2 });
  await ps[9].ok({ type: 'hum.cast', hum, option: null }); // withdrew
  // Invalid and forbidden casts.
  assert.equal((await ps[0].request({ type: 'hum.cast', hum, option: 3 })).code, 'bad_request');
  assert.equal((await ps[0].request({ type: 'hum.cast', hum, option: '0' })).code, 'bad_request');
  assert.equal((await ps[0].request({ type: 'hum.cast', hum })).code, 'bad_request');
  assert.equal((await ps[0].request({ type: 'hum.cast', hum: hum + 10, option: 0 })).code, 'not_found');
  assert.equal((await capt.request({ type: 'hum.cast', hum, option: 0 })).code, 'forbidden');
  assert.equal((await obs.request({ type: 'hum.cast', hum, option: 0 })).code, 'forbidden');
  assert.equal((await ps[0].request({ type: 'hum.end', hum })).code, 'forbidden');
  assert.equal((await chair.request({ type: 'hum.start', question: 'x', options: ['a', 'b'] })).code, 'conflict');
  assert.equal((await chair.request({ type: 'hum.start', question: 'x', options: ['a'] })).code, 'bad_request');
  // Chairs see live levels privately; participants do not.
  const levels = await chair.next((m) => m.type === 'private' && m.kind === 'hum.levels' && m.data.responded === 9, { timeout: 3000 });
  assert.equal(levels.data.hum, hum);
  assert.equal(levels.data.levels.length, 3);
  assert.ok(!ps[0].messages.some((m) => m.kind === 'hum.levels'));
  assert.ok(!obs.messages.some((m) => m.kind === 'hum.levels'));
  await chair.ok({ type: 'hum.end', hum });
  const ended = await obs.event('hum.ended');
  // Eligible: the chair and ten participants connected now = 11. yes 6/11 = 54.5 % strong;
  // no 3/11 = 27 % moderate; the last option none.
  assert.equal(ended.data.eligible, 11);
  assert.equal(ended.data.responded, 9);
  assert.deepEqual(ended.data.levels, ['strong', 'moderate', 'none']);
  assert.deepEqual(ended.data.counts, [6, 3, 0], 'this room reveals counts and >= 5 responded');
  assert.equal((await ps[0].request({ type: 'hum.cast', hum, option: 0 })).code, 'conflict');
});

test('hum thresholds at the boundaries, counts hidden where the room does not allow them', async () => {
  const c = await join(server, 'quiet', { role: 'chair', name: 'Q chair', sub: 'qc' });
  const people = [];
  for (let i = 0; i < 9; i++) people.push(await join(server, 'quiet', { role: 'participant', name: `Q${i}`, sub: `q${i}` }));
  await c.ok({ type: 'session.start' });
  // Eligible 10. Options: 1 of 10 (10 %) weak, 2 (20 %) moderate, 4 (40 %) strong, 6 would be very_strong.
  const { hum } = await c.ok({ type: 'hum.start', question: 'Thresholds', options: ['a', 'b', 'c'] });
  await people[0].ok({ type: 'hum.cast', hum, option: 0 });
  await people[1].ok({ type: 'hum.cast', hum, option: 1 });
  await people[2].ok({ type: 'hum.cast', hum, option: 1 });
  for (let i = 3; i < 7; i++) await people[i].ok({ type: 'hum.cast', hum, option: 2 });
  await c.ok({ type: 'hum.end', hum });
  const ended = await c.event('hum.ended');
  assert.equal(ended.data.eligible, 10);
  assert.deepEqual(ended.data.levels, ['weak', 'moderate', 'strong']);
  assert.equal(ended.data.counts, undefined, 'counts only where the room allows it');
  const { hum: h2 } = await c.ok({ type: 'hum.start', question: 'Landslide', options: ['a', 'b'] });
  for (let i = 0; i < 6; i++) await people[i].ok({ type: 'hum.cast', hum: h2, option: 0 });
  // Two people who cast then disconnect are no longer eligible at the end.
  await people[7].ok({ type: 'hum.cast', hum: h2, option: 1 });
  await people[8].ok({ type: 'hum.cast', hum: h2, option: 1 });
  await people[7].terminate();
  await people[8].terminate();
  await sleep(100);
  await c.ok({ type: 'hum.end', hum: h2 });
  const e2 = await c.event('hum.ended', { from: c.messages.indexOf(ended) + 1 });
  assert.equal(e2.data.eligible, 8);
  assert.deepEqual(e2.data.levels, ['very_strong', 'none']);
  await c.close();
  for (const p of people.slice(0, 7)) await p.close();
});

test('live hum levels follow a cast within a second; a chair who joins late gets them; own cast in the ack', async () => {
  const { hum } = await chair.ok({ type: 'hum.start', question: 'Quick?', options: ['a', 'b'] });
  await sleep(600); // past the throttle window
  const from = chair.messages.length;
  const t0 = Date.now();
  await ps[0].ok({ type: 'hum.cast', hum, option: 1 });
  await chair.next((m) => m.kind === 'hum.levels' && m.data.hum === hum && m.data.responded === 1, { from, timeout: 1500 });
  assert.ok(Date.now() - t0 < 1200, `levels after ${Date.now() - t0} ms`);
  const late = await join(server, ROOM, { role: 'chair', name: 'Co-chair', sub: 'cochair' });
  await late.next((m) => m.kind === 'hum.levels' && m.data.hum === hum, { timeout: 1500 });
  const again = await join(server, ROOM, { role: 'participant', name: 'Participant Nr0', sub: 'person-0-id', group: 'government' });
  assert.deepEqual(again.ack.you.hum, { hum, option: 1 }, 'a second device learns its own cast');
  const other = await join(server, ROOM, { role: 'participant', name: 'Participant Nr1', sub: 'person-1-id', group: 'government' });
  assert.deepEqual(other.ack.you.hum, { hum, option: null });
  await chair.ok({ type: 'hum.end', hum });
  await Promise.all([late.close(), again.close(), other.close()]);
});

test('an anonymous poll: counts, group thresholds, no ballots', async () => {
  const { poll } = await chair.ok({ type: 'poll.start', question: 'Which venue?', options: ['Geneva', 'Nairobi', 'Online'] });
  const started = await obs.event('poll.started');
  assert.deepEqual(started.data, { poll, question: 'Which venue?', options: ['Geneva', 'Nairobi', 'Online'], multiple: false, anonymous: true, live_counts: false, show_of_hands: false });
  assert.equal((await chair.request({ type: 'poll.start', question: 'x', options: ['a', 'b'] })).code, 'conflict');
  // Government (5 people) all vote; civil society (3) and technical (2) too.
  const votes = [0, 0, 1, 2, 0, 1, 1, 2, 0, 2];
  for (let i = 0; i < 10; i++) await ps[i].ok({ type: 'poll.vote', poll, choices: [votes[i]] });
  await ps[4].ok({ type: 'poll.vote', poll, choices: [1] }); // replaces the earlier vote
  assert.equal((await ps[0].request({ type: 'poll.vote', poll, choices: [0, 1] })).code, 'bad_request');
  assert.equal((await ps[0].request({ type: 'poll.vote', poll, choices: [5] })).code, 'bad_request');
  assert.equal((await ps[0].request({ type: 'poll.vote', poll, choices: 0 })).code, 'bad_request');
  assert.equal((await ps[0].request({ type: 'poll.vote', poll: 999, choices: [0] })).code, 'not_found');
  assert.equal((await obs.request({ type: 'poll.vote', poll, choices: [0] })).code, 'forbidden');
  const progress = await obs.next((m) => m.type === 'live' && m.kind === 'poll.progress' && m.data.voters === 10, { timeout: 3000 });
  assert.equal(progress.data.counts, undefined, 'no live counts unless asked');
  await chair.ok({ type: 'poll.end', poll });
  const ended = await obs.event('poll.ended');
  assert.equal(ended.data.voters, 10);
  assert.deepEqual(ended.data.counts, [3, 4, 3]);
  assert.deepEqual(Object.keys(ended.data.by_group), ['government'], 'only groups with >= 5 ballots');
  assert.deepEqual(ended.data.by_group.government, [2, 2, 1]);
  assert.equal(ended.data.ballots, undefined);
  assert.ok(!JSON.stringify(ended).includes('person-'), 'no one is named');
});

test('a named poll: ballots on the record, breakdown for every group', async () => {
  const { poll } = await chair.ok({ type: 'poll.start', question: 'Who presents?', options: ['A', 'B', 'C'], anonymous: false, multiple: true });
  await ps[0].ok({ type: 'poll.vote', poll, choices: [0, 2] });
  await ps[5].ok({ type: 'poll.vote', poll, choices: [1] });
  await ps[8].ok({ type: 'poll.vote', poll, choices: [] });
  await ps[8].ok({ type: 'poll.vote', poll, choices: [2] });
  await chair.ok({ type: 'poll.end', poll });
  const ended = await obs.event('poll.ended', { from: obs.messages.findIndex((m) => m.kind === 'poll.started' && m.data.poll === poll) });
  assert.equal(ended.data.voters, 3);
  assert.deepEqual(ended.data.counts, [1, 1, 2]);
  assert.deepEqual(ended.data.by_group, { government: [1, 0, 1], civil_society: [0, 1, 0], technical: [0, 0, 1] });
  assert.deepEqual(
    ended.data.ballots.map((b) => [b.pid, b.choices]),
    [['person-0-id', [0, 2]], ['person-5-id', [1]], ['person-8-id', [2]]],
  );
  assert.ok(obs.events('poll.voted').length >= 3, 'named votes are logged events');
});

test('a show of hands: live totals for everyone, including not answered; leavers still count', async () => {
  const extra = await join(server, ROOM, { role: 'participant', name: 'Leaves early', sub: 'leaver', group: 'academia' });
  const from = obs.messages.length;
  const { poll } = await chair.ok({ type: 'poll.start', question: 'Raise your hand if you have read the draft', show_of_hands: true });
  const started = await obs.event('poll.started', { from });
  assert.deepEqual(started.data.options, ['Raise hand', 'Do not raise hand']);
  assert.equal(started.data.anonymous, true);
  assert.equal(started.data.live_counts, true);
  for (let i = 0; i < 6; i++) await ps[i].ok({ type: 'poll.vote', poll, choices: [0] });
  await ps[6].ok({ type: 'poll.vote', poll, choices: [1] });
  await ps[7].ok({ type: 'poll.vote', poll, choices: [1] });
  await ps[7].ok({ type: 'poll.vote', poll, choices: [0] }); // changeable
  await extra.ok({ type: 'leave' });
  // Eligible: chair + 10 + the leaver = 12; voted 8; not answered 4.
  const live = await obs.next((m) => m.type === 'live' && m.kind === 'poll.progress' && m.data.voters === 8 && m.data.not_answered === 4, { timeout: 3000, from });
  assert.deepEqual(live.data.counts, [7, 1]);
  await chair.ok({ type: 'poll.end', poll });
  const ended = await obs.event('poll.ended', { from });
  assert.deepEqual(ended.data.counts, [7, 1]);
  assert.equal(ended.data.not_answered, 4);
  const polls = (await http(server, 'GET', `/api/rooms/${ROOM}/polls.json`)).json;
  assert.ok(Array.isArray(polls));
  const last = polls.at(-1);
  assert.equal(last.text, 'Raise your hand if you have read the draft');
  assert.equal(last.raise_hand, 7);
  assert.equal(last.do_not_raise_hand, 1);
  assert.match(last.start_time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.match(last.end_time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.ok(polls.length >= 3, 'earlier polls listed in order');
  assert.ok(polls.every((p, i) => i === 0 || p.start_time >= polls[i - 1].start_time));
});

test('captions: partial live and unlogged, final logged with speaker and offset; several languages', async () => {
  await ps[2].ok({ type: 'queue.raise' });
  await chair.ok({ type: 'queue.next' });
  const from = obs.messages.length;
  await capt.ok({ type: 'caption', lang: 'en', text: 'We support the', final: false });
  const partial = await obs.next((m) => m.type === 'live' && m.kind === 'caption', { from });
  assert.equal(partial.data.final, false);
  assert.equal(partial.seq, undefined);
  await capt.ok({ type: 'caption', lang: 'en', text: 'We support the proposal.', final: true });
  await capt.ok({ type: 'caption', lang: 'fr', text: 'Nous soutenons la proposition.', final: true });
  const fin = await obs.next((m) => m.type === 'event' && m.kind === 'caption' && m.data.lang === 'en', { from });
  assert.deepEqual(fin.data.speaker, { pid: 'person-2-id', name: 'Participant Nr2', group: 'government' });
  assert.equal(typeof fin.data.offset_ms, 'number');
  assert.ok(fin.data.offset_ms > 0);
  assert.equal(fin.data.final, true);
  const log = (await http(server, 'GET', `/api/rooms/${ROOM}/log`)).text;
  assert.ok(!log.includes('We support the"'), 'partials never logged');
  assert.ok(log.includes('We support the proposal.'));
  // Rules: length, language, roles.
  assert.equal((await capt.request({ type: 'caption', lang: 'en', text: 'x'.repeat(2001), final: true })).code, 'too_large');
  assert.equal((await capt.request({ type: 'caption', lang: 'en', text: 'é'.repeat(2000), final: true })).type, 'ack');
  assert.equal((await capt.request({ type: 'caption', lang: 'e n', text: 'x', final: true })).code, 'bad_request');
  assert.equal((await capt.request({ type: 'caption', text: 'x', final: true })).code, 'bad_request');
  assert.equal((await ps[0].request({ type: 'caption', lang: 'en', text: 'x', final: true })).code, 'forbidden');
  const st = (await join(server, ROOM, { anonymous: true })).ack.state;
  assert.deepEqual(st.captions.languages.sort(), ['en', 'fr']);
  const vtt = (await http(server, 'GET', `/api/rooms/${ROOM}/record.vtt`)).text;
  assert.match(vtt, /<v Participant Nr2>We support the proposal\./);
  assert.ok(!vtt.includes('Nous soutenons'));
  const vttFr = (await http(server, 'GET', `/api/rooms/${ROOM}/record.vtt?lang=fr`)).text;
  assert.match(vttFr, /<v Participant Nr2>Nous soutenons la proposition\./);
  await chair.ok({ type: 'floor.end' });
});

test('a stuck caption client is rate limited', async () => {
  let limited = 0;
  const replies = [];
  for (let i = 0; i < 120; i++) replies.push(capt.request({ type: 'caption', lang: 'en', text: `flood ${i}`, final: false }));
  for (const r of await Promise.all(replies)) if (r.code === 'rate_limited') limited++;
  assert.ok(limited > 0, 'some were refused');
  await sleep(2500);
  assert.equal((await capt.request({ type: 'caption', lang: 'en', text: 'recovered', final: false })).type, 'ack');
});

test('CART over HTTP: plain text with seq, idempotent on retries', async () => {
  const tok = token({ room: ROOM, role: 'captioner', name: 'CART firm', sub: 'cart-firm' });
  const post = (seq, text, lang = 'en', t = tok) =>
    http(server, 'POST', `/api/rooms/${ROOM}/caption?token=${encodeURIComponent(t)}&seq=${seq}&lang=${lang}`, {
      body: text,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    });
  const from = obs.messages.length;
  assert.equal((await post(1, 'First line from CART.\n')).status, 200);
  assert.equal((await post(2, 'Second line.')).status, 200);
  assert.equal((await post(2, 'Second line.')).status, 200); // a retry
  assert.equal((await post(1, 'First line from CART.')).status, 200); // an older one
  assert.equal((await post(3, 'Troisième.', 'fr')).status, 200);
  await sleep(200);
  const got = obs.messages.slice(from).filter((m) => m.type === 'event' && m.kind === 'caption').map((m) => m.data.text);
  assert.deepEqual(got, ['First line from CART.', 'Second line.', 'Troisième.']);
  assert.equal((await post(4, 'x', 'en', 'bad-token')).status, 401);
  const partTok = token({ room: ROOM, role: 'participant', name: 'P', sub: 'pp' });
  assert.equal((await post(4, 'x', 'en', partTok)).status, 401);
  assert.equal((await post(4, '')).status, 400);
  assert.equal((await post('abc', 'x')).status, 400);
  const bad = await http(server, 'POST', `/api/rooms/${ROOM}/caption?token=${tok}&seq=9&lang=en`, { body: Buffer.from([0xff, 0xfe, 0x41]) });
  assert.equal(bad.status, 400);
  // Not live: 409.
  const quietTok = token({ room: 'quiet', role: 'captioner', name: 'C', sub: 'c' });
  await createRoom(server, 'notlive');
  const nl = token({ room: 'notlive', role: 'captioner', name: 'C', sub: 'c' });
  const r = await http(server, 'POST', `/api/rooms/notlive/caption?token=${nl}&seq=1&lang=en`, { body: 'hi' });
  assert.equal(r.status, 409);
  assert.ok(quietTok);
});

test('no person is tied to a hum or an anonymous ballot anywhere on disk or in the log', async () => {
  const files = [];
  const walk = (dir) => {
    for (const f of readdirSync(dir)) {
      const p = pathJoin(dir, f);
      if (statSync(p).isDirectory()) walk(p);
      else files.push(p);
    }
  };
  walk(server.dataDir);
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    for (const line of text.split('\n')) {
      if (!line.includes('"hum')) continue;
      const parsed = JSON.parse(line);
      if (parsed.kind === 'participant.joined' || parsed.kind === 'participant.left') continue;
      for (let i = 0; i < 10; i++) {
        assert.ok(!line.includes(`person-${i}-id`) && !line.includes(`Participant Nr${i}`), `${f}: ${line}`);
      }
      assert.ok(['hum.started', 'hum.ended'].includes(parsed.kind), parsed.kind);
    }
    // Anonymous polls: their ended events name nobody.
    for (const line of text.split('\n').filter((l) => l.includes('"poll.ended"'))) {
      const ev = JSON.parse(line);
      if (ev.data.anonymous) assert.ok(!/person-\d-id|Participant Nr/.test(line), line);
    }
  }
  for (const line of server.logs) {
    assert.ok(!/hum/i.test(line) || !/person-\d-id|Participant Nr/.test(line), line);
  }
});

test('results are in record.json', async () => {
  const rec = (await http(server, 'GET', `/api/rooms/${ROOM}/record.json`)).json;
  const adopt = rec.hums.find((h) => h.question === 'Do we adopt the draft?');
  assert.deepEqual(adopt.levels, ['strong', 'moderate', 'none']);
  assert.ok(rec.polls.length >= 3);
  assert.ok(rec.polls.some((p) => p.show_of_hands));
  assert.ok(rec.captions.some((c) => c.lang === 'fr'));
  const txt = (await http(server, 'GET', `/api/rooms/${ROOM}/record.txt`)).text;
  assert.match(txt, /Do we adopt the draft\?/);
  const html = (await http(server, 'GET', `/api/rooms/${ROOM}/record.html`)).text;
  assert.match(html, /Which venue\?/);
});
