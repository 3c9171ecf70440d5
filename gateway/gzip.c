/*
 * A small cache of compressed files: GZIP_SLOTS entries, each a path, the validator it
 * was made from, and the bytes. The web client is a few dozen files, so a table searched
 * in order is enough; when it is full the oldest entry gives way. Files over GZIP_FILE_MAX
 * are served as they are (the client has none; a stray large file must not cost memory).
 */
#include "gateway/gzip.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define GZIP_SLOTS    64
#define GZIP_FILE_MAX (1024 * 1024)

struct slot {
	char path[1200];
	char etag[64];
	unsigned char *data;
	size_t len;
	unsigned long long used; /* for giving way: the least recently made */
};

struct gw_gzip {
	struct slot slots[GZIP_SLOTS];
	unsigned long long clock;
};

struct gw_gzip *gw_gzip_create(void)
{
	return calloc(1, sizeof(struct gw_gzip));
}

void gw_gzip_destroy(struct gw_gzip *z)
{
	if (!z)
		return;
	for (size_t i = 0; i < GZIP_SLOTS; i++)
		free(z->slots[i].data);
	free(z);
}

bool gw_gzip_accepted(const char *ae)
{
	/* Tokens separated by commas, each maybe with ;q=...: gzip counts unless q=0. */
	for (const char *p = ae; p && *p;) {
		while (*p == ' ' || *p == ',')
			p++;
		size_t n = strcspn(p, ",");
		if (n >= 4 && strncmp(p, "gzip", 4) == 0 &&
		    (n == 4 || p[4] == ';' || p[4] == ' ')) {
			const char *q = memchr(p, '=', n);
			return !q || strtod(q + 1, NULL) > 0;
		}
		p += n;
	}
	return false;
}

bool gw_gzip_worth(const char *mime)
{
	return mime &&
	       (strncmp(mime, "text/", 5) == 0 || strncmp(mime, "application/json", 16) == 0 ||
		strncmp(mime, "application/manifest+json", 25) == 0 ||
		strncmp(mime, "image/svg+xml", 13) == 0);
}

static unsigned char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	unsigned char *buf = malloc(GZIP_FILE_MAX + 1);
	size_t n = buf ? fread(buf, 1, GZIP_FILE_MAX + 1, f) : 0;
	fclose(f);
	if (!buf || n > GZIP_FILE_MAX) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

/* RFC 1952 gzip of in (windowBits 15 + 16 asks zlib for the gzip wrapper). */
static unsigned char *compress_gzip(const unsigned char *in, size_t len, size_t *out_len)
{
	z_stream s;
	memset(&s, 0, sizeof s);
	if (deflateInit2(&s, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		return NULL;
	uLong cap = deflateBound(&s, (uLong)len);
	unsigned char *out = malloc(cap);
	s.next_in = (Bytef *)in;
	s.avail_in = (uInt)len;
	s.next_out = out;
	s.avail_out = (uInt)cap;
	int rc = out ? deflate(&s, Z_FINISH) : Z_MEM_ERROR;
	*out_len = s.total_out;
	deflateEnd(&s);
	if (rc != Z_STREAM_END) {
		free(out);
		return NULL;
	}
	return out;
}

static struct slot *slot_for(struct gw_gzip *z, const char *path)
{
	struct slot *oldest = &z->slots[0];
	for (size_t i = 0; i < GZIP_SLOTS; i++) {
		struct slot *s = &z->slots[i];
		if (strcmp(s->path, path) == 0)
			return s;
		if (s->used < oldest->used)
			oldest = s;
	}
	free(oldest->data);
	memset(oldest, 0, sizeof *oldest);
	return oldest;
}

bool gw_gzip_get(struct gw_gzip *z, const char *path, const char *etag, const char **data,
		 size_t *len)
{
	if (strlen(path) >= sizeof z->slots[0].path || strlen(etag) >= sizeof z->slots[0].etag)
		return false;
	struct slot *s = slot_for(z, path);
	if (!s->data || strcmp(s->etag, etag) != 0) {
		free(s->data);
		s->data = NULL;
		size_t raw_len = 0, gz_len = 0;
		unsigned char *raw = read_file(path, &raw_len);
		unsigned char *gz = raw ? compress_gzip(raw, raw_len, &gz_len) : NULL;
		bool smaller = gz && gz_len < raw_len;
		free(raw);
		if (!smaller) {
			free(gz);
			s->path[0] = '\0';
			return false;
		}
		snprintf(s->path, sizeof s->path, "%s", path);
		snprintf(s->etag, sizeof s->etag, "%s", etag);
		s->data = gz;
		s->len = gz_len;
	}
	s->used = ++z->clock;
	*data = (const char *)s->data;
	*len = s->len;
	return true;
}
