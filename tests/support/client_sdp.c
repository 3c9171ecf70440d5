/*
 * client_sdp -- the client's offer and answer, and the answer it gives when it is offered
 * to: the remote description's credentials, fingerprint and first host candidate, and the
 * roles that follow from who offered (client.c's top comment).
 */
#include "support/client_internal.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "media/net/udp.h"

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
	client_start_checks(c, now_ms);
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
	client_start_checks(c, now_ms);
	return CLIENT_OK;
}
