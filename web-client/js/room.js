// The room page: one Store, one Connection, and the panels this person's role needs, laid
// out in two columns on wide screens and one on narrow ones (the reading order is the
// same). It also does what a reconnect needs beyond the protocol's resume: re-sending
// one's hum and anonymous ballot (the server forgets them on a restart) and raising the
// request to speak again if it was withdrawn only because the connection was gone too long.

import { h, $, setText, show, scheduler, lazyPanel, loadCss } from './dom.js';
import { Connection } from './connection.js';
import { Store } from './store.js';
import { announce } from './announce.js';
import { narrator } from './narrator.js';
import { AudioPanel } from './audio.js';
import { roomAccess } from './access.js';
import { captionsPanel } from './captions.js';
import { floorPanel } from './views/floor.js';
import { channelPicker } from './views/channel.js';
import { interpConsole } from './views/interp.js';
import { floorLangPanel } from './views/floorlang.js';
import { queuePanel } from './views/queue.js';
import { peoplePanel } from './views/people.js';
import { alerts, shortcut, installShortcuts } from './alerts.js';
import * as f from './format.js';
import { joinError } from './errors.js';
import { tokenRefresher } from './token.js';
import { folding, unfold } from './fold.js';

export function enterRoom({ room, token, name, onFail, view }) {
  const store = new Store(room);
  const main = $('#main');
  const conn = new Connection({
    url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`,
    joinMessage() {
      const m = { type: 'join', room };
      if (token) m.token = tokens.token;
      else {
        m.role = 'observer';
        if (name) m.name = name;
      }
      if (store.session && store.seq) {
        m.resume = { session: store.session, since: store.seq };
        store.replaying = true;
      }
      return m;
    },
    onMessage(msg) {
      if (store.message(msg) === 'gap') conn.resync();
      else schedule();
    },
    async onJoined(ack) {
      store.replaying = false;
      const first = !store.you;
      store.joined(ack);
      if (token) tokens.joined();
      if (first) await (view === 'display' ? buildDisplay() : build());
      afterJoin(first, ack);
      schedule();
    },
    onStatus(st) {
      if (st.state !== 'online') tokens.stop();
      renderStatus(st);
      if (st.state === 'reconnecting' || st.state === 'failed') audio?.onDisconnected();
      if (st.state === 'failed' && !store.you) onFail(joinError(st, room));
      if (st.state === 'reconnecting' && !store.you) {
        const wait = Math.max(1, Math.round((st.at - Date.now()) / 1000));
        const why = st.refused
          ? `The meeting is full or the server is busy (${st.refused}).`
          : 'The server cannot be reached.';
        main.replaceChildren(
          h('p', { class: 'loading' }, `${why} Trying again in ${wait} s (attempt ${st.attempt})…`),
        );
      }
    },
  });

  const tokens = tokenRefresher({ room, token, request: (cmd) => conn.request(cmd) });
  let panels = [];
  let built = false;
  let audio = null;
  // Until the snapshot says the room is private, URLs are used as they are.
  let access = roomAccess({ room, token, isPrivate: false });
  let narrate = () => {};
  const notices = h('div', { class: 'notices' });
  // An error stays until the next action succeeds or it is dismissed (never on a timer:
  // someone reading slowly must not lose it).
  const errorText = h('span');
  const errorBox = h(
    'div',
    { class: 'notice error', role: 'alert', hidden: true },
    errorText,
    ' ',
    h('button', { type: 'button', class: 'link', onclick: () => show(errorBox, false) }, 'Dismiss'),
  );
  const endedBox = h('div', { class: 'notice ended', hidden: true });
  const failedBox = h('div', { class: 'notice error', hidden: true });
  notices.append(failedBox, endedBox, errorBox);

  const schedule = scheduler(render);

  // --- commands ---
  // An error about a command that was never sent is stale once the connection is back.
  let errorUnsent = false;
  async function act(cmd, label) {
    try {
      const ack = await conn.request(cmd);
      show(errorBox, false);
      return ack;
    } catch (err) {
      errorUnsent = err.code === 'disconnected';
      const why =
        err.code === 'disconnected'
          ? 'not sent, the connection is down (it comes back by itself).'
          : err.message || err.code;
      setText(errorText, `${label}: ${why}`);
      show(errorBox, true);
      return null;
    }
  }
  const request = (cmd) => conn.request(cmd);

  // --- the header ---
  const connText = $('#conn');
  const retryRow = h('p', { class: 'retry', hidden: true });
  const retryIn = h('span');
  const retryBtn = h('button', { type: 'button', onclick: () => conn.retryNow() }, 'Reconnect now');
  retryRow.append(retryIn, ' ', retryBtn);
  let lastState = null;
  let retryTimer;
  function renderStatus(st) {
    const was = lastState;
    lastState = st.state;
    const words = {
      connecting: 'Connecting…',
      online: 'Connected',
      reconnecting: 'Connection lost. Reconnecting…',
      failed: 'Disconnected',
      left: 'You left the meeting',
    };
    setText(
      connText,
      st.refused ? 'The meeting is full or the server is busy. Retrying…' : words[st.state],
    );
    connText.dataset.state = st.state;
    clearInterval(retryTimer);
    show(retryRow, st.state === 'reconnecting');
    if (st.state === 'reconnecting') {
      const tick = () =>
        setText(
          retryIn,
          `Next try in ${Math.max(0, Math.ceil((st.at - Date.now()) / 1000))} s (attempt ${st.attempt}).`,
        );
      tick();
      retryTimer = setInterval(tick, 1000);
    }
    if (st.state === 'online' && was === 'reconnecting')
      announce(st.resumed ? 'Reconnected; nothing was missed.' : 'Reconnected.');
    if (st.state === 'online' && errorUnsent) {
      show(errorBox, false);
      errorUnsent = false;
    }
    if (st.state === 'failed' && store.you) {
      const why = joinError(st, room, store.kicked);
      // Removed or withdrawn: said at once, and the room's controls go (nothing works).
      if (
        st.code === 'removed' ||
        st.code === 'revoked' ||
        /removed|revoked/.test(st.message || '')
      ) {
        setText(failedBox, why.text);
        show(failedBox, true);
        announce(why.text, { assertive: true });
        audio?.close();
        main.replaceChildren(
          h('h2', { tabindex: '-1', id: 'kicked-h' }, why.title),
          h('p', { class: 'notice error', role: 'alert' }, why.text),
        );
        $('#kicked-h')?.focus();
        return;
      }
      // Coming back was refused (an expired link past the grace period, say): the page
      // must not go on looking live, with a hand that is no longer raised.
      const text = `You are no longer in the meeting. ${why.text} What this page shows stopped updating when the connection was lost.`;
      setText(failedBox, text);
      show(failedBox, true);
      announce(text, { assertive: true });
      schedule();
    }
  }

  // Chair and captioner tools are loaded only for those roles (less to download for all).
  async function build() {
    const you = store.you;
    const [deskMod, , barMod, writerMod, modMod, venueMod] = await Promise.all([
      you.role === 'chair' ? import('./views/chair.js') : null,
      you.role === 'chair' ? loadCss('desk.css') : null,
      you.role === 'chair' ? import('./views/deskbar.js') : null,
      you.role === 'captioner' ? import('./caption-writer.js') : null,
      you.role === 'chair' ? import('./views/moderation.js') : null,
      you.role === 'venue' ? import('./views/venue.js') : null,
      you.role === 'venue' ? loadCss('venue.css') : null,
    ]);
    const ctx = { store, act, request };
    const bar = barMod ? barMod.deskBar(ctx) : null;
    const floor = floorPanel(ctx);
    const queue = queuePanel({ ...ctx, filter: bar?.filter });
    // Hums and polls load with the first one (or its result): most of a first visit's
    // page is then the floor, the queue and the captions.
    const hum = lazyPanel({
      load: () => import('./views/hum.js').then((m) => m.humPanel(ctx)),
      need: () => !!store.hum || store.hums.length > 0,
      cls: 'hum',
      id: 'hum-h',
      heading: 'Hum',
      empty: 'No hum is open.',
    });
    const polls = lazyPanel({
      load: () => import('./views/polls.js').then((m) => m.pollsPanel(ctx)),
      need: () => store.polls.size > 0,
      cls: 'polls',
      id: 'polls-h',
      heading: 'Polls and shows of hands',
      empty: 'No poll is open.',
    });
    const caps = captionsPanel({ ...ctx, loadRecord });
    const people = peoplePanel(ctx);
    access.close();
    access = roomAccess({ room, token, isPrivate: store.room.visibility === 'private' });
    audio = new AudioPanel({ store, request, access });
    const writer = writerMod
      ? writerMod.captionWriter(ctx)
      : you.role === 'chair'
        ? barMod.chairWriter(ctx)
        : null;
    const desk = deskMod ? deskMod.chairPanel(ctx) : null;
    const mod = modMod ? modMod.moderationPanel(ctx) : null;
    const venue = venueMod ? venueMod.venueConsole({ store, audio }) : null;
    const moments = alerts({ store, act, audio, title: () => store.room.title });
    const channel = channelPicker({ store, request, audio, onChange: schedule });
    const booth = you.role === 'interpreter' ? interpConsole({ store, act, audio, channel }) : null;
    // The floor's language: the chair's (with the booths), or the floor holder's while they speak.
    const langs = store.canSpeak ? floorLangPanel(ctx) : null;
    audio.onMuteChange = () => schedule();
    audio.onPeerChange = () => schedule();
    // Once the floor plays, audio no longer needs a press of Start audio (fold.js).
    audio.audio.addEventListener('playing', schedule);
    panels = [
      floor,
      queue,
      hum,
      polls,
      caps,
      people,
      writer,
      desk,
      mod,
      bar,
      moments,
      venue,
      channel,
      booth,
      langs,
    ].filter(Boolean);
    panels.push({ render: () => audio.render() });
    // On phones what comes after the first screen folds (fold.js), unless it needs the person
    // now: an open vote, or the audio while one holds the floor or must press Start audio.
    // The chair's queue is the chair's main task: it never folds.
    panels.push(
      folding([
        [you.role !== 'chair' && queue, 'queue'],
        [hum, 'hum', () => !!store.hum],
        [polls, 'polls', () => !!store.openPoll()],
        [
          audio,
          'audio',
          () => store.holdsFloor() || !audio.startBtn.hidden || audio.hint?.hidden === false,
        ],
        [people, 'people'],
      ]),
    );
    const settings = { el: moments.settings };
    installShortcuts();
    if (store.canSpeak)
      shortcut(
        'm',
        'Mute or unmute my microphone',
        () => audio.setSelfMute(!audio.userMuted),
        () => !!audio.track || store.holdsFloor(),
      );

    // Each role's main task comes first: asking to speak after the floor, the queue and desk for
    // chairs, the typing surface for captioners.
    const hand = queue.hand ? { el: queue.hand } : null;
    let left, right;
    if (you.role === 'chair') {
      left = [floor, hand, queue, mod, desk];
      right = [caps, writer, langs, hum, polls, audio, channel, settings, people];
    } else if (you.role === 'venue') {
      // The desk's console first, the floor and the queue beside it at a glance.
      left = [venue, floor, queue];
      right = [caps, audio, channel, settings, people, hum, polls];
    } else if (you.role === 'interpreter') {
      // The booth first; what one hears (the floor or a relay) beside the floor.
      left = [booth, floor, channel, caps];
      right = [audio, settings, people, queue];
    } else if (you.role === 'captioner') {
      left = [floor, writer, caps];
      right = [queue, hum, polls, audio, channel, settings, people];
    } else {
      left = [floor, langs, hand, caps];
      right = [queue, hum, polls, audio, channel, settings, people];
    }
    left = left.filter(Boolean);
    const links = [
      venue && ['venue-h', 'Venue console'],
      booth && ['interp-h', 'Interpreter console'],
      ['floor-h', 'Floor'],
      hand && ['hand-h', 'Ask to speak'],
      ['queue-h', 'Queue'],
      ['cap-h', 'Captions'],
      writer && ['writer-h', 'Write captions'],
      mod && ['mod-h', 'Moderation'],
      desk && ['desk-h', 'Chair’s desk'],
      you.role === 'chair' && ['interp-chair-h', 'Interpretation'],
      ['hum-h', 'Hum'],
      ['polls-h', 'Polls'],
      ['audio-h', 'Audio'],
      ['alerts-h', 'Alerts and keys'],
    ].filter(Boolean);
    const nav = h(
      'nav',
      { class: 'jump-links', 'aria-label': 'Sections' },
      h(
        'ul',
        null,
        links.map(([id, t]) =>
          h('li', null, h('a', { href: `#${id}`, onclick: (e) => jumpTo(e, id) }, t)),
        ),
      ),
    );
    const record = h(
      'footer',
      { class: 'record' },
      h('h2', null, 'The public record'),
      h(
        'ul',
        { class: 'row' },
        [
          ['record.html', 'Record (web page)'],
          ['record.txt', 'Minutes (text)'],
          ['record.vtt', 'Captions (WebVTT)'],
          ['polls.json', 'Polls (JSON)'],
          ['log', 'Verifiable log'],
        ].map(([p, t]) => h('li', null, access.link(h('a', null, t), 'href', p))),
      ),
    );
    // The moments (your floor, a vote, a point of order) and the chair's toolbar stay in
    // view at the top however far down the page one is.
    const sticky = h('div', { class: 'sticky-top' }, moments.el, bar?.el);
    main.replaceChildren(
      sticky,
      nav,
      notices,
      h(
        'div',
        { class: 'cols' },
        h(
          'div',
          { class: 'col col-main' },
          left.map((p) => p.el),
        ),
        h(
          'div',
          { class: 'col col-side' },
          right.map((p) => p.el),
        ),
      ),
      record,
    );
    const leave = leaveControl();
    $('#meta').replaceChildren(
      h(
        'p',
        { class: 'session' },
        h('span', { class: 'badge', id: 'session-badge' }),
        ' ',
        h('span', { id: 'session-title-text' }),
      ),
      h(
        'p',
        { class: 'me' },
        `You: ${you.name} — ${f.ROLES[you.role]}${you.group ? `, ${f.group(you.group)}` : ''}`,
      ),
      retryRow,
      leave,
    );
    narrate = narrator(store, () =>
      audio?.userMuted
        ? 'Your microphone is open, but you muted yourself: unmute to be heard.'
        : 'Your microphone is open.',
    );
    store.subscribe(keepHand);
    document.title = `${store.room.title} — Plenary`;
    built = true;
  }

  // Leaving gives up one's place in the queue: it is asked once more, and nothing is sent
  // until the person confirms.
  function leaveControl() {
    const leaveBtn = h('button', { type: 'button', class: 'leave', id: 'leave' }, 'Leave');
    const yes = h(
      'button',
      { type: 'button', class: 'danger', id: 'leave-yes', onclick: () => leaveRoom() },
      'Yes, leave',
    );
    const stay = h('button', { type: 'button', id: 'leave-no' }, 'Stay');
    const ask = h(
      'div',
      { class: 'leave-ask', role: 'group', 'aria-labelledby': 'leave-q', hidden: true },
      h('span', { id: 'leave-q' }, 'Leave the meeting? Your place in the queue is given up.'),
      ' ',
      yes,
      stay,
    );
    const toggle = (on) => {
      show(ask, on);
      show(leaveBtn, !on);
      (on ? stay : leaveBtn).focus();
    };
    leaveBtn.onclick = () => toggle(true);
    stay.onclick = () => toggle(false);
    return h('div', { class: 'leave-box' }, leaveBtn, ask);
  }

  // The venue's screen: the display view only, no controls, no audio, nothing announced.
  async function buildDisplay() {
    const [{ mountDisplay }] = await Promise.all([
      import('./views/display.js'),
      loadCss('display.css'),
    ]);
    panels = [mountDisplay({ store, main, meta: $('#meta') })];
    built = true;
  }

  function jumpTo(e, id) {
    const target = document.getElementById(id);
    if (!target) return;
    e.preventDefault();
    unfold(target);
    target.setAttribute('tabindex', '-1');
    target.focus();
  }

  // The request to speak (kept as 'hand') is remembered until used, withdrawn or removed.
  function keepHand(c) {
    if (c.source !== 'event' || !store.you) return;
    const d = c.data || {};
    const mineBefore = c.before?.entry && c.before.entry.entry === d.entry;
    if ((c.kind === 'floor.granted' && d.pid === store.you.pid) || c.kind === 'session.ended')
      store.keep('hand', null);
    else if (
      mineBefore &&
      (c.kind === 'queue.lowered' || (c.kind === 'queue.removed' && d.reason !== 'left'))
    )
      store.keep('hand', null);
  }

  async function afterJoin(first, ack) {
    $('#title').textContent = store.room.title;
    if (view === 'display') {
      if (store.room.status !== 'scheduled') loadRecord(!first);
      return;
    }
    audio.onJoined(ack);
    if (first && (store.room.status === 'ended' || [...store.polls.values()].some((p) => !p.open)))
      loadRecord();
    // A rejoin that could not resume (always, for anonymous observers) missed the captions
    // and results of the gap: the record has them.
    if (!first && !ack.resumed && store.room.status !== 'scheduled') loadRecord(true);
    if (!store.live || !store.canSpeak) return;
    // A clean resume means the server forgot nothing. Otherwise (a restart, a resume key
    // too old, a reload) re-send what it may have forgotten; each is idempotent.
    if (ack.resumed) return;
    const hum = store.hum;
    const cast = store.mine('hum');
    if (hum && cast && cast.hum === hum.hum && cast.option !== null)
      request({ type: 'hum.cast', hum: hum.hum, option: cast.option }).catch(() => {});
    const poll = store.openPoll();
    const ballot = poll && poll.anonymous && store.mine(`ballot:${poll.poll}`);
    if (ballot && ballot.length)
      request({ type: 'poll.vote', poll: poll.poll, choices: ballot }).catch(() => {});
    // The hand: raised again only after a reconnect, when it went because the person was
    // away too long. After a reload nothing is known of what happened meanwhile.
    const hand = store.mine('hand');
    if (!hand || store.myEntry() || store.holdsFloor()) return;
    if (first) return store.keep('hand', null);
    if (!store.q.open && hand.kind !== 'point_of_order') return store.keep('hand', null);
    try {
      await request({ type: 'queue.raise', kind: hand.kind });
      announce('Your request to speak was withdrawn while you were disconnected; you asked again.');
    } catch {
      store.keep('hand', null);
    }
  }

  let recordPromise = null;
  function loadRecord(again = false) {
    if (again) recordPromise = null;
    recordPromise ||= access
      .fetch('record.json')
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error(r.status))))
      .then((rec) => {
        const before = store.captions.length;
        store.record(rec);
        schedule();
        return store.captions.length - before;
      })
      .catch(() => {
        recordPromise = null;
        return null;
      });
    return recordPromise;
  }

  async function leaveRoom() {
    await conn.leave();
    audio?.close();
    access.close();
    built = false; // nothing to render, and no moment left to signal
    document.title = 'You left the meeting — Plenary';
    main.replaceChildren(
      h('h2', null, 'You left the meeting'),
      h('p', null, 'Your place in the queue is given up.'),
      h('p', null, h('a', { href: location.href, onclick: () => location.reload() }, 'Join again')),
    );
    main.focus();
  }

  function render() {
    if (!built) return;
    const gone = conn.state === 'failed';
    setText($('#session-badge'), gone ? 'Disconnected' : f.STATUS[store.room.status]);
    $('#session-badge').dataset.status = gone ? 'disconnected' : store.room.status;
    setText(
      $('#session-title-text'),
      store.sessionTitle && store.sessionTitle !== store.room.title ? store.sessionTitle : '',
    );
    show(endedBox, store.room.status === 'ended');
    if (store.room.status === 'ended' && !endedBox.firstChild) {
      endedBox.append(
        h(
          'p',
          null,
          h('strong', null, 'This session has ended.'),
          ' Nothing more can be said or decided here. The public record holds what was said and decided:',
        ),
        h('p', null, access.link(h('a', null, 'Read the record'), 'href', 'record.html')),
      );
    }
    for (const p of panels) p.render();
    narrate();
  }

  store.subscribe((c) => {
    if (c.source === 'join' || c.source === 'record') schedule();
    if (c.source === 'mine') schedule();
  });
  conn.start();
  return { store, conn };
}
