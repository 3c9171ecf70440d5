/* Unit tests for media/wire/sdp.c's parse errors: one test per error, from fixture files and
 * from one-line mutations of a small offer, with the line number each error must report. */
#include "sdp_helpers.h"

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
	    cmocka_unit_test(test_fixture_errors),
	    cmocka_unit_test(test_lexical_errors),
	    cmocka_unit_test(test_mline_errors),
	    cmocka_unit_test(test_attribute_errors),
	    cmocka_unit_test(test_codec_attribute_errors),
	    cmocka_unit_test(test_semantic_errors),
	    cmocka_unit_test(test_strerror),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
