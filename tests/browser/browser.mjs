// Shared by the browser tests: Debian's chromium through playwright-core (never a browser
// download), pages opened as one person each in their own context, screenshots kept
// under the build directory, and axe-core injected from node_modules.

import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join as pathJoin } from 'node:path';

const require = createRequire(import.meta.url);
export const BUILD_DIR = process.env.PLENARY_BUILD_DIR || pathJoin(process.cwd(), 'build');
export const ARTIFACTS = pathJoin(BUILD_DIR, 'browser-artifacts');
mkdirSync(ARTIFACTS, { recursive: true });

export function launch() {
  return chromium.launch({
    executablePath: process.env.PLENARY_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      '--disable-gpu',
      '--no-first-run',
    ],
  });
}

// Records every WebSocket the page opens in window.__sockets, so a test can drop one.
function trackSockets() {
  const Native = window.WebSocket;
  window.__sockets = [];
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      window.__sockets.push(this);
    }
  };
}

// A page in a fresh context (its own storage, like a separate person's browser).
export async function openPage(browser, url, { viewport = { width: 1280, height: 900 }, deviceScaleFactor = 1, errors } = {}) {
  const context = await browser.newContext({ viewport, deviceScaleFactor });
  await context.addInitScript(trackSockets);
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  page.on('pageerror', (e) => (errors ? errors.push(e.message) : console.error('pageerror:', e.message)));
  if (url) await page.goto(url);
  return page;
}

export function roomLink(server, room, tok) {
  return `${server.url}/#room=${encodeURIComponent(room)}${tok ? `&token=${encodeURIComponent(tok)}` : ''}`;
}

export async function screenshot(page, name) {
  await page.screenshot({ path: pathJoin(ARTIFACTS, `${name}.png`), fullPage: true });
}

const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

// Runs axe-core (WCAG 2.0/2.1/2.2 A and AA rules) and returns the violations.
export async function axe(page) {
  if (!(await page.evaluate(() => !!window.axe))) await page.addScriptTag({ content: AXE });
  return page.evaluate(async () => {
    const r = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
      resultTypes: ['violations'],
    });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ') + ' :: ' + n.failureSummary) }));
  });
}

// Waits until the text is visible on the page (a string is matched as a substring).
export function see(page, text, opts) {
  return page.getByText(text).filter({ visible: true }).first().waitFor({ state: 'visible', ...opts });
}

// Waits for the connection status in the header.
export function connected(page, state = 'online') {
  return page.locator(`#conn[data-state="${state}"]`).waitFor();
}

export async function text(page, selector) {
  return (await page.locator(selector).innerText()).trim();
}
