/* plenary-load's listen.ogg reader (tests/load/load_ogg_parse.h) on arbitrary bytes: the
 * first byte picks where the rest is cut in two (the reader must not care how reads cut
 * the stream), and the two cuts must agree with one whole feed: the same counts, or the
 * same reason to refuse. Beyond no crash, no leak, no UB: a reader that refused is BAD
 * with a reason and refuses everything after; counts only grow, and the samples are the
 * packets' (never more than 120 ms each). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/load/load_ogg_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ogg_reader whole, cut;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	size_t split = data[0] % size;
	data++, size--;
	if (split > size)
		split = size;
	ogg_reader_init(&whole);
	ogg_reader_init(&cut);
	bool ok_whole = ogg_reader_feed(&whole, data, size);
	bool ok_cut =
	    ogg_reader_feed(&cut, data, split) && ogg_reader_feed(&cut, data + split, size - split);
	if (ok_whole != ok_cut || whole.state != cut.state)
		abort();
	/* A refused stream's counts are how far the reader got before refusing, and that
	 * depends on the cut (a page refused at its capture pattern counts the bytes that came
	 * with it); the refusal itself must be the same. */
	if (ok_whole ? memcmp(&whole.count, &cut.count, sizeof whole.count) != 0
		     : strcmp(whole.error, cut.error) != 0)
		abort();
	if (!ok_whole && (whole.state != OGG_R_BAD || whole.error[0] == '\0' ||
			  ogg_reader_feed(&whole, (const uint8_t *)"0", 1)))
		abort();
	if (whole.count.samples > whole.count.packets * 5760 || whole.count.bytes > size)
		abort();
	return 0;
}
