/*
 * Static files of the web client. The URI is checked segment by segment before it is
 * ever joined to the root -- no empty, "." or ".." segment, nothing hidden, no
 * backslash, no percent sign left over from decoding, no control character -- and the
 * joined path must still resolve (realpath) under the root to a regular file. Anything
 * else is simply not found: a 404 tells a prober nothing.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gateway/static_files.h"

static const struct {
	const char *ext;
	const char *mime;
} mime_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".webmanifest", "application/manifest+json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".woff2", "font/woff2"},
    {".txt", "text/plain; charset=utf-8"},
    {".ogg", "audio/ogg"},
    {".wav", "audio/wav"},
};

static const char *mime_for(const char *path)
{
	const char *dot = strrchr(path, '.');
	if (!dot || strchr(dot, '/'))
		return NULL;
	for (size_t i = 0; i < sizeof mime_types / sizeof mime_types[0]; i++)
		if (strcmp(dot, mime_types[i].ext) == 0)
			return mime_types[i].mime;
	return NULL;
}

static bool uri_safe(const char *uri)
{
	if (uri[0] != '/')
		return false;
	const char *seg = uri + 1;
	for (;;) {
		const char *slash = strchr(seg, '/');
		size_t len = slash ? (size_t)(slash - seg) : strlen(seg);
		/* An empty last segment is the directory's index; an empty middle one is "//". */
		if ((len == 0 && slash) || seg[0] == '.')
			return false;
		for (size_t i = 0; i < len; i++) {
			unsigned char ch = (unsigned char)seg[i];
			if (ch < 0x20 || ch == 0x7f || ch == '\\' || ch == '%' || ch == ':')
				return false;
		}
		if (!slash)
			return true;
		seg = slash + 1;
	}
}

bool gw_static_resolve(const char *root, const char *uri, char *path, size_t cap, const char **mime)
{
	if (strlen(uri) > 512 || !uri_safe(uri))
		return false;
	char joined[PATH_MAX];
	size_t ulen = strlen(uri);
	const char *index = uri[ulen - 1] == '/' ? "index.html" : "";
	if ((size_t)snprintf(joined, sizeof joined, "%s%s%s", root, uri, index) >= sizeof joined)
		return false;
	char real_root[PATH_MAX], real[PATH_MAX];
	if (!realpath(root, real_root) || !realpath(joined, real))
		return false;
	size_t rlen = strlen(real_root);
	if (strncmp(real, real_root, rlen) != 0 || real[rlen] != '/')
		return false;
	struct stat st;
	if (stat(real, &st) != 0 || !S_ISREG(st.st_mode))
		return false;
	*mime = mime_for(real);
	if (!*mime || strlen(real) >= cap)
		return false;
	snprintf(path, cap, "%s", real);
	return true;
}
