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
 * Worker events reach this thread through the media eventfd, adopted into the lws loop
 * like the signalfd (a dup of it, since lws closes what it adopts when the context goes,
 * and media_destroy closes its own). Each event becomes a `private` media.state message
 * to the peer's connection; a failed or closed peer is released at once, so the
 * connection may offer again.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/internal.h"
#include "gateway/logging.h"

static void send_private_state(struct conn *c, enum media_state state)
{
	json_t *msg = json_pack("{s:s,s:s,s:{s:s}}", "type", "private", "kind", "media.state",
				"data", "state", media_state_name(state));
	if (!msg)
		return;
	if (c->host)
		gw_host_send(c->host, c, gw_msg_from_json(msg), false, NULL);
	else
		gw_conn_send_json(c, json_incref(msg));
	json_decref(msg);
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

bool gw_media_start(struct gateway *gw)
{
	const struct gw_config *cfg = &gw->cfg;
	struct media_options opt = {.workers = (unsigned)cfg->media_workers,
				    .port = (uint16_t)cfg->media_port,
				    .bind_ip = cfg->listen_addr,
				    .public_ip = cfg->public_ip,
				    .echo = cfg->media_echo};
	char why[256];
	if (media_create(&opt, &gw->media, why, sizeof why) != MEDIA_OK) {
		gw_error("cannot start media", "error=\"%s\"", why);
		return false;
	}
	gw->media_fd = dup(media_event_fd(gw->media));
	lws_sock_file_fd_type fd = {.filefd = gw->media_fd};
	if (gw->media_fd < 0 || !lws_adopt_descriptor_vhost(gw->vhost, LWS_ADOPT_RAW_FILE_DESC, fd,
							    "plenary-raw", NULL)) {
		gw_error("cannot watch the media workers", NULL);
		if (gw->media_fd >= 0)
			close(gw->media_fd);
		gw->media_fd = -1;
		return false;
	}
	for (unsigned i = 0; i < media_worker_count(gw->media); i++) {
		const char *ip;
		uint16_t port;
		if (media_candidate(gw->media, i, &ip, &port))
			gw_info("media worker", "worker=%u candidate=%s:%u echo=%d", i, ip, port,
				cfg->media_echo);
	}
	return true;
}

void gw_media_stop(struct gateway *gw)
{
	/* Every connection (and with it every peer) is gone with the lws context, which
	 * also closed media_fd. */
	media_destroy(gw->media);
	gw->media = NULL;
	gw->media_fd = -1;
}

int gw_media_wake(struct gateway *gw)
{
	if (gw->media)
		media_dispatch(gw->media, on_media_event, gw);
	return 0;
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
	gw_host_send(c->host, c, gw_msg_from_json(ack), true, id);
	json_decref(ack);
}

void gw_media_offer(struct conn *c, json_t *id, json_t *msg)
{
	json_t *sdp = json_object_get(msg, "sdp");
	if (!json_is_string(sdp)) {
		gw_conn_error(c, id, ROOM_EBAD_REQUEST, "media.offer needs sdp (a string)");
		return;
	}
	if (!c->gw->media) {
		gw_conn_error(c, id, ROOM_EUNAVAILABLE, "media is not running");
		return;
	}
	struct room *room = c->host->room;
	bool may_send = c->who.role == ROOM_ROLE_CHAIR || c->who.role == ROOM_ROLE_PARTICIPANT;
	struct media_offer offer = {.room = room_id(room),
				    .sdp = json_string_value(sdp),
				    .sdp_len = json_string_length(sdp),
				    .may_send = may_send,
				    .mic_open = room_mic_open(room, c->pid),
				    .user = c};
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
		gw_conn_error(c, id, wire_error(err), answer ? why : "out of memory");
		free(answer);
		return;
	}
	/* The new peer replaces the old one, whose events stop here. */
	media_peer_close(c->peer);
	c->peer = peer;
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

void gw_media_mic(struct gateway *gw, struct room *room, const char *pid, bool open)
{
	struct room_host *h = room_host_data(room);
	(void)gw;
	if (!h)
		return;
	for (struct conn *c = h->conns; c; c = c->room_next)
		if (c->peer && strcmp(c->pid, pid) == 0)
			media_peer_mic(c->peer, open);
}
