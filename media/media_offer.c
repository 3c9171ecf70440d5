/*
 * media_offer -- answering a browser's offer and the commands that follow on its peer.
 *
 * Answering an offer does everything that can fail for a reason the browser should hear
 * about before anything is allocated: parse, permission, build the answer. Only then are
 * the handle and the peer (with its DTLS session) made and posted; a full command ring is
 * `unavailable`, never a wait. Closing waits for ring space instead (a close must not be
 * lost, and the worker drains its ring every loop turn).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "media/media_internal.h"

#define CMD_RESERVE 256 /* ring slots kept free for CLOSE and MIC, which must not fail */
#define MSID	    "plenary floor"

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

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
		return media_fail(why, why_cap, MEDIA_ERR_SDP, "SDP: %s", sdp_strerror(err));
	if (err != SDP_OK) /* the caller's buffer, or one of our own parameters */
		return media_fail(why, why_cap, MEDIA_ERR_PARAM, "cannot build the SDP answer: %s",
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
		return media_fail(why, why_cap, MEDIA_ERR_FORBIDDEN, "%s",
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
		return media_fail(why, why_cap, MEDIA_ERR_PARAM, "%s", "invalid argument");
	enum media_err err = check_offer(m, o, why, why_cap);
	if (err != MEDIA_OK)
		return err;
	media_rotate_certificate(m); /* the answer and the peer's session name the same one */
	struct offer_plan plan;
	if (!make_plan(m, o->room, &plan))
		return media_fail(why, why_cap, MEDIA_ERR_NOMEM, "%s",
				  "out of memory or random numbers");
	if (!fingerprint_of(&m->offer.media[m->offer.audio].fingerprint, &plan.fingerprint))
		return media_fail(why, why_cap, MEDIA_ERR_SDP, "SDP: %s", "unusable a=fingerprint");
	err = write_answer(m, &plan, answer, cap, answer_len, why, why_cap);
	if (err != MEDIA_OK)
		return err;
	struct worker *w = m->workers[plan.worker];
	if (ring_space(&w->cmds) <= CMD_RESERVE)
		return media_fail(why, why_cap, MEDIA_ERR_BUSY, "%s", "the media worker is busy");
	struct media_peer *h;
	err = make_peer(m, o, &plan, &h);
	if (err != MEDIA_OK)
		return media_fail(why, why_cap, err, "cannot make the peer: %s",
				  media_strerror(err));
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
