/* SRTP sessions for the media unit tests: a server-side session and the browser's mirror
 * of it, keyed from a seed, so a test can protect with one and unprotect with the other.
 * Include after <cmocka.h>. */
#ifndef PLENARY_TEST_MEDIA_KEYS_H
#define PLENARY_TEST_MEDIA_KEYS_H

#include <stdint.h>
#include <string.h>

#include "media/secure/srtp_session.h"

static inline void test_srtp_pair(enum dtls_srtp_profile profile, uint8_t seed,
				  struct media_srtp **send, struct media_srtp **recv)
{
	struct dtls_srtp_keys a, b;
	memset(&a, 0, sizeof a);
	a.profile = profile;
	a.key_len = 16;
	a.salt_len = profile == DTLS_SRTP_AEAD_AES_128_GCM ? 12 : 14;
	for (size_t i = 0; i < 16; i++) {
		a.local_key[i] = (uint8_t)(seed * 31 + i);
		a.remote_key[i] = (uint8_t)(seed * 17 + 0x80 + i);
	}
	for (size_t i = 0; i < a.salt_len; i++) {
		a.local_salt[i] = (uint8_t)(seed + 0x40 + i);
		a.remote_salt[i] = (uint8_t)(seed + 0xc0 + i);
	}
	b = a;
	memcpy(b.local_key, a.remote_key, 16);
	memcpy(b.remote_key, a.local_key, 16);
	memcpy(b.local_salt, a.remote_salt, a.salt_len);
	memcpy(b.remote_salt, a.local_salt, a.salt_len);
	assert_int_equal(media_srtp_create(&a, send), MEDIA_SRTP_OK);
	assert_int_equal(media_srtp_create(&b, recv), MEDIA_SRTP_OK);
}

#endif
