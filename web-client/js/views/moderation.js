// The chair's moderation panel (loaded only for chairs): their own microphone (closed until
// they open it, and plainly on air while open), co-chairs' open microphones and the floor
// holder's, and removing a disruptive person -- with a confirmation that says what it does,
// an optional reason, an Undo right after, and the list of removed people to readmit.
// Everything is a command; the panel shows the room as the store folded it.

import { h, setText, show, syncList } from '../dom.js';
import { announce } from '../announce.js';
import * as f from '../format.js';

export function moderationPanel({ store, act }) {
  // --- microphones ---
  const onAir = h('p', { class: 'on-air', id: 'my-mic-state', role: 'status' });
  const myMic = h('button', { type: 'button', id: 'my-mic', onclick: () => toggleMine() });
  const floorMic = h('button', { type: 'button', id: 'floor-mic', onclick: () => toggleFloor() });
  const floorRow = h('p', { class: 'row' }, floorMic);
  const others = h('ul', { class: 'cochair-mics', 'aria-label': 'Co-chairs’ open microphones' });
  const mics = h(
    'div',
    { class: 'desk-part', role: 'region', 'aria-labelledby': 'mics-h' },
    h('h3', { id: 'mics-h' }, 'Microphones'),
    onAir,
    h('p', { class: 'row' }, myMic),
    floorRow,
    others,
  );

  async function toggleMine() {
    const open = store.micOpenFor(store.you.pid);
    const ack = await act(
      { type: open ? 'mic.close' : 'mic.open', pid: store.you.pid },
      open ? 'Close my microphone' : 'Open my microphone',
    );
    if (ack)
      announce(open ? 'Your microphone is closed.' : 'Your microphone is open: you are on air.', {
        assertive: true,
      });
  }

  async function toggleFloor() {
    const fl = store.floor;
    if (!fl?.pid) return;
    const open = store.micOpenFor(fl.pid);
    const ack = await act(
      { type: open ? 'mic.close' : 'mic.open', pid: fl.pid },
      open ? 'Mute the floor holder' : 'Unmute the floor holder',
    );
    if (ack) announce(`${fl.name} is ${open ? 'muted; they keep the floor' : 'unmuted'}.`);
  }

  // --- removing ---
  let asking = null; // the pid whose removal is being confirmed
  let undo = null; // {pid, name}: the last removal, for Undo
  const people = h('ul', { class: 'mod-people' });
  const undoText = h('span');
  const undoBtn = h(
    'button',
    { type: 'button', id: 'remove-undo', onclick: () => readmit(undo, true) },
    'Undo',
  );
  const undoBox = h('p', { class: 'notice', hidden: true }, undoText, ' ', undoBtn);
  const removedList = h('ul', { class: 'removed', 'aria-label': 'Removed people' });
  const removedNote = h('p', { class: 'empty' }, 'Nobody has been removed.');
  const remove = h(
    'div',
    { class: 'desk-part', role: 'region', 'aria-labelledby': 'remove-h' },
    h('h3', { id: 'remove-h' }, 'Remove a person'),
    people,
    undoBox,
    h('h4', null, 'Removed'),
    removedNote,
    removedList,
  );

  function confirmBox(p) {
    const id = `rm-${p.pid}`;
    const reason = h('input', { id: `${id}-reason`, autocomplete: 'off', maxlength: '200' });
    const yes = h(
      'button',
      {
        type: 'submit',
        class: 'danger',
        id: `${id}-yes`,
      },
      `Remove ${p.name}`,
    );
    const no = h('button', { type: 'button', onclick: () => ask(null, p.pid) }, 'Cancel');
    return h(
      'form',
      {
        class: 'confirm',
        'aria-labelledby': `${id}-q`,
        onsubmit: (e) => (e.preventDefault(), doRemove(p, reason.value.trim())),
      },
      h(
        'p',
        { id: `${id}-q` },
        `Remove ${p.name} from the meeting? All their connections close, their place in the queue and any floor they hold end, and they cannot rejoin until a chair readmits them. This is on the public record.`,
      ),
      h(
        'p',
        { class: 'field' },
        h('label', { for: `${id}-reason` }, 'Reason (optional, shown to them and on the record)'),
        reason,
      ),
      h('div', { class: 'row' }, yes, no),
    );
  }

  function ask(pid, back) {
    asking = pid;
    render();
    const target = pid
      ? document.getElementById(`rm-${pid}-reason`)
      : document.getElementById(`rm-${back}-btn`);
    target?.focus();
  }

  async function doRemove(p, reason) {
    const cmd = { type: 'participant.remove', pid: p.pid };
    if (reason) cmd.reason = reason;
    const ack = await act(cmd, `Remove ${p.name}`);
    if (!ack) return;
    asking = null;
    undo = { pid: p.pid, name: p.name };
    render();
    announce(`${p.name} was removed from the meeting. Undo is available.`, { assertive: true });
    undoBtn.focus();
  }

  async function readmit(p, isUndo) {
    if (!p) return;
    const ack = await act({ type: 'participant.readmit', pid: p.pid }, `Readmit ${p.name}`);
    if (!ack) return;
    if (isUndo || undo?.pid === p.pid) undo = null;
    render();
    announce(`${p.name} is readmitted and may join again.`);
  }

  const el = h(
    'section',
    { class: 'panel moderation', 'aria-labelledby': 'mod-h' },
    h('h2', { id: 'mod-h' }, 'Moderation'),
    mics,
    remove,
  );

  function renderMics() {
    const live = store.live;
    const mine = store.micOpenFor(store.you.pid);
    show(mics, live);
    setText(
      onAir,
      mine
        ? 'On air: your microphone is open and everyone hears you.'
        : 'Your microphone is closed.',
    );
    onAir.classList.toggle('live', mine);
    setText(myMic, mine ? 'Close my microphone' : 'Open my microphone');
    myMic.setAttribute('aria-pressed', String(mine));
    const fl = store.floor;
    const holder = fl?.pid && fl.pid !== store.you.pid ? fl : null;
    show(floorRow, !!holder);
    if (holder)
      setText(
        floorMic,
        store.micOpenFor(holder.pid)
          ? `Mute ${holder.name} (they keep the floor)`
          : `Unmute ${holder.name}`,
      );
    const open = [...store.chairMics].filter((pid) => pid !== store.you.pid);
    syncList(
      others,
      open,
      (pid) => pid,
      (pid) =>
        h(
          'li',
          null,
          h('span'),
          ' ',
          h(
            'button',
            {
              type: 'button',
              onclick: () => act({ type: 'mic.close', pid }, 'Close a co-chair’s microphone'),
            },
            'Close their microphone',
          ),
        ),
      (li, pid) =>
        setText(li.firstChild, `${store.participants.get(pid)?.name || pid}’s microphone is open.`),
    );
  }

  function renderPeople() {
    const list = [...store.participants.values()]
      .filter((p) => p.role !== 'chair' && p.pid !== store.you.pid)
      .sort((a, b) => a.name.localeCompare(b.name));
    syncList(
      people,
      list,
      (p) => p.pid + (asking === p.pid ? ':ask' : ''),
      (p) =>
        asking === p.pid
          ? h('li', null, confirmBox(p))
          : h(
              'li',
              null,
              h('span'),
              ' ',
              h(
                'button',
                { type: 'button', id: `rm-${p.pid}-btn`, onclick: () => ask(p.pid) },
                'Remove…',
              ),
            ),
      (li, p) => {
        if (asking !== p.pid)
          setText(
            li.firstChild,
            `${p.name} — ${f.ROLES[p.role]}${p.group ? `, ${f.group(p.group)}` : ''}`,
          );
      },
    );
    show(undoBox, !!undo && store.removed.has(undo.pid));
    if (undo) setText(undoText, `${undo.name} was removed.`);
    const removed = [...store.removed.values()];
    show(removedNote, !removed.length);
    syncList(
      removedList,
      removed,
      (p) => p.pid,
      (p) =>
        h(
          'li',
          null,
          h('span'),
          ' ',
          h(
            'button',
            { type: 'button', id: `readmit-${p.pid}`, onclick: () => readmit(p, false) },
            `Readmit ${p.name}`,
          ),
        ),
      (li, p) =>
        setText(
          li.firstChild,
          `${p.name}${p.reason ? ` (“${p.reason}”)` : ''}, removed by ${store.participants.get(p.by)?.name || p.by}.`,
        ),
    );
  }

  function render() {
    renderMics();
    show(remove, store.room.status !== 'ended');
    renderPeople();
  }
  return { el, render };
}
