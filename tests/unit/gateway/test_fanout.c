/*
 * The fan-out without a socket: real rooms whose sink is the gateway's fan-out, and
 * connections attached to a room's host by hand (no session), so what is tested is the
 * durability barrier, the listener and the send ring's ceiling.
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

#include "gateway/conn.h"
#include "gateway/fanout.h"
#include "gateway/loop.h"
#include "gateway/server.h"
#include "gateway/session.h"

#define ROOM "plenary-1"

struct fixture {
	char dir[64];
	struct gateway *gw;
	struct room *room;
	unsigned drops, events, durables, mics;
	bool last_ok;
	char last_kind[64];
};

static struct fixture *current;

static void fake_want_write(struct conn *c)
{
	(void)c;
}

static void fake_drop(struct conn *c)
{
	(void)c;
	current->drops++;
}

static const struct conn_io fake_io = {.want_write = fake_want_write, .drop = fake_drop};

static void on_event(void *ctx, struct room_host *h, const char *msg, size_t len)
{
	struct fixture *f = ctx;
	assert_true(!f->room || h->room == f->room);
	json_t *v = json_loadb(msg, len, 0, NULL);
	snprintf(f->last_kind, sizeof f->last_kind, "%s",
		 json_string_value(json_object_get(v, "kind")));
	json_decref(v);
	f->events++;
}

static void on_durable(void *ctx, struct room_host *h, bool ok)
{
	struct fixture *f = ctx;
	assert_true(!f->room || h->room == f->room);
	f->last_ok = ok;
	f->durables++;
}

static void on_mic(void *ctx, struct room *room, const char *pid, bool open)
{
	struct fixture *f = ctx;
	(void)room, (void)pid, (void)open;
	f->mics++;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	current = f;
	snprintf(f->dir, sizeof f->dir, "/tmp/plenary-fanout-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	struct gateway *gw = calloc(1, sizeof *gw);
	gw_config_defaults(&gw->cfg);
	base_list_init(&gw->conns);
	gw->listener = (struct fanout_listener){
	    .event = on_event, .durable = on_durable, .mic = on_mic, .ctx = f};
	struct rooms_sink sink = gw_fanout_sink(gw);
	struct rooms_options opt = {.data_dir = f->dir, .grace_ms = 20000, .now_ms = gw_now_ms()};
	char err[256];
	assert_int_equal(rooms_open(&opt, &sink, &gw->rooms, err, sizeof err), ROOM_OK);
	struct room_settings s = {.id = ROOM, .title = "Plenary", .public_observers = true};
	assert_int_equal(rooms_create(gw->rooms, &s, gw_now_ms(), &f->room), ROOM_OK);
	gw_flush(gw);
	f->gw = gw;
	f->events = f->durables = 0;
	*state = f;
	return 0;
}

/* A replica (nats_log.h's part) that takes every batch and answers when the test says:
 * the fan-out's side of it is the seal. */
static bool fake_replicate(void *ctx, struct room *room, int64_t first_seq, const char *lines,
			   size_t len, bool wait)
{
	(void)first_seq, (void)lines, (void)len;
	struct room_host *h = gw_host_for(ctx, room);
	if (h && !wait)
		gw_host_seal(h);
	return true;
}

static int setup_replica(void **state)
{
	setup(state);
	struct fixture *f = *state;
	struct gateway *gw = f->gw;
	gw_host_free_all(gw);
	rooms_close(gw->rooms);
	struct rooms_sink sink = gw_fanout_sink(gw);
	sink.replicate = fake_replicate;
	struct rooms_options opt = {.data_dir = f->dir, .grace_ms = 20000, .now_ms = gw_now_ms()};
	char err[256];
	assert_int_equal(rooms_open(&opt, &sink, &gw->rooms, err, sizeof err), ROOM_OK);
	f->room = rooms_find(gw->rooms, ROOM);
	assert_non_null(f->room);
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
	free(gw);
	nftw(f->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* A connection of who, attached to the room as the session would. */
static struct conn *attach(struct fixture *f, const char *pid, enum room_role role)
{
	struct conn *c = gw_conn_create(f->gw, &fake_io, NULL);
	assert_non_null(c);
	snprintf(c->pid, sizeof c->pid, "%s", pid);
	snprintf(c->name, sizeof c->name, "%s", pid);
	c->who = (struct room_identity){c->pid, c->name, role, c->group, false, NULL};
	assert_int_equal(room_attach(f->room, &c->who, gw_now_ms()), ROOM_OK);
	f->gw->metrics.connections[ROOM_ROLE_COUNT]--;
	f->gw->metrics.connections[role]++;
	gw_host_attach(gw_host_for(f->gw, f->room), c);
	return c;
}

static size_t queued(struct conn *c)
{
	size_t n = 0;
	for (struct gw_msg *m; (m = gw_conn_next(c)); n++)
		gw_msg_unref(m);
	return n;
}

/* The types of the queued messages, comma-separated, emptying the ring. */
static const char *types(struct conn *c)
{
	static char out[256];
	out[0] = '\0';
	for (struct gw_msg *m; (m = gw_conn_next(c));) {
		json_t *v = json_loadb((const char *)m->payload, m->len, 0, NULL);
		const char *type = json_string_value(json_object_get(v, "type"));
		snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s", out[0] ? "," : "",
			 type ? type : "?");
		json_decref(v);
		gw_msg_unref(m);
	}
	return out;
}

static void command(struct fixture *f, struct conn *c, const char *text)
{
	json_t *cmd = json_loads(text, 0, NULL);
	json_t *result = NULL;
	const char *why = NULL;
	assert_int_equal(room_command(f->room, &c->who,
				      json_string_value(json_object_get(cmd, "type")), cmd,
				      gw_now_ms(), &result, &why),
			 ROOM_OK);
	json_decref(result);
	json_decref(cmd);
}

static void events_wait_for_durability(void **state)
{
	struct fixture *f = *state;
	struct conn *chair = attach(f, "ana", ROOM_ROLE_CHAIR);
	struct conn *obs = attach(f, "obs-1", ROOM_ROLE_OBSERVER);
	gw_flush(f->gw);
	queued(chair), queued(obs);
	unsigned before = f->durables, events = f->events;

	command(f, chair, "{\"type\":\"session.start\",\"title\":\"Morning\"}");
	assert_int_equal(f->events, events + 1); /* told at once, before durability ... */
	assert_string_equal(f->last_kind, "session.started");
	assert_int_equal(queued(obs), 0); /* ... but no connection is */
	/* A reply to one connection queued now waits behind the event. */
	gw_host_send(gw_host_of(chair), chair, gw_msg_new("{\"type\":\"ack\"}", 14), true, NULL);
	assert_int_equal(queued(chair), 0);

	gw_flush(f->gw);
	assert_int_equal(f->durables, before + 1);
	assert_true(f->last_ok);
	assert_string_equal(types(obs), "event");
	/* The event, then the ack (the chair's mic opening, a private message, between). */
	const char *got = types(chair);
	assert_memory_equal(got, "event,", 6);
	assert_string_equal(got + strlen(got) - 4, ",ack");
}

static void nothing_pending_goes_at_once(void **state)
{
	struct fixture *f = *state;
	struct conn *c = attach(f, "obs-2", ROOM_ROLE_OBSERVER);
	gw_flush(f->gw);
	queued(c);
	gw_host_send(gw_host_of(c), c, gw_msg_new("{\"type\":\"ack\"}", 14), true, NULL);
	assert_int_equal(queued(c), 1);
}

static void detach_drops_what_waited(void **state)
{
	struct fixture *f = *state;
	struct conn *chair = attach(f, "ana", ROOM_ROLE_CHAIR);
	gw_flush(f->gw);
	queued(chair);
	command(f, chair, "{\"type\":\"session.start\"}");
	gw_host_send(gw_host_of(chair), chair, gw_msg_new("{\"type\":\"ack\"}", 14), true, NULL);
	struct room_host *h = gw_host_of(chair);
	gw_host_detach(h, chair);
	assert_int_equal(h->n_conns, 0);
	gw_flush(f->gw);
	assert_int_equal(queued(chair), 0);
}

static void a_slow_reader_is_dropped(void **state)
{
	struct fixture *f = *state;
	f->gw->cfg.send_queue_bytes = 1000;
	struct conn *c = attach(f, "obs-3", ROOM_ROLE_OBSERVER);
	gw_flush(f->gw);
	queued(c);
	char text[128];
	memset(text, 'x', sizeof text);
	for (int i = 0; i < 20; i++)
		gw_host_send(gw_host_of(c), c, gw_msg_new(text, sizeof text), false, NULL);
	assert_int_equal(f->drops, 1);
	assert_true(c->closing);
	assert_int_equal(f->gw->metrics.ws_slow_dropped, 1);
	assert_true(c->q_bytes <= 1000);
	assert_int_equal(queued(c), 1000 / sizeof text);
}

/* With a replica, a flush releases only the batch it handed over; what came after waits
 * for the next batch, and a refused batch turns its acks into errors. */
static void replica_releases_only_its_batch(void **state)
{
	struct fixture *f = *state;
	struct conn *chair = attach(f, "ana", ROOM_ROLE_CHAIR);
	gw_flush(f->gw);
	rooms_replicated(f->gw->rooms, f->room, true);
	queued(chair);
	command(f, chair, "{\"type\":\"session.start\"}");
	gw_host_send(gw_host_of(chair), chair, gw_msg_new("{\"type\":\"ack\"}", 14), true, NULL);
	gw_flush(f->gw); /* handed over: nothing goes yet */
	assert_int_equal(queued(chair), 0);
	struct conn *obs = attach(f, "ben", ROOM_ROLE_PARTICIPANT); /* an event behind it */
	gw_host_send(gw_host_of(chair), chair, gw_msg_new("{\"type\":\"ack\"}", 14), true, NULL);
	gw_flush(f->gw); /* the room is out with the replica: not flushed again */
	assert_true(rooms_dirty(f->gw->rooms));
	rooms_replicated(f->gw->rooms, f->room, true);
	const char *got = types(chair);
	assert_memory_equal(got, "event,", 6);
	assert_string_equal(got + strlen(got) - 4, ",ack"); /* the first ack, not the second */
	assert_null(strstr(got, "ack,"));
	gw_flush(f->gw);
	assert_int_equal(queued(chair), 0);
	rooms_replicated(f->gw->rooms, f->room, true);
	assert_string_equal(types(chair), "event,ack");
	queued(obs);
	/* Refused: the event is not told, the ack becomes an error. */
	command(f, chair, "{\"type\":\"queue.close\"}");
	gw_host_send(gw_host_of(chair), chair, gw_msg_new("{\"type\":\"ack\"}", 14), true, NULL);
	gw_flush(f->gw);
	rooms_replicated(f->gw->rooms, f->room, false);
	assert_false(f->last_ok);
	assert_string_equal(types(chair), "error");
	assert_int_equal(queued(obs), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(events_wait_for_durability, setup, teardown),
	    cmocka_unit_test_setup_teardown(nothing_pending_goes_at_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(detach_drops_what_waited, setup, teardown),
	    cmocka_unit_test_setup_teardown(a_slow_reader_is_dropped, setup, teardown),
	    cmocka_unit_test_setup_teardown(replica_releases_only_its_batch, setup_replica,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
