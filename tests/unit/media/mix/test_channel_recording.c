/* Unit tests for the interpretation channels' recordings (media/mix/room_record_channels.c),
 * through the room mixer and a real recorder writing to a temporary directory:
 *
 *   - a channel whose voice was ready before the session is recorded from its start, one
 *     made ready half-way from then on, after filler frames for the session so far: every
 *     file of the session has the floor's number of packets (one timeline);
 *   - the French file carries the French interpreter, not the floor; the Spanish one, its
 *     booth empty, carries the floor; each file has its own serial and the room's tags;
 *   - files are <name>.ch<booth + 1>.ogg beside the floor's, and a channel never voiced
 *     has none;
 *   - the tick allocates nothing while channels are recorded (counted where no sanitizer
 *     interposes malloc);
 *   - an edge (relay mode) records the channels it is sent: fed an owner's tapped frames
 *     in bursts with one channel frame lost, the interpreter coming on air once the floor
 *     is steady and leaving before the end, its French file starts with its floor's,
 *     carries the interpreter while on air and the floor after, and packet by packet is the
 *     channel frame sent with the floor packet beside it (or that floor packet), never one
 *     of another tick; a channel it was never sent a frame of has no file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <ogg/ogg.h>

#include "media/alloc_count.h"
#include "media/mix/opus_codec.h"
#include "media/mix/room_mixer.h"
#include "media/mix_world.h"
#include "media/ogg_read.h"
#include "media/record/recorder.h"
#include "media/test_audio.h"

#define ROOM	 "plenary"
#define NAME	 "0001700000000-01"
#define SERIAL	 9000u
#define LEAD	 7
#define FLOOR_HZ 440
#define FR_HZ	 1000
#define MAX_PKTS 400

/* A room recording into a temporary directory; with tap, its frames are kept too (the
 * owner an edge is fed from). */
static struct world *recording_world_with(bool tap)
{
	struct world_config c = {
	    .room = ROOM, .ssrc = 0x5151u, .first_seq = 1, .record = true, .tap = tap};
	return world_new_with(&c);
}

static struct world *recording_world(void)
{
	return recording_world_with(false);
}

/* The live session the tests record: NAME, its serial, LEAD frames of lead. */
static struct mixer_session live_session(void)
{
	return (struct mixer_session){.live = true,
				      .name = NAME,
				      .title = "t",
				      .date = "d",
				      .serial = SERIAL,
				      .lead_packets = LEAD};
}

/* A member, joined and keyed, saying a tone of hz. */
static struct fake *add(struct world *w, double hz)
{
	struct fake *f = world_add(w, hz, 111);
	f->mic_ssrc = 0xabc00000u + (uint32_t)hz;
	return f;
}

static void tick(struct world *w)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->f[i].m.gate)
			world_speak(w, &w->f[i], 20);
	room_mixer_tick(w->rm, &w->env, w->now_us);
	w->now_us += TICK_US;
}

/* The audio packets of <dir>/ROOM/<name>.ogg, its serial, whether its tags name the room. */
struct file {
	uint8_t *pkt[MAX_PKTS];
	size_t len[MAX_PKTS], n;
	uint32_t serial;
	bool tags_ok, eos;
};

static void take_packet(void *ctx, const ogg_packet *op, size_t index)
{
	struct file *f = ctx;
	if (index == 1)
		f->tags_ok = ogg_has_tag(op, "ROOM=" ROOM);
	if (index < 2)
		return;
	assert_true(f->n < MAX_PKTS);
	f->pkt[f->n] = malloc((size_t)op->bytes);
	memcpy(f->pkt[f->n], op->packet, (size_t)op->bytes);
	f->len[f->n++] = (size_t)op->bytes;
}

static void take_page(void *ctx, const ogg_page *og)
{
	struct file *f = ctx;
	f->serial = (uint32_t)ogg_page_serialno(og);
	f->eos = ogg_page_eos(og) != 0;
}

static void read_file(const struct world *w, const char *name, struct file *f)
{
	char path[160];
	snprintf(path, sizeof path, "%s/%s/%s.ogg", w->dir, ROOM, name);
	memset(f, 0, sizeof *f);
	ogg_read(path, &(struct ogg_visit){.page = take_page, .packet = take_packet, .ctx = f});
}

static void file_free(struct file *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->pkt[i]);
}

/* The power of hz in packets [from, to) of f, decoded. */
static double power(const struct file *f, size_t from, size_t to, double hz)
{
	struct codec_decoder *d;
	assert_int_equal(codec_decoder_create(&d), MEDIA_OK);
	int16_t *pcm = calloc((to - from) * CODEC_FRAME, sizeof *pcm);
	size_t got = 0;
	for (size_t i = from; i < to; i++)
		if (codec_decode(d, f->pkt[i], f->len[i], pcm + got * CODEC_FRAME) == MEDIA_OK)
			got++;
	codec_decoder_destroy(d);
	double p = test_goertzel(pcm, got * CODEC_FRAME, hz);
	free(pcm);
	return p;
}

static bool exists(const struct world *w, const char *name)
{
	char path[160];
	struct stat st;
	snprintf(path, sizeof path, "%s/%s/%s.ogg", w->dir, ROOM, name);
	return stat(path, &st) == 0;
}

/* A session of 2 x half ticks: the floor speaks throughout, the French interpreter is
 * ready before the start and on air, the Spanish one made ready (not on air) half-way. */
static struct world *record_session(size_t half)
{
	struct world *w = recording_world();
	struct fake *floor = add(w, FLOOR_HZ), *fr = add(w, FR_HZ), *es = add(w, FR_HZ * 2);
	assert_int_equal(room_mixer_voice(&fr->m, 1), MEDIA_OK);
	struct mixer_session s = live_session();
	assert_int_equal(room_mixer_session(w->rm, &w->env, &s), MEDIA_OK);
	assert_int_equal(room_mixer_gate(&floor->m, true), MEDIA_OK);
	assert_int_equal(room_mixer_gate(&fr->m, true), MEDIA_OK);
	for (size_t t = 0; t < half; t++)
		tick(w);
	assert_int_equal(room_mixer_voice(&es->m, 2), MEDIA_OK);
	for (size_t t = 0; t < half; t++)
		tick(w);
	s.live = false;
	assert_int_equal(room_mixer_session(w->rm, &w->env, &s), MEDIA_OK);
	world_stop(w); /* stops the recorder: every file is complete */
	return w;
}

static void channels_are_recorded_on_the_floors_timeline(void **state)
{
	(void)state;
	const size_t half = 60;
	struct world *w = record_session(half);
	struct file fl, fr, es;
	read_file(w, NAME, &fl);
	read_file(w, NAME ".ch1", &fr);
	read_file(w, NAME ".ch2", &es);
	assert_false(exists(w, NAME ".ch3"));
	/* One timeline: the session's lead, then one packet per tick, in every file. */
	assert_int_equal(fl.n, LEAD + 2 * half);
	assert_int_equal(fr.n, fl.n);
	assert_int_equal(es.n, fl.n);
	assert_int_equal(fl.serial, SERIAL);
	assert_int_equal(fr.serial, SERIAL + 1);
	assert_int_equal(es.serial, SERIAL + 2);
	assert_true(fl.tags_ok && fr.tags_ok && es.tags_ok);
	assert_true(fl.eos && fr.eos && es.eos);
	/* The Spanish file begins half-way: filler frames (one byte) until then. */
	for (size_t i = 0; i < LEAD + half; i++)
		assert_int_equal(es.len[i], 1);
	/* The French file is the interpreter, the floor's the floor, the empty booth's the floor.
	 */
	size_t from = LEAD + 10, to = fl.n;
	double fr_v = power(&fr, from, to, FR_HZ), fr_f = power(&fr, from, to, FLOOR_HZ);
	double fl_v = power(&fl, from, to, FR_HZ), fl_f = power(&fl, from, to, FLOOR_HZ);
	double es_f = power(&es, LEAD + half + 5, to, FLOOR_HZ);
	double es_v = power(&es, LEAD + half + 5, to, FR_HZ);
	print_message("French file: interpreter %.1f floor %.1f; floor file: floor %.1f "
		      "interpreter %.1f; Spanish file: floor %.1f French %.1f\n",
		      fr_v, fr_f, fl_f, fl_v, es_f, es_v);
	assert_true(fr_v > 100 * fr_f);
	assert_true(fl_f > 100 * fl_v);
	assert_true(es_f > 100 * es_v);
	file_free(&fl);
	file_free(&fr);
	file_free(&es);
	world_free(w);
}

/* No recorder (recordings off) or no name: no channel files, and nothing breaks. */
static void no_recorder_no_channel_files(void **state)
{
	(void)state;
	struct world *w = recording_world();
	struct fake *fr = add(w, FR_HZ);
	assert_int_equal(room_mixer_voice(&fr->m, 1), MEDIA_OK);
	struct mixer_session s = {.live = true, .title = "t", .date = "d", .serial = SERIAL};
	assert_int_equal(room_mixer_session(w->rm, &w->env, &s), MEDIA_OK); /* no name */
	assert_int_equal(room_mixer_gate(&fr->m, true), MEDIA_OK);
	for (size_t t = 0; t < 20; t++)
		tick(w);
	s.live = false;
	assert_int_equal(room_mixer_session(w->rm, &w->env, &s), MEDIA_OK);
	world_stop(w);
	char path[160];
	struct stat sb;
	snprintf(path, sizeof path, "%s/%s", w->dir, ROOM);
	assert_int_not_equal(stat(path, &sb), 0); /* not even the room's directory */
	world_free(w);
}

#ifndef NO_MALLOC_COUNT
static void recording_ticks_allocate_nothing(void **state)
{
	(void)state;
	struct world *w = recording_world();
	struct fake *floor = add(w, FLOOR_HZ), *fr = add(w, FR_HZ), *es = add(w, FR_HZ * 2);
	assert_int_equal(room_mixer_voice(&fr->m, 1), MEDIA_OK);
	assert_int_equal(room_mixer_voice(&es->m, 2), MEDIA_OK);
	struct mixer_session s = {
	    .live = true, .name = NAME, .title = "t", .date = "d", .serial = SERIAL};
	assert_int_equal(room_mixer_session(w->rm, &w->env, &s), MEDIA_OK);
	assert_int_equal(room_mixer_gate(&floor->m, true), MEDIA_OK);
	assert_int_equal(room_mixer_gate(&fr->m, true), MEDIA_OK);
	for (size_t t = 0; t < 20; t++) /* warm up: codecs' first frames, libsrtp's first */
		tick(w);
	allocations = 0;
	for (size_t t = 0; t < 60; t++) {
		counting = true;
		tick(w);
		counting = false;
	}
	assert_int_equal(allocations, 0);
	struct recorder_stats st;
	recorder_get_stats(w->rec, &st);
	assert_true(st.pushed >= 3 * 80); /* the floor's and both channels' packets */
	world_free(w);
}
#endif

/* The owner's frames in the order its tap gave them (a tick's channel frames, then its
 * floor frame), pushed into the edge as they come off NATS: in bursts of three ticks' worth
 * (40 ms of jitter), one channel frame lost on the way (tick LOST_TICK's). The edge ticks
 * every 20 ms; its ticks are counted for allocations once warm. */
#define LOST_TICK 60
#define QUIET	  30 /* ticks of the floor alone before the interpreter comes on air */

/* The owner's tick of its tap idx: how many floor frames came before it. */
static size_t tick_of(const struct world *o, size_t idx)
{
	size_t k = 0;
	for (size_t i = 0; i < idx; i++)
		k += o->taps[i].channel == 0;
	return k;
}

static size_t relay_into(struct world *e, const struct world *o)
{
	size_t ticks = 0, next = 0;
	allocations = 0;
	for (size_t i = 0; i < o->n_taps; i++) {
		if (o->taps[i].channel != 0)
			continue;
		bool arrive = ticks % 3 == 2 || i + 1 == o->n_taps;
		for (; arrive && next <= i; next++) {
			const struct tapped *t = &o->taps[next];
			if (t->channel != 0 && tick_of(o, next) == LOST_TICK)
				continue;
			struct media_frame f = {.room = ROOM,
						.channel = t->channel,
						.ssrc = t->ssrc,
						.seq = t->seq,
						.timestamp = t->ts,
						.opus = t->opus,
						.len = t->len};
			(void)room_mixer_relay_frame(e->rm, &e->env, &f, e->now_us);
		}
		counting = ticks >= 20;
		room_mixer_tick(e->rm, &e->env, e->now_us);
		counting = false;
		e->now_us += TICK_US;
		ticks++;
	}
	return ticks;
}

/* The owner's floor tap whose bytes are pkt, or n_taps; and the channel frame sent with it
 * (the same seq), or NULL. */
static size_t floor_tap(const struct world *o, const uint8_t *pkt, size_t len)
{
	for (size_t k = 0; k < o->n_taps; k++)
		if (o->taps[k].channel == 0 && o->taps[k].len == len &&
		    memcmp(o->taps[k].opus, pkt, len) == 0)
			return k;
	return o->n_taps;
}

static const struct tapped *channel_tap(const struct world *o, size_t floor)
{
	for (size_t k = 0; k < o->n_taps; k++)
		if (o->taps[k].channel == 1 && o->taps[k].seq == o->taps[floor].seq)
			return &o->taps[k];
	return NULL;
}

/* Packet by packet from its first frame (before it, the file's lead is filler), the edge's
 * channel file has the channel frame sent with the floor packet beside it in the floor
 * file, or that floor packet where none came (the booth silent, the frame lost, filler):
 * never a frame of another tick. Returns how many were the channel's own. */
static size_t check_alignment(const struct world *o, const struct file *fl, const struct file *ch)
{
	size_t own = 0, from = 0;
	while (from < ch->n && ch->len[from] <= 1)
		from++;
	assert_true(from <= LEAD + QUIET + 3); /* at most a burst after the first frame's tick */
	for (size_t i = from; i < fl->n; i++) {
		size_t k = floor_tap(o, fl->pkt[i], fl->len[i]);
		const struct tapped *c = k < o->n_taps ? channel_tap(o, k) : NULL;
		if (c && tick_of(o, k) != LOST_TICK) {
			assert_int_equal(ch->len[i], c->len);
			assert_memory_equal(ch->pkt[i], c->opus, c->len);
			own++;
		} else {
			assert_int_equal(ch->len[i], fl->len[i]);
			assert_memory_equal(ch->pkt[i], fl->pkt[i], fl->len[i]);
		}
	}
	return own;
}

static void an_edge_records_the_channels_it_relays(void **state)
{
	(void)state;
	const size_t half = 80;
	struct world *o = recording_world_with(true);
	struct fake *floor = add(o, FLOOR_HZ), *fr = add(o, FR_HZ), *es = add(o, FR_HZ * 2);
	assert_int_equal(room_mixer_voice(&fr->m, 1), MEDIA_OK);
	assert_int_equal(room_mixer_voice(&es->m, 2), MEDIA_OK); /* ready, never on air */
	struct mixer_session s = live_session();
	assert_int_equal(room_mixer_session(o->rm, &o->env, &s), MEDIA_OK);
	assert_int_equal(room_mixer_gate(&floor->m, true), MEDIA_OK);
	/* The interpreter comes on air once the floor's stream is steady on the edge: the
	 * channel's first frame then finds the floor's buffer well into playing. */
	for (size_t t = 0; t < QUIET; t++)
		tick(o);
	assert_int_equal(room_mixer_gate(&fr->m, true), MEDIA_OK);
	for (size_t t = 0; t < half; t++)
		tick(o);
	assert_int_equal(room_mixer_gate(&fr->m, false), MEDIA_OK); /* the booth goes quiet */
	for (size_t t = 0; t < half; t++)
		tick(o);

	struct world_config ec = {.room = ROOM, .ssrc = 0xed9eu, .first_seq = 1, .record = true};
	struct world *e = world_new_with(&ec);
	assert_int_equal(room_mixer_relay(e->rm, true), MEDIA_OK);
	assert_int_equal(room_mixer_session(e->rm, &e->env, &s), MEDIA_OK);
	size_t ticks = relay_into(e, o);
#ifndef NO_MALLOC_COUNT
	assert_int_equal(allocations, 0);
#endif
	s.live = false;
	assert_int_equal(room_mixer_session(e->rm, &e->env, &s), MEDIA_OK);
	world_stop(e);

	struct file fl, ch;
	read_file(e, NAME, &fl);
	read_file(e, NAME ".ch1", &ch);
	assert_false(exists(e, NAME ".ch2"));	/* never sent a frame of it */
	assert_true(ticks >= QUIET + 2 * half); /* a floor frame per owner tick, at least */
	assert_int_equal(fl.n, LEAD + ticks);
	assert_int_equal(ch.n, fl.n); /* begun at its first frame: the same timeline */
	assert_int_equal(ch.serial, SERIAL + 1);
	assert_true(ch.tags_ok && ch.eos);
	/* On air: the interpreter. After: the floor, as the owner's file has it. */
	size_t on = LEAD + QUIET + 10, off = LEAD + QUIET + half + 10, end = fl.n - 5;
	double ch_v = power(&ch, on, off - 10, FR_HZ), ch_f = power(&ch, on, off - 10, FLOOR_HZ);
	double after_f = power(&ch, off, end, FLOOR_HZ), after_v = power(&ch, off, end, FR_HZ);
	double fl_f = power(&fl, on, end, FLOOR_HZ), fl_v = power(&fl, on, end, FR_HZ);
	print_message("edge French file: on air interpreter %.1f floor %.1f, after floor %.1f "
		      "interpreter %.1f; floor file: floor %.1f interpreter %.1f\n",
		      ch_v, ch_f, after_f, after_v, fl_f, fl_v);
	size_t own = check_alignment(o, &fl, &ch);
	print_message("edge French file: %zu of %zu packets the interpreter's own\n", own, ch.n);
	assert_true(own >= half - 20); /* on air for half ticks, less the buffer's delay */
	assert_true(ch_v > 100 * ch_f);
	assert_true(after_f > 100 * after_v);
	assert_true(fl_f > 100 * fl_v);
	file_free(&fl);
	file_free(&ch);
	world_free(e);
	world_free(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(channels_are_recorded_on_the_floors_timeline),
	    cmocka_unit_test(no_recorder_no_channel_files),
	    cmocka_unit_test(an_edge_records_the_channels_it_relays),
#ifndef NO_MALLOC_COUNT
	    cmocka_unit_test(recording_ticks_allocate_nothing),
#endif
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
