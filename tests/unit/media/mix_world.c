/*
 * media/mix_world.c -- see mix_world.h.
 */
#include "media/mix_world.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "media/record/recorder.h"
#include "media/secure/srtp_session.h"
#include "media/test_audio.h"
#include "media/test_keys.h"

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
	int big = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
	return fd;
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

static struct recorder *world_recorder(struct world *w)
{
	strcpy(w->dir, "/tmp/plenary-world-XXXXXX");
	assert_non_null(mkdtemp(w->dir));
	struct recorder_config rc = {.dir = w->dir, .capacity = 4096};
	struct recorder *rec;
	assert_int_equal(recorder_create(&rc, &rec), MEDIA_OK);
	return rec;
}

struct world *world_new_with(const struct world_config *c)
{
	struct world *w = calloc(1, sizeof *w);
	assert_non_null(w);
	if (c->record)
		w->rec = world_recorder(w);
	if (c->tap) {
		w->taps = calloc(MAX_TAP, sizeof *w->taps);
		assert_non_null(w->taps);
		w->tap = (struct mixer_tap){.encoded = on_encoded, .ctx = w};
	}
	struct sockaddr_in a;
	w->server_fd = udp_socket(&a);
	assert_int_equal(fanout_create(8, &w->fanout), MEDIA_OK);
	w->env = (struct mixer_env){.fd = w->server_fd,
				    .fanout = w->fanout,
				    .recorder = w->rec,
				    .counters = &w->counters,
				    .clock_us = mono_us,
				    .tap = c->tap ? &w->tap : NULL};
	struct room_mixer_config cfg = {.room = c->room,
					.ssrc = c->ssrc,
					.first_seq = c->first_seq,
					.first_ts = c->first_ts,
					.stats = &w->stats};
	assert_int_equal(room_mixer_create(&cfg, &w->rm), MEDIA_OK);
	w->now_us = 1000000;
	return w;
}

struct world *world_new(void)
{
	struct world_config c = {.room = "plenary",
				 .ssrc = ROOM_SSRC,
				 .first_seq = 65500, /* wraps during the tests */
				 .first_ts = 4294960000u};
	return world_new_with(&c);
}

struct fake *world_add(struct world *w, double hz, uint8_t pt)
{
	assert_true(w->n < MAX_FAKES);
	struct fake *f = &w->f[w->n];
	test_srtp_pair(DTLS_SRTP_AEAD_AES_128_GCM, (uint8_t)(w->n + 1), &f->send, &f->recv);
	struct sockaddr_in a;
	f->fd = udp_socket(&a);
	f->m.srtp = f->send;
	memcpy(&f->m.addr, &a, sizeof a);
	f->m.addr_len = sizeof a;
	f->m.payload_type = pt;
	f->rx = calloc(MAX_RX, sizeof *f->rx);
	f->hz = hz;
	f->mic_ssrc = 0xabc00000u + pt;
	f->seq = (uint16_t)(1000 * (w->n + 1));
	f->ts = 1234567u * (uint32_t)(w->n + 1);
	if (hz > 0) {
		struct codec_encoder_config ec = {
		    .complexity = -1, .loss_percent = -1, .disable_dtx = true};
		assert_int_equal(codec_encoder_create(&ec, &f->enc), MEDIA_OK);
	}
	assert_int_equal(room_mixer_join(w->rm, &f->m), MEDIA_OK);
	room_mixer_keyed(&f->m);
	w->n++;
	return f;
}

void world_stop(struct world *w)
{
	if (w->stopped)
		return;
	w->stopped = true;
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
	recorder_destroy(w->rec);
	fanout_destroy(w->fanout);
	close(w->server_fd);
}

void world_free(struct world *w)
{
	world_stop(w);
	if (w->rec) {
		char cmd[128];
		snprintf(cmd, sizeof cmd, "rm -rf %s", w->dir);
		assert_int_equal(system(cmd), 0);
	}
	free(w->taps);
	free(w);
}

void world_speak(struct world *w, struct fake *f, uint8_t level)
{
	int16_t pcm[CODEC_FRAME];
	for (size_t i = 0; i < CODEC_FRAME; i++)
		pcm[i] = test_sine_sample(f->hz, 9000, f->sample + i);
	f->sample += CODEC_FRAME;
	bool dtx;
	assert_int_equal(codec_encode(f->enc, pcm, f->last, sizeof f->last, &f->last_len, &dtx),
			 MEDIA_OK);
	struct rtp_header h = {.payload_type = f->m.payload_type,
			       .seq = f->seq++,
			       .timestamp = f->ts,
			       .ssrc = f->mic_ssrc,
			       .payload = f->last,
			       .payload_len = f->last_len};
	f->ts += CODEC_FRAME;
	struct talk_packet tp = {.now_us = w->now_us - 3000,
				 .payload_len = f->last_len,
				 .has_level = true,
				 .level = level};
	(void)room_mixer_audio(&f->m, &h, &tp, &w->env);
}

void world_drain(struct fake *f)
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
		assert_int_equal(h.payload_type, f->m.payload_type);
		assert_true(f->n_rx < MAX_RX);
		struct rx *r = &f->rx[f->n_rx++];
		r->seq = h.seq;
		r->ts = h.timestamp;
		r->ssrc = h.ssrc;
		r->len = h.payload_len;
		memcpy(r->payload, h.payload, h.payload_len);
	}
}
