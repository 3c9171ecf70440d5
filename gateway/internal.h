/*
 * The gateway's private types: the server, its WebSocket connections and the
 * per-room fan-out. One thread (the lws service loop) owns all of it.
 */
#ifndef PLENARY_GATEWAY_INTERNAL_H
#define PLENARY_GATEWAY_INTERNAL_H

#include <ev.h>
#include <libwebsockets.h>
#include <stdbool.h>
#include <stdint.h>

#include "gateway/config.h"
#include "gateway/metrics.h"
#include "gateway/msg.h"
#include "rooms/rooms.h"

#define GW_MAX_MESSAGE	   (64 * 1024) /* PROTOCOL.md: a bigger frame closes with 1009 */
#define GW_SESSION_KEY_LEN 32
#define GW_PID_MAX	   128
#define GW_NAME_MAX	   128
#define GW_GROUP_MAX	   64

struct gateway;
struct room_host;

/* One WebSocket connection. */
struct conn {
	struct gateway *gw;
	struct lws *wsi;
	uint64_t id;
	struct conn *prev, *next;	    /* every connection of the server */
	struct conn *room_prev, *room_next; /* connections of the same room */
	struct room_host *host;		    /* NULL until joined */
	uint64_t attached_item;		    /* fan-out items after this one are ours */
	struct room_identity who;
	char pid[GW_PID_MAX];
	char name[GW_NAME_MAX];
	char group[GW_GROUP_MAX];
	char session[GW_SESSION_KEY_LEN + 1];
	bool closing;
	struct media_peer *peer; /* this connection's WebRTC audio, NULL if none */
	int64_t attempt_ms;	 /* when a mic.attempt about this connection last went out */

	/* Receive: fragments of one message, up to GW_MAX_MESSAGE. */
	char *rx;
	size_t rx_len;

	/* Send queue: a ring of shared messages, bounded in bytes; a connection that stops
	 * reading fills it and is dropped rather than growing without bound. */
	struct gw_msg **q;
	size_t q_cap, q_head, q_len, q_bytes;

	/* Caption rate limit: a token bucket (PROTOCOL.md rate_limited). */
	double caption_tokens;
	int64_t caption_refill_ms;
};

/* What the gateway keeps per room: who is connected, and what waits for durability. */
struct pending_item {
	uint64_t no;	 /* increasing per host: orders items against attachments */
	struct conn *to; /* NULL: everyone attached before this item */
	struct gw_msg *msg;
	int64_t seq; /* event seq, or 0 */
	bool is_ack; /* an ack that becomes an `internal` error if the flush fails */
	int64_t ack_id;
	bool has_ack_id;
};

/* A session start or end seen as an event, told to the media side once durable. */
struct session_change {
	bool pending;
	bool live;
	int64_t start_ms;
	char title[256];
};

struct gw_listen;

struct room_host {
	struct gateway *gw;
	struct room *room;
	struct conn *conns;
	size_t n_conns;
	uint64_t next_item;
	struct pending_item *pending;
	size_t n_pending, cap_pending;
	struct session_change session; /* stream.c / media_glue.c */
	struct gw_listen *listen;      /* listen.ogg clients and the stream's headers */
};

struct gw_session_entry;

struct gateway {
	struct gw_config cfg;
	struct lws_context *ctx;
	struct ev_loop *loop; /* lws runs on it: epoll, not poll() over every socket */
	struct lws_vhost *vhost;
	int port;
	uint8_t secret[64];
	size_t secret_len;
	char admin_token[512];
	bool admin_enabled;
	struct rooms *rooms;
	struct media *media;
	struct gw_metrics metrics;
	struct conn *conns;
	uint64_t next_conn_id;
	struct gw_session_entry **sessions; /* resume keys: a small hash table */
	size_t sessions_cap, sessions_len;
	int64_t sessions_swept_ms; /* when expired resume keys were last looked for */
	/* libev's own timers: with lws on libev, lws_sul timers we scheduled fired late (a
	 * throttled presence update missed its deadline in integration.rooms). */
	ev_timer flush_timer;
	ev_timer tick_timer;
	bool flush_scheduled;
	int64_t tick_at;
	int signal_fd;
	int media_fd; /* a dup of the media event fd, adopted into the lws loop */
	bool stopping;
};

int64_t gw_now_ms(void);

/* ws.c */
struct conn *gw_conn_create(struct gateway *gw, struct lws *wsi);
void gw_conn_destroy(struct conn *c);
int gw_conn_receive(struct conn *c, const void *in, size_t len);
int gw_conn_writable(struct conn *c);
/* Queues m (taking a new reference); drops the connection if it stopped reading. */
void gw_conn_send(struct conn *c, struct gw_msg *m);
void gw_conn_send_json(struct conn *c, json_t *v); /* consumes v */
void gw_conn_error(struct conn *c, json_t *id, enum room_err err, const char *message);

/* session.c: one complete text message from a connection. */
void gw_session_message(struct conn *c, const char *text, size_t len);
void gw_session_closed(struct conn *c);
void gw_sessions_expire(struct gateway *gw, int64_t now_ms);
void gw_sessions_free(struct gateway *gw);

/* fanout.c */
extern const struct rooms_sink gw_rooms_sink_template;
struct room_host *gw_host_for(struct gateway *gw, struct room *room);
void gw_host_attach(struct room_host *h, struct conn *c);
void gw_host_detach(struct room_host *h, struct conn *c);
/* Sends to one connection of the room, after whatever is waiting for durability. */
void gw_host_send(struct room_host *h, struct conn *c, struct gw_msg *m, bool is_ack,
		  json_t *ack_id);
/* Pending event messages with seq > after, in order, for a resume. */
void gw_host_pending_events_to(struct room_host *h, struct conn *c, int64_t after);
void gw_host_free_all(struct gateway *gw);
void gw_schedule_flush(struct gateway *gw);
/* The durability point: flushes every room's log now and releases what waited. */
void gw_flush(struct gateway *gw);
void gw_schedule_tick(struct gateway *gw, int64_t at_ms);

/* http.c */
struct http_req;
int gw_http_request(struct gateway *gw, struct lws *wsi, struct http_req **reqp, const char *uri);
int gw_http_body(struct gateway *gw, struct lws *wsi, struct http_req *req, const void *in,
		 size_t len);
int gw_http_body_done(struct gateway *gw, struct lws *wsi, struct http_req *req);
int gw_http_writable(struct gateway *gw, struct lws *wsi, struct http_req *req);
void gw_http_closed(struct gateway *gw, struct http_req *req);

/* media_glue.c: media.offer, media.state and the mic gate (media/media.h). */
bool gw_media_start(struct gateway *gw);
void gw_media_stop(struct gateway *gw);
int gw_media_wake(struct gateway *gw);
void gw_media_offer(struct conn *c, json_t *id, json_t *msg);
void gw_media_conn_closed(struct conn *c);
void gw_media_mic(struct gateway *gw, struct room *room, const char *pid, bool open);
/* An event message of the room's was appended: a session start or end is noted, and
 * told to the media side when the room is durable (gw_media_durable). */
void gw_media_event(struct room_host *h, const char *msg, size_t len);
void gw_media_durable(struct room_host *h, bool ok);
/* At start: the rooms whose session is live (after a restart) are recorded again. */
void gw_media_resume_sessions(struct gateway *gw);

/* stream.c: GET listen.ogg, the room's live stream over chunked HTTP/1.1. */
struct gw_stream_client;
/* Whether the room's live stream is running (its session is live). */
bool gw_stream_live(struct gateway *gw, struct room *room);
/* Starts the response for one client; *slot is the request's pointer to it, cleared
 * when the client is freed. Returns 0, or -1 to close the connection. */
int gw_stream_listen(struct gateway *gw, struct lws *wsi, struct room *room,
		     struct gw_stream_client **slot);
int gw_stream_writable(struct gw_stream_client *c);
void gw_stream_closed(struct gw_stream_client *c);
/* A piece of a room's live stream from the media side. */
void gw_stream_media(struct gateway *gw, const char *room, enum media_stream_kind kind,
		     const uint8_t *data, size_t len);
void gw_stream_host_free(struct room_host *h);

/* static_files.c: maps a URI path to a file under root; false for anything unsafe. */
bool gw_static_resolve(const char *root, const char *uri, char *path, size_t cap,
		       const char **mime);

#endif
