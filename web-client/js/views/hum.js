// Hums (RFC 7282): the room's sense, not a vote. An open hum shows its options as toggle
// buttons: pressing one hums for it, pressing it again withdraws; it can change until the
// chair ends the hum. Chairs see the live levels (private hum.levels). Results show a
// level word per option -- never colour alone -- and counts only when the server gives them.

import { h, fill, setText, show } from '../dom.js';
import * as f from '../format.js';

export function levelRows(options, levels, counts) {
  return h(
    'ul',
    { class: 'levels' },
    options.map((o, i) => {
      const lv = levels?.[i] || 'none';
      return h(
        'li',
        null,
        h('span', { class: 'opt' }, o),
        h(
          'span',
          { class: 'bar', 'aria-hidden': 'true' },
          h('span', { style: `width:${f.LEVEL_RANK[lv] * 25}%` }),
        ),
        h('span', { class: 'lvl' }, f.LEVELS[lv] || lv, counts ? ` (${counts[i]})` : ''),
      );
    }),
  );
}

export function humSummary(r) {
  const parts = r.options.map(
    (o, i) =>
      `${o}: ${(f.LEVELS[r.levels[i]] || r.levels[i]).toLowerCase()}${r.counts ? ` (${r.counts[i]})` : ''}`,
  );
  return `${parts.join('; ')}. ${r.responded} of ${r.eligible} responded.`;
}

export function humPanel({ store, act }) {
  const chair = store.you.role === 'chair';
  const voice = store.canSpeak;
  const question = h('p', { class: 'question' });
  const help = h(
    'p',
    { class: 'help' },
    'Choose one option to hum for; press it again to withdraw. You can change until the chair ends the hum. Nobody sees who hummed what.',
  );
  const options = h('div', { class: 'choices', role: 'group', 'aria-label': 'Hum options' });
  const myCast = h('p', { class: 'my-cast', id: 'hum-mine' });
  const levels = h('div', { class: 'live-levels' });
  const endBtn = h(
    'button',
    {
      type: 'button',
      onclick: () => store.hum && act({ type: 'hum.end', hum: store.hum.hum }, 'End the hum'),
    },
    'End the hum',
  );
  const open = h(
    'div',
    { class: 'open-item' },
    question,
    voice && help,
    voice && options,
    voice && myCast,
    chair && h('h3', null, 'Live levels (chairs only)'),
    chair && levels,
    chair && endBtn,
  );
  const none = h('p', { class: 'empty' }, 'No hum is open.');
  const results = h('div', { class: 'results' });
  const el = h(
    'section',
    { class: 'panel hum', 'aria-labelledby': 'hum-h' },
    h('h2', { id: 'hum-h' }, 'Hum'),
    open,
    none,
    results,
  );
  let builtFor = null;
  let levelsSig = '';
  let resultsSig = '';

  function cast(i) {
    const hum = store.hum;
    if (!hum) return;
    const current = store.mine('hum');
    const option = current && current.hum === hum.hum && current.option === i ? null : i;
    act({ type: 'hum.cast', hum: hum.hum, option }, 'Hum').then((ack) => {
      if (ack) store.keep('hum', { hum: hum.hum, option });
    });
  }

  function render() {
    const hum = store.hum;
    show(open, !!hum);
    show(none, !hum);
    if (hum) {
      setText(question, hum.question);
      if (voice && builtFor !== hum.hum) {
        builtFor = hum.hum;
        fill(
          options,
          hum.options.map((o, i) =>
            h(
              'button',
              { type: 'button', class: 'choice', 'aria-pressed': 'false', onclick: () => cast(i) },
              o,
            ),
          ),
        );
      }
      const mine = store.mine('hum');
      const chosen = mine && mine.hum === hum.hum ? mine.option : null;
      if (voice) {
        [...options.children].forEach((b, i) =>
          b.setAttribute('aria-pressed', String(chosen === i)),
        );
        setText(
          myCast,
          chosen === null || chosen === undefined
            ? 'You have not hummed.'
            : `You hum for: ${hum.options[chosen]}.`,
        );
        for (const b of options.children) b.disabled = !store.live;
      }
      if (chair) {
        const lv = store.humLevels;
        const sig = JSON.stringify(lv);
        if (sig !== levelsSig) {
          levelsSig = sig;
          // Below min_responded the server withholds the levels, so that one person's
          // hum cannot be read from a change in them: say so instead of showing "none".
          const body = !lv
            ? h('p', null, 'Waiting for the first levels…')
            : lv.levels
              ? [
                  levelRows(hum.options, lv.levels),
                  h('p', null, `${lv.responded} of ${lv.eligible} responded.`),
                ]
              : h(
                  'p',
                  null,
                  `${lv.responded} of ${lv.eligible} responded. Levels appear once ${lv.min_responded} have hummed, so no one's hum can be read from them.`,
                );
          fill(levels, body);
        }
      }
    }
    const done = store.hums.slice().reverse();
    const sig = done.map((r) => r.hum).join();
    if (sig === resultsSig) return;
    resultsSig = sig;
    fill(
      results,
      done.length ? h('h3', null, done.length > 1 ? 'Results' : 'Result') : null,
      done
        .slice(0, 5)
        .map((r) =>
          h(
            'div',
            { class: 'result' },
            h('h4', null, r.question),
            levelRows(r.options, r.levels, r.counts),
            h(
              'p',
              null,
              `${r.responded} of ${r.eligible} eligible responded${r.ended ? ` · ended ${f.time(r.ended)}` : ''}.`,
            ),
          ),
        ),
    );
  }
  return { el, render };
}
