/*
 * The token secret: PLENARY_TOKEN_SECRET if set, else the one kept in the data
 * directory, made on first start from 32 random bytes and written 0600 with O_EXCL so
 * two processes never race to different secrets. Either way the secret is the string's
 * bytes, so `export PLENARY_TOKEN_SECRET=$(cat data/token_secret)` signs the same.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gateway/gateway.h"
#include "gateway/server.h"

static bool read_secret(const char *path, uint8_t *out, size_t cap, size_t *len, char *err,
			size_t err_cap)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, err_cap, "%s: %s", path, strerror(errno));
		return false;
	}
	char buf[512];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		n--;
	if (n < 16 || n > cap) {
		snprintf(err, err_cap, "%s: a secret must be 16 to %zu bytes", path, cap);
		return false;
	}
	memcpy(out, buf, n);
	*len = n;
	return true;
}

static bool make_secret(const char *path, uint8_t *out, size_t cap, size_t *len, char *err,
			size_t err_cap)
{
	unsigned char raw[32];
	char hex[65];
	if (cap < 64 || RAND_bytes(raw, sizeof raw) != 1) {
		snprintf(err, err_cap, "cannot make a random secret");
		return false;
	}
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(hex + 2 * i, 3, "%02x", raw[i]);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (errno == EEXIST)
			return read_secret(path, out, cap, len, err, err_cap);
		snprintf(err, err_cap, "%s: %s", path, strerror(errno));
		return false;
	}
	bool ok = write(fd, hex, 64) == 64 && write(fd, "\n", 1) == 1 && fsync(fd) == 0;
	close(fd);
	if (!ok) {
		unlink(path);
		snprintf(err, err_cap, "%s: cannot write the secret", path);
		return false;
	}
	memcpy(out, hex, 64);
	*len = 64;
	return true;
}

bool gw_secret_load(const char *data_dir, bool create, uint8_t *out, size_t cap, size_t *len,
		    char *err, size_t err_cap)
{
	const char *env = getenv("PLENARY_TOKEN_SECRET");
	if (env && *env) {
		size_t n = strlen(env);
		if (n > cap) {
			snprintf(err, err_cap, "PLENARY_TOKEN_SECRET is longer than %zu bytes",
				 cap);
			return false;
		}
		memcpy(out, env, n);
		*len = n;
		return true;
	}
	char path[1100];
	snprintf(path, sizeof path, "%s/token_secret", data_dir);
	if (access(path, F_OK) == 0)
		return read_secret(path, out, cap, len, err, err_cap);
	if (!create) {
		snprintf(err, err_cap,
			 "no PLENARY_TOKEN_SECRET and no %s (start the server once, or set it)",
			 path);
		return false;
	}
	return make_secret(path, out, cap, len, err, err_cap);
}

enum token_err gw_token_verify(const struct gateway *gw, const char *token, const char *room,
			       struct token_claims *claims)
{
	enum token_err err =
	    token_verify(token, gw->secret, gw->secret_len, room, (int64_t)time(NULL),
			 gw->cfg.token_max_lifetime_s, claims);
	/* Revocations are the room's (its log holds them): one check for every place a
	 * token is taken -- join, resume, Bearer, signed-url minting, CART. */
	struct room *r = err == TOKEN_OK && room ? rooms_find(gw->rooms, room) : NULL;
	if (r && room_token_revoked(r, claims->sub, claims->jti))
		return TOKEN_EREVOKED;
	return err;
}

enum token_err gw_token_verify_lapsed(const struct gateway *gw, const char *token, const char *room,
				      struct token_claims *claims)
{
	enum token_err err =
	    token_verify_lapsed(token, gw->secret, gw->secret_len, room, (int64_t)time(NULL),
				gw->cfg.token_max_lifetime_s, claims);
	/* A lapsed token resumes within the grace period, but never a revoked one. */
	struct room *r = err == TOKEN_OK && room ? rooms_find(gw->rooms, room) : NULL;
	if (r && room_token_revoked(r, claims->sub, claims->jti))
		return TOKEN_EREVOKED;
	return err;
}
