/*
 * Voice activity, closed-mic attempts and the forward-or-mix choice; see talk.h.
 */
#include "media/mix/talk.h"

static bool is_voice(const struct talk_packet *p, uint8_t threshold)
{
	if (p->payload_len <= TALK_DTX_BYTES)
		return false;
	return !p->has_level || p->level <= threshold;
}

void talk_voice_init(struct talk_voice *v)
{
	*v = (struct talk_voice){0};
}

void talk_voice_packet(struct talk_voice *v, const struct talk_packet *p)
{
	if (!is_voice(p, TALK_VOICE_LEVEL))
		return;
	v->last_voice_us = p->now_us;
	v->heard = true;
}

bool talk_voice_active(const struct talk_voice *v, int64_t now_us)
{
	return v->heard && now_us - v->last_voice_us < TALK_HANGOVER_US;
}

void talk_attempt_init(struct talk_attempt *a)
{
	*a = (struct talk_attempt){0};
}

void talk_attempt_reset(struct talk_attempt *a)
{
	a->loud = false;
}

bool talk_attempt_packet(struct talk_attempt *a, const struct talk_packet *p)
{
	/* Without a level there is no telling a voice from a fan: no attempts. */
	if (!p->has_level || !is_voice(p, TALK_ATTEMPT_LEVEL)) {
		if (a->loud && p->now_us - a->last_loud_us >= TALK_ATTEMPT_GAP_US)
			a->loud = false;
		return false;
	}
	if (!a->loud || p->now_us - a->last_loud_us >= TALK_ATTEMPT_GAP_US) {
		a->loud = true;
		a->since_us = p->now_us;
	}
	a->last_loud_us = p->now_us;
	if (p->now_us - a->since_us < TALK_ATTEMPT_HOLD_US)
		return false;
	if (a->reported_any && p->now_us - a->reported_us < TALK_ATTEMPT_EVERY_US)
		return false;
	a->reported_any = true;
	a->reported_us = p->now_us;
	return true;
}

/* The only active mic other than skip, or -1 (none, or more than one). */
static int sole_active(const struct talk_mic *mics, size_t n, int skip, size_t *count)
{
	int found = -1;
	*count = 0;
	for (size_t i = 0; i < n; i++) {
		if ((int)i == skip || !mics[i].active)
			continue;
		(*count)++;
		found = (int)i;
	}
	return *count == 1 ? found : -1;
}

/* Whether m can take over: forwardable, and nobody else has audio still to play. */
static bool can_forward(const struct talk_mic *mics, size_t n, int m)
{
	if (m < 0 || !mics[m].forwardable)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((int)i != m && mics[i].draining)
			return false;
	return true;
}

int talk_choose(const struct talk_mic *mics, size_t n, int current)
{
	if (current >= (int)n)
		current = -1; /* the forwarded mic is gone */
	size_t others;
	if (current >= 0) {
		int other = sole_active(mics, n, current, &others);
		if (others == 0)
			return mics[current].forwardable ? current : -1;
		if (mics[current].active)
			return -1;
		return can_forward(mics, n, other) ? other : -1;
	}
	int only = sole_active(mics, n, -1, &others);
	return can_forward(mics, n, only) ? only : -1;
}
