/*
 * Per-address limits: a fixed table, open addressing over a short run, eviction of the
 * least recently seen address without open connections (limits.h).
 */
#include "gateway/http_limits.h"

#include <math.h>
#include <string.h>

void gw_hlim_init(struct gw_hlim *l, int rate, int burst, int max_conns)
{
	memset(l, 0, sizeof *l);
	l->rate = rate > 0 ? rate : 0;
	l->burst = burst > 0 ? burst : 1;
	l->max_conns = max_conns > 0 ? (uint32_t)max_conns : 0;
}

void gw_hlim_addr_from_ip(struct gw_hlim_addr *a, const struct gw_ip *ip)
{
	static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	memcpy(a->b, ip->b, 16);
	if (memcmp(a->b, v4mapped, 12) != 0)
		memset(a->b + 8, 0, 8); /* one host's /64 */
}

static uint32_t hash(const struct gw_hlim_addr *a)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (size_t i = 0; i < sizeof a->b; i++)
		h = (h ^ a->b[i]) * 16777619u;
	return h;
}

/* The address's slot, taken if need be; -1 when its run is all open connections. */
static int slot_of(struct gw_hlim *l, const struct gw_hlim_addr *a, int64_t now_ms)
{
	uint32_t start = hash(a) % GW_HLIM_SLOTS;
	int victim = -1;
	for (uint32_t k = 0; k < GW_HLIM_PROBE; k++) {
		int i = (int)((start + k) % GW_HLIM_SLOTS);
		struct gw_hlim_slot *s = &l->slots[i];
		if (s->used && memcmp(&s->addr, a, sizeof *a) == 0)
			return i;
		if (!s->used) {
			if (victim < 0 || l->slots[victim].used)
				victim = i;
		} else if (s->conns == 0 &&
			   (victim < 0 ||
			    (l->slots[victim].used && s->seen_ms < l->slots[victim].seen_ms))) {
			victim = i;
		}
	}
	if (victim >= 0) {
		struct gw_hlim_slot *s = &l->slots[victim];
		memset(s, 0, sizeof *s);
		s->used = true;
		s->addr = *a;
		s->tokens = l->burst;
		s->seen_ms = now_ms;
	}
	return victim;
}

int gw_hlim_conn_open(struct gw_hlim *l, const struct gw_hlim_addr *a, int64_t now_ms, bool *refuse)
{
	*refuse = false;
	int i = slot_of(l, a, now_ms);
	if (i < 0)
		return GW_HLIM_UNTRACKED;
	struct gw_hlim_slot *s = &l->slots[i];
	if (l->max_conns && s->conns >= l->max_conns) {
		*refuse = true;
		return GW_HLIM_UNTRACKED;
	}
	s->conns++;
	return i;
}

void gw_hlim_conn_close(struct gw_hlim *l, int slot)
{
	if (slot >= 0 && slot < GW_HLIM_SLOTS && l->slots[slot].conns > 0)
		l->slots[slot].conns--;
}

int gw_hlim_request(struct gw_hlim *l, const struct gw_hlim_addr *a, int64_t now_ms)
{
	if (l->rate <= 0)
		return 0;
	int i = slot_of(l, a, now_ms);
	if (i < 0)
		return 0;
	struct gw_hlim_slot *s = &l->slots[i];
	if (now_ms > s->seen_ms)
		s->tokens += l->rate * (double)(now_ms - s->seen_ms) / 1000.0;
	if (s->tokens > l->burst)
		s->tokens = l->burst;
	s->seen_ms = now_ms > s->seen_ms ? now_ms : s->seen_ms;
	if (s->tokens >= 1.0) {
		s->tokens -= 1.0;
		return 0;
	}
	int wait = (int)ceil((1.0 - s->tokens) / l->rate);
	return wait < 1 ? 1 : wait;
}
