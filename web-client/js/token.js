// Long meetings outlive join links. While joined, the page asks the server for a fresh
// token (token.refresh: same person, same role, the same lifetime from now) at 80 % of the
// current one's life, and keeps it where the page keeps its token (sessionStorage, as
// app.js does), so a network blip after the link's expiry resumes with a good token and a
// reload still works. A failed refresh is tried again while connected.

const AT = 0.8;
const RETRY_MS = 30000;
const MAX_DELAY_MS = 2 ** 31 - 1;

function claims(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part));
  } catch {
    return {};
  }
}

// room: the room id; token: the one joined with; request: the connection's; onToken(t):
// told of each new token.
export function tokenRefresher({ room, token, request, onToken }) {
  let current = token;
  // When the current token's life started on this device's clock: its iat for the link
  // (issued before this page opened), the moment of the ack for a refreshed one (so a
  // device clock that is off does not matter for those).
  let start = claims(token).iat ? claims(token).iat * 1000 : Date.now();
  let timer = null;

  function keep(t) {
    current = t;
    start = Date.now();
    try {
      sessionStorage.setItem(`plenary:token:${room}`, t);
    } catch {
      /* no storage: the token stays in memory for this page's joins */
    }
    onToken?.(t);
  }

  // When to refresh: 80 % into the token's life, but no later than 80 % of what this
  // device's clock says is left.
  function delay() {
    const c = claims(current);
    if (!c.exp) return null;
    const life = c.iat ? c.exp - c.iat : c.exp - start / 1000;
    const byLife = start + AT * life * 1000 - Date.now();
    const byClock = (c.exp * 1000 - Date.now()) * AT;
    return Math.max(0, Math.min(byLife, byClock, MAX_DELAY_MS));
  }

  async function refresh() {
    timer = null;
    try {
      const ack = await request({ type: 'token.refresh' });
      keep(ack.token);
      schedule();
    } catch (err) {
      if (err.code !== 'unauthorized' && err.code !== 'disconnected')
        timer = setTimeout(refresh, RETRY_MS);
    }
  }

  function schedule() {
    clearTimeout(timer);
    const ms = delay();
    timer = ms === null ? null : setTimeout(refresh, ms);
  }

  return {
    get token() {
      return current;
    },
    joined: schedule, // every (re)join: from the token now held
    stop() {
      clearTimeout(timer);
      timer = null;
    },
  };
}
