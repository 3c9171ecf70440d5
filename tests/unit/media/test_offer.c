/* Unit tests for media_peer_offer (media/media.c): the answers Plenary gives to the
 * Chromium and Firefox fixtures of tests/fixtures/sdp/, with the real candidates of running
 * workers -- ICE-lite, setup:passive, our fingerprint, one host candidate per worker with
 * the room's worker first, rtcp-mux, Opus with useinbandfec=1;usedtx=1, the audio-level
 * extension, recvonly answered sendonly -- rooms pinned to workers, the address put in
 * candidates, and offers refused with nothing allocated (DESIGN.md principle 6). */
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

/* Sanitizers replace malloc, and mallinfo2 then knows nothing: measure only without. */
#ifndef __has_feature
#define __has_feature(x) 0
#endif
#if defined(PLENARY_SANITIZED) || defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) || \
    __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define MEASURE_HEAP 0
#else
#define MEASURE_HEAP 1
#endif

#include "media/media.h"
#include "media/wire/sdp.h"

#define FIXTURES PLENARY_SOURCE_DIR "/tests/fixtures/sdp/"
#define WORKERS	 3

static struct media *media;
static char text[SDP_MAX_LEN + 1];
static char answer[MEDIA_ANSWER_MAX];
static struct sdp_offer parsed;

static size_t load(const char *name)
{
	char path[512];
	snprintf(path, sizeof path, "%s%s", FIXTURES, name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	size_t n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	return n;
}

static int group_setup(void **state)
{
	(void)state;
	struct media_options opt = {.workers = WORKERS, .bind_ip = "127.0.0.1"};
	char why[256];
	return media_create(&opt, &media, why, sizeof why) == MEDIA_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	media_destroy(media);
	return 0;
}

static struct media_peer *offer(const char *fixture, const char *room, bool may_send,
				enum media_err want)
{
	size_t n = load(fixture), len = 0;
	struct media_offer o = {.room = room, .sdp = text, .sdp_len = n, .may_send = may_send};
	struct media_peer *peer = NULL;
	char why[256] = "";
	enum media_err err =
	    media_peer_offer(media, &o, answer, sizeof answer, &len, &peer, why, sizeof why);
	if (err != want)
		fail_msg("%s: got %s (%s), want %s", fixture, media_strerror(err), why,
			 media_strerror(want));
	if (err == MEDIA_OK)
		assert_int_equal(strlen(answer), len);
	return peer;
}

static void has_line(const char *line)
{
	char want[512];
	snprintf(want, sizeof want, "\r\n%s\r\n", line);
	if (strstr(answer, want) == NULL)
		fail_msg("answer lacks \"%s\":\n%s", line, answer);
}

/* After the UDP candidates, one ICE-TCP passive candidate per worker (RFC 6544), each
 * below every UDP one and in decreasing order. */
static void check_tcp_candidates(const char *p, unsigned lowest_udp)
{
	unsigned last = lowest_udp;
	for (unsigned i = 0; i < WORKERS; i++) {
		p = strstr(p, "a=candidate:");
		assert_non_null(p);
		unsigned foundation, prio, port;
		char ip[64], rest[32];
		assert_int_equal(sscanf(p, "a=candidate:%u 1 tcp %u %63s %u typ host %31[^\r]",
					&foundation, &prio, ip, &port, rest),
				 5);
		assert_string_equal(ip, "127.0.0.1");
		assert_string_equal(rest, "tcptype passive");
		assert_true(prio < last);
		assert_true(port > 0);
		last = prio;
		p++;
	}
	assert_null(strstr(p, "a=candidate:"));
}

/* The candidate lines, in order, must be every worker's port with the room's first. */
static uint16_t check_candidates(void)
{
	uint16_t ports[WORKERS];
	unsigned lowest = UINT32_MAX;
	const char *p = answer;
	for (unsigned i = 0; i < WORKERS; i++) {
		p = strstr(p, "a=candidate:");
		assert_non_null(p);
		unsigned foundation, prio, port;
		char ip[64];
		assert_int_equal(sscanf(p, "a=candidate:%u 1 udp %u %63s %u typ host", &foundation,
					&prio, ip, &port),
				 4);
		assert_string_equal(ip, "127.0.0.1");
		ports[i] = (uint16_t)port;
		lowest = prio < lowest ? prio : lowest;
		p++;
	}
	check_tcp_candidates(p, lowest);
	has_line("a=end-of-candidates");
	for (unsigned i = 0; i < WORKERS; i++) {
		const char *ip;
		uint16_t port;
		assert_true(media_candidate(media, i, &ip, &port));
		bool listed = false;
		for (unsigned k = 0; k < WORKERS; k++)
			listed |= ports[k] == port;
		assert_true(listed);
	}
	char mline[64];
	snprintf(mline, sizeof mline, "m=audio %u UDP/TLS/RTP/SAVPF", ports[0]);
	assert_non_null(strstr(answer, mline));
	return ports[0];
}

static void check_common(int pt)
{
	char line[256];
	has_line("a=ice-lite");
	has_line("a=setup:passive");
	has_line("a=rtcp-mux");
	has_line("c=IN IP4 127.0.0.1");
	snprintf(line, sizeof line, "a=fingerprint:%s", media_fingerprint(media));
	has_line(line);
	snprintf(line, sizeof line, "a=rtpmap:%d opus/48000/2", pt);
	has_line(line);
	snprintf(line, sizeof line, "a=fmtp:%d minptime=10;useinbandfec=1;usedtx=1", pt);
	has_line(line);
	has_line("a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level");
	/* The answer is itself a description our parser accepts, with our credentials. */
	assert_int_equal(sdp_parse(answer, strlen(answer), &parsed), SDP_OK);
	const struct sdp_media *a = &parsed.media[parsed.audio];
	assert_int_equal(strlen(a->ice_ufrag), 16);
	assert_int_equal(strlen(a->ice_pwd), 24);
	assert_true(parsed.ice_lite);
	assert_int_equal(a->opus_pt, pt);
}

static void test_chrome_sendrecv(void **state)
{
	(void)state;
	struct media_peer *p = offer("chrome-sendrecv.sdp", "room-a", true, MEDIA_OK);
	check_common(111);
	check_candidates();
	has_line("a=sendrecv");
	has_line("a=mid:0");
	has_line("a=group:BUNDLE 0");
	assert_non_null(strstr(answer, "\r\na=ssrc:"));
	assert_non_null(strstr(answer, "\r\na=msid:"));
	media_peer_close(p);
}

static void test_chrome_recvonly(void **state)
{
	(void)state;
	/* Receiving needs no permission to send. */
	struct media_peer *p = offer("chrome-recvonly.sdp", "room-a", false, MEDIA_OK);
	check_common(111);
	check_candidates();
	has_line("a=sendonly");
	media_peer_close(p);
}

static void test_firefox(void **state)
{
	(void)state;
	struct media_peer *p = offer("firefox-sendrecv.sdp", "room-a", true, MEDIA_OK);
	check_common(109);
	check_candidates();
	has_line("a=sendrecv");
	media_peer_close(p);
}

static void test_audio_video_data(void **state)
{
	(void)state;
	struct media_peer *p = offer("chrome-audio-video-data.sdp", "room-a", true, MEDIA_OK);
	check_common(111);
	const char *video = strstr(answer, "\r\nm=video 0 ");
	const char *app = strstr(answer, "\r\nm=application 0 ");
	assert_non_null(video);
	assert_non_null(app);
	assert_true(strstr(answer, "\r\nm=audio ") < video && video < app);
	media_peer_close(p);
}

/* Lets the workers answer the closes of earlier tests, so their peers are gone. */
static void drain(void)
{
	for (int i = 0; i < 50; i++) {
		media_dispatch_all(media, &(struct media_callbacks){0}, NULL);
		usleep(2000);
	}
}

/* Every peer of a room goes to one worker; a new room goes to the least loaded one. */
static void test_rooms_pinned(void **state)
{
	(void)state;
	drain();
	struct media_peer *a1 = offer("chrome-sendrecv.sdp", "pin-1", true, MEDIA_OK);
	uint16_t w1 = check_candidates();
	struct media_peer *a2 = offer("chrome-recvonly.sdp", "pin-1", false, MEDIA_OK);
	assert_int_equal(check_candidates(), w1);
	struct media_peer *b = offer("chrome-sendrecv.sdp", "pin-2", true, MEDIA_OK);
	uint16_t w2 = check_candidates();
	assert_int_not_equal(w1, w2);
	struct media_peer *c = offer("chrome-sendrecv.sdp", "pin-3", true, MEDIA_OK);
	uint16_t w3 = check_candidates();
	assert_int_not_equal(w3, w1);
	assert_int_not_equal(w3, w2);
	media_peer_close(a1);
	media_peer_close(a2);
	media_peer_close(b);
	media_peer_close(c);
}

static size_t heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();
	return mi.uordblks + mi.hblkhd;
}

static void test_refused_allocate_nothing(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "malformed-bad-mline.sdp", "malformed-lf-truncated.sdp", "malformed-no-fingerprint.sdp",
	    "malformed-no-ice.sdp",    "malformed-no-opus.sdp",	     "malformed-no-rtcp-mux.sdp",
	    "malformed-nul.sdp",       "malformed-video-only.sdp",
	};
	/* Warm up whatever OpenSSL and libc allocate once. */
	media_peer_close(offer("chrome-sendrecv.sdp", "warm", true, MEDIA_OK));
	drain(); /* the workers free what earlier tests closed */
	size_t before = heap_in_use();
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_null(offer(bad[i], "room-a", true, MEDIA_ERR_SDP));
	assert_null(offer("chrome-sendrecv.sdp", "room-a", false, MEDIA_ERR_FORBIDDEN));
	size_t n = load("chrome-sendrecv.sdp");
	char *passive = strstr(text, "a=setup:actpass");
	memcpy(passive, "a=setup:passive", 15);
	struct media_offer o = {.room = "room-a", .sdp = text, .sdp_len = n, .may_send = true};
	struct media_peer *peer = NULL;
	size_t len;
	char why[256];
	assert_int_equal(
	    media_peer_offer(media, &o, answer, sizeof answer, &len, &peer, why, sizeof why),
	    MEDIA_ERR_SDP);
	assert_null(peer);
#if MEASURE_HEAP
	assert_int_equal(heap_in_use(), before);
#else
	(void)before;
#endif
}

static void test_addresses_and_options(void **state)
{
	(void)state;
	struct media *m;
	char why[256];
	static const char *const nat[] = {"203.0.113.7"};
	struct media_options opt = {
	    .workers = 2, .bind_ip = "127.0.0.1", .public_ips = nat, .n_public_ips = 1};
	assert_int_equal(media_create(&opt, &m, why, sizeof why), MEDIA_OK);
	const char *ip;
	uint16_t p0, p1;
	assert_true(media_candidate(m, 0, &ip, &p0));
	assert_string_equal(ip, "203.0.113.7");
	assert_true(media_candidate(m, 1, &ip, &p1));
	assert_false(media_candidate(m, 2, &ip, &p1));
	media_destroy(m);

	/* A wildcard bind without a public address: a real address of this host. */
	opt = (struct media_options){.workers = 1, .bind_ip = "0.0.0.0"};
	assert_int_equal(media_create(&opt, &m, why, sizeof why), MEDIA_OK);
	assert_true(media_candidate(m, 0, &ip, &p0));
	assert_string_not_equal(ip, "0.0.0.0");
	assert_int_equal(strspn(ip, "0123456789."), strlen(ip));
	media_destroy(m);

	/* Consecutive ports from a fixed first one. */
	opt = (struct media_options){.workers = 2, .bind_ip = "127.0.0.1", .port = 47810};
	if (media_create(&opt, &m, why, sizeof why) == MEDIA_OK) {
		assert_true(media_candidate(m, 0, &ip, &p0));
		assert_true(media_candidate(m, 1, &ip, &p1));
		assert_int_equal(p0, 47810);
		assert_int_equal(p1, 47811);
		media_destroy(m);
	}

	static const char *const bad[] = {"not-an-ip"};
	opt = (struct media_options){.workers = 2, .public_ips = bad, .n_public_ips = 1};
	assert_int_equal(media_create(&opt, &m, why, sizeof why), MEDIA_ERR_PARAM);
	assert_non_null(strstr(why, "not-an-ip"));
	opt = (struct media_options){.workers = 2, .port = 65535};
	assert_int_equal(media_create(&opt, &m, why, sizeof why), MEDIA_ERR_PARAM);
	opt = (struct media_options){.workers = MEDIA_MAX_WORKERS + 1};
	assert_int_equal(media_create(&opt, &m, why, sizeof why), MEDIA_ERR_PARAM);
	opt = (struct media_options){.workers = 2, .tcp_port = 65535};
	assert_int_equal(media_create(&opt, &m, why, sizeof why), MEDIA_ERR_PARAM);
	assert_non_null(strstr(why, "ICE-TCP"));
	opt = (struct media_options){.workers = 1, .tcp_port = -2};
	assert_int_equal(media_create(&opt, &m, why, sizeof why), MEDIA_ERR_PARAM);
	/* A port that is taken fails loudly, naming it. */
	opt = (struct media_options){.workers = 1, .bind_ip = "127.0.0.1", .port = p0};
	struct media *holder;
	opt.port = 0;
	assert_int_equal(media_create(&opt, &holder, why, sizeof why), MEDIA_OK);
	assert_true(media_candidate(holder, 0, &ip, &opt.port));
	assert_int_equal(media_create(&opt, &m, why, sizeof why), MEDIA_ERR_SYSTEM);
	assert_non_null(strstr(why, "bind UDP 127.0.0.1"));
	media_destroy(holder);
	assert_string_equal(media_state_name(MEDIA_STATE_CONNECTED), "connected");
	assert_string_equal(media_strerror(MEDIA_ERR_BUSY), "the media worker is busy");
}

/* One candidate line of the answer, from *p on; advances *p past it. */
static void next_candidate(const char **p, const char *proto, char *ip, unsigned *prio,
			   unsigned *port)
{
	*p = strstr(*p, "a=candidate:");
	assert_non_null(*p);
	unsigned foundation;
	char got[8];
	assert_int_equal(sscanf(*p, "a=candidate:%u 1 %7s %u %63s %u typ host", &foundation, got,
				prio, ip, port),
			 5);
	assert_string_equal(got, proto);
	(*p)++;
}

/* Several announced addresses (1:1 NAT; IPv4 and IPv6 on one dual-stack socket): every
 * worker has a candidate per address, the room's worker first and each worker's addresses
 * in the order given, priorities falling along the list, UDP above ICE-TCP. */
static void test_announced_addresses(void **state)
{
	(void)state;
	static const char *const ips[] = {"203.0.113.7", "2001:db8::7", "198.51.100.9"};
	struct media_options opt = {
	    .workers = 2, .bind_ip = "::", .public_ips = ips, .n_public_ips = 3};
	struct media *saved = media, *m;
	char why[256];
	assert_int_equal(media_create(&opt, &m, why, sizeof why), MEDIA_OK);
	assert_string_equal(media_announced_ip(m, 1), "2001:db8::7");
	assert_null(media_announced_ip(m, 3));
	media = m;
	struct media_peer *peer = offer("chrome-sendrecv.sdp", "multi", true, MEDIA_OK);
	media = saved;
	has_line("c=IN IP4 203.0.113.7");
	const char *p = answer;
	unsigned last = UINT32_MAX, ports[2][2];
	for (unsigned tcp = 0; tcp < 2; tcp++)
		for (unsigned k = 0; k < 2; k++)
			for (unsigned j = 0; j < 3; j++) {
				char ip[64];
				unsigned prio, port;
				next_candidate(&p, tcp ? "tcp" : "udp", ip, &prio, &port);
				assert_string_equal(ip, ips[j]);
				assert_true(prio < last);
				last = prio;
				if (j == 0)
					ports[tcp][k] = port;
				assert_int_equal(port, ports[tcp][k]);
			}
	assert_null(strstr(p, "a=candidate:"));
	assert_int_not_equal(ports[0][0], ports[0][1]);
	media_peer_close(peer);
	media_destroy(m);
}

/* What media_create refuses about the addresses, each with a sentence saying why. */
static void test_address_errors(void **state)
{
	(void)state;
	struct media *m;
	char why[256];
	static const char *const v6[] = {"2001:db8::7"}, *const v4[] = {"203.0.113.7"};
	/* With no bind address an IPv6 announced address makes the sockets dual-stack. */
	struct media_options opt = {.workers = 1, .public_ips = v6, .n_public_ips = 1};
	assert_int_equal(media_create(&opt, &m, why, sizeof why), MEDIA_OK);
	media_destroy(m);
	opt.bind_ip = "127.0.0.1";
	assert_int_equal(media_create(&opt, &m, why, sizeof why), MEDIA_ERR_PARAM);
	assert_non_null(strstr(why, "is IPv6 and the media sockets are IPv4"));
	opt = (struct media_options){
	    .workers = 1, .bind_ip = "::1", .public_ips = v4, .n_public_ips = 1};
	assert_int_equal(media_create(&opt, &m, why, sizeof why), MEDIA_ERR_PARAM);
	assert_non_null(strstr(why, "is IPv4"));
	static const char *const wild[] = {"203.0.113.7", "0.0.0.0"};
	opt = (struct media_options){.workers = 1, .public_ips = wild, .n_public_ips = 2};
	assert_int_equal(media_create(&opt, &m, why, sizeof why), MEDIA_ERR_PARAM);
	assert_non_null(strstr(why, "'0.0.0.0' is not a numeric host address"));
	/* More candidates than an answer holds: refused, not truncated. */
	static const char *const four[] = {"203.0.113.1", "203.0.113.2", "203.0.113.3",
					   "203.0.113.4"};
	unsigned fit = SDP_MAX_CANDIDATES / (4 * 2);
	opt = (struct media_options){
	    .workers = fit + 1, .bind_ip = "127.0.0.1", .public_ips = four, .n_public_ips = 4};
	assert_int_equal(media_create(&opt, &m, why, sizeof why), MEDIA_ERR_PARAM);
	assert_non_null(strstr(why, "more than an answer holds"));
	opt.workers = fit;
	assert_int_equal(media_create(&opt, &m, why, sizeof why), MEDIA_OK);
	media_destroy(m);
	opt.workers = fit + 1;
	opt.tcp_port = -1; /* UDP only: half as many */
	assert_int_equal(media_create(&opt, &m, why, sizeof why), MEDIA_OK);
	media_destroy(m);
	opt.n_public_ips = MEDIA_MAX_PUBLIC_IPS + 1;
	assert_int_equal(media_create(&opt, &m, why, sizeof why), MEDIA_ERR_PARAM);
}

/* The module's one error enum: every code has a phrase of its own. */
static void test_error_phrases(void **state)
{
	(void)state;
	for (int a = MEDIA_OK; a <= MEDIA_ERR_STALE; a++) {
		const char *pa = media_strerror((enum media_err)a);
		assert_string_not_equal(pa, "unknown media error");
		for (int b = MEDIA_OK; b < a; b++)
			assert_string_not_equal(pa, media_strerror((enum media_err)b));
	}
	assert_string_equal(media_strerror((enum media_err)(MEDIA_ERR_STALE + 1)),
			    "unknown media error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_chrome_sendrecv),
	    cmocka_unit_test(test_chrome_recvonly),
	    cmocka_unit_test(test_firefox),
	    cmocka_unit_test(test_audio_video_data),
	    cmocka_unit_test(test_rooms_pinned),
	    cmocka_unit_test(test_refused_allocate_nothing),
	    cmocka_unit_test(test_addresses_and_options),
	    cmocka_unit_test(test_announced_addresses),
	    cmocka_unit_test(test_address_errors),
	    cmocka_unit_test(test_error_phrases),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
