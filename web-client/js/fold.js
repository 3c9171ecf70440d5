// Panels that fold on phones, so that the first screen is the floor, one's action and the
// captions, and the rest is a line each with its count ("Speaking queue (12 waiting)").
// The disclosure is a button inside the panel's heading: headings still list the panels,
// and a screen reader hears the count and "collapsed" or "expanded". Open by default on
// wide screens, folded below 40em (the phone layout in style.css); a person's choice is
// kept per panel for the tab (sessionStorage). A panel that needs the person now (an open
// hum or poll, say) is never folded: keep() says so, and the button is then inert.

import { h } from './dom.js';

const narrow = matchMedia('(max-width: 40em)');

// folds: [panel, name, keep] for each panel that may fold; a missing panel is skipped.
export function folding(folds) {
  const all = folds
    .filter(([p]) => p)
    .map(([panel, name, keep = () => false]) => ({ panel, name, keep }));
  const render = () => all.forEach(apply);
  function apply(f) {
    const el = f.panel.el;
    // A lazy panel replaces its element when it loads: the new one gets its button then.
    if (!f.hooked && f.panel.ready) f.hooked = f.panel.ready.then(() => apply(f));
    if (!el.fold) {
      const head = el.querySelector('h2');
      el.fold = h('button', { type: 'button', class: 'fold' }, ...head.childNodes);
      el.fold.onclick = () => {
        if (f.keep()) return;
        sessionStorage.setItem(`plenary:fold:${f.name}`, el.classList.contains('folded') ? 0 : 1);
        apply(f);
      };
      head.append(el.fold);
    }
    const s = sessionStorage.getItem(`plenary:fold:${f.name}`);
    const keep = f.keep();
    const folded = !keep && (s ? s === '1' : narrow.matches);
    el.classList.toggle('folded', folded);
    el.fold.setAttribute('aria-expanded', String(!folded));
    el.fold.setAttribute('aria-disabled', String(keep));
  }
  narrow.addEventListener('change', render);
  return { render };
}

// Going to a folded panel (a section link) opens it.
export function unfold(target) {
  target.closest('.folded')?.fold.click();
}
