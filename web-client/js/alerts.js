// Moments that cannot be missed: the floor given to me, a hum or poll opening (for those
// who can answer), a point of order (for chairs). Here: what is a moment, the page title,
// and the audio unlock; banners.js, loaded at the first moment, does the rest (tone,
// vibration, notification, banner). Also the single-key shortcuts (never while typing in
// a field, nor with Ctrl, Alt or Meta) and their help on `?` (keys-help.js).

import { h } from './dom.js';

export const TITLES = {
  floor: 'You have the floor',
  por: 'Point of order',
  hum: 'Hum open',
  poll: 'Poll open',
  hands: 'Show of hands open',
};

let ctx = null;
export function context() {
  try {
    ctx ||= new AudioContext();
  } catch {
    return null;
  }
  if (ctx.state !== 'running') ctx.resume().catch(() => {});
  return ctx;
}
// An AudioContext runs only after a gesture: the first click or key starts it.
const unlock = () => {
  if (context()?.state === 'running') {
    removeEventListener('pointerdown', unlock, true);
    removeEventListener('keydown', unlock, true);
  }
};

// What needs this person now, with a key per occurrence (a new key is a new moment).
function moments(store, dismissed) {
  const out = {};
  if (!store.live) return out;
  if (store.holdsFloor()) out.floor = { key: `f${store.floor.entry}` };
  if (store.you.role === 'chair') {
    const e = store.queue.find((x) => x.kind === 'point_of_order' && !dismissed.has(x.entry));
    if (e) out.por = { key: `p${e.entry}`, entry: e };
  }
  if (!store.canSpeak) return out;
  const hum = store.hum;
  const cast = store.mine('hum');
  if (hum && !(cast && cast.hum === hum.hum && cast.option !== null))
    out.vote = { key: `h${hum.hum}`, what: 'hum', question: hum.question };
  const poll = store.openPoll();
  if (!out.vote && poll && !(store.mine(`ballot:${poll.poll}`) || []).length)
    out.vote = {
      key: `v${poll.poll}`,
      what: poll.show_of_hands ? 'hands' : 'poll',
      question: poll.question,
    };
  return out;
}

const load = () => import('./banners.js');

export function alerts({ store, act, audio, title }) {
  addEventListener('pointerdown', unlock, true);
  addEventListener('keydown', unlock, true);
  const dismissed = new Set();
  const el = h('div', { class: 'moments' });
  let prev = null;
  let banners = null;
  let signal = null;
  let fresh = null; // a moment begun before banners.js arrived

  function render() {
    const now = moments(store, dismissed);
    const k = ['floor', 'por', 'vote'].find((x) => now[x] && prev && prev[x]?.key !== now[x].key);
    // The first render after joining sets the scene: nothing began just now.
    if (k && !store.replaying)
      fresh = {
        k,
        text: k === 'por' ? `Point of order from ${now.por.entry.name}` : TITLES[now[k].what || k],
      };
    prev = now;
    const lead = now.floor ? 'floor' : now.por ? 'por' : now.vote ? now.vote.what : null;
    document.title = lead ? `● ${TITLES[lead]} — Plenary` : `${title()} — Plenary`;
    if (!banners) {
      if (lead) load().then(start);
      return;
    }
    if (fresh) signal(fresh.k, fresh.text);
    fresh = null;
    banners.render(now);
  }
  function start(m) {
    if (banners) return;
    const dismiss = (entry) => (dismissed.add(entry), render());
    banners = m.banners({ act, audio, dismiss });
    signal = m.signal;
    el.append(...banners.els);
    render();
  }
  // Collapsed, filled when first opened.
  const summary = h('summary', { id: 'alerts-h' }, 'Alerts and keys');
  const details = h('details', null, summary);
  details.addEventListener('toggle', () =>
    load().then(
      (m) => details.childElementCount < 2 && details.append(...m.settings(), helpButton()),
    ),
  );
  const settings = h(
    'section',
    { class: 'panel alerts', 'aria-label': 'Alerts and keys' },
    details,
  );
  return { el, settings, render };
}

// --- single-key shortcuts ---
const keys = []; // {key, label, run, when}

export function shortcut(key, label, run, when = () => true) {
  keys.push({ key, label, run, when });
}

function typing(el) {
  if (el.isContentEditable || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT') return true;
  return el.tagName === 'INPUT' && !/^(checkbox|radio|button|submit|range)$/.test(el.type);
}

function onKey(e) {
  if (e.defaultPrevented || e.ctrlKey || e.altKey || e.metaKey || typing(e.target)) return;
  if (document.querySelector('dialog[open]')) return;
  const k =
    e.key === '?'
      ? { run: openHelp, when: () => true }
      : keys.find((x) => x.key === e.key.toLowerCase());
  if (!k || !k.when()) return;
  e.preventDefault();
  k.run();
}

const openHelp = () => import('./keys-help.js').then((m) => m.openHelp(keys));

export function helpButton() {
  return h(
    'button',
    { type: 'button', class: 'link', onclick: openHelp, 'aria-keyshortcuts': '?' },
    'Keyboard shortcuts (?)',
  );
}

let installed = false;
export function installShortcuts() {
  if (!installed) addEventListener('keydown', onKey);
  installed = true;
}
