/* Unit tests for media/wire/sdp.c on what browsers send: the Chromium and Firefox fixtures
 * parsed field by field, answers built for each and parsed back, and rejected m-sections
 * (video, data, a second audio). Negotiation is test_sdp_answer.c's, errors
 * test_sdp_errors.c's. */
#include "sdp_helpers.h"

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

static struct sdp_offer back;

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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
