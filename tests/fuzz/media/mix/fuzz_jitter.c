/* libFuzzer target for media/mix/jitter.c: the input is a script of inserts (sequence number
 * and timestamp moved by signed steps, so wraps, reordering, duplicates, SSRC changes and
 * jumps all come up), pulls and clock steps, run against a small buffer (8 slots) and a
 * default one. After every pull the result must be well formed and the counters and the
 * target within their bounds. */
#include <stddef.h>
#include <stdint.h>

#include "media/mix/jitter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void must(int ok)
{
	if (!ok)
		__builtin_trap();
}

struct script {
	const uint8_t *p, *end;
	uint16_t seq;
	uint32_t ts, ssrc;
	int64_t now;
};

static uint8_t next(struct script *s)
{
	return s->p < s->end ? *s->p++ : 0;
}

static void check_pull(struct jitter *jb, const struct jitter_config *cfg, int64_t now)
{
	struct jitter_out out;
	jitter_pull(jb, now, &out);
	must(out.kind == JITTER_SILENCE || out.kind == JITTER_FRAME || out.kind == JITTER_LOST);
	if (out.kind == JITTER_FRAME || (out.kind == JITTER_LOST && out.fec))
		must(out.payload != NULL && out.len <= JITTER_MAX_PAYLOAD);
	if (out.kind == JITTER_FRAME)
		must(out.dtx == (out.len <= 2));
	if (out.kind == JITTER_SILENCE)
		must(out.payload == NULL);
	struct jitter_stats st;
	jitter_get_stats(jb, &st);
	uint32_t lo = cfg->min_delay_ms ? cfg->min_delay_ms : 20;
	uint32_t hi = cfg->max_delay_ms ? cfg->max_delay_ms : 120;
	must(st.target_ms >= lo && st.target_ms <= hi);
	must(st.played + st.late + st.duplicates <= st.received);
}

static void insert(struct jitter *jb, struct script *s, uint8_t op)
{
	uint8_t payload[64];
	s->seq = (uint16_t)(s->seq + (int8_t)next(s));
	s->ts += (uint32_t)((int8_t)next(s) * 960 + (op & 0x40 ? (int8_t)next(s) : 0));
	if (op & 0x80)
		s->ssrc ^= 1;
	size_t len = next(s) % sizeof payload;
	for (size_t i = 0; i < len; i++)
		payload[i] = (uint8_t)(s->seq + i);
	struct jitter_packet p = {.ssrc = s->ssrc,
				  .seq = s->seq,
				  .timestamp = s->ts,
				  .marker = (op & 0x20) != 0,
				  .payload = payload,
				  .len = len};
	enum jitter_err err = jitter_insert(jb, &p, s->now);
	must(err == JITTER_OK || err == JITTER_EDUPLICATE || err == JITTER_ELATE);
}

static void run(const uint8_t *data, size_t size, const struct jitter_config *cfg)
{
	struct jitter *jb;
	if (jitter_create(cfg, &jb) != JITTER_OK)
		__builtin_trap();
	struct script s = {.p = data, .end = data + size, .seq = 65500, .ts = 0xfffff000u};
	while (s.p < s.end) {
		uint8_t op = next(&s);
		switch (op & 3) {
		case 0:
		case 1:
			insert(jb, &s, op);
			break;
		case 2:
			s.now += 20000;
			check_pull(jb, cfg, s.now);
			break;
		case 3:
			s.now += (int64_t)next(&s) * 1000; /* the network is late */
			break;
		}
	}
	jitter_destroy(jb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jitter_config small = {.slots = 8, .min_delay_ms = 20, .max_delay_ms = 100};
	struct jitter_config dflt = {0};
	run(data, size, &small);
	run(data, size, &dflt);
	return 0;
}
