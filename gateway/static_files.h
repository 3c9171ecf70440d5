/*
 * static_files -- the web client's files: a URI path mapped to a file under the root,
 * checked segment by segment and again after realpath.
 */
#ifndef PLENARY_GATEWAY_STATIC_FILES_H
#define PLENARY_GATEWAY_STATIC_FILES_H

#include <stdbool.h>
#include <stddef.h>

/* The file for uri under root in path (cap bytes) and its MIME type; false for anything
 * unsafe or missing (a 404). */
bool gw_static_resolve(const char *root, const char *uri, char *path, size_t cap,
		       const char **mime);

#endif
