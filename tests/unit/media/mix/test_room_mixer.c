/* Unit tests for media/mix/room_mixer.c, room_tick.c and room_record.c with fake peers: each
 * member is a real SRTP session and a loopback UDP socket the test reads (and unprotects
 * with the mirror session), and the mics' audio is Opus tones encoded here and handed to
 * room_mixer_audio as the worker would after SRTP.
 *
 *   - the gate: a closed mic's tone is never heard, and it is reported as an attempt;
 *   - one voice: its own packets reach the listeners (byte for byte, our SSRC);
 *   - two voices: the listeners get one mix with both, each speaker a mix-minus without
 *     their own voice, all with the same sequence number per tick;
 *   - switching between forwarding and mixing keeps one stream: sequence numbers step
 *     by one, timestamps never go back;
 *   - a live session: one recorded packet per tick (a complete Ogg file), and the live
 *     pages (BEGIN, pages, END) in the page ring;
 *   - a room with no open mic sends nothing, and a member that leaves is forgotten. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "media/alloc_count.h"
#include "media/mix/opus_codec.h"
#include "media/mix/pcm.h"
#include "media/mix/room_mixer.h"
#include "media/mix_world.h"
#include "media/secure/srtp_session.h"
#include "media/test_audio.h"

/* A member: Chrome's and Firefox's Opus payload types in turn. */
static struct fake *add(struct world *w, double hz)
{
	return world_add(w, hz, (uint8_t)(w->n % 2 ? 109 : 111));
}

static void tick(struct world *w)
{
	room_mixer_tick(w->rm, &w->env, w->now_us);
	w->now_us += TICK_US;
	for (size_t i = 0; i < w->n; i++)
		world_drain(&w->f[i]);
}

/* Runs ticks; each speaker in `talking` sends a packet before each tick. */
static void run(struct world *w, struct fake **talking, size_t n, size_t ticks)
{
	for (size_t t = 0; t < ticks; t++) {
		for (size_t i = 0; i < n; i++)
			world_speak(w, talking[i], 20);
		tick(w);
	}
}

/* Decodes what f received from index from on and measures the two tones. */
static void heard(const struct fake *f, size_t from, double hz1, double hz2, double *a1, double *a2)
{
	struct codec_decoder *d;
	assert_int_equal(codec_decoder_create(&d), MEDIA_OK);
	size_t n = f->n_rx - from;
	int16_t *pcm = calloc(n * CODEC_FRAME, sizeof *pcm);
	size_t got = 0;
	for (size_t i = from; i < f->n_rx; i++)
		if (codec_decode(d, f->rx[i].payload, f->rx[i].len, pcm + got * CODEC_FRAME) ==
		    MEDIA_OK)
			got++;
	size_t skip = got > 10 ? 5 : 0; /* the codec's start */
	size_t len = (got - skip) * CODEC_FRAME;
	*a1 = test_goertzel(pcm + skip * CODEC_FRAME, len, hz1);
	*a2 = test_goertzel(pcm + skip * CODEC_FRAME, len, hz2);
	free(pcm);
	codec_decoder_destroy(d);
}

static void assert_one_stream(const struct fake *f)
{
	for (size_t i = 0; i < f->n_rx; i++) {
		assert_int_equal(f->rx[i].ssrc, ROOM_SSRC);
		if (i == 0)
			continue;
		assert_int_equal((uint16_t)(f->rx[i].seq - f->rx[i - 1].seq), 1);
		assert_true((int32_t)(f->rx[i].ts - f->rx[i - 1].ts) > 0);
	}
}

static void closed_mic_is_never_heard(void **state)
{
	(void)state;
	struct world *w = world_new();
	struct fake *ana = add(w, 440), *ben = add(w, 1760), *olu = add(w, 0);
	assert_int_equal(room_mixer_gate(&ana->m, true), MEDIA_OK);
	/* Ben talks into his closed mic: an attempt after the hold, never in the mix. */
	int attempts = 0;
	for (size_t t = 0; t < 100; t++) {
		world_speak(w, ana, 20);
		int16_t pcm[CODEC_FRAME];
		for (size_t i = 0; i < CODEC_FRAME; i++)
			pcm[i] = test_sine_sample(ben->hz, 9000, ben->sample + i);
		ben->sample += CODEC_FRAME;
		bool dtx;
		assert_int_equal(
		    codec_encode(ben->enc, pcm, ben->last, sizeof ben->last, &ben->last_len, &dtx),
		    MEDIA_OK);
		struct rtp_header h = {.payload_type = ben->m.payload_type,
				       .seq = ben->seq++,
				       .payload = ben->last,
				       .payload_len = ben->last_len};
		struct talk_packet tp = {.now_us = w->now_us,
					 .payload_len = ben->last_len,
					 .has_level = true,
					 .level = 15};
		attempts += room_mixer_audio(&ben->m, &h, &tp, &w->env);
		tick(w);
	}
	assert_int_equal(attempts, 1); /* at 300 ms; the next only after 2 s */
	assert_true(olu->n_rx > 80);
	double a440, a1760;
	heard(olu, 0, 440, 1760, &a440, &a1760);
	assert_true(a440 > 1000 * a1760);
	assert_true(a440 > 1e5);
	assert_one_stream(olu);
	assert_int_equal(atomic_load(&w->stats.open_mics), 1);
	assert_int_equal(atomic_load(&w->stats.listeners), 3);
	world_free(w);
}

static void one_voice_is_forwarded(void **state)
{
	(void)state;
	struct world *w = world_new();
	struct fake *chair = add(w, 880), *ana = add(w, 440), *olu = add(w, 0);
	assert_int_equal(room_mixer_gate(&chair->m, true), MEDIA_OK);
	assert_int_equal(room_mixer_gate(&ana->m, true), MEDIA_OK);
	/* Ana alone talks, the chair's open mic is silent: Ana's own packets go out. */
	size_t same = 0;
	for (size_t t = 0; t < 100; t++) {
		world_speak(w, ana, 20);
		size_t before = olu->n_rx;
		tick(w);
		for (size_t i = before; i < olu->n_rx; i++)
			same += olu->rx[i].len == ana->last_len &&
				memcmp(olu->rx[i].payload, ana->last, ana->last_len) == 0;
	}
	assert_true(same > 90);
	assert_true(atomic_load(&w->counters.forwarded) > 90);
	assert_true(atomic_load(&w->counters.encoded) < 10);
	assert_int_equal(atomic_load(&w->stats.forwarding), 1);
	/* The chair hears Ana; Ana hears nothing but the rare empty keep-alive. */
	assert_true(chair->n_rx > 90);
	for (size_t i = 0; i < ana->n_rx; i++)
		assert_int_equal(ana->rx[i].len, 1);
	assert_one_stream(olu);
	assert_one_stream(chair);
	world_free(w);
}

static void two_voices_are_mixed_with_mix_minus(void **state)
{
	(void)state;
	struct world *w = world_new();
	struct fake *ana = add(w, 440), *ben = add(w, 1760), *olu = add(w, 0);
	assert_int_equal(room_mixer_gate(&ana->m, true), MEDIA_OK);
	assert_int_equal(room_mixer_gate(&ben->m, true), MEDIA_OK);
	struct fake *both[] = {ana, ben};
	run(w, both, 2, 100);
	assert_true(olu->n_rx > 90);
	assert_true(atomic_load(&w->counters.encoded) > 90);
	double a440, a1760;
	heard(olu, 20, 440, 1760, &a440, &a1760);
	assert_true(a440 > 1e5 && a1760 > 1e5); /* both voices */
	heard(ana, 20, 440, 1760, &a440, &a1760);
	assert_true(a1760 > 100 * a440); /* Ana hears Ben, not herself */
	heard(ben, 20, 440, 1760, &a440, &a1760);
	assert_true(a440 > 100 * a1760);
	/* One stream: a tick's packets share their sequence number. */
	assert_int_equal(olu->rx[olu->n_rx - 1].seq, ana->rx[ana->n_rx - 1].seq);
	assert_int_equal(olu->rx[olu->n_rx - 1].ts, ben->rx[ben->n_rx - 1].ts);
	assert_one_stream(olu);
	assert_one_stream(ana);
	world_free(w);
}

static void switching_keeps_one_stream(void **state)
{
	(void)state;
	struct world *w = world_new();
	struct fake *ana = add(w, 440), *ben = add(w, 1760), *olu = add(w, 0);
	assert_int_equal(room_mixer_gate(&ana->m, true), MEDIA_OK);
	assert_int_equal(room_mixer_gate(&ben->m, true), MEDIA_OK);
	struct fake *a[] = {ana}, *b[] = {ben}, *both[] = {ana, ben};
	run(w, a, 1, 40);    /* forward Ana */
	run(w, both, 2, 40); /* Ben starts: mix */
	run(w, a, 1, 60);    /* Ben stops: forward Ana again after the hangover */
	run(w, b, 1, 60);    /* Ana stops, Ben alone: forward Ben */
	assert_true(atomic_load(&w->counters.forwarded) > 80);
	assert_true(atomic_load(&w->counters.encoded) > 40);
	assert_one_stream(olu);
	assert_true(olu->n_rx >= 195);
	/* Ben's gate closes while he is forwarded: back to mixing, his voice fades out. */
	assert_int_equal(room_mixer_gate(&ben->m, false), MEDIA_OK);
	run(w, b, 1, 5);
	assert_int_equal(atomic_load(&w->stats.forwarding), 0);
	assert_int_equal(atomic_load(&w->stats.open_mics), 1);
	assert_one_stream(olu);
	world_free(w);
}

static void silence_costs_nothing(void **state)
{
	(void)state;
	struct world *w = world_new();
	struct fake *olu = add(w, 0), *ana = add(w, 440);
	for (size_t t = 0; t < 20; t++) {
		world_speak(w, ana, 20); /* closed: dropped */
		tick(w);
	}
	assert_int_equal(olu->n_rx, 0);
	assert_int_equal(atomic_load(&w->counters.encoded), 0);
	/* An open mic that says nothing: DTX, then no more encodes and no packets. */
	assert_int_equal(room_mixer_gate(&ana->m, true), MEDIA_OK);
	for (size_t t = 0; t < 100; t++)
		tick(w);
	uint64_t encoded = atomic_load(&w->counters.encoded);
	size_t rx = olu->n_rx;
	for (size_t t = 0; t < 50; t++)
		tick(w);
	assert_int_equal(atomic_load(&w->counters.encoded), encoded);
	assert_int_equal(olu->n_rx, rx);
	/* Leaving: out of the fan-out and the mix. */
	room_mixer_leave(&ana->m);
	assert_int_equal(atomic_load(&w->stats.open_mics), 0);
	assert_int_equal(atomic_load(&w->stats.listeners), 1);
	room_mixer_leave(&olu->m);
	assert_true(room_mixer_idle(w->rm));
	world_free(w);
}

struct tmpdir {
	char path[64];
};

static void session_is_recorded_and_streamed(void **state)
{
	(void)state;
	struct tmpdir t;
	strcpy(t.path, "/tmp/plenary-mixer-XXXXXX");
	assert_non_null(mkdtemp(t.path));
	struct world *w = world_new();
	struct recorder_config rc = {.dir = t.path};
	assert_int_equal(recorder_create(&rc, &w->env.recorder), MEDIA_OK);
	w->env.pages = page_ring_create(64);
	struct fake *ana = add(w, 440);
	assert_int_equal(room_mixer_gate(&ana->m, true), MEDIA_OK);
	struct mixer_session s = {.live = true,
				  .name = "1700000000000-01",
				  .title = "Opening",
				  .date = "2023-11-14T22:13:20.000Z",
				  .lead_packets = 3,
				  .serial = 99};
	assert_int_equal(room_mixer_session(w->rm, &w->env, &s), MEDIA_OK);
	assert_false(room_mixer_idle(w->rm));
	struct fake *a[] = {ana};
	run(w, a, 1, 30); /* forwarded */
	for (size_t i = 0; i < 20; i++)
		tick(w); /* Ana silent */
	s.live = false;
	assert_int_equal(room_mixer_session(w->rm, &w->env, &s), MEDIA_OK);
	recorder_stop(w->env.recorder);
	struct recorder_stats st;
	recorder_get_stats(w->env.recorder, &st);
	assert_int_equal(st.files_done, 1);
	assert_int_equal(st.written, 50); /* one per tick */
	assert_int_equal(st.filled, 3);	  /* the lead */
	char path[128];
	struct stat sb;
	snprintf(path, sizeof path, "%s/plenary/1700000000000-01.ogg", t.path);
	assert_int_equal(stat(path, &sb), 0);
	/* The live stream: BEGIN with both header pages, audio pages, END. */
	struct page_view v;
	size_t begins = 0, pages = 0, ends = 0;
	while (page_ring_peek(w->env.pages, &v)) {
		assert_string_equal(v.room, "plenary");
		assert_true(v.len == 0 || memcmp(v.data, "OggS", 4) == 0);
		begins += v.kind == PAGE_BEGIN;
		pages += v.kind == PAGE_DATA;
		ends += v.kind == PAGE_END;
		if (v.kind == PAGE_BEGIN)
			assert_non_null(memmem(v.data, v.len, "ROOM=plenary", 12));
		page_ring_release(w->env.pages);
	}
	assert_int_equal(begins, 1);
	assert_int_equal(ends, 1);
	assert_true(pages >= 5);		      /* 50 packets, 10 a page */
	assert_true(room_mixer_idle(w->rm) == false); /* Ana is still a member */
	recorder_destroy(w->env.recorder);
	page_ring_destroy(w->env.pages);
	w->env.recorder = NULL;
	w->env.pages = NULL;
	world_free(w);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", t.path);
	assert_int_equal(system(cmd), 0);
}

static void the_tick_never_allocates(void **state)
{
	(void)state;
#ifdef NO_MALLOC_COUNT
	skip();
#else
	struct world *w = world_new();
	struct fake *ana = add(w, 440), *ben = add(w, 1760);
	add(w, 0);
	assert_int_equal(room_mixer_gate(&ana->m, true), MEDIA_OK);
	assert_int_equal(room_mixer_gate(&ben->m, true), MEDIA_OK);
	struct fake *a[] = {ana}, *both[] = {ana, ben};
	char dir[] = "/tmp/plenary-alloc-XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct recorder_config rc = {.dir = dir};
	assert_int_equal(recorder_create(&rc, &w->env.recorder), MEDIA_OK);
	w->env.pages = page_ring_create(1024);
	struct mixer_session s = {.live = true, .name = "alloc", .title = "t", .date = "d"};
	assert_int_equal(room_mixer_session(w->rm, &w->env, &s), MEDIA_OK);
	run(w, both, 2, 20); /* warm up: codecs' first frames */
	counting = true;
	/* The count works. Through a pointer: GCC removes a malloc freed unused at -O2. */
	void *(*volatile allocate)(size_t) = malloc;
	void *probe = allocate(1);
	counting = false;
	free(probe);
	assert_int_equal(allocations, 1);
	allocations = 0;
	/* Mixing two voices, then forwarding one (the arrivals send then). */
	for (int round = 0; round < 2; round++) {
		for (size_t t = 0; t < 40; t++) {
			struct fake **who = round ? a : both;
			counting = true;
			for (size_t i = 0; i < (round ? 1u : 2u); i++)
				world_speak(w, who[i], 20);
			room_mixer_tick(w->rm, &w->env, w->now_us);
			counting = false;
			w->now_us += TICK_US;
			for (size_t i = 0; i < w->n; i++)
				world_drain(&w->f[i]);
		}
	}
	assert_true(atomic_load(&w->counters.forwarded) > 0);
	assert_true(atomic_load(&w->counters.encoded) > 40);
	assert_int_equal(allocations, 0);
	s.live = false;
	assert_int_equal(room_mixer_session(w->rm, &w->env, &s), MEDIA_OK);
	recorder_destroy(w->env.recorder);
	page_ring_destroy(w->env.pages);
	w->env.recorder = NULL;
	w->env.pages = NULL;
	world_free(w);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
#endif
}

static void bad_input(void **state)
{
	(void)state;
	struct room_mixer *rm;
	struct room_mixer_config cfg = {.room = ""};
	assert_int_equal(room_mixer_create(&cfg, &rm), MEDIA_ERR_PARAM);
	assert_int_equal(room_mixer_create(NULL, &rm), MEDIA_ERR_PARAM);
	struct mixer_member m = {0};
	assert_int_equal(room_mixer_gate(&m, true), MEDIA_ERR_PARAM);
	room_mixer_leave(&m);
	room_mixer_keyed(&m);
	uint32_t a, b, c;
	assert_false(room_mixer_sender_info(&m, 0, &a, &b, &c));
	room_mixer_destroy(NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(closed_mic_is_never_heard),
	    cmocka_unit_test(one_voice_is_forwarded),
	    cmocka_unit_test(two_voices_are_mixed_with_mix_minus),
	    cmocka_unit_test(switching_keeps_one_stream),
	    cmocka_unit_test(silence_costs_nothing),
	    cmocka_unit_test(session_is_recorded_and_streamed),
	    cmocka_unit_test(the_tick_never_allocates),
	    cmocka_unit_test(bad_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
