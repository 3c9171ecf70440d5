// The list of keyboard shortcuts, a modal dialog (Escape closes it), loaded on `?`.

import { h } from './dom.js';

let dialog = null;

export function openHelp(keys) {
  if (!dialog) {
    dialog = h(
      'dialog',
      { class: 'help-dialog', 'aria-labelledby': 'keys-h' },
      h('h2', { id: 'keys-h' }, 'Keyboard shortcuts'),
      h('p', null, 'Single keys, not while typing in a field. ? shows this list.'),
      h('dl', { class: 'keys' }),
      h('button', { type: 'button', onclick: () => dialog.close() }, 'Close'),
    );
    document.body.append(dialog);
  }
  dialog
    .querySelector('dl')
    .replaceChildren(
      ...[{ key: '?', label: 'Show this list' }, ...keys].flatMap((k) => [
        h('dt', null, h('kbd', null, k.key.toUpperCase())),
        h('dd', null, k.label),
      ]),
    );
  dialog.showModal();
}
