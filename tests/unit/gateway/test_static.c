/* The web client's static files: safe paths resolve, everything else does not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "gateway/static_files.h"

static char root[256];
static char outside[300];

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/plenary-static-XXXXXX";
	char *base = mkdtemp(tmpl);
	if (!base)
		return -1;
	snprintf(root, sizeof root, "%s/web", base);
	snprintf(outside, sizeof outside, "%s/secret.txt", base);
	mkdir(root, 0755);
	char p[400];
	snprintf(p, sizeof p, "%s/index.html", root);
	put(p, "<html>");
	snprintf(p, sizeof p, "%s/app.js", root);
	put(p, "x");
	snprintf(p, sizeof p, "%s/sub", root);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/sub/style.css", root);
	put(p, "x");
	snprintf(p, sizeof p, "%s/.hidden.js", root);
	put(p, "x");
	snprintf(p, sizeof p, "%s/notes.xyz", root);
	put(p, "x");
	put(outside, "secret");
	snprintf(p, sizeof p, "%s/link.js", root);
	if (symlink(outside, p) != 0)
		return -1;
	return 0;
}

static bool resolves(const char *uri, const char **mime)
{
	char path[1200];
	return gw_static_resolve(root, uri, path, sizeof path, mime);
}

static void good_paths(void **state)
{
	(void)state;
	const char *mime;
	assert_true(resolves("/", &mime));
	assert_string_equal(mime, "text/html; charset=utf-8");
	assert_true(resolves("/index.html", &mime));
	assert_true(resolves("/app.js", &mime));
	assert_string_equal(mime, "text/javascript; charset=utf-8");
	assert_true(resolves("/sub/style.css", &mime));
	assert_string_equal(mime, "text/css; charset=utf-8");
}

static void bad_paths(void **state)
{
	(void)state;
	const char *mime;
	const char *bad[] = {"",
			     "index.html",
			     "/../secret.txt",
			     "/sub/../../secret.txt",
			     "/./app.js",
			     "//app.js",
			     "/sub//style.css",
			     "/.hidden.js",
			     "/%2e%2e/secret.txt",
			     "/sub\\..\\app.js",
			     "/app.js\x01",
			     "/notes.xyz",
			     "/link.js",
			     "/sub/",
			     "/missing.js",
			     "/sub",
			     "/C:/x.js"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (resolves(bad[i], &mime))
			fail_msg("%s resolved", bad[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(good_paths),
	    cmocka_unit_test(bad_paths),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
