// The floor: who holds it, their group and location, why they got it, and the clock.
// The countdown is a role="timer" (never read out by itself); the 30-second warning and
// the end are announced by the narrator to the person concerned. The warning stands above
// the clock and never states a number the clock has since passed ("30 seconds or less").

import { h, setText, show } from '../dom.js';
import * as f from '../format.js';

export function floorPanel({ store, act }) {
  const who = h('p', { class: 'floor-who' });
  const meta = h('p', { class: 'floor-meta' });
  const timer = h('p', { class: 'floor-clock', role: 'timer', 'aria-atomic': 'true' });
  const warning = h('p', { class: 'floor-warning', hidden: true });
  const lang = h('p', { class: 'floor-lang', hidden: true });
  const finish = h(
    'button',
    {
      type: 'button',
      class: 'primary',
      hidden: true,
      onclick: () => act({ type: 'floor.end' }, 'Yield the floor'),
    },
    'Yield the floor',
  );
  const chair = store.you.role === 'chair';
  let chairRow = null;
  if (chair) {
    const secs = h('input', {
      id: 'extend-s',
      type: 'number',
      min: '1',
      max: '3600',
      value: '60',
      inputmode: 'numeric',
      class: 'num',
    });
    chairRow = h(
      'div',
      { class: 'row', hidden: true },
      h(
        'button',
        { type: 'button', onclick: () => act({ type: 'floor.end' }, 'End the floor') },
        'End the floor',
      ),
      h(
        'form',
        {
          class: 'row inline',
          onsubmit: (e) => (
            e.preventDefault(),
            act({ type: 'floor.extend', seconds: Number(secs.value) }, 'Extend the floor')
          ),
        },
        h('label', { for: 'extend-s' }, 'Extra seconds'),
        secs,
        h('button', { type: 'submit' }, 'Extend'),
      ),
    );
  }
  const el = h(
    'section',
    { class: 'panel floor', 'aria-labelledby': 'floor-h' },
    h('h2', { id: 'floor-h' }, 'Floor'),
    who,
    meta,
    lang,
    warning,
    timer,
    finish,
    chairRow,
  );

  function tick() {
    const fl = store.floor;
    if (!fl) return setText(timer, '');
    const started = Date.parse(fl.started);
    const elapsed = (store.now() - started) / 1000;
    if (!fl.limit_s)
      return setText(timer, `Speaking for ${f.clock(Math.max(0, elapsed))} (no time limit)`);
    const left = fl.limit_s - elapsed;
    timer.classList.toggle('over', left < 0);
    timer.classList.toggle('low', left >= 0 && left <= 30);
    setText(
      timer,
      left >= 0
        ? `${f.clock(left)} left of ${f.clock(fl.limit_s)}`
        : `Over time by ${f.clock(-left)} (limit ${f.clock(fl.limit_s)})`,
    );
  }
  setInterval(tick, 1000);

  function render() {
    const fl = store.floor;
    el.classList.toggle('mine', store.holdsFloor());
    if (!fl) {
      setText(
        who,
        store.live
          ? 'Nobody has the floor.'
          : store.room.status === 'ended'
            ? 'The session has ended.'
            : 'The session has not started yet.',
      );
      setText(meta, '');
    } else {
      const mine = store.holdsFloor();
      setText(who, mine ? `You have the floor, ${fl.name}.` : `${fl.name} has the floor.`);
      const bits = [f.group(fl.group), f.location(fl.location)];
      if (fl.kind && fl.kind !== 'speak') bits.push(f.KINDS[fl.kind]);
      if (fl.policy) bits.push(f.CHOSEN[fl.policy] || fl.policy);
      setText(meta, bits.filter(Boolean).join(' · '));
    }
    tick();
    show(lang, !!store.floorLang);
    setText(lang, store.floorLang ? `Floor language: ${store.floorLang}` : '');
    const w = store.floorWarning;
    show(warning, !!(fl && w && w.entry === fl.entry));
    if (w)
      setText(
        warning,
        w.remaining_s > 0
          ? `Warning: ${f.spokenDuration(w.remaining_s)} or less left.`
          : 'Time is up.',
      );
    show(finish, store.holdsFloor() && store.live);
    if (chairRow) show(chairRow, !!fl && store.live);
  }
  return { el, render };
}
