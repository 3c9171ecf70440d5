// Captions, first-class: large high-contrast text, an adjustable size, the speaker's name
// where the speaker changes (not repeated on each line of the same speaker), a language selector once several languages run, and scroll-back (the view
// follows new lines only while it is at the bottom; "Jump to latest" brings it back).
// Final captions go to a role="log" region, which screen readers read politely (a switch
// turns that off for those who listen to the floor); the line being typed is shown under
// it and never read out. Earlier captions come from the public record on request.

import { h, setText, show } from './dom.js';
import * as f from './format.js';
import { announce } from './announce.js';

const SIZES = { '1': 'Normal', '1.35': 'Large', '1.8': 'Larger', '2.4': 'Largest' };
const SHOWN = 500; // lines kept in the page; older ones stay in memory and the record

export function pref(key, fallback) {
  try {
    return localStorage.getItem(`plenary:${key}`) ?? fallback;
  } catch {
    return fallback;
  }
}
export function setPref(key, value) {
  try {
    localStorage.setItem(`plenary:${key}`, value);
  } catch {
    /* private mode */
  }
}

export function captionsPanel({ store, loadRecord }) {
  const size = h(
    'select',
    { id: 'cap-size' },
    Object.entries(SIZES).map(([v, t]) => h('option', { value: v }, t)),
  );
  const lang = h('select', { id: 'cap-lang' });
  const langRow = h(
    'p',
    { class: 'field', hidden: true },
    h('label', { for: 'cap-lang' }, 'Language'),
    lang,
  );
  const speak = h('input', { type: 'checkbox', id: 'cap-read' });
  const log = h('div', {
    class: 'cap-log',
    role: 'log',
    'aria-labelledby': 'cap-h',
    tabindex: '0',
  });
  const partial = h('p', { class: 'cap-partial' });
  const jump = h(
    'button',
    { type: 'button', class: 'jump', hidden: true, onclick: () => toBottom(true) },
    'Jump to latest captions',
  );
  const earlier = h(
    'button',
    { type: 'button', class: 'link', onclick: () => loadEarlier() },
    'Load earlier captions',
  );
  const note = h('p', { class: 'empty' }, 'No captions yet.');
  const controls = h(
    'div',
    { class: 'cap-controls' },
    h('p', { class: 'field' }, h('label', { for: 'cap-size' }, 'Text size'), size),
    langRow,
    h('p', { class: 'field' }, speak, h('label', { for: 'cap-read' }, 'Read new captions aloud')),
    earlier,
  );
  const el = h(
    'section',
    { class: 'panel captions', 'aria-labelledby': 'cap-h' },
    h('h2', { id: 'cap-h' }, 'Captions'),
    controls,
    note,
    log,
    partial,
    jump,
  );

  size.value = pref('caption-size', '1.35');
  el.style.setProperty('--cap-scale', size.value);
  size.onchange = () => {
    el.style.setProperty('--cap-scale', size.value);
    setPref('caption-size', size.value);
    // Larger text pushes the latest line out of view: bring it back once laid out.
    requestAnimationFrame(() => toBottom(true, false));
  };
  // Off unless chosen: most screen reader users listen to the floor itself.
  speak.checked = pref('caption-read', '0') === '1';
  const setLive = () => log.setAttribute('aria-live', speak.checked ? 'polite' : 'off');
  setLive();
  speak.onchange = () => {
    setPref('caption-read', speak.checked ? '1' : '0');
    setLive();
  };
  let chosen = pref('caption-lang', '');
  lang.onchange = () => {
    chosen = lang.value;
    setPref('caption-lang', chosen);
    rebuild();
  };

  let shownN = 0; // the caption number (c.n) last rendered
  let shownLang = null; // the language the log shows
  let epoch = 0;
  let follow = true;
  log.addEventListener('scroll', () => {
    follow = log.scrollTop + log.clientHeight >= log.scrollHeight - 8;
    show(jump, !follow);
  });

  function toBottom(force, focus = force) {
    if (force) follow = true;
    if (follow) log.scrollTop = log.scrollHeight;
    show(jump, !follow);
    if (focus) log.focus();
  }

  function currentLang() {
    const langs = store.languages;
    if (langs.length < 2) return null;
    if (chosen && langs.includes(chosen)) return chosen;
    // Unless one chose, captions follow the language one listens in (views/channel.js).
    const heard = pref('channel', '');
    if (heard && langs.includes(heard)) return heard;
    return langs[0];
  }

  let lastWho = null; // the speaker of the last line shown
  function line(c) {
    const who = c.speaker?.name || null;
    const same = who && who === lastWho;
    lastWho = who;
    return h(
      'p',
      { lang: c.lang, class: same ? 'cap cont' : 'cap' },
      who && !same ? h('span', { class: 'spk' }, `${who}: `) : null,
      c.text,
    );
  }

  function rebuild() {
    log.replaceChildren();
    lastWho = null;
    shownN = 0;
    epoch = store.captionsEpoch;
    shownLang = currentLang();
    append(true);
  }

  function append(rebuilding) {
    const want = currentLang();
    const fresh = store.captions.filter((c) => c.n > shownN && (!want || c.lang === want));
    shownN = store.captionN;
    if (!fresh.length && !rebuilding) return;
    // A rebuild is not news: keep the log quiet while it is refilled.
    if (rebuilding) log.setAttribute('aria-live', 'off');
    const frag = document.createDocumentFragment();
    for (const c of fresh.slice(-SHOWN)) frag.append(line(c));
    log.append(frag);
    while (log.childElementCount > SHOWN) log.firstElementChild.remove();
    if (rebuilding) setTimeout(setLive, 0);
    toBottom(false);
  }

  async function loadEarlier() {
    earlier.disabled = true;
    setText(earlier, 'Loading earlier captions…');
    const n = await loadRecord();
    if (n === null) {
      setText(earlier, 'Load earlier captions');
      earlier.disabled = false;
      announce('Earlier captions could not be loaded.');
      return;
    }
    earlier.hidden = true;
    announce(
      n ? `${n} earlier caption${n === 1 ? '' : 's'} loaded.` : 'There are no earlier captions.',
    );
  }

  function renderLangs() {
    const langs = store.languages;
    show(langRow, langs.length > 1);
    if (lang.options.length !== langs.length) {
      lang.replaceChildren(
        ...langs.map((l) => h('option', { value: l }, `${f.language(l)} (${l})`)),
      );
    }
    const cur = currentLang();
    if (cur && lang.value !== cur) lang.value = cur;
  }

  function render() {
    const before = lang.options.length;
    renderLangs();
    if (
      epoch !== store.captionsEpoch ||
      (before < 2 && lang.options.length >= 2) ||
      currentLang() !== shownLang
    )
      rebuild();
    else append(false);
    const want = currentLang();
    // A partial line nobody finished within 15 s (the captioner left) is dropped.
    const parts = [...store.partials.entries()].filter(
      ([l, x]) => (!want || l === want) && Date.now() - x.at < 15000,
    );
    const p = parts.length ? parts[parts.length - 1] : null;
    setText(partial, p ? `${p[1].speaker?.name ? `${p[1].speaker.name}: ` : ''}${p[1].text}…` : '');
    if (p) partial.lang = p[0];
    show(note, !store.captions.length && !p);
    if (store.recordLoaded) show(earlier, false);
  }
  setInterval(() => store.partials.size && render(), 5000);
  return { el, render };
}
