/*
 * The WebSocket session without a socket: real rooms (a registry in a temporary
 * directory, its sink the gateway's fan-out) and connections whose transport is a fake
 * that only counts. What a connection was sent is read back from its send ring, so these
 * tests see exactly what a client would, in order. No loop runs: a test calls gw_flush()
 * where the loop would end its turn.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gateway/conn.h"
#include "gateway/loop.h"
#include "gateway/server.h"
#include "gateway/session.h"
#include "gateway/token.h"

#define ROOM "plenary-1"

struct fixture {
	char dir[64];
	struct gateway *gw;
};

static unsigned drops, wakes;

static void fake_want_write(struct conn *c)
{
	(void)c;
	wakes++;
}

static void fake_drop(struct conn *c)
{
	(void)c;
	drops++;
}

static const struct conn_io fake_io = {.want_write = fake_want_write, .drop = fake_drop};

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	snprintf(f->dir, sizeof f->dir, "/tmp/plenary-gw-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	struct gateway *gw = calloc(1, sizeof *gw);
	gw_config_defaults(&gw->cfg);
	base_list_init(&gw->conns);
	gw->cfg.send_queue_bytes = 1 << 20;
	memcpy(gw->secret, "unit-test-secret-0123456789", 27);
	gw->secret_len = 27;
	struct rooms_sink sink = gw_fanout_sink(gw);
	struct rooms_options opt = {.data_dir = f->dir, .grace_ms = 20000, .now_ms = gw_now_ms()};
	char err[256];
	assert_int_equal(rooms_open(&opt, &sink, &gw->rooms, err, sizeof err), ROOM_OK);
	struct room_settings s = {.id = ROOM, .title = "Plenary", .public_observers = true};
	struct room *room;
	assert_int_equal(rooms_create(gw->rooms, &s, gw_now_ms(), &room), ROOM_OK);
	gw_flush(gw);
	f->gw = gw;
	drops = wakes = 0;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct gateway *gw = f->gw;
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
	gw_addr_buckets_free(&gw->join_limits);
	free(gw);
	nftw(f->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* --- helpers ------------------------------------------------------------------------------ */

static void say(struct conn *c, const char *text)
{
	gw_session_message(c, text, strlen(text));
}

/* The next message c was sent, parsed; NULL if none is queued. */
static json_t *next(struct conn *c)
{
	struct gw_msg *m = gw_conn_next(c);
	if (!m)
		return NULL;
	json_t *v = json_loadb((const char *)m->payload, m->len, 0, NULL);
	gw_msg_unref(m);
	assert_non_null(v);
	return v;
}

/* Throws away whatever c was sent so far; returns how many messages. */
static size_t drain(struct conn *c)
{
	size_t n = 0;
	for (json_t *v; (v = next(c)); n++)
		json_decref(v);
	return n;
}

static const char *str(json_t *v, const char *key)
{
	return json_string_value(json_object_get(v, key));
}

/* Checks that the next message is an error with code (and id, if id >= 0). */
static void expect_error(struct conn *c, const char *code, json_int_t id)
{
	json_t *v = next(c);
	assert_non_null(v);
	assert_string_equal(str(v, "type"), "error");
	assert_string_equal(str(v, "code"), code);
	if (id >= 0)
		assert_int_equal(json_integer_value(json_object_get(v, "id")), id);
	else
		assert_null(json_object_get(v, "id"));
	json_decref(v);
}

/* The next message, which must be an ack of id; the caller frees it. */
static json_t *expect_ack(struct conn *c, json_int_t id)
{
	json_t *v = next(c);
	assert_non_null(v);
	assert_string_equal(str(v, "type"), "ack");
	assert_int_equal(json_integer_value(json_object_get(v, "id")), id);
	return v;
}

static char *token_for(enum token_role role, const char *sub)
{
	struct token_claims c;
	memset(&c, 0, sizeof c);
	snprintf(c.room, sizeof c.room, "%s", ROOM);
	c.role = role;
	snprintf(c.name, sizeof c.name, "Name of %s", sub);
	snprintf(c.sub, sizeof c.sub, "%s", sub);
	c.exp = time(NULL) + 3600;
	char *tok = NULL;
	assert_int_equal(token_sign(&c, (const uint8_t *)"unit-test-secret-0123456789", 27, &tok),
			 TOKEN_OK);
	return tok;
}

/* A connection joined with a token for role; the join ack is consumed. */
static struct conn *joined(struct gateway *gw, enum token_role role, const char *sub)
{
	struct conn *c = gw_conn_create(gw, &fake_io, NULL);
	assert_non_null(c);
	char *tok = token_for(role, sub);
	char text[2048];
	snprintf(text, sizeof text, "{\"type\":\"join\",\"id\":1,\"room\":\"%s\",\"token\":\"%s\"}",
		 ROOM, tok);
	free(tok);
	say(c, text);
	gw_flush(gw); /* a participant's arrival is an event: the ack waits for it */
	json_decref(expect_ack(c, 1));
	assert_non_null(c->room);
	return c;
}

/* --- the envelope ------------------------------------------------------------------------- */

static void ping_before_join(void **state)
{
	struct fixture *f = *state;
	struct conn *c = gw_conn_create(f->gw, &fake_io, NULL);
	say(c, "{\"type\":\"ping\",\"id\":7}");
	json_t *ack = expect_ack(c, 7);
	json_decref(ack);
	assert_null(next(c));
	assert_int_equal(wakes, 1);
}

static void bad_envelopes_are_bad_request(void **state)
{
	struct fixture *f = *state;
	struct conn *c = gw_conn_create(f->gw, &fake_io, NULL);
	say(c, "{not json");
	expect_error(c, "bad_request", -1);
	say(c, "[1,2]");
	expect_error(c, "bad_request", -1);
	say(c, "{\"type\":\"ping\",\"id\":\"seven\"}");
	expect_error(c, "bad_request", -1);
	say(c, "{\"id\":3}");
	expect_error(c, "bad_request", 3);
	say(c, "{\"type\":5,\"id\":4}");
	expect_error(c, "bad_request", 4);
	say(c, "{\"type\":\"ping\",\"type\":\"ping\"}"); /* duplicate keys */
	expect_error(c, "bad_request", -1);
	/* The connection stays usable. */
	say(c, "{\"type\":\"ping\",\"id\":8}");
	json_decref(expect_ack(c, 8));
	assert_int_equal(drops, 0);
}

static void unknown_type_before_and_after_join(void **state)
{
	struct fixture *f = *state;
	struct conn *c = gw_conn_create(f->gw, &fake_io, NULL);
	say(c, "{\"type\":\"queue.fly\",\"id\":2}");
	expect_error(c, "unknown_type", 2);
	struct conn *p = joined(f->gw, TOKEN_ROLE_PARTICIPANT, "alice");
	say(p, "{\"type\":\"queue.fly\",\"id\":3}");
	expect_error(p, "unknown_type", 3);
}

static void join_first(void **state)
{
	struct fixture *f = *state;
	struct conn *c = gw_conn_create(f->gw, &fake_io, NULL);
	say(c, "{\"type\":\"queue.raise\",\"id\":1}");
	expect_error(c, "unauthorized", 1);
	say(c, "{\"type\":\"leave\",\"id\":2}");
	expect_error(c, "unauthorized", 2);
	say(c, "{\"type\":\"media.offer\",\"id\":3,\"sdp\":\"v=0\"}");
	expect_error(c, "unauthorized", 3);
	assert_null(c->room);
}

/* --- join --------------------------------------------------------------------------------- */

static void join_with_token(void **state)
{
	struct fixture *f = *state;
	struct conn *c = gw_conn_create(f->gw, &fake_io, NULL);
	char *tok = token_for(TOKEN_ROLE_CHAIR, "ana");
	char text[2048];
	snprintf(text, sizeof text, "{\"type\":\"join\",\"id\":1,\"room\":\"%s\",\"token\":\"%s\"}",
		 ROOM, tok);
	free(tok);
	say(c, text);
	gw_flush(f->gw);
	json_t *ack = expect_ack(c, 1);
	assert_int_equal(strlen(str(ack, "session")), GW_SESSION_KEY_LEN);
	json_t *you = json_object_get(ack, "you");
	assert_string_equal(str(you, "pid"), "ana");
	assert_string_equal(str(you, "role"), "chair");
	assert_string_equal(str(you, "location"), "remote");
	assert_true(json_is_integer(json_object_get(ack, "seq")));
	assert_true(json_is_object(json_object_get(ack, "state")));
	assert_null(json_object_get(ack, "resumed"));
	json_decref(ack);
	assert_int_equal(f->gw->metrics.connections[ROOM_ROLE_CHAIR], 1);
	assert_int_equal(f->gw->metrics.connections[ROOM_ROLE_COUNT], 0);
	/* A second join on the same connection. */
	say(c, text);
	expect_error(c, "conflict", 1);
}

static void join_refusals(void **state)
{
	struct fixture *f = *state;
	struct conn *c = gw_conn_create(f->gw, &fake_io, NULL);
	say(c, "{\"type\":\"join\",\"id\":1}");
	expect_error(c, "bad_request", 1);
	say(c, "{\"type\":\"join\",\"id\":2,\"room\":\"no-such-room\",\"role\":\"observer\"}");
	expect_error(c, "not_found", 2);
	say(c, "{\"type\":\"join\",\"id\":3,\"room\":\"" ROOM "\",\"token\":\"a.b.c\"}");
	expect_error(c, "unauthorized", 3);
	say(c, "{\"type\":\"join\",\"id\":4,\"room\":\"" ROOM "\",\"token\":7}");
	expect_error(c, "bad_request", 4);
	say(c, "{\"type\":\"join\",\"id\":5,\"room\":\"" ROOM "\"}");
	expect_error(c, "unauthorized", 5);
	assert_null(c->room);
}

static void anonymous_observer(void **state)
{
	struct fixture *f = *state;
	struct conn *c = gw_conn_create(f->gw, &fake_io, NULL);
	say(c, "{\"type\":\"join\",\"id\":1,\"room\":\"" ROOM "\",\"role\":\"observer\","
	       "\"name\":\"Watcher\"}");
	json_t *ack = expect_ack(c, 1);
	json_t *you = json_object_get(ack, "you");
	assert_string_equal(str(you, "role"), "observer");
	assert_string_equal(str(you, "name"), "Watcher");
	assert_memory_equal(str(you, "pid"), "obs-", 4);
	json_decref(ack);
	/* Observers may not raise a hand: the room's permission table decides. */
	say(c, "{\"type\":\"queue.raise\",\"id\":2}");
	expect_error(c, "forbidden", 2);
}

/* --- room commands ------------------------------------------------------------------------ */

static void room_command_waits_for_the_flush(void **state)
{
	struct fixture *f = *state;
	struct conn *chair = joined(f->gw, TOKEN_ROLE_CHAIR, "ana");
	struct conn *p = joined(f->gw, TOKEN_ROLE_PARTICIPANT, "alice");
	assert_true(drain(chair) > 0); /* alice's arrival */
	say(chair, "{\"type\":\"session.start\",\"id\":5,\"title\":\"Morning\"}");
	/* Nothing is told before the log is durable. */
	assert_null(next(chair));
	assert_null(next(p));
	gw_flush(f->gw);
	json_t *ev = next(p);
	assert_non_null(ev);
	assert_string_equal(str(ev, "type"), "event");
	assert_string_equal(str(ev, "kind"), "session.started");
	int64_t seq = json_integer_value(json_object_get(ev, "seq"));
	assert_true(seq > 0);
	json_decref(ev);
	bool acked = false, evented = false;
	for (json_t *v; (v = next(chair));) {
		if (strcmp(str(v, "type"), "ack") == 0) {
			assert_int_equal(json_integer_value(json_object_get(v, "id")), 5);
			acked = true;
		} else if (strcmp(str(v, "type"), "event") == 0) {
			assert_int_equal(json_integer_value(json_object_get(v, "seq")), seq);
			evented = true;
		}
		json_decref(v);
	}
	assert_true(acked && evented);
	/* A command the room refuses: the error carries the id. */
	say(p, "{\"type\":\"session.end\",\"id\":6}");
	gw_flush(f->gw);
	expect_error(p, "forbidden", 6);
}

static void captions_are_rate_limited(void **state)
{
	struct fixture *f = *state;
	struct conn *chair = joined(f->gw, TOKEN_ROLE_CHAIR, "ana");
	say(chair, "{\"type\":\"session.start\",\"id\":2}");
	gw_flush(f->gw);
	struct conn *cap = joined(f->gw, TOKEN_ROLE_CAPTIONER, "kim");
	int limited = 0, acked = 0;
	for (int i = 0; i < 200 && !limited; i++) {
		char text[128];
		snprintf(text, sizeof text,
			 "{\"type\":\"caption\",\"id\":%d,\"lang\":\"en\",\"text\":\"w%d\","
			 "\"final\":false}",
			 100 + i, i);
		say(cap, text);
		gw_flush(f->gw);
		for (json_t *v; (v = next(cap));) {
			if (strcmp(str(v, "type"), "ack") == 0)
				acked++;
			else if (strcmp(str(v, "type"), "error") == 0) {
				assert_string_equal(str(v, "code"), "rate_limited");
				limited++;
			}
			json_decref(v);
		}
	}
	/* A burst of 40 goes through; the bucket refills at 20 a second. */
	assert_int_equal(limited, 1);
	assert_true(acked >= 40);
}

/* --- rate limits: a clock the test moves ----------------------------------------------- */

static int64_t fake_now_ms;

static int64_t fake_clock(void)
{
	return fake_now_ms;
}

/* Every class a burst of 2 and 1 a second, on the fake clock. */
static void tiny_limits(struct gateway *gw)
{
	for (int i = 0; i < GW_WS_LIMIT_CLASSES; i++)
		gw->cfg.ws_limits[i] = (struct gw_rate){1, 2};
	gw->cfg.join_per_address = (struct gw_rate){1, 2};
	fake_now_ms = 1000000;
	gw->limit_clock_ms = fake_clock;
}

/* Sends text; the answer must be rate_limited naming cls and a wait. */
static void expect_limited(struct gateway *gw, struct conn *c, const char *text, const char *cls)
{
	say(c, text);
	gw_flush(gw);
	json_t *v = next(c);
	assert_non_null(v);
	assert_string_equal(str(v, "type"), "error");
	assert_string_equal(str(v, "code"), "rate_limited");
	assert_non_null(strstr(str(v, "message"), cls));
	assert_non_null(strstr(str(v, "message"), "retry in"));
	json_decref(v);
	assert_null(next(c));
}

/* Sends text; the answer must be anything but rate_limited. */
static void expect_not_limited(struct gateway *gw, struct conn *c, const char *text)
{
	say(c, text);
	gw_flush(gw);
	json_t *v = next(c);
	assert_non_null(v);
	assert_false(json_is_string(json_object_get(v, "code")) &&
		     strcmp(str(v, "code"), "rate_limited") == 0);
	json_decref(v);
	drain(c);
}

static void each_class_has_its_own_bucket(void **state)
{
	struct fixture *f = *state;
	tiny_limits(f->gw);
	struct conn *chair = joined(f->gw, TOKEN_ROLE_CHAIR, "ana"); /* a session token */
	expect_not_limited(f->gw, chair, "{\"type\":\"session.start\",\"id\":2}");
	expect_not_limited(f->gw, chair,
			   "{\"type\":\"hum.start\",\"id\":3,\"question\":\"q\","
			   "\"options\":[\"a\",\"b\"]}");
	expect_limited(f->gw, chair, "{\"type\":\"queue.open\",\"id\":4}", "chair");
	expect_not_limited(f->gw, chair, "{\"type\":\"ping\",\"id\":5}");
	expect_limited(f->gw, chair, "{\"type\":\"ping\",\"id\":6}", "session");
	struct conn *p = joined(f->gw, TOKEN_ROLE_PARTICIPANT, "alice");
	drain(chair);
	struct room *room = rooms_find(f->gw->rooms, ROOM);
	expect_not_limited(f->gw, p, "{\"type\":\"queue.raise\",\"id\":2}");
	expect_not_limited(f->gw, p, "{\"type\":\"queue.lower\",\"id\":3}");
	int64_t head = room_head_seq(room);
	expect_limited(f->gw, p, "{\"type\":\"queue.raise\",\"id\":4}", "queue");
	assert_int_equal(room_head_seq(room), head); /* nothing logged */
	/* Another class of the same connection has its own bucket. */
	expect_not_limited(f->gw, p, "{\"type\":\"hum.cast\",\"id\":5,\"hum\":1,\"option\":0}");
	expect_not_limited(f->gw, p,
			   "{\"type\":\"poll.vote\",\"id\":6,\"poll\":1,\"choices\":[0]}");
	expect_limited(f->gw, p, "{\"type\":\"hum.cast\",\"id\":7,\"hum\":1,\"option\":1}",
		       "sense");
	struct conn *cap = joined(f->gw, TOKEN_ROLE_CAPTIONER, "kim");
	const char *caption = "{\"type\":\"caption\",\"id\":8,\"lang\":\"en\",\"text\":\"w\","
			      "\"final\":false}";
	expect_not_limited(f->gw, cap, caption);
	expect_not_limited(f->gw, cap, caption);
	expect_limited(f->gw, cap, caption, "caption");
	/* A second later one token is back: one command, not two. */
	fake_now_ms += 1000;
	expect_not_limited(f->gw, p, "{\"type\":\"queue.raise\",\"id\":9}");
	expect_limited(f->gw, p, "{\"type\":\"queue.lower\",\"id\":10}", "queue");
	expect_not_limited(f->gw, chair, "{\"type\":\"queue.open\",\"id\":11}");
	expect_not_limited(f->gw, cap, caption);
}

static void joins_are_limited_per_address(void **state)
{
	struct fixture *f = *state;
	tiny_limits(f->gw);
	const char *join =
	    "{\"type\":\"join\",\"id\":1,\"room\":\"" ROOM "\",\"role\":\"observer\"}";
	struct conn *c[4];
	for (int i = 0; i < 4; i++) {
		c[i] = gw_conn_create(f->gw, &fake_io, NULL);
		snprintf(c[i]->addr, sizeof c[i]->addr, "%s", i < 3 ? "192.0.2.1" : "192.0.2.2");
	}
	expect_not_limited(f->gw, c[0], join);
	expect_not_limited(f->gw, c[1], join);
	expect_limited(f->gw, c[2], join, "join from this address");
	assert_null(c[2]->room);
	expect_not_limited(f->gw, c[3], join); /* another address */
	assert_non_null(c[3]->room);
	fake_now_ms += 1000;
	expect_not_limited(f->gw, c[2], join);
	assert_non_null(c[2]->room);
}

/* A loopback peer is a reverse proxy on the host: its joins are not limited by address
 * unless limit_loopback. */
static void loopback_joins_follow_limit_loopback(void **state)
{
	struct fixture *f = *state;
	tiny_limits(f->gw);
	const char *join =
	    "{\"type\":\"join\",\"id\":1,\"room\":\"" ROOM "\",\"role\":\"observer\"}";
	struct conn *c[4];
	for (int i = 0; i < 4; i++) {
		c[i] = gw_conn_create(f->gw, &fake_io, NULL);
		snprintf(c[i]->addr, sizeof c[i]->addr, "%s", "127.0.0.1");
	}
	for (int i = 0; i < 3; i++)
		expect_not_limited(f->gw, c[i], join);
	f->gw->cfg.http.limit_loopback = true;
	fake_now_ms += 1; /* c[3]'s own bucket is full; the address's has 2 */
	expect_not_limited(f->gw, c[3], join);
	struct conn *d = gw_conn_create(f->gw, &fake_io, NULL);
	snprintf(d->addr, sizeof d->addr, "%s", "127.0.0.1");
	expect_not_limited(f->gw, d, join);
	struct conn *e = gw_conn_create(f->gw, &fake_io, NULL);
	snprintf(e->addr, sizeof e->addr, "%s", "127.0.0.1");
	expect_limited(f->gw, e, join, "join from this address");
}

static void leave_acks_then_detaches(void **state)
{
	struct fixture *f = *state;
	struct conn *chair = joined(f->gw, TOKEN_ROLE_CHAIR, "ana");
	struct conn *p = joined(f->gw, TOKEN_ROLE_PARTICIPANT, "alice");
	assert_true(drain(chair) > 0); /* alice's arrival */
	say(p, "{\"type\":\"leave\",\"id\":9}");
	/* The leave is made durable before its ack: the departure event comes first. */
	json_t *v = next(p);
	assert_string_equal(str(v, "type"), "event");
	assert_string_equal(str(v, "kind"), "participant.left");
	json_decref(v);
	json_decref(expect_ack(p, 9));
	assert_null(p->room);
	assert_int_equal(f->gw->metrics.connections[ROOM_ROLE_PARTICIPANT], 0);
	assert_int_equal(f->gw->metrics.connections[ROOM_ROLE_COUNT], 1);
	say(p, "{\"type\":\"queue.raise\",\"id\":10}");
	expect_error(p, "unauthorized", 10);
	/* The chair hears of the departure. */
	gw_flush(f->gw);
	v = next(chair);
	assert_non_null(v);
	assert_string_equal(str(v, "kind"), "participant.left");
	json_decref(v);
}

static void media_offer_without_media(void **state)
{
	struct fixture *f = *state;
	struct conn *p = joined(f->gw, TOKEN_ROLE_PARTICIPANT, "alice");
	say(p, "{\"type\":\"media.offer\",\"id\":2}");
	expect_error(p, "bad_request", 2);
	say(p, "{\"type\":\"media.offer\",\"id\":3,\"sdp\":\"v=0\\r\\n\"}");
	expect_error(p, "unavailable", 3);
}

static void resume_after_a_drop(void **state)
{
	struct fixture *f = *state;
	struct conn *c = gw_conn_create(f->gw, &fake_io, NULL);
	char *tok = token_for(TOKEN_ROLE_PARTICIPANT, "alice");
	char text[2048];
	snprintf(text, sizeof text, "{\"type\":\"join\",\"id\":1,\"room\":\"%s\",\"token\":\"%s\"}",
		 ROOM, tok);
	say(c, text);
	gw_flush(f->gw);
	json_t *ack = expect_ack(c, 1);
	char key[GW_SESSION_KEY_LEN + 1];
	snprintf(key, sizeof key, "%s", str(ack, "session"));
	json_int_t seq = json_integer_value(json_object_get(ack, "seq"));
	json_decref(ack);
	gw_session_closed(c);
	gw_conn_destroy(c);
	gw_flush(f->gw);

	c = gw_conn_create(f->gw, &fake_io, NULL);
	snprintf(text, sizeof text,
		 "{\"type\":\"join\",\"id\":2,\"room\":\"%s\",\"token\":\"%s\","
		 "\"resume\":{\"session\":\"%s\",\"since\":%lld}}",
		 ROOM, tok, key, (long long)seq);
	free(tok);
	say(c, text);
	gw_flush(f->gw);
	json_t *v;
	while ((v = next(c)) && strcmp(str(v, "type"), "ack") != 0)
		json_decref(v); /* the events since seq come first */
	assert_non_null(v);
	assert_true(json_is_true(json_object_get(v, "resumed")));
	assert_string_equal(str(v, "session"), key);
	json_decref(v);
}

/* Moderation: a removed person's connections get the private message, then a close (a
 * gw_msg with close_code 4403) behind it; meanwhile what they send is refused; joining
 * again is forbidden with the chair and the reason in the message. */
static void removal_tells_closes_and_refuses(void **state)
{
	struct fixture *f = *state;
	struct conn *chair = joined(f->gw, TOKEN_ROLE_CHAIR, "carla");
	struct conn *dan1 = joined(f->gw, TOKEN_ROLE_PARTICIPANT, "dan");
	struct conn *dan2 = joined(f->gw, TOKEN_ROLE_PARTICIPANT, "dan");
	struct conn *olga = joined(f->gw, TOKEN_ROLE_PARTICIPANT, "olga");
	drain(chair), drain(dan1), drain(dan2), drain(olga);
	say(chair,
	    "{\"type\":\"participant.remove\",\"id\":5,\"pid\":\"dan\",\"reason\":\"abuse\"}");
	json_t *v;
	while ((v = next(chair)) && strcmp(str(v, "type"), "ack") != 0)
		json_decref(v);
	assert_non_null(v);
	json_decref(v);
	for (struct conn *c = dan1; c; c = c == dan1 ? dan2 : NULL) {
		while ((v = next(c)) && strcmp(str(v, "type"), "private") != 0)
			json_decref(v); /* the events come first */
		assert_non_null(v);
		assert_string_equal(str(v, "kind"), "removed");
		json_t *d = json_object_get(v, "data");
		assert_string_equal(str(d, "by"), "carla");
		assert_string_equal(str(d, "by_name"), "Name of carla");
		assert_string_equal(str(d, "reason"), "abuse");
		json_decref(v);
		struct gw_msg *m = gw_conn_next(c);
		assert_non_null(m);
		assert_int_equal(m->close_code, 4403);
		assert_string_equal((const char *)m->payload, "removed by a chair");
		gw_msg_unref(m);
		assert_true(c->kicked);
	}
	assert_false(olga->kicked);
	say(dan1, "{\"type\":\"queue.raise\",\"id\":9}");
	gw_flush(f->gw);
	expect_error(dan1, "forbidden", 9);

	struct conn *again = gw_conn_create(f->gw, &fake_io, NULL);
	char *tok = token_for(TOKEN_ROLE_PARTICIPANT, "dan");
	char text[2048];
	snprintf(text, sizeof text, "{\"type\":\"join\",\"id\":1,\"room\":\"%s\",\"token\":\"%s\"}",
		 ROOM, tok);
	free(tok);
	say(again, text);
	v = next(again);
	assert_string_equal(str(v, "code"), "forbidden");
	assert_non_null(strstr(str(v, "message"), "carla"));
	assert_non_null(strstr(str(v, "message"), "abuse"));
	json_decref(v);
}

/* A revoked sub is refused by gw_token_verify, which every entry point uses (the closing
 * of live connections is the revocation route's: tests/integration/moderation.test.mjs). */
static void revoked_token_is_refused(void **state)
{
	struct fixture *f = *state;
	struct conn *eve = joined(f->gw, TOKEN_ROLE_PARTICIPANT, "eve");
	drain(eve);
	struct room *room = rooms_find(f->gw->rooms, ROOM);
	bool already = true;
	assert_int_equal(room_token_revoke(room, "eve", NULL, NULL, gw_now_ms(), &already),
			 ROOM_OK);
	gw_flush(f->gw);
	char *tok = token_for(TOKEN_ROLE_PARTICIPANT, "eve");
	struct token_claims c;
	assert_int_equal(gw_token_verify(f->gw, tok, ROOM, &c), TOKEN_EREVOKED);
	assert_string_equal(token_strerror(TOKEN_EREVOKED), "token revoked");
	free(tok);
	tok = token_for(TOKEN_ROLE_PARTICIPANT, "other");
	assert_int_equal(gw_token_verify(f->gw, tok, ROOM, &c), TOKEN_OK);
	free(tok);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(ping_before_join, setup, teardown),
	    cmocka_unit_test_setup_teardown(bad_envelopes_are_bad_request, setup, teardown),
	    cmocka_unit_test_setup_teardown(unknown_type_before_and_after_join, setup, teardown),
	    cmocka_unit_test_setup_teardown(join_first, setup, teardown),
	    cmocka_unit_test_setup_teardown(join_with_token, setup, teardown),
	    cmocka_unit_test_setup_teardown(join_refusals, setup, teardown),
	    cmocka_unit_test_setup_teardown(anonymous_observer, setup, teardown),
	    cmocka_unit_test_setup_teardown(room_command_waits_for_the_flush, setup, teardown),
	    cmocka_unit_test_setup_teardown(captions_are_rate_limited, setup, teardown),
	    cmocka_unit_test_setup_teardown(each_class_has_its_own_bucket, setup, teardown),
	    cmocka_unit_test_setup_teardown(joins_are_limited_per_address, setup, teardown),
	    cmocka_unit_test_setup_teardown(loopback_joins_follow_limit_loopback, setup, teardown),
	    cmocka_unit_test_setup_teardown(leave_acks_then_detaches, setup, teardown),
	    cmocka_unit_test_setup_teardown(media_offer_without_media, setup, teardown),
	    cmocka_unit_test_setup_teardown(resume_after_a_drop, setup, teardown),
	    cmocka_unit_test_setup_teardown(removal_tells_closes_and_refuses, setup, teardown),
	    cmocka_unit_test_setup_teardown(revoked_token_is_refused, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
