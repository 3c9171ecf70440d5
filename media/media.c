/*
 * media -- the gateway thread's half of the media module: creating the workers and
 * tearing them down, and what the module announces (addresses, ports, the certificate).
 *
 * A peer has two objects. The handle (struct media_peer, media_internal.h) belongs to the
 * gateway thread and lives until its worker says GONE; the peer (peer.h) belongs to the
 * worker from the moment the ADD command is popped. The handle keeps the worker's pointer
 * only as a name for CLOSE and MIC commands and never dereferences it; the peer keeps the
 * handle only to name it in events, and writes its statistics into the handle's atomics.
 * Since GONE is the last event about a peer and the worker frees the peer before sending
 * it, neither side can see the other's object freed under it.
 *
 * Offers are answered and peers made in media_offer.c, worker events turned into callbacks
 * in media_events.c, the workers' counters read in media_stats.c; rooms are pinned to
 * workers, and their sessions recorded, in media_rooms.c.
 */
#include "media/media.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "media/media_internal.h"
#include "media/net/net.h"
#include "media/secure/secure.h"
#include "media/wire/wire.h"

const char *media_srtp_backend(void)
{
	return PLENARY_SRTP_BACKEND;
}

const char *media_state_name(enum media_state s)
{
	static const char *const names[] = {"connecting", "connected", "failed", "closed"};
	return (unsigned)s < 4 ? names[s] : "unknown";
}

enum media_err media_fail(char *why, size_t cap, enum media_err err, const char *fmt,
			  const char *arg)
{
	if (why && cap)
		snprintf(why, cap, fmt, arg);
	return err;
}

/* --- creation ----------------------------------------------------------------------- */

static bool empty(const char *s)
{
	return s == NULL || s[0] == '\0';
}

/* The first IPv4 address of an interface that is up and not loopback, else 127.0.0.1:
 * what a browser on another host (or this one) can most likely reach when we listen on
 * every address and no public address was configured. */
static void pick_local_ipv4(char *out, size_t cap)
{
	snprintf(out, cap, "127.0.0.1");
	struct ifaddrs *list;
	if (getifaddrs(&list) != 0)
		return;
	for (struct ifaddrs *i = list; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET ||
		    (i->ifa_flags & IFF_UP) == 0 || (i->ifa_flags & IFF_LOOPBACK) != 0)
			continue;
		inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, out,
			  (socklen_t)cap);
		break;
	}
	freeifaddrs(list);
}

static enum media_err bad_address(char *why, size_t cap, const char *ip, const char *problem)
{
	if (why && cap)
		snprintf(why, cap, "media: announced address '%s' %s", ip, problem);
	return MEDIA_ERR_PARAM;
}

/* Parses the announced addresses into m->candidate_ips; *v6 says whether one is IPv6. */
static enum media_err parse_public(struct media *m, const struct media_options *opt, bool *v6,
				   char *why, size_t cap)
{
	if (opt->n_public_ips > MEDIA_MAX_PUBLIC_IPS || (opt->n_public_ips && !opt->public_ips)) {
		if (why && cap)
			snprintf(why, cap, "media: at most %d announced addresses",
				 MEDIA_MAX_PUBLIC_IPS);
		return MEDIA_ERR_PARAM;
	}
	*v6 = false;
	for (size_t j = 0; j < opt->n_public_ips; j++) {
		struct stun_addr pub;
		const char *ip = opt->public_ips[j] ? opt->public_ips[j] : "";
		if (!udp_parse_ip(ip, &pub) || udp_is_wildcard(&pub))
			return bad_address(why, cap, ip, "is not a numeric host address");
		*v6 = *v6 || pub.family == STUN_IPV6;
		udp_format_ip(&pub, m->candidate_ips[j], sizeof m->candidate_ips[j]);
	}
	m->n_candidate_ips = opt->n_public_ips;
	return MEDIA_OK;
}

/* Every announced address must reach the sockets: an IPv4 socket receives no IPv6, and an
 * IPv6 one bound to a host address no IPv4 (only "::" is dual-stack). */
static enum media_err check_families(const struct media *m, const struct stun_addr *bind, char *why,
				     size_t cap)
{
	for (size_t j = 0; j < m->n_candidate_ips; j++) {
		struct stun_addr pub;
		const char *ip = m->candidate_ips[j];
		if (!udp_parse_ip(ip, &pub)) /* parse_public wrote it: cannot happen */
			continue;
		if (pub.family == STUN_IPV6 && bind->family != STUN_IPV6)
			return bad_address(
			    why, cap, ip,
			    "is IPv6 and the media sockets are IPv4: bind them "
			    "to :: (--media-bind ::, dual-stack) or an IPv6 address");
		if (pub.family != STUN_IPV6 && bind->family == STUN_IPV6 && !udp_is_wildcard(bind))
			return bad_address(why, cap, ip,
					   "is IPv4 and the media sockets are bound to an IPv6 "
					   "address: bind them to :: (dual-stack) or 0.0.0.0");
	}
	return MEDIA_OK;
}

static enum media_err resolve_addresses(struct media *m, const struct media_options *opt,
					struct stun_addr *bind, char *why, size_t cap)
{
	bool v6;
	enum media_err err = parse_public(m, opt, &v6, why, cap);
	if (err != MEDIA_OK)
		return err;
	const char *b = !empty(opt->bind_ip) ? opt->bind_ip : v6 ? "::" : "0.0.0.0";
	if (!udp_parse_ip(b, bind))
		return media_fail(why, cap, MEDIA_ERR_PARAM,
				  "media: bind address '%s' is not numeric", b);
	if (m->n_candidate_ips > 0)
		return check_families(m, bind, why, cap);
	m->n_candidate_ips = 1;
	if (udp_is_wildcard(bind))
		pick_local_ipv4(m->candidate_ips[0], sizeof m->candidate_ips[0]);
	else
		udp_format_ip(bind, m->candidate_ips[0], sizeof m->candidate_ips[0]);
	return MEDIA_OK;
}

static int64_t system_clock_s(void *arg)
{
	(void)arg;
	return (int64_t)time(NULL);
}

static void use_context(struct media *m, struct dtls_context *ctx)
{
	dtls_context_destroy(m->dtls); /* its sessions keep it until they end */
	m->dtls = ctx;
	const char *fp = dtls_context_fingerprint(ctx);
	const char *space = strchr(fp, ' ');
	m->fingerprint_hex = space ? space + 1 : fp;
}

/* Called before an offer is answered (media_internal.h). */
void media_rotate_certificate(struct media *m)
{
	int64_t now = m->clock_s(m->clock_arg);
	struct dtls_context *fresh;
	if (now - dtls_context_made_s(m->dtls) >= MEDIA_CERT_ROTATE_S &&
	    dtls_context_create_at(now, &fresh) == DTLS_OK)
		use_context(m, fresh);
}

static enum media_err make_crypto(struct media *m, char *why, size_t cap)
{
	struct dtls_context *ctx;
	if (media_srtp_global_init() != MEDIA_SRTP_OK)
		return media_fail(why, cap, MEDIA_ERR_CRYPTO, "media: %s",
				  "libsrtp failed to initialise");
	if (dtls_context_create_at(m->clock_s(m->clock_arg), &ctx) != DTLS_OK)
		return media_fail(why, cap, MEDIA_ERR_CRYPTO, "media: %s",
				  "cannot make the DTLS certificate");
	use_context(m, ctx);
	char ufrag[ICE_UFRAG_LEN + 1], pwd[ICE_PWD_LEN + 1];
	if (!ice_make_credentials(ufrag, pwd))
		return media_fail(why, cap, MEDIA_ERR_CRYPTO, "media: %s", "no random numbers");
	snprintf(m->cname, sizeof m->cname, "%s", ufrag);
	return MEDIA_OK;
}

/* An answer holds SDP_MAX_CANDIDATES candidates: a configuration that needs more is
 * refused at the start rather than answered with some of its candidates left out. */
static enum media_err check_candidates(const struct media *m, char *why, size_t cap)
{
	size_t n = (size_t)m->n_workers * m->n_candidate_ips * (m->tcp ? 2 : 1);
	if (n <= SDP_MAX_CANDIDATES)
		return MEDIA_OK;
	if (why && cap)
		snprintf(why, cap,
			 "media: %u workers x %zu announced addresses x %d (%s) make %zu "
			 "candidates, more than an answer holds (%d): use fewer media workers or "
			 "addresses%s",
			 m->n_workers, m->n_candidate_ips, m->tcp ? 2 : 1,
			 m->tcp ? "UDP and ICE-TCP" : "UDP", n, SDP_MAX_CANDIDATES,
			 m->tcp ? ", or no ICE-TCP" : "");
	return MEDIA_ERR_PARAM;
}

/* The options that need no system call: the clock, the addresses, the candidates. */
static enum media_err take_options(struct media *m, const struct media_options *opt,
				   struct stun_addr *bind, char *why, size_t cap)
{
	m->clock_s = opt->clock_s ? opt->clock_s : system_clock_s;
	m->clock_arg = opt->clock_arg;
	enum media_err err = resolve_addresses(m, opt, bind, why, cap);
	return err == MEDIA_OK ? check_candidates(m, why, cap) : err;
}

static enum media_err make_workers(struct media *m, const struct media_options *opt,
				   const struct stun_addr *bind, char *why, size_t cap)
{
	for (unsigned i = 0; i < m->n_workers; i++) {
		struct worker_config wc = {.index = i,
					   .bind = *bind,
					   .gateway_fd = m->event_fd,
					   .echo = opt->echo,
					   .recordings_dir = m->recordings_dir,
					   .mix_bitrate = opt->mix_bitrate,
					   .tcp = opt->tcp_port >= 0};
		wc.tap = (struct mixer_tap){opt->on_encoded, opt->on_mic_frame, opt->tap_ctx};
		if (opt->port != 0)
			wc.bind.port = (uint16_t)(opt->port + i);
		if (opt->tcp_port > 0)
			wc.tcp_port = (uint16_t)(opt->tcp_port + (int)i);
		if (RAND_bytes((unsigned char *)&wc.seed, sizeof wc.seed) != 1)
			return media_fail(why, cap, MEDIA_ERR_CRYPTO, "media: %s",
					  "no random numbers");
		/* A worker holds rings aligned to a cache line (base/spsc.h), which calloc's
		 * 16 bytes do not promise; the size of such a struct is a multiple of it. */
		m->workers[i] = aligned_alloc(BASE_SPSC_CACHE_LINE, sizeof *m->workers[i]);
		if (m->workers[i] == NULL)
			return media_fail(why, cap, MEDIA_ERR_NOMEM, "media: %s", "out of memory");
		memset(m->workers[i], 0, sizeof *m->workers[i]);
		enum media_err err = worker_init(m->workers[i], &wc, why, cap);
		if (err != MEDIA_OK)
			return err;
	}
	for (unsigned i = 0; i < m->n_workers; i++)
		if (worker_start(m->workers[i]) != MEDIA_OK)
			return media_fail(why, cap, MEDIA_ERR_SYSTEM, "media: %s",
					  "cannot start a worker thread");
	return MEDIA_OK;
}

static unsigned default_workers(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > MEDIA_MAX_WORKERS ? MEDIA_MAX_WORKERS : (unsigned)n;
}

enum media_err media_create(const struct media_options *opt, struct media **out, char *why,
			    size_t why_cap)
{
	if (opt == NULL || out == NULL || opt->workers > MEDIA_MAX_WORKERS)
		return media_fail(why, why_cap, MEDIA_ERR_PARAM, "media: %s", "bad options");
	unsigned n = opt->workers ? opt->workers : default_workers();
	if (opt->port != 0 && (unsigned)opt->port + n - 1 > 65535)
		return media_fail(why, why_cap, MEDIA_ERR_PARAM, "media: %s",
				  "the media ports run past 65535");
	if (opt->tcp_port < -1 || (opt->tcp_port > 0 && (unsigned)opt->tcp_port + n - 1 > 65535))
		return media_fail(why, why_cap, MEDIA_ERR_PARAM, "media: %s",
				  "the ICE-TCP ports run past 65535");
	struct media *m = calloc(1, sizeof *m);
	if (m == NULL)
		return media_fail(why, why_cap, MEDIA_ERR_NOMEM, "media: %s", "out of memory");
	m->n_workers = n;
	m->tcp = opt->tcp_port >= 0;
	m->event_fd = -1;
	base_list_init(&m->handles);
	struct stun_addr bind;
	enum media_err err = take_options(m, opt, &bind, why, why_cap);
	if (err == MEDIA_OK && !empty(opt->recordings_dir) &&
	    !(m->recordings_dir = strdup(opt->recordings_dir)))
		err = media_fail(why, why_cap, MEDIA_ERR_NOMEM, "media: %s", "out of memory");
	if (err == MEDIA_OK)
		err = make_crypto(m, why, why_cap);
	if (err == MEDIA_OK && ring_wake_open(&m->event_fd) != MEDIA_OK)
		err = media_fail(why, why_cap, MEDIA_ERR_SYSTEM, "media: %s", "eventfd failed");
	if (err == MEDIA_OK)
		err = make_workers(m, opt, &bind, why, why_cap);
	if (err != MEDIA_OK) {
		media_destroy(m);
		return err;
	}
	*out = m;
	return MEDIA_OK;
}

void media_destroy(struct media *m)
{
	if (m == NULL)
		return;
	for (unsigned i = 0; i < m->n_workers; i++)
		if (m->workers[i] != NULL)
			worker_stop(m->workers[i]);
	for (unsigned i = 0; i < m->n_workers; i++) {
		if (m->workers[i] != NULL)
			worker_fini(m->workers[i]);
		free(m->workers[i]);
	}
	struct base_list *node, *tmp;
	BASE_LIST_FOREACH_SAFE(node, tmp, &m->handles)
	{
		free(BASE_CONTAINER_OF(node, struct media_peer, link));
	}
	media_links_free(m);
	for (size_t i = 0; i < m->n_pins; i++)
		free(m->pins[i]);
	free(m->pins);
	free(m->recordings_dir);
	dtls_context_destroy(m->dtls);
	if (m->event_fd >= 0)
		close(m->event_fd);
	free(m);
}

int media_event_fd(const struct media *m)
{
	return m->event_fd;
}

unsigned media_worker_count(const struct media *m)
{
	return m->n_workers;
}

bool media_candidate(const struct media *m, unsigned i, const char **ip, uint16_t *port)
{
	if (i >= m->n_workers)
		return false;
	*ip = m->candidate_ips[0];
	*port = m->workers[i]->local.port;
	return true;
}

const char *media_announced_ip(const struct media *m, size_t j)
{
	return j < m->n_candidate_ips ? m->candidate_ips[j] : NULL;
}

const char *media_fingerprint(const struct media *m)
{
	return dtls_context_fingerprint(m->dtls);
}
