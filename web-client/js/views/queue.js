// The speaking queue: my request to speak (ask with a kind, withdraw: a panel of its own,
// placed near the top), the ordered list with my place, and for chairs a filter by name or
// group (deskbar.js) and per entry grant, remove and move --
// by dragging, by the Up/Down buttons, or with Alt+Arrow keys on the entry. The words are
// "ask to speak" and "withdraw", never "hand": a hand is raised only in a show of hands.

import { h, setText, show, syncList } from '../dom.js';
import * as f from '../format.js';
import { announce } from '../announce.js';

// A waiting person's microphone as their client reports it (mic.status), for the chair:
// an icon for the eye and words for everyone.
const MIC = {
  ready: ['●', 'Mic ready'],
  muted: ['◐', 'Mic muted by them'],
  refused: ['✕', 'Mic refused by their browser'],
  none: ['○', 'No mic enabled'],
};
const micOf = (store, e) => (e.pid ? (store.participants.get(e.pid)?.mic ?? null) : undefined);
const unheard = (mic) => mic === null || mic === 'none' || mic === 'refused';

// Someone whose microphone is refused, not enabled or unknown may not be heard: the chair
// confirms before giving them the floor, from their entry or with Next speaker (deskbar.js).
// One warning at a time; it exists only while shown, takes the focus and is read out at
// once (an alert). Cancel or Escape takes it away and gives the focus back.
let warning = null;
export function confirmGrant(store, e, { where, back, grant }) {
  warning?.remove();
  const mic = micOf(store, e);
  if (!unheard(mic)) return grant();
  const btn = (cls, text, fn) => h('button', { type: 'button', class: cls, onclick: fn }, text);
  const w = h('p', { class: 'grant-warning', role: 'alert' });
  const cancel = () => (w.remove(), back.focus());
  w.onkeydown = (ev) => {
    if (ev.key === 'Escape') cancel();
  };
  const yes = btn('grant-anyway', 'Give floor anyway', () => (w.remove(), grant()));
  const why = {
    refused: 'has a microphone their browser refused',
    none: 'has not enabled a microphone',
  };
  w.append(
    `${e.name} ${why[mic] || 'has not said whether their microphone works'}: they may not be heard. `,
    yes,
    ' ',
    btn('grant-cancel', 'Cancel', cancel),
  );
  where.append(w);
  warning = w;
  yes.focus();
}

export function queuePanel({ store, act, filter }) {
  const chair = store.you.role === 'chair';
  const voice = store.canSpeak;
  // The heading's words are in a span of their own: on phones they move into the button
  // that folds the panel (fold.js).
  const title = h('span', null, 'Speaking queue');
  const heading = h('h2', { id: 'queue-h' }, title);
  const line = h('p', { class: 'line-state' });
  const list = h('ol', { class: 'queue-list', 'aria-labelledby': 'queue-h' });
  const empty = h('p', { class: 'empty' }, 'Nobody is waiting.');
  const parts = [heading, line];

  // --- my request to speak (internally 'hand') ---
  let hand = null;
  let moveFocus = null;
  let kindBefore = null;
  // Focus el now if it is already shown, or at the render that shows it.
  const focusSoon = (el) => {
    if (el.closest('[hidden]')) moveFocus = el;
    else el.focus();
  };
  let renderHand = () => {};
  if (voice) {
    const kind = h(
      'select',
      { id: 'raise-kind' },
      Object.entries(f.KINDS).map(([v, t]) => h('option', { value: v }, t)),
    );
    const raiseBtn = h('button', { type: 'submit', class: 'primary', id: 'raise' }, 'Ask to speak');
    const raiseForm = h(
      'form',
      { class: 'row', onsubmit: (e) => (e.preventDefault(), raise(kind.value)) },
      h('label', { for: 'raise-kind' }, 'I want to'),
      kind,
      raiseBtn,
    );
    const mine = h('p', { class: 'my-place', id: 'my-place' });
    const lower = h(
      'button',
      {
        type: 'button',
        id: 'lower',
        onclick: async () => {
          if (await act({ type: 'queue.lower' }, 'Withdraw your request')) focusSoon(raiseBtn);
        },
      },
      'Withdraw request',
    );
    const queued = h('div', { class: 'row', hidden: true }, mine, lower);
    const closedNote = h(
      'p',
      { class: 'help' },
      'The line is closed: only points of order can be raised.',
    );
    hand = h(
      'section',
      { class: 'panel hand', 'aria-labelledby': 'hand-h' },
      h('h2', { id: 'hand-h' }, 'Ask for the floor'),
      closedNote,
      raiseForm,
      queued,
    );
    async function raise(k) {
      const ack = await act({ type: 'queue.raise', kind: k }, 'Ask to speak');
      if (ack) {
        store.keep('hand', { kind: k });
        focusSoon(lower);
      }
    }
    renderHand = () => {
      const me = store.myEntry();
      const holds = store.holdsFloor();
      show(hand, store.live && !holds);
      show(closedNote, !store.q.open && !me);
      show(raiseForm, !me && !holds);
      show(queued, !!me);
      if (me)
        setText(
          mine,
          `You asked to speak (${f.KINDS[me.kind]}): you are ${f.ordinal(me.position)} of ${store.queue.length}.`,
        );
      // When the line is closed only points of order may be raised; when it opens again the
      // kind chosen before comes back.
      for (const o of kind.options) o.disabled = !store.q.open && o.value !== 'point_of_order';
      if (!store.q.open && kind.value !== 'point_of_order') {
        kindBefore = kind.value;
        kind.value = 'point_of_order';
      } else if (store.q.open && kindBefore) {
        kind.value = kindBefore;
        kindBefore = null;
      }
      // The button pressed has just been hidden: keep the keyboard where the action is.
      if (moveFocus && !moveFocus.closest('[hidden]')) {
        moveFocus.focus();
        moveFocus = null;
      }
    };
  }

  // --- chair toolbar ---
  // The chair's next speaker and the line are in the desk's toolbar (deskbar.js).
  if (chair)
    parts.push(
      filter?.el,
      h(
        'p',
        { class: 'help', id: 'move-help' },
        'To reorder, drag an entry, use its Up and Down buttons, or press Alt with the Up or Down arrow key on it.',
      ),
    );
  if (chair) list.classList.add('compact'); // one line per entry (desk.css)
  parts.push(list, empty);
  const el = h('section', { class: 'panel queue', 'aria-labelledby': 'queue-h' }, parts);

  // --- moving (chair) ---
  function move(entry, position) {
    const n = store.queue.length;
    if (position < 0 || position >= n) return;
    const e = store.queue.find((x) => x.entry === entry);
    act({ type: 'queue.move', entry, position }, 'Move in the queue').then((ack) => {
      if (ack && e) announce(`${e.name} moved to position ${position + 1} of ${n}.`);
    });
  }
  let dragged = null;
  if (chair) {
    list.addEventListener('dragover', (e) => {
      if (dragged === null) return;
      e.preventDefault();
      const target = e.target.closest('li');
      for (const li of list.children) li.classList.toggle('drop-before', li === target);
    });
    list.addEventListener('drop', (e) => {
      e.preventDefault();
      const target = e.target.closest('li');
      const to = target ? [...list.children].indexOf(target) : list.children.length - 1;
      const entry = dragged;
      dragged = null;
      for (const li of list.children) li.classList.remove('drop-before', 'dragging');
      if (entry !== null && to >= 0) move(entry, to);
    });
    list.addEventListener('dragend', () => {
      dragged = null;
      for (const li of list.children) li.classList.remove('drop-before', 'dragging');
    });
  }

  function create() {
    const li = h('li', { class: 'entry' });
    li.pos = h('span', { class: 'pos', 'aria-hidden': 'true' });
    li.name = h('span', { class: 'name' });
    li.kind = h('span', { class: 'tag kind' });
    li.info = h('span', { class: 'info' });
    li.append(li.pos, h('span', { class: 'who' }, li.name, ' ', li.kind, h('br'), li.info));
    if (chair) {
      li.draggable = true;
      li.addEventListener('dragstart', (ev) => {
        dragged = li.entry.entry;
        li.classList.add('dragging');
        ev.dataTransfer.effectAllowed = 'move';
        ev.dataTransfer.setData('text/plain', String(dragged));
      });
      li.addEventListener('keydown', (ev) => {
        if (!ev.altKey || (ev.key !== 'ArrowUp' && ev.key !== 'ArrowDown')) return;
        ev.preventDefault();
        const i = store.queue.findIndex((x) => x.entry === li.entry.entry);
        move(li.entry.entry, i + (ev.key === 'ArrowUp' ? -1 : 1));
      });
      const btn = (cls, text, fn) => h('button', { type: 'button', class: cls, onclick: fn }, text);
      li.up = btn('up', 'Up', () => {
        if (li.up.getAttribute('aria-disabled') !== 'true') move(li.entry.entry, li.index - 1);
      });
      li.down = btn('down', 'Down', () => {
        if (li.down.getAttribute('aria-disabled') !== 'true') move(li.entry.entry, li.index + 1);
      });
      li.grant = btn('grant', 'Give floor', () =>
        confirmGrant(store, li.entry, {
          where: li,
          back: li.grant,
          grant: () => act({ type: 'queue.grant', entry: li.entry.entry }, 'Give the floor'),
        }),
      );
      li.remove_ = btn('remove', 'Remove', () =>
        act({ type: 'queue.remove', entry: li.entry.entry }, 'Remove from the queue'),
      );
      li.handle = h('span', { class: 'handle', 'aria-hidden': 'true', title: 'Drag to move' }, '⠿');
      li.prepend(li.handle);
      li.append(h('span', { class: 'entry-actions' }, li.up, li.down, li.grant, li.remove_));
      li.mic = h('span', { class: 'mic-ready' });
      li.querySelector('.who').append(h('br'), li.mic);
    }
    return li;
  }

  function update(li, e, i) {
    li.entry = e;
    li.index = i;
    const mine = store.you && e.pid === store.you.pid;
    li.classList.toggle('mine', mine);
    setText(li.pos, `${i + 1}.`);
    setText(li.name, mine ? `${e.name} (you)` : e.name);
    setText(li.kind, f.KINDS[e.kind] || e.kind);
    li.kind.dataset.kind = e.kind;
    setText(
      li.info,
      [f.group(e.group), f.location(e.location), e.raised ? `asked ${f.time(e.raised)}` : '']
        .filter(Boolean)
        .join(' · '),
    );
    if (chair) {
      const n = store.queue.length;
      li.up.setAttribute('aria-label', `Move ${e.name} up`);
      li.down.setAttribute('aria-label', `Move ${e.name} down`);
      li.grant.setAttribute('aria-label', `Give floor to ${e.name}`);
      li.remove_.setAttribute('aria-label', `Remove ${e.name} from the queue`);
      li.up.setAttribute('aria-disabled', String(i === 0));
      li.down.setAttribute('aria-disabled', String(i === n - 1));
      for (const b of [li.up, li.down]) b.setAttribute('aria-describedby', 'move-help');
      const mic = micOf(store, e);
      const [icon, words] =
        mic === undefined ? ['', 'In the room'] : MIC[mic] || ['?', 'Mic unknown'];
      li.mic.replaceChildren(h('span', { 'aria-hidden': 'true' }, icon), ` ${words}`);
      li.mic.dataset.mic = mic ?? 'unknown';
    }
  }

  function render() {
    const q = store.queue;
    setText(
      title,
      store.room.status === 'ended' ? 'Speaking queue' : `Speaking queue (${q.length} waiting)`,
    );
    setText(
      line,
      store.live
        ? store.q.open
          ? 'The line is open.'
          : 'The line is closed: only points of order can be raised.'
        : '',
    );
    show(line, store.live);
    // After the session nobody will be given the floor: the waiting list is history.
    const ended = store.room.status === 'ended';
    syncList(list, ended ? [] : q, (e) => e.entry, create, update);
    show(empty, !q.length || ended);
    setText(empty, ended ? 'The session has ended.' : 'Nobody is waiting.');
    filter?.apply(list);
    renderHand();
  }
  return { el, render, hand };
}
