/*
 * fuzz_http -- the HTTP routes (gateway/http.c and static_files.c behind them): the admin
 * API's JSON bodies (POST /api/rooms, POST /api/rooms/<id>/tokens), the CART POST
 * (/api/rooms/<id>/caption?token=&seq=&lang=) and every other route, including the web
 * client's static files, driven through the functions server.c's protocol callback calls
 * (gw_http_request, gw_http_body, gw_http_body_done, gw_http_writable, gw_http_closed).
 *
 * No socket and no lws context: this file defines the dozen lws functions http.c calls,
 * and being linked into the program they take the place of the shared library's (the
 * real ones are never reached). They record what a client would have seen: the status,
 * the content type, the body, and the file lws was asked to serve.
 *
 * A gateway is set up once per process over real rooms in a data directory under
 * /dev/shm (or /tmp), room "plenary-1" with a live session, the admin API enabled, and a
 * web root holding index.html, a symbolic link out of it and a sibling directory sharing
 * its name's prefix. Everything is set up afresh every RESET_EVERY inputs.
 *
 * An input: its first byte picks the method (GET, POST, PUT) and how the body arrives (in
 * one piece or two); then a line with the path and an optional query; then a line that is
 * the Authorization header ("" for none); the rest is the body. "@A" stands for the admin
 * token, "@0".."@3" for signed tokens (chair, captioner, participant of plenary-1, chair
 * of another room), anywhere in the path, query or header.
 *
 * Beyond "no crash, no leak": every request is answered (a status or a file served) and
 * never with a 500; a JSON response parses, and an error's has a code and a message; a
 * 201 for POST /api/rooms means the room now exists; a token handed out has three parts;
 * a file served lies strictly inside the web root.
 */
#include <ftw.h>
#include <libwebsockets.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gateway/http.h"
#include "gateway/loop.h"
#include "gateway/server.h"
#include "gateway/token.h"
#include "tests/fuzz/gateway/fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RESET_EVERY 256
#define SECRET	    "fuzz-http-secret-0123456789"
#define ADMIN	    "fuzz-admin-token"

static const struct {
	const char *room;
	enum token_role role;
	const char *sub;
} tokens[] = {
    {"plenary-1", TOKEN_ROLE_CHAIR, "chair"},
    {"plenary-1", TOKEN_ROLE_CAPTIONER, "cart"},
    {"plenary-1", TOKEN_ROLE_PARTICIPANT, "pat"},
    {"other", TOKEN_ROLE_CHAIR, "chair"},
};
#define N_TOKENS (sizeof tokens / sizeof tokens[0])

/* One request as lws would have seen it, and what the handlers answered. */
static struct {
	int method;
	const char *auth;  /* NULL: no Authorization header */
	const char *query; /* after '?', NULL when none */
	unsigned status;
	char ctype[128];
	char *body;
	size_t body_len;
	bool writable, completed;
	char served[PATH_MAX];
} R;

static struct {
	char dir[256];
	char web[300];
	char real_web[PATH_MAX];
	struct gateway *gw;
	char *signed_tokens[N_TOKENS];
	long inputs;
} S;

/* --- the lws functions http.c calls ------------------------------------------------------- */

int lws_http_get_uri_and_method(struct lws *wsi, char **puri_ptr, int *puri_len)
{
	(void)wsi;
	*puri_ptr = NULL;
	*puri_len = 0;
	return R.method;
}

int lws_hdr_copy(struct lws *wsi, char *dest, int len, enum lws_token_indexes h)
{
	(void)wsi;
	if (h != WSI_TOKEN_HTTP_AUTHORIZATION || !R.auth)
		return -1;
	int n = (int)strlen(R.auth);
	if (n >= len)
		return -1;
	memcpy(dest, R.auth, (size_t)n + 1);
	return n;
}

/* lws's own semantics: the first "name=value" argument whose name matches, its value
 * copied (truncated to len - 1), NULL when none. */
const char *lws_get_urlarg_by_name(struct lws *wsi, const char *name, char *buf, int len)
{
	(void)wsi;
	size_t nlen = strlen(name);
	for (const char *a = R.query; a && *a;) {
		const char *amp = strchr(a, '&');
		size_t alen = amp ? (size_t)(amp - a) : strlen(a);
		if (alen >= nlen && strncmp(a, name, nlen) == 0) {
			size_t vlen = alen - nlen;
			if (vlen >= (size_t)len)
				vlen = (size_t)len - 1;
			memcpy(buf, a + nlen, vlen);
			buf[vlen] = '\0';
			return buf;
		}
		a = amp ? amp + 1 : NULL;
	}
	return NULL;
}

int lws_add_http_common_headers(struct lws *wsi, unsigned int code, const char *content_type,
				lws_filepos_t content_len, unsigned char **p, unsigned char *end)
{
	(void)wsi, (void)content_len, (void)p, (void)end;
	CHECK(R.status == 0);
	R.status = code;
	snprintf(R.ctype, sizeof R.ctype, "%s", content_type ? content_type : "");
	return 0;
}

int lws_add_http_header_status(struct lws *wsi, unsigned int code, unsigned char **p,
			       unsigned char *end)
{
	(void)wsi, (void)p, (void)end;
	CHECK(R.status == 0);
	R.status = code;
	return 0;
}

int lws_add_http_header_by_name(struct lws *wsi, const unsigned char *name,
				const unsigned char *value, int length, unsigned char **p,
				unsigned char *end)
{
	(void)wsi, (void)name, (void)value, (void)length, (void)p, (void)end;
	return 0;
}

int lws_finalize_write_http_header(struct lws *wsi, unsigned char *start, unsigned char **p,
				   unsigned char *end)
{
	(void)wsi, (void)start, (void)p, (void)end;
	return 0;
}

int lws_callback_on_writable(struct lws *wsi)
{
	(void)wsi;
	R.writable = true;
	return 1;
}

int lws_write(struct lws *wsi, unsigned char *buf, size_t len, enum lws_write_protocol protocol)
{
	(void)wsi, (void)protocol;
	char *grown = realloc(R.body, R.body_len + len + 1);
	CHECK(grown != NULL);
	R.body = grown;
	memcpy(R.body + R.body_len, buf, len);
	R.body_len += len;
	R.body[R.body_len] = '\0';
	return (int)len;
}

int lws_http_transaction_completed(struct lws *wsi)
{
	(void)wsi;
	R.completed = true;
	return 0;
}

int lws_serve_http_file(struct lws *wsi, const char *file, const char *content_type,
			const char *other_headers, int other_headers_len)
{
	(void)wsi, (void)other_headers, (void)other_headers_len;
	CHECK(R.served[0] == '\0' && R.status == 0);
	snprintf(R.served, sizeof R.served, "%s", file);
	snprintf(R.ctype, sizeof R.ctype, "%s", content_type ? content_type : "");
	return 0;
}

void lws_set_timeout(struct lws *wsi, enum pending_timeout reason, int secs)
{
	(void)wsi, (void)reason, (void)secs;
}

/* --- the gateway -------------------------------------------------------------------------- */

static void put(const char *rel, const char *text)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", S.dir, rel);
	FILE *f = fopen(p, "w");
	CHECK(f != NULL);
	fputs(text, f);
	CHECK(fclose(f) == 0);
}

static void make_web_root(void)
{
	char p[512];
	static const char *const dirs[] = {"web", "web/js", "outside", "web-evil"};
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		snprintf(p, sizeof p, "%s/%s", S.dir, dirs[i]);
		CHECK(mkdir(p, 0755) == 0);
	}
	put("web/index.html", "<!doctype html>");
	put("web/js/app.mjs", "");
	put("outside/secret.html", "secret");
	put("web-evil/index.html", "secret");
	snprintf(p, sizeof p, "%s/web/out", S.dir);
	CHECK(symlink("../outside", p) == 0);
	snprintf(p, sizeof p, "%s/web/evil", S.dir);
	CHECK(symlink("../web-evil", p) == 0);
	snprintf(S.web, sizeof S.web, "%s/web", S.dir);
	CHECK(realpath(S.web, S.real_web) != NULL);
}

static char *sign(size_t i)
{
	return fuzz_sign(SECRET, tokens[i].room, tokens[i].role, tokens[i].sub, NULL);
}

static void open_gateway(void)
{
	struct gateway *gw = calloc(1, sizeof *gw);
	CHECK(gw != NULL);
	gw_config_defaults(&gw->cfg);
	base_list_init(&gw->conns);
	snprintf(gw->cfg.web_root, sizeof gw->cfg.web_root, "%s", S.web);
	memcpy(gw->secret, SECRET, sizeof SECRET - 1);
	gw->secret_len = sizeof SECRET - 1;
	snprintf(gw->admin_token, sizeof gw->admin_token, "%s", ADMIN);
	gw->admin_enabled = true;
	struct rooms_sink sink = gw_fanout_sink(gw);
	char data[300];
	snprintf(data, sizeof data, "%s/data", S.dir);
	CHECK(mkdir(data, 0755) == 0);
	struct rooms_options opt = {.data_dir = data, .grace_ms = 20000, .now_ms = gw_now_ms()};
	char err[256];
	CHECK(rooms_open(&opt, &sink, &gw->rooms, err, sizeof err) == ROOM_OK);
	struct room_settings s = {.id = "plenary-1", .title = "Plenary", .public_observers = true};
	struct room *room;
	CHECK(rooms_create(gw->rooms, &s, gw_now_ms(), &room) == ROOM_OK);
	struct room_identity chair = {"chair", "Fuzz chair", ROOM_ROLE_CHAIR, "", false, NULL};
	json_t *start = json_pack("{s:s,s:s}", "type", "session.start", "title", "Fuzz");
	json_t *result = NULL;
	const char *why = NULL;
	CHECK(room_attach(room, &chair, gw_now_ms()) == ROOM_OK);
	CHECK(room_command(room, &chair, "session.start", start, gw_now_ms(), &result, &why) ==
	      ROOM_OK);
	json_decref(result);
	json_decref(start);
	gw_flush(gw);
	S.gw = gw;
}

static void close_gateway(void)
{
	struct gateway *gw = S.gw;
	if (!gw)
		return;
	gw_flush(gw);
	gw_host_free_all(gw);
	rooms_close(gw->rooms);
	gw_sessions_free(gw);
	gw_addr_buckets_free(&gw->join_limits);
	free(gw->http_limits); /* made on the first rate-limited request, as in server.c */
	free(gw);
	S.gw = NULL;
	char data[300];
	snprintf(data, sizeof data, "%s/data", S.dir);
	fuzz_rm_tree(data);
}

static void cleanup(void)
{
	close_gateway();
	for (size_t i = 0; i < N_TOKENS; i++)
		free(S.signed_tokens[i]);
	free(R.body);
	if (S.dir[0])
		fuzz_rm_tree(S.dir);
}

static void setup_once(void)
{
	if (S.dir[0])
		return;
	fuzz_scratch_dir(S.dir, sizeof S.dir, "http");
	for (size_t i = 0; i < N_TOKENS; i++)
		S.signed_tokens[i] = sign(i);
	atexit(cleanup);
	make_web_root();
	open_gateway();
}

/* --- one request -------------------------------------------------------------------------- */

/* text[0..len) with "@A" and "@0".."@3" replaced; the caller frees it. */
static char *expand(const uint8_t *text, size_t len)
{
	size_t cap = len + 1;
	for (size_t i = 0; i + 1 < len; i++)
		cap += text[i] == '@' ? TOKEN_MAX_LEN + sizeof ADMIN : 0;
	char *out = malloc(cap);
	CHECK(out != NULL);
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		const char *with = NULL;
		if (text[i] == '@' && i + 1 < len && text[i + 1] == 'A')
			with = "Bearer " ADMIN;
		else if (text[i] == '@' && i + 1 < len && text[i + 1] >= '0' &&
			 text[i + 1] < '0' + (int)N_TOKENS)
			with = S.signed_tokens[text[i + 1] - '0'];
		if (with) {
			memcpy(out + n, with, strlen(with));
			n += strlen(with);
			i++;
		} else {
			out[n++] = (char)text[i];
		}
	}
	out[n] = '\0';
	return out;
}

static const uint8_t *line(const uint8_t **at, const uint8_t *end, size_t *len)
{
	const uint8_t *start = *at;
	const uint8_t *nl = memchr(start, '\n', (size_t)(end - start));
	*len = nl ? (size_t)(nl - start) : (size_t)(end - start);
	*at = nl ? nl + 1 : end;
	return start;
}

static void check_answer(const char *uri)
{
	CHECK(R.status != 0 || R.served[0] != '\0');
	CHECK(R.status != 500);
	if (R.served[0]) {
		size_t rlen = strlen(S.real_web);
		/* Files lws serves itself: the web client's, or a room's log under data/. */
		bool web = strncmp(R.served, S.real_web, rlen) == 0 && R.served[rlen] == '/';
		bool log = strncmp(uri, "/api/rooms/", 11) == 0 && strstr(R.served, "/data/rooms/");
		CHECK(web || log);
		CHECK(!strstr(R.served, "/outside/") && !strstr(R.served, "web-evil"));
		return;
	}
	if (strcmp(R.ctype, "application/json") != 0)
		return;
	CHECK(R.body != NULL);
	json_t *v = json_loadb(R.body, R.body_len, 0, NULL);
	CHECK(v != NULL);
	if (R.status >= 400) {
		CHECK(json_is_string(json_object_get(v, "code")));
		CHECK(json_is_string(json_object_get(v, "message")));
	}
	const char *token = json_string_value(json_object_get(v, "token"));
	if (R.status == 200 && token) {
		const char *dot = strchr(token, '.');
		CHECK(dot && strchr(dot + 1, '.') && !strchr(strchr(dot + 1, '.') + 1, '.'));
	}
	if (R.status == 201 && R.method == LWSHUMETH_POST && strcmp(uri, "/api/rooms") == 0) {
		const char *id = json_string_value(json_object_get(v, "id"));
		CHECK(id && rooms_find(S.gw->rooms, id) != NULL);
	}
	json_decref(v);
}

static void request(const char *uri, const char *body, size_t body_len, bool split)
{
	struct http_req *req = NULL;
	int rc = gw_http_request(S.gw, (struct lws *)&R, &req, uri);
	CHECK(req != NULL);
	if (rc == 0 && R.method == LWSHUMETH_POST && R.status == 0) {
		size_t half = split ? body_len / 2 : body_len;
		CHECK(gw_http_body(S.gw, (struct lws *)&R, req, body, half) == 0);
		CHECK(gw_http_body(S.gw, (struct lws *)&R, req, body + half, body_len - half) == 0);
		rc = gw_http_body_done(S.gw, (struct lws *)&R, req);
	}
	CHECK(rc == 0);
	for (int turns = 0; R.writable && turns < 64; turns++) {
		R.writable = false;
		CHECK(gw_http_writable(S.gw, (struct lws *)&R, req) == 0);
	}
	CHECK(!R.writable);
	check_answer(uri);
	gw_http_closed(S.gw, req);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup_once();
	if (size == 0)
		return 0;
	static const int methods[] = {LWSHUMETH_GET, LWSHUMETH_POST, LWSHUMETH_PUT};
	const uint8_t *at = data + 1, *end = data + size;
	size_t path_len, auth_len;
	const uint8_t *path = line(&at, end, &path_len);
	const uint8_t *auth = line(&at, end, &auth_len);
	char *target = expand(path, path_len);
	char *auth_value = expand(auth, auth_len);
	char *query = strchr(target, '?');
	if (query)
		*query++ = '\0';
	free(R.body);
	memset(&R, 0, sizeof R);
	R.method = methods[data[0] % 3];
	R.auth = auth_len ? auth_value : NULL;
	R.query = query;
	/* lws hands over a NUL-terminated path: a NUL in the input ends it. */
	request(target, (const char *)at, (size_t)(end - at), (data[0] & 0x80) != 0);
	free(target);
	free(auth_value);
	if (++S.inputs % RESET_EVERY == 0) {
		close_gateway();
		open_gateway();
	}
	return 0;
}
