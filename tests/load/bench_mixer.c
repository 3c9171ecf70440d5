/* bench_mixer -- what one 20 ms mixer tick costs, and what each listener adds to it
 * (DESIGN.md principle 3: decode only open mics, encode the public mix once, then per
 * listener one SRTP protect and one send).
 *
 * For 1, 2 and 4 open mics x 100, 1,000 and 5,000 listeners, one thread runs the tick the
 * media worker will run, built from the mixer's objects:
 *
 *   per open mic:  codec_decode (a pre-encoded Opus tone) -> mix_gate_apply
 *   mix_sum -> mix_limit -> codec_encode once -> rtp_rewrite_mix -> rtp_build_header
 *   fanout_send to every listener: copy, SRTP protect (own session), sendmmsg, 64 a batch
 *   per open mic:  mix_minus -> mix_limit -> codec_encode -> fanout_send to that mic
 *
 * Listeners' datagrams go to a few loopback UDP sockets that nobody reads (the kernel
 * drops what overflows their buffers; the send costs the same). Every listener has its
 * own libsrtp session with its own keys. A few ticks run first untimed, because libsrtp
 * allocates a stream on a session's first packet. The per-listener cost is the time
 * inside fanout_send for the public mix divided by the listeners; the fixed part is the
 * rest of the tick. The target is <= 2.5 us per listener per packet.
 *
 * Usage: bench_mixer [--json] [--profile gcm|cm] [--ticks N]
 * The default profile is AEAD_AES_128_GCM, the one our DTLS prefers.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "media/media.h"
#include "media/mix/fanout.h"
#include "media/mix/opus_codec.h"
#include "media/mix/pcm.h"
#include "media/mix/rtp_rewrite.h"
#include "media/net/udp.h"
#include "media/secure/srtp_session.h"
#include "media/wire/rtp.h"

#define MAX_MICS    4
#define TONE_FRAMES 50 /* one second of each mic's tone, looped */
#define SINKS	    4
#define WARMUP	    5
#define PT_OPUS	    111
#define MAX_TICKS   4000

struct row {
	size_t mics, listeners, ticks;
	double tick_mean, tick_p50, tick_p99; /* us */
	double fixed_us;		      /* decode + mix + encodes + mix-minus sends */
	double fanout_us;		      /* the public mix's fan-out, per tick */
	double us_per_listener;
	double us_per_listener_p50; /* from the median tick's fan-out: what is left when the
				       machine's other load is not in the way */
	double protect_us;	    /* of which copy + SRTP protect, per listener */
	double listeners_per_core;
	size_t send_errors, protect_errors;
};

struct bench {
	size_t mics, listeners;
	uint8_t tone[MAX_MICS][TONE_FRAMES][CODEC_MAX_PACKET];
	size_t tone_len[MAX_MICS][TONE_FRAMES];
	struct codec_decoder *dec[MAX_MICS];
	struct mix_gate gate[MAX_MICS];
	struct mix_limiter lim, own_lim[MAX_MICS];
	struct codec_encoder *enc, *own_enc[MAX_MICS];
	struct rtp_rewrite rw, own_rw[MAX_MICS];
	struct fanout *fan;
	struct fanout_dest *dests, own_dest[MAX_MICS];
	int tx, sinks[SINKS];
	int16_t pcm[MAX_MICS][MIX_FRAME], out[MIX_FRAME];
	int32_t acc[MIX_FRAME], minus[MIX_FRAME];
	_Alignas(64) uint8_t pkt[2048];
	uint64_t tick;
	size_t send_errors, protect_errors;
	size_t last_len; /* the public packet's length */
	double times[MAX_TICKS], fan_times[MAX_TICKS];
};

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static uint64_t next_random(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int fail(const char *what, const char *why)
{
	fprintf(stderr, "bench_mixer: %s: %s\n", what, why);
	return -1;
}

/* A tone per mic (440, 660, 880, 1100 Hz), by a phase-accumulating oscillator. */
static int make_tones(struct bench *b)
{
	for (size_t m = 0; m < MAX_MICS; m++) {
		struct codec_encoder *e;
		if (codec_encoder_create(NULL, &e) != MEDIA_OK)
			return fail("encoder", "create");
		double c = 0, s = 1, w = 2 * 3.14159265358979 * 220.0 * (double)(m + 2) / 48000;
		for (size_t f = 0; f < TONE_FRAMES; f++) {
			int16_t pcm[CODEC_FRAME];
			for (size_t i = 0; i < CODEC_FRAME; i++) {
				c += w * s; /* s' = c, c' = -s: a rotation, no libm */
				s -= w * c;
				pcm[i] = (int16_t)(10000 * s);
			}
			bool dtx;
			enum media_err err = codec_encode(e, pcm, b->tone[m][f], CODEC_MAX_PACKET,
							  &b->tone_len[m][f], &dtx);
			if (err)
				return fail("encode", media_strerror(err));
		}
		codec_encoder_destroy(e);
	}
	return 0;
}

static int udp_socket(struct sockaddr_in *addr)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof *addr;
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
	    getsockname(fd, (struct sockaddr *)addr, &len) != 0)
		return -1;
	return fd;
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

static int make_dest(struct fanout_dest *d, enum dtls_srtp_profile profile, uint64_t *rng,
		     const struct sockaddr_in *sink)
{
	struct dtls_srtp_keys k;
	random_keys(profile, rng, &k);
	enum media_srtp_err err = media_srtp_create(&k, &d->srtp);
	if (err)
		return fail("media_srtp_create", media_srtp_strerror(err));
	d->addr.v4 = *sink;
	d->addr_len = sizeof *sink;
	d->payload_type = PT_OPUS;
	return 0;
}

static int make_listeners(struct bench *b, enum dtls_srtp_profile profile, uint64_t *rng)
{
	struct sockaddr_in sink[SINKS];
	for (size_t i = 0; i < SINKS; i++)
		if ((b->sinks[i] = udp_socket(&sink[i])) < 0)
			return fail("socket", "sink");
	/* The sending socket is the worker's own (udp_open: its buffers, DF), so the send
	 * costs what it costs plenaryd. */
	struct stun_addr local;
	if (!udp_parse_ip("127.0.0.1", &local) || udp_open(&local, &b->tx) != 0)
		return fail("socket", "tx");
	b->dests = calloc(b->listeners, sizeof *b->dests);
	if (!b->dests)
		return fail("calloc", "listeners");
	for (size_t i = 0; i < b->listeners; i++)
		if (make_dest(&b->dests[i], profile, rng, &sink[i % SINKS]) != 0)
			return -1;
	for (size_t m = 0; m < b->mics; m++)
		if (make_dest(&b->own_dest[m], profile, rng, &sink[m % SINKS]) != 0)
			return -1;
	return 0;
}

static int make_mixer(struct bench *b, uint64_t *rng)
{
	mix_limiter_init(&b->lim);
	if (codec_encoder_create(NULL, &b->enc) != MEDIA_OK ||
	    rtp_rewrite_init(&b->rw, (uint32_t)next_random(rng), (uint16_t)next_random(rng),
			     (uint32_t)next_random(rng), PT_OPUS) != MEDIA_OK ||
	    fanout_create(0, &b->fan) != MEDIA_OK)
		return fail("mixer", "create");
	for (size_t m = 0; m < b->mics; m++) {
		mix_gate_init(&b->gate[m], true);
		mix_limiter_init(&b->own_lim[m]);
		if (codec_decoder_create(&b->dec[m]) != MEDIA_OK ||
		    codec_encoder_create(NULL, &b->own_enc[m]) != MEDIA_OK ||
		    rtp_rewrite_init(&b->own_rw[m], (uint32_t)next_random(rng), 0, 0, PT_OPUS) !=
			MEDIA_OK)
			return fail("mic", "create");
	}
	return 0;
}

/* Encodes pcm, puts our RTP header on it, and fans it out; *fan_us (when not NULL) is the
 * time spent in fanout_send alone. */
static int encode_and_send(struct bench *b, struct codec_encoder *enc, struct rtp_rewrite *rw,
			   const struct fanout_dest *dests, size_t n, double *fan_us)
{
	struct rtp_build hdr = {0};
	size_t hlen, plen;
	bool dtx;
	enum media_err cerr =
	    codec_encode(enc, b->out, b->pkt + RTP_HEADER_LEN, CODEC_MAX_PACKET, &plen, &dtx);
	if (cerr)
		return fail("encode", media_strerror(cerr));
	if (rtp_rewrite_mix(rw, (int64_t)b->tick * MIX_FRAME, &hdr) != MEDIA_OK ||
	    rtp_build_header(b->pkt, RTP_HEADER_LEN, &hdr, &hlen) != RTP_OK)
		return fail("rtp", "header");
	struct fanout_result res;
	b->last_len = hlen + plen;
	double t0 = now_us();
	if (fanout_send(b->fan, b->tx, b->pkt, hlen + plen, dests, n, &res) != MEDIA_OK)
		return fail("fanout", "send");
	if (fan_us)
		*fan_us = now_us() - t0;
	b->send_errors += res.send_errors;
	b->protect_errors += res.protect_errors;
	return 0;
}

/* One tick; *fanout_us is the time spent fanning out the public mix. */
static int tick(struct bench *b, double *fanout_us)
{
	const int16_t *in[MAX_MICS];
	size_t k = b->tick % TONE_FRAMES;
	for (size_t m = 0; m < b->mics; m++) {
		if (codec_decode(b->dec[m], b->tone[m][k], b->tone_len[m][k], b->pcm[m]) !=
		    MEDIA_OK)
			return fail("decode", "tone");
		mix_gate_apply(&b->gate[m], b->pcm[m]);
		in[m] = b->pcm[m];
	}
	mix_sum(b->acc, in, b->mics);
	mix_limit(&b->lim, b->acc, b->out, MIX_FRAME);
	if (encode_and_send(b, b->enc, &b->rw, b->dests, b->listeners, fanout_us) != 0)
		return -1;
	for (size_t m = 0; m < b->mics; m++) {
		mix_minus(b->acc, b->pcm[m], b->minus);
		mix_limit(&b->own_lim[m], b->minus, b->out, MIX_FRAME);
		if (encode_and_send(b, b->own_enc[m], &b->own_rw[m], &b->own_dest[m], 1, NULL) != 0)
			return -1;
	}
	b->tick++;
	return 0;
}

static void free_bench(struct bench *b)
{
	for (size_t i = 0; b->dests && i < b->listeners; i++)
		media_srtp_destroy(b->dests[i].srtp);
	free(b->dests);
	for (size_t m = 0; m < MAX_MICS; m++) {
		media_srtp_destroy(b->own_dest[m].srtp);
		codec_decoder_destroy(b->dec[m]);
		codec_encoder_destroy(b->own_enc[m]);
	}
	codec_encoder_destroy(b->enc);
	fanout_destroy(b->fan);
	for (size_t i = 0; i < SINKS; i++)
		if (b->sinks[i] > 0)
			close(b->sinks[i]);
	if (b->tx > 0)
		close(b->tx);
	free(b);
}

/* The fan-out without the send: copy and protect the last public packet for every
 * listener, `passes` times, each with the next sequence number. Microseconds per
 * listener. */
static double protect_only(struct bench *b, size_t passes)
{
	_Alignas(64) uint8_t buf[2048];
	double total = 0;
	for (size_t p = 0; p < passes; p++, b->tick++) {
		struct rtp_build hdr = {0};
		size_t hlen, out;
		if (rtp_rewrite_mix(&b->rw, (int64_t)b->tick * MIX_FRAME, &hdr) != MEDIA_OK ||
		    rtp_build_header(b->pkt, RTP_HEADER_LEN, &hdr, &hlen) != RTP_OK)
			return -1;
		double t0 = now_us();
		for (size_t i = 0; i < b->listeners; i++) {
			memcpy(buf, b->pkt, b->last_len);
			if (media_srtp_protect_rtp(b->dests[i].srtp, buf, b->last_len, sizeof buf,
						   &out) != MEDIA_SRTP_OK)
				return -1;
		}
		total += now_us() - t0;
	}
	return total / (double)passes / (double)b->listeners;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Times `ticks` ticks after the warm-up and fills r. */
static int measure(struct bench *b, size_t ticks, struct row *r)
{
	double *times = b->times;
	double fan, fan_sum = 0, sum = 0;
	for (size_t i = 0; i < WARMUP; i++)
		if (tick(b, &fan) != 0)
			return -1;
	for (size_t i = 0; i < ticks; i++) {
		double t0 = now_us();
		if (tick(b, &fan) != 0)
			return -1;
		times[i] = now_us() - t0;
		b->fan_times[i] = fan;
		sum += times[i];
		fan_sum += fan;
	}
	qsort(times, ticks, sizeof times[0], cmp_double);
	qsort(b->fan_times, ticks, sizeof times[0], cmp_double);
	r->us_per_listener_p50 = b->fan_times[ticks / 2] / (double)b->listeners;
	r->ticks = ticks;
	r->tick_mean = sum / (double)ticks;
	r->tick_p50 = times[ticks / 2];
	r->tick_p99 = times[ticks * 99 / 100];
	r->fanout_us = fan_sum / (double)ticks;
	r->fixed_us = r->tick_mean - r->fanout_us;
	r->us_per_listener = r->fanout_us / (double)b->listeners;
	r->listeners_per_core = (20000.0 - r->fixed_us) / r->us_per_listener;
	r->send_errors = b->send_errors;
	r->protect_errors = b->protect_errors;
	r->protect_us = protect_only(b, ticks < 20 ? ticks : 20);
	return r->protect_us < 0 ? fail("protect", "failed") : 0;
}

static int run_row(size_t mics, size_t listeners, size_t ticks, enum dtls_srtp_profile profile,
		   uint64_t *rng, struct row *r)
{
	struct bench *b = calloc(1, sizeof *b);
	if (!b)
		return fail("calloc", "bench");
	b->mics = mics;
	b->listeners = listeners;
	b->tx = -1;
	int rc = -1;
	if (make_tones(b) == 0 && make_listeners(b, profile, rng) == 0 && make_mixer(b, rng) == 0 &&
	    measure(b, ticks, r) == 0)
		rc = 0;
	r->mics = mics;
	r->listeners = listeners;
	free_bench(b);
	return rc;
}

static void print_table(const struct row *rows, size_t n, const char *profile, const char *load)
{
	printf("Mixer tick: decode open mics, mix, encode once, SRTP + sendmmsg per listener,\n"
	       "plus a mix-minus encode and send per open mic. Opus 32 kbit/s complexity 7.\n");
	printf("libsrtp backend: %s, profile: %s, load average before: %s\n\n",
	       media_srtp_backend(), profile, load);
	printf("%4s %9s %6s %9s %9s %9s %9s %9s %12s %8s %8s %14s\n", "mics", "listeners", "ticks",
	       "tick us", "p50 us", "p99 us", "fixed us", "fanout us", "us/listener", "(srtp",
	       "send)", "listeners/core");
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		printf("%4zu %9zu %6zu %9.1f %9.1f %9.1f %9.1f %9.1f %12.3f %8.3f %8.3f %8.3f "
		       "%14.0f\n",
		       r->mics, r->listeners, r->ticks, r->tick_mean, r->tick_p50, r->tick_p99,
		       r->fixed_us, r->fanout_us, r->us_per_listener, r->protect_us,
		       r->us_per_listener - r->protect_us, r->us_per_listener_p50,
		       r->listeners_per_core);
		if (r->send_errors || r->protect_errors)
			printf("     (send errors %zu, protect errors %zu)\n", r->send_errors,
			       r->protect_errors);
	}
	printf(
	    "\nus/listener = mean fanout_send us / listeners; (srtp = copy + protect alone,\n"
	    "measured apart; send) = the rest: sendmmsg and batching; p50 = from the median\n"
	    "tick's fan-out; fixed = tick - fan-out (decodes, mix, all encodes, mix-minus sends);\n"
	    "listeners/core = (20 ms - fixed) / us/listener. target: <= 2.5 us per listener per\n"
	    "packet (SRTP protect + send)\n");
}

static void print_json(const struct row *rows, size_t n, const char *profile, const char *load)
{
	printf("{\"bench\":\"mixer_tick\",\"backend\":\"%s\",\"profile\":\"%s\","
	       "\"loadavg\":\"%s\",\"target_us_per_listener\":2.5,\"results\":[",
	       media_srtp_backend(), profile, load);
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		printf("%s{\"mics\":%zu,\"listeners\":%zu,\"ticks\":%zu,\"tick_us_mean\":%.2f,"
		       "\"tick_us_p50\":%.2f,\"tick_us_p99\":%.2f,\"fixed_us\":%.2f,"
		       "\"fanout_us\":%.2f,\"us_per_listener\":%.4f,\"us_per_listener_p50\":%.4f,"
		       "\"srtp_us_per_listener\":%.4f,"
		       "\"listeners_per_core\":%.0f,"
		       "\"send_errors\":%zu,\"protect_errors\":%zu}",
		       i ? "," : "", r->mics, r->listeners, r->ticks, r->tick_mean, r->tick_p50,
		       r->tick_p99, r->fixed_us, r->fanout_us, r->us_per_listener,
		       r->us_per_listener_p50, r->protect_us, r->listeners_per_core, r->send_errors,
		       r->protect_errors);
	}
	printf("]}\n");
}

static void read_load(char *out, size_t cap)
{
	snprintf(out, cap, "unknown");
	FILE *fp = fopen("/proc/loadavg", "r");
	if (!fp)
		return;
	double a, b, c;
	if (fscanf(fp, "%lf %lf %lf", &a, &b, &c) == 3)
		snprintf(out, cap, "%.2f %.2f %.2f", a, b, c);
	fclose(fp);
}

static int usage(void)
{
	fprintf(stderr, "usage: bench_mixer [--json] [--profile gcm|cm] [--ticks N]\n");
	return 2;
}

/* Enough ticks for ~500,000 listener packets per row, 100..2,000 ticks. */
static size_t default_ticks(size_t listeners)
{
	size_t t = 500000 / listeners;
	return t < 100 ? 100 : t > 2000 ? 2000 : t;
}

int main(int argc, char **argv)
{
	bool json = false;
	enum dtls_srtp_profile profile = DTLS_SRTP_AEAD_AES_128_GCM;
	size_t ticks = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (strcmp(argv[i], "--profile") == 0 && i + 1 < argc)
			profile = strcmp(argv[++i], "cm") == 0 ? DTLS_SRTP_AES128_CM_SHA1_80
							       : DTLS_SRTP_AEAD_AES_128_GCM;
		else if (strcmp(argv[i], "--ticks") == 0 && i + 1 < argc)
			ticks = strtoul(argv[++i], NULL, 10);
		else
			return usage();
	}
	if (ticks > MAX_TICKS)
		return usage();
	static const size_t mics[] = {1, 2, 4}, listeners[] = {100, 1000, 5000};
	struct row rows[9];
	size_t n = 0;
	uint64_t rng = 0x9e3779b97f4a7c15u;
	char load[64];
	read_load(load, sizeof load);
	for (size_t m = 0; m < 3; m++)
		for (size_t l = 0; l < 3; l++, n++)
			if (run_row(mics[m], listeners[l],
				    ticks ? ticks : default_ticks(listeners[l]), profile, &rng,
				    &rows[n]) != 0)
				return 1;
	const char *name = dtls_srtp_profile_name(profile);
	if (json)
		print_json(rows, n, name, load);
	else
		print_table(rows, n, name, load);
	return 0;
}
