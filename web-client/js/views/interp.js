// The interpreter console (role interpreter): one booth, one voice at a time. It says in
// words whether this interpreter is on air (their microphone then feeds the booth's
// channel, never the floor) or who is, offers to take the booth (interp.take: the
// colleague's microphone closes as this one opens), and shows the floor's declared
// language. What the interpreter hears is the floor, or another booth (relay), chosen in
// the language picker beside it (channel.js).

import { h, setText, show } from '../dom.js';
import { announce } from '../announce.js';

export function interpConsole({ store, act, audio }) {
  const lang = store.you.lang;
  const onAir = h('p', { class: 'on-air', id: 'interp-air', role: 'status' });
  const floorLang = h('p', { id: 'interp-floor-lang' });
  const take = h(
    'button',
    {
      type: 'button',
      class: 'primary',
      id: 'interp-take',
      onclick: () => act({ type: 'interp.take', lang }, 'Take the booth'),
    },
    'Take the booth',
  );
  const enable = h(
    'button',
    { type: 'button', hidden: true, onclick: () => audio.enableMic() },
    'Enable my microphone',
  );
  const el = h(
    'section',
    { class: 'panel interp', 'aria-labelledby': 'interp-h' },
    h('h2', { id: 'interp-h' }, `Interpreter console: ${lang} booth`),
    onAir,
    take,
    enable,
    floorLang,
  );
  let wasOn = null;

  function render() {
    const booth = store.booths.get(lang);
    const on = !!booth && booth.pid === store.you.pid;
    setText(
      onAir,
      on
        ? `ON AIR: listeners of ${lang} hear you.`
        : booth?.pid
          ? `Off air: ${booth.name} is on air in ${lang}.`
          : `Off air: nobody is on air in ${lang}.`,
    );
    onAir.classList.toggle('live', on);
    show(take, !on && store.live);
    show(enable, !audio.track);
    setText(
      floorLang,
      store.floorLang
        ? `The floor speaks ${store.floorLang}.`
        : 'The floor’s language is not declared.',
    );
    if (wasOn !== null && wasOn !== on) announce(on ? 'You are on air.' : 'You are off air.');
    wasOn = on;
  }
  return { el, render };
}
