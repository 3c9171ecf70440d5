// The chair's desk: the session (start, end with a confirmation), the queue's rules (policy,
// time limit, automatic end), adding an in-room speaker, calling hums and polls (and shows
// of hands), and who is trying to speak with a closed microphone (fed by the media side
// through private mic.attempt messages).

import { h, fill, setText, show } from '../dom.js';
import * as f from '../format.js';

const field = (id, label, input, hint) =>
  h(
    'p',
    { class: 'field' },
    h('label', { for: id }, label),
    input,
    hint ? h('span', { class: 'help', id: `${id}-hint` }, hint) : null,
  );

function lines(text) {
  return text
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean);
}

export function chairPanel({ store, act }) {
  // --- session ---
  const title = h('input', { id: 'session-title', autocomplete: 'off' });
  const startForm = h(
    'form',
    {
      onsubmit: (e) => (
        e.preventDefault(),
        act(
          title.value.trim()
            ? { type: 'session.start', title: title.value.trim() }
            : { type: 'session.start' },
          'Start the session',
        )
      ),
    },
    field('session-title', 'Session title (optional)', title),
    h('button', { type: 'submit', class: 'primary', id: 'session-start' }, 'Start the session'),
  );
  const confirmYes = h(
    'button',
    {
      type: 'button',
      class: 'danger',
      id: 'session-end-yes',
      onclick: () => act({ type: 'session.end' }, 'End the session').then(() => ask(false)),
    },
    'Yes, end the session',
  );
  const confirmNo = h('button', { type: 'button', onclick: () => ask(false) }, 'Cancel');
  const confirm = h(
    'div',
    { class: 'confirm', hidden: true, role: 'group', 'aria-labelledby': 'end-q' },
    h(
      'p',
      { id: 'end-q' },
      'End the session for everyone? The floor, any hum and any poll end too, and the record is sealed.',
    ),
    h('div', { class: 'row' }, confirmYes, confirmNo),
  );
  const endBtn = h(
    'button',
    { type: 'button', id: 'session-end', onclick: () => ask(true) },
    'End the session…',
  );
  const endBox = h('div', null, endBtn, confirm);
  function ask(on) {
    show(confirm, on);
    show(endBtn, !on);
    (on ? confirmYes : endBtn).focus();
  }
  const sessionState = h('p');
  const session = h(
    'div',
    { class: 'desk-part' },
    h('h3', null, 'Session'),
    sessionState,
    startForm,
    endBox,
  );

  // --- queue rules ---
  const policy = h(
    'select',
    { id: 'q-policy' },
    Object.entries(f.POLICIES).map(([v, t]) => h('option', { value: v }, t)),
  );
  const limit = h('input', {
    id: 'q-limit',
    type: 'number',
    min: '0',
    max: '86400',
    inputmode: 'numeric',
    class: 'num',
    'aria-describedby': 'q-limit-hint',
  });
  const autoEnd = h('input', { id: 'q-auto', type: 'checkbox' });
  let rulesDirty = false;
  const rulesForm = h(
    'form',
    {
      oninput: () => (rulesDirty = true),
      onsubmit: (e) => {
        e.preventDefault();
        act(
          {
            type: 'queue.policy',
            policy: policy.value,
            time_limit_s: Number(limit.value) || 0,
            auto_end: autoEnd.checked,
          },
          'Change the queue rules',
        ).then((ack) => ack && (rulesDirty = false));
      },
    },
    field('q-policy', 'Order', policy),
    field('q-limit', 'Time per speaker (seconds)', limit, '0 means no limit.'),
    h(
      'p',
      { class: 'field' },
      autoEnd,
      h('label', { for: 'q-auto' }, 'End the floor automatically when time is up'),
    ),
    h('button', { type: 'submit' }, 'Apply the rules'),
  );
  const rules = h('details', { class: 'desk-part' }, h('summary', null, 'Queue rules'), rulesForm);

  // --- add an in-room speaker ---
  const addName = h('input', { id: 'add-name', autocomplete: 'off', required: true });
  const addGroup = h('input', { id: 'add-group', list: 'group-list', autocomplete: 'off' });
  const addKind = h(
    'select',
    { id: 'add-kind' },
    Object.entries(f.KINDS).map(([v, t]) => h('option', { value: v }, t)),
  );
  const groups = h(
    'datalist',
    { id: 'group-list' },
    Object.entries(f.GROUPS).map(([v, t]) => h('option', { value: v }, t)),
  );
  const addForm = h(
    'form',
    {
      onsubmit: (e) => {
        e.preventDefault();
        const cmd = { type: 'queue.add', name: addName.value.trim(), kind: addKind.value };
        if (addGroup.value.trim()) cmd.group = addGroup.value.trim();
        act(cmd, 'Add a speaker').then((ack) => {
          if (ack) addName.value = addGroup.value = '';
        });
      },
    },
    field('add-name', 'Name', addName),
    field('add-group', 'Stakeholder group (optional)', addGroup),
    groups,
    field('add-kind', 'Kind', addKind),
    h('button', { type: 'submit' }, 'Add to the queue'),
  );
  const add = h(
    'details',
    { class: 'desk-part' },
    h('summary', null, 'Add a speaker in the room'),
    addForm,
  );

  // --- hums ---
  const humQ = h('input', { id: 'hum-q', autocomplete: 'off', required: true });
  const humOpts = h(
    'textarea',
    { id: 'hum-opts', rows: '3', 'aria-describedby': 'hum-opts-hint' },
    'Support\nOppose',
  );
  const humForm = h(
    'form',
    {
      class: 'desk-part',
      onsubmit: (e) => {
        e.preventDefault();
        act(
          { type: 'hum.start', question: humQ.value.trim(), options: lines(humOpts.value) },
          'Start a hum',
        ).then((ack) => ack && (humQ.value = ''));
      },
    },
    h('h3', null, 'Call a hum'),
    field('hum-q', 'Question', humQ),
    field(
      'hum-opts',
      'Options, one per line (2 to 5)',
      humOpts,
      'People hum for one option; the result is a level per option, not a count.',
    ),
    h('button', { type: 'submit', id: 'hum-start' }, 'Start the hum'),
  );

  // --- polls ---
  const pollQ = h('input', { id: 'poll-q', autocomplete: 'off', required: true });
  const pollOpts = h(
    'textarea',
    { id: 'poll-opts', rows: '3', 'aria-describedby': 'poll-opts-hint' },
    'Yes\nNo\nAbstain',
  );
  const multiple = h('input', { type: 'checkbox', id: 'poll-multi' });
  const anonymous = h('input', { type: 'checkbox', id: 'poll-anon', defaultChecked: true });
  const liveCounts = h('input', { type: 'checkbox', id: 'poll-live' });
  const check = (input, label) =>
    h('p', { class: 'field' }, input, h('label', { for: input.id }, label));
  const pollForm = h(
    'form',
    {
      class: 'desk-part',
      onsubmit: (e) => {
        e.preventDefault();
        const hands = e.submitter?.value === 'hands';
        const cmd = hands
          ? { type: 'poll.start', question: pollQ.value.trim(), show_of_hands: true }
          : {
              type: 'poll.start',
              question: pollQ.value.trim(),
              options: lines(pollOpts.value),
              multiple: multiple.checked,
              anonymous: anonymous.checked,
              live_counts: liveCounts.checked,
            };
        // A started poll resets the form: the next one must not be named by accident.
        act(cmd, hands ? 'Start a show of hands' : 'Start a poll').then(
          (ack) => ack && pollForm.reset(),
        );
      },
    },
    h('h3', null, 'Call a poll or a show of hands'),
    field('poll-q', 'Question', pollQ),
    field('poll-opts', 'Options, one per line (2 to 20; not used for a show of hands)', pollOpts),
    check(multiple, 'Several choices allowed'),
    check(anonymous, 'Anonymous (only totals are published)'),
    check(liveCounts, 'Show counts to everyone while open'),
    h(
      'div',
      { class: 'row' },
      h('button', { type: 'submit', value: 'poll', id: 'poll-start' }, 'Start the poll'),
      h('button', { type: 'submit', value: 'hands', id: 'hands-start' }, 'Start a show of hands'),
    ),
  );

  // --- closed-mic speech ---
  const attempts = h('ul', { class: 'attempts' });
  const attemptsNote = h(
    'p',
    { class: 'empty' },
    'Nobody is trying to speak with a closed microphone.',
  );
  const mics = h(
    'div',
    { class: 'desk-part', role: 'region', 'aria-labelledby': 'attempts-h' },
    h('h3', { id: 'attempts-h' }, 'Speaking with a closed microphone'),
    attemptsNote,
    attempts,
  );

  const el = h(
    'section',
    { class: 'panel desk', 'aria-labelledby': 'desk-h' },
    h('h2', { id: 'desk-h' }, 'Chair’s desk'),
    session,
    rules,
    add,
    humForm,
    pollForm,
    mics,
  );
  let attemptsSig = '';

  function render() {
    const st = store.room.status;
    setText(sessionState, `The session is ${f.STATUS[st].toLowerCase()}.`);
    show(startForm, st === 'scheduled');
    show(endBox, st === 'live');
    for (const part of [rules, add, humForm, pollForm, mics]) show(part, st === 'live');
    if (!rulesDirty && !rulesForm.contains(document.activeElement)) {
      policy.value = store.q.policy;
      limit.value = String(store.q.time_limit_s);
      autoEnd.checked = store.q.auto_end;
    }
    humForm.querySelector('button').disabled = !!store.hum;
    for (const b of pollForm.querySelectorAll('button')) b.disabled = !!store.openPoll();
    const recent = store.micAttempts.filter((a) => Date.now() - a.at < 15000);
    const sig = recent.map((a) => a.pid + a.at).join();
    if (sig !== attemptsSig) {
      attemptsSig = sig;
      fill(
        attempts,
        recent.map((a) =>
          h(
            'li',
            null,
            `${a.name || a.pid}${a.group ? ` (${f.group(a.group)})` : ''} is speaking with a closed microphone.`,
          ),
        ),
      );
      show(attemptsNote, !recent.length);
    }
  }
  setInterval(render, 5000); // let old attempts fade
  return { el, render };
}
