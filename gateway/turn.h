/*
 * turn -- short-lived TURN credentials for the join ack's ice_servers, in the "TURN REST
 * API" scheme (draft-uberti-behave-turn-rest-00) that coturn's use-auth-secret checks:
 *
 *   username   = "EXPIRY:pid"   EXPIRY in Unix seconds, pid the joiner's participant id
 *   credential = base64(HMAC-SHA1(key = the shared secret, message = username))
 *
 * coturn recomputes the credential from the username with the same secret and refuses it
 * once EXPIRY has passed, so plenaryd and coturn share a secret and nothing else: no user
 * database, no call between them. The secret itself never leaves this process; only
 * credentials derived from it do.
 */
#ifndef PLENARY_GATEWAY_TURN_H
#define PLENARY_GATEWAY_TURN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/attr.h"
#include "gateway/config.h"

#define GW_TURN_CREDENTIAL_LEN 28 /* base64 of HMAC-SHA1's 20 bytes */

/* Writes base64(HMAC-SHA1(secret, username)) and its NUL into out. A pure function of its
 * two strings. False only if OpenSSL fails. */
BASE_WUR bool gw_turn_credential(const char *secret, const char *username,
				 char out[GW_TURN_CREDENTIAL_LEN + 1]);

/* The join ack's "ice_servers": one {urls, username, credential} per configured TURN
 * server, for participant pid, valid until now_s + that server's ttl_s. NULL when no TURN
 * server is configured (the ack then has no ice_servers), or when out of memory. */
json_t *gw_turn_ice_servers(const struct gw_config *cfg, const char *pid, int64_t now_s);

#endif
