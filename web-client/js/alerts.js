// Moments that cannot be missed: being given the floor, a hum or poll opening (for those
// who can answer), and for chairs a point of order. Each one, as it begins, plays a short
// tone made with Web Audio (no audio files; a setting turns it off, kept in localStorage),
// vibrates a phone, changes the page title, and raises a Notification when the tab is
// hidden and the person allowed them (asked only from a button). A sticky banner at the
// top carries the action: for the floor a LIVE / MUTED indicator, mute and "Yield the
// floor", shown for as long as the floor is held; for a vote a button to its controls.
// Screen readers hear each moment once, from the narrator; the banner is not a live region.

import { h, setText, show } from './dom.js';
import { pref, setPref } from './captions.js';
import { helpButton } from './shortcuts.js';

// A tone per moment: rising for the floor, falling for a point of order, level for a vote.
const TONES = { floor: [660, 880], por: [880, 660], vote: [740, 740] };

let ctx = null;
function context() {
  try {
    ctx ||= new AudioContext();
  } catch {
    return null;
  }
  if (ctx.state !== 'running') ctx.resume().catch(() => {});
  return ctx;
}
// Browsers let an AudioContext run only after a gesture: the first click or key starts it,
// so that a cue later, with no gesture at hand, is heard.
const unlock = () => {
  if (context()?.state === 'running') {
    removeEventListener('pointerdown', unlock, true);
    removeEventListener('keydown', unlock, true);
  }
};

// The tone really plays: each note ends on the audio clock, and the page records which cue
// played (data-cue-played on <html>), which the browser tests observe.
function tone(kind) {
  const c = context();
  if (!c) return;
  const root = document.documentElement;
  root.dataset.cue = `${kind} ${c.state}`;
  const t0 = c.currentTime + 0.02;
  TONES[kind].forEach((hz, i) => {
    const osc = c.createOscillator();
    const gain = c.createGain();
    const at = t0 + i * 0.2;
    osc.frequency.value = hz;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.25, at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.18);
    osc.connect(gain).connect(c.destination);
    osc.start(at);
    osc.stop(at + 0.19);
    if (i === TONES[kind].length - 1)
      osc.onended = () => (root.dataset.cuePlayed = `${kind} ${++played}`);
  });
}
let played = 0;

function notify(text) {
  try {
    if (document.hidden && Notification.permission === 'granted')
      new Notification(text, { tag: 'plenary-moment' });
  } catch {
    /* no notifications here */
  }
}

// What needs this person now, and a key per occurrence (a new key is a new moment).
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

const WORDS = {
  floor: { title: 'You have the floor', text: 'You have the floor.' },
  por: { title: 'Point of order', text: 'Point of order' },
  hum: { title: 'Hum open', text: 'A hum is open:', go: 'Go to the hum' },
  poll: { title: 'Poll open', text: 'A poll is open:', go: 'Go to the poll' },
  hands: { title: 'Show of hands open', text: 'A show of hands is open:', go: 'Answer it' },
};

// Where "Go to …" takes the keyboard: the first answer, or the panel's heading.
function jumpTo(what) {
  const panel = what === 'hum' ? '.hum' : '.polls';
  const target =
    document.querySelector(`${panel} .choice:not([disabled]), ${panel} input`) ||
    document.getElementById(what === 'hum' ? 'hum-h' : 'polls-h');
  if (!target) return;
  if (target.tagName === 'H2') target.setAttribute('tabindex', '-1');
  target.scrollIntoView({ block: 'center' });
  target.focus({ preventScroll: true });
}

export function alerts({ store, act, audio, title }) {
  addEventListener('pointerdown', unlock, true);
  addEventListener('keydown', unlock, true);
  const dismissed = new Set();
  let prev = null;
  const banners = floorBanner({ act, audio });
  const por = porBanner({ act, dismiss: (entry) => (dismissed.add(entry), render()) });
  const vote = voteBanner();
  const el = h('div', { class: 'moments' }, banners.el, por.el, vote.el);
  const settings = settingsPanel();

  function render() {
    const now = moments(store, dismissed);
    const fresh = ['floor', 'por', 'vote'].filter(
      (k) => now[k] && prev && prev[k]?.key !== now[k].key,
    );
    // The first render after joining sets the scene without cues (nothing began just now).
    if (prev && !store.replaying && fresh.length) {
      const k = fresh[0];
      const w = WORDS[k === 'vote' ? now.vote.what : k];
      if (pref('cue', '1') === '1') tone(k);
      try {
        navigator.vibrate?.(k === 'floor' ? [200, 100, 200] : 150);
      } catch {
        /* not a phone */
      }
      notify(k === 'por' ? `Point of order from ${now.por.entry.name}` : w.title);
    }
    prev = now;
    banners.render(now.floor, store);
    por.render(now.por);
    vote.render(now.vote);
    const lead = now.floor ? 'floor' : now.por ? 'por' : now.vote ? now.vote.what : null;
    document.title = lead ? `● ${WORDS[lead].title} — Plenary` : `${title()} — Plenary`;
  }
  return { el, settings, render };
}

function floorBanner({ act, audio }) {
  const state = h('span', { class: 'mic-live', id: 'mic-live' });
  const mute = h('button', { type: 'button', id: 'banner-mute' });
  mute.onclick = () => audio?.setSelfMute(!audio.userMuted);
  const yieldBtn = h(
    'button',
    {
      type: 'button',
      id: 'banner-yield',
      onclick: () => act({ type: 'floor.end' }, 'Yield the floor'),
    },
    'Yield the floor',
  );
  const el = h(
    'div',
    {
      class: 'moment floor-moment',
      id: 'floor-banner',
      role: 'region',
      'aria-label': 'Your floor',
    },
    h('p', null, h('strong', null, 'You have the floor.'), ' ', state),
    h('div', { class: 'row' }, mute, yieldBtn),
  );
  function render(on) {
    show(el, !!on);
    if (!on) return;
    const muted = !!audio?.userMuted;
    state.dataset.state = muted ? 'muted' : 'live';
    setText(state, muted ? 'MUTED: nobody hears you' : 'LIVE: your microphone is open');
    setText(mute, muted ? 'Unmute' : 'Mute');
  }
  return { el, render };
}

function porBanner({ act, dismiss }) {
  const text = h('p');
  let entry = null;
  const grant = h(
    'button',
    {
      type: 'button',
      onclick: () => entry && act({ type: 'queue.grant', entry: entry.entry }, 'Give the floor'),
    },
    'Give the floor',
  );
  const later = h(
    'button',
    { type: 'button', onclick: () => entry && dismiss(entry.entry) },
    'Dismiss',
  );
  const el = h(
    'div',
    { class: 'moment por-moment', role: 'region', 'aria-label': 'Point of order' },
    text,
    h('div', { class: 'row' }, grant, later),
  );
  function render(m) {
    show(el, !!m);
    entry = m ? m.entry : null;
    if (m) setText(text, `Point of order from ${m.entry.name}.`);
  }
  return { el, render };
}

function voteBanner() {
  const text = h('p');
  const go = h('button', { type: 'button', class: 'primary', id: 'banner-go' });
  let what = null;
  go.onclick = () => what && jumpTo(what === 'hum' ? 'hum' : 'poll');
  const el = h(
    'div',
    { class: 'moment vote-moment', role: 'region', 'aria-label': 'Open vote' },
    text,
    go,
  );
  function render(m) {
    show(el, !!m);
    if (!m) return;
    what = m.what;
    setText(text, `${WORDS[m.what].text} ${m.question}`);
    setText(go, WORDS[m.what].go);
  }
  return { el, render };
}

// The person's choices: the sound, and notifications (asked for only from this button).
function settingsPanel() {
  const sound = h('input', { type: 'checkbox', id: 'cue-on' });
  sound.checked = pref('cue', '1') === '1';
  sound.onchange = () => {
    setPref('cue', sound.checked ? '1' : '0');
    if (sound.checked) tone('vote');
  };
  const status = h('p', { class: 'help', id: 'notify-state' });
  const ask = h(
    'button',
    { type: 'button', id: 'notify-ask' },
    'Notify me when this tab is hidden',
  );
  const has = 'Notification' in window;
  const renderNotify = () => {
    const p = has ? Notification.permission : 'unsupported';
    show(ask, p === 'default');
    setText(
      status,
      {
        granted: 'Notifications are on while this tab is hidden.',
        denied: 'Notifications are blocked for this site in the browser settings.',
        unsupported: 'This browser cannot show notifications.',
        default: '',
      }[p],
    );
  };
  ask.onclick = () => Notification.requestPermission().then(renderNotify, renderNotify);
  renderNotify();
  const el = h(
    'section',
    { class: 'panel alerts', 'aria-labelledby': 'alerts-h' },
    h('h2', { id: 'alerts-h' }, 'Alerts and keys'),
    h(
      'p',
      { class: 'field' },
      sound,
      h('label', { for: 'cue-on' }, 'Play a short sound when I get the floor or a vote opens'),
    ),
    ask,
    status,
    helpButton(),
  );
  return el;
}
