/* libFuzzer target for the media worker's input path without its socket: a sequence of
 * datagrams from three source addresses goes through the RFC 7983 demux and then
 * ICE-lite (media/secure/ice_lite.c) or the address index (media/secure/peer_table.c) of a table
 * with two peers, as worker.c does. After every datagram the table must be consistent: every peer
 * with an address is found by it, no address finds a peer that forgot it, and an answer is a STUN
 * response signed with that peer's password.
 *
 * Input: up to 8 records of [flags][len hi][len lo][datagram]. flags & 3 picks the source
 * address; flags & 4 "re-signs" the datagram: if it parses as STUN, the harness rebuilds
 * it as a Binding request from the parsed fields with a good MESSAGE-INTEGRITY and
 * FINGERPRINT for the peer its USERNAME names, so the fuzzer can reach what lies behind
 * authentication (USE-CANDIDATE, moving addresses, 420 and 487) that it could never sign
 * itself. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "media/secure/ice_lite.h"
#include "media/secure/peer_table.h"
#include "media/wire/demux.h"
#include "media/wire/stun.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define T0	    1000000u
#define MAX_RECORDS 8

static const char ufrag_a[] = "AAAAbbbbCCCCdddd", pwd_a[] = "passwordpasswordpassw0rd";
static const char ufrag_b[] = "BBBBccccDDDDeeee", pwd_b[] = "anotherpasswordanotherp";

static void must(int ok)
{
	if (!ok)
		__builtin_trap();
}

static struct stun_addr source(unsigned i)
{
	struct stun_addr a = {.family = STUN_IPV4,
			      .port = (uint16_t)(40000 + i),
			      .ip = {198, 51, 100, (uint8_t)(1 + i)}};
	if (i == 3) {
		a.family = STUN_IPV6;
		a.ip[0] = 0x20;
		a.ip[1] = 0x01;
	}
	return a;
}

static const char *password_for(const struct stun_msg *m)
{
	if (m->username_len >= 16 && memcmp(m->username, ufrag_b, 16) == 0)
		return pwd_b;
	return pwd_a;
}

/* Rebuilds a parsed message as a signed Binding request with the same fields. */
static size_t resign(const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
	struct stun_msg m;
	if (stun_parse(in, len, &m) != STUN_OK)
		return 0;
	const char *key = password_for(&m);
	struct stun_writer w;
	stun_writer_init(&w, out, cap, m.class_ == 0 ? STUN_BINDING_REQUEST : m.type, m.tid);
	if (m.username)
		stun_writer_add(&w, STUN_ATTR_USERNAME, m.username, m.username_len);
	if (m.has_priority)
		stun_writer_add_u32(&w, STUN_ATTR_PRIORITY, m.priority);
	if (m.use_candidate)
		stun_writer_add(&w, STUN_ATTR_USE_CANDIDATE, NULL, 0);
	if (m.role == STUN_ROLE_CONTROLLING)
		stun_writer_add_u64(&w, STUN_ATTR_ICE_CONTROLLING, m.tie_breaker);
	if (m.role == STUN_ROLE_CONTROLLED)
		stun_writer_add_u64(&w, STUN_ATTR_ICE_CONTROLLED, m.tie_breaker);
	for (size_t i = 0; i < m.n_unknown && i < STUN_MAX_UNKNOWN; i++)
		stun_writer_add_u32(&w, m.unknown[i], 0);
	stun_writer_add_integrity(&w, (const uint8_t *)key, strlen(key));
	stun_writer_add_fingerprint(&w);
	size_t n = 0;
	return stun_writer_finish(&w, &n) == STUN_OK ? n : 0;
}

static void check_table(const struct peer_table *t, const struct ice_peer *peers, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct ice_peer *p = &peers[i];
		must(peer_table_by_ufrag(t, (const uint8_t *)p->ufrag, strlen(p->ufrag)) == p);
		if (p->has_addr)
			must(peer_table_by_addr(t, &p->addr) == p);
	}
	for (unsigned i = 0; i < 4; i++) {
		struct stun_addr a = source(i);
		const struct ice_peer *p = peer_table_by_addr(t, &a);
		must(p == NULL || (p->has_addr && ice_addr_equal(&p->addr, &a)));
	}
}

static void check_reply(const uint8_t *reply, const struct ice_result *r)
{
	struct stun_msg m;
	const char *key = r->peer->pwd;
	must(r->reply_len > 0 && r->reply_len <= ICE_REPLY_MAX);
	must(stun_parse(reply, r->reply_len, &m) == STUN_OK);
	must(m.type == (r->error_code ? STUN_BINDING_ERROR : STUN_BINDING_SUCCESS));
	must(stun_check_fingerprint(reply, r->reply_len, &m) == STUN_OK);
	must(stun_check_integrity(reply, r->reply_len, &m, (const uint8_t *)key, strlen(key)) ==
	     STUN_OK);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ice_peer peers[2];
	struct peer_table t;
	peer_table_init(&t, 99);
	ice_peer_init(&peers[0], ufrag_a, pwd_a, "Rm1a", T0);
	ice_peer_init(&peers[1], ufrag_b, pwd_b, "Rm2b", T0);
	must(peer_table_reserve(&t, 2) && peer_table_add(&t, &peers[0]) &&
	     peer_table_add(&t, &peers[1]));
	uint64_t now = T0;
	for (int rec = 0; rec < MAX_RECORDS && size >= 3; rec++) {
		uint8_t flags = data[0];
		size_t len = (size_t)data[1] << 8 | data[2];
		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		uint8_t signed_buf[STUN_MAX_LEN], reply[ICE_REPLY_MAX];
		const uint8_t *dgram = data;
		size_t dlen = len;
		if (flags & 4) {
			size_t n = resign(data, len, signed_buf, sizeof signed_buf);
			if (n) {
				dgram = signed_buf;
				dlen = n;
			}
		}
		struct stun_addr from = source(flags & 3);
		now += 1000u * (flags >> 3);
		if (demux_classify(dgram, dlen) == DEMUX_STUN) {
			struct ice_result r;
			if (ice_lite_handle(&t, dgram, dlen, &from, now, reply, sizeof reply, &r) ==
			    ICE_OK)
				check_reply(reply, &r);
			else
				must(r.peer == NULL && r.reply_len == 0);
		} else {
			(void)peer_table_by_addr(&t, &from);
		}
		for (size_t i = 0; i < 2; i++)
			(void)ice_lite_consent_expired(&peers[i], now);
		check_table(&t, peers, 2);
		data += len;
		size -= len;
	}
	peer_table_fini(&t);
	return 0;
}
