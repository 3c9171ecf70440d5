// Small DOM helpers: an element builder, a keyed list that keeps focus where it was, and
// a render scheduler. No framework: the page is a handful of panels that re-render
// themselves from the store, so these few functions are all the machinery it needs.

// h('button', {class: 'x', onclick: fn, 'aria-label': '…'}, 'text', child, …)
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'class') el.className = v;
      else if (k === 'text') el.textContent = v;
      else if (k in el && typeof v !== 'string') el[k] = v;
      else el.setAttribute(k, v === true ? '' : v);
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

export const $ = (sel, root = document) => root.querySelector(sel);

// Sets text only when it changed, so screen readers and selection are not disturbed.
export function setText(el, text) {
  text = String(text ?? '');
  if (el.textContent !== text) el.textContent = text;
}

export function show(el, visible) {
  if (el.hidden === !!visible) el.hidden = !visible;
}

// Replaces children with a fresh set (for small, non-interactive content).
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

// Keeps parent's children in the order of items, reusing the node made for each key.
// create(item) makes a node, update(node, item, index) refreshes it. A focused node that
// moves keeps its focus (moveBefore where the browser has it, a re-focus otherwise).
export function syncList(parent, items, key, create, update) {
  const active = document.activeElement;
  const old = new Map();
  for (const n of parent.children) old.set(n.dataset.key, n);
  let at = parent.firstElementChild;
  items.forEach((item, i) => {
    const k = String(key(item));
    let node = old.get(k);
    if (node) old.delete(k);
    else {
      node = create(item);
      node.dataset.key = k;
    }
    update(node, item, i);
    if (node !== at) {
      if (node.isConnected && parent.moveBefore) parent.moveBefore(node, at);
      else parent.insertBefore(node, at);
    } else at = at.nextElementSibling;
  });
  for (const n of old.values()) n.remove();
  if (active && active !== document.activeElement && active.isConnected) active.focus();
}

// Coalesces many store changes into one render per animation frame. A hidden tab gets no
// frames, so a timer stands in: the state and the announcements stay current there too.
export function scheduler(fn) {
  let pending = false;
  return () => {
    if (pending) return;
    pending = true;
    const run = () => {
      if (!pending) return;
      pending = false;
      fn();
    };
    requestAnimationFrame(run);
    setTimeout(run, 200);
  };
}

let uid = 0;
export const nextId = (prefix) => `${prefix}-${++uid}`;

// A style sheet only some views need (the chair's desk, the room display); resolves once
// it applies (or failed: the page works unstyled), so a view is not shown half-styled.
export function loadCss(name) {
  return new Promise((done) =>
    document.head.append(h('link', { rel: 'stylesheet', href: name, onload: done, onerror: done })),
  );
}

// A panel whose module loads only once it is needed: until then its heading and a line
// saying there is nothing yet, with the heading's id, so links to it work.
export function lazyPanel({ load, need, cls, id, heading, empty, action }) {
  const el = h(
    'section',
    { class: `panel ${cls}`, 'aria-labelledby': id },
    h('h2', { id }, heading),
    h('p', { class: 'empty' }, empty),
    action,
  );
  let real = null;
  let asked = false;
  const panel = {
    el,
    render() {
      if (real) return real.render();
      if (asked || !need()) return;
      asked = true;
      panel.ready = load().then((p) => {
        real = p;
        panel.el.replaceWith(p.el);
        panel.el = p.el;
        p.render();
      });
    },
  };
  return panel;
}
