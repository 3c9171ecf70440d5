/* The plain-RTP venue's pure parts: what a desk's datagram must be (venue_rtp_check), L16
 * gathered into 20 ms frames across packets of any size, and the addresses of the
 * configuration. The socket and the mix are tested end to end with ffmpeg
 * (tests/integration/venue_rtp.test.mjs). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "media/alloc_count.h"
#include "media/net/venue_rtp.h"

/* An RTP packet of payload type pt with the payload p[0..n) into buf; returns its length. */
static size_t packet(uint8_t *buf, uint8_t pt, const uint8_t *p, size_t n)
{
	const uint8_t head[12] = {0x80, pt, 0, 1, 0, 0, 3, 0xc0, 0, 0, 0, 7};
	memcpy(buf, head, sizeof head);
	if (n)
		memcpy(buf + sizeof head, p, n);
	return sizeof head + n;
}

static void opus_check(void **state)
{
	(void)state;
	uint8_t buf[64];
	struct rtp_header h;
	const uint8_t twenty[] = {0xf8, 0xff, 0xfe}; /* CELT FB 20 ms, one frame */
	const uint8_t forty[] = {0xf9, 0xff, 0xfe};  /* two 20 ms frames */
	size_t n = packet(buf, 97, twenty, sizeof twenty);
	assert_int_equal(venue_rtp_check(buf, n, MEDIA_VENUE_OPUS, 97, &h), VENUE_OK);
	assert_int_equal(h.payload_len, 3);
	assert_ptr_equal(h.payload, buf + 12);
	assert_int_equal(venue_rtp_check(buf, n, MEDIA_VENUE_OPUS, 96, &h), VENUE_EPT);
	n = packet(buf, 97, forty, sizeof forty);
	assert_int_equal(venue_rtp_check(buf, n, MEDIA_VENUE_OPUS, 97, &h), VENUE_EOPUS);
	n = packet(buf, 97, (const uint8_t[]){0x03}, 1); /* code 3 without its count */
	assert_int_equal(venue_rtp_check(buf, n, MEDIA_VENUE_OPUS, 97, &h), VENUE_EOPUS);
	n = packet(buf, 97, NULL, 0);
	assert_int_equal(venue_rtp_check(buf, n, MEDIA_VENUE_OPUS, 97, &h), VENUE_EEMPTY);
	buf[0] = 0x40; /* version 1 */
	assert_int_equal(venue_rtp_check(buf, 14, MEDIA_VENUE_OPUS, 97, &h), VENUE_EBAD_RTP);
	assert_int_equal(venue_rtp_check(buf, 5, MEDIA_VENUE_OPUS, 97, &h), VENUE_EBAD_RTP);
	assert_string_equal(venue_drop_name(VENUE_EPT),
			    "another payload type than the configured one");
}

static void l16_check(void **state)
{
	(void)state;
	static uint8_t buf[12 + 2 * VENUE_L16_FRAME + 2], pcm[2 * VENUE_L16_FRAME + 2];
	struct rtp_header h;
	size_t n = packet(buf, 100, pcm, 2 * VENUE_L16_FRAME);
	assert_int_equal(venue_rtp_check(buf, n, MEDIA_VENUE_L16, 100, &h), VENUE_OK);
	n = packet(buf, 100, pcm, 2 * VENUE_L16_FRAME + 2); /* over 20 ms */
	assert_int_equal(venue_rtp_check(buf, n, MEDIA_VENUE_L16, 100, &h), VENUE_EL16);
	n = packet(buf, 100, pcm, 7); /* half a sample */
	assert_int_equal(venue_rtp_check(buf, n, MEDIA_VENUE_L16, 100, &h), VENUE_EL16);
}

/* 700-sample packets: the first frame fills in the second packet, 440 samples carry on. */
static void l16_gathered(void **state)
{
	(void)state;
	static uint8_t be[1400];
	for (size_t i = 0; i < 700; i++) {
		int16_t s = (int16_t)(i * 40 - 14000);
		be[2 * i] = (uint8_t)((uint16_t)s >> 8);
		be[2 * i + 1] = (uint8_t)s;
	}
	struct venue_l16 f = {.n = 0};
	size_t from = 0;
	assert_false(venue_l16_gather(&f, be, sizeof be, &from));
	assert_int_equal(f.n, 700);
	assert_int_equal(from, 700);
	from = 0;
	assert_true(venue_l16_gather(&f, be, sizeof be, &from));
	assert_int_equal(from, 260);
	assert_int_equal(f.pcm[0], -14000);
	assert_int_equal(f.pcm[699], 699 * 40 - 14000);
	assert_int_equal(f.pcm[700], -14000); /* the second packet's first sample */
	f.n = 0;
	assert_false(venue_l16_gather(&f, be, sizeof be, &from));
	assert_int_equal(f.n, 440);
	assert_int_equal(f.pcm[0], 260 * 40 - 14000);
}

static void addresses(void **state)
{
	(void)state;
	struct stun_addr a;
	assert_true(venue_parse_addr("127.0.0.1:5004", &a));
	assert_int_equal(a.family, STUN_IPV4);
	assert_int_equal(a.port, 5004);
	assert_true(venue_parse_addr("[::1]:65535", &a));
	assert_int_equal(a.family, STUN_IPV6);
	assert_int_equal(a.port, 65535);
	const char *bad[] = {"",
			     "127.0.0.1",
			     "127.0.0.1:0",
			     "127.0.0.1:65536",
			     "127.0.0.1:+5",
			     "127.0.0.1:5x",
			     "localhost:5004",
			     "::1:5004",
			     "[::1:5004",
			     "[::1]5004",
			     ":5004",
			     "[]:5004",
			     "127.0.0.1:",
			     "127.0.0.1:-5004",
			     NULL};
	for (size_t i = 0; bad[i]; i++)
		assert_false(venue_parse_addr(bad[i], &a));
	assert_false(venue_parse_addr(NULL, &a));
}

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A UDP socket on 127.0.0.1 (port 0: any), non-blocking; its port in *port. */
static int loopback(uint16_t *port)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				.sin_port = htons(*port)};
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	socklen_t len = sizeof a;
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* The allocation count works. Through a pointer: GCC removes a malloc freed unused at -O2. */
static void malloc_count_works(void)
{
#ifndef NO_MALLOC_COUNT
	void *(*volatile allocate)(size_t) = malloc;
	counting = true;
	free(allocate(16));
	counting = false;
	assert_int_equal(allocations, 1);
	allocations = 0;
#endif
}

/* The k-th 700-sample L16 packet of a triangle tone (about 436 Hz) from the desk. */
static void send_tone_packet(int fd, const struct sockaddr_in *to, uint8_t *pkt, int k)
{
	uint8_t be[1400];
	for (int i = 0; i < 700; i++) {
		int t = (k * 700 + i) % 110;
		int16_t s = (int16_t)(t < 55 ? t * 300 - 8000 : (110 - t) * 300 - 8000);
		be[2 * i] = (uint8_t)((uint16_t)s >> 8);
		be[2 * i + 1] = (uint8_t)s;
	}
	size_t n = packet(pkt, 100, be, sizeof be);
	pkt[3] = (uint8_t)k;
	assert_int_equal(sendto(fd, pkt, n, 0, (const struct sockaddr *)to, sizeof *to),
			 (ssize_t)n);
}

/* One 10 ms L16 packet (payload type 100) arrives at the desk within 100 ms. */
static void expect_l16_packet(int fd, uint8_t *got, size_t cap)
{
	ssize_t r = -1;
	for (int tries = 0; tries < 100 && r < 0; tries++) {
		r = recv(fd, got, cap, 0);
		if (r < 0)
			usleep(1000);
	}
	assert_int_equal(r, 12 + 960);
	assert_int_equal(got[1] & 0x7f, 100);
}

/* An L16 desk in a room's mixer: 20 ms of tone in two packets becomes one Opus frame that
 * the mixer takes as voice (the room forwards it: the only voice); what the mixer sends the
 * desk comes back as two 10 ms L16 packets. After the gate's first opening (which makes
 * the mic's buffers) nothing on either path allocates. */
static void l16_desk_in_a_room(void **state)
{
	(void)state;
	uint16_t in_port = 0, out_port = 0, desk_port = 0;
	int probe = loopback(&in_port); /* a free port for the venue, given back at once */
	close(probe);
	int desk_rx = loopback(&out_port), desk_tx = loopback(&desk_port);
	char listen[32], send_to[32], why[128];
	snprintf(listen, sizeof listen, "127.0.0.1:%u", in_port);
	snprintf(send_to, sizeof send_to, "127.0.0.1:%u", out_port);
	struct media_venue_rtp cfg = {.room = "hall",
				      .listen = listen,
				      .send_to = send_to,
				      .codec = MEDIA_VENUE_L16,
				      .payload_type = 100};
	struct mixer_room_stats stats = {0};
	struct venue_rtp *v;
	assert_int_equal(venue_rtp_create(&cfg, 0x1234, &stats, &v, why, sizeof why), MEDIA_OK);
	struct venue_rtp_counters counters = {0};
	v->counters = &counters;
	struct mixer_counters mc = {0};
	struct fanout *fo;
	assert_int_equal(fanout_create(8, &fo), MEDIA_OK);
	struct mixer_env env = {.fd = desk_tx, .fanout = fo, .counters = &mc, .clock_us = mono_us};
	struct room_mixer_config rc = {.room = "hall", .ssrc = 0x1234, .stats = &stats};
	struct room_mixer *rm;
	assert_int_equal(room_mixer_create(&rc, &rm), MEDIA_OK);
	assert_int_equal(room_mixer_join(rm, &v->member), MEDIA_OK);
	room_mixer_keyed(&v->member);
	assert_int_equal(room_mixer_gate(&v->member, true), MEDIA_OK);

	/* 0.4 s of a tone from the desk, 700-sample packets, read as they come. */
	struct sockaddr_in to = {.sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				 .sin_port = htons(in_port)};
	static uint8_t pkt[12 + 1400];
	malloc_count_works();
	counting = true;
	for (int k = 0; k < 28; k++) {
		send_tone_packet(desk_tx, &to, pkt, k);
		venue_rtp_receive(v, &env, mono_us());
		room_mixer_tick(rm, &env, mono_us());
	}
	counting = false;
	assert_int_equal(atomic_load(&counters.received), 28);
	assert_int_equal(atomic_load(&counters.dropped), 0);
	assert_int_equal(atomic_load(&stats.forwarding), 1); /* its voice is the room's */

	/* What the mixer sends the desk (here: one frame of silence as Opus) goes out as L16. */
	struct codec_encoder *enc;
	assert_int_equal(codec_encoder_create(NULL, &enc), MEDIA_OK);
	static int16_t quiet[CODEC_FRAME];
	uint8_t opus[CODEC_MAX_PACKET];
	size_t olen;
	bool dtx;
	assert_int_equal(codec_encode(enc, quiet, opus, sizeof opus, &olen, &dtx), MEDIA_OK);
	size_t n = packet(pkt, 100, opus, olen);
	uint8_t got[2048];
	while (recv(desk_rx, got, sizeof got, 0) > 0)
		; /* what the ticks sent it (its mix-minus before the room chose to forward it) */
	uint64_t sent = atomic_load(&counters.sent);
	counting = true;
	assert_true(v->sink.send(&v->sink, pkt, n));
	counting = false;
#ifndef NO_MALLOC_COUNT
	assert_int_equal(allocations, 0);
#endif
	for (int i = 0; i < 2; i++)
		expect_l16_packet(desk_rx, got, sizeof got);
	assert_int_equal(atomic_load(&counters.sent) - sent, 2);

	codec_encoder_destroy(enc);
	room_mixer_leave(&v->member);
	room_mixer_destroy(rm, &env);
	venue_rtp_destroy(v);
	fanout_destroy(fo);
	close(desk_rx);
	close(desk_tx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(opus_check),	  cmocka_unit_test(l16_check),
	    cmocka_unit_test(l16_gathered),	  cmocka_unit_test(addresses),
	    cmocka_unit_test(l16_desk_in_a_room),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
