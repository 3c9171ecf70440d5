/*
 * Batched WebSocket writes (wsbatch.h). Server frames are never masked (RFC 6455 5.1),
 * so a frame is a header of 2, 4 or 10 bytes and the payload as it is: the shared message
 * is copied once into the batch, the header computed from its length.
 *
 * A short write keeps its unsent tail in the connection (c->tx_rest) and the next write
 * starts there, so frames are never reordered, cut or repeated. lws itself never reports
 * a short write (it keeps the remainder and flushes it before the next writable
 * callback), but the writer here is any transport and the rule costs nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "gateway/conn.h"
#include "gateway/server.h"
#include "gateway/wsbatch.h"

size_t gw_ws_frame_header(unsigned char *out, uint64_t len)
{
	out[0] = 0x81; /* FIN, text */
	if (len < 126) {
		out[1] = (unsigned char)len;
		return 2;
	}
	if (len <= 0xffff) {
		out[1] = 126;
		out[2] = (unsigned char)(len >> 8);
		out[3] = (unsigned char)len;
		return 4;
	}
	out[1] = 127;
	for (int i = 0; i < 8; i++)
		out[2 + i] = (unsigned char)(len >> (56 - 8 * i));
	return 10;
}

static int reserve(struct gw_wsbatch *b, size_t need)
{
	if (b->cap >= b->pre + need)
		return 0;
	size_t cap = b->cap ? b->cap : 16384;
	while (cap < b->pre + need)
		cap *= 2;
	unsigned char *grown = realloc(b->buf, cap);
	if (!grown)
		return -1;
	b->buf = grown;
	b->cap = cap;
	return 0;
}

/* Frames queued messages into b; returns the batch's length, or -1 on OOM. */
static ssize_t fill(struct gw_wsbatch *b, struct conn *c, size_t limit)
{
	size_t len = 0;
	struct gw_msg *m;
	while ((m = gw_conn_peek(c)) && !m->close_code) {
		size_t frame = GW_WS_HEADER_MAX + m->len;
		if (len && len + frame > limit)
			break;
		if (reserve(b, len + frame) < 0)
			return -1;
		unsigned char *at = b->buf + b->pre + len;
		size_t h = gw_ws_frame_header(at, m->len);
		memcpy(at + h, m->payload, m->len);
		len += h + m->len;
		gw_msg_unref(gw_conn_next(c));
	}
	return (ssize_t)len;
}

static int keep_rest(struct conn *c, const unsigned char *p, size_t n)
{
	unsigned char *rest = malloc(n);
	if (!rest)
		return -1;
	memcpy(rest, p, n);
	c->tx_rest = rest;
	c->tx_rest_len = n;
	c->tx_rest_off = 0;
	return 1;
}

static int write_rest(struct conn *c, gw_ws_write_fn write, void *ctx)
{
	size_t left = c->tx_rest_len - c->tx_rest_off;
	ssize_t n = write(ctx, c->tx_rest + c->tx_rest_off, left);
	if (n < 0)
		return -1;
	c->gw->metrics.ws_writes++;
	c->tx_rest_off += (size_t)n;
	if (c->tx_rest_off == c->tx_rest_len) {
		free(c->tx_rest);
		c->tx_rest = NULL;
		c->tx_rest_len = c->tx_rest_off = 0;
	}
	return 1;
}

int gw_wsbatch_write(struct gw_wsbatch *b, struct conn *c, size_t limit, gw_ws_write_fn write,
		     void *ctx)
{
	if (c->tx_rest)
		return write_rest(c, write, ctx);
	ssize_t len = fill(b, c, limit);
	if (len <= 0)
		return (int)len;
	const unsigned char *p = b->buf + b->pre;
	ssize_t n = write(ctx, p, (size_t)len);
	if (n < 0)
		return -1;
	c->gw->metrics.ws_writes++;
	if (n < len)
		return keep_rest(c, p + n, (size_t)(len - n));
	return 1;
}

bool gw_wsbatch_has_rest(const struct conn *c)
{
	return c->tx_rest != NULL;
}

void gw_wsbatch_free(struct gw_wsbatch *b)
{
	free(b->buf);
	*b = (struct gw_wsbatch){0};
}
