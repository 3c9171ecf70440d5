/*
 * stream -- GET /api/rooms/{id}/listen.ogg: the room's floor mix as a live Ogg Opus stream
 * over chunked HTTP/1.1, for observers with no WebRTC (a media player, a radio relay, an
 * Icecast or CDN in front).
 *
 *   media worker tick ── live Ogg pages ──▶ page ring ──▶ media_dispatch_all (this thread)
 *        ──▶ gw_stream_media ──▶ every client's bounded buffer ──▶ SERVER_WRITEABLE: a chunk
 *
 * A stream exists while the room's session is live. Its BEGIN record carries the OpusHead
 * and OpusTags pages, kept here: every client gets them first, then the pages that come
 * after it joined (pages hold whole packets, so any page boundary is a place to join).
 * END finishes every client: what is buffered, then the last chunk.
 *
 * A late joiner's stream is made to look like one that started when it joined: each page
 * it gets has its page sequence number and granule position moved back by where the
 * stream was (and its CRC set again, libogg's ogg_page_checksum_set), so the pages count
 * 2, 3, ... after the headers and the first granule is that page's own samples. Players
 * and opusinfo then see a clean stream rather than a gap and a jump at the start; a page
 * lost on the way (the page ring was full) is still a gap, as it should be.
 *
 * Why chunked by hand: given no content length, lws 4.1 (lws_add_http_common_headers)
 * adds "connection: close" and leaves the body unframed, which ends a stream only by
 * closing and cannot say "complete" apart from "cut". So the headers are written here --
 * status, content type, "transfer-encoding: chunked" -- and each write is one chunk
 * ("<hex size>\r\n<data>\r\n"), the last one "0\r\n\r\n" (RFC 9112 sect. 7.1), after
 * which the connection may carry another request.
 *
 * Backpressure: each client has a buffer of STREAM_CLIENT_BUFFER bytes (about a minute of
 * 32 kbit/s audio). A page that does not fit means the client has fallen that far behind:
 * it is dropped (its connection closed), never waited for, so a slow listener costs
 * neither the worker's tick nor this thread anything but its own memory.
 *
 * Cost at scale (a thousand listeners): the buffer is allocated whole but starts again
 * at its beginning whenever the client has taken everything, so a listener that keeps
 * up only ever touches its first pages of it (the rest is never faulted in: RSS grows
 * by what is queued, not by the buffer). Late joiners who started at the same page
 * share one rewritten copy of each page (the clients are kept newest first, so they
 * are neighbours on the list): one rewrite and CRC per group, not per client.
 */
#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ogg/ogg.h>

#include "base/list.h"
#include "gateway/fanout.h"
#include "gateway/logging.h"
#include "gateway/server.h"
#include "gateway/stream.h"

#define STREAM_CLIENT_BUFFER (256 * 1024)
#define STREAM_CHUNK	     16384
#define CHUNK_HEAD	     16 /* "%zx\r\n" for a 16 KiB chunk, with room to spare */

struct gw_stream_client {
	struct lws *wsi;
	struct gw_listen *listen; /* NULL once dropped or finished */
	struct gw_stream_client **slot;
	uint8_t *buf; /* a ring of STREAM_CLIENT_BUFFER bytes */
	size_t head, len;
	bool ending;	       /* the stream ended: send what is left, then the last chunk */
	uint32_t seq_base;     /* subtracted from each page's sequence number */
	int64_t granule_base;  /* ... and from its granule position */
	struct base_list link; /* on listen->clients while listen is set */
};

struct gw_listen {
	bool live;
	uint8_t *head; /* OpusHead + OpusTags pages */
	size_t head_len;
	bool have_page; /* the stream's last audio page, where a new client starts */
	uint32_t last_seq;
	int64_t last_granule;
	struct base_list clients; /* gw_stream_client.link, newest first */
	size_t n_clients;
	uint8_t scratch[MEDIA_STREAM_PAGE_MAX]; /* the page as the clients of one base see it */
	bool scratch_valid;			/* for the page being delivered, and ... */
	uint32_t scratch_seq_base;		/* ... the base it was rewritten for */
	int64_t scratch_granule_base;
	/* The floor's holds the interpretation channels' (listen.ogg?lang=), made at their
	 * first BEGIN: index b for the media's channel b + 1. */
	struct gw_listen *chan[MEDIA_CHANNELS];
};

static void listen_free(void *data);

static struct gw_listen *listen_new(void)
{
	struct gw_listen *l = calloc(1, sizeof *l);
	if (l)
		base_list_init(&l->clients);
	return l;
}

/* The room's listen.ogg state, which rides on its host (fanout.h) and is freed with it. */
static struct gw_listen *listen_of(struct gateway *gw, struct room *room, bool make)
{
	struct room_host *h = make ? gw_host_for(gw, room) : room_host_data(room);
	if (!h)
		return NULL;
	if (!h->listen.data && make) {
		struct gw_listen *l = listen_new();
		if (!l)
			return NULL;
		h->listen = (struct room_host_extra){.data = l, .free = listen_free};
	}
	return h->listen.data;
}

/* Channel 0's (the floor's) listen.ogg state or an interpretation channel's. */
static struct gw_listen *listen_ch(struct gateway *gw, struct room *room, unsigned channel,
				   bool make)
{
	struct gw_listen *l = listen_of(gw, room, make);
	if (!l || channel == 0)
		return l;
	if (channel > MEDIA_CHANNELS)
		return NULL;
	if (!l->chan[channel - 1] && make)
		l->chan[channel - 1] = listen_new();
	return l->chan[channel - 1];
}

bool gw_stream_live(struct gateway *gw, struct room *room, unsigned channel)
{
	struct gw_listen *l = listen_ch(gw, room, channel, false);
	return l && l->live && l->head;
}

/* --- clients ------------------------------------------------------------------------------ */

static void unlink_client(struct gw_stream_client *c)
{
	struct gw_listen *l = c->listen;
	if (!l)
		return;
	base_list_remove(&c->link);
	c->listen = NULL;
	l->n_clients--;
}

static bool append(struct gw_stream_client *c, const uint8_t *data, size_t len)
{
	if (len > STREAM_CLIENT_BUFFER - c->len)
		return false;
	size_t tail = (c->head + c->len) % STREAM_CLIENT_BUFFER;
	size_t first = len < STREAM_CLIENT_BUFFER - tail ? len : STREAM_CLIENT_BUFFER - tail;
	memcpy(c->buf + tail, data, first);
	memcpy(c->buf, data + first, len - first);
	c->len += len;
	return true;
}

/* The client fell too far behind: it leaves the stream and lws closes it. */
static void drop(struct gw_stream_client *c)
{
	gw_info("listen.ogg client dropped: too slow", "buffered=%zu", c->len);
	unlink_client(c);
	c->len = 0;
	lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static int64_t get64(const uint8_t *p)
{
	return (int64_t)((uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32);
}

static void put64(uint8_t *p, int64_t v)
{
	put32(p, (uint32_t)(uint64_t)v);
	put32(p + 4, (uint32_t)((uint64_t)v >> 32));
}

/* An Ogg page (RFC 3533 sect. 6): 27 bytes, the lacing values, the body. */
static bool is_page(const uint8_t *p, size_t len)
{
	return len >= 27 && memcmp(p, "OggS", 4) == 0 && len >= 27u + p[26];
}

/* The page as client c sees it (see the top of the file), in l->scratch. */
static const uint8_t *for_client(struct gw_listen *l, const struct gw_stream_client *c,
				 const uint8_t *page, size_t len)
{
	if (c->seq_base == 0 && c->granule_base == 0)
		return page;
	uint8_t *out = l->scratch;
	if (l->scratch_valid && l->scratch_seq_base == c->seq_base &&
	    l->scratch_granule_base == c->granule_base)
		return out; /* the client before it joined at the same page */
	l->scratch_valid = true;
	l->scratch_seq_base = c->seq_base;
	l->scratch_granule_base = c->granule_base;
	memcpy(out, page, len);
	put32(out + 18, get32(page + 18) - c->seq_base);
	int64_t granule = get64(page + 6);
	if (granule != -1) /* -1: no packet ends on this page */
		put64(out + 6, granule - c->granule_base);
	ogg_page og = {.header = out,
		       .header_len = 27 + out[26],
		       .body = out + 27 + out[26],
		       .body_len = (long)len - 27 - out[26]};
	ogg_page_checksum_set(&og);
	return out;
}

static void deliver(struct gw_listen *l, const uint8_t *data, size_t len)
{
	if (!is_page(data, len) || len > sizeof l->scratch)
		return;
	l->scratch_valid = false; /* a new page */
	struct base_list *node, *tmp;
	BASE_LIST_FOREACH_SAFE(node, tmp, &l->clients)
	{
		struct gw_stream_client *c = BASE_CONTAINER_OF(node, struct gw_stream_client, link);
		if (!append(c, for_client(l, c, data, len), len)) {
			drop(c);
			continue;
		}
		lws_callback_on_writable(c->wsi);
	}
	l->have_page = true;
	l->last_seq = get32(data + 18);
	if (get64(data + 6) != -1)
		l->last_granule = get64(data + 6);
}

static int send_headers(struct lws *wsi)
{
	unsigned char buf[LWS_PRE + 1024];
	unsigned char *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf - 1;
	static const struct {
		const char *name, *value;
	} headers[] = {
	    {"content-type:", "audio/ogg"},
	    {"transfer-encoding:", "chunked"},
	    {"cache-control:", "no-store"},
	    {"x-content-type-options:", "nosniff"},
	};
	if (lws_add_http_header_status(wsi, HTTP_STATUS_OK, &p, end))
		return -1;
	for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++)
		if (lws_add_http_header_by_name(wsi, (const unsigned char *)headers[i].name,
						(const unsigned char *)headers[i].value,
						(int)strlen(headers[i].value), &p, end))
			return -1;
	return lws_finalize_write_http_header(wsi, start, &p, end) ? -1 : 0;
}

int gw_stream_listen(struct gateway *gw, struct lws *wsi, struct room *room, unsigned channel,
		     struct gw_stream_client **slot)
{
	struct gw_listen *l = listen_ch(gw, room, channel, false);
	struct gw_stream_client *c = calloc(1, sizeof *c);
	if (!l || !c || !(c->buf = malloc(STREAM_CLIENT_BUFFER)) ||
	    !append(c, l->head, l->head_len)) {
		if (c)
			free(c->buf);
		free(c);
		return -1;
	}
	if (send_headers(wsi)) {
		free(c->buf);
		free(c);
		return -1;
	}
	c->wsi = wsi;
	c->slot = slot;
	*slot = c;
	c->listen = l;
	if (l->have_page) { /* the next page becomes its page 2 */
		c->seq_base = l->last_seq - 1;
		c->granule_base = l->last_granule;
	}
	base_list_insert_tail(l->clients.next, &c->link); /* before the first: newest first */
	l->n_clients++;
	/* A live stream has no end in sight: no idle timeout while it runs. */
	lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
	lws_callback_on_writable(wsi);
	gw_info("listen.ogg client", "room=%s channel=%u clients=%zu", room_id(room), channel,
		l->n_clients);
	return 0;
}

static void client_free(struct gw_stream_client *c)
{
	unlink_client(c);
	if (c->slot)
		*c->slot = NULL;
	free(c->buf);
	free(c);
}

void gw_stream_closed(struct gw_stream_client *c)
{
	if (c)
		client_free(c);
}

/* Writes one chunk of up to STREAM_CHUNK buffered bytes. */
static int write_chunk(struct gw_stream_client *c)
{
	unsigned char out[LWS_PRE + CHUNK_HEAD + STREAM_CHUNK + 2];
	size_t n = c->len < STREAM_CHUNK ? c->len : STREAM_CHUNK;
	unsigned char *p = out + LWS_PRE;
	int hl = snprintf((char *)p, CHUNK_HEAD, "%zx\r\n", n);
	size_t first = n < STREAM_CLIENT_BUFFER - c->head ? n : STREAM_CLIENT_BUFFER - c->head;
	memcpy(p + hl, c->buf + c->head, first);
	memcpy(p + hl + first, c->buf, n - first);
	memcpy(p + hl + n, "\r\n", 2);
	size_t total = (size_t)hl + n + 2;
	if (lws_write(c->wsi, p, total, LWS_WRITE_HTTP) != (int)total)
		return -1;
	c->head = (c->head + n) % STREAM_CLIENT_BUFFER;
	c->len -= n;
	if (c->len == 0)
		c->head = 0; /* the same first pages again: the rest is never touched */
	return 0;
}

/* The stream ended and everything was sent: the last chunk, and the request is done. */
static int finish(struct gw_stream_client *c)
{
	unsigned char out[LWS_PRE + 8];
	memcpy(out + LWS_PRE, "0\r\n\r\n", 5);
	struct lws *wsi = c->wsi;
	if (lws_write(wsi, out + LWS_PRE, 5, LWS_WRITE_HTTP) != 5)
		return -1;
	client_free(c);
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

int gw_stream_writable(struct gw_stream_client *c)
{
	if (!c->listen && !c->ending)
		return -1; /* dropped: lws is closing it */
	if (c->len > 0) {
		if (write_chunk(c))
			return -1;
		if (c->len > 0 || c->ending)
			lws_callback_on_writable(c->wsi);
		return 0;
	}
	return c->ending ? finish(c) : 0;
}

/* --- the media side ------------------------------------------------------------------------ */

static void stream_begin(struct gw_listen *l, const uint8_t *data, size_t len)
{
	uint8_t *head = malloc(len ? len : 1);
	if (!head)
		return;
	memcpy(head, data, len);
	free(l->head);
	l->head = head;
	l->head_len = len;
	l->live = true;
	l->have_page = false;
	l->last_granule = 0;
}

static void stream_end(struct gw_listen *l)
{
	l->live = false;
	free(l->head);
	l->head = NULL;
	l->head_len = 0;
	struct base_list *node, *tmp;
	BASE_LIST_FOREACH_SAFE(node, tmp, &l->clients)
	{
		struct gw_stream_client *c = BASE_CONTAINER_OF(node, struct gw_stream_client, link);
		unlink_client(c);
		c->ending = true;
		lws_callback_on_writable(c->wsi);
	}
}

void gw_stream_media(struct gateway *gw, const char *room, unsigned channel,
		     enum media_stream_kind kind, const uint8_t *data, size_t len)
{
	struct room *r = rooms_find(gw->rooms, room);
	struct gw_listen *l = r ? listen_ch(gw, r, channel, kind == MEDIA_STREAM_BEGIN) : NULL;
	if (!l)
		return;
	switch (kind) {
	case MEDIA_STREAM_BEGIN:
		stream_begin(l, data, len);
		break;
	case MEDIA_STREAM_PAGE:
		if (l->live)
			deliver(l, data, len);
		break;
	case MEDIA_STREAM_END:
		stream_end(l);
		break;
	}
}

/* With the room's host, at shutdown: the clients still open only lose their stream. */
static void listen_free(void *data)
{
	struct gw_listen *l = data;
	struct base_list *node;
	while ((node = base_list_first(&l->clients)) != NULL)
		unlink_client(BASE_CONTAINER_OF(node, struct gw_stream_client, link));
	for (size_t i = 0; i < MEDIA_CHANNELS; i++)
		if (l->chan[i])
			listen_free(l->chan[i]);
	free(l->head);
	free(l);
}
