/* libFuzzer target for media/secure/dtls.c: arbitrary bytes as datagrams into a fresh server
 * session, with the session's replies taken and its clock moved, as a media worker would.
 *
 * Input: the first byte chooses how the rest is cut and driven, so one corpus reaches
 * both single-datagram and multi-datagram paths:
 *   bit 7     set: the rest is [u16 big-endian length][bytes]... datagrams;
 *             clear: the rest is cut into (bits 0-2) + 1 equal datagrams;
 *   bit 6     MTU DTLS_MTU_MIN instead of the default (more fragmentation);
 *   bits 4-5  clock step per datagram: 0, 700 ms, 3 s, 30 s (retransmission, timeout);
 *   bit 3     close the session at the end (close_notify path).
 * It must never crash, leak or trip a sanitizer, whatever the state it reaches. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "media/secure/dtls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Making a P-256 certificate per input would dominate the run, so one context serves
 * every input (it is read-only after creation, as in the server). */
static struct dtls_context *context(void)
{
	static struct dtls_context *ctx;
	if (!ctx && dtls_context_create(&ctx) != DTLS_OK)
		ctx = NULL;
	return ctx;
}

static void drain(struct dtls_session *s)
{
	uint8_t out[DTLS_MTU_MAX + 64];
	size_t len;
	while (dtls_session_take(s, out, sizeof out, &len) == DTLS_OK && len > 0)
		;
}

/* DESIGN.md principle 6, checked on every input: what is rejected changes nothing. */
static void check(bool ok)
{
	if (!ok)
		__builtin_trap();
}

static void step(struct dtls_session *s, const uint8_t *d, size_t n, uint64_t *now, uint64_t dt)
{
	if (n > 0) {
		enum dtls_state before = dtls_session_state(s);
		size_t pending = dtls_session_pending(s);
		enum dtls_err err = dtls_session_feed(s, d, n, *now);
		if (err == DTLS_ERR_NOT_DTLS || err == DTLS_ERR_MALFORMED ||
		    err == DTLS_ERR_STATE || err == DTLS_ERR_RELEASED)
			check(dtls_session_state(s) == before &&
			      dtls_session_pending(s) == pending);
	}
	drain(s);
	*now += dt;
	if (dtls_session_handle_timeout(s, *now) == DTLS_ERR_TIMEOUT)
		check(dtls_session_state(s) == DTLS_STATE_FAILED &&
		      dtls_session_next_timeout(s) == UINT64_MAX);
	drain(s);
}

static void feed_prefixed(struct dtls_session *s, const uint8_t *p, size_t n, uint64_t *now,
			  uint64_t dt)
{
	while (n >= 2) {
		size_t len = (size_t)p[0] << 8 | p[1];
		p += 2, n -= 2;
		if (len > n)
			len = n;
		step(s, p, len, now, dt);
		p += len, n -= len;
	}
}

static void feed_chunks(struct dtls_session *s, const uint8_t *p, size_t n, unsigned chunks,
			uint64_t *now, uint64_t dt)
{
	size_t each = (n + chunks - 1) / chunks;
	for (size_t off = 0; off < n; off += each)
		step(s, p + off, n - off < each ? n - off : each, now, dt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t steps[4] = {0, 700, 3000, 30000};
	struct dtls_context *ctx = context();
	if (!ctx || size < 1)
		return 0;
	uint8_t mode = data[0];
	/* Nobody's certificate: the handshake can progress but never authenticate. */
	struct dtls_fingerprint fp = {.hash = DTLS_HASH_SHA256, .len = 32};
	struct dtls_session_config cfg = {
	    .role = DTLS_ROLE_SERVER,
	    .remote_fingerprint = &fp,
	    .mtu = (mode & 0x40) ? DTLS_MTU_MIN : 0,
	};
	struct dtls_session *s;
	if (dtls_session_create(ctx, &cfg, &s) != DTLS_OK)
		return 0;
	uint64_t now = 1000, dt = steps[(mode >> 4) & 3];
	if (mode & 0x80)
		feed_prefixed(s, data + 1, size - 1, &now, dt);
	else
		feed_chunks(s, data + 1, size - 1, (mode & 7) + 1u, &now, dt);
	if (mode & 0x08) {
		check(dtls_session_close(s, now) == DTLS_OK);
		check(dtls_session_state(s) == DTLS_STATE_CLOSED ||
		      dtls_session_state(s) == DTLS_STATE_FAILED);
		drain(s);
	}
	dtls_session_destroy(s);
	return 0;
}
