/*
 * gzip -- the web client's text files, compressed once and kept while they do not change.
 *
 * A first visit must stay under 150 KB on a participant's poor link (docs/deploy.md) and
 * the client is plain, unminified modules: gzip (RFC 1952) takes them to about a third.
 * A file is compressed on its first request and the result kept with the file's
 * validator (its ETag, size and modification time); a changed file is compressed again.
 * Only the gateway thread uses it.
 */
#ifndef PLENARY_GATEWAY_GZIP_H
#define PLENARY_GATEWAY_GZIP_H

#include <stdbool.h>
#include <stddef.h>

struct gw_gzip;

struct gw_gzip *gw_gzip_create(void); /* NULL on OOM */
void gw_gzip_destroy(struct gw_gzip *z);

/* Whether an Accept-Encoding header value accepts gzip (a "gzip" token without q=0). */
bool gw_gzip_accepted(const char *accept_encoding);
/* Whether a file of this MIME type is worth compressing (text, JSON, SVG). */
bool gw_gzip_worth(const char *mime);
/* The gzip of the file at path whose validator is etag, in *data (kept by z until the file
 * changes or z is destroyed) and *len. False if it cannot be read or compressed, or
 * would not be smaller: serve the file as it is. */
bool gw_gzip_get(struct gw_gzip *z, const char *path, const char *etag, const char **data,
		 size_t *len);

#endif
