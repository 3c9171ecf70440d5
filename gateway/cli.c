/*
 * The subcommands of plenaryd (PROTOCOL.md "Command line"):
 *   plenaryd token --room R --role ROLE --name NAME [--sub ID] [--group G] [--ttl S]
 *                  [--location room|remote] [--data DIR] [--config FILE]
 *     (exp is iat + ttl; ttl defaults to a day and is bounded by the configuration's
 *     token_max_lifetime_s, the bound the server checks, so what this mints it accepts)
 *     (the token alone goes to stdout, so TOKEN=$(plenaryd token ...) works; its random jti
 *     and its sub go to stderr, so the organiser can revoke this one token or the person)
 *   plenaryd verify FILE
 *   plenaryd verify --nats URL[,URL...] --room ID [FILE]
 *     (reads the room's log back from JetStream and checks it as a file; with FILE, also
 *     that the two are byte for byte the same)
 */
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gateway/gateway.h"
#include "gateway/nats_log.h"
#include "gateway/token.h"
#include "rooms/rooms.h"

static int usage_token(void)
{
	fprintf(stderr,
		"usage: plenaryd token --room R --role chair|participant|observer|captioner|venue "
		"--name NAME [--sub ID] [--group G] [--lang BCP47] [--ttl SECONDS] [--location "
		"room|remote] "
		"[--data DIR] [--config FILE]\n"
		"--ttl: 1 to the configuration's token_max_lifetime_s (default %d, 30 days); "
		"default 86400\n",
		TOKEN_LIFETIME_DEFAULT_S);
	return 2;
}

/* What the flags say besides the claims. ttl 0: not given. */
struct token_opts {
	long ttl;
	const char *data_dir;
	const char *config;
	bool have_role;
};

static bool set_field(char *dst, size_t cap, const char *value)
{
	if (!value[0] || strlen(value) >= cap)
		return false;
	snprintf(dst, cap, "%s", value);
	return true;
}

static bool token_flag(struct token_claims *c, const char *flag, const char *value,
		       struct token_opts *o)
{
	if (strcmp(flag, "--room") == 0)
		return set_field(c->room, sizeof c->room, value);
	if (strcmp(flag, "--role") == 0)
		return (o->have_role = token_role_parse(value, &c->role));
	if (strcmp(flag, "--name") == 0)
		return set_field(c->name, sizeof c->name, value);
	if (strcmp(flag, "--sub") == 0)
		return set_field(c->sub, sizeof c->sub, value);
	if (strcmp(flag, "--group") == 0)
		return set_field(c->group, sizeof c->group, value);
	if (strcmp(flag, "--lang") == 0)
		return base_lang_canon(value, c->lang, sizeof c->lang);
	if (strcmp(flag, "--location") == 0) {
		c->in_room = strcmp(value, "room") == 0;
		return c->in_room || strcmp(value, "remote") == 0;
	}
	if (strcmp(flag, "--data") == 0) {
		o->data_dir = value;
		return true;
	}
	if (strcmp(flag, "--config") == 0) {
		o->config = value;
		return true;
	}
	if (strcmp(flag, "--ttl") == 0) {
		char *end;
		o->ttl = strtol(value, &end, 10);
		return *value && !*end && o->ttl > 0;
	}
	return false;
}

/* The server's own bound on a token's life (and its data directory, unless --data says
 * otherwise) from --config, so that what this mints the server accepts. */
static bool token_limits(struct token_opts *o, char *data_dir, size_t cap)
{
	struct gw_config cfg;
	gw_config_defaults(&cfg);
	char err[512];
	if (o->config && !gw_config_load_file(&cfg, o->config, err, sizeof err)) {
		fprintf(stderr, "plenaryd token: %s\n", err);
		return false;
	}
	long max_ttl = cfg.token_max_lifetime_s;
	snprintf(data_dir, cap, "%s", o->data_dir ? o->data_dir : cfg.data_dir);
	if (o->ttl == 0)
		o->ttl = max_ttl < 86400 ? max_ttl : 86400;
	if (o->ttl > max_ttl) {
		fprintf(stderr, "plenaryd token: --ttl %ld exceeds token_max_lifetime_s (%ld)\n",
			o->ttl, max_ttl);
		return false;
	}
	return true;
}

int gateway_cmd_token(int argc, char **argv)
{
	struct token_claims c;
	memset(&c, 0, sizeof c);
	struct token_opts o = {0};
	for (int i = 2; i < argc; i += 2) {
		if (i + 1 >= argc || !token_flag(&c, argv[i], argv[i + 1], &o)) {
			fprintf(stderr, "plenaryd token: bad or unknown option %s\n", argv[i]);
			return usage_token();
		}
	}
	if (!c.room[0] || !o.have_role || !c.name[0] || !rooms_valid_id(c.room))
		return usage_token();
	char data_dir[1024];
	if (!token_limits(&o, data_dir, sizeof data_dir))
		return 2;
	if (!c.sub[0]) {
		unsigned char raw[8];
		if (RAND_bytes(raw, sizeof raw) != 1)
			return 1;
		snprintf(c.sub, sizeof c.sub, "p-%02x%02x%02x%02x%02x%02x%02x%02x", raw[0], raw[1],
			 raw[2], raw[3], raw[4], raw[5], raw[6], raw[7]);
	}
	if (!token_new_jti(c.jti))
		return 1;
	c.iat = (int64_t)time(NULL);
	c.exp = c.iat + o.ttl;
	uint8_t secret[256];
	size_t secret_len;
	char err[256];
	if (!gw_secret_load(data_dir, false, secret, sizeof secret, &secret_len, err, sizeof err)) {
		fprintf(stderr, "plenaryd token: %s\n", err);
		return 1;
	}
	char *tok = NULL;
	if (token_sign(&c, secret, secret_len, &tok) != TOKEN_OK) {
		fprintf(stderr, "plenaryd token: cannot sign\n");
		return 1;
	}
	printf("%s\n", tok);
	fprintf(stderr, "jti %s sub %s\n", c.jti, c.sub);
	free(tok);
	return 0;
}

/* Whether two files hold the same bytes. */
static bool same_bytes(const char *a, const char *b)
{
	FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
	bool same = fa && fb;
	while (same) {
		int ca = fgetc(fa), cb = fgetc(fb);
		same = ca == cb;
		if (ca == EOF)
			break;
	}
	if (fa)
		fclose(fa);
	if (fb)
		fclose(fb);
	return same;
}

/* The room's log as JetStream holds it, through the same verifier as a file. */
static int verify_nats(const char *urls, const char *room, const char *file)
{
	const char *tmp_dir = getenv("TMPDIR");
	char path[1024];
	snprintf(path, sizeof path, "%s/plenary-verify-XXXXXX", tmp_dir ? tmp_dir : "/tmp");
	int fd = mkstemp(path);
	if (fd < 0) {
		perror("plenaryd verify: mkstemp");
		return 1;
	}
	close(fd);
	char err[512];
	int rc = 1;
	if (!gw_nats_read_room(urls, room, path, err, sizeof err))
		fprintf(stderr, "plenaryd verify: %s\n", err);
	else if (rooms_verify_file(path, stdout))
		rc = 0;
	if (rc == 0 && file) {
		bool same = same_bytes(path, file);
		printf("%s %s\n", same ? "identical to" : "differs from", file);
		rc = same ? 0 : 1;
	}
	unlink(path);
	return rc;
}

int gateway_cmd_verify(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[2], "--nats") != 0)
		return rooms_verify_file(argv[2], stdout) ? 0 : 1;
	const char *urls = NULL, *room = NULL, *file = NULL;
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--nats") == 0 && i + 1 < argc)
			urls = argv[++i];
		else if (strcmp(argv[i], "--room") == 0 && i + 1 < argc)
			room = argv[++i];
		else if (!file && argv[i][0] != '-')
			file = argv[i];
		else
			urls = NULL, i = argc;
	}
	if (!urls || !room) {
		fprintf(stderr, "usage: plenaryd verify FILE\n"
				"       plenaryd verify --nats URL[,URL...] --room ID [FILE]\n");
		return 2;
	}
	return verify_nats(urls, room, file);
}
