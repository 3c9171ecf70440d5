/* Unit tests for media/wire/sdp.c: the Chromium and Firefox fixtures parsed field by field,
 * answers built for each and parsed back, rejected m-sections, direction negotiation,
 * and one test per error (from fixture files and from one-line mutations of a small
 * offer), with the line number each error must report. */
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

static struct sdp_offer offer, back;
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

/* base with the first occurrence of `from` replaced by `to`, into text. */
static size_t mutate(const char *from, const char *to)
{
	const char *at = strstr(base, from);
	assert_non_null(at);
	size_t pre = (size_t)(at - base);
	snprintf(text, sizeof text, "%.*s%s%s", (int)pre, base, to, at + strlen(from));
	return strlen(text);
}

/* Removes the first occurrence of what from text. */
static void cut(const char *what)
{
	char *at = strstr(text, what);
	assert_non_null(at);
	size_t n = strlen(what);
	memmove(at, at + n, strlen(at + n) + 1);
}

static void expect_mutation(const char *from, const char *to, enum sdp_err err, unsigned line)
{
	size_t n = mutate(from, to);
	enum sdp_err got = sdp_parse(text, n, &offer);
	if (got != err || offer.err_line != line)
		fail_msg("%s -> %s: got %d line %u, want %d line %u", from, to, got, offer.err_line,
			 err, line);
	if (err != SDP_OK)
		assert_int_equal(offer.audio, -1);
}

static void build(const struct sdp_local *l)
{
	size_t n = 0;
	assert_int_equal(sdp_build_answer(&offer, l, answer, sizeof answer, &n), SDP_OK);
	assert_int_equal(n, strlen(answer));
}

static void has_line(const char *line)
{
	char want[512];
	snprintf(want, sizeof want, "\r\n%s\r\n", line);
	if (strstr(answer, want) == NULL)
		fail_msg("answer lacks \"%s\":\n%s", line, answer);
}

static void lacks(const char *s)
{
	if (strstr(answer, s) != NULL)
		fail_msg("answer has \"%s\":\n%s", s, answer);
}

static void test_chrome_sendrecv(void **state)
{
	(void)state;
	size_t n = load("chrome-sendrecv.sdp");
	assert_int_equal(sdp_parse(text, n, &offer), SDP_OK);
	assert_int_equal(offer.n_media, 1);
	assert_int_equal(offer.audio, 0);
	const struct sdp_media *m = &offer.media[0];
	assert_string_equal(m->media, "audio");
	assert_string_equal(m->proto, "UDP/TLS/RTP/SAVPF");
	assert_string_equal(m->fmts, "111 63 9 0 8 13 110 126");
	assert_int_equal(m->port, 49026);
	assert_string_equal(m->mid, "0");
	assert_string_equal(m->ice_ufrag, "AiHX");
	assert_string_equal(m->ice_pwd, "4ON/ySff9rBCVPX8NJJOLahY");
	assert_string_equal(m->fingerprint.algo, "sha-256");
	assert_int_equal(m->fingerprint.len, 32);
	assert_int_equal(m->fingerprint.digest[0], 0xE6);
	assert_int_equal(m->fingerprint.digest[31], 0xA9);
	assert_int_equal(m->setup, SDP_SETUP_ACTPASS);
	assert_int_equal(m->direction, SDP_SENDRECV);
	assert_true(m->rtcp_mux);
	assert_int_equal(m->opus_pt, 111);
	assert_string_equal(m->opus_fmtp, "minptime=10;useinbandfec=1");
	assert_int_equal(m->audio_level_id, 1);
	assert_true(m->has_ssrc);
	assert_int_equal(m->ssrc, 3216861117u);
	assert_string_equal(m->cname, "PixXUoBf5aXFZQpm");
	assert_string_equal(m->msid, "1f305c3b-d1ac-4eef-89aa-20fb1fa0a72f "
				     "1a48273f-b5b7-40b7-8086-b6604d5749c4");
	assert_int_equal(offer.n_bundle, 1);
	assert_string_equal(offer.bundle[0], "0");
	assert_true(offer.extmap_allow_mixed);
	assert_false(offer.ice_lite);
	assert_int_equal(offer.err_line, 0);
}

static void check_answer_common(int pt)
{
	char line[128];
	has_line("a=ice-lite");
	has_line("a=setup:passive");
	has_line("a=rtcp-mux");
	has_line("a=mid:0");
	has_line("a=group:BUNDLE 0");
	has_line("a=ice-ufrag:plnr");
	has_line("a=ice-pwd:0123456789abcdefghijkl");
	has_line("a=fingerprint:sha-256 " LOCAL_FP);
	has_line("c=IN IP4 192.0.2.10");
	has_line("a=candidate:1 1 udp 2130706431 192.0.2.10 40000 typ host");
	has_line("a=candidate:2 1 udp 2130706175 2001:db8::10 40000 typ host");
	/* RFC 6544: ICE-TCP passive, below every UDP candidate (90 << 24 | (4 << 13 | 8191) << 8
	 * | 255). */
	has_line("a=candidate:3 1 tcp 1520435199 192.0.2.10 40000 typ host tcptype passive");
	has_line("a=end-of-candidates");
	snprintf(line, sizeof line, "m=audio 40000 UDP/TLS/RTP/SAVPF %d", pt);
	has_line(line);
	snprintf(line, sizeof line, "a=rtpmap:%d opus/48000/2", pt);
	has_line(line);
	snprintf(line, sizeof line, "a=fmtp:%d minptime=10;useinbandfec=1;usedtx=1", pt);
	has_line(line);
	assert_memory_equal(answer, "v=0\r\no=- 77 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n", 40);
	assert_int_equal(answer[strlen(answer) - 1], '\n');
	assert_null(strstr(answer, "\n\n"));
}

/* Parses the answer back and checks what it says. */
static void parse_back(enum sdp_direction dir, int pt)
{
	assert_int_equal(sdp_parse(answer, strlen(answer), &back), SDP_OK);
	assert_true(back.ice_lite);
	const struct sdp_media *m = &back.media[back.audio];
	assert_int_equal(m->opus_pt, pt);
	assert_string_equal(m->opus_fmtp, "minptime=10;useinbandfec=1;usedtx=1");
	assert_int_equal(m->setup, SDP_SETUP_PASSIVE);
	assert_int_equal(m->direction, dir);
	assert_string_equal(m->ice_ufrag, "plnr");
	assert_int_equal(m->fingerprint.digest[10], 0xAA);
	assert_int_equal(m->port, 40000);
	assert_int_equal(back.n_media, offer.n_media);
}

static void test_chrome_sendrecv_answer(void **state)
{
	(void)state;
	size_t n = load("chrome-sendrecv.sdp");
	assert_int_equal(sdp_parse(text, n, &offer), SDP_OK);
	build(&local);
	check_answer_common(111);
	has_line("a=sendrecv");
	has_line("a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level");
	has_line("a=extmap-allow-mixed");
	has_line("a=ssrc:424242 cname:plenary-mix");
	has_line("a=msid:plenary floor");
	parse_back(SDP_SENDRECV, 111);
	assert_int_equal(back.media[0].ssrc, 424242);
	assert_int_equal(back.media[0].audio_level_id, 1);
}

static void test_chrome_recvonly(void **state)
{
	(void)state;
	size_t n = load("chrome-recvonly.sdp");
	assert_int_equal(sdp_parse(text, n, &offer), SDP_OK);
	const struct sdp_media *m = &offer.media[0];
	assert_int_equal(m->direction, SDP_RECVONLY);
	assert_false(m->has_ssrc);
	assert_string_equal(m->ice_ufrag, "YFmd");
	assert_int_equal(m->port, 9);
	build(&local);
	check_answer_common(111);
	has_line("a=sendonly");
	has_line("a=ssrc:424242 cname:plenary-mix");
	parse_back(SDP_SENDONLY, 111);
}

static void test_firefox(void **state)
{
	(void)state;
	size_t n = load("firefox-sendrecv.sdp");
	assert_int_equal(sdp_parse(text, n, &offer), SDP_OK);
	const struct sdp_media *m = &offer.media[0];
	assert_int_equal(m->opus_pt, 109);
	/* fmtp came before rtpmap; fingerprint and direction at session level. */
	assert_string_equal(m->opus_fmtp, "maxplaybackrate=48000;stereo=1;useinbandfec=1");
	assert_string_equal(m->fingerprint.algo, "sha-256");
	assert_int_equal(m->fingerprint.digest[0], 0x6B);
	assert_int_equal(m->media[0], 'a');
	assert_int_equal(m->direction, SDP_SENDRECV);
	assert_int_equal(m->setup, SDP_SETUP_ACTPASS);
	assert_string_equal(m->ice_ufrag, "5d2e8b3f");
	assert_string_equal(m->ice_pwd, "7f0c2d9a4b1e8f3c6a5d0b9e2f7c1a84");
	assert_int_equal(m->audio_level_id, 1);
	assert_int_equal(m->ssrc, 2856457123u);
	assert_string_equal(m->cname, "{9e4c1a7b-2d8f-4b3e-a6c0-5f1d7e2b8a94}");
	assert_string_equal(m->msid, "{3b0f6e1c-9a2d-4c7e-8f15-6d4a2b9c0e7f} "
				     "{c8e2a7d4-1f3b-4e6a-9c05-b7d1e3f2a6c9}");
	assert_false(offer.extmap_allow_mixed);
	build(&local);
	check_answer_common(109);
	has_line("a=sendrecv");
	lacks("extmap-allow-mixed");
	parse_back(SDP_SENDRECV, 109);
}

static void test_lf_line_ends(void **state)
{
	(void)state;
	size_t n = load("firefox-sendrecv.sdp"), j = 0;
	for (size_t i = 0; i < n; i++)
		if (text[i] != '\r')
			text[j++] = text[i];
	assert_int_equal(sdp_parse(text, j, &offer), SDP_OK);
	assert_int_equal(offer.media[0].opus_pt, 109);
	assert_string_equal(offer.media[0].opus_fmtp,
			    "maxplaybackrate=48000;stereo=1;useinbandfec=1");
	/* No line end after the last line, and blank lines, are fine too. */
	n = mutate("a=ssrc:1 cname:x\r\n", "\r\n\na=ssrc:1 cname:x");
	assert_int_equal(sdp_parse(text, n, &offer), SDP_OK);
	assert_string_equal(offer.media[0].cname, "x");
}

static void test_audio_video_data(void **state)
{
	(void)state;
	size_t n = load("chrome-audio-video-data.sdp");
	assert_int_equal(sdp_parse(text, n, &offer), SDP_OK);
	assert_int_equal(offer.n_media, 3);
	assert_int_equal(offer.n_bundle, 3);
	assert_string_equal(offer.media[1].media, "video");
	assert_string_equal(offer.media[1].mid, "1");
	assert_string_equal(offer.media[2].fmts, "webrtc-datachannel");
	build(&local);
	check_answer_common(111);
	has_line("m=video 0 UDP/TLS/RTP/SAVPF 96 97 102 103");
	has_line("m=application 0 UDP/DTLS/SCTP webrtc-datachannel");
	has_line("a=mid:1");
	has_line("a=mid:2");
	const char *a = strstr(answer, "m=audio"), *v = strstr(answer, "m=video"),
		   *d = strstr(answer, "m=application");
	assert_true(a < v && v < d);
	lacks("BUNDLE 0 1");
	lacks("VP8");
	parse_back(SDP_SENDRECV, 111);
	assert_int_equal(back.media[1].port, 0);
	assert_int_equal(back.media[2].port, 0);
}

static void test_audio_not_first_and_second_audio(void **state)
{
	(void)state;
	/* A video m-section first (with junk that does not matter there), then ours, then a
	 * second audio one which is rejected. */
	char extra[2048];
	snprintf(extra, sizeof extra,
		 "a=group:BUNDLE v 0 b\r\n"
		 "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
		 "a=mid:v\r\n"
		 "a=rtpmap:junk\r\n"
		 "a=ice-ufrag:!\r\n"
		 "a=ssrc:notanumber\r\n"
		 "m=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\n");
	size_t n = mutate("a=group:BUNDLE 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\n", extra);
	strcat(text, "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:b\r\na=rtcp-mux\r\n"
		     "a=rtpmap:111 opus/48000/2\r\n");
	n = strlen(text);
	assert_int_equal(sdp_parse(text, n, &offer), SDP_OK);
	assert_int_equal(offer.audio, 1);
	assert_int_equal(offer.n_media, 3);
	build(&local);
	has_line("m=video 0 UDP/TLS/RTP/SAVPF 96");
	has_line("m=audio 0 UDP/TLS/RTP/SAVPF 111");
	has_line("a=group:BUNDLE 0");
	has_line("a=extmap:5 urn:ietf:params:rtp-hdrext:ssrc-audio-level");
	const char *first = strstr(answer, "m=video"), *ours = strstr(answer, "m=audio 40000"),
		   *second = strstr(answer, "m=audio 0");
	assert_true(first < ours && ours < second);
}

static void test_directions(void **state)
{
	(void)state;
	static const struct {
		const char *offered;
		bool send;
		const char *answered;
	} cases[] = {
	    {"a=sendrecv", true, "a=sendrecv"}, {"a=sendrecv", false, "a=recvonly"},
	    {"a=recvonly", true, "a=sendonly"}, {"a=recvonly", false, "a=inactive"},
	    {"a=sendonly", true, "a=recvonly"}, {"a=sendonly", false, "a=recvonly"},
	    {"a=inactive", true, "a=inactive"}, {"a=inactive", false, "a=inactive"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t n = mutate("a=sendrecv", cases[i].offered);
		assert_int_equal(sdp_parse(text, n, &offer), SDP_OK);
		struct sdp_local l = local;
		l.send = cases[i].send;
		build(&l);
		has_line(cases[i].answered);
		bool sending = strcmp(cases[i].answered, "a=sendrecv") == 0 ||
			       strcmp(cases[i].answered, "a=sendonly") == 0;
		if (sending) {
			has_line("a=ssrc:424242 cname:plenary-mix");
		} else {
			lacks("a=ssrc:");
			lacks("a=msid:");
		}
	}
	/* No direction anywhere means sendrecv; a session-level one applies. */
	size_t n = mutate("a=sendrecv\r\n", "");
	assert_int_equal(sdp_parse(text, n, &offer), SDP_OK);
	assert_int_equal(offer.media[0].direction, SDP_SENDRECV);
	n = mutate("t=0 0\r\n", "t=0 0\r\na=recvonly\r\n");
	/* ...but the media-level one wins. */
	assert_int_equal(sdp_parse(text, n, &offer), SDP_OK);
	assert_int_equal(offer.media[0].direction, SDP_SENDRECV);
	n = mutate("v=0\r\n", "v=0\r\na=sendonly\r\n");
	cut("a=sendrecv\r\n");
	assert_int_equal(sdp_parse(text, strlen(text), &offer), SDP_OK);
	assert_int_equal(offer.media[0].direction, SDP_SENDONLY);
}

static void test_resolution_and_options(void **state)
{
	(void)state;
	/* Session-level ICE credentials and audio-level extmap; no mid, no BUNDLE. */
	size_t n =
	    mutate("a=group:BUNDLE 0\r\n", "a=ice-ufrag:sess\r\na=ice-pwd:"
					   "SESSIONpasswordSESSION\r\na=extmap:7 "
					   "urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n");
	cut("a=ice-ufrag:abcd\r\n");
	cut("a=ice-pwd:abcdefghijklmnopqrstuv\r\n");
	cut("a=mid:0\r\n");
	cut("a=extmap:5 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n");
	n = strlen(text);
	assert_int_equal(sdp_parse(text, n, &offer), SDP_OK);
	const struct sdp_media *m = &offer.media[0];
	assert_string_equal(m->ice_ufrag, "sess");
	assert_string_equal(m->ice_pwd, "SESSIONpasswordSESSION");
	assert_int_equal(m->audio_level_id, 7);
	assert_string_equal(m->mid, "");
	struct sdp_local l = local;
	l.msid = NULL;
	build(&l);
	lacks("a=mid:");
	lacks("a=group:");
	lacks("a=msid:");
	has_line("a=extmap:7 urn:ietf:params:rtp-hdrext:ssrc-audio-level");
	/* Without the audio-level extension the answer has no extmap. */
	n = mutate("a=extmap:5 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
		   "a=extmap:5/sendrecv urn:ietf:params:rtp-hdrext:sdes:mid");
	assert_int_equal(sdp_parse(text, n, &offer), SDP_OK);
	assert_int_equal(offer.media[0].audio_level_id, 0);
	build(&local);
	lacks("a=extmap:");
	/* An IPv6 first candidate gives c=IN IP6. */
	const struct sdp_candidate v6[] = {{"::1", 5000, false}};
	l = local;
	l.candidates = v6;
	l.n_candidates = 1;
	build(&l);
	has_line("c=IN IP6 ::1");
	has_line("m=audio 5000 UDP/TLS/RTP/SAVPF 111");
	/* ice-lite at session level, setup active, opus in upper case with SAVP, a second
	 * Opus rtpmap (first wins), an Opus not in the format list, bundle-only with port 0. */
	n = mutate("m=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\n",
		   "a=ice-lite\r\nm=audio 0 UDP/TLS/RTP/SAVP 111 0\r\na=bundle-only\r\n"
		   "a=rtpmap:96 opus/48000/2\r\na=rtpmap:111 OPUS/48000/2\r\n");
	assert_int_equal(sdp_parse(text, n, &offer), SDP_OK);
	assert_true(offer.ice_lite);
	assert_true(offer.media[0].bundle_only);
	assert_int_equal(offer.media[0].opus_pt, 111);
	build(&local);
	has_line("m=audio 40000 UDP/TLS/RTP/SAVP 111");
	n = mutate("a=setup:actpass", "a=setup:active");
	assert_int_equal(sdp_parse(text, n, &offer), SDP_OK);
	build(&local);
}

static void test_fingerprints(void **state)
{
	(void)state;
	/* sha-1 then sha-256: sha-256 kept; sha-256 then sha-512: sha-256 kept. */
	char line[512];
	snprintf(line, sizeof line,
		 "a=fingerprint:SHA-1 00:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13"
		 "\r\na=fingerprint:sha-256 %s\r\na=fingerprint:md5 "
		 "00:01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f\r\n",
		 FP);
	size_t n = mutate("a=fingerprint:sha-256 " FP "\r\n", line);
	assert_int_equal(sdp_parse(text, n, &offer), SDP_OK);
	assert_string_equal(offer.media[0].fingerprint.algo, "sha-256");
	/* Only sha-1: kept. */
	n = mutate(
	    "a=fingerprint:sha-256 " FP,
	    "a=fingerprint:sha-1 00:01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f:10:11:12:13");
	assert_int_equal(sdp_parse(text, n, &offer), SDP_OK);
	assert_string_equal(offer.media[0].fingerprint.algo, "sha-1");
	assert_int_equal(offer.media[0].fingerprint.len, 20);
	/* Only md5: not usable. */
	n = mutate("a=fingerprint:sha-256 " FP,
		   "a=fingerprint:md5 00:01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f");
	assert_int_equal(sdp_parse(text, n, &offer), SDP_ENO_FINGERPRINT);
	assert_int_equal(offer.err_line, 6);
}

static void test_fixture_errors(void **state)
{
	(void)state;
	static const struct {
		const char *file;
		enum sdp_err err;
		unsigned line;
	} cases[] = {
	    {"malformed-no-fingerprint.sdp", SDP_ENO_FINGERPRINT, 8},
	    {"malformed-no-ice.sdp", SDP_ENO_ICE, 8},
	    {"malformed-no-rtcp-mux.sdp", SDP_ENO_RTCP_MUX, 8},
	    {"malformed-no-opus.sdp", SDP_ENO_OPUS, 8},
	    {"malformed-bad-mline.sdp", SDP_EBAD_MLINE, 8},
	    {"malformed-lf-truncated.sdp", SDP_EBAD_FINGERPRINT, 18},
	    {"malformed-nul.sdp", SDP_EBAD_CHAR, 3},
	    {"malformed-video-only.sdp", SDP_ENO_AUDIO, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t n = load(cases[i].file);
		enum sdp_err err = sdp_parse(text, n, &offer);
		if (err != cases[i].err || offer.err_line != cases[i].line)
			fail_msg("%s: got %d (%s) line %u", cases[i].file, err, sdp_strerror(err),
				 offer.err_line);
	}
}

static void test_lexical_errors(void **state)
{
	(void)state;
	assert_int_equal(sdp_parse(NULL, 0, &offer), SDP_EEMPTY);
	assert_int_equal(sdp_parse("", 0, &offer), SDP_EEMPTY);
	assert_int_equal(sdp_parse("\r\n\n", 3, &offer), SDP_EEMPTY);
	assert_int_equal(sdp_parse(base, sizeof base - 1, NULL), SDP_EINVAL);
	memset(text, 'a', sizeof text);
	assert_int_equal(sdp_parse(text, SDP_MAX_LEN + 1, &offer), SDP_ETOO_LARGE);
	/* Too many lines. */
	size_t n = 0;
	for (int i = 0; i <= SDP_MAX_LINES; i++)
		n += (size_t)snprintf(text + n, sizeof text - n, "a=x\n");
	assert_int_equal(sdp_parse(text, n, &offer), SDP_ETOO_MANY_LINES);
	assert_int_equal(offer.err_line, SDP_MAX_LINES + 1);
	/* A line of SDP_MAX_LINE bytes is fine, one more is not. */
	n = mutate("s=-", "s=");
	char *s = strstr(text, "s=");
	memmove(s + SDP_MAX_LINE, s + 2, strlen(s + 2) + 1);
	memset(s + 2, 'x', SDP_MAX_LINE - 2);
	assert_int_equal(sdp_parse(text, strlen(text), &offer), SDP_OK);
	memmove(s + 1, s, strlen(s) + 1);
	assert_int_equal(sdp_parse(text, strlen(text), &offer), SDP_ELINE_TOO_LONG);
	assert_int_equal(offer.err_line, 3);
	/* Characters. */
	expect_mutation("s=-", "s=\x01", SDP_EBAD_CHAR, 3);
	expect_mutation("s=-", "s=\x7f", SDP_EBAD_CHAR, 3);
	expect_mutation("s=-", "s=a\rb", SDP_EBAD_CHAR, 3);
	expect_mutation("s=-\r\n", "s=-\r\r\n", SDP_EBAD_CHAR, 3);
	expect_mutation("s=-", "s=\tUTF-8 \xc3\xa9", SDP_OK, 0);
	n = mutate("a=ssrc:1 cname:x\r\n", "a=ssrc:1 cname:x\r");
	assert_int_equal(sdp_parse(text, n, &offer), SDP_EBAD_CHAR);
	/* Line shapes. */
	expect_mutation("s=-", "hello", SDP_EBAD_LINE, 3);
	expect_mutation("s=-", "S=-", SDP_EBAD_LINE, 3);
	expect_mutation("s=-", "s", SDP_EBAD_LINE, 3);
	expect_mutation("s=-", "=s", SDP_EBAD_LINE, 3);
	expect_mutation("v=0", "v=1", SDP_EVERSION, 1);
	expect_mutation("v=0\r\n", "", SDP_EVERSION, 1);
}

static void test_mline_errors(void **state)
{
	(void)state;
	const char *m = "m=audio 9 UDP/TLS/RTP/SAVPF 111 0";
	expect_mutation(m, "m=audio", SDP_EBAD_MLINE, 6);
	expect_mutation(m, "m=audio 9", SDP_EBAD_MLINE, 6);
	expect_mutation(m, "m=audio 9 UDP/TLS/RTP/SAVPF", SDP_EBAD_MLINE, 6);
	expect_mutation(m, "m=audio 9 UDP/TLS/RTP/SAVPF   ", SDP_EBAD_MLINE, 6);
	expect_mutation(m, "m=audio 65536 UDP/TLS/RTP/SAVPF 111", SDP_EBAD_MLINE, 6);
	expect_mutation(m, "m=audio -9 UDP/TLS/RTP/SAVPF 111", SDP_EBAD_MLINE, 6);
	expect_mutation(m, "m=audio 9/x UDP/TLS/RTP/SAVPF 111", SDP_EBAD_MLINE, 6);
	expect_mutation(m, "m=audio 9/2 UDP/TLS/RTP/SAVPF 111", SDP_OK, 0);
	expect_mutation(m, "m=au\"dio 9 UDP/TLS/RTP/SAVPF 111", SDP_EBAD_MLINE, 6);
	expect_mutation(m, "m=audio 9 UDP/TLS/RTP/SAV\"PF 111", SDP_EBAD_MLINE, 6);
	expect_mutation(m, "m=audio 9 UDP/TLS/RTP/SAVPF/AND/A/VERY/LONG/PROTO 111", SDP_EBAD_MLINE,
			6);
	expect_mutation(m, "m=audio 9 UDP/TLS/RTP/SAVPF 111 \"0\"", SDP_EBAD_MLINE, 6);
	char longfmts[600] = "m=audio 9 UDP/TLS/RTP/SAVPF 111";
	for (int i = 0; i < 70; i++)
		strcat(longfmts, " 100");
	expect_mutation(m, longfmts, SDP_EBAD_MLINE, 6);
	/* Too many m-sections. */
	size_t n = (size_t)snprintf(text, sizeof text, "v=0\r\n");
	for (int i = 0; i <= SDP_MAX_MEDIA; i++)
		n += (size_t)snprintf(text + n, sizeof text - n,
				      "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n");
	assert_int_equal(sdp_parse(text, n, &offer), SDP_ETOO_MANY_MEDIA);
	assert_int_equal(offer.err_line, SDP_MAX_MEDIA + 2);
}

static void test_attribute_errors(void **state)
{
	(void)state;
	expect_mutation("a=ice-ufrag:abcd", "a=ice-ufrag:abc", SDP_EBAD_ICE_UFRAG, 8);
	expect_mutation("a=ice-ufrag:abcd", "a=ice-ufrag:ab-d", SDP_EBAD_ICE_UFRAG, 8);
	expect_mutation("a=ice-ufrag:abcd", "a=ice-ufrag", SDP_EBAD_ICE_UFRAG, 8);
	expect_mutation("a=ice-pwd:abcdefghijklmnopqrstuv", "a=ice-pwd:abcdefghijklmnopqrstu",
			SDP_EBAD_ICE_PWD, 9);
	expect_mutation("a=ice-pwd:abcdefghijklmnopqrstuv", "a=ice-pwd:abcdefghijklmnopqrst:v",
			SDP_EBAD_ICE_PWD, 9);
	const char *fp = "a=fingerprint:sha-256 " FP;
	expect_mutation(fp, "a=fingerprint:sha-256", SDP_EBAD_FINGERPRINT, 10);
	expect_mutation(fp, "a=fingerprint:sha-256 E6:BF", SDP_EBAD_FINGERPRINT, 10);
	expect_mutation(fp, "a=fingerprint:sha-256 " FP ":00", SDP_EBAD_FINGERPRINT, 10);
	expect_mutation(fp, "a=fingerprint:sha-256 " FP " extra", SDP_EBAD_FINGERPRINT, 10);
	expect_mutation("E6:BF:DD", "G6:BF:DD", SDP_EBAD_FINGERPRINT, 10);
	expect_mutation("E6:BF:DD", "E6-BF:DD", SDP_EBAD_FINGERPRINT, 10);
	expect_mutation(fp, "a=fingerprint:sha-3 ABC", SDP_EBAD_FINGERPRINT, 10);
	expect_mutation(fp, "a=fingerprint:s\"a 00:11", SDP_EBAD_FINGERPRINT, 10);
	expect_mutation("a=setup:actpass", "a=setup:server", SDP_EBAD_SETUP, 11);
	expect_mutation("a=setup:actpass", "a=setup", SDP_EBAD_SETUP, 11);
	expect_mutation("a=mid:0", "a=mid:", SDP_EBAD_MID, 12);
	expect_mutation("a=mid:0", "a=mid:a b", SDP_EBAD_MID, 12);
	expect_mutation("a=mid:0", "a=mid:012345678901234567890123456789012", SDP_EBAD_MID, 12);
	expect_mutation("a=group:BUNDLE 0", "a=group:BUNDLE 0 \"1\"", SDP_EBAD_GROUP, 5);
	expect_mutation("a=group:BUNDLE 0", "a=group:", SDP_EBAD_GROUP, 5);
	expect_mutation("a=group:BUNDLE 0", "a=group:BUNDLE 0 1 2 3 4 5 6 7 8 9 a b c d e f g",
			SDP_EBAD_GROUP, 5);
	expect_mutation("a=group:BUNDLE 0", "a=group:LS 0 \"junk\"", SDP_OK, 0);
	expect_mutation("a=group:BUNDLE 0", "a=group:BUNDLE 0\r\na=group:BUNDLE \"junk\"", SDP_OK,
			0);
	expect_mutation("a=group:BUNDLE 0", "a=group:BUNDLE", SDP_OK, 0);
}

static void test_codec_attribute_errors(void **state)
{
	(void)state;
	const char *rtpmap = "a=rtpmap:0 PCMU/8000";
	expect_mutation(rtpmap, "a=rtpmap:0", SDP_EBAD_RTPMAP, 18);
	expect_mutation(rtpmap, "a=rtpmap:128 PCMU/8000", SDP_EBAD_RTPMAP, 18);
	expect_mutation(rtpmap, "a=rtpmap:x PCMU/8000", SDP_EBAD_RTPMAP, 18);
	expect_mutation(rtpmap, "a=rtpmap:0 PCMU", SDP_EBAD_RTPMAP, 18);
	expect_mutation(rtpmap, "a=rtpmap:0 PCMU/", SDP_EBAD_RTPMAP, 18);
	expect_mutation(rtpmap, "a=rtpmap:0 PCMU/8000/", SDP_EBAD_RTPMAP, 18);
	expect_mutation(rtpmap, "a=rtpmap:0 PCMU/8000/1 x", SDP_EBAD_RTPMAP, 18);
	expect_mutation(rtpmap, "a=rtpmap:0 /8000", SDP_EBAD_RTPMAP, 18);
	/* Opus at another rate or channel count is not Opus we can use. */
	expect_mutation("opus/48000/2", "opus/48000", SDP_ENO_OPUS, 6);
	expect_mutation("opus/48000/2", "opus/16000/2", SDP_ENO_OPUS, 6);
	expect_mutation("a=fmtp:111 useinbandfec=1", "a=fmtp:abc useinbandfec=1", SDP_EBAD_FMTP,
			17);
	expect_mutation("a=fmtp:111 useinbandfec=1", "a=fmtp:", SDP_EBAD_FMTP, 17);
	char longfmtp[400] = "a=fmtp:111 ";
	memset(longfmtp + 11, 'x', SDP_MAX_FMTP + 1);
	expect_mutation("a=fmtp:111 useinbandfec=1", longfmtp, SDP_EBAD_FMTP, 17);
	expect_mutation("a=fmtp:111 useinbandfec=1", "a=fmtp:111", SDP_OK, 0);
	assert_string_equal(offer.media[0].opus_fmtp, "");
	const char *ext = "a=extmap:5 urn:ietf:params:rtp-hdrext:ssrc-audio-level";
	expect_mutation(ext, "a=extmap:0 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
			SDP_EBAD_EXTMAP, 13);
	expect_mutation(ext, "a=extmap:256 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
			SDP_EBAD_EXTMAP, 13);
	expect_mutation(ext, "a=extmap:5", SDP_EBAD_EXTMAP, 13);
	expect_mutation(ext, "a=extmap:x/sendonly urn:x", SDP_EBAD_EXTMAP, 13);
	expect_mutation(ext, "a=extmap:200 urn:ietf:params:rtp-hdrext:ssrc-audio-level vad=on",
			SDP_OK, 0);
	assert_int_equal(offer.media[0].audio_level_id, 200);
	const char *ssrc = "a=ssrc:1 cname:x";
	expect_mutation(ssrc, "a=ssrc:4294967296 cname:x", SDP_EBAD_SSRC, 19);
	expect_mutation(ssrc, "a=ssrc:-1 cname:x", SDP_EBAD_SSRC, 19);
	expect_mutation(ssrc, "a=ssrc:1", SDP_EBAD_SSRC, 19);
	expect_mutation(ssrc, "a=ssrc:1 cname:", SDP_EBAD_SSRC, 19);
	char longcname[400] = "a=ssrc:1 cname:";
	memset(longcname + 15, 'c', SDP_MAX_CNAME + 1);
	expect_mutation(ssrc, longcname, SDP_EBAD_SSRC, 19);
	expect_mutation(ssrc, "a=ssrc:4294967295 msid:a b\r\na=ssrc:4294967295 cname:y", SDP_OK, 0);
	assert_int_equal(offer.media[0].ssrc, 4294967295u);
	assert_string_equal(offer.media[0].cname, "y");
	expect_mutation(ssrc, "a=ssrc:1 cname:x\r\na=ssrc:2 cname:y", SDP_OK, 0);
	assert_string_equal(offer.media[0].cname, "x");
	expect_mutation(ssrc, "a=msid:", SDP_EBAD_MSID, 19);
	expect_mutation(ssrc, "a=msid:a b c", SDP_EBAD_MSID, 19);
	expect_mutation(ssrc, "a=msid:a \"b\"", SDP_EBAD_MSID, 19);
	char longmsid[100] = "a=msid:";
	memset(longmsid + 7, 'm', 65);
	expect_mutation(ssrc, longmsid, SDP_EBAD_MSID, 19);
	expect_mutation(ssrc, "a=msid:stream", SDP_OK, 0);
	assert_string_equal(offer.media[0].msid, "stream");
}

static void test_semantic_errors(void **state)
{
	(void)state;
	expect_mutation("a=mid:0", "a=mid:0\r\nm=video 0 RTP/AVP 0\r\na=mid:0", SDP_EDUPLICATE_MID,
			14);
	expect_mutation("m=audio 9 UDP/TLS/RTP/SAVPF", "m=audio 0 UDP/TLS/RTP/SAVPF", SDP_ENO_AUDIO,
			0);
	expect_mutation("m=audio 9 UDP/TLS/RTP/SAVPF", "m=audio 9 RTP/AVP", SDP_ENO_AUDIO, 0);
	expect_mutation("m=audio 9 UDP/TLS/RTP/SAVPF 111 0", "m=audio 9 UDP/TLS/RTP/SAVPF 0",
			SDP_ENO_OPUS, 6);
	expect_mutation("a=ice-ufrag:abcd\r\n", "", SDP_ENO_ICE, 6);
	expect_mutation("a=ice-pwd:abcdefghijklmnopqrstuv\r\n", "", SDP_ENO_ICE, 6);
	expect_mutation("a=fingerprint:sha-256 " FP "\r\n", "", SDP_ENO_FINGERPRINT, 6);
	expect_mutation("a=rtcp-mux\r\n", "", SDP_ENO_RTCP_MUX, 6);
	/* A lone "v=0". */
	assert_int_equal(sdp_parse("v=0", 3, &offer), SDP_ENO_AUDIO);
}

static void test_answer_errors(void **state)
{
	(void)state;
	size_t n = 0;
	assert_int_equal(sdp_parse(base, sizeof base - 1, &offer), SDP_OK);
	assert_int_equal(sdp_build_answer(NULL, &local, answer, sizeof answer, &n), SDP_EINVAL);
	assert_int_equal(sdp_build_answer(&offer, NULL, answer, sizeof answer, &n), SDP_EINVAL);
	assert_int_equal(sdp_build_answer(&offer, &local, NULL, sizeof answer, &n), SDP_EINVAL);
	assert_int_equal(sdp_build_answer(&offer, &local, answer, 0, &n), SDP_EINVAL);
	assert_int_equal(sdp_build_answer(&offer, &local, answer, sizeof answer, NULL), SDP_EINVAL);
	/* Too small by one byte (the NUL), then just right. */
	build(&local);
	size_t need = strlen(answer) + 1;
	assert_int_equal(sdp_build_answer(&offer, &local, answer, need - 1, &n), SDP_ENOSPACE);
	assert_string_equal(answer, "");
	assert_int_equal(sdp_build_answer(&offer, &local, answer, need, &n), SDP_OK);
	/* An offer that did not parse. */
	assert_int_equal(sdp_parse("v=0", 3, &offer), SDP_ENO_AUDIO);
	assert_int_equal(sdp_build_answer(&offer, &local, answer, sizeof answer, &n), SDP_EINVAL);
	/* The offerer wants to be the DTLS server too. */
	size_t len = mutate("a=setup:actpass", "a=setup:passive");
	assert_int_equal(sdp_parse(text, len, &offer), SDP_OK);
	assert_int_equal(sdp_build_answer(&offer, &local, answer, sizeof answer, &n),
			 SDP_ESETUP_ROLE);
	len = mutate("a=setup:actpass", "a=setup:holdconn");
	assert_int_equal(sdp_parse(text, len, &offer), SDP_OK);
	assert_int_equal(sdp_build_answer(&offer, &local, answer, sizeof answer, &n),
			 SDP_ESETUP_ROLE);
}

/* Each bad local parameter, alone, makes the answer SDP_EBAD_LOCAL. */
/* The m= line's port is the first candidate's: it must be a UDP one. */
static const struct sdp_candidate tcp_first[] = {{"192.0.2.3", 1, true}};

static void test_answer_bad_local(void **state)
{
	(void)state;
	size_t n = 0;
	assert_int_equal(sdp_parse(base, sizeof base - 1, &offer), SDP_OK);
	build(&local);
	struct sdp_local l;
	const struct sdp_candidate bad_ip[] = {{"192.0.2.300", 1, false}};
	const struct sdp_candidate bad_port[] = {{"192.0.2.3", 0, false}};
	const struct sdp_candidate null_ip[] = {{NULL, 1, false}};
	struct sdp_candidate many[SDP_MAX_CANDIDATES + 1];
	for (size_t i = 0; i < SDP_MAX_CANDIDATES + 1; i++)
		many[i] = cands[0];
	for (int i = 0; i < 18; i++) {
		l = local;
		switch (i) {
		case 0:
			l.ice_ufrag = "abc";
			break;
		case 1:
			l.ice_ufrag = NULL;
			break;
		case 2:
			l.ice_pwd = "short";
			break;
		case 3:
			l.ice_pwd = "0123456789abcdefghijk\r\n";
			break;
		case 4:
			l.fingerprint = "00:11";
			break;
		case 5:
			l.fingerprint = NULL;
			break;
		case 6:
			l.fingerprint = LOCAL_FP ":";
			break;
		case 7:
			l.cname = "";
			break;
		case 8:
			l.cname = "two words";
			break;
		case 9:
			l.msid = "a b c";
			break;
		case 10:
			l.msid = "";
			break;
		case 11:
			l.candidates = NULL;
			break;
		case 12:
			l.n_candidates = 0;
			break;
		case 13:
			l.candidates = many;
			l.n_candidates = SDP_MAX_CANDIDATES + 1;
			break;
		case 14:
			l.candidates = bad_ip;
			l.n_candidates = 1;
			break;
		case 15:
			l.candidates = bad_port;
			l.n_candidates = 1;
			break;
		case 16:
			l.candidates = null_ip;
			l.n_candidates = 1;
			break;
		case 17:
			l.candidates = tcp_first;
			l.n_candidates = 1;
			break;
		}
		if (sdp_build_answer(&offer, &l, answer, sizeof answer, &n) != SDP_EBAD_LOCAL)
			fail_msg("local case %d accepted", i);
	}
}

static void test_strerror(void **state)
{
	(void)state;
	for (int e = SDP_OK; e <= SDP_EINVAL; e++)
		assert_string_not_equal(sdp_strerror((enum sdp_err)e), "unknown SDP error");
	assert_string_equal(sdp_strerror((enum sdp_err) - 1), "unknown SDP error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_chrome_sendrecv),
	    cmocka_unit_test(test_chrome_sendrecv_answer),
	    cmocka_unit_test(test_chrome_recvonly),
	    cmocka_unit_test(test_firefox),
	    cmocka_unit_test(test_lf_line_ends),
	    cmocka_unit_test(test_audio_video_data),
	    cmocka_unit_test(test_audio_not_first_and_second_audio),
	    cmocka_unit_test(test_directions),
	    cmocka_unit_test(test_resolution_and_options),
	    cmocka_unit_test(test_fingerprints),
	    cmocka_unit_test(test_fixture_errors),
	    cmocka_unit_test(test_lexical_errors),
	    cmocka_unit_test(test_mline_errors),
	    cmocka_unit_test(test_attribute_errors),
	    cmocka_unit_test(test_codec_attribute_errors),
	    cmocka_unit_test(test_semantic_errors),
	    cmocka_unit_test(test_answer_errors),
	    cmocka_unit_test(test_answer_bad_local),
	    cmocka_unit_test(test_strerror),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
