/*
 * nats_media -- a room's sound between nodes (issue 17, edges; docs/scale.md "Sound
 * between nodes"), on core NATS: it is for now, so nothing is stored or acknowledged.
 *
 * An owner (--nats, not --edge) publishes every frame its rooms send their listeners --
 * the floor and each interpretation channel, encoded once, before SRTP (the media tap,
 * media_options.on_encoded) -- on plenary.room.<id>.media, for the rooms it serves now;
 * and takes the open microphones of participants connected to edges from
 * plenary.room.*.mic into its mix (media_remote_mic_push), behind its own mic gate
 * (gw_media_remote_gate in media_glue.c decides who is remote).
 *
 * An edge (--edge) relays each room it follows (media_room_relay): the frames on
 * plenary.room.<id>.media feed its WebRTC listeners and listen.ogg, encrypted per
 * listener here; its participants' open mics (media_options.on_mic_frame) are published
 * on plenary.room.<id>.mic.
 *
 * Threads. The taps run on media workers inside their tick, where nothing may block or
 * allocate: they copy the message into a ring of fixed slots (a mutex over two indices)
 * and wake the publisher thread, which hands it to libnats. A full ring drops the frame
 * and counts it. The subscriptions' callbacks run on libnats's threads and push into
 * media's own rings. The bytes are nats_media_wire.h's.
 */
#ifndef PLENARY_GATEWAY_NATS_MEDIA_H
#define PLENARY_GATEWAY_NATS_MEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gateway;
struct gw_nats_media;
struct media;
struct media_options;

/* --nats: the ring and the publisher thread (NULL on OOM or no thread). */
struct gw_nats_media *gw_nats_media_open(struct gateway *gw, bool edge);
/* Sets opt's taps: the owner's on_encoded or the edge's on_mic_frame. */
void gw_nats_media_taps(struct gw_nats_media *nm, struct media_options *opt);
/* Once media runs: an owner subscribes to the edges' mics. false if NATS refused. */
bool gw_nats_media_start(struct gw_nats_media *nm, struct media *m);
/* An edge, for each room it follows (gateway thread): relayed from the owner's stream
 * from now on. false if media or NATS refused (the room's listeners hear nothing). */
bool gw_nats_media_follow(struct gw_nats_media *nm, const char *room);
/* Before media_destroy: nothing is pushed into media or published after it returns. */
void gw_nats_media_stop(struct gw_nats_media *nm);
/* After the NATS connection closed. NULL is fine. */
void gw_nats_media_free(struct gw_nats_media *nm);

struct gw_nats_media_stats {
	uint64_t published; /* frames and mic packets handed to NATS */
	uint64_t dropped;   /* a full ring, or NATS refused the publish */
	uint64_t received;  /* pushed into media from NATS */
	uint64_t refused;   /* malformed, or media refused them (a full ring, no such room) */
};
/* Any thread; zeros for NULL. */
void gw_nats_media_read_stats(const struct gw_nats_media *nm, struct gw_nats_media_stats *out);

#endif
