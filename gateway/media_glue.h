/*
 * media_glue -- the gateway's side of WebRTC audio (media/media.h): media.offer,
 * media.state, the mic gate, mic.attempt to chairs, and session starts and ends told to
 * the media side once durable. It translates; the media module owns the threads.
 */
#ifndef PLENARY_GATEWAY_MEDIA_GLUE_H
#define PLENARY_GATEWAY_MEDIA_GLUE_H

#include <jansson.h>
#include <stdbool.h>

#include "gateway/fanout.h"

struct conn;
struct gateway;

/* Creates the media side (gw->media) and its recordings directory. False, logged, on
 * failure. */
bool gw_media_start(struct gateway *gw);
/* Destroys the media side; every connection (and so every peer) must be gone. */
void gw_media_stop(struct gateway *gw);
/* The media eventfd is readable: dispatches the workers' events on this thread. */
void gw_media_wake(struct gateway *gw);
/* The listener to register with the fan-out: session changes and the mic gate. */
struct fanout_listener gw_media_listener(struct gateway *gw);
/* media.offer from a joined connection: the answer in the ack, or an error. */
void gw_media_offer(struct conn *c, json_t *id, json_t *msg);
/* media.channel {lang|null} (media_channel.c): the channel this connection's peer hears. */
void gw_media_channel(struct conn *c, json_t *id, json_t *msg);
/* A new peer takes the connection's channel, and an interpreter's mic its booth's. */
void gw_media_peer_ready(struct conn *c);
/* Before an interpreter's mic opens: it feeds their booth's channel (which the first
 * interp.taken may have just made). */
void gw_media_voice(struct conn *c);
/* Closes c's peer, if any. */
void gw_media_conn_closed(struct conn *c);
/* Who in room talked through an open mic within the last GW_TALKER_HOLD_MS (captions lag
 * speech), most recent first: passed to room_set_talkers before a caption reaches the
 * room. */
#define GW_TALKER_HOLD_MS 1500
void gw_media_tell_talkers(struct gateway *gw, struct room *room);
/* At start: the rooms whose session is live (after a restart) are recorded again. */
void gw_media_resume_sessions(struct gateway *gw);
/* A room this node just took over (nats_lease.h): the open mics of its people, local or
 * on edges, reach the mix as if their gates had just opened here. */
void gw_media_remote_gates(struct gateway *gw, struct room *room);

#endif
