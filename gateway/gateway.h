/*
 * gateway -- plenaryd: the libwebsockets server (HTTP, REST, exports, metrics, health,
 * WebSocket sessions), tokens and configuration. main.c is the composition root; this
 * header is what it (and the tests) use.
 */
#ifndef PLENARY_GATEWAY_H
#define PLENARY_GATEWAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/config.h"

/* Runs the server until SIGTERM or SIGINT; returns the process exit code (0 after a
 * clean shutdown). */
int gateway_run(const struct gw_config *cfg);

/* The token secret: PLENARY_TOKEN_SECRET, else data_dir/token_secret (made 0600 when
 * create is set and it is missing). */
bool gw_secret_load(const char *data_dir, bool create, uint8_t *out, size_t cap, size_t *len,
		    char *err, size_t err_cap);

/* The subcommands: `plenaryd token ...` and `plenaryd verify FILE`. */
int gateway_cmd_token(int argc, char **argv);
int gateway_cmd_verify(int argc, char **argv);

#endif
