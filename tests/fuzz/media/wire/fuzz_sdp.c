/* libFuzzer target for media/wire/sdp.c: parses any input as an offer; on success builds the
 * answer and requires it to parse back to the same audio m-section. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "media/wire/sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void must(int ok)
{
	if (!ok)
		__builtin_trap();
}

static const struct sdp_candidate cands[] = {
    {"192.0.2.10", 40000, false}, {"2001:db8::1", 40001, false}, {"192.0.2.10", 40000, true}};
static const struct sdp_local local = {
    .ice_ufrag = "plnr",
    .ice_pwd = "0123456789abcdefghijkl",
    .fingerprint = "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
		   "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF",
    .candidates = cands,
    .n_candidates = 2,
    .ssrc = 1,
    .cname = "plenary",
    .msid = "plenary floor",
    .send = true,
    .session_id = 1,
    .session_version = 1,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sdp_offer offer, back;
	static char answer[32768];
	enum sdp_err err = sdp_parse((const char *)data, size, &offer);
	must(sdp_strerror(err) != NULL);
	if (err != SDP_OK) {
		must(offer.audio == -1);
		return 0;
	}
	size_t n = 0;
	err = sdp_build_answer(&offer, &local, answer, sizeof answer, &n);
	if (err == SDP_ESETUP_ROLE)
		return 0;
	must(err == SDP_OK && n == strlen(answer));
	must(sdp_parse(answer, n, &back) == SDP_OK);
	const struct sdp_media *a = &offer.media[offer.audio], *b = &back.media[back.audio];
	must(back.n_media == offer.n_media && back.audio == offer.audio);
	must(b->opus_pt == a->opus_pt && b->audio_level_id == a->audio_level_id);
	must(strcmp(a->mid, b->mid) == 0 && back.ice_lite);
	return 0;
}
