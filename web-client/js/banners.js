// What alerts.js loads at the first moment (or when its settings open): the tone (Web
// Audio, no files; off by a setting kept in localStorage), vibration, a Notification when
// the tab is hidden (if allowed: asked from a button only), and the sticky banners: the
// floor (LIVE / MUTED, mute, "Yield the floor", while it is held), an open vote (a button
// to its controls), a point of order for chairs. Not live regions: the narrator speaks.

import { h, setText, show } from './dom.js';
import { pref, setPref } from './captions.js';
import { context } from './alerts.js';

// Rising for the floor, falling for a point of order, level for a vote.
const TONES = { floor: [660, 880], por: [880, 660], vote: [740, 740] };

const ASK = {
  hum: ['A hum is open:', 'Go to the hum'],
  poll: ['A poll is open:', 'Go to the poll'],
  hands: ['A show of hands is open:', 'Answer it'],
};

// <html data-cue-played> names the last tone that played to its end (the tests read it).
let played = 0;
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
    if (i) osc.onended = () => (root.dataset.cuePlayed = `${kind} ${++played}`);
  });
}

export function signal(kind, text) {
  if (pref('cue', '1') === '1') tone(kind);
  try {
    navigator.vibrate?.(kind === 'floor' ? [200, 100, 200] : 150);
    if (document.hidden && Notification.permission === 'granted')
      new Notification(text, { tag: 'plenary-moment' });
  } catch {
    /* not a phone, or no notifications */
  }
}

// The sound, and notifications (asked for only from this button): the settings' content.
export function settings() {
  const sound = h('input', { type: 'checkbox', id: 'cue-on' });
  sound.checked = pref('cue', '1') === '1';
  sound.onchange = () => {
    setPref('cue', sound.checked ? '1' : '0');
    if (sound.checked) tone('vote');
  };
  const status = h('p', { class: 'help' });
  const ask = h(
    'button',
    { type: 'button', id: 'notify-ask' },
    'Notify me when this tab is hidden',
  );
  const renderNotify = () => {
    const p = 'Notification' in window ? Notification.permission : 'unsupported';
    show(ask, p === 'default');
    setText(
      status,
      {
        granted: 'Notifications are on while this tab is hidden.',
        denied: 'Notifications are blocked for this site in the browser settings.',
        unsupported: 'This browser cannot show notifications.',
      }[p],
    );
  };
  ask.onclick = () => Notification.requestPermission().then(renderNotify, renderNotify);
  renderNotify();
  return [
    h(
      'p',
      { class: 'field' },
      sound,
      h('label', { for: 'cue-on' }, 'Play a short sound when I get the floor or a vote opens'),
    ),
    ask,
    status,
  ];
}

// The first answer of the open hum or poll, or its panel's heading, takes the keyboard.
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

const region = (id, label, ...kids) =>
  h('div', { class: `moment ${id}`, id, role: 'region', 'aria-label': label }, ...kids);
const button = (props, text) => h('button', { type: 'button', ...props }, text);

export function banners({ act, audio, dismiss }) {
  const state = h('span', { class: 'mic-live', id: 'mic-live' });
  const mute = button({ id: 'banner-mute', onclick: () => audio.setSelfMute(!audio.userMuted) });
  const floor = region(
    'floor-banner',
    'Your floor',
    h('p', null, h('strong', null, 'You have the floor.'), ' ', state),
    h(
      'div',
      { class: 'row' },
      mute,
      button(
        { id: 'banner-yield', onclick: () => act({ type: 'floor.end' }, 'Yield the floor') },
        'Yield the floor',
      ),
    ),
  );
  let por = null;
  let what = null;
  const porText = h('p');
  const porEl = region(
    'por-banner',
    'Point of order',
    porText,
    h(
      'div',
      { class: 'row' },
      button(
        { onclick: () => por && act({ type: 'queue.grant', entry: por.entry }, 'Give the floor') },
        'Give the floor',
      ),
      button({ onclick: () => por && dismiss(por.entry) }, 'Dismiss'),
    ),
  );
  const voteText = h('p');
  const go = button({ class: 'primary', id: 'banner-go', onclick: () => jumpTo(what) });
  const vote = region('vote-banner', 'Open vote', voteText, go);

  function render(now) {
    show(floor, !!now.floor);
    if (now.floor) {
      const muted = !!audio?.userMuted;
      state.dataset.state = muted ? 'muted' : 'live';
      setText(state, muted ? 'MUTED: nobody hears you' : 'LIVE: your microphone is open');
      setText(mute, muted ? 'Unmute' : 'Mute');
    }
    por = now.por?.entry || null;
    show(porEl, !!por);
    if (por) setText(porText, `Point of order from ${por.name}.`);
    show(vote, !!now.vote);
    what = now.vote?.what;
    if (what) {
      setText(voteText, `${ASK[what][0]} ${now.vote.question}`);
      setText(go, ASK[what][1]);
    }
  }
  return { els: [floor, porEl, vote], render };
}
