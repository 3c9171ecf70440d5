/*
 * The room's interpretation channels: their fan-out lists, their one encode per tick, and
 * their sends (channels.h has the picture).
 */
#include "media/mix/channels.h"

#include <stdlib.h>
#include <string.h>

#include "media/mix/room_mixer_internal.h"

static struct mixer_channel *chan_of(struct room_mixer *rm, const struct mixer_member *m)
{
	return rm->channels && m->listen_ch ? &rm->channels->ch[m->listen_ch - 1] : NULL;
}

static bool ensure(struct room_mixer *rm)
{
	if (rm->channels)
		return true;
	rm->channels = calloc(1, sizeof *rm->channels);
	if (!rm->channels)
		return false;
	for (int i = 0; i < MIXER_CHANNEL_LISTS; i++)
		mix_limiter_init(&rm->channels->ch[i].lim);
	return true;
}

bool channels_reserve(struct room_mixer *rm, unsigned ch, size_t more)
{
	if (ch >= MIXER_CHANNEL_LISTS || !ensure(rm))
		return false;
	struct mixer_channel *c = &rm->channels->ch[ch];
	if (ch >= MIXER_CHANNELS && !c->enc && codec_encoder_create(NULL, &c->enc) != MEDIA_OK)
		return false;
	size_t need = c->chosen + more + MIX_MAX_INPUTS;
	if (need <= c->cap_dests)
		return true;
	size_t cap = c->cap_dests ? c->cap_dests * 2 : 32;
	while (cap < need)
		cap *= 2;
	struct fanout_dest *d = realloc(c->dests, cap * sizeof *d);
	if (!d)
		return false;
	c->dests = d;
	struct mixer_member **dm = realloc(c->dest_member, cap * sizeof *dm);
	if (!dm)
		return false;
	c->dest_member = dm;
	c->cap_dests = cap;
	return true;
}

static void member_dest(const struct mixer_member *m, struct fanout_dest *d)
{
	*d = (struct fanout_dest){.srtp = m->srtp,
				  .addr = m->addr,
				  .addr_len = m->addr_len,
				  .payload_type = m->payload_type,
				  .sink = m->sink};
}

void channels_add_dest(struct room_mixer *rm, struct mixer_member *m)
{
	struct mixer_channel *c = chan_of(rm, m);
	if (!c || c->n_dests >= c->cap_dests)
		return; /* reserved before the member chose it: cannot happen */
	m->dest = c->n_dests++;
	member_dest(m, &c->dests[m->dest]);
	c->dest_member[m->dest] = m;
}

void channels_remove_dest(struct room_mixer *rm, struct mixer_member *m)
{
	struct mixer_channel *c = chan_of(rm, m);
	if (!c || c->n_dests == 0)
		return;
	size_t last = --c->n_dests;
	if (m->dest != last) {
		c->dests[m->dest] = c->dests[last];
		c->dest_member[m->dest] = c->dest_member[last];
		c->dest_member[m->dest]->dest = m->dest;
	}
}

static struct mixer_mic *voice_mic(const struct room_mixer *rm, size_t i)
{
	struct mixer_mic *mic = rm->mics[i];
	return mic->member->voice_ch && mic->member->gate ? mic : NULL;
}

bool channels_voiced(const struct room_mixer *rm)
{
	for (size_t i = 0; rm->channels && i < rm->n_mics; i++)
		if (voice_mic(rm, i))
			return true;
	return false;
}

void channels_clear(struct room_mixer *rm)
{
	for (int i = 0; rm->channels && i < MIXER_CHANNEL_LISTS; i++)
		rm->channels->ch[i].has_pkt = rm->channels->ch[i].fresh = false;
}

/* One list's frame from pcm (limited, encoded once); false if the encoder failed. */
static bool encode_list(struct mixer_channel *c, struct mixer_channels *cs,
			const struct mixer_env *env)
{
	mix_limit(&c->lim, cs->acc, cs->pcm, MIX_FRAME);
	bool dtx;
	if (codec_encode(c->enc, cs->pcm, c->payload, sizeof c->payload, &c->len, &dtx) != MEDIA_OK)
		return false; /* its listeners take the public packet this tick */
	atomic_fetch_add_explicit(&env->counters->channel_encoded, 1, memory_order_relaxed);
	c->has_pkt = c->fresh = true;
	c->speaks = !dtx;
	return true;
}

/* The booth's voice over the floor (rm->acc, the tick's floor sum) at -18 dB. */
static void floor_under(struct mixer_channels *cs, const struct mixer_mic *mic,
			const int32_t *floor)
{
	for (size_t i = 0; i < MIX_FRAME; i++)
		cs->acc[i] = (mic->has_pcm ? mic->pcm[i] : 0) +
			     (int32_t)(((int64_t)floor[i] * MIXER_FLOOR_UNDER_Q10) / 1024);
}

bool channels_encode(struct room_mixer *rm, const struct mixer_env *env)
{
	bool any = false;
	channels_clear(rm);
	struct mixer_channels *cs = rm->channels;
	for (size_t i = 0; cs && i < rm->n_mics; i++) {
		struct mixer_mic *mic = voice_mic(rm, i);
		unsigned b = mic ? mic->member->voice_ch - 1u : 0;
		struct mixer_channel *c = mic ? &cs->ch[b] : NULL;
		if (!c || !c->enc || c->has_pkt)
			continue;
		const int16_t *in = mic->pcm;
		mix_sum(cs->acc, &in, mic->has_pcm ? 1 : 0);
		if (encode_list(c, cs, env))
			any |= c->speaks;
		struct mixer_channel *u = &cs->ch[b + MIXER_CHANNELS];
		if (u->chosen == 0 || !u->enc) /* nobody wants the floor under it: no mix */
			continue;
		floor_under(cs, mic, rm->acc);
		if (encode_list(u, cs, env))
			any |= u->speaks;
	}
	return any;
}

/* The open mics (relaying interpreters) listening to channel k join its list for a call. */
static size_t with_open_mics(struct room_mixer *rm, struct mixer_channel *c, unsigned k)
{
	size_t n = c->n_dests;
	for (size_t i = 0; i < rm->n_mics; i++) {
		const struct mixer_member *m = rm->mics[i]->member;
		if (m->gate && m->listening && m->listen_ch == k + 1 && n < c->cap_dests)
			member_dest(m, &c->dests[n++]);
	}
	return n;
}

static void send_to(struct room_mixer *rm, const struct mixer_env *env, struct mixer_channel *c,
		    unsigned k, size_t len)
{
	size_t n = with_open_mics(rm, c, k);
	struct fanout_result res;
	if (n && fanout_send(env->fanout, env->fd, rm->pkt, len, c->dests, n, &res) == MEDIA_OK)
		atomic_fetch_add_explicit(&env->counters->packets_sent, res.sent,
					  memory_order_relaxed);
}

void channels_send(struct room_mixer *rm, const struct mixer_env *env, const struct rtp_build *b)
{
	for (unsigned k = 0; rm->channels && k < MIXER_CHANNEL_LISTS; k++) {
		struct mixer_channel *c = &rm->channels->ch[k];
		if (!c->has_pkt)
			continue;
		size_t len = mixer_build(rm, b, c->payload, c->len);
		if (len)
			send_to(rm, env, c, k, len);
		c->has_pkt = false;
	}
}

void channels_send_public(struct room_mixer *rm, const struct mixer_env *env, size_t len)
{
	for (unsigned k = 0; rm->channels && k < MIXER_CHANNEL_LISTS; k++) {
		struct mixer_channel *c = &rm->channels->ch[k];
		if (!c->has_pkt)
			send_to(rm, env, c, k, len);
	}
}

enum media_err channels_voice_ready(struct room_mixer *rm, unsigned ch)
{
	if (ch >= MIXER_CHANNELS)
		return MEDIA_ERR_PARAM;
	if (!channels_reserve(rm, ch, 0))
		return MEDIA_ERR_NOMEM;
	struct mixer_channel *c = &rm->channels->ch[ch];
	if (!c->enc && codec_encoder_create(NULL, &c->enc) != MEDIA_OK)
		return MEDIA_ERR_CODEC;
	return MEDIA_OK;
}

void channels_free(struct room_mixer *rm)
{
	if (!rm->channels)
		return;
	for (int i = 0; i < MIXER_CHANNEL_LISTS; i++) {
		free(rm->channels->ch[i].dests);
		free(rm->channels->ch[i].dest_member);
		codec_encoder_destroy(rm->channels->ch[i].enc);
	}
	free(rm->channels);
	rm->channels = NULL;
}
