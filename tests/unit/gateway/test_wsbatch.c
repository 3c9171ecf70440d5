/*
 * Batched WebSocket writes (gateway/wsbatch.c) against a fake socket: every frame header
 * length class, the order of the messages, the batch bound, the moderation close that
 * waits its turn, and short writes that must resume at the next unsent byte. What the
 * fake socket took is parsed back as a client would (RFC 6455), frame by frame.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "gateway/conn.h"
#include "gateway/server.h"
#include "gateway/wsbatch.h"

/* The fake socket: takes at most `take` bytes per call (0: everything), nothing at all
 * while `full`, or fails. */
struct sock {
	unsigned char *got;
	size_t len, cap;
	size_t take;
	unsigned writes;
	bool full, fail;
};

static ssize_t sock_write(void *ctx, const unsigned char *p, size_t n)
{
	struct sock *s = ctx;
	if (s->fail)
		return -1;
	if (s->full)
		return 0;
	if (s->take && n > s->take)
		n = s->take;
	if (s->len + n > s->cap) {
		s->cap = (s->len + n) * 2;
		s->got = realloc(s->got, s->cap);
		assert_non_null(s->got);
	}
	memcpy(s->got + s->len, p, n);
	s->len += n;
	s->writes++;
	return (ssize_t)n;
}

static void want_write(struct conn *c)
{
	(void)c;
}

static void drop(struct conn *c)
{
	(void)c;
	fail_msg("the connection was dropped");
}

static const struct conn_io fake_io = {.want_write = want_write, .drop = drop};

struct fixture {
	struct gateway *gw;
	struct conn *c;
	struct gw_wsbatch batch;
	struct sock sock;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	f->gw = calloc(1, sizeof *f->gw);
	f->gw->cfg.send_queue_bytes = 16u << 20;
	base_list_init(&f->gw->conns);
	f->c = gw_conn_create(f->gw, &fake_io, NULL);
	assert_non_null(f->c);
	f->batch.pre = 16; /* headroom, as LWS_PRE: the frames must start after it */
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	gw_conn_destroy(f->c);
	gw_wsbatch_free(&f->batch);
	free(f->sock.got);
	free(f->gw);
	free(f);
	return 0;
}

/* A message of len bytes whose content says which one it is. */
static struct gw_msg *make(size_t len, unsigned no)
{
	char *text = malloc(len + 1);
	for (size_t i = 0; i < len; i++)
		text[i] = (char)('a' + (no + i) % 26);
	struct gw_msg *m = gw_msg_new(text, len);
	free(text);
	return m;
}

static void queue(struct conn *c, size_t len, unsigned no)
{
	struct gw_msg *m = make(len, no);
	gw_conn_send(c, m);
	gw_msg_unref(m);
}

/* Parses frame k's header at p (n bytes left); returns the header length, sets *len. */
static size_t parse_header(const unsigned char *p, size_t n, uint64_t *len)
{
	assert_true(n >= 2);
	assert_int_equal(p[0], 0x81);	  /* FIN, text, no RSV bits: no extension */
	assert_int_equal(p[1] & 0x80, 0); /* a server never masks */
	uint64_t l = p[1] & 0x7f;
	size_t h = 2;
	if (l == 126) {
		assert_true(n >= 4);
		l = (uint64_t)p[2] << 8 | p[3];
		assert_true(l >= 126); /* the shortest form, as RFC 6455 requires */
		h = 4;
	} else if (l == 127) {
		assert_true(n >= 10);
		l = 0;
		for (int i = 0; i < 8; i++)
			l = l << 8 | p[2 + i];
		assert_true(l > 0xffff);
		h = 10;
	}
	*len = l;
	return h;
}

/* The socket's bytes must be exactly the frames of the messages lens[0..n), in order. */
static void assert_frames(const struct sock *s, const size_t *lens, unsigned first, size_t n)
{
	size_t at = 0;
	for (size_t k = 0; k < n; k++) {
		uint64_t len;
		at += parse_header(s->got + at, s->len - at, &len);
		assert_int_equal(len, lens[k]);
		assert_true(at + len <= s->len);
		struct gw_msg *want = make(lens[k], first + (unsigned)k);
		if (len)
			assert_memory_equal(s->got + at, want->payload, len);
		gw_msg_unref(want);
		at += len;
	}
	assert_int_equal(at, s->len);
}

static void test_header_classes(void **state)
{
	(void)state;
	static const struct {
		uint64_t len;
		size_t h;
		unsigned char b1;
	} cases[] = {{0, 2, 0},	      {1, 2, 1},	{125, 2, 125},	    {126, 4, 126},
		     {65535, 4, 126}, {65536, 10, 127}, {1u << 20, 10, 127}};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		unsigned char out[GW_WS_HEADER_MAX];
		size_t h = gw_ws_frame_header(out, cases[i].len);
		assert_int_equal(h, cases[i].h);
		assert_int_equal(out[0], 0x81);
		assert_int_equal(out[1], cases[i].b1);
		uint64_t back;
		assert_int_equal(parse_header(out, h, &back), h);
		assert_int_equal(back, cases[i].len);
	}
	unsigned char out[GW_WS_HEADER_MAX];
	gw_ws_frame_header(out, 0x0102030405060708ull);
	const unsigned char be[] = {0x81, 127, 1, 2, 3, 4, 5, 6, 7, 8};
	assert_memory_equal(out, be, sizeof be);
}

/* Every length class in one batch, in one write, in order. */
static void test_one_write_in_order(void **state)
{
	struct fixture *f = *state;
	const size_t lens[] = {0, 1, 125, 126, 300, 65535, 65536, 70000, 7};
	const size_t n = sizeof lens / sizeof lens[0];
	for (size_t k = 0; k < n; k++)
		queue(f->c, lens[k], (unsigned)k);
	assert_int_equal(gw_wsbatch_write(&f->batch, f->c, 1u << 20, sock_write, &f->sock), 1);
	assert_int_equal(f->sock.writes, 1);
	assert_int_equal(f->gw->metrics.ws_writes, 1);
	assert_int_equal(f->c->q_len, 0);
	assert_int_equal(f->c->q_bytes, 0);
	assert_false(gw_wsbatch_has_rest(f->c));
	assert_frames(&f->sock, lens, 0, n);
	assert_int_equal(gw_wsbatch_write(&f->batch, f->c, 1u << 20, sock_write, &f->sock), 0);
	assert_int_equal(f->sock.writes, 1);
}

/* The bound: whole frames per write, the first message goes even when over it. */
static void test_limit(void **state)
{
	struct fixture *f = *state;
	const size_t lens[] = {100, 100, 100, 5000, 10, 10};
	const size_t n = sizeof lens / sizeof lens[0];
	for (size_t k = 0; k < n; k++)
		queue(f->c, lens[k], (unsigned)k);
	/* Within 250: two frames of 102, not three; the third alone, as the 5000 would not
	 * fit after it; the 5000 alone though over the bound; then the two of 10. */
	const size_t per_write[] = {2, 1, 1, 2};
	size_t done = 0;
	for (size_t w = 0; w < sizeof per_write / sizeof per_write[0]; w++) {
		size_t before = f->sock.len;
		assert_int_equal(gw_wsbatch_write(&f->batch, f->c, 250, sock_write, &f->sock), 1);
		struct sock one = {.got = f->sock.got + before, .len = f->sock.len - before};
		assert_frames(&one, lens + done, (unsigned)done, per_write[w]);
		done += per_write[w];
	}
	assert_int_equal(done, n);
	assert_int_equal(gw_wsbatch_write(&f->batch, f->c, 250, sock_write, &f->sock), 0);
	assert_frames(&f->sock, lens, 0, n);
}

/* Short writes: each call resumes at the first byte not taken, and messages queued
 * meanwhile come after the cut batch, never inside it. */
static void test_partial_resumes(void **state)
{
	struct fixture *f = *state;
	const size_t lens[] = {3, 130, 66000, 0, 50, 9};
	queue(f->c, lens[0], 0);
	queue(f->c, lens[1], 1);
	queue(f->c, lens[2], 2);
	f->sock.take = 7; /* odd, so cuts fall inside headers and payloads alike */
	assert_int_equal(gw_wsbatch_write(&f->batch, f->c, 1u << 20, sock_write, &f->sock), 1);
	assert_int_equal(f->sock.len, 7);
	assert_true(gw_wsbatch_has_rest(f->c));
	queue(f->c, lens[3], 3);
	queue(f->c, lens[4], 4);
	f->sock.take = 1000;
	unsigned calls = 0;
	while (gw_wsbatch_has_rest(f->c)) {
		assert_int_equal(gw_wsbatch_write(&f->batch, f->c, 1u << 20, sock_write, &f->sock),
				 1);
		calls++;
	}
	/* frames of 2+3, 4+130 and 10+66000 bytes, 7 of them taken, then 1000 per call */
	assert_int_equal(calls, (5 + 134 + 66010 - 7 + 999) / 1000);
	assert_int_equal(f->c->q_len, 2); /* the two queued during the rest, still queued */
	queue(f->c, lens[5], 5);
	f->sock.take = 0;
	assert_int_equal(gw_wsbatch_write(&f->batch, f->c, 1u << 20, sock_write, &f->sock), 1);
	assert_false(gw_wsbatch_has_rest(f->c));
	assert_frames(&f->sock, lens, 0, sizeof lens / sizeof lens[0]);
}

/* A socket that takes nothing at all is not an error: everything stays for later. */
static void test_zero_taken(void **state)
{
	struct fixture *f = *state;
	const size_t lens[] = {40, 41};
	queue(f->c, lens[0], 0);
	queue(f->c, lens[1], 1);
	f->sock.full = true;
	assert_int_equal(gw_wsbatch_write(&f->batch, f->c, 1u << 20, sock_write, &f->sock), 1);
	assert_int_equal(gw_wsbatch_write(&f->batch, f->c, 1u << 20, sock_write, &f->sock), 1);
	assert_int_equal(f->sock.len, 0);
	assert_true(gw_wsbatch_has_rest(f->c));
	f->sock.full = false;
	assert_int_equal(gw_wsbatch_write(&f->batch, f->c, 1u << 20, sock_write, &f->sock), 1);
	assert_false(gw_wsbatch_has_rest(f->c));
	assert_frames(&f->sock, lens, 0, 2);
}

/* A moderation close ends the batch: what came before goes, the close stays at the head. */
static void test_close_waits(void **state)
{
	struct fixture *f = *state;
	const size_t lens[] = {20, 21};
	queue(f->c, lens[0], 0);
	queue(f->c, lens[1], 1);
	struct gw_msg *close = gw_msg_close(4403, "removed");
	gw_conn_send(f->c, close);
	gw_msg_unref(close);
	queue(f->c, 22, 2);
	assert_int_equal(gw_wsbatch_write(&f->batch, f->c, 1u << 20, sock_write, &f->sock), 1);
	assert_frames(&f->sock, lens, 0, 2);
	assert_int_equal(gw_wsbatch_write(&f->batch, f->c, 1u << 20, sock_write, &f->sock), 0);
	assert_ptr_equal(gw_conn_peek(f->c), close);
	assert_int_equal(gw_conn_peek(f->c)->close_code, 4403);
}

static void test_write_error(void **state)
{
	struct fixture *f = *state;
	queue(f->c, 10, 0);
	f->sock.fail = true;
	assert_int_equal(gw_wsbatch_write(&f->batch, f->c, 1u << 20, sock_write, &f->sock), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_header_classes),
	    cmocka_unit_test_setup_teardown(test_one_write_in_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_limit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_partial_resumes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_zero_taken, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_close_waits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_write_error, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
