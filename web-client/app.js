// Plenary's web client: the entry point. It reads the fragment of the address --
//   #room=ID&token=JWT            join with a token (chair, participant, observer, captioner)
//   #room=ID&role=observer[&name=] join a public room as an anonymous observer
//   #room=ID                      ask how to join that room
//   #room=ID&view=display[&token=] the room display for the venue's screen (an observer)
//   (nothing)                     list the public rooms
// The token travels only in the fragment, which browsers never send to servers; once read
// it is moved to this tab's sessionStorage and removed from the address bar, so it is not
// shown on a shared screen, yet a reload still works.

import { h, $ } from './js/dom.js';
import { enterRoom } from './js/room.js';
import * as f from './js/format.js';

const main = $('#main');

function params() {
  return new URLSearchParams(location.hash.replace(/^#/, ''));
}

function setTitle(text) {
  $('#title').textContent = text;
  document.title = text === 'Plenary' ? text : `${text} — Plenary`;
}

function start() {
  const p = params();
  const room = p.get('room');
  if (!room) return landing();
  let token = p.get('token');
  const view = p.get('view') === 'display' ? 'display' : undefined;
  const key = `plenary:token:${room}`;
  try {
    if (token) {
      sessionStorage.setItem(key, token);
      history.replaceState(
        null,
        '',
        `#room=${encodeURIComponent(room)}${view ? `&view=${view}` : ''}`,
      );
    } else token = sessionStorage.getItem(key);
  } catch {
    /* no storage: keep the token in the address */
  }
  if (token) return join({ room, token, view });
  // Without a token the display watches as an anonymous observer.
  if (view) return join({ room, name: 'Room display', view });
  if (p.get('role') === 'observer') return join({ room, name: p.get('name') || '' });
  return askHow(room);
}

function join({ room, token, name, view }) {
  setTitle(room);
  main.replaceChildren(h('p', { class: 'loading' }, 'Joining…'));
  enterRoom({
    room,
    token,
    name,
    view,
    onFail(err) {
      setTitle(err.title);
      if (token) {
        try {
          sessionStorage.removeItem(`plenary:token:${room}`);
        } catch {
          /* nothing kept */
        }
      }
      main.replaceChildren(
        h('div', { class: 'notice error', role: 'alert' }, h('p', null, err.text)),
        h('p', null, h('a', { href: '#' }, 'See the public rooms')),
      );
      main.focus();
    },
  });
}

function observerForm(room) {
  const input = h('input', { id: 'obs-name', autocomplete: 'name', maxlength: '100' });
  return h(
    'form',
    {
      class: 'join-form',
      onsubmit: (e) => {
        e.preventDefault();
        const name = input.value.trim();
        location.hash = `room=${encodeURIComponent(room)}&role=observer${name ? `&name=${encodeURIComponent(name)}` : ''}`;
      },
    },
    h(
      'p',
      { class: 'field' },
      h('label', { for: 'obs-name' }, 'Your name (optional, not shown to others)'),
      input,
    ),
    h('button', { type: 'submit', class: 'primary' }, 'Watch as an observer'),
  );
}

function askHow(room) {
  setTitle(`Join “${room}”`);
  main.replaceChildren(
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'how-h' },
      h('h2', { id: 'how-h' }, 'How do you want to join?'),
      h('p', null, 'To speak, hum or vote, open the personal join link the organisers sent you.'),
      h('p', null, 'In a public room anyone may watch and listen as an observer, without a link:'),
      observerForm(room),
    ),
  );
}

async function landing() {
  setTitle('Plenary');
  const list = h('ul', { class: 'rooms' });
  const status = h('p', null, 'Loading the public rooms…');
  main.replaceChildren(
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'rooms-h' },
      h('h2', { id: 'rooms-h' }, 'Public rooms'),
      status,
      list,
    ),
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'link-h' },
      h('h2', { id: 'link-h' }, 'Have a join link?'),
      h('p', null, 'Open it in this browser: it brings you straight into your room.'),
    ),
  );
  try {
    const r = await fetch('/api/rooms');
    const rooms = await r.json();
    status.textContent = rooms.length ? '' : 'There are no public rooms right now.';
    status.hidden = !!rooms.length;
    list.replaceChildren(
      ...rooms.map((x) =>
        h(
          'li',
          null,
          h('a', { href: `#room=${encodeURIComponent(x.id)}&role=observer` }, `Watch “${x.title}”`),
          ` — ${f.STATUS[x.status] || x.status}, ${x.participants} connected, ${x.observers} observers`,
        ),
      ),
    );
  } catch {
    status.textContent = 'The list of rooms could not be loaded.';
  }
}

// A new room link pasted into the address bar starts over; in-page anchors do not.
const startedWith = params().get('room');
const startedView = params().get('view');
addEventListener('hashchange', () => {
  const p = params();
  if (
    p.has('room') &&
    (p.get('room') !== startedWith ||
      p.has('token') ||
      p.has('role') ||
      p.get('view') !== startedView)
  )
    location.reload();
});
// The skip link moves focus without touching the address (which holds the room).
$('.skip').addEventListener('click', (e) => {
  e.preventDefault();
  main.focus();
});
start();
