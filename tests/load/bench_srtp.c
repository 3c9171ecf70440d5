/* bench_srtp -- what one SRTP protect costs per listener, as the number of live sessions in
 * the process grows (DESIGN.md principle 3: encode once, encrypt per listener).
 *
 * For each profile and each session count (1, 1,000, 10,000) it makes that many
 * media_srtp sessions with their own keys and SSRCs, protects one packet per session to
 * get libsrtp's per-SSRC stream allocated, then protects a 100-byte-payload RTP packet
 * round-robin over all sessions -- the fan-out loop's access pattern, so whatever grows
 * with the number of sessions (cache misses, a library's global lists) shows in the cost.
 * Each iteration copies the 112-byte packet into the session's buffer first, as the
 * fan-out must; that copy is a few nanoseconds.
 *
 * The same source is built twice: bench_srtp on the libsrtp that CMake linked (normally
 * libsrtp on OpenSSL from scripts/build-libsrtp.sh) and bench_srtp_system on Debian's
 * libsrtp2 (NSS); tests/load/CMakeLists.txt keeps the two apart. Each row's timed loop
 * stops after about 2 s, but creating and destroying the sessions is not bounded: with NSS
 * at 10,000 sessions that takes minutes (srtp_dealloc alone ~5 ms each at 2,000 sessions),
 * so use --sessions 1,1000,2000 for a quick look at that one.
 *
 * Usage: bench_srtp [--json] [--sessions N,N,...] [--packets N]
 *   --sessions  session counts to measure (default 1,1000,10000)
 *   --packets   timed protects per row, at least (default 200000; fewer if a row has
 *               run for 2 s after MIN_PASSES rounds)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <srtp2/srtp.h>

#include "media/secure/srtp_session.h"

#ifdef BENCH_SRTP_BACKEND
static const char *backend(void)
{
	return BENCH_SRTP_BACKEND;
}
#else
#include "media/media.h"
static const char *backend(void)
{
	return media_srtp_backend();
}
#endif

#define PAYLOAD_BYTES 100
#define RTP_BYTES     (12 + PAYLOAD_BYTES)
#define SLOT_BYTES    (RTP_BYTES + MEDIA_SRTP_MAX_TRAILER)
#define MIN_PACKETS   200000u /* timed protects per row, unless the budget runs out */
#define MIN_PASSES    3u      /* rounds over the sessions, at least */
#define ROW_BUDGET_US 2e6     /* a slow library at 10,000 sessions must not take minutes */
#define MAX_ROWS      16

struct row {
	const char *profile;
	size_t sessions;
	size_t packets;
	double us_per_packet;
	double create_us;  /* media_srtp_create, per session */
	double destroy_us; /* media_srtp_destroy, per session */
};

struct listener {
	struct media_srtp *srtp;
	uint16_t seq;
	uint32_t ssrc;
};

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* A cheap deterministic generator for keys and SSRCs (xorshift64). */
static uint64_t next_random(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

static void random_keys(enum dtls_srtp_profile profile, uint64_t *rng, struct dtls_srtp_keys *k)
{
	memset(k, 0, sizeof *k);
	k->profile = profile;
	k->key_len = 16;
	k->salt_len = profile == DTLS_SRTP_AEAD_AES_128_GCM ? 12 : 14;
	for (size_t i = 0; i < 16; i++) {
		k->local_key[i] = (uint8_t)next_random(rng);
		k->remote_key[i] = (uint8_t)next_random(rng);
	}
	for (size_t i = 0; i < 14; i++) {
		k->local_salt[i] = (uint8_t)next_random(rng);
		k->remote_salt[i] = (uint8_t)next_random(rng);
	}
}

static void fill_packet(uint8_t *pkt, const uint8_t *payload, struct listener *l)
{
	pkt[0] = 0x80;
	pkt[1] = 111; /* Opus */
	pkt[2] = (uint8_t)(l->seq >> 8);
	pkt[3] = (uint8_t)l->seq;
	uint32_t ts = (uint32_t)l->seq * 960;
	for (int i = 0; i < 4; i++) {
		pkt[4 + i] = (uint8_t)(ts >> (24 - 8 * i));
		pkt[8 + i] = (uint8_t)(l->ssrc >> (24 - 8 * i));
	}
	memcpy(pkt + 12, payload, PAYLOAD_BYTES);
	l->seq++;
}

static int protect_one(struct listener *l, uint8_t *slot, const uint8_t *payload)
{
	size_t out;
	fill_packet(slot, payload, l);
	enum media_srtp_err err =
	    media_srtp_protect_rtp(l->srtp, slot, RTP_BYTES, SLOT_BYTES, &out);
	if (err) {
		fprintf(stderr, "bench_srtp: protect: %s\n", media_srtp_strerror(err));
		return -1;
	}
	return 0;
}

static int make_listeners(struct listener *ls, size_t n, enum dtls_srtp_profile profile,
			  uint64_t *rng, double *create_us)
{
	double t0 = now_us();
	for (size_t i = 0; i < n; i++) {
		struct dtls_srtp_keys k;
		random_keys(profile, rng, &k);
		enum media_srtp_err err = media_srtp_create(&k, &ls[i].srtp);
		if (err) {
			fprintf(stderr, "bench_srtp: create: %s\n", media_srtp_strerror(err));
			return -1;
		}
		ls[i].seq = (uint16_t)next_random(rng);
		ls[i].ssrc = (uint32_t)next_random(rng);
	}
	*create_us = (now_us() - t0) / (double)n;
	return 0;
}

static int run_row(struct row *r, enum dtls_srtp_profile profile, size_t sessions,
		   size_t min_packets, uint64_t *rng)
{
	_Alignas(16) static uint8_t slot[SLOT_BYTES];
	uint8_t payload[PAYLOAD_BYTES];
	for (size_t i = 0; i < PAYLOAD_BYTES; i++)
		payload[i] = (uint8_t)next_random(rng);
	struct listener *ls = calloc(sessions, sizeof *ls);
	int rc = -1;
	double t0 = 0, elapsed;
	if (!ls || make_listeners(ls, sessions, profile, rng, &r->create_us) != 0)
		goto done;
	for (size_t i = 0; i < sessions; i++) /* libsrtp clones a stream per new SSRC */
		if (protect_one(&ls[i], slot, payload) != 0)
			goto done;
	size_t passes = 0;
	t0 = now_us();
	do {
		for (size_t i = 0; i < sessions; i++)
			if (protect_one(&ls[i], slot, payload) != 0)
				goto done;
		passes++;
		elapsed = now_us() - t0;
	} while ((passes < MIN_PASSES || passes * sessions < min_packets) &&
		 !(passes >= MIN_PASSES && elapsed > ROW_BUDGET_US));
	r->packets = passes * sessions;
	r->us_per_packet = elapsed / (double)r->packets;
	r->sessions = sessions;
	rc = 0;
done:
	t0 = now_us();
	for (size_t i = 0; ls && i < sessions; i++)
		media_srtp_destroy(ls[i].srtp);
	r->destroy_us = (now_us() - t0) / (double)sessions;
	free(ls);
	return rc;
}

static void print_table(const struct row *rows, size_t n)
{
	printf("SRTP protect, %d-byte payload (%d-byte RTP packet), in place, round-robin\n",
	       PAYLOAD_BYTES, RTP_BYTES);
	printf("libsrtp: %s, backend: %s\n\n", srtp_get_version_string(), backend());
	printf("%-24s %9s %11s %10s %11s %11s\n", "profile", "sessions", "us/packet", "packets",
	       "create us", "destroy us");
	for (size_t i = 0; i < n; i++)
		printf("%-24s %9zu %11.3f %10zu %11.1f %11.1f\n", rows[i].profile, rows[i].sessions,
		       rows[i].us_per_packet, rows[i].packets, rows[i].create_us,
		       rows[i].destroy_us);
}

static void print_json(const struct row *rows, size_t n)
{
	printf("{\"bench\":\"srtp_protect\",\"libsrtp\":\"%s\",\"backend\":\"%s\","
	       "\"payload_bytes\":%d,\"results\":[",
	       srtp_get_version_string(), backend(), PAYLOAD_BYTES);
	for (size_t i = 0; i < n; i++)
		printf("%s{\"profile\":\"%s\",\"sessions\":%zu,\"us_per_packet\":%.4f,"
		       "\"packets\":%zu,\"create_us_per_session\":%.2f,"
		       "\"destroy_us_per_session\":%.2f}",
		       i ? "," : "", rows[i].profile, rows[i].sessions, rows[i].us_per_packet,
		       rows[i].packets, rows[i].create_us, rows[i].destroy_us);
	printf("]}\n");
}

static int usage(void)
{
	fprintf(stderr, "usage: bench_srtp [--json] [--sessions N,N,...] [--packets N]\n");
	return 2;
}

/* "1,1000,10000" -> counts; returns how many, 0 on a bad list. */
static size_t parse_counts(const char *text, size_t *counts, size_t max)
{
	size_t n = 0;
	while (*text && n < max) {
		char *end;
		unsigned long v = strtoul(text, &end, 10);
		if (end == text || v == 0 || v > 1000000 || (*end != ',' && *end != '\0'))
			return 0;
		counts[n++] = v;
		text = *end ? end + 1 : end;
	}
	return *text ? 0 : n;
}

int main(int argc, char **argv)
{
	int json = 0;
	size_t counts[MAX_ROWS / 2] = {1, 1000, 10000}, n_counts = 3, min_packets = MIN_PACKETS;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--sessions") == 0 && i + 1 < argc)
			n_counts = parse_counts(argv[++i], counts, MAX_ROWS / 2);
		else if (strcmp(argv[i], "--packets") == 0 && i + 1 < argc)
			min_packets = strtoul(argv[++i], NULL, 10);
		else
			return usage();
	}
	if (n_counts == 0 || min_packets == 0)
		return usage();
	static const struct {
		enum dtls_srtp_profile profile;
		const char *name;
	} profiles[] = {
	    {DTLS_SRTP_AEAD_AES_128_GCM, "SRTP_AEAD_AES_128_GCM"},
	    {DTLS_SRTP_AES128_CM_SHA1_80, "SRTP_AES128_CM_SHA1_80"},
	};
	struct row rows[MAX_ROWS];
	size_t n = 0;
	uint64_t rng = 0x9e3779b97f4a7c15u;
	for (size_t p = 0; p < 2; p++) {
		for (size_t c = 0; c < n_counts; c++) {
			rows[n].profile = profiles[p].name;
			if (run_row(&rows[n], profiles[p].profile, counts[c], min_packets, &rng) !=
			    0)
				return 1;
			n++;
		}
	}
	if (json)
		print_json(rows, n);
	else
		print_table(rows, n);
	media_srtp_global_shutdown();
	return 0;
}
