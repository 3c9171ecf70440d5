// What is said to screen readers as the room changes. It compares a few facts before and
// after each batch of changes rather than reacting to single events, so a resume that
// replays twenty events produces one sensible sentence per fact, not twenty.
//
// Assertive only for what concerns this person now: being given the floor, losing it,
// the floor's clock running out. Everything else is polite: who has the floor, one's own
// place in the queue, the line opening or closing, hums and polls opening and their
// results, the session starting and ending.

import { announce } from './announce.js';
import * as f from './format.js';

function facts(s) {
  const me = s.myEntry();
  const open = s.openPoll();
  return {
    status: s.room.status,
    floor: s.floor ? s.floor.entry : null,
    mine: s.holdsFloor(),
    pos: me ? me.position : 0,
    entry: me ? me.entry : null,
    lineOpen: s.q.open,
    hum: s.hum ? s.hum.hum : null,
    hums: s.hums.length,
    poll: open ? open.poll : null,
    pollsDone: [...s.polls.values()].filter((p) => p.result).length,
  };
}

// micWords: what to say of my microphone when I get the floor (it may be muted by me).
export function narrator(store, micWords = () => 'Your microphone is open.') {
  let prev = store.you ? facts(store) : null;
  let lastFloorEnd = null; // {entry, reason} from the latest floor.ended event
  let removedMine = null;

  store.subscribe((c) => {
    if (c.source === 'event' && c.kind === 'floor.ended') lastFloorEnd = c.data;
    if (
      c.source === 'event' &&
      c.kind === 'queue.removed' &&
      c.before.entry &&
      c.before.entry.entry === c.data.entry
    )
      removedMine = c.data.reason;
    if (c.source === 'live' && c.kind === 'floor.warning') warn(c.data);
    // A chair changed this person's microphone (moderation): said at once.
    const d = c.data || {};
    if (c.source === 'event' && !c.replay && d.pid === store.you.pid && d.by !== d.pid) {
      const by = store.participants.get(d.by)?.name || 'A chair';
      if (c.kind === 'mic.closed' && d.by)
        announce(`${by} closed your microphone.`, { assertive: true });
      if (c.kind === 'mic.opened')
        announce(`${by} opened your microphone again.`, { assertive: true });
    }
    // Chairs hear of points of order as they are raised: they interrupt the discussion.
    if (
      c.source === 'event' &&
      c.kind === 'queue.raised' &&
      c.data.kind === 'point_of_order' &&
      store.you.role === 'chair' &&
      !c.replay
    )
      announce(`Point of order from ${c.data.name}.`);
    if (c.source === 'join' && c.first) prev = facts(store);
  });

  function warn(d) {
    const fl = store.floor;
    if (!fl || fl.entry !== d.entry) return;
    const text = d.remaining_s > 0 ? `${f.spokenDuration(d.remaining_s)} left` : 'time is up';
    if (store.holdsFloor()) announce(`Your floor: ${text}.`, { assertive: true });
    else if (store.you.role === 'chair') announce(`${fl.name}: ${text}.`);
  }

  // Called once per render batch.
  return function narrate() {
    if (!prev || store.replaying) return;
    const now = facts(store);
    const p = prev;
    prev = now;
    if (p.status !== now.status) {
      if (now.status === 'live') announce('The session has started.');
      if (now.status === 'ended') announce('The session has ended.');
    }
    if (p.floor !== now.floor) {
      if (p.mine && !now.mine) {
        const why =
          lastFloorEnd && lastFloorEnd.entry === p.floor ? f.END_REASONS[lastFloorEnd.reason] : '';
        announce(`Your floor has ended${why ? `: ${why}` : ''}.`, { assertive: true });
      }
      const fl = store.floor;
      if (now.mine) {
        const limit = fl.limit_s ? ` You have ${f.spokenDuration(fl.limit_s)}.` : '';
        announce(`You have the floor. ${micWords()}${limit}`, { assertive: true });
      } else if (fl) announce(`${f.who(fl)} has the floor.`);
      else if (!p.mine && now.status === 'live') announce('The floor is free.');
    }
    if (p.entry !== now.entry || p.pos !== now.pos) {
      if (now.pos && !p.pos)
        announce(`You asked to speak. You are ${f.ordinal(now.pos)} in the queue.`);
      else if (now.pos) announce(`You are now ${f.ordinal(now.pos)} in the queue.`);
      else if (p.pos && !now.mine) {
        if (removedMine === 'chair')
          announce('The chair removed your request to speak from the queue.');
        else if (removedMine === 'left')
          announce('Your request to speak was withdrawn while you were disconnected.');
        else announce('You withdrew your request to speak.');
      }
      removedMine = null;
    }
    if (p.lineOpen !== now.lineOpen && now.status === 'live')
      announce(
        now.lineOpen
          ? 'The line is open.'
          : 'The line is closed: only points of order can be raised.',
      );
    if (now.hum !== null && p.hum !== now.hum) {
      const h = store.hum;
      announce(`A hum is open: ${h.question} Options: ${h.options.join(', ')}.`);
    }
    if (now.hums > p.hums && p.hum !== null) {
      const r = store.hums.find((x) => x.hum === p.hum);
      // The panels' modules load with the first hum or poll (room.js): by now, or soon.
      if (r)
        import('./views/hum.js').then((m) =>
          announce(`Hum result: ${r.question} ${m.humSummary(r)}`),
        );
    }
    if (now.poll !== null && p.poll !== now.poll) {
      const pl = store.openPoll();
      announce(
        pl.show_of_hands
          ? `Show of hands: ${pl.question}`
          : `A poll is open: ${pl.question} Options: ${pl.options.join(', ')}.`,
      );
    }
    if (now.pollsDone > p.pollsDone && p.poll !== null) {
      const last = store.polls.get(p.poll);
      if (last?.result)
        import('./views/polls.js').then((m) =>
          announce(
            `${last.show_of_hands ? 'Show of hands' : 'Poll'} result: ${last.question} ${m.pollSummary(last)}`,
          ),
        );
    }
  };
}
