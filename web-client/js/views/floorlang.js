// Interpretation for the people who steer it: the floor's language, which the chair or the
// floor holder declares (floor.lang) so that interpreters know what they hear and
// listeners which booth to pick; and, for chairs, the booths: who is on air in which
// language, and who else of each booth's team is connected. Everyone else sees the
// declared language in the floor panel (floor.js) and the booths in the language picker.

import { h, setText, show, syncList } from '../dom.js';
import { language } from '../format.js';

// The booth's team besides the one on air: connected interpreters of that language.
function teamOf(store, lang, onAir) {
  const names = [];
  for (const p of store.participants.values())
    if (p.role === 'interpreter' && p.lang === lang && p.connected && p.pid !== onAir)
      names.push(p.name);
  return names;
}

function boothLine(store, b) {
  const team = teamOf(store, b.lang, b.pid);
  const air = b.pid ? `on air: ${b.name}` : 'nobody on air';
  const also = team.length ? `; ${b.pid ? 'also ' : ''}in the booth: ${team.join(', ')}` : '';
  return `${b.lang} (${language(b.lang)}): ${air}${also}`;
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
      (li, b) => setText(li, boothLine(store, b)),
    );
  }
  return { el, render };
}
