/*
 * fuzz_config -- the JSON configuration file (gateway/config.c, gw_config_load_file) on
 * arbitrary bytes, through the function plenaryd calls: the input is written to a file
 * made once per process (under /dev/shm when it can be) and loaded over the defaults.
 *
 * Beyond "no crash, no leak": a load either succeeds or says why (a non-empty message,
 * NUL-terminated within its buffer); and after a load that succeeds every field is one
 * plenaryd can use: each string NUL-terminated within its array, counts within their
 * arrays, ports and limits within the ranges the file format promises, every declared
 * room id one rooms/ accepts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond);                 \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#define TERMINATED(field) CHECK(memchr((field), '\0', sizeof(field)) != NULL)

static char path[256];

static void cleanup(void)
{
	if (path[0])
		unlink(path);
}

static void setup_once(void)
{
	if (path[0])
		return;
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(path, sizeof path, "%s/plenary-fuzz-config-XXXXXX", base);
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	close(fd);
	atexit(cleanup);
}

static void check_turn(const struct gw_turn_server *t)
{
	CHECK(t->n_urls >= 1 && t->n_urls <= GW_TURN_MAX_URLS);
	for (size_t u = 0; u < t->n_urls; u++) {
		TERMINATED(t->urls[u]);
		CHECK(strncmp(t->urls[u], "turn:", 5) == 0 ||
		      strncmp(t->urls[u], "turns:", 6) == 0 ||
		      strncmp(t->urls[u], "stun:", 5) == 0);
	}
	TERMINATED(t->secret);
	CHECK(t->secret[0] != '\0');
	CHECK(t->ttl_s >= 60 && t->ttl_s <= 86400);
}

static void check_loaded(const struct gw_config *cfg)
{
	TERMINATED(cfg->listen_addr);
	TERMINATED(cfg->data_dir);
	TERMINATED(cfg->web_root);
	TERMINATED(cfg->tls_cert);
	TERMINATED(cfg->tls_key);
	TERMINATED(cfg->redirect_addr);
	TERMINATED(cfg->media_bind);
	TERMINATED(cfg->log_level);
	CHECK(cfg->listen_port >= 0 && cfg->listen_port <= 65535);
	CHECK(cfg->redirect_port >= -1 && cfg->redirect_port <= 65535);
	CHECK(cfg->media_port >= 0 && cfg->media_port <= 65535);
	CHECK(cfg->media_tcp_port == GW_MEDIA_TCP_AUTO ||
	      (cfg->media_tcp_port >= -1 && cfg->media_tcp_port <= 65535));
	CHECK(cfg->media_workers >= 0 && cfg->media_workers <= 64);
	CHECK(cfg->grace_s >= 0 && cfg->grace_s <= 3600);
	CHECK(cfg->send_queue_bytes >= (64u << 10) && cfg->send_queue_bytes <= (1u << 30));
	/* --nats and the owner lease (config_nats.c). */
	TERMINATED(cfg->nats_urls);
	TERMINATED(cfg->node);
	TERMINATED(cfg->node_url);
	CHECK(strspn(cfg->node,
		     "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") ==
	      strlen(cfg->node));
	CHECK(cfg->nats_timeout_ms >= 100 && cfg->nats_timeout_ms <= 60000);
	CHECK(cfg->lease_ttl_ms >= 1000 && cfg->lease_ttl_ms <= 60000);
	CHECK(cfg->n_public_ips <= GW_MAX_PUBLIC_IPS);
	for (size_t i = 0; i < cfg->n_public_ips; i++) {
		TERMINATED(cfg->public_ips[i]);
		CHECK(cfg->public_ips[i][0] != '\0');
	}
	CHECK(cfg->n_rooms <= GW_MAX_DECLARED_ROOMS);
	for (size_t i = 0; i < cfg->n_rooms; i++) {
		const struct gw_room_decl *d = &cfg->rooms[i];
		TERMINATED(d->id);
		TERMINATED(d->title);
		size_t n = strlen(d->id);
		CHECK(n >= 1 && n <= 64 &&
		      strspn(d->id, "abcdefghijklmnopqrstuvwxyz0123456789-") == n);
	}
	CHECK(cfg->n_turn <= GW_MAX_TURN);
	for (size_t i = 0; i < cfg->n_turn; i++)
		check_turn(&cfg->turn[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup_once();
	FILE *f = fopen(path, "wb");
	CHECK(f != NULL);
	CHECK(fwrite(data, 1, size, f) == size);
	CHECK(fclose(f) == 0);
	struct gw_config *cfg = malloc(sizeof *cfg);
	CHECK(cfg != NULL);
	gw_config_defaults(cfg);
	char err[256];
	memset(err, 'x', sizeof err);
	err[0] = '\0';
	if (gw_config_load_file(cfg, path, err, sizeof err)) {
		check_loaded(cfg);
	} else {
		TERMINATED(err);
		CHECK(err[0] != '\0');
	}
	free(cfg);
	return 0;
}
