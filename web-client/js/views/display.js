// The room display: what the venue's screen shows (`#room=ID&view=display`, joined as an
// observer). Read from across a room: who has the floor and their clock, the next
// speakers, an open hum or poll's question, and the captions in large type. No controls,
// no live regions (nobody at the screen uses a screen reader through it).

import { h, setText, show, syncList } from '../dom.js';
import * as f from '../format.js';

const NEXT = 5; // speakers shown after the floor
const LINES = 6; // caption lines shown

export function displayView({ store }) {
  const who = h('p', { class: 'd-who' });
  const meta = h('p', { class: 'd-meta' });
  const clock = h('p', { class: 'd-clock' });
  const next = h('ol', { class: 'd-next' });
  const nextNote = h('p', { class: 'd-empty' });
  const vote = h('p', { class: 'd-vote', hidden: true });
  const caps = h('div', { class: 'd-caps' });
  const partial = h('p', { class: 'd-partial' });
  const el = h(
    'div',
    { class: 'display' },
    h(
      'section',
      { class: 'd-floor', 'aria-labelledby': 'd-floor-h' },
      h('h2', { id: 'd-floor-h', class: 'd-label' }, 'Floor'),
      who,
      meta,
      clock,
      vote,
    ),
    h(
      'section',
      { class: 'd-queue', 'aria-labelledby': 'd-next-h' },
      h('h2', { id: 'd-next-h', class: 'd-label' }, 'Next speakers'),
      next,
      nextNote,
    ),
    h(
      'section',
      { class: 'd-captions', 'aria-labelledby': 'd-cap-h' },
      h('h2', { id: 'd-cap-h', class: 'd-label' }, 'Captions'),
      caps,
      partial,
    ),
  );

  function tick() {
    const fl = store.floor;
    if (!fl) return setText(clock, '');
    const elapsed = (store.now() - Date.parse(fl.started)) / 1000;
    const left = fl.limit_s ? fl.limit_s - elapsed : null;
    clock.classList.toggle('over', left !== null && left < 0);
    setText(
      clock,
      left === null
        ? f.clock(Math.max(0, elapsed))
        : left >= 0
          ? `${f.clock(left)} left`
          : `Over time by ${f.clock(-left)}`,
    );
  }
  setInterval(tick, 1000);

  let capSig = '';
  function renderCaptions() {
    const want = store.languages.length > 1 ? store.languages[0] : null;
    const lines = store.captions.filter((c) => !want || c.lang === want).slice(-LINES);
    const sig = lines.map((c) => c.n).join();
    if (sig !== capSig) {
      capSig = sig;
      let last = null;
      caps.replaceChildren(
        ...lines.map((c) => {
          const name = c.speaker?.name || null;
          const p = h(
            'p',
            { lang: c.lang },
            name && name !== last ? h('span', { class: 'spk' }, `${name}: `) : null,
            c.text,
          );
          last = name;
          return p;
        }),
      );
    }
    const parts = [...store.partials.entries()].filter(
      ([l, x]) => (!want || l === want) && Date.now() - x.at < 15000,
    );
    const p = parts.at(-1);
    setText(partial, p ? `${p[1].text}…` : '');
  }

  function render() {
    const fl = store.floor;
    setText(
      who,
      fl
        ? fl.name
        : store.live
          ? 'Nobody has the floor'
          : store.room.status === 'ended'
            ? 'The session has ended'
            : 'The session has not started',
    );
    setText(
      meta,
      fl ? [f.group(fl.group), f.location(fl.location)].filter(Boolean).join(' · ') : '',
    );
    tick();
    const open = store.hum || store.openPoll();
    show(vote, !!open);
    if (open)
      setText(
        vote,
        `${store.hum ? 'Hum' : open.show_of_hands ? 'Show of hands' : 'Poll'}: ${open.question}`,
      );
    const q = store.live ? store.queue.slice(0, NEXT) : [];
    syncList(
      next,
      q,
      (e) => e.entry,
      () => h('li'),
      (li, e) =>
        setText(
          li,
          `${e.name}${e.group ? ` (${f.group(e.group)})` : ''}${e.kind !== 'speak' ? ` — ${f.KINDS[e.kind]}` : ''}`,
        ),
    );
    const more = store.queue.length - q.length;
    setText(nextNote, !q.length ? 'Nobody is waiting.' : more > 0 ? `and ${more} more` : '');
    show(nextNote, !q.length || more > 0);
    renderCaptions();
  }
  return { el, render };
}

// Takes the page (display.css is loaded by room.js first): the header reduced to the room and its status.
export function mountDisplay({ store, main, meta }) {
  const d = displayView({ store });
  document.body.classList.add('display-mode');
  main.replaceChildren(d.el);
  meta.replaceChildren(
    h(
      'p',
      { class: 'session' },
      h('span', { class: 'badge', id: 'session-badge' }),
      ' ',
      h('span', { id: 'session-title-text' }),
    ),
  );
  document.title = `${store.room.title} — Room display — Plenary`;
  return d;
}
