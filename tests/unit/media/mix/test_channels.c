/* Unit tests for media/mix/channels.c through the room mixer, with fake peers as in
 * test_room_mixer.c: real SRTP sessions, loopback sockets the test reads and unprotects,
 * Opus tones encoded here and decoded from what each member received.
 *
 *   - a French listener hears the French interpreter's tone and not the floor's; a floor
 *     listener hears the floor and not the interpreter; the interpreter hears the floor;
 *   - the channel is encoded once per tick whatever the number of its listeners;
 *   - a booth handover: decoded in 5 ms windows, the channel never carries both
 *     interpreters' tones at once, and the mixer refuses a second open voice;
 *   - a listener moving between the floor and channels keeps one RTP stream: sequence
 *     numbers step by one and timestamps by 960, only the payload's source changes;
 *   - a channel with nobody on air carries the floor, forwarded or mixed;
 *   - the tick and the arrivals allocate nothing with channels on air (counted where no
 *     sanitizer interposes malloc). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "media/alloc_count.h"
#include "media/mix/opus_codec.h"
#include "media/mix/room_mixer.h"
#include "media/mix_world.h"
#include "media/record/page_ring.h"
#include "media/secure/srtp_session.h"
#include "media/test_audio.h"

#define FLOOR_HZ 440
#define FR1_HZ	 1000
#define FR2_HZ	 2000

/* A member on Opus payload type 111; its mic's SSRC names its tone. */
static struct fake *add(struct world *w, double hz)
{
	struct fake *f = world_add(w, hz, 111);
	f->mic_ssrc = 0xabc00000u + (uint32_t)hz;
	return f;
}

/* ticks ticks; every member with a tone and an open gate speaks before each. */
static void run(struct world *w, size_t ticks)
{
	for (size_t t = 0; t < ticks; t++) {
		for (size_t i = 0; i < w->n; i++)
			if (w->f[i].hz > 0)
				world_speak(w, &w->f[i], 20);
		room_mixer_tick(w->rm, &w->env, w->now_us);
		w->now_us += TICK_US;
		for (size_t i = 0; i < w->n; i++)
			world_drain(&w->f[i]);
	}
}

/* What f received from packet from on, decoded; *n samples (skipping the codec's start). */
static int16_t *decode(const struct fake *f, size_t from, size_t *n)
{
	struct codec_decoder *d;
	assert_int_equal(codec_decoder_create(&d), MEDIA_OK);
	int16_t *pcm = calloc((f->n_rx - from + 1) * CODEC_FRAME, sizeof *pcm);
	size_t got = 0;
	for (size_t i = from; i < f->n_rx; i++)
		if (codec_decode(d, f->rx[i].payload, f->rx[i].len, pcm + got * CODEC_FRAME) ==
		    MEDIA_OK)
			got++;
	codec_decoder_destroy(d);
	size_t skip = got > 10 ? 5 : 0;
	memmove(pcm, pcm + skip * CODEC_FRAME, (got - skip) * CODEC_FRAME * sizeof *pcm);
	*n = (got - skip) * CODEC_FRAME;
	return pcm;
}

static double power(const struct fake *f, size_t from, double hz)
{
	size_t n;
	int16_t *pcm = decode(f, from, &n);
	assert_true(n > 0);
	double p = test_goertzel(pcm, n, hz);
	free(pcm);
	return p;
}

static void assert_one_stream(const struct fake *f)
{
	assert_true(f->n_rx > 1);
	for (size_t i = 1; i < f->n_rx; i++) {
		assert_int_equal(f->rx[i].ssrc, ROOM_SSRC);
		assert_int_equal((uint16_t)(f->rx[i].seq - f->rx[i - 1].seq), 1);
		assert_int_equal(f->rx[i].ts - f->rx[i - 1].ts, CODEC_FRAME);
	}
}

static void channel_carries_its_interpreter(void **state)
{
	(void)state;
	struct world *w = world_new();
	struct fake *floor = add(w, FLOOR_HZ), *fr = add(w, FR1_HZ);
	struct fake *en = add(w, 0), *lf[3] = {add(w, 0), add(w, 0), add(w, 0)};
	assert_int_equal(room_mixer_voice(&fr->m, 1), MEDIA_OK);
	for (int i = 0; i < 3; i++)
		assert_int_equal(room_mixer_channel(&lf[i]->m, 1), MEDIA_OK);
	assert_int_equal(room_mixer_gate(&floor->m, true), MEDIA_OK);
	assert_int_equal(room_mixer_gate(&fr->m, true), MEDIA_OK);
	uint64_t enc0 = w->counters.channel_encoded, pub0 = w->counters.encoded;
	run(w, 100);
	/* One encode of the channel per tick, whatever its three listeners. */
	assert_int_equal(w->counters.channel_encoded - enc0, 100);
	assert_int_equal(w->counters.encoded - pub0, 100);
	for (int i = 0; i < 3; i++) {
		assert_true(lf[i]->n_rx >= 95);
		double f1 = power(lf[i], 0, FR1_HZ), fl = power(lf[i], 0, FLOOR_HZ);
		print_message("French listener %d: %.0f Hz %.1f, floor %.1f\n", i, (double)FR1_HZ,
			      f1, fl);
		assert_true(f1 > 100 * fl);
		assert_one_stream(lf[i]);
	}
	double e1 = power(en, 0, FR1_HZ), el = power(en, 0, FLOOR_HZ);
	print_message("floor listener: floor %.1f, interpreter %.1f\n", el, e1);
	assert_true(el > 100 * e1);
	/* The interpreter hears the floor, not itself. */
	assert_true(power(fr, 0, FLOOR_HZ) > 100 * power(fr, 0, FR1_HZ));
	/* The floor speaker's mix-minus has no interpreter in it either. */
	assert_true(floor->n_rx == 0 || power(floor, 0, FR1_HZ) < 1.0);
	world_free(w);
}

/* Decoded in 5 ms windows: how many carry both tones (each above a quarter of its steady
 * power), and how many carry each. */
static void windows(const struct fake *f, size_t from, size_t *both, size_t *one, size_t *two)
{
	size_t n;
	int16_t *pcm = decode(f, from, &n);
	double s1 = test_goertzel(pcm, n / 2, FR1_HZ),
	       s2 = test_goertzel(pcm + n / 2, n / 2, FR2_HZ);
	*both = *one = *two = 0;
	for (size_t at = 0; at + 240 <= n; at += 240) {
		bool a = test_goertzel(pcm + at, 240, FR1_HZ) > s1 / 4;
		bool b = test_goertzel(pcm + at, 240, FR2_HZ) > s2 / 4;
		*both += a && b;
		*one += a;
		*two += b;
	}
	free(pcm);
}

static void handover_never_two_voices(void **state)
{
	(void)state;
	struct world *w = world_new();
	struct fake *floor = add(w, FLOOR_HZ), *fr1 = add(w, FR1_HZ), *fr2 = add(w, FR2_HZ);
	struct fake *lf = add(w, 0);
	assert_int_equal(room_mixer_voice(&fr1->m, 1), MEDIA_OK);
	assert_int_equal(room_mixer_voice(&fr2->m, 1), MEDIA_OK);
	assert_int_equal(room_mixer_channel(&lf->m, 1), MEDIA_OK);
	assert_int_equal(room_mixer_gate(&floor->m, true), MEDIA_OK);
	assert_int_equal(room_mixer_gate(&fr1->m, true), MEDIA_OK);
	run(w, 60);
	/* The rooms' order: the outgoing closes, then the incoming opens. */
	assert_int_equal(room_mixer_gate(&fr1->m, false), MEDIA_OK);
	assert_int_equal(room_mixer_gate(&fr2->m, true), MEDIA_OK);
	run(w, 60);
	size_t both, one, two;
	windows(lf, 0, &both, &one, &two);
	print_message("handover: %zu windows with both, %zu with the first, %zu with the second\n",
		      both, one, two);
	assert_true(one > 150 && two > 150);
	assert_int_equal(both, 0);
	/* Opening a voice closes the channel's other one first, whatever order they come. */
	assert_int_equal(room_mixer_gate(&fr1->m, true), MEDIA_OK);
	assert_false(fr2->m.gate);
	assert_true(fr1->m.gate);
	assert_one_stream(lf);
	world_free(w);
}

static void switching_keeps_one_stream(void **state)
{
	(void)state;
	struct world *w = world_new();
	struct fake *floor = add(w, FLOOR_HZ), *fr = add(w, FR1_HZ), *es = add(w, FR2_HZ);
	struct fake *l = add(w, 0);
	assert_int_equal(room_mixer_voice(&fr->m, 1), MEDIA_OK);
	assert_int_equal(room_mixer_voice(&es->m, 2), MEDIA_OK);
	assert_int_equal(room_mixer_gate(&floor->m, true), MEDIA_OK);
	assert_int_equal(room_mixer_gate(&fr->m, true), MEDIA_OK);
	assert_int_equal(room_mixer_gate(&es->m, true), MEDIA_OK);
	size_t mark[5];
	static const unsigned plan[4] = {0, 1, 2, 0};
	static const double hz[4] = {FLOOR_HZ, FR1_HZ, FR2_HZ, FLOOR_HZ};
	for (int i = 0; i < 4; i++) {
		assert_int_equal(room_mixer_channel(&l->m, plan[i]), MEDIA_OK);
		mark[i] = l->n_rx;
		run(w, 40);
	}
	mark[4] = l->n_rx;
	assert_one_stream(l); /* across every switch */
	for (int i = 0; i < 4; i++) {
		struct fake seg = *l; /* the segment alone */
		seg.n_rx = mark[i + 1];
		double want = power(&seg, mark[i], hz[i]);
		for (int k = 0; k < 3; k++) {
			static const double all[3] = {FLOOR_HZ, FR1_HZ, FR2_HZ};
			if (all[k] != hz[i])
				assert_true(want > 20 * power(&seg, mark[i], all[k]));
		}
	}
	assert_int_equal(room_mixer_channel(&l->m, 2 * MEDIA_CHANNELS + 1), MEDIA_ERR_PARAM);
	world_free(w);
}

/* Relay interpretation: the Spanish interpreter, on air, hears the French channel instead
 * of the floor, and the Spanish channel carries her voice. */
static void interpreter_relays_another_channel(void **state)
{
	(void)state;
	struct world *w = world_new();
	struct fake *floor = add(w, FLOOR_HZ), *fr = add(w, FR1_HZ), *es = add(w, FR2_HZ);
	struct fake *les = add(w, 0);
	assert_int_equal(room_mixer_voice(&fr->m, 1), MEDIA_OK);
	assert_int_equal(room_mixer_voice(&es->m, 2), MEDIA_OK);
	assert_int_equal(room_mixer_channel(&es->m, 1), MEDIA_OK);
	assert_int_equal(room_mixer_channel(&les->m, 2), MEDIA_OK);
	assert_int_equal(room_mixer_gate(&floor->m, true), MEDIA_OK);
	assert_int_equal(room_mixer_gate(&fr->m, true), MEDIA_OK);
	assert_int_equal(room_mixer_gate(&es->m, true), MEDIA_OK);
	run(w, 80);
	double relay = power(es, 0, FR1_HZ), fl = power(es, 0, FLOOR_HZ);
	print_message("relaying interpreter: French %.1f, floor %.1f\n", relay, fl);
	assert_true(relay > 100 * fl);
	assert_true(power(es, 0, FR1_HZ) > 100 * power(es, 0, FR2_HZ)); /* not herself */
	assert_true(power(les, 0, FR2_HZ) > 100 * power(les, 0, FR1_HZ));
	assert_one_stream(es);
	world_free(w);
}

/* The floor underneath: a second list of the French channel carries the interpreter with
 * the floor at -18 dB, measured (both tones are sent at the same amplitude); the plain
 * list beside it has no floor, and each list is encoded once per tick. */
static void floor_underneath_at_its_level(void **state)
{
	(void)state;
	struct world *w = world_new();
	struct fake *floor = add(w, FLOOR_HZ), *fr = add(w, FR1_HZ);
	struct fake *under = add(w, 0), *under2 = add(w, 0), *plain = add(w, 0);
	assert_int_equal(room_mixer_voice(&fr->m, 1), MEDIA_OK);
	assert_int_equal(room_mixer_channel(&under->m, 1 + MEDIA_CHANNELS), MEDIA_OK);
	assert_int_equal(room_mixer_channel(&under2->m, 1 + MEDIA_CHANNELS), MEDIA_OK);
	assert_int_equal(room_mixer_channel(&plain->m, 1), MEDIA_OK);
	assert_int_equal(room_mixer_gate(&floor->m, true), MEDIA_OK);
	assert_int_equal(room_mixer_gate(&fr->m, true), MEDIA_OK);
	run(w, 100);
	assert_int_equal(w->counters.channel_encoded, 200); /* two lists, once each per tick */
	double v = power(under, 0, FR1_HZ), f = power(under, 0, FLOOR_HZ);
	/* -18 dB is a power ratio of 0.0158; -21 and -15 dB bound it at 0.0079 and 0.0316. */
	print_message("floor under the French channel: power ratio %.4f (-18 dB: 0.0158)\n", f / v);
	assert_true(f / v > 0.0079 && f / v < 0.0316);
	assert_true(power(plain, 0, FR1_HZ) > 1000 * power(plain, 0, FLOOR_HZ));
	assert_int_equal(under2->n_rx, under->n_rx);
	assert_one_stream(under);
	world_free(w);
}

static void channel_without_voice_hears_the_floor(void **state)
{
	(void)state;
	struct world *w = world_new();
	struct fake *floor = add(w, FLOOR_HZ), *l = add(w, 0), *en = add(w, 0);
	assert_int_equal(room_mixer_channel(&l->m, 3), MEDIA_OK);
	assert_int_equal(room_mixer_gate(&floor->m, true), MEDIA_OK);
	run(w, 80); /* one voice: forwarded, not mixed */
	assert_true(w->counters.forwarded > 0);
	assert_int_equal(w->counters.channel_encoded, 0);
	assert_int_equal(l->n_rx, en->n_rx);
	assert_true(l->n_rx > 60);
	assert_one_stream(l);
	assert_true(power(l, 0, FLOOR_HZ) > 1000);
	world_free(w);
}

/* Records of one kind per channel in the ring since the last call (released); checks that
 * every DATA page of channel c carries serial SERIAL + c. */
#define SERIAL 7000u
static void count_pages(struct page_ring *ring, size_t counts[3][MEDIA_CHANNELS + 1])
{
	struct page_view v;
	while (page_ring_peek(ring, &v)) {
		assert_true(v.channel <= MEDIA_CHANNELS);
		counts[v.kind - PAGE_BEGIN][v.channel]++;
		if (v.kind == PAGE_DATA) {
			assert_true(v.len > 27 && memcmp(v.data, "OggS", 4) == 0);
			uint32_t serial = (uint32_t)v.data[14] | (uint32_t)v.data[15] << 8 |
					  (uint32_t)v.data[16] << 16 | (uint32_t)v.data[17] << 24;
			assert_int_equal(serial, SERIAL + v.channel);
		}
		page_ring_release(ring);
	}
}

/* listen.ogg?lang=: a channel whose voice was ready before the session starts with it,
 * one made ready during it starts then; each has its own pages (its own serial) until
 * the session ends; a channel never voiced has none. */
static void channels_have_live_streams(void **state)
{
	(void)state;
	struct world *w = world_new();
	struct page_ring *ring = page_ring_create(256);
	w->env.pages = ring;
	struct fake *floor = add(w, FLOOR_HZ), *fr = add(w, FR1_HZ), *es = add(w, FR2_HZ);
	assert_int_equal(room_mixer_voice(&fr->m, 1), MEDIA_OK);
	struct mixer_session s = {.live = true, .title = "t", .date = "d", .serial = SERIAL};
	assert_int_equal(room_mixer_session(w->rm, &w->env, &s), MEDIA_OK);
	assert_int_equal(room_mixer_gate(&floor->m, true), MEDIA_OK);
	assert_int_equal(room_mixer_gate(&fr->m, true), MEDIA_OK);
	size_t counts[3][MEDIA_CHANNELS + 1] = {{0}};
	run(w, 30);
	count_pages(ring, counts);
	assert_int_equal(room_mixer_voice(&es->m, 2), MEDIA_OK); /* ready, not on air */
	run(w, 30);
	count_pages(ring, counts);
	s.live = false;
	assert_int_equal(room_mixer_session(w->rm, &w->env, &s), MEDIA_OK);
	count_pages(ring, counts);
	for (unsigned c = 0; c <= 2; c++) {
		assert_int_equal(counts[0][c], 1); /* BEGIN */
		assert_true(counts[1][c] >= 2);	   /* DATA: a page per 10 packets, and EOS */
		assert_int_equal(counts[2][c], 1); /* END */
	}
	assert_true(counts[1][1] > counts[1][2]); /* channel 2 began half-way */
	assert_int_equal(counts[0][3] + counts[1][3] + counts[2][3], 0);
	world_free(w);
	page_ring_destroy(ring);
}

#ifndef NO_MALLOC_COUNT
/* Two channels on air, listeners switching between them between ticks' sends (a switch is
 * the worker's message, so only the tick and the arrivals are counted). */
static void tick_allocates_nothing(void **state)
{
	(void)state;
	struct world *w = world_new();
	struct fake *floor = add(w, FLOOR_HZ), *fr = add(w, FR1_HZ), *es = add(w, FR2_HZ);
	struct fake *l1 = add(w, 0), *l2 = add(w, 0);
	assert_int_equal(room_mixer_voice(&fr->m, 1), MEDIA_OK);
	assert_int_equal(room_mixer_voice(&es->m, 2), MEDIA_OK);
	assert_int_equal(room_mixer_channel(&l1->m, 1), MEDIA_OK);
	assert_int_equal(room_mixer_channel(&l2->m, 2), MEDIA_OK);
	assert_int_equal(room_mixer_channel(&es->m, 1), MEDIA_OK); /* relay */
	assert_int_equal(room_mixer_gate(&floor->m, true), MEDIA_OK);
	assert_int_equal(room_mixer_gate(&fr->m, true), MEDIA_OK);
	assert_int_equal(room_mixer_gate(&es->m, true), MEDIA_OK);
	/* A live session: the floor's and both channels' Ogg streams are written each tick. */
	struct page_ring *ring = page_ring_create(1024);
	w->env.pages = ring;
	struct mixer_session s = {.live = true, .title = "t", .date = "d", .serial = SERIAL};
	assert_int_equal(room_mixer_session(w->rm, &w->env, &s), MEDIA_OK);
	run(w, 20); /* warm up: codecs' first frames, libsrtp's first packets */
	void *(*volatile allocate)(size_t) = malloc;
	counting = true;
	void *probe = allocate(1);
	counting = false;
	free(probe);
	assert_int_equal(allocations, 1);
	allocations = 0;
	for (size_t t = 0; t < 60; t++) {
		counting = true;
		for (size_t i = 0; i < 3; i++)
			world_speak(w, &w->f[i], 20);
		room_mixer_tick(w->rm, &w->env, w->now_us);
		counting = false;
		w->now_us += TICK_US;
		for (size_t i = 0; i < w->n; i++)
			world_drain(&w->f[i]);
	}
	assert_true(w->counters.channel_encoded >= 120);
	assert_int_equal(allocations, 0);
	size_t counts[3][MEDIA_CHANNELS + 1] = {{0}};
	count_pages(ring, counts);
	assert_true(counts[1][1] > 0 && counts[1][2] > 0); /* the channels' pages were written */
	world_free(w);
	page_ring_destroy(ring);
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(channel_carries_its_interpreter),
	    cmocka_unit_test(handover_never_two_voices),
	    cmocka_unit_test(switching_keeps_one_stream),
	    cmocka_unit_test(channel_without_voice_hears_the_floor),
	    cmocka_unit_test(interpreter_relays_another_channel),
	    cmocka_unit_test(floor_underneath_at_its_level),
	    cmocka_unit_test(channels_have_live_streams),
#ifndef NO_MALLOC_COUNT
	    cmocka_unit_test(tick_allocates_nothing),
#endif
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
