// The chair's toolbar, sticky at the top of the page, so that with sixty people waiting the
// session's controls are never thousands of pixels away: next speaker, end the floor, the
// line, a hum, a poll, the end of the session, the queue's filter. Each has a single-key
// shortcut (shortcuts.js); the ones that need words (a hum's question) take the keyboard
// to their form in the desk.

import { h, show } from '../dom.js';
import { shortcut, helpButton } from '../shortcuts.js';

function goTo(id) {
  const el = document.getElementById(id);
  if (!el) return;
  // A heading takes focus only with a tabindex.
  if (/^H\d$/.test(el.tagName)) el.setAttribute('tabindex', '-1');
  el.scrollIntoView({ block: 'center' });
  el.focus({ preventScroll: true });
}

export function deskBar({ store, act }) {
  const cmds = [
    {
      key: 'n',
      id: 'bar-next',
      text: 'Next speaker',
      label: 'Give the floor to the next speaker',
      when: () => store.live && store.queue.length > 0,
      run: () => act({ type: 'queue.next' }, 'Give the floor to the next speaker'),
    },
    {
      key: 'e',
      id: 'bar-end-floor',
      text: 'End the floor',
      label: 'End the current floor',
      when: () => store.live && !!store.floor,
      run: () => act({ type: 'floor.end' }, 'End the floor'),
    },
    {
      key: 'l',
      id: 'bar-line',
      text: 'Open/close line',
      label: 'Open or close the line',
      when: () => store.live,
      run: () =>
        act({ type: store.q.open ? 'queue.close' : 'queue.open' }, 'Open or close the line'),
    },
    {
      key: 'h',
      id: 'bar-hum',
      text: 'Hum…',
      label: 'Call a hum (or go to the open one)',
      when: () => store.live,
      run: () => goTo(store.hum ? 'hum-h' : 'hum-q'),
    },
    {
      key: 'p',
      id: 'bar-poll',
      text: 'Poll…',
      label: 'Call a poll or a show of hands (or go to the open one)',
      when: () => store.live,
      run: () => goTo(store.openPoll() ? 'polls-h' : 'poll-q'),
    },
    {
      key: 'f',
      id: 'bar-filter',
      text: 'Find in queue',
      label: 'Filter the queue by name or group',
      when: () => store.live,
      run: () => goTo('queue-filter'),
    },
    {
      key: 'x',
      id: 'bar-end-session',
      text: 'End session…',
      label: 'End the session (asks first)',
      when: () => store.live,
      run: () => {
        document.getElementById('session-end')?.click();
        goTo('session-end-yes');
      },
    },
  ];
  const buttons = cmds.map((c) => {
    shortcut(c.key, c.label, c.run, c.when);
    return h(
      'button',
      {
        type: 'button',
        id: c.id,
        'aria-keyshortcuts': c.key.toUpperCase(),
        title: `${c.label} (${c.key.toUpperCase()})`,
        onclick: () => c.when() && c.run(),
      },
      c.text,
      h('kbd', { 'aria-hidden': 'true' }, c.key.toUpperCase()),
    );
  });
  const el = h(
    'div',
    { class: 'desk-bar', role: 'group', 'aria-label': 'Chair’s controls' },
    buttons,
    helpButton(),
  );
  function render() {
    show(el, store.live);
    cmds.forEach((c, i) => buttons[i].setAttribute('aria-disabled', String(!c.when())));
  }
  return { el, render };
}
