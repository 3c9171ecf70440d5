/*
 * load_janus -- the audio scenarios against Janus, through its JSON API on the WebSocket
 * transport (subprotocol janus-protocol), one Janus session per virtual client as
 * janus.js would make it:
 *
 *   create -> attach janus.plugin.audiobridge -> join {muted} -> "joined"
 *          -> configure + jsep offer, trickle our candidate, trickle completed
 *          -> event with the jsep answer -> ICE (Janus checks us too) -> DTLS -> audio
 *   create -> attach janus.plugin.streaming -> watch {id} -> event with a jsep offer
 *          -> start + jsep answer (our candidate inside), trickle completed -> ICE, DTLS
 *
 * --system janus-audiobridge: every listener is a muted AudioBridge participant, so Janus
 * encodes a mix for each (deployment (a) of issue 9). --system janus-streaming: the
 * listeners watch a Streaming mountpoint fed by the room's rtp_forward (deployment (b),
 * Meetecho's way for the IETF). The speakers are unmuted AudioBridge participants in
 * both; the room, its forwarder and the mountpoint come from the configuration the
 * benchmark writes (tests/load/bench.mjs). Every session sends a keepalive every 25 s.
 *
 * Janus never gathers loopback candidates, so the benchmark runs it in a network namespace
 * of its own and the clients bind the host end of the veth pair into it (--bind-ip). It
 * runs ICE-lite there, as Plenary does: the clients are then ICE-controlling whoever
 * offered (tests/support/client.c). --janus-prebuffer sets AudioBridge's per-join
 * prebuffering (the speakers' is what delays the mix).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "load.h"

#define SUBPROTOCOL  "janus-protocol"
#define KEEPALIVE_MS 25000

enum jc_role { JC_SPEAKER, JC_LISTENER };
enum jc_state { J_CREATE = 0, J_ATTACH, J_JOIN, J_NEGOTIATE, J_MEDIA };

struct jconn {
	struct janus *jn;
	enum jc_role role;
	unsigned index;
	bool bridge; /* an AudioBridge participant; else a Streaming viewer */
	struct ws_conn *ws;
	enum jc_state state;
	json_int_t session, handle;
	unsigned tx;
	uint64_t next_keepalive_ms;
	struct client *client;
	struct load_peer *peer;
};

struct janus {
	struct load_run *r;
	struct jconn *speakers, *listeners;
	unsigned keepalive_cursor;
};

static void fail(struct jconn *c, const char *why)
{
	struct load_run *r = c->jn->r;
	if (c->role == JC_LISTENER)
		load_listener_fail(r, c->index, "%s", why);
	else
		load_fatal(r, "the speaker: %s", why);
	if (c->ws)
		ws_close(c->ws);
}

/* Sends {janus, transaction, session_id?, handle_id?} merged with extra (consumed). */
static void send_janus(struct jconn *c, const char *verb, json_t *extra)
{
	char tx[32];
	snprintf(tx, sizeof tx, "%s-%u", verb, ++c->tx);
	json_t *msg = json_pack("{s:s,s:s}", "janus", verb, "transaction", tx);
	if (c->session)
		json_object_set_new(msg, "session_id", json_integer(c->session));
	if (c->handle)
		json_object_set_new(msg, "handle_id", json_integer(c->handle));
	if (extra) {
		json_object_update(msg, extra);
		json_decref(extra);
	}
	char *text = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (text == NULL || c->ws == NULL || !ws_send(c->ws, text, strlen(text)))
		fail(c, "could not send to Janus");
	free(text);
}

static void send_message(struct jconn *c, json_t *body, const char *jsep_type, const char *sdp)
{
	json_t *extra = json_pack("{s:o}", "body", body);
	if (jsep_type)
		json_object_set_new(extra, "jsep",
				    json_pack("{s:s,s:s}", "type", jsep_type, "sdp", sdp));
	send_janus(c, "message", extra);
}

/* --- the steps ---------------------------------------------------------------------------- */

static void send_attach(struct jconn *c)
{
	const char *plugin = c->bridge ? "janus.plugin.audiobridge" : "janus.plugin.streaming";
	c->state = J_ATTACH;
	send_janus(c, "attach", json_pack("{s:s}", "plugin", plugin));
}

static void send_join(struct jconn *c)
{
	const struct load_cfg *cfg = c->jn->r->cfg;
	c->state = J_JOIN;
	if (!c->bridge) {
		send_message(c,
			     json_pack("{s:s,s:I}", "request", "watch", "id",
				       (json_int_t)cfg->janus_mountpoint),
			     NULL, NULL);
		return;
	}
	char display[48];
	snprintf(display, sizeof display, "%s %u", c->role == JC_SPEAKER ? "speaker" : "listener",
		 c->index);
	/* The same Opus settings as Plenary's mix: bitrate, complexity ("quality"), FEC. */
	json_t *body =
	    json_pack("{s:s,s:I,s:s,s:b,s:s,s:i,s:i,s:i}", "request", "join", "room",
		      (json_int_t)cfg->janus_room, "display", display, "muted",
		      c->role != JC_SPEAKER, "codec", "opus", "bitrate", cfg->tone.bitrate,
		      "quality", cfg->tone.complexity, "expected_loss", cfg->expected_loss);
	if (body && cfg->janus_prebuffer >= 0)
		json_object_set_new(body, "prebuffer", json_integer(cfg->janus_prebuffer));
	send_message(c, body, NULL, NULL);
}

static bool make_client(struct jconn *c)
{
	struct load_run *r = c->jn->r;
	struct client_options co = {
	    .dtls = r->dtls, .bind_ip = r->cfg->bind_ip, .send = c->role == JC_SPEAKER};
	if (client_create(&co, &c->client) == CLIENT_OK)
		return true;
	fail(c, "could not make a WebRTC client (out of sockets?)");
	return false;
}

static void trickle_ours(struct jconn *c, bool with_candidate)
{
	char cand[128];
	if (with_candidate && client_local_candidate(c->client, cand, sizeof cand) == CLIENT_OK)
		send_janus(c, "trickle",
			   json_pack("{s:{s:s,s:s,s:i}}", "candidate", "candidate", cand, "sdpMid",
				     "0", "sdpMLineIndex", 0));
	send_janus(c, "trickle", json_pack("{s:{s:b}}", "candidate", "completed", 1));
}

/* AudioBridge: after "joined", configure with our offer, then trickle. */
static void send_offer(struct jconn *c)
{
	char offer[CLIENT_OFFER_MAX];
	size_t len;
	if (!make_client(c))
		return;
	if (client_offer(c->client, offer, sizeof offer, &len) != CLIENT_OK) {
		fail(c, "could not make an offer");
		return;
	}
	c->state = J_NEGOTIATE;
	send_message(c,
		     json_pack("{s:s,s:b}", "request", "configure", "muted", c->role != JC_SPEAKER),
		     "offer", offer);
	trickle_ours(c, true);
}

static void start_media(struct jconn *c)
{
	struct load_run *r = c->jn->r;
	bool speaker = c->role == JC_SPEAKER;
	bool sampled = speaker ? r->cfg->echo_check : c->index < r->cfg->sampled;
	c->peer = load_peer_add(r->media, c->client, speaker, sampled);
	if (c->peer == NULL) {
		fail(c, "out of memory");
		return;
	}
	c->client = NULL;
	c->state = J_MEDIA;
	if (!speaker)
		r->listeners[c->index].peer = c->peer;
	load_media_start(r->media, c->peer);
}

/* Streaming: Janus offered; we answer with our candidate inside. */
static void answer_offer(struct jconn *c, const char *sdp)
{
	char answer[4096];
	size_t len;
	if (!make_client(c))
		return;
	if (client_accept_offer(c->client, sdp, strlen(sdp), answer, sizeof answer, &len,
				load_now_ms()) != CLIENT_OK) {
		fail(c, "Janus's offer is unusable");
		return;
	}
	send_message(c, json_pack("{s:s}", "request", "start"), "answer", answer);
	trickle_ours(c, false);
	start_media(c);
}

static void take_jsep(struct jconn *c, json_t *jsep)
{
	const char *type = json_string_value(json_object_get(jsep, "type"));
	const char *sdp = json_string_value(json_object_get(jsep, "sdp"));
	if (type == NULL || sdp == NULL)
		return;
	if (strcmp(type, "offer") == 0 && !c->bridge && c->client == NULL && c->peer == NULL) {
		answer_offer(c, sdp);
		return;
	}
	if (strcmp(type, "answer") != 0 || c->client == NULL)
		return;
	if (client_answer(c->client, sdp, strlen(sdp), load_now_ms()) != CLIENT_OK) {
		fail(c, "Janus's answer is unusable");
		return;
	}
	start_media(c);
}

/* --- receiving ---------------------------------------------------------------------------- */

static void on_plugin_event(struct jconn *c, json_t *msg)
{
	json_t *data = json_object_get(json_object_get(msg, "plugindata"), "data");
	const char *error = json_string_value(json_object_get(data, "error"));
	if (error) {
		char why[200];
		snprintf(why, sizeof why, "Janus: %s", error);
		fail(c, why);
		return;
	}
	const char *ab = json_string_value(json_object_get(data, "audiobridge"));
	if (c->bridge && c->state == J_JOIN && ab && strcmp(ab, "joined") == 0 &&
	    json_object_get(data, "id"))
		send_offer(c);
	json_t *jsep = json_object_get(msg, "jsep");
	if (jsep)
		take_jsep(c, jsep);
}

static void on_janus(struct jconn *c, json_t *msg)
{
	const char *verb = json_string_value(json_object_get(msg, "janus"));
	if (verb == NULL)
		return;
	if (strcmp(verb, "success") == 0 && c->state == J_CREATE) {
		c->session =
		    json_integer_value(json_object_get(json_object_get(msg, "data"), "id"));
		c->next_keepalive_ms = load_now_ms() + KEEPALIVE_MS;
		send_attach(c);
	} else if (strcmp(verb, "success") == 0 && c->state == J_ATTACH) {
		c->handle = json_integer_value(json_object_get(json_object_get(msg, "data"), "id"));
		send_join(c);
	} else if (strcmp(verb, "event") == 0) {
		on_plugin_event(c, msg);
	} else if (strcmp(verb, "error") == 0 || strcmp(verb, "hangup") == 0) {
		const char *reason =
		    json_string_value(json_object_get(json_object_get(msg, "error"), "reason"));
		if (reason == NULL)
			reason = json_string_value(json_object_get(msg, "reason"));
		char why[200];
		snprintf(why, sizeof why, "Janus %s: %s", verb, reason ? reason : "?");
		fail(c, why);
	}
}

static void on_message(void *user, struct ws_conn *ws, const char *text, size_t len)
{
	(void)ws;
	struct jconn *c = user;
	/* Once connected, a listener needs only bad news: skip the room's chatter unparsed. */
	if (c->state == J_MEDIA && !memmem(text, len, "hangup", 6) &&
	    !memmem(text, len, "error", 5))
		return;
	json_t *msg = json_loadb(text, len, 0, NULL);
	if (msg)
		on_janus(c, msg);
	json_decref(msg);
}

static void on_open(void *user, struct ws_conn *ws)
{
	(void)ws;
	struct jconn *c = user;
	c->state = J_CREATE;
	send_janus(c, "create", NULL);
}

static void on_close(void *user, struct ws_conn *ws, const char *why)
{
	(void)ws;
	struct jconn *c = user;
	c->ws = NULL;
	if (c->jn->r->phase == PH_DONE)
		return;
	char text[128];
	snprintf(text, sizeof text, "WebSocket %s", why);
	fail(c, text);
}

static const struct ws_handlers handlers = {on_open, on_message, on_close};

/* --- the driver ----------------------------------------------------------------------------- */

static void connect_conn(struct janus *jn, struct jconn *c, enum jc_role role, unsigned index)
{
	const struct load_cfg *cfg = jn->r->cfg;
	c->jn = jn;
	c->role = role;
	c->index = index;
	c->bridge = role == JC_SPEAKER || cfg->system == SYS_JANUS_AUDIOBRIDGE;
	c->ws = ws_connect(jn->r->ws, cfg->host, cfg->port, cfg->path, SUBPROTOCOL, &handlers, c);
	if (c->ws == NULL)
		fail(c, "out of memory");
}

static bool jn_setup(struct load_run *r)
{
	struct janus *jn = calloc(1, sizeof *jn);
	if (jn == NULL)
		return false;
	jn->r = r;
	r->drv_state = jn;
	jn->speakers = calloc(r->cfg->speakers, sizeof *jn->speakers);
	jn->listeners = calloc(r->cfg->listeners ? r->cfg->listeners : 1, sizeof *jn->listeners);
	if (jn->speakers == NULL || jn->listeners == NULL) {
		load_fatal(r, "out of memory");
		return false;
	}
	for (unsigned i = 0; i < r->cfg->speakers; i++)
		connect_conn(jn, &jn->speakers[i], JC_SPEAKER, i);
	return true;
}

static int jn_speaker_ready(struct load_run *r)
{
	struct janus *jn = r->drv_state;
	if (r->why[0])
		return -1;
	for (unsigned i = 0; i < r->cfg->speakers; i++) {
		struct peer_view v = {0};
		if (jn->speakers[i].peer)
			load_peer_view(jn->speakers[i].peer, &v);
		if (v.state == CLIENT_FAILED) {
			load_fatal(r, "the speaker's WebRTC connection to Janus failed");
			return -1;
		}
		if (v.state != CLIENT_CONNECTED)
			return 0;
	}
	return 1;
}

static void jn_add_listener(struct load_run *r, unsigned i)
{
	struct janus *jn = r->drv_state;
	connect_conn(jn, &jn->listeners[i], JC_LISTENER, i);
}

static void keepalive(struct jconn *c, uint64_t now)
{
	if (c->ws && c->session && now >= c->next_keepalive_ms) {
		c->next_keepalive_ms = now + KEEPALIVE_MS;
		send_janus(c, "keepalive", NULL);
	}
}

/* Keepalives: each session every 25 s (RFC-less, Janus's session_timeout is 60 s). */
static void jn_tick(struct load_run *r)
{
	struct janus *jn = r->drv_state;
	uint64_t now = load_now_ms();
	for (unsigned i = 0; i < r->cfg->speakers; i++)
		keepalive(&jn->speakers[i], now);
	/* A slice of the listeners per tick, so a thousand sessions cost little each tick. */
	for (unsigned k = 0; k < 64 && k < r->started; k++)
		keepalive(&jn->listeners[jn->keepalive_cursor++ % r->started], now);
}

static void jn_teardown(struct load_run *r)
{
	struct janus *jn = r->drv_state;
	if (jn == NULL)
		return;
	for (unsigned i = 0; jn->speakers && i < r->cfg->speakers; i++)
		client_destroy(jn->speakers[i].client);
	for (unsigned i = 0; jn->listeners && i < r->cfg->listeners; i++)
		client_destroy(jn->listeners[i].client);
	free(jn->speakers);
	free(jn->listeners);
	free(jn);
	r->drv_state = NULL;
}

const struct load_driver load_driver_janus = {
    .name = "janus",
    .setup = jn_setup,
    .speaker_ready = jn_speaker_ready,
    .add_listener = jn_add_listener,
    .tick = jn_tick,
    .teardown = jn_teardown,
};
