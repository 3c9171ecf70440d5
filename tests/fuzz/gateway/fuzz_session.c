/*
 * fuzz_session -- the WebSocket session (gateway/session.c and the fan-out behind it):
 * what happens to one text message on a fresh connection and on a joined one, driven
 * through gw_session_message as ws.c drives it, with a fake transport as
 * tests/unit/gateway/test_session.c has it.
 *
 * A gateway is set up once per process over real rooms in a data directory under
 * /dev/shm (or /tmp): "plenary-1" with public observers and "closed" without, a TURN
 * server configured (so the join ack carries ice_servers), and a witness -- an
 * observer joined for good -- who receives every fan-out. Tokens for each role are
 * signed up front, since the fuzzer cannot forge HMAC-SHA256.
 *
 * An input: its first byte picks the connection under test -- fresh, or already joined
 * as chair, participant, captioner, observer, chair of "closed", venue or French
 * interpreter -- and the rest is up
 * to 16 text messages separated by 0x1e (a byte JSON cannot hold unescaped). In a
 * message "@0".."@7" stand for the signed tokens (see tokens[]). After each message the
 * loop's end of turn is played (gw_flush) and what the connection was sent is read back.
 *
 * Beyond "no crash, no leak": every message gets at least one reply, an ack or an error
 * (the session's contract); everything any connection is sent is a JSON object with a
 * string "type"; an error has a code and a message. The connection is closed at the end
 * of each input; the whole gateway is torn down and set up afresh every RESET_EVERY
 * inputs, so rooms and resume keys do not grow without end.
 */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gateway/conn.h"
#include "gateway/loop.h"
#include "gateway/msg.h"
#include "gateway/server.h"
#include "gateway/session.h"
#include "gateway/token.h"
#include "tests/fuzz/gateway/fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RESET_EVERY  128
#define MAX_MESSAGES 16
#define SECRET	     "fuzz-session-secret-0123456789"

static const struct {
	const char *room;
	enum token_role role;
	const char *sub;
	const char *group;
} tokens[] = {
    {"plenary-1", TOKEN_ROLE_CHAIR, "chair", ""},
    {"plenary-1", TOKEN_ROLE_PARTICIPANT, "pat", "government"},
    {"plenary-1", TOKEN_ROLE_CAPTIONER, "cart", ""},
    {"plenary-1", TOKEN_ROLE_OBSERVER, "watcher", ""},
    {"closed", TOKEN_ROLE_CHAIR, "chair", ""},
    {"closed", TOKEN_ROLE_PARTICIPANT, "pat", "academia"},
    {"plenary-1", TOKEN_ROLE_VENUE, "desk", ""},	   /* the room's sound desk (issue 14) */
    {"plenary-1", TOKEN_ROLE_INTERPRETER, "booth-fr", ""}, /* the French booth (issue 14) */
};
#define N_TOKENS (sizeof tokens / sizeof tokens[0])

static struct {
	char dir[256];
	struct gateway *gw;
	struct conn *witness;
	char *signed_tokens[N_TOKENS];
	long inputs;
} S;

static void fake_want_write(struct conn *c)
{
	(void)c;
}

static void fake_drop(struct conn *c)
{
	(void)c;
}

static const struct conn_io fake_io = {.want_write = fake_want_write, .drop = fake_drop};

/* Reads back what c was sent; checks each message; returns how many acks and errors. */
static size_t drain(struct conn *c)
{
	size_t replies = 0;
	struct gw_msg *m;
	while ((m = gw_conn_next(c)) != NULL) {
		json_t *v = json_loadb((const char *)m->payload, m->len, 0, NULL);
		gw_msg_unref(m);
		CHECK(json_is_object(v));
		const char *type = json_string_value(json_object_get(v, "type"));
		CHECK(type != NULL);
		if (strcmp(type, "error") == 0) {
			CHECK(json_is_string(json_object_get(v, "code")));
			CHECK(json_is_string(json_object_get(v, "message")));
		}
		replies += strcmp(type, "ack") == 0 || strcmp(type, "error") == 0;
		json_decref(v);
	}
	return replies;
}

/* One message on c, then the loop's end of turn; c must have had a reply. */
static void say(struct conn *c, const char *text, size_t len)
{
	gw_session_message(c, text, len);
	gw_flush(S.gw);
	CHECK(drain(c) >= 1);
	if (S.witness)
		drain(S.witness);
}

static char *sign(size_t i)
{
	if (tokens[i].role != TOKEN_ROLE_INTERPRETER)
		return fuzz_sign(SECRET, tokens[i].room, tokens[i].role, tokens[i].sub,
				 tokens[i].group);
	struct token_claims c; /* an interpreter's token needs its booth */
	memset(&c, 0, sizeof c);
	snprintf(c.room, sizeof c.room, "%s", tokens[i].room);
	c.role = tokens[i].role;
	snprintf(c.name, sizeof c.name, "Fuzz %s", tokens[i].sub);
	snprintf(c.sub, sizeof c.sub, "%s", tokens[i].sub);
	snprintf(c.lang, sizeof c.lang, "fr");
	c.exp = (int64_t)time(NULL) + 7 * 86400;
	char *tok = NULL;
	CHECK(token_sign(&c, (const uint8_t *)SECRET, strlen(SECRET), &tok) == TOKEN_OK);
	return tok;
}

static struct conn *connect_as(int who)
{
	struct conn *c = gw_conn_create(S.gw, &fake_io, NULL);
	CHECK(c != NULL);
	if (who < 0)
		return c;
	char text[2048];
	if (who == (int)N_TOKENS)
		snprintf(
		    text, sizeof text,
		    "{\"type\":\"join\",\"id\":1,\"room\":\"plenary-1\",\"role\":\"observer\"}");
	else
		snprintf(text, sizeof text,
			 "{\"type\":\"join\",\"id\":1,\"room\":\"%s\",\"token\":\"%s\"}",
			 tokens[who].room, S.signed_tokens[who]);
	say(c, text, strlen(text));
	CHECK(c->room != NULL);
	return c;
}

static void open_gateway(void)
{
	struct gateway *gw = calloc(1, sizeof *gw);
	CHECK(gw != NULL);
	gw_config_defaults(&gw->cfg);
	base_list_init(&gw->conns);
	gw->cfg.send_queue_bytes = 8 << 20;
	gw->cfg.n_turn = 1;
	snprintf(gw->cfg.turn[0].urls[0], sizeof gw->cfg.turn[0].urls[0], "turn:turn.test:3478");
	gw->cfg.turn[0].n_urls = 1;
	snprintf(gw->cfg.turn[0].secret, sizeof gw->cfg.turn[0].secret, "coturn");
	gw->cfg.turn[0].ttl_s = 600;
	memcpy(gw->secret, SECRET, sizeof SECRET - 1);
	gw->secret_len = sizeof SECRET - 1;
	struct rooms_sink sink = gw_fanout_sink(gw);
	struct rooms_options opt = {.data_dir = S.dir, .grace_ms = 20000, .now_ms = gw_now_ms()};
	char err[256];
	CHECK(rooms_open(&opt, &sink, &gw->rooms, err, sizeof err) == ROOM_OK);
	struct room_settings open_room = {
	    .id = "plenary-1", .title = "Plenary", .public_observers = true};
	struct room_settings closed_room = {
	    .id = "closed", .title = "Closed", .reveal_hum_counts = true};
	struct room *room;
	CHECK(rooms_create(gw->rooms, &open_room, gw_now_ms(), &room) == ROOM_OK);
	CHECK(rooms_create(gw->rooms, &closed_room, gw_now_ms(), &room) == ROOM_OK);
	gw_flush(gw);
	S.gw = gw;
	S.witness = connect_as((int)N_TOKENS);
	/* A live session, so the room commands get past "not started". */
	struct conn *chair = connect_as(0);
	const char *start = "{\"type\":\"session.start\",\"id\":2,\"title\":\"Fuzz\"}";
	say(chair, start, strlen(start));
	gw_session_closed(chair);
	gw_conn_destroy(chair);
	gw_flush(gw);
}

static void close_gateway(void)
{
	struct gateway *gw = S.gw;
	if (!gw)
		return;
	struct base_list *node;
	while ((node = base_list_first(&gw->conns)) != NULL) {
		struct conn *c = BASE_CONTAINER_OF(node, struct conn, link);
		gw_session_closed(c);
		gw_conn_destroy(c);
	}
	gw_flush(gw);
	gw_host_free_all(gw);
	rooms_close(gw->rooms);
	gw_sessions_free(gw);
	free(gw);
	S.gw = NULL;
	S.witness = NULL;
	char rooms_dir[300];
	snprintf(rooms_dir, sizeof rooms_dir, "%s/rooms", S.dir);
	fuzz_rm_tree(rooms_dir);
}

static void cleanup(void)
{
	close_gateway();
	for (size_t i = 0; i < N_TOKENS; i++)
		free(S.signed_tokens[i]);
	if (S.dir[0])
		fuzz_rm_tree(S.dir);
}

static void setup_once(void)
{
	if (S.dir[0])
		return;
	fuzz_scratch_dir(S.dir, sizeof S.dir, "session");
	for (size_t i = 0; i < N_TOKENS; i++)
		S.signed_tokens[i] = sign(i);
	atexit(cleanup);
	open_gateway();
}

/* The message with "@0".."@7" replaced by the signed tokens; the caller frees it. */
static char *expand(const uint8_t *msg, size_t len, size_t *out_len)
{
	size_t cap = len + 1;
	for (size_t i = 0; i + 1 < len; i++)
		if (msg[i] == '@' && msg[i + 1] >= '0' && msg[i + 1] < '0' + (int)N_TOKENS)
			cap += strlen(S.signed_tokens[msg[i + 1] - '0']);
	char *out = malloc(cap);
	CHECK(out != NULL);
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		if (msg[i] == '@' && i + 1 < len && msg[i + 1] >= '0' &&
		    msg[i + 1] < '0' + (int)N_TOKENS) {
			const char *tok = S.signed_tokens[msg[++i] - '0'];
			memcpy(out + n, tok, strlen(tok));
			n += strlen(tok);
		} else {
			out[n++] = (char)msg[i];
		}
	}
	out[n] = '\0';
	*out_len = n;
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup_once();
	if (size == 0)
		return 0;
	/* -1: fresh; 0..N_TOKENS-1: joined with that token; N_TOKENS: anonymous observer. */
	int who = (int)(data[0] % (N_TOKENS + 2)) - 1;
	struct conn *c = connect_as(who);
	size_t at = 1;
	for (int n = 0; at <= size && n < MAX_MESSAGES; n++) {
		const uint8_t *end = memchr(data + at, 0x1e, size - at);
		size_t len = end ? (size_t)(end - (data + at)) : size - at;
		size_t text_len;
		char *text = expand(data + at, len, &text_len);
		say(c, text, text_len);
		free(text);
		at += len + 1;
	}
	gw_session_closed(c);
	gw_conn_destroy(c);
	gw_flush(S.gw);
	if (S.witness)
		drain(S.witness);
	if (++S.inputs % RESET_EVERY == 0) {
		close_gateway();
		open_gateway();
	}
	return 0;
}
