/* libFuzzer target for media/wire/stun.c (and media/wire/demux.c): parses any input; on success
 * runs both integrity checks with the RFC 5769 password and the username split, then
 * answers it the way ICE-lite would (success and 420 responses) and requires its own
 * output to parse and verify. A failure of that round trip is a bug: trap. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "media/wire/demux.h"
#include "media/wire/stun.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t key[] = "VOkJxbRl1RmTxUk/WvJxBt";

static void must(int ok)
{
	if (!ok)
		__builtin_trap();
}

static void check_own(const uint8_t *buf, size_t len, bool has_integrity)
{
	struct stun_msg m;
	must(stun_parse(buf, len, &m) == STUN_OK);
	must(stun_check_fingerprint(buf, len, &m) == STUN_OK);
	if (has_integrity)
		must(stun_check_integrity(buf, len, &m, key, sizeof key - 1) == STUN_OK);
}

static void answer(const struct stun_msg *m)
{
	uint8_t out[STUN_MAX_LEN];
	size_t n = 0;
	struct stun_addr a = {STUN_IPV6, 9, {0x20, 0x01, 0x0d, 0xb8}, false};
	if (m->has_mapped)
		a = m->mapped;
	must(stun_build_binding_success(out, sizeof out, m->tid, &a, key, sizeof key - 1, &n) ==
	     STUN_OK);
	check_own(out, n, true);
	size_t n_unknown = m->n_unknown < STUN_MAX_UNKNOWN ? m->n_unknown : STUN_MAX_UNKNOWN;
	must(stun_build_binding_error(out, sizeof out, m->tid, STUN_ERR_UNKNOWN_ATTRIBUTE, NULL,
				      m->unknown, n_unknown, key, sizeof key - 1, &n) == STUN_OK);
	check_own(out, n, true);
	if (m->username != NULL && m->username_len > 0) {
		char user[STUN_MAX_USERNAME + 1];
		memcpy(user, m->username, m->username_len);
		user[m->username_len] = '\0';
		struct stun_binding_request req = {.username = user,
						   .priority = m->priority,
						   .role = m->role,
						   .tie_breaker = m->tie_breaker,
						   .use_candidate = m->use_candidate,
						   .key = key,
						   .key_len = sizeof key - 1};
		memcpy(req.tid, m->tid, STUN_TID_LEN);
		enum stun_err err = stun_build_binding_request(out, sizeof out, &req, &n);
		/* A username with a NUL in it is shorter as a C string, still valid. */
		must(err == STUN_OK);
		check_own(out, n, true);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum demux_kind kind = demux_classify(data, size);
	must(demux_kind_name(kind) != NULL);
	struct stun_msg m;
	if (stun_parse(data, size, &m) != STUN_OK)
		return 0;
	must(kind == DEMUX_STUN);
	enum stun_err fp = stun_check_fingerprint(data, size, &m);
	enum stun_err mi = stun_check_integrity(data, size, &m, key, sizeof key - 1);
	must(fp != STUN_EINVAL && mi != STUN_EINVAL);
	const uint8_t *a, *b;
	size_t al, bl;
	if (stun_username_split(&m, &a, &al, &b, &bl))
		must(al + bl + 1 == m.username_len);
	answer(&m);
	return 0;
}
