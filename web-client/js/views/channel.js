// Interpretation for listeners: which language to listen in. "Floor" is the original (the
// floor's declared language is named when a chair gave it); each booth of the room is a
// channel. The choice is remembered on this device and sent again (media.channel) each time
// the audio connects, so a reconnect or a new peer keeps the language. A channel nobody is
// interpreting right now carries the floor, and the line under the picker says so. With a
// channel chosen, a listener may also hear the floor quietly underneath the interpreter
// (floor_under, -18 dB), as interpretation listeners often like to: remembered the same way.

import { h, setText, show } from '../dom.js';
import { pref, setPref } from '../captions.js';
import { announce } from '../announce.js';

export function channelPicker({ store, request, audio, onChange }) {
  const select = h('select', { id: 'channel-pick' });
  const status = h('p', { class: 'hint', id: 'channel-status' });
  let wanted = pref('channel', '');
  let floorUnder = pref('channelFloorUnder', '') === '1';
  const under = h('input', { type: 'checkbox', id: 'channel-under' });
  const underRow = h(
    'p',
    { class: 'field', hidden: true },
    under,
    h('label', { for: 'channel-under' }, 'Also hear the floor, quietly, underneath'),
  );
  const el = h(
    'section',
    { class: 'panel channel', 'aria-labelledby': 'channel-h', hidden: true },
    h('h2', { id: 'channel-h' }, 'Language'),
    h('label', { for: 'channel-pick' }, 'Listen in'),
    select,
    status,
    underRow,
  );
  select.setAttribute('aria-describedby', 'channel-status');
  select.addEventListener('change', () => {
    wanted = select.value;
    setPref('channel', wanted);
    send(true);
  });
  under.addEventListener('change', () => {
    floorUnder = under.checked;
    setPref('channelFloorUnder', floorUnder ? '1' : '');
    send(true);
  });

  async function send(say) {
    const own = store.you?.lang; // an interpreter's own booth is never theirs to hear
    const lang = wanted && wanted !== own && store.booths.has(wanted) ? wanted : null;
    try {
      const ack = await request({ type: 'media.channel', lang, floor_under: !!lang && floorUnder });
      if (say)
        announce(
          !lang
            ? 'Listening to the floor.'
            : ack.floor_under
              ? `Listening in ${lang}, with the floor underneath.`
              : `Listening in ${lang}.`,
        );
      render(ack);
      onChange?.(); // the interpreter console says what is heard
    } catch (err) {
      render(null); // no audio yet: sent again when it connects
      if (say)
        announce(
          err?.code === 'conflict'
            ? 'Your choice applies when the audio connects.'
            : `The language could not be changed: ${err?.message || err}`,
        );
    }
  }
  audio.onConnected = () => send(false);

  function render(ack) {
    const opts = [['', `Floor${store.floorLang ? ` (${store.floorLang})` : ''}`]];
    // An interpreter may relay another booth, never hear their own.
    for (const lang of store.booths.keys()) if (lang !== store.you?.lang) opts.push([lang, lang]);
    show(el, opts.length > 1);
    if (
      select.options.length !== opts.length ||
      [...select.options].some((o, i) => o.value !== opts[i][0])
    )
      select.replaceChildren(...opts.map(([v, t]) => h('option', { value: v }, t)));
    for (const [i, [, t]] of opts.entries())
      if (select.options[i].text !== t) select.options[i].text = t;
    select.value = store.booths.has(wanted) && wanted !== store.you?.lang ? wanted : '';
    // The booth went away under the keyboard: focus stays in the panel, on the picker.
    if (select.value === '' && underRow.contains(document.activeElement)) select.focus();
    show(underRow, select.value !== '');
    under.checked = ack?.lang ? ack.floor_under : floorUnder; // what the server did, if it said
    const booth = store.booths.get(select.value);
    setText(
      status,
      !booth
        ? 'You hear the floor as spoken.'
        : booth.pid
          ? `${booth.name} is interpreting into ${booth.lang}.`
          : `Nobody is interpreting into ${booth.lang} right now: you hear the floor.`,
    );
    if (ack && ack.on_air === false && booth) announce(status.textContent);
  }
  // What this page hears: a booth's language, or null for the floor (the interpreter console
  // says it beside the booth).
  const heard = () => select.value || null;
  return { el, render: () => render(null), heard };
}
