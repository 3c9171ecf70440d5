// Private rooms (docs/protocol.md, "Private rooms"): the server gives a private room's
// record, log, polls and streams only to a Bearer token for the room or to a signed URL.
// Fetches carry the token; links and <audio src>, which cannot send a header, point at
// signed URLs from POST /api/rooms/{id}/signed-url, renewed well before the hour they
// live runs out. A public room's URLs are used as they are.

const RENEW_MS = 30 * 60 * 1000;

export function roomAccess({ room, token, isPrivate }) {
  const base = `/api/rooms/${encodeURIComponent(room)}`;
  const plain = (resource) => `${base}/${resource}`;
  const timers = [];
  const bearer = isPrivate && token ? { authorization: `Bearer ${token}` } : null;

  async function signed(resource) {
    const r = await fetch(`${base}/signed-url`, {
      method: 'POST',
      headers: { ...bearer, 'content-type': 'application/json' },
      body: JSON.stringify({ path: plain(resource) }),
    });
    if (!r.ok) throw new Error(`signed-url ${r.status}`);
    return (await r.json()).url;
  }

  return {
    url: plain,
    fetch(resource, init = {}) {
      return fetch(plain(resource), { ...init, headers: { ...init.headers, ...bearer } });
    },
    // Points el's href or src at resource. A playing stream is left alone when its URL is
    // renewed: the server checks the signature when the request starts, not after.
    link(el, attr, resource) {
      el.setAttribute(attr, plain(resource));
      if (!bearer) return el;
      const renew = () => {
        if (attr === 'src' && el.paused === false) return;
        signed(resource)
          .then((u) => el.setAttribute(attr, u))
          .catch(() => {});
      };
      renew();
      timers.push(setInterval(renew, RENEW_MS));
      return el;
    },
    close() {
      for (const t of timers.splice(0)) clearInterval(t);
    },
  };
}
