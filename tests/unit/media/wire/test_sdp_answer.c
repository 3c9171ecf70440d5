/* Unit tests for media/wire/sdp.c's negotiation and answer builder: direction, what the
 * offer may leave out or add, fingerprints, and every way building an answer is refused
 * (bad arguments, too small a buffer, the offerer's DTLS role, each bad local parameter). */
#include "sdp_helpers.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_directions),	     cmocka_unit_test(test_resolution_and_options),
	    cmocka_unit_test(test_fingerprints),     cmocka_unit_test(test_answer_errors),
	    cmocka_unit_test(test_answer_bad_local),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
