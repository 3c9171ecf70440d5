// The speaking queue as the server keeps it (queue/queue.c and queue/policy.c), so the
// order people see after each event is the order the server would really give the floor.
//
// Entries are kept in raising order (entry ids grow with each raise) or, after a chair
// moved someone, in chair order. The shown order is a simulation: pick the next speaker
// as the policy would, update a copy of the history (which group spoke last, which
// location had the last floor) as a grant would, repeat. Points of order come first in
// raising order, then clarify/reply, then speak; the policy chooses within a class.
//
// The snapshot a join brings shows the order but not the history behind it (nor whether
// the chair has taken over the order), so seed() finds a history that reproduces the
// shown order and falls back to chair order when none does. From then on every event is
// folded exactly as the server folds it.

const PRIO = { point_of_order: 0, clarify: 1, reply: 1, speak: 2 };
const prio = (e) => PRIO[e.kind] ?? 2;

export function emptyQueue() {
  return {
    open: true,
    policy: 'fifo',
    time_limit_s: 180,
    auto_end: false,
    chairOrder: false,
    entries: [],
    floor: null,
    turns: 0,
    groupTurn: new Map(),
    lastLocation: null,
  };
}

function choose(q, rule, p, taken, gt) {
  const es = q.entries;
  let best = -1;
  for (let i = 0; i < es.length; i++) {
    if (taken[i] || prio(es[i]) !== p) continue;
    if (rule === 'groups_round_robin') {
      if (best < 0 || gt[i] < gt[best]) best = i;
    } else if (rule === 'alternate_location') {
      if (best < 0) best = i;
      if (q.lastLocation && es[i].location !== q.lastLocation) return i;
    } else return i;
  }
  return best;
}

// Waiting entries in the order they would get the floor.
export function order(q) {
  if (q.chairOrder) return q.entries.slice();
  const es = q.entries;
  const taken = es.map(() => false);
  const rr = q.policy === 'groups_round_robin';
  const gt = es.map((e) => q.groupTurn.get(e.group) || 0);
  const sim = { ...q }; // lastLocation changes as the simulation grants
  let turns = q.turns;
  const out = [];
  for (let k = 0; k < es.length; k++) {
    let i = -1;
    for (let p = 0; p < 3 && i < 0; p++) i = choose(sim, p === 0 ? 'fifo' : q.policy, p, taken, gt);
    const e = es[i];
    out.push(e);
    taken[i] = true;
    turns++;
    sim.lastLocation = e.location;
    if (rr)
      for (let j = 0; j < es.length; j++) if (!taken[j] && es[j].group === e.group) gt[j] = turns;
  }
  return out;
}

const ids = (list) => list.map((e) => e.entry).join(',');

// Rebuilds the model from a snapshot's queue. prev, if given, is the model the client had
// (its history is the best guess when it still explains the shown order).
export function seed(snap, prev) {
  const q = emptyQueue();
  q.open = snap.open;
  q.policy = snap.policy;
  q.time_limit_s = snap.time_limit_s ?? 0;
  q.auto_end = !!snap.auto_end;
  q.floor = snap.floor ? { ...snap.floor } : null;
  const shown = snap.entries.map((e) => ({ ...e }));
  const raising = shown.slice().sort((a, b) => a.entry - b.entry);
  const want = ids(shown);
  const floorLoc = q.floor?.location || null;
  const candidates = [];
  if (prev)
    candidates.push({
      turns: prev.turns,
      groupTurn: new Map(prev.groupTurn),
      lastLocation: prev.lastLocation,
    });
  if (q.policy === 'groups_round_robin') {
    const gt = new Map();
    for (const e of shown) if (prio(e) && !gt.has(e.group)) gt.set(e.group, gt.size + 1);
    const withFloor = new Map(gt);
    if (q.floor && !withFloor.has(q.floor.group)) withFloor.set(q.floor.group, withFloor.size + 1);
    candidates.push({ turns: withFloor.size, groupTurn: withFloor, lastLocation: floorLoc });
    candidates.push({ turns: gt.size, groupTurn: gt, lastLocation: floorLoc });
  } else {
    for (const loc of [floorLoc, 'remote', 'room', null])
      candidates.push({ turns: 0, groupTurn: new Map(), lastLocation: loc });
  }
  for (const c of candidates) {
    Object.assign(q, c, { entries: raising, chairOrder: false });
    if (ids(order(q)) === want) return q;
  }
  Object.assign(q, candidates[candidates.length - 1], { entries: shown, chairOrder: true });
  return q;
}

// The fold of one queue event; returns false when it does not fit (the caller resyncs).
export function applyQueue(q, kind, d, ts) {
  const idx = (entry) => q.entries.findIndex((e) => e.entry === entry);
  switch (kind) {
    case 'queue.raised': {
      const e = {
        entry: d.entry,
        pid: d.pid ?? null,
        name: d.name,
        group: d.group || '',
        location: d.location || 'remote',
        kind: d.kind || 'speak',
        raised: ts,
      };
      let at = q.entries.length;
      if (q.chairOrder && e.kind === 'point_of_order') {
        at = 0;
        while (at < q.entries.length && q.entries[at].kind === 'point_of_order') at++;
      }
      q.entries.splice(at, 0, e);
      return true;
    }
    case 'queue.lowered':
    case 'queue.removed': {
      const i = idx(d.entry);
      if (i < 0) return false;
      q.entries.splice(i, 1);
      if (!q.entries.length) q.chairOrder = false;
      return true;
    }
    case 'queue.moved': {
      if (idx(d.entry) < 0 || d.position >= q.entries.length) return false;
      if (!q.chairOrder) {
        q.entries = order(q);
        q.chairOrder = true;
      }
      const [e] = q.entries.splice(idx(d.entry), 1);
      q.entries.splice(d.position, 0, e);
      return true;
    }
    case 'queue.opened':
    case 'queue.closed':
      q.open = kind === 'queue.opened';
      return true;
    case 'queue.policy':
      q.policy = d.policy;
      q.time_limit_s = d.time_limit_s;
      q.auto_end = d.auto_end;
      if (q.chairOrder) {
        q.entries.sort((a, b) => a.entry - b.entry);
        q.chairOrder = false;
      }
      return true;
    case 'floor.granted': {
      const i = idx(d.entry);
      if (i < 0) return false;
      const e = q.entries[i];
      q.floor = {
        entry: e.entry,
        pid: e.pid,
        name: e.name,
        group: e.group,
        location: e.location,
        kind: e.kind,
        started: ts,
        limit_s: d.limit_s,
        policy: d.policy,
      };
      q.lastLocation = e.location;
      q.turns++;
      q.groupTurn.set(e.group, q.turns);
      q.entries.splice(i, 1);
      if (!q.entries.length) q.chairOrder = false;
      return true;
    }
    case 'floor.ended':
      q.floor = null;
      return true;
    case 'floor.extended':
      if (!q.floor) return false;
      q.floor.limit_s = d.limit_s;
      return true;
  }
  return true;
}
