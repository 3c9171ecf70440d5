/* libFuzzer target for media/wire/rfc4571.c: the input is a TCP stream. It is split once
 * as a whole, and once the way a connection reassembles it -- in chunks whose sizes come
 * from the input itself, into a bounded buffer -- and both must give the same frames, in
 * the same order, each within the buffer and the limit, and stop at the same point with
 * the same verdict (a frame too long, or an incomplete tail). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "media/wire/rfc4571.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_FRAMES 4096

static void must(int ok)
{
	if (!ok)
		__builtin_trap();
}

struct whole {
	size_t off[MAX_FRAMES], len[MAX_FRAMES];
	size_t n;
	enum rfc4571_err end;
};

static void split_whole(const uint8_t *data, size_t size, size_t max, struct whole *w)
{
	size_t pos = 0;
	w->n = 0;
	for (;;) {
		size_t n, used;
		enum rfc4571_err err = rfc4571_split(data + pos, size - pos, max, &n, &used);
		if (err != RFC4571_OK || w->n == MAX_FRAMES) {
			w->end = err;
			return;
		}
		must(used == n + RFC4571_HEADER && pos + used <= size && n <= max);
		w->off[w->n] = pos + RFC4571_HEADER;
		w->len[w->n++] = n;
		pos += used;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t max = 1 + (size_t)data[0] * 8; /* small limits reach ETOOBIG often */
	size_t chunk = 1 + data[1] % 97;
	data += 2;
	size -= 2;
	static struct whole w;
	split_whole(data, size, max, &w);

	static uint8_t buf[RFC4571_HEADER + 2048 + 97];
	size_t have = 0, pos = 0, seen = 0;
	enum rfc4571_err end = RFC4571_EPARTIAL;
	while (pos < size && end != RFC4571_ETOOBIG && seen < w.n) {
		size_t take = size - pos < chunk ? size - pos : chunk;
		must(have + take <= sizeof buf);
		memcpy(buf + have, data + pos, take);
		have += take;
		pos += take;
		size_t n, used;
		while (seen < w.n &&
		       (end = rfc4571_split(buf, have, max, &n, &used)) == RFC4571_OK) {
			must(n == w.len[seen] && memcmp(buf + 2, data + w.off[seen], n) == 0);
			memmove(buf, buf + used, have - used);
			have -= used;
			seen++;
		}
	}
	must(seen == w.n);
	if (w.n < MAX_FRAMES && pos == size) {
		size_t n, used;
		must(rfc4571_split(buf, have, max, &n, &used) == w.end);
	}
	return 0;
}
