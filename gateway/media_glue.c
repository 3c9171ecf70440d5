/*
 * media_glue -- the gateway's side of WebRTC audio: `media.offer`, `media.state`, the mic
 * gate, and the media workers' wake-up inside the lws loop.
 *
 * The media module (media/media.h) owns the threads; this file only translates. An offer
 * is checked here for what the gateway knows (joined? an sdp string?) and handed to
 * media_peer_offer with what PROTOCOL.md "Permissions" says about the role: chairs and
 * participants may send and receive, everyone may receive only. Its errors map to the
 * wire: a bad offer is bad_request, a sending offer from another role is forbidden, a
 * busy worker is unavailable. Each connection has at most one peer; a second offer
 * replaces it, but only once the new one is accepted, so a bad second offer changes
 * nothing (DESIGN.md principle 6).
 *
 * Worker events reach this thread through the media eventfd, which loop.c watches and
 * answers with gw_media_wake (the handler server.c registers). A state change becomes a
 * `private` media.state message to the peer's connection (a failed or closed peer is
 * released at once, so the connection may offer again); someone talking into a closed
 * mic becomes a `private` mic.attempt to the room's chairs, at most once per person every
 * ATTEMPT_EVERY_MS; the rooms' live Ogg pages go to stream.c.
 *
 * Sessions. The media side records a room's session and streams it while it is live, so
 * it must hear of session.started and session.ended. They are seen here as the room's
 * events go by (gw_media_event), and told once the room's log is durable
 * (gw_media_durable): a start the log then loses is never recorded. After a restart the
 * rooms whose session is still live are told at once (gw_media_resume_sessions); their
 * recording goes on in a new file whose timeline still starts at the session's start.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "gateway/conn.h"
#include "gateway/fanout.h"
#include "gateway/logging.h"
#include "gateway/loop.h"
#include "gateway/media_glue.h"
#include "gateway/nats_media.h"
#include "gateway/server.h"
#include "gateway/stream.h"

/* A session start or end seen as an event, told to the media side once durable. */
struct session_change {
	bool pending;
	bool live;
	int64_t start_ms;
	char title[256];
};

#define ATTEMPT_EVERY_MS 2000

static void send_private_state(struct conn *c, enum media_state state)
{
	json_t *msg = json_pack("{s:s,s:s,s:{s:s}}", "type", "private", "kind", "media.state",
				"data", "state", media_state_name(state));
	if (msg)
		gw_host_reply(c, msg, false, NULL);
}

static void on_media_event(void *ctx, void *user, enum media_state state)
{
	struct conn *c = user;
	(void)ctx;
	gw_info("media state", "conn=%llu state=%s", (unsigned long long)c->id,
		media_state_name(state));
	send_private_state(c, state);
	if (state == MEDIA_STATE_FAILED || state == MEDIA_STATE_CLOSED) {
		media_peer_close(c->peer);
		c->peer = NULL;
	}
}

/* The rooms' plain-RTP sound desks (docs/deploy.md): a socket that cannot be bound
 * stops the start, as the media port does. */
static bool start_venues(struct gateway *gw)
{
	const struct gw_config *cfg = &gw->cfg;
	for (size_t i = 0; i < cfg->n_rooms; i++) {
		const struct gw_room_decl *d = &cfg->rooms[i];
		if (!d->venue_rtp.on)
			continue;
		struct media_venue_rtp v = {.room = d->id,
					    .listen = d->venue_rtp.listen,
					    .send_to = d->venue_rtp.send_to,
					    .codec = d->venue_rtp.l16 ? MEDIA_VENUE_L16
								      : MEDIA_VENUE_OPUS,
					    .payload_type = (uint8_t)d->venue_rtp.payload_type};
		char why[256];
		if (media_venue_rtp_add(gw->media, &v, why, sizeof why) != MEDIA_OK) {
			gw_error("cannot start the room's RTP venue", "room=%s error=\"%s\"", d->id,
				 why);
			return false;
		}
		gw_info("RTP venue", "room=%s listen=%s send_to=%s codec=%s", d->id, v.listen,
			v.send_to, d->venue_rtp.l16 ? "L16" : "opus");
	}
	return true;
}

bool gw_media_start(struct gateway *gw)
{
	const struct gw_config *cfg = &gw->cfg;
	char recordings[1100];
	snprintf(recordings, sizeof recordings, "%s/recordings", cfg->data_dir);
	if (mkdir(recordings, 0755) != 0 && errno != EEXIST) {
		gw_error("cannot create the recordings directory", "path=\"%s\" error=\"%s\"",
			 recordings, strerror(errno));
		return false;
	}
	const char *public_ips[GW_MAX_PUBLIC_IPS];
	for (size_t j = 0; j < cfg->n_public_ips; j++)
		public_ips[j] = cfg->public_ips[j];
	struct media_options opt = {.workers = (unsigned)cfg->media_workers,
				    .port = (uint16_t)cfg->media_port,
				    .tcp_port = gw_config_media_tcp_port(cfg),
				    .bind_ip = cfg->media_bind,
				    .public_ips = public_ips,
				    .n_public_ips = cfg->n_public_ips,
				    .echo = cfg->media_echo,
				    .recordings_dir = recordings};
	gw_nats_media_taps(gw->nats_media, &opt);
	char why[256];
	if (media_create(&opt, &gw->media, why, sizeof why) != MEDIA_OK) {
		gw_error("cannot start media", "error=\"%s\"", why);
		return false;
	}
	for (unsigned i = 0; i < media_worker_count(gw->media); i++) {
		const char *ip;
		uint16_t port;
		if (media_candidate(gw->media, i, &ip, &port))
			gw_info("media worker", "worker=%u candidate=%s:%u echo=%d", i, ip, port,
				cfg->media_echo);
	}
	for (size_t j = 1; media_announced_ip(gw->media, j); j++)
		gw_info("media address", "candidate=%s", media_announced_ip(gw->media, j));
	return start_venues(gw);
}

void gw_media_stop(struct gateway *gw)
{
	media_destroy(gw->media);
	gw->media = NULL;
}

/* Who may hear of attempts: the room's chairs. */
static void send_attempt(struct room_host *h, struct conn *who)
{
	json_t *data = json_pack("{s:s,s:s}", "pid", who->pid, "name", who->name);
	if (data && who->group[0])
		json_object_set_new(data, "group", json_string(who->group));
	json_t *msg = data ? json_pack("{s:s,s:s,s:o}", "type", "private", "kind", "mic.attempt",
				       "data", data)
			   : NULL;
	struct gw_msg *m = msg ? gw_msg_from_json(msg) : NULL;
	json_decref(msg);
	if (!m)
		return;
	struct base_list *node, *tmp;
	BASE_LIST_FOREACH_SAFE(node, tmp, &h->conns)
	{
		struct conn *c = BASE_CONTAINER_OF(node, struct conn, room_link);
		if (c->who.role == ROOM_ROLE_CHAIR)
			gw_host_send(h, c, gw_msg_ref(m), false, NULL);
	}
	gw_msg_unref(m);
}

/* Someone talks into a closed microphone: the chairs hear of it, once per person every
 * ATTEMPT_EVERY_MS whichever of their connections it came from. Not interpreters nor the
 * desk: their mics follow the booth and the session, never the floor, and an interpreter
 * off air talks to the booth colleague -- nobody is trying to get the floor. */
static void on_media_attempt(void *ctx, void *user, uint8_t level)
{
	struct conn *c = user;
	struct room_host *h = gw_host_of(c);
	(void)ctx;
	if (!h || c->who.role == ROOM_ROLE_INTERPRETER || c->who.role == ROOM_ROLE_VENUE)
		return;
	int64_t now = gw_now_ms();
	struct base_list *node, *tmp;
	BASE_LIST_FOREACH_SAFE(node, tmp, &h->conns)
	{
		struct conn *o = BASE_CONTAINER_OF(node, struct conn, room_link);
		if (strcmp(o->pid, c->pid) == 0 && o->attempt_ms &&
		    now - o->attempt_ms < ATTEMPT_EVERY_MS)
			return;
	}
	c->attempt_ms = now;
	gw_info("mic attempt", "room=%s pid=%s level=%u", room_id(h->room), c->pid, level);
	send_attempt(h, c);
}

static void on_media_stream(void *ctx, const char *room, unsigned channel,
			    enum media_stream_kind kind, const uint8_t *data, size_t len)
{
	gw_stream_media(ctx, room, channel, kind, data, len);
}

void gw_media_wake(struct gateway *gw)
{
	static const struct media_callbacks cb = {
	    .state = on_media_event, .attempt = on_media_attempt, .stream = on_media_stream};
	if (gw->media)
		media_dispatch_all(gw->media, &cb, gw);
}

/* --- sessions ------------------------------------------------------------------------------ */

/* "2026-11-22T10:00:00.000Z" (the log's timestamps) to milliseconds; 0 if it is not. */
static int64_t parse_ts(const char *ts)
{
	struct tm tm = {0};
	int ms = 0;
	if (!ts || sscanf(ts, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
			  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm) * 1000 + ms;
}

static void tell_media(struct gateway *gw, struct room *room, const struct session_change *s)
{
	if (!gw->media)
		return;
	enum media_err err =
	    media_room_session(gw->media, room_id(room), s->live, s->title, s->start_ms);
	if (err != MEDIA_OK)
		gw_error("media: session not recorded", "room=%s error=\"%s\"", room_id(room),
			 media_strerror(err));
	else
		gw_info(s->live ? "session recorded" : "session recording ends", "room=%s",
			room_id(room));
}

static void on_room_event(void *ctx, struct room_host *h, const char *msg, size_t len)
{
	/* Most events are not about the session: look before parsing. */
	static const char needle[] = "\"kind\":\"session.";
	(void)ctx;
	if (!memmem(msg, len, needle, sizeof needle - 1))
		return;
	struct session_change *s = h->session.data;
	if (!s && !(s = calloc(1, sizeof *s))) {
		gw_error("out of memory noting a session change", "room=%s", room_id(h->room));
		return;
	}
	/* Plain memory, freed by the host with the room's fan-out state. */
	h->session = (struct room_host_extra){.data = s, .free = free};
	json_t *v = json_loadb(msg, len, 0, NULL);
	const char *kind = NULL, *ts = NULL, *title = NULL;
	kind = json_string_value(json_object_get(v, "kind"));
	ts = json_string_value(json_object_get(v, "ts"));
	title = json_string_value(json_object_get(json_object_get(v, "data"), "title"));
	if (kind && (strcmp(kind, "session.started") == 0 || strcmp(kind, "session.ended") == 0)) {
		s->pending = true;
		s->live = strcmp(kind, "session.started") == 0;
		s->start_ms = parse_ts(ts);
		snprintf(s->title, sizeof s->title, "%s", title ? title : "");
	}
	json_decref(v);
}

static void on_room_durable(void *ctx, struct room_host *h, bool ok)
{
	struct session_change *s = h->session.data;
	(void)ctx;
	if (!s || !s->pending)
		return;
	s->pending = false;
	if (ok)
		tell_media(h->gw, h->room, s);
}

void gw_media_resume_sessions(struct gateway *gw)
{
	for (size_t i = 0; gw->media && i < rooms_count(gw->rooms); i++) {
		struct room *room = rooms_at(gw->rooms, i);
		json_t *snap = room_snapshot(room);
		json_t *r = json_object_get(snap, "room");
		const char *status = json_string_value(json_object_get(r, "status"));
		if (status && strcmp(status, "live") == 0) {
			const char *title = json_string_value(json_object_get(r, "session_title"));
			struct session_change s = {
			    .live = true,
			    .start_ms = parse_ts(json_string_value(json_object_get(r, "started")))};
			snprintf(s.title, sizeof s.title, "%s", title ? title : "");
			tell_media(gw, room, &s);
		}
		json_decref(snap);
	}
}

static enum room_err wire_error(enum media_err err)
{
	switch (err) {
	case MEDIA_ERR_SDP:
		return ROOM_EBAD_REQUEST;
	case MEDIA_ERR_FORBIDDEN:
		return ROOM_EFORBIDDEN;
	case MEDIA_ERR_BUSY:
		return ROOM_EUNAVAILABLE;
	default:
		return ROOM_EINTERNAL;
	}
}

static void ack_answer(struct conn *c, json_t *id, const char *answer)
{
	json_t *ack = json_pack("{s:s,s:s}", "type", "ack", "sdp", answer);
	if (!ack)
		return;
	if (id)
		json_object_set(ack, "id", id);
	gw_host_reply(c, ack, true, id);
}

void gw_media_offer(struct conn *c, json_t *id, json_t *msg)
{
	json_t *sdp = json_object_get(msg, "sdp");
	if (!json_is_string(sdp)) {
		gw_host_error(c, id, ROOM_EBAD_REQUEST, "media.offer needs sdp (a string)");
		return;
	}
	if (!c->gw->media) {
		gw_host_error(c, id, ROOM_EUNAVAILABLE, "media is not running");
		return;
	}
	struct room *room = c->room;
	bool may_send = c->who.role == ROOM_ROLE_CHAIR || c->who.role == ROOM_ROLE_PARTICIPANT ||
			c->who.role == ROOM_ROLE_VENUE || c->who.role == ROOM_ROLE_INTERPRETER;
	/* An interpreter's mic opens once it is known to feed their booth, never the floor. */
	bool interp = c->who.role == ROOM_ROLE_INTERPRETER;
	struct media_offer offer = {.room = room_id(room),
				    .sdp = json_string_value(sdp),
				    .sdp_len = json_string_length(sdp),
				    .may_send = may_send,
				    .mic_open = !interp && room_mic_open(room, c->pid),
				    .user = c,
				    .pid = c->pid};
	char *answer = malloc(MEDIA_ANSWER_MAX);
	char why[256];
	size_t len;
	struct media_peer *peer;
	enum media_err err = answer
				 ? media_peer_offer(c->gw->media, &offer, answer, MEDIA_ANSWER_MAX,
						    &len, &peer, why, sizeof why)
				 : MEDIA_ERR_NOMEM;
	if (err != MEDIA_OK) {
		gw_info("media offer refused", "conn=%llu error=\"%s\"", (unsigned long long)c->id,
			answer ? why : "out of memory");
		gw_host_error(c, id, wire_error(err), answer ? why : "out of memory");
		free(answer);
		return;
	}
	/* The new peer replaces the old one, whose events stop here. */
	media_peer_close(c->peer);
	c->peer = peer;
	gw_media_peer_ready(c);
	if (interp && room_mic_open(room, c->pid))
		media_peer_mic(peer, true);
	gw_info("media offer", "conn=%llu role=%s", (unsigned long long)c->id,
		room_role_name(c->who.role));
	ack_answer(c, id, answer);
	free(answer);
	send_private_state(c, MEDIA_STATE_CONNECTING);
}

void gw_media_conn_closed(struct conn *c)
{
	media_peer_close(c->peer);
	c->peer = NULL;
}

/* An owner's gate for someone with no WebRTC peer here, who may be speaking through an
 * edge: their mic comes over NATS (nats_media.h) into a remote member of the mix, behind
 * the same gate. Interpreters are left out: their voice feeds a booth's channel, which a
 * remote member cannot (yet); they connect to the owner. */
static void remote_gate(struct gateway *gw, struct room *room, const char *pid, bool open)
{
	enum room_role role;
	if (!gw->media || !gw->nats_media || gw->cfg.edge || !room_person_role(room, pid, &role) ||
	    role == ROOM_ROLE_INTERPRETER)
		return;
	enum media_err err = media_remote_mic(gw->media, room_id(room), pid, open);
	if (err != MEDIA_OK)
		gw_warn("an edge participant's mic gate not set", "room=%s pid=%s error=\"%s\"",
			room_id(room), pid, media_strerror(err));
}

static void on_room_mic(void *ctx, struct room *room, const char *pid, bool open)
{
	struct room_host *h = room_host_data(room);
	bool local = false;
	gw_debug("mic gate", "room=%s pid=%s open=%d", room_id(room), pid, open);
	if (h) {
		struct base_list *node, *tmp;
		BASE_LIST_FOREACH_SAFE(node, tmp, &h->conns)
		{
			struct conn *c = BASE_CONTAINER_OF(node, struct conn, room_link);
			if (c->peer && strcmp(c->pid, pid) == 0) {
				if (open)
					gw_media_voice(c);
				media_peer_mic(c->peer, open);
				local = true;
			}
		}
	}
	/* Closing reaches a remote member too: it may have been opened while the person had
	 * no peer here and they offered media since. */
	if (!local || !open)
		remote_gate(ctx, room, pid, open);
}

void gw_media_remote_gates(struct gateway *gw, struct room *room)
{
	const char *pids[64];
	size_t n = room_open_mics(room, pids, sizeof pids / sizeof pids[0]);
	for (size_t i = 0; i < n; i++)
		on_room_mic(gw, room, pids[i], true);
}

struct fanout_listener gw_media_listener(struct gateway *gw)
{
	return (struct fanout_listener){
	    .event = on_room_event, .durable = on_room_durable, .mic = on_room_mic, .ctx = gw};
}

/* Keeps the n most recent talkers, one entry per person, sorted by how long ago. */
static size_t note_talker(const char **pids, int64_t *ago, size_t n, const char *pid, int64_t a)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(pids[i], pid) == 0) {
			if (a >= ago[i])
				return n;
			for (; i + 1 < n; i++) { /* drop it; re-inserted below */
				pids[i] = pids[i + 1];
				ago[i] = ago[i + 1];
			}
			n--;
			break;
		}
	size_t k = n < ROOM_TALKERS_MAX ? n : ROOM_TALKERS_MAX - 1;
	if (n == ROOM_TALKERS_MAX && a >= ago[k])
		return n;
	while (k > 0 && ago[k - 1] > a) {
		pids[k] = pids[k - 1];
		ago[k] = ago[k - 1];
		k--;
	}
	pids[k] = pid;
	ago[k] = a;
	return n < ROOM_TALKERS_MAX ? n + 1 : n;
}

void gw_media_tell_talkers(struct gateway *gw, struct room *room)
{
	struct room_host *h = room_host_data(room);
	const char *pids[ROOM_TALKERS_MAX];
	int64_t ago[ROOM_TALKERS_MAX];
	size_t n = 0;
	struct base_list *node, *tmp;
	if (gw->media && h)
		BASE_LIST_FOREACH_SAFE(node, tmp, &h->conns)
		{
			const struct conn *c = BASE_CONTAINER_OF(node, struct conn, room_link);
			int64_t a = c->peer ? media_peer_talked_ms_ago(c->peer) : -1;
			if (a >= 0 && a <= GW_TALKER_HOLD_MS)
				n = note_talker(pids, ago, n, c->pid, a);
		}
	room_set_talkers(room, pids, n);
}
