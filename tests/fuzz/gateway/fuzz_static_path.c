/*
 * fuzz_static_path -- static path resolution (gateway/static_files.c, gw_static_resolve):
 * the request path a browser sent, mapped to a file of the web client.
 *
 * A web root is made once per process (under /dev/shm when it can be) with what a real
 * one has -- index.html, files in a subdirectory, a hidden file -- and what an attacker
 * would aim for: a symbolic link to a directory outside the root holding secret.html, a
 * link to a file outside, a link into the root (allowed: it stays inside), a link to
 * itself, and a directory whose name looks like a file. Next to the root lies a sibling
 * "web-evil" sharing its prefix, so a prefix comparison without the '/' would let it out.
 *
 * The property: whatever the input, a path that resolves is a regular file strictly
 * inside the root (after realpath, so no "..", symlink or sibling gets out), with a MIME
 * type, and it is the file the URI names; a URI with a "." or ".." segment, a
 * backslash, a '%', a ':' or a control byte never resolves.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ftw.h>

#include "gateway/static_files.h"
#include "tests/fuzz/gateway/fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct {
	char top[256];
	char root[300];
	char real_root[PATH_MAX];
} S;

static void cleanup(void)
{
	if (S.top[0])
		fuzz_rm_tree(S.top);
}

static void put(const char *rel, const char *text)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", S.top, rel);
	FILE *f = fopen(p, "w");
	CHECK(f != NULL);
	fputs(text, f);
	CHECK(fclose(f) == 0);
}

static void dir(const char *rel)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", S.top, rel);
	CHECK(mkdir(p, 0755) == 0);
}

static void link_to(const char *target, const char *rel)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", S.top, rel);
	CHECK(symlink(target, p) == 0);
}

static void setup_once(void)
{
	if (S.top[0])
		return;
	fuzz_scratch_dir(S.top, sizeof S.top, "static");
	atexit(cleanup);
	dir("web");
	dir("web/js");
	dir("web/css");
	dir("web/page.html");
	dir("outside");
	dir("web-evil");
	put("web/index.html", "<!doctype html>");
	put("web/app.js", "");
	put("web/js/room.mjs", "");
	put("web/css/site.css", "");
	put("web/manifest.webmanifest", "{}");
	put("web/.hidden.html", "");
	put("web/page.html/index.html", "");
	put("outside/secret.html", "secret");
	put("outside/index.html", "secret");
	put("web-evil/index.html", "secret");
	put("secret.txt", "secret");
	link_to("../outside", "web/out");
	link_to("../secret.txt", "web/secret.txt");
	link_to("js/room.mjs", "web/alias.mjs");
	link_to("loop.html", "web/loop.html");
	link_to("../web-evil", "web/evil");
	snprintf(S.root, sizeof S.root, "%s/web", S.top);
	CHECK(realpath(S.root, S.real_root) != NULL);
}

/* What the URI names, joined by hand: the file the resolver must have picked. */
static void check_resolved(const char *uri, const char *path, const char *mime)
{
	size_t rlen = strlen(S.real_root);
	CHECK(strncmp(path, S.real_root, rlen) == 0 && path[rlen] == '/');
	CHECK(strstr(path, "/outside/") == NULL && strstr(path, "web-evil") == NULL);
	CHECK(strstr(path, "/.") == NULL);
	struct stat st;
	CHECK(lstat(path, &st) == 0 && S_ISREG(st.st_mode));
	CHECK(mime != NULL && mime[0] != '\0');
	char joined[PATH_MAX], real[PATH_MAX];
	size_t ulen = strlen(uri);
	snprintf(joined, sizeof joined, "%s%s%s", S.root, uri,
		 uri[ulen - 1] == '/' ? "index.html" : "");
	CHECK(realpath(joined, real) != NULL && strcmp(real, path) == 0);
	for (const char *p = uri; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		CHECK(ch >= 0x20 && ch != 0x7f && ch != '\\' && ch != '%' && ch != ':');
	}
	CHECK(strstr(uri, "/.") == NULL && strstr(uri, "//") == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup_once();
	if (size > 1024)
		return 0;
	char uri[1025];
	memcpy(uri, data, size);
	uri[size] = '\0';
	char path[1200];
	memset(path, 0, sizeof path);
	const char *mime = NULL;
	if (gw_static_resolve(S.root, uri, path, sizeof path, &mime))
		check_resolved(uri, path, mime);
	/* A small output buffer must fail rather than truncate. */
	char tiny[16];
	memset(tiny, 0, sizeof tiny);
	mime = NULL;
	if (gw_static_resolve(S.root, uri, tiny, sizeof tiny, &mime))
		CHECK(memchr(tiny, '\0', sizeof tiny) != NULL && strlen(tiny) < sizeof tiny);
	return 0;
}
