// Shared by the Firefox browser tests: Debian's Firefox ESR driven over WebDriver BiDi by
// puppeteer-core (never a browser download), each person in their own browser context
// (their own storage), every page's WebSockets and RTCPeerConnections recorded, and the
// audio a page receives measured with WebAudio.
//
// Firefox sends no ICE checks to a loopback candidate, so these tests run plenaryd in a
// network namespace of their own (netns.mjs) and Firefox reaches it at a real address.
// A test that needs the microphone has plenaryd serve HTTPS there (netns.mjs's tls, a
// certificate for that address): an http:// origin other than localhost is not a secure
// context, and Firefox would give it no navigator.mediaDevices. No pref relaxes that.

import puppeteer from 'puppeteer-core';
import { existsSync } from 'node:fs';

export const FIREFOX = process.env.PLENARY_FIREFOX || '/usr/bin/firefox-esr';

export const FIREFOX_PREFS = {
  // A fake microphone (a tone) and no permission prompt: what Chromium's
  // --use-fake-device-for-media-stream and --use-fake-ui-for-media-stream do.
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
  // No sound card or sound server here: without cubeb's mock context an AudioContext never
  // leaves 'suspended' (its resume() never settles) and nothing renders audio.
  'media.cubeb.force_mock_context': true,
  // Audio may start without a user gesture (the listener's AudioContext and <audio>).
  'media.autoplay.default': 0,
  'media.autoplay.blocking_policy': 0,
  // No background traffic to anywhere but the test's server.
  'app.update.enabled': false,
  'browser.safebrowsing.malware.enabled': false,
  'browser.safebrowsing.phishing.enabled': false,
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
};

// extraPrefs: more prefs for this browser (e.g. media.navigator.audio.fake_frequency, the
// fake microphone's tone in Hz, 1000 by default). acceptInsecureCerts: the BiDi session
// accepts certificates no root vouches for (a test CA's), as a person who added that CA
// would; the page is https:// either way, which is what makes it a secure context.
export async function launchFirefox(extraPrefs = {}, { acceptInsecureCerts = false } = {}) {
  if (!existsSync(FIREFOX))
    throw new Error(
      `${FIREFOX} is missing: the Firefox tests need Debian's firefox-esr (scripts/install-deps.sh test)`,
    );
  return puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX,
    protocol: 'webDriverBiDi',
    headless: true,
    acceptInsecureCerts,
    extraPrefsFirefox: { ...FIREFOX_PREFS, ...extraPrefs },
    // A page call that hangs fails the test in time, not after puppeteer's 180 s.
    protocolTimeout: 30000,
  });
}

// Runs in every page before its own scripts: keeps the page's WebSockets, the JSON
// messages they received (window.__received) and its peer connections (window.__pcs).
function trackPage() {
  const NativeWs = window.WebSocket;
  window.__sockets = [];
  window.__received = [];
  window.WebSocket = class extends NativeWs {
    constructor(...args) {
      super(...args);
      window.__sockets.push(this);
      this.addEventListener('message', (e) => {
        try {
          window.__received.push(JSON.parse(e.data));
        } catch {
          /* not JSON */
        }
      });
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

// A page in a fresh browser context (a separate person's browser).
export async function openFirefoxPage(
  browser,
  url,
  { verbose = process.env.PLENARY_TEST_VERBOSE, name = 'page' } = {},
) {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  await page.evaluateOnNewDocument(trackPage);
  page.on('pageerror', (e) => console.error(`[${name}] pageerror: ${e.message}`));
  if (verbose) page.on('console', (m) => console.log(`[${name}] ${m.text()}`));
  if (url) await page.goto(url);
  return page;
}

// Polls fn in the page until it returns something truthy (or the timeout, then the last
// value is returned as it is).
export async function pollPage(page, fn, arg, { timeout = 15000, interval = 100 } = {}) {
  const end = Date.now() + timeout;
  let v;
  for (;;) {
    v = await page.evaluate(fn, arg);
    if (v || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, interval));
  }
}

// The server's last media.state for this page's connection (from its WebSocket), or null.
export function mediaState(page) {
  return page.evaluate(() => {
    const m = window.__received.filter((x) => x.type === 'private' && x.kind === 'media.state');
    return m.length ? m.at(-1).data.state : null;
  });
}

// The audio inbound-rtp statistics of the page's newest peer connection.
export function inbound(page) {
  return page.evaluate(async () => {
    const pc = window.__pcs.at(-1);
    if (!pc) return null;
    let r = { packets: 0, bytes: 0, energy: 0 };
    (await pc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio')
        r = {
          packets: s.packetsReceived || 0,
          bytes: s.bytesReceived || 0,
          energy: s.totalAudioEnergy || 0,
          lost: s.packetsLost,
        };
    });
    return { state: pc.connectionState, ...r };
  });
}

export function outbound(page) {
  return page.evaluate(async () => {
    const pc = window.__pcs.at(-1);
    if (!pc) return null;
    let r = { packets: 0, bytes: 0 };
    (await pc.getStats()).forEach((s) => {
      if (s.type === 'outbound-rtp' && s.kind === 'audio')
        r = { packets: s.packetsSent || 0, bytes: s.bytesSent || 0 };
    });
    return { state: pc.connectionState, ...r };
  });
}

// Listens to a track of the page for ms milliseconds with a WebAudio analyser: the decoded
// audio's RMS level and its strongest frequency (Hz), averaged over the window. which:
// 'received' (the newest peer's remote track) or 'sent' (the track it sends).
export function analyse(page, which, ms = 1500) {
  return page.evaluate(
    async ({ which, ms }) => {
      const pc = window.__pcs.at(-1);
      const t =
        which === 'sent'
          ? pc.getSenders().find((s) => s.track)?.track
          : pc.getReceivers()[0]?.track;
      if (!t) return { error: `no ${which} track` };
      const ctx = new AudioContext();
      await ctx.resume();
      const analyser = new AnalyserNode(ctx, {
        fftSize: 4096,
        smoothingTimeConstant: 0,
      });
      const source = ctx.createMediaStreamSource(new MediaStream([t]));
      source.connect(analyser);
      const wave = new Float32Array(analyser.fftSize);
      const spectrum = new Float32Array(analyser.frequencyBinCount);
      const power = new Float64Array(analyser.frequencyBinCount);
      let sum = 0,
        n = 0;
      for (const end = Date.now() + ms; Date.now() < end; n++) {
        await new Promise((r) => setTimeout(r, 50));
        analyser.getFloatTimeDomainData(wave);
        let s = 0;
        for (const v of wave) s += v * v;
        sum += s / wave.length;
        analyser.getFloatFrequencyData(spectrum);
        for (let i = 0; i < spectrum.length; i++) power[i] += 10 ** (spectrum[i] / 10);
      }
      let peak = 1;
      for (let i = 2; i < power.length; i++) if (power[i] > power[peak]) peak = i;
      const out = {
        rms: Math.sqrt(sum / Math.max(1, n)),
        peakHz: (peak * ctx.sampleRate) / analyser.fftSize,
        state: ctx.state,
        track: t.readyState,
      };
      source.disconnect();
      await ctx.close();
      return out;
    },
    { which, ms },
  );
}
