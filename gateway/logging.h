/*
 * Structured logging to stderr: one line per record, logfmt (key=value), so a person can
 * read it and a tool can parse it:
 *   ts=2026-11-22T10:00:00.000Z level=info msg="listening" addr=127.0.0.1:8080
 * Levels below the configured one cost a comparison. Never log a token, a secret, or
 * anything that ties a person to a hum cast or an anonymous ballot.
 */
#ifndef PLENARY_GATEWAY_LOGGING_H
#define PLENARY_GATEWAY_LOGGING_H

#include <stdbool.h>

enum gw_log_level { GW_LOG_DEBUG = 0, GW_LOG_INFO, GW_LOG_WARN, GW_LOG_ERROR };

void gw_log_set_level(enum gw_log_level level);
bool gw_log_parse_level(const char *name, enum gw_log_level *out);

/* msg is a short fixed phrase; fields is a printf format of further key=value pairs
 * (may be NULL). Values with spaces must be quoted by the caller with %s inside "". */
void gw_log(enum gw_log_level level, const char *msg, const char *fields, ...)
    __attribute__((format(printf, 3, 4)));

#define gw_debug(msg, ...) gw_log(GW_LOG_DEBUG, msg, __VA_ARGS__)
#define gw_info(msg, ...)  gw_log(GW_LOG_INFO, msg, __VA_ARGS__)
#define gw_warn(msg, ...)  gw_log(GW_LOG_WARN, msg, __VA_ARGS__)
#define gw_error(msg, ...) gw_log(GW_LOG_ERROR, msg, __VA_ARGS__)

#endif
