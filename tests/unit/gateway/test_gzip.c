/* The web client's files compressed once (gateway/gzip.c): which requests take gzip, what
 * is worth it, that the bytes inflate to the file, and that a changed file is redone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "gateway/gzip.h"

static void put(const char *path, const char *text, int times)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i < times; i++)
		fputs(text, f);
	fclose(f);
}

/* Inflates a gzip member into out (cap bytes); returns its length. */
static size_t inflate_all(const char *gz, size_t len, char *out, size_t cap)
{
	z_stream s;
	memset(&s, 0, sizeof s);
	assert_int_equal(inflateInit2(&s, 15 + 16), Z_OK);
	s.next_in = (Bytef *)gz;
	s.avail_in = (uInt)len;
	s.next_out = (Bytef *)out;
	s.avail_out = (uInt)cap;
	assert_int_equal(inflate(&s, Z_FINISH), Z_STREAM_END);
	size_t n = s.total_out;
	inflateEnd(&s);
	return n;
}

static void accepted(void **state)
{
	(void)state;
	assert_true(gw_gzip_accepted("gzip"));
	assert_true(gw_gzip_accepted("gzip, deflate, br"));
	assert_true(gw_gzip_accepted("br, gzip;q=0.5"));
	assert_false(gw_gzip_accepted("gzip;q=0"));
	assert_false(gw_gzip_accepted("br, deflate"));
	assert_false(gw_gzip_accepted("x-gzip2"));
	assert_false(gw_gzip_accepted(""));
	assert_false(gw_gzip_accepted(NULL));
	assert_true(gw_gzip_worth("text/javascript; charset=utf-8"));
	assert_true(gw_gzip_worth("application/json"));
	assert_false(gw_gzip_worth("image/png"));
	assert_false(gw_gzip_worth("audio/ogg"));
}

static void compressed_and_redone(void **state)
{
	(void)state;
	char path[] = "/tmp/plenary-gzip-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	put(path, "export const x = 'hello, plenary';\n", 200);
	struct gw_gzip *z = gw_gzip_create();
	const char *data = NULL;
	size_t len = 0;
	assert_true(gw_gzip_get(z, path, "\"a\"", &data, &len));
	static char out[64 * 1024];
	size_t n = inflate_all(data, len, out, sizeof out);
	assert_int_equal(n, 200 * strlen("export const x = 'hello, plenary';\n"));
	assert_true(len < n / 4);
	const char *again = NULL;
	assert_true(gw_gzip_get(z, path, "\"a\"", &again, &len));
	assert_ptr_equal(again, data); /* kept, not compressed twice */
	put(path, "changed\n", 300);
	assert_true(gw_gzip_get(z, path, "\"b\"", &data, &len));
	assert_int_equal(inflate_all(data, len, out, sizeof out), 300 * 8);
	assert_memory_equal(out, "changed\nchanged\n", 16);
	/* A tiny file is not worth it; a missing one is not served. */
	put(path, "x", 1);
	assert_false(gw_gzip_get(z, path, "\"c\"", &data, &len));
	unlink(path);
	assert_false(gw_gzip_get(z, path, "\"d\"", &data, &len));
	gw_gzip_destroy(z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(accepted),
	    cmocka_unit_test(compressed_and_redone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
