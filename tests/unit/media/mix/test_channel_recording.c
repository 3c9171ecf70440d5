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
 *     interposes malloc). */
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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <ogg/ogg.h>

#include "media/mix/opus_codec.h"
#include "media/mix/room_mixer.h"
#include "media/record/recorder.h"
#include "media/secure/srtp_session.h"
#include "media/test_audio.h"
#include "media/test_keys.h"

#if defined(PLENARY_SANITIZED) || defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define NO_MALLOC_COUNT 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) ||                         \
    __has_feature(memory_sanitizer)
#define NO_MALLOC_COUNT 1
#endif
#endif

#ifndef NO_MALLOC_COUNT
void *__libc_malloc(size_t);
void *__libc_calloc(size_t, size_t);
void *__libc_realloc(void *, size_t);
static _Thread_local bool counting;
static size_t allocations;

void *malloc(size_t n);
void *malloc(size_t n)
{
	allocations += counting;
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t size);
void *calloc(size_t n, size_t size)
{
	allocations += counting;
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n);
void *realloc(void *p, size_t n)
{
	allocations += counting;
	return __libc_realloc(p, n);
}
#endif

#define ROOM	  "plenary"
#define NAME	  "0001700000000-01"
#define SERIAL	  9000u
#define LEAD	  7
#define TICK_US	  20000
#define FLOOR_HZ  440
#define FR_HZ	  1000
#define MAX_PKTS  400
#define MAX_FAKES 4

struct fake {
	struct mixer_member m;
	struct media_srtp *send, *recv;
	int fd;
	double hz;
	struct codec_encoder *enc;
	uint16_t seq;
	uint32_t ts;
	size_t sample;
};

struct world {
	char dir[64];
	int server_fd;
	struct fanout *fanout;
	struct recorder *rec;
	struct mixer_counters counters;
	struct mixer_env env;
	struct room_mixer *rm;
	int64_t now_us;
	struct fake f[MAX_FAKES];
	size_t n;
};

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int udp_socket(struct sockaddr_in *addr)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	assert_true(fd >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	socklen_t len = sizeof *addr;
	assert_int_equal(getsockname(fd, (struct sockaddr *)addr, &len), 0);
	return fd;
}

static struct world *world_new(void)
{
	struct world *w = calloc(1, sizeof *w);
	strcpy(w->dir, "/tmp/plenary-chrec-XXXXXX");
	assert_non_null(mkdtemp(w->dir));
	struct recorder_config rc = {.dir = w->dir, .capacity = 4096};
	assert_int_equal(recorder_create(&rc, &w->rec), MEDIA_OK);
	struct sockaddr_in a;
	w->server_fd = udp_socket(&a);
	assert_int_equal(fanout_create(8, &w->fanout), MEDIA_OK);
	w->env = (struct mixer_env){.fd = w->server_fd,
				    .fanout = w->fanout,
				    .recorder = w->rec,
				    .counters = &w->counters,
				    .clock_us = mono_us};
	struct room_mixer_config cfg = {.room = ROOM, .ssrc = 0x5151u, .first_seq = 1};
	assert_int_equal(room_mixer_create(&cfg, &w->rm), MEDIA_OK);
	w->now_us = 1000000;
	return w;
}

/* A member, joined and keyed, saying a tone of hz. */
static struct fake *add(struct world *w, double hz)
{
	assert_true(w->n < MAX_FAKES);
	struct fake *f = &w->f[w->n];
	test_srtp_pair(DTLS_SRTP_AEAD_AES_128_GCM, (uint8_t)(w->n + 1), &f->send, &f->recv);
	struct sockaddr_in a;
	f->fd = udp_socket(&a);
	f->m.srtp = f->send;
	memcpy(&f->m.addr, &a, sizeof a);
	f->m.addr_len = sizeof a;
	f->m.payload_type = 111;
	f->hz = hz;
	f->seq = (uint16_t)(1000 * (w->n + 1));
	struct codec_encoder_config ec = {
	    .complexity = -1, .loss_percent = -1, .disable_dtx = true};
	assert_int_equal(codec_encoder_create(&ec, &f->enc), MEDIA_OK);
	assert_int_equal(room_mixer_join(w->rm, &f->m), MEDIA_OK);
	room_mixer_keyed(&f->m);
	w->n++;
	return f;
}

/* Frees everything but the directory, which the test reads afterwards. */
static void world_free(struct world *w)
{
	for (size_t i = 0; i < w->n; i++) {
		struct fake *f = &w->f[i];
		room_mixer_leave(&f->m);
		media_srtp_destroy(f->send);
		media_srtp_destroy(f->recv);
		close(f->fd);
		codec_encoder_destroy(f->enc);
	}
	room_mixer_destroy(w->rm, &w->env);
	recorder_destroy(w->rec);
	fanout_destroy(w->fanout);
	close(w->server_fd);
}

static void world_remove(struct world *w)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", w->dir);
	assert_int_equal(system(cmd), 0);
	free(w);
}

static void speak(struct world *w, struct fake *f)
{
	int16_t pcm[CODEC_FRAME];
	uint8_t pkt[CODEC_MAX_PACKET];
	size_t len;
	for (size_t i = 0; i < CODEC_FRAME; i++)
		pcm[i] = test_sine_sample(f->hz, 9000, f->sample + i);
	f->sample += CODEC_FRAME;
	bool dtx;
	assert_int_equal(codec_encode(f->enc, pcm, pkt, sizeof pkt, &len, &dtx), MEDIA_OK);
	struct rtp_header h = {.payload_type = f->m.payload_type,
			       .seq = f->seq++,
			       .timestamp = f->ts,
			       .ssrc = 0xabc00000u + (uint32_t)f->hz,
			       .payload = pkt,
			       .payload_len = len};
	f->ts += CODEC_FRAME;
	struct talk_packet tp = {
	    .now_us = w->now_us - 3000, .payload_len = len, .has_level = true, .level = 20};
	(void)room_mixer_audio(&f->m, &h, &tp, &w->env);
}

static void tick(struct world *w)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->f[i].m.gate)
			speak(w, &w->f[i]);
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

static void take_packet(struct file *f, const ogg_packet *op, size_t index)
{
	if (index == 1)
		f->tags_ok = memmem(op->packet, (size_t)op->bytes, "ROOM=" ROOM, 12) != NULL;
	if (index < 2)
		return;
	assert_true(f->n < MAX_PKTS);
	f->pkt[f->n] = malloc((size_t)op->bytes);
	memcpy(f->pkt[f->n], op->packet, (size_t)op->bytes);
	f->len[f->n++] = (size_t)op->bytes;
}

static void read_file(const struct world *w, const char *name, struct file *f)
{
	char path[160];
	snprintf(path, sizeof path, "%s/%s/%s.ogg", w->dir, ROOM, name);
	FILE *fp = fopen(path, "rb");
	assert_non_null(fp);
	memset(f, 0, sizeof *f);
	ogg_sync_state oy;
	ogg_stream_state os;
	ogg_sync_init(&oy);
	size_t index = 0;
	for (bool started = false;;) {
		char *buf = ogg_sync_buffer(&oy, 4096);
		size_t n = fread(buf, 1, 4096, fp);
		assert_int_equal(ogg_sync_wrote(&oy, (long)n), 0);
		ogg_page og;
		while (ogg_sync_pageout(&oy, &og) == 1) {
			if (!started)
				assert_int_equal(ogg_stream_init(&os, ogg_page_serialno(&og)), 0);
			started = true;
			f->serial = (uint32_t)ogg_page_serialno(&og);
			f->eos = ogg_page_eos(&og) != 0;
			assert_int_equal(ogg_stream_pagein(&os, &og), 0);
			ogg_packet op;
			while (ogg_stream_packetout(&os, &op) == 1)
				take_packet(f, &op, index++);
		}
		if (n == 0)
			break;
	}
	fclose(fp);
	ogg_stream_clear(&os);
	ogg_sync_clear(&oy);
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
	struct world *w = world_new();
	struct fake *floor = add(w, FLOOR_HZ), *fr = add(w, FR_HZ), *es = add(w, FR_HZ * 2);
	assert_int_equal(room_mixer_voice(&fr->m, 1), MEDIA_OK);
	struct mixer_session s = {.live = true,
				  .name = NAME,
				  .title = "t",
				  .date = "d",
				  .serial = SERIAL,
				  .lead_packets = LEAD};
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
	world_free(w); /* stops the recorder: every file is complete */
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
	world_remove(w);
}

/* No recorder (recordings off) or no name: no channel files, and nothing breaks. */
static void no_recorder_no_channel_files(void **state)
{
	(void)state;
	struct world *w = world_new();
	struct fake *fr = add(w, FR_HZ);
	assert_int_equal(room_mixer_voice(&fr->m, 1), MEDIA_OK);
	struct mixer_session s = {.live = true, .title = "t", .date = "d", .serial = SERIAL};
	assert_int_equal(room_mixer_session(w->rm, &w->env, &s), MEDIA_OK); /* no name */
	assert_int_equal(room_mixer_gate(&fr->m, true), MEDIA_OK);
	for (size_t t = 0; t < 20; t++)
		tick(w);
	s.live = false;
	assert_int_equal(room_mixer_session(w->rm, &w->env, &s), MEDIA_OK);
	world_free(w);
	char path[160];
	struct stat sb;
	snprintf(path, sizeof path, "%s/%s", w->dir, ROOM);
	assert_int_not_equal(stat(path, &sb), 0); /* not even the room's directory */
	world_remove(w);
}

#ifndef NO_MALLOC_COUNT
static void recording_ticks_allocate_nothing(void **state)
{
	(void)state;
	struct world *w = world_new();
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
	world_remove(w);
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(channels_are_recorded_on_the_floors_timeline),
	    cmocka_unit_test(no_recorder_no_channel_files),
#ifndef NO_MALLOC_COUNT
	    cmocka_unit_test(recording_ticks_allocate_nothing),
#endif
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
