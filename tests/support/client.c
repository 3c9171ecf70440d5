/*
 * client -- see client.h. The client is built from the same objects as the server side
 * (stun, sdp, dtls, srtp_session, rtp, rtcp, udp), used from the other end, which is also
 * what makes it a good test of them: a mistake shared by both ends would cancel out, so
 * the browser test checks the server against Chromium's stack as well.
 *
 * Trade-offs, since this is a test and load tool and not a product: one host candidate
 * (the remote description's first), aggressive nomination when controlling (every check
 * carries USE-CANDIDATE), no trickle of our own (client_local_candidate lets the caller
 * trickle), no TURN, no RTCP of its own, and the SSL object is kept for the client's life.
 *
 * The roles come from who offered (RFC 8445 sect. 6.1.1, RFC 5763 sect. 5): after
 * client_offer + client_answer we are ICE-controlling and take the DTLS role the answer's
 * a=setup leaves us (Plenary answers passive, so we are the client; Janus answers active,
 * so we are the server); after client_accept_offer we are ICE-controlled (controlling if
 * the offer says a=ice-lite) and answer a=setup:active. Either way we answer the peer's
 * own checks, which a lite server never sends and a full agent must see answered before it
 * uses the pair.
 */
#include "support/client.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "media/net/udp.h"
#include "media/secure/ice_lite.h"
#include "media/secure/srtp_session.h"
#include "media/wire/demux.h"
#include "media/wire/rfc4571.h"
#include "media/wire/sdp.h"
#include "media/wire/stun.h"

#define BUF_SIZE	2048
#define MAX_PAYLOAD	1000
#define AUDIO_LEVEL_URI "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
#define CHECK_PRIORITY	((110u << 24) | (65535u << 8) | 255u) /* a prflx-like priority */
#define HOST_PRIORITY	((126u << 24) | (65535u << 8) | 255u) /* RFC 8445 5.1.2.1, host */
/* A browser's first DTLS retransmission: Chromium uses twice the ICE RTT, at least 50 ms;
 * OpenSSL's 1 s default would make a flight lost at a full agent's start cost a second. */
#define CLIENT_DTLS_RTO_MS 100

struct client {
	enum client_state state;
	int fd, family;
	struct dtls_context *ctx;
	struct dtls_session *dtls;
	struct media_srtp *srtp;
	enum stun_role role;	  /* ours: CONTROLLING after an offer, CONTROLLED after an answer */
	enum dtls_role dtls_role; /* ours */
	bool have_server;	  /* the peer's address is known (a candidate, or a check) */
	bool nominated;		  /* controlled: the peer sent USE-CANDIDATE */
	bool dtls_started;
	bool send;
	uint8_t audio_level_id, opus_pt;
	char ufrag[ICE_UFRAG_LEN + 1], pwd[ICE_PWD_LEN + 1];
	char remote_ufrag[SDP_MAX_ICE + 1], remote_pwd[SDP_MAX_ICE + 1];
	char username[ICE_UFRAG_LEN + SDP_MAX_ICE + 2];
	struct dtls_fingerprint remote_fp;
	struct stun_addr server, local;
	uint8_t tid[STUN_TID_LEN];
	uint64_t tie_breaker;
	uint64_t next_check_ms, check_deadline_ms;
	uint32_t ssrc;
	uint16_t seq;
	char cname[ICE_UFRAG_LEN + 1];
	client_audio_fn on_audio;
	void *on_audio_ctx;
	struct client_stats stats;
	size_t last_len;
	_Alignas(8) uint8_t last[BUF_SIZE];
	_Alignas(8) uint8_t rx[BUF_SIZE];
	_Alignas(8) uint8_t tx[BUF_SIZE];
	bool tcp;      /* ICE-TCP: fd is the connection (client_options.tcp) */
	size_t st_len; /* bytes of the stream waiting in st */
	_Alignas(8) uint8_t st[2 * (RFC4571_HEADER + RFC4571_MAX_FRAME)];
};

static const char *const state_names[] = {"new", "checking", "handshaking", "connected", "failed"};

/* allowed[from]: the states `from` may move to (the diagram in client.h). */
static const unsigned allowed[] = {
    [CLIENT_NEW] = 1u << CLIENT_CHECKING | 1u << CLIENT_FAILED,
    [CLIENT_CHECKING] = 1u << CLIENT_HANDSHAKING | 1u << CLIENT_FAILED,
    [CLIENT_HANDSHAKING] = 1u << CLIENT_CONNECTED | 1u << CLIENT_FAILED,
    [CLIENT_CONNECTED] = 1u << CLIENT_FAILED,
    [CLIENT_FAILED] = 0,
};

const char *client_state_name(enum client_state s)
{
	return (unsigned)s <= CLIENT_FAILED ? state_names[s] : "unknown";
}

const char *client_strerror(enum client_err err)
{
	static const char *const names[] = {
	    [CLIENT_OK] = "ok",
	    [CLIENT_ERR_PARAM] = "invalid argument",
	    [CLIENT_ERR_NOMEM] = "out of memory",
	    [CLIENT_ERR_SYSTEM] = "the UDP socket failed",
	    [CLIENT_ERR_CRYPTO] = "cryptography failed",
	    [CLIENT_ERR_ANSWER] = "the answer is unusable",
	    [CLIENT_ERR_STATE] = "not possible in this state",
	    [CLIENT_ERR_SPACE] = "buffer too small",
	    [CLIENT_ERR_SEND] = "the datagram was not sent",
	};
	return (unsigned)err <= CLIENT_ERR_SEND ? names[err] : "unknown client error";
}

static void set_state(struct client *c, enum client_state to)
{
	if (c->state == to || (allowed[c->state] & (1u << to)) == 0)
		return;
	c->state = to;
}

static bool random_bytes(void *p, size_t n)
{
	return RAND_bytes(p, (int)n) == 1;
}

static enum client_err open_socket(struct client *c, const char *bind_ip)
{
	if (!udp_parse_ip(bind_ip ? bind_ip : "127.0.0.1", &c->local))
		return CLIENT_ERR_PARAM;
	if (udp_open(&c->local, &c->fd) != 0)
		return CLIENT_ERR_SYSTEM;
	c->family = c->local.family == STUN_IPV6 ? AF_INET6 : AF_INET;
	return CLIENT_OK;
}

enum client_err client_create(const struct client_options *opt, struct client **out)
{
	if (opt == NULL || out == NULL || opt->dtls == NULL || opt->audio_level_id > 14)
		return CLIENT_ERR_PARAM;
	struct client *c = calloc(1, sizeof *c);
	if (c == NULL)
		return CLIENT_ERR_NOMEM;
	c->fd = -1;
	c->ctx = opt->dtls;
	c->send = opt->send;
	c->tcp = opt->tcp;
	c->audio_level_id = opt->audio_level_id ? opt->audio_level_id : 1;
	enum client_err err = open_socket(c, opt->bind_ip);
	if (err == CLIENT_OK &&
	    (!ice_make_credentials(c->ufrag, c->pwd) || !random_bytes(&c->ssrc, sizeof c->ssrc) ||
	     !random_bytes(&c->seq, sizeof c->seq) ||
	     !random_bytes(&c->tie_breaker, sizeof c->tie_breaker) ||
	     media_srtp_global_init() != MEDIA_SRTP_OK))
		err = CLIENT_ERR_CRYPTO;
	if (err != CLIENT_OK) {
		client_destroy(c);
		return err;
	}
	memcpy(c->cname, c->ufrag, sizeof c->cname);
	*out = c;
	return CLIENT_OK;
}

void client_destroy(struct client *c)
{
	if (c == NULL)
		return;
	dtls_session_destroy(c->dtls);
	media_srtp_destroy(c->srtp);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

int client_fd(const struct client *c)
{
	return c->fd;
}

enum client_state client_state(const struct client *c)
{
	return c->state;
}

void client_on_audio(struct client *c, client_audio_fn fn, void *ctx)
{
	c->on_audio = fn;
	c->on_audio_ctx = ctx;
}

void client_stats(const struct client *c, struct client_stats *out)
{
	*out = c->stats;
	out->profile = c->srtp ? media_srtp_profile(c->srtp) : DTLS_SRTP_NONE;
}

size_t client_last_sent(const struct client *c, uint8_t *buf, size_t cap)
{
	if (c->last_len == 0 || c->last_len > cap)
		return 0;
	memcpy(buf, c->last, c->last_len);
	return c->last_len;
}

/* --- offer and answer --------------------------------------------------------------- */

enum client_err client_offer(struct client *c, char *buf, size_t cap, size_t *len)
{
	if (c == NULL || buf == NULL || len == NULL)
		return CLIENT_ERR_PARAM;
	int n =
	    snprintf(buf, cap,
		     "v=0\r\no=- %u 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
		     "m=audio 9 UDP/TLS/RTP/SAVPF %u\r\nc=IN IP4 0.0.0.0\r\n"
		     "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\na=fingerprint:%s\r\na=setup:actpass\r\n"
		     "a=mid:0\r\na=extmap:%u %s\r\na=%s\r\na=rtcp-mux\r\n"
		     "a=rtpmap:%u opus/48000/2\r\na=fmtp:%u minptime=10;useinbandfec=1\r\n"
		     "a=ssrc:%u cname:%s\r\n",
		     c->ssrc, CLIENT_OPUS_PT, c->ufrag, c->pwd, dtls_context_fingerprint(c->ctx),
		     c->audio_level_id, AUDIO_LEVEL_URI, c->send ? "sendrecv" : "recvonly",
		     CLIENT_OPUS_PT, CLIENT_OPUS_PT, c->ssrc, c->cname);
	if (n < 0 || (size_t)n >= cap)
		return CLIENT_ERR_SPACE;
	*len = (size_t)n;
	return CLIENT_OK;
}

/* The first UDP host candidate of the answer (ours lists the best first), or with tcp the
 * first ICE-TCP passive one. */
static bool find_candidate_of(const char *sdp, size_t len, bool tcp, struct stun_addr *out)
{
	const char *p = sdp, *end = sdp + len;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t n = eol ? (size_t)(eol - p) : (size_t)(end - p);
		char line[256], foundation[33], transport[8], ip[64], type[16];
		unsigned component, priority, port;
		if (n < sizeof line && strncmp(p, "a=candidate:", 12) == 0) {
			memcpy(line, p, n);
			line[n] = '\0';
			if (sscanf(line, "a=candidate:%32s %u %7s %u %63s %u typ %15s", foundation,
				   &component, transport, &priority, ip, &port, type) == 7 &&
			    component == 1 && strcasecmp(transport, tcp ? "tcp" : "udp") == 0 &&
			    (!tcp || strstr(line, " tcptype passive") != NULL) &&
			    strncmp(type, "host", 4) == 0 && port > 0 && port < 65536 &&
			    udp_parse_ip(ip, out)) {
				out->port = (uint16_t)port;
				return true;
			}
		}
		p += n + 1;
	}
	return false;
}

static bool find_candidate(const char *sdp, size_t len, struct stun_addr *out)
{
	return find_candidate_of(sdp, len, false, out);
}

/* ICE-TCP: the connection to the server's passive candidate replaces the UDP socket.
 * Writes block (a test's few packets never fill the buffer); reads do not. */
static enum client_err connect_tcp(struct client *c)
{
	int fd = socket(c->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return CLIENT_ERR_SYSTEM;
	int on = 1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
	struct sockaddr_storage ss;
	socklen_t sl = udp_to_sockaddr(&c->server, c->family, &ss);
	if (sl == 0 || connect(fd, (struct sockaddr *)&ss, sl) != 0) {
		close(fd);
		return CLIENT_ERR_SYSTEM;
	}
	close(c->fd);
	c->fd = fd;
	return CLIENT_OK;
}

/* The remote description's credentials, fingerprint, payload type and audio-level id, and
 * a DTLS session in our role. */
static enum client_err take_remote(struct client *c, const struct sdp_offer *a)
{
	const struct sdp_media *m = &a->media[a->audio];
	if (m->fingerprint.len > DTLS_FINGERPRINT_MAX ||
	    strcmp(m->fingerprint.algo, "sha-256") != 0)
		return CLIENT_ERR_ANSWER;
	c->remote_fp.hash = DTLS_HASH_SHA256;
	c->remote_fp.len = m->fingerprint.len;
	memcpy(c->remote_fp.digest, m->fingerprint.digest, m->fingerprint.len);
	snprintf(c->remote_ufrag, sizeof c->remote_ufrag, "%s", m->ice_ufrag);
	snprintf(c->remote_pwd, sizeof c->remote_pwd, "%s", m->ice_pwd);
	snprintf(c->username, sizeof c->username, "%s:%s", m->ice_ufrag, c->ufrag);
	c->opus_pt = (uint8_t)m->opus_pt;
	c->audio_level_id = m->audio_level_id <= 14 ? m->audio_level_id : 0;
	struct dtls_session_config dc = {.role = c->dtls_role,
					 .remote_fingerprint = &c->remote_fp,
					 .rto_initial_ms = CLIENT_DTLS_RTO_MS};
	return dtls_session_create(c->ctx, &dc, &c->dtls) == DTLS_OK ? CLIENT_OK
								     : CLIENT_ERR_CRYPTO;
}

/* NEW -> CHECKING: the first check is due at once (if we know where to send it). */
static void start_checks(struct client *c, uint64_t now_ms)
{
	c->next_check_ms = now_ms;
	c->check_deadline_ms = now_ms + CLIENT_CHECK_TIMEOUT_MS;
	set_state(c, CLIENT_CHECKING);
}

enum client_err client_answer(struct client *c, const char *sdp, size_t len, uint64_t now_ms)
{
	if (c == NULL || sdp == NULL)
		return CLIENT_ERR_PARAM;
	if (c->state != CLIENT_NEW)
		return CLIENT_ERR_STATE;
	struct sdp_offer *a = malloc(sizeof *a);
	if (a == NULL)
		return CLIENT_ERR_NOMEM;
	enum client_err err = CLIENT_ERR_ANSWER;
	if (sdp_parse(sdp, len, a) == SDP_OK && find_candidate_of(sdp, len, c->tcp, &c->server)) {
		/* RFC 5763 sect. 5: the answerer picked; active leaves us the server. */
		bool active = a->media[a->audio].setup == SDP_SETUP_ACTIVE;
		c->dtls_role = active ? DTLS_ROLE_SERVER : DTLS_ROLE_CLIENT;
		c->role = STUN_ROLE_CONTROLLING;
		err = take_remote(c, a);
	}
	free(a);
	if (err == CLIENT_OK && c->tcp)
		err = connect_tcp(c);
	if (err != CLIENT_OK)
		return err;
	c->have_server = true;
	start_checks(c, now_ms);
	return CLIENT_OK;
}

enum client_err client_local_candidate(const struct client *c, char *buf, size_t cap)
{
	if (c == NULL || buf == NULL)
		return CLIENT_ERR_PARAM;
	char ip[64];
	udp_format_ip(&c->local, ip, sizeof ip);
	int n = snprintf(buf, cap, "candidate:1 1 udp %u %s %u typ host", HOST_PRIORITY, ip,
			 (unsigned)c->local.port);
	return n < 0 || (size_t)n >= cap ? CLIENT_ERR_SPACE : CLIENT_OK;
}

/* What we answer to the offer's direction (RFC 8829 sect. 5.3.1). */
static const char *answer_direction(const struct client *c, const struct sdp_media *m)
{
	enum sdp_direction d = m->has_direction ? m->direction : SDP_SENDRECV;
	if (d == SDP_SENDONLY)
		return "recvonly";
	if (d == SDP_SENDRECV)
		return c->send ? "sendrecv" : "recvonly";
	if (d == SDP_RECVONLY && c->send)
		return "sendonly";
	return "inactive";
}

static enum client_err write_answer(const struct client *c, const struct sdp_media *m, char *buf,
				    size_t cap, size_t *len)
{
	char cand[128], group[SDP_MAX_MID + 32] = "", mid[SDP_MAX_MID + 16] = "", extmap[96] = "";
	if (client_local_candidate(c, cand, sizeof cand) != CLIENT_OK)
		return CLIENT_ERR_SPACE;
	if (m->mid[0]) {
		snprintf(group, sizeof group, "a=group:BUNDLE %s\r\n", m->mid);
		snprintf(mid, sizeof mid, "a=mid:%s\r\n", m->mid);
	}
	if (c->audio_level_id)
		snprintf(extmap, sizeof extmap, "a=extmap:%u %s\r\n", c->audio_level_id,
			 AUDIO_LEVEL_URI);
	int n = snprintf(
	    buf, cap,
	    "v=0\r\no=- %u 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n%s"
	    "m=audio 9 UDP/TLS/RTP/SAVPF %u\r\nc=IN IP4 0.0.0.0\r\n"
	    "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\na=fingerprint:%s\r\na=setup:active\r\n%s%s"
	    "a=%s\r\na=rtcp-mux\r\na=rtpmap:%u opus/48000/2\r\n"
	    "a=fmtp:%u minptime=10;useinbandfec=1\r\na=ssrc:%u cname:%s\r\n"
	    "a=%s\r\na=end-of-candidates\r\n",
	    c->ssrc, group, c->opus_pt, c->ufrag, c->pwd, dtls_context_fingerprint(c->ctx), mid,
	    extmap, answer_direction(c, m), c->opus_pt, c->opus_pt, c->ssrc, c->cname, cand);
	if (n < 0 || (size_t)n >= cap)
		return CLIENT_ERR_SPACE;
	*len = (size_t)n;
	return CLIENT_OK;
}

/* The offer's parts we use: an actpass or passive offerer makes us the DTLS client. */
static enum client_err take_offer(struct client *c, const char *sdp, size_t len,
				  const struct sdp_offer *o)
{
	const struct sdp_media *m = &o->media[o->audio];
	if (m->setup != SDP_SETUP_ACTPASS && m->setup != SDP_SETUP_PASSIVE)
		return CLIENT_ERR_ANSWER;
	c->dtls_role = DTLS_ROLE_CLIENT;
	/* RFC 8445 sect. 6.1.1: a full agent facing a lite one controls, even as answerer. */
	c->role = o->ice_lite ? STUN_ROLE_CONTROLLING : STUN_ROLE_CONTROLLED;
	c->have_server = find_candidate(sdp, len, &c->server);
	return take_remote(c, o);
}

enum client_err client_accept_offer(struct client *c, const char *sdp, size_t len, char *answer,
				    size_t cap, size_t *answer_len, uint64_t now_ms)
{
	if (c == NULL || sdp == NULL || answer == NULL || answer_len == NULL)
		return CLIENT_ERR_PARAM;
	if (c->state != CLIENT_NEW)
		return CLIENT_ERR_STATE;
	struct sdp_offer *o = malloc(sizeof *o);
	if (o == NULL)
		return CLIENT_ERR_NOMEM;
	enum client_err err = CLIENT_ERR_ANSWER;
	if (sdp_parse(sdp, len, o) == SDP_OK)
		err = take_offer(c, sdp, len, o);
	if (err == CLIENT_OK)
		err = write_answer(c, &o->media[o->audio], answer, cap, answer_len);
	free(o);
	if (err != CLIENT_OK) {
		dtls_session_destroy(c->dtls);
		c->dtls = NULL;
		c->have_server = false;
		return err;
	}
	start_checks(c, now_ms);
	return CLIENT_OK;
}

/* --- sending ------------------------------------------------------------------------ */

static bool send_framed(struct client *c, const uint8_t *buf, size_t len)
{
	uint8_t hdr[RFC4571_HEADER];
	if (rfc4571_put_header(hdr, len) != RFC4571_OK)
		return false;
	struct iovec iov[2] = {{hdr, sizeof hdr}, {(void *)buf, len}};
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};
	size_t left = sizeof hdr + len;
	while (left > 0) {
		ssize_t n = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		left -= (size_t)n;
		while (n > 0 && mh.msg_iovlen > 0) { /* a short write: skip what went out */
			size_t k =
			    (size_t)n < mh.msg_iov[0].iov_len ? (size_t)n : mh.msg_iov[0].iov_len;
			mh.msg_iov[0].iov_base = (uint8_t *)mh.msg_iov[0].iov_base + k;
			mh.msg_iov[0].iov_len -= k;
			n -= (ssize_t)k;
			if (mh.msg_iov[0].iov_len == 0) {
				mh.msg_iov++;
				mh.msg_iovlen--;
			}
		}
	}
	return true;
}

static bool send_to_server(struct client *c, const uint8_t *buf, size_t len)
{
	if (c->tcp)
		return send_framed(c, buf, len);
	return udp_send(c->fd, c->family, &c->server, buf, len);
}

static void send_check(struct client *c)
{
	if (!random_bytes(c->tid, sizeof c->tid))
		return;
	struct stun_binding_request req = {.username = c->username,
					   .priority = CHECK_PRIORITY,
					   .role = c->role,
					   .tie_breaker = c->tie_breaker,
					   .use_candidate = c->role == STUN_ROLE_CONTROLLING,
					   .key = (const uint8_t *)c->remote_pwd,
					   .key_len = strlen(c->remote_pwd)};
	memcpy(req.tid, c->tid, sizeof req.tid);
	size_t len;
	if (stun_build_binding_request(c->tx, sizeof c->tx, &req, &len) == STUN_OK &&
	    send_to_server(c, c->tx, len))
		c->stats.stun_requests++;
}

static void flush_dtls(struct client *c)
{
	size_t len;
	while (c->dtls && dtls_session_take(c->dtls, c->tx, sizeof c->tx, &len) == DTLS_OK &&
	       len > 0)
		(void)send_to_server(c, c->tx, len);
}

enum client_err client_send_raw(struct client *c, const uint8_t *buf, size_t len)
{
	if (c == NULL || buf == NULL)
		return CLIENT_ERR_PARAM;
	if (c->state == CLIENT_NEW || !c->have_server)
		return CLIENT_ERR_STATE;
	return send_to_server(c, buf, len) ? CLIENT_OK : CLIENT_ERR_SEND;
}

enum client_err client_send_audio(struct client *c, const uint8_t *payload, size_t len,
				  uint32_t timestamp, uint8_t level, bool voice)
{
	if (c == NULL || (payload == NULL && len))
		return CLIENT_ERR_PARAM;
	if (c->state != CLIENT_CONNECTED || !c->send)
		return CLIENT_ERR_STATE;
	if (len > MAX_PAYLOAD || level > 127)
		return CLIENT_ERR_SPACE;
	struct rtp_build b = {.payload_type = c->opus_pt,
			      .seq = c->seq++,
			      .timestamp = timestamp,
			      .ssrc = c->ssrc,
			      .audio_level_id = c->audio_level_id,
			      .voice = voice,
			      .level = level};
	size_t hl, out;
	if (rtp_build_header(c->tx, sizeof c->tx, &b, &hl) != RTP_OK)
		return CLIENT_ERR_SPACE;
	if (len)
		memcpy(c->tx + hl, payload, len);
	if (media_srtp_protect_rtp(c->srtp, c->tx, hl + len, sizeof c->tx, &out) != MEDIA_SRTP_OK)
		return CLIENT_ERR_CRYPTO;
	memcpy(c->last, c->tx, out);
	c->last_len = out;
	if (!send_to_server(c, c->tx, out))
		return CLIENT_ERR_SEND;
	c->stats.rtp_sent++;
	return CLIENT_OK;
}

/* --- receiving ---------------------------------------------------------------------- */

/* HANDSHAKING -> CONNECTED once ICE and DTLS are both done, whichever finished last. */
static void key_srtp_when_done(struct client *c)
{
	if (c->state != CLIENT_HANDSHAKING || dtls_session_state(c->dtls) != DTLS_STATE_CONNECTED)
		return;
	struct dtls_srtp_keys keys;
	bool ok = dtls_session_srtp_keys(c->dtls, &keys) == DTLS_OK &&
		  media_srtp_create(&keys, &c->srtp) == MEDIA_SRTP_OK;
	memset(&keys, 0, sizeof keys);
	set_state(c, ok ? CLIENT_CONNECTED : CLIENT_FAILED);
}

/* The DTLS client speaks first once the pair is selected: at once when we nominate it,
 * else when the controlling peer has (RFC 8445 sect. 8.1.1). A full agent such as Janus
 * drops DTLS that comes before it selected a pair, and a ClientHello lost that way costs a
 * whole retransmission timeout (1 s). */
static void start_dtls_when_selected(struct client *c, uint64_t now_ms)
{
	if (c->state != CLIENT_HANDSHAKING || c->dtls_role != DTLS_ROLE_CLIENT || c->dtls_started ||
	    (c->role == STUN_ROLE_CONTROLLED && !c->nominated))
		return;
	c->dtls_started = true;
	if (dtls_session_start(c->dtls, now_ms) != DTLS_OK)
		set_state(c, CLIENT_FAILED);
	flush_dtls(c);
}

/* The answer to our own check: the pair works, so DTLS may begin (the server side waits
 * for the peer's ClientHello, or has already had it). */
static void on_check_response(struct client *c, const uint8_t *buf, size_t len,
			      const struct stun_msg *msg, uint64_t now_ms)
{
	if (memcmp(msg->tid, c->tid, sizeof c->tid) != 0 ||
	    stun_check_integrity(buf, len, msg, (const uint8_t *)c->remote_pwd,
				 strlen(c->remote_pwd)) != STUN_OK)
		return;
	c->stats.stun_responses++;
	if (c->state != CLIENT_CHECKING)
		return;
	set_state(c, CLIENT_HANDSHAKING);
	c->next_check_ms = now_ms + CLIENT_CONSENT_MS;
	start_dtls_when_selected(c, now_ms);
	key_srtp_when_done(c);
}

/* USERNAME "our-ufrag:their-ufrag" (RFC 8445 sect. 7.2.2). */
static bool check_is_for_us(const struct client *c, const struct stun_msg *msg)
{
	const uint8_t *ours, *theirs;
	size_t ours_len, theirs_len;
	return stun_username_split(msg, &ours, &ours_len, &theirs, &theirs_len) &&
	       ours_len == strlen(c->ufrag) && memcmp(ours, c->ufrag, ours_len) == 0 &&
	       theirs_len == strlen(c->remote_ufrag) &&
	       memcmp(theirs, c->remote_ufrag, theirs_len) == 0;
}

/* A full agent's check (RFC 8445 sect. 7.3): answered with its source as
 * XOR-MAPPED-ADDRESS under our password. Without a candidate from the offer, the first
 * one that authenticates tells us where the peer is (a peer-reflexive candidate), and our
 * own checks start towards it. */
static void on_check(struct client *c, const uint8_t *buf, size_t len, const struct stun_msg *msg,
		     const struct stun_addr *from, uint64_t now_ms)
{
	if (c->state == CLIENT_NEW || c->state == CLIENT_FAILED || !check_is_for_us(c, msg) ||
	    stun_check_integrity(buf, len, msg, (const uint8_t *)c->pwd, strlen(c->pwd)) != STUN_OK)
		return;
	size_t n;
	if (stun_build_binding_success(c->tx, sizeof c->tx, msg->tid, from, (const uint8_t *)c->pwd,
				       strlen(c->pwd), &n) != STUN_OK ||
	    !udp_send(c->fd, c->family, from, c->tx, n))
		return;
	c->stats.stun_answered++;
	if (!c->have_server) {
		c->server = *from;
		c->have_server = true;
		c->next_check_ms = now_ms;
	}
	if (msg->use_candidate && c->role == STUN_ROLE_CONTROLLED) {
		c->nominated = true;
		start_dtls_when_selected(c, now_ms);
	}
}

static void on_stun(struct client *c, const uint8_t *buf, size_t len, const struct stun_addr *from,
		    uint64_t now_ms)
{
	struct stun_msg msg;
	if (stun_parse(buf, len, &msg) != STUN_OK ||
	    stun_check_fingerprint(buf, len, &msg) != STUN_OK)
		return;
	if (msg.type == STUN_BINDING_REQUEST)
		on_check(c, buf, len, &msg, from, now_ms);
	else if (msg.type == STUN_BINDING_SUCCESS && c->have_server)
		on_check_response(c, buf, len, &msg, now_ms);
}

static void on_dtls(struct client *c, const uint8_t *buf, size_t len, uint64_t now_ms)
{
	/* A DTLS server may hear the ClientHello before the answer to its own check. */
	bool early = c->state == CLIENT_CHECKING && c->dtls_role == DTLS_ROLE_SERVER;
	if (c->dtls == NULL || (c->state < CLIENT_HANDSHAKING && !early))
		return;
	enum dtls_err err = dtls_session_feed(c->dtls, buf, len, now_ms);
	flush_dtls(c);
	if (err != DTLS_OK && err != DTLS_ERR_MALFORMED && err != DTLS_ERR_NOT_DTLS) {
		set_state(c, CLIENT_FAILED);
		return;
	}
	key_srtp_when_done(c);
}

static void on_srtp(struct client *c, enum demux_kind kind, uint8_t *buf, size_t len)
{
	size_t plain;
	if (c->srtp == NULL)
		return;
	if (kind == DEMUX_RTCP) {
		if (media_srtp_unprotect_rtcp(c->srtp, buf, len, &plain) == MEDIA_SRTP_OK)
			c->stats.rtcp_received++;
		else
			c->stats.srtp_errors++;
		return;
	}
	struct rtp_header h;
	if (media_srtp_unprotect_rtp(c->srtp, buf, len, &plain) != MEDIA_SRTP_OK) {
		c->stats.srtp_errors++;
		return;
	}
	c->stats.rtp_received++;
	if (rtp_parse(buf, plain, &h) != RTP_OK)
		return;
	c->stats.remote_ssrc = h.ssrc;
	if (c->on_audio)
		c->on_audio(c->on_audio_ctx, &h);
}

static void on_datagram(struct client *c, uint8_t *buf, size_t len, const struct stun_addr *from,
			uint64_t now_ms)
{
	switch (demux_classify(buf, len)) {
	case DEMUX_STUN:
		on_stun(c, buf, len, from, now_ms);
		break;
	case DEMUX_DTLS:
		on_dtls(c, buf, len, now_ms);
		break;
	case DEMUX_RTP:
		on_srtp(c, DEMUX_RTP, buf, len);
		break;
	case DEMUX_RTCP:
		on_srtp(c, DEMUX_RTCP, buf, len);
		break;
	case DEMUX_UNKNOWN:
		break;
	}
}

void client_receive(struct client *c, uint8_t *buf, size_t len, const struct sockaddr_storage *from,
		    uint64_t now_ms)
{
	struct stun_addr src;
	if (c == NULL || buf == NULL || from == NULL || c->state == CLIENT_NEW ||
	    !udp_from_sockaddr(from, &src))
		return;
	/* Until a check tells us where the peer is, only STUN can be from it. */
	if (c->have_server ? !ice_addr_equal(&src, &c->server)
			   : demux_classify(buf, len) != DEMUX_STUN)
		return;
	on_datagram(c, buf, len, &src, now_ms);
}

/* ICE-TCP: every whole frame of the stream, as if it were a datagram from the server. */
static void input_stream(struct client *c, uint64_t now_ms)
{
	for (;;) {
		ssize_t n = recv(c->fd, c->st + c->st_len, sizeof c->st - c->st_len, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
			set_state(c, CLIENT_FAILED); /* the server closed the connection */
			return;
		}
		if (n < 0)
			return;
		c->st_len += (size_t)n;
		size_t pos = 0, len, used;
		enum rfc4571_err err;
		while ((err = rfc4571_split(c->st + pos, c->st_len - pos, 0, &len, &used)) ==
		       RFC4571_OK) {
			on_datagram(c, c->st + pos + RFC4571_HEADER, len, &c->server, now_ms);
			pos += used;
		}
		if (err != RFC4571_EPARTIAL) {
			set_state(c, CLIENT_FAILED);
			return;
		}
		memmove(c->st, c->st + pos, c->st_len - pos);
		c->st_len -= pos;
	}
}

void client_input(struct client *c, uint64_t now_ms)
{
	if (c->tcp) {
		input_stream(c, now_ms);
		return;
	}
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		ssize_t n =
		    recvfrom(c->fd, c->rx, sizeof c->rx, MSG_DONTWAIT, (struct sockaddr *)&ss, &sl);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return;
		client_receive(c, c->rx, (size_t)n, &ss, now_ms);
	}
}

void client_tick(struct client *c, uint64_t now_ms)
{
	if (c->state == CLIENT_NEW || c->state == CLIENT_FAILED)
		return;
	if (c->state == CLIENT_CHECKING && now_ms >= c->check_deadline_ms) {
		set_state(c, CLIENT_FAILED);
		return;
	}
	if (c->have_server && now_ms >= c->next_check_ms) {
		send_check(c);
		c->next_check_ms = now_ms + (c->state == CLIENT_CHECKING ? CLIENT_CHECK_INTERVAL_MS
									 : CLIENT_CONSENT_MS);
	}
	if (c->state == CLIENT_HANDSHAKING && now_ms >= dtls_session_next_timeout(c->dtls)) {
		if (dtls_session_handle_timeout(c->dtls, now_ms) != DTLS_OK)
			set_state(c, CLIENT_FAILED);
		flush_dtls(c);
	}
}

uint64_t client_next_timeout(const struct client *c)
{
	if (c->state == CLIENT_NEW || c->state == CLIENT_FAILED)
		return UINT64_MAX;
	uint64_t t = c->have_server ? c->next_check_ms : c->check_deadline_ms;
	if (c->state == CLIENT_HANDSHAKING) {
		uint64_t d = dtls_session_next_timeout(c->dtls);
		if (d < t)
			t = d;
	}
	return t;
}
