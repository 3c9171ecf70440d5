/*
 * load_plenary -- the audio scenarios against Plenary, speaking PROTOCOL.md as a browser
 * would: one WebSocket session per virtual client, `join` with a token (or as an
 * anonymous observer), then `media.offer` with tests/support/client.c's SDP and the answer back
 * into the client.
 *
 * Who is heard follows the mixer's rules (issue 7): a chair's mic is open while the
 * session is live, a participant's when the chair gives them the floor. So there is
 * always a control chair without media who starts the session, and the speakers are
 * either chairs (--speaker chair) or one participant who raises a hand and is granted
 * the floor (--speaker floor, the default; any further speakers are chairs). A speaker
 * is ready when its WebRTC peer is connected and its mic is open by those rules.
 *
 * Listeners ignore everything but the replies to their own commands: in a room of a
 * thousand participants every join is an event to everyone, and parsing a million of
 * them would make the load tool, not the server, the bottleneck.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "load.h"
#include "load_jwt.h"

#define SUBPROTOCOL "plenary.v1"
#define TOKEN_MAX   2048

enum pc_role { PC_CHAIR, PC_SPEAKER, PC_LISTENER, PC_INTERP };

struct pconn {
	struct plenary *pl;
	enum pc_role role;
	unsigned index;
	bool as_chair; /* a speaker with a chair token */
	struct ws_conn *ws;
	int next_id, join_id, offer_id, start_id, raise_id, mic_id, take_id, channel_id;
	bool on_air;	       /* an interpreter whose interp.take was acked */
	bool mic_open;	       /* a chair speaker's own mic, which it opens (mic.open) */
	struct client *client; /* ours until handed to the media */
	struct load_peer *peer;
	bool joined, gone;
	char pid[96];
};

struct plenary {
	struct load_run *r;
	struct pconn chair;
	struct pconn *speakers, *listeners, *interps;
	bool live, floor_granted;
};

static const struct ws_handlers handlers;

/* --- sending ------------------------------------------------------------------------------ */

/* Sends obj (consumed) with a fresh id; returns the id, 0 if it could not be sent. */
static int send_cmd(struct pconn *c, json_t *obj)
{
	int id = ++c->next_id;
	json_object_set_new(obj, "id", json_integer(id));
	char *text = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	bool ok = text && c->ws && ws_send(c->ws, text, strlen(text));
	free(text);
	return ok ? id : 0;
}

static void fail(struct pconn *c, const char *why)
{
	struct load_run *r = c->pl->r;
	if (c->role == PC_LISTENER)
		load_listener_fail(r, c->index, "%s", why);
	else
		load_fatal(r, "the %s: %s",
			   c->role == PC_CHAIR	  ? "control chair"
			   : c->role == PC_INTERP ? "interpreter"
						  : "speaker",
			   why);
	if (c->ws)
		ws_close(c->ws);
}

/* An interpreter's token: role interpreter with its booth's lang claim. */
static bool interp_token(const struct load_cfg *cfg, unsigned ch, char *out, size_t cap)
{
	char name[64], sub[64];
	snprintf(name, sizeof name, "Interpreter %s", cfg->langs.lang[ch]);
	snprintf(sub, sizeof sub, "load-interp-%u", ch);
	struct jwt_claims cl = {.room = cfg->room,
				.role = "interpreter",
				.name = name,
				.sub = sub,
				.lang = cfg->langs.lang[ch],
				.exp = (long long)time(NULL) + 6 * 3600};
	return jwt_sign_hs256(cfg->secret, &cl, out, cap);
}

static void send_join(struct pconn *c)
{
	const struct load_cfg *cfg = c->pl->r->cfg;
	json_t *msg = json_pack("{s:s,s:s}", "type", "join", "room", cfg->room);
	if (c->role == PC_INTERP) {
		char token[TOKEN_MAX];
		if (!interp_token(cfg, c->index, token, sizeof token)) {
			json_decref(msg);
			fail(c, "token could not be made");
			return;
		}
		json_object_set_new(msg, "token", json_string(token));
	} else if (c->role == PC_LISTENER && cfg->listeners_observe) {
		json_object_set_new(msg, "role", json_string("observer"));
	} else {
		char token[TOKEN_MAX], name[64], sub[64];
		const char *role = c->role == PC_CHAIR || c->as_chair ? "chair" : "participant";
		snprintf(name, sizeof name, "%s %u",
			 c->role == PC_CHAIR	 ? "Chair"
			 : c->role == PC_SPEAKER ? "Speaker"
						 : "Listener",
			 c->index);
		snprintf(sub, sizeof sub, "load-%s-%u",
			 c->role == PC_CHAIR	 ? "chair"
			 : c->role == PC_SPEAKER ? "speaker"
						 : "listener",
			 c->index);
		if (!load_token(cfg, role, name, sub, token, sizeof token)) {
			json_decref(msg);
			fail(c, "token could not be made");
			return;
		}
		json_object_set_new(msg, "token", json_string(token));
	}
	c->join_id = send_cmd(c, msg);
}

/* A WebRTC client and its offer, sent as media.offer. */
static void send_offer(struct pconn *c)
{
	struct load_run *r = c->pl->r;
	struct client_options co = {.dtls = r->dtls,
				    .bind_ip = r->cfg->bind_ip,
				    .send = c->role == PC_SPEAKER || c->role == PC_INTERP};
	char offer[CLIENT_OFFER_MAX];
	size_t len;
	if (client_create(&co, &c->client) != CLIENT_OK ||
	    client_offer(c->client, offer, sizeof offer, &len) != CLIENT_OK) {
		fail(c, "could not make a WebRTC client (out of sockets?)");
		return;
	}
	c->offer_id =
	    send_cmd(c, json_pack("{s:s,s:s%}", "type", "media.offer", "sdp", offer, len));
}

/* --- receiving ---------------------------------------------------------------------------- */

static void take_answer(struct pconn *c, json_t *msg)
{
	struct load_run *r = c->pl->r;
	const char *sdp = json_string_value(json_object_get(msg, "sdp"));
	if (sdp == NULL || client_answer(c->client, sdp, strlen(sdp), load_now_ms()) != CLIENT_OK) {
		fail(c, "the media.offer answer is unusable");
		return;
	}
	bool speaker = c->role == PC_SPEAKER;
	bool sampled = speaker ? r->cfg->echo_check : c->index < r->cfg->sampled;
	c->peer = c->role == PC_INTERP ? load_voice_add(r->media, c->client, &r->voices[c->index])
				       : load_peer_add(r->media, c->client, speaker, sampled);
	if (c->peer == NULL) {
		fail(c, "out of memory");
		return;
	}
	c->client = NULL; /* the media owns it now */
	int ch = interp_listener_channel(c->index, r->cfg->langs.n);
	if (c->role == PC_LISTENER && sampled && ch >= 0)
		load_peer_expect(c->peer, ch, r->cfg->langs.n);
	if (c->role == PC_LISTENER)
		r->listeners[c->index].peer = c->peer;
	load_media_start(r->media, c->peer);
	/* A channel listener switches from the floor to its booth now it has a peer. */
	if (c->role == PC_LISTENER && ch >= 0)
		c->channel_id = send_cmd(c, json_pack("{s:s,s:s}", "type", "media.channel", "lang",
						      r->cfg->langs.lang[ch]));
}

/* Once joined and live, an interpreter takes its own booth. */
static void interp_take(struct pconn *c)
{
	if (!c->joined || !c->pl->live || c->take_id)
		return;
	c->take_id = send_cmd(c, json_pack("{s:s,s:s}", "type", "interp.take", "lang",
					   c->pl->r->cfg->langs.lang[c->index]));
}

static void speaker_raise(struct pconn *c)
{
	if (!c->joined || !c->pl->live)
		return;
	/* A chair's mic is closed until that chair opens it (docs/protocol.md "Audio"). */
	if (c->as_chair && !c->mic_id)
		c->mic_id = send_cmd(c, json_pack("{s:s,s:s}", "type", "mic.open", "pid", c->pid));
	if (c->as_chair || c->raise_id)
		return;
	c->raise_id = send_cmd(c, json_pack("{s:s}", "type", "queue.raise"));
}

static void on_ack(struct pconn *c, json_t *msg, int id)
{
	struct plenary *pl = c->pl;
	if (id == c->join_id) {
		c->joined = true;
		const char *pid =
		    json_string_value(json_object_get(json_object_get(msg, "you"), "pid"));
		snprintf(c->pid, sizeof c->pid, "%s", pid ? pid : "");
		if (c->role == PC_CHAIR)
			pl->chair.start_id =
			    send_cmd(c, json_pack("{s:s}", "type", "session.start"));
		else
			send_offer(c);
		return;
	}
	if (id == c->offer_id) {
		take_answer(c, msg);
	} else if (c->role == PC_CHAIR && id == c->start_id) {
		pl->live = true;
	} else if (id == c->mic_id) {
		c->mic_open = true;
	} else if (c->take_id && id == c->take_id) {
		c->on_air = true;
	} else if (id == c->raise_id) {
		json_t *entry = json_object_get(msg, "entry");
		(void)send_cmd(&pl->chair,
			       json_pack("{s:s,s:O}", "type", "queue.grant", "entry", entry));
	}
}

static void on_error(struct pconn *c, json_t *msg, int id)
{
	const char *code = json_string_value(json_object_get(msg, "code"));
	/* A room already live (an earlier run) is fine. */
	if (c->role == PC_CHAIR && id == c->start_id && code && strcmp(code, "conflict") == 0) {
		c->pl->live = true;
		return;
	}
	if (id == c->join_id || id == c->offer_id || id == c->raise_id || id == c->mic_id ||
	    (c->take_id && id == c->take_id) || (c->channel_id && id == c->channel_id) ||
	    (c->role == PC_CHAIR && id == c->start_id)) {
		char why[160];
		const char *what = json_string_value(json_object_get(msg, "message"));
		snprintf(why, sizeof why, "%s refused: %s (%s)",
			 id == c->join_id      ? "join"
			 : id == c->offer_id   ? "media.offer"
			 : id == c->channel_id ? "media.channel"
					       : "command",
			 code ? code : "?", what ? what : "");
		fail(c, why);
	}
}

/* Events the chair and the speakers watch: the floor going to our speaker. */
static void on_event(struct pconn *c, json_t *msg)
{
	const char *kind = json_string_value(json_object_get(msg, "kind"));
	if (kind == NULL || strcmp(kind, "floor.granted") != 0 || c->role != PC_SPEAKER)
		return;
	const char *pid = json_string_value(json_object_get(json_object_get(msg, "data"), "pid"));
	if (pid && strcmp(pid, c->pid) == 0)
		c->pl->floor_granted = true;
}

bool load_is_reply(const char *text, size_t len)
{
	static const char *const marks[] = {"\"type\":\"ack\"", "\"type\":\"error\""};
	size_t n = len < 64 ? len : 64;
	for (size_t i = 0; i < 2; i++) {
		size_t k = strlen(marks[i]);
		if (memmem(text, n, marks[i], k) || memmem(text + len - n, n, marks[i], k))
			return true;
	}
	return false;
}

static void on_message(void *user, struct ws_conn *ws, const char *text, size_t len)
{
	(void)ws;
	struct pconn *c = user;
	if (c->role == PC_LISTENER && !load_is_reply(text, len))
		return;
	json_t *msg = json_loadb(text, len, 0, NULL);
	const char *type = json_string_value(json_object_get(msg, "type"));
	int id = (int)json_integer_value(json_object_get(msg, "id"));
	if (type && strcmp(type, "ack") == 0)
		on_ack(c, msg, id);
	else if (type && strcmp(type, "error") == 0)
		on_error(c, msg, id);
	else if (type && strcmp(type, "event") == 0)
		on_event(c, msg);
	json_decref(msg);
}

static void on_open(void *user, struct ws_conn *ws)
{
	(void)ws;
	send_join(user);
}

static void on_close(void *user, struct ws_conn *ws, const char *why)
{
	(void)ws;
	struct pconn *c = user;
	c->ws = NULL;
	c->gone = true;
	if (c->pl->r->phase == PH_DONE)
		return;
	char text[128];
	snprintf(text, sizeof text, "WebSocket %s", why);
	fail(c, text);
}

static const struct ws_handlers handlers = {on_open, on_message, on_close};

/* --- the driver ---------------------------------------------------------------------------- */

static void connect_conn(struct plenary *pl, struct pconn *c, enum pc_role role, unsigned index)
{
	const struct load_cfg *cfg = pl->r->cfg;
	c->pl = pl;
	c->role = role;
	c->index = index;
	if (role == PC_LISTENER && cfg->n_listen) {
		size_t k = index % cfg->n_listen;
		c->ws = ws_connect(pl->r->ws, cfg->listen_host[k], cfg->listen_port[k],
				   cfg->listen_path[k], SUBPROTOCOL, &handlers, c);
	} else {
		c->ws = ws_connect(pl->r->ws, cfg->host, cfg->port, cfg->path, SUBPROTOCOL,
				   &handlers, c);
	}
	if (c->ws == NULL)
		fail(c, "out of memory");
}

static bool pl_setup(struct load_run *r)
{
	struct plenary *pl = calloc(1, sizeof *pl);
	if (pl == NULL)
		return false;
	pl->r = r;
	pl->speakers = calloc(r->cfg->speakers, sizeof *pl->speakers);
	pl->listeners = calloc(r->cfg->listeners ? r->cfg->listeners : 1, sizeof *pl->listeners);
	pl->interps = calloc(INTERP_MAX_CHANNELS, sizeof *pl->interps);
	r->drv_state = pl;
	if (pl->speakers == NULL || pl->listeners == NULL || pl->interps == NULL) {
		load_fatal(r, "out of memory");
		return false;
	}
	connect_conn(pl, &pl->chair, PC_CHAIR, 0);
	for (unsigned i = 0; i < r->cfg->speakers; i++) {
		pl->speakers[i].as_chair = r->cfg->speaker_is_chair || i > 0;
		connect_conn(pl, &pl->speakers[i], PC_SPEAKER, i);
	}
	for (unsigned ch = 0; ch < r->cfg->langs.n; ch++)
		connect_conn(pl, &pl->interps[ch], PC_INTERP, ch);
	return true;
}

/* Every interpreter connected and on air: 1, 0 not yet, -1 failed. */
static int interps_ready(struct load_run *r)
{
	struct plenary *pl = r->drv_state;
	for (unsigned ch = 0; ch < r->cfg->langs.n; ch++) {
		struct peer_view v = {0};
		if (pl->interps[ch].peer)
			load_peer_view(pl->interps[ch].peer, &v);
		if (v.state == CLIENT_FAILED) {
			load_fatal(r, "the %s interpreter's WebRTC connection failed",
				   r->cfg->langs.lang[ch]);
			return -1;
		}
		if (v.state != CLIENT_CONNECTED || !pl->interps[ch].on_air)
			return 0;
	}
	return 1;
}

static int pl_speaker_ready(struct load_run *r)
{
	struct plenary *pl = r->drv_state;
	if (r->why[0])
		return -1;
	for (unsigned i = 0; i < r->cfg->speakers; i++) {
		struct pconn *s = &pl->speakers[i];
		struct peer_view v = {0};
		if (s->peer)
			load_peer_view(s->peer, &v);
		if (v.state == CLIENT_FAILED) {
			load_fatal(r, "the speaker's WebRTC connection failed");
			return -1;
		}
		if (v.state != CLIENT_CONNECTED || !pl->live)
			return 0;
		if (!s->as_chair && !pl->floor_granted)
			return 0;
		if (s->as_chair && !s->mic_open)
			return 0;
	}
	return interps_ready(r);
}

/* Once joined and the session is live, a participant speaker raises a hand and a chair
 * speaker opens its own mic. */
static void pl_tick(struct load_run *r)
{
	struct plenary *pl = r->drv_state;
	for (unsigned i = 0; i < r->cfg->speakers; i++)
		speaker_raise(&pl->speakers[i]);
	for (unsigned ch = 0; ch < r->cfg->langs.n; ch++)
		interp_take(&pl->interps[ch]);
}

static void pl_add_listener(struct load_run *r, unsigned i)
{
	struct plenary *pl = r->drv_state;
	connect_conn(pl, &pl->listeners[i], PC_LISTENER, i);
}

static void free_conn(struct pconn *c)
{
	client_destroy(c->client); /* only if never handed to the media */
	c->client = NULL;
}

static void pl_teardown(struct load_run *r)
{
	struct plenary *pl = r->drv_state;
	if (pl == NULL)
		return;
	free_conn(&pl->chair);
	for (unsigned i = 0; pl->speakers && i < r->cfg->speakers; i++)
		free_conn(&pl->speakers[i]);
	for (unsigned i = 0; pl->listeners && i < r->cfg->listeners; i++)
		free_conn(&pl->listeners[i]);
	for (unsigned ch = 0; pl->interps && ch < r->cfg->langs.n; ch++)
		free_conn(&pl->interps[ch]);
	free(pl->interps);
	free(pl->speakers);
	free(pl->listeners);
	free(pl);
	r->drv_state = NULL;
}

const struct load_driver load_driver_plenary = {
    .name = "plenary",
    .setup = pl_setup,
    .speaker_ready = pl_speaker_ready,
    .add_listener = pl_add_listener,
    .tick = pl_tick,
    .teardown = pl_teardown,
};
