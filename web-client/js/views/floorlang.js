// Interpretation for the people who steer it: the floor's language, which the chair or the
// floor holder declares (floor.lang) so that interpreters know what they hear and
// listeners which booth to pick; and, for chairs, the booths: who is on air in which
// language, who else of each booth's team is connected, and buttons to hand a booth over
// or take it off air. Everyone else sees the
// declared language in the floor panel (floor.js) and the booths in the language picker.

import { h, setText, show, syncList } from '../dom.js';
import { language } from '../format.js';

// The booth's team besides the one on air: connected interpreters of that language.
function teamOf(store, lang, onAir) {
  const team = [];
  for (const p of store.participants.values())
    if (p.role === 'interpreter' && p.lang === lang && p.connected && p.pid !== onAir) team.push(p);
  return team;
}

function boothLine(b, team) {
  const air = b.pid ? `on air: ${b.name}` : 'nobody on air';
  const names = team.map((p) => p.name).join(', ');
  const also = team.length ? `; ${b.pid ? 'also ' : ''}in the booth: ${names}` : '';
  return `${b.lang} (${language(b.lang)}): ${air}${also}`;
}

// A chair steers a booth (interp.take {lang, pid}): puts a connected interpreter of its
// team on air, or takes whoever is on air off (pid null) -- when a booth is stuck, a
// colleague is unwell, or the booth must go quiet. The line and its buttons are made again
// only when who is on air or in the booth changed, so a keyboard user's focus stays put.
function boothItem(li, store, b, act) {
  const team = teamOf(store, b.lang, b.pid);
  const sig = JSON.stringify([b.pid, b.name, team.map((p) => [p.pid, p.name])]);
  if (li.dataset.sig === sig) return;
  li.dataset.sig = sig;
  const where = `${language(b.lang)} booth`;
  const buttons = team.map((p) =>
    h(
      'button',
      {
        type: 'button',
        class: 'small',
        onclick: () =>
          act({ type: 'interp.take', lang: b.lang, pid: p.pid }, `Put ${p.name} on air`),
      },
      `Put ${p.name} on air (${where})`,
    ),
  );
  if (b.pid)
    buttons.unshift(
      h(
        'button',
        {
          type: 'button',
          class: 'small',
          onclick: () =>
            act({ type: 'interp.take', lang: b.lang, pid: null }, `Take ${b.name} off air`),
        },
        `Take ${b.name} off air (${where})`,
      ),
    );
  li.replaceChildren(h('span', null, boothLine(b, team)), ...buttons);
}

export function floorLangPanel({ store, act }) {
  const chair = store.you.role === 'chair';
  const input = h('input', {
    id: 'floor-lang-input',
    type: 'text',
    autocomplete: 'off',
    spellcheck: 'false',
    list: 'floor-lang-list',
    'aria-describedby': 'floor-lang-hint',
    class: 'lang',
  });
  const list = h('datalist', { id: 'floor-lang-list' });
  const current = h('p', { id: 'floor-lang-now' });
  const form = h(
    'form',
    {
      class: 'row inline',
      onsubmit: async (e) => {
        e.preventDefault();
        const lang = input.value.trim();
        if (lang && (await act({ type: 'floor.lang', lang }, 'Declare the floor’s language')))
          input.value = '';
      },
    },
    h('label', { for: 'floor-lang-input' }, chair ? 'Floor language' : 'The language I speak'),
    input,
    list,
    h('button', { type: 'submit' }, 'Declare'),
  );
  const hint = h(
    'p',
    { class: 'hint', id: 'floor-lang-hint' },
    'A language tag such as en, fr, es, ar, zh-Hans or pt-BR: interpreters and listeners see it.',
  );
  const booths = h('ul', { id: 'booths', class: 'booths' });
  const noBooth = h('p', { class: 'hint' }, 'No interpretation booth has been used yet.');
  const el = h(
    'section',
    { class: 'panel interpretation', 'aria-labelledby': 'interp-chair-h', hidden: true },
    h('h2', { id: 'interp-chair-h' }, chair ? 'Interpretation' : 'Your language'),
    current,
    form,
    hint,
    chair ? h('h3', null, 'Booths') : null,
    chair ? booths : null,
    chair ? noBooth : null,
  );

  function render() {
    show(el, store.live && (chair || store.holdsFloor()));
    if (el.hidden) return;
    setText(
      current,
      store.floorLang
        ? `The floor’s language: ${store.floorLang} (${language(store.floorLang)}).`
        : 'The floor’s language is not declared.',
    );
    const known = [...new Set(['en', store.floorLang, ...store.booths.keys()].filter(Boolean))];
    if (
      list.options.length !== known.length ||
      [...list.options].some((o, i) => o.value !== known[i])
    )
      list.replaceChildren(...known.map((l) => h('option', { value: l }, language(l))));
    if (!chair) return;
    const all = [...store.booths.values()];
    show(noBooth, all.length === 0);
    syncList(
      booths,
      all,
      (b) => b.lang,
      () => h('li'),
      (li, b) => boothItem(li, store, b, act),
    );
  }
  return { el, render };
}
