// What screen readers hear, through two ARIA live regions that exist from page load (a
// region added later is often not watched). Polite for what can wait its turn; assertive
// only for what concerns this person now (you have the floor, your time is nearly up, an
// error in what you just did). Messages that arrive together are joined into one, and a
// repeated message is still read (the region is cleared first).

let regions;

function region(politeness) {
  regions ||= {
    polite: document.getElementById('announce-polite'),
    assertive: document.getElementById('announce-assertive'),
  };
  return regions[politeness];
}

const queued = { polite: [], assertive: [] };

export function announce(text, { assertive = false } = {}) {
  if (!text) return;
  const kind = assertive ? 'assertive' : 'polite';
  const list = queued[kind];
  if (list.includes(text)) return;
  list.push(text);
  if (list.length > 1) return;
  // Clear now, write a moment later: the change is what gets read.
  const el = region(kind);
  if (!el) return;
  el.textContent = '';
  setTimeout(() => {
    el.textContent = list.join(' ');
    list.length = 0;
  }, 120);
}
