// The captioner's typing surface (captioners and chairs): a partial caption goes out a
// few times a second while typing (the rate limit allows 20 a second; 3 is plenty), the
// final line on Enter, Shift+Enter keeps typing on a new line. The language is a tag
// such as en or pt-BR, remembered between visits. Loaded only for the roles that caption.
//
// Every final line goes on the record once. Enter moves the line into an outbox with its
// own cid and clears the box, so the captioner types on while it is sent; a line stays in
// the outbox until the server acks it, and is sent again with the same cid whenever its
// ack did not come (the connection dropped, the ack was slow past the timeout): the
// server acks a cid it has already written as a duplicate and writes nothing. Lines go
// out in the order they were typed.

import { h, setText } from './dom.js';
import * as f from './format.js';
import { pref, setPref } from './captions.js';

const PARTIAL_EVERY_MS = 300;
const RETRY_EVERY_MS = 2000;
// Gives up on a line only for refusals a retry cannot fix; anything else is retried.
const RETRY = new Set(['disconnected', 'timeout', 'rate_limited', 'unavailable', 'internal']);

// A cid unique to this page: a random prefix, then a counter (at most 64 characters).
function cidMaker() {
  const a = new Uint8Array(6);
  crypto.getRandomValues(a);
  const prefix = Array.from(a, (b) => b.toString(16).padStart(2, '0')).join('');
  let n = 0;
  return () => `${prefix}-${++n}`;
}

export function captionWriter({ store, request }) {
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
  const nextCid = cidMaker();
  const outbox = []; // {cid, lang, text, sending}, oldest first
  let retryTimer = null;

  function sayWaiting() {
    if (outbox.length)
      setText(
        status,
        `${outbox.length} ${outbox.length === 1 ? 'line' : 'lines'} waiting to be sent; they go out as soon as the server answers.`,
      );
  }

  function sendLine(line) {
    line.sending = true;
    request({ type: 'caption', lang: line.lang, text: line.text, final: true, cid: line.cid })
      .then(() => {
        outbox.splice(outbox.indexOf(line), 1);
        if (outbox.length) sayWaiting();
        else setText(status, `Sent at ${new Date().toLocaleTimeString()}.`);
      })
      .catch((err) => {
        line.sending = false;
        if (RETRY.has(err.code)) {
          sayWaiting();
          armRetry();
          return;
        }
        outbox.splice(outbox.indexOf(line), 1);
        setText(status, `Not sent (“${line.text.slice(0, 40)}”): ${err.message || err.code}`);
      });
  }

  function flush() {
    if (!store.live) return;
    for (const line of outbox) if (!line.sending) sendLine(line);
  }

  function armRetry() {
    if (retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      flush();
      if (outbox.some((l) => !l.sending)) armRetry();
    }, RETRY_EVERY_MS);
  }

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
  text.addEventListener('keydown', (e) => {
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
    outbox.push({ cid: nextCid(), lang: code(), text: t, sending: false });
    text.value = '';
    lastSent = '';
    flush();
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
    // Back from a dropped connection (every join renders): what waits goes out again.
    flush();
  }
  return { el, render };
}
