/* Unit tests for media/mix/room_relay.c (edges, issue 17) and media/net/relay_link.c, with
 * fake peers as in test_room_mixer.c: each member is a real SRTP session and a loopback
 * UDP socket the test reads, the audio real Opus.
 *
 *   - the tap: every frame it gives is exactly what a listener got (seq, ts, bytes), one
 *     per packet, and the tick allocates nothing with it;
 *   - relay: an owner's frames pushed into an edge room reach its listener under the
 *     edge's SSRC, one line of seq/ts through a pause and a new source whose sequence
 *     numbers are behind the old one's; the tone is heard; nothing is allocated;
 *   - channels: a channel's frame goes with its tick's floor frame (same seq/ts) to the
 *     channel's listeners, and a channel frame of another tick is dropped;
 *   - the link's ring: pushes copy and allocate nothing, a full ring refuses. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "media/mix/opus_codec.h"
#include "media/mix/room_mixer.h"
#include "media/net/relay_link.h"
#include "media/net/ring.h"
#include "media/secure/srtp_session.h"
#include "media/test_audio.h"
#include "media/test_keys.h"

#define OWNER_SSRC 0x0e1e1e1u
#define EDGE_SSRC  0xed9e5u
#define MAX_RX	   600
#define MAX_TAP	   600
#define TICK_US	   20000

#if defined(PLENARY_SANITIZED) || defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define NO_MALLOC_COUNT 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) ||                         \
    __has_feature(memory_sanitizer)
#define NO_MALLOC_COUNT 1
#endif
#endif

static _Thread_local bool counting;
static _Atomic size_t allocations;
#ifndef NO_MALLOC_COUNT
/* "Nothing on the tick or the push allocates": malloc and friends counted while counting. */
void *__libc_malloc(size_t);
void *__libc_calloc(size_t, size_t);
void *__libc_realloc(void *, size_t);

void *malloc(size_t n);
void *malloc(size_t n)
{
	if (counting)
		allocations++;
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t size);
void *calloc(size_t n, size_t size)
{
	if (counting)
		allocations++;
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n);
void *realloc(void *p, size_t n)
{
	if (counting)
		allocations++;
	return __libc_realloc(p, n);
}
#endif

struct rx {
	uint16_t seq;
	uint32_t ts, ssrc;
	uint8_t payload[CODEC_MAX_PACKET];
	size_t len;
};

struct fake {
	struct mixer_member m;
	struct media_srtp *send, *recv;
	int fd;
	struct rx *rx;
	size_t n_rx;
	double hz;
	struct codec_encoder *enc;
	uint16_t seq;
	uint32_t ts;
	size_t sample;
	uint8_t last[CODEC_MAX_PACKET];
	size_t last_len;
};

struct tapped {
	unsigned channel;
	uint32_t ssrc;
	uint16_t seq;
	uint32_t ts;
	uint8_t opus[CODEC_MAX_PACKET];
	size_t len;
};

struct world {
	int server_fd;
	struct fanout *fanout;
	struct mixer_counters counters;
	struct mixer_tap tap;
	struct mixer_env env;
	struct room_mixer *rm;
	int64_t now_us;
	struct fake f[4];
	size_t n;
	struct tapped *taps;
	size_t n_taps;
};

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void on_encoded(void *ctx, const struct media_frame *f)
{
	struct world *w = ctx;
	assert_true(w->n_taps < MAX_TAP);
	assert_true(f->len <= CODEC_MAX_PACKET);
	struct tapped *t = &w->taps[w->n_taps++];
	*t = (struct tapped){.channel = f->channel,
			     .ssrc = f->ssrc,
			     .seq = f->seq,
			     .ts = f->timestamp,
			     .len = f->len};
	memcpy(t->opus, f->opus, f->len);
}

static int udp_socket(struct sockaddr_in *addr)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	assert_true(fd >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	socklen_t len = sizeof *addr;
	assert_int_equal(getsockname(fd, (struct sockaddr *)addr, &len), 0);
	int big = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
	return fd;
}

static struct world *world_new(const char *room, uint32_t ssrc, bool tap)
{
	struct world *w = calloc(1, sizeof *w);
	assert_non_null(w);
	struct sockaddr_in a;
	w->server_fd = udp_socket(&a);
	assert_int_equal(fanout_create(8, &w->fanout), MEDIA_OK);
	w->taps = calloc(MAX_TAP, sizeof *w->taps);
	assert_non_null(w->taps);
	w->tap = (struct mixer_tap){.encoded = on_encoded, .ctx = w};
	w->env = (struct mixer_env){.fd = w->server_fd,
				    .fanout = w->fanout,
				    .counters = &w->counters,
				    .clock_us = mono_us,
				    .tap = tap ? &w->tap : NULL};
	struct room_mixer_config cfg = {
	    .room = room, .ssrc = ssrc, .first_seq = 65400, .first_ts = 4294900000u};
	assert_int_equal(room_mixer_create(&cfg, &w->rm), MEDIA_OK);
	w->now_us = 1000000;
	return w;
}

/* A member, joined and keyed; hz 0 for a listener. */
static struct fake *add(struct world *w, double hz, uint8_t seed)
{
	struct fake *f = &w->f[w->n++];
	test_srtp_pair(DTLS_SRTP_AEAD_AES_128_GCM, seed, &f->send, &f->recv);
	struct sockaddr_in a;
	f->fd = udp_socket(&a);
	f->m.srtp = f->send;
	memcpy(&f->m.addr, &a, sizeof a);
	f->m.addr_len = sizeof a;
	f->m.payload_type = 111;
	f->rx = calloc(MAX_RX, sizeof *f->rx);
	f->hz = hz;
	f->seq = 4000;
	f->ts = 777777u;
	if (hz > 0) {
		struct codec_encoder_config ec = {
		    .complexity = -1, .loss_percent = -1, .disable_dtx = true};
		assert_int_equal(codec_encoder_create(&ec, &f->enc), MEDIA_OK);
	}
	assert_int_equal(room_mixer_join(w->rm, &f->m), MEDIA_OK);
	room_mixer_keyed(&f->m);
	return f;
}

static void world_free(struct world *w)
{
	for (size_t i = 0; i < w->n; i++) {
		struct fake *f = &w->f[i];
		room_mixer_leave(&f->m);
		media_srtp_destroy(f->send);
		media_srtp_destroy(f->recv);
		close(f->fd);
		free(f->rx);
		codec_encoder_destroy(f->enc);
	}
	room_mixer_destroy(w->rm, &w->env);
	fanout_destroy(w->fanout);
	close(w->server_fd);
	free(w->taps);
	free(w);
}

static void speak(struct world *w, struct fake *f)
{
	int16_t pcm[CODEC_FRAME];
	for (size_t i = 0; i < CODEC_FRAME; i++)
		pcm[i] = test_sine_sample(f->hz, 9000, f->sample + i);
	f->sample += CODEC_FRAME;
	bool dtx;
	assert_int_equal(codec_encode(f->enc, pcm, f->last, sizeof f->last, &f->last_len, &dtx),
			 MEDIA_OK);
	struct rtp_header h = {.payload_type = 111,
			       .seq = f->seq++,
			       .timestamp = f->ts,
			       .ssrc = 0xabc00111u,
			       .payload = f->last,
			       .payload_len = f->last_len};
	f->ts += CODEC_FRAME;
	struct talk_packet tp = {
	    .now_us = w->now_us - 3000, .payload_len = f->last_len, .has_level = true, .level = 20};
	(void)room_mixer_audio(&f->m, &h, &tp, &w->env);
}

static void drain(struct fake *f)
{
	uint8_t buf[2048] __attribute__((aligned(16)));
	for (;;) {
		ssize_t n = recv(f->fd, buf, sizeof buf, MSG_DONTWAIT);
		if (n <= 0)
			return;
		size_t plain;
		assert_int_equal(media_srtp_unprotect_rtp(f->recv, buf, (size_t)n, &plain),
				 MEDIA_SRTP_OK);
		struct rtp_header h;
		assert_int_equal(rtp_parse(buf, plain, &h), RTP_OK);
		assert_true(f->n_rx < MAX_RX);
		struct rx *r = &f->rx[f->n_rx++];
		*r = (struct rx){
		    .seq = h.seq, .ts = h.timestamp, .ssrc = h.ssrc, .len = h.payload_len};
		memcpy(r->payload, h.payload, h.payload_len);
	}
}

static void drain_all(struct world *w)
{
	for (size_t i = 0; i < w->n; i++)
		drain(&w->f[i]);
}

static void tick(struct world *w)
{
	counting = true;
	room_mixer_tick(w->rm, &w->env, w->now_us);
	counting = false;
	w->now_us += TICK_US;
	drain_all(w);
}

static double tone_power(const struct fake *f, size_t from, double hz)
{
	struct codec_decoder *d;
	assert_int_equal(codec_decoder_create(&d), MEDIA_OK);
	int16_t *pcm = calloc((f->n_rx - from) * CODEC_FRAME, sizeof *pcm);
	size_t got = 0;
	for (size_t i = from; i < f->n_rx; i++)
		if (codec_decode(d, f->rx[i].payload, f->rx[i].len, pcm + got * CODEC_FRAME) ==
		    MEDIA_OK)
			got++;
	size_t skip = got > 10 ? 5 : 0;
	double p = test_goertzel(pcm + skip * CODEC_FRAME, (got - skip) * CODEC_FRAME, hz);
	free(pcm);
	codec_decoder_destroy(d);
	return p;
}

/* The owner: ana speaks 440 Hz for n ticks, olu listens; the tap fills w->taps. */
static struct world *owner_run(size_t n)
{
	struct world *w = world_new("owner", OWNER_SSRC, true);
	struct fake *ana = add(w, 440, 1);
	add(w, 0, 2);
	assert_int_equal(room_mixer_gate(&ana->m, true), MEDIA_OK);
	allocations = 0;
	for (size_t t = 0; t < n; t++) {
		counting = true;
		speak(w, ana);
		counting = false;
		tick(w);
	}
	return w;
}

static void tap_is_what_listeners_get(void **state)
{
	(void)state;
	struct world *w = owner_run(150);
#ifndef NO_MALLOC_COUNT
	assert_int_equal(allocations, 0);
#endif
	const struct fake *olu = &w->f[1];
	assert_true(olu->n_rx >= 100);
	assert_int_equal(w->n_taps, olu->n_rx); /* one frame per packet, mixed or forwarded */
	for (size_t i = 0; i < olu->n_rx; i++) {
		const struct tapped *t = &w->taps[i];
		assert_int_equal(t->channel, 0);
		assert_int_equal(t->ssrc, OWNER_SSRC);
		assert_int_equal(t->seq, olu->rx[i].seq);
		assert_int_equal(t->ts, olu->rx[i].ts);
		assert_int_equal(t->len, olu->rx[i].len);
		assert_memory_equal(t->opus, olu->rx[i].payload, t->len);
	}
	assert_true(w->counters.forwarded > 0); /* the forwarded stretch is tapped too */
	world_free(w);
}

static void push(struct world *e, const struct tapped *t, uint32_t ssrc_xor, uint16_t seq_add,
		 uint32_t ts_add)
{
	struct media_frame f = {.channel = t->channel,
				.ssrc = t->ssrc ^ ssrc_xor,
				.seq = (uint16_t)(t->seq + seq_add),
				.timestamp = t->ts + ts_add,
				.opus = t->opus,
				.len = t->len};
	counting = true;
	bool used = room_mixer_relay_frame(e->rm, &e->env, &f, e->now_us - 5000);
	counting = false;
	assert_true(used);
	drain_all(e);
}

static void relay_keeps_one_line(void **state)
{
	(void)state;
	struct world *o = owner_run(200);
	struct world *e = world_new("edge", EDGE_SSRC, true);
	struct fake *lis = add(e, 0, 3);
	assert_int_equal(room_mixer_relay(e->rm, true), MEDIA_OK);
	assert_true(room_mixer_relaying(e->rm));
	allocations = 0;
	/* The first 100 frames, one per tick; then 1 s of nothing (the owner died); then the
	 * rest from a "new owner" whose numbers are 500 behind and whose clock is elsewhere. */
	size_t half = 100;
	for (size_t i = 0; i < half; i++) {
		push(e, &o->taps[i], 0, 0, 0);
		tick(e);
	}
	size_t before = lis->n_rx;
	for (int i = 0; i < 50; i++)
		tick(e);
	assert_int_equal(lis->n_rx, before); /* nothing comes: the edge makes no sound of its own */
	for (size_t i = half; i < o->n_taps; i++) {
		push(e, &o->taps[i], 0x77u, (uint16_t)(65536 - 500), 123456789u);
		tick(e);
	}
#ifndef NO_MALLOC_COUNT
	assert_int_equal(allocations, 0);
#endif
	assert_int_equal(lis->n_rx, o->n_taps);
	for (size_t i = 1; i < lis->n_rx; i++) {
		assert_int_equal(lis->rx[i].ssrc, EDGE_SSRC);
		assert_int_equal((uint16_t)(lis->rx[i].seq - lis->rx[i - 1].seq), 1);
		uint32_t dts = lis->rx[i].ts - lis->rx[i - 1].ts;
		assert_true(dts > 0 && dts % 960 == 0);
		assert_true(dts <= (i == before ? 51u : 2u) * 960); /* the pause: its real time */
		assert_memory_equal(lis->rx[i].payload, o->taps[i].opus, o->taps[i].len);
	}
	assert_true(tone_power(lis, 0, 440) > 100 * tone_power(lis, 0, 1000));
	/* Back to its own mix: the relay's state goes, the room's line goes on. */
	assert_int_equal(room_mixer_relay(e->rm, false), MEDIA_OK);
	assert_false(room_mixer_relaying(e->rm));
	struct media_frame late = {.opus = o->taps[0].opus, .len = o->taps[0].len};
	assert_false(room_mixer_relay_frame(e->rm, &e->env, &late, e->now_us));
	world_free(e);
	world_free(o);
}

static void channel_frames_go_with_their_floor(void **state)
{
	(void)state;
	struct world *e = world_new("edge-ch", EDGE_SSRC, false);
	struct fake *floor = add(e, 0, 4), *booth = add(e, 0, 5);
	assert_int_equal(room_mixer_channel(&booth->m, 1), MEDIA_OK);
	assert_int_equal(room_mixer_relay(e->rm, true), MEDIA_OK);
	uint8_t fl[3] = {0xf8, 1, 2}, ch[3] = {0xf8, 9, 9};
	struct media_frame c = {
	    .channel = 1, .ssrc = 7, .seq = 10, .timestamp = 9600, .opus = ch, .len = 3};
	struct media_frame f = {
	    .channel = 0, .ssrc = 7, .seq = 10, .timestamp = 9600, .opus = fl, .len = 3};
	assert_true(room_mixer_relay_frame(e->rm, &e->env, &c, e->now_us));
	assert_true(room_mixer_relay_frame(e->rm, &e->env, &f, e->now_us));
	drain_all(e);
	assert_int_equal(floor->n_rx, 1);
	assert_int_equal(booth->n_rx, 1);
	assert_memory_equal(floor->rx[0].payload, fl, 3);
	assert_memory_equal(booth->rx[0].payload, ch, 3);
	assert_int_equal(floor->rx[0].seq, booth->rx[0].seq);
	assert_int_equal(floor->rx[0].ts, booth->rx[0].ts);
	/* A channel frame of another tick (seq 11) is not sent with seq 12's floor: the
	 * booth's listener hears the floor of that tick, as with no voice on the owner. */
	c.seq = 11;
	f.seq = 12;
	f.timestamp += 1920;
	e->now_us += 40000;
	assert_true(room_mixer_relay_frame(e->rm, &e->env, &c, e->now_us));
	assert_true(room_mixer_relay_frame(e->rm, &e->env, &f, e->now_us));
	drain_all(e);
	assert_int_equal(booth->n_rx, 2);
	assert_memory_equal(booth->rx[1].payload, fl, 3);
	assert_int_equal((uint16_t)(booth->rx[1].seq - booth->rx[0].seq), 2); /* 11 was lost */
	/* Bad frames are not used. */
	f.len = 0;
	assert_false(room_mixer_relay_frame(e->rm, &e->env, &f, e->now_us));
	c.channel = 99;
	assert_false(room_mixer_relay_frame(e->rm, &e->env, &c, e->now_us));
	world_free(e);
}

static void link_push_copies_without_allocating(void **state)
{
	(void)state;
	int fd;
	assert_int_equal(ring_wake_open(&fd), MEDIA_OK);
	struct relay_link *l;
	assert_int_equal(relay_link_create("room", 1, NULL, 0, fd, &l), MEDIA_OK);
	uint8_t opus[200];
	for (size_t i = 0; i < sizeof opus; i++)
		opus[i] = (uint8_t)i;
	allocations = 0;
	size_t pushed = 0;
	for (;;) {
		struct link_slot s = {
		    .kind = LINK_MIC, .seq = (uint16_t)pushed, .len = sizeof opus};
		snprintf(s.pid, sizeof s.pid, "p%zu", pushed);
		counting = true;
		bool ok = relay_link_push(l, &s, opus);
		counting = false;
		if (!ok)
			break;
		pushed++;
	}
#ifndef NO_MALLOC_COUNT
	assert_int_equal(allocations, 0);
#endif
	assert_int_equal(pushed, LINK_SLOTS); /* then full: refused, nothing overwritten */
	assert_true(ring_wake_drain(fd) > 0);
	size_t slot, n = 0;
	while (base_spsc_peek(&l->q, &slot)) {
		const struct link_slot *s = &l->slots[slot];
		char pid[16];
		snprintf(pid, sizeof pid, "p%zu", n);
		assert_int_equal(s->seq, (uint16_t)n);
		assert_string_equal(s->pid, pid);
		assert_int_equal(s->len, sizeof opus);
		assert_memory_equal(s->opus, opus, sizeof opus);
		base_spsc_release(&l->q);
		n++;
	}
	assert_int_equal(n, LINK_SLOTS);
#ifndef NO_MALLOC_COUNT
	/* The count works. Through a pointer: GCC removes a malloc freed unused at -O2. */
	void *(*volatile allocate)(size_t) = malloc;
	allocations = 0;
	counting = true;
	void *p = allocate(16);
	counting = false;
	free(p);
	assert_int_equal(allocations, 1);
#endif
	struct link_slot big = {.kind = LINK_RELAY, .len = MEDIA_FRAME_MAX + 1};
	assert_false(relay_link_push(l, &big, opus));
	relay_link_destroy(l);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(tap_is_what_listeners_get),
	    cmocka_unit_test(relay_keeps_one_line),
	    cmocka_unit_test(channel_frames_go_with_their_floor),
	    cmocka_unit_test(link_push_copies_without_allocating),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
