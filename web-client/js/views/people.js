// Who is here: chairs, participants and captioners by name (they are on the record), and
// how many observers (counted, never named). The count is in the heading, which folds the
// panel (fold.js: folded on phones, open on wide screens).

import { h, setText, syncList } from '../dom.js';
import * as f from '../format.js';

export function peoplePanel({ store }) {
  const summary = h('span', null, 'People');
  const list = h('ul', { class: 'people' });
  const observers = h('p');
  const el = h(
    'section',
    { class: 'panel people-panel', 'aria-labelledby': 'people-h' },
    h('h2', { id: 'people-h' }, summary),
    list,
    observers,
  );
  const ORDER = { chair: 0, captioner: 1, participant: 2 };

  function render() {
    const people = [...store.participants.values()].sort(
      (a, b) => ORDER[a.role] - ORDER[b.role] || a.name.localeCompare(b.name),
    );
    const online = people.filter((p) => p.connected).length;
    const obs = store.presence?.observers ?? 0;
    setText(
      summary,
      `People: ${store.presence?.participants ?? online} connected, ${obs} observer${obs === 1 ? '' : 's'}`,
    );
    syncList(
      list,
      people,
      (p) => p.pid,
      () => h('li'),
      (li, p) => {
        const bits = [
          f.ROLES[p.role],
          f.group(p.group),
          f.location(p.location),
          p.connected ? '' : 'disconnected',
        ].filter(Boolean);
        setText(
          li,
          `${p.name}${store.you && p.pid === store.you.pid ? ' (you)' : ''} — ${bits.join(', ')}`,
        );
        li.classList.toggle('away', !p.connected);
      },
    );
    setText(observers, `${obs} observer${obs === 1 ? '' : 's'} (not named).`);
  }
  return { el, render };
}
