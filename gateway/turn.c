/*
 * TURN REST credentials (turn.h): the username carries its own expiry, the credential is
 * an HMAC of the username, so coturn checks both with the shared secret alone.
 */
#include "gateway/turn.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

bool gw_turn_credential(const char *secret, const char *username,
			char out[GW_TURN_CREDENTIAL_LEN + 1])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	if (!HMAC(EVP_sha1(), secret, (int)strlen(secret), (const unsigned char *)username,
		  strlen(username), mac, &mac_len) ||
	    mac_len != 20)
		return false;
	/* EVP_EncodeBlock writes 4 * ceil(20 / 3) = 28 characters and a NUL. */
	return EVP_EncodeBlock((unsigned char *)out, mac, (int)mac_len) == GW_TURN_CREDENTIAL_LEN;
}

static json_t *ice_server(const struct gw_turn_server *t, const char *pid, int64_t now_s)
{
	char username[256]; /* ample: a pid is at most 127 bytes */
	char credential[GW_TURN_CREDENTIAL_LEN + 1];
	int n = snprintf(username, sizeof username, "%lld:%s", (long long)(now_s + t->ttl_s), pid);
	if (n < 0 || (size_t)n >= sizeof username ||
	    !gw_turn_credential(t->secret, username, credential))
		return NULL;
	json_t *urls = json_array();
	for (size_t i = 0; urls && i < t->n_urls; i++)
		json_array_append_new(urls, json_string(t->urls[i]));
	return json_pack("{s:o,s:s,s:s}", "urls", urls, "username", username, "credential",
			 credential);
}

json_t *gw_turn_ice_servers(const struct gw_config *cfg, const char *pid, int64_t now_s)
{
	if (cfg->n_turn == 0)
		return NULL;
	json_t *servers = json_array();
	for (size_t i = 0; servers && i < cfg->n_turn; i++) {
		json_t *one = ice_server(&cfg->turn[i], pid, now_s);
		if (!one || json_array_append_new(servers, one) != 0) {
			json_decref(servers);
			return NULL;
		}
	}
	return servers;
}
