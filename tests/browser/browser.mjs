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

// Records every WebSocket and RTCPeerConnection the page opens (window.__sockets,
// window.__pcs), so a test can drop a socket or read a peer's statistics.
function trackSockets() {
  const Native = window.WebSocket;
  window.__sockets = [];
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      window.__sockets.push(this);
    }
  };
  const NativePc = window.RTCPeerConnection;
  window.__pcs = [];
  if (NativePc)
    window.RTCPeerConnection = class extends NativePc {
      constructor(...args) {
        super(...args);
        window.__pcs.push(this);
      }
    };
}

// RTP counters of the page's newest peer connection: {sent, received} packets, or null.
export function rtp(page) {
  return page.evaluate(async () => {
    const pc = window.__pcs.at(-1);
    if (!pc || pc.connectionState === 'closed') return null;
    let sent = 0, received = 0;
    for (const r of (await pc.getStats()).values()) {
      if (r.type === 'outbound-rtp') sent += r.packetsSent || 0;
      if (r.type === 'inbound-rtp') received += r.packetsReceived || 0;
    }
    return { sent, received, state: pc.connectionState };
  });
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

// Runs axe-core with its default rules (WCAG 2.0-2.2 A and AA, and best practices) plus
// the WCAG 2.2 target size rule it leaves off by default, and returns the violations.
// From the top of the page: a target that a scroll leaves half under a sticky bar (the
// chair's toolbar, a banner) counts as obscured for target-size wherever the scroll
// happened to stop (seen under ASan, where layout settles later); keyboard focus is kept
// clear of the bars by scroll-padding.
export async function axe(page) {
  if (!(await page.evaluate(() => !!window.axe))) await page.addScriptTag({ content: AXE });
  // From the top, and still there: a focus the page moved a moment before (a confirmation's
  // field) can scroll it again after one scrollTo, leaving targets under the sticky bars.
  await page.evaluate(async () => {
    const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
    for (let still = 0, tries = 0; still < 3 && tries < 60; tries++) {
      if (window.scrollY !== 0) window.scrollTo({ top: 0, behavior: 'instant' });
      await frame();
      still = window.scrollY === 0 ? still + 1 : 0;
    }
  });
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'], rules: { 'target-size': { enabled: true } } });
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

// Waits until a screen reader would have been told text (the live regions' content).
export function heard(page, text, { assertive = false, timeout } = {}) {
  const id = assertive ? 'announce-assertive' : 'announce-polite';
  return page.waitForFunction(([id, t]) => document.getElementById(id).textContent.includes(t), [id, text], { timeout });
}

export function saidLately(page, assertive = false) {
  return page.evaluate((id) => document.getElementById(id).textContent, assertive ? 'announce-assertive' : 'announce-polite');
}
