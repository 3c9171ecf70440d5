/*
 * media/wire/sdp_helpers.h -- what the SDP tests share (test_sdp_browsers.c,
 * test_sdp_answer.c, test_sdp_errors.c): a small offer each error test changes one line of,
 * our side's parameters, the fixture loader, and checks on the answer built.
 *
 * Header-only and static inline, so each test stays one program.
 */
#ifndef PLENARY_TEST_MEDIA_WIRE_SDP_HELPERS_H
#define PLENARY_TEST_MEDIA_WIRE_SDP_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "media/wire/sdp.h"

#define FIXTURES PLENARY_SOURCE_DIR "/tests/fixtures/sdp/"
#define FP                                                                                         \
	"E6:BF:DD:AA:39:30:8E:B6:F0:A4:47:58:55:40:3D:F8:D9:09:A5:77:32:DB:30:C2:10:25:54:81:"     \
	"8D:9B:F1:A9"
#define LOCAL_FP                                                                                   \
	"00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:"     \
	"CC:DD:EE:FF"

/* A small offer: each error test changes one line of it. */
static const char base[] = "v=0\r\n"
			   "o=- 1 2 IN IP4 127.0.0.1\r\n"
			   "s=-\r\n"
			   "t=0 0\r\n"
			   "a=group:BUNDLE 0\r\n"
			   "m=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\n"
			   "c=IN IP4 0.0.0.0\r\n"
			   "a=ice-ufrag:abcd\r\n"
			   "a=ice-pwd:abcdefghijklmnopqrstuv\r\n"
			   "a=fingerprint:sha-256 " FP "\r\n"
			   "a=setup:actpass\r\n"
			   "a=mid:0\r\n"
			   "a=extmap:5 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
			   "a=sendrecv\r\n"
			   "a=rtcp-mux\r\n"
			   "a=rtpmap:111 opus/48000/2\r\n"
			   "a=fmtp:111 useinbandfec=1\r\n"
			   "a=rtpmap:0 PCMU/8000\r\n"
			   "a=ssrc:1 cname:x\r\n";

static struct sdp_offer offer;
static char text[SDP_MAX_LEN + 64];
static char answer[8192];

static const struct sdp_candidate cands[] = {
    {"192.0.2.10", 40000, false}, {"2001:db8::10", 40000, false}, {"192.0.2.10", 40000, true}};
static const struct sdp_local local = {
    .ice_ufrag = "plnr",
    .ice_pwd = "0123456789abcdefghijkl",
    .fingerprint = LOCAL_FP,
    .candidates = cands,
    .n_candidates = 3,
    .ssrc = 424242,
    .cname = "plenary-mix",
    .msid = "plenary floor",
    .send = true,
    .session_id = 77,
    .session_version = 1,
};

static inline size_t load(const char *name)
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

/* base with the first occurrence of `from` replaced by `to`, into text. */
static inline size_t mutate(const char *from, const char *to)
{
	const char *at = strstr(base, from);
	assert_non_null(at);
	size_t pre = (size_t)(at - base);
	snprintf(text, sizeof text, "%.*s%s%s", (int)pre, base, to, at + strlen(from));
	return strlen(text);
}

/* Removes the first occurrence of what from text. */
static inline void cut(const char *what)
{
	char *at = strstr(text, what);
	assert_non_null(at);
	size_t n = strlen(what);
	memmove(at, at + n, strlen(at + n) + 1);
}

static inline void expect_mutation(const char *from, const char *to, enum sdp_err err,
				   unsigned line)
{
	size_t n = mutate(from, to);
	enum sdp_err got = sdp_parse(text, n, &offer);
	if (got != err || offer.err_line != line)
		fail_msg("%s -> %s: got %d line %u, want %d line %u", from, to, got, offer.err_line,
			 err, line);
	if (err != SDP_OK)
		assert_int_equal(offer.audio, -1);
}

static inline void build(const struct sdp_local *l)
{
	size_t n = 0;
	assert_int_equal(sdp_build_answer(&offer, l, answer, sizeof answer, &n), SDP_OK);
	assert_int_equal(n, strlen(answer));
}

static inline void has_line(const char *line)
{
	char want[512];
	snprintf(want, sizeof want, "\r\n%s\r\n", line);
	if (strstr(answer, want) == NULL)
		fail_msg("answer lacks \"%s\":\n%s", line, answer);
}

static inline void lacks(const char *s)
{
	if (strstr(answer, s) != NULL)
		fail_msg("answer has \"%s\":\n%s", s, answer);
}

#endif
