// The interpreter console (role interpreter): one booth, one voice at a time. It says in
// words whether this interpreter is on air (their microphone then feeds the booth's
// channel, never the floor) or who is, and why that changed; shows the floor's declared
// language and what the interpreter hears (the floor, or another booth: relay, chosen in
// the language picker beside it, channel.js).
//
// Handing over is the incoming interpreter's act: interp.take closes the colleague's
// microphone as it opens theirs, in one event, so the booth is never silent nor doubled
// (docs/protocol.md, "Interpretation"). So the console of the one on air names the
// colleagues connected to the booth and says how the handover happens; the colleague's
// console offers "Take over from <name>"; and the outgoing one is told, in a status line
// and an assertive announcement, that they are off air and who took over. A handover
// asked for by the one on air would need a message between the two consoles that the
// protocol does not have: booths hand over by sight or by their own channel, and the one
// on air keeps talking until the colleague takes over, as in a physical booth.

import { h, setText, show } from '../dom.js';
import { announce } from '../announce.js';

// Why the booth is as it is, in words, for the interpreter whose pid is me.
function offAirWhy(store, booth, me, wasOn) {
  if (!store.live)
    return store.room.status === 'ended' ? 'the session has ended' : 'the session has not started';
  const mine = wasOn || (booth?.from && booth.from === me); // it was taken from me
  if (!booth?.pid) {
    if (mine && booth?.by && booth.by !== me)
      return `${nameOf(store, booth.by)} took the booth off air`;
    return `nobody is on air in ${store.you.lang}`;
  }
  const took =
    booth.by === booth.pid
      ? `${booth.name} took over from you`
      : `${nameOf(store, booth.by)} handed your booth to ${booth.name}`;
  return `${booth.name} is on air in ${booth.lang}${mine ? `. ${took}` : ''}`;
}

const nameOf = (store, pid) => store.participants.get(pid)?.name || 'a chair';

// On air as far as the server goes, but is anything going out?
function silentWhy(audio) {
  if (!audio.track) return 'your microphone is not enabled';
  if (audio.userMuted) return 'you muted your microphone';
  if (!audio.peerConnected()) return 'the audio connection is not up';
  return null;
}

export function interpConsole({ store, act, audio, channel }) {
  const lang = store.you.lang;
  const me = store.you.pid;
  const onAir = h('p', { class: 'on-air', id: 'interp-air', role: 'status' });
  const take = h('button', {
    type: 'button',
    class: 'primary',
    id: 'interp-take',
    onclick: () => act({ type: 'interp.take', lang }, take.textContent),
  });
  const team = h('p', { id: 'interp-team' });
  const enable = h(
    'button',
    { type: 'button', hidden: true, onclick: () => audio.enableMic() },
    'Enable my microphone',
  );
  const floorLang = h('p', { id: 'interp-floor-lang' });
  const hearing = h('p', { id: 'interp-hear' });
  const el = h(
    'section',
    { class: 'panel interp', 'aria-labelledby': 'interp-h' },
    h('h2', { id: 'interp-h' }, `Interpreter console: ${lang} booth`),
    onAir,
    take,
    enable,
    team,
    floorLang,
    hearing,
    h(
      'p',
      { class: 'hint' },
      'Use a headset: your microphone goes out as it is, without echo cancellation, so ' +
        'loudspeakers would send what you hear back into your channel.',
    ),
  );
  let wasOn = null;

  function colleagues() {
    const out = [];
    for (const p of store.participants.values())
      if (p.role === 'interpreter' && p.lang === lang && p.pid !== me && p.connected)
        out.push(p.name);
    return out;
  }

  function render() {
    const booth = store.booths.get(lang);
    const on = store.live && !!booth && booth.pid === me;
    const silent = on ? silentWhy(audio) : null;
    setText(
      onAir,
      on
        ? silent
          ? `ON AIR, but ${silent}: listeners of ${lang} hear silence.`
          : `ON AIR: listeners of ${lang} hear you.`
        : `Off air: ${offAirWhy(store, booth, me, wasOn)}.`,
    );
    onAir.classList.toggle('live', on);
    setText(
      take,
      booth?.pid && booth.pid !== me ? `Take over from ${booth.name}` : 'Take the booth',
    );
    show(take, !on && store.live);
    show(enable, !audio.track);
    const others = colleagues();
    setText(
      team,
      !others.length
        ? `No colleague is connected to the ${lang} booth.`
        : on
          ? `To hand over, ${others.join(' or ')} presses “Take over” in their console: your microphone closes as theirs opens.`
          : `In the booth: ${others.join(', ')}.`,
    );
    setText(
      floorLang,
      store.floorLang
        ? `The floor speaks ${store.floorLang}.`
        : 'The floor’s language is not declared.',
    );
    const relay = channel?.heard();
    const source = relay && store.booths.get(relay);
    setText(
      hearing,
      source
        ? `You hear the ${relay} booth (relay)${source.pid ? '' : ', which carries the floor while nobody is on air'}.`
        : 'You hear the floor. To relay another booth, choose it under Language.',
    );
    if (wasOn !== null && wasOn !== on)
      announce(on ? `You are on air in ${lang}.` : `You are off air. ${onAir.textContent}`, {
        assertive: true,
      });
    wasOn = on;
  }
  return { el, render };
}
