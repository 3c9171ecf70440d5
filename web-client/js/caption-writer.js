// The captioner's typing surface (captioners and chairs): a partial caption goes out a
// few times a second while typing (the rate limit allows 20 a second; 3 is plenty), the
// final line on Enter, Shift+Enter keeps typing on a new line. The language is a tag
// such as en or pt-BR, remembered between visits. Loaded only for the roles that caption.

import { h, setText } from './dom.js';
import * as f from './format.js';
import { pref, setPref } from './captions.js';

const PARTIAL_EVERY_MS = 300;

export function captionWriter({ store, act, request }) {
  const langInput = h('input', {
    id: 'cap-out-lang',
    value: pref('caption-out-lang', 'en'),
    list: 'cap-langs',
    size: '8',
    autocomplete: 'off',
    spellcheck: 'false',
    pattern: '[A-Za-z0-9\\-]{1,35}',
  });
  const datalist = h(
    'datalist',
    { id: 'cap-langs' },
    ['en', 'fr', 'es', 'ar', 'zh', 'ru', 'pt', 'de'].map((l) =>
      h('option', { value: l }, f.language(l)),
    ),
  );
  const text = h('textarea', {
    id: 'cap-input',
    rows: '3',
    'aria-describedby': 'cap-input-help',
    autocomplete: 'off',
  });
  const status = h('p', { class: 'help', id: 'cap-status' });
  const el = h(
    'section',
    { class: 'panel writer', 'aria-labelledby': 'writer-h' },
    h('h2', { id: 'writer-h' }, 'Write captions'),
    h(
      'p',
      { class: 'field' },
      h('label', { for: 'cap-out-lang' }, 'Language code'),
      langInput,
      datalist,
    ),
    h('label', { for: 'cap-input', class: 'block' }, 'Caption text'),
    text,
    h(
      'p',
      { class: 'help', id: 'cap-input-help' },
      'Others see your words as you type. Enter sends the line; Shift+Enter starts a new line without sending.',
    ),
    status,
  );
  let timer = null;
  let lastSent = '';
  const code = () => langInput.value.trim() || 'en';

  langInput.onchange = () => setPref('caption-out-lang', code());

  function sendPartial() {
    timer = null;
    const t = text.value.trim();
    if (t === lastSent || !store.live) return;
    lastSent = t;
    request({ type: 'caption', lang: code(), text: t, final: false }).catch((err) => {
      if (err.code === 'rate_limited')
        setText(status, 'Sending partial lines more slowly (rate limit).');
    });
  }

  text.addEventListener('input', () => {
    if (!timer) timer = setTimeout(sendPartial, PARTIAL_EVERY_MS);
  });
  text.addEventListener('keydown', async (e) => {
    if (e.key !== 'Enter' || e.shiftKey || e.isComposing) return;
    e.preventDefault();
    const t = text.value.trim();
    if (!t) return;
    if (!/^[A-Za-z0-9-]{1,35}$/.test(code())) {
      setText(
        status,
        'The language code may hold only letters, digits and hyphens (for example en or pt-BR).',
      );
      langInput.focus();
      return;
    }
    clearTimeout(timer);
    timer = null;
    const ack = await act(
      { type: 'caption', lang: code(), text: t, final: true },
      'Send the caption',
    );
    if (ack) {
      if (text.value.trim() === t) text.value = '';
      lastSent = '';
      setText(status, `Sent at ${new Date().toLocaleTimeString()}.`);
    }
  });

  function render() {
    text.disabled = !store.live;
    if (!store.live)
      setText(
        status,
        store.room.status === 'ended'
          ? 'The session has ended.'
          : 'Captions can be sent once the chair starts the session.',
      );
    else if (status.textContent.startsWith('Captions can be')) setText(status, '');
  }
  return { el, render };
}
