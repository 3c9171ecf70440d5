/* Unit tests for media/record/recorder.c: the writer thread drains the ring into complete Ogg Opus
 * files (EOS, granule = every packet's duration); two streams at once; a full ring drops
 * and counts, and the dropped packets are filled so the timeline holds (opusdec decodes
 * the fillers, when opus-tools is installed); stop ends streams nobody ended; names that
 * could leave the directory, unknown streams, use after stop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <ogg/ogg.h>

#include "media/mix/opus_codec.h"
#include "media/ogg_read.h"
#include "media/record/recorder.h"
#include "media/test_audio.h"

struct tmp {
	char dir[64];
};

static int setup(void **state)
{
	struct tmp *t = calloc(1, sizeof *t);
	strcpy(t->dir, "/tmp/plenary-rec-XXXXXX");
	if (!mkdtemp(t->dir))
		return -1;
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tmp *t = *state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", t->dir);
	int rc = system(cmd);
	free(t);
	return rc;
}

/* What a file holds. */
struct file_info {
	size_t audio_packets, one_byte_packets;
	int64_t last_granule;
	bool eos;
	bool tags_ok;
};

static void on_page(void *ctx, const ogg_page *og)
{
	struct file_info *fi = ctx;
	fi->last_granule = ogg_page_granulepos(og);
	fi->eos = ogg_page_eos(og) != 0;
}

static void on_packet(void *ctx, const ogg_packet *op, size_t index)
{
	struct file_info *fi = ctx;
	if (index == 1)
		fi->tags_ok = ogg_has_tag(op, "ROOM=ietf-120");
	if (index < 2)
		return;
	fi->audio_packets++;
	fi->one_byte_packets += op->bytes == 1;
}

static void read_file(const char *dir, const char *name, struct file_info *fi)
{
	char path[128];
	int n = snprintf(path, sizeof path, "%s/%s.ogg", dir, name);
	assert_true(n > 0 && (size_t)n < sizeof path);
	memset(fi, 0, sizeof *fi);
	ogg_read(path, &(struct ogg_visit){.page = on_page, .packet = on_packet, .ctx = fi});
}

static struct recorder *make(const char *dir, size_t capacity, bool paused)
{
	struct recorder_config cfg = {.dir = dir, .capacity = capacity, .paused = paused};
	struct recorder *r;
	assert_int_equal(recorder_create(&cfg, &r), MEDIA_OK);
	return r;
}

static int begin(struct recorder *r, const char *name)
{
	struct recorder_session s = {.name = name,
				     .room = "ietf-120",
				     .title = "Plenary",
				     .date = "2024-07-22T09:00:00Z",
				     .pre_skip = 312,
				     .serial = 42};
	int id = -1;
	assert_int_equal(recorder_begin(r, &s, &id), MEDIA_OK);
	return id;
}

/* A real Opus packet of a tone, so opusdec can decode the files. */
struct tone {
	struct codec_encoder *enc;
	size_t n;
};

static void tone_packet(struct tone *t, uint8_t *pkt, size_t *len)
{
	int16_t pcm[CODEC_FRAME];
	for (size_t i = 0; i < CODEC_FRAME; i++)
		pcm[i] = test_sine_sample(440, 8000, t->n * CODEC_FRAME + i);
	t->n++;
	bool dtx;
	assert_int_equal(codec_encode(t->enc, pcm, pkt, CODEC_MAX_PACKET, len, &dtx), MEDIA_OK);
}

static void push_tone(struct recorder *r, int id, struct tone *t, size_t n, size_t *full)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t pkt[CODEC_MAX_PACKET];
		size_t len;
		tone_packet(t, pkt, &len);
		enum media_err err = recorder_push(r, id, pkt, len, CODEC_FRAME);
		assert_true(err == MEDIA_OK || (full && err == MEDIA_ERR_FULL));
		if (err == MEDIA_ERR_FULL)
			(*full)++;
	}
}

static struct tone tone_new(void)
{
	struct tone t = {0};
	assert_int_equal(codec_encoder_create(NULL, &t.enc), MEDIA_OK);
	return t;
}

static void test_two_streams(void **state)
{
	struct tmp *t = *state;
	struct recorder *r = make(t->dir, 0, false);
	struct tone ta = tone_new(), tb = tone_new();
	int a = begin(r, "room-a-1");
	int b = begin(r, "room-b-1");
	assert_int_not_equal(a, b);
	for (int i = 0; i < 25; i++) {
		push_tone(r, a, &ta, 10, NULL);
		push_tone(r, b, &tb, 4, NULL);
		struct timespec ts = {0, 2000000};
		nanosleep(&ts, NULL); /* a tick's worth of pacing now and then */
	}
	assert_int_equal(recorder_end(r, a), MEDIA_OK);
	assert_int_equal(recorder_end(r, a), MEDIA_ERR_STATE);
	assert_int_equal(recorder_end(r, b), MEDIA_OK);
	recorder_stop(r);
	struct recorder_stats st;
	recorder_get_stats(r, &st);
	assert_int_equal(st.pushed, 350);
	assert_int_equal(st.written, 350);
	assert_int_equal(st.dropped + st.filled + st.io_errors, 0);
	assert_int_equal(st.files_done, 2);
	struct file_info fi;
	read_file(t->dir, "room-a-1", &fi);
	assert_int_equal(fi.audio_packets, 250);
	assert_int_equal(fi.last_granule, 250 * 960);
	assert_true(fi.eos);
	assert_true(fi.tags_ok);
	read_file(t->dir, "room-b-1", &fi);
	assert_int_equal(fi.audio_packets, 100);
	assert_int_equal(fi.last_granule, 100 * 960);
	assert_true(fi.eos);
	recorder_destroy(r);
	codec_encoder_destroy(ta.enc);
	codec_encoder_destroy(tb.enc);
}

static bool have_opusdec(void)
{
	return system("command -v opusdec >/dev/null 2>&1") == 0;
}

/* The writer is held back, so the ring fills: pushes past capacity are dropped and
 * counted, and the file still covers every tick, the gap filled with 1-byte frames. */
static void test_full_ring_drops_and_fills(void **state)
{
	struct tmp *t = *state;
	struct recorder *r = make(t->dir, 16, true);
	struct tone tn = tone_new();
	int id = begin(r, "dropped");
	size_t full = 0;
	push_tone(r, id, &tn, 40, &full);
	assert_int_equal(full, 25); /* 16 entries, one taken by the begin */
	assert_int_equal(recorder_end(r, id), MEDIA_ERR_FULL);
	struct recorder_stats st;
	recorder_get_stats(r, &st);
	assert_int_equal(st.dropped, 25);
	assert_int_equal(st.pushed, 15);
	recorder_resume(r);
	enum media_err err;
	while ((err = recorder_end(r, id)) == MEDIA_ERR_FULL) {
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
	assert_int_equal(err, MEDIA_OK);
	recorder_stop(r);
	recorder_get_stats(r, &st);
	assert_int_equal(st.written, 15);
	assert_int_equal(st.filled, 25);
	assert_int_equal(st.files_done, 1);
	struct file_info fi;
	read_file(t->dir, "dropped", &fi);
	assert_int_equal(fi.audio_packets, 40);
	assert_int_equal(fi.one_byte_packets, 25);
	assert_int_equal(fi.last_granule, 40 * 960);
	assert_true(fi.eos);
	if (have_opusdec()) {
		char cmd[256];
		snprintf(cmd, sizeof cmd,
			 "opusdec --quiet --rate 48000 %s/dropped.ogg %s/dropped.wav", t->dir,
			 t->dir);
		assert_int_equal(system(cmd), 0);
		snprintf(cmd, sizeof cmd, "test $(stat -c %%s %s/dropped.wav) -ge %d", t->dir,
			 (40 * 960 - 312) * 2);
		assert_int_equal(system(cmd), 0);
	}
	recorder_destroy(r);
	codec_encoder_destroy(tn.enc);
}

/* A stream nobody ended is completed by stop (EOS, fsync); nothing is lost in the ring. */
static void test_stop_ends_open_streams(void **state)
{
	struct tmp *t = *state;
	struct recorder *r = make(t->dir, 64, true);
	struct tone tn = tone_new();
	int id = begin(r, "unended");
	push_tone(r, id, &tn, 30, NULL);
	recorder_stop(r); /* paused: everything is still in the ring */
	recorder_stop(r);
	struct recorder_stats st;
	recorder_get_stats(r, &st);
	assert_int_equal(st.written, 30);
	assert_int_equal(st.files_done, 1);
	struct file_info fi;
	read_file(t->dir, "unended", &fi);
	assert_int_equal(fi.audio_packets, 30);
	assert_true(fi.eos);
	uint8_t pkt[1] = {0xf8};
	assert_int_equal(recorder_push(r, id, pkt, 1, 960), MEDIA_ERR_STATE);
	struct recorder_session s = {.name = "late"};
	int id2;
	assert_int_equal(recorder_begin(r, &s, &id2), MEDIA_ERR_STATE);
	recorder_destroy(r);
	codec_encoder_destroy(tn.enc);
}

/* A late start (lead) and a room's subdirectory: the file is <dir>/<room>/<name>.ogg and
 * begins with lead filler frames, so its granule is the session's time. */
static void test_subdir_and_lead(void **state)
{
	struct tmp *t = *state;
	struct recorder *r = make(t->dir, 0, false);
	struct tone tn = tone_new();
	struct recorder_session s = {.subdir = "ietf-120",
				     .name = "1700000000000-01",
				     .room = "ietf-120",
				     .title = "Plenary",
				     .pre_skip = 312,
				     .serial = 7,
				     .lead_packets = 25};
	int id = -1;
	assert_int_equal(recorder_begin(r, &s, &id), MEDIA_OK);
	push_tone(r, id, &tn, 20, NULL);
	assert_int_equal(recorder_end(r, id), MEDIA_OK);
	recorder_stop(r);
	struct recorder_stats st;
	recorder_get_stats(r, &st);
	assert_int_equal(st.files_done, 1);
	assert_int_equal(st.filled, 25);
	char dir[128];
	snprintf(dir, sizeof dir, "%s/ietf-120", t->dir);
	struct file_info fi;
	read_file(dir, "1700000000000-01", &fi);
	assert_int_equal(fi.audio_packets, 45);
	assert_int_equal(fi.one_byte_packets, 25);
	assert_int_equal(fi.last_granule, 45 * 960);
	assert_true(fi.eos);
	assert_true(fi.tags_ok);
	/* A subdirectory is a name too: nothing that leaves the directory. */
	struct recorder *r2 = make(t->dir, 0, false);
	s.subdir = "../up";
	assert_int_equal(recorder_begin(r2, &s, &id), MEDIA_ERR_PARAM);
	s.subdir = ".hidden";
	assert_int_equal(recorder_begin(r2, &s, &id), MEDIA_ERR_PARAM);
	recorder_destroy(r2);
	recorder_destroy(r);
	codec_encoder_destroy(tn.enc);
}

static void test_bad_input(void **state)
{
	struct tmp *t = *state;
	struct recorder *r;
	struct recorder_config cfg = {.dir = "/nonexistent/plenary"};
	assert_int_equal(recorder_create(&cfg, &r), MEDIA_ERR_SYSTEM);
	cfg = (struct recorder_config){.dir = t->dir, .capacity = 100};
	assert_int_equal(recorder_create(&cfg, &r), MEDIA_ERR_PARAM);
	assert_int_equal(recorder_create(NULL, &r), MEDIA_ERR_PARAM);
	r = make(t->dir, 0, false);
	const char *bad[] = {
	    "",	   ".hidden", "../escape",
	    "a/b", "sp ace",  "x1234567890123456789012345678901234567890123456789012345678901234"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct recorder_session s = {.name = bad[i]};
		int id;
		assert_int_equal(recorder_begin(r, &s, &id), MEDIA_ERR_PARAM);
	}
	char long_title[RECORDER_TITLE_MAX + 2];
	memset(long_title, 'x', sizeof long_title - 1);
	long_title[sizeof long_title - 1] = '\0';
	struct recorder_session s = {.name = "ok", .title = long_title};
	int id;
	assert_int_equal(recorder_begin(r, &s, &id), MEDIA_ERR_PARAM);
	uint8_t pkt[RECORDER_MAX_PACKET + 1] = {0xf8};
	assert_int_equal(recorder_push(r, 3, pkt, 1, 960), MEDIA_ERR_STATE);
	assert_int_equal(recorder_push(r, -1, pkt, 1, 960), MEDIA_ERR_STATE);
	assert_int_equal(recorder_end(r, RECORDER_MAX_STREAMS), MEDIA_ERR_STATE);
	id = begin(r, "ok");
	assert_int_equal(recorder_push(r, id, pkt, sizeof pkt, 960), MEDIA_ERR_PARAM);
	assert_int_equal(recorder_push(r, id, pkt, 0, 960), MEDIA_ERR_PARAM);
	assert_int_equal(recorder_push(r, id, pkt, 1, 0), MEDIA_ERR_PARAM);
	recorder_destroy(r);
	recorder_destroy(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_two_streams, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_full_ring_drops_and_fills, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stop_ends_open_streams, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_subdir_and_lead, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
