// Single-key shortcuts, and their help (a dialog that `?` opens, also reachable from a
// button). A key never fires while the person types in a field, nor with Ctrl, Alt or
// Meta held (those belong to the browser and to screen readers), nor behind the dialog.
// Each view registers its own keys: chairs get the desk's, everyone gets mute and help.

import { h } from './dom.js';

const keys = []; // {key, label, run, when}
let dialog = null;

export function shortcut(key, label, run, when = () => true) {
  keys.push({ key, label, run, when });
}

function typing(el) {
  if (!el || el === document.body) return false;
  if (el.isContentEditable) return true;
  if (el.tagName === 'TEXTAREA' || el.tagName === 'SELECT') return true;
  // Buttons-like inputs (checkboxes, radios) take no text: keys still work there.
  return el.tagName === 'INPUT' && !/^(checkbox|radio|button|submit|range)$/.test(el.type);
}

function onKey(e) {
  if (e.defaultPrevented || e.ctrlKey || e.altKey || e.metaKey || typing(e.target)) return;
  if (dialog?.open) return;
  if (e.key === '?') {
    e.preventDefault();
    return openHelp();
  }
  const k = keys.find((x) => x.key === e.key.toLowerCase() && x.when());
  if (!k) return;
  e.preventDefault();
  k.run();
}

export function openHelp() {
  if (!dialog) {
    const close = h('button', { type: 'button', onclick: () => dialog.close() }, 'Close');
    const list = h('dl', { class: 'keys' });
    dialog = h(
      'dialog',
      { class: 'help-dialog', 'aria-labelledby': 'keys-h' },
      h('h2', { id: 'keys-h' }, 'Keyboard shortcuts'),
      h(
        'p',
        null,
        'Single keys, not while typing in a field. Press ? for this list, Escape to close it.',
      ),
      list,
      close,
    );
    dialog.list = list;
    document.body.append(dialog);
  }
  dialog.list.replaceChildren(
    ...[{ key: '?', label: 'Show this list' }, ...keys].flatMap((k) => [
      h('dt', null, h('kbd', null, k.key.toUpperCase())),
      h('dd', null, k.label),
    ]),
  );
  dialog.showModal();
}

export function helpButton() {
  return h(
    'button',
    { type: 'button', class: 'link keys-link', onclick: openHelp, 'aria-keyshortcuts': '?' },
    'Keyboard shortcuts (?)',
  );
}

let installed = false;
export function installShortcuts() {
  if (installed) return;
  installed = true;
  addEventListener('keydown', onKey);
}
