// Polls and shows of hands. A one-choice poll shows its options as toggle buttons (press
// to vote, press again to withdraw, another to change); a several-choice poll is a set of
// checkboxes and a button. Live progress (poll.progress) and, where the poll allows it,
// live counts; results with numbers beside every bar, the per-group breakdown the server
// published, and the named ballots of a named poll.

import { h, fill, setText, show } from '../dom.js';
import * as f from '../format.js';

// A show of hands has the server's two options ("Raise hand", "Do not raise hand"); the
// client says them so they cannot be mistaken for asking to speak.
const HANDS_CHOICE = ['Raise my hand in this show of hands', 'Do not raise my hand'];
const HANDS_RESULT = ['Hands raised', 'Hands not raised'];
const labels = (p, words) => (p.show_of_hands ? p.options.map((o, i) => words[i] || o) : p.options);

// The base of the percentages: for a show of hands everyone present (those who did not
// answer count), so "12 of 40 present" is never shown as 100 %.
function base(p, r) {
  return p.show_of_hands && r.not_answered !== undefined ? r.voters + r.not_answered : r.voters;
}

export function pollSummary(p) {
  const r = p.result;
  if (p.show_of_hands && r.not_answered !== undefined)
    return `${r.counts[0]} of ${base(p, r)} present raised their hand.`;
  const parts = p.options.map((o, i) => `${o}: ${r.counts[i]}`);
  return `${parts.join('; ')}. ${r.voters} voted.`;
}

function countRows(options, counts, total) {
  return h(
    'ul',
    { class: 'levels counts' },
    options.map((o, i) => {
      const n = counts[i] || 0;
      const pct = total ? Math.round((n * 100) / total) : 0;
      return h(
        'li',
        null,
        h('span', { class: 'opt' }, o),
        h('span', { class: 'bar', 'aria-hidden': 'true' }, h('span', { style: `width:${pct}%` })),
        h('span', { class: 'lvl' }, `${n} (${pct} %)`),
      );
    }),
  );
}

function resultBlock(p) {
  const r = p.result;
  const groups = Object.entries(r.by_group || {});
  return h(
    'div',
    { class: 'result' },
    h('h4', null, p.question, p.show_of_hands ? ' (show of hands)' : ''),
    countRows(labels(p, HANDS_RESULT), r.counts, base(p, r)),
    h(
      'p',
      null,
      p.show_of_hands && r.not_answered !== undefined
        ? `${r.counts[0]} of ${base(p, r)} present raised their hand; ${r.voters} answered, ${r.not_answered} did not${r.ended ? ` · ended ${f.time(r.ended)}` : ''}.`
        : `${r.voters} voted${r.not_answered !== undefined ? `, ${r.not_answered} did not answer` : ''}${r.ended ? ` · ended ${f.time(r.ended)}` : ''}.`,
    ),
    // A table of many options may be wider than a phone: it scrolls on its own (a region
    // that the keyboard can reach), never the page.
    groups.length
      ? h(
          'div',
          {
            class: 'table-scroll',
            role: 'region',
            'aria-label': `By stakeholder group: ${p.question}`,
            tabindex: '0',
          },
          h(
            'table',
            { class: 'by-group' },
            h('caption', null, 'By stakeholder group'),
            h(
              'thead',
              null,
              h(
                'tr',
                null,
                h('th', { scope: 'col' }, 'Group'),
                p.options.map((o) => h('th', { scope: 'col' }, o)),
              ),
            ),
            h(
              'tbody',
              null,
              groups.map(([g, c]) =>
                h(
                  'tr',
                  null,
                  h('th', { scope: 'row' }, f.group(g) || 'No group'),
                  c.map((n) => h('td', null, String(n))),
                ),
              ),
            ),
          ),
        )
      : null,
    r.ballots?.length
      ? h(
          'details',
          null,
          h('summary', null, `Named ballots (${r.ballots.length})`),
          h(
            'ul',
            null,
            r.ballots.map((b) =>
              h(
                'li',
                null,
                `${b.name}${b.group ? ` (${f.group(b.group)})` : ''}: ${b.choices.map((c) => p.options[c]).join(', ') || 'no choice'}`,
              ),
            ),
          ),
        )
      : null,
  );
}

export function pollsPanel({ store, act }) {
  const chair = store.you.role === 'chair';
  const voice = store.canSpeak;
  const openBox = h('div', { class: 'open-item' });
  const none = h('p', { class: 'empty' }, 'No poll is open.');
  const results = h('div', { class: 'results' });
  const el = h(
    'section',
    { class: 'panel polls', 'aria-labelledby': 'polls-h' },
    h('h2', { id: 'polls-h' }, 'Polls and shows of hands'),
    openBox,
    none,
    results,
  );
  let built = null;
  let parts = null;
  let resultsSig = '';

  function vote(p, choices) {
    act({ type: 'poll.vote', poll: p.poll, choices }, 'Vote').then((ack) => {
      if (ack) store.keep(`ballot:${p.poll}`, choices);
    });
  }

  function build(p) {
    const kind = p.show_of_hands
      ? 'Show of hands'
      : p.multiple
        ? 'Poll: choose any number'
        : 'Poll: choose one';
    const privacy = p.anonymous
      ? 'Anonymous: only totals are published.'
      : 'Named: your name and choice go on the public record.';
    const q = h('p', { class: 'question' }, p.question);
    const mine = h('p', { class: 'my-cast', id: 'poll-mine' });
    const progress = h('div', { class: 'progress' });
    let choices = null;
    if (voice && !p.multiple) {
      choices = h(
        'div',
        { class: 'choices', role: 'group', 'aria-label': `Options: ${p.question}` },
        labels(p, HANDS_CHOICE).map((o, i) =>
          h(
            'button',
            {
              type: 'button',
              class: 'choice',
              'aria-pressed': 'false',
              onclick: () => {
                const cur = store.mine(`ballot:${p.poll}`);
                vote(p, cur && cur.length === 1 && cur[0] === i ? [] : [i]);
              },
            },
            o,
          ),
        ),
      );
    } else if (voice) {
      const boxes = p.options.map((o, i) =>
        h('label', { class: 'check' }, h('input', { type: 'checkbox', value: String(i) }), ' ', o),
      );
      choices = h(
        'form',
        {
          class: 'multi',
          onsubmit: (e) => (
            e.preventDefault(),
            vote(
              p,
              boxes.map((b, i) => (b.firstChild.checked ? i : -1)).filter((i) => i >= 0),
            )
          ),
        },
        h('fieldset', null, h('legend', null, p.question), boxes),
        h('button', { type: 'submit', class: 'primary' }, 'Submit my choices'),
      );
      choices.boxes = boxes;
    }
    const end = chair
      ? h(
          'button',
          {
            type: 'button',
            onclick: () => act({ type: 'poll.end', poll: p.poll }, 'End the poll'),
          },
          p.show_of_hands ? 'End the show of hands' : 'End the poll',
        )
      : null;
    fill(
      openBox,
      h('h3', null, kind),
      q,
      h(
        'p',
        { class: 'help' },
        privacy,
        voice && !p.multiple ? ' Press an option to vote, again to withdraw.' : '',
      ),
      choices,
      voice && mine,
      progress,
      end,
    );
    return { choices, mine, progress };
  }

  function render() {
    const p = store.openPoll();
    show(openBox, !!p);
    show(none, !p);
    if (p) {
      if (built !== p.poll) {
        built = p.poll;
        parts = build(p);
      }
      const cur = store.mine(`ballot:${p.poll}`) || [];
      if (parts.choices && !p.multiple)
        [...parts.choices.children].forEach((b, i) => {
          b.setAttribute('aria-pressed', String(cur.includes(i)));
          b.disabled = !store.live;
        });
      if (parts.choices?.boxes && !parts.choices.dataset.synced) {
        parts.choices.dataset.synced = '1';
        parts.choices.boxes.forEach((b, i) => (b.firstChild.checked = cur.includes(i)));
      }
      setText(
        parts.mine,
        cur.length
          ? p.show_of_hands
            ? `Your answer: ${HANDS_CHOICE[cur[0]]}.`
            : `Your vote: ${cur.map((i) => p.options[i]).join(', ')}.`
          : 'You have not voted.',
      );
      const pr = store.pollProgress.get(p.poll);
      const sig = JSON.stringify(pr || null);
      if (parts.progress.dataset.sig !== sig) {
        parts.progress.dataset.sig = sig;
        fill(
          parts.progress,
          pr
            ? h(
                'p',
                null,
                `${pr.voters} voted${pr.not_answered !== undefined ? `, ${pr.not_answered} not answered yet` : ''}.`,
              )
            : null,
          pr?.counts ? countRows(labels(p, HANDS_RESULT), pr.counts, base(p, pr)) : null,
        );
      }
    } else built = null;
    const closed = [...store.polls.values()].filter((x) => !x.open && x.result).reverse();
    const rsig = closed.map((x) => x.poll).join();
    if (rsig === resultsSig) return;
    resultsSig = rsig;
    fill(
      results,
      closed.length ? h('h3', null, 'Results') : null,
      closed.slice(0, 5).map(resultBlock),
    );
  }
  return { el, render };
}
