/*
 * relay_link -- a room's inbound frames from other nodes (issue 17, edges): the owner's
 * encoded stream pushed into an edge (media_relay_push), and an edge's open microphones
 * pushed into the owner (media_remote_mic_push). One per room that ever had either, made
 * on the gateway thread and freed by media_destroy after the workers stopped.
 *
 * Threads. Producers are whatever threads the transport (NATS) calls back on: they push
 * under one lock that media_relay.c holds, so the ring sees one producer at a time; its
 * consumer is the room's worker, which drains it on the wake-up every push sends
 * (worker_relay.c). A slot carries the whole frame, so nothing is allocated per frame on
 * either side; a full ring drops the frame (the producer counts it).
 */
#ifndef PLENARY_MEDIA_RELAY_LINK_H
#define PLENARY_MEDIA_RELAY_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/attr.h"
#include "base/spsc.h"
#include "media/media.h"
#include "media/mix/mix.h"

/* 256 frames: 5 s of a floor alone, 0.3 s of a floor with 16 channels on air. */
#define LINK_SLOTS 256

/* LINK_RELAY a frame of the owner's stream; LINK_OWN the owner's own mix for pid, an open
 * mic here; LINK_MIC an edge's open-mic packet, on the owner. */
enum link_kind { LINK_RELAY = 1, LINK_OWN, LINK_MIC };

struct link_slot {
	uint8_t kind; /* enum link_kind */
	uint8_t channel;
	bool marker;
	int16_t level; /* LINK_MIC: -1 unknown */
	uint16_t seq;
	uint32_t timestamp;
	uint32_t ssrc; /* LINK_RELAY, LINK_OWN: the source's */
	uint16_t len;
	char pid[MEDIA_PID_MAX + 1]; /* LINK_OWN, LINK_MIC */
	uint8_t opus[MEDIA_FRAME_MAX];
};

struct remote_mic;

struct relay_link {
	char room[MEDIA_ROOM_MAX + 1];
	uint32_t ssrc;			/* the room's (its pin's) */
	struct mixer_room_stats *stats; /* the pin's */
	unsigned worker;
	int wake_fd; /* the worker's command eventfd; not owned */
	struct base_spsc q;
	struct link_slot *slots;

	/* --- worker thread --- */
	struct room_mixer *rm; /* NULL until the worker took the link in */
	struct remote_mic **remotes;
	size_t n_remotes, cap_remotes;
};

/* A WORKER_REMOTE command: the gate of a remote participant; the worker frees it. */
struct link_gate {
	struct relay_link *link;
	bool open;
	char pid[MEDIA_PID_MAX + 1];
};

/* Errors: MEDIA_ERR_NOMEM. */
BASE_WUR enum media_err relay_link_create(const char *room, uint32_t ssrc,
					  struct mixer_room_stats *stats, unsigned worker,
					  int wake_fd, struct relay_link **out);
/* After its worker let it go (worker_relay_fini). NULL is fine. */
void relay_link_destroy(struct relay_link *l);
/* Producer, one at a time: copies *s (its opus[0..len)) into the ring and wakes the
 * worker; false when the ring is full. */
BASE_WUR bool relay_link_push(struct relay_link *l, const struct link_slot *s, const uint8_t *opus);

#endif
