/* Unit tests for media/secure/srtp_session.c: SRTP and SRTCP round trips for both profiles, with
 * keys from a real DTLS handshake and with fixed keys; replayed, old, tampered and
 * wrong-key packets rejected; reordering inside the window accepted; the rollover counter
 * across sequence number 65535; buffer room and malformed input. */
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "media/secure/dtls.h"
#include "media/secure/srtp_session.h"

#define PAYLOAD 100
#define SSRC	0x11223344u

struct peers {
	struct media_srtp *a, *b; /* a sends to b and b to a */
};

/* Two sessions whose directions mirror each other, from fixed keys. */
static void fixed_keys(enum dtls_srtp_profile profile, struct dtls_srtp_keys *a,
		       struct dtls_srtp_keys *b)
{
	memset(a, 0, sizeof *a);
	a->profile = profile;
	a->key_len = 16;
	a->salt_len = profile == DTLS_SRTP_AEAD_AES_128_GCM ? 12 : 14;
	for (size_t i = 0; i < 16; i++) {
		a->local_key[i] = (uint8_t)(0x10 + i);
		a->remote_key[i] = (uint8_t)(0x80 + i);
	}
	for (size_t i = 0; i < a->salt_len; i++) {
		a->local_salt[i] = (uint8_t)(0x40 + i);
		a->remote_salt[i] = (uint8_t)(0xc0 + i);
	}
	*b = *a;
	memcpy(b->local_key, a->remote_key, 16);
	memcpy(b->remote_key, a->local_key, 16);
	memcpy(b->local_salt, a->remote_salt, a->salt_len);
	memcpy(b->remote_salt, a->local_salt, a->salt_len);
}

static void peers_from(struct peers *p, const struct dtls_srtp_keys *ka,
		       const struct dtls_srtp_keys *kb)
{
	assert_int_equal(media_srtp_create(ka, &p->a), MEDIA_SRTP_OK);
	assert_int_equal(media_srtp_create(kb, &p->b), MEDIA_SRTP_OK);
}

static void peers_fixed(struct peers *p, enum dtls_srtp_profile profile)
{
	struct dtls_srtp_keys ka, kb;
	fixed_keys(profile, &ka, &kb);
	peers_from(p, &ka, &kb);
}

/* Keys from an in-memory DTLS handshake: a is the server, b the client. */
static void peers_handshake(struct peers *p, unsigned offer, enum dtls_srtp_profile want)
{
	struct dtls_context *cs, *cc;
	struct dtls_fingerprint fs, fc;
	assert_int_equal(dtls_context_create(&cs), DTLS_OK);
	assert_int_equal(dtls_context_create(&cc), DTLS_OK);
	const char *s = dtls_context_fingerprint(cs), *c = dtls_context_fingerprint(cc);
	assert_int_equal(dtls_fingerprint_parse(s, strlen(s), &fs), DTLS_OK);
	assert_int_equal(dtls_fingerprint_parse(c, strlen(c), &fc), DTLS_OK);
	struct dtls_session_config scfg = {.role = DTLS_ROLE_SERVER, .remote_fingerprint = &fc};
	struct dtls_session_config ccfg = {
	    .role = DTLS_ROLE_CLIENT, .remote_fingerprint = &fs, .srtp_profiles = offer};
	struct dtls_session *srv, *cli;
	assert_int_equal(dtls_session_create(cs, &scfg, &srv), DTLS_OK);
	assert_int_equal(dtls_session_create(cc, &ccfg, &cli), DTLS_OK);
	assert_int_equal(dtls_session_start(cli, 0), DTLS_OK);
	uint8_t buf[2048];
	size_t len;
	for (int round = 0; round < 8; round++) {
		struct dtls_session *from = round % 2 ? srv : cli, *to = round % 2 ? cli : srv;
		while (dtls_session_take(from, buf, sizeof buf, &len) == DTLS_OK && len)
			assert_int_equal(dtls_session_feed(to, buf, len, 0), DTLS_OK);
	}
	struct dtls_srtp_keys ks, kc;
	assert_int_equal(dtls_session_srtp_keys(srv, &ks), DTLS_OK);
	assert_int_equal(dtls_session_srtp_keys(cli, &kc), DTLS_OK);
	assert_int_equal(ks.profile, want);
	peers_from(p, &ks, &kc);
	dtls_session_destroy(srv);
	dtls_session_destroy(cli);
	dtls_context_destroy(cs);
	dtls_context_destroy(cc);
}

static void peers_free(struct peers *p)
{
	media_srtp_destroy(p->a);
	media_srtp_destroy(p->b);
}

/* An RTP packet (RFC 3550 sect. 5.1): Opus, payload type 111, 100 bytes of payload. */
static size_t rtp_packet(uint8_t *buf, uint16_t seq, uint32_t ssrc)
{
	buf[0] = 0x80;
	buf[1] = 111;
	buf[2] = (uint8_t)(seq >> 8);
	buf[3] = (uint8_t)seq;
	uint32_t ts = (uint32_t)seq * 960;
	for (int i = 0; i < 4; i++) {
		buf[4 + i] = (uint8_t)(ts >> (24 - 8 * i));
		buf[8 + i] = (uint8_t)(ssrc >> (24 - 8 * i));
	}
	for (size_t i = 0; i < PAYLOAD; i++)
		buf[12 + i] = (uint8_t)(seq + i);
	return 12 + PAYLOAD;
}

/* A receiver report with no report blocks (RFC 3550 sect. 6.4.2). */
static size_t rtcp_packet(uint8_t *buf, uint32_t ssrc)
{
	const uint8_t rr[] = {0x80, 201, 0, 1};
	memcpy(buf, rr, sizeof rr);
	for (int i = 0; i < 4; i++)
		buf[4 + i] = (uint8_t)(ssrc >> (24 - 8 * i));
	return 8;
}

/* Protects seq on from, unprotects on to, and checks the bytes came back. */
static void rtp_round_trip(struct media_srtp *from, struct media_srtp *to, uint16_t seq)
{
	_Alignas(4) uint8_t pkt[12 + PAYLOAD + MEDIA_SRTP_MAX_TRAILER], plain[12 + PAYLOAD];
	size_t len = rtp_packet(pkt, seq, SSRC), out = 0;
	memcpy(plain, pkt, len);
	assert_int_equal(media_srtp_protect_rtp(from, pkt, len, sizeof pkt, &out), MEDIA_SRTP_OK);
	assert_int_equal(out, len + media_srtp_trailer_len(from, false));
	assert_memory_equal(pkt, plain, 12); /* the header stays in the clear */
	assert_memory_not_equal(pkt + 12, plain + 12, PAYLOAD);
	assert_int_equal(media_srtp_unprotect_rtp(to, pkt, out, &out), MEDIA_SRTP_OK);
	assert_int_equal(out, len);
	assert_memory_equal(pkt, plain, len);
}

static void rtcp_round_trip(struct media_srtp *from, struct media_srtp *to)
{
	_Alignas(4) uint8_t pkt[8 + MEDIA_SRTP_MAX_TRAILER], plain[8];
	size_t len = rtcp_packet(pkt, SSRC), out = 0;
	memcpy(plain, pkt, len);
	assert_int_equal(media_srtp_protect_rtcp(from, pkt, len, sizeof pkt, &out), MEDIA_SRTP_OK);
	assert_int_equal(out, len + media_srtp_trailer_len(from, true));
	assert_int_equal(media_srtp_unprotect_rtcp(to, pkt, out, &out), MEDIA_SRTP_OK);
	assert_int_equal(out, len);
	assert_memory_equal(pkt, plain, len);
}

static void both_ways(struct peers *p)
{
	for (uint16_t seq = 1000; seq < 1010; seq++) {
		rtp_round_trip(p->a, p->b, seq);
		rtp_round_trip(p->b, p->a, seq);
	}
	for (int i = 0; i < 3; i++) {
		rtcp_round_trip(p->a, p->b);
		rtcp_round_trip(p->b, p->a);
	}
}

/* --- Round trips ----------------------------------------------------------------------- */

static void test_gcm_keys_from_handshake(void **state)
{
	(void)state;
	struct peers p;
	peers_handshake(&p, 0, DTLS_SRTP_AEAD_AES_128_GCM);
	assert_int_equal(media_srtp_profile(p.a), DTLS_SRTP_AEAD_AES_128_GCM);
	assert_int_equal(media_srtp_trailer_len(p.a, false), 16);
	assert_int_equal(media_srtp_trailer_len(p.a, true), 20);
	both_ways(&p);
	peers_free(&p);
}

static void test_cm80_keys_from_handshake(void **state)
{
	(void)state;
	struct peers p;
	peers_handshake(&p, DTLS_OFFER_CM_80, DTLS_SRTP_AES128_CM_SHA1_80);
	assert_int_equal(media_srtp_trailer_len(p.a, false), 10);
	assert_int_equal(media_srtp_trailer_len(p.a, true), 14);
	both_ways(&p);
	peers_free(&p);
}

static void test_fixed_keys_both_profiles(void **state)
{
	(void)state;
	static const enum dtls_srtp_profile profiles[] = {DTLS_SRTP_AEAD_AES_128_GCM,
							  DTLS_SRTP_AES128_CM_SHA1_80};
	for (size_t i = 0; i < 2; i++) {
		struct peers p;
		peers_fixed(&p, profiles[i]);
		both_ways(&p);
		peers_free(&p);
	}
}

/* --- Rejections ------------------------------------------------------------------------ */

static void each_profile(void (*check)(enum dtls_srtp_profile))
{
	check(DTLS_SRTP_AEAD_AES_128_GCM);
	check(DTLS_SRTP_AES128_CM_SHA1_80);
}

static size_t protected_rtp(struct media_srtp *s, uint8_t *pkt, size_t cap, uint16_t seq)
{
	size_t out = 0;
	assert_int_equal(media_srtp_protect_rtp(s, pkt, rtp_packet(pkt, seq, SSRC), cap, &out),
			 MEDIA_SRTP_OK);
	return out;
}

static void check_replay(enum dtls_srtp_profile profile)
{
	struct peers p;
	peers_fixed(&p, profile);
	_Alignas(4) uint8_t pkt[256], copy[256];
	size_t len = protected_rtp(p.a, pkt, sizeof pkt, 7), out;
	memcpy(copy, pkt, len);
	assert_int_equal(media_srtp_unprotect_rtp(p.b, pkt, len, &out), MEDIA_SRTP_OK);
	assert_int_equal(media_srtp_unprotect_rtp(p.b, copy, len, &out), MEDIA_SRTP_ERR_REPLAY);
	/* RTCP has its own replay window (RFC 3711 sect. 3.4). */
	size_t rlen = rtcp_packet(pkt, SSRC);
	assert_int_equal(media_srtp_protect_rtcp(p.a, pkt, rlen, sizeof pkt, &rlen), MEDIA_SRTP_OK);
	memcpy(copy, pkt, rlen);
	assert_int_equal(media_srtp_unprotect_rtcp(p.b, pkt, rlen, &out), MEDIA_SRTP_OK);
	assert_int_equal(media_srtp_unprotect_rtcp(p.b, copy, rlen, &out), MEDIA_SRTP_ERR_REPLAY);
	/* The sender refuses to reuse an index too. */
	rtp_packet(pkt, 7, SSRC);
	assert_int_equal(media_srtp_protect_rtp(p.a, pkt, 12 + PAYLOAD, sizeof pkt, &out),
			 MEDIA_SRTP_ERR_REPLAY);
	peers_free(&p);
}

static void test_replay_rejected(void **state)
{
	(void)state;
	each_profile(check_replay);
}

static void check_reordering(enum dtls_srtp_profile profile)
{
	struct peers p;
	peers_fixed(&p, profile);
	_Alignas(4) uint8_t pkts[6][256];
	size_t lens[6], out;
	for (uint16_t i = 0; i < 6; i++)
		lens[i] = protected_rtp(p.a, pkts[i], sizeof pkts[i], (uint16_t)(100 + i));
	static const int order[] = {0, 3, 1, 5, 2, 4};
	for (size_t i = 0; i < 6; i++)
		assert_int_equal(
		    media_srtp_unprotect_rtp(p.b, pkts[order[i]], lens[order[i]], &out),
		    MEDIA_SRTP_OK);
	/* Far beyond the window: too old, whatever its tag. */
	_Alignas(4) uint8_t old[256];
	size_t old_len = protected_rtp(p.a, old, sizeof old, 106);
	for (uint16_t seq = 107; seq < 107 + MEDIA_SRTP_REPLAY_WINDOW + 10; seq++) {
		size_t n = protected_rtp(p.a, pkts[0], sizeof pkts[0], seq);
		assert_int_equal(media_srtp_unprotect_rtp(p.b, pkts[0], n, &out), MEDIA_SRTP_OK);
	}
	assert_int_equal(media_srtp_unprotect_rtp(p.b, old, old_len, &out),
			 MEDIA_SRTP_ERR_REPLAY_OLD);
	peers_free(&p);
}

static void test_reordering_within_window(void **state)
{
	(void)state;
	each_profile(check_reordering);
}

static void check_tampering(enum dtls_srtp_profile profile)
{
	struct peers p;
	peers_fixed(&p, profile);
	_Alignas(4) uint8_t pkt[256];
	size_t out;
	/* A flipped bit in the header, the payload or the tag. */
	static const size_t where[] = {1, 12 + PAYLOAD / 2, 12 + PAYLOAD + 2};
	for (size_t i = 0; i < 3; i++) {
		size_t len = protected_rtp(p.a, pkt, sizeof pkt, (uint16_t)(500 + i));
		pkt[where[i]] ^= 0x04;
		assert_int_equal(media_srtp_unprotect_rtp(p.b, pkt, len, &out),
				 MEDIA_SRTP_ERR_AUTH);
	}
	/* A forged packet leaves the window alone: the genuine one still passes. */
	_Alignas(4) uint8_t forged[256];
	size_t len = protected_rtp(p.a, pkt, sizeof pkt, 600);
	memcpy(forged, pkt, len);
	forged[20] ^= 1;
	assert_int_equal(media_srtp_unprotect_rtp(p.b, forged, len, &out), MEDIA_SRTP_ERR_AUTH);
	assert_int_equal(media_srtp_unprotect_rtp(p.b, pkt, len, &out), MEDIA_SRTP_OK);
	/* SRTCP too. */
	size_t rlen = rtcp_packet(pkt, SSRC);
	assert_int_equal(media_srtp_protect_rtcp(p.a, pkt, rlen, sizeof pkt, &rlen), MEDIA_SRTP_OK);
	pkt[5] ^= 0x80;
	assert_int_equal(media_srtp_unprotect_rtcp(p.b, pkt, rlen, &out), MEDIA_SRTP_ERR_AUTH);
	peers_free(&p);
}

static void test_tampered_rejected(void **state)
{
	(void)state;
	each_profile(check_tampering);
}

static void check_wrong_key(enum dtls_srtp_profile profile)
{
	struct dtls_srtp_keys ka, kb;
	fixed_keys(profile, &ka, &kb);
	kb.remote_key[0] ^= 1; /* b expects a slightly different key from a */
	struct peers p;
	peers_from(&p, &ka, &kb);
	_Alignas(4) uint8_t pkt[256];
	size_t out, len = protected_rtp(p.a, pkt, sizeof pkt, 1);
	assert_int_equal(media_srtp_unprotect_rtp(p.b, pkt, len, &out), MEDIA_SRTP_ERR_AUTH);
	len = rtcp_packet(pkt, SSRC);
	assert_int_equal(media_srtp_protect_rtcp(p.a, pkt, len, sizeof pkt, &len), MEDIA_SRTP_OK);
	assert_int_equal(media_srtp_unprotect_rtcp(p.b, pkt, len, &out), MEDIA_SRTP_ERR_AUTH);
	/* The other direction is keyed correctly. */
	rtp_round_trip(p.b, p.a, 1);
	peers_free(&p);
}

static void test_wrong_key_rejected(void **state)
{
	(void)state;
	each_profile(check_wrong_key);
}

/* RFC 3711 sect. 3.3.1: the 32-bit rollover counter extends the sequence number, and it
 * enters the keystream (and for GCM the nonce), so a packet after the wrap must differ
 * from one with the same sequence number before it. */
static void check_rollover(enum dtls_srtp_profile profile)
{
	struct peers p;
	peers_fixed(&p, profile);
	uint16_t seq = 65530;
	for (int i = 0; i < 12; i++, seq++)
		rtp_round_trip(p.a, p.b, seq); /* 65530 .. 65535, 0 .. 5: ROC 0 then 1 */
	_Alignas(4) uint8_t after[256], fresh[256], copy[256];
	size_t out, len = protected_rtp(p.a, after, sizeof after, 6); /* ROC 1 */
	struct peers q;
	peers_fixed(&q, profile);
	size_t qlen = protected_rtp(q.a, fresh, sizeof fresh, 6); /* ROC 0 */
	assert_int_equal(len, qlen);
	assert_memory_not_equal(after + 12, fresh + 12, len - 12);
	/* A receiver that never saw the wrap assumes ROC 0 and cannot authenticate it. */
	memcpy(copy, after, len); /* a failed unprotect may leave the buffer changed */
	assert_int_equal(media_srtp_unprotect_rtp(q.b, copy, len, &out), MEDIA_SRTP_ERR_AUTH);
	assert_int_equal(media_srtp_unprotect_rtp(p.b, after, len, &out), MEDIA_SRTP_OK);
	peers_free(&q);
	peers_free(&p);
}

static void test_rollover_counter(void **state)
{
	(void)state;
	each_profile(check_rollover);
}

/* --- Bounds ---------------------------------------------------------------------------- */

static void test_room_and_malformed(void **state)
{
	(void)state;
	struct peers p;
	peers_fixed(&p, DTLS_SRTP_AEAD_AES_128_GCM);
	_Alignas(4) uint8_t pkt[256];
	size_t out, len = rtp_packet(pkt, 1, SSRC);
	assert_int_equal(media_srtp_protect_rtp(p.a, pkt, len, len + 15, &out),
			 MEDIA_SRTP_ERR_SPACE);
	assert_int_equal(media_srtp_protect_rtcp(p.a, pkt, 8, 8 + 19, &out), MEDIA_SRTP_ERR_SPACE);
	assert_int_equal(media_srtp_protect_rtp(p.a, pkt, 11, sizeof pkt, &out),
			 MEDIA_SRTP_ERR_MALFORMED);
	pkt[0] = 0x40; /* version 1 */
	assert_int_equal(media_srtp_protect_rtp(p.a, pkt, len, sizeof pkt, &out),
			 MEDIA_SRTP_ERR_MALFORMED);
	assert_int_equal(media_srtp_unprotect_rtp(p.b, pkt, len, &out), MEDIA_SRTP_ERR_MALFORMED);
	pkt[0] = 0x90; /* an extension header whose length runs past the packet */
	pkt[12] = 0xbe, pkt[13] = 0xde, pkt[14] = 0xff, pkt[15] = 0xff;
	assert_int_equal(media_srtp_protect_rtp(p.a, pkt, len, sizeof pkt, &out),
			 MEDIA_SRTP_ERR_MALFORMED);
	assert_int_equal(media_srtp_unprotect_rtp(p.b, pkt, 12 + 15, &out),
			 MEDIA_SRTP_ERR_MALFORMED);
	assert_int_equal(media_srtp_unprotect_rtcp(p.b, pkt, 8 + 4 + 15, &out),
			 MEDIA_SRTP_ERR_MALFORMED);
	assert_int_equal(media_srtp_protect_rtp(NULL, pkt, len, sizeof pkt, &out),
			 MEDIA_SRTP_ERR_PARAM);
	assert_int_equal(media_srtp_unprotect_rtp(p.b, NULL, len, &out), MEDIA_SRTP_ERR_PARAM);
	peers_free(&p);
}

static void test_bad_keys(void **state)
{
	(void)state;
	struct dtls_srtp_keys ka, kb;
	struct media_srtp *s = NULL;
	fixed_keys(DTLS_SRTP_AEAD_AES_128_GCM, &ka, &kb);
	ka.salt_len = 14; /* GCM's salt is 12 bytes (RFC 7714 sect. 12) */
	assert_int_equal(media_srtp_create(&ka, &s), MEDIA_SRTP_ERR_PARAM);
	ka.salt_len = 12;
	ka.key_len = 32;
	assert_int_equal(media_srtp_create(&ka, &s), MEDIA_SRTP_ERR_PARAM);
	ka.key_len = 16;
	ka.profile = DTLS_SRTP_NONE;
	assert_int_equal(media_srtp_create(&ka, &s), MEDIA_SRTP_ERR_PROFILE);
	assert_int_equal(media_srtp_create(NULL, &s), MEDIA_SRTP_ERR_PARAM);
	assert_null(s);
	media_srtp_destroy(NULL);
	for (int e = MEDIA_SRTP_OK; e <= MEDIA_SRTP_ERR_INTERNAL; e++)
		assert_string_not_equal(media_srtp_strerror((enum media_srtp_err)e),
					"unknown SRTP error");
	assert_string_equal(media_srtp_strerror((enum media_srtp_err)999), "unknown SRTP error");
}

static size_t heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();
	return mi.uordblks + mi.hblkhd;
}

/* What a listener's SRTP costs: the two libsrtp sessions, then one stream per SSRC. */
static void test_memory_per_session(void **state)
{
	(void)state;
	struct dtls_srtp_keys ka, kb;
	fixed_keys(DTLS_SRTP_AEAD_AES_128_GCM, &ka, &kb);
	struct media_srtp *b;
	assert_int_equal(media_srtp_create(&kb, &b), MEDIA_SRTP_OK);
	size_t before = heap_in_use();
	struct media_srtp *a;
	assert_int_equal(media_srtp_create(&ka, &a), MEDIA_SRTP_OK);
	size_t created = heap_in_use();
	rtp_round_trip(a, b, 1);
	rtp_round_trip(b, a, 1);
	size_t streaming = heap_in_use();
#ifndef PLENARY_SANITIZED
	print_message("media_srtp (AES-GCM): %zu bytes created, %zu bytes with one SSRC each "
		      "way\n",
		      created - before, streaming - before);
	assert_true(streaming - before < 32 * 1024);
#else
	(void)before;
	(void)created;
	(void)streaming;
#endif
	media_srtp_destroy(a);
	media_srtp_destroy(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_gcm_keys_from_handshake),
	    cmocka_unit_test(test_cm80_keys_from_handshake),
	    cmocka_unit_test(test_fixed_keys_both_profiles),
	    cmocka_unit_test(test_replay_rejected),
	    cmocka_unit_test(test_reordering_within_window),
	    cmocka_unit_test(test_tampered_rejected),
	    cmocka_unit_test(test_wrong_key_rejected),
	    cmocka_unit_test(test_rollover_counter),
	    cmocka_unit_test(test_room_and_malformed),
	    cmocka_unit_test(test_bad_keys),
	    cmocka_unit_test(test_memory_per_session),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	media_srtp_global_shutdown();
	return failed;
}
