/*
 * media -- the gateway thread's half of the media module: creating the workers, answering
 * offers, and turning worker events (and the rooms' live pages) into callbacks.
 *
 * A peer has two objects. The handle (struct media_peer, here) belongs to the gateway
 * thread and lives until its worker says GONE; the peer (peer.h) belongs to the worker
 * from the moment the ADD command is popped. The handle keeps the worker's pointer only as
 * a name for CLOSE and MIC commands and never dereferences it; the peer keeps the handle
 * only to name it in events, and writes its statistics into the handle's atomics. Since
 * GONE is the last event about a peer and the worker frees the peer before sending it,
 * neither side can see the other's object freed under it.
 *
 * Answering an offer does everything that can fail for a reason the browser should hear
 * about before anything is allocated: parse, permission, build the answer. Only then are
 * the handle and the peer (with its DTLS session) made and posted; a full command ring is
 * `unavailable`, never a wait. Closing waits for ring space instead (a close must not be
 * lost, and the worker drains its ring every loop turn).
 *
 * Rooms are pinned to workers, and their sessions recorded, in media_rooms.c.
 */
#include "media/media.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdatomic.h>
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

#define CMD_RESERVE 256 /* ring slots kept free for CLOSE and MIC, which must not fail */
#define MSID	    "plenary floor"

struct media_peer {
	struct media *m;
	struct peer *wpeer; /* the worker's: a name for commands, never dereferenced here */
	unsigned worker;
	void *user;
	bool closed;
	struct peer_shared shared; /* written by the worker */
	char room[MEDIA_ROOM_MAX + 1];
	struct base_list link; /* on media.handles */
};

const char *media_srtp_backend(void)
{
	return PLENARY_SRTP_BACKEND;
}

const char *media_state_name(enum media_state s)
{
	static const char *const names[] = {"connecting", "connected", "failed", "closed"};
	return (unsigned)s < 4 ? names[s] : "unknown";
}

static enum media_err fail(char *why, size_t cap, enum media_err err, const char *fmt,
			   const char *arg)
{
	if (why && cap)
		snprintf(why, cap, fmt, arg);
	return err;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
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
		return fail(why, cap, MEDIA_ERR_PARAM, "media: bind address '%s' is not numeric",
			    b);
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

/* On the gateway thread, before an offer is answered: a certificate MEDIA_CERT_ROTATE_S
 * old is replaced, long before its DTLS_CERT_LIFETIME_S run out. Should making the new one
 * fail, the old one serves on and the next offer tries again. */
static void rotate_certificate(struct media *m)
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
		return fail(why, cap, MEDIA_ERR_CRYPTO, "media: %s",
			    "libsrtp failed to initialise");
	if (dtls_context_create_at(m->clock_s(m->clock_arg), &ctx) != DTLS_OK)
		return fail(why, cap, MEDIA_ERR_CRYPTO, "media: %s",
			    "cannot make the DTLS certificate");
	use_context(m, ctx);
	char ufrag[ICE_UFRAG_LEN + 1], pwd[ICE_PWD_LEN + 1];
	if (!ice_make_credentials(ufrag, pwd))
		return fail(why, cap, MEDIA_ERR_CRYPTO, "media: %s", "no random numbers");
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
			return fail(why, cap, MEDIA_ERR_CRYPTO, "media: %s", "no random numbers");
		/* A worker holds rings aligned to a cache line (base/spsc.h), which calloc's
		 * 16 bytes do not promise; the size of such a struct is a multiple of it. */
		m->workers[i] = aligned_alloc(BASE_SPSC_CACHE_LINE, sizeof *m->workers[i]);
		if (m->workers[i] == NULL)
			return fail(why, cap, MEDIA_ERR_NOMEM, "media: %s", "out of memory");
		memset(m->workers[i], 0, sizeof *m->workers[i]);
		enum media_err err = worker_init(m->workers[i], &wc, why, cap);
		if (err != MEDIA_OK)
			return err;
	}
	for (unsigned i = 0; i < m->n_workers; i++)
		if (worker_start(m->workers[i]) != MEDIA_OK)
			return fail(why, cap, MEDIA_ERR_SYSTEM, "media: %s",
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
		return fail(why, why_cap, MEDIA_ERR_PARAM, "media: %s", "bad options");
	unsigned n = opt->workers ? opt->workers : default_workers();
	if (opt->port != 0 && (unsigned)opt->port + n - 1 > 65535)
		return fail(why, why_cap, MEDIA_ERR_PARAM, "media: %s",
			    "the media ports run past 65535");
	if (opt->tcp_port < -1 || (opt->tcp_port > 0 && (unsigned)opt->tcp_port + n - 1 > 65535))
		return fail(why, why_cap, MEDIA_ERR_PARAM, "media: %s",
			    "the ICE-TCP ports run past 65535");
	struct media *m = calloc(1, sizeof *m);
	if (m == NULL)
		return fail(why, why_cap, MEDIA_ERR_NOMEM, "media: %s", "out of memory");
	m->n_workers = n;
	m->tcp = opt->tcp_port >= 0;
	m->event_fd = -1;
	base_list_init(&m->handles);
	struct stun_addr bind;
	enum media_err err = take_options(m, opt, &bind, why, why_cap);
	if (err == MEDIA_OK && !empty(opt->recordings_dir) &&
	    !(m->recordings_dir = strdup(opt->recordings_dir)))
		err = fail(why, why_cap, MEDIA_ERR_NOMEM, "media: %s", "out of memory");
	if (err == MEDIA_OK)
		err = make_crypto(m, why, why_cap);
	if (err == MEDIA_OK && ring_wake_open(&m->event_fd) != MEDIA_OK)
		err = fail(why, why_cap, MEDIA_ERR_SYSTEM, "media: %s", "eventfd failed");
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

/* --- offers ------------------------------------------------------------------------- */

static bool sends(enum sdp_direction d)
{
	return d == SDP_SENDRECV || d == SDP_SENDONLY;
}

static bool fingerprint_of(const struct sdp_fingerprint *f, struct dtls_fingerprint *out)
{
	static const struct {
		const char *name;
		enum dtls_hash hash;
	} hashes[] = {{"sha-1", DTLS_HASH_SHA1},
		      {"sha-224", DTLS_HASH_SHA224},
		      {"sha-256", DTLS_HASH_SHA256},
		      {"sha-384", DTLS_HASH_SHA384},
		      {"sha-512", DTLS_HASH_SHA512}};
	for (size_t i = 0; i < sizeof hashes / sizeof hashes[0]; i++) {
		if (strcmp(f->algo, hashes[i].name) != 0 || f->len > DTLS_FINGERPRINT_MAX)
			continue;
		out->hash = hashes[i].hash;
		out->len = f->len;
		memcpy(out->digest, f->digest, f->len);
		return true;
	}
	return false;
}

/* What the answer and the peer are made of; nothing here is allocated. */
struct offer_plan {
	struct room_pin *pin;
	unsigned worker;
	char ufrag[ICE_UFRAG_LEN + 1];
	char pwd[ICE_PWD_LEN + 1];
	uint32_t ssrc;
	uint64_t session_id;
	struct dtls_fingerprint fingerprint;
};

static bool make_plan(struct media *m, const char *room, struct offer_plan *plan)
{
	plan->pin = media_pin_get(m, room);
	if (!plan->pin || !ice_make_credentials(plan->ufrag, plan->pwd) ||
	    RAND_bytes((unsigned char *)&plan->session_id, sizeof plan->session_id) != 1)
		return false;
	plan->worker = media_pin_worker(m, plan->pin);
	plan->ssrc = plan->pin->ssrc; /* one stream per room: every listener hears the same */
	plan->session_id >>= 2;	      /* RFC 8866 sect. 5.2: fits a 63-bit signed integer */
	return true;
}

static enum media_err write_answer(struct media *m, const struct offer_plan *plan, char *answer,
				   size_t cap, size_t *answer_len, char *why, size_t why_cap)
{
	struct sdp_candidate cands[SDP_MAX_CANDIDATES];
	size_t n = 0;
	/* One host candidate per worker and announced address; the room's worker first, so
	 * its candidates have the highest priorities and the browser's first checks go where
	 * the peer is, and each worker's addresses in the order given (sdp_build_answer ranks
	 * candidates in the order of this list). Then the same for ICE-TCP, which
	 * sdp_build_answer ranks below every UDP candidate. media_create checked that they
	 * fit. */
	for (int tcp = 0; tcp <= (m->tcp ? 1 : 0); tcp++) {
		for (unsigned k = 0; k < m->n_workers; k++) {
			/* k = 0 is the room's worker; the others follow in their order. */
			unsigned i = k == 0 ? plan->worker : k <= plan->worker ? k - 1 : k;
			const struct worker *w = m->workers[i];
			for (size_t j = 0; j < m->n_candidate_ips && n < SDP_MAX_CANDIDATES; j++)
				cands[n++] = (struct sdp_candidate){
				    m->candidate_ips[j], tcp ? w->tcp_local.port : w->local.port,
				    tcp != 0};
		}
	}
	struct sdp_local local = {.ice_ufrag = plan->ufrag,
				  .ice_pwd = plan->pwd,
				  .fingerprint = m->fingerprint_hex,
				  .candidates = cands,
				  .n_candidates = n,
				  .ssrc = plan->ssrc,
				  .cname = m->cname,
				  .msid = MSID,
				  .send = true,
				  .session_id = plan->session_id,
				  .session_version = 1};
	enum sdp_err err = sdp_build_answer(&m->offer, &local, answer, cap, answer_len);
	if (err == SDP_ESETUP_ROLE)
		return fail(why, why_cap, MEDIA_ERR_SDP, "SDP: %s", sdp_strerror(err));
	if (err != SDP_OK) /* the caller's buffer, or one of our own parameters */
		return fail(why, why_cap, MEDIA_ERR_PARAM, "cannot build the SDP answer: %s",
			    sdp_strerror(err));
	return MEDIA_OK;
}

static enum media_err check_offer(struct media *m, const struct media_offer *o, char *why,
				  size_t why_cap)
{
	enum sdp_err err = sdp_parse(o->sdp, o->sdp_len, &m->offer);
	if (err != SDP_OK) {
		if (why && why_cap && m->offer.err_line)
			snprintf(why, why_cap, "SDP line %u: %s", m->offer.err_line,
				 sdp_strerror(err));
		else if (why && why_cap)
			snprintf(why, why_cap, "SDP: %s", sdp_strerror(err));
		return MEDIA_ERR_SDP;
	}
	const struct sdp_media *audio = &m->offer.media[m->offer.audio];
	if (sends(audio->direction) && !o->may_send)
		return fail(why, why_cap, MEDIA_ERR_FORBIDDEN, "%s",
			    "this role may only receive audio: offer recvonly");
	return MEDIA_OK;
}

static enum media_err make_peer(struct media *m, const struct media_offer *o,
				const struct offer_plan *plan, struct media_peer **out)
{
	const struct sdp_media *audio = &m->offer.media[m->offer.audio];
	struct media_peer *h = calloc(1, sizeof *h);
	if (h == NULL)
		return MEDIA_ERR_NOMEM;
	struct peer_config pc = {.dtls = m->dtls,
				 .remote_fingerprint = &plan->fingerprint,
				 .ufrag = plan->ufrag,
				 .pwd = plan->pwd,
				 .remote_ufrag = audio->ice_ufrag,
				 .room = o->room,
				 .send = true,
				 .mic_open = o->mic_open,
				 .opus_pt = audio->opus_pt,
				 .audio_level_id = audio->audio_level_id,
				 .local_ssrc = plan->ssrc,
				 .cname = m->cname,
				 .now_ms = now_ms(),
				 .handle = h,
				 .shared = &h->shared,
				 .room_stats = &plan->pin->stats};
	enum media_err err = peer_create(&pc, &h->wpeer);
	if (err != MEDIA_OK) {
		free(h);
		return err;
	}
	plan->pin->peers++;
	m->worker_peers[plan->worker]++;
	h->m = m;
	h->worker = plan->worker;
	h->user = o->user;
	snprintf(h->room, sizeof h->room, "%s", o->room);
	snprintf(h->wpeer->pid, sizeof h->wpeer->pid, "%s", o->pid ? o->pid : "");
	*out = h;
	return MEDIA_OK;
}

enum media_err media_peer_offer(struct media *m, const struct media_offer *o, char *answer,
				size_t cap, size_t *answer_len, struct media_peer **out, char *why,
				size_t why_cap)
{
	if (m == NULL || o == NULL || o->room == NULL || strlen(o->room) > MEDIA_ROOM_MAX ||
	    answer == NULL || answer_len == NULL || out == NULL || (o->sdp == NULL && o->sdp_len))
		return fail(why, why_cap, MEDIA_ERR_PARAM, "%s", "invalid argument");
	enum media_err err = check_offer(m, o, why, why_cap);
	if (err != MEDIA_OK)
		return err;
	rotate_certificate(m); /* the answer and the peer's session name the same one */
	struct offer_plan plan;
	if (!make_plan(m, o->room, &plan))
		return fail(why, why_cap, MEDIA_ERR_NOMEM, "%s", "out of memory or random numbers");
	if (!fingerprint_of(&m->offer.media[m->offer.audio].fingerprint, &plan.fingerprint))
		return fail(why, why_cap, MEDIA_ERR_SDP, "SDP: %s", "unusable a=fingerprint");
	err = write_answer(m, &plan, answer, cap, answer_len, why, why_cap);
	if (err != MEDIA_OK)
		return err;
	struct worker *w = m->workers[plan.worker];
	if (ring_space(&w->cmds) <= CMD_RESERVE)
		return fail(why, why_cap, MEDIA_ERR_BUSY, "%s", "the media worker is busy");
	struct media_peer *h;
	err = make_peer(m, o, &plan, &h);
	if (err != MEDIA_OK)
		return fail(why, why_cap, err, "cannot make the peer: %s", media_strerror(err));
	/* Room was checked above, and only this thread pushes. */
	(void)worker_post(w, &(struct ring_msg){.type = WORKER_ADD, .ptr = h->wpeer});
	base_list_insert_tail(&m->handles, &h->link);
	*out = h;
	return MEDIA_OK;
}

void media_peer_close(struct media_peer *p)
{
	if (p == NULL || p->closed)
		return;
	p->closed = true;
	p->user = NULL;
	worker_post_wait(p->m->workers[p->worker],
			 &(struct ring_msg){.type = WORKER_CLOSE, .ptr = p->wpeer});
}

void media_peer_mic(struct media_peer *p, bool open)
{
	if (p == NULL || p->closed)
		return;
	worker_post_wait(p->m->workers[p->worker],
			 &(struct ring_msg){.type = WORKER_MIC, .arg = open, .ptr = p->wpeer});
}

void media_peer_channel(struct media_peer *p, unsigned ch)
{
	if (p == NULL || p->closed || ch > 2 * MEDIA_CHANNELS)
		return;
	worker_post_wait(p->m->workers[p->worker],
			 &(struct ring_msg){.type = WORKER_CHANNEL, .arg = ch, .ptr = p->wpeer});
}

void media_peer_voice(struct media_peer *p, unsigned ch)
{
	if (p == NULL || p->closed || ch > MEDIA_CHANNELS)
		return;
	worker_post_wait(p->m->workers[p->worker],
			 &(struct ring_msg){.type = WORKER_VOICE, .arg = ch, .ptr = p->wpeer});
}

int64_t media_peer_talked_ms_ago(const struct media_peer *p)
{
	uint64_t at = atomic_load_explicit(&p->shared.talked_ms, memory_order_relaxed);
	if (at == 0)
		return -1;
	struct timespec mono;
	clock_gettime(CLOCK_MONOTONIC, &mono); /* the workers' clock (worker_env) */
	uint64_t now = (uint64_t)mono.tv_sec * 1000u + (uint64_t)mono.tv_nsec / 1000000u;
	return now > at ? (int64_t)(now - at) : 0;
}

void media_peer_stats(const struct media_peer *p, struct media_peer_stats *out)
{
	const struct peer_shared *s = &p->shared;
	memset(out, 0, sizeof *out);
	out->state = (enum media_state)atomic_load_explicit(&s->state, memory_order_relaxed);
	out->packets_received = atomic_load_explicit(&s->packets_received, memory_order_relaxed);
	out->packets_lost = atomic_load_explicit(&s->packets_lost, memory_order_relaxed);
	out->packets_sent = atomic_load_explicit(&s->packets_sent, memory_order_relaxed);
	out->srtp_errors = atomic_load_explicit(&s->srtp_errors, memory_order_relaxed);
	out->rtcp_received = atomic_load_explicit(&s->rtcp_received, memory_order_relaxed);
	out->jitter_us = atomic_load_explicit(&s->jitter_us, memory_order_relaxed);
	out->rtt_ms = atomic_load_explicit(&s->rtt_ms, memory_order_relaxed);
	out->audio_level = (uint8_t)atomic_load_explicit(&s->audio_level, memory_order_relaxed);
	out->voice = atomic_load_explicit(&s->voice, memory_order_relaxed) != 0;
}

/* --- events ------------------------------------------------------------------------- */

static void handle_gone(struct media *m, struct media_peer *h)
{
	media_pin_remove(m, h->room, h->worker);
	base_list_remove(&h->link);
	free(h);
}

static size_t deliver(struct media_peer *h, const struct ring_msg *msg,
		      const struct media_callbacks *cb, void *ctx)
{
	if (h->closed)
		return 0;
	if (msg->type == WORKER_EV_STATE && cb->state) {
		cb->state(ctx, h->user, (enum media_state)msg->arg);
		return 1;
	}
	if (msg->type == WORKER_EV_ATTEMPT && cb->attempt) {
		cb->attempt(ctx, h->user, (uint8_t)msg->arg);
		return 1;
	}
	return 0;
}

static size_t drain_pages(struct worker *w, const struct media_callbacks *cb, void *ctx)
{
	size_t n = 0;
	struct page_view v;
	while (page_ring_peek(w->pages, &v)) {
		if (cb->stream) {
			cb->stream(ctx, v.room, v.channel, (enum media_stream_kind)v.kind, v.data,
				   v.len);
			n++;
		}
		page_ring_release(w->pages);
	}
	return n;
}

size_t media_dispatch_all(struct media *m, const struct media_callbacks *cb, void *ctx)
{
	size_t delivered = 0;
	ring_wake_drain(m->event_fd);
	for (unsigned i = 0; i < m->n_workers; i++) {
		struct ring_msg msg;
		while (ring_pop(&m->workers[i]->events, &msg)) {
			if (msg.type == WORKER_EV_GONE)
				handle_gone(m, msg.ptr);
			else
				delivered += deliver(msg.ptr, &msg, cb, ctx);
		}
		delivered += drain_pages(m->workers[i], cb, ctx);
	}
	return delivered;
}

static void read_mixer(struct worker *w, struct media_stats *out, uint64_t *mix_ns,
		       uint64_t *fwd_ns)
{
	struct mixer_counters *c = &w->counters.mixer;
#define READ(f) atomic_load_explicit(&c->f, memory_order_relaxed)
	out->rtp_packets_sent += READ(packets_sent);
	for (size_t b = 0; b <= MEDIA_LATENCY_BUCKETS; b++) {
		out->latency_mix_buckets[b] += READ(latency_mix[b]);
		out->latency_fwd_buckets[b] += READ(latency_fwd[b]);
	}
	out->latency_mix_count += READ(latency_mix_count);
	out->latency_fwd_count += READ(latency_fwd_count);
	*mix_ns += READ(latency_mix_sum_ns);
	*fwd_ns += READ(latency_fwd_sum_ns);
	out->mixes_encoded += READ(encoded);
	out->channel_encodes += READ(channel_encoded);
	out->packets_forwarded += READ(forwarded);
	out->send_errors += READ(send_errors) + READ(protect_errors);
	out->gate_errors += READ(gate_errors);
	out->fanout_s += (double)READ(fanout_us) / 1e6;
	out->fanout_packets += READ(fanout_dests);
#undef READ
	out->stream_pages_dropped += page_ring_dropped(w->pages);
	if (w->recorder) {
		struct recorder_stats rs;
		recorder_get_stats(w->recorder, &rs);
		out->recording_dropped += rs.dropped;
	}
}

void media_stats_read(const struct media *m, struct media_stats *out)
{
	memset(out, 0, sizeof *out);
	if (m == NULL)
		return;
	out->relay_dropped = atomic_load_explicit(&m->relay_dropped, memory_order_relaxed);
	uint64_t tick_ns = 0, mix_ns = 0, fwd_ns = 0;
	for (unsigned i = 0; i < m->n_workers; i++) {
		struct media_counters *c = &m->workers[i]->counters;
#define READ(f) atomic_load_explicit(&c->f, memory_order_relaxed)
		out->peers_connected += READ(peers_connected);
		out->rtp_packets_received += READ(rtp_received);
		out->rtp_packets_sent += READ(rtp_sent);
		out->srtp_errors += READ(srtp_errors);
		out->tcp_accepted += READ(tcp_accepted);
		out->tcp_dropped += READ(tcp_dropped);
		out->venue_received += READ(venue.received);
		out->venue_dropped += READ(venue.dropped);
		out->venue_sent += READ(venue.sent);
		for (size_t b = 0; b <= MEDIA_TICK_BUCKETS; b++)
			out->tick_buckets[b] += READ(tick_buckets[b]);
		out->tick_count += READ(tick_count);
		tick_ns += READ(tick_sum_ns);
#undef READ
		read_mixer(m->workers[i], out, &mix_ns, &fwd_ns);
	}
	out->tick_sum_s = (double)tick_ns / 1e9;
	out->latency_mix_sum_s = (double)mix_ns / 1e9;
	out->latency_fwd_sum_s = (double)fwd_ns / 1e9;
}
