// Words for the wire's names. Everything a person reads about a kind, a policy, a group
// or a reason comes from here, so the views never show a raw identifier.

export const KINDS = {
  speak: 'Speak',
  point_of_order: 'Point of order',
  clarify: 'Clarify',
  reply: 'Reply',
};

export const POLICIES = {
  fifo: 'First come, first served',
  groups_round_robin: 'Stakeholder groups in turn',
  alternate_location: 'Alternate in-room and remote',
};

// Why the floor went to someone (floor.granted policy).
export const CHOSEN = {
  point_of_order: 'point of order goes first',
  fifo: 'first in line',
  groups_round_robin: 'next stakeholder group in turn',
  alternate_location: 'alternating in-room and remote',
  chair: 'chosen by the chair',
};

export const END_REASONS = {
  yielded: 'finished speaking',
  chair: 'ended by the chair',
  time: 'time ran out',
  left: 'left the meeting',
  session_ended: 'the session ended',
  removed: 'removed from the meeting by a chair',
};

export const GROUPS = {
  government: 'Government',
  private_sector: 'Private sector',
  civil_society: 'Civil society',
  technical: 'Technical community',
  academia: 'Academia',
  intergovernmental: 'Intergovernmental',
};

export const ROLES = {
  chair: 'Chair',
  participant: 'Participant',
  observer: 'Observer',
  captioner: 'Captioner',
  venue: 'Venue sound desk',
  interpreter: 'Interpreter',
};

export const LEVELS = {
  none: 'None',
  weak: 'Weak',
  moderate: 'Moderate',
  strong: 'Strong',
  very_strong: 'Very strong',
};
// For the bar drawn beside each level (the word is always shown too).
export const LEVEL_RANK = { none: 0, weak: 1, moderate: 2, strong: 3, very_strong: 4 };

export const STATUS = { scheduled: 'Not started', live: 'Live', ended: 'Ended' };

export const group = (g) => (g ? GROUPS[g] || g.replace(/_/g, ' ') : '');
export const location = (l) => (l === 'room' ? 'in the room' : 'remote');

// "Ana Silva (Civil society, remote)"
export function who(p, { loc = true } = {}) {
  const bits = [group(p.group), loc && p.location ? location(p.location) : ''].filter(Boolean);
  return bits.length ? `${p.name} (${bits.join(', ')})` : p.name;
}

// 75 -> "1:15"; negative values are shown without a sign (callers say "over time").
export function clock(seconds) {
  const s = Math.abs(Math.round(seconds));
  const m = Math.floor(s / 60);
  const h = Math.floor(m / 60);
  const mm = h ? String(m % 60).padStart(2, '0') : String(m);
  return `${h ? `${h}:` : ''}${mm}:${String(s % 60).padStart(2, '0')}`;
}

// 75 -> "1 minute 15 seconds" for screen readers.
export function spokenDuration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  const m = Math.floor(s / 60);
  const parts = [];
  if (m) parts.push(`${m} minute${m === 1 ? '' : 's'}`);
  if (s % 60 || !m) parts.push(`${s % 60} second${s % 60 === 1 ? '' : 's'}`);
  return parts.join(' ');
}

export function time(ts) {
  if (!ts) return '';
  const d = new Date(ts);
  return isNaN(d) ? '' : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

export const ordinal = (n) => `number ${n}`;

let names;
export function language(code) {
  try {
    names ||= new Intl.DisplayNames(['en'], { type: 'language' });
    return names.of(code) || code;
  } catch {
    return code;
  }
}
