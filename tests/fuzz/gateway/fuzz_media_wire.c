/* A room's sound between nodes (gateway/nats_media_wire.c) on arbitrary bytes, read as a
 * stream frame (the room's or an own mix) and as a mic packet: never read past the input; what is
 * taken has every field in its range and writes back to the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/nats_media_wire.h"
#include "tests/fuzz/fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void as_frame(const uint8_t *in, size_t size)
{
	uint8_t out[GW_MEDIA_WIRE_MAX];
	struct media_frame f = {.room = "r"};
	char pid[MEDIA_PID_MAX + 1];
	if (gw_media_wire_read_frame(in, size, &f, pid) != GW_MEDIA_WIRE_OK)
		return;
	if (f.channel > 2 * MEDIA_CHANNELS || f.len == 0 || f.len > MEDIA_FRAME_MAX ||
	    f.opus < in || f.opus + f.len != in + size)
		abort();
	if (f.pid &&
	    (f.pid != pid || f.channel != 0 || strlen(pid) == 0 || strlen(pid) > MEDIA_PID_MAX))
		abort();
	size_t n = gw_media_wire_frame(&f, out, sizeof out);
	if (n != size || memcmp(out, in, size) != 0)
		abort();
}

static void as_mic(const uint8_t *in, size_t size)
{
	uint8_t out[GW_MEDIA_WIRE_MAX];
	struct media_mic_frame m = {.room = "r"};
	char pid[MEDIA_PID_MAX + 1];
	if (gw_media_wire_read_mic(in, size, &m, pid) != GW_MEDIA_WIRE_OK)
		return;
	size_t pid_len = strlen(m.pid);
	if (pid_len == 0 || pid_len > MEDIA_PID_MAX || m.level < -1 || m.level > 127 ||
	    m.len == 0 || m.len > MEDIA_FRAME_MAX || m.opus + m.len != in + size)
		abort();
	/* Level 255 and "unknown" are one; everything else is written back as read. */
	size_t n = gw_media_wire_mic(&m, out, sizeof out);
	if (n != size || memcmp(out, in, size) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *in = fuzz_exact_copy(data, size);
	if (!in)
		return 0;
	as_frame(in, size);
	as_mic(in, size);
	free(in);
	return 0;
}
