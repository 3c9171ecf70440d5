/* Unit tests for media/mix/room_relay.c (edges, issue 17) and media/net/relay_link.c, with
 * fake peers as in test_room_mixer.c: each member is a real SRTP session and a loopback
 * UDP socket the test reads, the audio real Opus.
 *
 *   - the tap: every frame it gives is exactly what a listener got (seq, ts, bytes), one
 *     per packet, and the tick allocates nothing with it;
 *   - relay: an owner's frames pushed into an edge room reach its listener under the
 *     edge's SSRC, one line of seq/ts through a pause and a new source whose sequence
 *     numbers are behind the old one's; the tone is heard; nothing is allocated; an
 *     open mic there gets none of it (its own voice is in it);
 *   - channels: a channel's frame goes with its tick's floor frame (same seq/ts) to the
 *     channel's listeners, and a channel frame of another tick is dropped;
 *   - the link's ring: pushes copy and allocate nothing, a full ring refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "media/alloc_count.h"
#include "media/mix/opus_codec.h"
#include "media/mix/room_mixer.h"
#include "media/mix_world.h"
#include "media/net/relay_link.h"
#include "media/net/ring.h"
#include "media/test_audio.h"

#define OWNER_SSRC 0x0e1e1e1u
#define EDGE_SSRC  0xed9e5u

static struct world *relay_world(const char *room, uint32_t ssrc, bool tap)
{
	struct world_config c = {
	    .room = room, .ssrc = ssrc, .first_seq = 65400, .first_ts = 4294900000u, .tap = tap};
	return world_new_with(&c);
}

/* A member, joined and keyed; hz 0 for a listener. */
static struct fake *add(struct world *w, double hz)
{
	struct fake *f = world_add(w, hz, 111);
	f->mic_ssrc = 0xabc00111u;
	return f;
}

static void drain_all(struct world *w)
{
	for (size_t i = 0; i < w->n; i++)
		world_drain(&w->f[i]);
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
	struct world *w = relay_world("owner", OWNER_SSRC, true);
	struct fake *ana = add(w, 440);
	add(w, 0);
	assert_int_equal(room_mixer_gate(&ana->m, true), MEDIA_OK);
	allocations = 0;
	for (size_t t = 0; t < n; t++) {
		counting = true;
		world_speak(w, ana, 20);
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
	struct world *e = relay_world("edge", EDGE_SSRC, true);
	struct fake *lis = add(e, 0);
	/* An edge participant with an open mic: the owner's stream has their own voice in it. */
	struct fake *spk = add(e, 0);
	assert_int_equal(room_mixer_relay(e->rm, true), MEDIA_OK);
	assert_true(room_mixer_relaying(e->rm));
	assert_int_equal(room_mixer_gate(&spk->m, true), MEDIA_OK);
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
	assert_int_equal(spk->n_rx, 0); /* no echo of themselves a round trip late */
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
	struct world *e = relay_world("edge-ch", EDGE_SSRC, false);
	struct fake *floor = add(e, 0), *booth = add(e, 0);
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
