// The chair's toolbar, sticky at the top of the page, so that with sixty people waiting the
// session's controls are never thousands of pixels away: next speaker, end the floor, the
// line, a hum, a poll, the end of the session, the queue's filter. Each has a single-key
// shortcut (alerts.js); the ones that need words (a hum's question) take the keyboard
// to their form in the desk. Also the queue's filter and the chair's caption writer,
// which loads when opened.

import { h, show, setText, lazyPanel } from '../dom.js';
import * as f from '../format.js';
import { shortcut, helpButton } from '../alerts.js';
import { confirmGrant } from './queue.js';

// With sixty waiting the chair looks for one name or one group: the filter only hides
// entries; positions and moves stay those of the whole queue.
function queueFilter() {
  let list = null;
  const count = h('span', { class: 'help', id: 'queue-filter-n', 'aria-live': 'polite' });
  const input = h('input', {
    id: 'queue-filter',
    type: 'search',
    autocomplete: 'off',
    'aria-describedby': 'queue-filter-n',
    oninput: () => list && apply(list),
  });
  function apply(ol) {
    list = ol;
    const want = input.value.trim().toLowerCase();
    let shown = 0;
    for (const li of ol.children) {
      const e = li.entry;
      const hay = `${e.name} ${e.group || ''} ${f.group(e.group)} ${f.KINDS[e.kind] || ''}`;
      const hit = !want || hay.toLowerCase().includes(want);
      show(li, hit);
      shown += hit;
    }
    setText(count, want ? `Showing ${shown} of ${ol.children.length}.` : '');
  }
  const el = h(
    'p',
    { class: 'field filter' },
    h('label', { for: 'queue-filter' }, 'Filter by name or group'),
    input,
    count,
  );
  return { el, apply };
}

function goTo(id) {
  const el = document.getElementById(id);
  if (!el) return;
  // A heading takes focus only with a tabindex.
  if (/^H\d$/.test(el.tagName)) el.setAttribute('tabindex', '-1');
  el.scrollIntoView({ block: 'center' });
  el.focus({ preventScroll: true });
}

export function deskBar({ store, act }) {
  const live = () => store.live;
  // queue.next gives the floor to the head of the queue as the client orders it (exactly
  // the server's order): warned about the same people as a grant from their entry. If the
  // head changed while the chair read the warning, the question is asked again.
  const next = () => {
    const e = store.queue[0];
    const was = document.activeElement;
    confirmGrant(store, e, {
      where: el,
      back: was && was !== document.body ? was : buttons[0],
      grant: () =>
        store.queue[0]?.entry === e.entry
          ? act({ type: 'queue.next' }, 'Give the floor to the next speaker')
          : store.queue.length && next(),
    });
  };
  const line = () => (store.q.open ? 'Close the line' : 'Open the line');
  // [key, id, button text, what the key does, when it applies, what it does]
  const cmds = [
    [
      'n',
      'next-speaker',
      'Next speaker',
      'Give the floor to the next speaker',
      () => live() && store.queue.length > 0,
      next,
    ],
    [
      'e',
      'bar-end-floor',
      'End the floor',
      'End the current floor',
      () => live() && !!store.floor,
      () => act({ type: 'floor.end' }, 'End the floor'),
    ],
    [
      'l',
      'line-toggle',
      line,
      'Open or close the line',
      live,
      () => act({ type: store.q.open ? 'queue.close' : 'queue.open' }, line()),
    ],
    [
      'h',
      'bar-hum',
      'Hum…',
      'Call a hum (or go to the open one)',
      live,
      () => goTo(store.hum ? 'hum-h' : 'hum-q'),
    ],
    [
      'p',
      'bar-poll',
      'Poll…',
      'Call a poll or a show of hands (or go to the open one)',
      live,
      () => goTo(store.openPoll() ? 'polls-h' : 'poll-q'),
    ],
    [
      'f',
      'bar-filter',
      'Find in queue',
      'Filter the queue by name or group',
      live,
      () => goTo('queue-filter'),
    ],
    [
      'x',
      'bar-end-session',
      'End session…',
      'End the session (asks first)',
      live,
      () => (document.getElementById('session-end')?.click(), goTo('session-end-yes')),
    ],
  ];
  const buttons = cmds.map(([key, id, text, label, when, run]) => {
    shortcut(key, label, run, when);
    const b = h('button', { type: 'button', id, 'aria-keyshortcuts': key.toUpperCase() });
    b.onclick = () => when() && run();
    b.words = text;
    b.kbd = h('kbd', { 'aria-hidden': 'true' }, key.toUpperCase());
    return b;
  });
  // The bar, and under it the warning before a grant (the bar scrolls sideways on phones).
  const el = h(
    'div',
    null,
    h(
      'div',
      { class: 'desk-bar', role: 'group', 'aria-label': 'Chair’s controls' },
      buttons,
      helpButton(),
    ),
  );
  function render() {
    show(el, store.live);
    cmds.forEach(([, , , , when], i) => {
      const b = buttons[i];
      const text = typeof b.words === 'function' ? b.words() : b.words;
      if (b.firstChild?.nodeValue !== text) b.replaceChildren(text, b.kbd);
      b.setAttribute('aria-disabled', String(!when()));
    });
  }
  return { el, render, filter: queueFilter() };
}

// Chairs seldom write captions: their writer loads when they ask for it.
export function chairWriter(ctx) {
  let wanted = false;
  const open = h('button', { type: 'button', id: 'writer-open' }, 'Open the caption writer');
  const writer = lazyPanel({
    load: () => import('../caption-writer.js').then((m) => m.captionWriter(ctx)),
    need: () => wanted,
    cls: 'writer',
    id: 'writer-h',
    heading: 'Write captions',
    empty: 'Chairs can write captions too.',
    action: open,
  });
  open.onclick = () => {
    wanted = true;
    writer.render();
    writer.ready.then(() => document.getElementById('cap-input')?.focus());
  };
  return writer;
}
